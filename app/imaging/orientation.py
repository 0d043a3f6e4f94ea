"""Orientation markers: which patient direction each side of the viewport faces.

DICOM's patient coordinate system (PS3.3 C.7.6.2.1.1): +x towards the patient's left (L),
+y posterior (P), +z towards the head (H); the opposites are R, A and F. Image Orientation
(Patient) gives the direction of the first row (left to right across the image) and of
the first column (top to bottom), as direction cosines.

A side is named by up to three letters, one per axis whose cosine reaches
``OBLIQUE_THRESHOLD`` in size, largest first: an axial slice tilted 30 degrees shows "LP"
rather than "L". 0.25 (about 15 degrees off an axis) keeps the small tilts of
routine axial slices (gantry tilt, positioning) to one letter, as dcm4che, Weasis and
OsiriX show them, while real obliques get their second letter.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pydicom.dataset import Dataset

from app.core.dicom_values import element_value
from app.imaging.viewport import ViewportState

OBLIQUE_THRESHOLD = 0.25
# Row and column directions further from perpendicular than this are no orientation.
_ORTHOGONALITY_TOLERANCE = 0.1

Vector = tuple[float, float, float]


@dataclass(frozen=True)
class OrientationMarkers:
    """The letters to draw at the middle of each side of the viewport, e.g. left "R"."""

    left: str
    right: str
    top: str
    bottom: str


def direction_letters(vector: Sequence[float], threshold: float = OBLIQUE_THRESHOLD) -> str:
    """The patient direction of ``vector`` (x, y, z) as up to three letters, strongest
    first: (1, 0, 0) is "L", (0.8, 0.6, 0) is "LP"; "" for a zero vector."""
    letters = []
    # Largest first; equal sizes in x, y, z order.
    for negative_size, axis in sorted((-abs(c), i) for i, c in enumerate(vector[:3])):
        size = -negative_size
        if size >= threshold and size > 0:
            component = vector[axis]
            letters.append(("RL", "AP", "FH")[axis][component > 0])
    return "".join(letters)


def orientation_markers(
    image_orientation: Sequence[object] | None,
    rotation: int = 0,
    flip_h: bool = False,
    flip_v: bool = False,
) -> OrientationMarkers | None:
    """The four side labels for an image with ``image_orientation`` (the six values of
    Image Orientation (Patient): row cosines, then column cosines) shown turned clockwise
    by ``rotation`` degrees, then mirrored as seen on the screen (as ``ViewportState``
    does). None when the orientation is missing or malformed: then draw no markers.
    """
    axes = _row_and_column(image_orientation)
    if axes is None or rotation % 90:
        return None
    right, down = axes
    for _ in range((rotation % 360) // 90):
        # Turning clockwise moves the old top edge to the right, the old left to the top.
        right, down = _negated(down), right
    if flip_h:
        right = _negated(right)
    if flip_v:
        down = _negated(down)
    return OrientationMarkers(
        left=direction_letters(_negated(right)),
        right=direction_letters(right),
        top=direction_letters(_negated(down)),
        bottom=direction_letters(down),
    )


def markers_for_view(
    image_orientation: Sequence[object] | None, state: ViewportState
) -> OrientationMarkers | None:
    """``orientation_markers`` for the rotation and flips of a viewport ``state``."""
    return orientation_markers(image_orientation, state.rotation, state.flip_h, state.flip_v)


def image_orientation(header: Dataset, frame: int = 0) -> tuple[float, ...] | None:
    """Image Orientation (Patient) of ``frame``: from the enhanced multi-frame functional
    groups (per frame, then shared) when present, else the top level; None if absent."""
    for groups in functional_groups(header, frame):
        planes = groups.get("PlaneOrientationSequence")
        if planes:
            value = element_value(planes[0], "ImageOrientationPatient")
            if value is not None:
                return _six_floats(value)
    value = element_value(header, "ImageOrientationPatient")
    return None if value is None else _six_floats(value)


def functional_groups(header: Dataset, frame: int) -> list[Dataset]:
    """The per-frame item of ``frame`` and the shared item of an enhanced multi-frame
    header, in that order (where a value is looked for first); [] when there are none
    or they are damaged."""
    found: list[Dataset] = []
    try:
        per_frame = header.get("PerFrameFunctionalGroupsSequence")
        if per_frame and 0 <= frame < len(per_frame):
            found.append(per_frame[frame])
        shared = header.get("SharedFunctionalGroupsSequence")
        if shared:
            found.append(shared[0])
    except Exception:  # A damaged sequence is no geometry, never a failed image.
        return []
    return found


def _six_floats(value: object) -> tuple[float, ...] | None:
    if isinstance(value, str | bytes):
        return None  # One unsplit string is a damaged element, not six numbers.
    try:
        values = tuple(float(v) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return None
    return values if len(values) == 6 else None


def _row_and_column(image_orientation: Sequence[object] | None) -> tuple[Vector, Vector] | None:
    if image_orientation is None:
        return None
    values = _six_floats(image_orientation)
    if values is None or not all(math.isfinite(v) for v in values):
        return None
    row = _unit(values[:3])
    column = _unit(values[3:])
    if row is None or column is None:
        return None
    if abs(sum(a * b for a, b in zip(row, column, strict=True))) > _ORTHOGONALITY_TOLERANCE:
        return None
    return row, column


def _unit(vector: Sequence[float]) -> Vector | None:
    length = math.sqrt(sum(c * c for c in vector))
    if length < 1e-6:
        return None
    x, y, z = (c / length for c in vector)
    return x, y, z


def _negated(vector: Vector) -> Vector:
    return -vector[0], -vector[1], -vector[2]
