"""`lightbox import` and `lightbox library ...` as scripts and front desks use them.

Exit codes, JSON keys and output formats are the contract of DESIGN.md. The crash test
kills a real `lightbox import` process with SIGKILL at several moments, then checks that
importing again completes the library exactly and that `library verify` passes.
"""

import json
import os
import pty
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from app.library.library import Library
from app.library.store import RESERVE_BYTES
from app.media.directories import MISSING_DETAIL
from app.samples.disc_writer import write_sample_disc
from tests.conftest import REPO
from tests.library.helpers import (
    SAMPLE_ID,
    SAMPLE_NAME,
    SMALL_IMAGES,
    disc_images,
    index_rows,
    object_files,
    staging_files,
    store_problems,
    write_small_disc,
)
from tests.support.cli import run_in_process

LIST_KEYS = {"study_instance_uid", "patient_id", "patient_name", "study_date", "modalities",
             "series", "instances", "complete", "missing_on_source", "uploads", "explained"}


@pytest.fixture(scope="module")
def small_disc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 11-image sample disc (never changed by a test)."""
    return write_small_disc(tmp_path_factory.mktemp("cli-small") / "disc")



_cli = run_in_process


def _process(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m app ARGS` as its own process, output captured (so not a terminal)."""
    env = {**os.environ, "LIGHTBOX_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=REPO, env=env, capture_output=True,
        text=True, timeout=timeout,
    )


# -- import --------------------------------------------------------------------------------


def test_import_json_and_exit_zero_when_all_imported(
    small_disc: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """All imported: exit 0 and the contract's keys; again: all already present."""
    code, out, err = _cli(capsys, "import", str(small_disc), "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert {"imported", "already_present", "failed"} <= set(data)
    assert (data["imported"], data["already_present"], data["failed"]) == (SMALL_IMAGES, 0, [])
    code, out, _ = _cli(capsys, "import", str(small_disc), "--json")
    data = json.loads(out)
    assert (code, data["imported"], data["already_present"]) == (0, 0, SMALL_IMAGES)


def test_import_exits_one_and_lists_every_failure(
    corpus: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Some files missing from the disc: exit 1, each failure with its path and reason."""
    disc = corpus / "discs" / "philips_ct_dirfile_trimmed"
    code, out, _ = _cli(capsys, "import", str(disc), "--json")
    data = json.loads(out)
    assert (code, data["imported"], len(data["failed"])) == (1, 55, 378)
    assert all(set(f) == {"path", "error"} for f in data["failed"])
    assert {f["error"] for f in data["failed"]} == {MISSING_DETAIL}
    assert len({f["path"] for f in data["failed"]}) == 378

    code, out, _ = _cli(capsys, "import", str(disc))
    assert code == 1
    assert out.startswith(f"Imported 0 images from {disc}; 55 were already in the library; "
                          "378 failed.\n")
    assert "... and 353 more (use --json for the full list)" in out
    assert "can be ejected" not in out
    assert out.rstrip().endswith("Keep the disc and ask the clinic for a new copy.")

    # The library says the study is incomplete, and by how much.
    code, out, _ = _cli(capsys, "library", "list", "--json")
    (study,) = json.loads(out)["studies"]
    assert code == 0 and study["complete"] is False and study["missing_on_source"] == 63
    code, out, _ = _cli(capsys, "library", "list")
    assert "(incomplete: 63 missing)" in out


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: d / "nothing-here", "There is no disc, folder or file at"),
        (lambda d: _write(d / "broken.zip", b"PK\x03\x04" + b"\0" * 100), "is not a readable"),
    ],
    ids=["missing", "corrupt-zip"],
)
def test_an_unreadable_source_exits_two(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], Path], words: str,
) -> None:
    """A source that cannot be read at all: exit 2, one sentence, nothing imported."""
    code, out, err = _cli(capsys, "import", str(make(tmp_path)))
    assert (code, out) == (2, "")
    assert words in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (home / "library.sqlite").exists() or index_rows(home) == {}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_second_import_while_one_runs_exits_two(
    small_disc: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """While another process holds the library, import refuses in one sentence (exit 2)."""
    with Library(home) as running:
        running.acquire_writer()
        code, out, err = _cli(capsys, "import", str(small_disc))
    assert (code, out) == (2, "")
    assert err == "Another import into this library is running; wait for it to finish.\n"
    assert index_rows(home) == {}


class _Usage(NamedTuple):
    total: int
    used: int
    free: int


def test_a_full_disk_is_said_in_one_sentence(
    small_disc: Path, home: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No room: exit 1, the reason once, every image listed, and no 'can be ejected'."""
    monkeypatch.setattr(shutil, "disk_usage", lambda p: _Usage(10**9, 10**9, RESERVE_BYTES))
    code, out, _ = _cli(capsys, "import", str(small_disc))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].endswith(f"; 0 were already in the library; {SMALL_IMAGES} failed.")
    assert lines[1] == (
        "The disk holding the library is full (64 MB free); free some space and import "
        "again: nothing already imported is lost."
    )
    assert "ejected" not in out
    code, out, _ = _cli(capsys, "import", str(small_disc), "--json")
    assert json.loads(out)["stopped"].startswith("The disk holding the library is full")


def test_output_to_a_pipe_is_plain_lines(small_disc: Path, tmp_path: Path) -> None:
    """Not a terminal: progress and result are whole lines, no carriage returns or colours."""
    result = _process(tmp_path / "home", "import", str(small_disc))
    assert result.returncode == 0, result.stderr
    for text in (result.stdout, result.stderr):
        assert "\r" not in text and "\x1b" not in text
    progress = result.stderr.splitlines()
    assert all(line.startswith("Importing: ") for line in progress)
    assert progress[-1].startswith(f"Importing: {SMALL_IMAGES}/{SMALL_IMAGES} files, ")
    assert result.stdout.splitlines() == [
        f"Imported {SMALL_IMAGES} images from {small_disc}; 0 were already in the library; "
        "0 failed.",
        "Every imported image is safely stored: the disc can be ejected.",
    ]


def test_a_terminal_gets_a_progress_bar(small_disc: Path, tmp_path: Path) -> None:
    """On a terminal, the bar is redrawn in place with the count and MB/s, then cleared."""
    master, slave = pty.openpty()
    env = {**os.environ, "LIGHTBOX_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "import", str(small_disc)], cwd=REPO, env=env,
        stdout=subprocess.PIPE, stderr=slave,
    )
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the process closed its end
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=30) == 0
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()
    bar = b"".join(chunks).decode()
    assert f"\r[{'#' * 28}] {SMALL_IMAGES}/{SMALL_IMAGES} files, " in bar
    assert " MB/s" in bar and "\n" not in bar.replace("\r\n", "")
    assert bar.endswith("\r\x1b[K")


def test_home_option_chooses_the_library(small_disc: Path, tmp_path: Path) -> None:
    """--home DIR puts the library there (as LIGHTBOX_HOME does)."""
    env = {k: v for k, v in os.environ.items() if k != "LIGHTBOX_HOME"}
    env["HOME"] = str(tmp_path / "user")  # keep the platform default away from the real one
    chosen = tmp_path / "chosen"
    result = subprocess.run(
        [sys.executable, "-m", "app", "--home", str(chosen), "import", str(small_disc),
         "--json"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert len(index_rows(chosen)) == SMALL_IMAGES


def test_no_patient_data_outside_the_index_and_store(small_disc: Path, tmp_path: Path) -> None:
    """After import, list and verify, no log (nor any other file beside the index and the
    stored images) under LIGHTBOX_HOME names the patient."""
    home = tmp_path / "home"
    for args in (["import", str(small_disc)], ["library", "list"], ["library", "verify"]):
        assert _process(home, *args).returncode == 0
    logs = list(home.rglob("*.log"))
    others = [p for p in home.rglob("*") if p.is_file()
              and not p.name.startswith("library.sqlite")
              and "objects" not in p.relative_to(home).parts]
    for path in {*logs, *others}:
        text = path.read_bytes()
        for secret in (SAMPLE_NAME, SAMPLE_ID, SAMPLE_NAME.replace("^", " ")):
            assert secret.encode() not in text, f"{path} names the patient"


# -- library list / verify / delete ----------------------------------------------------------


def test_library_list_json_follows_the_contract(
    small_disc: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One study with the DESIGN.md keys and the disc's real values."""
    assert _cli(capsys, "library", "list", "--json")[:2] == (0, '{\n "studies": []\n}\n')
    _cli(capsys, "import", str(small_disc))
    code, out, _ = _cli(capsys, "library", "list", "--json")
    [study] = json.loads(out)["studies"]
    assert code == 0 and set(study) == LIST_KEYS
    assert (study["patient_id"], study["patient_name"]) == (SAMPLE_ID, SAMPLE_NAME)
    assert (study["modalities"], study["series"], study["instances"]) == (["CT"], 3,
                                                                          SMALL_IMAGES)
    assert study["uploads"] == {}
    assert len(study["study_date"]) == 8 and study["study_date"].isdigit()

    code, out, _ = _cli(capsys, "library", "list")
    assert code == 0
    assert f"{SAMPLE_NAME} ({SAMPLE_ID})  CT" in out
    assert f"3 series, {SMALL_IMAGES} images  {study['study_instance_uid']}" in out


def test_an_empty_library_says_how_to_fill_it(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`library list` on a new library: one helpful line, exit 0."""
    assert _cli(capsys, "library", "list") == (
        0, "The library is empty: import a disc with 'lightbox import PATH'.\n", ""
    )


def test_verify_finds_missing_and_changed_files(
    small_disc: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """verify passes after import; a deleted and a changed file give exit 1 with both."""
    _cli(capsys, "import", str(small_disc))
    assert _cli(capsys, "library", "verify") == (
        0, f"All {SMALL_IMAGES} stored images are present and unchanged.\n", ""
    )
    rows = sorted(index_rows(home).items())
    (gone_uid, (gone_file, _, _)), (changed_uid, (changed_file, _, _)) = rows[2], rows[7]
    (home / "store" / gone_file).unlink()
    changed = home / "store" / changed_file
    data = bytearray(changed.read_bytes())
    data[-1] ^= 1
    changed.write_bytes(bytes(data))

    code, out, _ = _cli(capsys, "library", "verify")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"2 of {SMALL_IMAGES} stored images are not as imported:"
    assert sorted(lines[1:3]) == sorted([
        f"  {gone_uid}: its file {gone_file} is missing",
        f"  {changed_uid}: its file {changed_file} has changed",
    ])
    assert lines[3:] == [
        "Insert the disc these images came from and import it again: the missing or "
        "changed files will be restored.",
        f"They came from: {small_disc}.",
    ]


def test_delete_needs_yes(
    small_disc: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --yes nothing is deleted (exit 2); with it the rows and files go."""
    _cli(capsys, "import", str(small_disc))
    study = json.loads(_cli(capsys, "library", "list", "--json")[1])["studies"][0]
    uid = study["study_instance_uid"]

    code, out, err = _cli(capsys, "library", "delete", uid)
    assert (code, out) == (2, "")
    assert err == ("Deleting a study removes its images from this computer; add --yes to "
                   "really delete it.\n")
    assert len(index_rows(home)) == len(object_files(home)) == SMALL_IMAGES

    assert _cli(capsys, "library", "delete", uid, "--yes") == (
        0, f"Deleted the study and its {SMALL_IMAGES} images.\n", ""
    )
    assert index_rows(home) == {} and object_files(home) == []
    assert json.loads(_cli(capsys, "library", "list", "--json")[1]) == {"studies": []}
    code, _, err = _cli(capsys, "library", "delete", uid, "--yes")
    assert (code, err) == (2, f"There is no study {uid} in the library.\n")


# -- kill -9 ---------------------------------------------------------------------------------

# When to kill: seconds after the start (interpreter start-up, opening the library and
# reading the DICOMDIR), or as soon as N images have reached objects/ (mid-import, when
# the next file is being copied, synced or indexed).
KILL_POINTS = [("seconds", 0.1), ("seconds", 0.45), ("files", 1), ("files", 30),
               ("files", 90), ("files", 140)]
KILL_SLICES = 120  # 1 + 120 + 30 = 151 images of 512 x 512, 76 MB


@pytest.fixture(scope="module")
def kill_disc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A disc big enough that a kill lands in the middle of the import."""
    disc = tmp_path_factory.mktemp("kill") / "disc"
    write_sample_disc(disc, slices=KILL_SLICES, seed=11)
    return disc


def _stored_count(home: Path) -> int:
    objects = home / "store" / "objects"
    try:
        return sum(len(os.listdir(folder)) for folder in os.scandir(objects))
    except OSError:
        return 0  # not created yet, or a folder appearing while we count


def _start_and_kill(disc: Path, home: Path, kind: str, value: float) -> bool:
    """Run `python -m app import DISC`, SIGKILL it at the point; True if it was killed."""
    env = {**os.environ, "LIGHTBOX_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "import", str(disc)], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        started = time.monotonic()
        while proc.poll() is None and time.monotonic() - started < 60:
            if kind == "seconds" and time.monotonic() - started >= value:
                break
            if kind == "files" and _stored_count(home) >= value:
                break
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        return proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def _surviving_rows(home: Path) -> dict[str, tuple[str, int, str]]:
    """The index rows a killed import left; none when it died before the index had its
    tables (killed between creating the file and its first migration)."""
    if not (home / "library.sqlite").exists():
        return {}
    try:
        return index_rows(home)
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        return {}


@pytest.mark.slow
def test_kill_9_at_any_moment_then_import_again_completes_exactly(
    kill_disc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """After SIGKILL at each point: only whole files in objects/, no index row without its
    file; importing again exits 0 with every image exactly once, staging is empty and
    `library verify` passes."""
    images = disc_images(kill_disc)
    killed = 0
    for kind, value in KILL_POINTS:
        home = tmp_path / f"home-{kind}-{value}"
        killed += _start_and_kill(kill_disc, home, kind, value)
        where = f"killed after {value} {kind}"
        assert store_problems(home, allow_staging_leftovers=True) == [], where
        survived = _surviving_rows(home)
        assert {u: s for u, (_, _, s) in survived.items()}.items() <= images.items(), where

        monkeypatch.setenv("LIGHTBOX_HOME", str(home))
        code, out, _ = _cli(capsys, "import", str(kill_disc), "--json")
        data = json.loads(out)
        assert (code, data["failed"]) == (0, []), where
        assert (data["imported"], data["already_present"]) == (
            len(images) - len(survived), len(survived)
        ), where
        assert _cli(capsys, "library", "verify")[:2] == (
            0, f"All {len(images)} stored images are present and unchanged.\n"
        ), where
        assert {u: s for u, (_, _, s) in index_rows(home).items()} == images, where
        assert len(object_files(home)) == len(images), where
        assert staging_files(home) == [], where
        assert store_problems(home) == [], where
        shutil.rmtree(home)
    # Most points must really have interrupted a running import, or this proves nothing.
    assert killed >= len(KILL_POINTS) - 1

