"""Hostile and broken media, and a library that lost files: never hang, never blow up,
never lose an image (issue 9, the integrity slice).

Every input is written by the test: a sample disc, hand-made DICOM files with absurd header
values, a folder that cannot be listed, a ZIP whose members claim absurd sizes, a folder
whose name is not UTF-8.
"""

import errno
import os
import shutil
import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from pydicom.datadict import keyword_dict
from pydicom.dataelem import RawDataElement
from pydicom.tag import Tag
from pydicom.uid import generate_uid

from app.core.errors import LibraryError
from app.core.models import InstanceRef
from app.library.library import Library
from app.media import sources
from app.services.scan import scan_report
from tests.library.helpers import (
    SMALL_IMAGES,
    ct_header,
    import_report,
    index_rows,
    object_files,
    run_import,
    store_problems,
    verify_report,
)

_verify = verify_report


# -- 1: re-importing repairs the store -------------------------------------------------------


def test_reimport_restores_missing_truncated_and_rotted_copies(
    small_disc: Path, library: Library
) -> None:
    """A deleted and a truncated stored file are restored by the next import (cheap check);
    one rotted without changing size is restored once `library verify` has flagged it."""
    assert import_report(small_disc, library).imported == SMALL_IMAGES
    rows = sorted(index_rows(library.home).values())
    gone, cut, rotted = (library.home / "store" / rows[i][0] for i in (1, 4, 8))
    gone.unlink()
    cut.write_bytes(cut.read_bytes()[:-10])
    data = bytearray(rotted.read_bytes())
    data[-1] ^= 0xFF
    rotted.write_bytes(bytes(data))

    report = import_report(small_disc, library)
    assert (report.imported, report.repaired, report.already_present) == (
        0, 2, SMALL_IMAGES - 2)
    assert report.failed == () and report.all_stored
    checked = _verify(library)
    assert [p.file for p in checked.problems] == [rows[8][0]]
    assert checked.sources == (str(small_disc),)

    report = import_report(small_disc, library)
    assert (report.repaired, report.already_present) == (1, SMALL_IMAGES - 1)
    assert _verify(library).problems == ()
    assert store_problems(library.home) == []
    assert library.damaged() == set()
    # Sound again: the next import neither hashes nor repairs anything.
    assert import_report(small_disc, library).already_present == SMALL_IMAGES


# -- 2: one absurd header value never aborts the import ------------------------------------


def _write_ct(path: Path, study: str, series: str, **values: str) -> str:
    """A small CT file; ``values`` are written raw (IS strings pydicom would refuse)."""
    ds = ct_header("ABSURD^VALUES", "ABSURD", study, series)
    ds.Rows = ds.Columns = 2
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = bytes(8)
    for keyword, raw in values.items():
        ds.add(RawDataElement(Tag(keyword_dict[keyword]), "IS", len(raw), raw.encode(),
                              0, False, True))
    ds.save_as(path, enforce_file_format=True)
    return str(ds.SOPInstanceUID)


@pytest.mark.filterwarnings("ignore:Invalid value for VR IS")
def test_absurd_numbers_are_stored_as_unknown(tmp_path: Path, library: Library) -> None:
    """SeriesNumber 1e300, NumberOfFrames 1e30, InstanceNumber -1e30 import as NULL, 1,
    NULL: the file is stored, not failed, and the import completes."""
    disc = tmp_path / "disc"
    disc.mkdir()
    study, series = generate_uid(), generate_uid()
    uid = _write_ct(disc / "IMG1", study, series, SeriesNumber="1e300 ",
                    NumberOfFrames="1e30", InstanceNumber="-1e30 ")
    normal = _write_ct(disc / "IMG2", study, series, SeriesNumber="2 ", InstanceNumber="7 ")
    report = import_report(disc, library)
    assert (report.imported, report.failed) == (2, ())
    with closing(sqlite3.connect(library.home / "library.sqlite")) as db:
        row = db.execute(
            "SELECT se.series_number, i.frames, i.instance_number FROM instances i"
            " JOIN series se ON i.series = se.id WHERE i.sop_uid = ?", (uid,)).fetchone()
        assert row == (None, 1, None)
        assert db.execute("SELECT instance_number FROM instances WHERE sop_uid = ?",
                          (normal,)).fetchone() == (7,)


@pytest.mark.parametrize("error", [
    OverflowError("Python int too large to convert to SQLite INTEGER"),
    sqlite3.IntegrityError("UNIQUE constraint failed: series.series_uid"),
    LibraryError("The library index could not be written: constraint failed."),
    ValueError("bad value"),
])
def test_an_index_error_fails_that_file_alone(
    small_disc: Path, library: Library, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    """Whatever indexing one file raises (but a full disk) becomes that file's failure in
    plain words; its stored copy does not linger unindexed; every other image imports."""
    victim: list[str] = []
    add_instance = Library.add_instance

    def failing(self: Library, ref: InstanceRef, *args: Any) -> None:
        if not victim or victim[0] == ref.sop_instance_uid:
            victim[:] = [ref.sop_instance_uid]
            raise error
        add_instance(self, ref, *args)

    monkeypatch.setattr(Library, "add_instance", failing)
    report = import_report(small_disc, library)
    assert report.imported == SMALL_IMAGES - 1
    assert [f.error.startswith("It could not be added to the library: ")
            for f in report.failed] == [True]
    assert not report.all_stored and report.not_stored == 1
    assert len(object_files(library.home)) == SMALL_IMAGES - 1
    assert store_problems(library.home) == []

    monkeypatch.setattr(Library, "add_instance", add_instance)
    again = import_report(small_disc, library)
    assert (again.imported, again.already_present, again.failed) == (1, SMALL_IMAGES - 1, ())


# -- 3: a folder that cannot be listed is reported, never silently skipped -------------------

DENIED = "This folder could not be read (Permission denied); the images in it are not included."


def deny_listing(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Listing ``folder`` fails with EACCES, as chmod 000 would for a non-root user (the
    tests run as root, who may list anything): the walk's own os.scandir call fails."""
    real = os.scandir

    def scandir(path: Any = ".") -> Any:
        if os.path.realpath(path) == os.path.realpath(folder):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


@pytest.mark.parametrize("with_dicomdir", [True, False])
def test_an_unreadable_folder_is_reported_by_scan_and_import(
    small_disc: Path, tmp_path: Path, library: Library, monkeypatch: pytest.MonkeyPatch,
    with_dicomdir: bool,
) -> None:
    """The 8-image series folder cannot be listed: scan names the folder (and with a
    DICOMDIR its 8 listed files as unreadable, not missing); import fails them and never
    says every image is stored."""
    disc = tmp_path / "disc"
    shutil.copytree(small_disc, disc)
    if not with_dicomdir:
        (disc / "DICOMDIR").unlink()
    folder = "PT000000/ST000000/SE000001"
    deny_listing(monkeypatch, disc / folder)

    report = scan_report(disc)
    problems = {(p.path, p.problem, p.detail) for p in report.problems}
    assert (folder, "unreadable", DENIED) in problems
    listed = {p for p in problems if p[0].startswith(folder + "/")}
    assert len(listed) == (8 if with_dicomdir else 0)
    assert all(kind == "unreadable" and "its folder could not be read (Permission denied)"
               in detail for _path, kind, detail in listed)
    assert report.instances == SMALL_IMAGES - 8

    imported = import_report(disc, library)
    assert imported.imported == SMALL_IMAGES - 8
    failed = {(f.path, f.kind) for f in imported.failed}
    assert (folder, "unreadable") in failed
    assert len(failed) == (9 if with_dicomdir else 1)
    assert not imported.all_stored and imported.not_stored >= 1


# -- 5: a folder name that is not UTF-8 --------------------------------------------------------


def test_a_disc_folder_whose_name_is_not_utf8_imports(
    small_disc: Path, tmp_path: Path, library: Library
) -> None:
    """b'disc\\xff\\xfe' (as Linux allows): every image imports, and the library records
    the source with the odd bytes escaped, as valid UTF-8."""
    disc = Path(os.fsdecode(os.fsencode(tmp_path) + b"/disc\xff\xfe"))
    shutil.copytree(small_disc, disc)
    # An unlisted second copy of an image, whose own name is not UTF-8 either.
    shutil.copy(disc / "PT000000" / "ST000000" / "SE000000" / os.listdir(
        disc / "PT000000" / "ST000000" / "SE000000")[0], os.fsencode(disc) + b"/x\xff")
    report = import_report(disc, library)
    assert (report.imported, report.already_present, report.failed) == (SMALL_IMAGES, 1, ())
    assert report.all_stored
    with closing(sqlite3.connect(library.home / "library.sqlite")) as db:
        labels = [label for (label,) in db.execute("SELECT label FROM sources")]
    assert labels == [os.fsencode(disc).decode("utf-8", "backslashreplace")]
    assert labels[0].endswith("/disc\\xff\\xfe")
    assert [r.source for r in library.list_studies()] == labels


# -- 4: ZIP members that claim absurd sizes ----------------------------------------------------


def _claim_size(archive: Path, member: str, size: int) -> None:
    """Rewrite the uncompressed size the central directory states for ``member``."""
    data = bytearray(archive.read_bytes())
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        length = int.from_bytes(data[at + 28:at + 30], "little")
        if bytes(data[at + 46:at + 46 + length]) == name:
            data[at + 24:at + 28] = size.to_bytes(4, "little")
        at = data.find(b"PK\x01\x02", at + 4)
    archive.write_bytes(bytes(data))


def test_zip_members_claiming_absurd_sizes_import_with_sane_totals(
    small_disc: Path, tmp_path: Path, library: Library
) -> None:
    """Every member claims 4 GiB: the free-space check and the progress totals believe at
    most what the archive can hold, and every image imports."""
    archive = tmp_path / "disc.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(small_disc.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(small_disc).as_posix())
    names = zipfile.ZipFile(archive).namelist()
    for name in names:
        _claim_size(archive, name, 0xFFFFFFFF)
    assert zipfile.ZipFile(archive).infolist()[0].file_size == 0xFFFFFFFF
    progress, report = run_import(archive, library)
    assert (report.imported, report.failed) == (SMALL_IMAGES, ())
    assert progress[-1].bytes_total <= archive.stat().st_size * 1000
    assert store_problems(library.home) == []


def test_a_zip_member_inflating_past_its_bound_fails_alone(
    small_disc: Path, tmp_path: Path, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member that unpacks past MAX_INFLATION times its compressed size (a ZIP bomb;
    lowered here so the test stays small) fails in one sentence; the others import."""
    monkeypatch.setattr(sources, "MAX_INFLATION", 50)
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(small_disc.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(small_disc).as_posix())
        zf.writestr("BOMB", bytes(4 * 1024 * 1024))
    report = import_report(archive, library)
    assert report.imported == SMALL_IMAGES
    assert [(f.path, f.error) for f in report.failed] == [(
        "BOMB", "It unpacks to far more than a ZIP member of its size can hold (a ZIP "
        "bomb?), so it was not read.")]
    assert store_problems(library.home) == []
