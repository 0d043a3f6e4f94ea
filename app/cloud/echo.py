"""DICOM C-ECHO (Verification, PS3.4 A.4): is a PACS there, and does it talk to us?

One short association with the Verification SOP class only; every wait is short, so a
"Test" answers in seconds even when nothing is listening. The outcome is an EchoResult
with one sentence for the person who asked, never an exception for the usual failures.
"""

import time
from dataclasses import dataclass
from typing import Literal

from pynetdicom.presentation import build_context

from app.cloud.dicom_link import VERIFICATION, LinkError, Rejected, StoreLink
from app.cloud.dimse import MAX_PDU, Destination, explain_reject

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
    # The blocking link reads the PACS's answer before anything else: a PACS that rejects
    # and hangs up at once is still reported as rejecting, with its reason.
    try:
        link = StoreLink(destination.host, destination.port, calling_aet,
                         destination.ae_title, [build_context(VERIFICATION)], MAX_PDU,
                         timeout)
    except Rejected as rejected:
        return EchoResult("rejected" if rejected.result == 1 else "busy", explain_reject(
            destination, calling_aet, rejected.result, rejected.source, rejected.reason))
    except LinkError as exc:
        if exc.kind == "unreachable":
            return EchoResult("unreachable", f"Nothing answers at {where}: check the "
                                             "address and that the PACS is running.")
        if exc.kind == "timeout":
            return EchoResult("failed", f"The PACS at {where} did not answer within "
                                        f"{timeout:.0f} seconds.")
        if exc.kind == "protocol":
            return EchoResult("failed", f"What answers at {where} does not answer as a "
                                        "PACS: check the port.")
        return EchoResult("failed", f"The PACS at {where} dropped the connection as it "
                                    "opened; check its AE titles and logs.")
    if not link.accepted:
        link.release()
        return EchoResult("unsupported", f"The PACS at {where} accepted the connection but "
                                         "does not answer echoes (C-ECHO); it may still "
                                         "accept images.")
    context = next(iter(link.accepted.values()))
    try:
        started = time.perf_counter()
        code = link.echo(context.context_id)
        round_trip = (time.perf_counter() - started) * 1000
    except LinkError as exc:
        link.abort()
        if exc.kind == "timeout":
            return EchoResult("failed", f"The PACS at {where} did not answer the echo in "
                                        f"{timeout:.0f} seconds.")
        return EchoResult("failed", f"The PACS at {where} closed the connection instead of "
                                    "answering the echo.")
    link.release()
    if code != 0:
        return EchoResult("failed", f"The PACS at {where} answered the echo with an error "
                                    f"(status 0x{code:04X}).")
    return EchoResult("ok", f"{destination} answered the echo in {_ms(round_trip)} "
                            f"(we called it as {calling_aet}).", round_trip)


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"
