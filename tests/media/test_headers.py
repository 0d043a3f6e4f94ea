"""Headers of the odd files in the corpus: identified, judged, never a crash."""

import os
from pathlib import Path

import pytest

from app.media.headers import looks_like_dicom, read_header
from tests.conftest import CORPUS


def _header(path: Path):  # type: ignore[no-untyped-def]
    with open(path, "rb") as fh:
        return read_header(fh, os.path.getsize(path), path.name)


CORPUS_FILES = sorted(p for p in (CORPUS / "files").rglob("*") if p.is_file())


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_corpus_file_gets_a_verdict(corpus: Path, path: Path) -> None:
    result = _header(path)
    assert result.instance is not None or result.is_directory or result.problem
    if result.problem:
        assert result.detail.endswith(".")


@pytest.mark.parametrize(
    ("name", "problem", "words"),
    [
        ("broken/MR_truncated.dcm", "unreadable", "truncated"),
        ("broken/3gb-bulk-data-truncated", "unreadable", "truncated"),
        ("broken/emri_small_jpeg_2k_lossless_too_short.dcm", "unreadable", "truncated"),
        ("broken/2026-05-26-oob-monochrome-46341.dcm", "unreadable", "incomplete"),
        ("broken/2026-05-26-oob-monochrome-65535.dcm", "unreadable", "incomplete"),
        ("broken/GH177_D_CLUNIE_CT1_IVRLE_BigEndian_undefined_length.dcm", "unreadable", "damaged"),
        ("jpeg_xl/will-jxl.dcm", "unsupported", "1.2.840.10008.1.2.4.111"),
        ("deflate/liver_deflate.dcm", "unsupported", "1.2.840.10008.1.2.8.1"),
        ("voi_lut/leadtools-8BitsJpegLossyGrayScale.dcm", "unsupported", "SOP Instance UID"),
        ("no_file_meta/no_meta.dcm", "not-dicom", "not a DICOM file"),
    ],
)
def test_known_problems(corpus: Path, name: str, problem: str, words: str) -> None:
    result = _header(corpus / "files" / name)
    assert result.problem == problem
    assert words in result.detail


@pytest.mark.parametrize(
    "name",
    [
        "monochrome1/CR-MONO1-10-chest",  # ACR-NEMA: no preamble, no meta
        "no_file_meta/ExplVR_BigEndNoMeta.dcm",
        "no_file_meta/orthanc_1.2.840.10008.1.2.dcm",
        "palette_color/OT-PAL-8-face.dcm",
        "color/SC_ybr_full_422_uncompressed.dcm",  # subsampled: 2 bytes a pixel
        "multiframe/multiframe.dcm",  # 140 fragments walked
        "deflate/image_dfl.dcm",
        "non_image/test-SR.dcm",  # no pixel data at all
        "rle/D_CLUNIE_CT1_RLE_FRAGS.dcm",
    ],
)
def test_good_files_are_instances(corpus: Path, name: str) -> None:
    result = _header(corpus / "files" / name)
    assert result.instance is not None
    assert result.problem is None, result.detail
    assert result.instance.sop_instance_uid


def test_multiframe_count_and_series_fields(corpus: Path) -> None:
    result = _header(corpus / "files" / "multiframe" / "NM-MONO2-16-13x-heart")
    assert result.instance is not None
    assert result.instance.number_of_frames == 13
    assert result.instance.modality == "NM"


def test_directory_files_are_recognised(corpus: Path) -> None:
    assert _header(corpus / "discs" / "pydicom_dicomdirtests" / "DICOMDIR-bigEnd").is_directory


@pytest.mark.parametrize(
    "prefix",
    [b"", b"MZ\x90\x00", b"<html>", b"\xff\xd8\xff\xe0", b"[autorun]\r\n", b"\x00" * 132],
)
def test_junk_is_rejected_from_the_first_bytes(prefix: bytes) -> None:
    assert not looks_like_dicom(prefix)


def test_the_application_decides_what_it_can_decode(corpus: Path) -> None:
    """pydicom alone has no JPEG XL decoder; the imaging layer's verdict makes it an image."""
    from app.imaging.syntaxes import can_decode

    path = corpus / "files" / "jpeg_xl" / "will-jxl.dcm"
    with open(path, "rb") as stream:
        result = read_header(stream, path.stat().st_size, path.name, can_decode)
    assert result.instance is not None
    assert result.problem is None, result.detail
