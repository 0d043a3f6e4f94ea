"""Transfer syntaxes: names people can read, and which decoder reads each.

Decoders are pydicom 3's, with its plugins (pylibjpeg-libjpeg, -openjpeg, -rle) and
Pillow, plus Lightbox's own backends for what pydicom lacks (JPEG XL), registered below
by label with an availability check; what none of them reads is named in the message the
viewer shows instead.
"""

from collections.abc import Callable
from dataclasses import dataclass

from pydicom.pixels.decoders.base import get_decoder
from pydicom.uid import UID

from app.imaging.jxl import BACKEND_LABEL as JXL_LABEL
from app.imaging.jxl import JPEG_XL_SYNTAXES, jxl_available

IMPLICIT_LITTLE = "1.2.840.10008.1.2"
EXPLICIT_LITTLE = "1.2.840.10008.1.2.1"
EXPLICIT_BIG = "1.2.840.10008.1.2.2"
DEFLATED = "1.2.840.10008.1.2.1.99"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_EXTENDED = "1.2.840.10008.1.2.4.51"
RLE = "1.2.840.10008.1.2.5"
NATIVE_SYNTAXES = frozenset({IMPLICIT_LITTLE, EXPLICIT_LITTLE, EXPLICIT_BIG, DEFLATED})
OPENJPEG_SYNTAXES = frozenset(
    {
        "1.2.840.10008.1.2.4.90",
        "1.2.840.10008.1.2.4.91",
        "1.2.840.10008.1.2.4.201",
        "1.2.840.10008.1.2.4.202",
        "1.2.840.10008.1.2.4.203",
    }
)
# pydicom 3.0 predates these; a patient should still read a name, not only a number.
_SYNTAX_NAMES = {
    "1.2.840.10008.1.2.4.110": "JPEG XL Lossless",
    "1.2.840.10008.1.2.4.111": "JPEG XL JPEG Recompression",
    "1.2.840.10008.1.2.4.112": "JPEG XL",
    "1.2.840.10008.1.2.8.1": "Deflated Image Frame Compression",
}




@dataclass(frozen=True)
class Backend:
    """A decoder of Lightbox's own for syntaxes pydicom cannot read."""

    label: str
    is_available: Callable[[], bool]


# Checked before pydicom's decoders. JPEG XL: see app/imaging/jxl.py for why imagecodecs.
OWN_BACKENDS: dict[str, Backend] = {
    syntax: Backend(JXL_LABEL, jxl_available) for syntax in sorted(JPEG_XL_SYNTAXES)
}


def own_backend(syntax: str) -> Backend | None:
    """Lightbox's own installed decoder for ``syntax``; None when pydicom's are the ones."""
    backend = OWN_BACKENDS.get(syntax)
    return backend if backend is not None and backend.is_available() else None


def syntax_label(transfer_syntax_uid: str) -> str:
    """A transfer syntax as people read it: its name and its UID, e.g. ``JPEG XL (1.2...)``."""
    name = _SYNTAX_NAMES.get(transfer_syntax_uid) or UID(transfer_syntax_uid).name
    if name and name != transfer_syntax_uid:
        return f"{name} ({transfer_syntax_uid})"
    return transfer_syntax_uid


def unsupported_reason(syntax: str) -> str:
    """Why frames in ``syntax`` cannot be decoded here, in one sentence; "" when they can."""
    if syntax in NATIVE_SYNTAXES or own_backend(syntax) is not None:
        return ""
    try:
        available = get_decoder(syntax).is_available
    except (NotImplementedError, ValueError):
        available = False
    if available:
        return ""
    return f"This image is stored as {syntax_label(syntax)}, which no installed decoder can read."


def preferred_plugin(syntax: str) -> str:
    """The pydicom decoding plugin to try first for ``syntax`` ("" lets pydicom choose)."""
    # pylibjpeg's RLE is several times faster than pydicom's own; openjpeg handles more
    # JPEG 2000 variants (>8-bit colour) than Pillow does.
    if syntax == RLE or syntax in OPENJPEG_SYNTAXES:
        return "pylibjpeg"
    return ""
