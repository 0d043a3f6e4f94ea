"""Which annotation the pointer is on, without Qt: distances in image pixels from a point
to each kind's drawn shape (a line, an outline, an ellipse's curve, a rectangle's edges,
a label's anchor), and which of an annotation's points (its handles) lies under it.

Distances are measured to what is drawn, not to the area inside: a click in the middle of
a large rectangle is on the image, not on the rectangle, so it can pan or start a new
drawing there.
"""

import itertools
import math
from collections.abc import Mapping, Sequence

from app.services.annotations import Annotation, Point

# Points on an ellipse's curve used to measure the distance to it: fine enough that the
# polygon lies within a hundredth of the radius of the true curve.
ELLIPSE_STEPS = 72
# A label is easier to hit than a line: it is clicked by its anchor, which is small.
LABEL_REACH = 2.0
# A selected freehand outline has a handle at about every this many tolerances along its
# line (its points are far denser): the line between two handles is left free to grab
# for moving the whole outline, and the squares do not hide the line.
OUTLINE_HANDLE_GAP = 4.0
# Where a label's text lies, in image pixels: (left, top, right, bottom). Only the GUI
# knows it (the text's size comes from the font), so it hands these to the session.
Box = tuple[float, float, float, float]


def distance_to_segment(point: Point, start: Point, end: Point) -> float:
    """The distance from ``point`` to the segment from ``start`` to ``end``."""
    px, py = point
    ax, ay = start
    bx, by = end
    dx, dy = bx - ax, by - ay
    length_squared = dx * dx + dy * dy
    if length_squared == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length_squared))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def distance_to_polyline(point: Point, points: Sequence[Point], closed: bool = False) -> float:
    """The distance from ``point`` to the lines joining ``points`` in order (and the last
    back to the first when ``closed``)."""
    if len(points) == 1:
        return math.hypot(point[0] - points[0][0], point[1] - points[0][1])
    pairs = list(itertools.pairwise(points))
    if closed and len(points) > 2:
        pairs.append((points[-1], points[0]))
    return min(distance_to_segment(point, a, b) for a, b in pairs)


def rectangle_outline(corner: Point, opposite: Point) -> tuple[Point, ...]:
    """The four corners of the axis-aligned rectangle with these opposite corners."""
    (x0, y0), (x1, y1) = corner, opposite
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def ellipse_outline(corner: Point, opposite: Point, steps: int = ELLIPSE_STEPS
                    ) -> tuple[Point, ...]:
    """Points around the ellipse inscribed in the rectangle with these opposite corners."""
    (x0, y0), (x1, y1) = corner, opposite
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    rx, ry = abs(x1 - x0) / 2, abs(y1 - y0) / 2
    return tuple((cx + rx * math.cos(2 * math.pi * i / steps),
                  cy + ry * math.sin(2 * math.pi * i / steps)) for i in range(steps))


def distance_to(annotation: Annotation, point: Point) -> float:
    """The distance in image pixels from ``point`` to what is drawn for ``annotation``."""
    points = annotation.points
    if annotation.kind in ("length", "arrow", "angle"):
        return distance_to_polyline(point, points)
    if annotation.kind == "rectangle":
        return distance_to_polyline(point, rectangle_outline(points[0], points[1]), True)
    if annotation.kind == "ellipse":
        return distance_to_polyline(point, ellipse_outline(points[0], points[1]), True)
    if annotation.kind == "freehand":
        return distance_to_polyline(point, points, True)
    # A text label: its anchor, reached from a little further away.
    return distance_to_polyline(point, points) / LABEL_REACH


def distance_to_box(point: Point, box: Box) -> float:
    """The distance from ``point`` to the box (0 inside it)."""
    x0, y0, x1, y1 = min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), \
        max(box[1], box[3])
    dx = max(x0 - point[0], 0.0, point[0] - x1)
    dy = max(y0 - point[1], 0.0, point[1] - y1)
    return math.hypot(dx, dy)


def hit(annotations: Sequence[Annotation], point: Point, tolerance: float,
        boxes: Mapping[str, Box] | None = None) -> Annotation | None:
    """The annotation under ``point`` (within ``tolerance`` image pixels): the nearest,
    and of equally near ones the last drawn (the one on top); None when none is near.
    ``boxes`` (annotation id -> where its label's text is drawn) make a label's whole
    text a place to pick it by."""
    best: Annotation | None = None
    best_distance = math.inf
    for annotation in annotations:
        distance = distance_to(annotation, point)
        box = boxes.get(annotation.id) if boxes else None
        if box is not None:
            distance = min(distance, distance_to_box(point, box))
        if distance <= tolerance and distance <= best_distance:
            best, best_distance = annotation, distance
    return best


def handle_indices(annotation: Annotation, tolerance: float) -> tuple[int, ...]:
    """Which of ``annotation``'s points are handles: all of them, except on a freehand
    outline the first and then the next point at least OUTLINE_HANDLE_GAP tolerances
    further along the line, round to the first."""
    points = annotation.points
    if annotation.kind != "freehand":
        return tuple(range(len(points)))
    gap = OUTLINE_HANDLE_GAP * tolerance
    indices = [0]
    travelled = 0.0
    for index in range(1, len(points)):
        travelled += math.dist(points[index - 1], points[index])
        if travelled >= gap:
            indices.append(index)
            travelled = 0.0
    if len(indices) > 1 and travelled + math.dist(points[-1], points[0]) < gap:
        indices.pop()  # Too near the first handle, round the closing edge.
    return tuple(indices)


def handles(annotation: Annotation, tolerance: float) -> tuple[Point, ...]:
    """The points a user can drag to change ``annotation``'s shape (``handle_indices``),
    ``tolerance`` being how near in image pixels a click must be to pick one."""
    return tuple(annotation.points[i] for i in handle_indices(annotation, tolerance))


def handle_at(annotation: Annotation, point: Point, tolerance: float) -> int | None:
    """The index in ``annotation.points`` of the handle under ``point`` (the nearest
    within ``tolerance`` image pixels), or None."""
    best: int | None = None
    best_distance = math.inf
    for index in handle_indices(annotation, tolerance):
        x, y = annotation.points[index]
        distance = math.hypot(point[0] - x, point[1] - y)
        if distance <= tolerance and distance < best_distance:
            best, best_distance = index, distance
    return best


def reshaped_outline(annotation: Annotation, index: int, point: Point,
                     tolerance: float) -> tuple[Point, ...]:
    """An outline's points after its handle ``index`` is dragged to ``point``: the points
    between it and the handles either side follow it, less the nearer they are to those
    handles, so a long outline bends instead of growing a spike."""
    points = annotation.points
    count = len(points)
    indices = handle_indices(annotation, tolerance)
    dx, dy = point[0] - points[index][0], point[1] - points[index][1]
    moved = list(points)
    moved[index] = point
    position = indices.index(index)
    before = indices[position - 1]
    after = indices[(position + 1) % len(indices)]
    # Along the closed outline: back to the handle before, on to the handle after.
    for start, span in ((before, (index - before) % count), (index, (after - index) % count)):
        for step in range(1, span):
            j = (start + step) % count
            weight = step / span if start == before else 1 - step / span
            moved[j] = (points[j][0] + dx * weight, points[j][1] + dy * weight)
    return tuple(moved)
