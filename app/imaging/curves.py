"""Smooth curves through points, for DICOM's INTERPOLATED graphics.

PS3.3 C.10.5 asks for "a smooth curve through the points" without naming one. This is a
centripetal Catmull-Rom spline: it passes through every point, its direction does not
jump at them, and (unlike the uniform kind) it makes no loops or cusps where the points
are unevenly spaced, which is what freehand outlines from other viewers look like.
Points are in image coordinates (see :mod:`app.imaging.presentation_state`).
"""

import math
from collections.abc import Sequence

Point = tuple[float, float]

# Samples per segment: about one every SAMPLE_SPACING image pixels, within these bounds,
# so a long segment stays round when zoomed in and a short one costs little.
SAMPLE_SPACING = 1.0
MIN_SAMPLES = 8
MAX_SAMPLES = 64
_ALPHA = 0.5  # centripetal
_SAME = 1e-6  # points closer than this are one point


def smooth_curve(points: Sequence[Point], closed: bool = False) -> tuple[Point, ...]:
    """Points along a smooth curve through ``points`` in order, ready to join with
    straight lines; the first point and every given point are among them.

    ``closed``: the curve comes back round to the first point smoothly (the first point
    is not repeated at the end, as for a polygon). Repeated consecutive points are
    dropped; with fewer than three distinct points there is nothing to bend and the
    points come back as they are.
    """
    distinct: list[Point] = []
    for point in points:
        if not distinct or math.dist(point, distinct[-1]) > _SAME:
            distinct.append((float(point[0]), float(point[1])))
    if closed and len(distinct) > 1 and math.dist(distinct[0], distinct[-1]) <= _SAME:
        distinct.pop()
    if len(distinct) < 3:
        return tuple(distinct)
    count = len(distinct)
    if closed:
        extended = [distinct[-1], *distinct, distinct[0], distinct[1]]
        segments = count
    else:
        # Phantom ends mirrored through the end points: the curve leaves and reaches the
        # ends heading at the next point, as a straight line would.
        first = _mirror(distinct[1], distinct[0])
        last = _mirror(distinct[-2], distinct[-1])
        extended = [first, *distinct, last]
        segments = count - 1
    result: list[Point] = []
    for index in range(segments):
        p0, p1, p2, p3 = extended[index:index + 4]
        samples = min(MAX_SAMPLES, max(MIN_SAMPLES,
                                       math.ceil(math.dist(p1, p2) / SAMPLE_SPACING)))
        result.extend(_segment(p0, p1, p2, p3, samples))
    if not closed:
        result.append(distinct[-1])
    return tuple(result)


def _mirror(point: Point, centre: Point) -> Point:
    return (2 * centre[0] - point[0], 2 * centre[1] - point[1])


def _segment(p0: Point, p1: Point, p2: Point, p3: Point, samples: int) -> list[Point]:
    """``samples`` points from p1 (included) towards p2 (excluded) of the centripetal
    Catmull-Rom segment (Barry and Goldman's pyramidal form)."""
    t0 = 0.0
    t1 = t0 + _knot(p0, p1)
    t2 = t1 + _knot(p1, p2)
    t3 = t2 + _knot(p2, p3)
    out = [p1]
    for step in range(1, samples):
        t = t1 + (t2 - t1) * step / samples
        a1 = _lerp(p0, p1, t0, t1, t)
        a2 = _lerp(p1, p2, t1, t2, t)
        a3 = _lerp(p2, p3, t2, t3, t)
        b1 = _lerp(a1, a2, t0, t2, t)
        b2 = _lerp(a2, a3, t1, t3, t)
        out.append(_lerp(b1, b2, t1, t2, t))
    return out


def _knot(a: Point, b: Point) -> float:
    # Distinct points are at least _SAME apart, so every interval is above 0.
    return float(max(math.dist(a, b), _SAME) ** _ALPHA)


def _lerp(a: Point, b: Point, ta: float, tb: float, t: float) -> Point:
    share = (t - ta) / (tb - ta)
    return (a[0] + (b[0] - a[0]) * share, a[1] + (b[1] - a[1]) * share)
