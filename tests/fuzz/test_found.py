"""Inputs the fuzzer found, kept as plain regression tests: each must give our sentence."""

import struct
import zipfile
from pathlib import Path

import pytest

from app.core.errors import SourceUnreadableError
from app.media.sources import open_medium
from tests.fuzz.readers import write_seeds


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_seeds(tmp_path_factory.mktemp("seeds"))


def test_an_iso_whose_path_table_points_at_the_wrong_place(
    seeds: dict[str, Path], tmp_path: Path
) -> None:
    """pycdlib raised struct.error: the path table's location (primary volume descriptor
    at 0x8000, offset 140) moved to sector 1, where no path table is."""
    data = bytearray(seeds["iso"].read_bytes())
    data[0x8000 + 140 : 0x8000 + 144] = struct.pack("<I", 1)
    broken = tmp_path / "broken.iso"
    broken.write_bytes(bytes(data))
    with pytest.raises(SourceUnreadableError, match="not a readable ISO disc image"):
        open_medium(broken).source.entries()


def test_a_zip_that_claims_a_newer_format_version(
    seeds: dict[str, Path], tmp_path: Path
) -> None:
    """zipfile raised NotImplementedError ("zip file version 6.4") for a central directory
    record that asks for a newer ZIP version than it supports."""
    data = bytearray(seeds["zip"].read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 6] = 64  # "version needed to extract": 6.4
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(data))
    with pytest.raises(SourceUnreadableError, match="not a readable ZIP file"):
        open_medium(broken).source.entries()
    assert zipfile.is_zipfile(broken)  # It still looks like a ZIP file: no early refusal.


def test_a_header_whose_modality_has_a_numeric_vr(tmp_path: Path) -> None:
    """pydicom raised BytesLengthException reading Modality written with VR SV (8-byte
    integers) over two bytes of text, while the decoder worded "this file holds no image"."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    from app.core.errors import DecodeError
    from app.imaging.decode import open_image

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    path = tmp_path / "odd.dcm"
    ds.save_as(path, enforce_file_format=True)
    # Modality (0008,0060) as VR "SV" holding two bytes: not a whole 8-byte value.
    element = bytes.fromhex("08006000") + b"SV" + b"\x00\x00" + (2).to_bytes(4, "little") + b"CT"
    path.write_bytes(path.read_bytes() + element)
    with pytest.raises(DecodeError, match="holds no image"):
        open_image(path)
