"""ViewportState is plain data; its transforms move pixels where they should."""

import dataclasses

import numpy as np
import pytest

from app.imaging.luts import MIN_MAX, Window
from app.imaging.viewport import (
    MAX_ZOOM,
    ViewportState,
    apply_view,
    dragged_window,
    orient,
    zoom_image,
)

# 2 rows × 3 columns, every pixel different; the top-left corner is 1.
IMAGE = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint8)


def test_rotating_90_moves_the_top_left_corner_to_the_top_right() -> None:
    turned = orient(IMAGE, 90)
    assert turned.shape == (3, 2)
    assert turned[0, -1] == 1
    assert turned.tolist() == [[4, 1], [5, 2], [6, 3]]


def test_rotations_and_flips() -> None:
    assert orient(IMAGE, 180).tolist() == [[6, 5, 4], [3, 2, 1]]
    assert orient(IMAGE, 270).tolist() == [[3, 6], [2, 5], [1, 4]]
    assert orient(IMAGE, flip_h=True).tolist() == [[3, 2, 1], [6, 5, 4]]
    assert orient(IMAGE, flip_v=True).tolist() == [[4, 5, 6], [1, 2, 3]]
    # Flips are in screen space: after the rotation.
    assert orient(IMAGE, 90, flip_h=True).tolist() == [[1, 4], [2, 5], [3, 6]]
    with pytest.raises(ValueError):
        orient(IMAGE, 45)


def test_colour_images_turn_as_a_whole() -> None:
    rgb = np.stack([IMAGE, IMAGE + 10, IMAGE + 20], axis=-1)
    turned = orient(rgb, 90)
    assert turned.shape == (3, 2, 3)
    assert turned[0, -1].tolist() == [1, 11, 21]


def test_zoom_sizes_and_pixels() -> None:
    big = zoom_image(IMAGE, 2.0)
    assert big.shape == (4, 6)
    assert big[:2, :2].tolist() == [[1, 1], [1, 1]]  # Nearest: pixels stay square.
    small = zoom_image(np.zeros((100, 60), dtype=np.uint8), 0.5)
    assert small.shape == (50, 30)
    assert zoom_image(np.zeros((10, 10, 3), dtype=np.uint8), 1.5).shape == (15, 15, 3)
    with pytest.raises(ValueError):
        zoom_image(IMAGE, 0)


def test_state_is_frozen_and_changes_make_new_states() -> None:
    state = ViewportState()
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.zoom = 2.0  # type: ignore[misc]
    turned = state.rotated(90).rotated(90).rotated(270)
    assert turned.rotation == 90 and state.rotation == 0
    assert state.rotated(-90).rotation == 270
    assert state.flipped("h").flipped("h") == state
    assert state.zoomed(1e9).zoom == MAX_ZOOM
    assert state.panned(3, -4).panned(1, 1).pan == (4.0, -3.0)
    assert state.with_window(40, 0).voi == Window(40, 1.0)
    assert state.with_voi(MIN_MAX).voi is MIN_MAX
    assert state.toggled_invert().invert
    changed = state.rotated(90).flipped("v").zoomed(2).panned(5, 5).toggled_invert()
    assert changed.reset_view() == ViewportState(invert=True)


def test_apply_view_orients_then_zooms() -> None:
    state = ViewportState(rotation=90, zoom=2.0)
    assert apply_view(IMAGE, state).shape == (6, 4)


def test_dragging_changes_centre_and_width_in_proportion_to_the_value_span() -> None:
    window = Window(40, 400)
    dragged = dragged_window(window, dx=512, dy=-512, value_span=4096)
    assert (dragged.center, dragged.width) == (40 - 4096, 400 + 4096)
    assert dragged_window(window, dx=-10_000, dy=0, value_span=256).width == 1.0
