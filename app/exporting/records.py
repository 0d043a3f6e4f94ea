"""Directory records (PS3.3 Annex F.5) for the instances of a File-set.

pydicom knows what each record type holds (``DIRECTORY_RECORDERS``) and which record type
a SOP class gets (IMAGE, SR DOCUMENT, PRESENTATION, KEY OBJECT DOC, RT DOSE...; the private
helpers its ``FileSet.add`` calls). Both are used here the way ``FileSet.add`` uses them, so
a Lightbox DICOMDIR lists each object as pydicom's would; ``tests/exporting`` pins that.

What Lightbox adds: files from the wild lack or spoil keys a record must have (no Study
ID, an empty Series Number, a date written the ACR-NEMA way), and pydicom would refuse the
file or the DICOMDIR would be invalid. Such a key gets a stand-in value in the record only
(as ``dcmmkdir +I`` does) and a note counts them. The instance's own file never changes
for this.
"""

import re
from collections import Counter

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.fileset import (
    DIRECTORY_RECORDERS,
    _four_level_record_type,
    _single_level_record_type,
)
from pydicom.uid import generate_uid

from app.core.dicom_values import dataset_text, keyword_tag

_DATE = re.compile(r"\d{8}")
_TIME = re.compile(r"\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?")
_INTEGER = re.compile(r"[+-]?\d{1,10}")
_IS_MAX = 2**31 - 1  # IS values are 32-bit signed (PS3.5 6.2)

# Where a study date or time the study lacks is taken from, in order; then a stand-in.
_DATE_SOURCES = ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate",
                 "InstanceCreationDate")
_TIME_SOURCES = ("StudyTime", "SeriesTime", "AcquisitionTime", "ContentTime",
                 "InstanceCreationTime")
UNKNOWN_DATE = "19000101"
UNKNOWN_TIME = "000000"
UNKNOWN_MODALITY = "OT"

_VRS = {"PatientID": "LO", "StudyDate": "DA", "StudyTime": "TM", "StudyID": "SH",
        "Modality": "CS", "SeriesInstanceUID": "UI", "SeriesNumber": "IS",
        "InstanceNumber": "IS"}
# How each stand-in is named in the notes: what lacked it (one, several), and what.
_NOTE_WORDS = {
    "PatientID": ("patient", "patients", "a Patient ID"),
    "StudyDate": ("study", "studies", "a valid study date"),
    "StudyTime": ("study", "studies", "a valid study time"),
    "StudyID": ("study", "studies", "a Study ID"),
    "Modality": ("series", "series", "a modality"),
    "SeriesInstanceUID": ("series", "series", "a Series Instance UID"),
    "SeriesNumber": ("series", "series", "a valid Series Number"),
    "InstanceNumber": ("object", "objects", "a valid Instance Number"),
}
_CONCEPT_MODIFIER = "HAS CONCEPT MOD"


def record_types(ds: Dataset) -> tuple[bool, str]:
    """``(False, type)`` for an object listed on its own at the DICOMDIR's root (a colour
    palette, a hanging protocol, an implant template); ``(True, leaf type)`` for one
    listed under PATIENT / STUDY / SERIES."""
    single = _single_level_record_type(ds)
    if single != "PATIENT":
        return False, single
    return True, _four_level_record_type(ds)


def tree_keys(ds: Dataset) -> tuple[tuple[str, str], str, str]:
    """Where ``ds`` goes in the tree: its (Patient ID, Patient's Name), its Study
    Instance UID and its Series Instance UID ("" for each one it lacks).

    Patients are told apart by ID and name together, as the library does: two clinics
    can give two people the same ID.
    """
    return (
        (dataset_text(ds, "PatientID"), dataset_text(ds, "PatientName")),
        dataset_text(ds, "StudyInstanceUID"),
        dataset_text(ds, "SeriesInstanceUID"),
    )


def series_stand_in_uid(study_uid: str) -> str:
    """The Series Instance UID given to the instances of a study that carry none: the same
    for one study in every export, so two copies of it agree."""
    return str(generate_uid(entropy_srcs=["lightbox-export-series", study_uid]))


class RecordMaker:
    """Makes the directory records of one File-set and counts the stand-ins it used."""

    def __init__(self) -> None:
        self.stand_ins: Counter[str] = Counter()
        self.listed_as_images = 0

    def patient(self, ds: Dataset, number: int) -> Dataset:
        """The PATIENT record of the ``number``-th patient of the File-set."""
        values = {}
        if not dataset_text(ds, "PatientID"):
            values["PatientID"] = self._stand_in("PatientID", f"UNKNOWN{number}")
        return self._record("PATIENT", ds, values)

    def study(self, ds: Dataset, number: int) -> Dataset:
        """The STUDY record of the ``number``-th study of the File-set."""
        values = {}
        for keyword, sources, pattern, fallback in (
            ("StudyDate", _DATE_SOURCES, _DATE, UNKNOWN_DATE),
            ("StudyTime", _TIME_SOURCES, _TIME, UNKNOWN_TIME),
        ):
            if not pattern.fullmatch(dataset_text(ds, keyword)):
                found = (dataset_text(ds, s) for s in sources[1:])
                value = next((text for text in found if pattern.fullmatch(text)), fallback)
                values[keyword] = self._stand_in(keyword, value)
        if not dataset_text(ds, "StudyID"):
            values["StudyID"] = self._stand_in("StudyID", str(number))
        return self._record("STUDY", ds, values)

    def series(self, ds: Dataset, study_uid: str, number: int) -> Dataset:
        """The SERIES record of the ``number``-th series of its study."""
        values: dict[str, object] = {}
        if not dataset_text(ds, "Modality"):
            values["Modality"] = self._stand_in("Modality", UNKNOWN_MODALITY)
        if not dataset_text(ds, "SeriesInstanceUID"):
            values["SeriesInstanceUID"] = self._stand_in(
                "SeriesInstanceUID", series_stand_in_uid(study_uid))
        if not _valid_integer(ds, "SeriesNumber"):
            values["SeriesNumber"] = self._stand_in("SeriesNumber", number)
        return self._record("SERIES", ds, values)

    def leaf(self, ds: Dataset, record_type: str, number: int) -> tuple[str, Dataset]:
        """The record of the instance itself, the ``number``-th of its series: its type
        and the record. The type is IMAGE when the object lacks what a record of its own
        type needs (an SR without Completion Flag...): listed, so viewers find the file."""
        values: dict[str, object] = {}
        if not _valid_integer(ds, "InstanceNumber"):
            values["InstanceNumber"] = self._stand_in("InstanceNumber", number)
        try:
            return record_type, self._record(record_type, ds, values)
        except (ValueError, KeyError, AttributeError, TypeError):
            if record_type == "IMAGE":
                raise
        self.listed_as_images += 1
        return "IMAGE", self._record("IMAGE", ds, values)

    def root_level(self, ds: Dataset, record_type: str) -> Dataset:
        """The record of an object listed at the DICOMDIR's root (see record_types);
        ValueError when the object lacks what that record needs."""
        try:
            return self._record(record_type, ds, {})
        except (KeyError, AttributeError, TypeError) as exc:
            raise ValueError(str(exc)) from exc

    def notes(self) -> list[str]:
        """One sentence per kind of stand-in used."""
        sentences = []
        for key, count in sorted(self.stand_ins.items()):
            one, several, what = _NOTE_WORDS[key]
            sentences.append(
                f"{count} {one if count == 1 else several} lacked {what}: the DICOMDIR "
                f"gives {'it' if count == 1 else 'them'} one (the files are unchanged)."
            )
        if count := self.listed_as_images:
            sentences.append(
                f"{count} object{'s' if count != 1 else ''} lacked what the DICOMDIR "
                "record of its kind needs and are listed as images (the files are "
                "unchanged)."
            )
        return sentences

    def _record(self, record_type: str, ds: Dataset, values: dict[str, object]) -> Dataset:
        record = DIRECTORY_RECORDERS[record_type](_view(ds, values) if values else ds)
        # Zero until the DICOMDIR is laid out (app.exporting.dicomdir fills them in).
        record.OffsetOfTheNextDirectoryRecord = 0
        record.RecordInUseFlag = 0xFFFF
        record.OffsetOfReferencedLowerLevelDirectoryEntity = 0
        record.DirectoryRecordType = record_type
        if "SpecificCharacterSet" in ds:
            # The record's names are encoded in the instance's character set.
            record.SpecificCharacterSet = ds.SpecificCharacterSet
        if record_type in ("SR DOCUMENT", "KEY OBJECT DOC"):
            _document_keys(record, ds)
        return record

    def _stand_in(self, keyword: str, value: object) -> object:
        self.stand_ins[keyword] += 1
        return value


def _document_keys(record: Dataset, ds: Dataset) -> None:
    """Keep to PS3.3 F.5.25 and F.5.26 what pydicom's SR and Key Object recorders copy.

    They copy the whole content tree into the record; the record's Content Sequence holds
    only the root's HAS CONCEPT MOD items (the Document Title's modifiers), and an SR
    marked VERIFIED needs its latest Verification DateTime, which the document keeps in
    its Verifying Observer Sequence.
    """
    if "ContentSequence" in record:
        modifiers = [item for item in record.ContentSequence
                     if dataset_text(item, "RelationshipType") == _CONCEPT_MODIFIER]
        del record.ContentSequence
        if modifiers:
            record.ContentSequence = modifiers
    verified = dataset_text(record, "VerificationFlag") == "VERIFIED"
    if verified and "VerificationDateTime" not in record:
        times = [dataset_text(item, "VerificationDateTime")
                 for item in ds.get("VerifyingObserverSequence") or ()]
        latest = max((t for t in times if t), default="")
        if latest:
            record.VerificationDateTime = latest


def _valid_integer(ds: Dataset, keyword: str) -> bool:
    text = dataset_text(ds, keyword)
    return bool(_INTEGER.fullmatch(text)) and abs(int(text)) <= _IS_MAX


def _view(ds: Dataset, values: dict[str, object]) -> Dataset:
    """``ds`` with ``values`` in place of its own, without changing ``ds``.

    The view shares ``ds``'s elements (reading one converts it in the view only) and holds
    new elements for ``values``, so a recorder sees clean keys.
    """
    view = Dataset()
    view.update(ds)
    for keyword, value in values.items():
        tag = keyword_tag(keyword)
        view[tag] = DataElement(tag, _VRS[keyword], value)
    return view
