"""Real files from the corpus through the transform: none of their identifying values is
left in the written bytes, the pixels are the same, and dciodvfy finds nothing new."""

from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import RawDataElement

from app.deidentify.deidentifier import Deidentifier, DeidentifyOptions
from tests.deidentify.helpers import SECRET, dciodvfy_errors, written

FILES = [
    "files/signed/CT_small.dcm",  # GE CT with private attributes
    "files/series_mr_wrist/MR01.dcm",  # implicit VR, referenced study and PPS sequences
    "files/overlay/examples_overlay.dcm",  # Siemens MR with an overlay in group 6000
    "files/non_image/test-SR.dcm",  # structured report: content tree, observers
    "files/multiframe/emri_small.dcm",  # enhanced MR: functional groups
    "files/non_image/rtstruct.dcm",  # references to images and frames of reference
    "files/charset/chrGreek.dcm",  # names in another character set
    "files/jpeg_baseline/JPEGwithIcon.dcm",  # XC photo (burned in), icon sequence, JPEG
    "files/multiframe/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm",  # enhanced CT
]

# Attributes whose values identify the patient, the visit or the place.
IDENTIFYING = [
    "PatientName", "PatientID", "PatientBirthDate", "OtherPatientIDs", "OtherPatientNames",
    "PatientAddress", "AccessionNumber", "InstitutionName", "InstitutionAddress",
    "ReferringPhysicianName", "PerformingPhysicianName", "NameOfPhysiciansReadingStudy",
    "OperatorsName", "StationName", "DeviceSerialNumber", "StudyID", "StudyDate",
    "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID",
]


# Attributes the profile keeps, whose values some devices repeat in identifying ones
# (Station Name = "GENESIS_SIGNA" = Manufacturer).
KEPT = ["Manufacturer", "ManufacturerModelName", "SoftwareVersions"]


def _identifying_bytes(path: Path) -> dict[bytes, str]:
    """The raw stored bytes of each identifying value (names split into their parts), but
    values also held by an attribute the profile keeps."""
    raw = dcmread(path, force=True, stop_before_pixels=True)
    kept = {bytes(e.value).strip(b"\0 ") for e in (raw.get_item(tag_for_keyword(k))
                                                  for k in KEPT)  # type: ignore[arg-type]
            if isinstance(e, RawDataElement) and e.value}
    found = {}
    for keyword in IDENTIFYING:
        element = raw.get_item(tag_for_keyword(keyword))  # type: ignore[arg-type]
        if not isinstance(element, RawDataElement) or not element.value:
            continue
        value = element.value.strip(b"\0 ")
        parts = value.replace(b"=", b"^").split(b"^") if element.VR in (None, "PN") \
            or keyword.endswith("Name") else [value]
        for part in parts:
            part = part.strip(b"\0 ")
            if len(part) >= 4 and part not in kept:
                found[part] = keyword
    return found


@pytest.mark.parametrize("name", FILES)
def test_a_real_file_is_de_identified(corpus: Path, tmp_path: Path, name: str) -> None:
    path = corpus / name
    original = dcmread(path, force=True)
    transform = Deidentifier(SECRET, DeidentifyOptions(include_burned_in=True))
    out = transform(original)
    assert out is not None, transform.notes
    data = written(out, tmp_path / "out.dcm")
    pixels = original.get("PixelData")
    if pixels is not None:
        assert out.PixelData == pixels
        data = data.replace(pixels, b"")  # Identifying bytes by chance in pixels don't count.
    identifying = _identifying_bytes(path)
    assert identifying, "the test needs identifying values to look for"
    assert {k: v for v, k in identifying.items() if v in data} == {}
    assert not [e.tag for e in out.iterall() if e.tag.is_private]
    assert out.PatientIdentityRemoved == "YES"
    assert dciodvfy_errors(tmp_path / "out.dcm") - dciodvfy_errors(path) == set()
