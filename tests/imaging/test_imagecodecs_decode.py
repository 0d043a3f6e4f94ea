"""JPEG 2000, HTJ2K, JPEG-LS and JPEG Lossless through imagecodecs: the same pixels as
pydicom's plugins, the same fallback and words on damage, and two threads decoding at once."""

import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.encaps import encapsulate, get_frame

from app.core.errors import DecodeError
from app.imaging import imagecodecs_plugin
from app.imaging.decode import DecodedFrame, DicomImage, open_image
from app.samples.disc_writer import write_sample_disc
from tests.conftest import CORPUS

imagecodecs = pytest.importorskip("imagecodecs")


def _manifest_files() -> list[str]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    names = []
    for line in manifest.read_text(encoding="utf-8").splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) > 4 and fields[4] in imagecodecs_plugin.FAST_SYNTAXES:
            names.append(fields[0])
    return names


CORPUS_FILES = _manifest_files()
Outcome = list[DecodedFrame | str]


@pytest.fixture
def fallbacks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Frames handed to pydicom's own plugins (imagecodecs was not used or failed)."""
    calls: list[int] = []
    original = DicomImage._decode_with_plugins

    def spy(self: DicomImage, index: int, *args: object, **kwargs: object) -> DecodedFrame:
        calls.append(index)
        return original(self, index, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(DicomImage, "_decode_with_plugins", spy)
    yield calls
    imagecodecs_plugin.set_enabled(True)


def _decode_all(path: Path, fast: bool) -> Outcome:
    imagecodecs_plugin.set_enabled(fast)
    frames: Outcome = []
    try:
        with open_image(path) as image:
            for index in range(image.number_of_frames):
                try:
                    frames.append(image.decode_frame(index))
                except DecodeError as exc:
                    frames.append(str(exc))
        return frames
    except DecodeError as exc:  # No image to decode at all: the same words either way.
        return [str(exc)]
    finally:
        imagecodecs_plugin.set_enabled(True)


def _assert_same(old: Outcome, new: Outcome) -> None:
    assert len(new) == len(old)
    for before, after in zip(old, new, strict=True):
        if isinstance(before, str) or isinstance(after, str):
            assert after == before
            continue
        assert after.pixels.dtype == before.pixels.dtype
        assert after.pixels.shape == before.pixels.shape
        assert np.array_equal(after.pixels, before.pixels)
        assert after.photometric == before.photometric


def test_the_corpus_lists_files_of_every_kind() -> None:
    if not CORPUS_FILES:
        pytest.skip(f"the test corpus is missing: expected it at {CORPUS}")
    syntaxes = {line.split("\t")[4] for line in
                (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
                if line.count("\t") > 4}
    assert {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.203",
            "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.57",
            "1.2.840.10008.1.2.4.70"} <= syntaxes
    assert len(CORPUS_FILES) >= 28


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_every_corpus_file_decodes_as_with_pydicoms_plugins(
    corpus: Path, name: str, fallbacks: list[int]
) -> None:
    old = _decode_all(corpus / name, fast=False)
    fallbacks.clear()
    new = _decode_all(corpus / name, fast=True)
    _assert_same(old, new)
    decoded = [frame for frame in new if isinstance(frame, DecodedFrame)]
    # Every frame pydicom's plugins read, imagecodecs read: none fell back.
    assert fallbacks == [] or not decoded


@pytest.mark.parametrize("syntax", ["jpeg2000", "jpeg-ls"])
def test_sample_discs_decode_as_with_pydicoms_plugins(
    tmp_path: Path, syntax: str, fallbacks: list[int]
) -> None:
    disc = tmp_path / "disc"
    write_sample_disc(disc, slices=3, transfer_syntax=syntax, rows=128, columns=96, seed=5)
    files = sorted(p for p in disc.rglob("*") if p.is_file() and p.name != "DICOMDIR")
    assert len(files) == 1 + 3 + 1
    for path in files:
        old = _decode_all(path, fast=False)
        fallbacks.clear()
        new = _decode_all(path, fast=True)
        _assert_same(old, new)
        assert fallbacks == []
        first = new[0]
        assert isinstance(first, DecodedFrame) and first.pixels.dtype == np.uint16


def _garbage_after_header(frame: bytes) -> bytes:
    """The codestream's header and first eighth kept, garbage after."""
    keep = len(frame) // 8
    return frame[:keep] + bytes((index * 37 + 11) % 256 for index in range(len(frame) - keep))


def _bad_scan_header(frame: bytes) -> bytes:
    """The start of scan segment given an impossible length (65535 bytes)."""
    start = frame.index(b"\xff\xda")
    return frame[: start + 2] + b"\xff\xff" + frame[start + 4 :]


def _damaged_copy(source: Path, out: Path, damage: Callable[[bytes], bytes]) -> Path:
    dataset = dcmread(source)
    frame = get_frame(dataset.PixelData, 0, number_of_frames=1)
    dataset.PixelData = encapsulate([damage(frame)])
    dataset.save_as(out)
    return out


JLS_CT = "files/jpeg_ls/CT1_UNC.fragmented_bot_jpeg_ls.80.dcm"


@pytest.mark.parametrize(
    ("name", "damage", "label"),
    [
        ("files/jpeg2000/693_J2KI.dcm", _garbage_after_header,
         "JPEG 2000 Image Compression (1.2.840.10008.1.2.4.91)"),
        (JLS_CT, _bad_scan_header, "JPEG-LS Lossless Image Compression (1.2.840.10008.1.2.4.80)"),
    ],
)
def test_a_damaged_codestream_falls_back_and_ends_in_our_sentence(
    corpus: Path,
    tmp_path: Path,
    name: str,
    damage: Callable[[bytes], bytes],
    label: str,
    fallbacks: list[int],
) -> None:
    path = _damaged_copy(corpus / name, tmp_path / "damaged.dcm", damage)
    codec = imagecodecs.jpeg2k_decode if "jpeg2000" in name else imagecodecs.jpegls_decode
    with pytest.raises(RuntimeError):  # imagecodecs' Jpeg2kError, JpeglsError
        codec(get_frame(dcmread(path).PixelData, 0, number_of_frames=1))
    with open_image(path) as image, pytest.raises(DecodeError) as caught:
        image.decode_frame(0)
    assert str(caught.value) == (
        f"The image data of frame {0} is damaged and cannot be decoded ({label})."
    )
    assert fallbacks == [0]


def test_what_imagecodecs_refuses_and_libjpeg_reads_shows_as_before(
    corpus: Path, tmp_path: Path, fallbacks: list[int]
) -> None:
    """pylibjpeg's libjpeg reads JPEG-LS scan data that CharLS rejects: as today, its
    picture is shown rather than an error."""
    path = _damaged_copy(corpus / JLS_CT, tmp_path / "damaged.dcm", _garbage_after_header)
    old = _decode_all(path, fast=False)
    fallbacks.clear()
    new = _decode_all(path, fast=True)
    _assert_same(old, new)
    assert isinstance(new[0], DecodedFrame)
    assert fallbacks == [0]


def test_an_unexpected_shape_falls_back_to_the_same_picture(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, fallbacks: list[int]
) -> None:
    path = corpus / "files/jpeg_ls/JLSL_16_15_1_1F.dcm"
    old = _decode_all(path, fast=False)
    fallbacks.clear()
    monkeypatch.setattr(imagecodecs, "jpegls_decode",
                        lambda data, **_: np.zeros((3, 4), dtype=np.uint16))
    new = _decode_all(path, fast=True)
    _assert_same(old, new)
    assert fallbacks == [0]


def test_an_unexpected_sample_size_falls_back_to_the_same_picture(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, fallbacks: list[int]
) -> None:
    path = corpus / "files/jpeg2000/MR_small_jp2klossless.dcm"
    old = _decode_all(path, fast=False)
    fallbacks.clear()
    real = imagecodecs.jpeg2k_decode
    monkeypatch.setattr(imagecodecs, "jpeg2k_decode",
                        lambda data, **kw: real(data, **kw).astype(np.int32))
    new = _decode_all(path, fast=True)
    _assert_same(old, new)
    assert fallbacks == [0]


@pytest.fixture(scope="module")
def ct_slices(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One 512 x 512 CT slice in JPEG 2000 and one in JPEG-LS (sample discs)."""
    slices = {}
    for syntax in ("jpeg2000", "jpeg-ls"):
        disc = tmp_path_factory.mktemp(syntax)
        write_sample_disc(disc / "disc", slices=1, transfer_syntax=syntax, seed=2)
        slices[syntax] = next(path for path in sorted((disc / "disc").rglob("IM*"))
                              if dcmread(path, stop_before_pixels=True).Rows == 512)
    return slices


@pytest.mark.parametrize("syntax", ["jpeg2000", "jpeg-ls"])
def test_other_threads_run_while_a_frame_decodes(
        ct_slices: dict[str, Path], syntax: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The decoder lets go of Python's lock: while a frame decodes on the loader thread,
    another Python thread runs (what lets two panes decode at once). The switch interval
    is set far beyond a decode, so the watching thread can only run inside the call when
    the decoder itself releases the lock: this checks behaviour, not speed."""
    import imagecodecs

    name = {"jpeg2000": "jpeg2k_decode", "jpeg-ls": "jpegls_decode"}[syntax]
    real = getattr(imagecodecs, name)
    inside = threading.Event()
    calls: list[int] = []

    def watched(*args: object, **kwargs: object) -> object:
        calls.append(1)
        inside.set()
        try:
            return real(*args, **kwargs)
        finally:
            inside.clear()

    monkeypatch.setattr(imagecodecs, name, watched)
    path = ct_slices[syntax]
    finished = threading.Event()
    seen: list[int] = []

    def watch() -> None:
        while not finished.is_set():
            if inside.is_set():
                seen.append(1)
            time.sleep(0.0002)  # sleeping lets go of the lock

    interval = sys.getswitchinterval()
    sys.setswitchinterval(5.0)
    watcher = threading.Thread(target=watch)
    try:
        watcher.start()
        with open_image(path) as image:
            for _ in range(10):
                image.decode_frame(0)
    finally:
        finished.set()
        watcher.join()
        sys.setswitchinterval(interval)
    assert len(calls) == 10  # every frame went through imagecodecs
    assert seen, "no other thread ran while a frame decoded"
