"""Schema v8: annotations saved per study, replaced whole, removed with their study."""

import math
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.pixels import apply_modality_lut

from app.core.errors import LibraryError
from app.library.audit import LOG_NAME
from app.library.library import Library
from app.library.schema import SCHEMA_VERSION
from app.services.annotation_values import to_csv
from app.services.annotations import Annotation, AnnotationDocument
from app.services.audit import read_audit
from app.services.library_service import LibraryService
from tests.library.helpers import import_report, write_small_disc


def _study(tmp_path: Path, home: Path) -> tuple[str, str, list[str]]:
    """Import the small sample disc; its study UID, a series UID and its image UIDs."""
    with Library(home) as library:
        import_report(write_small_disc(tmp_path / "disc"), library)
        (row,) = library.list_studies()
        files = library.study_instances(row.study_instance_uid)
    return row.study_instance_uid, files[0].series_instance_uid, \
        [f.sop_instance_uid for f in files]


def _drawn(study: str, series: str, images: list[str]) -> list[Annotation]:
    return [
        Annotation(kind="length", points=((0.1, 0.2), (10.25, 1e-3)), study_uid=study,
                   series_uid=series, sop_instance_uid=images[0]),
        Annotation(kind="text", points=((5, 5),), study_uid=study, series_uid=series,
                   sop_instance_uid=images[1], text="naïve “quote”, comma"),
        Annotation(kind="freehand", points=((1, 1), (9, 1), (5, 7.5)), study_uid=study,
                   series_uid=series, sop_instance_uid=images[0], frame=2),
    ]


def test_saved_annotations_survive_closing_and_reopening(tmp_path: Path) -> None:
    home = tmp_path / "home"
    study, series, images = _study(tmp_path, home)
    service = LibraryService(home)
    drawn = _drawn(study, series, images)
    service.save_annotations(study, drawn)
    assert LibraryService(home).annotations(study) == drawn
    service.save_annotations(study, drawn[1:])  # a save replaces the set
    assert service.annotations(study) == drawn[1:]
    assert service.annotations("9.9.9") == []


def test_the_document_saves_after_each_command_and_reloads(tmp_path: Path) -> None:
    home = tmp_path / "home"
    study, series, images = _study(tmp_path, home)
    document = LibraryService(home).annotation_document(study)
    assert document.persistent and document.annotations == ()
    first, second, third = _drawn(study, series, images)
    document.add(first)
    document.add(second)
    document.move(first.id, 1, 1)
    document.add(third)
    document.delete(second.id)
    assert document.save_error == ""
    reloaded = LibraryService(home).annotation_document(study)
    assert reloaded.annotations == document.annotations
    document.undo()  # the delete
    assert LibraryService(home).annotations(study) == list(document.annotations)
    assert [a.id for a in document.annotations] == [first.id, second.id, third.id]


def test_a_study_not_in_the_library_is_refused_and_nothing_is_written(home: Path) -> None:
    annotation = Annotation(kind="length", points=((0, 0), (1, 1)), study_uid="1.2.3",
                            series_uid="1.2.3.4", sop_instance_uid="1.2.3.4.5")
    with pytest.raises(LibraryError, match="not in the library"):
        LibraryService(home).save_annotations("1.2.3", [annotation])
    document = LibraryService(home).annotation_document("1.2.3")
    assert not document.persistent
    document.add(annotation)
    assert document.annotations == (annotation,) and document.save_error == ""
    assert not document.persist_to(LibraryService(home).annotation_saver("1.2.3"))
    assert document.annotations == (annotation,)  # kept in memory
    assert "not in the library" in document.save_error
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        assert db.execute("SELECT COUNT(*) FROM annotations").fetchone()[0] == 0


def test_a_failed_save_keeps_the_previous_set_whole(tmp_path: Path) -> None:
    home = tmp_path / "home"
    study, series, images = _study(tmp_path, home)
    drawn = _drawn(study, series, images)
    LibraryService(home).save_annotations(study, drawn[:1])
    # The same id twice breaks the primary key half-way through the inserts.
    with pytest.raises(LibraryError):
        LibraryService(home).save_annotations(study, [drawn[1], drawn[1]])
    assert LibraryService(home).annotations(study) == drawn[:1]


def test_annotations_go_with_their_study_and_are_not_audited(tmp_path: Path) -> None:
    home = tmp_path / "home"
    study, series, images = _study(tmp_path, home)
    service = LibraryService(home)
    service.save_annotations(study, _drawn(study, series, images))
    document = service.annotation_document(study)
    document.delete(document.annotations[0].id)
    document.undo()
    assert not (home / LOG_NAME).exists()  # drawing changes no image and shares nothing
    service.delete_study(study)
    log = read_audit(home, check=True)
    assert log.intact and [e.action for e in log.entries] == ["delete"]
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        assert db.execute("SELECT COUNT(*) FROM annotations").fetchone()[0] == 0


def test_a_version_7_library_gets_the_table_and_keeps_its_studies(tmp_path: Path) -> None:
    home = tmp_path / "home"
    study, series, images = _study(tmp_path, home)
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        # A true version 7 library: without what versions 8 and 10 added (9's table is
        # made only if missing).
        db.executescript("BEGIN;DROP TABLE annotations;"
                         "ALTER TABLE series DROP COLUMN body_part;"
                         "ALTER TABLE series DROP COLUMN protocol_name;"
                         "ALTER TABLE series DROP COLUMN contrast_agent;"
                         "ALTER TABLE series DROP COLUMN view_position;"
                         "ALTER TABLE studies DROP COLUMN institution;"
                         "PRAGMA user_version = 7;COMMIT;")
    service = LibraryService(home)
    assert [r.study_instance_uid for r in service.studies()] == [study]
    drawn = _drawn(study, series, images)
    service.save_annotations(study, drawn)
    assert service.annotations(study) == drawn
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 8


def test_a_damaged_row_is_one_sentence(tmp_path: Path) -> None:
    home = tmp_path / "home"
    study, series, images = _study(tmp_path, home)
    LibraryService(home).save_annotations(study, _drawn(study, series, images)[:1])
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        db.execute("UPDATE annotations SET points = '[[1, 2]]'")
        db.commit()
    with pytest.raises(LibraryError, match="damaged"):
        LibraryService(home).annotations(study)


def test_a_memory_only_document_is_kept_once_its_study_is_imported(tmp_path: Path) -> None:
    home = tmp_path / "home"
    service = LibraryService(home)
    disc = write_small_disc(tmp_path / "disc")
    with Library(tmp_path / "elsewhere") as other:
        import_report(disc, other)
        (row,) = other.list_studies()
        files = other.study_instances(row.study_instance_uid)
    study = row.study_instance_uid
    document = AnnotationDocument(study)  # viewing the disc: nothing is saved
    drawn = _drawn(study, files[0].series_instance_uid, [f.sop_instance_uid for f in files])
    for annotation in drawn:
        document.add(annotation)
    with Library(home) as library:
        import_report(disc, library)

    assert document.persist_to(service.annotation_saver(study))
    assert service.annotations(study) == drawn
    document.delete(drawn[0].id)
    assert service.annotations(study) == drawn[1:]


def test_a_studys_measurements_come_from_its_stored_images(tmp_path: Path) -> None:
    home = tmp_path / "home"
    study, series, images = _study(tmp_path, home)
    service = LibraryService(home)
    with Library(home) as library:
        stored = library.find(images[3])
        assert stored is not None
        path = library.store.path(stored.file)
    length = Annotation(kind="length", points=((0, 0), (30, 40)), study_uid=study,
                        series_uid=series, sop_instance_uid=images[3])
    square = Annotation(kind="rectangle", points=((8, 8), (24, 16)), study_uid=study,
                        series_uid=series, sop_instance_uid=images[3])
    label = Annotation(kind="text", points=((1, 1),), study_uid=study, series_uid=series,
                       sop_instance_uid=images[3], text="note")
    service.save_annotations(study, [length, label, square])
    rows = service.measurements(study)
    # The reference: the same image opened and measured directly.
    header = dcmread(path, stop_before_pixels=True)
    spacing = [float(v) for v in header.PixelSpacing]
    hu = apply_modality_lut(dcmread(path).pixel_array, dcmread(path))[8:16, 8:24]
    assert [r.kind for r in rows] == ["length", "rectangle"]
    assert rows[0].value == pytest.approx(math.hypot(30 * spacing[1], 40 * spacing[0]))
    assert rows[0].unit == "mm" and rows[1].unit == "HU"
    assert rows[1].mean == pytest.approx(float(hu.mean()))
    assert rows[1].sd == pytest.approx(float(hu.std(ddof=1))) and float(hu.std()) > 0
    assert rows[1].area == pytest.approx(16 * 8 * spacing[0] * spacing[1])
    assert to_csv(rows).count("\r\n") == 3
