"""`lightbox send` against dcmtk's storescp in the loopback-only namespace."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest

from tests.support.cli import cli_env, lightbox
from tests.support.orthanc import free_port
from tests.support.storescp import StoreScp, storescp_problem

pytestmark = pytest.mark.skipif(storescp_problem() is not None,
                                reason=str(storescp_problem()))


def _library(tmp_path: Path, syntax: str = "explicit") -> tuple[dict[str, str], str, set[str]]:
    env = cli_env(tmp_path, None)
    disc = tmp_path / "disc"
    done = lightbox(env, "sample-disc", str(disc), "--slices", "12",
                    "--transfer-syntax", syntax)
    assert done.returncode == 0, done.stderr
    assert lightbox(env, "import", str(disc), "--json").returncode == 0
    listed = json.loads(lightbox(env, "library", "list", "--json").stdout)
    study = listed["studies"][0]["study_instance_uid"]
    store = Path(env["LIGHTBOX_HOME"]) / "store"
    uids = {str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID)
            for p in store.rglob("*") if p.is_file()}
    return env, study, uids


@pytest.fixture
def scp(tmp_path: Path) -> Iterator[StoreScp]:
    server = StoreScp(tmp_path / "received", "+B")
    yield server
    server.stop()


def _received(server: StoreScp) -> dict[str, pydicom.Dataset]:
    return {str(ds.SOPInstanceUID): ds for ds in map(pydicom.dcmread, server.files())}


def test_study_arrives_whole_and_a_resend_sends_nothing(tmp_path: Path, scp: StoreScp) -> None:
    env, study, uids = _library(tmp_path)
    # Without --json, progress goes to stderr as "Sending:" lines, a few, not one per image.
    plain = lightbox(env, "send", study, "--to", scp.address)
    assert plain.returncode == 0, plain.stderr
    lines = plain.stderr.splitlines()
    assert lines and all(line.startswith("Sending: ") for line in lines)
    assert len(lines) < len(uids)
    assert set(_received(scp)) == uids
    # The same study again: JSON of DESIGN.md, every image confirmed, nothing sent again.
    again = lightbox(env, "send", study, "--to", scp.address, "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)["studies"][0]
    assert report["study_instance_uid"] == study
    assert (report["sent"], report["confirmed"], report["failed"], report["link"]) == \
        (0, len(uids), [], None)
    assert len(scp.files()) == len(uids)


def test_compressed_study_to_an_uncompressed_only_pacs_is_decoded(tmp_path: Path) -> None:
    env, study, uids = _library(tmp_path, "rle")
    server = StoreScp(tmp_path / "received")  # default: uncompressed only
    try:
        done = lightbox(env, "send", study, "--to", server.address)
        assert done.returncode == 0, done.stderr
        assert "decoded and sent uncompressed" in done.stdout
        received = _received(server)
    finally:
        server.stop()
    assert set(received) == uids
    assert all(not ds.file_meta.TransferSyntaxUID.is_compressed for ds in received.values())


def test_wrong_called_ae_title_is_one_sentence_exit_2(tmp_path: Path) -> None:
    env, study, _ = _library(tmp_path)
    port = free_port()
    # A pynetdicom SCP that checks the called AE title (storescp accepts any).
    script = ("import sys,time;from pynetdicom import AE,AllStoragePresentationContexts as C;"
              "ae=AE('RIGHT');ae.require_called_aet=True;ae.supported_contexts=C;"
              f"ae.start_server(('127.0.0.1',{port}),block=True)")
    server = subprocess.Popen([sys.executable, "-c", script])
    try:
        import socket
        import time
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        done = lightbox(env, "send", study, "--to", f"WRONG@127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(10)
    assert done.returncode == 2
    assert "does not know the called AE title" in done.stderr
    assert done.stderr.strip().count("\n") == 0


def test_no_listener_and_bad_address_exit_2(tmp_path: Path) -> None:
    env, study, _ = _library(tmp_path)
    done = lightbox(env, "send", study, "--to", f"PACS@127.0.0.1:{free_port()}")
    assert done.returncode == 2
    assert "Nothing answers" in done.stderr
    bad = lightbox(env, "send", study, "--to", "PACS-at-nowhere")
    assert bad.returncode == 2
    assert "AET@HOST:PORT" in bad.stderr
