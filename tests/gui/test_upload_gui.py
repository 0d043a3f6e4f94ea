"""One-click upload in the window, against a real Orthanc: what leaves the computer is
shown first, progress per study, pause and resume, and the library's upload state."""

from pathlib import Path

from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot

from app.cloud.accounts import Account
from app.gui.library_view import UID_ROLE
from app.gui.main_window import MainWindow
from app.gui.upload_dialog import UploadDialog, skip_confirmation_key
from app.library.library import Library
from tests.support.cloud_fixtures import (
    DiscMaker,
    account,
    cloud_home,
    cloud_library,
    discs,
    memory_keyring,
    orthanc,
    orthanc_server,
    small_study,
)
from tests.support.orthanc import Orthanc
from tests.support.studies import import_study

# The fixtures this module uses, imported so pytest finds them.
__all__ = ["account", "cloud_home", "cloud_library", "discs", "memory_keyring", "orthanc",
           "orthanc_server", "small_study"]

TIMEOUT = 60_000


def _dialog(window: MainWindow, qtbot: QtBot) -> UploadDialog:
    qtbot.waitUntil(lambda: bool(window.transfers.upload_dialogs), timeout=TIMEOUT)
    return window.transfers.upload_dialogs[-1]


def test_confirm_then_upload_then_never_ask_again(
    window: MainWindow, qtbot: QtBot, orthanc: Orthanc, account: Account,
    small_study: str, cloud_home: Path,
) -> None:
    window.upload([small_study], account.name)
    dialog = _dialog(window, qtbot)
    # Nothing has left yet: the dialog says what would, and where to.
    assert dialog.pages.currentIndex() == 0
    summary = dialog.summary.text()
    assert "11 images" in summary and account.url in summary
    assert "SAMPLE, PATIENT" in dialog.listing.item(0).text()
    assert orthanc.instance_count() == 0
    # Only Upload and Cancel to press before anything leaves.
    assert not dialog.pause_button.isVisible() and not dialog.retry_button.isVisible()

    dialog.skip.setChecked(True)
    with qtbot.waitSignal(dialog.upload_finished, timeout=TIMEOUT):
        dialog.send_button.click()
    assert dialog.status.text().startswith("Done")
    assert orthanc.instance_count() == 11
    with Library(cloud_home) as library:
        row = library.list_studies()[0]
    assert row.uploads == {account.name: "complete"}
    assert window.settings.value(skip_confirmation_key(account.name)) in (True, "true")
    dialog.close()

    # Next time: straight to sending, nothing left to send.
    window.upload([small_study], account.name)
    again = _dialog(window, qtbot)
    qtbot.waitUntil(lambda: again.report is not None, timeout=TIMEOUT)
    assert again.report is not None
    assert again.report.studies[0].sent == 0 and again.report.studies[0].complete


def test_pause_and_resume_finish_the_upload(
    window: MainWindow, qtbot: QtBot, orthanc: Orthanc, account: Account,
    cloud_library: Library, discs: DiscMaker, cloud_home: Path,
) -> None:
    study = import_study(cloud_library, discs(slices=120, rows=64, columns=64, seed=9))
    window.upload([study], account.name)
    dialog = _dialog(window, qtbot)
    dialog.send_button.click()
    qtbot.waitUntil(lambda: dialog._task is not None, timeout=TIMEOUT)
    dialog.pause_or_resume()  # Pause
    qtbot.waitUntil(lambda: dialog.pause_button.text() == "&Resume", timeout=TIMEOUT)
    assert "Paused" in dialog.status.text()
    with qtbot.waitSignal(dialog.upload_finished, timeout=TIMEOUT):
        dialog.pause_or_resume()  # Resume
    assert dialog.report is not None and dialog.report.studies[0].complete
    assert orthanc.instance_count() == 151


def test_ctrl_u_on_the_library_page_uploads_the_selected_study(
    window: MainWindow, qtbot: QtBot, orthanc: Orthanc, account: Account,
    cloud_library: Library, discs: DiscMaker, small_study: str,
) -> None:
    other = import_study(cloud_library, discs(slices=4, rows=32, columns=32, seed=11))
    # A disc is open in the viewer: Ctrl+U must not re-import and upload it.
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(discs(slices=3, rows=32, columns=32, seed=12))
    window.show_library()
    view = window.library_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 2, timeout=TIMEOUT)
    row = next(r for r in range(2) if view.proxy.index(r, 0).data(UID_ROLE) == small_study)
    view.table.selectRow(row)
    ctrl_u = next(a for a in window.actions() if a.shortcut() == QKeySequence("Ctrl+U"))
    ctrl_u.trigger()
    dialog = _dialog(window, qtbot)
    assert [r.study_instance_uid for r in dialog.rows] == [small_study]
    assert not window.transfers.import_dialogs
    with qtbot.waitSignal(dialog.upload_finished, timeout=TIMEOUT):
        dialog.send_button.click()
    assert orthanc.instance_count() == 11
    states = {r.study_instance_uid: r.uploads for r in cloud_library.list_studies()}
    assert states[small_study] == {account.name: "complete"}
    assert states[other].get(account.name, "none") == "none"
