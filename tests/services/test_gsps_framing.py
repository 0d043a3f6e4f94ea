"""The Qt-free rules for what a picked presentation state does to the view: smooth
outlines for INTERPOLATED graphics, and the displayed area, turn and mirror as a
ViewportState."""

import pytest

from app.imaging.curves import smooth_curve
from app.imaging.presentation_state import DisplayedArea, Graphic, PresentationState
from app.imaging.viewport import ViewportState, orient_point, to_view
from app.services.gsps_view import framed_view, outline

IMAGE = (100, 80)  # width, height
VIEW = (400, 300)
AREA = (20.0, 10.0, 60.0, 50.0)  # 40 x 40, centre (40, 30)
CURRENT = ViewportState(zoom=3.0, pan=(11.0, -7.0))


def state(rotation: int = 0, flip_h: bool = False) -> PresentationState:
    return PresentationState("1.2.3", "", "", "", (), rotation=rotation, flip_h=flip_h)


def test_smooth_graphics_are_drawn_as_curves_through_their_points() -> None:
    square = ((0.0, 0.0), (40.0, 0.0), (40.0, 40.0), (0.0, 40.0))
    assert outline(Graphic("polygon", square, smooth=True)) == (
        smooth_curve(square, closed=True), True)
    points, closed = outline(Graphic("polyline", square, smooth=True))
    assert not closed and points == smooth_curve(square)
    assert len(points) > 4 and all(p in points for p in square)
    assert outline(Graphic("polygon", square)) == (square, True)  # straight stays straight


def test_an_area_scaled_to_fit_fills_the_view_centred() -> None:
    view, fit = framed_view(CURRENT, state(), DisplayedArea(AREA), IMAGE, VIEW)
    assert fit is False
    assert view.zoom == pytest.approx(7.5)  # min(400 / 40, 300 / 40)
    assert view.pan == pytest.approx((75.0, 75.0))  # image centre (50, 40) is 10, 10 away
    assert to_view((40.0, 30.0), IMAGE, view, VIEW) == pytest.approx((200.0, 150.0))
    # The area's top and bottom touch the view's; its sides are inside.
    assert to_view((20.0, 10.0), IMAGE, view, VIEW) == pytest.approx((50.0, 0.0))
    assert to_view((60.0, 50.0), IMAGE, view, VIEW) == pytest.approx((350.0, 300.0))
    # TRUE SIZE needs the screen's size in mm: shown fitted rather than at a wrong size.
    assert framed_view(CURRENT, state(), DisplayedArea(AREA, "TRUE SIZE"), IMAGE,
                       VIEW) == (view, False)


def test_a_magnified_area_is_centred_at_its_magnification() -> None:
    view, fit = framed_view(CURRENT, state(), DisplayedArea(AREA, "MAGNIFY", 2.0), IMAGE,
                            VIEW)
    assert fit is False and view.zoom == 2.0 and view.pan == pytest.approx((20.0, 20.0))
    assert view.voi == CURRENT.voi and view.invert == CURRENT.invert


def test_the_whole_image_fitted_is_fit_to_the_view() -> None:
    view, fit = framed_view(CURRENT, state(), DisplayedArea((0.0, 0.0, 100.0, 80.0)),
                            IMAGE, VIEW)
    assert fit is True and view.pan == (0.0, 0.0)
    # Before the view has a size there is nothing to fit an area to but the view itself.
    assert framed_view(CURRENT, state(), DisplayedArea(AREA), IMAGE, (0, 0))[1] is True


def test_no_area_changes_only_the_orientation() -> None:
    turned = CURRENT.rotated(180).flipped("v")
    view, fit = framed_view(turned, state(), None, IMAGE, VIEW)
    assert fit is None and view == CURRENT  # the GSPS says: not turned, not mirrored


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_dicom_mirror_then_turn_lands_every_point_where_the_viewer_draws_it(
        rotation: int) -> None:
    wide = (20.0, 10.0, 80.0, 40.0)  # 60 x 30, centre (50, 25): tall once turned
    view, fit = framed_view(CURRENT, state(rotation, flip_h=True), DisplayedArea(wide),
                            IMAGE, VIEW)
    assert view.rotation == rotation and fit is False
    width = IMAGE[0]
    for x, y in ((10.0, 20.0), (90.0, 5.0), (33.0, 77.0)):
        mirrored = (width - x, y)  # DICOM: mirror left-right first, then turn clockwise
        expected = orient_point(mirrored, IMAGE, rotation)
        assert orient_point((x, y), IMAGE, view.rotation, view.flip_h,
                            view.flip_v) == pytest.approx(expected)
    # The area's centre is still in the middle of the view, however it is turned.
    assert to_view((50.0, 25.0), IMAGE, view, VIEW) == pytest.approx((200.0, 150.0))
    expected_zoom = min(400 / 60, 300 / 30) if rotation in (0, 180) else min(400 / 30,
                                                                              300 / 60)
    assert view.zoom == pytest.approx(expected_zoom)
