"""Looking for a patient in a de-identified copy, and studies to make one from.

The identifying values are read from the library's stored originals as raw bytes (in
their own character set), so the search in the copy's bytes needs no decoding and
trusts nothing the de-identification says about itself.
"""

import re
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from pydicom import dcmread
from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.uid import generate_uid

# What the issue names: the patient's name, ID and birth date, the accession number and
# the institution (and the referring physician, a name too).
IDENTIFYING = ["PatientName", "PatientID", "PatientBirthDate", "AccessionNumber",
               "InstitutionName", "ReferringPhysicianName", "OtherPatientIDs"]
# Attributes the profile keeps, whose values some devices repeat in identifying ones (the
# sample disc's manufacturer "Lightbox sample" and its referrer "SAMPLE^REFERRER").
KEPT = ["Manufacturer", "ManufacturerModelName", "SoftwareVersions"]
# Name parts that are also words the standard itself writes (a DICOMDIR's PATIENT
# records): the whole name is still searched for.
STANDARD_WORDS = {b"patient", b"study", b"series", b"image", b"other"}
# Values shorter than this match too much by chance ("M", "CT", "1").
SHORTEST = 4


def identifying_values(paths: Iterable[Path]) -> dict[bytes, str]:
    """Lower-cased raw bytes of every identifying value (names in their parts) of these
    stored files -> the attribute it came from; but parts that a kept attribute holds."""
    found: dict[bytes, str] = {}
    for path in paths:
        raw = dcmread(path, force=True, stop_before_pixels=True)
        kept = [bytes(e.value).lower() for e in (
            raw.get_item(tag_for_keyword(k)) for k in KEPT)  # type: ignore[arg-type]
            if isinstance(e, RawDataElement) and e.value]
        for keyword in IDENTIFYING:
            element = raw.get_item(tag_for_keyword(keyword))  # type: ignore[arg-type]
            if not isinstance(element, RawDataElement) or not element.value:
                continue
            value = bytes(element.value).strip(b"\0 ")
            parts = [value]
            if keyword.endswith("Name"):
                parts += value.replace(b"=", b"^").split(b"^")
            for part in parts:
                part = part.strip(b"\0 ").lower()
                if len(part.strip(b"^=")) >= SHORTEST and part not in STANDARD_WORDS \
                        and not any(part in value for value in kept):
                    found[part] = keyword
    return found


NEW_UID = re.compile(rb"2\.25\.[0-9]{20,}")


def identity_left(data: bytes, values: dict[bytes, str],
                  pixels: Iterable[bytes] = ()) -> dict[str, bytes]:
    """Attribute -> value of each identifying value found in ``data`` (case-insensitive),
    after removing ``pixels`` (bytes of pixel data) and the copy's new UIDs (2.25 and
    dozens of hash-derived digits): a numeric ID found in either is chance (a six-digit
    Patient ID turns up in a few percent of runs' UIDs), not a leak."""
    for pixel_data in pixels:
        if pixel_data:
            data = data.replace(pixel_data, b"")
    data = NEW_UID.sub(b"", data)
    lowered = data.lower()
    return {keyword: value for value, keyword in values.items() if value in lowered}


def _shifted(value: str, days: int) -> str:
    when = date(int(value[:4]), int(value[4:6]), int(value[6:8])) + timedelta(days=days)
    return when.strftime("%Y%m%d")


def rewritten_disc(disc: Path, out: Path, *, days_later: int = 0,
                   modality: str | None = None) -> Path:
    """The images of a sample disc as a new study of the same patient (new UIDs, no
    DICOMDIR: an import reads the headers), ``days_later`` than the original, and of
    ``modality`` when given (e.g. "US": an image that may show burned-in text)."""
    out.mkdir(parents=True)
    uids: dict[str, str] = {}
    for number, path in enumerate(sorted(p for p in disc.rglob("*")
                                         if p.is_file() and p.name != "DICOMDIR")):
        ds = dcmread(path)
        for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
                        "FrameOfReferenceUID"):
            if keyword in ds:
                old = str(ds.data_element(keyword).value)
                ds.data_element(keyword).value = uids.setdefault(old, generate_uid())
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        for element in ds:
            if element.VR == "DA" and element.value and element.keyword != "PatientBirthDate":
                element.value = _shifted(str(element.value), days_later)
        if modality is not None:
            ds.Modality = modality
        ds.save_as(out / f"IM{number:06d}", enforce_file_format=True)
    return out
