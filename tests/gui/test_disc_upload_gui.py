""""Upload this disc..." in the window, against a real Orthanc: offered in the import
dialog and in the inserted-disc prompt; what leaves the computer is said first; the disc's
reading and each study's upload are shown; pause and resume; what failed is listed; with
no account, the user is told and offered to add one."""

import shutil
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from app.cloud.accounts import Account, AccountBook
from app.cloud.credentials import save_secret
from app.cloud.viewer_links import fill, preset_template
from app.gui.disc_upload_dialog import DiscUploadDialog
from app.gui.main_window import MainWindow
from app.gui.upload_dialog import skip_confirmation_key
from app.library.library import Library
from tests.support.cloud_fixtures import (
    ORTHANC_PASSWORD,
    ORTHANC_USER,
    DiscMaker,
    account,
    cloud_home,
    discs,
    memory_keyring,
    orthanc,
    orthanc_server,
)
from tests.support.keyrings import MemoryKeyring
from tests.support.orthanc import Orthanc

# The fixtures this module uses, imported so pytest finds them.
__all__ = ["account", "cloud_home", "discs", "memory_keyring", "orthanc", "orthanc_server"]

TIMEOUT = 60_000


def _disc_dialog(window: MainWindow, qtbot: QtBot) -> DiscUploadDialog:
    qtbot.waitUntil(lambda: bool(window.transfers.disc_upload_dialogs), timeout=TIMEOUT)
    return window.transfers.disc_upload_dialogs[-1]


def _uploads(home: Path) -> dict[str, str]:
    with Library(home) as library:
        (row,) = library.list_studies()
    return row.uploads


def test_upload_this_disc_from_the_import_dialog(
    window: MainWindow, qtbot: QtBot, orthanc: Orthanc, account: Account, discs: DiscMaker,
    cloud_home: Path,
) -> None:
    """The import dialog shows the disc, then "Upload this disc...": the one account is
    taken, the import dialog gives way, the upload dialog says what leaves and where to;
    Upload reads and sends at once; every image is confirmed, the disc may be ejected."""
    importer = window.import_path(discs())
    qtbot.waitUntil(lambda: importer.upload_button.isEnabled(), timeout=TIMEOUT)
    assert orthanc.instance_count() == 0
    importer.upload_button.click()
    dialog = _disc_dialog(window, qtbot)
    qtbot.waitUntil(lambda: not window.transfers.import_dialogs, timeout=TIMEOUT)
    assert dialog.pages.currentIndex() == 0
    summary = dialog.summary.text()
    assert account.url in summary and "11 images of SAMPLE, PATIENT" in summary
    assert orthanc.instance_count() == 0  # Nothing has left yet.
    # Only Upload and Cancel to press before anything leaves.
    assert dialog.send_button.isVisible() and dialog.close_button.isVisible()
    assert not dialog.pause_button.isVisible() and not dialog.retry_button.isVisible()

    dialog.skip.setChecked(True)
    with qtbot.waitSignal(dialog.upload_finished, timeout=TIMEOUT):
        dialog.send_button.click()
    assert dialog.status.text().startswith(f"Done: {account.name} confirmed every image")
    assert dialog.reading.value() == dialog.reading.maximum() == 11
    assert dialog.panel.tree.topLevelItemCount() == 1
    assert dialog.panel.tree.topLevelItem(0).text(1) == "11 of 11 images confirmed"
    assert dialog.eject.text().startswith("Safe to eject")
    assert not dialog.failures.isVisibleTo(dialog)
    assert orthanc.instance_count() == 11
    assert _uploads(cloud_home) == {account.name: "complete"}
    assert window.settings.value(skip_confirmation_key(account.name)) in (True, "true")


def test_inserted_disc_prompt_offers_the_upload(
    window: MainWindow, qtbot: QtBot, orthanc: Orthanc, account: Account, discs: DiscMaker,
    cloud_home: Path,
) -> None:
    """An inserted disc's prompt has "Upload this disc..."; with the account's
    confirmation turned off, the pass starts at once and ends complete."""
    window.settings.setValue(skip_confirmation_key(account.name), True)
    window.monitor.inserted.emit(str(discs()))
    qtbot.waitUntil(lambda: bool(_visible_boxes(window)), timeout=TIMEOUT)
    (box,) = _visible_boxes(window)
    upload = next(b for b in box.findChildren(QPushButton) if b.text() == "Upload this disc...")
    upload.click()
    dialog = _disc_dialog(window, qtbot)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=TIMEOUT)
    assert dialog.report is not None and dialog.report.complete
    assert orthanc.instance_count() == 11
    assert _uploads(cloud_home) == {account.name: "complete"}


def test_the_share_panel_opens_once_the_last_image_is_confirmed(
    window: MainWindow, qtbot: QtBot, orthanc: Orthanc, memory_keyring: MemoryKeyring,
    cloud_home: Path, discs: DiscMaker,
) -> None:
    """To an account with a viewer for doctors: when the pass ends with every image
    confirmed, the share panel shows the study's link."""
    item = Account("doctors", orthanc.dicomweb, "basic", ORTHANC_USER,
                   viewer_url=preset_template("ohif", orthanc.dicomweb))
    save_secret(item.name, ORTHANC_PASSWORD)
    AccountBook(cloud_home).add(item)
    window.settings.setValue(skip_confirmation_key(item.name), True)
    assert window.transfers.upload_disc(discs())
    dialog = _disc_dialog(window, qtbot)
    qtbot.waitUntil(lambda: bool(window.sharing.dialogs), timeout=TIMEOUT)
    assert dialog.report is not None and dialog.report.complete
    (study,) = dialog.report.uploaded.studies
    panel = window.sharing.dialogs[-1]
    assert panel.account.name == "doctors"
    assert panel.current().link == fill(item.viewer_url, study.study_instance_uid)


def test_pause_resume_and_the_failure_list(
    window: MainWindow, qtbot: QtBot, orthanc: Orthanc, account: Account, discs: DiscMaker,
    cloud_home: Path, tmp_path: Path,
) -> None:
    """A 151-image disc with one file cut short: paused and resumed, the pass ends with
    the 150 readable images confirmed, the damaged file listed with its sentence, Try
    again offered, and the disc not called safe to eject."""
    disc = tmp_path / "disc"
    shutil.copytree(discs(slices=120, seed=13), disc)
    images = sorted(p for p in disc.rglob("*") if p.is_file() and p.name != "DICOMDIR")
    images[7].write_bytes(images[7].read_bytes()[:200])
    window.settings.setValue(skip_confirmation_key(account.name), True)
    window.transfers.upload_disc(disc)
    dialog = _disc_dialog(window, qtbot)
    qtbot.waitUntil(lambda: dialog._task is not None, timeout=TIMEOUT)
    dialog.pause_or_resume()  # Pause
    qtbot.waitUntil(lambda: dialog.pause_button.text() == "&Resume", timeout=TIMEOUT)
    assert dialog.status.text().startswith("Paused.")
    with qtbot.waitSignal(dialog.upload_finished, timeout=TIMEOUT):
        dialog.pause_or_resume()  # Resume
    report = dialog.report
    assert report is not None and not report.complete
    assert report.uploaded.studies[0].confirmed == 150
    assert orthanc.instance_count() == 150
    assert dialog.failures.isVisibleTo(dialog)
    (line,) = [dialog.failures.item(i).text() for i in range(dialog.failures.count())]
    assert images[7].name in line
    assert "Not every image of this disc is on cloud" in dialog.status.text()
    assert dialog.retry_button.isVisibleTo(dialog)
    assert "Safe to eject" not in dialog.eject.text()


def test_without_an_account_the_user_is_told_and_offered_to_add_one(
    window: MainWindow, qtbot: QtBot, memory_keyring: MemoryKeyring, cloud_home: Path,
    discs: DiscMaker,
) -> None:
    seen: list[str] = []

    def answer() -> None:
        box = next(w for w in QApplication.topLevelWidgets()
                   if isinstance(w, QMessageBox) and w.isVisible())
        seen.append(box.text())
        assert any(b.text() == "Add an account..." for b in box.findChildren(QPushButton))
        box.reject()

    QTimer.singleShot(0, answer)
    assert window.transfers.upload_disc(discs()) is False
    assert seen == ["There is no cloud account to upload to yet. Add one with the address "
                    "and the login your clinic or cloud service gave you."]
    assert not window.transfers.disc_upload_dialogs


def _visible_boxes(window: MainWindow) -> list[QMessageBox]:
    return [w for w in window.findChildren(QMessageBox) if w.isVisible()]
