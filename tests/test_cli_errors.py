"""Exit codes and one-sentence errors: missing paths, no screen, a busy library, --debug.

The no-screen tests run `lightbox` as its own process in a scrubbed environment (no
DISPLAY, no WAYLAND_DISPLAY, no QT_QPA_PLATFORM): before, Qt aborted there (exit 134).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli.screen import missing_screen
from app.services.importing import ImportProgress
from app.services.library_service import LibraryService
from tests.conftest import REPO
from tests.library.helpers import SMALL_IMAGES, write_small_disc
from tests.support.cli import run_in_process

NO_SCREEN = "There is no screen to show the viewer on (DISPLAY is not set); "



_cli = run_in_process


def _headless_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(LIGHTBOX_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    return env


def _process(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("args", "sentence"), [
    (["scan", "{missing}"], "There is no disc, folder or file at {missing}.\n"),
    (["scan", "{missing}", "--json"], "There is no disc, folder or file at {missing}.\n"),
    (["import", "{missing}"], "There is no disc, folder or file at {missing}.\n"),
    (["view", "{missing}"], "There is no disc, folder or file at {missing}.\n"),
    (["view", "{missing}", "--screenshot", "{tmp}/shot.png"],
     "There is no disc, folder or file at {missing}.\n"),
    (["render", "{missing}", "-o", "{tmp}/out.png"], "There is no file at {missing}.\n"),
], ids=["scan", "scan-json", "import", "view", "view-screenshot", "render"])
def test_a_path_that_does_not_exist_exits_two(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str], args: list[str],
    sentence: str,
) -> None:
    """Every command that takes a path: exit 2, nothing on stdout, exactly one sentence."""
    missing = tmp_path / "no" / "such" / "disc"
    fill = {"missing": str(missing), "tmp": str(tmp_path)}
    code, out, err = _cli(capsys, *(a.format(**fill) for a in args))
    assert (code, out, err) == (2, "", sentence.format(**fill))
    assert not (tmp_path / "shot.png").exists() and not (tmp_path / "out.png").exists()


def test_view_without_a_screen_says_so_instead_of_crashing(tmp_path: Path) -> None:
    disc = write_small_disc(tmp_path / "disc")
    done = _process(_headless_env(tmp_path), "view", str(disc))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"{NO_SCREEN}use 'lightbox view PATH --screenshot PNG' under Xvfb, or "
        "'lightbox scan PATH'.\n")


def test_the_viewer_without_a_screen_says_so_instead_of_crashing(tmp_path: Path) -> None:
    done = _process(_headless_env(tmp_path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(NO_SCREEN) and done.stderr.count("\n") == 1
    assert "'lightbox library list'" in done.stderr
    assert not (tmp_path / "home").exists(), "nothing may be created before the check"


@pytest.mark.parametrize(("environ", "missing"), [
    ({}, "DISPLAY is not set"),
    ({"DISPLAY": ":0"}, None),
    ({"WAYLAND_DISPLAY": "wayland-0"}, None),
    ({"QT_QPA_PLATFORM": "offscreen"}, None),
    ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, None),
    ({"QT_QPA_PLATFORM": "minimal"}, None),
    ({"QT_QPA_PLATFORM": "xcb"}, "DISPLAY is not set"),
    ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, "DISPLAY is not set"),
    ({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, "WAYLAND_DISPLAY is not set"),
    ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":0"}, None),
    ({"QT_QPA_PLATFORM": "cocoa"}, "QT_QPA_PLATFORM=cocoa cannot show a window here"),
])
def test_what_is_missing_for_a_window(environ: dict[str, str], missing: str | None) -> None:
    assert missing_screen(environ, "linux") == missing


def test_windows_and_macos_always_have_a_screen() -> None:
    assert missing_screen({}, "win32") is None and missing_screen({}, "darwin") is None


def test_delete_during_a_running_import_exits_two(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`library delete` takes the writer lock: while an import runs it refuses in one
    sentence and deletes nothing."""
    first, second = (write_small_disc(tmp_path / n, seed=s) for n, s in (("a", 7), ("b", 8)))
    assert _cli(capsys, "import", str(first))[0] == 0
    uid = json.loads(_cli(capsys, "library", "list", "--json")[1])["studies"][0][
        "study_instance_uid"]
    running = LibraryService(home).import_media(second)
    assert isinstance(next(running), ImportProgress)
    try:
        code, out, err = _cli(capsys, "library", "delete", uid, "--yes")
    finally:
        running.close()
    assert (code, out) == (2, "")
    assert err == ("The library is busy importing; delete the study when the import has "
                   "finished.\n")
    assert _cli(capsys, "library", "delete", uid, "--yes")[:2] == (
        0, f"Deleted the study and its {SMALL_IMAGES} images.\n")


def test_debug_adds_the_traceback(tmp_path: Path, home: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nothing"
    code, _, err = _cli(capsys, "scan", str(missing))
    assert code == 2 and "Traceback" not in err
    code, _, err = _cli(capsys, "--debug", "scan", str(missing))
    assert code == 2 and "Traceback" in err
    assert err.endswith(f"There is no disc, folder or file at {missing}.\n")


def test_a_bad_sample_disc_argument_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(capsys, "sample-disc", str(tmp_path / "d"), "--transfer-syntax",
                          "nonsense")
    assert (code, out) == (2, "")
    assert err.startswith("Unknown transfer syntax 'nonsense'; use one of: explicit")
    assert err.count("\n") == 1


def test_version_and_help_read_no_dicom(tmp_path: Path) -> None:
    """--version prints the version; neither it nor --help imports pydicom, numpy,
    requests or keyring (that is what keeps start-up fast). The help of a command still
    lists names that live in heavier modules."""
    code = ("import sys\n"
            "from app.cli import main\n"
            "for argv in (['--version'], ['--help']):\n"
            "    try:\n"
            "        main(argv)\n"
            "    except SystemExit:\n"
            "        pass\n"
            "heavy = [m for m in ('pydicom', 'numpy', 'requests', 'keyring', 'PySide6')"
            " if m in sys.modules]\n"
            "print('HEAVY', heavy, file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code], env=_headless_env(tmp_path),
                          cwd=REPO, capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.startswith("lightbox ")
    assert "HEAVY []" in done.stderr
    render_help = subprocess.run([sys.executable, "-m", "app", "render", "--help"],
                                 env=_headless_env(tmp_path), cwd=REPO, capture_output=True,
                                 text=True, timeout=60, check=True).stdout
    assert "one of: brain, " in render_help
