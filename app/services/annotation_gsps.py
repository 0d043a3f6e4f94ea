"""A study's annotations as the neutral graphics a presentation state (GSPS) is written
from (``app.imaging.presentation_state``), for ``save_presentation_state``.

Both sides use the same image coordinates (DICOM PIXEL units), so points pass unchanged:
a length or an angle becomes an open polyline, a rectangle or an outline a closed polygon,
an ellipse DICOM's ELLIPSE (the ends of its major axis, then of its minor axis), an arrow
an arrow and a text label a text note. A measurement's text goes with its graphic as its
label, so other viewers show the value beside the shape.
"""

from collections.abc import Iterable, Mapping

from app.imaging.presentation_state import Graphic, ImageAnnotations, ImageRef, TextNote
from app.services.annotations import Annotation


def graphic_of(annotation: Annotation, label: str = "") -> Graphic | TextNote:
    """The GSPS graphic (or, for a text label, the text note) of one annotation."""
    points = annotation.points
    if annotation.kind == "text":
        return TextNote(annotation.text, points[0])
    if annotation.kind == "arrow":
        return Graphic("arrow", points, label=annotation.text or label)
    if annotation.kind in ("length", "angle"):
        return Graphic("polyline", points, label=label)
    if annotation.kind == "freehand":
        return Graphic("polygon", points, label=label)
    (x0, y0), (x1, y1) = points
    left, top, right, bottom = min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)
    if annotation.kind == "rectangle":
        corners = ((left, top), (right, top), (right, bottom), (left, bottom))
        return Graphic("polygon", corners, label=label)
    cx, cy = (left + right) / 2, (top + bottom) / 2
    across = ((left, cy), (right, cy))
    down = ((cx, top), (cx, bottom))
    wide = right - left >= bottom - top
    return Graphic("ellipse", across + down if wide else down + across, label=label)


def image_annotations(
    annotations: Iterable[Annotation],
    labels: Mapping[str, str] | None = None,
    sop_classes: Mapping[str, str] | None = None,
) -> list[ImageAnnotations]:
    """The annotations grouped per image frame, in order of first appearance, ready for
    ``save_presentation_state``. ``labels`` gives an annotation id its text (a
    measurement's value, e.g. ``", ".join(measurement_lines(...))``); ``sop_classes`` an
    image's SOP Class UID when the caller knows it (the writer reads it from the header)."""
    labels = labels or {}
    sop_classes = sop_classes or {}
    graphics: dict[tuple[str, int], list[Graphic]] = {}
    notes: dict[tuple[str, int], list[TextNote]] = {}
    for annotation in annotations:
        key = (annotation.sop_instance_uid, annotation.frame)
        graphics.setdefault(key, [])
        notes.setdefault(key, [])
        drawn = graphic_of(annotation, labels.get(annotation.id, ""))
        if isinstance(drawn, TextNote):
            notes[key].append(drawn)
        else:
            graphics[key].append(drawn)
    return [
        ImageAnnotations(ImageRef(sop_classes.get(uid, ""), uid, frame),
                         tuple(graphics[(uid, frame)]), tuple(notes[(uid, frame)]))
        for uid, frame in graphics
    ]
