"""The library page and the transfer dialogs in front of a patient or a front desk: names
hidden on every page when privacy is on, whose images a disc holds, and actions that act
on what is selected."""

import shutil
from pathlib import Path

import pytest
from pydicom.dataset import Dataset
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QKeySequence
from pytestqt.qtbot import QtBot

from app.gui.import_dialog import ImportDialog, patient_key
from app.gui.library_view import LibraryView
from app.gui.main_window import MainWindow
from app.gui.tag_browser import TagBrowser
from app.gui.upload_dialog import UploadDialog
from app.samples.disc_writer import write_sample_disc
from app.services.accounts_service import Account
from app.services.library_service import LibraryService, StudyRow, UploadPlan
from app.services.privacy import HIDDEN_TEXT, Privacy
from tests.gui.helpers import import_disc

TIMEOUT = 60_000


_import = import_disc


def _shortcut(window: MainWindow, keys: str) -> QAction:
    return next(a for a in window.actions() if a.shortcut() == QKeySequence(keys))


def _texts(view: LibraryView) -> list[str]:
    return [str(view.proxy.index(r, c).data()) for r in range(view.proxy.rowCount())
            for c in range(view.proxy.columnCount())]


def test_one_chosen_image_is_counted_in_the_singular(
    window: MainWindow, qtbot: QtBot, corpus: Path, tmp_path: Path
) -> None:
    disc = tmp_path / "disc"
    write_sample_disc(disc, slices=2, rows=64, columns=64)
    # Another patient's single image, on the disc but not in its list.
    shutil.copy(corpus / "files" / "series_mr_wrist" / "MR01.dcm", disc / "WRIST")
    dialog = window.import_path(disc)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=TIMEOUT)
    assert dialog.scan is not None
    sample = next(patient_key(p) for p in dialog.scan.patients
                  if p.patient_id == "LIGHTBOX-SAMPLE")
    dialog.set_patient_chosen(sample, False)
    assert dialog.import_button.text() == "&Import 1 image"
    dialog.reject()


def test_two_patients_are_said_and_only_the_chosen_one_is_imported(
    window: MainWindow, qtbot: QtBot, corpus: Path, lightbox_home: Path
) -> None:
    dialog = window.import_path(corpus / "discs/pydicom_dicomdirtests")
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=TIMEOUT)
    assert dialog.who.text().startswith("This disc holds images of 2 different patients.")
    labels = [dialog.overview.topLevelItem(i).text(0)
              for i in range(dialog.overview.topLevelItemCount())]
    assert labels == ["Doe, Archibald, ID 77654033", "Doe, Peter, ID 98890234, male"]
    assert dialog.chosen_patients() == {("77654033", "Doe^Archibald"),
                                        ("98890234", "Doe^Peter")}
    dialog.set_patient_chosen(("98890234", "Doe^Peter"), False)
    assert dialog.import_button.text() == "&Import 7 images"
    with qtbot.waitSignal(dialog.import_finished, timeout=TIMEOUT):
        dialog.import_button.click()
    assert dialog.report is not None and dialog.report.imported == 7
    assert "24 images of patients you did not choose were left on the disc" in (
        dialog.outcome.text())
    assert dialog.eject.text().startswith("Safe to eject: every image you chose")
    rows = LibraryService(lightbox_home).studies()
    assert {r.patient_name for r in rows} == {"Doe^Archibald"}
    assert sum(r.instances for r in rows) == 7


def test_incomplete_study_is_flagged_and_the_status_bar_counts_the_library(
    window: MainWindow, qtbot: QtBot, corpus: Path
) -> None:
    window.show_library()
    qtbot.waitUntil(lambda: "0 studies" in window.summary.text(), timeout=TIMEOUT)
    _import(window, qtbot, corpus / "discs/philips_ct_dirfile_trimmed")
    view = window.library_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1, timeout=TIMEOUT)
    # Of the 378 missing images, those the DICOMDIR places in this study (the others
    # belong to studies of which nothing at all is on the disc).
    missing = view.rows[0].missing_on_source
    assert missing > 0 and not view.rows[0].complete
    assert f"Incomplete: {missing} images missing on the disc" in _texts(view)
    assert "Yes" not in _texts(view)
    qtbot.waitUntil(lambda: window.summary.text() == "1 study, 55 images in the library",
                    timeout=TIMEOUT)


def test_privacy_hides_names_ids_and_birth_dates_in_the_library_table(
    window: MainWindow, qtbot: QtBot, corpus: Path
) -> None:
    _import(window, qtbot, corpus / "discs/pydicom_dicomdirtests")
    window.show_library()
    view = window.library_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 6, timeout=TIMEOUT)
    assert any("Doe" in t for t in _texts(view))
    _shortcut(window, "P").trigger()  # View > Hide patient name
    assert window.privacy.hidden
    texts = _texts(view)
    assert not any("Doe" in t or "77654033" in t or "98890234" in t for t in texts)
    assert texts.count(HIDDEN_TEXT) >= 18  # name, ID and source folder of every row
    assert not any("pydicom_dicomdirtests" in t for t in texts)
    assert window.windowTitle() == "Lightbox"
    window.privacy.set_hidden(False)
    assert any("Archibald" in t for t in _texts(view))


def test_privacy_hides_names_in_the_import_dialog(qtbot: QtBot, corpus: Path) -> None:
    privacy = Privacy()
    dialog = ImportDialog(corpus / "discs/pydicom_tiny_alpha", privacy)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=TIMEOUT)
    assert "Citizen, Jan" in dialog.overview.topLevelItem(0).text(0)
    privacy.set_hidden(True)
    label = dialog.overview.topLevelItem(0).text(0)
    assert "Citizen" not in label and HIDDEN_TEXT in label
    privacy.set_hidden(False)
    assert "Citizen, Jan" in dialog.overview.topLevelItem(0).text(0)


def _row(name: str, patient_id: str) -> StudyRow:
    return StudyRow("1.2.3", patient_id, name, "19700101", "20200101", "CT head", ("CT",),
                    1, 10, "disc", {})


def test_privacy_hides_names_in_the_upload_dialog(qtbot: QtBot, tmp_path: Path) -> None:
    privacy = Privacy(hidden=True)
    plan = UploadPlan("cloud", (_row("Doe^Jane", "ID-42"),), {"1.2.3": 10}, {"1.2.3": 5_000_000})
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    account = Account("cloud", "https://example.org/dicom-web", "basic", "me")
    dialog = UploadDialog(plan, account, settings, privacy)
    qtbot.addWidget(dialog)
    listing = dialog.listing.item(0).text()
    assert "Doe" not in listing and "ID-42" not in listing and HIDDEN_TEXT in listing
    assert "10 images, 5 MB" in dialog.summary.text()
    privacy.set_hidden(False)
    assert "Doe, Jane (ID-42)" in dialog.listing.item(0).text()


def test_privacy_masks_every_identifying_attribute_in_the_tag_browser(qtbot: QtBot) -> None:
    dataset = Dataset()
    dataset.PatientName = "Doe^Jane"
    dataset.PatientID = "ID-42"
    dataset.PatientBirthDate = "19700101"
    dataset.AccessionNumber = "ACC-7"
    dataset.InstitutionName = "Saint Elsewhere"
    dataset.ReferringPhysicianName = "House^Greg"
    dataset.Modality = "CT"
    privacy = Privacy()
    browser = TagBrowser(privacy)
    qtbot.addWidget(browser)
    browser.show_dataset("IMG001", dataset)

    def values() -> dict[str, str]:
        root = browser.tree.invisibleRootItem()
        return {root.child(i).text(1): root.child(i).text(3) for i in range(root.childCount())}

    assert values()["Institution Name"] == "Saint Elsewhere"
    privacy.set_hidden(True)
    shown = values()
    for name in ("Patient's Name", "Patient ID", "Patient's Birth Date", "Accession Number",
                 "Institution Name", "Referring Physician's Name"):
        assert shown[name] == HIDDEN_TEXT, name
    assert shown["Modality"] == "CT"
    privacy.set_hidden(False)
    assert values()["Accession Number"] == "ACC-7"


def test_ctrl_u_on_the_library_page_uploads_the_selection_not_the_open_disc(
    window: MainWindow, qtbot: QtBot, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import(window, qtbot, corpus / "discs/pydicom_tiny_alpha")
    # A different disc is open in the viewer behind the library page.
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(corpus / "discs/clunie_charset")
    uploads: list[list[str]] = []
    reimports: list[Path] = []
    monkeypatch.setattr(window.transfers, "upload",
                        lambda uids, _account: uploads.append(list(uids)))
    monkeypatch.setattr(window.transfers, "upload_disc", reimports.append)
    window.show_library()
    view = window.library_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1, timeout=TIMEOUT)
    view.table.selectRow(0)
    _shortcut(window, "Ctrl+U").trigger()
    assert uploads == [view.selected_studies()] and uploads[0]
    assert not reimports
