"""`lightbox audit` and the audit trail as scripts see it, against real servers.

One study with distinctive identifiers goes through every action from the command line
(import, view, upload, upload --from, send, export, link/share, delete) with --debug:
each action leaves one entry, the chain verifies, and no byte of any log under
LIGHTBOX_HOME names the patient (name parts, ID, birth date, in the usual spellings and
encodings). Then the chain is broken on purpose and `lightbox audit --verify` says where.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import PLAINTEXT, cli_env, lightbox
from tests.support.cloud_fixtures import ORTHANC_PASSWORD, ORTHANC_USER, orthanc, orthanc_server
from tests.support.orthanc import Orthanc
from tests.support.storescp import StoreScp, storescp_problem
from tests.support.studies import write_disc

__all__ = ["orthanc", "orthanc_server"]  # fixtures, used by name

pytestmark = pytest.mark.skipif(storescp_problem() is not None,
                                reason=str(storescp_problem()))

NAME, PATIENT_ID, BIRTH_DATE = "ZQXWV^JUNIPERA", "MRN-7733191", "19310217"
# The sample disc's identity, replaced byte for byte (same lengths: no offset moves; an
# ID is padded with spaces, which DICOM ignores).
SAMPLE = {b"SAMPLE^PATIENT": NAME.encode(), b"LIGHTBOX-SAMPLE": b"MRN-7733191    ",
          b"19700101": BIRTH_DATE.encode()}


def _needles() -> set[bytes]:
    words = {NAME, "ZQXWV", "JUNIPERA", NAME.replace("^", " "), "JUNIPERA ZQXWV",
             "JUNIPERA^ZQXWV", PATIENT_ID, "7733191", BIRTH_DATE, "1931-02-17",
             "17.02.1931", "02/17/1931", "17/02/1931"}
    spelled = {w for word in words for w in (word, word.lower(), word.title())}
    return {w.encode(codec) for w in spelled for codec in ("utf-8", "utf-16-le",
                                                            "utf-16-be")}


def _leaks(data: bytes) -> list[bytes]:
    """The spellings of the patient's identity found in ``data``."""
    lowered = data.lower()
    return [n for n in _needles() if n.lower() in lowered]


def disc_with_identity(folder: Path) -> Path:
    """A sample disc whose patient is ZQXWV^JUNIPERA, MRN-7733191, born 1931-02-17."""
    write_disc(folder, 6)
    for path in [p for p in folder.rglob("*") if p.is_file()]:
        data = path.read_bytes()
        for old, new in SAMPLE.items():
            data = data.replace(old, new)
        path.chmod(0o644)
        path.write_bytes(data)
    return folder


@pytest.fixture
def scp(tmp_path: Path) -> Iterator[StoreScp]:
    server = StoreScp(tmp_path / "received", "+B")
    yield server
    server.stop()


def _ok(done: object, *codes: int) -> None:
    returncode = getattr(done, "returncode", None)
    assert returncode in (codes or (0,)), (getattr(done, "stdout", ""),
                                           getattr(done, "stderr", ""))


def _entries(env: dict[str, str]) -> list[dict[str, object]]:
    done = lightbox(env, "audit", "--json")
    _ok(done)
    listed: list[dict[str, object]] = json.loads(done.stdout)["entries"]
    return listed


def test_every_action_is_audited_and_no_log_names_the_patient(
        tmp_path: Path, orthanc: Orthanc, scp: StoreScp) -> None:
    env = cli_env(tmp_path, PLAINTEXT)
    home = Path(env["LIGHTBOX_HOME"])
    disc = disc_with_identity(tmp_path / "disc")
    # The identity is on the disc, and the search below finds it there.
    assert _leaks((disc / "DICOMDIR").read_bytes()) and _leaks(b"Zqxwv Junipera")

    _ok(lightbox(env, "--debug", "import", str(disc)))
    listed = json.loads(lightbox(env, "library", "list", "--json").stdout)["studies"]
    assert [s["patient_name"] for s in listed] == [NAME]
    study = listed[0]["study_instance_uid"]
    _ok(lightbox(env, "--debug", "view", str(disc), "--screenshot",
                 str(tmp_path / "shot.png")))
    _ok(lightbox(env, "account", "add", "cloud", "--url", orthanc.dicomweb, "--username",
                 ORTHANC_USER, "--password-stdin", "--viewer-url", "ohif",
                 stdin=ORTHANC_PASSWORD + "\n"))
    _ok(lightbox(env, "--debug", "upload", study, "--account", "cloud"))
    _ok(lightbox(env, "--debug", "upload", "--from", str(disc), "--account", "cloud"))
    _ok(lightbox(env, "--debug", "send", study, "--to", scp.address))
    _ok(lightbox(env, "--debug", "export", study, "--out", str(tmp_path / "copy.zip")))
    _ok(lightbox(env, "--debug", "link", study, "--account", "cloud"))
    # A failing action is recorded too: a folder that is not empty is never written into.
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    _ok(lightbox(env, "--debug", "export", study, "--out", str(tmp_path / "full")), 2)
    _ok(lightbox(env, "--debug", "library", "delete", study, "--yes"))

    entries = _entries(env)
    assert [(e["action"], e["destination"]) for e in entries] == [
        ("import", str(disc)),
        ("view", str(disc)),
        ("upload", "cloud"),
        ("import", str(disc)),
        ("upload", "cloud"),
        ("send", scp.address),
        ("export", str(tmp_path / "copy.zip")),
        ("share", "cloud (command line)"),
        ("export", str(tmp_path / "full")),
        ("delete", ""),
    ]
    assert all(e["studies"] == [study] for e in entries)
    results = [str(e["result"]) for e in entries]
    assert results[0] == "ok: 9 imported, 0 already present, 0 failed"
    assert results[2] == "ok: 9 sent, 9 of 9 confirmed, 0 failed"
    assert results[3] == "ok: 0 imported, 9 already present, 0 failed"
    assert results[4] == "ok: 0 sent, 9 of 9 confirmed, 0 failed"
    assert results[5] == "ok: 9 sent, 9 of 9 confirmed, 0 failed"
    assert results[6] == "ok: zip, 9 images, 0 left out"
    assert results[8] == "failed: ExportError"
    assert results[9] == "ok: 9 images removed"
    assert {e["user"] for e in entries} != {""}
    verified = lightbox(env, "audit", "--verify")
    _ok(verified)
    assert "The audit log is intact: 10 entries" in verified.stdout
    lines = verified.stdout.splitlines()
    assert lines[0].split()[:1] == ["1"] and "import" in lines[0] and study in lines[0]

    logs = [p for p in home.rglob("*") if p.is_file() and p.suffix == ".log"]
    assert home / "audit.log" in logs
    for path in logs:
        leaked = _leaks(path.read_bytes())
        assert not leaked, f"{path} names the patient: {leaked}"


def test_verify_names_the_first_bad_entry_and_exits_1(tmp_path: Path) -> None:
    env = cli_env(tmp_path, None)
    home = Path(env["LIGHTBOX_HOME"])
    disc = write_disc(tmp_path / "disc", 4)
    for _ in range(3):
        _ok(lightbox(env, "import", str(disc)))
    intact = json.loads(lightbox(env, "audit", "--verify", "--json").stdout)
    assert (intact["verified"], intact["problem"], intact["first_bad_seq"]) == \
        (True, None, None)
    assert [e["seq"] for e in intact["entries"]] == [1, 2, 3]
    unchecked = json.loads(lightbox(env, "audit", "--json").stdout)
    assert unchecked["verified"] is None and len(unchecked["entries"]) == 3

    log = home / "audit.log"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(lines[0] + lines[2])
    done = lightbox(env, "audit", "--verify")
    assert done.returncode == 1
    assert done.stderr == ("The audit log is broken: Entry 2 is missing before entry 3 "
                           "(line 2): lines were removed.\n")
    broken = lightbox(env, "audit", "--verify", "--json")
    assert broken.returncode == 1
    report = json.loads(broken.stdout)
    assert (report["verified"], report["first_bad_seq"]) == (False, 3)
    assert "missing" in report["problem"]
    # Without --verify the log is shown as it is, and nothing is judged.
    assert lightbox(env, "audit").returncode == 0


def test_an_action_the_log_cannot_record_still_completes_and_says_so(
        tmp_path: Path) -> None:
    env = cli_env(tmp_path, None)
    home = Path(env["LIGHTBOX_HOME"])
    disc = write_disc(tmp_path / "disc", 4)
    home.mkdir()
    (home / "audit.log").mkdir()  # Not a file: every append fails.
    done = lightbox(env, "import", str(disc), "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["imported"] == 6
    assert done.stderr.splitlines()[-1].startswith(
        "The import went ahead, but it could not be written to the audit log ")
    assert len(json.loads(lightbox(env, "library", "list", "--json").stdout)["studies"]) == 1
    note = (home / "logs" / "lightbox.log").read_text()
    assert "audit entry not written: action=import studies=1 error=IsADirectoryError" in note
    unreadable = lightbox(env, "audit")
    assert unreadable.returncode == 2
    assert unreadable.stderr.startswith("The audit log ") and \
        "cannot be read" in unreadable.stderr
