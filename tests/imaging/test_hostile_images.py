"""Hostile images: deflate bombs, codestreams that lie about their size, frames too large
to allocate, and native decoders that panic. Each ends in one DecodeError sentence, never
a MemoryError, a killed process or a dead loader thread."""

import io
import resource
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import generate_uid

import app.imaging.decode as decode_module
from app.core.errors import DecodeError
from app.imaging.decode import is_rust_panic, open_image
from app.media.headers import read_header
from bench.dicomdir_bytes import meta_bytes

SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
DEFLATED = "1.2.840.10008.1.2.1.99"


def _write(
    path: Path, syntax: str, pixel_data: bytes, rows: int, columns: int, bits: int = 8
) -> Path:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    ds.file_meta.MediaStorageSOPClassUID = SECONDARY_CAPTURE
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = SECONDARY_CAPTURE
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit, ds.PixelRepresentation = bits - 1, 0
    ds.PixelData = pixel_data
    if syntax not in ("1.2.840.10008.1.2.1", DEFLATED):
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
    ds.save_as(path, enforce_file_format=True)
    return path


def _element(group: int, element: int, vr: bytes, value: bytes) -> bytes:
    return struct.pack("<HH2sH", group, element, vr, len(value)) + value


def _deflate_bomb(path: Path, inflated: int) -> Path:
    """A deflated image whose pixel data inflates to ``inflated`` bytes of zeros, written
    in well under a second: one flushed block of zeros, repeated."""
    rows = columns = 16
    header = b"".join(
        [
            _element(0x0008, 0x0016, b"UI", SECONDARY_CAPTURE.encode() + b"\0"),
            _element(0x0028, 0x0002, b"US", struct.pack("<H", 1)),
            _element(0x0028, 0x0004, b"CS", b"MONOCHROME2 "),
            _element(0x0028, 0x0010, b"US", struct.pack("<H", rows)),
            _element(0x0028, 0x0011, b"US", struct.pack("<H", columns)),
            _element(0x0028, 0x0100, b"US", struct.pack("<H", 8)),
            _element(0x0028, 0x0101, b"US", struct.pack("<H", 8)),
            _element(0x0028, 0x0103, b"US", struct.pack("<H", 0)),
            struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, inflated),
        ]
    )
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflater.compress(header) + deflater.flush(zlib.Z_FULL_FLUSH)
    block = 1 << 20
    zeros = deflater.compress(bytes(block)) + deflater.flush(zlib.Z_FULL_FLUSH)
    body = first + zeros * (inflated // block) + b"\x03\x00"
    path.write_bytes(meta_bytes(SECONDARY_CAPTURE, DEFLATED) + body)
    return path


def _jpeg_claiming(columns: int, rows: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(out, format="JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, rows, columns)
    return bytes(data)


def _j2k_claiming(columns: int, rows: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(out, format="JPEG2000", no_jp2=True)
    data = bytearray(out.getvalue())
    siz = data.index(b"\xff\x4f\xff\x51")
    struct.pack_into(">II", data, siz + 8, columns, rows)
    return bytes(data)


def test_deflate_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.core.inflate.MAX_INFLATED_BYTES", 4 << 20)
    bomb = _deflate_bomb(tmp_path / "bomb.dcm", 16 << 20)
    assert bomb.stat().st_size < 100_000
    with pytest.raises(DecodeError, match="grow to more than"):
        open_image(bomb)
    with open(bomb, "rb") as stream:
        result = read_header(stream, bomb.stat().st_size, "bomb.dcm")
    assert result.problem == "unreadable" and "MB of memory" in result.detail


def test_small_deflated_image_still_opens(tmp_path: Path) -> None:
    pixels = bytes(range(256)) * 4
    path = _write(tmp_path / "ok.dcm", DEFLATED, pixels, 32, 32)
    with open_image(path) as image:
        assert image.decode_frame(0).pixels.shape == (32, 32)


@pytest.mark.parametrize(
    ("syntax", "encoded"),
    [
        ("1.2.840.10008.1.2.4.50", _jpeg_claiming(60_000, 60_000)),
        ("1.2.840.10008.1.2.4.90", _j2k_claiming(60_000, 60_000)),
    ],
    ids=["jpeg-sof", "j2k-siz"],
)
def test_codestream_larger_than_the_header_is_refused(
    tmp_path: Path, syntax: str, encoded: bytes, capfd: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "lie.dcm", syntax, encapsulate([encoded]), 16, 16)
    with open_image(path) as image, pytest.raises(DecodeError, match="claims 60,000 × 60,000"):
        image.decode_frame(0)
    assert "DecompressionBomb" not in capfd.readouterr().err


def test_frame_too_large_is_refused_before_decoding(tmp_path: Path) -> None:
    # RLE: pylibjpeg-rle would abort the whole process when its allocation fails.
    segments = struct.pack("<16I", 2, 64, 66, *[0] * 13) + bytes(4)
    rle = "1.2.840.10008.1.2.5"
    path = _write(tmp_path / "huge.dcm", rle, encapsulate([segments]), 30_000, 30_000, 16)
    with open_image(path) as image, pytest.raises(DecodeError, match="too large"):
        image.decode_frame(0)


class PanicException(BaseException):
    """Stands in for pyo3's PanicException, which pyo3 does not export."""


PanicException.__module__ = "pyo3_runtime"


def test_rust_panic_becomes_a_decode_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "rle.dcm", "1.2.840.10008.1.2.1", bytes(256), 16, 16)

    def panic(self: object, index: int) -> None:
        raise PanicException("capacity overflow")

    monkeypatch.setattr(decode_module.DicomImage, "_decode", panic)
    assert is_rust_panic(PanicException())
    with open_image(path) as image, pytest.raises(DecodeError, match="gave up on frame 0"):
        image.decode_frame(0)


def _limited_render(path: Path, out: Path) -> subprocess.CompletedProcess[str]:
    limit = 1536 << 20
    code = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
        "from app.cli import main\n"
        f"sys.exit(main(['render', {str(path)!r}, '-o', {str(out)!r}]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_bombs_fail_with_our_error_under_a_memory_limit(tmp_path: Path) -> None:
    assert resource.RLIMIT_AS  # The test relies on an address-space limit (Linux, macOS).
    bomb = _deflate_bomb(tmp_path / "bomb.dcm", 2 << 30)
    result = _limited_render(bomb, tmp_path / "out.png")
    assert result.returncode == 2, result.stderr
    assert "grow to more than" in result.stderr
    assert "MemoryError" not in result.stderr and "Traceback" not in result.stderr
