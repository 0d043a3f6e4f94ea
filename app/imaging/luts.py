"""Grey-scale lookup tables: Modality LUT, VOI (window or LUT), and the output polarity.

The arithmetic is dcmtk's (``dcmj2pnm``), so that the same file and window give the same
8-bit pixels (PS3.3 C.11 leaves the rounding open; dcmtk's choice is the reference here):

1. Modality rescale: ``x = trunc(SV * slope + intercept)``, toward zero.
2. Linear window: ``trunc(offset + x * gradient)`` with ``gradient = (high - low) / (w - 1)``
   and ``offset = high - ((c - 0.5) / (w - 1) + 0.5) * (high - low)``. The textbook term
   order is off by one on some images.
3. MONOCHROME1 and INVERSE swap the output range (low = 255, high = 0) inside that formula;
   ``255 - y`` would be off by one.
4. Min-max: ``c = (min + max + 1) / 2``, ``w = max - min + 1`` over the frame's values.
5. VOI LUT: ``trunc(low + v * (high - low + 1) / 2**bits)``: ``v * 256 / 2**bits`` normally.

Every function here works on the *values* of a lookup table (one entry per stored value)
as well as on whole images, so the viewer can fold everything into one uint8 table.
"""

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

_INT64_LIMIT = 2.0**63
_INT64_TOP = float(np.nextafter(_INT64_LIMIT, 0))  # The largest float that fits int64.
_WHOLE_LIMIT = 2.0**24  # 2**24 × a 32-bit value stays far inside int64.

VoiFunction = Literal["LINEAR", "LINEAR_EXACT", "SIGMOID"]


@dataclass(frozen=True)
class Window:
    """A VOI window: centre and width in modality units (e.g. Hounsfield units for CT)."""

    center: float
    width: float
    function: VoiFunction = "LINEAR"
    explanation: str = ""


@dataclass(frozen=True)
class LookupTable:
    """A Modality or VOI LUT from the file: entries for first_mapped, first_mapped + 1, ...

    ``bits`` is the depth of each entry (the third value of the LUT Descriptor).
    """

    first_mapped: int
    bits: int
    data: np.ndarray = field(compare=False, repr=False)
    explanation: str = ""

    def lookup(self, values: np.ndarray) -> np.ndarray:
        """Entries for ``values``; values outside the table take its first or last entry."""
        positions = np.clip(values - self.first_mapped, 0, len(self.data) - 1)
        return np.asarray(self.data[positions.astype(np.intp)], dtype=np.int64)


@dataclass(frozen=True)
class MinMax:
    """The window that spans the frame's smallest to largest value."""


MIN_MAX = MinMax()

Voi = Window | LookupTable | MinMax


@dataclass(frozen=True)
class ModalityTransform:
    """Stored values to modality values: a rescale, or a Modality LUT when the file has one."""

    slope: float = 1.0
    intercept: float = 0.0
    lut: LookupTable | None = None

    @property
    def is_identity(self) -> bool:
        """True when modality values equal stored values."""
        return self.lut is None and self.slope == 1.0 and self.intercept == 0.0

    @property
    def is_monotonic(self) -> bool:
        """True when the smallest and largest stored values give the extreme outputs."""
        return self.lut is None

    def apply(self, stored: np.ndarray) -> np.ndarray:
        """Modality values for ``stored``: int64 for integer input (dcmtk truncates toward
        zero), float64 for float pixel data."""
        if self.lut is not None:
            return self.lut.lookup(stored.astype(np.int64))
        if stored.dtype.kind == "f":
            return stored.astype(np.float64) * self.slope + self.intercept
        if self.is_identity:
            return stored.astype(np.int64)
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = stored.astype(np.float64) * self.slope + self.intercept
        # A hostile slope (1e300 on 64-bit pixels) overflows: keep the values in int64.
        scaled = np.clip(np.nan_to_num(scaled), -_INT64_LIMIT, _INT64_TOP)
        return np.trunc(scaled).astype(np.int64)


def exact_modality_values(
    transform: ModalityTransform, stored: np.ndarray, offset: int = 0
) -> np.ndarray:
    """Modality values for ``stored + offset`` without the display's truncation: what a
    measurement reports (a PET slope of 0.0123 must not be rounded to whole numbers).

    Integer data through a Modality LUT or a whole-number rescale (CT's 1 and -1024) stays
    int64, exact and half the work of floats on a large region; anything else is float64.
    ``stored`` is never modified.
    """
    if stored.dtype.kind in "iu" and (transform.lut is not None or _whole_rescale(transform)):
        values = stored.astype(np.int64)
        if offset:
            values += offset
        if transform.lut is not None:
            return transform.lut.lookup(values)
        if transform.slope != 1:
            values *= int(transform.slope)
        if transform.intercept:
            values += int(transform.intercept)
        return values
    with np.errstate(over="ignore", invalid="ignore"):
        return (stored.astype(np.float64) + offset) * transform.slope + transform.intercept


def _whole_rescale(transform: ModalityTransform) -> bool:
    """True for a whole-number slope and intercept small enough for int64 arithmetic on
    stored values of up to 32 bits."""
    slope, intercept = transform.slope, transform.intercept
    return (
        float(slope).is_integer() and float(intercept).is_integer()
        and abs(slope) <= _WHOLE_LIMIT and abs(intercept) <= _WHOLE_LIMIT
    )


def output_range(inverse: bool) -> tuple[float, float]:
    """(low, high) of the 8-bit output: swapped for MONOCHROME1 / INVERSE."""
    return (255.0, 0.0) if inverse else (0.0, 255.0)


def min_max_window(minimum: float, maximum: float) -> Window:
    """The window dcmtk's ``+Wm`` computes from the smallest and largest modality value."""
    return Window(
        center=(minimum + maximum + 1) / 2,
        width=maximum - minimum + 1,
        explanation="Min-max",
    )


def apply_window(values: np.ndarray, window: Window, inverse: bool) -> np.ndarray:
    """Map modality ``values`` through ``window`` to uint8."""
    low, high = output_range(inverse)
    x = values.astype(np.float64, copy=False)
    width = max(float(window.width), 1.0)  # PS3.3: width >= 1; smaller ones are noise.
    center = float(window.center)
    if window.function == "SIGMOID":
        y = (high - low) / (1.0 + np.exp(-4.0 * (x - center) / width)) + low
        return np.clip(y, 0.0, 255.0).astype(np.uint8)
    if window.function == "LINEAR_EXACT":
        y = ((x - center) / width + 0.5) * (high - low) + low
        y[x <= center - width / 2] = low
        y[x > center + width / 2] = high
        return np.clip(y, 0.0, 255.0).astype(np.uint8)
    width_1 = width - 1.0
    left = center - 0.5 - width_1 / 2
    right = center - 0.5 + width_1 / 2
    if width_1 != 0:
        offset = high - ((center - 0.5) / width_1 + 0.5) * (high - low)
        gradient = (high - low) / width_1
        y = offset + x * gradient
    else:
        y = np.zeros_like(x)
    # The borders are set outright, as dcmtk does: on them the formula can land a hair
    # below an integer, which truncation would turn into a visible step.
    y[x <= left] = low
    y[x > right] = high
    return y.astype(np.uint8)


def apply_voi_lut(values: np.ndarray, lut: LookupTable, inverse: bool) -> np.ndarray:
    """Map modality ``values`` through a VOI LUT from the file to uint8."""
    low, high = output_range(inverse)
    entries = lut.lookup(values.astype(np.int64)).astype(np.float64)
    # dcmtk spans (high - low + 1) output levels: 256 normally, but 254 when inverted
    # (255 down to 1). Odd, but it is the reference, and within a level of the ideal.
    gradient = (high - low + 1.0) / float(2 ** max(1, lut.bits))
    y = low + entries * gradient
    return np.clip(y, 0.0, 255.0).astype(np.uint8)


def apply_voi(
    values: np.ndarray,
    voi: Window | LookupTable,
    inverse: bool,
) -> np.ndarray:
    """Map modality ``values`` through a window or a VOI LUT to uint8."""
    if isinstance(voi, LookupTable):
        return apply_voi_lut(values, voi, inverse)
    return apply_window(values, voi, inverse)
