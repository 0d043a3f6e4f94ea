"""A blocking DICOM upper-layer link for C-STORE (PS3.8), driven from the caller's thread.

pynetdicom's Association hands every PDU through queues to a network thread that polls
with 1 ms sleeps, and a second thread polls for requests; per image that costs several
milliseconds of hand-offs, four times what the transfer itself takes on a fast network.
Here one thread writes each P-DATA-TF straight to the socket and blocks on the reply, so
the link is as fast as the receiver. pynetdicom still encodes and decodes the association
PDUs and negotiates the presentation contexts.
"""

import contextlib
import socket
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from pydicom.uid import UID
from pynetdicom import PYNETDICOM_IMPLEMENTATION_UID, PYNETDICOM_IMPLEMENTATION_VERSION
from pynetdicom.pdu import A_ASSOCIATE_AC, A_ASSOCIATE_RJ, A_ASSOCIATE_RQ
from pynetdicom.pdu_primitives import (
    A_ASSOCIATE,
    ImplementationClassUIDNotification,
    ImplementationVersionNameNotification,
    MaximumLengthNotification,
)
from pynetdicom.presentation import PresentationContext, negotiate_as_requestor

APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1"
VERIFICATION = "1.2.840.10008.1.1"
# PDU types (PS3.8 9.3.1).
ASSOCIATE_AC, ASSOCIATE_RJ, P_DATA_TF, RELEASE_RQ, RELEASE_RP, ABORT = 2, 3, 4, 5, 6, 7
RELEASE_RQ_PDU = bytes([RELEASE_RQ, 0, 0, 0, 0, 4, 0, 0, 0, 0])
ABORT_PDU = bytes([ABORT, 0, 0, 0, 0, 4, 0, 0, 0, 0])
# PDU header (type, reserved, length) and one PDV header (length, context, control).
_HEADER = struct.Struct(">BBL")
_PDV = struct.Struct(">LBB")
# Message control header bits (PS3.8 E.2): command or data set, last fragment.
COMMAND, LAST = 0x01, 0x02
# Largest fragment sent to a peer that sets no limit (maximum length 0).
UNLIMITED_FRAGMENT = 1024 * 1024


def store_command(message_id: int, sop_class: str, sop_instance: str) -> bytes:
    """A C-STORE-RQ command set (PS3.7 9.3.1.1), implicit VR little endian as always for
    commands; written by hand since pydicom takes milliseconds per command."""
    elements = b"".join((
        _element(0x0002, _uid(sop_class)),
        _element(0x0100, struct.pack("<H", 0x0001)),  # Command Field: C-STORE-RQ
        _element(0x0110, struct.pack("<H", message_id)),
        _element(0x0700, struct.pack("<H", 0x0000)),  # Priority: medium
        _element(0x0800, struct.pack("<H", 0x0001)),  # a data set follows
        _element(0x1000, _uid(sop_instance)),
    ))
    return _element(0x0000, struct.pack("<L", len(elements))) + elements


def echo_command(message_id: int) -> bytes:
    """A C-ECHO-RQ command set (PS3.7 9.3.5.1), implicit VR little endian."""
    elements = b"".join((
        _element(0x0002, _uid(VERIFICATION)),
        _element(0x0100, struct.pack("<H", 0x0030)),  # Command Field: C-ECHO-RQ
        _element(0x0110, struct.pack("<H", message_id)),
        _element(0x0800, struct.pack("<H", 0x0101)),  # no data set
    ))
    return _element(0x0000, struct.pack("<L", len(elements))) + elements


def response_status(command: bytes) -> tuple[int | None, int]:
    """(Message ID Being Responded To, Status) of a response command set (implicit VR
    little endian); Status 0xFFFF when it has none. By hand, like store_command."""
    values: dict[int, int] = {}
    position = 0
    while position + 8 <= len(command):
        _group, element, length = struct.unpack_from("<HHL", command, position)
        if element in (0x0120, 0x0900) and length == 2:
            values[element] = struct.unpack_from("<H", command, position + 8)[0]
        position += 8 + length
    return values.get(0x0120), values.get(0x0900, 0xFFFF)


def _element(element: int, value: bytes) -> bytes:
    return struct.pack("<HHL", 0x0000, element, len(value)) + value


def _uid(uid: str) -> bytes:
    value = uid.encode("ascii")
    return value + b"\0" * (len(value) % 2)


class LinkError(Exception):
    """The link failed; ``kind`` says how: ``unreachable``, ``dropped`` (closed or
    aborted by the peer), ``timeout``, ``protocol`` (an answer out of turn) or
    ``unreadable`` (the file being sent could not be read to its end)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class Rejected(Exception):
    """The peer rejected the association (PS3.8 9.3.4 result, source and reason)."""

    def __init__(self, result: int, source: int, reason: int) -> None:
        super().__init__(f"rejected {result}/{source}/{reason}")
        self.result, self.source, self.reason = result, source, reason


@dataclass(frozen=True)
class Accepted:
    """A presentation context the peer accepted: its ID and transfer syntax."""

    context_id: int
    transfer_syntax: UID


class StoreLink:
    """An association on which C-STORE requests are sent one at a time."""

    def __init__(self, host: str, port: int, calling_aet: str, called_aet: str,
                 contexts: Sequence[PresentationContext], max_pdu: int,
                 timeout: float) -> None:
        """Connect and negotiate; LinkError or Rejected when that fails."""
        try:
            self._sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            raise LinkError("timeout" if isinstance(exc, TimeoutError) else "unreachable") \
                from exc
        self._open = True
        self._message_id = 0
        # What we accept from the peer: PDUs up to the maximum length we proposed (and at
        # least 64 KiB, for an association answer), so a hostile length cannot make us
        # allocate gigabytes.
        self._largest_incoming = max(max_pdu, 1 << 16)
        try:
            # With Nagle's algorithm on, every C-STORE would wait ~40 ms for an ACK.
            # (The send buffer is left to the kernel's autotuning, which a fixed size
            # would switch off.)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.accepted, peer_max = self._negotiate(calling_aet, called_aet, contexts,
                                                      max_pdu)
        except BaseException:
            self._close()
            raise
        # A PDV item is its 4-byte length, the context ID, the control byte and the data.
        self._fragment = peer_max - 6 if peer_max else UNLIMITED_FRAGMENT
        self._buffer = bytearray(_HEADER.size + _PDV.size + self._fragment)

    def _negotiate(self, calling_aet: str, called_aet: str,
                   contexts: Sequence[PresentationContext],
                   max_pdu: int) -> tuple[dict[tuple[str, str], Accepted], int]:
        for number, context in enumerate(contexts):
            context.context_id = 2 * number + 1
        request = A_ASSOCIATE()
        request.application_context_name = UID(APPLICATION_CONTEXT)
        request.calling_ae_title = calling_aet
        request.called_ae_title = called_aet
        request.presentation_context_definition_list = list(contexts)
        length = MaximumLengthNotification()
        length.maximum_length_received = max_pdu
        implementation = ImplementationClassUIDNotification()
        implementation.implementation_class_uid = PYNETDICOM_IMPLEMENTATION_UID
        version = ImplementationVersionNameNotification()
        version.implementation_version_name = PYNETDICOM_IMPLEMENTATION_VERSION
        request.user_information = [length, implementation, version]
        pdu = A_ASSOCIATE_RQ()
        pdu.from_primitive(request)
        self._send(pdu.encode())
        kind, body = self._read_pdu()
        if kind == ASSOCIATE_RJ:
            reject = A_ASSOCIATE_RJ()
            reject.decode(body)
            raise Rejected(int(reject.result or 0), int(reject.source or 0),
                           int(reject.reason_diagnostic or 0))
        if kind != ASSOCIATE_AC:
            raise LinkError("dropped" if kind == ABORT else "protocol")
        accept = A_ASSOCIATE_AC()
        try:
            accept.decode(body)
            answer = accept.to_primitive()
        except Exception as exc:  # pynetdicom's decoders raise many kinds on bad bytes
            raise LinkError("protocol") from exc
        peer_max = next((item.maximum_length_received for item in answer.user_information
                         if isinstance(item, MaximumLengthNotification)), 0)
        results = negotiate_as_requestor(list(contexts),
                                         answer.presentation_context_definition_results_list)
        accepted = {(str(cx.abstract_syntax), str(cx.transfer_syntax[0])):
                    Accepted(int(cx.context_id or 0), UID(cx.transfer_syntax[0]))
                    for cx in results if cx.result == 0}
        return accepted, int(peer_max or 0)

    def store(self, context_id: int, sop_class: str, sop_instance: str, source: BinaryIO,
              length: int) -> int:
        """C-STORE the next ``length`` bytes of ``source``, a data set encoded in the
        context's transfer syntax; the response's status. LinkError when the link fails."""
        self._send_command(context_id, sop_class, sop_instance)
        self._send_data(context_id, source, length)
        return self._read_status()

    def echo(self, context_id: int) -> int:
        """C-ECHO on a Verification context; the response's status. LinkError when the
        link fails."""
        self._message_id = self._message_id % 0xFFFF + 1
        self._send_pdv(context_id, COMMAND | LAST, echo_command(self._message_id))
        return self._read_status()

    def _send_command(self, context_id: int, sop_class: str, sop_instance: str) -> None:
        self._message_id = self._message_id % 0xFFFF + 1
        self._send_pdv(context_id, COMMAND | LAST,
                       store_command(self._message_id, sop_class, sop_instance))

    def _send_data(self, context_id: int, source: BinaryIO, length: int) -> None:
        # Each fragment is read into the buffer right after its two headers and sent as one.
        view = memoryview(self._buffer)
        start = _HEADER.size + _PDV.size
        left = length
        while True:
            try:
                count = source.readinto(view[start:start + min(left, self._fragment)])  # type: ignore[attr-defined]
            except OSError as exc:  # half a message is out: only an abort can follow
                raise LinkError("unreadable") from exc
            left -= count
            if left and not count:
                raise LinkError("unreadable")  # the file shrank while being sent
            control = 0 if left else LAST
            _HEADER.pack_into(view, 0, P_DATA_TF, 0, _PDV.size + count)
            _PDV.pack_into(view, _HEADER.size, count + 2, context_id, control)
            self._send(view[:start + count])
            if not left:
                return

    def _send_pdv(self, context_id: int, control: int, data: bytes) -> None:
        self._send(_HEADER.pack(P_DATA_TF, 0, _PDV.size + len(data))
                   + _PDV.pack(len(data) + 2, context_id, control) + data)

    def _read_status(self) -> int:
        """Read P-DATA-TF PDUs up to the end of the response's command set."""
        command = bytearray()
        while True:
            kind, body = self._read_pdu()
            if kind != P_DATA_TF:
                raise LinkError("dropped" if kind in (ABORT, RELEASE_RQ) else "protocol")
            position = _HEADER.size
            while position < len(body):
                length, _context, control = _PDV.unpack_from(body, position)
                data = body[position + _PDV.size:position + 4 + length]
                position += 4 + length
                if control & COMMAND:
                    command += data
                    if control & LAST:
                        responding_to, status = response_status(bytes(command))
                        if responding_to != self._message_id:
                            raise LinkError("protocol")
                        return status

    def _read_pdu(self) -> tuple[int, bytes]:
        """The next PDU's type and all its bytes (header included, as pynetdicom decodes)."""
        header = self._recv(_HEADER.size)
        kind, _reserved, length = _HEADER.unpack(header)
        if not 1 <= kind <= 7 or length > self._largest_incoming:
            # Not DICOM, or longer than we allow: don't wait for (or allocate) a length
            # read from random or hostile bytes.
            raise LinkError("protocol")
        return kind, header + self._recv(length)

    def _recv(self, count: int) -> bytes:
        chunks = bytearray()
        try:
            while len(chunks) < count:
                chunk = self._sock.recv(count - len(chunks))
                if not chunk:
                    raise LinkError("dropped")
                chunks += chunk
        except TimeoutError as exc:
            raise LinkError("timeout") from exc
        except OSError as exc:
            raise LinkError("dropped") from exc
        return bytes(chunks)

    def _send(self, data: bytes | memoryview) -> None:
        try:
            self._sock.sendall(data)
        except TimeoutError as exc:
            raise LinkError("timeout") from exc
        except OSError as exc:
            raise LinkError("dropped") from exc

    def release(self) -> None:
        """Release the association; abort it when the release is not answered."""
        if not self._open:
            return
        try:
            self._send(RELEASE_RQ_PDU)
            kind = P_DATA_TF
            while kind not in (RELEASE_RP, ABORT):  # skip late answers to older requests
                kind = self._read_pdu()[0]
        except LinkError:
            self.abort()
        self._close()

    def abort(self) -> None:
        """Abort the association (A-ABORT) and close the connection."""
        if self._open:
            with contextlib.suppress(OSError):  # the peer may be gone already
                self._sock.sendall(ABORT_PDU)
        self._close()

    def _close(self) -> None:
        self._open = False
        self._sock.close()
