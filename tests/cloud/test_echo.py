"""C-ECHO (app.cloud.echo) against dcmtk's storescp in the loopback-only namespace: the
outcome for code, one sentence for people, and no exception for the usual failures."""

import time
from pathlib import Path

import pytest

from app.cloud.dimse import Destination
from app.cloud.echo import echo
from tests.support.orthanc import free_port
from tests.support.storescp import StoreScp, storescp_problem

pytestmark = pytest.mark.skipif(storescp_problem() is not None,
                                reason=str(storescp_problem()))


def test_an_answered_echo_gives_its_round_trip(tmp_path: Path) -> None:
    server = StoreScp(tmp_path / "received")
    try:
        results = [echo(Destination(server.aet, "127.0.0.1", server.port), "LIGHTBOX")
                   for _ in range(5)]
    finally:
        server.stop()
    assert all(r.ok and r.outcome == "ok" for r in results)
    assert all(r.round_trip_ms is not None and 0 < r.round_trip_ms < 1000 for r in results)
    assert results[0].sentence.startswith(f"{server.address} answered the echo in ")
    assert results[0].sentence.endswith(" ms (we called it as LIGHTBOX).")


def test_a_refused_association_is_rejected_with_a_sentence(tmp_path: Path) -> None:
    server = StoreScp(tmp_path / "received", "--refuse")
    try:
        result = echo(Destination(server.aet, "127.0.0.1", server.port), "LIGHTBOX")
    finally:
        server.stop()
    assert (result.ok, result.outcome, result.round_trip_ms) == (False, "rejected", None)
    assert result.sentence.startswith(f"The PACS at 127.0.0.1:{server.port} refused the "
                                      "connection")


def test_nothing_listening_is_unreachable_at_once() -> None:
    port = free_port()
    started = time.monotonic()
    result = echo(Destination("PACS", "127.0.0.1", port), "LIGHTBOX", timeout=2)
    assert time.monotonic() - started < 2
    assert (result.ok, result.outcome) == (False, "unreachable")
    assert result.sentence == (f"Nothing answers at 127.0.0.1:{port}: check the address and "
                               "that the PACS is running.")
