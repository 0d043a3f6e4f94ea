"""`lightbox export` as scripts use it: options, JSON keys, exit codes, one-sentence errors.

The copies themselves are checked in tests/services/test_exporting.py; here the command
line around them.
"""

import json
from pathlib import Path

import pytest

from app.cli.parser import build_parser
from tests.library.helpers import SMALL_IMAGES, write_small_disc
from tests.support.cli import run_in_process
from tests.support.exports import dciodvfy_errors, scan_tree
from tests.support.studies import study_files

EXPORT_KEYS = {"out", "format", "deidentified", "studies", "instances", "bytes", "warnings",
               "notes"}
STUDY_KEYS = {"study_instance_uid", "exported_study_instance_uid", "series", "instances",
              "left_out"}


@pytest.fixture
def study(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The small sample disc imported into the test's library: its Study Instance UID."""
    disc = write_small_disc(tmp_path / "disc", seed=41)
    code, out, _ = run_in_process(capsys, "import", str(disc), "--json")
    assert code == 0, out
    code, out, _ = run_in_process(capsys, "library", "list", "--json")
    return str(json.loads(out)["studies"][0]["study_instance_uid"])


@pytest.mark.parametrize(("name", "option", "media_format"), [
    ("copy", [], "folder"), ("copy.zip", [], "zip"), ("copy.ISO", [], "iso"),
    ("copy.zip", ["--format", "folder"], "folder"), ("copy", ["--format", "iso"], "iso"),
])
def test_export_json_and_the_format_from_the_name(
    study: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
    option: list[str], media_format: str,
) -> None:
    out = tmp_path / name
    code, stdout, stderr = run_in_process(capsys, "export", study, "--out", str(out),
                                          *option, "--json")
    assert (code, stderr) == (0, "")
    result = json.loads(stdout)
    assert set(result) == EXPORT_KEYS
    assert (result["out"], result["format"], result["deidentified"]) == (
        str(out), media_format, False)
    assert result["instances"] == SMALL_IMAGES and result["warnings"] == []
    [exported] = result["studies"]
    assert set(exported) == STUDY_KEYS
    assert exported["study_instance_uid"] == exported["exported_study_instance_uid"] == study
    assert (exported["series"], exported["instances"], exported["left_out"]) == (
        3, SMALL_IMAGES, 0)
    _, tree = scan_tree(out)
    assert list(tree) == [study]


def test_the_plain_output_says_where_the_copy_is(
    study: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "copy"
    code, stdout, _ = run_in_process(capsys, "export", study, "--out", str(out))
    assert code == 0
    assert stdout.splitlines()[0] == (
        f"Exported 1 study ({SMALL_IMAGES} images, "
        f"{sum(p.stat().st_size for p in (out / 'DICOM').rglob('*') if p.is_file()) / 1e6:.1f}"
        f" MB) as a folder with a DICOMDIR: {out}")
    assert dciodvfy_errors(out / "DICOMDIR") == []


def test_images_left_out_make_exit_1_and_are_listed(
    study: str, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = sorted(study_files(home, study).items())[0]
    gone[1].unlink()
    code, stdout, _ = run_in_process(capsys, "export", study, "--out",
                                     str(tmp_path / "copy"), "--json")
    result = json.loads(stdout)
    assert code == 1
    assert result["instances"] == SMALL_IMAGES - 1
    assert [(w["sop_instance_uid"], w["study_instance_uid"]) for w in result["warnings"]] == [
        (gone[0], study)]
    assert result["warnings"][0]["message"].startswith("Its file in the library is missing")
    code, stdout, _ = run_in_process(capsys, "export", study, "--out", str(tmp_path / "again"))
    assert code == 1 and "1 image was not put in the copy:" in stdout


@pytest.mark.parametrize("case", ["not-empty", "unknown-study", "no-parent"])
def test_refusals_exit_2_with_one_sentence(
    study: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    out, uid = tmp_path / "copy", study
    if case == "not-empty":
        out.mkdir()
        (out / "mine.txt").write_text("x")
    elif case == "unknown-study":
        uid = "1.2.3.404"
    else:
        out = tmp_path / "missing" / "copy"
    code, stdout, stderr = run_in_process(capsys, "export", uid, "--out", str(out), "--json")
    assert (code, stdout) == (2, "")
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr
    assert stderr.strip() == {
        "not-empty": f"{out} is not empty; choose a new or empty folder.",
        "unknown-study": "There is no study 1.2.3.404 in the library.",
        "no-parent": f"There is no folder {out.parent}; create it first or choose another "
                     "place for the copy.",
    }[case]


def test_out_and_a_study_are_required() -> None:
    for argv in (["export", "--out", "x"], ["export", "1.2.3"],
                 ["export", "1.2.3", "--out", "x", "--format", "tar"]):
        with pytest.raises(SystemExit) as exited:
            build_parser().parse_args(argv)
        assert exited.value.code == 2
