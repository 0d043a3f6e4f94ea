"""DICOM C-STORE to a PACS, one association per study (over app.cloud.dicom_link).

Files are sent as stored, straight from the store (the file's data set is streamed without
decoding it) when the PACS accepts the stored transfer syntax; when it accepts only
uncompressed, the file is decoded and sent as little endian, and the result says so.
"""

import os
import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from pydicom import Dataset, dcmread
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom.dsutils import encode, split_dataset
from pynetdicom.presentation import build_context

from app.cloud.dicom_link import Accepted, LinkError, Rejected, StoreLink
from app.core.errors import PacsError, UsageError

MAX_PDU = 1024 * 1024
TIMEOUT_S = 30.0
MAX_CONTEXTS = 128
UNCOMPRESSED: tuple[str, ...] = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)


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


# Explicit VR little endian VRs whose length takes 4 bytes after 2 reserved (PS3.5 7.1.2).
_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR",
             b"UT", b"UV"}
_META_HEAD = 4096


def data_set_offset(source: BinaryIO) -> int:
    """Where the data set starts in an open DICOM file: after its preamble and File Meta
    Information (group 0002, explicit VR little endian). Walked by hand, since pydicom
    takes a millisecond per file; anything unusual goes to pynetdicom's reader."""
    source.seek(0)
    head = source.read(_META_HEAD)
    if head[128:132] == b"DICM":
        position = 132
        while position + 8 <= len(head):
            group, vr = struct.unpack_from("<H", head, position)[0], head[position + 4:position + 6]
            if group != 0x0002:
                return position
            if vr in _LONG_VRS:
                position += 12 + struct.unpack_from("<L", head, position + 8)[0]
            elif vr.isalpha() and vr.isupper():
                position += 8 + struct.unpack_from("<H", head, position + 6)[0]
            else:
                break
    return split_dataset(Path(source.name))[1]


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


def _unreadable(file: StoreFile) -> StoreResult:
    return StoreResult(file.sop_instance_uid, False,
                       "The library's copy of this image could not be read.")


class StoreAssociation:
    """One association to a PACS for a set of files (one study)."""

    def __init__(self, destination: Destination, calling_aet: str,
                 files: Sequence[StoreFile], timeout: float = TIMEOUT_S) -> None:
        self.destination = destination
        self.calling_aet = calling_aet
        contexts = [build_context(sop, syntaxes) for sop, syntaxes in contexts_for(files)]
        where = f"{destination.host}:{destination.port}"
        try:
            self._link = StoreLink(destination.host, destination.port, calling_aet,
                                   destination.ae_title, contexts, MAX_PDU, timeout)
        except Rejected as reject:
            raise PacsError(explain_reject(destination, calling_aet, reject.result,
                                           reject.source, reject.reason)) from None
        except LinkError as exc:
            if exc.kind == "unreachable":
                raise PacsError(f"Nothing answers at {where}: check the address and that "
                                "the PACS is running.") from None
            if exc.kind == "timeout":
                raise PacsError(f"The PACS at {where} did not answer within {timeout:.0f} "
                                "seconds: check the address and that it is running.") from None
            if exc.kind == "protocol":
                raise PacsError(f"What answers at {where} does not answer as a PACS: check "
                                "the port.") from None
            raise PacsError(f"The PACS at {where} dropped the connection as it opened; "
                            "check its AE titles and logs.") from None
        self._accepted = self._link.accepted

    def accepts(self, sop_class: str, syntax: str) -> bool:
        """True when the PACS accepted this SOP class in this transfer syntax."""
        return (sop_class, syntax) in self._accepted

    def store(self, file: StoreFile,
              rewrite: Callable[[Dataset], Dataset] | None = None) -> StoreResult:
        """Send one file; PacsError when the association is gone. With ``rewrite`` the
        file is read whole (decoded first when the PACS accepts only uncompressed), passed
        through it, and what it returns is sent (the file itself is never changed)."""
        stored = self._accepted.get((file.sop_class_uid, file.transfer_syntax))
        if stored is not None and rewrite is None:
            return self._store_as_stored(file, stored)
        if stored is None and not any(self.accepts(file.sop_class_uid, ts)
                                      for ts in UNCOMPRESSED):
            return StoreResult(file.sop_instance_uid, False,
                               "The PACS does not accept images of this kind "
                               f"(SOP class {UID(file.sop_class_uid).name}).")
        try:
            dataset: Dataset = dcmread(file.path)
        except (OSError, InvalidDicomError):
            return _unreadable(file)
        decoded = stored is None  # Sent uncompressed because its own syntax was refused.
        if decoded:
            try:
                if dataset.file_meta.TransferSyntaxUID.is_compressed:
                    # Same instance, other encoding: keep its UID (pydicom makes a new one).
                    dataset.decompress(generate_instance_uid=False)
            except Exception as exc:
                return StoreResult(file.sop_instance_uid, False,
                                   "The PACS accepts only uncompressed images and this one "
                                   f"could not be decoded ({type(exc).__name__}).")
        if rewrite is not None:
            rewritten = _rewritten(file, dataset, rewrite)
            if isinstance(rewritten, StoreResult):
                return rewritten
            dataset = rewritten
        return self._verdict(file, self.store_dataset(dataset), decoded=decoded)

    def _store_as_stored(self, file: StoreFile, context: Accepted) -> StoreResult:
        """The data set goes from the file as it is, after its File Meta Information."""
        try:
            source = open(file.path, "rb")  # noqa: SIM115 (closed by the with below)
        except OSError:
            return _unreadable(file)
        with source:
            try:
                offset = data_set_offset(source)
                length = os.fstat(source.fileno()).st_size - offset
                source.seek(offset)
            except (OSError, InvalidDicomError):
                return _unreadable(file)
            status = self._call(lambda: self._link.store(
                context.context_id, file.sop_class_uid, file.sop_instance_uid, source, length))
        return self._verdict(file, status, decoded=False)

    def store_dataset(self, dataset: Dataset) -> int:
        """C-STORE a data set (with its file meta) in its own transfer syntax when the PACS
        accepted that for its SOP class, else, when it is not compressed, in the other
        little endian one; the response's status. PacsError when the association is gone,
        ValueError when the PACS accepted no such syntax."""
        sop_class = str(dataset.SOPClassUID)
        own = UID(dataset.file_meta.TransferSyntaxUID)
        for syntax in [own] if own.is_compressed else [own, *UNCOMPRESSED]:
            accepted = self._accepted.get((sop_class, syntax))
            if accepted is not None:
                break
        else:
            raise ValueError(f"The PACS accepted {sop_class} in no syntax this data set "
                             "can be sent in.")
        ts = accepted.transfer_syntax
        data = encode(dataset, ts.is_implicit_VR, ts.is_little_endian, ts.is_deflated)
        if data is None:
            raise ValueError("The data set could not be encoded.")
        return self._call(lambda: self._link.store(
            accepted.context_id, sop_class, str(dataset.SOPInstanceUID), BytesIO(data),
            len(data)))

    def _call(self, send: Callable[[], int]) -> int:
        where = f"{self.destination.host}:{self.destination.port}"
        try:
            return send()
        except LinkError as exc:
            self._link.abort()
            if exc.kind == "timeout":
                raise PacsError(f"The PACS at {where} stopped answering in the middle of "
                                "the study.") from None
            if exc.kind == "unreadable":
                raise PacsError("The library's copy of an image could not be read in the "
                                "middle of the study.") from None
            if exc.kind == "protocol":
                raise PacsError(f"The PACS at {where} answered out of turn in the middle of "
                                "the study; check its logs.") from None
            raise PacsError(f"The PACS at {where} closed the connection in the middle of "
                            "the study.") from None

    @staticmethod
    def _verdict(file: StoreFile, status: int, decoded: bool) -> StoreResult:
        if status == 0 or status & 0xF000 == 0xB000:
            return StoreResult(file.sop_instance_uid, True, decoded=decoded)
        return StoreResult(file.sop_instance_uid, False, explain_status(status), decoded)

    def close(self) -> None:
        """Release the association (abort if the release is not answered)."""
        self._link.release()


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
