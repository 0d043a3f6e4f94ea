"""A richly populated synthetic dataset for the de-identification tests, and checks on
written files (raw bytes, dciodvfy).

``rich_dataset`` fills every attribute of Table E.1-1 that pydicom can create, with a
marker value of its VR that appears nowhere else, at the top level and again inside a
nested sequence two levels down, plus named private attributes holding the patient's name.
Its ``Markers`` say which values must be gone after de-identification.
"""

import io
import re
import subprocess
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from pydicom import dcmread
from pydicom.datadict import dictionary_has_tag, dictionary_VR, keyword_for_tag
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

from app.deidentify.descriptors import CLEANED_DESCRIPTORS
from app.deidentify.table import basic_profile
from tests.conftest import tool

# Fixed secrets: the tests are deterministic (no run depends on a random key).
SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(100, 132))

FAMILY, GIVEN = "Zqfamilia", "Zqgiven"
PATIENT_NAME = f"{FAMILY}^{GIVEN}"
PATIENT_ID = "ZQPATIENT-4242"
# Every marker date lies in 1990 (before any shift of at least 365 days back).
_BAND_START = date(1990, 1, 1)
_TEXT_VRS = {"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UT"}
_BINARY_VRS = {"OB", "OW", "OD", "OF", "OL", "OV", "UN"}
# Groups that are not in a stored dataset (command and file meta).
_SKIPPED_GROUPS = {0x0000, 0x0002}


@dataclass
class Markers:
    """Values put into the dataset, as bytes, that must not be in the de-identified file."""

    gone: dict[bytes, str] = field(default_factory=dict)
    # Tags (at the top level) whose value is binary, checked by value, not by bytes.
    binary: dict[int, object] = field(default_factory=dict)
    # UIDs put in, in the order made (they must all be replaced).
    uids: list[str] = field(default_factory=list)

    def must_go(self, value: bytes, where: str) -> None:
        self.gone[value] = where


def _vr_of(tag: int) -> str:
    if not dictionary_has_tag(tag):
        return "LO"  # Listed by a newer edition than pydicom's dictionary.
    return dictionary_VR(tag).split(" or ")[0]


def _date(n: int) -> str:
    return (_BAND_START + timedelta(days=n % 300)).strftime("%Y%m%d")


def _value(tag: int, vr: str, n: int, level: int, markers: Markers) -> object:
    """A value of ``vr`` unique to (tag, level), recorded in ``markers``."""
    where = f"{Tag(tag)} {keyword_for_tag(tag) or '?'} level {level}"
    text = f"ZQ{level}{n:04d}X"
    if vr in _TEXT_VRS:
        if keyword_for_tag(tag) in CLEANED_DESCRIPTORS:
            # A description holding the patient's family name: not clean, so it goes.
            value = f"{text} {FAMILY}"
            markers.must_go(text.encode(), where)
            return value[:64] if vr in ("LO", "LT", "ST", "UT", "UC") else text
        markers.must_go(text.encode(), where)
        return text
    if vr == "DA":
        markers.must_go(_date(n).encode(), where)
        return _date(n)
    if vr == "DT":
        value = _date(n) + "101112"
        markers.must_go(_date(n).encode(), where)
        return value
    if vr == "TM":
        return f"{n % 24:02d}{n % 60:02d}{(7 * n) % 60:02d}"
    if vr == "AS":
        markers.must_go(b"077Y", where)
        return "077Y"
    if vr == "DS":
        value = f"7{level}{n:04d}.25"
        markers.must_go(value.encode(), where)
        return value
    if vr == "IS":
        value = f"6{level}{n:04d}"
        markers.must_go(value.encode(), where)
        return value
    if vr == "UI":
        value = f"1.2.826.0.1.3680043.10.9{level}.{n}.{7 * n + 1}"
        markers.must_go(value.encode(), where)
        markers.uids.append(value)
        return value
    if vr == "UR":
        value = f"http://zq{level}{n:04d}x.example/"
        markers.must_go(value.encode(), where)
        return value
    if vr in _BINARY_VRS:
        markers.must_go(text.encode(), where)
        return text.encode() + b"\0" * (len(text) % 2)
    if vr in ("US", "SS", "UL", "SL", "UV", "SV"):
        return 60000 + n % 1000
    if vr in ("FL", "FD"):
        return 12345.5 + n
    if vr == "AT":
        return 0x00100010
    raise AssertionError(f"no marker for VR {vr}")


def _sequence_item(tag: int, n: int, level: int, markers: Markers) -> Dataset:
    """One item for a listed sequence: a name, a referenced image, and, where the profile
    replaces free text, a text value."""
    item = Dataset()
    item.PatientName = f"ZQ{level}{n:04d}N^{FAMILY}"
    markers.must_go(f"ZQ{level}{n:04d}N".encode(), f"{Tag(tag)} item name")
    item.ReferencedSOPClassUID = CTImageStorage
    uid = f"1.2.826.0.1.3680043.10.8{level}.{n}"
    markers.uids.append(uid)
    markers.must_go(uid.encode(), f"{Tag(tag)} item UID")
    item.ReferencedSOPInstanceUID = uid
    codes = basic_profile().codes(Tag(tag)) or frozenset()
    if "U*" not in codes:  # U* sequences keep their items as they are, UIDs replaced.
        item.TextValue = f"ZQ{level}{n:04d}T said {FAMILY}"
        markers.must_go(f"ZQ{level}{n:04d}T".encode(), f"{Tag(tag)} item text")
        code = Dataset()
        code.CodeValue = f"ZQ{level}{n:04d}C"
        code.CodingSchemeDesignator = "99ZQ"
        code.CodeMeaning = "identity code"
        if keyword_for_tag(tag) == "PersonIdentificationCodeSequence":
            item.update(code)
            markers.must_go(code.CodeValue.encode(), f"{Tag(tag)} person code")
    return item


def _fill(ds: Dataset, level: int, markers: Markers) -> None:
    table = basic_profile()
    for n, tag in enumerate(sorted(table.tags())):
        if Tag(tag).group in _SKIPPED_GROUPS:
            continue
        vr = _vr_of(tag)
        if vr == "SQ":
            ds.add(DataElement(tag, "SQ", Sequence([_sequence_item(tag, n, level, markers)])))
            continue
        value = _value(tag, vr, n, level, markers)
        ds.add(DataElement(tag, vr, value))
        if vr in ("US", "SS", "UL", "SL", "UV", "SV", "FL", "FD", "AT") and level == 0:
            markers.binary[tag] = value
    # Curves and overlays (repeating groups), with text and data.
    ds.add(DataElement(0x50000022, "LO", f"ZQ{level}CURVE"))
    ds.add(DataElement(0x50003000, "OB", f"ZQ{level}CURVEDATA".encode()))
    ds.add(DataElement(0x60024000, "LT", f"ZQ{level}OVERLAYCOMMENT"))
    ds.add(DataElement(0x60020022, "LO", f"ZQ{level}OVERLAYDESC"))
    for text in ("CURVE", "CURVEDATA", "OVERLAYCOMMENT", "OVERLAYDESC"):
        markers.must_go(f"ZQ{level}{text}".encode(), f"{text} level {level}")
    # Named private attributes carrying the name, an ID and a date.
    block = ds.private_block(0x0029, "ZQ PRIVATE CREATOR", create=True)
    block.add_new(0x10, "LO", f"ZQ{level}PRIV {FAMILY}")
    block.add_new(0x11, "DA", "19900601")
    block.add_new(0x12, "SH", f"ZQ{level}PRIVID")
    markers.must_go(f"ZQ{level}PRIV".encode(), f"private level {level}")
    markers.must_go(b"ZQ PRIVATE CREATOR", "private creator")


def rich_dataset() -> tuple[Dataset, Markers]:
    """A CT image with every Table E.1-1 attribute filled (top level, and two levels deep
    inside unlisted sequences), and the markers that must not survive."""
    markers = Markers()
    ds = Dataset()
    _fill(ds, 0, markers)
    nested = Dataset()
    _fill(nested, 1, markers)
    deeper = Dataset()
    _fill(deeper, 2, markers)
    holder = Dataset()
    holder.PerformedProtocolCodeSequence = Sequence([deeper])  # not listed by the table
    nested.ReferencedSeriesSequence = Sequence([holder])  # not listed either
    ds.ReferencedSeriesSequence = Sequence([nested])
    # The patient, and the image: a valid CT after all.
    for replaced in (ds.PatientName, ds.PatientID):  # Their table markers, overwritten:
        del markers.gone[str(replaced).encode()]
    ds.PatientName = PATIENT_NAME
    ds.PatientID = PATIENT_ID
    for value in (FAMILY, GIVEN, PATIENT_ID):
        markers.must_go(value.encode(), "patient")
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = CTImageStorage
    ds.Modality = "CT"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = 8
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleIntercept, ds.RescaleSlope = "-1024", "1"
    ds.PixelData = (np.arange(64, dtype="<u2") * 17).tobytes()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.SourceApplicationEntityTitle = "ZQSOURCEAE"
    markers.must_go(b"ZQSOURCEAE", "file meta source AE")
    return ds, markers


def written(ds: Dataset, path: Path | None = None) -> bytes:
    """The bytes of ``ds`` written as a PS3.10 file (also saved to ``path``)."""
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    data = buffer.getvalue()
    if path is not None:
        path.write_bytes(data)
    return data


def reread(data: bytes) -> Dataset:
    """A written file read back."""
    return dcmread(io.BytesIO(data))


def dciodvfy_errors(path: Path) -> set[str]:
    """dciodvfy's errors for a file, with values, UIDs and numbers taken out so that the
    same problem before and after de-identification compares equal."""
    result = subprocess.run([tool("dciodvfy", "dicom3tools"), str(path)],
                            capture_output=True, text=True, errors="replace", check=False)
    errors = set()
    for line in (result.stdout + result.stderr).splitlines():
        if line.startswith("Error"):
            line = re.sub(r'"[^"]*"', '""', line)
            line = re.sub(r"= <[^>]*>", "= <>", line)
            errors.add(re.sub(r"\d[\d.]*", "#", line))
    return errors
