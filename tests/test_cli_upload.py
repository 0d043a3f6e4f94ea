"""`lightbox upload` and `lightbox account test` as scripts use them, against Orthanc.

Promises checked: exit 0 when every instance is confirmed, 1 when some failed (listed,
with the server's reason), 2 on refused credentials or an unknown account; the JSON keys
of DESIGN.md; `library list` shows the account's state; `account test` says whether the
address or the credentials are wrong; a killed `lightbox upload` resumes with only what
is unconfirmed; memory stays flat (peak RSS ≤ 2 × the largest file + 150 MB).
"""

import io
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from app.cli import main
from app.library.library import Library
from tests.conftest import REPO
from tests.support.cli import PLAINTEXT, cli_env, lightbox, lightbox_argv
from tests.support.cloud_fixtures import (
    ACCOUNT,
    ORTHANC_PASSWORD,
    ORTHANC_USER,
    cloud_home,
    cloud_library,
    discs,
    memory_keyring,
    orthanc,
    orthanc_server,
    small_study,
)
from tests.support.keyrings import MemoryKeyring
from tests.support.orthanc import Orthanc, free_port
from tests.support.rss import peak_rss
from tests.support.studies import (
    confirmed_uids,
    import_study,
    study_files,
    upload_states,
    write_disc,
)

# The cloud fixtures, used here by name (tests/cloud/conftest.py does the same).
__all__ = ["cloud_home", "cloud_library", "discs", "memory_keyring", "orthanc",
           "orthanc_server", "small_study"]

NOT_CONFIRMED = "the server did not confirm it (it may not be a valid DICOM file)"
WRONG = ("The user name or password for cloud was not accepted; add the account again "
         "with the right one.")
MB = 1024 * 1024


def _cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str,
         stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def added(orthanc: Orthanc, cloud_home: Path, memory_keyring: MemoryKeyring,
          capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Orthanc:
    """The account ``cloud`` added through the CLI, with the right password."""
    code, _, err = _cli(capsys, monkeypatch, "account", "add", ACCOUNT, "--url",
                        orthanc.dicomweb, "--username", ORTHANC_USER, "--password-stdin",
                        stdin=ORTHANC_PASSWORD + "\n")
    assert (code, err) == (0, "")
    return orthanc


def test_upload_json_exit_0_and_library_state(
    added: Orthanc, cloud_home: Path, small_study: str, cloud_library: Library,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`account test` works; `upload --json` exits 0 with exactly the keys of DESIGN.md
    and nothing on stderr; QIDO lists every instance; `library list --json` says
    "complete"; uploading again sends nothing and still exits 0."""
    code, out, _ = _cli(capsys, monkeypatch, "account", "test", ACCOUNT)
    assert code == 0
    assert out == f"The account cloud works: {added.dicomweb} accepted the credentials.\n"

    code, out, err = _cli(capsys, monkeypatch, "upload", small_study, "--account", ACCOUNT,
                          "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {"studies": [{"study_instance_uid": small_study, "sent": 11,
                                            "confirmed": 11, "failed": [],
                                            "link": None}]}
    assert added.qido_instances(small_study) == set(study_files(cloud_home, small_study))

    code, out, _ = _cli(capsys, monkeypatch, "library", "list", "--json")
    (row,) = json.loads(out)["studies"]
    assert row["uploads"] == {"cloud": "complete"}

    code, out, err = _cli(capsys, monkeypatch, "upload", small_study, "--account", ACCOUNT)
    assert code == 0
    assert out == f"{small_study}: 11 of 11 images confirmed by cloud (0 sent now).\n"
    assert err == ""


def test_progress_goes_to_stderr(
    added: Orthanc, small_study: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without --json, progress lines go to stderr (not a terminal: plain lines)."""
    code, out, err = _cli(capsys, monkeypatch, "upload", small_study, "--account", ACCOUNT)
    assert code == 0
    assert out == f"{small_study}: 11 of 11 images confirmed by cloud (11 sent now).\n"
    assert err.startswith("Uploading: ") and "11/11 images confirmed" in err


def test_failed_instance_is_listed_and_exit_1(
    added: Orthanc, cloud_home: Path, small_study: str, cloud_library: Library,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One stored file damaged (not DICOM any more): Orthanc confirms the 10 others;
    `upload --json` exits 1 and lists the damaged one with the reason; the human output
    lists it too; the library says "partial"; a retry sends only that one (alone in its
    request, it makes Orthanc refuse the whole request: 400, no detail)."""
    files = study_files(cloud_home, small_study)
    bad = sorted(files)[3]
    os.chmod(files[bad], 0o644)
    files[bad].write_bytes(b"not DICOM any more\n" * 50)

    code, out, err = _cli(capsys, monkeypatch, "upload", small_study, "--account", ACCOUNT,
                          "--json")
    assert (code, err) == (1, "")
    assert json.loads(out) == {"studies": [{
        "study_instance_uid": small_study, "sent": 11, "confirmed": 10,
        "failed": [{"sop_instance_uid": bad, "reason": NOT_CONFIRMED}], "link": None}]}
    assert added.qido_instances(small_study) == set(files) - {bad}
    assert confirmed_uids(cloud_home, ACCOUNT) == set(files) - {bad}
    assert upload_states(cloud_home, ACCOUNT)[bad] == ("failed", NOT_CONFIRMED)
    (row,) = cloud_library.list_studies()
    assert row.uploads == {"cloud": "partial"}

    code, out, _ = _cli(capsys, monkeypatch, "upload", small_study, "--account", ACCOUNT)
    assert code == 1
    assert out == (f"{small_study}: 10 of 11 images confirmed by cloud (1 sent now).\n"
                   f"  {bad}: the server refused the request (400 Bad Request)\n")


def test_wrong_password_exit_2_nothing_confirmed(
    orthanc: Orthanc, cloud_home: Path, memory_keyring: MemoryKeyring, small_study: str,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A wrong password: `account test` and `upload` exit 2 with the one sentence on
    stderr (and nothing on stdout); the library records nothing; Orthanc holds nothing."""
    code, _, _ = _cli(capsys, monkeypatch, "account", "add", ACCOUNT, "--url",
                      orthanc.dicomweb, "--username", ORTHANC_USER, "--password-stdin",
                      stdin=ORTHANC_PASSWORD + "-wrong\n")
    assert code == 0
    assert _cli(capsys, monkeypatch, "account", "test", ACCOUNT) == (2, "", WRONG + "\n")
    assert _cli(capsys, monkeypatch, "upload", small_study, "--account", ACCOUNT,
                "--json") == (2, "", WRONG + "\n")
    assert upload_states(cloud_home, ACCOUNT) == {}
    assert orthanc.instance_count() == 0


def test_account_test_says_the_address_is_wrong(
    cloud_home: Path, memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nobody listening at the address (connection refused): `account test` fails with
    a sentence about the address, not the credentials."""
    url = f"http://127.0.0.1:{free_port()}/dicom-web"
    _cli(capsys, monkeypatch, "account", "add", ACCOUNT, "--url", url, "--username",
         ORTHANC_USER, "--password-stdin", stdin=ORTHANC_PASSWORD + "\n")
    code, out, err = _cli(capsys, monkeypatch, "account", "test", ACCOUNT)
    assert code != 0 and out == ""
    assert err == (f"{url} cannot be reached; check the address and the internet "
                   "connection.\n")


def test_unknown_account_is_bad_usage(
    cloud_home: Path, memory_keyring: MemoryKeyring, small_study: str,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`upload --account nobody`: exit 2, one sentence."""
    code, out, err = _cli(capsys, monkeypatch, "upload", small_study, "--account", "nobody")
    assert (code, out) == (2, "")
    assert err == "There is no account called nobody (accounts: none yet).\n"


def test_unknown_study_is_bad_usage(
    added: Orthanc, small_study: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`upload` of a UID that is not in the library: exit 2, one sentence."""
    code, _, err = _cli(capsys, monkeypatch, "upload", "1.2.3.4", "--account", ACCOUNT)
    assert err == "There is no study 1.2.3.4 in the library.\n"
    assert code == 2


# -- in its own process: a large study ----------------------------------------------------
BIG_SLICES = 460  # 1 + 460 + 115 = 576 images of 512 x 512: ~300 MB


@pytest.fixture(scope="module")
def big_library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A ~300 MB study imported once for this module: (its LIGHTBOX_HOME's parent, UID)."""
    root = tmp_path_factory.mktemp("big")
    disc = write_disc(root / "disc", BIG_SLICES, 512, 512, seed=31)
    with Library(root / "home") as library:
        return root, import_study(library, disc)


@pytest.fixture
def big_env(big_library: tuple[Path, str], tmp_path: Path,
            orthanc: Orthanc) -> Iterator[dict[str, str]]:
    """A process environment for the big library, with a plaintext keyring in tmp_path
    (chosen on purpose) and the account added through the CLI."""
    root, _ = big_library
    env = cli_env(tmp_path, PLAINTEXT)
    env["LIGHTBOX_HOME"] = str(root / "home")
    done = lightbox(env, "account", "add", f"big-{tmp_path.name}", "--url", orthanc.dicomweb,
                    "--username", ORTHANC_USER, "--password-stdin",
                    stdin=ORTHANC_PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    yield env
    lightbox(env, "account", "remove", f"big-{tmp_path.name}")


def _confirmed_count(home: Path, account: str) -> int:
    try:
        with closing(sqlite3.connect(f"file:{home / 'library.sqlite'}?mode=ro", uri=True,
                                     timeout=5)) as db:
            return int(db.execute("SELECT COUNT(*) FROM uploads WHERE account = ? AND"
                                  " state = 'confirmed'", (account,)).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_killed_upload_process_resumes_with_the_rest(
    big_library: tuple[Path, str], big_env: dict[str, str], orthanc: Orthanc,
    tmp_path: Path,
) -> None:
    """`lightbox upload` killed (SIGKILL) once some batches are confirmed: the next run
    sends only the unconfirmed instances and exits 0; Orthanc has every one."""
    root, study = big_library
    home, account = root / "home", f"big-{tmp_path.name}"
    total = len(study_files(home, study))
    process = subprocess.Popen(lightbox_argv("upload", study, "--account", account, "--json"),
                               env=big_env, cwd=REPO, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if _confirmed_count(home, account) > 0:
                break
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    before = _confirmed_count(home, account)
    assert 0 < before < total, "the upload should have been cut short after a batch"
    assert confirmed_uids(home, account) <= orthanc.qido_instances(study)

    done = lightbox(big_env, "upload", study, "--account", account, "--json")
    assert done.returncode == 0, done.stderr
    (result,) = json.loads(done.stdout)["studies"]
    assert result == {"study_instance_uid": study, "sent": total - before,
                      "confirmed": total, "failed": [], "link": None}
    assert orthanc.qido_instances(study) == set(study_files(home, study))


@pytest.mark.slow
def test_memory_stays_flat(
    big_library: tuple[Path, str], big_env: dict[str, str], orthanc: Orthanc,
    tmp_path: Path,
) -> None:
    """Peak RSS of `lightbox upload` of a ~300 MB study stays ≤ 2 × its largest file +
    150 MB (measured by a helper process: ru_maxrss of its only child)."""
    root, study = big_library
    home, account = root / "home", f"big-{tmp_path.name}"
    files = study_files(home, study)
    sizes = [p.stat().st_size for p in files.values()]
    assert sum(sizes) > 280 * MB
    measured = peak_rss(lightbox_argv("upload", study, "--account", account, "--json"),
                        big_env, tmp_path, REPO)
    assert measured.returncode == 0, measured.stderr
    assert json.loads(measured.stdout)["studies"][0]["confirmed"] == len(files)
    limit = 2 * max(sizes) + 150 * MB
    print(f"peak RSS {measured.peak_bytes / MB:.0f} MB uploading {sum(sizes) / MB:.0f} MB "
          f"(largest file {max(sizes) / MB:.2f} MB; limit {limit / MB:.0f} MB)")
    assert measured.peak_bytes <= limit
