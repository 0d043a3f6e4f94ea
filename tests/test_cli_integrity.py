"""`lightbox import`, `scan` and `library verify` on broken libraries and hostile media
(issue 9, the integrity slice): what the user reads, and the JSON scripts read."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.library.helpers import SMALL_IMAGES, index_rows, write_small_disc
from tests.services.test_integrity import DENIED, deny_listing
from tests.support.cli import run_in_process as _cli


@pytest.fixture(scope="module")
def small_disc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 11-image sample disc (never changed by a test)."""
    return write_small_disc(tmp_path_factory.mktemp("cli-integrity") / "disc")


def test_import_says_what_it_repaired(
    small_disc: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stored file deleted behind the library's back: verify offers the repair, the
    re-import does it and says so (JSON key ``repaired``), verify passes again."""
    _cli(capsys, "import", str(small_disc))
    file = next(iter(index_rows(home).values()))[0]
    (home / "store" / file).unlink()
    code, out, _ = _cli(capsys, "library", "verify")
    assert code == 1
    assert "Insert the disc these images came from and import it again" in out
    code, out, _ = _cli(capsys, "import", str(small_disc), "--json")
    data = json.loads(out)
    assert (code, data["repaired"], data["already_present"], data["failed"]) == (
        0, 1, SMALL_IMAGES - 1, [])
    assert _cli(capsys, "library", "verify")[0] == 0

    (home / "store" / file).unlink()
    code, out, _ = _cli(capsys, "import", str(small_disc))
    assert code == 0
    assert ("Repaired 1 stored image whose file in the library was missing or damaged, "
            "from this disc.") in out
    assert "safely stored" in out


def test_scan_and_import_report_an_unreadable_folder(
    small_disc: Path, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """scan exits 1 with the folder as a problem; import exits 1, lists it, and never says
    the disc can be ejected."""
    disc = tmp_path / "disc"
    shutil.copytree(small_disc, disc)
    deny_listing(monkeypatch, disc / "PT000000" / "ST000000" / "SE000002")
    code, out, _ = _cli(capsys, "scan", str(disc), "--json")
    problems = json.loads(out)["problems"]
    assert code == 1
    assert {"path": "PT000000/ST000000/SE000002", "problem": "unreadable",
            "detail": DENIED} in problems
    code, out, _ = _cli(capsys, "import", str(disc))
    assert code == 1
    assert f"  PT000000/ST000000/SE000002: {DENIED}" in out
    assert "safely stored" not in out and "can be ejected" not in out


def test_scan_json_and_import_of_a_folder_whose_name_is_not_utf8(
    small_disc: Path, tmp_path: Path
) -> None:
    """Run as their own processes (the bytes on stdout are what matters): scan --json and
    import print valid UTF-8 with the odd bytes escaped as \\xff, and import stores all."""
    root = os.fsencode(tmp_path)
    disc = root + b"/disc\xff\xfe"
    shutil.copytree(small_disc, os.fsdecode(disc))
    shown = disc.decode("utf-8", "backslashreplace")
    env = {**os.environ, "LIGHTBOX_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}

    def run(*args: bytes) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([os.fsencode(sys.executable), b"-m", b"app", *args], cwd=REPO,
                              env=env, capture_output=True, timeout=120, check=False)

    scanned = run(b"scan", disc, b"--json")
    assert scanned.returncode == 0, scanned.stderr
    data = json.loads(scanned.stdout.decode("utf-8"))  # strict: valid UTF-8 or it raises
    assert (data["source"], data["instances"]) == (shown, SMALL_IMAGES)

    imported = run(b"import", disc, b"--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout.decode("utf-8"))["imported"] == SMALL_IMAGES
    again = run(b"import", disc)
    text = again.stdout.decode("utf-8")
    assert text.startswith(f"Imported 0 images from {shown}; {SMALL_IMAGES} were already")
