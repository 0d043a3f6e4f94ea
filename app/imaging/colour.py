"""Colour frames to 8-bit RGB: RGB, YBR_FULL / YBR_FULL_422 / YBR_PARTIAL_*, PALETTE COLOR.

Planar configuration is undone by the decoder (frames arrive interleaved). The arithmetic
follows dcmtk so that colour images match ``dcmj2pnm`` too: YBR uses its BT.601 constants
with truncation, and samples deeper than 8 bits are shifted down.
"""

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels.processing import apply_color_lut

from app.core.errors import DecodeError


def to_rgb8(
    pixels: np.ndarray, photometric: str, bits_stored: int, subsampled: bool = False
) -> np.ndarray:
    """A decoded colour frame (rows, columns, 3) as uint8 RGB.

    ``subsampled`` says the file stored YBR_FULL_422 uncompressed (the decoder has
    repeated the chroma since): dcmtk converts those with plain arithmetic, not with the
    tables it uses for full YBR, and the two differ by up to 2 levels.
    """
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise DecodeError(
            f"This colour image has {pixels.shape[-1] if pixels.ndim == 3 else 1} samples "
            "a pixel where 3 were expected, so it cannot be shown."
        )
    bits = _sample_bits(pixels, bits_stored)
    if photometric in ("YBR_FULL", "YBR_FULL_422"):
        return ybr_full_to_rgb(pixels, bits, tables=not subsampled)
    if photometric.startswith("YBR_PARTIAL"):
        return ybr_partial_to_rgb(pixels, bits)
    return scale_to_8_bits(pixels, bits)


def _sample_bits(pixels: np.ndarray, bits_stored: int) -> int:
    # Decoders hand back 8-bit samples for 8-bit codestreams whatever Bits Stored says.
    return min(bits_stored, pixels.dtype.itemsize * 8)


def scale_to_8_bits(samples: np.ndarray, bits: int) -> np.ndarray:
    """Samples of ``bits`` depth as uint8, by dropping low bits (as dcmtk does)."""
    if bits > 8:
        shifted = samples.astype(np.uint64, copy=False) >> np.uint64(bits - 8)
        return shifted.astype(np.uint8)
    if bits < 8:
        maximum = (1 << bits) - 1
        scaled = samples.astype(np.float64) * (255.0 / maximum)
        return scaled.astype(np.uint8)
    return samples.astype(np.uint8, copy=False)


def ybr_full_to_rgb(ybr: np.ndarray, bits: int = 8, tables: bool = True) -> np.ndarray:
    """Full-range YCbCr (ITU-R BT.601) to uint8 RGB, exactly as dcmtk converts it.

    For 8-bit samples dcmtk adds per-channel tables, each truncated on its own
    (``tables``); otherwise it truncates the floating-point sum once. The two differ by
    up to 2 levels.
    """
    if tables and bits == 8 and ybr.dtype == np.uint8:
        y = ybr[..., 0].astype(np.int16)
        cb = ybr[..., 1]
        cr = ybr[..., 2]
        rgb = np.empty(ybr.shape, dtype=np.int16)
        rgb[..., 0] = y + _CR_TO_R[cr]
        rgb[..., 1] = y - _CB_TO_G[cb] - _CR_TO_G[cr]
        rgb[..., 2] = y + _CB_TO_B[cb]
        return np.clip(rgb, 0, 255).astype(np.uint8)
    maximum = float((1 << bits) - 1)
    yf = ybr[..., 0].astype(np.float64)
    cbf = ybr[..., 1].astype(np.float64)
    crf = ybr[..., 2].astype(np.float64)
    out = np.empty(ybr.shape, dtype=np.float64)
    out[..., 0] = yf + 1.4020 * crf - 0.7010 * maximum
    out[..., 1] = yf - 0.3441 * cbf - 0.7141 * crf + 0.5291 * maximum
    out[..., 2] = yf + 1.7720 * cbf - 0.8859 * maximum
    np.clip(out, 0.0, maximum, out=out)
    return scale_to_8_bits(out.astype(np.uint32), bits)


def _table(values: np.ndarray) -> np.ndarray:
    return np.asarray(np.trunc(values), dtype=np.int16)


_LEVELS = np.arange(256, dtype=np.float64)
_CR_TO_R = _table(1.4020 * _LEVELS - 0.7010 * 255.0)
_CB_TO_B = _table(1.7720 * _LEVELS - 0.8859 * 255.0)
_CB_TO_G = _table(0.3441 * _LEVELS)
_CR_TO_G = _table(0.7141 * _LEVELS - 0.5291 * 255.0)


def ybr_partial_to_rgb(ybr: np.ndarray, bits: int = 8) -> np.ndarray:
    """Partial-range YCbCr (Y 16-235, chroma 16-240 for 8 bits) to uint8 RGB."""
    maximum = float((1 << bits) - 1)
    scale = maximum / 255.0
    y = ybr[..., 0].astype(np.float64) - 16.0 * scale
    cb = ybr[..., 1].astype(np.float64) - 128.0 * scale
    cr = ybr[..., 2].astype(np.float64) - 128.0 * scale
    rgb = np.empty(ybr.shape, dtype=np.float64)
    rgb[..., 0] = 1.1644 * y + 1.5960 * cr
    rgb[..., 1] = 1.1644 * y - 0.3917 * cb - 0.8130 * cr
    rgb[..., 2] = 1.1644 * y + 2.0173 * cb
    np.clip(rgb, 0.0, maximum, out=rgb)
    return scale_to_8_bits(rgb.astype(np.uint32), bits)


def palette_to_rgb(indices: np.ndarray, header: Dataset) -> np.ndarray:
    """PALETTE COLOR indices through the file's red, green and blue tables, as uint8 RGB.

    Segmented palettes are expanded (pydicom does it); 16-bit entries are shifted to 8.
    """
    try:
        rgb = apply_color_lut(indices, header)
        bits = _palette_bits(header, rgb)
    except Exception as exc:
        raise DecodeError(
            "This PALETTE COLOR image has a damaged or missing colour palette, so it "
            "cannot be shown."
        ) from exc
    return scale_to_8_bits(np.asarray(rgb), bits)


def _palette_bits(header: Dataset, rgb: np.ndarray) -> int:
    try:
        descriptor = header.RedPaletteColorLookupTableDescriptor
        bits = int(descriptor[2])
    except (AttributeError, IndexError, TypeError, ValueError):
        bits = 0
    if bits not in (8, 16):
        bits = 16 if rgb.dtype.itemsize > 1 else 8
    return bits
