"""A study's drawings saved as a DICOM presentation state (GSPS) that other viewers load.

Runs where the medium's files can be read (the viewer's loader thread): each annotated
frame's header and modality values give its measurement's words, the same as on screen
and in the side list, written as the label of its graphic.
"""

from collections.abc import Iterable, Sequence
from pathlib import Path

from pydicom.dataset import Dataset

from app.core.errors import LightboxError, PresentationStateError
from app.core.models import InstanceRef
from app.imaging.render import GreyFrame, PreparedFrame
from app.services.annotation_gsps import image_annotations
from app.services.annotation_values import measurement_lines
from app.services.annotations import MEASUREMENTS, Annotation
from app.services.presentation_states import save_presentation_state
from app.services.viewing import MediumReader

DESCRIPTION = "Measurements and labels drawn in Lightbox"


def measurement_labels(reader: MediumReader, instances: Sequence[InstanceRef],
                       annotations: Iterable[Annotation]) -> dict[str, str]:
    """Each measurement's words on one line ("12.5 mm", "Area 120 mm², mean 40 HU"), by
    annotation id; an image that cannot be read gives its measurements no words."""
    paths = {ref.sop_instance_uid: ref.path for ref in instances}
    labels: dict[str, str] = {}
    frames: dict[tuple[str, int], PreparedFrame] = {}
    headers: dict[str, Dataset] = {}
    for annotation in annotations:
        path = paths.get(annotation.sop_instance_uid)
        if annotation.kind not in MEASUREMENTS or path is None:
            continue
        try:
            if path not in headers:
                headers[path] = reader.dataset(path)
            key = (path, annotation.frame)
            if key not in frames:
                frames[key] = reader.load_frame(path, annotation.frame).frame
        except (LightboxError, OSError, ValueError):
            continue
        frame = frames[key]
        values = frame if isinstance(frame, GreyFrame) else None
        lines = measurement_lines(annotation, headers[path], values)
        labels[annotation.id] = ", ".join(lines)
    return labels


def save_annotations_as_presentation_state(
    reader: MediumReader, instances: Sequence[InstanceRef],
    annotations: Sequence[Annotation], out_path: Path,
) -> Path:
    """Write ``annotations`` (one study's) as a new GSPS at ``out_path``; the path written.
    PresentationStateError (one sentence) when there is nothing to save or it cannot be
    written."""
    if not annotations:
        raise PresentationStateError("There are no drawings to save.")
    labels = measurement_labels(reader, instances, annotations)
    return save_presentation_state(reader, instances, image_annotations(annotations, labels),
                                   out_path, description=DESCRIPTION)


def suggested_presentation_state_name(instances: Sequence[InstanceRef], study_uid: str) -> str:
    """A file name from the study date, never from the patient: "drawings-2024-01-02.dcm"."""
    for ref in instances:
        date = ref.study_date.strip()
        if ref.study_instance_uid == study_uid and len(date) == 8 and date.isdigit():
            return f"drawings-{date[:4]}-{date[4:6]}-{date[6:]}.dcm"
    return "drawings.dcm"
