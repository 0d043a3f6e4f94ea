"""`lightbox export --deidentify` as scripts use it: its options, the JSON, exit codes
and one-sentence refusals. What a de-identified copy holds is checked in
tests/services/test_deidentified_export.py; here the command line around it, end to end
(import, export, scan of the copy)."""

import json
from pathlib import Path

import pytest

from tests.library.helpers import SAMPLE_ID, SAMPLE_NAME, SMALL_IMAGES, write_small_disc
from tests.support.cli import run_in_process
from tests.support.deidentified import identifying_values, identity_left, rewritten_disc
from tests.support.exports import dciodvfy_errors, files_by_uid, folder_files, zip_files
from tests.support.studies import study_files


def _import(capsys: pytest.CaptureFixture[str], disc: Path) -> str:
    code, out, _ = run_in_process(capsys, "import", str(disc), "--json")
    assert code == 0, out
    code, out, _ = run_in_process(capsys, "library", "list", "--json")
    known = {s["study_instance_uid"] for s in json.loads(out)["studies"]}
    code, out, _ = run_in_process(capsys, "scan", str(disc), "--json")
    [uid] = [s["study_instance_uid"] for p in json.loads(out)["patients"]
             for s in p["studies"]]
    assert uid in known
    return str(uid)


@pytest.fixture
def studies(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
            ) -> tuple[str, str]:
    """A CT study of the sample patient and one whose images are US (a kind that often
    has text burned in), imported: (CT, US)."""
    ct = write_small_disc(tmp_path / "ct", seed=51)
    us = rewritten_disc(write_small_disc(tmp_path / "us-source", seed=52), tmp_path / "us",
                        modality="US")
    return _import(capsys, ct), _import(capsys, us)


def _scan(capsys: pytest.CaptureFixture[str], path: Path) -> dict[str, object]:
    code, out, _ = run_in_process(capsys, "scan", str(path), "--json")
    assert code == 0, out
    result: dict[str, object] = json.loads(out)
    return result


def test_a_de_identified_zip_without_the_patient(
    studies: tuple[str, str], home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ct, _ = studies
    out = tmp_path / "copy.zip"
    code, stdout, stderr = run_in_process(capsys, "export", ct, "--out", str(out),
                                          "--deidentify", "--json")
    assert (code, stderr) == (0, "")
    result = json.loads(stdout)
    assert (result["deidentified"], result["format"], result["instances"],
            result["warnings"]) == (True, "zip", SMALL_IMAGES, [])
    [exported] = result["studies"]
    assert exported["study_instance_uid"] == ct != exported["exported_study_instance_uid"]

    values = identifying_values(study_files(home, ct).values())
    for name, data in zip_files(out).items():
        assert identity_left(data, values) == {}, name
    scanned = _scan(capsys, out)
    assert scanned["instances"] == SMALL_IMAGES
    [patient] = scanned["patients"]  # type: ignore[misc]
    assert patient["patient_name"] != SAMPLE_NAME and patient["patient_id"] != SAMPLE_ID
    assert patient["patient_id"].startswith("ANON-")
    assert [s["study_instance_uid"] for s in patient["studies"]] == [
        exported["exported_study_instance_uid"]]

    # A second copy gives the same UIDs.
    code, stdout, _ = run_in_process(capsys, "export", ct, "--out", str(tmp_path / "again"),
                                     "--deidentify", "--json")
    assert code == 0
    assert json.loads(stdout)["studies"] == result["studies"]
    assert set(files_by_uid(folder_files(tmp_path / "again"))) == set(
        files_by_uid(zip_files(out)))


def test_the_names_typed_are_the_copys(
    studies: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ct, _ = studies
    out = tmp_path / "copy"
    code, stdout, _ = run_in_process(
        capsys, "export", ct, "--out", str(out), "--deidentify",
        "--patient-name", "Second opinion 2026-12", "--patient-id", "SO-2026-12")
    assert code == 0
    assert stdout.splitlines()[0].startswith("Exported a de-identified copy of 1 study ")
    [patient] = _scan(capsys, out)["patients"]  # type: ignore[misc]
    assert (patient["patient_name"], patient["patient_id"]) == (
        "Second opinion 2026-12", "SO-2026-12")
    assert dciodvfy_errors(out / "DICOMDIR") == []


def test_burned_in_images_are_left_out_unless_included(
    studies: tuple[str, str], home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ct, us = studies
    code, stdout, _ = run_in_process(capsys, "export", ct, us, "--out",
                                     str(tmp_path / "copy"), "--deidentify", "--json")
    result = json.loads(stdout)
    assert code == 1
    assert result["instances"] == SMALL_IMAGES
    assert len(result["warnings"]) == SMALL_IMAGES
    assert all(set(w) == {"study_instance_uid", "sop_instance_uid", "message"}
               for w in result["warnings"])
    assert {w["sop_instance_uid"] for w in result["warnings"]} == set(study_files(home, us))
    assert {w["study_instance_uid"] for w in result["warnings"]} == {us}
    assert "often has text drawn in" in result["warnings"][0]["message"]
    assert SAMPLE_NAME.lower() not in stdout.lower() and SAMPLE_ID not in stdout

    code, stdout, _ = run_in_process(capsys, "export", ct, us, "--out",
                                     str(tmp_path / "plain"), "--deidentify")
    assert code == 1 and f"{SMALL_IMAGES} images were not put in the copy:" in stdout

    code, stdout, _ = run_in_process(capsys, "export", ct, us, "--out",
                                     str(tmp_path / "all"), "--deidentify",
                                     "--include-burned-in", "--json")
    result = json.loads(stdout)
    assert (code, result["instances"], result["warnings"]) == (0, 2 * SMALL_IMAGES, [])
    assert any("burned-in text" in note for note in result["notes"])

    code, stdout, stderr = run_in_process(capsys, "export", us, "--out",
                                          str(tmp_path / "only-us"), "--deidentify",
                                          "--json")
    assert (code, stdout) == (2, "")
    assert len(stderr.strip().splitlines()) == 1 and "often has text drawn in" in stderr
    assert not (tmp_path / "only-us").exists()


@pytest.mark.parametrize(("options", "sentence"), [
    (["--include-burned-in"], "--include-burned-in only applies to a de-identified copy: "
                              "add --deidentify."),
    # Without --deidentify these two belong to a copy for a local patient (with --issuer).
    (["--patient-name", "X"], "--patient-name needs --patient-id and --issuer (the local "
                              "patient), or --deidentify for a de-identified copy."),
    (["--patient-id", "X"], "--patient-id and --issuer go together: add --issuer, or "
                            "--deidentify for a de-identified copy."),
    (["--deidentify", "--patient-name", " "], "--patient-name is empty: give the name to "
                                              "use, or leave the option out."),
])
def test_options_without_deidentify_exit_2_with_one_sentence(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str],
    sentence: str,
) -> None:
    code, stdout, stderr = run_in_process(capsys, "export", "1.2.3", "--out",
                                          str(tmp_path / "copy"), *options, "--json")
    assert (code, stdout, stderr.strip()) == (2, "", sentence)
    assert not (tmp_path / "copy").exists()
