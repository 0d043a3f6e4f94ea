"""Saved PACS destinations from the command line, against dcmtk's storescp (and a stricter
pynetdicom SCP) in the loopback-only namespace: `account add --pacs`, `account list`,
`account test` (a C-ECHO), and `send --to NAME`."""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest

from tests.support.cli import cli_env, lightbox
from tests.support.orthanc import free_port
from tests.support.picky_scp import PickyScp
from tests.support.storescp import StoreScp, storescp_problem

pytestmark = pytest.mark.skipif(storescp_problem() is not None,
                                reason=str(storescp_problem()))


@pytest.fixture
def scp(tmp_path: Path) -> Iterator[StoreScp]:
    server = StoreScp(tmp_path / "received", "+B")
    yield server
    server.stop()


def _one_sentence(text: str) -> bool:
    return text.endswith("\n") and text.count("\n") == 1 and "Traceback" not in text


def test_add_list_and_test_a_pacs(tmp_path: Path, scp: StoreScp) -> None:
    """Saved with its calling AE title, listed as a PACS, and its echo answered: exit 0,
    one sentence with the round trip."""
    env = cli_env(tmp_path, None)
    added = lightbox(env, "account", "add", "main", "--pacs", scp.address,
                     "--calling-aet", "FRONTDESK")
    assert added.returncode == 0, added.stderr
    listed = lightbox(env, "account", "list")
    assert listed.stdout == f"main: PACS {scp.address} (we call it as FRONTDESK)\n"
    started = time.monotonic()
    tested = lightbox(env, "account", "test", "main")
    assert tested.returncode == 0, tested.stderr
    assert tested.stdout.startswith(f"The PACS main works: {scp.address} answered the echo in ")
    assert "ms (we called it as FRONTDESK)" in tested.stdout
    assert _one_sentence(tested.stdout) and tested.stderr == ""
    assert time.monotonic() - started < 30
    assert scp.files() == []  # An echo stores nothing.


def test_nothing_listening_is_one_sentence_exit_1(tmp_path: Path) -> None:
    """As for a cloud account whose server cannot be reached: exit 1, one sentence, and
    soon (the echo's waits are short)."""
    env = cli_env(tmp_path, None)
    port = free_port()
    assert lightbox(env, "account", "add", "gone", "--pacs",
                    f"PACS@127.0.0.1:{port}").returncode == 0
    tested = lightbox(env, "account", "test", "gone")
    assert tested.returncode == 1
    assert tested.stdout == ""
    assert tested.stderr == (f"Nothing answers at 127.0.0.1:{port}: check the address and "
                             "that the PACS is running.\n")


def test_wrong_called_ae_title_is_rejected_exit_2(tmp_path: Path) -> None:
    """Refused for its AE titles (as refused credentials are for a cloud account): exit
    2, the reason in one sentence. The right AE title on the same SCP works."""
    env = cli_env(tmp_path, None)
    server = PickyScp("RIGHT")
    try:
        assert lightbox(env, "account", "add", "wrong", "--pacs",
                        server.address("WRONG")).returncode == 0
        assert lightbox(env, "account", "add", "right", "--pacs",
                        server.address()).returncode == 0
        wrong = lightbox(env, "account", "test", "wrong")
        right = lightbox(env, "account", "test", "right")
    finally:
        server.stop()
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert "refused the connection: it does not know the called AE title" in wrong.stderr
    assert "(we called it WRONG)" in wrong.stderr and _one_sentence(wrong.stderr)
    assert right.returncode == 0, right.stderr


def test_a_pacs_without_echo_says_so_exit_1(tmp_path: Path) -> None:
    env = cli_env(tmp_path, None)
    server = PickyScp("STORE", echo=False)
    try:
        assert lightbox(env, "account", "add", "noecho", "--pacs",
                        server.address()).returncode == 0
        tested = lightbox(env, "account", "test", "noecho")
    finally:
        server.stop()
    assert tested.returncode == 1
    assert "accepted the connection but does not answer echoes (C-ECHO)" in tested.stderr
    assert _one_sentence(tested.stderr)


def test_send_to_a_saved_name_and_resend_by_address_sends_nothing(
    tmp_path: Path, scp: StoreScp
) -> None:
    """`send --to NAME` sends as the saved calling AE title; the sends are recorded by
    address, so sending again to the address itself finds everything confirmed."""
    env = cli_env(tmp_path, None)
    disc = tmp_path / "disc"
    assert lightbox(env, "sample-disc", str(disc), "--slices", "6").returncode == 0
    assert lightbox(env, "import", str(disc), "--json").returncode == 0
    study = json.loads(lightbox(env, "library", "list", "--json").stdout)[
        "studies"][0]["study_instance_uid"]
    assert lightbox(env, "account", "add", "main", "--pacs", scp.address,
                    "--calling-aet", "FRONTDESK").returncode == 0
    sent = lightbox(env, "send", study, "--to", "main", "--json")
    assert sent.returncode == 0, sent.stderr
    stored = [p for p in (Path(env["LIGHTBOX_HOME"]) / "store").rglob("*") if p.is_file()]
    first = json.loads(sent.stdout)["studies"][0]
    assert (first["sent"], first["confirmed"], first["failed"]) == \
        (len(stored), len(stored), [])
    assert len(scp.files()) == len(stored)
    # storescp writes the calling AE title it was told into each file's meta information.
    metas = {str(pydicom.dcmread(p, stop_before_pixels=True).file_meta.get(
        "SourceApplicationEntityTitle", "")).strip() for p in scp.files()}
    assert metas == {"FRONTDESK"}
    again = lightbox(env, "send", study, "--to", scp.address, "--json")
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)["studies"][0]
    assert (second["sent"], second["confirmed"]) == (0, len(stored))
    assert len(scp.files()) == len(stored)


def test_send_to_an_unknown_name_or_a_cloud_account_exits_2(tmp_path: Path) -> None:
    env = cli_env(tmp_path, "keyrings.alt.file.PlaintextKeyring")
    assert lightbox(env, "account", "add", "cloud", "--url", "http://127.0.0.1:9/dicom-web",
                    "--token-stdin", stdin="tok\n").returncode == 0
    uid = "1.2.826.0.1.3680043.8.498.1"
    for name, sentence in (("nowhere", "There is no PACS called nowhere (PACS: none yet)"),
                           ("cloud", "cloud is a cloud account, not a PACS")):
        done = lightbox(env, "send", uid, "--to", name)
        assert done.returncode == 2
        assert done.stderr.startswith(sentence) and _one_sentence(done.stderr)
