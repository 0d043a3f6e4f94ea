"""Points move with the pixels: image ↔ oriented image ↔ view, and back to where they were."""

import itertools

import numpy as np
import pytest

from app.imaging.viewport import (
    ROTATIONS,
    ViewportState,
    orient,
    orient_point,
    oriented_size,
    to_image,
    to_view,
    unorient_point,
)

TURNS = list(itertools.product(ROTATIONS, (False, True), (False, True)))
SIZE = (5, 3)  # Width 5, height 3: not square, so a wrong swap shows.


@pytest.mark.parametrize(("rotation", "flip_h", "flip_v"), TURNS)
def test_a_pixel_centre_lands_on_the_centre_of_the_same_pixel(
    rotation: int, flip_h: bool, flip_v: bool
) -> None:
    image = np.arange(15).reshape(3, 5)
    turned = orient(image, rotation, flip_h, flip_v)
    assert turned.shape[::-1] == oriented_size(SIZE, rotation)
    for row, column in itertools.product(range(3), range(5)):
        x, y = orient_point((column + 0.5, row + 0.5), SIZE, rotation, flip_h, flip_v)
        assert x % 1 == 0.5 and y % 1 == 0.5
        assert turned[int(y), int(x)] == image[row, column]


@pytest.mark.parametrize(("rotation", "flip_h", "flip_v"), TURNS)
def test_orienting_and_back_is_the_identity(rotation: int, flip_h: bool, flip_v: bool) -> None:
    for point in [(0.0, 0.0), (5.0, 3.0), (1.25, 2.75), (4.9, 0.1)]:
        there = orient_point(point, SIZE, rotation, flip_h, flip_v)
        assert unorient_point(there, SIZE, rotation, flip_h, flip_v) == pytest.approx(point)


@pytest.mark.parametrize(("rotation", "flip_h", "flip_v"), TURNS)
def test_view_and_back_is_the_identity(rotation: int, flip_h: bool, flip_v: bool) -> None:
    state = ViewportState(zoom=2.5, pan=(13.0, -7.5)).rotated(rotation)
    if flip_h:
        state = state.flipped("h")
    if flip_v:
        state = state.flipped("v")
    view = (640.0, 480.0)
    for point in [(0.0, 0.0), (5.0, 3.0), (1.25, 2.75)]:
        on_screen = to_view(point, SIZE, state, view)
        assert to_image(on_screen, SIZE, state, view) == pytest.approx(point)
        assert to_image(to_view(point, SIZE, state, view, 0.3), SIZE, state, view, 0.3) == (
            pytest.approx(point)
        )


def test_the_image_centre_is_the_view_centre_plus_pan() -> None:
    state = ViewportState(zoom=4.0, pan=(10.0, 20.0)).rotated(90).flipped("h")
    assert to_view((2.5, 1.5), SIZE, state, (100.0, 50.0)) == (60.0, 45.0)
    # Unrotated, the top-left corner is half the zoomed image left and up of the centre.
    plain = ViewportState(zoom=2.0)
    assert to_view((0.0, 0.0), SIZE, plain, (100.0, 50.0)) == (45.0, 22.0)
    # Turned clockwise, the top-left corner goes to the top right.
    turned = ViewportState(zoom=2.0).rotated(90)
    assert to_view((0.0, 0.0), SIZE, turned, (100.0, 50.0)) == (53.0, 20.0)
    with pytest.raises(ValueError):
        to_image((0.0, 0.0), SIZE, plain, (100.0, 50.0), zoom=0.0)
