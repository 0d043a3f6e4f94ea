"""Grayscale Softcopy Presentation States (GSPS) read into what a viewer draws.

A presentation state is a DICOM object that points at images and says how to show them:
graphics and text drawn over them, and a window. This module holds the neutral data the
viewer draws (:class:`Graphic`, :class:`TextNote`, per :class:`ImageRef`) and reads any
GSPS into it (:func:`read_gsps`); :mod:`app.imaging.gsps_writer` writes one.

Coordinates. Every point here is in *image coordinates*: ``(x, y)`` = (column, row) in
pixels, as floats, with ``(0, 0)`` the top-left **corner** of the top-left pixel; the pixel
in column ``c`` and row ``r`` covers [c, c + 1) × [r, r + 1), its centre is
(c + 0.5, r + 0.5), and the bottom-right corner of the image is (Columns, Rows). This is the
convention of :mod:`app.imaging.measure` and exactly DICOM's PIXEL annotation units
(PS3.3 C.10.5.1.2), so points go between the viewer and a GSPS unchanged.

Frames count from 0 here (as in :class:`app.imaging.slices.Slice`); DICOM's Referenced
Frame Number counts from 1.

Graphic kinds and their points:

- ``point``: one point.
- ``polyline``: two or more points, open.
- ``polygon``: three or more points, closed (the first point is not repeated).
- ``circle``: the centre, then a point on the circle (as DICOM's CIRCLE).
- ``ellipse``: the two ends of the major axis, then the two ends of the minor axis (as
  DICOM's ELLIPSE).
- ``arrow``: the tail, then the tip (what it points at). GSPS has no arrow graphic type
  (the Compound Graphic ARROW of newer editions is rarely read by viewers), so an arrow
  is written as one POLYLINE that draws the shaft and both sides of the head
  (tail, tip, wing, tip, wing): every GSPS viewer shows it as an arrow, and
  :func:`read_gsps` recognises that shape as an arrow again.

``smooth`` marks DICOM's INTERPOLATED (a curve through the points rather than straight
segments; :mod:`app.imaging.curves` draws it); ``filled`` is DICOM's Graphic Filled (a
closed shape shown filled in).

Besides annotations, a presentation state says how to frame each image: the part of it to
show and at what size (:class:`DisplayedArea`, from the Displayed Area Selection), and a
turn and a mirror for the whole state (``rotation``, ``flip_h`` of
:class:`PresentationState`). :mod:`app.services.gsps_view` applies them.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence as DicomSequence

from app.core.errors import PresentationStateError
from app.imaging.luts import VoiFunction, Window

GSPS_CLASS = "1.2.840.10008.5.1.4.1.1.11.1"
# Colour, pseudo-colour and blending states share the graphic annotation modules.
PRESENTATION_STATE_PREFIX = "1.2.840.10008.5.1.4.1.1.11."

SizeMode = Literal["SCALE TO FIT", "TRUE SIZE", "MAGNIFY"]
GraphicKind = Literal["polyline", "polygon", "ellipse", "circle", "point", "arrow"]
Point = tuple[float, float]

# The head of a written arrow: its sides' length as a share of the shaft (capped) and
# their angle to the shaft.
ARROW_HEAD_SHARE = 0.25
ARROW_HEAD_MAX = 12.0
ARROW_HEAD_DEGREES = 25.0
_SAME = 1e-3  # points closer than this (pixels) are the same point (GSPS stores float32)

_POINT_COUNTS: dict[str, tuple[int, int | None]] = {
    "point": (1, 1), "polyline": (2, None), "polygon": (3, None),
    "circle": (2, 2), "ellipse": (4, 4), "arrow": (2, 2),
}


@dataclass(frozen=True)
class ImageRef:
    """One referenced image: a frame (from 0) of an instance, or every frame (None)."""

    sop_class_uid: str
    sop_instance_uid: str
    frame: int | None = None


@dataclass(frozen=True)
class Graphic:
    """A shape drawn on an image; see the module docstring for kinds and coordinates."""

    kind: GraphicKind
    points: tuple[Point, ...]
    label: str = ""
    filled: bool = False
    smooth: bool = False

    def __post_init__(self) -> None:
        least, most = _POINT_COUNTS[self.kind]
        count = len(self.points)
        if count < least or (most is not None and count > most):
            wanted = str(least) if least == most else f"at least {least}"
            raise PresentationStateError(
                f"A {self.kind} needs {wanted} point{'s' if wanted != '1' else ''}, "
                f"not {count}."
            )


@dataclass(frozen=True)
class TextNote:
    """Text shown on an image.

    ``anchor`` is where it belongs: the anchor point, or the top-left corner of its box
    when it has only a box. ``box`` is (left, top, right, bottom) when the text has one.
    ``anchor_shown``: the viewer should draw a line from the text to the anchor point
    (DICOM's Anchor Point Visibility; how GSPS points at something with words).
    """

    text: str
    anchor: Point
    box: tuple[float, float, float, float] | None = None
    anchor_shown: bool = False


@dataclass(frozen=True)
class DisplayedArea:
    """The part of an image a presentation state shows, and at what size.

    ``area`` is (left, top, right, bottom) in image coordinates (corners, as everywhere
    here; it may reach past the image). ``mode`` is DICOM's Presentation Size Mode: fit
    the area to the view, show it at its true physical size, or ``magnification`` screen
    pixels per image pixel (MAGNIFY).
    """

    area: tuple[float, float, float, float]
    mode: SizeMode = "SCALE TO FIT"
    magnification: float = 1.0


@dataclass(frozen=True)
class ImageAnnotations:
    """What a presentation state says about one image (or one frame)."""

    image: ImageRef
    graphics: tuple[Graphic, ...] = ()
    notes: tuple[TextNote, ...] = ()
    window: Window | None = None
    displayed_area: DisplayedArea | None = None


@dataclass(frozen=True)
class PresentationState:
    """A GSPS as the viewer uses it.

    ``images`` has one entry per referenced image (frame) in the order the object
    references them; ``skipped`` says in one sentence each what could not be shown.
    ``rotation`` (clockwise degrees) and ``flip_h`` are DICOM's Image Rotation and Image
    Horizontal Flip: the image is mirrored left-right first, then turned.
    """

    sop_instance_uid: str
    label: str
    description: str
    creator: str
    images: tuple[ImageAnnotations, ...]
    skipped: tuple[str, ...] = field(default=())
    created: str = ""  # Presentation Creation Date, YYYYMMDD as written ("" when absent)
    rotation: int = 0
    flip_h: bool = False

    def for_image(self, sop_instance_uid: str, frame: int = 0) -> ImageAnnotations | None:
        """Everything to draw on frame ``frame`` of an instance (what is said for every
        frame and what is said for this frame), or None if it is not referenced."""
        found = [a for a in self.images if a.image.sop_instance_uid == sop_instance_uid
                 and a.image.frame in (None, frame)]
        if not found:
            return None
        window = next((a.window for a in reversed(found) if a.window is not None), None)
        area = next((a.displayed_area for a in reversed(found)
                     if a.displayed_area is not None), None)
        return ImageAnnotations(
            image=ImageRef(found[0].image.sop_class_uid, sop_instance_uid, frame),
            graphics=tuple(g for a in found for g in a.graphics),
            notes=tuple(n for a in found for n in a.notes),
            window=window,
            displayed_area=area,
        )


def arrow_outline(tail: Point, tip: Point) -> tuple[Point, ...]:
    """The five points of an arrow drawn as one polyline: tail, tip, wing, tip, wing."""
    dx, dy = tail[0] - tip[0], tail[1] - tip[1]
    length = math.hypot(dx, dy)
    if length < _SAME:
        raise PresentationStateError("An arrow needs two different points.")
    head = min(length * ARROW_HEAD_SHARE, ARROW_HEAD_MAX)
    back = math.atan2(dy, dx)
    turn = math.radians(ARROW_HEAD_DEGREES)
    wings = [(tip[0] + head * math.cos(back + s * turn), tip[1] + head * math.sin(back + s * turn))
             for s in (1, -1)]
    return (tail, tip, wings[0], tip, wings[1])


def _close(a: Point, b: Point, tolerance: float = _SAME) -> bool:
    return abs(a[0] - b[0]) <= tolerance and abs(a[1] - b[1]) <= tolerance


def _as_arrow(points: Sequence[Point]) -> tuple[Point, Point] | None:
    """(tail, tip) when a polyline has the shape of an arrow: tail, tip, wing, tip, wing,
    each wing shorter than the shaft and turned back towards the tail. Other writers'
    heads differ in size and angle, and ours are pulled onto the image at its edge, so
    neither is required to be symmetric."""
    if len(points) != 5 or not _close(points[1], points[3]):
        return None
    tail, tip = points[0], points[1]
    shaft = math.dist(tail, tip)
    if shaft < _SAME:
        return None
    ux, uy = (tail[0] - tip[0]) / shaft, (tail[1] - tip[1]) / shaft
    for wing in (points[2], points[4]):
        side = math.dist(tip, wing)
        along = (wing[0] - tip[0]) * ux + (wing[1] - tip[1]) * uy
        if not (_SAME < side < shaft and along > 0.1 * side):
            return None
    # The two wings on either side of the shaft (or one on it, at the image's edge).
    across = [(w[0] - tip[0]) * uy - (w[1] - tip[1]) * ux for w in (points[2], points[4])]
    if across[0] * across[1] > 0:
        return None
    return tail, tip


# -- reading -----------------------------------------------------------------------------


def read_gsps(ds: Dataset) -> PresentationState:
    """Read a presentation state written by anyone into what the viewer draws.

    Graphics in PIXEL units are read as they are; in DISPLAY units they are mapped
    through the displayed area when that is a plain rectangle of the unrotated image,
    otherwise left out with a sentence in ``skipped``. Anything malformed (missing
    references, wrong values, a graphic whose point count does not add up) raises
    :class:`PresentationStateError` with one sentence; nothing pydicom raises gets out.
    """
    try:
        return _read(ds)
    except PresentationStateError:
        raise
    except Exception as exc:  # pydicom parses lazily: a bad value fails where it is read.
        raise PresentationStateError(
            f"The presentation state is damaged and cannot be read ({_short(exc)})."
        ) from exc


def _short(exc: Exception) -> str:
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    if value is None:
        return ""
    if isinstance(value, (list, tuple, MultiValue)):
        value = value[0] if len(value) else ""
    return str(value).strip()


def _sequence(ds: Dataset, keyword: str) -> list[Dataset]:
    value = ds.get(keyword)
    if value is None:
        return []
    if not isinstance(value, DicomSequence):
        raise PresentationStateError(f"The presentation state's {keyword} is not a sequence.")
    return list(value)


def _numbers(ds: Dataset, keyword: str) -> list[float]:
    value = ds.get(keyword)
    if value is None or value == "":
        return []
    values = list(value) if isinstance(value, Iterable) and not isinstance(
        value, (str, bytes)) else [value]
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError) as exc:
        raise PresentationStateError(
            f"The presentation state's {keyword} holds something other than numbers."
        ) from exc
    if not all(math.isfinite(n) for n in numbers):
        raise PresentationStateError(
            f"The presentation state's {keyword} holds a number that is not finite."
        )
    return numbers


def _frames(item: Dataset) -> list[int | None]:
    numbers = _numbers(item, "ReferencedFrameNumber")
    if not numbers:
        return [None]
    if any(n < 1 or n != int(n) for n in numbers):
        raise PresentationStateError("It refers to a frame number below 1.")
    return [int(n) - 1 for n in numbers]


def _image_refs(items: list[Dataset]) -> list[ImageRef]:
    refs: list[ImageRef] = []
    for item in items:
        uid = _text(item, "ReferencedSOPInstanceUID")
        if not uid:
            raise PresentationStateError("It refers to an image without its UID.")
        klass = _text(item, "ReferencedSOPClassUID")
        refs.extend(ImageRef(klass, uid, frame) for frame in _frames(item))
    return refs


def _applies_to(item: Dataset, everything: list[ImageRef]) -> list[ImageRef]:
    """The images an annotation or window item applies to: those it lists (every frame
    of an instance it lists without frames), or every referenced image."""
    listed = _sequence(item, "ReferencedImageSequence")
    if not listed:
        return everything
    return _image_refs(listed)


@dataclass
class _Image:
    graphics: list[Graphic] = field(default_factory=list)
    notes: list[TextNote] = field(default_factory=list)
    window: Window | None = None
    displayed_area: DisplayedArea | None = None


def _read(ds: Dataset) -> PresentationState:
    klass = _text(ds, "SOPClassUID")
    if not klass.startswith(PRESENTATION_STATE_PREFIX):
        raise PresentationStateError("This object is not a presentation state.")
    series = _sequence(ds, "ReferencedSeriesSequence")
    if not series:
        raise PresentationStateError("The presentation state refers to no images.")
    everything: list[ImageRef] = []
    for item in series:
        images = _sequence(item, "ReferencedImageSequence")
        if not images:
            raise PresentationStateError(
                "The presentation state names a series but none of its images."
            )
        everything.extend(_image_refs(images))
    state: dict[ImageRef, _Image] = {ref: _Image() for ref in everything}
    skipped: list[str] = []

    def image(ref: ImageRef) -> _Image:
        return state.setdefault(ref, _Image())

    display = _DisplayAreas(ds)
    groups = _group_labels(ds)
    for annotation in _sequence(ds, "GraphicAnnotationSequence"):
        targets = _applies_to(annotation, everything)
        for ref in targets:
            graphics, notes = _annotation(annotation, ref, display, groups, skipped)
            image(ref).graphics.extend(graphics)
            image(ref).notes.extend(notes)
    for voi in _sequence(ds, "SoftcopyVOILUTSequence"):
        window = _window(voi, skipped)
        if window is not None:
            for ref in _applies_to(voi, everything):
                image(ref).window = window
    for item in display.items:
        area = _displayed_area(item, skipped)
        if area is not None:
            for ref in _applies_to(item, everything):
                image(ref).displayed_area = area
    rotation, flip_h = _spatial(ds, skipped)
    return PresentationState(
        sop_instance_uid=_text(ds, "SOPInstanceUID"),
        label=_text(ds, "ContentLabel"),
        description=_text(ds, "ContentDescription"),
        creator=_text(ds, "ContentCreatorName"),
        images=tuple(ImageAnnotations(ref, tuple(v.graphics), tuple(v.notes), v.window,
                                      v.displayed_area)
                     for ref, v in state.items()),
        skipped=tuple(dict.fromkeys(skipped)),
        created=_text(ds, "PresentationCreationDate"),
        rotation=rotation,
        flip_h=flip_h,
    )


def _displayed_area(item: Dataset, skipped: list[str]) -> DisplayedArea | None:
    """One Displayed Area Selection item, or None (with a sentence) when it is unusable."""
    top_left = _numbers(item, "DisplayedAreaTopLeftHandCorner")
    bottom_right = _numbers(item, "DisplayedAreaBottomRightHandCorner")
    if len(top_left) != 2 or len(bottom_right) != 2:
        skipped.append("The part of the image to show is not given properly; "
                       "the whole image is shown.")
        return None
    # Corners name pixels counted from 1; the area runs from the first one's top-left
    # corner to the last one's bottom-right corner (top-left as seen after any turn, so
    # the two may be in any order in the image itself).
    xs = sorted((top_left[0], bottom_right[0]))
    ys = sorted((top_left[1], bottom_right[1]))
    area = (xs[0] - 1, ys[0] - 1, xs[1], ys[1])
    mode = _text(item, "PresentationSizeMode").upper()
    if mode == "MAGNIFY":
        ratio = _numbers(item, "PresentationPixelMagnificationRatio")
        if ratio and ratio[0] > 0:
            return DisplayedArea(area, "MAGNIFY", ratio[0])
        return DisplayedArea(area)
    if mode == "TRUE SIZE":
        return DisplayedArea(area, "TRUE SIZE")
    return DisplayedArea(area)


def _spatial(ds: Dataset, skipped: list[str]) -> tuple[int, bool]:
    """(Image Rotation, Image Horizontal Flip); a turn other than a quarter is left out."""
    flip_h = _text(ds, "ImageHorizontalFlip").upper() == "Y"
    numbers = _numbers(ds, "ImageRotation")
    if not numbers:
        return 0, flip_h
    if numbers[0] not in (0, 90, 180, 270):
        skipped.append(f"Its turn of {numbers[0]:g} degrees is not one Lightbox can show.")
        return 0, flip_h
    return int(numbers[0]), flip_h


def _window(item: Dataset, skipped: list[str]) -> Window | None:
    centers, widths = _numbers(item, "WindowCenter"), _numbers(item, "WindowWidth")
    if centers and widths:
        function = _text(item, "VOILUTFunction").upper() or "LINEAR"
        if function not in ("LINEAR", "LINEAR_EXACT", "SIGMOID"):
            function = "LINEAR"
        voi_function: VoiFunction = function  # type: ignore[assignment]
        if widths[0] <= 0:
            raise PresentationStateError("Its window has a width that is not above 0.")
        return Window(centers[0], widths[0], voi_function,
                      _text(item, "WindowCenterWidthExplanation"))
    if _sequence(item, "VOILUTSequence"):
        skipped.append("Its window is a lookup table, which Lightbox does not apply yet.")
    return None


def _group_labels(ds: Dataset) -> dict[int, str]:
    labels: dict[int, str] = {}
    for item in _sequence(ds, "GraphicGroupSequence"):
        numbers = _numbers(item, "GraphicGroupID")
        if numbers:
            labels[int(numbers[0])] = _text(item, "GraphicGroupLabel")
    return labels


class _DisplayAreas:
    """Maps DISPLAY units (fractions of the displayed area) to image coordinates when
    the displayed area is simple: one rectangle for the image, no rotation or flip."""

    def __init__(self, ds: Dataset) -> None:
        self.items = _sequence(ds, "DisplayedAreaSelectionSequence")
        rotation = _numbers(ds, "ImageRotation")
        self.turned = bool(rotation and rotation[0]) or (
            _text(ds, "ImageHorizontalFlip").upper() == "Y")

    def rectangle(self, ref: ImageRef) -> tuple[float, float, float, float] | None:
        """(left, top, right, bottom) of the displayed area in DICOM PIXEL units."""
        if self.turned:
            return None
        found = []
        for item in self.items:
            listed = _sequence(item, "ReferencedImageSequence")
            if not listed or any(r.sop_instance_uid == ref.sop_instance_uid
                                 and r.frame in (None, ref.frame) for r in _image_refs(listed)):
                found.append(item)
        if len(found) != 1:
            return None
        top_left = _numbers(found[0], "DisplayedAreaTopLeftHandCorner")
        bottom_right = _numbers(found[0], "DisplayedAreaBottomRightHandCorner")
        if len(top_left) != 2 or len(bottom_right) != 2:
            return None
        # Corners name pixels counted from 1; the area runs from the first one's top-left
        # corner to the last one's bottom-right corner.
        return (top_left[0] - 1, top_left[1] - 1, bottom_right[0], bottom_right[1])

    def to_pixel(self, ref: ImageRef, points: list[Point]) -> list[Point] | None:
        area = self.rectangle(ref)
        if area is None:
            return None
        left, top, right, bottom = area
        return [(left + x * (right - left), top + y * (bottom - top)) for x, y in points]


def _points(item: Dataset, keyword: str) -> list[Point]:
    numbers = _numbers(item, keyword)
    if len(numbers) % 2:
        raise PresentationStateError(
            f"The presentation state's {keyword} has an odd number of values."
        )
    return [(numbers[i], numbers[i + 1]) for i in range(0, len(numbers), 2)]


def _in_pixels(points: list[Point], units: str, ref: ImageRef, display: _DisplayAreas,
               skipped: list[str]) -> list[Point] | None:
    if units == "PIXEL":
        return points
    if units == "DISPLAY":
        mapped = display.to_pixel(ref, points)
        if mapped is None:
            skipped.append("Some annotations are placed relative to the screen in a way "
                           "Lightbox cannot map onto the image; they are not shown.")
            return None
        return mapped
    skipped.append(f"Some annotations use units Lightbox does not know ({units or 'none'}).")
    return None


_KINDS = {"POINT": "point", "POLYLINE": "polyline", "INTERPOLATED": "polyline",
          "CIRCLE": "circle", "ELLIPSE": "ellipse"}


def _annotation(
    item: Dataset, ref: ImageRef, display: _DisplayAreas, groups: dict[int, str],
    skipped: list[str],
) -> tuple[list[Graphic], list[TextNote]]:
    graphics: list[tuple[Graphic, int | None]] = []
    for obj in _sequence(item, "GraphicObjectSequence"):
        graphic = _graphic(obj, ref, display, skipped)
        if graphic is not None:
            graphics.append((graphic, _group(obj)))
    notes: list[tuple[TextNote, int | None]] = []
    for obj in _sequence(item, "TextObjectSequence"):
        note = _note(obj, ref, display, skipped)
        if note is not None:
            notes.append((note, _group(obj)))
    # A graphic and a text alone together in a graphic group: the text is its label.
    kept_notes: list[TextNote] = []
    labelled: dict[int, str] = {}
    for note, group in notes:
        in_group = [g for g, gid in graphics if gid is not None and gid == group]
        same = [n for n, gid in notes if gid is not None and gid == group]
        if group is not None and group in groups and len(in_group) == 1 and len(same) == 1:
            labelled[group] = note.text
        else:
            kept_notes.append(note)
    return ([Graphic(g.kind, g.points, labelled[gid], g.filled, g.smooth)
             if gid is not None and gid in labelled else g for g, gid in graphics], kept_notes)


def _group(obj: Dataset) -> int | None:
    numbers = _numbers(obj, "GraphicGroupID")
    return int(numbers[0]) if numbers else None


def _graphic(obj: Dataset, ref: ImageRef, display: _DisplayAreas,
             skipped: list[str]) -> Graphic | None:
    kind_code = _text(obj, "GraphicType").upper()
    if kind_code not in _KINDS:
        skipped.append(f"Some graphics are of a type Lightbox does not draw "
                       f"({kind_code or 'none'}).")
        return None
    dimensions = _numbers(obj, "GraphicDimensions")
    if dimensions and dimensions[0] != 2:
        raise PresentationStateError("A graphic has other than two dimensions.")
    points = _points(obj, "GraphicData")
    count = _numbers(obj, "NumberOfGraphicPoints")
    if count and int(count[0]) != len(points):
        raise PresentationStateError(
            f"A graphic says it has {int(count[0])} points but holds {len(points)}."
        )
    units = _text(obj, "GraphicAnnotationUnits").upper()
    pixels = _in_pixels(points, units, ref, display, skipped)
    if pixels is None:
        return None
    filled = _text(obj, "GraphicFilled").upper() == "Y"
    kind: GraphicKind = _KINDS[kind_code]  # type: ignore[assignment]
    smooth = kind_code == "INTERPOLATED"
    if kind == "polyline":
        arrow = None if smooth else _as_arrow(pixels)
        if arrow is not None:
            return Graphic("arrow", arrow)
        if len(pixels) >= 4 and _close(pixels[0], pixels[-1]):
            return Graphic("polygon", tuple(pixels[:-1]), filled=filled, smooth=smooth)
    try:
        return Graphic(kind, tuple(pixels), filled=filled, smooth=smooth)
    except PresentationStateError as exc:
        raise PresentationStateError(
            f"A graphic of type {kind_code} has the wrong number of points ({len(pixels)})."
        ) from exc


def _note(obj: Dataset, ref: ImageRef, display: _DisplayAreas,
          skipped: list[str]) -> TextNote | None:
    text = _text_value(obj)
    anchor = _points(obj, "AnchorPoint")
    box = _points(obj, "BoundingBoxTopLeftHandCorner") + _points(
        obj, "BoundingBoxBottomRightHandCorner")
    if len(anchor) > 1 or len(box) not in (0, 2):
        raise PresentationStateError("A text's anchor point or box is malformed.")
    if not anchor and not box:
        raise PresentationStateError("A text has neither an anchor point nor a box.")
    anchor_pixels = _in_pixels(anchor, _text(obj, "AnchorPointAnnotationUnits").upper(), ref,
                               display, skipped) if anchor else []
    box_pixels = _in_pixels(box, _text(obj, "BoundingBoxAnnotationUnits").upper(), ref,
                            display, skipped) if box else []
    if anchor_pixels is None or box_pixels is None or not (anchor_pixels or box_pixels):
        return None
    rectangle = None
    if box_pixels:
        (x1, y1), (x2, y2) = box_pixels
        rectangle = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    where = anchor_pixels[0] if anchor_pixels else (rectangle[0], rectangle[1])  # type: ignore[index]
    shown = bool(anchor_pixels) and _text(obj, "AnchorPointVisibility").upper() == "Y"
    return TextNote(text, where, rectangle, shown)


def _text_value(obj: Dataset) -> str:
    value: Any = obj.get("UnformattedTextValue", "")
    return str(value or "").strip()
