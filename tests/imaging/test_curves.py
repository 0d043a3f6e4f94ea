"""Smooth curves through points (DICOM's INTERPOLATED graphics): through every point,
without corners, closed when asked, and no worse than straight lines when there is
nothing to bend."""

import math

import pytest

from app.imaging.curves import smooth_curve

ZIGZAG = ((10.5, 10.5), (20.5, 30.5), (40.5, 10.5), (45.0, 40.0))
SQUARE = ((0.0, 0.0), (40.0, 0.0), (40.0, 40.0), (0.0, 40.0))


Points = tuple[tuple[float, float], ...]


def turn_at(points: Points, index: int) -> float:
    """The change of direction (degrees) at ``points[index]`` (wrapping round)."""
    count = len(points)
    a, b, c = (points[(index + k) % count] for k in (-1, 0, 1))
    first = math.atan2(b[1] - a[1], b[0] - a[0])
    second = math.atan2(c[1] - b[1], c[0] - b[0])
    return math.degrees(abs((second - first + math.pi) % (2 * math.pi) - math.pi))


def sharpest_turn(points: Points, closed: bool) -> float:
    """The largest change of direction from one straight piece to the next."""
    inner = range(len(points)) if closed else range(1, len(points) - 1)
    return max(turn_at(points, i) for i in inner)


def no_corner_at(curve: Points, point: tuple[float, float]) -> bool:
    """The curve turns at ``point`` about as much as just before and after it: a corner
    would be a spike there."""
    i = curve.index(point)
    around = max(turn_at(curve, i - 1), turn_at(curve, i + 1))
    return turn_at(curve, i) <= 1.5 * around + 0.5


def test_an_open_curve_passes_through_every_point_in_order_without_a_corner() -> None:
    curve = smooth_curve(ZIGZAG)
    assert curve[0] == ZIGZAG[0] and curve[-1] == ZIGZAG[-1]
    at = [curve.index(p) for p in ZIGZAG]
    assert at == sorted(at)
    assert sharpest_turn(ZIGZAG, closed=False) > 100  # the straight lines have corners
    assert sharpest_turn(curve, closed=False) < 25  # the curve has none
    assert all(no_corner_at(curve, p) for p in ZIGZAG[1:-1])
    assert len(curve) > 3 * len(ZIGZAG)


def test_a_closed_curve_comes_back_round_smoothly() -> None:
    curve = smooth_curve(SQUARE, closed=True)
    assert all(p in curve for p in SQUARE)
    assert curve[0] == SQUARE[0] and curve[-1] != SQUARE[0]  # first not repeated
    assert math.dist(curve[-1], curve[0]) < 2.0  # the last piece closes the gap
    assert sharpest_turn(SQUARE, closed=True) == pytest.approx(90.0)
    assert sharpest_turn(curve, closed=True) < 10
    assert all(no_corner_at(curve, p) for p in SQUARE)
    # Round, not square: half way along a side it bulges out past the straight side.
    bottom = [p for p in curve if abs(p[0] - 20.0) < 1.5 and p[1] < 20]
    assert bottom and min(p[1] for p in bottom) < -1.0
    # Repeating the first point at the end draws the same curve.
    assert smooth_curve((*SQUARE, SQUARE[0]), closed=True) == curve


def test_uneven_spacing_makes_no_loop() -> None:
    # Two points close together between far ones: a uniform spline overshoots into a
    # loop there; the centripetal one stays between its neighbours.
    points = ((0.0, 0.0), (50.0, 0.0), (51.0, 1.0), (51.0, 50.0))
    curve = smooth_curve(points)
    assert max(x for x, _ in curve) < 53.0
    assert min(y for _, y in curve) > -3.0


def test_nothing_to_bend_comes_back_as_it_is() -> None:
    assert smooth_curve(((1.0, 2.0), (3.0, 4.0))) == ((1.0, 2.0), (3.0, 4.0))
    assert smooth_curve(((1.0, 2.0), (1.0, 2.0), (3.0, 4.0))) == ((1.0, 2.0), (3.0, 4.0))
    assert smooth_curve(((5.0, 5.0),)) == ((5.0, 5.0),)
    # Repeated points in a longer curve are dropped rather than dividing by nothing.
    curve = smooth_curve(((0.0, 0.0), (10.0, 10.0), (10.0, 10.0), (20.0, 0.0)))
    assert all(math.isfinite(v) for p in curve for v in p)
    assert (10.0, 10.0) in curve
