"""The grey-scale arithmetic, value by value: dcmtk's rounding is the reference."""

import numpy as np

from app.imaging.luts import (
    LookupTable,
    ModalityTransform,
    Window,
    apply_voi_lut,
    apply_window,
    min_max_window,
)


def _window(values: list[float], window: Window, inverse: bool = False) -> list[int]:
    return [int(v) for v in apply_window(np.asarray(values, dtype=np.int64), window, inverse)]


def test_linear_window_uses_dcmtk_term_order() -> None:
    # The textbook ((x - (c - 0.5)) / (w - 1) + 0.5) * 255 gives 255 here; dcmtk 254.
    assert _window([224], Window(50, 350)) == [254]


def test_linear_window_borders_and_saturation() -> None:
    window = Window(40, 80)  # Brain: -0.5 < x <= 79.5 is the ramp.
    assert _window([-1000, -1, 0, 1, 40, 79, 80, 3000], window) == [0, 0, 0, 3, 129, 255, 255, 255]


def test_inversion_swaps_the_output_range_inside_the_formula() -> None:
    window = Window(50, 350)
    values = np.arange(-200, 300, dtype=np.int64)
    normal = apply_window(values, window, False).astype(int)
    inverted = apply_window(values, window, True).astype(int)
    assert inverted[0] == 255 and inverted[-1] == 0
    # Not simply 255 - y: dcmtk truncates the swapped formula, which differs by one.
    assert (inverted != 255 - normal).any()
    assert np.abs(inverted - (255 - normal)).max() == 1


def test_width_below_one_is_treated_as_one() -> None:
    assert _window([0, 1, 2], Window(1.5, 0.2)) == [0, 0, 255]


def test_sigmoid_window() -> None:
    values = _window([-1000, 40, 1000], Window(40, 400, "SIGMOID"))
    assert values[0] < 5 and values[1] == 127 and values[2] > 250


def test_rescale_truncates_toward_zero() -> None:
    rescale = ModalityTransform(slope=0.5, intercept=-1.0)
    stored = np.array([-3, -1, 0, 1, 3], dtype=np.int16)
    # -2.5 -> -2, -1.5 -> -1, -1 -> -1, -0.5 -> 0, 0.5 -> 0
    assert rescale.apply(stored).tolist() == [-2, -1, -1, 0, 0]
    assert ModalityTransform(1.0, -1024.0).apply(np.array([0, 1024])).tolist() == [-1024, 0]


def test_float_pixels_are_not_truncated() -> None:
    assert ModalityTransform(2.0, 0.25).apply(np.array([0.5], dtype=np.float32)).tolist() == [1.25]


def test_modality_lut_clamps_outside_its_range() -> None:
    lut = LookupTable(first_mapped=-2, bits=16, data=np.array([10, 20, 30, 40]))
    stored = np.array([-5, -2, -1, 1, 9])
    assert ModalityTransform(lut=lut).apply(stored).tolist() == [10, 10, 20, 40, 40]


def test_voi_lut_scales_its_depth_to_8_bits_like_dcmtk() -> None:
    lut = LookupTable(first_mapped=0, bits=16, data=np.array([0, 256, 32768, 65535]))
    values = np.arange(4)
    assert apply_voi_lut(values, lut, False).tolist() == [0, 1, 128, 255]
    # Inverted, dcmtk spans 255 down to 1 (its range is high - low + 1 = -254 levels).
    assert apply_voi_lut(values, lut, True).tolist() == [255, 254, 128, 1]


def test_min_max_window_is_dcmtks() -> None:
    window = min_max_window(-1024, 3071)
    assert (window.center, window.width) == (1024.0, 4096.0)
    assert _window([-1024, 3071], window) == [0, 255]
