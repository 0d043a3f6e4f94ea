"""Saved worklist servers from the command line, against a pynetdicom Modality Worklist SCP
in its own process: `account add --worklist`, `account list`, `account test` (a C-ECHO),
`account remove`, and `send --to` refusing a worklist server."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import cli_env, lightbox
from tests.support.mwl_scp import WorklistScp


@pytest.fixture(scope="module")
def scp() -> Iterator[WorklistScp]:
    server = WorklistScp("WORKLIST")
    yield server
    server.stop()


def test_add_list_test_and_remove_a_worklist_server(tmp_path: Path, scp: WorklistScp) -> None:
    env = cli_env(tmp_path, None)
    added = lightbox(env, "account", "add", "ris", "--worklist", scp.address(),
                     "--calling-aet", "FRONTDESK")
    assert added.returncode == 0, added.stderr
    assert added.stdout == (f"Added the worklist server ris ({scp.address()}, we call it as "
                            "FRONTDESK); test it with: lightbox account test ris\n")
    assert lightbox(env, "account", "add", "pacs", "--pacs", "PACS@10.0.0.5:104").returncode == 0
    saved = json.loads((tmp_path / "home" / "accounts.json").read_text())
    assert sorted((p["name"], p.get("role")) for p in saved["pacs"]) == [("pacs", None),
                                                                     ("ris", "worklist")]
    listed = lightbox(env, "account", "list")
    assert listed.stdout == ("pacs: PACS PACS@10.0.0.5:104 (we call it as LIGHTBOX)\n"
                             f"ris: worklist {scp.address()} (we call it as FRONTDESK)\n")
    tested = lightbox(env, "account", "test", "ris")
    assert tested.returncode == 0, tested.stderr
    assert tested.stdout.startswith(f"The worklist server ris works: {scp.address()} "
                                    "answered the echo in ")
    wrong = lightbox(env, "account", "add", "wrong", "--worklist", scp.address("WRONG"))
    assert wrong.returncode == 0
    refused = lightbox(env, "account", "test", "wrong")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith(f"The PACS at 127.0.0.1:{scp.port} refused the "
                                     "connection: ")
    removed = lightbox(env, "account", "remove", "ris")
    assert removed.returncode == 0 and removed.stdout == "Removed the worklist server ris.\n"
    assert "ris" not in lightbox(env, "account", "list").stdout


def test_names_rules_and_send_are_shared_with_pacs(tmp_path: Path) -> None:
    env = cli_env(tmp_path, None)
    assert lightbox(env, "account", "add", "ris", "--worklist",
                    "MWL@10.0.0.9:104").returncode == 0
    both = lightbox(env, "account", "add", "x", "--worklist", "A@h:1", "--pacs", "B@h:2")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    bad = lightbox(env, "account", "add", "y", "--worklist", "nonsense")
    assert bad.returncode == 2
    assert bad.stderr == ("'nonsense' is not a PACS address: write it as AET@HOST:PORT, for "
                          "example PACS@10.0.0.5:104.\n")
    cloud = lightbox(env, "account", "add", "y", "--worklist", "MWL@10.0.0.9:104",
                     "--url", "https://example.org/dicomweb")
    assert cloud.returncode == 2 and "give either --worklist AET@HOST:PORT" in cloud.stderr
    # Replacing keeps the name; it is still a worklist server, not something to send to.
    assert lightbox(env, "account", "add", "ris", "--worklist",
                    "MWL2@10.0.0.9:105").returncode == 0
    sent = lightbox(env, "send", "1.2.3", "--to", "ris")
    assert sent.returncode == 2
    assert sent.stderr == ("ris is a worklist server, not a PACS that receives images; give "
                           "another --to.\n")
