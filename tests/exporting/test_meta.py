"""A stored file's header, and the File Meta a file without one gains on media
(app.exporting.meta)."""

import io
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.uid import (
    CTImageStorage,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    generate_uid,
)

from app.exporting.meta import HEADER_BYTES, encoded, media_prefix, read_header


def _dataset(private_bytes: int = 0) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, generate_uid()
    ds.PatientName, ds.PatientID, ds.Modality = "DOE^JANE", "P1", "CT"
    if private_bytes:
        ds.add_new(0x00091010, "LO", "LIGHTBOX TEST")
        ds.add_new(0x00091000, "OB", b"\1" * private_bytes)
    ds.Rows = ds.Columns = 2
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.PixelData = b"\0" * 8
    return ds


def _bare(ds: Dataset, implicit: bool, little: bool) -> bytes:
    """A data set as old writers stored it: no preamble, no File Meta."""
    fp = DicomBytesIO()
    fp.is_implicit_VR, fp.is_little_endian = implicit, little
    write_dataset(fp, ds)
    return bytes(fp.getvalue())


@pytest.mark.parametrize(("implicit", "little", "syntax"), [
    (True, True, ImplicitVRLittleEndian),
    (False, True, ExplicitVRLittleEndian),
    (False, False, ExplicitVRBigEndian),
])
def test_a_file_without_file_meta_gains_one_in_front_of_its_unchanged_bytes(
    tmp_path: Path, implicit: bool, little: bool, syntax: str
) -> None:
    original = _dataset()
    stored = tmp_path / "bare"
    stored.write_bytes(_bare(original, implicit, little))
    size, head, ds = read_header(stored)
    prefix = media_prefix(head, ds)
    copy = prefix + stored.read_bytes()
    assert size == stored.stat().st_size and copy[128:132] == b"DICM"
    read = dcmread(io.BytesIO(copy))
    assert read.file_meta.TransferSyntaxUID == syntax
    assert read.file_meta.MediaStorageSOPInstanceUID == original.SOPInstanceUID
    assert read.PatientName == "DOE^JANE" and read.PixelData == original.PixelData


def test_a_proper_file_needs_nothing_and_partial_headers_get_what_they_lack(
    tmp_path: Path,
) -> None:
    ds = _dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    whole = encoded(ds, ExplicitVRLittleEndian)
    path = tmp_path / "whole"
    path.write_bytes(whole)
    _, head, header = read_header(path)
    assert media_prefix(head, header) == b""
    assert media_prefix(whole[128:], header) == b"\0" * 128  # "DICM" without preamble
    assert media_prefix(whole[132:], header) == b"\0" * 128 + b"DICM"  # meta alone


def test_a_header_longer_than_the_bytes_read_ahead_is_read_from_the_file(
    tmp_path: Path,
) -> None:
    ds = _dataset(private_bytes=HEADER_BYTES * 2)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    path = tmp_path / "long"
    path.write_bytes(encoded(ds, ExplicitVRLittleEndian))
    _, head, header = read_header(path)
    assert len(head) == HEADER_BYTES
    assert header.Rows == 2 and "PixelData" not in header


def test_encoded_names_the_transformed_instance_in_its_file_meta() -> None:
    ds = _dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3"  # stale: a transform changed the UID
    data = encoded(ds, ImplicitVRLittleEndian)
    read = dcmread(io.BytesIO(data))
    assert read.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert read.file_meta.TransferSyntaxUID == ImplicitVRLittleEndian
