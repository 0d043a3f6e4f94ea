"""`lightbox send/export --patient-id ID --issuer I ...`: the copies that leave carry the
local patient and an Original Attributes Sequence item; the library's files stay as they
were; a resend under another identity is refused (storescp, Orthanc's DICOM port)."""

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest

from tests.support.cli import cli_env, lightbox, run_in_process
from tests.support.exports import dciodvfy_errors
from tests.support.orthanc import Orthanc, orthanc_problem
from tests.support.storescp import StoreScp, storescp_problem

needs_storescp = pytest.mark.skipif(storescp_problem() is not None,
                                    reason=str(storescp_problem()))
LOCAL = ["--patient-id", "MRN-0042", "--issuer", "HOSP-A", "--patient-name", "LOCAL^PATIENT",
         "--birth-date", "1970-01-01", "--accession", "L-77"]
UIDS = ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "SOPClassUID")


def _library(tmp_path: Path, syntax: str = "explicit"
             ) -> tuple[dict[str, str], str, dict[str, pydicom.Dataset]]:
    """A library holding the sample disc: its env, study UID and stored headers by UID."""
    env = cli_env(tmp_path, None)
    disc = tmp_path / "disc"
    done = lightbox(env, "sample-disc", str(disc), "--slices", "6", "--transfer-syntax", syntax)
    assert done.returncode == 0, done.stderr
    assert lightbox(env, "import", str(disc), "--json").returncode == 0
    listed = json.loads(lightbox(env, "library", "list", "--json").stdout)
    study = listed["studies"][0]["study_instance_uid"]
    stored = {str(ds.SOPInstanceUID): ds for ds in
              (pydicom.dcmread(p, stop_before_pixels=True) for p in _store_files(env))}
    return env, study, stored


def _store_files(env: dict[str, str]) -> list[Path]:
    return sorted(p for p in (Path(env["LIGHTBOX_HOME"]) / "store").rglob("*") if p.is_file())


def _hashes(env: dict[str, str]) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in _store_files(env)}


def _received(server: StoreScp) -> dict[str, pydicom.Dataset]:
    return {str(ds.SOPInstanceUID): ds for ds in map(pydicom.dcmread, server.files())}


def _assert_reconciled(ds: pydicom.Dataset, original: pydicom.Dataset) -> None:
    """The local values, the same UIDs, and one item recording exactly what changed."""
    assert (ds.PatientID, ds.IssuerOfPatientID, str(ds.PatientName), ds.PatientBirthDate,
            ds.PatientSex, ds.AccessionNumber) == \
        ("MRN-0042", "HOSP-A", "LOCAL^PATIENT", "19700101", "O", "L-77")
    for uid in UIDS:
        assert ds[uid].value == original[uid].value
    (item,) = ds.OriginalAttributesSequence
    assert item.ReasonForTheAttributeModification == "COERCE"
    assert item.ModifyingSystem.startswith("Lightbox ")
    assert item.SourceOfPreviousValues == "Lightbox sample disc"
    assert len(item.AttributeModificationDateTime) == 19  # YYYYMMDDHHMMSS+0000
    (previous,) = item.ModifiedAttributesSequence
    # The birth date typed as 1970-01-01 is the disc's 19700101 and sex was not given.
    assert sorted(previous.dir()) == ["AccessionNumber", "IssuerOfPatientID", "PatientID",
                                      "PatientName"]
    assert previous.PatientID == original.PatientID
    assert str(previous.PatientName) == str(original.PatientName)
    assert previous.AccessionNumber == original.AccessionNumber == "LBSAMPLE1"
    assert previous["IssuerOfPatientID"].is_empty


@pytest.fixture
def scp(tmp_path: Path) -> Iterator[StoreScp]:
    server = StoreScp(tmp_path / "received", "+B")
    yield server
    server.stop()


@needs_storescp
def test_reconciled_send_arrives_rewritten_and_the_library_is_unchanged(
        tmp_path: Path, scp: StoreScp) -> None:
    env, study, stored = _library(tmp_path)
    before = _hashes(env)
    done = lightbox(env, "send", study, "--to", scp.address, *LOCAL, "--json")
    assert done.returncode == 0, done.stderr
    (report,) = json.loads(done.stdout)["studies"]
    assert (report["sent"], report["confirmed"], report["failed"]) == (len(stored),
                                                                      len(stored), [])
    assert report["identity"] == {"patient_id": "MRN-0042", "issuer": "HOSP-A",
                                  "patient_name": "LOCAL^PATIENT", "birth_date": "19700101",
                                  "sex": None, "accession": "L-77"}
    received = _received(scp)
    assert set(received) == set(stored)
    for uid, ds in received.items():
        _assert_reconciled(ds, stored[uid])
    # The library's files are byte for byte what was imported, and verify agrees.
    assert _hashes(env) == before
    verify = lightbox(env, "library", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    # The plain output says whom it went for.
    again = lightbox(env, "send", study, "--to", scp.address, *LOCAL)
    assert again.returncode == 0, again.stderr
    assert "Sent for the local patient: Patient ID MRN-0042 (issuer HOSP-A)." in again.stdout
    assert len(scp.files()) == len(stored)  # Nothing was missing, nothing sent again.


@needs_storescp
def test_a_resend_under_another_identity_is_refused_until_resend(
        tmp_path: Path, scp: StoreScp) -> None:
    env, study, stored = _library(tmp_path)
    first = lightbox(env, "send", study, "--to", scp.address, *LOCAL)
    assert first.returncode == 0, first.stderr
    for other in (["--patient-id", "MRN-9999", "--issuer", "HOSP-A"], [],
                  [*LOCAL[:4], "--accession", "L-78"]):
        refused = lightbox(env, "send", study, "--to", scp.address, *other, "--json")
        assert (refused.returncode, refused.stdout) == (2, ""), refused.stderr
        (sentence,) = refused.stderr.strip().splitlines()
        same_id = " with other name, birth date, sex or accession number" if other[:2] == \
            LOCAL[:2] else ""
        assert sentence.startswith(f"Study {study} was already sent to {scp.address} under "
                                   f"Patient ID MRN-0042 (issuer HOSP-A){same_id} on ")
        assert sentence.endswith("send again with --resend.")
    assert len(scp.files()) == len(stored)
    # After the PACS's copy was dealt with: --resend sends all again, under the new ID.
    for path in scp.files():
        path.unlink()
    resent = lightbox(env, "send", study, "--to", scp.address, "--patient-id", "MRN-9999",
                      "--issuer", "HOSP-A", "--resend", "--json")
    assert resent.returncode == 0, resent.stderr
    assert json.loads(resent.stdout)["studies"][0]["sent"] == len(stored)
    assert {ds.PatientID for ds in _received(scp).values()} == {"MRN-9999"}
    # The library remembers both sends, newest first.
    from app.services.library_service import LibraryService

    history = LibraryService(Path(env["LIGHTBOX_HOME"])).send_identities(study)
    assert [(h.patient_id, h.destination) for h in history] == \
        [("MRN-9999", scp.address), ("MRN-0042", scp.address)]


@needs_storescp
def test_a_study_sent_as_on_the_disc_is_not_resent_under_a_local_id(
        tmp_path: Path, scp: StoreScp) -> None:
    env, study, _ = _library(tmp_path)
    assert lightbox(env, "send", study, "--to", scp.address).returncode == 0
    refused = lightbox(env, "send", study, "--to", scp.address, *LOCAL)
    assert refused.returncode == 2
    assert "with the patient as on the disc" in refused.stderr


@needs_storescp
def test_reconciled_and_decoded_for_an_uncompressed_only_pacs(tmp_path: Path) -> None:
    env, study, stored = _library(tmp_path, "rle")
    server = StoreScp(tmp_path / "received")  # default: uncompressed only
    try:
        done = lightbox(env, "send", study, "--to", server.address, *LOCAL, "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["studies"][0]["decoded"] == len(stored)
        received = _received(server)
    finally:
        server.stop()
    assert set(received) == set(stored)
    for uid, ds in received.items():
        assert not ds.file_meta.TransferSyntaxUID.is_compressed
        _assert_reconciled(ds, stored[uid])


@pytest.mark.skipif(orthanc_problem() is not None, reason=str(orthanc_problem()))
def test_orthanc_files_the_study_under_the_local_patient(tmp_path: Path) -> None:
    env, study, stored = _library(tmp_path)
    before = _hashes(env)
    orthanc = Orthanc(tmp_path / "orthanc")
    orthanc.start()
    try:
        done = lightbox(env, "send", study, "--to",
                        f"LIGHTBOXTEST@127.0.0.1:{orthanc.dicom_port}", *LOCAL, "--json")
        assert done.returncode == 0, done.stderr
        found = orthanc.session.post(f"{orthanc.base}/tools/find", json={
            "Level": "Study", "Query": {"PatientID": "MRN-0042"}, "Expand": True},
            timeout=10).json()
        assert [s["MainDicomTags"]["StudyInstanceUID"] for s in found] == [study]
        assert found[0]["PatientMainDicomTags"]["PatientName"] == "LOCAL^PATIENT"
        assert found[0]["MainDicomTags"]["AccessionNumber"] == "L-77"
        disc_id = next(iter(stored.values())).PatientID
        assert orthanc.session.post(f"{orthanc.base}/tools/find", json={
            "Level": "Study", "Query": {"PatientID": disc_id}}, timeout=10).json() == []
        instance = orthanc.session.get(
            f"{orthanc.base}/studies/{found[0]['ID']}/instances", timeout=10).json()[0]
        tags = orthanc.session.get(f"{orthanc.base}/instances/{instance['ID']}/tags",
                                   params={"simplify": ""}, timeout=10).json()
        (item,) = tags["OriginalAttributesSequence"]
        assert item["ReasonForTheAttributeModification"] == "COERCE"
        assert item["ModifiedAttributesSequence"][0]["PatientID"] == disc_id
    finally:
        orthanc.close()
    assert _hashes(env) == before


def test_export_for_a_local_patient(tmp_path: Path) -> None:
    env, study, stored = _library(tmp_path)
    before = _hashes(env)
    out = tmp_path / "copy"
    done = lightbox(env, "export", study, "--out", str(out), *LOCAL, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["deidentified"] is False
    assert report["identity"]["patient_id"] == "MRN-0042"
    assert report["instances"] == len(stored)
    files = [p for p in out.rglob("*") if p.is_file() and p.name != "DICOMDIR"]
    copies = {str(ds.SOPInstanceUID): ds for ds in map(pydicom.dcmread, files)}
    assert set(copies) == set(stored)
    for uid, ds in copies.items():
        _assert_reconciled(ds, stored[uid])
    dicomdir = pydicom.dcmread(out / "DICOMDIR")
    patients = [r for r in dicomdir.DirectoryRecordSequence
                if r.DirectoryRecordType == "PATIENT"]
    assert [r.PatientID for r in patients] == ["MRN-0042"]
    assert _hashes(env) == before
    plain = lightbox(env, "export", study, "--out", str(tmp_path / "copy2"), *LOCAL)
    assert "a copy for Patient ID MRN-0042 (issuer HOSP-A)" in plain.stdout


@pytest.mark.parametrize(("command", "options", "sentence"), [
    ("send", ["--patient-id", "MRN1"], "--patient-id and --issuer go together: add --issuer."),
    ("send", ["--issuer", "HOSP"], "--issuer and --patient-id go together: add --patient-id."),
    ("send", ["--sex", "F"], "--sex needs --patient-id and --issuer (the local patient)."),
    ("send", ["--patient-id", "MRN1", "--issuer", "HOSP", "--birth-date", "31.01.1970"],
     "Birth date '31.01.1970' is not a date: write it as YYYYMMDD, for example 19700131."),
    ("send", ["--patient-id", "A\\B", "--issuer", "HOSP"],
     "Patient ID may not contain a backslash (\\)."),
    ("send", ["--patient-id", "MRN1", "--issuer", "HOSP", "--accession", "X" * 17],
     "Accession number is 17 characters long; DICOM allows at most 16."),
    ("export", ["--patient-id", "MRN1"], "--patient-id and --issuer go together: add "
                                         "--issuer, or --deidentify for a de-identified copy."),
    ("export", ["--deidentify", "--issuer", "HOSP"], "--issuer cannot be combined with "
     "--deidentify: a copy is either de-identified or made for a local patient, not both."),
    ("export", ["--deidentify", "--accession", "A"], "--accession cannot be combined with "
     "--deidentify: a copy is either de-identified or made for a local patient, not both."),
])
def test_bad_local_patient_options_exit_2_with_one_sentence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        command: str, options: list[str], sentence: str) -> None:
    monkeypatch.setenv("LIGHTBOX_HOME", str(tmp_path / "home"))
    where = ["--to", "PACS@127.0.0.1:104"] if command == "send" else \
        ["--out", str(tmp_path / "copy")]
    code, stdout, stderr = run_in_process(capsys, command, "1.2.3", *where, *options,
                                          "--json")
    assert (code, stdout, stderr.strip()) == (2, "", sentence)
    assert not (tmp_path / "copy").exists()


def test_a_reconciled_copy_is_valid_for_dciodvfy(tmp_path: Path) -> None:
    env, study, _ = _library(tmp_path)
    out = tmp_path / "copy"
    done = lightbox(env, "export", study, "--out", str(out), *LOCAL, "--patient-name",
                    "Müller^Änne")
    assert done.returncode == 0, done.stderr
    image = next(p for p in sorted(out.rglob("*")) if p.is_file() and p.name != "DICOMDIR")
    assert pydicom.dcmread(image).OriginalAttributesSequence
    assert dciodvfy_errors(image) == []
    assert dciodvfy_errors(out / "DICOMDIR") == []
