"""JPEG 2000, HTJ2K, JPEG-LS and JPEG Lossless frames decoded by imagecodecs, as a pydicom
decoding plugin.

Why: pydicom's plugins for these syntaxes (pylibjpeg-openjpeg, pylibjpeg-libjpeg) hold the
GIL while they decode, so the viewer's loader threads (one per open medium, one per pane
of the compare view) take turns; imagecodecs releases it, so two panes decode at once.
Measured here on 512 x 512 CT frames: JPEG 2000 25.5 ms per frame either way, JPEG-LS
15.5 ms (libjpeg) against 3.5 ms (CharLS in imagecodecs); two threads 0.99x the
throughput of one with the plugins, 1.93x with imagecodecs.

Why a pydicom plugin rather than a decoder of our own: pydicom then does everything after
the codestream exactly as it does for the other plugins (dtype from Bits Allocated and
Pixel Representation, the sign correction of JPEG 2000 and JPEG-LS, the colour space of
the codestream's component IDs, Bits Stored), so the picture cannot differ. This module
only returns the decoded samples in the layout pylibjpeg's plugins return them, and
refuses (raises) anything else, so the caller falls back to them.

imagecodecs is a runtime dependency already (JPEG XL, ``app.imaging.jxl``); its codecs
are imported by name on first use, so the frozen bundle lists them (pyinstaller.spec).
"""

import importlib.util
import threading
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pydicom.pixels.decoders.base import DecodeRunner

PLUGIN_LABEL = "lightbox-imagecodecs"
JPEG2000_SYNTAXES = frozenset(
    {
        "1.2.840.10008.1.2.4.90",
        "1.2.840.10008.1.2.4.91",
        "1.2.840.10008.1.2.4.201",
        "1.2.840.10008.1.2.4.202",
        "1.2.840.10008.1.2.4.203",
    }
)
JPEG_LS_SYNTAXES = frozenset({"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"})
# JPEG Lossless (process 14, and its selection value 1): imagecodecs' ljpeg (liblj92-based)
# gives the same values as libjpeg on every corpus file of these syntaxes, ~5x faster.
JPEG_LOSSLESS_SYNTAXES = frozenset({"1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"})
FAST_SYNTAXES = JPEG2000_SYNTAXES | JPEG_LS_SYNTAXES | JPEG_LOSSLESS_SYNTAXES
# pydicom asks a plugin for this when it is unavailable (to name what to install).
DECODER_DEPENDENCIES = {syntax: ("imagecodecs",) for syntax in FAST_SYNTAXES}

_CODEC_FOR = {
    **{syntax: "JPEG2K" for syntax in JPEG2000_SYNTAXES},
    **{syntax: "JPEGLS" for syntax in JPEG_LS_SYNTAXES},
    **{syntax: "LJPEG" for syntax in JPEG_LOSSLESS_SYNTAXES},
}
_registered: set[str] = set()
_register_lock = threading.Lock()
_DISABLED = {"value": False}


def is_available(uid: str) -> bool:
    """True when imagecodecs is installed with the codec for ``uid`` (pydicom's plugin hook)."""
    codec = _CODEC_FOR.get(str(uid))
    if codec is None or _DISABLED["value"]:
        return False
    if importlib.util.find_spec("imagecodecs") is None:
        return False
    try:
        import imagecodecs
    except ImportError:
        return False
    return bool(getattr(getattr(imagecodecs, codec, None), "available", False))


def plugin_for(syntax: str) -> str:
    """The plugin label to decode ``syntax`` with first; "" when imagecodecs cannot.

    Registers the plugin with pydicom's decoder for ``syntax`` on first use (pydicom's
    registry is not thread-safe, hence the lock).
    """
    if syntax not in FAST_SYNTAXES or _DISABLED["value"]:
        return ""
    from pydicom.pixels.decoders.base import get_decoder

    decoder = get_decoder(syntax)
    with _register_lock:
        if syntax not in _registered:
            _registered.add(syntax)
            try:
                decoder.add_plugin(PLUGIN_LABEL, (__name__, "decode_frame"))
            except Exception:  # pydicom's own plugins decode it as before
                return ""
    return PLUGIN_LABEL if PLUGIN_LABEL in decoder.available_plugins else ""


def set_enabled(enabled: bool) -> None:
    """Turn the imagecodecs path on or off (tests compare it with pydicom's plugins)."""
    _DISABLED["value"] = not enabled


def decode_frame(src: bytes, runner: "DecodeRunner") -> bytes:
    """One encoded frame as the bytes pylibjpeg's plugins would return (pydicom's hook).

    Raises ValueError when the decoded samples are not the shape or the sample size
    the header and codestream call for: pydicom then tries its other plugins.
    """
    import imagecodecs  # Imported on first use: it is large and most discs never need it.

    syntax = str(runner.transfer_syntax)
    rows, columns, samples = runner.rows, runner.columns, runner.samples_per_pixel
    if syntax in JPEG2000_SYNTAXES:
        # One thread: the viewer decodes several frames at once on its own threads.
        pixels = np.asarray(imagecodecs.jpeg2k_decode(src, numthreads=1))
        precision = int(runner.get_option("j2k_precision", runner.bits_stored))
        # OpenJPEG applies the inverse multiple component transform: YBR_ICT and
        # YBR_RCT come out as RGB, as pylibjpeg-openjpeg reports them.
        if runner.photometric_interpretation in ("YBR_ICT", "YBR_RCT"):
            runner.set_option("photometric_interpretation", "RGB")
    elif syntax in JPEG_LS_SYNTAXES:
        pixels = np.asarray(imagecodecs.jpegls_decode(src))
        precision = int(runner.get_option("jls_precision", runner.bits_stored))
    else:
        return _jpeg_lossless(imagecodecs.ljpeg_decode(src), runner)
    expected = (rows, columns) if samples == 1 else (rows, columns, samples)
    if pixels.shape != expected and not (samples == 1 and pixels.shape == (rows, columns, 1)):
        raise ValueError(f"imagecodecs returned {pixels.shape}, expected {expected}")
    itemsize = _container_bytes(precision)
    if pixels.dtype.kind not in "iu" or pixels.dtype.itemsize != itemsize:
        raise ValueError(f"imagecodecs returned {pixels.dtype} for {precision}-bit samples")
    # The container follows the codestream's precision, samples interleaved, as with
    # pylibjpeg's plugins; pydicom widens to Bits Allocated and fixes the sign after.
    runner.set_option("bits_allocated", itemsize * 8)
    if samples > 1:
        runner.set_option("planar_configuration", 0)
    return np.ascontiguousarray(pixels).tobytes()


def _jpeg_lossless(decoded: object, runner: "DecodeRunner") -> bytes:
    """A JPEG Lossless frame as libjpeg returns it: samples interleaved, in the container of
    Bits Allocated, the stored bit pattern (pydicom sign-extends below Bits Stored)."""
    pixels = np.asarray(decoded)
    rows, columns, samples = runner.rows, runner.columns, runner.samples_per_pixel
    expected = (rows, columns) if samples == 1 else (rows, columns, samples)
    if pixels.shape != expected or pixels.dtype.kind != "u":
        raise ValueError(f"imagecodecs returned {pixels.shape} {pixels.dtype}, expected {expected}")
    itemsize = max(1, runner.bits_allocated // 8)
    if itemsize not in (1, 2) or int(pixels.max(initial=0)) >> runner.bits_allocated:
        raise ValueError("imagecodecs returned samples wider than Bits Allocated")
    return np.ascontiguousarray(pixels, dtype=f"<u{itemsize}").tobytes()


def _container_bytes(precision: int) -> int:
    if 0 < precision <= 8:
        return 1
    if precision <= 16:
        return 2
    return 4
