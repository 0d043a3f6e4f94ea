"""The one-pass DICOMDIR (app.exporting.dicomdir and records) against pydicom's FileSet and
dciodvfy, on synthetic instances of the kinds a library holds."""

import warnings
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.fileset import FileSet
from pydicom.sequence import Sequence
from pydicom.uid import (
    ColorPaletteStorage,
    ComprehensiveSRStorage,
    CTImageStorage,
    ExplicitVRLittleEndian,
    GrayscaleSoftcopyPresentationStateStorage,
    KeyObjectSelectionDocumentStorage,
    generate_uid,
)

from app.exporting.dicomdir import DicomdirBuilder
from app.exporting.records import UNKNOWN_DATE
from tests.support.exports import dciodvfy_errors, walk_dicomdir

OFFSETS = {"OffsetOfTheNextDirectoryRecord", "OffsetOfReferencedLowerLevelDirectoryEntity"}
EXPLICIT = str(ExplicitVRLittleEndian)


def _instance(sop_class: str, patient: str = "DOE^JANE", patient_id: str = "P1",
              study: str = "1.2.826.0.1.3680043.10.1", series: str = "1.2.826.0.1.3680043.10.2",
              number: int = 1, modality: str = "CT") -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, generate_uid()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientName, ds.PatientID = patient, patient_id
    ds.StudyInstanceUID, ds.StudyDate, ds.StudyTime, ds.StudyID = study, "20240102", "0930", "7"
    ds.AccessionNumber, ds.StudyDescription = "A1", "CHEST"
    ds.SeriesInstanceUID, ds.SeriesNumber, ds.Modality = series, 1, modality
    ds.InstanceNumber = number
    return ds


def _code(value: str, meaning: str) -> Dataset:
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = value, "DCM", meaning
    return code


def _content_item(relationship: str, meaning: str) -> Dataset:
    item = Dataset()
    item.RelationshipType, item.ValueType = relationship, "TEXT"
    item.ConceptNameCodeSequence = [_code("121106", meaning)]
    item.TextValue = "x"
    return item


def _report(series: str) -> Dataset:
    """A verified Comprehensive SR whose title has one concept modifier."""
    ds = _instance(ComprehensiveSRStorage, series=series, modality="SR")
    ds.CompletionFlag, ds.VerificationFlag = "COMPLETE", "VERIFIED"
    ds.ContentDate, ds.ContentTime = "20240102", "1000"
    ds.ConceptNameCodeSequence = [_code("18748-4", "Diagnostic Imaging Report")]
    ds.ContentSequence = Sequence([
        _content_item("HAS CONCEPT MOD", "Language"),
        _content_item("CONTAINS", "Findings"),
    ])
    observers = []
    for when in ("20240103101010", "20240105090909"):
        observer = Dataset()
        observer.VerifyingObserverName = "SMITH^ANN"
        observer.VerifyingOrganization = "Clinic"
        observer.VerificationDateTime = when
        observer.VerifyingObserverIdentificationCodeSequence = []
        observers.append(observer)
    ds.VerifyingObserverSequence = observers
    return ds


def _presentation(series: str) -> Dataset:
    ds = _instance(GrayscaleSoftcopyPresentationStateStorage, series=series, modality="PR")
    ds.PresentationCreationDate, ds.PresentationCreationTime = "20240102", "1100"
    ds.ContentLabel, ds.ContentDescription, ds.ContentCreatorName = "WINDOW", "Lung", "A^B"
    image = Dataset()
    image.ReferencedSOPClassUID, image.ReferencedSOPInstanceUID = CTImageStorage, "1.2.3.4"
    shown = Dataset()
    shown.SeriesInstanceUID = "1.2.826.0.1.3680043.10.2"
    shown.ReferencedImageSequence = [image]
    ds.ReferencedSeriesSequence = [shown]
    return ds


def _key_objects(series: str) -> Dataset:
    ds = _instance(KeyObjectSelectionDocumentStorage, series=series, modality="KO")
    ds.ContentDate, ds.ContentTime = "20240102", "1200"
    ds.ConceptNameCodeSequence = [_code("113000", "Of Interest")]
    ds.ContentSequence = [_content_item("CONTAINS", "Image")]
    return ds


def _study() -> list[Dataset]:
    """Two CT series, an SR, a presentation state and a key object selection; a second
    patient with one image."""
    images = [_instance(CTImageStorage, number=n) for n in (1, 2, 3)]
    images += [_instance(CTImageStorage, series="1.2.826.0.1.3680043.10.3", number=n)
               for n in (1, 2)]
    others = [_report("1.2.826.0.1.3680043.10.4"), _presentation("1.2.826.0.1.3680043.10.5"),
              _key_objects("1.2.826.0.1.3680043.10.6")]
    second = _instance(CTImageStorage, patient="ROE^RICHARD", patient_id="P2",
                       study="1.2.826.0.1.3680043.10.7", series="1.2.826.0.1.3680043.10.8")
    return [*images, *others, second]


def _write(datasets: list[Dataset], folder: Path) -> tuple[Path, DicomdirBuilder]:
    builder = DicomdirBuilder()
    for ds in datasets:
        builder.place(ds, EXPLICIT)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "DICOMDIR").write_bytes(builder.encode())
    return folder / "DICOMDIR", builder


def _records_by_instance(dicomdir: Path) -> dict[str, list[Dataset]]:
    """SOP Instance UID -> its records from the leaf up to the patient."""
    ds = dcmread(dicomdir)
    by_offset = {int(r.seq_item_tell): r for r in ds.DirectoryRecordSequence}
    chains: dict[str, list[Dataset]] = {}

    def walk(offset: int, above: list[Dataset]) -> None:
        while offset:
            record = by_offset[offset]
            lower = int(record.OffsetOfReferencedLowerLevelDirectoryEntity)
            if "ReferencedSOPInstanceUIDInFile" in record:
                chains[str(record.ReferencedSOPInstanceUIDInFile)] = [record, *above]
            walk(lower, [record, *above])
            offset = int(record.OffsetOfTheNextDirectoryRecord)

    walk(int(ds.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity), [])
    return chains


def _keys(record: Dataset, leave_out: set[str]) -> dict[str, object]:
    return {e.keyword: e.value for e in record
            if e.keyword not in OFFSETS | {"ReferencedFileID"} | leave_out}


def test_records_are_the_ones_pydicoms_fileset_writes(tmp_path: Path) -> None:
    """Same record types and keys per instance as FileSet.add + write, but for the SR
    record's Content Sequence and Verification DateTime (see the next test)."""
    datasets = _study()
    ours, _ = _write(datasets, tmp_path / "ours")
    file_set = FileSet()
    for ds in datasets:
        file_set.add(ds)
    file_set.write(tmp_path / "pydicom")

    mine = _records_by_instance(ours)
    theirs = _records_by_instance(tmp_path / "pydicom" / "DICOMDIR")
    assert set(mine) == set(theirs) == {str(ds.SOPInstanceUID) for ds in datasets}
    for uid, chain in mine.items():
        leave_out = {"ContentSequence", "VerificationDateTime"}
        assert [_keys(r, leave_out) for r in chain] == [
            _keys(r, leave_out) for r in theirs[uid]], uid
    kinds = {str(chain[0].DirectoryRecordType) for chain in mine.values()}
    assert kinds == {"IMAGE", "SR DOCUMENT", "PRESENTATION", "KEY OBJECT DOC"}


def test_document_records_hold_only_what_ps3_3_f5_asks(tmp_path: Path) -> None:
    """pydicom copies an SR's whole content tree into its record; PS3.3 F.5.25 wants the
    title's concept modifiers only, and the latest verification time."""
    dicomdir, _ = _write(_study(), tmp_path)
    records = {str(r.DirectoryRecordType): r for r in dcmread(dicomdir).DirectoryRecordSequence}
    report = records["SR DOCUMENT"]
    assert [str(i.RelationshipType) for i in report.ContentSequence] == ["HAS CONCEPT MOD"]
    assert report.VerificationDateTime == "20240105090909"
    assert "ContentSequence" not in records["KEY OBJECT DOC"]


def test_dciodvfy_accepts_the_dicomdir_and_strict_offsets_reach_every_record(
    tmp_path: Path,
) -> None:
    dicomdir, _ = _write(_study(), tmp_path)
    assert dciodvfy_errors(dicomdir) == []
    walked = walk_dicomdir(dicomdir)
    assert [kind for depth, kind in walked if depth == 0] == ["PATIENT", "PATIENT"]
    assert len(walked) == 2 + 2 + (2 + 4) + 9  # patients, studies, series, instances


def test_file_ids_number_patients_studies_series_and_files_in_order() -> None:
    builder = DicomdirBuilder()
    placed = [builder.place(ds, EXPLICIT).file_id for ds in _study()]
    assert placed == [
        ("DICOM", "PAT00001", "STU00001", "SER00001", "IMG00001"),
        ("DICOM", "PAT00001", "STU00001", "SER00001", "IMG00002"),
        ("DICOM", "PAT00001", "STU00001", "SER00001", "IMG00003"),
        ("DICOM", "PAT00001", "STU00001", "SER00002", "IMG00001"),
        ("DICOM", "PAT00001", "STU00001", "SER00002", "IMG00002"),
        ("DICOM", "PAT00001", "STU00001", "SER00003", "SR000001"),
        ("DICOM", "PAT00001", "STU00001", "SER00004", "PR000001"),
        ("DICOM", "PAT00001", "STU00001", "SER00005", "KO000001"),
        ("DICOM", "PAT00002", "STU00001", "SER00001", "IMG00001"),
    ]


def test_an_empty_dicomdir_is_valid(tmp_path: Path) -> None:
    dicomdir, _ = _write([], tmp_path)
    assert walk_dicomdir(dicomdir) == []
    assert dciodvfy_errors(dicomdir) == []


def test_keys_a_file_lacks_get_stand_ins_and_a_note(tmp_path: Path) -> None:
    """No Patient ID, Study ID, Series Number or Instance Number, an ACR-NEMA study date
    (the series date is used) and no time at all: the DICOMDIR is still valid."""
    ds = _instance(CTImageStorage)
    ds.PatientID, ds.StudyID, ds.SeriesNumber = "", None, None
    del ds.InstanceNumber
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom, about the value this test is about
        ds.StudyDate, ds.SeriesDate = "1994.06.13", "19940613"
    del ds.StudyTime
    no_date = _instance(CTImageStorage, patient="X^Y", patient_id="P9",
                        study="1.2.826.0.1.3680043.10.9")
    no_date.StudyDate = ""
    dicomdir, builder = _write([ds, no_date], tmp_path)
    assert dciodvfy_errors(dicomdir) == []
    records = dcmread(dicomdir).DirectoryRecordSequence
    studies = [r for r in records if r.DirectoryRecordType == "STUDY"]
    assert [s.StudyDate for s in studies] == ["19940613", UNKNOWN_DATE]
    assert studies[0].StudyTime == "000000" and studies[0].StudyID == "1"
    assert records[0].PatientID == "UNKNOWN1"
    assert builder.notes() == [
        "1 object lacked a valid Instance Number: the DICOMDIR gives it one (the files "
        "are unchanged).",
        "1 patient lacked a Patient ID: the DICOMDIR gives it one (the files are unchanged).",
        "1 series lacked a valid Series Number: the DICOMDIR gives it one (the files are "
        "unchanged).",
        "2 studies lacked a valid study date: the DICOMDIR gives them one (the files are "
        "unchanged).",
        "1 study lacked a Study ID: the DICOMDIR gives it one (the files are unchanged).",
        "1 study lacked a valid study time: the DICOMDIR gives it one (the files are "
        "unchanged).",
    ]
    assert ds.StudyDate == "1994.06.13" and "InstanceNumber" not in ds  # never changed


def test_a_document_lacking_its_records_keys_is_listed_as_an_image(tmp_path: Path) -> None:
    report = _report("1.2.826.0.1.3680043.10.4")
    del report.CompletionFlag
    dicomdir, builder = _write([report], tmp_path)
    leaf = dcmread(dicomdir).DirectoryRecordSequence[-1]
    assert leaf.DirectoryRecordType == "IMAGE"
    assert builder.notes() == [
        "1 object lacked what the DICOMDIR record of its kind needs and are listed as "
        "images (the files are unchanged)."]


def test_an_object_of_no_patient_is_listed_at_the_root(tmp_path: Path) -> None:
    palette = Dataset()
    palette.file_meta = FileMetaDataset()
    palette.SOPClassUID, palette.SOPInstanceUID = ColorPaletteStorage, generate_uid()
    palette.ContentLabel = "HOT_IRON"
    builder = DicomdirBuilder()
    assert builder.place(palette, EXPLICIT).file_id == ("DICOM", "OBJ00001")
    builder.place(_instance(CTImageStorage), EXPLICIT)
    (tmp_path / "DICOMDIR").write_bytes(builder.encode())
    assert [(d, k) for d, k in walk_dicomdir(tmp_path / "DICOMDIR") if d == 0] == [
        (0, "PALETTE"), (0, "PATIENT")]


def test_names_are_written_in_the_instances_character_set(tmp_path: Path) -> None:
    ds = _instance(CTImageStorage, patient="Äneas^Rüdiger")
    dicomdir, _ = _write([ds], tmp_path)
    data = dicomdir.read_bytes()
    assert b"\xc4neas^R\xfcdiger" in data and b"ISO_IR 100" in data


@pytest.mark.parametrize("count", [1, 250])
def test_many_instances_in_one_series(tmp_path: Path, count: int) -> None:
    study = [_instance(CTImageStorage, number=n) for n in range(1, count + 1)]
    dicomdir, _ = _write(study, tmp_path)
    walked = walk_dicomdir(dicomdir)
    assert walked[:3] == [(0, "PATIENT"), (1, "STUDY"), (2, "SERIES")]
    assert walked[3:] == [(3, "IMAGE")] * count


def test_what_cannot_be_listed_changes_nothing() -> None:
    """A palette without its label, an image of a new patient that names no SOP class:
    ValueError, and the DICOMDIR is what it was."""
    builder = DicomdirBuilder()
    builder.place(_instance(CTImageStorage), EXPLICIT)
    before = builder.encode(file_set_uid="1.2.3")
    palette = Dataset()
    palette.SOPClassUID, palette.SOPInstanceUID = ColorPaletteStorage, generate_uid()
    nameless = _instance(CTImageStorage, patient="NEW^ONE", patient_id="P7",
                         study="1.2.826.0.1.3680043.10.11")
    del nameless.SOPClassUID
    del nameless.file_meta.MediaStorageSOPClassUID
    for ds in (palette, nameless):
        with pytest.raises(ValueError):
            builder.place(ds, EXPLICIT)
    assert builder.encode(file_set_uid="1.2.3") == before
    assert builder.place(_instance(CTImageStorage, patient="NEW^ONE", patient_id="P7"),
                         EXPLICIT).file_id[1] == "PAT00002"
