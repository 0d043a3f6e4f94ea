"""The profile on a dataset that holds every attribute Table E.1-1 lists: nothing listed
survives in the written bytes, and what must survive does (UIDs linked, intervals, pixels,
well-known UIDs, a valid file)."""

import copy
from datetime import date
from pathlib import Path

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

from app.deidentify.deidentifier import Deidentifier, DeidentifyOptions
from app.deidentify.keys import OFFSET_MAX_DAYS, OFFSET_MIN_DAYS, is_well_known_uid
from app.deidentify.table import DUMMY, EMPTY, basic_profile
from tests.deidentify.helpers import (
    FAMILY,
    OTHER_SECRET,
    PATIENT_ID,
    SECRET,
    dciodvfy_errors,
    reread,
    rich_dataset,
    written,
)


def _deidentified(ds: Dataset, secret: bytes = SECRET, **options: object) -> Dataset:
    out = Deidentifier(secret, DeidentifyOptions(**options))(ds)  # type: ignore[arg-type]
    assert out is not None
    return out


def test_no_listed_value_survives_anywhere_in_the_written_file(tmp_path: Path) -> None:
    ds, markers = rich_dataset()
    before = written(ds)
    assert [w for v, w in markers.gone.items() if v not in before] == []  # all were there
    after = written(_deidentified(ds))
    assert [w for v, w in markers.gone.items() if v in after] == []
    assert FAMILY.encode() not in after and FAMILY.upper().encode() not in after
    out = reread(after)
    assert not [e.tag for e in out.iterall() if e.tag.is_private]
    assert not [e.tag for e in out.iterall() if 0x5000 <= e.tag.group <= 0x60FF]


def test_binary_values_are_removed_or_replaced() -> None:
    ds, markers = rich_dataset()
    out = reread(written(_deidentified(ds)))
    kept = {Tag(tag): value for tag, value in markers.binary.items()
            if tag in out and out[tag].value == value}
    assert kept == {}


def test_times_of_day_are_kept_with_modified_dates() -> None:
    """A whole-day shift keeps times valid: listed TM with Z or D stay as they were."""
    ds, _ = rich_dataset()
    out = _deidentified(ds)
    table = basic_profile()
    for tag in table.tags():
        codes = table.codes(Tag(tag))
        if tag in ds and ds[tag].VR == "TM" and codes and codes & {EMPTY, DUMMY}:
            assert out[tag].value == ds[tag].value, Tag(tag)


def test_the_original_dataset_is_not_changed() -> None:
    ds, _ = rich_dataset()
    before = written(ds)
    _deidentified(ds)
    assert written(ds) == before


def test_in_place_gives_the_same_result_on_the_dataset_itself() -> None:
    """For an exporter that read the dataset for this call only."""
    copied = _deidentified(rich_dataset()[0])
    ds, _ = rich_dataset()
    out = Deidentifier(SECRET)(ds, in_place=True)
    assert out is ds
    assert written(out) == written(copied)


def _uids(ds: Dataset) -> list[str]:
    return [str(v) for e in ds.iterall() if e.VR == "UI"
            for v in (e.value if isinstance(e.value, list) else [e.value]) if v]


def test_uids_are_replaced_consistently_and_per_library() -> None:
    ds, markers = rich_dataset()
    first, second = _deidentified(ds), _deidentified(copy.deepcopy(ds))
    other = _deidentified(ds, secret=OTHER_SECRET)
    assert _uids(first) == _uids(second)
    assert first.file_meta.MediaStorageSOPInstanceUID == first.SOPInstanceUID
    new = [u for u in _uids(first) if not is_well_known_uid(u)]
    assert new and all(u.startswith("2.25.") and len(u) <= 64 for u in new)
    assert not set(markers.uids) & set(_uids(first))
    assert set(new).isdisjoint(_uids(other))
    for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
                    "FrameOfReferenceUID"):
        assert first[keyword].value == second[keyword].value != ds[keyword].value


def _image(sop: str, series: str, study: str, when: str, **extra: object) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, sop
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.FrameOfReferenceUID = "1.2.826.0.1.3680043.10.5.1"
    ds.PatientName, ds.PatientID, ds.IssuerOfPatientID = "Doe^Jane", "P-77", "HOSP"
    ds.PatientBirthDate = "19600412"
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = when
    ds.StudyTime = "101500"
    ds.AcquisitionDateTime = when + "101501.5+0100"
    ds.Modality = "CT"
    for keyword, value in extra.items():
        setattr(ds, keyword, value)
    ds.file_meta = Dataset()  # type: ignore[assignment]
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def _reference(uid: str) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID = CTImageStorage
    item.ReferencedSOPInstanceUID = uid
    return item


def test_references_stay_linked() -> None:
    study, series = "1.2.826.0.1.3680043.10.5.2", "1.2.826.0.1.3680043.10.5.3"
    a = _image("1.2.826.0.1.3680043.10.5.10", series, study, "20200101")
    related = Dataset()
    related.SeriesInstanceUID = series
    related.ReferencedSOPSequence = Sequence([_reference(a.SOPInstanceUID)])
    b = _image("1.2.826.0.1.3680043.10.5.11", "1.2.826.0.1.3680043.10.5.4", study,
               "20200101",
               ReferencedImageSequence=Sequence([_reference(a.SOPInstanceUID)]),
               SourceImageSequence=Sequence([_reference(a.SOPInstanceUID)]),
               ReferencedSeriesSequence=Sequence([related]))
    new_a, new_b = _deidentified(a), _deidentified(b)
    target = new_a.SOPInstanceUID
    assert target != a.SOPInstanceUID
    assert new_b.ReferencedImageSequence[0].ReferencedSOPInstanceUID == target
    assert new_b.SourceImageSequence[0].ReferencedSOPInstanceUID == target
    assert new_b.ReferencedImageSequence[0].ReferencedSOPClassUID == CTImageStorage
    assert new_b.ReferencedSeriesSequence[0].SeriesInstanceUID == new_a.SeriesInstanceUID
    assert new_b.ReferencedSeriesSequence[0].ReferencedSOPSequence[0]\
        .ReferencedSOPInstanceUID == target
    assert new_b.FrameOfReferenceUID == new_a.FrameOfReferenceUID
    assert new_b.StudyInstanceUID == new_a.StudyInstanceUID


def _day(value: str) -> date:
    return date(int(value[:4]), int(value[4:6]), int(value[6:8]))


def test_date_intervals_of_one_patient_survive() -> None:
    first = _image("1.2.826.0.1.3680043.10.6.1", "1.2.826.0.1.3680043.10.6.2",
                   "1.2.826.0.1.3680043.10.6.3", "20200101")
    later = _image("1.2.826.0.1.3680043.10.6.4", "1.2.826.0.1.3680043.10.6.5",
                   "1.2.826.0.1.3680043.10.6.6", "20210615")
    later.PatientName = "DOE^JANE "  # The same patient, spelled by another clinic.
    new_first, new_later = _deidentified(first), _deidentified(later)
    shift = (_day(new_first.StudyDate) - _day(first.StudyDate)).days
    assert OFFSET_MIN_DAYS <= shift <= OFFSET_MAX_DAYS
    assert (_day(new_later.StudyDate) - _day(new_first.StudyDate)).days \
        == (_day(later.StudyDate) - _day(first.StudyDate)).days
    assert (_day(new_later.SeriesDate) - _day(later.SeriesDate)).days == shift
    assert new_later.AcquisitionDateTime == \
        f"{new_later.StudyDate}101501.5+0100"  # the time of day and the offset kept
    assert new_first.StudyTime == "101500"
    assert new_first.PatientBirthDate == ""  # exact age is a patient characteristic
    assert new_first.PatientName == new_later.PatientName
    assert new_first.PatientID == new_later.PatientID
    # Another library moves the same patient by another offset.
    other = _deidentified(first, secret=OTHER_SECRET)
    assert other.StudyDate != new_first.StudyDate


def test_pixel_data_is_byte_identical_and_well_known_uids_untouched() -> None:
    ds, _ = rich_dataset()
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "T-D0050", "SRT", "Tissue"
    code.CodingSchemeUID = "1.2.840.10008.2.16.4"  # DCM: well-known
    ds.AnatomicRegionSequence = Sequence([code])
    ds.ReferencedFrameOfReferenceUID = "1.2.840.10008.1.4.1.1"  # Talairach: well-known
    out = reread(written(_deidentified(ds)))
    assert out.PixelData == ds.PixelData
    assert out.SOPClassUID == CTImageStorage
    assert out.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert out.AnatomicRegionSequence[0].CodingSchemeUID == "1.2.840.10008.2.16.4"
    assert out.ReferencedFrameOfReferenceUID == "1.2.840.10008.1.4.1.1"
    assert out.AnatomicRegionSequence[0].CodeValue == "T-D0050"


def test_the_copy_says_how_it_was_de_identified() -> None:
    ds, _ = rich_dataset()
    out = reread(written(_deidentified(ds)))
    assert out.PatientIdentityRemoved == "YES"
    assert out.LongitudinalTemporalInformationModified == "MODIFIED"
    assert [(c.CodeValue, c.CodingSchemeDesignator)
            for c in out.DeidentificationMethodCodeSequence] == \
        [("113100", "DCM"), ("113107", "DCM"), ("113105", "DCM")]
    assert "Basic Application Confidentiality Profile" in out.DeidentificationMethod[0]
    assert str(out.PatientName).startswith("Anonymous^") and len(str(out.PatientName)) == 18
    assert out.PatientID == "ANON-" + str(out.PatientName).split("^")[1]
    assert PATIENT_ID not in str(out.PatientID)
    chosen = _deidentified(ds, patient_name="Second opinion 2026-12", patient_id="SO-1")
    assert (chosen.PatientName, chosen.PatientID) == ("Second opinion 2026-12", "SO-1")


def test_descriptors_are_kept_only_when_clean() -> None:
    ds = _image("1.2.826.0.1.3680043.10.7.1", "1.2.826.0.1.3680043.10.7.2",
                "1.2.826.0.1.3680043.10.7.3", "20200101",
                InstitutionName="St Elsewhere Clinic", ReferringPhysicianName="House^Greg",
                AccessionNumber="A77123", StudyDescription="CT CHEST W CONTRAST",
                SeriesDescription="AX 5MM for dr house", ProtocolName="doejane chest",
                ImageComments="scan 20200101", PerformedProcedureStepDescription="Elsewhere",
                RequestedProcedureDescription="CT chest", DerivationDescription="MPR")
    out = _deidentified(ds)
    assert out.StudyDescription == "CT CHEST W CONTRAST"
    assert out.RequestedProcedureDescription == "CT chest"
    assert out.DerivationDescription == "MPR"
    assert "SeriesDescription" not in out  # a physician's name
    assert out.ProtocolName == "ANONYMIZED"  # names run together (X/D: a dummy)
    assert "ImageComments" not in out  # a written date
    assert "PerformedProcedureStepDescription" not in out  # the institution
    without = _deidentified(ds, clean_descriptors=False)
    assert "StudyDescription" not in without
    assert [c.CodeValue for c in without.DeidentificationMethodCodeSequence] == \
        ["113100", "113107"]


def test_structured_content_keeps_its_codes_and_loses_its_text() -> None:
    item = Dataset()
    item.RelationshipType, item.ValueType = "CONTAINS", "TEXT"
    concept = Dataset()
    concept.CodeValue, concept.CodingSchemeDesignator = "121071", "DCM"
    concept.CodeMeaning = "Finding"
    item.ConceptNameCodeSequence = Sequence([concept])
    item.TextValue = "Spoke with Mrs Doe on the phone"
    person = Dataset()
    person.RelationshipType, person.ValueType = "HAS OBS CONTEXT", "PNAME"
    person.ConceptNameCodeSequence = Sequence([concept])
    person.PersonName = "Doe^Jane"
    ds = _image("1.2.826.0.1.3680043.10.8.1", "1.2.826.0.1.3680043.10.8.2",
                "1.2.826.0.1.3680043.10.8.3", "20200101",
                ContentSequence=Sequence([item, person]))
    out = _deidentified(ds)
    text, name = out.ContentSequence
    assert text.TextValue == "ANONYMIZED" and name.PersonName == "ANONYMIZED"
    assert text.ConceptNameCodeSequence[0].CodeMeaning == "Finding"
    assert text.ValueType == "TEXT"


@pytest.mark.slow
def test_the_rich_file_gets_no_new_dciodvfy_errors(tmp_path: Path) -> None:
    ds, _ = rich_dataset()
    written(ds, tmp_path / "in.dcm")
    written(_deidentified(ds), tmp_path / "out.dcm")
    assert dciodvfy_errors(tmp_path / "out.dcm") - dciodvfy_errors(tmp_path / "in.dcm") \
        == set()
