"""`lightbox send` to real receivers: Orthanc's DICOM port, and a storescp that dies
mid-study and comes back (in the loopback-only namespace; every wait is bounded)."""

import json
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pydicom
import pytest

from tests.support.cli import cli_env, lightbox, lightbox_argv
from tests.support.orthanc import Orthanc, orthanc_problem
from tests.support.storescp import StoreScp, storescp_problem
from tests.support.studies import study_files

ARRIVAL_TIMEOUT_S = 60.0


def _library(tmp_path: Path, syntax: str, slices: int) -> tuple[dict[str, str], Path, str]:
    env = cli_env(tmp_path, None)
    disc = tmp_path / "disc"
    done = lightbox(env, "sample-disc", str(disc), "--slices", str(slices),
                    "--transfer-syntax", syntax)
    assert done.returncode == 0, done.stderr
    assert lightbox(env, "import", str(disc), "--json").returncode == 0
    listed = json.loads(lightbox(env, "library", "list", "--json").stdout)
    return env, Path(env["LIGHTBOX_HOME"]), listed["studies"][0]["study_instance_uid"]


def _confirmed(home: Path, destination: str) -> set[str]:
    """SOP Instance UIDs the library records as confirmed by ``destination``."""
    with closing(sqlite3.connect(f"file:{home / 'library.sqlite'}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT i.sop_uid FROM sends s JOIN instances i ON s.instance = i.id"
                          " WHERE s.destination = ? AND s.state = 'confirmed'",
                          (destination,)).fetchall()
    return {str(uid) for (uid,) in rows}


def _uids(files: list[Path]) -> set[str]:
    return {str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID) for f in files}


@pytest.fixture
def dicom_orthanc(tmp_path: Path) -> Iterator[Orthanc]:
    problem = orthanc_problem()
    if problem:
        pytest.skip(problem)
    server = Orthanc(tmp_path / "orthanc")
    server.start()
    try:
        yield server
    finally:
        server.close()


def _restart_with(server: Orthanc, **settings: object) -> None:
    """Stop Orthanc, change its configuration file, start it again."""
    server.stop()
    config = json.loads(server.config.read_text(encoding="utf-8"))
    config.update(settings)
    server.config.write_text(json.dumps(config), encoding="utf-8")
    server.start()


@pytest.mark.parametrize("syntax", ["explicit", "rle"])
def test_study_to_orthanc_arrives_with_identical_pixel_data(
    tmp_path: Path, dicom_orthanc: Orthanc, syntax: str,
) -> None:
    """Every instance reaches Orthanc's DICOM port, each with the very pixel data bytes
    of the library's stored file (sent as stored: not decoded, not re-encoded)."""
    env, home, study = _library(tmp_path, syntax, 12)
    stored = study_files(home, study)
    done = lightbox(env, "send", study, "--to",
                    f"LIGHTBOXTEST@127.0.0.1:{dicom_orthanc.dicom_port}", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["studies"][0]
    assert (report["sent"], report["confirmed"], report["failed"]) == \
        (len(stored), len(stored), [])
    assert dicom_orthanc.qido_instances(study) == set(stored)
    for uid, path in stored.items():
        arrived = pydicom.dcmread(pydicom.filebase.DicomBytesIO(dicom_orthanc.stored_bytes(uid)))
        ours = pydicom.dcmread(path)
        assert arrived.file_meta.TransferSyntaxUID == ours.file_meta.TransferSyntaxUID
        assert arrived.PixelData == ours.PixelData, uid


def test_orthanc_refuses_an_unknown_calling_ae_title(
    tmp_path: Path, dicom_orthanc: Orthanc,
) -> None:
    """Orthanc that knows only the modality KNOWN rejects the association from STRANGER:
    one sentence naming the cause and the fix, exit 2, nothing stored; as KNOWN, it
    stores the study."""
    _restart_with(dicom_orthanc, DicomAlwaysAllowStore=False, DicomAlwaysAllowEcho=False,
                  DicomAlwaysAllowFind=False, DicomAlwaysAllowMove=False,
                  DicomAlwaysAllowGet=False, DicomCheckModalityHost=False,
                  DicomModalities={"known": ["KNOWN", "127.0.0.1", 104]})
    env, home, study = _library(tmp_path, "explicit", 4)
    to = f"LIGHTBOXTEST@127.0.0.1:{dicom_orthanc.dicom_port}"
    refused = lightbox(env, "send", study, "--to", to, "--calling-aet", "STRANGER")
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0, refused.stderr
    assert "does not know our calling AE title" in refused.stderr
    assert "STRANGER" in refused.stderr
    assert dicom_orthanc.instance_count() == 0
    known = lightbox(env, "send", study, "--to", to, "--calling-aet", "KNOWN")
    assert known.returncode == 0, known.stderr
    assert dicom_orthanc.qido_instances(study) == set(study_files(home, study))


@pytest.mark.skipif(storescp_problem() is not None, reason=str(storescp_problem()))
def test_receiver_dies_mid_study_and_a_resend_completes_it(tmp_path: Path) -> None:
    """storescp (slowed to one image a second) is killed once 3 images arrived: the send
    fails in one sentence with exit 2 and keeps what was confirmed; against the receiver
    restarted on the same port, a second send sends only the rest."""
    env, home, study = _library(tmp_path, "explicit", 12)
    uids = set(study_files(home, study))
    first = StoreScp(tmp_path / "first", "+B", "--sleep-after", "1")
    try:
        sending = subprocess.Popen(lightbox_argv("send", study, "--to", first.address),
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        deadline = time.monotonic() + ARRIVAL_TIMEOUT_S
        while len(first.files()) < 3 and time.monotonic() < deadline \
                and sending.poll() is None:
            time.sleep(0.02)
        assert len(first.files()) >= 3
        first.kill()
        out, err = sending.communicate(timeout=ARRIVAL_TIMEOUT_S)
    finally:
        first.stop()
    arrived = _uids(first.files())
    assert sending.returncode == 2, (out, err)
    # Besides the progress lines, one sentence: what happened.
    said = [line for line in err.splitlines() if not line.startswith("Sending: ")]
    assert len(said) == 1, err
    assert "in the middle of the study" in said[0] and said[0].endswith("."), said
    confirmed = _confirmed(home, first.address)
    # What the receiver confirmed is recorded; an image may have arrived unconfirmed.
    assert len(confirmed) >= 2 and confirmed <= arrived and len(arrived - confirmed) <= 1
    assert len(arrived) < len(uids)

    second = StoreScp(tmp_path / "second", "+B", port=first.port)
    try:
        again = lightbox(env, "send", study, "--to", second.address, "--json")
        received = _uids(second.files())
    finally:
        second.stop()
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)["studies"][0]
    assert (report["sent"], report["confirmed"], report["failed"]) == \
        (len(uids - confirmed), len(uids), [])
    assert received == uids - confirmed
    assert arrived | received == uids
    assert _confirmed(home, second.address) == uids
