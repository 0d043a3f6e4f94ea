"""Where each slice of a series lies along its slice normal, and which slice of another
series lies at the same place.

A slice's position is Image Position (Patient) projected on the normal of the image
plane (the cross product of the row and column directions of Image Orientation
(Patient)); enhanced multi-frame files give both per frame in their functional groups.
Slice Location is the fallback when a series does not give positions.

Two series scroll together only when their planes are parallel (axial with axial). With
the same Frame of Reference UID their positions are in one coordinate system and compare
directly; otherwise (a scan from last year) an offset in millimetres says how one maps
onto the other: the user lines up one pair of slices once, and the offset is kept.
"""

import bisect
import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydicom.dataset import Dataset

from app.core.dicom_values import element_text, element_value, frame_count, to_number
from app.imaging.orientation import functional_groups, image_orientation

Vector = tuple[float, float, float]

# Follow-up scans are rarely tilted exactly alike: planes within this angle still count
# as parallel. Beyond it (axial against sagittal, or a strongly tilted oblique) scrolling
# together would show different anatomy and is refused.
MAX_PLANE_ANGLE_DEGREES = 15.0
# Positions within this distance are the same place (DS values are rounded on write).
POSITION_EPSILON_MM = 0.01


@dataclass(frozen=True)
class SliceGeometry:
    """What one frame's header says of where it lies: Image Position (Patient), Image
    Orientation (Patient) (row then column cosines), Slice Location, Frame of Reference."""

    position: Vector | None = None
    orientation: tuple[float, ...] | None = None
    slice_location: float | None = None
    frame_of_reference_uid: str = ""


def slice_geometry(header: Dataset, frame: int = 0) -> SliceGeometry:
    """The geometry of ``frame`` of the file whose header is ``header``.

    Enhanced multi-frame files give position and orientation per frame (then shared) in
    their functional groups; other files at the top level. Slice Location is read only
    for single-frame files, where it describes the one frame. Never raises.
    """
    position = None
    for groups in functional_groups(header, frame):
        planes = element_value(groups, "PlanePositionSequence")
        if isinstance(planes, Sequence) and planes:
            try:
                position = _three_floats(element_value(planes[0], "ImagePositionPatient"))
            except Exception:  # a damaged sequence item is no position
                position = None
            if position is not None:
                break
    if position is None:
        position = _three_floats(element_value(header, "ImagePositionPatient"))
    location = None
    if frame_count(element_value(header, "NumberOfFrames")) <= 1:
        location = to_number(element_value(header, "SliceLocation"))
    return SliceGeometry(
        position=position,
        orientation=image_orientation(header, frame),
        slice_location=location,
        frame_of_reference_uid=element_text(header, "FrameOfReferenceUID"),
    )


def header_geometries(header: Dataset) -> list[SliceGeometry]:
    """The geometry of every frame of the file whose header is ``header``."""
    frames = frame_count(element_value(header, "NumberOfFrames"))
    return [slice_geometry(header, frame) for frame in range(frames)]


def _three_floats(value: object) -> Vector | None:
    if value is None or isinstance(value, str | bytes):
        return None
    try:
        values = tuple(float(v) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return None
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        return None
    return (values[0], values[1], values[2])


def plane_normal(orientation: Sequence[float] | None) -> Vector | None:
    """The unit normal of an image plane from its six direction cosines, or None when
    they do not describe a plane (missing, zero or parallel directions)."""
    if orientation is None or len(orientation) != 6:
        return None
    rx, ry, rz, cx, cy, cz = (float(v) for v in orientation)
    normal = (ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx)
    length = math.sqrt(sum(v * v for v in normal))
    if not math.isfinite(length) or length < 1e-6:
        return None
    return (normal[0] / length, normal[1] / length, normal[2] / length)


def _dot(a: Vector, b: Vector) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


PositionSource = Literal["position", "slice-location", "none"]


@dataclass(frozen=True)
class StackPositions:
    """The slices of one series placed along a slice normal, in millimetres.

    ``positions[i]`` is slice ``i``'s position (None when its header does not say);
    ``source`` says where the positions come from; ``points`` keeps each slice's Image
    Position (Patient) so that another series can be placed along this one's normal.
    """

    positions: tuple[float | None, ...]
    normal: Vector | None
    source: PositionSource
    frame_of_reference_uid: str
    points: tuple[Vector | None, ...] = ()

    @property
    def known(self) -> list[float]:
        """The positions that are known, in slice order."""
        return [p for p in self.positions if p is not None]

    @property
    def spacing(self) -> float | None:
        """The usual distance between neighbouring slices (the median step), or None with
        fewer than two distinct positions."""
        ordered = sorted(set(round(p, 3) for p in self.known))
        steps = [b - a for a, b in itertools.pairwise(ordered)]
        return statistics.median(steps) if steps else None

    @property
    def middle(self) -> float | None:
        """Half way between the first and the last position along the normal."""
        known = self.known
        return (min(known) + max(known)) / 2 if known else None

    def along(self, normal: Vector) -> tuple[float | None, ...]:
        """The positions measured along another series' ``normal``: Image Position
        projected on it when known (exact for tilted or opposite normals), else this
        series' own positions, turned round when the normals point opposite ways."""
        if self.source == "position" and self.points:
            return tuple(None if p is None else _dot(p, normal) for p in self.points)
        if self.normal is not None and _dot(self.normal, normal) < 0:
            return tuple(None if p is None else -p for p in self.positions)
        return self.positions


def stack_positions(geometries: Sequence[SliceGeometry | None]) -> StackPositions:
    """Place the slices described by ``geometries`` (one per slice, None when unknown).

    The normal is that of the most common orientation; slices lying in another plane
    (the odd localizer in a series) get no position. Image Position is used when it
    places at least as many slices as Slice Location does, so one series never mixes
    the two.
    """
    normals = [plane_normal(g.orientation) if g is not None else None for g in geometries]
    normal = _most_common_normal(normals)
    frames = [g.frame_of_reference_uid for g in geometries if g and g.frame_of_reference_uid]
    frame_uid = max(set(frames), key=frames.count) if frames else ""

    points: list[Vector | None] = []
    by_position: list[float | None] = []
    for geometry, own in zip(geometries, normals, strict=True):
        in_plane = normal is not None and (own is None or _parallel(own, normal))
        point = geometry.position if geometry is not None and in_plane else None
        points.append(point)
        by_position.append(None if point is None or normal is None else _dot(point, normal))
    by_location = [g.slice_location if g is not None else None for g in geometries]

    placed_by_position = sum(p is not None for p in by_position)
    placed_by_location = sum(p is not None for p in by_location)
    if placed_by_position and placed_by_position >= placed_by_location:
        return StackPositions(tuple(by_position), normal, "position", frame_uid, tuple(points))
    if placed_by_location:
        return StackPositions(tuple(by_location), normal, "slice-location", frame_uid)
    return StackPositions(tuple(None for _ in geometries), normal, "none", frame_uid)


def _most_common_normal(normals: Sequence[Vector | None]) -> Vector | None:
    groups: list[tuple[Vector, int]] = []
    for normal in normals:
        if normal is None:
            continue
        for i, (seen, count) in enumerate(groups):
            if _parallel(seen, normal):
                groups[i] = (seen, count + 1)
                break
        else:
            groups.append((normal, 1))
    return max(groups, key=lambda g: g[1])[0] if groups else None


def _parallel(a: Vector, b: Vector) -> bool:
    return abs(_dot(a, b)) >= math.cos(math.radians(MAX_PLANE_ANGLE_DEGREES))


LinkProblem = Literal["", "no-position-a", "no-position-b", "different-planes"]


@dataclass(frozen=True)
class Linkage:
    """Whether series B can scroll with series A, and how.

    ``problem`` is "" when it can; ``same_frame`` says the positions compare directly
    (same Frame of Reference UID); otherwise an offset is needed.
    """

    problem: LinkProblem
    same_frame: bool

    @property
    def linkable(self) -> bool:
        """True when the two series can scroll together."""
        return not self.problem


def linkage(a: StackPositions, b: StackPositions) -> Linkage:
    """Whether ``b`` can scroll with ``a``: both must place their slices, in parallel
    planes when both say which plane. Series without orientation (Slice Location only)
    are trusted to be parallel."""
    same_frame = bool(a.frame_of_reference_uid) and (
        a.frame_of_reference_uid == b.frame_of_reference_uid)
    if not a.known:
        return Linkage("no-position-a", same_frame)
    if not b.known:
        return Linkage("no-position-b", same_frame)
    if a.normal is not None and b.normal is not None and not _parallel(a.normal, b.normal):
        return Linkage("different-planes", same_frame)
    return Linkage("", same_frame)


MatchKind = Literal["match", "before-start", "after-end", "gap", "unknown"]


@dataclass(frozen=True)
class SliceMatch:
    """The slice of B at a position of A.

    ``kind`` "match": ``index`` lies within half a slice spacing of the position.
    "before-start" / "after-end": the position lies beyond B's first / last slice
    (in B's slice order) and ``index`` is that end slice. "gap": the position lies
    inside B's range but no slice is near it; ``index`` is the nearest slice.
    "unknown": A's slice or B's series has no position; ``index`` is None.
    ``distance_mm`` is how far ``index`` lies from the position.
    """

    kind: MatchKind
    index: int | None
    distance_mm: float | None = None


class SliceMapper:
    """Maps slice indices of series A onto series B (linkable, see :func:`linkage`).

    B's positions are measured along A's normal, so a reversed slice order, opposite
    normals or a slight tilt map correctly; ``offset_mm`` is added to A's position
    (0 for series of the same Frame of Reference).
    """

    def __init__(self, a: StackPositions, b: StackPositions) -> None:
        self.a = a
        self.b = b
        if a.normal is not None:
            self.a_positions = a.along(a.normal)
            self.b_positions = b.along(a.normal)
        else:
            self.a_positions, self.b_positions = a.positions, b.positions
        placed = sorted((p, i) for i, p in enumerate(self.b_positions) if p is not None)
        self._sorted = [p for p, _ in placed]
        self._indices = [i for _, i in placed]
        self._first_placed = min(self._indices, default=0)  # B's first image with a position
        spacing = StackPositions(tuple(self._sorted), None, "position", "").spacing
        # One slice alone has no spacing: A's stands in, so a lone slice still matches
        # the slices of A around it.
        spacing = spacing if spacing is not None else StackPositions(
            tuple(p for p in self.a_positions), None, "position", "").spacing
        self.tolerance = (spacing / 2 if spacing is not None else 0.5) + POSITION_EPSILON_MM

    def position_a(self, index: int) -> float | None:
        """Slice ``index`` of A along A's normal (None when unknown or out of range)."""
        return self.a_positions[index] if 0 <= index < len(self.a_positions) else None

    def position_b(self, index: int) -> float | None:
        """Slice ``index`` of B along A's normal (None when unknown or out of range)."""
        return self.b_positions[index] if 0 <= index < len(self.b_positions) else None

    def offset_of(self, index_a: int, index_b: int) -> float | None:
        """The offset that lines up slice ``index_a`` of A with ``index_b`` of B:
        position of B minus position of A, in mm (None when either is unknown)."""
        pa, pb = self.position_a(index_a), self.position_b(index_b)
        return None if pa is None or pb is None else pb - pa

    def match(self, index_a: int, offset_mm: float = 0.0) -> SliceMatch:
        """The slice of B at the position of A's slice ``index_a`` plus ``offset_mm``."""
        pa = self.position_a(index_a)
        if pa is None or not self._sorted:
            return SliceMatch("unknown", None)
        return self.match_position(pa + offset_mm)

    def match_position(self, target: float) -> SliceMatch:
        """The slice of B nearest ``target`` (mm along A's normal); see SliceMatch."""
        if not self._sorted:
            return SliceMatch("unknown", None)
        at = bisect.bisect_left(self._sorted, target)
        candidates = [k for k in (at - 1, at) if 0 <= k < len(self._sorted)]
        # Ties go to the lower slice index, so the answer never depends on sort order.
        k = min(candidates, key=lambda c: (abs(self._sorted[c] - target), self._indices[c]))
        index = self._indices[k]
        distance = abs(self._sorted[k] - target)
        if distance <= self.tolerance:
            return SliceMatch("match", index, distance)
        if self._sorted[0] <= target <= self._sorted[-1]:
            return SliceMatch("gap", index, distance)
        # Beyond B's range: name the end in B's own slice order (its first or last image).
        lone = len(self._sorted) == 1
        first = target < self._sorted[0] if lone else index == self._first_placed
        return SliceMatch("before-start" if first else "after-end", index, distance)
