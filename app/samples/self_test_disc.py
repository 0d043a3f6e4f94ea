"""The tiny disc of ``lightbox --self-test``: one small image per compressed transfer syntax.

Each image is the same pattern (:func:`expected_pixels`), so a decoder that returns
anything else is caught: lossless syntaxes must give it back exactly, lossy ones within
:data:`LOSSY_TOLERANCE` grey levels on average. The codestreams are made by imagecodecs,
an encoder independent of the decoders under test (pylibjpeg's libjpeg, openjpeg and rle,
Pillow). ``scripts/make-self-test-disc.py`` writes the copy kept in ``resources/``, which
the bundle carries; :func:`write_self_test_disc` writes the same disc anywhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.fileset import FileSet
from pydicom.uid import UID, RLELossless, SecondaryCaptureImageStorage

__all__ = [
    "LOSSY_TOLERANCE",
    "SELF_TEST_SYNTAXES",
    "SelfTestImage",
    "expected_pixels",
    "write_self_test_disc",
]

ROWS = COLUMNS = 32
LOSSY_TOLERANCE = 0.05  # mean absolute error, as a fraction of the pixel range
_ROOT = "1.2.826.0.1.3680043.10.1478.9"  # the UIDs are fixed: the disc is the same every time

# pydicom 3.0 cannot write these syntaxes itself.
_UNKNOWN_TO_PYDICOM = frozenset(
    {"1.2.840.10008.1.2.4.110", "1.2.840.10008.1.2.4.111", "1.2.840.10008.1.2.4.112"}
)

Encoder = Callable[[npt.NDArray[np.integer]], bytes]


@dataclass(frozen=True)
class SelfTestImage:
    """One image of the disc: its syntax, how its pixels are stored, and how they are made."""

    name: str  # short, for the check lines
    uid: str
    bits: int
    lossless: bool
    file_name: str


SELF_TEST_SYNTAXES: tuple[SelfTestImage, ...] = (
    SelfTestImage("JPEG Baseline", "1.2.840.10008.1.2.4.50", 8, False, "JPEG50"),
    SelfTestImage("JPEG Extended (12-bit)", "1.2.840.10008.1.2.4.51", 12, False, "JPEG51"),
    SelfTestImage("JPEG Lossless", "1.2.840.10008.1.2.4.57", 12, True, "JPEG57"),
    SelfTestImage("JPEG Lossless SV1", "1.2.840.10008.1.2.4.70", 12, True, "JPEG70"),
    SelfTestImage("JPEG-LS Lossless", "1.2.840.10008.1.2.4.80", 12, True, "JPLS80"),
    SelfTestImage("JPEG-LS Near-Lossless", "1.2.840.10008.1.2.4.81", 12, False, "JPLS81"),
    SelfTestImage("JPEG 2000 Lossless", "1.2.840.10008.1.2.4.90", 12, True, "J2K90"),
    SelfTestImage("JPEG 2000", "1.2.840.10008.1.2.4.91", 12, False, "J2K91"),
    SelfTestImage("HTJ2K Lossless", "1.2.840.10008.1.2.4.201", 12, True, "HTJ201"),
    SelfTestImage("HTJ2K", "1.2.840.10008.1.2.4.203", 12, False, "HTJ203"),
    SelfTestImage("RLE Lossless", "1.2.840.10008.1.2.5", 12, True, "RLE5"),
    SelfTestImage("JPEG XL Lossless", "1.2.840.10008.1.2.4.110", 12, True, "JXL110"),
    SelfTestImage("JPEG XL JPEG Recompression", "1.2.840.10008.1.2.4.111", 8, False, "JXL111"),
    SelfTestImage("JPEG XL", "1.2.840.10008.1.2.4.112", 12, False, "JXL112"),
    SelfTestImage("Deflated Explicit VR", "1.2.840.10008.1.2.1.99", 12, True, "DEFL99"),
)


def expected_pixels(bits: int) -> npt.NDArray[np.uint16]:
    """The pattern every image holds: smooth ramps and a disc, stored values of ``bits``."""
    y, x = np.mgrid[0:ROWS, 0:COLUMNS].astype(np.float64)
    ramp = (x + y) / (ROWS + COLUMNS - 2)
    disc = ((x - 20) ** 2 + (y - 12) ** 2) < 36
    values = 0.15 + 0.6 * ramp + 0.25 * disc
    top = (1 << bits) - 1
    pattern: npt.NDArray[np.uint16] = np.clip(np.rint(values * top), 0, top).astype(np.uint16)
    return pattern


def write_self_test_disc(out: Path) -> Path:
    """Write the disc (files plus DICOMDIR) into the new or empty folder ``out``; return it."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise ValueError(f"{out} is not empty; choose a new or empty folder.")
    file_set = FileSet()
    file_set.ID = "LIGHTBOX_TEST"
    file_set.UID = UID(f"{_ROOT}.1")
    datasets = [_dataset(number, image) for number, image in
                enumerate(SELF_TEST_SYNTAXES, start=1)]
    staged = out / ".staging"
    staged.mkdir()
    for ds, image in zip(datasets, SELF_TEST_SYNTAXES, strict=True):
        path = staged / image.file_name
        with _jpeg_xl_known():
            ds.save_as(path, enforce_file_format=True)
            file_set.add(path)
    with _jpeg_xl_known():
        file_set.write(out)
    for child in staged.iterdir():
        child.unlink()
    staged.rmdir()
    return out


@contextlib.contextmanager
def _jpeg_xl_known() -> Iterator[None]:
    """Let pydicom 3.0, which predates JPEG XL, write (and stage in a FileSet) files in its
    syntaxes: they are ordinary encapsulated syntaxes, explicit VR little endian."""
    from pydicom._uid_dict import UID_dictionary

    added = [uid for uid in _UNKNOWN_TO_PYDICOM if uid not in UID_dictionary]
    for uid in added:
        UID_dictionary[uid] = ("JPEG XL", "Transfer Syntax", "", "", "")
    try:
        yield
    finally:
        for uid in added:
            del UID_dictionary[uid]


def _dataset(number: int, image: SelfTestImage) -> Dataset:
    pixels = expected_pixels(image.bits)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = UID(f"{_ROOT}.3.{number}")
    ds.file_meta.TransferSyntaxUID = UID(image.uid)
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.PatientName = "SELF^TEST"
    ds.PatientID = "LIGHTBOX-SELF-TEST"
    ds.StudyInstanceUID = UID(f"{_ROOT}.1.1")
    ds.SeriesInstanceUID = UID(f"{_ROOT}.2.{number}")
    ds.StudyDate = "20240101"
    ds.StudyTime = "120000"
    ds.StudyID = "1"
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyDescription = "Lightbox self-test"
    ds.Modality = "OT"
    ds.ConversionType = "WSD"
    ds.SeriesNumber = number
    ds.SeriesDescription = image.name
    ds.InstanceNumber = 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ROWS
    ds.Columns = COLUMNS
    ds.BitsAllocated = 8 if image.bits == 8 else 16
    ds.BitsStored = image.bits
    ds.HighBit = image.bits - 1
    ds.PixelRepresentation = 0
    stored = pixels.astype(np.uint8) if image.bits == 8 else pixels
    if image.uid == "1.2.840.10008.1.2.1.99":  # pydicom deflates the dataset as it saves
        ds.PixelData = stored.tobytes()
        ds["PixelData"].VR = "OB" if image.bits == 8 else "OW"
    elif image.uid == RLELossless:  # pydicom's own encoder
        ds.compress(RLELossless, stored, encoding_plugin="pydicom", generate_instance_uid=False)
    else:
        ds.PixelData = encapsulate([_ENCODERS[image.uid](stored)])
        ds["PixelData"].VR = "OB"
        if not image.lossless:
            ds.LossyImageCompression = "01"
    return ds


def _codecs() -> object:
    import imagecodecs  # Only the writer needs it (the decoders under test are others).

    return imagecodecs


def _jpeg8(a: npt.NDArray[np.integer], bits: int) -> bytes:
    return bytes(_codecs().jpeg8_encode(a, level=95, bitspersample=bits))  # type: ignore[attr-defined]


def _ljpeg(a: npt.NDArray[np.integer]) -> bytes:
    return bytes(_codecs().ljpeg_encode(a, bitspersample=12))  # type: ignore[attr-defined]


def _jpegls(level: int) -> Encoder:
    return lambda a: bytes(_codecs().jpegls_encode(a, level=level))  # type: ignore[attr-defined]


def _j2k(reversible: bool) -> Encoder:
    def encode(a: npt.NDArray[np.integer]) -> bytes:
        codecs = _codecs()
        return bytes(codecs.jpeg2k_encode(  # type: ignore[attr-defined]
            a, level=None if reversible else 40, codecformat="J2K", reversible=reversible,
            bitspersample=12,
        ))
    return encode


def _htj2k(reversible: bool) -> Encoder:
    def encode(a: npt.NDArray[np.integer]) -> bytes:
        codecs = _codecs()
        # Its level is not a rate: irreversible (9/7 wavelet) at the default quality.
        return bytes(codecs.htj2k_encode(a, reversible=reversible))  # type: ignore[attr-defined]
    return encode


def _jxl(lossless: bool) -> Encoder:
    def encode(a: npt.NDArray[np.integer]) -> bytes:
        codecs = _codecs()
        if lossless:
            return bytes(codecs.jpegxl_encode(  # type: ignore[attr-defined]
                a, lossless=True, bitspersample=12))
        return bytes(codecs.jpegxl_encode(  # type: ignore[attr-defined]
            a, distance=1.0, bitspersample=12))
    return encode


def _jxl_recompressed(a: npt.NDArray[np.integer]) -> bytes:
    codecs = _codecs()
    return bytes(codecs.jpegxl_encode_jpeg(_jpeg8(a, 8)))  # type: ignore[attr-defined]


_ENCODERS: dict[str, Encoder] = {
    "1.2.840.10008.1.2.4.50": lambda a: _jpeg8(a, 8),
    "1.2.840.10008.1.2.4.51": lambda a: _jpeg8(a, 12),
    "1.2.840.10008.1.2.4.57": _ljpeg,
    "1.2.840.10008.1.2.4.70": _ljpeg,
    "1.2.840.10008.1.2.4.80": _jpegls(0),
    "1.2.840.10008.1.2.4.81": _jpegls(2),
    "1.2.840.10008.1.2.4.90": _j2k(True),
    "1.2.840.10008.1.2.4.91": _j2k(False),
    "1.2.840.10008.1.2.4.201": _htj2k(True),
    "1.2.840.10008.1.2.4.203": _htj2k(False),
    "1.2.840.10008.1.2.4.110": _jxl(True),
    "1.2.840.10008.1.2.4.111": _jxl_recompressed,
    "1.2.840.10008.1.2.4.112": _jxl(False),
}
