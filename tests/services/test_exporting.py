"""Export as standard media (app.services.exporting), checked from the outside.

Every copy is read back as a viewer would: dciodvfy on the DICOMDIR and on every file,
Lightbox's own scan (folder, ZIP, ISO), isoinfo for the ISO image, and the bytes of every
file against the library's. The refusals, a full disk, a place that cannot be written and
a cancel must each leave nothing behind.
"""

import errno
import io
import os
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.fileset import FileSet
from pydicom.uid import generate_uid

from app.core.errors import ExcludedFromExport, ExportError, LibraryError
from app.exporting import archive, folder, target
from app.exporting.fileids import is_conformant
from app.exporting.target import TEMP_PREFIX
from app.library.library import Library
from app.media.pydicom_setup import configure_pydicom
from app.services.exporting import (
    LEFT_OUT,
    MISSING,
    ExportProgress,
    ExportReport,
    Format,
    export_studies,
)
from tests.library.helpers import write_small_disc
from tests.support.exports import (
    dciodvfy_errors,
    files_by_uid,
    folder_files,
    iso_files,
    isoinfo_listing,
    library_hashes,
    library_tree,
    other_patient_disc,
    run_export,
    scan_tree,
    sha256,
    walk_dicomdir,
    write_files,
    zip_files,
)
from tests.support.studies import import_study, study_files

OUT_NAMES: dict[Format, str] = {"folder": "copy", "zip": "copy.zip", "iso": "copy.iso"}
FORMATS: tuple[Format, ...] = ("folder", "zip", "iso")


@pytest.fixture(scope="module")
def two_patients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Library, list[str]]]:
    """A library holding two studies of the sample patient and one of another patient."""
    configure_pydicom()
    folder_ = tmp_path_factory.mktemp("export-library")
    first = write_small_disc(folder_ / "a", seed=21)
    second = write_small_disc(folder_ / "b", seed=22)
    other = other_patient_disc(write_small_disc(folder_ / "c", seed=23), folder_ / "other",
                               "OTHER^PERSON", "OTHER-1")
    with Library(folder_ / "home") as library:
        uids = [import_study(library, disc) for disc in (first, second, other)]
        yield library, uids


def _files(copy: Path, media_format: Format) -> dict[str, bytes]:
    if media_format == "zip":
        return zip_files(copy)
    if media_format == "iso":
        return iso_files(copy)
    return folder_files(copy)


def _leftovers(parent: Path) -> list[str]:
    """Temporary entries an export left in a folder."""
    return sorted(p.name for p in parent.rglob(f"{TEMP_PREFIX}*"))


# -- what a copy holds -------------------------------------------------------------------


@pytest.mark.parametrize("media_format", FORMATS)
def test_a_copy_is_standard_media_with_the_librarys_bytes(
    two_patients: tuple[Library, list[str]], tmp_path: Path, media_format: Format
) -> None:
    """Three studies of two patients: the DICOMDIR and every file pass dciodvfy, every file
    is the library's byte for byte under a PS3.10 File ID, the copy holds nothing else,
    and Lightbox's scan finds exactly the studies, series and instances exported."""
    library, uids = two_patients
    out = tmp_path / OUT_NAMES[media_format]
    report = run_export(export_studies(uids, out, media_format, library))

    expected = library_hashes(library, uids)
    assert (report.instances, report.warnings, report.deidentified) == (len(expected), (), False)
    assert [s.study_instance_uid for s in report.studies] == uids
    assert all(s.exported_as == s.study_instance_uid for s in report.studies)
    assert report.out == str(out) and report.format == media_format

    files = _files(out, media_format)
    by_uid = files_by_uid(files)
    assert {uid: sha256(data) for uid, (_, data) in by_uid.items()} == expected
    assert set(files) == {"DICOMDIR"} | {path for path, _ in by_uid.values()}
    assert all(is_conformant(path.split("/")) for path in files)

    unpacked = out if media_format == "folder" else write_files(files, tmp_path / "unpacked")
    assert dciodvfy_errors(unpacked / "DICOMDIR") == []
    walked = walk_dicomdir(unpacked / "DICOMDIR")
    assert [depth for depth, kind in walked if kind == "PATIENT"] == [0, 0]
    assert sum(kind == "IMAGE" for _, kind in walked) == len(expected)
    for path, _ in by_uid.values():
        assert dciodvfy_errors(unpacked / path) == [], path

    scanned, tree = scan_tree(out)
    assert scanned.problems == () and scanned.unreferenced == ()
    assert scanned.kind == {"folder": "dicomdir", "zip": "zip", "iso": "iso"}[media_format]
    assert tree == library_tree(library, uids)
    assert {p.patient_id for p in scanned.patients} == {"LIGHTBOX-SAMPLE", "OTHER-1"}
    assert _leftovers(tmp_path) == []


def test_pydicom_reads_the_dicomdir_and_finds_every_file(
    two_patients: tuple[Library, list[str]], tmp_path: Path
) -> None:
    """pydicom's FileSet follows the offsets to every record and every file."""
    library, uids = two_patients
    out = tmp_path / "copy"
    run_export(export_studies(uids, out, "folder", library))
    file_set = FileSet(out / "DICOMDIR")
    hashes = library_hashes(library, uids)
    assert {str(i.SOPInstanceUID) for i in file_set} == set(hashes)
    for instance in file_set:
        assert sha256(Path(instance.path).read_bytes()) == hashes[str(instance.SOPInstanceUID)]
    # Patients, then studies, then series, each numbered in the order met.
    assert sorted({Path(i.path).relative_to(out).parts[:2] for i in file_set}) == [
        ("DICOM", "PAT00001"), ("DICOM", "PAT00002")]


def test_isoinfo_lists_every_file_under_its_iso_9660_joliet_and_rock_ridge_names(
    two_patients: tuple[Library, list[str]], tmp_path: Path
) -> None:
    library, uids = two_patients
    image = tmp_path / "copy.iso"
    run_export(export_studies(uids[:1], image, "iso", library))
    files = set(iso_files(image))
    plain = {path.replace(";1", "").rstrip(".") for path in isoinfo_listing(image)}
    assert {f"/{name}" for name in files} <= plain
    assert {f"/{name}" for name in files} <= isoinfo_listing(image, "-R")
    assert {f"/{name}" for name in files} <= isoinfo_listing(image, "-J")
    info = subprocess.run(["isoinfo", "-d", "-i", str(image)], capture_output=True,
                          text=True, check=True).stdout
    assert "Volume id: LIGHTBOX" in info  # PS3.12 F.1.1: the File-set ID


def test_zip_members_are_stored_and_the_dicomdir_is_at_the_root(
    two_patients: tuple[Library, list[str]], tmp_path: Path
) -> None:
    library, uids = two_patients
    archive_path = tmp_path / "copy.zip"
    run_export(export_studies(uids[:1], archive_path, "zip", library))
    with zipfile.ZipFile(archive_path) as opened:
        assert opened.testzip() is None
        infos = opened.infolist()
    assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
    assert "DICOMDIR" in {i.filename for i in infos}
    assert all(i.filename.startswith("DICOM/") for i in infos if i.filename != "DICOMDIR")


def test_an_empty_folder_receives_the_copy(
    two_patients: tuple[Library, list[str]], tmp_path: Path
) -> None:
    """A USB stick's root (an empty folder that may be a mount point) is filled in place:
    it ends up holding the DICOM folder and the DICOMDIR, nothing else."""
    library, uids = two_patients
    stick = tmp_path / "stick"
    stick.mkdir()
    report = run_export(export_studies(uids[:1], stick, "folder", library))
    assert sorted(p.name for p in stick.iterdir()) == ["DICOM", "DICOMDIR"]
    assert report.instances == len(study_files(library.home, uids[0]))
    assert dciodvfy_errors(stick / "DICOMDIR") == []


def test_a_study_asked_for_twice_is_exported_once(
    two_patients: tuple[Library, list[str]], tmp_path: Path
) -> None:
    library, uids = two_patients
    report = run_export(export_studies([uids[0], uids[0]], tmp_path / "copy", "folder",
                                       library))
    assert len(report.studies) == 1
    assert report.instances == len(study_files(library.home, uids[0]))


def test_progress_counts_every_image(two_patients: tuple[Library, list[str]],
                                     tmp_path: Path) -> None:
    library, uids = two_patients
    items = list(export_studies(uids, tmp_path / "copy.iso", "iso", library))
    copying = [i for i in items if isinstance(i, ExportProgress) and i.phase == "copying"]
    packing = [i for i in items if isinstance(i, ExportProgress) and i.phase == "packing"]
    assert [p.done for p in copying] == list(range(1, len(copying) + 1))
    assert copying[-1].bytes_done == copying[-1].bytes_total
    assert packing and packing[-1].bytes_done == packing[-1].bytes_total
    assert isinstance(items[-1], ExportReport)


# -- refusals: nothing written ------------------------------------------------------------


def _refused(job: Iterator[object], error: type[Exception] = ExportError) -> str:
    with pytest.raises(error) as caught:
        next(iter(job))
    return str(caught.value)


def test_a_folder_that_is_not_empty_is_refused(
    two_patients: tuple[Library, list[str]], tmp_path: Path
) -> None:
    library, uids = two_patients
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    sentence = _refused(export_studies(uids, out, "folder", library))
    assert sentence == f"{out} is not empty; choose a new or empty folder."
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(("media_format", "make", "expected"), [
    ("folder", "file", "exists and is not a folder"),
    ("zip", "file", "exists already; choose a new name for the ZIP file."),
    ("iso", "folder", "is a folder; give the ISO image's own name"),
    ("zip", "link", "exists already"),
])
def test_a_taken_name_is_refused(
    two_patients: tuple[Library, list[str]], tmp_path: Path, media_format: Format,
    make: str, expected: str,
) -> None:
    library, uids = two_patients
    out = tmp_path / "taken"
    if make == "file":
        out.write_bytes(b"something")
    elif make == "folder":
        out.mkdir()
        (out / "x").write_bytes(b"x")
    else:
        (tmp_path / "elsewhere").write_bytes(b"")
        out.symlink_to(tmp_path / "elsewhere")
    assert expected in _refused(export_studies(uids, out, media_format, library))
    assert _leftovers(tmp_path) == []


def test_an_empty_file_may_be_replaced_by_the_zip(
    two_patients: tuple[Library, list[str]], tmp_path: Path
) -> None:
    library, uids = two_patients
    out = tmp_path / "copy.zip"
    out.write_bytes(b"")
    run_export(export_studies(uids[:1], out, "zip", library))
    assert zipfile.is_zipfile(out)


def test_a_missing_parent_folder_and_an_unknown_study_are_refused(
    two_patients: tuple[Library, list[str]], tmp_path: Path
) -> None:
    library, uids = two_patients
    out = tmp_path / "no" / "such" / "copy"
    assert _refused(export_studies(uids, out, "folder", library)) == (
        f"There is no folder {out.parent}; create it first or choose another place for "
        "the copy.")
    sentence = _refused(export_studies([uids[0], "1.2.3.404"], tmp_path / "copy", "folder",
                                       library), LibraryError)
    assert sentence == "There is no study 1.2.3.404 in the library."
    assert not (tmp_path / "copy").exists() and _leftovers(tmp_path) == []


# -- a full disk, a place that cannot be written, a cancel --------------------------------


class _Usage:
    def __init__(self, free: int) -> None:
        self.total, self.used, self.free = free * 2, free, free


def test_a_disk_too_small_is_refused_before_copying(
    two_patients: tuple[Library, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library, uids = two_patients
    monkeypatch.setattr(target.shutil, "disk_usage", lambda path: _Usage(1_000_000))
    sentence = _refused(export_studies(uids, tmp_path / "copy", "folder", library))
    assert sentence.startswith(f"The disk holding {tmp_path / 'copy'} has 1.0 MB free but "
                               "the copy needs about ")
    assert sentence.endswith("; free some space or choose another place.")
    assert list(tmp_path.iterdir()) == []


def _enospc(*args: Any, **kwargs: Any) -> Any:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _fail_after(real: Any, calls: int) -> Any:
    """``real``, raising ENOSPC from its ``calls``-th call on."""
    count = {"n": 0}

    def fake(*args: Any, **kwargs: Any) -> Any:
        count["n"] += 1
        if count["n"] >= calls:
            return _enospc()
        return real(*args, **kwargs)

    return fake


class _FullFile:
    """A file on a disk that fills up after 100 kB."""

    def __init__(self, opened: Any) -> None:
        self._opened = opened
        self._written = 0

    def write(self, data: bytes) -> int:
        self._written += len(data)
        if self._written > 100_000:
            _enospc()
        return int(self._opened.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._opened, name)

    def __enter__(self) -> "_FullFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self._opened.close()


FULL = "became full; free some space or choose another place: nothing was left there."


@pytest.mark.parametrize("where", ["copying", "fsync", "zip-write", "iso-write"])
def test_a_disk_that_fills_up_leaves_nothing(
    two_patients: tuple[Library, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    """ENOSPC while a file is copied, when it is flushed, in the ZIP and in the ISO image:
    one sentence, and neither the copy nor a temporary file remains."""
    library, uids = two_patients
    media_format: Format = "folder"
    if where == "copying":
        monkeypatch.setattr(folder.os, "sendfile", _fail_after(os.sendfile, 5))
    elif where == "fsync":
        monkeypatch.setattr(folder.os, "fsync", _fail_after(os.fsync, 7))
    elif where == "zip-write":
        media_format = "zip"
        monkeypatch.setattr(archive.shutil, "copyfileobj", _fail_after(shutil.copyfileobj, 4))
    else:
        media_format = "iso"
        real_open = open

        def full_open(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            opened = real_open(path, mode, *args, **kwargs)
            return _FullFile(opened) if "+" in mode else opened  # the image being written

        from app.exporting import iso

        monkeypatch.setattr(iso, "open", full_open, raising=False)
    out = tmp_path / OUT_NAMES[media_format]
    with pytest.raises(ExportError) as caught:
        run_export(export_studies(uids, out, media_format, library))
    assert str(caught.value) == f"The disk holding {out} {FULL}"
    assert list(tmp_path.iterdir()) == []


def _mount_tmpfs(mount: Path, options: str) -> None:
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the injected errors cover the same code")
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)],
                          capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here ({done.stderr.strip()})")


def _unmount(mount: Path) -> None:
    if subprocess.run(["umount", str(mount)], capture_output=True, timeout=30).returncode:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=30)


@pytest.mark.parametrize("media_format", FORMATS)
def test_a_real_small_disk(
    two_patients: tuple[Library, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    media_format: Format,
) -> None:
    """A file system with 150 kB left: the export is refused up front; told there is
    room, it runs into the real ENOSPC and leaves the file system as it found it."""
    library, uids = two_patients
    mount = tmp_path / "small"
    _mount_tmpfs(mount, "size=6m")
    try:
        out = mount / OUT_NAMES[media_format]
        (mount / "filler").write_bytes(b"\0" * (6 * 1024 * 1024 - 150_000))
        assert "free but the copy needs about" in _refused(
            export_studies(uids, out, media_format, library))
        monkeypatch.setattr(target.shutil, "disk_usage", lambda path: _Usage(10**12))
        with pytest.raises(ExportError) as caught:
            run_export(export_studies(uids, out, media_format, library))
        assert str(caught.value) == f"The disk holding {out} {FULL}"
        assert sorted(p.name for p in mount.iterdir()) == ["filler"]
    finally:
        _unmount(mount)


def test_a_place_that_cannot_be_written(
    two_patients: tuple[Library, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only file system (as root, permissions alone would not stop the test)."""
    library, uids = two_patients
    mount = tmp_path / "readonly"
    _mount_tmpfs(mount, "ro,size=1m")
    try:
        for media_format in FORMATS:
            sentence = _refused(export_studies(uids, mount / OUT_NAMES[media_format],
                                               media_format, library))
            assert sentence == (f"Lightbox may not write in {mount}; choose a folder you "
                                "may write.")
    finally:
        _unmount(mount)


def test_permission_denied_says_so(
    two_patients: tuple[Library, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library, uids = two_patients

    def denied(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(target.tempfile, "mkdtemp", denied)
    assert _refused(export_studies(uids, tmp_path / "copy", "folder", library)) == (
        f"Lightbox may not write in {tmp_path}; choose a folder you may write.")


@pytest.mark.parametrize(("media_format", "phase", "after"), [
    ("folder", "copying", 3), ("zip", "copying", 3), ("iso", "copying", 3),
    ("iso", "packing", 1), ("folder", "copying", 0),
])
def test_a_cancelled_export_leaves_nothing(
    two_patients: tuple[Library, list[str]], tmp_path: Path, media_format: Format,
    phase: str, after: int,
) -> None:
    """Closing the job (what the GUI's Cancel and Ctrl+C do) removes the partial copy, in
    the middle of copying and while the ISO image is being written."""
    library, uids = two_patients
    out = tmp_path / OUT_NAMES[media_format]
    job = export_studies(uids, out, media_format, library)
    seen = 0
    for item in job:
        assert isinstance(item, ExportProgress), item
        if item.phase == phase:
            seen += 1
            if seen > after:
                break
    job.close()
    assert list(tmp_path.iterdir()) == []


# -- the library's files: missing ones, and files without File Meta ------------------------


def test_a_missing_stored_file_is_left_out_with_a_warning(tmp_path: Path) -> None:
    configure_pydicom()
    with Library(tmp_path / "home") as library:
        study = import_study(library, write_small_disc(tmp_path / "disc", seed=31))
        stored = study_files(library.home, study)
        gone, changed = sorted(stored)[:2]
        stored[gone].unlink()
        stored[changed].write_bytes(stored[changed].read_bytes()[:-10])
        report = run_export(export_studies([study], tmp_path / "copy", "folder", library))
    assert report.instances == len(stored) - 2
    assert {(w.sop_instance_uid, w.message) for w in report.warnings} == {
        (gone, MISSING), (changed, MISSING)}
    assert report.studies[0].left_out == 2
    assert dciodvfy_errors(tmp_path / "copy" / "DICOMDIR") == []


def test_when_nothing_can_be_exported_nothing_is_written(tmp_path: Path) -> None:
    configure_pydicom()
    with Library(tmp_path / "home") as library:
        study = import_study(library, write_small_disc(tmp_path / "disc", seed=32))
        for path in study_files(library.home, study).values():
            path.unlink()
        with pytest.raises(ExportError) as caught:
            run_export(export_studies([study], tmp_path / "copy", "folder", library))
    assert str(caught.value) == (
        "None of the 11 images could be put in the copy, so nothing was written; the first "
        f"one: {MISSING}")
    assert not (tmp_path / "copy").exists() and _leftovers(tmp_path) == []


# -- the transform seam (de-identification plugs in here) ----------------------------------


def test_a_transform_changes_the_copy_never_the_library(
    two_patients: tuple[Library, list[str]], tmp_path: Path
) -> None:
    """New UIDs and names in every data set: the copy and its DICOMDIR carry the new ones,
    the File Meta matches the new SOP Instance UID, the library is unchanged, the report
    carries the caller's ``deidentified``."""
    library, uids = two_patients
    before = library_hashes(library, uids[:1])
    new_study, new_series = generate_uid(), generate_uid()

    def rename(ds: Dataset) -> Dataset:
        ds.PatientName, ds.PatientID = "PSEUDO^NYM", "PSEUDO-1"
        ds.StudyInstanceUID, ds.SeriesInstanceUID = new_study, new_series
        ds.SOPInstanceUID = generate_uid()
        return ds

    out = tmp_path / "copy"
    report = run_export(export_studies(uids[:1], out, "folder", library, rename,
                                       deidentified=True))
    assert report.deidentified and report.warnings == ()
    assert report.studies[0].exported_as == new_study
    assert report.studies[0].series == 1
    assert library_hashes(library, uids[:1]) == before
    for path, data in folder_files(out).items():
        ds = dcmread(io.BytesIO(data), stop_before_pixels=path != "DICOMDIR")
        if path != "DICOMDIR":
            assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
            assert str(ds.PatientName) == "PSEUDO^NYM"
            assert ds.SOPInstanceUID not in before
    assert b"SAMPLE^PATIENT" not in (out / "DICOMDIR").read_bytes()
    assert dciodvfy_errors(out / "DICOMDIR") == []
    _, tree = scan_tree(out)
    assert list(tree) == [new_study] and len(tree[new_study][new_series]) == len(before)


def test_what_a_transform_leaves_out_is_a_warning_and_never_the_original(
    two_patients: tuple[Library, list[str]], tmp_path: Path
) -> None:
    library, uids = two_patients
    refs = sorted(library.study_instances(uids[0]), key=lambda r: r.sop_instance_uid)
    dropped, excluded, broken, unwritable = (r.sop_instance_uid for r in refs[:4])

    def transform(ds: Dataset) -> Dataset | None:
        if ds.SOPInstanceUID == dropped:
            return None
        if ds.SOPInstanceUID == unwritable:
            ds["Rows"].value = "many"  # no US can hold it
            return ds
        if ds.SOPInstanceUID == excluded:
            raise ExcludedFromExport("It may show the patient's name in its pixels.")
        if ds.SOPInstanceUID == broken:
            raise KeyError("DOE^JOHN")  # its text must not reach the warning
        return ds

    out = tmp_path / "copy"
    report = run_export(export_studies(uids[:1], out, "folder", library, transform))
    messages = {w.sop_instance_uid: w.message for w in report.warnings}
    # pydicom wraps what stopped the encoding in an OSError: never read as a full disk.
    assert messages.pop(unwritable) == ("It could not be written after being prepared for "
                                        "this copy (OSError), so it was left out.")
    assert messages == {
        dropped: LEFT_OUT,
        excluded: "It may show the patient's name in its pixels.",
        broken: "It could not be prepared for this copy (KeyError), so it was left out.",
    }
    assert report.instances == len(refs) - 4 and report.studies[0].left_out == 4
    exported = files_by_uid(folder_files(out))
    assert not {dropped, excluded, broken, unwritable} & set(exported)
    assert dciodvfy_errors(out / "DICOMDIR") == []


# -- real media from the corpus ------------------------------------------------------------

CORPUS_SOURCES = ("discs/clunie_charset", "discs/pydicom_dicomdirtests", "files/non_image",
                  "files/no_file_meta")


@pytest.fixture(scope="module")
def corpus_library(corpus: Path, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[tuple[Library, list[str]]]:
    """The corpus's character-set disc, pydicom's DICOMDIR test disc (several patients and
    studies), SR / RT / PDF / SEG objects and files without File Meta, imported."""
    from app.services.importing import import_media

    configure_pydicom()
    with Library(tmp_path_factory.mktemp("corpus-export") / "home") as library:
        for source in CORPUS_SOURCES:
            for _ in import_media(corpus / source, library):
                pass
        yield library, [row.study_instance_uid for row in library.list_studies()]


@pytest.mark.parametrize("media_format", FORMATS)
def test_corpus_media_export_cleanly(
    corpus_library: tuple[Library, list[str]], tmp_path: Path, media_format: Format
) -> None:
    """Real media from the wild: the DICOMDIR passes dciodvfy (with SR, RT, PDF and SEG
    records, names in ten character sets, keys the files lack); no file gains an error
    over the library's copy; every file is the library's byte for byte, or, for a file
    without File Meta, that header followed by the library's bytes; the scan finds
    exactly the library's studies."""
    library, uids = corpus_library
    out = tmp_path / OUT_NAMES[media_format]
    report = run_export(export_studies(uids, out, media_format, library))
    assert report.warnings == ()
    assert any("File Meta Information header" in note for note in report.notes)

    files = _files(out, media_format)
    unpacked = out if media_format == "folder" else write_files(files, tmp_path / "unpacked")
    assert dciodvfy_errors(unpacked / "DICOMDIR") == []
    assert len(walk_dicomdir(unpacked / "DICOMDIR")) == len(
        dcmread(unpacked / "DICOMDIR").DirectoryRecordSequence)
    record_types = {str(r.DirectoryRecordType)
                    for r in dcmread(unpacked / "DICOMDIR").DirectoryRecordSequence}
    assert {"SR DOCUMENT", "RT STRUCTURE SET", "ENCAP DOC", "RT PLAN", "IMAGE"} <= record_types

    stored = {uid: path for study in uids
              for uid, path in study_files(library.home, study).items()}
    exported = files_by_uid(files)
    assert set(exported) == set(stored)
    headers_added = 0
    for uid, (path, data) in exported.items():
        original = stored[uid].read_bytes()
        if data != original:
            assert data.endswith(original) and data[128:132] == b"DICM", path
            headers_added += 1
        if media_format == "folder":
            new_errors = set(dciodvfy_errors(unpacked / path)) - set(
                dciodvfy_errors(stored[uid]))
            assert not new_errors, (path, new_errors)
    assert headers_added >= 2

    scanned, tree = scan_tree(out)
    assert scanned.problems == ()
    assert tree == library_tree(library, uids)
