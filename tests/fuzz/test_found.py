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
