"""DICOM C-ECHO (Verification, PS3.4 A.4): is a PACS there, and does it talk to us?

One short association with the Verification SOP class only; every wait is short, so a
"Test" answers in seconds even when nothing is listening. The outcome is an EchoResult
with one sentence for the person who asked, never an exception for the usual failures.
"""

import socket
import time
from dataclasses import dataclass
from typing import Literal

from pynetdicom import AE, evt
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from app.cloud.dimse import Destination, explain_reject

TIMEOUT_S = 5.0

# rejected: refused for good (AE titles, protocol); busy: refused for now (may accept later).
EchoOutcome = Literal["ok", "unreachable", "rejected", "busy", "unsupported", "failed"]


@dataclass(frozen=True)
class EchoResult:
    """What a C-ECHO found: ``outcome`` for code, ``sentence`` for people, and the round
    trip of the echo itself in milliseconds when it was answered."""

    outcome: EchoOutcome
    sentence: str
    round_trip_ms: float | None = None

    @property
    def ok(self) -> bool:
        """True when the PACS answered the echo with success."""
        return self.outcome == "ok"


def echo(destination: Destination, calling_aet: str,
         timeout: float = TIMEOUT_S) -> EchoResult:
    """Open an association to ``destination`` as ``calling_aet``, send one C-ECHO,
    release; the result says how it went in one sentence."""
    where = f"{destination.host}:{destination.port}"
    ae = AE(ae_title=calling_aet)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
    ae.connection_timeout = timeout
    ae.add_requested_context(Verification)
    answer: dict[str, int] = {}
    opened: list[bool] = []

    def _on_acse(event: evt.Event) -> None:
        primitive = event.primitive  # type: ignore[attr-defined]
        if getattr(primitive, "result", None) == 0:
            answer.update(accepted=1)
        elif getattr(primitive, "result", None) in (1, 2):
            answer.update(result=primitive.result, source=primitive.result_source,
                          reason=primitive.diagnostic)

    assoc = ae.associate(destination.host, destination.port, ae_title=destination.ae_title,
                         evt_handlers=[(evt.EVT_ACSE_RECV, _on_acse),
                                       (evt.EVT_CONN_OPEN, lambda event: opened.append(True))])
    # The rejection's reasons, whenever they arrived: a PACS that closes the connection
    # right after rejecting can leave pynetdicom reporting an abort instead.
    if "result" in answer and not assoc.is_established:
        return EchoResult("rejected" if answer["result"] == 1 else "busy", explain_reject(
            destination, calling_aet, answer["result"], answer["source"], answer["reason"]))
    unsupported = EchoResult("unsupported", f"The PACS at {where} accepted the connection but "
                                            "does not answer echoes (C-ECHO); it may still "
                                            "accept images.")
    if not assoc.is_established:
        if answer.get("accepted"):
            # Accepted, but not for Verification: pynetdicom aborts an association
            # without a single accepted context.
            return unsupported
        if opened:
            return EchoResult("failed", f"The PACS at {where} dropped the connection as it "
                                        "opened; check its AE titles and logs.")
        return EchoResult("unreachable", f"Nothing answers at {where}: check the address "
                                         "and that the PACS is running.")
    try:
        sock = assoc.dul.socket
        if sock is not None and sock.socket is not None:
            # One small request and its answer: without this, Nagle can add ~40 ms.
            sock.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not assoc.accepted_contexts:
            return unsupported
        started = time.perf_counter()
        status = assoc.send_c_echo()
        round_trip = (time.perf_counter() - started) * 1000
    finally:
        if assoc.is_established:
            assoc.release()
    code = int(getattr(status, "Status", -1)) if status else -1
    if code == -1:
        return EchoResult("failed", f"The PACS at {where} did not answer the echo in "
                                    f"{timeout:.0f} seconds.")
    if code != 0:
        return EchoResult("failed", f"The PACS at {where} answered the echo with an error "
                                    f"(status 0x{code:04X}).")
    return EchoResult("ok", f"{destination} answered the echo in {_ms(round_trip)} "
                            f"(we called it as {calling_aet}).", round_trip)


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"
