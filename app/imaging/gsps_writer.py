"""Write annotations and windows as a DICOM Grayscale Softcopy Presentation State.

highdicom builds the object (it copies patient and study from the images and checks each
graphic against the standard's rules); this module turns :mod:`app.imaging.presentation_state`
data into its pieces. Coordinates and kinds: see that module's docstring.

Labels of graphics are written as text objects anchored on the graphic and tied to it by a
graphic group, so other viewers show the text and :func:`read_gsps` gives the label back.
"""

import math
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from app import __version__
from app.core.errors import PresentationStateError
from app.imaging.luts import Window
from app.imaging.presentation_state import (
    Graphic,
    ImageAnnotations,
    ImageRef,
    Point,
    TextNote,
    arrow_outline,
)

LAYER = "ANNOTATIONS"
DEFAULT_LABEL = "ANNOTATIONS"
MAX_TEXT = 1024  # ST
MAX_LO = 64
_EDGE = 1e-6  # float slack at the image edge (DICOM PIXEL units)
CIRCLE_TRIES = 72  # directions tried for a circle's point on the image (5° apart)
REQUIRED_OF_IMAGES = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID",
                      "SeriesInstanceUID", "Rows", "Columns")
# What highdicom 0.28 copies from the first image without checking it is there.
TYPE_2_COPIED = ("PatientID", "PatientName", "PatientBirthDate", "PatientSex",
                 "AccessionNumber", "StudyID", "StudyDate", "StudyTime")


def content_label(text: str) -> str:
    """``text`` as a Content Label (CS: capitals, digits and _; 16 at most)."""
    label = re.sub(r"[^A-Z0-9_]", "_", text.strip().upper())[:16]
    return label or DEFAULT_LABEL


def write_gsps(
    images: Sequence[Dataset],
    annotations: Sequence[ImageAnnotations],
    out_path: Path,
    *,
    series_instance_uid: str,
    sop_instance_uid: str,
    label: str = DEFAULT_LABEL,
    description: str = "",
    creator: str = "",
    series_number: int = 9001,
    instance_number: int = 1,
) -> Path:
    """Write a GSPS for ``images`` (their headers are enough) to ``out_path``.

    Each :class:`ImageAnnotations` names one image (a frame, or every frame) of
    ``images``; its graphics and notes are drawn on it and its window applies to it.
    Images given no window keep their own first window, if they have one. All images
    must be of one study. Raises :class:`PresentationStateError` (one sentence) when the
    annotations cannot be written as asked or the file cannot be written.
    """
    if not images:
        raise PresentationStateError("A presentation state needs at least one image.")
    for ds in images:
        missing = [k for k in REQUIRED_OF_IMAGES if not str(ds.get(k, "") or "").strip()]
        if missing:
            raise PresentationStateError(
                f"An image lacks its {missing[0]}, so a presentation state cannot refer to it."
            )
        if _whole(ds, "SamplesPerPixel") != 1:
            raise PresentationStateError(
                "Annotations on colour images cannot be saved as a presentation state yet."
            )
    images = [_for_highdicom(ds) for ds in images]
    by_uid = {str(ds.SOPInstanceUID): ds for ds in images}
    for item in annotations:
        if item.image.sop_instance_uid not in by_uid:
            raise PresentationStateError("An annotation belongs to an image that is not given.")
    try:
        with warnings.catch_warnings():
            # highdicom warns about odd person names quoting them: no names in logs.
            warnings.simplefilter("ignore")
            state = _build(images, by_uid, annotations, series_instance_uid,
                           sop_instance_uid, label, description, creator, series_number,
                           instance_number)
    except PresentationStateError:
        raise
    except Exception as exc:  # highdicom checks values as it goes: odd ones raise anything
        reason = (str(exc).strip() or type(exc).__name__).rstrip(".")
        raise PresentationStateError(
            f"The presentation state cannot be built from these images ({reason[:160]})."
        ) from exc
    texts = [label, description, creator,
             *(g.label for item in annotations for g in item.graphics),
             *(n.text for item in annotations for n in item.notes)]
    if not all(text.isascii() for text in texts):
        # "mm²", "°" or a typed accent: without a character set that holds them the text
        # is invalid (every value is held as text here, so UTF-8 writes them all).
        state.SpecificCharacterSet = "ISO_IR 192"
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        state.save_as(out_path, enforce_file_format=True)
    except OSError as exc:
        raise PresentationStateError(
            f"The presentation state cannot be written to {out_path}: {exc.strerror or exc}."
        ) from exc
    return out_path


def _build(
    images: Sequence[Dataset], by_uid: dict[str, Dataset],
    annotations: Sequence[ImageAnnotations], series_instance_uid: str, sop_instance_uid: str,
    label: str, description: str, creator: str, series_number: int, instance_number: int,
) -> hd.pr.GrayscaleSoftcopyPresentationState:
    layer = hd.pr.GraphicLayer(layer_name=LAYER, order=1, description="Lightbox annotations")
    groups: list[hd.pr.GraphicGroup] = []
    graphic_annotations = []
    for item in annotations:
        source = by_uid[item.image.sop_instance_uid]
        size = (float(source.Columns), float(source.Rows))
        graphic_objects = []
        text_objects = []
        for graphic in item.graphics:
            group = None
            if graphic.label:
                group = hd.pr.GraphicGroup(len(groups) + 1, graphic.label[:MAX_LO])
                groups.append(group)
                text_objects.append(_label_object(graphic, size, group))
            graphic_objects.append(_graphic_object(graphic, size, group))
        text_objects.extend(_text_object(note, size) for note in item.notes)
        if not graphic_objects and not text_objects:
            continue
        graphic_annotations.append(hd.pr.GraphicAnnotation(
            referenced_images=[source],
            graphic_layer=layer,
            referenced_frame_number=_frame_number(item.image, source),
            graphic_objects=graphic_objects or None,
            text_objects=text_objects or None,
        ))
    state = hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=list(images),
        series_instance_uid=series_instance_uid,
        series_number=series_number,
        sop_instance_uid=sop_instance_uid,
        instance_number=instance_number,
        manufacturer="Lightbox",
        manufacturer_model_name="Lightbox",
        software_versions=__version__,
        device_serial_number="",
        content_label=content_label(label),
        content_description=description[:MAX_LO] or None,
        content_creator_name=creator or None,
        graphic_annotations=graphic_annotations or None,
        graphic_layers=[layer] if graphic_annotations else None,
        graphic_groups=groups or None,
        modality_lut_transformation=_classic_rescale(images),
        voi_lut_transformations=_windows(images, annotations),
    )
    # General Series' Laterality is Type 2C: required (maybe empty) when the body part is
    # paired, which dciodvfy cannot tell for a presentation state, so it is always there.
    state.Laterality = str(images[0].get("Laterality", "") or "")
    return state


def _whole(ds: Dataset, keyword: str, default: int = 1) -> int:
    """An integer attribute, its first value, or ``default`` when missing or unreadable."""
    value = ds.get(keyword)
    if isinstance(value, (list, tuple, MultiValue)):
        value = value[0] if len(value) else None
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def _is_classic_multi_frame(ds: Dataset) -> bool:
    return _whole(ds, "NumberOfFrames") > 1 and "SharedFunctionalGroupsSequence" not in ds


def _for_highdicom(ds: Dataset) -> Dataset:
    """The header as highdicom 0.28 can take it (a shallow copy; the caller's is left).

    highdicom reads the patient and study attributes the standard makes Type 2 as if
    always there: missing ones are added empty, as the presentation state may hold them.
    It reads a multi-frame image's rescale and windows from functional groups, which only
    enhanced images have: a classic multi-frame image (ultrasound cine, XA, NM, secondary
    capture) gets empty ones, and its rescale and window are passed explicitly
    (:func:`_classic_rescale`, :func:`_windows`)."""
    shimmed = Dataset()  # (Dataset.copy() would share the element dictionary)
    shimmed.update(ds)
    for keyword in TYPE_2_COPIED:
        if keyword not in shimmed:
            setattr(shimmed, keyword, "")
    charsets = shimmed.get("SpecificCharacterSet")
    if charsets is not None:
        # An empty value names the default repertoire, which highdicom refuses by that
        # name: said as none at all, or (first of several) as its ISO 2022 term.
        values = list(charsets) if isinstance(charsets, (list, MultiValue)) else [charsets]
        values = [str(v).strip() for v in values]
        if not any(values):
            del shimmed.SpecificCharacterSet
        elif not all(values):
            shimmed.SpecificCharacterSet = [v or "ISO 2022 IR 6" for v in values]
    if not _is_classic_multi_frame(ds):
        return shimmed
    shimmed.SharedFunctionalGroupsSequence = [Dataset()]
    shimmed.PerFrameFunctionalGroupsSequence = [
        Dataset() for _ in range(_whole(ds, "NumberOfFrames"))]
    return shimmed


def _classic_rescale(images: Sequence[Dataset]) -> hd.ModalityLUTTransformation | None:
    """The Modality LUT for a state naming a classic multi-frame image (None: highdicom
    copies it from the images itself). No rescale is the identity."""
    if not any(_is_classic_multi_frame(ds) for ds in images):
        return None
    found = {(float(ds.get("RescaleSlope", 1) or 1), float(ds.get("RescaleIntercept", 0) or 0),
              str(ds.get("RescaleType", "") or "US")) for ds in images}
    if len(found) > 1:
        raise PresentationStateError(
            "These images turn stored values into modality values differently; "
            "save their annotations one image at a time."
        )
    slope, intercept, kind = found.pop()
    return hd.ModalityLUTTransformation(rescale_intercept=intercept, rescale_slope=slope,
                                        rescale_type=kind)


def _frame_number(ref: ImageRef, source: Dataset) -> int | None:
    if ref.frame is None:
        return None
    frames = _whole(source, "NumberOfFrames")
    if not 0 <= ref.frame < frames:
        raise PresentationStateError(
            f"An annotation is on frame {ref.frame} of an image with {frames} frame(s)."
        )
    return ref.frame + 1 if frames > 1 else None


def _on_image(point: Point, size: tuple[float, float]) -> bool:
    x, y = point
    return -_EDGE <= x <= size[0] + _EDGE and -_EDGE <= y <= size[1] + _EDGE


def _in_image(point: Point, size: tuple[float, float]) -> tuple[float, float]:
    """The point pulled onto the image edge when a hair outside (PIXEL units cannot be
    negative). Only for what is cosmetic (an arrow's head, a text box) or already
    checked to lie on the image."""
    x, y = point
    return (min(max(x, 0.0), size[0]), min(max(y, 0.0), size[1]))


def _circle_on_image(centre: Point, edge: Point,
                     size: tuple[float, float]) -> tuple[Point, Point] | None:
    """A circle is its centre and any point on it: one on the image, if there is one."""
    radius = math.dist(centre, edge)
    start = math.atan2(edge[1] - centre[1], edge[0] - centre[0])
    for step in range(CIRCLE_TRIES):
        angle = start + 2 * math.pi * step / CIRCLE_TRIES
        point = (centre[0] + radius * math.cos(angle), centre[1] + radius * math.sin(angle))
        if _on_image(point, size):
            return centre, point
    return None


def _graphic_object(graphic: Graphic, size: tuple[float, float],
                    group: hd.pr.GraphicGroup | None) -> hd.pr.GraphicObject:
    points = list(graphic.points)
    kind = {"point": "POINT", "polyline": "POLYLINE", "polygon": "POLYLINE",
            "circle": "CIRCLE", "ellipse": "ELLIPSE", "arrow": "POLYLINE"}[graphic.kind]
    if graphic.kind == "circle" and _on_image(points[0], size):
        points = list(_circle_on_image(points[0], points[1], size) or points)
    # GSPS PIXEL units cover the image only: a shape reaching past it is refused rather
    # than bent to fit (a moved point would change what was measured).
    if not all(_on_image(p, size) for p in points):
        raise PresentationStateError(
            f"A{'n' if graphic.kind[0] in 'aeiou' else ''} {graphic.kind} reaches outside "
            "the image; only annotations on the image can be saved in a presentation state."
        )
    if graphic.kind == "arrow":
        points = list(arrow_outline(points[0], points[1]))
    elif graphic.kind == "polygon":
        points.append(points[0])
    if graphic.smooth and kind == "POLYLINE" and graphic.kind != "arrow":
        kind = "INTERPOLATED"
    data = np.array([_in_image(p, size) for p in points], dtype=np.float64)
    filled = graphic.filled and graphic.kind in ("polygon", "circle", "ellipse")
    return hd.pr.GraphicObject(graphic_type=kind, graphic_data=data, units="PIXEL",
                               is_filled=filled, graphic_group=group)


def _label_object(graphic: Graphic, size: tuple[float, float],
                  group: hd.pr.GraphicGroup) -> hd.pr.TextObject:
    # At the arrow's tail (the tip is on the finding); at the last point of the others.
    where = graphic.points[0] if graphic.kind == "arrow" else graphic.points[-1]
    return hd.pr.TextObject(text_value=graphic.label[:MAX_TEXT], units="PIXEL",
                            anchor_point=_in_image(where, size), anchor_point_visible=False,
                            graphic_group=group)


def _text_object(note: TextNote, size: tuple[float, float]) -> hd.pr.TextObject:
    if not note.text.strip():
        raise PresentationStateError("A text note is empty.")
    box = None
    if note.box is not None:
        left, top = _in_image((note.box[0], note.box[1]), size)
        right, bottom = _in_image((note.box[2], note.box[3]), size)
        if right > left and bottom > top:
            box = (left, top, right, bottom)
    return hd.pr.TextObject(
        text_value=note.text[:MAX_TEXT], units="PIXEL", bounding_box=box,
        anchor_point=_anchor(note, size), anchor_point_visible=note.anchor_shown,
        text_justification="LEFT",
    )


def _anchor(note: TextNote, size: tuple[float, float]) -> tuple[float, float]:
    if not _on_image(note.anchor, size):
        raise PresentationStateError(
            "A text note is placed outside the image; only annotations on the image can be "
            "saved in a presentation state."
        )
    return _in_image(note.anchor, size)


def _windows(images: Sequence[Dataset],
             annotations: Sequence[ImageAnnotations]) -> list[hd.pr.SoftcopyVOILUTTransformation]:
    """One VOI item per window, naming the images it applies to (a GSPS shows an image it
    gives no window for without one, so every image gets the window it is shown with)."""
    chosen: dict[str, Window] = {}
    for item in annotations:
        if item.window is not None:
            chosen[item.image.sop_instance_uid] = item.window
    groups: dict[Window, list[Dataset]] = {}
    for ds in images:
        window = chosen.get(str(ds.SOPInstanceUID)) or _own_window(ds)
        if window is not None:
            groups.setdefault(window, []).append(ds)
    result = []
    for window, members in groups.items():
        if window.width <= 0:
            raise PresentationStateError("A window must be wider than 0.")
        # Lists of one: highdicom 0.28.0 stores a plain-string explanation as
        # list(text), one letter per value.
        result.append(hd.pr.SoftcopyVOILUTTransformation(
            window_center=[window.center], window_width=[window.width],
            window_explanation=[window.explanation[:MAX_LO]] if window.explanation else None,
            voi_lut_function=window.function,
            referenced_images=hd.ReferencedImageSequence(referenced_images=members),
        ))
    return result or None  # type: ignore[return-value]


def _own_window(ds: Dataset) -> Window | None:
    centers, widths = ds.get("WindowCenter"), ds.get("WindowWidth")
    if centers is None or widths is None:
        return None
    try:
        center = float(centers[0] if hasattr(centers, "__len__") else centers)
        width = float(widths[0] if hasattr(widths, "__len__") else widths)
    except (TypeError, ValueError, IndexError):
        return None
    return Window(center, width) if width > 0 else None
