"""Read what a file on a medium is, from its header alone.

The header is parsed once and parsing stops before the pixel data. Whether the pixel data
is complete is then decided from the element's length (or its fragment item headers)
against the file size, so a truncated file is found without reading its image.
"""

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.pixels.decoders.base import get_decoder
from pydicom.uid import UID

from app.core.dicom_prefix import PREFIX_BYTES, looks_like_dicom
from app.core.dicom_values import (
    dataset_int,
    dataset_text,
    dataset_ushort,
    frame_count,
    keyword_tag,
    person_name,
)
from app.core.errors import MediaError
from app.core.inflate import (
    MAX_INFLATED_BYTES,
    InflateLimitError,
    deflated_dataset_start,
    inflated_size,
)
from app.core.models import InstanceRef, ProblemKind
from app.media.dicomdir import MEDIA_STORAGE_DIRECTORY

_PIXEL_TAGS = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})
_ITEM = 0xFFFEE000
_SEQ_END = 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
_LONG_VRS = frozenset({b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"UN", b"SQ", b"UT", b"UC"})
_NATIVE_SYNTAXES = frozenset(
    {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"}
)
_DEFLATED = "1.2.840.10008.1.2.1.99"
# Walking fragment headers is cheap, but a hostile file may claim millions of them.
MAX_FRAGMENTS = 100_000


@dataclass(frozen=True)
class HeaderResult:
    """What one file turned out to be.

    Exactly one of these holds: ``instance`` is set (a readable instance; ``problem`` may
    still say ``unsupported``), ``is_directory`` (a DICOMDIR or DIRFILE), or ``problem``
    says why the file cannot be used (``not-dicom`` or ``unreadable``).
    """

    instance: InstanceRef | None = None
    is_directory: bool = False
    problem: ProblemKind | None = None
    detail: str = ""


def read_header(
    stream: IO[bytes], size: int, path: str, decodable: Callable[[str], bool] | None = None
) -> HeaderResult:
    """Identify the file in ``stream`` (``size`` bytes long) at media path ``path``.

    ``decodable(transfer_syntax)`` says whether the application can show images in that
    syntax (the imaging layer knows its own decoders, e.g. JPEG XL); without it, pydicom's
    installed decoders decide.
    """
    prefix = stream.read(PREFIX_BYTES)  # MediaError from a damaged container goes up.
    if not looks_like_dicom(prefix):
        return HeaderResult(problem="not-dicom", detail="This is not a DICOM file.")
    try:
        if deflated_dataset_start(stream) is not None:
            inflated_size(stream)
    except (InflateLimitError, zlib.error):
        return HeaderResult(
            problem="unreadable",
            detail="The file is damaged: its deflated data cannot be read within "
            f"{MAX_INFLATED_BYTES >> 20} MB of memory.",
        )
    stream.seek(0)
    try:
        ds = dcmread(stream, stop_before_pixels=True, force=True)
        has_pixels, pixel_problem = _pixel_data_problem(stream, ds, size)
        return _result_from_dataset(ds, path, has_pixels, pixel_problem, decodable)
    except MediaError:
        raise  # The medium could not deliver the bytes: said by the reader in its words.
    except Exception as exc:
        return HeaderResult(problem="unreadable", detail=f"The file is damaged: {_short(exc)}.")


def _short(exc: Exception) -> str:
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _result_from_dataset(
    ds: Dataset, path: str, has_pixels: bool, pixel_problem: str,
    decodable: Callable[[str], bool] | None,
) -> HeaderResult:
    meta = getattr(ds, "file_meta", None) or Dataset()
    sop_class = dataset_text(ds, "SOPClassUID") or dataset_text(meta, "MediaStorageSOPClassUID")
    if sop_class == MEDIA_STORAGE_DIRECTORY or keyword_tag("DirectoryRecordSequence") in ds:
        return HeaderResult(is_directory=True)
    if keyword_tag("SOPInstanceUID") not in ds:
        # pydicom stops quietly at the end of a cut file; what it kept lacks the basics.
        return HeaderResult(
            problem="unreadable",
            detail="The file is damaged or cut short: it has no SOP Instance UID.",
        )
    if not (dataset_text(ds, "SOPInstanceUID") or dataset_text(meta, "MediaStorageSOPInstanceUID")):
        return HeaderResult(
            problem="unsupported",
            detail="Its SOP Instance UID is empty, so Lightbox cannot keep track of it.",
        )
    if not has_pixels and _describes_an_image(ds):
        return HeaderResult(
            problem="unreadable", detail="The file ends before its image data (it is cut short)."
        )
    ref = instance_from_dataset(ds, path)
    if pixel_problem:
        return HeaderResult(problem="unreadable", detail=pixel_problem)
    unsupported = (_unsupported_reason(ref.transfer_syntax_uid, decodable) if has_pixels
                   else "")
    if unsupported:
        return HeaderResult(instance=ref, problem="unsupported", detail=unsupported)
    return HeaderResult(instance=ref)


def instance_from_dataset(ds: Dataset, path: str) -> InstanceRef:
    """What a parsed header says about the instance at media path ``path``."""
    meta = getattr(ds, "file_meta", None) or Dataset()
    transfer_syntax = dataset_text(meta, "TransferSyntaxUID")
    if not transfer_syntax:
        implicit, little = ds.original_encoding
        transfer_syntax = (
            "1.2.840.10008.1.2" if implicit else
            "1.2.840.10008.1.2.1" if little else "1.2.840.10008.1.2.2"
        )
    return InstanceRef(
        path=path,
        sop_instance_uid=(
            dataset_text(ds, "SOPInstanceUID") or dataset_text(meta, "MediaStorageSOPInstanceUID")
        ),
        sop_class_uid=(
            dataset_text(ds, "SOPClassUID") or dataset_text(meta, "MediaStorageSOPClassUID")
        ),
        transfer_syntax_uid=transfer_syntax,
        patient_id=dataset_text(ds, "PatientID"),
        patient_name=person_name(dataset_text(ds, "PatientName")),
        patient_birth_date=dataset_text(ds, "PatientBirthDate"),
        patient_sex=dataset_text(ds, "PatientSex"),
        study_instance_uid=dataset_text(ds, "StudyInstanceUID"),
        study_date=dataset_text(ds, "StudyDate"),
        study_description=dataset_text(ds, "StudyDescription"),
        series_instance_uid=dataset_text(ds, "SeriesInstanceUID"),
        modality=dataset_text(ds, "Modality"),
        series_number=dataset_int(ds, "SeriesNumber"),
        series_description=dataset_text(ds, "SeriesDescription"),
        instance_number=dataset_int(ds, "InstanceNumber"),
        number_of_frames=frame_count(dataset_int(ds, "NumberOfFrames")),
        body_part_examined=dataset_text(ds, "BodyPartExamined"),
        protocol_name=dataset_text(ds, "ProtocolName"),
        contrast_agent=dataset_text(ds, "ContrastBolusAgent"),
        view_position=dataset_text(ds, "ViewPosition"),
        institution_name=dataset_text(ds, "InstitutionName"),
    )


def _describes_an_image(ds: Dataset) -> bool:
    """True when the header describes an image (Rows, Columns), which needs pixel data."""
    return keyword_tag("Rows") in ds and keyword_tag("Columns") in ds


def _unsupported_reason(transfer_syntax: str, decodable: Callable[[str], bool] | None) -> str:
    if transfer_syntax in _NATIVE_SYNTAXES:
        return ""
    if decodable is not None:
        if decodable(transfer_syntax):
            return ""
    else:
        try:
            decoder = get_decoder(transfer_syntax)
        except (NotImplementedError, ValueError):
            decoder = None
        if decoder is not None and decoder.is_available:
            return ""
    name = UID(transfer_syntax).name
    label = f"{name} ({transfer_syntax})" if name != transfer_syntax else transfer_syntax
    return f"Its images are stored as {label}, which no installed decoder can show."


_TRUNCATED = "The file ends in the middle of its image data (it is truncated)."


def _pixel_data_problem(stream: IO[bytes], ds: Dataset, size: int) -> tuple[bool, str]:
    """Return (has pixel data, problem) judged from lengths only; problem '' when complete."""
    meta = getattr(ds, "file_meta", None)
    if meta is not None and dataset_text(meta, "TransferSyntaxUID") == _DEFLATED:
        # Inflated in memory by pydicom: positions no longer match the file.
        return _describes_an_image(ds), ""
    pos = stream.tell()
    if pos >= size:
        return False, ""  # No pixel data: SR, RT plan, PDF...
    implicit, little = ds.original_encoding
    endian = "<" if little else ">"
    head = stream.read(12)
    implicit = bool(implicit)
    if len(head) < 8:
        return True, _TRUNCATED
    group, elem = struct.unpack_from(endian + "HH", head)
    if (group << 16 | elem) not in _PIXEL_TAGS:
        return False, ""
    return True, _pixel_length_problem(stream, ds, head, pos, size, implicit, endian)


def _pixel_length_problem(
    stream: IO[bytes], ds: Dataset, head: bytes, pos: int, size: int, implicit: bool, endian: str
) -> str:
    vr = head[4:6]
    if not implicit and vr.isalpha():
        if vr in _LONG_VRS:
            if len(head) < 12:
                return _TRUNCATED
            (length,) = struct.unpack_from(endian + "I", head, 8)
            value_pos = pos + 12
        else:
            (length,) = struct.unpack_from(endian + "H", head, 6)
            value_pos = pos + 8
    else:
        (length,) = struct.unpack_from(endian + "I", head, 4)
        value_pos = pos + 8
    if length == _UNDEFINED:
        frames = dataset_int(ds, "NumberOfFrames") or 1
        return _fragments_problem(stream, value_pos, size, endian, frames)
    if value_pos + length > size:
        return (
            f"The file is truncated: its image needs {value_pos + length:,} bytes "
            f"but the file has {size:,}."
        )
    expected = _native_pixel_bytes(ds)
    if expected and length < expected:
        return (
            f"The image data is incomplete: {length:,} bytes stored, "
            f"{expected:,} needed for the image size."
        )
    return ""


def _native_pixel_bytes(ds: Dataset) -> int:
    rows, cols = dataset_ushort(ds, "Rows"), dataset_ushort(ds, "Columns")
    bits = dataset_ushort(ds, "BitsAllocated")
    samples = dataset_ushort(ds, "SamplesPerPixel") or 1
    if dataset_text(ds, "PhotometricInterpretation") == "YBR_FULL_422":
        samples = 2  # Chroma shared by each pair of pixels: Y Y Cb Cr.
    frames = max(1, dataset_int(ds, "NumberOfFrames") or 1)
    pixels = rows * cols * samples * frames
    if bits == 1:
        return (pixels + 7) // 8
    return pixels * (bits // 8)


def _fragments_problem(
    stream: IO[bytes], pos: int, size: int, endian: str, frames: int
) -> str:
    """Walk the item headers of encapsulated pixel data, seeking past each fragment."""
    items = 0
    header = struct.Struct(endian + "HHI")
    while items <= MAX_FRAGMENTS:
        if pos + 8 > size:
            return "The file is truncated: its compressed image data stops before the end."
        stream.seek(pos)
        group, elem, length = header.unpack(stream.read(8))
        tag = group << 16 | elem
        if tag == _SEQ_END:
            fragments = max(0, items - 1)  # The first item is the offset table.
            if fragments == 0:
                return "The file holds no compressed image data."
            if fragments < frames and frames > 1:
                return f"The file holds {fragments} compressed images, but says it has {frames}."
            return ""
        if tag != _ITEM or length == _UNDEFINED:
            return "The compressed image data is damaged."
        pos += 8 + length
        if pos > size:
            return "The file is truncated: its compressed image data stops before the end."
        items += 1
    return "The compressed image data is damaged (too many fragments)."
