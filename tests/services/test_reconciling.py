"""Reconciliation to the local patient: validation, differences, the Original Attributes
Sequence in the rewritten copy, and the form the GUI shows."""

import copy
from datetime import UTC, date, datetime
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from app import __version__
from app.core.errors import LibraryError, UsageError
from app.library.library import Library
from app.services.importing import ImportReport, import_media
from app.services.library_service import LibraryService
from app.services.reconciling import (
    DiscIdentity,
    LocalIdentity,
    ReconcileForm,
    apply,
    differences,
    identity_from,
    problem,
)

TODAY = date(2026, 12, 2)
WHEN = datetime(2026, 12, 2, 10, 30, 5, tzinfo=UTC)
UIDS = ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "SOPClassUID",
        "FrameOfReferenceUID")


def _outside_image() -> Dataset:
    """An image as an outside clinic's disc carries it."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = "1.2.3.4.5.6.1"
    ds.StudyInstanceUID = "1.2.3.4.5"
    ds.SeriesInstanceUID = "1.2.3.4.5.6"
    ds.FrameOfReferenceUID = "1.2.3.4.5.9"
    ds.PatientID = "OUT-778"
    ds.PatientName = "Muller^Anna"
    ds.PatientBirthDate = "19800214"
    ds.PatientSex = "F"
    ds.AccessionNumber = "A1"
    ds.InstitutionName = "Clinic Nord"
    return ds


# -- validation ------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value", "sentence"), [
    ("patient_id", "", "Patient ID is empty: give the local Patient ID."),
    ("patient_id", "X" * 65, "Patient ID is 65 characters long; DICOM allows at most 64."),
    ("patient_id", "A\\B", "Patient ID may not contain a backslash (\\)."),
    ("issuer", "  ", "Issuer of Patient ID is empty: give the local Issuer of Patient ID."),
    ("patient_name", "DOE^JANE\tX", "Patient's name contains a control character (a tab or "
                                    "line break?); remove it."),
    ("patient_name", "A" * 65, "Patient's name is 65 characters long; DICOM allows at most "
                               "64 (write it as FAMILY^GIVEN)."),
    ("patient_name", "A^B^C^D^E^F", "Patient's name has more than five '^'-separated parts; "
                                    "write it as FAMILY^GIVEN^MIDDLE^PREFIX^SUFFIX, for "
                                    "example DOE^JANE."),
    ("birth_date", "1980-02-30", "Birth date '1980-02-30' is not a date: write it as "
                                 "YYYYMMDD, for example 19700131."),
    ("birth_date", "14.02.1980", "Birth date '14.02.1980' is not a date: write it as "
                                 "YYYYMMDD, for example 19700131."),
    ("birth_date", "20270101", "Birth date 2027-01-01 is in the future."),
    ("sex", "X", "Sex 'X' is not M, F or O (or empty when unknown)."),
    ("accession", "A" * 17, "Accession number is 17 characters long; DICOM allows at most 16."),
])
def test_each_bad_field_has_its_sentence(field: str, value: str, sentence: str) -> None:
    assert problem(field, value, TODAY) == sentence


@pytest.mark.parametrize(("field", "value"), [
    ("patient_id", "MRN-0042"), ("patient_id", "X" * 64), ("issuer", "HOSP-A"),
    ("patient_name", "DOE^JANE"), ("patient_name", "A" * 64 + "=" + "B" * 64),
    ("patient_name", ""), ("birth_date", "19800214"), ("birth_date", "1980-02-14"),
    ("birth_date", "20261202"), ("birth_date", ""), ("sex", "m"), ("sex", ""),
    ("accession", "A" * 16), ("accession", ""),
])
def test_good_values_pass(field: str, value: str) -> None:
    assert problem(field, value, TODAY) is None


def test_identity_from_normalises_and_refuses_with_the_first_sentence() -> None:
    identity = identity_from({"patient_id": " MRN1 ", "issuer": "HOSP", "birth_date":
                              "1980-02-14", "sex": "f", "patient_name": None}, TODAY)
    assert identity == LocalIdentity("MRN1", "HOSP", None, "19800214", "F", None)
    with pytest.raises(UsageError, match=r"^Issuer of Patient ID is empty"):
        identity_from({"patient_id": "MRN1"}, TODAY)
    with pytest.raises(UsageError, match=r"^Sex 'Q' is not M, F or O"):
        identity_from({"patient_id": "MRN1", "issuer": "H", "sex": "Q"}, TODAY)


def test_differences_lists_only_fields_that_change() -> None:
    disc = {"patient_id": "OUT-778", "issuer": "", "patient_name": "Muller^Anna",
            "birth_date": "19800214", "sex": "F", "accession": "A1"}
    local = LocalIdentity("MRN1", "HOSP", "Muller^Anna", "19800214", None, "L-9")
    assert differences(disc, local) == ("patient_id", "issuer", "accession")


# -- the rewritten copy ----------------------------------------------------------------

def test_apply_sets_values_and_records_exactly_what_changed() -> None:
    ds = _outside_image()
    before = copy.deepcopy(ds)
    out = apply(ds, LocalIdentity("MRN1", "HOSP", "MULLER^ANNA", "19800214", None, "L-9"),
                WHEN)
    assert out is ds
    assert (ds.PatientID, ds.IssuerOfPatientID, str(ds.PatientName), ds.PatientBirthDate,
            ds.PatientSex, ds.AccessionNumber) == \
        ("MRN1", "HOSP", "MULLER^ANNA", "19800214", "F", "L-9")
    for uid in UIDS:
        assert ds[uid].value == before[uid].value
    (item,) = ds.OriginalAttributesSequence
    assert item.AttributeModificationDateTime == "20261202103005+0000"
    assert item.ModifyingSystem == f"Lightbox {__version__}"
    assert item.SourceOfPreviousValues == "Clinic Nord"
    assert item.ReasonForTheAttributeModification == "COERCE"
    (previous,) = item.ModifiedAttributesSequence
    # Birth date and sex did not change: not listed. Issuer was absent: zero length.
    assert sorted(previous.dir()) == ["AccessionNumber", "IssuerOfPatientID", "PatientID",
                                      "PatientName"]
    assert previous.PatientID == "OUT-778"
    assert str(previous.PatientName) == "Muller^Anna"
    assert previous.AccessionNumber == "A1"
    assert previous["IssuerOfPatientID"].VR == "LO"
    assert previous["IssuerOfPatientID"].is_empty
    assert ds.InstanceCoercionDateTime == "20261202103005+0000"


def test_the_copy_survives_writing_and_reading(tmp_path: Path) -> None:
    ds = _outside_image()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    apply(ds, LocalIdentity("MRN1", "HOSP", "Müller^Änne"), WHEN)
    ds.save_as(tmp_path / "x.dcm", enforce_file_format=True)
    back = pydicom.dcmread(tmp_path / "x.dcm")
    assert str(back.PatientName) == "Müller^Änne"
    previous = back.OriginalAttributesSequence[0].ModifiedAttributesSequence[0]
    assert str(previous.PatientName) == "Muller^Anna"
    assert previous.PatientID == "OUT-778"


def test_a_name_the_character_set_cannot_hold_switches_the_copy_to_utf8() -> None:
    ds = _outside_image()
    apply(ds, LocalIdentity("MRN1", "HOSP", "Ωmega^Zoë"), WHEN)
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    assert str(ds.PatientName) == "Ωmega^Zoë"
    previous = ds.OriginalAttributesSequence[0].ModifiedAttributesSequence[0]
    assert previous.SpecificCharacterSet == "ISO_IR 100"


def test_an_existing_original_attributes_sequence_is_kept_and_appended_to() -> None:
    ds = _outside_image()
    earlier = Dataset()
    earlier.ReasonForTheAttributeModification = "CORRECT"
    earlier.ModifyingSystem = "Some PACS"
    ds.OriginalAttributesSequence = Sequence([earlier])
    apply(ds, LocalIdentity("MRN1", "HOSP"), WHEN)
    first, second = ds.OriginalAttributesSequence
    assert (first.ReasonForTheAttributeModification, first.ModifyingSystem) == \
        ("CORRECT", "Some PACS")
    assert second.ReasonForTheAttributeModification == "COERCE"
    assert sorted(second.ModifiedAttributesSequence[0].dir()) == ["IssuerOfPatientID",
                                                                  "PatientID"]


def test_patient_id_change_keeps_the_unchanged_issuer_for_context() -> None:
    ds = _outside_image()
    ds.IssuerOfPatientID = "HOSP"
    apply(ds, LocalIdentity("MRN1", "HOSP"), WHEN)
    previous = ds.OriginalAttributesSequence[0].ModifiedAttributesSequence[0]
    assert (previous.PatientID, previous.IssuerOfPatientID) == ("OUT-778", "HOSP")


def test_nothing_to_change_adds_no_item() -> None:
    ds = _outside_image()
    ds.IssuerOfPatientID = "HOSP"
    apply(ds, LocalIdentity("OUT-778", "HOSP", "Muller^Anna"), WHEN)
    assert "OriginalAttributesSequence" not in ds
    assert "InstanceCoercionDateTime" not in ds


# -- the disc's values and the form ----------------------------------------------------

@pytest.fixture
def stored_study(tmp_path: Path, small_disc: Path) -> tuple[Path, str]:
    home = tmp_path / "home"
    with Library(home) as library:
        report = [r for r in import_media(small_disc, library) if isinstance(r, ImportReport)]
        assert report and report[0].imported
        (row,) = library.list_studies()
    return home, row.study_instance_uid


def test_identity_on_disc_reads_the_stored_headers(stored_study: tuple[Path, str]) -> None:
    home, study = stored_study
    disc = LibraryService(home).identity_on_disc(study)
    assert disc.values["birth_date"] == "19700101"
    assert disc.values["sex"] == "O"
    assert disc.values["accession"] == "LBSAMPLE1"
    assert disc.values["issuer"] == ""
    assert disc.values["patient_id"] and disc.values["patient_name"]
    assert disc.disagreements == ()
    assert disc.institution == "Lightbox sample disc"


def test_identity_on_disc_says_when_images_disagree(tmp_path: Path) -> None:
    from app.services.reconciling import identity_on_disc

    paths = []
    for number, patient_id in enumerate(("A", "A", "B")):
        ds = _outside_image()
        ds.PatientID = patient_id
        ds.SOPInstanceUID = f"1.2.3.{number}"
        path = tmp_path / f"{number}.dcm"
        ds.save_as(path, implicit_vr=True, little_endian=True)
        paths.append(path)
    disc = identity_on_disc(paths)
    assert disc.values["patient_id"] == "A"
    assert disc.disagreements == ("The images of this study do not agree on the patient ID "
                                  "(2 different values); check it before sending.",)


def test_the_form_holds_every_rule_the_widget_needs() -> None:
    disc = DiscIdentity({"patient_id": "OUT-778", "issuer": "", "patient_name": "Muller^Anna",
                         "birth_date": "19800214", "sex": "F", "accession": "A1"})
    form = ReconcileForm(disc, TODAY)
    rows = {r.name: r for r in form.rows}
    assert [r.name for r in form.rows] == ["patient_id", "issuer", "patient_name",
                                           "birth_date", "sex", "accession"]
    # The local ID must be typed: it starts empty, required, and the form is not valid.
    assert (rows["patient_id"].local_value, rows["patient_id"].required) == ("", True)
    assert rows["patient_id"].problem == "Patient ID is empty: give the local Patient ID."
    assert rows["patient_name"].local_value == "Muller^Anna"
    assert not rows["patient_name"].changed and rows["patient_name"].hint == "FAMILY^GIVEN"
    assert not form.valid
    with pytest.raises(UsageError, match="Patient ID is empty"):
        form.identity()

    form.set("patient_id", "MRN1")
    form.set("issuer", "HOSP")
    birth = form.set("birth_date", "1980-02-14")  # the same date, typed with dashes
    assert not birth.changed and birth.problem == ""
    sex = form.set("sex", "x")
    assert sex.changed and sex.problem == "Sex 'x' is not M, F or O (or empty when unknown)."
    assert form.problems == (sex.problem,)
    form.set("sex", "f")
    accession = form.set("accession", "L-9")
    assert accession.changed and accession.disc_value == "A1"
    assert form.valid
    assert [r.name for r in form.rows if r.changed] == ["patient_id", "issuer", "accession"]
    assert form.identity() == LocalIdentity("MRN1", "HOSP", None, None, None, "L-9")


def test_the_library_gives_a_study_s_form_with_the_usual_issuer(
        stored_study: tuple[Path, str]) -> None:
    home, study = stored_study
    form = LibraryService(home).reconcile_form(study, issuer="HOSP-A")
    rows = {r.name: r for r in form.rows}
    assert (rows["patient_id"].local_value, rows["issuer"].local_value) == ("", "HOSP-A")
    assert rows["accession"].local_value == rows["accession"].disc_value == "LBSAMPLE1"
    assert form.problems == ("Patient ID is empty: give the local Patient ID.",)
    form.set("patient_id", "MRN1")
    assert form.identity() == LocalIdentity("MRN1", "HOSP-A")
    with pytest.raises(LibraryError, match=r"There is no study 9\.9 in the library"):
        LibraryService(home).reconcile_form("9.9")
