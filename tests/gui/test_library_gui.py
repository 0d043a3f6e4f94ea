"""The library in the window: import with a preview and a result, list, open, delete,
and the offer to import a disc that was just inserted."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from app.gui.main_window import MainWindow
from app.library.library import Library
from app.services.verification import VerifyReport, verify_library
from tests.gui.helpers import import_disc

TIMEOUT = 60_000


_import = import_disc


def test_import_shows_the_disc_first_then_the_result(
    window: MainWindow, qtbot: QtBot, corpus: Path
) -> None:
    dialog = window.import_path(corpus / "discs/philips_ct_dirfile_trimmed")
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=TIMEOUT)
    # Before anything is copied: whose images, which study, what is wrong with the disc.
    patient = dialog.overview.topLevelItem(0)
    assert "HEAD" in patient.text(0) and "ID PLASTIC" in patient.text(0)
    assert patient.child(0).text(1) == "55"
    assert dialog.health.text() == "55 images in 2 series can be read from this disc."
    # The disc is incomplete: said first, in one sentence, and Import is not the default.
    assert dialog.verdict.isVisibleTo(dialog)
    assert dialog.verdict.text() == (
        "378 of 433 images listed on this disc are missing: this disc is incomplete. "
        "Ask the clinic for a new copy.")
    assert not dialog.import_button.isDefault()
    assert dialog.cancel_button.isDefault()
    assert dialog.import_button.text() == "&Import the 55 images that are there"
    # The 378 files sit behind Details, in one group, not as 378 lines.
    assert not dialog.problems.tree.isVisibleTo(dialog)
    assert [heading for heading, _n in dialog.problems.groups()] == [
        "Listed on the disc but not there (378)"]
    dialog.problems.button.click()
    assert dialog.problems.tree.isVisibleTo(dialog)

    with qtbot.waitSignal(dialog.import_finished, timeout=TIMEOUT):
        dialog.import_button.click()
    assert dialog.report is not None and not dialog.report.all_stored
    assert dialog.outcome.text().startswith("55 images are stored on this computer (55 new")
    assert "378 of the 433 images listed on the disc are not on it" in dialog.outcome.text()
    assert "Safe to eject" not in dialog.eject.text()
    assert "this disc is incomplete" in dialog.eject.text()
    assert [heading for heading, _n in dialog.failures.groups()] == [
        "Listed on the disc but not there (378)"]
    assert not dialog.import_button.isVisibleTo(dialog)  # Nothing left to press but Close.


def test_library_lists_searches_opens_and_deletes(
    window: MainWindow, qtbot: QtBot, ct_disc: Path, corpus: Path,
    monkeypatch: pytest.MonkeyPatch, lightbox_home: Path,
) -> None:
    _import(window, qtbot, ct_disc)
    _import(window, qtbot, corpus / "discs/pydicom_tiny_alpha")
    window.show_library()
    view = window.library_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 2, timeout=TIMEOUT)
    view.search.setText("citizen")
    assert view.proxy.rowCount() == 1
    view.search.setText("")
    # Sorted by study date, newest first: the sample disc is dated today.
    assert "SAMPLE" in view.proxy.index(0, 0).data()
    # Every image its disc listed is here: the Complete column says so in a word.
    header = [view.proxy.headerData(c, Qt.Orientation.Horizontal)
              for c in range(view.proxy.columnCount())]
    assert view.proxy.index(0, header.index("Complete")).data() == "Yes"

    view.table.selectRow(0)
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        view.open_button.click()
    assert window.pages.currentWidget() is window.viewer_page
    assert window.slices is not None and len(window.slices) == 120

    window.show_library()
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 2, timeout=TIMEOUT)
    view.table.selectRow(1)  # Citizen^Jan
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    view.delete_button.click()
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1, timeout=TIMEOUT)
    with Library(lightbox_home) as library:
        assert [r.patient_name for r in library.list_studies()] == ["SAMPLE^PATIENT"]
        report = list(verify_library(library))[-1]
    assert isinstance(report, VerifyReport) and not report.problems


def test_cancelled_import_keeps_what_was_stored(
    window: MainWindow, qtbot: QtBot, ct_disc: Path, lightbox_home: Path
) -> None:
    dialog = window.import_path(ct_disc, start_now=True)
    qtbot.waitUntil(lambda: dialog.progress.value() >= 5, timeout=TIMEOUT)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 2, timeout=TIMEOUT)
    assert "cancelled" in dialog.outcome.text()
    with Library(lightbox_home) as library:
        stored = library.count_instances()
        report = list(verify_library(library))[-1]
        assert not list(library.store.staging.iterdir())
    assert 0 < stored < 151
    assert isinstance(report, VerifyReport) and not report.problems
    # Importing again finishes the job exactly.
    again = _import(window, qtbot, ct_disc)
    assert again.report is not None
    assert again.report.imported + again.report.already_present == 151
    assert again.report.already_present == stored


def test_inserted_disc_is_offered_for_import(
    window: MainWindow, qtbot: QtBot, corpus: Path, lightbox_home: Path
) -> None:
    window.monitor.inserted.emit(str(corpus / "discs/pydicom_tiny_alpha"))
    qtbot.waitUntil(lambda: bool(_visible_offers(window)), timeout=TIMEOUT)
    offers = _visible_offers(window)
    box = offers[0]
    assert box.text() == "Import 50 images of Citizen, Jan, 13 Sep 2020?"
    import_button = next(b for b in box.findChildren(QPushButton) if b.text() == "Import")
    import_button.click()
    qtbot.waitUntil(lambda: bool(window.transfers.import_dialogs), timeout=TIMEOUT)
    dialog = window.transfers.import_dialogs[0]
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=TIMEOUT)
    assert dialog.report is not None and dialog.report.imported == 50


def test_a_disc_whose_index_places_nothing_is_never_offered_as_zero_images(
    window: MainWindow, qtbot: QtBot, corpus: Path
) -> None:
    """The dwv disc's directory records name no patient, study or series: nothing can be
    counted before the files are read, so the offer counts files, not "0 images"."""
    window.monitor.inserted.emit(str(corpus / "discs/dwv_bbmri_lowercase"))
    qtbot.waitUntil(lambda: bool(_visible_offers(window)), timeout=TIMEOUT)
    assert _visible_offers(window)[0].text() == (
        "Import the 6 files on this disc? Each is looked at, and only medical images are "
        "kept.")


def test_front_desk_setting_imports_without_asking(
    window: MainWindow, qtbot: QtBot, corpus: Path
) -> None:
    window.settings.setValue("media/auto_import", True)
    window.monitor.inserted.emit(str(corpus / "discs/clunie_charset"))
    qtbot.waitUntil(lambda: bool(window.transfers.import_dialogs), timeout=TIMEOUT)
    dialog = window.transfers.import_dialogs[0]
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=TIMEOUT)
    assert dialog.report is not None and dialog.report.imported == 11
    assert not _visible_offers(window)


def _visible_offers(window: MainWindow) -> list[QMessageBox]:
    return [w for w in window.findChildren(QMessageBox) if w.isVisible()]
