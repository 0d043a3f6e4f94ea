"""`lightbox upload --from PATH --account NAME [--json]`: a disc imported and uploaded in
one pass, as scripts use it, against Orthanc.

Promises checked: exit 0 with the JSON of DESIGN.md (the `upload --json` object, plus
`imported`, the `import --json` object) when every image is confirmed; exit 1 with the
damaged file reported when the disc has one; exit 2 with one sentence for bad usage
(`--from` with study UIDs, or neither), a missing path, an unknown account, refused
credentials (and a retry then imports nothing twice); a `lightbox upload --from` killed
in the middle resumes with nothing lost and nothing confirmed sent again.
"""

import io
import json
import shutil
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
    DiscMaker,
    cloud_home,
    discs,
    memory_keyring,
    orthanc,
    orthanc_server,
)
from tests.support.keyrings import MemoryKeyring
from tests.support.orthanc import Orthanc
from tests.support.studies import confirmed_uids, study_files

# The cloud fixtures, used here by name (tests/cloud/conftest.py does the same).
__all__ = ["cloud_home", "discs", "memory_keyring", "orthanc", "orthanc_server"]

WRONG = ("The user name or password for cloud was not accepted; add the account again "
         "with the right one.")
IMPORT_KEYS = {"imported", "already_present", "failed", "conflicts", "stopped", "repaired"}


def _cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str,
         stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _add_account(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                 orthanc: Orthanc, password: str = ORTHANC_PASSWORD) -> None:
    code, _, err = _cli(capsys, monkeypatch, "account", "add", ACCOUNT, "--url",
                        orthanc.dicomweb, "--username", ORTHANC_USER, "--password-stdin",
                        stdin=password + "\n")
    assert (code, err) == (0, "")


@pytest.fixture
def added(orthanc: Orthanc, cloud_home: Path, memory_keyring: MemoryKeyring,
          capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Orthanc:
    """The account ``cloud`` added through the CLI, with the right password."""
    _add_account(capsys, monkeypatch, orthanc)
    return orthanc


def _stored(home: Path) -> set[str]:
    if not (home / "library.sqlite").is_file():
        return set()
    with Library(home) as library:
        return {i.sop_instance_uid for i in library.stored_instances()}


def test_json_shape_exit_0_and_again_sends_nothing(
    added: Orthanc, cloud_home: Path, discs: DiscMaker,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`upload --from DISC --json`: exit 0, nothing on stderr, exactly the keys of
    DESIGN.md plus `imported`; Orthanc lists every image; `library list` says
    "complete". The same command again imports and sends nothing and exits 0."""
    disc = discs()
    code, out, err = _cli(capsys, monkeypatch, "upload", "--from", str(disc), "--account",
                          ACCOUNT, "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert set(data) == {"studies", "imported"}
    (study,) = data["studies"]
    uid = study["study_instance_uid"]
    assert study == {"study_instance_uid": uid, "sent": 11, "confirmed": 11, "failed": [],
                     "link": None}
    assert set(data["imported"]) == IMPORT_KEYS
    assert (data["imported"]["imported"], data["imported"]["already_present"],
            data["imported"]["failed"]) == (11, 0, [])
    assert added.qido_instances(uid) == set(study_files(cloud_home, uid))

    code, out, _ = _cli(capsys, monkeypatch, "library", "list", "--json")
    (row,) = json.loads(out)["studies"]
    assert row["uploads"] == {ACCOUNT: "complete"}

    code, out, err = _cli(capsys, monkeypatch, "upload", "--from", str(disc), "--account",
                          ACCOUNT)
    assert code == 0
    assert err.startswith("Uploading the disc: Reading 1/11 files")  # Progress: stderr.
    assert out.splitlines()[0] == (f"Imported 0 images from {disc}; 11 were already in the "
                                   "library; 0 failed.")
    assert out.splitlines()[-1] == f"{uid}: 11 of 11 images confirmed by cloud (0 sent now)."


def test_the_link_comes_once_the_last_image_is_confirmed(
    orthanc: Orthanc, cloud_home: Path, memory_keyring: MemoryKeyring, discs: DiscMaker,
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An account with a viewer address: once every image of the disc's study is
    confirmed, the JSON carries the study's link, and the human output says it."""
    code, out, err = _cli(capsys, monkeypatch, "account", "add", ACCOUNT, "--url",
                          orthanc.dicomweb, "--username", ORTHANC_USER, "--password-stdin",
                          "--viewer-url", "ohif", stdin=ORTHANC_PASSWORD + "\n")
    assert (code, err) == (0, "")
    template = out.strip().rsplit(" ", 1)[-1]
    assert "{StudyInstanceUID}" in template
    code, out, _ = _cli(capsys, monkeypatch, "upload", "--from", str(discs()), "--account",
                        ACCOUNT, "--json")
    assert code == 0
    (study,) = json.loads(out)["studies"]
    assert study["link"] == template.replace("{StudyInstanceUID}",
                                             study["study_instance_uid"])
    code, out, _ = _cli(capsys, monkeypatch, "upload", "--from", str(discs()), "--account",
                        ACCOUNT)
    assert f"  Link for your doctor: {study['link']}" in out.splitlines()


def test_damaged_file_exit_1_reported_and_the_others_confirmed(
    added: Orthanc, cloud_home: Path, discs: DiscMaker, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A disc with one file cut short: exit 1; the JSON lists that file under
    `imported.failed` with its sentence; the 10 other images are confirmed."""
    disc = tmp_path / "disc"
    shutil.copytree(discs(), disc)
    images = sorted(p for p in disc.rglob("*") if p.is_file() and p.name != "DICOMDIR")
    images[4].write_bytes(images[4].read_bytes()[:200])
    code, out, err = _cli(capsys, monkeypatch, "upload", "--from", str(disc), "--account",
                          ACCOUNT, "--json")
    assert (code, err) == (1, "")
    data = json.loads(out)
    (failure,) = data["imported"]["failed"]
    assert failure["path"].endswith(images[4].name) and failure["error"]
    (study,) = data["studies"]
    assert (study["sent"], study["confirmed"], study["failed"]) == (10, 10, [])
    assert added.instance_count() == 10


@pytest.mark.parametrize(("args", "sentence"), [
    (["--from", "DISC", "1.2.3"], "Give either study UIDs or --from PATH to upload, not both."),
    ([], "Say what to upload: study UIDs from the library, or --from PATH for a disc, "
         "folder, ISO or ZIP."),
    (["--from", "MISSING"], "There is no disc, folder or file at MISSING."),
])
def test_bad_usage_is_exit_2_in_one_sentence(
    args: list[str], sentence: str, cloud_home: Path, memory_keyring: MemoryKeyring,
    discs: DiscMaker, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    disc, missing = str(discs()), str(tmp_path / "missing")
    args = [disc if a == "DISC" else missing if a == "MISSING" else a for a in args]
    code, out, err = _cli(capsys, monkeypatch, "upload", *args, "--account", ACCOUNT)
    assert (code, out) == (2, "")
    assert err == sentence.replace("MISSING", missing) + "\n"
    assert _stored(cloud_home) == set()


def test_unknown_account_is_exit_2_before_anything_is_imported(
    cloud_home: Path, memory_keyring: MemoryKeyring, discs: DiscMaker,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = _cli(capsys, monkeypatch, "upload", "--from", str(discs()),
                          "--account", "nobody")
    assert (code, out) == (2, "")
    assert err == "There is no account called nobody (accounts: none yet).\n"
    assert _stored(cloud_home) == set()


def test_wrong_password_exit_2_then_a_retry_imports_nothing_twice(
    orthanc: Orthanc, cloud_home: Path, memory_keyring: MemoryKeyring, discs: DiscMaker,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A wrong password: exit 2, the one sentence on stderr, nothing on stdout, nothing
    confirmed. With the password corrected, the retry counts what was imported as
    already present, imports the rest, confirms every image, and exits 0."""
    _add_account(capsys, monkeypatch, orthanc, ORTHANC_PASSWORD + "-wrong")
    disc = discs(slices=40)
    assert _cli(capsys, monkeypatch, "upload", "--from", str(disc), "--account", ACCOUNT,
                "--json") == (2, "", WRONG + "\n")
    assert confirmed_uids(cloud_home, ACCOUNT) == set()
    assert orthanc.instance_count() == 0
    kept = _stored(cloud_home)

    _add_account(capsys, monkeypatch, orthanc)
    code, out, err = _cli(capsys, monkeypatch, "upload", "--from", str(disc), "--account",
                          ACCOUNT, "--json")
    assert (code, err) == (0, "")
    imported = json.loads(out)["imported"]
    assert (imported["imported"], imported["already_present"]) == (51 - len(kept), len(kept))
    assert len(_stored(cloud_home)) == 51
    assert orthanc.instance_count() == 51


# -- in its own process, killed --------------------------------------------------------------
@pytest.fixture
def process_env(tmp_path: Path, orthanc: Orthanc) -> Iterator[dict[str, str]]:
    """A process environment with a plaintext keyring in tmp_path (chosen on purpose)
    and the account added through the CLI."""
    env = cli_env(tmp_path, PLAINTEXT)
    done = lightbox(env, "account", "add", ACCOUNT, "--url", orthanc.dicomweb,
                    "--username", ORTHANC_USER, "--password-stdin",
                    stdin=ORTHANC_PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    yield env
    lightbox(env, "account", "remove", ACCOUNT)


def _count(home: Path, query: str) -> int:
    try:
        with closing(sqlite3.connect(f"file:{home / 'library.sqlite'}?mode=ro", uri=True,
                                     timeout=5)) as db:
            return int(db.execute(query).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _studies(home: Path) -> list[str]:
    with closing(sqlite3.connect(f"file:{home / 'library.sqlite'}?mode=ro", uri=True)) as db:
        return [str(uid) for (uid,) in db.execute("SELECT study_uid FROM studies")]


CONFIRMED = "SELECT COUNT(*) FROM uploads WHERE state = 'confirmed'"
INSTANCES = "SELECT COUNT(*) FROM instances"


@pytest.mark.slow
def test_killed_pass_resumes_with_nothing_lost_and_nothing_sent_twice(
    orthanc: Orthanc, process_env: dict[str, str], discs: DiscMaker, tmp_path: Path,
) -> None:
    """`lightbox upload --from` killed (SIGKILL) once some batches are confirmed: the
    next run imports only the missing images, sends exactly the images not confirmed
    (`sent` = all - confirmed before), exits 0, and Orthanc holds every image once."""
    disc = discs(slices=200, rows=512, columns=512, seed=41)
    total = 251
    home = Path(process_env["LIGHTBOX_HOME"])
    process = subprocess.Popen(
        lightbox_argv("upload", "--from", str(disc), "--account", ACCOUNT, "--json"),
        env=process_env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if _count(home, CONFIRMED) > 0:
                break
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    confirmed_before = _count(home, CONFIRMED)
    kept = _count(home, INSTANCES)
    assert 0 < confirmed_before < total, "the pass should have been cut short after a batch"
    print(f"killed with {kept} of {total} images imported, {confirmed_before} confirmed")
    (study,) = _studies(home)
    assert confirmed_uids(home, ACCOUNT) <= orthanc.qido_instances(study)

    done = lightbox(process_env, "upload", "--from", str(disc), "--account", ACCOUNT,
                    "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["studies"] == [{"study_instance_uid": study, "sent": total - confirmed_before,
                                "confirmed": total, "failed": [], "link": None}]
    assert (data["imported"]["imported"], data["imported"]["already_present"]) == (
        total - kept, kept)
    assert _count(home, INSTANCES) == total
    assert orthanc.instance_count() == total
    assert orthanc.qido_instances(study) == set(study_files(home, study)) == confirmed_uids(
        home, ACCOUNT)
