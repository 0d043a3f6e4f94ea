"""`import_media`: every image on the medium safe in the library, whatever goes wrong.

The discs are the real corpus discs and generated sample discs, as folders, ISO images and
ZIP files. Faults are injected where the operating system would raise them (a scratched
sector, a full disk); one test fills a real size-limited file system. After each import
the library is inspected from the outside (tests/library/helpers.py): whole files named by
their hash, an index row only with its file, nothing left in staging.
"""

import errno
import gc
import io
import os
import shutil
import sqlite3
import stat
import struct
import subprocess
import tracemalloc
import zipfile
from collections.abc import Generator
from pathlib import Path
from typing import IO, Any, NamedTuple

import pytest
from pydicom import dcmread
from pydicom.uid import generate_uid

from app.core.errors import LibraryError
from app.core.models import ScanReport
from app.library import library as library_module
from app.library import store as store_module
from app.library.library import Library
from app.library.store import RESERVE_BYTES, FileStore
from app.media.directories import MISSING_DETAIL, OUTSIDE_DETAIL
from app.media.sources import FolderSource, MediaEntry
from app.samples.disc_writer import write_sample_disc
from app.services.importing import (
    NOT_IMPORTED_DISK_FULL,
    CommittedImage,
    ImportReport,
    import_media,
)
from app.services.scan import scan_report
from tests.library.helpers import (
    SMALL_IMAGES,
    conflict_rows,
    ct_header,
    disc_images,
    import_report,
    index_rows,
    make_iso,
    make_zip,
    object_files,
    run_import,
    sha256_of,
    store_problems,
    verify_report,
)

EIO_SENTENCE = "It could not be read from the disc (Input/output error)."
CONFLICT_SENTENCE = (
    "The library already holds a different version of this image; both are kept, "
    "the stored one is unchanged."
)
FULL_WHILE_WRITING = (
    "The disk holding the library became full; free some space and import again: "
    "nothing already imported is lost."
)
FULL_AT_INDEX = (
    "The disk holding the library is full; free some space and import again: "
    "nothing already imported is lost."
)




_verify = verify_report


def _scan_uids(report: ScanReport) -> set[str]:
    return {
        ref.sop_instance_uid
        for patient in report.patients for study in patient.studies
        for series in study.series for ref in series.instances
    }


def _as(form: str, disc: Path, tmp_path: Path) -> Path:
    """The disc as the user hands it over: the folder, an ISO image or a ZIP file."""
    if form == "iso":
        return make_iso(disc, tmp_path / f"{disc.name}.iso")
    if form == "zip":
        return make_zip(disc, tmp_path / f"{disc.name}.zip")
    return disc


# -- corpus and sample discs --------------------------------------------------------------

# disc: (images imported, files reported missing). Missing files are the DICOMDIR's
# references that are not on the (trimmed or orphaned) disc.
CORPUS_DISCS = {
    "clunie_charset": (11, 0),
    "dwv_bbmri_lowercase": (6, 0),
    "orphan_nema_rle_dicomdir": (0, 20),
    "orphan_orthanc_media_dicomdir": (0, 44),
    "orphan_philips_ct_root_dicomdir": (0, 433),
    "philips_ct_dirfile_trimmed": (55, 378),
    "pydicom_dicomdirtests": (31, 0),
    "pydicom_tiny_alpha": (50, 0),
}


@pytest.mark.parametrize("form", ["folder", "iso", "zip"])
@pytest.mark.parametrize("name", sorted(CORPUS_DISCS))
def test_corpus_disc_imports_every_readable_image(
    corpus: Path, tmp_path: Path, library: Library, name: str, form: str
) -> None:
    """Every image a scan can read is imported once; each missing file is a failure;
    importing the disc again finds everything already present."""
    imported, missing = CORPUS_DISCS[name]
    source = _as(form, corpus / "discs" / name, tmp_path)
    report = import_report(source, library)
    assert (report.imported, report.already_present, report.conflicts) == (imported, 0, 0)
    assert len(report.failed) == missing
    assert {f.error for f in report.failed} <= {MISSING_DETAIL}
    assert report.stopped == ""
    scan = scan_report(source)
    assert set(index_rows(library.home)) == _scan_uids(scan)
    names = {(r.patient_id, r.patient_name) for r in library.list_studies()}
    assert names == {(p.patient_id, p.patient_name) for p in scan.patients}
    assert store_problems(library.home) == []

    again = import_report(source, library)
    assert (again.imported, again.already_present, len(again.failed)) == (0, imported, missing)
    assert len(index_rows(library.home)) == imported
    assert len(object_files(library.home)) == imported


@pytest.mark.parametrize("form", ["folder", "iso", "zip"])
def test_sample_disc_is_copied_byte_for_byte(
    small_disc: Path, tmp_path: Path, library: Library, form: str
) -> None:
    """All 11 images are stored with the very bytes of the disc, one study of 3 series,
    and progress counts every file up to the total."""
    source = _as(form, small_disc, tmp_path)
    progress, report = run_import(source, library)
    assert (report.imported, report.already_present, report.failed) == (SMALL_IMAGES, 0, ())
    on_disc = disc_images(small_disc)
    assert {uid: sha for uid, (_, _, sha) in index_rows(library.home).items()} == on_disc
    [study] = library.list_studies()
    assert (study.series, study.instances, study.modalities) == (3, SMALL_IMAGES, ("CT",))
    assert report.study_instance_uids == (study.study_instance_uid,)
    assert [p.done for p in progress] == list(range(1, SMALL_IMAGES + 1))
    assert {p.total for p in progress} == {SMALL_IMAGES}
    assert progress[-1].bytes_done == progress[-1].bytes_total > SMALL_IMAGES * 9000
    assert progress[-1].imported == SMALL_IMAGES
    assert _verify(library).problems == ()
    assert store_problems(library.home) == []


@pytest.mark.parametrize(
    ("pick", "expected"),
    [("DICOMDIR", SMALL_IMAGES), ("PT000000/ST000000/SE000002/IM000001", 1)],
    ids=["the-DICOMDIR", "one-image-file"],
)
def test_pointing_at_a_dicomdir_or_a_single_file(
    small_disc: Path, library: Library, pick: str, expected: int
) -> None:
    """The user may name the DICOMDIR (the whole disc is imported) or one image file."""
    report = import_report(small_disc / pick, library)
    assert (report.imported, report.failed) == (expected, ())
    assert len(index_rows(library.home)) == expected
    assert store_problems(library.home) == []


def test_a_conflicting_version_is_kept_and_never_replaces_the_original(
    small_disc: Path, tmp_path: Path, library: Library
) -> None:
    """Same SOP Instance UID, different bytes: reported, stored beside the original,
    recorded once in the conflicts table; the original row and file are unchanged."""
    import_report(small_disc, library)
    original_path = small_disc / "PT000000/ST000000/SE000001/IM000003"
    ds = dcmread(original_path)
    ds.ImageComments = "Re-exported by another workstation"
    other_disc = tmp_path / "other"
    other_disc.mkdir()
    ds.save_as(other_disc / "IMG0001")
    uid = str(ds.SOPInstanceUID)
    before = index_rows(library.home)[uid]

    for _ in range(2):  # a second import of the same version adds no second record
        report = import_report(other_disc, library)
        assert (report.imported, report.already_present, report.conflicts) == (0, 0, 1)
        assert [(f.path, f.error) for f in report.failed] == [("IMG0001", CONFLICT_SENTENCE)]

    assert index_rows(library.home)[uid] == before
    assert sha256_of(library.store.path(before[0])) == sha256_of(original_path) == before[2]
    new_sha = sha256_of(other_disc / "IMG0001")
    assert new_sha != before[2]
    assert conflict_rows(library.home) == [(uid, f"objects/{new_sha[:2]}/{new_sha}.dcm", new_sha)]
    assert store_problems(library.home) == []
    assert len(object_files(library.home)) == SMALL_IMAGES + 1


# -- read errors and damaged files ----------------------------------------------------------


class _ScratchedFile(io.RawIOBase):
    """A file on a scratched disc: readable up to ``good`` bytes, then EIO."""

    def __init__(self, stream: IO[bytes], good: int) -> None:
        self._stream = stream
        self._left = good

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        data = self._stream.read(min(len(buffer), self._left))
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def test_read_errors_fail_only_their_files(
    small_disc: Path, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EIO while opening or in the middle of a file: that file fails in one sentence, the
    others are imported, nothing partial is kept; a second pass on a good drive completes."""
    bad_after = {
        "PT000000/ST000000/SE000001/IM000002": 0,  # the first read fails
        "PT000000/ST000000/SE000001/IM000005": 5000,  # fails half-way
    }
    bad_open = "PT000000/ST000000/SE000002/IM000001"
    real_open = FolderSource.open

    def scratched_open(self: FolderSource, entry: MediaEntry) -> IO[bytes]:
        if entry.path == bad_open:
            raise OSError(errno.EIO, os.strerror(errno.EIO), entry.path)
        stream = real_open(self, entry)
        if entry.path in bad_after:
            return io.BufferedReader(_ScratchedFile(stream, bad_after[entry.path]))
        return stream

    monkeypatch.setattr(FolderSource, "open", scratched_open)
    report = import_report(small_disc, library)
    failed = {f.path: f.error for f in report.failed}
    assert failed == dict.fromkeys([*bad_after, bad_open], EIO_SENTENCE)
    assert (report.imported, report.stopped) == (SMALL_IMAGES - 3, "")
    assert store_problems(library.home) == []
    assert len(object_files(library.home)) == SMALL_IMAGES - 3

    monkeypatch.setattr(FolderSource, "open", real_open)
    again = import_report(small_disc, library)
    assert (again.imported, again.already_present, again.failed) == (3, SMALL_IMAGES - 3, ())
    assert {u: s for u, (_, _, s) in index_rows(library.home).items()} == disc_images(small_disc)


def _damage_member(archive: Path, member: str, offset: int) -> None:
    """Flip bytes inside one member's stored data (its CRC no longer matches)."""
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(member)
    data = bytearray(archive.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + offset
    for i in range(16):
        data[start + i] ^= 0x5A
    archive.write_bytes(bytes(data))


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED],
                         ids=["stored-crc", "deflated"])
def test_a_damaged_zip_member_fails_alone(
    small_disc: Path, tmp_path: Path, library: Library, compression: int
) -> None:
    """A ZIP member whose data is damaged fails with a sentence; the rest is imported."""
    archive = make_zip(small_disc, tmp_path / "disc.zip", compression)
    damaged = "PT000000/ST000000/SE000001/IM000004"
    _damage_member(archive, damaged, 40)
    report = import_report(archive, library)
    [failure] = report.failed
    assert failure.path == damaged
    assert failure.error.startswith("The copy of this file in the ZIP file is damaged (")
    assert failure.error.endswith(").") and "\n" not in failure.error
    assert report.imported == SMALL_IMAGES - 1
    assert store_problems(library.home) == []


def test_damaged_junk_and_escaping_files(
    small_disc: Path, tmp_path: Path, library: Library
) -> None:
    """A truncated image and a link leading off the disc fail with their reason; a
    program file beside the images is ignored; nothing of them is stored."""
    disc = tmp_path / "usb"
    shutil.copytree(small_disc / "PT000000/ST000000/SE000001", disc)
    cut = disc / "IM000003"
    cut.write_bytes(cut.read_bytes()[:-2000])
    (disc / "VIEWER.EXE").write_bytes(b"MZ" + b"\0" * 500)
    secret = tmp_path / "outside.dcm"
    shutil.copy(small_disc / "PT000000/ST000000/SE000000/IM000000", secret)
    (disc / "LINK").symlink_to(secret)

    report = import_report(disc, library)
    failed = {f.path: f.error for f in report.failed}
    assert set(failed) == {"IM000003", "LINK"}
    assert failed["IM000003"].startswith("The file is truncated: its image needs ")
    assert failed["LINK"] == OUTSIDE_DETAIL
    assert report.imported == 7
    assert store_problems(library.home) == []
    assert sha256_of(secret) not in {sha for _, _, sha in index_rows(library.home).values()}


# -- a full disk --------------------------------------------------------------------------

FAULT_AT = 5  # the fifth image finds the disk full


class _Usage(NamedTuple):
    total: int
    used: int
    free: int


def _fill_while_writing(monkeypatch: pytest.MonkeyPatch, library: Library) -> str:
    """ENOSPC part-way through copying the FAULT_AT-th image into staging."""
    real_open = open
    opened = {"count": 0}

    class FillingFile:
        """The staged copy of the FAULT_AT-th image hits ENOSPC after some bytes."""

        def __init__(self, path: Path) -> None:
            opened["count"] += 1
            self._fh = real_open(path, "wb")
            self._full = opened["count"] >= FAULT_AT

        def write(self, data: bytes) -> int:
            if self._full:
                self._fh.write(data[:3000])
                self._fh.flush()
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return self._fh.write(data)

        def __enter__(self) -> "FillingFile":
            return self

        def __exit__(self, *exc: object) -> None:
            self._fh.close()

    def fake_open(path: Path, mode: str = "r", *args: Any) -> Any:
        return FillingFile(path) if mode == "wb" else real_open(path, mode, *args)

    monkeypatch.setattr(store_module, "open", fake_open, raising=False)
    return FULL_WHILE_WRITING


def _fill_at_fsync(monkeypatch: pytest.MonkeyPatch, library: Library) -> str:
    """ENOSPC from fsync of the FAULT_AT-th image (delayed allocation, network disks)."""
    real_fsync = os.fsync
    synced = {"files": 0}

    def fsync(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            synced["files"] += 1
            if synced["files"] >= FAULT_AT:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return FULL_WHILE_WRITING


def _fill_before_copying(monkeypatch: pytest.MonkeyPatch, library: Library) -> str:
    """Only the reserve left when the FAULT_AT-th image is about to be copied."""
    asked = {"count": 0}
    room = RESERVE_BYTES + 10 * 1024 * 1024

    def disk_usage(path: object) -> _Usage:
        asked["count"] += 1
        free = room if asked["count"] < FAULT_AT else RESERVE_BYTES + 1000
        return _Usage(room * 4, room * 4 - free, free)

    monkeypatch.setattr(shutil, "disk_usage", disk_usage)
    return (
        f"The disk holding the library is full ({RESERVE_BYTES // (1024 * 1024)} MB free); "
        "free some space and import again: nothing already imported is lost."
    )


class _IndexOnAFullDisk:
    """The library's SQLite connection, failing as SQLite does when the disk is full."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._rows = 0

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.startswith("INSERT INTO instances"):
            self._rows += 1
            if self._rows >= FAULT_AT:
                raise sqlite3.OperationalError("database or disk is full")
        return self._db.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def _fill_at_index(monkeypatch: pytest.MonkeyPatch, library: Library) -> str:
    """SQLITE_FULL when the FAULT_AT-th image (already stored) is being indexed."""
    monkeypatch.setattr(library, "_db", _IndexOnAFullDisk(library._db))
    return FULL_AT_INDEX


@pytest.mark.parametrize(
    ("fill", "unindexed"),
    [(_fill_while_writing, 0), (_fill_at_fsync, 0), (_fill_before_copying, 0),
     (_fill_at_index, 1)],
    ids=["ENOSPC-writing", "ENOSPC-at-fsync", "no-room-left", "index-full"],
)
def test_a_full_disk_stops_the_import_cleanly(
    small_disc: Path, library: Library, monkeypatch: pytest.MonkeyPatch, fill: Any,
    unindexed: int,
) -> None:
    """The import stops with one sentence; what was imported is whole and verifies; every
    other image is listed as not imported; once there is room, importing again completes.
    (When the index is what fails, the image already stored waits whole, unnamed by the
    index, and the next import adopts it.)"""
    sentence = fill(monkeypatch, library)
    report = import_report(small_disc, library)
    assert report.stopped == sentence
    assert report.imported == FAULT_AT - 1
    assert len(report.failed) == SMALL_IMAGES - report.imported
    assert {f.error for f in report.failed} == {NOT_IMPORTED_DISK_FULL}
    imported = set(index_rows(library.home))
    assert len(imported) == FAULT_AT - 1
    verified = _verify(library)
    assert (verified.checked, verified.problems) == (FAULT_AT - 1, ())
    assert store_problems(library.home) == []
    assert len(object_files(library.home)) == FAULT_AT - 1 + unindexed

    monkeypatch.undo()
    again = import_report(small_disc, library)
    assert (again.imported, again.already_present, again.failed) == (
        SMALL_IMAGES - FAULT_AT + 1, FAULT_AT - 1, ()
    )
    assert set(index_rows(library.home)) == set(disc_images(small_disc))
    assert len(object_files(library.home)) == SMALL_IMAGES


class _CommitOnAFullDisk:
    """The library's connection, whose second batch commit fails as on a full disk."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self.commits = 0

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "COMMIT":
            self.commits += 1
            if self.commits == 3:  # add_source, then the first batch of four
                raise sqlite3.OperationalError("database or disk is full")
        return self._db.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def test_rows_lost_with_a_failed_commit_are_not_counted_as_imported(
    small_disc: Path, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Index rows are committed four at a time here; the second commit fails. Those four
    images are then reported as not imported (never "safe to eject"), the rest too, the
    index holds exactly the first four, and importing again completes."""
    from app.library import library as library_module

    monkeypatch.setattr(library_module, "BATCH_WRITES", 4)
    monkeypatch.setattr(library_module, "BATCH_SECONDS", 3600.0)
    monkeypatch.setattr(library, "_db", _CommitOnAFullDisk(library._db))
    report = import_report(small_disc, library)
    assert report.stopped.startswith("The disk holding the library is full")
    assert report.imported == 4 and not report.all_stored
    assert len(report.failed) == SMALL_IMAGES - 4
    assert {f.error for f in report.failed} == {NOT_IMPORTED_DISK_FULL}
    assert len(index_rows(library.home)) == 4
    verified = _verify(library)
    assert (verified.checked, verified.problems) == (4, ())

    monkeypatch.undo()
    again = import_report(small_disc, library)
    assert (again.imported, again.already_present, again.failed) == (SMALL_IMAGES - 4, 4, ())
    assert again.all_stored
    assert set(index_rows(library.home)) == set(disc_images(small_disc))
    assert len(object_files(library.home)) == SMALL_IMAGES


def _mount_tmpfs(mount: Path, size: str) -> None:
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
        capture_output=True, text=True, timeout=30,
    )
    if result.returncode != 0:
        pytest.skip(
            "mounting a size-limited tmpfs is not permitted here "
            f"({result.stderr.strip() or result.returncode}); the injected ENOSPC tests "
            "cover the same code"
        )


def _unmount(mount: Path) -> None:
    if subprocess.run(["umount", str(mount)], capture_output=True, timeout=30).returncode:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=30)


def test_a_real_tiny_file_system_fills_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An 8 MB file system and a 16 MB disc. With the reserve, nothing is even tried;
    without it, the real ENOSPC (in the copy or in SQLite) stops the import cleanly; after
    the disk grows, importing again completes the library exactly."""
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root; injected ENOSPC covers it")
    disc = tmp_path / "disc"
    write_sample_disc(disc, slices=24, rows=512, columns=512, seed=3)  # 31 images, 16 MB
    images = disc_images(disc)
    mount = tmp_path / "small"
    _mount_tmpfs(mount, "8m")
    try:
        with Library(mount / "home") as library:
            refused = import_report(disc, library)
            assert refused.imported == 0
            assert refused.stopped.startswith("The disk holding the library is full (")
            assert len(refused.failed) == len(images)

            monkeypatch.setattr(store_module, "RESERVE_BYTES", 0)
            monkeypatch.setattr(FileStore, "ensure_room", lambda self, size: None)
            full = import_report(disc, library)
            assert full.stopped in {FULL_WHILE_WRITING, FULL_AT_INDEX}
            assert 0 < full.imported < len(images)
            assert len(full.failed) == len(images) - full.imported
            verified = _verify(library)
            assert (verified.checked, verified.problems) == (full.imported, ())
            assert store_problems(library.home) == []

            subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True,
                           timeout=30)
            done = import_report(disc, library)
            assert (done.imported, done.already_present, done.failed) == (
                len(images) - full.imported, full.imported, ()
            )
            assert {u: s for u, (_, _, s) in index_rows(library.home).items()} == images
            assert store_problems(library.home) == []
    finally:
        _unmount(mount)


# -- cancel, memory -------------------------------------------------------------------------


def test_stopping_the_iteration_cancels_cleanly(small_disc: Path, tmp_path: Path) -> None:
    """Closing the generator after 3 files keeps those 3, leaves nothing half-written and
    lets the next import take the library."""
    with Library(tmp_path / "home") as library:
        job = import_media(small_disc, library)
        assert isinstance(job, Generator)  # what the GUI's cancel closes
        for _ in range(3):
            next(job)
        job.close()
        assert len(index_rows(library.home)) == 3
        assert store_problems(library.home) == []
        with Library(tmp_path / "home") as other:
            report = import_report(small_disc, other)
        assert (report.imported, report.already_present) == (SMALL_IMAGES - 3, 3)


def test_committed_images_are_told_once_their_rows_are_committed(
    small_disc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``on_committed`` hears of each image once, only when its row can be read from
    another connection (committed, as an uploader needs), in groups; on a second import
    every image is told at once as already present, with the same stored copy."""
    monkeypatch.setattr(library_module, "BATCH_WRITES", 4)
    told: list[list[CommittedImage]] = []

    def on_committed(images: list[CommittedImage]) -> None:
        committed = index_rows(tmp_path / "home")  # Its own read-only connection.
        for image in images:
            row = committed[image.stored.sop_instance_uid]
            assert row == (image.stored.file, image.stored.size, image.stored.sha256)
            assert image.instance.sop_instance_uid == image.stored.sop_instance_uid
        told.append(images)

    with Library(tmp_path / "home") as library:
        for _ in import_media(small_disc, library, on_committed=on_committed):
            pass
        first = [i.stored for group in told for i in group]
        assert len(first) == len({i.sop_instance_uid for i in first}) == SMALL_IMAGES
        assert max(len(group) for group in told) <= 4 and len(told) >= 3
        told.clear()
        for _ in import_media(small_disc, library, on_committed=on_committed):
            pass
        assert [len(group) for group in told] == [1] * SMALL_IMAGES
        assert {i.stored for group in told for i in group} == set(first)


def test_a_second_import_into_a_busy_library_is_refused(small_disc: Path, tmp_path: Path) -> None:
    """While one import runs, a second one raises LibraryError before touching anything."""
    with Library(tmp_path / "home") as first, Library(tmp_path / "home") as second:
        running = import_media(small_disc, first)
        next(running)
        with pytest.raises(LibraryError, match="Another import into this library is running"):
            import_report(small_disc, second)
        assert isinstance(list(running)[-1], ImportReport)


def _write_big_dicom(path: Path, frames: int) -> int:
    """A valid multi-frame CT of ``frames`` 512 x 512 frames, written without holding it."""
    ds = ct_header("BIG^FILE", "BIG", generate_uid(), generate_uid())
    ds.Rows = ds.Columns = 512
    ds.NumberOfFrames = frames
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.save_as(path, enforce_file_format=True)
    length = 512 * 512 * 2 * frames
    frame = bytes(range(256)) * (512 * 512 * 2 // 256)
    with open(path, "ab") as fh:
        fh.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, length))
        for _ in range(frames):
            fh.write(frame)
    return path.stat().st_size


def _peak_traced_bytes(source: Path, home: Path) -> tuple[int, ImportReport]:
    with Library(home) as library:
        gc.collect()
        tracemalloc.start()
        try:
            report = import_report(source, library)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return peak, report


def test_memory_stays_flat_with_a_200_mb_file(small_disc: Path, tmp_path: Path) -> None:
    """One 200 MB image is streamed in chunks: the import's peak allocation stays under
    20 MB, within a few MB of what 8 small images need."""
    big = tmp_path / "big" / "IMG0001"
    big.parent.mkdir()
    # Images only: reading a DICOMDIR reserves its size limit for a moment (read(n)
    # allocates n up front), which would hide what the image copy itself holds.
    small = shutil.copytree(small_disc / "PT000000/ST000000/SE000001", tmp_path / "small")
    try:
        size = _write_big_dicom(big, frames=400)
        assert size > 200 * 1024 * 1024
        _peak_traced_bytes(small, tmp_path / "warm")  # first imports, caches
        small_peak, _ = _peak_traced_bytes(small, tmp_path / "small-home")
        big_peak, report = _peak_traced_bytes(big.parent, tmp_path / "big-home")
        assert (report.imported, report.failed) == (1, ())
        assert big_peak < 20 * 1024 * 1024, f"peak {big_peak / 1e6:.1f} MB"
        assert big_peak < small_peak + 4 * 1024 * 1024, (big_peak, small_peak)
        assert store_problems(tmp_path / "big-home") == []
    finally:
        shutil.rmtree(tmp_path / "big", ignore_errors=True)
        shutil.rmtree(tmp_path / "big-home", ignore_errors=True)
