"""DICOM C-STORE to a PACS (pynetdicom), one association per study.

Files are sent as stored, straight from the store (pynetdicom streams the file's dataset
without decoding it) when the PACS accepts the stored transfer syntax; when it accepts
only uncompressed, the file is decoded and sent as little endian, and the result says so.
The association's socket gets TCP_NODELAY (with Nagle on, every C-STORE waits ~40 ms).
"""

import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE, _config, evt
from pynetdicom.association import Association
from pynetdicom.presentation import build_context

from app.core.errors import PacsError, UsageError

MAX_PDU = 1024 * 1024
TIMEOUT_S = 30.0
MAX_CONTEXTS = 128
UNCOMPRESSED: tuple[str, ...] = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)

# Stream files from disk instead of decoding and re-encoding each dataset.
_config.STORE_SEND_CHUNKED_DATASET = True


@dataclass(frozen=True)
class Destination:
    """A PACS: its AE title, host and port, as ``AET@HOST:PORT``."""

    ae_title: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.ae_title}@{self.host}:{self.port}"


def parse_destination(text: str) -> Destination:
    """``AET@HOST:PORT`` -> Destination; UsageError in one sentence otherwise."""
    aet, at, rest = text.partition("@")
    host, colon, port = rest.rpartition(":")
    if not (at and colon and aet and host and port.isdigit()) or not 0 < int(port) < 65536:
        raise UsageError(f"'{text}' is not a PACS address: write it as AET@HOST:PORT, "
                         "for example PACS@10.0.0.5:104.")
    check_ae_title(aet)
    return Destination(aet, host.strip("[]"), int(port))


def check_ae_title(aet: str) -> str:
    """An AE title as given, or UsageError: 1 to 16 printable characters, no backslash."""
    if not 0 < len(aet) <= 16 or not aet.isascii() or not aet.isprintable() or "\\" in aet \
            or not aet.strip():
        raise UsageError(f"'{aet}' is not an AE title: use 1 to 16 letters, digits or "
                         "spaces (no backslash).")
    return aet


@dataclass(frozen=True)
class StoreFile:
    """A file to send: its SOP class and instance, its transfer syntax and path."""

    sop_instance_uid: str
    sop_class_uid: str
    transfer_syntax: str
    path: Path
    size: int


@dataclass(frozen=True)
class StoreResult:
    """One instance's verdict: confirmed (success or warning), or the reason it failed;
    ``decoded`` when it was sent uncompressed because the PACS refused its syntax."""

    sop_instance_uid: str
    confirmed: bool
    reason: str = ""
    decoded: bool = False


_REJECT_REASONS = {
    (1, 2): "it does not support the DICOM application context",
    (1, 3): "it does not know our calling AE title",
    (1, 7): "it does not know the called AE title",
    (2, 2): "it does not support this protocol version",
    (3, 1): "it is too busy right now",
    (3, 2): "it has reached its limit of associations",
}


def explain_reject(destination: Destination, calling_aet: str, result: int, source: int,
                   reason: int) -> str:
    """One sentence on an association rejected by ``destination``."""
    why = _REJECT_REASONS.get((source, reason), "it gave no reason")
    hint = {
        (1, 3): f" Ask its administrator to add {calling_aet} or pass --calling-aet.",
        (1, 7): f" Check the AE title (we called it {destination.ae_title}).",
    }.get((source, reason), "")
    when = " (it may accept later)" if result == 2 else ""
    return f"The PACS at {destination.host}:{destination.port} refused the connection" \
        f"{when}: {why}.{hint}"


def explain_status(status: int) -> str:
    """One sentence on a C-STORE failure status (PS3.4 B.2.3 and PS3.7 C)."""
    if status & 0xFF00 == 0xA700:
        return "The PACS is out of resources (disk full?) and could not store this image."
    if status & 0xFF00 == 0xA900:
        return "The PACS says this image does not match its SOP class."
    if status & 0xF000 == 0xC000:
        return "The PACS could not understand this image."
    named = {
        0x0117: "The PACS says the SOP Instance UID is invalid.",
        0x0122: "The PACS does not store images of this kind (SOP class not supported).",
        0x0124: "The PACS does not allow us to store images (not authorised).",
        0x0210: "The PACS says this image was sent twice at once.",
        0x0211: "The PACS does not support storing images.",
        0x0212: "The PACS says an attribute of this image has the wrong type.",
        0x0213: "The PACS is out of resources and could not store this image.",
        0x0110: "The PACS failed to process this image.",
    }
    return named.get(status, f"The PACS refused this image (status 0x{status:04X}).")


def contexts_for(files: Sequence[StoreFile]) -> list[tuple[str, list[str]]]:
    """Presentation contexts to propose: per SOP class, one with each stored transfer
    syntax alone (so the PACS cannot pick another one when it supports it) and one with
    explicit and implicit little endian, at most MAX_CONTEXTS."""
    wanted: list[tuple[str, list[str]]] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for f in files:
        for syntaxes in ([f.transfer_syntax], list(UNCOMPRESSED)):
            key = (f.sop_class_uid, tuple(syntaxes))
            if key not in seen:
                seen.add(key)
                wanted.append((f.sop_class_uid, syntaxes))
    return wanted[:MAX_CONTEXTS]


class StoreAssociation:
    """One association to a PACS for a set of files (one study)."""

    def __init__(self, destination: Destination, calling_aet: str,
                 files: Sequence[StoreFile], timeout: float = TIMEOUT_S) -> None:
        self.destination = destination
        self.calling_aet = calling_aet
        ae = AE(ae_title=calling_aet)
        ae.maximum_pdu_size = MAX_PDU
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
        ae.connection_timeout = timeout
        contexts = [build_context(sop, syntaxes) for sop, syntaxes in contexts_for(files)]
        answer: dict[str, int] = {}
        opened: list[bool] = []

        def _on_acse(event: evt.Event) -> None:
            primitive = event.primitive  # type: ignore[attr-defined]
            if getattr(primitive, "result", None) in (1, 2):
                answer.update(result=primitive.result, source=primitive.result_source,
                              reason=primitive.diagnostic)

        self._assoc: Association = ae.associate(
            destination.host, destination.port, contexts=contexts,
            ae_title=destination.ae_title, max_pdu=MAX_PDU,
            evt_handlers=[(evt.EVT_ACSE_RECV, _on_acse),
                          (evt.EVT_CONN_OPEN, lambda event: opened.append(True))])
        if self._assoc.is_rejected and answer:
            raise PacsError(explain_reject(destination, calling_aet, answer["result"],
                                           answer["source"], answer["reason"]))
        if not self._assoc.is_established:
            if opened:
                raise PacsError(f"The PACS at {destination.host}:{destination.port} dropped "
                                "the connection as it opened; check its AE titles and logs.")
            raise PacsError(f"Nothing answers at {destination.host}:{destination.port}: "
                            "check the address and that the PACS is running.")
        sock = self._assoc.dul.socket
        if sock is not None and sock.socket is not None:
            sock.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._accepted = {(cx.abstract_syntax, cx.transfer_syntax[0])
                          for cx in self._assoc.accepted_contexts}

    def accepts(self, sop_class: str, syntax: str) -> bool:
        """True when the PACS accepted this SOP class in this transfer syntax."""
        return (sop_class, syntax) in self._accepted

    def store(self, file: StoreFile,
              rewrite: Callable[[Dataset], Dataset] | None = None) -> StoreResult:
        """Send one file; PacsError when the association is gone. With ``rewrite`` the
        file is read whole (decoded first when the PACS accepts only uncompressed), passed
        through it, and what it returns is sent (the file itself is never changed)."""
        decoded = False
        what: Path | Dataset | StoreResult
        if self.accepts(file.sop_class_uid, file.transfer_syntax):
            what = file.path if rewrite is None else \
                _rewritten(file, dcmread(file.path), rewrite)
        elif any(self.accepts(file.sop_class_uid, ts) for ts in UNCOMPRESSED):
            dataset = dcmread(file.path)
            try:
                if dataset.file_meta.TransferSyntaxUID.is_compressed:
                    # Same instance, other encoding: keep its UID (pydicom makes a new one).
                    dataset.decompress(generate_instance_uid=False)
            except Exception as exc:
                return StoreResult(file.sop_instance_uid, False,
                                   "The PACS accepts only uncompressed images and this one "
                                   f"could not be decoded ({type(exc).__name__}).")
            decoded = True
            what = dataset if rewrite is None else _rewritten(file, dataset, rewrite)
        else:
            return StoreResult(file.sop_instance_uid, False,
                               "The PACS does not accept images of this kind "
                               f"(SOP class {UID(file.sop_class_uid).name}).")
        if isinstance(what, StoreResult):
            return what
        status_ds = self._send(what)
        status = int(getattr(status_ds, "Status", -1)) if status_ds else -1
        if status == -1:
            raise PacsError(f"The PACS at {self.destination.host}:{self.destination.port} "
                            "stopped answering in the middle of the study.")
        if status == 0 or status & 0xF000 == 0xB000:
            return StoreResult(file.sop_instance_uid, True, decoded=decoded)
        return StoreResult(file.sop_instance_uid, False, explain_status(status), decoded)

    def _send(self, what: object) -> object:
        if not self._assoc.is_established:
            raise PacsError(f"The PACS at {self.destination.host}:{self.destination.port} "
                            "closed the connection in the middle of the study.")
        return self._assoc.send_c_store(what)  # type: ignore[arg-type]

    def close(self) -> None:
        """Release the association (abort if the release is not answered)."""
        if self._assoc.is_established:
            self._assoc.release()


def _rewritten(file: StoreFile, dataset: Dataset,
               rewrite: Callable[[Dataset], Dataset]) -> Dataset | StoreResult:
    """``rewrite(dataset)``, or the failed verdict when it raises."""
    try:
        return rewrite(dataset)
    except Exception as exc:  # Its text may quote the data set (names): the type only.
        return StoreResult(file.sop_instance_uid, False, "This image could not be "
                           f"prepared for the PACS ({type(exc).__name__}).")


def store_files(destination: Destination, calling_aet: str, files: Sequence[StoreFile],
                cancelled: Callable[[], bool] = lambda: False,
                rewrite: Callable[[Dataset], Dataset] | None = None) -> Iterator[StoreResult]:
    """Send ``files`` over one association, yielding each instance's verdict; each data
    set goes through ``rewrite`` first when given (see StoreAssociation.store)."""
    if not files:
        return
    association = StoreAssociation(destination, calling_aet, files)
    try:
        for file in files:
            if cancelled():
                break
            yield association.store(file, rewrite)
    finally:
        association.close()
