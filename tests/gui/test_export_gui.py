"""Export... in the window: the dialog writes a folder, a ZIP file or a disc image that
Lightbox's own scan reads back, Cancel leaves nothing, the result names the place and
shows the folder; without the name, no byte of the copy carries the patient, and the
pictures that may have writing in them are reviewed first: left out by default, included
when chosen, or blacked out by a rule drawn with the mouse and applied to their kind."""

import io
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydicom import dcmread
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

import app.services.exporting as exporting
from app.gui.blackout_editor import BlackoutEditor
from app.gui.export_dialog import CHOOSE, RESULT, REVIEW, ExportDialog
from app.gui.library_view import UID_ROLE
from app.gui.main_window import MainWindow
from app.library.library import Library
from app.services.copy_review import BLACK_OUT, EXCLUDE, INCLUDE
from app.services.library_service import LibraryService
from app.services.privacy import Privacy
from tests.support.burned_in import BANNER, BANNER_VALUE, import_burned_in
from tests.support.cloud_fixtures import DiscMaker, discs
from tests.support.exports import (
    folder_files,
    iso_files,
    library_tree,
    scan_tree,
    zip_files,
)
from tests.support.studies import import_study

__all__ = ["discs"]

TIMEOUT = 60_000
# What the sample disc says about its patient, study and place (app.samples.disc_writer).
SAMPLE_IDENTITY = [b"sample^patient", b"lightbox-sample", b"lbsample1", b"sample^referrer",
                   b"lightbox sample disc", b"19700101", b"20240102"]


@pytest.fixture
def study(lightbox_home: Path, discs: DiscMaker) -> str:
    """A small CT study (11 images) in the library of LIGHTBOX_HOME."""
    with Library(lightbox_home) as library:
        return import_study(library, discs())


@pytest.fixture
def with_ultrasound(lightbox_home: Path, discs: DiscMaker, study: str,
                    tmp_path: Path) -> list[str]:
    """Two ultrasound pictures with a bright banner, in the same study as the CT."""
    with Library(lightbox_home) as library:
        return import_burned_in(library, discs(), tmp_path / "us", "US", count=2)


def _dialog(qtbot: QtBot, home: Path, uids: list[str], out: Path,
            without_name: bool = False) -> ExportDialog:
    out.mkdir(parents=True, exist_ok=True)
    dialog = ExportDialog(uids, Privacy(), LibraryService(home), without_name=without_name)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: bool(dialog.rows), timeout=TIMEOUT)
    dialog.folder.setText(str(out))
    return dialog


def _export(qtbot: QtBot, dialog: ExportDialog) -> None:
    with qtbot.waitSignal(dialog.export_finished, timeout=TIMEOUT):
        dialog.export_button.click()
    assert dialog.pages.currentIndex() == RESULT


def _files(path: Path, media_format: str) -> dict[str, bytes]:
    if media_format == "zip":
        return zip_files(path)
    if media_format == "iso":
        return iso_files(path)
    return folder_files(path)


def _datasets(files: dict[str, bytes]) -> dict[str, Any]:
    return {path: dcmread(io.BytesIO(data)) for path, data in files.items()
            if path != "DICOMDIR"}


@pytest.mark.parametrize("media_format", ["folder", "zip", "iso"])
def test_each_kind_of_copy_is_read_back_by_lightbox_scan(
    qtbot: QtBot, lightbox_home: Path, study: str, tmp_path: Path, media_format: str,
) -> None:
    dialog = _dialog(qtbot, lightbox_home, [study], tmp_path / "out")
    words = [b.text() for b in dialog.format_buttons.values()]
    assert words == ["a folder (for a USB stick)", "a ZIP file (to attach or upload)",
                     "a disc image (ISO, to burn a CD)"]
    assert "11 images" in dialog.what.text()
    dialog.format_buttons[media_format].click()  # type: ignore[index]
    assert dialog.name.text() == "Medical images 2024-01-02"
    target = dialog.target()
    assert target.suffix == {"folder": "", "zip": ".zip", "iso": ".iso"}[media_format]
    assert str(target) in dialog.place.text()
    _export(qtbot, dialog)

    assert target.exists()
    report, tree = scan_tree(target)
    with Library(lightbox_home) as library:
        assert tree == library_tree(library, [study])
    assert report.instances == 11 and not report.problems
    # The result says where the copy is, and Show in folder opens that folder.
    assert str(target) in dialog.done_place.text()
    assert dialog.show_button.isVisibleTo(dialog)
    assert not dialog.left_out.isVisibleTo(dialog)
    assert dialog.cancel_button.text() == "Close"
    opened: list[QUrl] = []
    dialog.open_url = lambda url: opened.append(url) or True  # type: ignore[method-assign]
    dialog.show_button.click()
    shown = target if media_format == "folder" else target.parent
    assert [Path(url.toLocalFile()) for url in opened] == [shown]


def test_a_second_copy_gets_a_free_name_and_a_taken_one_is_refused(
    qtbot: QtBot, lightbox_home: Path, study: str, tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    first = _dialog(qtbot, lightbox_home, [study], out)
    first.format_buttons["zip"].click()
    _export(qtbot, first)
    second = _dialog(qtbot, lightbox_home, [study], out)
    second.format_buttons["zip"].click()
    assert second.name.text() == "Medical images 2024-01-02 (2)"
    # A name typed over a copy that is there: refused in one sentence, nothing changed.
    second.name.setText("Medical images 2024-01-02")
    second.export_button.click()
    qtbot.waitUntil(lambda: second.problem.isVisibleTo(second), timeout=TIMEOUT)
    assert second.pages.currentIndex() == CHOOSE
    assert "already" in second.problem.text() or "taken" in second.problem.text(), \
        second.problem.text()
    assert sorted(p.name for p in out.iterdir()) == ["Medical images 2024-01-02.zip"]


def test_cancel_leaves_nothing(
    qtbot: QtBot, lightbox_home: Path, study: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = exporting._copy_one

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.2)
        return real(*args, **kwargs)

    monkeypatch.setattr(exporting, "_copy_one", slow)
    out = tmp_path / "out"
    dialog = _dialog(qtbot, lightbox_home, [study], out)
    dialog.format_buttons["zip"].click()
    with qtbot.waitSignal(dialog.progress.valueChanged, timeout=TIMEOUT):
        dialog.export_button.click()
    assert dialog.cancel_button.text() == "Cancel"
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == CHOOSE, timeout=TIMEOUT)
    assert dialog.problem.text() == "Cancelled: nothing was saved."
    assert dialog.report is None
    assert list(out.iterdir()) == []  # No copy, no half copy, no temporary file.


def test_without_the_name_no_byte_of_the_copy_names_the_patient(
    qtbot: QtBot, lightbox_home: Path, study: str, tmp_path: Path,
) -> None:
    dialog = _dialog(qtbot, lightbox_home, [study], tmp_path / "out", without_name=True)
    assert dialog.pseudonym.isVisibleTo(dialog)
    # The default pseudonym is shown before anything is typed.
    qtbot.waitUntil(lambda: dialog.pseudonym.name.placeholderText().startswith("Anonymous, "),
                    timeout=TIMEOUT)
    assert "ANON-" in dialog.pseudonym.patient_id.placeholderText()
    # The copy's name gives away neither the patient nor the study's real date.
    assert "2024" not in dialog.name.text() and "without name" in dialog.name.text()
    dialog.pseudonym.name.setText("Second opinion 2026")
    dialog.format_buttons["zip"].click()
    _export(qtbot, dialog)  # No picture with writing: no review page.

    files = zip_files(dialog.target())
    assert len(files) == 12
    for path, data in files.items():
        assert [m for m in SAMPLE_IDENTITY if m in data.lower()] == [], path
    for ds in _datasets(files).values():
        assert str(ds.PatientName) == "Second opinion 2026"
        assert ds.PatientIdentityRemoved == "YES"
        assert ds.StudyInstanceUID != study
    assert "does not carry your name, birth date or ID" in dialog.done_what.text()
    assert dialog.report is not None and dialog.report.deidentified


def _review(qtbot: QtBot, dialog: ExportDialog) -> None:
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == REVIEW, timeout=TIMEOUT)
    qtbot.waitUntil(dialog.review.pictures_loaded, timeout=TIMEOUT)


def test_pictures_with_writing_are_reviewed_and_left_out_by_default(
    qtbot: QtBot, lightbox_home: Path, study: str, with_ultrasound: list[str],
    tmp_path: Path,
) -> None:
    dialog = _dialog(qtbot, lightbox_home, [study], tmp_path / "out", without_name=True)
    _review(qtbot, dialog)
    rows = dialog.review.rows
    assert set(rows) == set(with_ultrasound)
    row = rows[with_ultrasound[0]]
    assert row.image.label == "Ultrasound, image 1 of series 90"
    assert row.thumbnail.pixmap() is not None and not row.thumbnail.pixmap().isNull()
    assert row.buttons[EXCLUDE].isChecked()
    assert dialog.review.choices() == dict.fromkeys(with_ultrasound, EXCLUDE)
    assert dialog.review.summary.text() == "In the copy: 2 left out."
    assert dialog.export_button.text() == "&Make the copy"
    _export(qtbot, dialog)

    files = folder_files(dialog.target())
    assert len(_datasets(files)) == 11  # The CT only.
    assert {ds.Modality for ds in _datasets(files).values()} == {"CT"}
    assert dialog.left_out.isVisibleTo(dialog) and dialog.left_out.count() == 2
    assert dialog.left_out_heading.text() == "2 images are not in the copy:"
    assert dialog.left_out.item(0).text() == (
        "Left out: Ultrasound, image 1 of series 90 (as you chose).")


def test_a_picture_included_on_purpose_is_in_the_copy_as_it_is(
    qtbot: QtBot, lightbox_home: Path, study: str, with_ultrasound: list[str],
    tmp_path: Path,
) -> None:
    dialog = _dialog(qtbot, lightbox_home, [study], tmp_path / "out", without_name=True)
    _review(qtbot, dialog)
    included, left_out = with_ultrasound
    dialog.review.rows[included].buttons[INCLUDE].click()
    assert dialog.review.choices() == {included: INCLUDE, left_out: EXCLUDE}
    assert "exactly as it is" in dialog.review.rows[included].state.text()
    _export(qtbot, dialog)

    copies = [ds for ds in _datasets(folder_files(dialog.target())).values()
              if ds.Modality == "US"]
    assert len(copies) == 1
    (copy,) = copies
    assert copy.InstanceNumber == 1 and copy.PatientIdentityRemoved == "YES"
    x, y, width, height = BANNER
    assert (copy.pixel_array[y:y + height, x:x + width] == BANNER_VALUE).all()
    assert dialog.left_out.count() == 1


def _drag(qtbot: QtBot, editor: BlackoutEditor, x0: float, y0: float, x1: float,
          y1: float) -> None:
    """Drag on the canvas from one image pixel to another."""
    canvas = editor.canvas
    area = canvas.image_area()
    picture = canvas.picture
    assert picture is not None

    def at(x: float, y: float) -> QPoint:
        return QPoint(round(area.left() + x * area.width() / picture.columns),
                      round(area.top() + y * area.height() / picture.rows))

    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=at(x0, y0))
    qtbot.mouseMove(canvas, at((x0 + x1) / 2, (y0 + y1) / 2))
    qtbot.mouseMove(canvas, at(x1, y1))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=at(x1, y1))


def test_a_black_out_rule_drawn_on_one_picture_blacks_out_its_kind(
    qtbot: QtBot, lightbox_home: Path, study: str, with_ultrasound: list[str],
    tmp_path: Path,
) -> None:
    dialog = _dialog(qtbot, lightbox_home, [study], tmp_path / "out", without_name=True)
    _review(qtbot, dialog)
    first, second = with_ultrasound
    dialog.review.rows[first].buttons[BLACK_OUT].click()
    editor = dialog.review.editor
    assert editor is not None and editor.isVisible()
    # Nothing is chosen until a rule is saved.
    assert dialog.review.rows[first].buttons[EXCLUDE].isChecked()
    qtbot.waitUntil(lambda: editor.canvas.picture is not None, timeout=TIMEOUT)
    assert not editor.save_button.isEnabled()

    x, y, width, height = BANNER
    _drag(qtbot, editor, x - 2, y - 2, x + width + 2, y + height + 2)
    _drag(qtbot, editor, 150, 100, 158, 118)
    _drag(qtbot, editor, 20, 60, 20.5, 60.5)  # A click, not a rectangle.
    assert editor.listing.count() == 2
    editor.listing.setCurrentRow(1)
    editor.remove_button.click()
    assert editor.listing.count() == 1
    (drawn,) = editor.rectangles
    assert (drawn.x, drawn.y) <= (x, y)
    assert drawn.x + drawn.width >= x + width and drawn.y + drawn.height >= y + height
    with qtbot.waitSignal(editor.rule_saved, timeout=TIMEOUT):
        editor.save_button.click()

    # Saved for ultrasound pictures of this size, and applied to both.
    saved = json.loads((lightbox_home / "blackout-rules.json").read_text())
    assert [(r["modality"], r["rows"], r["columns"]) for r in saved["rules"]] == [
        ("US", 120, 160)]
    assert dialog.review.choices() == dict.fromkeys(with_ultrasound, BLACK_OUT)
    assert dialog.review.rows[second].buttons[BLACK_OUT].isChecked()
    assert "with 1 place blacked out" in dialog.review.rows[second].state.text()
    assert dialog.review.rows[first].draw_button.text() == "Change the places..."
    # Each picture shows what the copy gets: blacked out, or as it is when included.
    qtbot.waitUntil(dialog.review.pictures_loaded, timeout=TIMEOUT)
    assert dialog.review.shown == dict.fromkeys(with_ultrasound, (drawn,))
    dialog.review.rows[second].buttons[INCLUDE].click()
    qtbot.waitUntil(dialog.review.pictures_loaded, timeout=TIMEOUT)
    assert dialog.review.shown == {first: (drawn,), second: ()}
    dialog.review.rows[second].buttons[BLACK_OUT].click()
    assert dialog.review.editor is None  # The rule is there: nothing to draw.
    qtbot.waitUntil(dialog.review.pictures_loaded, timeout=TIMEOUT)
    assert dialog.review.choices() == dict.fromkeys(with_ultrasound, BLACK_OUT)
    _export(qtbot, dialog)

    copies = [ds for ds in _datasets(folder_files(dialog.target())).values()
              if ds.Modality == "US"]
    assert len(copies) == 2
    for copy in copies:
        pixels = copy.pixel_array
        box = pixels[drawn.y:drawn.y + drawn.height, drawn.x:drawn.x + drawn.width]
        assert (box == 0).all()
        outside = np.ones(pixels.shape, dtype=bool)
        outside[drawn.y:drawn.y + drawn.height, drawn.x:drawn.x + drawn.width] = False
        assert (pixels[outside] > 0).all()  # The gradient is never black.
    assert not dialog.left_out.isVisibleTo(dialog)


def test_export_from_the_library_and_from_the_open_study(
    window: MainWindow, qtbot: QtBot, study: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    window.show_library()
    view = window.library_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1, timeout=TIMEOUT)
    assert not view.export_button.isEnabled()
    view.table.selectRow(0)
    assert view.proxy.index(0, 0).data(UID_ROLE) == study
    assert view.export_button.isEnabled() and view.share_copy_button.isEnabled()
    view.export_button.click()
    assert len(window.copies.export_dialogs) == 1
    assert window.copies.export_dialogs[0].study_uids == [study]
    window.copies.export_dialogs[0].reject()

    # In the viewer, the library study on screen; a disc that is not imported is not.
    window.open_study(study)
    qtbot.waitUntil(lambda: window.image_shown, timeout=TIMEOUT)
    window.export_open()
    assert window.copies.export_dialogs[-1].study_uids == [study]
    window.copies.export_dialogs[-1].reject()


def test_a_disc_that_is_not_imported_is_imported_first(
    window: MainWindow, qtbot: QtBot, discs: DiscMaker, monkeypatch: pytest.MonkeyPatch,
) -> None:
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information",
                        lambda _parent, _title, text: told.append(text))
    window.open_path(discs())
    qtbot.waitUntil(lambda: window.image_shown, timeout=TIMEOUT)
    window.export_open()
    assert not window.copies.export_dialogs
    assert told and told[0].startswith("This disc is not in the library yet.")

