"""Decoding: one frame at a time, from paths and streams, with damaged data refused."""

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.pixels.decoders.base import DecodeRunner

import app.imaging.jpeg as jpeg_module
from app.core.errors import DecodeError, LightboxError, RenderError
from app.imaging.decode import NOT_DICOM, open_image
from app.imaging.jpeg import repair_sequential_scan
from app.imaging.syntaxes import syntax_label

FILES = Path("files")


class CountingReader(io.RawIOBase):
    """A seekable binary stream that counts the bytes read through it."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)
        self.bytes_read = 0
        self.name = "<counting stream>"  # pydicom records a stream's name when it has one.

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._inner.readinto(buffer)
        self.bytes_read += count
        return count

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()


def _counting(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    calls: list[int] = []
    original: Callable[..., Any] = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def test_decode_error_is_a_render_error() -> None:
    assert issubclass(DecodeError, RenderError)
    assert issubclass(RenderError, LightboxError)


def test_last_of_140_jpeg_frames_decodes_that_frame_alone(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = corpus / FILES / "multiframe/multiframe.dcm"
    data = path.read_bytes()
    stream = CountingReader(data)
    decodes = _counting(monkeypatch, jpeg_module.Image, "open")
    with open_image(stream) as image:
        assert image.number_of_frames == 140
        before = stream.bytes_read
        frame = image.decode_frame(139)
    assert frame.pixels.shape == (240, 240, 3)
    assert len(decodes) == 1
    # Item headers are walked with seeks; only the header and one frame are read.
    assert stream.bytes_read - before < len(data) / 20


@pytest.mark.parametrize(
    "name",
    [
        "palette_color/US-PAL-8-10x-echo",  # RLE
        "multiframe/emri_small_jpeg_2k_lossless.dcm",  # JPEG 2000
        "multiframe/NM-MONO2-16-13x-heart",  # uncompressed
    ],
)
def test_other_multi_frame_files_decode_one_frame(
    corpus: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    decodes = _counting(monkeypatch, DecodeRunner, "_decode_frame")
    data = (corpus / FILES / name).read_bytes()
    stream = CountingReader(data)
    with open_image(stream) as image:
        last = image.number_of_frames - 1
        before = stream.bytes_read
        image.decode_frame(last)
    assert len(decodes) <= 1  # Uncompressed frames are sliced, not decoded.
    assert stream.bytes_read - before <= 2 * len(data) / (last + 1) + 64 * 1024


def test_frames_decode_from_a_zip_member_like_from_the_file(corpus: Path, tmp_path: Path) -> None:
    path = corpus / FILES / "rle/SC_rgb_rle_16bit_2frame.dcm"
    archive = tmp_path / "disc.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(path, "DICOM/IM1")
    with open_image(path) as image:
        expected = image.decode_frame(1).pixels
    with zipfile.ZipFile(archive) as zf, zf.open("DICOM/IM1") as member:
        with open_image(member) as image:  # type: ignore[arg-type]
            got = image.decode_frame(1).pixels
        assert not member.closed, "a stream passed in stays open"
    np.testing.assert_array_equal(got, expected)


def test_a_frame_that_does_not_exist_is_refused(corpus: Path) -> None:
    path = corpus / FILES / "multiframe/NM-MONO2-16-13x-heart"
    with open_image(path) as image, pytest.raises(DecodeError, match="numbered 0 to 12"):
        image.decode_frame(13)


def test_signed_12_bit_stripes_are_negative_not_bright(corpus: Path) -> None:
    path = corpus / FILES / "signed/12bitSigned_0x0F0F.dcm"
    raw = np.frombuffer(dcmread(path).PixelData, dtype="<u2").reshape(384, 384)
    with open_image(path) as image:
        stored = image.decode_frame(0).pixels
    assert (raw == 0x0F0F).any() and (raw == 0xFFFF).any()
    assert set(np.unique(stored[raw == 0x0F0F])) == {-241}
    assert set(np.unique(stored[raw == 0xFFFF])) == {-1}


def test_truncated_uncompressed_data_is_refused_without_reading_it(corpus: Path) -> None:
    path = corpus / FILES / "broken/2026-05-26-oob-monochrome-65535.dcm"
    with open_image(path) as image, pytest.raises(DecodeError, match="incomplete"):
        image.decode_frame(0)


def test_unsupported_syntax_message_names_it(corpus: Path) -> None:
    with open_image(corpus / FILES / "deflate/liver_deflate.dcm") as image:
        assert image.number_of_frames == 3  # The header still reads.
        with pytest.raises(DecodeError) as raised:
            image.decode_frame(2)
    assert str(raised.value) == (
        "This image is stored as Deflated Image Frame Compression (1.2.840.10008.1.2.8.1), "
        "which no installed decoder can read."
    )


def test_syntax_label() -> None:
    assert syntax_label("1.2.840.10008.1.2.5") == "RLE Lossless (1.2.840.10008.1.2.5)"
    assert syntax_label("1.2.3.4") == "1.2.3.4"


def test_a_scan_header_pylibjpeg_refuses_is_mended(corpus: Path) -> None:
    # NM1_JPLY: Se = 0 in a sequential scan. IJG (dcmtk) warns and decodes; so do we.
    with open_image(corpus / FILES / "jpeg_extended/JPEG-lossy.dcm") as image:
        pixels = image.decode_frame(0).pixels
    assert pixels.shape == (1024, 256) and int(pixels.max()) > 0


def test_repair_sequential_scan() -> None:
    sof1 = b"\xff\xc1\x00\x0b\x0c\x00\x08\x00\x08\x01\x01\x11\x00"
    sos_bad = b"\xff\xda\x00\x08\x01\x01\x00\x00\x00\x00"
    sos_good = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    body = b"\x12\x34\xff\xd9"
    assert repair_sequential_scan(b"\xff\xd8" + sof1 + sos_bad + body) == (
        b"\xff\xd8" + sof1 + sos_good + body
    )
    assert repair_sequential_scan(b"\xff\xd8" + sof1 + sos_good + body) is None
    assert repair_sequential_scan(b"not a jpeg") is None


def test_deflated_big_endian_and_headerless_files_decode(corpus: Path) -> None:
    for name, shape in [
        ("deflate/image_dfl.dcm", (512, 512)),
        ("big_endian/ExplVR_BigEnd.dcm", (60, 80, 3)),
        ("monochrome1/CR-MONO1-10-chest", (440, 440)),  # ACR-NEMA: no preamble, no meta
    ]:
        with open_image(corpus / FILES / name) as image:
            assert image.decode_frame(0).pixels.shape == shape, name


def test_files_that_are_not_there_or_not_dicom(tmp_path: Path) -> None:
    with pytest.raises(DecodeError, match="cannot be opened"):
        open_image(tmp_path / "missing.dcm")
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"\x00" * 10)
    with pytest.raises(DecodeError):
        open_image(junk)
    # Longer junk that pydicom, forced, would read as an empty dataset: said as the scan
    # says it (not "no pixel data"), whether read from a path or a stream.
    autorun = b"[autorun]\r\nopen=viewer.exe\r\n" * 20
    (tmp_path / "autorun.inf").write_bytes(autorun)
    for source in (tmp_path / "autorun.inf", io.BytesIO(autorun)):
        with pytest.raises(DecodeError) as refused:
            open_image(source)
        assert str(refused.value) == NOT_DICOM


def test_a_short_edge_tile_is_drawn_in_place(corpus: Path) -> None:
    # The last frame of this tiled image stores a 55 × 121 JPEG for a 240 × 240 frame.
    with open_image(corpus / FILES / "multiframe/multiframe.dcm") as image:
        pixels = image.decode_frame(139).pixels
    assert pixels.shape == (240, 240, 3)
    assert pixels[:121, :55].any()
    assert not pixels[121:].any() and not pixels[:, 55:].any()
