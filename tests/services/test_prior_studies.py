"""Priors in a real library: sample discs of one patient on different days (and of the
same person from another site, and of other people) imported, then
LibraryService.prior_studies / previous_study / confirm / reject / matching_series."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from pydicom import dcmread

from app.core.errors import LibraryError, UsageError
from app.library.schema import SCHEMA_VERSION
from app.services.library_service import LibraryService
from app.services.prior_lookup import confirmation_question
from app.services.sample_disc import SamplePatient, write_sample_disc
from tests.support.cli import run_in_process

JANE_A = SamplePatient(name="DOE^JANE", patient_id="A1", birth_date="19800202", sex="F",
                       issuer="SITEA")
# The same person at another hospital: its own ID and issuer, the name typed differently.
JANE_B = SamplePatient(name="Doe^Jane^M", patient_id="B77", birth_date="19800202", sex="F",
                       issuer="SITEB")
MARY = SamplePatient(name="ROE^MARY", patient_id="A2", birth_date="19611111", sex="F",
                     issuer="SITEA")
# Another site without issuers that numbers its patients like site A: not Jane.
MAX = SamplePatient(name="MUSTER^MAX", patient_id="A1", birth_date="19550505", sex="M")

# disc name -> (patient, study date, slices)
DISCS = {
    "jane-2024": (JANE_A, "20240312", 8),
    "jane-2022": (JANE_A, "20220310", 4),
    "jane-other-site-2023": (JANE_B, "20230101", 4),
    "jane-2025": (JANE_A, "20250101", 4),
    "mary-2021": (MARY, "20210101", 4),
    "max-2020": (MAX, "20200101", 4),
}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> tuple[LibraryService, dict[str, str]]:
    """A library holding every disc of DISCS; disc name -> its study UID."""
    root = tmp_path_factory.mktemp("priors")
    service = LibraryService(root / "home")
    uids = {}
    for name, (patient, date, slices) in DISCS.items():
        summary = write_sample_disc(root / name, slices=slices, patient=patient,
                                    study_date=date)
        uids[name] = summary.study_instance_uid
        for _ in service.import_media(root / name):
            pass
    return service, uids


@pytest.fixture
def fresh(library: tuple[LibraryService, dict[str, str]]
          ) -> tuple[LibraryService, dict[str, str]]:
    """The module's library with no decisions recorded."""
    service, uids = library
    with closing(sqlite3.connect(service.home / "library.sqlite")) as db:
        db.execute("DELETE FROM patient_links")
        db.commit()
    return service, uids


def _priors(service: LibraryService, uid: str, uids: dict[str, str]
            ) -> list[tuple[str, str, bool]]:
    names = {v: k for k, v in uids.items()}
    return [(names[p.study_instance_uid], p.match, p.same_day)
            for p in service.prior_studies(uid)]


def test_earlier_studies_of_the_patient_and_a_suggestion_from_another_site(
        fresh: tuple[LibraryService, dict[str, str]]) -> None:
    service, uids = fresh
    assert _priors(service, uids["jane-2024"], uids) == [
        ("jane-other-site-2023", "suggested", False),
        ("jane-2022", "same", False),
    ]
    assert _priors(service, uids["jane-2022"], uids) == []
    assert [p for p, _m, _d in _priors(service, uids["jane-2025"], uids)] == [
        "jane-2024", "jane-other-site-2023", "jane-2022"]
    assert _priors(service, uids["mary-2021"], uids) == []
    assert _priors(service, uids["max-2020"], uids) == []
    assert service.prior_studies("1.2.3.not-in-the-library") == []
    previous = service.previous_study(uids["jane-2024"])
    assert previous is not None and previous.study_instance_uid == uids["jane-2022"]
    assert previous.reason == "Same patient ID and name."


def test_the_suggestion_asks_in_plain_words(
        fresh: tuple[LibraryService, dict[str, str]]) -> None:
    service, uids = fresh
    suggestion = service.prior_studies(uids["jane-2024"])[0]
    assert suggestion.needs_confirmation
    assert confirmation_question(suggestion) == (
        "These may be the same person: DOE, JANE, born 2 Feb 1980 (ID A1 at SITEA) and "
        "Doe, Jane M, born 2 Feb 1980 (ID B77 at SITEB). The same name and birth date, "
        "but a patient ID from another site. Are they the same person?")


def test_a_rejected_suggestion_is_not_offered_again(
        fresh: tuple[LibraryService, dict[str, str]]) -> None:
    service, uids = fresh
    service.reject_same_patient(uids["jane-2024"], uids["jane-other-site-2023"])
    assert _priors(service, uids["jane-2024"], uids) == [("jane-2022", "same", False)]
    # The decision is about the two identities, so it holds for Jane's other studies too.
    assert "jane-other-site-2023" not in [
        p for p, _m, _d in _priors(service, uids["jane-2025"], uids)]


def test_a_confirmed_suggestion_becomes_the_previous_study(
        fresh: tuple[LibraryService, dict[str, str]]) -> None:
    service, uids = fresh
    service.confirm_same_patient(uids["jane-other-site-2023"], uids["jane-2024"])
    assert _priors(service, uids["jane-2024"], uids) == [
        ("jane-other-site-2023", "confirmed", False),
        ("jane-2022", "same", False),
    ]
    previous = service.previous_study(uids["jane-2024"])
    assert previous is not None and previous.study_instance_uid == uids["jane-other-site-2023"]
    # Nothing was merged: each study keeps the patient its disc names.
    rows = {r.study_instance_uid: r for r in service.studies()}
    assert rows[uids["jane-other-site-2023"]].patient_id == "B77"
    assert rows[uids["jane-2024"]].patient_id == "A1"
    # A later "no" replaces the "yes".
    service.reject_same_patient(uids["jane-2024"], uids["jane-other-site-2023"])
    assert _priors(service, uids["jane-2024"], uids) == [("jane-2022", "same", False)]


def test_decisions_are_stored_without_names_in_the_current_schema(
        fresh: tuple[LibraryService, dict[str, str]]) -> None:
    service, uids = fresh
    service.confirm_same_patient(uids["jane-2024"], uids["jane-other-site-2023"])
    with closing(sqlite3.connect(service.home / "library.sqlite")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 9
        rows = db.execute("SELECT first_key, second_key, decision FROM patient_links").fetchall()
    assert len(rows) == 1 and rows[0][2] == "same"
    text = repr(rows)
    for secret in ("DOE", "Doe", "JANE", "A1", "B77", "SITE", "1980"):
        assert secret not in text


def test_deciding_about_a_study_not_in_the_library_says_so(
        fresh: tuple[LibraryService, dict[str, str]]) -> None:
    service, uids = fresh
    with pytest.raises(LibraryError, match=r"There is no study 1\.2\.3 in the library\."):
        service.confirm_same_patient(uids["jane-2024"], "1.2.3")


def test_matching_series_pairs_like_with_like(
        fresh: tuple[LibraryService, dict[str, str]]) -> None:
    service, uids = fresh
    matches = service.matching_series(uids["jane-2024"], uids["jane-2022"])
    # 8 slices: "AXIAL 50MM SOFT TISSUE" / "AXIAL 200MM LUNG"; 4: 100MM / 400MM.
    assert [(m.current.description, m.prior.description) for m in matches] == [
        ("AXIAL 50MM SOFT TISSUE", "AXIAL 100MM SOFT TISSUE"),
        ("AXIAL 200MM LUNG", "AXIAL 400MM LUNG"),
        ("SCOUT", "SCOUT"),
    ]
    first = matches[0]
    assert (first.current.plane, first.current.body_part, first.current.images) == (
        "axial", "CHESTABDPELVIS", 8)
    assert matches[2].current.plane == "coronal"
    assert first.reason == ("Same kind of scan (CT), same part of the body (the chest, "
                            "belly and pelvis), both cross-sections (axial), similar "
                            "description.")
    assert service.matching_series(uids["jane-2024"], "1.2.3") == []


def test_sample_disc_writes_the_patient_and_date_asked_for(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "disc"
    code, _out, err = run_in_process(
        capsys, "sample-disc", str(out), "--slices", "1", "--patient-name", "Müller^Anna",
        "--patient-id", "M-7", "--issuer", "SITEC", "--birth-date", "19750615", "--sex", "f",
        "--study-date", "20190704")
    assert (code, err) == (0, "")
    image = next(p for p in sorted(out.rglob("*")) if p.is_file() and p.name != "DICOMDIR")
    ds = dcmread(image, stop_before_pixels=True)
    assert (str(ds.PatientName), ds.PatientID, ds.IssuerOfPatientID, ds.PatientBirthDate,
            ds.PatientSex, ds.StudyDate, ds.StudyTime) == (
        "Müller^Anna", "M-7", "SITEC", "19750615", "F", "20190704", "093000")
    # Without options: the made-up sample patient, as before.
    code, _out, err = run_in_process(capsys, "sample-disc", str(tmp_path / "plain"),
                                     "--slices", "1")
    image = next(p for p in sorted((tmp_path / "plain").rglob("*"))
                 if p.is_file() and p.name != "DICOMDIR")
    ds = dcmread(image, stop_before_pixels=True)
    assert (code, str(ds.PatientName), ds.PatientID, ds.PatientBirthDate, "IssuerOfPatientID"
            in ds) == (0, "SAMPLE^PATIENT", "LIGHTBOX-SAMPLE", "19700101", False)


@pytest.mark.parametrize(("patient", "date", "message"), [
    (SamplePatient(birth_date="1980"), None, "The birth date must be YYYYMMDD"),
    (SamplePatient(sex="X"), None, "The sex must be M, F or O"),
    (SamplePatient(name="", patient_id=""), None, "A sample patient needs a name or"),
    (SamplePatient(patient_id="A\\B"), None, "cannot hold a backslash"),
    (SamplePatient(name="X" * 65), None, "at most three =-separated groups"),
    (None, "2024-03-12", "The study date must be YYYYMMDD"),
    (None, "20241340", "The study date must be YYYYMMDD"),
])
def test_bad_sample_patient_values_are_one_sentence(
        tmp_path: Path, patient: SamplePatient | None, date: str | None,
        message: str) -> None:
    with pytest.raises(UsageError, match=message):
        write_sample_disc(tmp_path / "d", slices=1, patient=patient, study_date=date)
    assert not (tmp_path / "d").exists()
