"""Baseline JPEG through Pillow, and the mending of scan headers old encoders damaged.

Pillow's libjpeg-turbo converts YCbCr to RGB exactly as dcmtk's IJG libjpeg does
(pylibjpeg's libjpeg is up to 9 levels off on subsampled chroma), so baseline frames are
decoded here rather than through pydicom's plugins.
"""

import io
import struct
import warnings

import numpy as np
from PIL import Image

# Frame sizes are checked against the header before Pillow sees a codestream
# (``codestream_size``), so its bomb warning would only reach stderr as noise.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def decode_baseline(
    encoded: bytes, rows: int, columns: int, samples: int, photometric: str
) -> tuple[np.ndarray, str] | None:
    """One baseline JPEG frame as (pixels, photometric of the pixels); None when Pillow
    cannot read it or it has the wrong number of samples."""
    try:
        image = Image.open(io.BytesIO(encoded), formats=["JPEG"])
        stored_as_rgb = samples == 3 and not photometric.startswith("YBR")
        if stored_as_rgb and "adobe_transform" not in image.info:
            # The header says the samples are RGB already: keep them as stored, as dcmtk
            # does, instead of letting libjpeg guess YCbCr from the missing markers.
            image.draft("YCbCr", image.size)
        pixels = np.asarray(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    if (1 if pixels.ndim == 2 else pixels.shape[2]) != samples:
        return None
    return fit_to_frame(pixels, rows, columns), photometric if samples == 1 else "RGB"


_SEQUENTIAL_FRAMES = frozenset({0xC0, 0xC1})  # SOF0 baseline, SOF1 extended sequential
_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD9)})


def repair_sequential_scan(encoded: bytes) -> bytes | None:
    """``encoded`` with the scan header of a sequential JPEG mended; None if it was fine.

    Sequential JPEG fixes spectral selection to 0-63 and successive approximation to 0;
    some old encoders wrote other values there, which IJG's libjpeg ignores.
    """
    position = 2 if encoded[:2] == b"\xff\xd8" else -1
    frame_type = 0
    while 0 <= position < len(encoded) - 4:
        if encoded[position] != 0xFF:
            return None
        marker = encoded[position + 1]
        if marker == 0xFF:
            position += 1  # Fill byte.
            continue
        if marker in _STANDALONE_MARKERS:
            position += 2
            continue
        (length,) = struct.unpack_from(">H", encoded, position + 2)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            frame_type = marker
        if marker == 0xDA:
            components = encoded[position + 4]
            spectral = position + 5 + 2 * components
            if frame_type not in _SEQUENTIAL_FRAMES or spectral + 3 > len(encoded):
                return None
            if encoded[spectral : spectral + 3] == b"\x00\x3f\x00":
                return None
            return encoded[:spectral] + b"\x00\x3f\x00" + encoded[spectral + 3 :]
        position += 2 + length
    return None


def fit_to_frame(pixels: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """A decoded frame of the wrong size placed at the top left of a black frame.

    Some tiled images store their edge tiles only as large as the image reaches into them
    (the header says every frame is the full tile). Drawn in place they show correctly;
    dcmtk instead pours the short rows one after the other, which scrambles the tile.
    """
    if pixels.shape[:2] == (rows, columns):
        return pixels
    fitted = np.zeros((rows, columns, *pixels.shape[2:]), dtype=pixels.dtype)
    height, width = min(rows, pixels.shape[0]), min(columns, pixels.shape[1])
    fitted[:height, :width] = pixels[:height, :width]
    return fitted


_J2K_SIZ = b"\xff\x4f\xff\x51"
_JPEG_FRAME_MARKERS = frozenset({*range(0xC0, 0xD0), 0xF7}) - {0xC4, 0xC8, 0xCC}


def codestream_size(encoded: bytes) -> tuple[int, int] | None:
    """(columns, rows) that a JPEG (SOF), JPEG-LS (SOF55) or JPEG 2000 (SIZ) codestream
    says it holds, from its own header; None when there is no such header to read.

    Decoders allocate for these, not for the DICOM header's Rows and Columns, so a frame
    whose codestream claims 65535 × 65535 must be refused before it is decoded.
    """
    siz = encoded.find(_J2K_SIZ, 0, 4096)
    if siz >= 0 and siz + 24 <= len(encoded):
        xsiz, ysiz, xosiz, yosiz = struct.unpack_from(">4I", encoded, siz + 8)
        return max(0, xsiz - xosiz), max(0, ysiz - yosiz)
    if encoded[:2] != b"\xff\xd8":
        return None
    position = 2
    while position + 9 <= len(encoded):
        if encoded[position] != 0xFF:
            return None
        marker = encoded[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        if marker in _STANDALONE_MARKERS:
            position += 2
            continue
        if marker in _JPEG_FRAME_MARKERS:
            rows, columns = struct.unpack_from(">HH", encoded, position + 5)
            return columns, rows
        if marker == 0xDA:
            return None
        (length,) = struct.unpack_from(">H", encoded, position + 2)
        position += 2 + length
    return None
