"""`lightbox scan` as scripts use it: JSON keys, exit codes, one sentence on bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from tests.conftest import CORPUS, REPO


def _scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["scan", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_follows_the_contract(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _scan(capsys, str(corpus / "discs/philips_ct_dirfile_trimmed"), "--json")
    assert code == 1
    data = json.loads(out)
    assert {"source", "kind", "instances", "patients", "problems"} <= set(data)
    assert data["kind"] == "dicomdir"
    assert data["instances"] == 55
    patient = data["patients"][0]
    assert set(patient) == {"patient_id", "patient_name", "studies"}
    study = patient["studies"][0]
    assert {"study_instance_uid", "study_date", "study_description", "series",
            "explained"} == set(study)
    series = study["series"][0]
    assert set(series) == {
        "series_instance_uid", "modality", "series_number", "series_description", "instances",
        "explained",
    }
    assert isinstance(series["series_number"], int)
    problem = data["problems"][0]
    assert set(problem) == {"path", "problem", "detail"}
    assert problem["problem"] == "missing"


def test_human_output_has_tree_and_summary(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _scan(capsys, str(corpus / "discs/philips_ct_dirfile_trimmed"))
    assert code == 1
    assert "HEAD  (ID PLASTIC)" in out
    assert "55 images in 2 series; 378 referenced files missing" in out
    assert "... and 353 more" in out


def test_clean_disc_exits_zero(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _scan(capsys, str(corpus / "discs/pydicom_tiny_alpha"))
    assert code == 0
    assert "50 images in 1 series; no problems found" in out
    assert err == ""


def test_single_file(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _scan(capsys, str(corpus / "files/signed/CT_small.dcm"), "--json")
    data = json.loads(out)
    assert (code, data["kind"], data["instances"]) == (0, "scan", 1)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: d / "nothing-here", "There is no disc, folder or file at"),
        (lambda d: _write(d / "broken.zip", b"PK\x03\x04" + b"\0" * 100), "is not"),
        (lambda d: _write(d / "broken.iso", b"\0" * 32769 + b"CD001" + b"\0" * 5000), "ISO"),
    ],
    ids=["missing", "corrupt-zip", "corrupt-iso"],
)
def test_unreadable_sources_exit_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make, words: str  # type: ignore[no-untyped-def]
) -> None:
    code, _, err = _scan(capsys, str(make(tmp_path)))
    assert code == 2
    assert words in err
    assert err.count("\n") == 1 and "Traceback" not in err


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_folder_without_dicom(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "holiday.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 100)
    code, out, _ = _scan(capsys, str(tmp_path))
    assert code == 1
    assert "No DICOM images were found here." in out


CORPUS_FILES = sorted(p for p in (CORPUS / "files").rglob("*") if p.is_file())


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_no_traceback_on_any_corpus_file(
    corpus: Path, path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _scan(capsys, str(path))
    assert code in (0, 1)
    assert err == ""
    assert out.strip().splitlines()[-1]


def test_runs_as_python_dash_m(corpus: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "scan", str(corpus / "discs/pydicom_tiny_alpha"), "--json"],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["instances"] == 50
    assert result.stderr == ""
