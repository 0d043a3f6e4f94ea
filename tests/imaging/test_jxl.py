"""JPEG XL (1.2.840.10008.1.2.4.110, .111, .112): decoded, and within one grey level of the
codec's own decode of the same codestream through the same window arithmetic."""

import io
from pathlib import Path

import imagecodecs
import numpy as np
import pytest
from PIL import Image
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.uid import generate_uid

from app.cli import main
from app.imaging.decode import open_image
from app.imaging.jxl import JPEG_XL, JPEG_XL_LOSSLESS, JPEG_XL_RECOMPRESSION
from app.imaging.luts import Window
from app.imaging.render import render_file
from app.imaging.syntaxes import own_backend, unsupported_reason
from tests.imaging.reference import CODEC, dcmtk_linear_window, files_of

WILL = "files/jpeg_xl/will-jxl.dcm"


def _assert_within_one(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.shape == theirs.shape
    difference = np.abs(ours.astype(np.int16) - theirs.astype(np.int16))
    assert int(difference.max()) <= 1, f"{int((difference > 1).sum())} pixels differ by > 1"


def test_every_jpeg_xl_syntax_has_a_decoder() -> None:
    for syntax in (JPEG_XL_LOSSLESS, JPEG_XL_RECOMPRESSION, JPEG_XL):
        backend = own_backend(syntax)
        assert backend is not None and "imagecodecs" in backend.label
        assert unsupported_reason(syntax) == ""


def test_corpus_jpeg_xl_files_are_classified_as_codec_references() -> None:
    assert WILL.removeprefix("files/") in files_of(CODEC)


@pytest.mark.parametrize("frame", [0, 13, 26])
def test_recompressed_ultrasound_matches_the_codecs_own_decode(corpus: Path, frame: int) -> None:
    # JPEG recompression: the codec rebuilds the original JPEG bit for bit; decoding that
    # JPEG is the reference (colour: no window applies).
    ds = dcmread(corpus / WILL)
    encoded = list(generate_frames(ds.PixelData, number_of_frames=int(ds.NumberOfFrames)))
    jpeg = imagecodecs.jpegxl_decode_jpeg(encoded[frame])
    reference = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
    ours = render_file(corpus / WILL, frame=frame)
    assert ours.shape == (708, 1016, 3)
    _assert_within_one(ours, reference)
    # libjxl's direct pixel decode rounds chroma differently; still the same picture.
    direct = np.asarray(imagecodecs.jpegxl_decode(encoded[frame]))
    assert np.abs(ours.astype(np.int16) - direct.astype(np.int16)).mean() < 1.0


def test_only_the_asked_frame_is_decoded(corpus: Path) -> None:
    with open_image(corpus / WILL) as image:
        assert image.number_of_frames == 27
        decoded = image.decode_frame(26)
    assert decoded.index == 26 and decoded.photometric == "RGB"
    assert decoded.pixels.shape == (708, 1016, 3) and decoded.pixels.dtype == np.uint8


def test_lightbox_render_writes_a_png(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "jxl.png"
    assert main(["render", str(corpus / WILL), "-o", str(out), "--frame", "3"]) == 0
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (1016, 708)
        assert np.asarray(image).std() > 10  # An ultrasound, not a flat square.


def _write_jxl_file(
    path: Path, syntax: str, frames: list[bytes], rows: int, columns: int,
    bits_stored: int, signed: bool, window: tuple[float, float] | None,
) -> Path:
    """A CT file with JPEG XL frames; pydicom 3.0 cannot write these syntaxes itself."""
    meta = FileMetaDataset()
    meta.TransferSyntaxUID = syntax
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    ds = Dataset()
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16 if bits_stored > 8 else 8
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.NumberOfFrames = len(frames)
    ds.RescaleSlope, ds.RescaleIntercept = 1, 0 if signed else -1024
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window
    ds.PixelData = encapsulate(frames)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    out = DicomBytesIO()
    out.is_little_endian, out.is_implicit_VR = True, False
    out.write(b"\0" * 128 + b"DICM")
    write_file_meta_info(out, meta, enforce_standard=True)
    write_dataset(out, ds)
    path.write_bytes(out.getvalue())
    return path


def _ct_values(seed: int, signed: bool) -> np.ndarray:
    """A 12-bit CT-like frame: air, soft tissue and bone, with noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:96, 0:80]
    body = ((y - 48) ** 2 / 40**2 + (x - 40) ** 2 / 34**2) < 1
    hu = np.where(body, 40, -990) + np.where((abs(x - 40) < 6) & body, 900, 0)
    hu = hu + rng.integers(-30, 30, hu.shape)
    return (hu if signed else hu + 1024).astype(np.int16 if signed else np.uint16)


@pytest.mark.parametrize("signed", [False, True])
def test_twelve_bit_lossless_ct_keeps_its_values(tmp_path: Path, signed: bool) -> None:
    frames = [_ct_values(seed, signed) for seed in range(3)]
    encoded = [
        imagecodecs.jpegxl_encode(
            (f.astype(np.int32) & 0xFFF).astype(np.uint16), lossless=True, bitspersample=12
        )
        for f in frames
    ]
    path = _write_jxl_file(
        tmp_path / "ct.dcm", JPEG_XL_LOSSLESS, encoded, 96, 80, 12, signed, (40, 400)
    )
    with open_image(path) as image:
        decoded = image.decode_frame(2)
    assert np.array_equal(decoded.pixels, frames[2])
    # Same window arithmetic on the codec's own decode of the same codestream.
    own = np.asarray(imagecodecs.jpegxl_decode(encoded[1])).astype(np.int32)
    if signed:
        own = np.where(own >= 2048, own - 4096, own)
    hu = own if signed else own - 1024
    reference = dcmtk_linear_window(hu, 40, 400, inverse=False)
    _assert_within_one(render_file(path, frame=1), reference)
    _assert_within_one(render_file(path, frame=1, window=(40, 400)), reference)


def test_lossy_jpeg_xl_matches_the_codecs_own_decode(tmp_path: Path) -> None:
    frame = (_ct_values(7, signed=False) // 16).astype(np.uint8)  # An 8-bit image.
    encoded = imagecodecs.jpegxl_encode(frame, level=80)
    path = _write_jxl_file(tmp_path / "lossy.dcm", JPEG_XL, [encoded], 96, 80, 8, False, None)
    own = np.asarray(imagecodecs.jpegxl_decode(encoded)).astype(np.int32) - 1024
    window = Window(-900.0, 120.0)
    reference = dcmtk_linear_window(own, window.center, window.width, inverse=False)
    _assert_within_one(render_file(path, window=(window.center, window.width)), reference)
