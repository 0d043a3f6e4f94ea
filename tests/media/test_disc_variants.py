"""Generated variants of a valid disc: what real discs and USB sticks do to a DICOMDIR.

Each test starts from a fresh sample disc and breaks it one way. The scan must still find
every image the medium holds, name each problem with the right kind, and never open a
file outside the medium.
"""

import os
import shutil
import subprocess
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.models import ScanReport
from app.media.sources import IsoSource, NestedSource, open_medium
from app.samples.disc_writer import write_sample_disc
from app.services.scan import scan_report
from tests.conftest import _OPEN_LOG, tool


@pytest.fixture(scope="session")
def pristine_disc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    disc = tmp_path_factory.mktemp("pristine") / "disc"
    write_sample_disc(disc, slices=6, rows=32, columns=32)
    return disc


@pytest.fixture
def disc(pristine_disc: Path, tmp_path: Path) -> Path:
    """A private copy of the valid sample disc, at ``tmp_path/disc``."""
    copy = tmp_path / "disc"
    shutil.copytree(pristine_disc, copy)
    return copy


def _image_files(disc: Path) -> list[Path]:
    return sorted(p for p in disc.rglob("*") if p.is_file() and p.name != "DICOMDIR")


def _problems(report: ScanReport) -> Counter[str]:
    return Counter(p.problem for p in report.problems)


def _replace_file_id(dicomdir: Path, old: Path, new_id: str) -> None:
    """Rewrite one Referenced File ID in place, padded to the same length.

    Keeping the length keeps every record offset valid, so only the File ID changes.
    """
    disc = dicomdir.parent
    old_id = "\\".join(old.relative_to(disc).parts).encode()
    data = dicomdir.read_bytes()
    assert data.count(old_id) == 1
    replacement = new_id.encode()
    assert len(replacement) <= len(old_id), "the new File ID must not be longer"
    dicomdir.write_bytes(data.replace(old_id, replacement.ljust(len(old_id), b" ")))


def test_pristine_disc_is_clean(disc: Path) -> None:
    report = scan_report(disc)
    assert report.kind == "dicomdir"
    assert report.instances == len(_image_files(disc))
    assert not report.problems
    assert not report.unreferenced


def test_lowercased_names(disc: Path) -> None:
    expected = len(_image_files(disc))
    for path in sorted(disc.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        path.rename(path.with_name(path.name.lower()))
    report = scan_report(disc)
    assert report.instances == expected
    assert not report.problems


def test_dcm_extensions_and_version_suffixes(disc: Path) -> None:
    images = _image_files(disc)
    images[0].rename(images[0].with_name(images[0].name + ".dcm"))
    images[1].rename(images[1].with_name(images[1].name + ";1"))
    images[2].rename(images[2].with_name(images[2].name + "."))
    report = scan_report(disc)
    assert report.instances == len(images)
    assert not report.problems


def test_dicomdir_removed(disc: Path) -> None:
    (disc / "DICOMDIR").unlink()
    report = scan_report(disc)
    assert report.kind == "scan"
    assert report.instances == len(_image_files(disc))
    assert not report.problems


def test_missing_files(disc: Path) -> None:
    images = _image_files(disc)
    for gone in images[:2]:
        gone.unlink()
    report = scan_report(disc)
    assert report.instances == len(images) - 2
    assert _problems(report) == {"missing": 2}
    assert {p.path for p in report.problems} == {
        str(g.relative_to(disc)) for g in images[:2]
    }


def test_truncated_file(disc: Path) -> None:
    images = _image_files(disc)
    victim = images[-1]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size - 100])
    report = scan_report(disc)
    assert report.instances == len(images) - 1
    assert _problems(report) == {"unreadable": 1}
    assert "truncated" in report.problems[0].detail


def test_file_cut_inside_the_header(disc: Path) -> None:
    images = _image_files(disc)
    images[0].write_bytes(images[0].read_bytes()[:300])
    report = scan_report(disc)
    assert report.instances == len(images) - 1
    assert _problems(report) == {"unreadable": 1}


def test_junk_files_are_ignored(disc: Path) -> None:
    (disc / "AUTORUN.INF").write_text("[autorun]\nopen=VIEWER.EXE\n")
    (disc / "VIEWER.EXE").write_bytes(b"MZ" + os.urandom(4000))
    (disc / "INDEX.HTM").write_text("<html><body>Your images</body></html>")
    (disc / "LOGO.JPG").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000))
    (disc / "EMPTY").write_bytes(b"")
    report = scan_report(disc)
    assert report.instances == len(_image_files(disc)) - 5
    assert not report.problems


def test_junk_listed_in_the_dicomdir_is_not_dicom(disc: Path) -> None:
    victim = _image_files(disc)[0]
    victim.write_bytes(b"<html>not an image</html>" * 40)
    report = scan_report(disc)
    assert _problems(report) == {"not-dicom": 1}


def test_mismatch_between_record_and_file(disc: Path, pristine_disc: Path) -> None:
    images = _image_files(disc)
    # Swap two files: each record now points at the other's instance.
    a, b = images[1], images[2]
    a_bytes = a.read_bytes()
    a.write_bytes(b.read_bytes())
    b.write_bytes(a_bytes)
    report = scan_report(disc)
    assert _problems(report) == {"mismatch": 2}
    assert report.instances == len(images)


@pytest.fixture
def secret(tmp_path: Path, pristine_disc: Path) -> Path:
    """A real DICOM file outside the disc, with an instance UID of its own."""
    folder = tmp_path / "SECRET"
    folder.mkdir()
    source = _image_files(pristine_disc)[0]
    ds = pydicom.dcmread(source)
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.999.42"
    ds.PatientName = "SOMEONE^ELSE"
    target = folder / "IM1"
    ds.save_as(target)
    return target


def _assert_never_opened(secret: Path, opened: list[str], report: ScanReport) -> None:
    assert all(not os.path.realpath(p).startswith(str(secret.parent)) for p in opened)
    assert "1.2.3.999.42" not in {r.sop_instance_uid for r in report.all_instances()}
    assert "SOMEONE^ELSE" not in {p.patient_name for p in report.patients}


@pytest.mark.parametrize("escape", ["..\\SECRET\\IM1", "A\\..\\..\\SECRET\\IM1"])
def test_file_id_escaping_with_dotdot(
    disc: Path, secret: Path, opened_files: list[str], escape: str
) -> None:
    victim = _image_files(disc)[0]
    _replace_file_id(disc / "DICOMDIR", victim, escape)
    report = scan_report(disc)
    assert _problems(report) == {"outside-media": 1}
    _assert_never_opened(secret, opened_files, report)
    # The file whose record was hijacked is still on the disc, found by its header.
    assert str(victim.relative_to(disc)) in report.unreferenced


def test_file_id_absolute_path(disc: Path, secret: Path, opened_files: list[str]) -> None:
    victim = _image_files(disc)[0]
    # A short absolute path, so it fits in the File ID it replaces.
    short = Path(tempfile.mkdtemp(prefix="lb", dir="/tmp"))
    try:
        shutil.copy(secret, short / "S")
        _replace_file_id(disc / "DICOMDIR", victim, str(short / "S").replace("/", "\\"))
        opened_files.clear()  # The copy above opened it; the scan must not.
        report = scan_report(disc)
        assert _problems(report) == {"outside-media": 1}
        _assert_never_opened(short / "S", opened_files, report)
    finally:
        shutil.rmtree(short)


def test_symlink_leading_outside(disc: Path, secret: Path, opened_files: list[str]) -> None:
    victim = _image_files(disc)[0]
    victim.unlink()
    victim.symlink_to(secret)
    report = scan_report(disc)
    assert _problems(report) == {"outside-media": 1}
    _assert_never_opened(secret, opened_files, report)


def test_two_dicomdirs_and_duplicate_copies(pristine_disc: Path, tmp_path: Path) -> None:
    medium = tmp_path / "medium"
    shutil.copytree(pristine_disc, medium / "DISC1")
    shutil.copytree(pristine_disc, medium / "DISC2")
    report = scan_report(medium)
    count = len(_image_files(pristine_disc))
    assert report.instances == count
    assert _problems(report) == {"duplicate": count}
    assert set(report.directories) == {"DISC1/DICOMDIR", "DISC2/DICOMDIR"}


def test_unreferenced_copy_is_a_duplicate(disc: Path) -> None:
    images = _image_files(disc)
    (disc / "EXTRA").mkdir()
    shutil.copy(images[0], disc / "EXTRA" / "COPY1")
    report = scan_report(disc)
    assert report.instances == len(images)
    assert _problems(report) == {"duplicate": 1}


def test_zip_of_the_disc_root_and_of_a_disc_folder(disc: Path, tmp_path: Path) -> None:
    count = len(_image_files(disc))
    for name, prefix in (("root.zip", ""), ("folder.zip", "MY DISC/")):
        archive = tmp_path / name
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(disc.rglob("*")):
                if path.is_file():
                    zf.write(path, prefix + str(path.relative_to(disc)))
        report = scan_report(archive)
        assert report.kind == "zip"
        assert report.instances == count, name
        assert not report.problems, name
        assert report.directories == (prefix + "DICOMDIR",)


def test_zip_slip_names_are_outside_media(disc: Path, tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in _image_files(disc):
            zf.write(path, str(path.relative_to(disc)))
        zf.write(_image_files(disc)[0], "../../escape.dcm")
    report = scan_report(archive)
    assert _problems(report) == {"outside-media": 1}


@pytest.mark.parametrize(
    "extensions", [["-J", "-R"], []], ids=["rockridge-joliet", "plain-iso9660"]
)
def test_iso_image(disc: Path, tmp_path: Path, extensions: list[str]) -> None:
    xorriso = tool("xorriso", "xorriso")
    iso = tmp_path / "disc.iso"
    subprocess.run(
        [xorriso, "-as", "mkisofs", "-V", "LIGHTBOX", *extensions, "-o", str(iso), str(disc)],
        check=True,
        capture_output=True,
    )
    report = scan_report(iso)
    assert report.kind == "iso"
    assert report.instances == len(_image_files(disc))
    assert not report.problems


def test_iso_files_are_read_in_extent_order(disc: Path, tmp_path: Path) -> None:
    xorriso = tool("xorriso", "xorriso")
    iso = tmp_path / "disc.iso"
    subprocess.run(
        [xorriso, "-as", "mkisofs", "-J", "-R", "-o", str(iso), str(disc)],
        check=True,
        capture_output=True,
    )
    medium = open_medium(iso)
    assert isinstance(medium.source, NestedSource)
    assert isinstance(medium.source.base, IsoSource)
    extents = [e.order for e in medium.source.entries()]
    assert extents == sorted(extents) and len(set(extents)) == len(extents)
    medium.source.close()


def test_folder_on_a_cd_filesystem_is_read_in_inode_order(
    tmp_path: Path, pristine_disc: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "cd"
    folder.mkdir()
    source = _image_files(pristine_disc)[0].read_bytes()
    for name in ("C", "B", "A"):  # created in reverse name order: inodes rise C, B, A
        (folder / name).write_bytes(source)
    monkeypatch.setattr("app.media.sources.filesystem_type", lambda path: "iso9660")
    entries = open_medium(folder).source.entries()
    inodes = [(folder / e.path).stat().st_ino for e in entries]
    assert inodes == sorted(inodes)
    monkeypatch.setattr("app.media.sources.filesystem_type", lambda path: "ext4")
    assert [e.path for e in open_medium(folder).source.entries()] == ["A", "B", "C"]


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mutations=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=16),
    cut=st.integers(min_value=0, max_value=400),
    escape=st.booleans(),
)
def test_mutated_dicomdir_never_crashes_or_escapes(
    pristine_disc: Path, mutations: list[tuple[int, int]], cut: int, escape: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        disc = root / "disc"
        shutil.copytree(pristine_disc, disc)
        (root / "SECRET").mkdir()
        shutil.copy(_image_files(pristine_disc)[0], root / "SECRET" / "IM1")
        dicomdir = disc / "DICOMDIR"
        if escape:
            _replace_file_id(dicomdir, _image_files(disc)[0], "..\\SECRET\\IM1")
        data = bytearray(dicomdir.read_bytes())
        for position, value in mutations:
            data[position % len(data)] = value
        dicomdir.write_bytes(bytes(data[: len(data) - cut]))

        log: list[str] = []
        _OPEN_LOG.append(log)
        try:
            report = scan_report(disc)
        finally:
            _OPEN_LOG.remove(log)
        assert not [p for p in log if os.path.realpath(p).startswith(str(root / "SECRET"))]
        # Every image on the disc is still found, whatever the DICOMDIR says.
        assert report.instances == len(_image_files(disc))
