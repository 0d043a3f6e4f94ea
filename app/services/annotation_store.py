"""Annotations to and from the library's rows: points as JSON, nothing else changed."""

import json

from app.core.errors import LibraryError
from app.library.library import AnnotationRecord
from app.services.annotations import Annotation, AnnotationError


def to_record(annotation: Annotation) -> AnnotationRecord:
    """The row the library keeps for ``annotation``."""
    # repr-exact floats: a saved point reads back as the same number.
    points = json.dumps([[x, y] for x, y in annotation.points])
    return AnnotationRecord(
        annotation.id, annotation.series_uid, annotation.sop_instance_uid, annotation.frame,
        annotation.kind, points, annotation.text, annotation.created, annotation.modified,
    )


def from_record(study_uid: str, record: AnnotationRecord) -> Annotation:
    """The annotation a library row holds; LibraryError when the row is damaged."""
    try:
        points = tuple((float(x), float(y)) for x, y in json.loads(record.points))
        return Annotation(
            kind=record.kind,  # type: ignore[arg-type]  # validated on construction
            points=points, study_uid=study_uid, series_uid=record.series_uid,
            sop_instance_uid=record.sop_instance_uid, frame=record.frame, text=record.text,
            id=record.id, created=record.created, modified=record.modified,
        )
    except (ValueError, TypeError, AnnotationError) as exc:
        raise LibraryError("An annotation saved in the library is damaged.") from exc
