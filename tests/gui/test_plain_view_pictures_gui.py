"""The last places of the simple view that counted images say pictures, and follow a
switch of view live: the disc upload's result, the library's Complete column, its tooltip
and the question before a delete, and the import dialog's choice of patients and its
cancel sentence. The full view keeps its words exactly."""

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.gui.library_view import LibraryView
from app.gui.main_window import MainWindow
from app.samples.disc_writer import write_sample_disc
from app.services.accounts_service import Account
from app.services.disc_upload import DiscUploadReport
from app.services.importing import ImportReport
from app.services.uploading import UploadReport
from app.services.user_mode import DOCTOR, PATIENT
from tests.gui.helpers import import_disc

TIMEOUT = 60_000



def test_the_disc_uploads_result_counts_pictures_in_the_simple_view(
        new_window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    w = new_window
    monkeypatch.setattr(w.transfers, "_choose_account",
                        lambda _name: Account("clinic", "https://pacs.invalid/dicomweb",
                                              "basic"))
    assert w.transfers.upload_disc(tmp_path)  # shown, not started: nothing is sent
    dialog = w.transfers.disc_upload_dialogs[-1]
    assert dialog.user_mode is w.user_mode
    imported = ImportReport(source="disc", imported=3, already_present=0, failed=(),
                            conflicts=0, study_instance_uids=(), images=3, stored=3)
    dialog._on_finished(DiscUploadReport(imported, UploadReport("clinic", ())))
    plain = "Safe to eject: every picture is stored on this computer."
    assert dialog.eject.text() == plain
    w.view_modes.mode_actions[DOCTOR].trigger()  # the open dialog follows
    assert dialog.eject.text() == "Safe to eject: every image is stored on this computer."
    w.view_modes.mode_actions[PATIENT].trigger()
    assert dialog.eject.text() == plain
    dialog.reject()


def _complete_cell(view: LibraryView) -> tuple[str, str]:
    index = view.proxy.index(0, LibraryView.COLUMNS.index("Complete"))
    return index.data(), index.data(Qt.ItemDataRole.ToolTipRole)


def test_the_librarys_incomplete_study_and_delete_question_say_pictures(
        new_window: MainWindow, qtbot: QtBot, broken_disc: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = new_window
    import_disc(w, qtbot, broken_disc)
    w.show_library()
    view = w.library_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1, timeout=TIMEOUT)
    row = view.rows[0]
    assert row.missing_on_source == 2  # the junk file and the one gone
    count = row.instances
    plain_tip = "The disc listed pictures that were not on it. Ask the clinic for a new copy."
    full_tip = "The disc listed images that were not on it. Ask the clinic for a new copy."
    assert _complete_cell(view) == ("Incomplete: 2 pictures missing on the disc", plain_tip)
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda _parent, _title, text: asked.append(
        text) or QMessageBox.StandardButton.No)
    view.table.selectRow(0)
    view.delete_button.click()
    assert asked[-1].startswith("Delete SAMPLE, PATIENT, ")
    assert asked[-1].endswith(f" ({count} pictures) from this computer? The images on the "
                              "original disc are not affected.")
    w.view_modes.mode_actions[DOCTOR].trigger()  # the table follows at once
    assert _complete_cell(view) == ("Incomplete: 2 images missing on the disc", full_tip)
    view.table.selectRow(0)
    view.delete_button.click()
    assert asked[-1] == asked[-2].replace(f"({count} pictures)", f"({count} images)")
    w.view_modes.mode_actions[PATIENT].trigger()
    assert _complete_cell(view) == ("Incomplete: 2 pictures missing on the disc", plain_tip)


def test_one_missing_picture_is_said_in_the_singular(
        new_window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    w = new_window
    disc = tmp_path / "disc"
    write_sample_disc(disc, slices=2, rows=64, columns=64)
    next(p for p in sorted(disc.rglob("*")) if p.is_file() and p.name != "DICOMDIR").unlink()
    import_disc(w, qtbot, disc)
    w.show_library()
    view = w.library_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1, timeout=TIMEOUT)
    assert _complete_cell(view)[0] == "Incomplete: 1 picture missing on the disc"
    w.view_modes.mode_actions[DOCTOR].trigger()  # the full view's words, singular too
    assert _complete_cell(view)[0] == "Incomplete: 1 image missing on the disc"


def test_the_import_dialogs_choice_and_cancel_say_pictures(
        new_window: MainWindow, qtbot: QtBot, ct_disc: Path, corpus: Path,
        tmp_path: Path) -> None:
    w = new_window
    disc = tmp_path / "disc"
    write_sample_disc(disc, slices=2, rows=64, columns=64)
    # Another patient's image: the dialog asks whose to import.
    shutil.copy(corpus / "files" / "series_mr_wrist" / "MR01.dcm", disc / "WRIST")
    dialog = w.import_path(disc)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=TIMEOUT)
    plain = ("This disc holds images of 2 different patients. Tick the patients whose "
             "pictures you want to import.")
    assert dialog.who.text() == plain
    w.view_modes.mode_actions[DOCTOR].trigger()  # the open dialog follows
    assert dialog.who.text() == plain.replace("whose pictures", "whose images")
    w.view_modes.mode_actions[PATIENT].trigger()
    assert dialog.who.text() == plain
    dialog.reject()

    cancelled = w.import_path(ct_disc, start_now=True)
    qtbot.waitUntil(lambda: cancelled.progress.value() >= 5, timeout=TIMEOUT)
    cancelled.cancel_button.click()
    qtbot.waitUntil(lambda: cancelled.pages.currentIndex() == 2, timeout=TIMEOUT)
    plain_cancel = ("The import was cancelled. The pictures imported so far are stored; "
                    "import the disc again to finish.")
    assert cancelled.outcome.text() == plain_cancel
    w.view_modes.mode_actions[DOCTOR].trigger()
    assert cancelled.outcome.text() == plain_cancel.replace("pictures", "images")
    w.view_modes.mode_actions[PATIENT].trigger()
    assert cancelled.outcome.text() == plain_cancel
    cancelled.reject()


def test_a_one_picture_study_is_asked_about_in_the_singular(
        new_window: MainWindow, qtbot: QtBot, corpus: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = new_window
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(corpus / "files" / "series_mr_wrist" / "MR01.dcm", folder)
    import_disc(w, qtbot, folder)
    w.show_library()
    view = w.library_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1, timeout=TIMEOUT)
    assert view.rows[0].instances == 1
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda _parent, _title, text: asked.append(
        text) or QMessageBox.StandardButton.No)
    view.table.selectRow(0)
    view.delete_button.click()
    assert " (1 picture) from this computer?" in asked[-1]
    w.view_modes.mode_actions[DOCTOR].trigger()  # the full view's words, singular too
    view.table.selectRow(0)
    view.delete_button.click()
    assert " (1 image) from this computer?" in asked[-1]
