"""Hostile and broken media (issue 9): what a container or header library raises becomes
that file's problem in one sentence, never the whole command's crash."""

import io
import shutil
import struct
import subprocess
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

from app.core.dicom_values import MAX_FRAMES, dataset_text, frame_count
from app.media.dicomdir import DirectoryReference
from app.media.directories import instance_from_reference
from app.services.scan import scan_report
from tests.support.cli import run_in_process


def dicom_bytes(uid: str = "1.2.3.4", bits: int = 16, pixels: bytes | None = None,
                **values: object) -> bytes:
    """A tiny 4 x 4 CT image."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, uid
    ds.PatientName, ds.PatientID, ds.Modality = "DOE^JOHN", "P1", "CT"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = "1.2.3", "1.2.3.1"
    ds.Rows = ds.Columns = 4
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit, ds.PixelRepresentation = bits - 1, 0
    for key, value in values.items():
        setattr(ds, key, value)
    ds.PixelData = pixels if pixels is not None else np.arange(16, dtype=np.uint16).tobytes()
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _damage(path: Path, start: int, stop: int) -> None:
    raw = bytearray(path.read_bytes())
    for i in range(start, stop):
        raw[i] ^= 0x5A
    path.write_bytes(bytes(raw))


def test_bad_crc_member_is_that_files_problem(tmp_path: Path) -> None:
    archive = tmp_path / "disc.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        z.writestr("IMG1", dicom_bytes())
        z.writestr("IMG2", dicom_bytes("1.2.3.5"))
    raw = bytearray(archive.read_bytes())
    raw[raw.index(b"DOE^JOHN")] = ord("X")  # The first member's CRC no longer matches.
    archive.write_bytes(bytes(raw))
    report = scan_report(archive)
    assert report.instances == 1
    [problem] = report.problems
    assert (problem.path, problem.problem) == ("IMG1", "unreadable")
    assert "ZIP file is damaged (Bad CRC-32" in problem.detail


def test_corrupt_deflate_member_and_dicomdir(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "disc.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("DICOMDIR", b"\0" * 128 + b"DICM" + bytes(range(256)) * 8)
        z.writestr("IMG1", dicom_bytes())
    _damage(archive, 60, 200)  # Inside the DICOMDIR's compressed data.
    code, out, err = run_in_process(capsys, "scan", str(archive))
    assert code == 1 and err == ""
    assert "unreadable    DICOMDIR: The DICOMDIR could not be read" in out
    assert "1 image in 1 series" in out
    monkeypatch.setenv("LIGHTBOX_HOME", str(tmp_path / "home"))
    code, out, err = run_in_process(capsys, "import", str(archive))
    assert "failed unexpectedly" not in err
    assert "Imported 1 images" in out


def _iso_with_far_extent(tmp_path: Path) -> Path:
    folder = tmp_path / "disc"
    folder.mkdir()
    (folder / "IMG1").write_bytes(dicom_bytes())
    iso = tmp_path / "disc.iso"
    subprocess.run(["xorriso", "-as", "mkisofs", "-V", "T", "-J", "-R", "-o", str(iso),
                    str(folder)], check=True, capture_output=True)
    raw = bytearray(iso.read_bytes())
    for name in (b"IMG1.;1", "IMG1".encode("utf-16-be")):
        at = raw.find(name)
        while at >= 0:
            record = at - 33
            if raw[record + 32] == len(name):
                struct.pack_into("<I", raw, record + 2, 10_000_000)
                struct.pack_into(">I", raw, record + 6, 10_000_000)
            at = raw.find(name, at + 1)
    iso.write_bytes(bytes(raw))
    return iso


@pytest.mark.skipif(shutil.which("xorriso") is None, reason="needs xorriso")
def test_iso_extent_past_the_end_is_that_files_problem(tmp_path: Path) -> None:
    report = scan_report(_iso_with_far_extent(tmp_path))
    [problem] = report.problems
    assert problem.problem == "unreadable"
    assert "past the end of the disc image" in problem.detail


@pytest.mark.parametrize("value", ["1e999", "1e18", "-3", "NaN", "x"])
def test_absurd_frame_counts_in_a_directory_record_mean_one(value: str) -> None:
    reference = DirectoryReference(("IMG1",), "IMAGE", False, {"number_of_frames": value})
    assert instance_from_reference("IMG1", reference).number_of_frames == 1
    assert frame_count(str(MAX_FRAMES)) == MAX_FRAMES


def test_64_bit_pixels_with_extreme_rescale_render_quietly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pixels = np.array([-(2**63), 2**63 - 1, 0, 1] * 4, dtype=np.int64).tobytes()
    image = tmp_path / "wide.dcm"
    image.write_bytes(dicom_bytes(bits=64, pixels=pixels, PixelRepresentation=1,
                                  RescaleSlope="1e300", RescaleIntercept="-1e300"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        code, _, err = run_in_process(capsys, "render", str(image), "-o",
                                      str(tmp_path / "out.png"))
    assert code in (0, 1, 2)
    assert "Traceback" not in err and "failed unexpectedly" not in err
    assert err.count("\n") <= 1


@pytest.mark.parametrize("window", [("nan", "nan"), ("40", "0"), ("40", "-5"), ("inf", "10")])
def test_render_refuses_a_window_that_is_not_real(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], window: tuple[str, str]
) -> None:
    image = tmp_path / "a.dcm"
    image.write_bytes(dicom_bytes())
    code, _, err = run_in_process(capsys, "render", str(image), "-o", str(tmp_path / "o.png"),
                                  "--window", *window)
    assert code == 2
    assert err.strip() == ("A window needs a real centre and a width above 0, "
                           "for example --window 40 400.")


def test_same_uid_with_different_contents_is_not_called_a_copy(tmp_path: Path) -> None:
    disc = tmp_path / "disc"
    disc.mkdir()
    (disc / "A").write_bytes(dicom_bytes())
    (disc / "B").write_bytes(dicom_bytes())
    (disc / "C").write_bytes(dicom_bytes(PatientID="OTHER"))
    details = {p.path: p.detail for p in scan_report(disc).problems}
    assert details == {
        "B": "This is another copy of A; counted once.",
        "C": "Another file on this disc (A) has the same image UID but different contents; "
             "only the first is used.",
    }


def test_import_of_a_disc_with_a_damaged_dicomdir_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    disc = tmp_path / "disc"
    disc.mkdir()
    (disc / "DICOMDIR").write_bytes(b"\0" * 128 + b"DICM" + bytes(range(256)) * 4)
    (disc / "IMG1").write_bytes(dicom_bytes())
    code, out, _ = run_in_process(capsys, "scan", str(disc))
    assert code == 1 and "DICOMDIR" in out
    monkeypatch.setenv("LIGHTBOX_HOME", str(tmp_path / "home"))
    code, out, _ = run_in_process(capsys, "import", str(disc))
    assert code == 1
    assert "Imported 1 images" in out and "1 failed" in out
    assert "  DICOMDIR: The DICOMDIR is damaged" in out


def test_an_unknown_vr_is_read_as_bytes(tmp_path: Path) -> None:
    import pydicom

    from app.services.setup import configure_dicom_reading

    configure_dicom_reading()
    data = bytearray(dicom_bytes(WindowCenter="40"))
    at = data.index(b"\x28\x00\x50\x10DS")
    data[at + 4:at + 6] = b"ZZ"
    ds = pydicom.dcmread(io.BytesIO(bytes(data)), force=True)
    # Read as UN (bytes); no NotImplementedError when listing the tags or writing.
    assert [e.value for e in ds if e.tag == 0x00281050] == [b"40"]
    assert dataset_text(ds, "WindowCenter") == "40"
    buffer = io.BytesIO()
    ds.save_as(buffer)
