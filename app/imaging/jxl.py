"""JPEG XL frames (1.2.840.10008.1.2.4.110, .111, .112), which pydicom 3.0 cannot decode.

The decoder is imagecodecs (libjxl). Chosen over pillow-jxl-plugin, measured here (Python
3.11, 2 shared cores, libjxl 0.11, one thread per decode):

- licence: both fit GPL-3.0-or-later (imagecodecs BSD-3-Clause, its libjxl BSD-3-Clause;
  pillow-jxl-plugin GPL-3.0-or-later).
- installed size: pillow-jxl-plugin ~7 MB, imagecodecs ~79 MB (it bundles ~60 codecs).
  This is the cost we pay.
- speed, same codestreams: a 708 x 1016 US frame of JPEG recompression (JXL -> JPEG ->
  Pillow) p50 16.8 ms with imagecodecs vs 18.6 ms; a 512 x 512 16-bit CT lossless at
  effort 7 20.8 vs 28.5 ms, at effort 1 3.6 vs 4.8 ms; lossy 9.8 vs 6.1 ms. A wash.
- correctness decided it: pillow-jxl-plugin returns every sample above 8 bits scaled to
  the full 16-bit range and does not report the codestream's bit depth, so a 12-bit CT
  (the usual lossless case) would come out 16 times too bright, with its Hounsfield
  units lost. imagecodecs returns the stored values.

JPEG recompression codestreams carry the original JPEG bit for bit: it is rebuilt and
decoded by Pillow, so such a frame shows exactly as the baseline JPEG it was (libjxl's own
pixel decode of it differs from Pillow's by up to 9 levels on subsampled chroma).
"""

import importlib.util

import numpy as np

from app.core.errors import DecodeError
from app.imaging.jpeg import decode_baseline, fit_to_frame

JPEG_XL_LOSSLESS = "1.2.840.10008.1.2.4.110"
JPEG_XL_RECOMPRESSION = "1.2.840.10008.1.2.4.111"
JPEG_XL = "1.2.840.10008.1.2.4.112"
JPEG_XL_SYNTAXES = frozenset({JPEG_XL_LOSSLESS, JPEG_XL_RECOMPRESSION, JPEG_XL})
BACKEND_LABEL = "imagecodecs (libjxl)"


def jxl_available() -> bool:
    """True when the JPEG XL decoder is installed (checked without importing it)."""
    return importlib.util.find_spec("imagecodecs") is not None


def decode_jxl(
    encoded: bytes,
    syntax: str,
    rows: int,
    columns: int,
    samples: int,
    photometric: str,
    bits_stored: int,
    signed: bool,
) -> tuple[np.ndarray, str]:
    """One JPEG XL frame as (stored values, photometric of the values).

    Raises DecodeError when the frame has the wrong number of samples; decoder errors
    propagate (the caller words them).
    """
    import imagecodecs  # Imported on first use: it is large and most discs never need it.

    jpeg = _reconstructed_jpeg(imagecodecs, encoded) if syntax == JPEG_XL_RECOMPRESSION else None
    if jpeg is not None:
        decoded = decode_baseline(jpeg, rows, columns, samples, photometric)
        if decoded is not None:
            return decoded
    pixels = np.asarray(imagecodecs.jpegxl_decode(encoded, numthreads=1))
    if pixels.ndim == 3 and pixels.shape[2] in (2, 4):
        pixels = pixels[..., :-1]  # An alpha channel has no place in DICOM.
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    if (1 if pixels.ndim == 2 else pixels.shape[2]) != samples:
        raise DecodeError(
            f"This JPEG XL image holds {1 if pixels.ndim == 2 else pixels.shape[2]} samples "
            f"per pixel where its header says {samples}."
        )
    if signed and pixels.dtype.kind == "u" and samples == 1:
        pixels = _as_signed(pixels, bits_stored)
    # libjxl hands colour out as RGB whatever it stored internally (XYB, YCbCr).
    return fit_to_frame(pixels, rows, columns), photometric if samples == 1 else "RGB"


def _reconstructed_jpeg(codec: object, encoded: bytes) -> bytes | None:
    """The JPEG a recompression codestream was made from; None for other codestreams."""
    rebuild = getattr(codec, "jpegxl_decode_jpeg", None)
    if rebuild is None:
        return None
    try:
        jpeg = rebuild(encoded)
    except Exception:  # No JPEG reconstruction box: a plain JPEG XL codestream.
        return None
    return bytes(jpeg) if jpeg else None


def _as_signed(pixels: np.ndarray, bits_stored: int) -> np.ndarray:
    """Unsigned samples reread as two's complement of ``bits_stored`` bits.

    libjxl has no signed integer samples; signed DICOM data travels as its bit pattern,
    as with JPEG-LS.
    """
    bits = max(1, min(bits_stored, pixels.dtype.itemsize * 8))
    values = pixels.astype(np.int32)
    sign = 1 << (bits - 1)
    signed = ((values & ((1 << bits) - 1)) ^ sign) - sign
    return signed.astype(f"i{pixels.dtype.itemsize}")
