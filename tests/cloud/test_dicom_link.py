"""The C-STORE link: its hand-written pieces against pynetdicom's and pydicom's own, and
whole exchanges with a pynetdicom SCP on loopback (small PDUs, failure and warning
statuses, a data set sent from memory)."""

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from pydicom import Dataset, dcmread
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid
from pynetdicom import AE, evt
from pynetdicom.dimse_messages import C_ECHO_RQ, C_STORE_RQ, C_STORE_RSP
from pynetdicom.dimse_primitives import C_ECHO, C_STORE
from pynetdicom.dsutils import encode, split_dataset
from pynetdicom.pdu import P_DATA_TF

from app.cloud.dicom_link import echo_command, response_status, store_command
from app.cloud.dimse import (
    Destination,
    StoreAssociation,
    StoreFile,
    data_set_offset,
    store_files,
)
from app.core.errors import PacsError
from tests.support.orthanc import free_port


@pytest.mark.parametrize(("sop_class", "sop_instance", "message_id"), [
    (CTImageStorage, "1.2.3.4.55", 1),          # odd length: padded with a NUL
    ("1.2.840.10008.5.1.4.1.1.4", "1.2.34", 65535),
])
def test_store_command_is_what_pynetdicom_encodes(sop_class: str, sop_instance: str,
                                                  message_id: int) -> None:
    primitive = C_STORE()
    primitive.MessageID = message_id
    primitive.AffectedSOPClassUID = sop_class
    primitive.AffectedSOPInstanceUID = sop_instance
    primitive.Priority = 0
    primitive.DataSet = BytesIO(b"\0")
    message = C_STORE_RQ()
    message.primitive_to_message(primitive)
    assert store_command(message_id, sop_class, sop_instance) == \
        encode(message.command_set, True, True)


@pytest.mark.parametrize("message_id", [1, 300, 65535])
def test_echo_command_is_what_pynetdicom_encodes(message_id: int) -> None:
    primitive = C_ECHO()
    primitive.MessageID = message_id
    primitive.AffectedSOPClassUID = "1.2.840.10008.1.1"
    message = C_ECHO_RQ()
    message.primitive_to_message(primitive)
    assert echo_command(message_id) == encode(message.command_set, True, True)


@pytest.mark.parametrize("status", [0x0000, 0xB000, 0xA700, 0xC123])
def test_response_status_reads_what_pynetdicom_encodes(status: int) -> None:
    primitive = C_STORE()
    primitive.MessageIDBeingRespondedTo = 7
    primitive.AffectedSOPClassUID = CTImageStorage
    primitive.AffectedSOPInstanceUID = "1.2.3.4.5"
    primitive.Status = status
    message = C_STORE_RSP()
    message.primitive_to_message(primitive)
    assert response_status(encode(message.command_set, True, True)) == (7, status)


def _image(path: Path, rows: int = 200) -> Path:
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "CT"
    ds.Rows = ds.Columns = rows
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    pixels = np.random.default_rng(rows).integers(0, 4096, (rows, rows), dtype=np.uint16)
    ds.PixelData = pixels.tobytes()
    ds.file_meta = Dataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.SourceApplicationEntityTitle = "ODD"  # an odd-length meta value
    ds.file_meta.PrivateInformationCreatorUID = "1.2.3"
    ds.file_meta.PrivateInformation = b"\x01\x02\x03\x04"  # OB: a long-length VR
    ds.save_as(path, enforce_file_format=True)
    return path


def test_data_set_offset_is_pydicom_s_with_and_without_group_length(tmp_path: Path) -> None:
    with_length = _image(tmp_path / "a.dcm")
    raw = with_length.read_bytes()
    assert raw[132:136] == b"\x02\x00\x00\x00"  # (0002,0000) File Meta Group Length
    without = tmp_path / "b.dcm"
    without.write_bytes(raw[:132] + raw[144:])
    offsets = []
    for path in (with_length, without):
        with open(path, "rb") as source:
            offsets.append(data_set_offset(source))
        assert offsets[-1] == split_dataset(path)[1]
    assert offsets[1] == offsets[0] - 12


class _Scp:
    """A pynetdicom storage SCP on loopback with a small maximum PDU; it keeps what it
    receives and answers ``status``."""

    def __init__(self) -> None:
        self.received: list[Dataset] = []
        self.status = 0x0000
        self.associations = self.releases = self.largest_pdu = 0
        ae = AE("SCP")
        ae.maximum_pdu_size = 4096  # a 80 KB image arrives in ~20 fragments
        ae.add_supported_context(CTImageStorage, [ExplicitVRLittleEndian])
        self.port = free_port()
        self.server = ae.start_server(("127.0.0.1", self.port), block=False,
                                      evt_handlers=[(evt.EVT_C_STORE, self._on_store),
                                                    (evt.EVT_ESTABLISHED, self._on_open),
                                                    (evt.EVT_RELEASED, self._on_release),
                                                    (evt.EVT_PDU_RECV, self._on_pdu)])

    def _on_pdu(self, event: evt.Event) -> None:
        pdu = event.pdu  # type: ignore[attr-defined]
        if isinstance(pdu, P_DATA_TF):  # its length field: the PDV items' total length
            self.largest_pdu = max(self.largest_pdu, pdu.pdu_length)

    def _on_open(self, event: evt.Event) -> None:
        self.associations += 1

    def _on_release(self, event: evt.Event) -> None:
        self.releases += 1

    def _on_store(self, event: evt.Event) -> int:
        self.received.append(event.dataset)  # type: ignore[attr-defined]
        return self.status


@pytest.fixture
def scp() -> Iterator[_Scp]:
    server = _Scp()
    yield server
    server.server.shutdown()


def _store_file(path: Path) -> StoreFile:
    ds = dcmread(path, stop_before_pixels=True)
    return StoreFile(str(ds.SOPInstanceUID), str(ds.SOPClassUID),
                     str(ds.file_meta.TransferSyntaxUID), path, path.stat().st_size)


def test_files_arrive_whole_in_small_pdus_and_statuses_become_verdicts(
    tmp_path: Path, scp: _Scp,
) -> None:
    files = [_store_file(_image(tmp_path / f"{n}.dcm", 200 + n)) for n in range(3)]
    destination = Destination("SCP", "127.0.0.1", scp.port)
    association = StoreAssociation(destination, "LIGHTBOX", files)
    try:
        ok = association.store(files[0])
        scp.status = 0xB000  # warning: coercion of data elements, still stored
        warned = association.store(files[1])
        scp.status = 0xA700
        refused = association.store(files[2])
    finally:
        association.close()
    assert (ok.confirmed, warned.confirmed, refused.confirmed) == (True, True, False)
    assert "out of resources" in refused.reason
    assert 4000 < scp.largest_pdu <= 4096  # fragments fill the peer's maximum, no more
    for sent, arrived in zip(files, scp.received, strict=True):
        ours = dcmread(sent.path)
        assert arrived.SOPInstanceUID == ours.SOPInstanceUID
        assert arrived.PixelData == ours.PixelData


def test_an_unreadable_stored_file_fails_alone(tmp_path: Path, scp: _Scp) -> None:
    files = [_store_file(_image(tmp_path / f"{n}.dcm", 64 + n)) for n in range(2)]
    files[0].path.unlink()
    results = list(store_files(Destination("SCP", "127.0.0.1", scp.port), "LIGHTBOX",
                               files))
    assert [(r.confirmed, r.reason) for r in results] == \
        [(False, "The library's copy of this image could not be read."), (True, "")]


def test_a_data_set_from_memory_is_sent_as_it_is(tmp_path: Path, scp: _Scp) -> None:
    """The path a caller that rewrites the data set uses (store_dataset)."""
    file = _store_file(_image(tmp_path / "a.dcm"))
    dataset = dcmread(file.path)
    dataset.PatientID = "REWRITTEN"
    association = StoreAssociation(Destination("SCP", "127.0.0.1", scp.port), "LIGHTBOX",
                                   [file])
    try:
        assert association.store_dataset(dataset) == 0
    finally:
        association.close()
    assert scp.received[0].PatientID == "REWRITTEN"
    assert scp.received[0].PixelData == dataset.PixelData


def test_a_study_is_one_association_released_at_the_end(tmp_path: Path, scp: _Scp) -> None:
    files = [_store_file(_image(tmp_path / f"{n}.dcm", 64 + n)) for n in range(4)]
    results = list(store_files(Destination("SCP", "127.0.0.1", scp.port), "LIGHTBOX",
                               files))
    assert [r.sop_instance_uid for r in results if r.confirmed] == \
        [f.sop_instance_uid for f in files]
    deadline = time.monotonic() + 5  # the SCP notes the release just after answering it
    while scp.releases < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (scp.associations, scp.releases) == (1, 1)


@pytest.mark.parametrize(("reply", "seconds"), [
    # An HTTP server on the port answers the association request with text.
    (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 30.0),
    # An association accept claiming 4 GiB: the link stops at the header instead of
    # waiting for (30 s), or allocating, that much.
    (bytes([2, 0]) + (0xFFFFFFF0).to_bytes(4, "big") + b"\0" * 64, 5.0),
])
def test_a_server_that_does_not_answer_as_a_pacs_is_one_sentence_at_once(
    tmp_path: Path, reply: bytes, seconds: float,
) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer() -> None:
        connection, _ = listener.accept()
        with connection:
            head = connection.recv(6, socket.MSG_WAITALL)
            connection.recv(int.from_bytes(head[2:], "big"), socket.MSG_WAITALL)
            connection.sendall(reply)
            with contextlib.suppress(OSError):  # until the client hangs up (or resets)
                connection.recv(1)

    server = threading.Thread(target=answer, daemon=True)
    server.start()
    started = time.monotonic()
    try:
        with pytest.raises(PacsError, match=r"^What answers at 127\.0\.0\.1:\d+ does not "
                                            r"answer as a PACS: check the port\.$"):
            StoreAssociation(Destination("PACS", "127.0.0.1", port), "LIGHTBOX",
                             [_store_file(_image(tmp_path / "a.dcm", 16))])
    finally:
        server.join(10)
        listener.close()
    assert time.monotonic() - started < seconds
