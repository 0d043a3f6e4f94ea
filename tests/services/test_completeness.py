"""Completeness: images a medium lists but that could not be imported are remembered per
study, and the import report says how many of the medium's images are stored."""

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from pydicom import dcmread

from app.library.library import Library
from app.library.schema import MIGRATIONS, SCHEMA_VERSION
from app.services.importing import ImportReport, import_media
from tests.library.helpers import SMALL_IMAGES, write_small_disc


def _import(disc: Path, home: Path) -> ImportReport:
    with Library(home) as library:
        for item in import_media(disc, library):
            if isinstance(item, ImportReport):
                return item
    raise AssertionError("no report")


def _study_row(home: Path) -> tuple[int, bool, int]:
    with Library(home) as library:
        (row,) = library.list_studies()
        return row.missing_on_source, row.complete, row.instances


def _image_files(disc: Path) -> list[Path]:
    return sorted(p for p in disc.rglob("*") if p.is_file() and p.name != "DICOMDIR")


def test_listed_images_that_were_missing_are_counted_until_a_reimport_stores_them(
    tmp_path: Path,
) -> None:
    disc = write_small_disc(tmp_path / "disc")
    aside = tmp_path / "aside"
    aside.mkdir()
    taken = _image_files(disc)[-3:]
    for path in taken:
        shutil.move(path, aside / path.name)
    home = tmp_path / "home"

    report = _import(disc, home)
    assert (report.listed, report.images, report.stored) == (SMALL_IMAGES, SMALL_IMAGES,
                                                            SMALL_IMAGES - 3)
    assert report.not_stored == 3
    assert not report.all_stored
    assert _study_row(home) == (3, False, SMALL_IMAGES - 3)

    # Two come back: a second import of the same medium stores them.
    for path in taken[:2]:
        shutil.move(aside / path.name, path)
    report = _import(disc, home)
    assert (report.imported, report.already_present, report.stored) == (2, SMALL_IMAGES - 3,
                                                                        SMALL_IMAGES - 1)
    assert _study_row(home) == (1, False, SMALL_IMAGES - 1)

    # The last one is stored from another medium (a loose file): complete.
    last = aside / taken[2].name
    report = _import(last, home)
    assert report.imported == 1 and report.all_stored
    assert _study_row(home) == (0, True, SMALL_IMAGES)


def test_an_unreadable_listed_image_counts_as_missing(tmp_path: Path) -> None:
    disc = write_small_disc(tmp_path / "disc")
    victim = _image_files(disc)[0]
    victim.write_bytes(victim.read_bytes()[:400])  # cut short
    home = tmp_path / "home"
    report = _import(disc, home)
    assert report.stored == SMALL_IMAGES - 1 and not report.all_stored
    assert _study_row(home)[:2] == (1, False)


def test_a_complete_medium_is_all_stored_also_when_imported_again(tmp_path: Path) -> None:
    disc = write_small_disc(tmp_path / "disc")
    home = tmp_path / "home"
    assert _import(disc, home).all_stored
    again = _import(disc, home)
    assert again.imported == 0 and again.already_present == SMALL_IMAGES
    assert again.all_stored and again.stored == again.images == SMALL_IMAGES
    assert _study_row(home) == (0, True, SMALL_IMAGES)


def test_a_medium_without_images_is_never_all_stored(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "autorun.inf").write_text("[autorun]\n")
    report = _import(folder, tmp_path / "home")
    assert report.images == 0 and not report.all_stored


def test_the_trimmed_philips_disc_is_incomplete(corpus: Path, tmp_path: Path) -> None:
    # 433 images listed, 378 trimmed away: 63 of them belong to the study whose other 55
    # images are on the disc, 315 to a study of which no image is left (so no study row).
    home = tmp_path / "home"
    report = _import(corpus / "discs" / "philips_ct_dirfile_trimmed", home)
    assert (report.listed, report.images, report.stored) == (433, 433, 55)
    assert report.not_stored == 378 and not report.all_stored
    with Library(home) as library:
        (row,) = library.list_studies()
    assert (row.instances, row.missing_on_source, row.complete) == (55, 63, False)


def test_a_version_1_library_is_migrated_and_keeps_its_studies(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        db.executescript("BEGIN;" + MIGRATIONS[0] + "PRAGMA user_version = 1;COMMIT;")
    disc = write_small_disc(tmp_path / "disc")
    uid = str(dcmread(_image_files(disc)[0], stop_before_pixels=True).StudyInstanceUID)
    assert _import(disc, home).all_stored
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 2
    with Library(home) as library:
        assert library.missing_on_source(uid) == 0
