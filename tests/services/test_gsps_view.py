"""The Qt-free side of showing a disc's presentation states: what each graphic draws, and
how the menu names a presentation state."""

import math

import pytest

from app.imaging.presentation_state import Graphic, PresentationState, arrow_outline
from app.services.gsps_view import ELLIPSE_STEPS, entry_text, outline


def test_a_rotated_ellipse_is_drawn_along_its_own_axes() -> None:
    # Major axis from (10, 10) to (50, 50) (half length 20*sqrt 2), minor half length 5.
    minor = (5 / math.sqrt(2), 5 / math.sqrt(2))
    ends = ((30 - minor[0], 30 + minor[1]), (30 + minor[0], 30 - minor[1]))
    points, closed = outline(Graphic("ellipse", ((10.0, 10.0), (50.0, 50.0), *ends)))
    assert closed and len(points) == ELLIPSE_STEPS
    half_major, half_minor = 20 * math.sqrt(2), 5.0
    for x, y in points:
        along = ((x - 30) + (y - 30)) / math.sqrt(2)
        across = ((y - 30) - (x - 30)) / math.sqrt(2)
        assert (along / half_major) ** 2 + (across / half_minor) ** 2 == pytest.approx(1.0)
    assert any(math.dist(p, (50.0, 50.0)) < 1e-6 for p in points)  # through the axis' end


def test_circles_arrows_polygons_and_points() -> None:
    points, closed = outline(Graphic("circle", ((20.0, 20.0), (20.0, 28.0))))
    assert closed and all(math.dist(p, (20.0, 20.0)) == pytest.approx(8.0) for p in points)
    assert outline(Graphic("arrow", ((0.0, 0.0), (40.0, 0.0)))) == (
        arrow_outline((0.0, 0.0), (40.0, 0.0)), False)
    triangle = ((0.0, 0.0), (10.0, 0.0), (0.0, 10.0))
    assert outline(Graphic("polygon", triangle)) == (triangle, True)
    assert outline(Graphic("point", ((3.0, 4.0),))) == (((3.0, 4.0),), False)


def test_a_presentation_state_is_named_by_its_label_description_and_date() -> None:
    state = PresentationState("1.2.3", "MEASURED", "Line and ring", "", (), created="20240301")
    assert entry_text(state) == "MEASURED — Line and ring — 2024-03-01"
    assert entry_text(PresentationState("1.2.3", "", "", "", ())) == ""
