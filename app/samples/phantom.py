"""The phantom of the sample disc: a made-up body in Hounsfield units, drawn as CT images.

The body spans z = 0 (top of the chest) to z = -400 mm (pelvis) with realistic tissue
values, so the lung, abdomen and bone window presets each show different structures.
:class:`Painter` draws axial slices and the coronal localizer (scout) projection.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

# Geometry of the study, in millimetres, patient coordinates (LPS: +x towards the patient's
# left, +y posterior, +z towards the head). The patient lies head first supine at the
# isocentre; the axial series start at z = 0 and go down to z = -SCAN_LENGTH.
SCAN_LENGTH = 400.0
FIELD_OF_VIEW = 400.0
SCOUT_TOP = 40.0
SCOUT_LENGTH = 480.0

# HU values are stored as unsigned 12-bit numbers: stored = HU + 1024.
RESCALE_INTERCEPT = -1024
MAX_STORED = 4095

# Noise in HU (standard deviation) for thin slices; thick slices and the scout get half.
NOISE_HU = 12.0
_NOISE_FIELDS = 7  # precomputed noise images, cycled through the slices

HuImage = npt.NDArray[np.int16]
FloatArray = npt.NDArray[np.float64]


# --- the phantom -------------------------------------------------------------------------------

AIR = -1000
FAT = -100
VISCERAL_FAT = -80
MUSCLE = 45
LUNG = -850
LIVER = 62
SPLEEN = 50
KIDNEY = 160  # enhancing cortex
BLOOD_CONTRAST = 200
HEART_WALL = 55
DISC = 80
CANCELLOUS_BONE = 450
CORTICAL_BONE = 950
RIB = 750
CSF = 15
BOWEL = 30
BLADDER = 8


class Painter:
    """Draws the images: axial slices of the phantom and the localizer projection."""

    def __init__(self, rows: int, columns: int, seed: int | None) -> None:
        self.rows = rows
        self.columns = columns
        spacing = FIELD_OF_VIEW / columns
        self.xs = _grid(columns, spacing)
        self.ys = _grid(rows, spacing)
        # Generating noise costs more than drawing a slice, so a few fields are made once
        # and cycled; the anatomy changes from slice to slice, so the repeat is not visible.
        rng = np.random.default_rng(seed)
        noise = rng.normal(0.0, NOISE_HU, (_NOISE_FIELDS, rows, columns))
        self.noise = np.rint(noise).astype(np.int16)
        self.half_noise = np.rint(noise / 2).astype(np.int16)

    def axial(self, z: float, index: int, low_noise: bool) -> npt.NDArray[np.uint16]:
        """Return the stored pixel values of the axial slice at ``z`` (mm), the
        ``index``-th of its series; ``low_noise`` for thick slices, which are less noisy."""
        hu = _axial_hu(self.xs, self.ys, z)
        noise = self.half_noise if low_noise else self.noise
        hu += noise[index % _NOISE_FIELDS]
        return _to_stored(hu)

    def scout(self) -> tuple[npt.NDArray[np.uint16], tuple[float, float, str]]:
        """Return the localizer's stored pixel values and its window (centre, width, name)."""
        # Each row is the sum of attenuation through the body, front to back, at one z: what
        # a localizer measures. 1.5 mm steps front to back are fine enough for a projection.
        step = 1.5
        depth = _grid(int(FIELD_OF_VIEW / step), step)
        row_spacing = SCOUT_LENGTH / self.rows
        stored = np.empty((self.rows, self.columns), np.float64)
        for row in range(self.rows):
            z = SCOUT_TOP - (row + 0.5) * row_spacing
            attenuation = np.clip(_axial_hu(self.xs, depth, z) + 1000, 0, None) / 1000.0
            # mm of water-equivalent tissue, scaled to fill most of the 12 bits
            stored[row] = attenuation.sum(axis=0) * step * 8.0
        stored += self.half_noise[0]
        pixels = np.clip(np.rint(stored), 0, MAX_STORED).astype(np.uint16)
        low = float(pixels.min()) + RESCALE_INTERCEPT
        high = float(pixels.max()) + RESCALE_INTERCEPT
        return pixels, ((low + high) / 2, max(high - low, 1.0), "SCOUT")


def _grid(count: int, spacing: float) -> FloatArray:
    """Return the centres of `count` pixels `spacing` mm apart, centred on 0."""
    return np.asarray((np.arange(count) + 0.5 - count / 2) * spacing, dtype=np.float64)


def _to_stored(hu: HuImage) -> npt.NDArray[np.uint16]:
    stored = hu.astype(np.int32) - RESCALE_INTERCEPT
    np.clip(stored, 0, MAX_STORED, out=stored)
    return stored.astype(np.uint16)


def _axial_hu(xs: FloatArray, ys: FloatArray, z: float) -> HuImage:
    """Return the phantom's Hounsfield values, without noise, on the grid `xs` by `ys` at `z`.

    `xs` (columns) and `ys` (rows) are ascending patient coordinates in mm. The body spans
    z = 0 (top of the chest) to z = -400 (pelvis); `t` below runs from 1 at the top to 0 at
    the bottom, and every size is a smooth function of it so that neighbouring slices match.
    """
    t = 1.0 + z / SCAN_LENGTH
    img = np.full((len(ys), len(xs)), AIR, np.int16)

    def ellipse(cx: float, cy: float, ax: float, ay: float, value: int) -> None:
        _fill_ellipse(img, xs, ys, cx, cy, ax, ay, value)

    a = 150.0 + 12.0 * math.cos(2.0 * math.pi * (t - 0.05))  # half width: shoulders, hips
    b = 100.0 + 10.0 * math.sin(math.pi * min(max(t, 0.0), 1.0))  # half depth
    # Later structures are drawn over earlier ones.
    _draw_trunk(ellipse, a, b)
    _draw_abdomen(ellipse, t, z, b)
    _draw_chest(ellipse, t, z, a, b)
    _draw_spine_and_vessels(ellipse, t, z, b)
    return img


Ellipse = Callable[[float, float, float, float, int], None]  # centre x, y; half axes; HU


def _draw_trunk(ellipse: Ellipse, a: float, b: float) -> None:
    """Skin and subcutaneous fat, the muscle wall, and the fat inside it."""
    ellipse(0, 0, a, b, FAT)
    ellipse(0, 0, a - 14, b - 12, MUSCLE)
    ellipse(0, -4, a - 26, b - 26, VISCERAL_FAT)
    ellipse(-38, b - 32, 24, 18, MUSCLE)  # paraspinal muscles
    ellipse(38, b - 32, 24, 18, MUSCLE)


def _draw_abdomen(ellipse: Ellipse, t: float, z: float, b: float) -> None:
    """Liver, spleen, stomach, kidneys, bowel, bladder and pelvic bones."""
    liver = _bump(t, 0.28, 0.64)
    ellipse(-55, -5, 85 * liver, 75 * liver, LIVER)
    ellipse(-40, 15, 10 * liver, 10 * liver, BLOOD_CONTRAST)  # portal vein
    spleen = _bump(t, 0.40, 0.62)
    ellipse(85, b - 70, 32 * spleen, 48 * spleen, SPLEEN)
    stomach = _bump(t, 0.42, 0.60)
    ellipse(45, -35, 40 * stomach, 30 * stomach, BOWEL)
    ellipse(45, -52, 28 * stomach, 10 * stomach, AIR + 50)  # gas rises to the front
    kidneys = _bump(t, 0.22, 0.43)
    for side in (-1, 1):
        ellipse(side * 70, b - 58, 26 * kidneys, 36 * kidneys, KIDNEY)
        ellipse(side * 62, b - 58, 8 * kidneys, 12 * kidneys, VISCERAL_FAT)  # renal sinus
    bowel = _bump(t, 0.06, 0.38)
    for k in range(6):  # loops that wander a little from slice to slice
        cx = -70 + 28 * k + 10 * math.sin(z / 30.0 + k)
        cy = -40 + 25 * math.cos(z / 45.0 + 2 * k)
        ellipse(cx, cy, 15 * bowel, 13 * bowel, BOWEL)
        if k % 2 == 0:
            ellipse(cx, cy - 5 * bowel, 7 * bowel, 5 * bowel, AIR + 60)
    bladder = _bump(t, -0.06, 0.14)
    ellipse(0, -30, 45 * bladder, 35 * bladder, BLADDER)
    pelvis = _bump(t, -0.10, 0.20)
    for side in (-1, 1):
        ellipse(side * 100, b - 45, 45 * pelvis, 14 * pelvis, CORTICAL_BONE)
        ellipse(side * 100, b - 45, 38 * pelvis, 8 * pelvis, CANCELLOUS_BONE)


def _draw_chest(ellipse: Ellipse, t: float, z: float, a: float, b: float) -> None:
    """Lungs with vessels, the heart with contrast, and ribs."""
    lungs = _bump(t, 0.55, 0.99)
    for side in (-1, 1):
        cx, ax, ay = side * 0.45 * a, 0.33 * a * lungs, 0.78 * b * lungs
        ellipse(cx, -5, ax, ay, LUNG)
        for k in range(6):  # vessels near the edges, away from the middle of the lung
            angle = k * 1.05 + z / 40.0
            vx, vy = cx + 0.65 * ax * math.cos(angle), -5 + 0.65 * ay * math.sin(angle)
            ellipse(vx, vy, 3.5 * lungs, 3.5 * lungs, MUSCLE)
    heart = _bump(t, 0.55, 0.82)
    ellipse(25, -30, 52 * heart, 44 * heart, HEART_WALL)
    ellipse(25, -30, 40 * heart, 32 * heart, BLOOD_CONTRAST)
    ribs = _bump(t, 0.42, 1.02)
    if ribs == 0:
        return
    for side in (-1, 1):
        for k in range(1, 9):
            # Ribs run obliquely, so each one crosses the slice only now and then.
            if math.sin(2.0 * math.pi * z / 25.0 + 0.9 * k) > 0.2:
                angle = k * math.pi / 9.0
                rx = side * (a - 20) * math.sin(angle)
                ry = -(b - 18) * math.cos(angle)
                ellipse(rx, ry, 7.0 * ribs, 5.0 * ribs, RIB)


def _draw_spine_and_vessels(ellipse: Ellipse, t: float, z: float, b: float) -> None:
    """The aorta and vena cava, and a vertebra or an intervertebral disc."""
    ellipse(22, b - 82, 12, 12, BLOOD_CONTRAST)  # aorta
    if t < 0.62:
        ellipse(-26, b - 80, 11, 11, BLOOD_CONTRAST - 40)  # inferior vena cava
    spine_y = b - 50
    if (z % 28.0) < 5.0:  # a disc every 28 mm
        ellipse(0, spine_y, 18, 16, DISC)
    else:
        ellipse(0, spine_y, 18, 16, CORTICAL_BONE)
        ellipse(0, spine_y, 14, 12, CANCELLOUS_BONE)
    ellipse(0, spine_y + 24, 12, 9, CORTICAL_BONE)  # posterior arch
    ellipse(0, spine_y + 22, 7, 6, CSF)  # spinal canal
    ellipse(0, spine_y + 36, 5, 9, CORTICAL_BONE)  # spinous process


def _bump(t: float, start: float, end: float) -> float:
    """Smooth size factor: 0 outside (start, end), rising to 1 in the middle."""
    if not start < t < end:
        return 0.0
    return math.sqrt(math.sin(math.pi * (t - start) / (end - start)))


def _fill_ellipse(
    img: HuImage,
    xs: FloatArray,
    ys: FloatArray,
    cx: float,
    cy: float,
    ax: float,
    ay: float,
    value: int,
) -> None:
    """Set the pixels inside an axis-aligned ellipse to `value`.

    Only the ellipse's bounding box is computed, and the test is separable
    (u(x) + v(y) <= 1), so small structures cost almost nothing.
    """
    if ax <= 0 or ay <= 0:
        return
    c0, c1 = np.searchsorted(xs, (cx - ax, cx + ax))
    r0, r1 = np.searchsorted(ys, (cy - ay, cy + ay))
    if c0 >= c1 or r0 >= r1:
        return
    u = ((xs[c0:c1] - cx) / ax) ** 2
    v = ((ys[r0:r1] - cy) / ay) ** 2
    inside = v[:, None] + u[None, :] <= 1.0
    np.copyto(img[r0:r1, c0:c1], np.int16(value), where=inside)
