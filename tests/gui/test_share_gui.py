"""Share with a doctor in the window: the account dialog's viewer for doctors (presets made
from the account's address, "Other" checked as it is typed, an account's preset
recognised when it is changed), and the share panel (the QR code on screen, saved and
printed reads back as the link; Copy puts the link on the clipboard; the email carries the
link, never the patient; every share is recorded and listed), opened after an upload
that every image made and from the library, against a real Orthanc."""

from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import zxingcpp
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QImage
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog
from pytestqt.qtbot import QtBot

from app.cloud.accounts import Account, AccountBook
from app.cloud.credentials import load_secret, save_secret
from app.cloud.viewer_links import PLACEHOLDER, fill, preset_template
from app.gui.account_dialog import AccountDialog
from app.gui.library_view import UID_ROLE, LibraryView
from app.gui.main_window import MainWindow
from app.gui.share_dialog import ShareDialog
from app.library.library import Library
from app.services.accounts_service import AccountsService
from app.services.library_service import LibraryService
from app.services.sharing import ShareItem, viewer_address
from tests.support.cloud_fixtures import (
    ORTHANC_PASSWORD,
    ORTHANC_USER,
    account,
    cloud_home,
    cloud_library,
    discs,
    memory_keyring,
    orthanc,
    orthanc_server,
    small_study,
)
from tests.support.keyrings import MemoryKeyring
from tests.support.orthanc import Orthanc

__all__ = ["account", "cloud_home", "cloud_library", "discs", "memory_keyring", "orthanc",
           "orthanc_server", "small_study"]

TIMEOUT = 60_000
DICOMWEB = "https://cloud.example.org/dicom-web"
UID = "1.2.826.0.1.3680043.8.498.12345678901234567890"
PRESETS = ("ohif", "orthanc-explorer-2", "stone", "weasis")


def _decode(image: QImage) -> list[str]:
    """The QR codes a reader finds in the pixels of ``image``."""
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    pixels = np.frombuffer(gray.constBits(), dtype=np.uint8).reshape(
        gray.height(), gray.bytesPerLine())[:, :gray.width()]
    return [r.text for r in zxingcpp.read_barcodes(np.ascontiguousarray(pixels))]


# -- the account dialog -------------------------------------------------------------------
def _dialog(qtbot: QtBot, home: Path, existing: Account | None = None) -> AccountDialog:
    dialog = AccountDialog(None, AccountsService(home), existing)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _choose(dialog: AccountDialog, key: str) -> None:
    dialog.viewer.setCurrentIndex(dialog.viewer.findData(key))


def test_each_preset_shows_the_address_made_from_the_account(
    qtbot: QtBot, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, tmp_path)
    labels = [dialog.viewer.itemText(i) for i in range(dialog.viewer.count())]
    assert [label.split(" ")[0] for label in labels] == [
        "OHIF", "Orthanc", "Orthanc", "Weasis", "Other", "None"]
    assert dialog.viewer_choice() == "none"  # No links until the user picks a viewer.
    assert not dialog.viewer_url.isVisibleTo(dialog)
    dialog.url.setText(DICOMWEB)
    for key in PRESETS:
        _choose(dialog, key)
        assert dialog.viewer_url.isVisibleTo(dialog) and dialog.viewer_url.isReadOnly()
        shown = dialog.viewer_url.text()
        assert shown == preset_template(key, DICOMWEB).replace(PLACEHOLDER, "…")
        assert "StudyInstanceUID}" not in shown
        assert not dialog.viewer_problem.isVisibleTo(dialog)
        assert dialog.save_button.isEnabled()
    # Made again, live, when the account's address changes.
    _choose(dialog, "stone")
    dialog.url.setText("https://pacs.example.net/orthanc/dicom-web")
    assert dialog.viewer_url.text() == (
        "https://pacs.example.net/orthanc/stone-webviewer/index.html?study=…")
    dialog.url.setText("")
    assert dialog.viewer_problem.isVisibleTo(dialog)
    assert dialog.viewer_problem.text().startswith("Enter the account's address first")
    assert not dialog.save_button.isEnabled()


def test_other_is_typed_and_checked_as_it_is_typed(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, tmp_path)
    dialog.url.setText(DICOMWEB)
    _choose(dialog, "ohif")
    _choose(dialog, "other")
    # Starts from the preset that was on show, now editable with its placeholder.
    assert not dialog.viewer_url.isReadOnly()
    assert dialog.viewer_url.text() == preset_template("ohif", DICOMWEB)
    assert dialog.save_button.isEnabled()
    dialog.viewer_url.clear()
    qtbot.keyClicks(dialog.viewer_url, "https://viewer.example.org/open")
    assert dialog.viewer_problem.isVisibleTo(dialog)
    problem = dialog.viewer_problem.text()
    assert problem.endswith(".") and problem.count(". ") == 0  # One sentence.
    assert "StudyInstanceUID" not in problem
    assert not dialog.save_button.isEnabled()
    assert "StudyInstanceUID" in dialog.viewer_url.placeholderText()  # The example.
    qtbot.keyClicks(dialog.viewer_url, "?study={StudyInstanceUID}")
    assert not dialog.viewer_problem.isVisibleTo(dialog)
    assert dialog.save_button.isEnabled()
    dialog.viewer_url.setText("")
    qtbot.keyClicks(dialog.viewer_url, "http://viewer.example.org/?s={StudyInstanceUID}")
    assert "HTTPS" in dialog.viewer_problem.text() and not dialog.save_button.isEnabled()
    _choose(dialog, "none")
    assert not dialog.viewer_url.isVisibleTo(dialog)
    assert not dialog.viewer_problem.isVisibleTo(dialog) and dialog.save_button.isEnabled()


def test_saving_and_changing_an_account_keeps_its_viewer(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    dialog = _dialog(qtbot, tmp_path)
    dialog.name.setText("My Clinic Cloud")
    dialog.url.setText(DICOMWEB)
    dialog.username.setText("me")
    dialog.secret.setText("s3cret")
    _choose(dialog, "orthanc-explorer-2")
    dialog.save_button.click()
    saved = AccountBook(tmp_path).get("My Clinic Cloud")
    assert saved.viewer_url == preset_template("orthanc-explorer-2", DICOMWEB)

    # Changing it: its preset is recognised; the secret is kept when not typed again.
    again = _dialog(qtbot, tmp_path, saved)
    assert again.windowTitle() == "Change the account My Clinic Cloud"
    assert again.viewer_choice() == "orthanc-explorer-2"
    assert again.viewer_url.isReadOnly()
    _choose(again, "weasis")
    again.save_button.click()
    changed = AccountBook(tmp_path).get("My Clinic Cloud")
    assert changed.viewer_url == preset_template("weasis", DICOMWEB)
    assert load_secret("My Clinic Cloud") == "s3cret"

    typed = f"https://viewer.example.org/show?uid={PLACEHOLDER}"
    other = _dialog(qtbot, tmp_path, replace(changed, viewer_url=typed))
    assert other.viewer_choice() == "other"
    assert other.viewer_url.text() == typed and not other.viewer_url.isReadOnly()
    bare = _dialog(qtbot, tmp_path, replace(changed, viewer_url=""))
    assert bare.viewer_choice() == "none"


# -- the share panel ----------------------------------------------------------------------
def _panel(qtbot: QtBot, home: Path, preset: str = "ohif") -> ShareDialog:
    template = viewer_address(preset, DICOMWEB).template
    cloud = Account("My Clinic Cloud", DICOMWEB, "basic", "me", viewer_url=template)
    item = ShareItem(UID, "CT scan, 12 Mar 2024: Head", fill(template, UID))
    library = LibraryService(home)
    library.studies()  # The library exists (made once, not by two threads at the same time).
    dialog = ShareDialog([item], cloud, library)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _hows(home: Path) -> list[str]:
    return [s.how for s in LibraryService(home).shares(UID)]


@pytest.mark.parametrize("preset", PRESETS)
def test_the_qr_code_on_screen_reads_back_as_the_link(
    qtbot: QtBot, lightbox_home: Path, preset: str
) -> None:
    dialog = _panel(qtbot, lightbox_home, preset)
    link = dialog.current().link
    assert dialog.link_box.toPlainText() == link and dialog.link_box.isReadOnly()
    shown = dialog.qr.pixmap().toImage()
    assert _decode(shown) == [link]
    assert _decode(dialog.qr_shown) == [link]
    # Crisp: black and white only, at least 3 pixels a module, a phone's size.
    gray = dialog.qr_shown.convertToFormat(QImage.Format.Format_Grayscale8)
    assert {gray.pixelColor(x, y).value() for x in range(0, gray.width(), 3)
            for y in range(0, gray.height(), 3)} == {0, 255}
    assert 200 <= dialog.qr_shown.width() <= 400
    if preset == "weasis":
        assert dialog.needs.text().startswith(
            "Your doctor needs the Weasis viewer installed on their computer.")
    else:
        assert dialog.needs.text() == (
            "Your doctor signs in to My Clinic Cloud's viewer to open it. The link only "
            "works for people who have an account there.")


def test_copy_email_save_and_print_are_each_recorded_and_listed(
    qtbot: QtBot, lightbox_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = _panel(qtbot, lightbox_home)
    link = dialog.current().link

    dialog.copy_button.click()
    assert QApplication.clipboard().text() == link
    qtbot.waitUntil(lambda: _hows(lightbox_home) == ["copied"], timeout=TIMEOUT)

    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl",
                        lambda url: opened.append(QUrl(url)) or True)
    dialog.email_button.click()
    (url,) = opened
    parts = urlsplit(url.toString(QUrl.ComponentFormattingOption.FullyEncoded))
    fields = parse_qs(parts.query)
    assert parts.scheme == "mailto" and fields["subject"] == ["Medical images for you to view"]
    assert link in fields["body"][0]
    qtbot.waitUntil(lambda: _hows(lightbox_home) == ["email", "copied"], timeout=TIMEOUT)

    png = tmp_path / "code.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(png), "PNG images (*.png)"))
    dialog.save_button.click()
    saved = QImage(str(png))
    assert not saved.isNull() and _decode(saved) == [link]
    qtbot.waitUntil(lambda: _hows(lightbox_home)[0] == "qr code", timeout=TIMEOUT)

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "page.pdf"))
    dialog.print_to(printer)
    assert (tmp_path / "page.pdf").stat().st_size > 1000
    qtbot.waitUntil(lambda: _hows(lightbox_home) == ["printed", "qr code", "email", "copied"],
                    timeout=TIMEOUT)
    assert {s.link for s in LibraryService(lightbox_home).shares(UID)} == {link}
    # Earlier shares, newest first, on the panel.
    qtbot.waitUntil(lambda: len(dialog.history_lines) == 4, timeout=TIMEOUT)
    assert dialog.history_lines[0].startswith("Shared through My Clinic Cloud on ")
    assert dialog.history_lines[0].endswith("(printed)")
    assert dialog.history_lines[-1].endswith("(link copied)")
    assert dialog.history.isVisibleTo(dialog)


def test_several_studies_are_chosen_one_at_a_time(qtbot: QtBot, lightbox_home: Path) -> None:
    """After an upload of several studies: one panel, a study list, each with its link."""
    template = viewer_address("stone", DICOMWEB).template
    cloud = Account("My Clinic Cloud", DICOMWEB, "basic", "me", viewer_url=template)
    other = UID + "1"
    items = [ShareItem(UID, "CT scan, 12 Mar 2024", fill(template, UID)),
             ShareItem(other, "MRI, 3 Apr 2024", fill(template, other))]
    library = LibraryService(lightbox_home)
    library.studies()
    dialog = ShareDialog(items, cloud, library)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.study.isVisibleTo(dialog) and not dialog.study_label.isVisibleTo(dialog)
    assert [dialog.study.itemText(i) for i in range(2)] == ["CT scan, 12 Mar 2024",
                                                            "MRI, 3 Apr 2024"]
    dialog.study.setCurrentIndex(1)
    assert dialog.link_box.toPlainText() == fill(template, other)
    assert _decode(dialog.qr.pixmap().toImage()) == [fill(template, other)]
    dialog.copy_button.click()
    qtbot.waitUntil(lambda: bool(library.shares(other)), timeout=TIMEOUT)
    assert library.shares(UID) == []


def test_no_mail_program_says_what_to_do_and_records_nothing(
    qtbot: QtBot, lightbox_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = _panel(qtbot, lightbox_home)
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda _url: False)
    dialog.email_button.click()
    assert dialog.feedback.text().startswith("No email program opened on this computer.")
    qtbot.wait(200)
    assert _hows(lightbox_home) == []


# -- from the upload and from the library, against Orthanc -------------------------------
@pytest.fixture
def viewer_account(orthanc: Orthanc, memory_keyring: MemoryKeyring,
                   cloud_home: Path) -> Account:
    """The account ``doctors`` on the test Orthanc, with the OHIF preset."""
    item = Account("doctors", orthanc.dicomweb, "basic", ORTHANC_USER,
                   viewer_url=preset_template("ohif", orthanc.dicomweb))
    save_secret(item.name, ORTHANC_PASSWORD)
    AccountBook(cloud_home).add(item)
    return item


def _select(view: LibraryView, qtbot: QtBot, study: str) -> None:
    qtbot.waitUntil(lambda: view.proxy.rowCount() >= 1, timeout=TIMEOUT)
    row = next(r for r in range(view.proxy.rowCount())
               if view.proxy.index(r, 0).data(UID_ROLE) == study)
    view.table.selectRow(row)


def _upload(window: MainWindow, qtbot: QtBot, study: str, name: str) -> None:
    window.upload([study], name)
    qtbot.waitUntil(lambda: bool(window.transfers.upload_dialogs), timeout=TIMEOUT)
    dialog = window.transfers.upload_dialogs[-1]
    with qtbot.waitSignal(dialog.upload_finished, timeout=TIMEOUT):
        dialog.send_button.click()
    dialog.close()


def test_upload_then_the_panel_then_share_from_the_library(
    window: MainWindow, qtbot: QtBot, viewer_account: Account, account: Account,
    small_study: str, cloud_library: Library, cloud_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window.show_library()
    view = window.library_view
    _select(view, qtbot, small_study)
    assert not view.share_button.isEnabled()
    assert view.share_button.toolTip().startswith("Upload this study to a cloud account first")

    # To an account without a viewer: no panel, and still nothing to share.
    _upload(window, qtbot, small_study, account.name)
    qtbot.waitUntil(lambda: "cloud: complete" in str(view.proxy.index(0, 9).data()),
                    timeout=TIMEOUT)
    _select(view, qtbot, small_study)
    assert not window.sharing.dialogs
    assert not view.share_button.isEnabled()
    assert view.share_button.toolTip().startswith("cloud has no viewer for doctors yet")

    # To the account with a viewer: when the last image is confirmed, the panel.
    _upload(window, qtbot, small_study, viewer_account.name)
    qtbot.waitUntil(lambda: bool(window.sharing.dialogs), timeout=TIMEOUT)
    panel = window.sharing.dialogs[-1]
    link = fill(viewer_account.viewer_url, small_study)
    assert panel.account.name == "doctors" and panel.current().link == link
    assert _decode(panel.qr.pixmap().toImage()) == [link]
    # The email names neither the patient nor the study's description.
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl",
                        lambda url: opened.append(QUrl(url)) or True)
    panel.email_button.click()
    (row,) = cloud_library.list_studies()
    mail = parse_qs(urlsplit(opened[0].toString(
        QUrl.ComponentFormattingOption.FullyEncoded)).query)
    for text in (mail["subject"][0], mail["body"][0]):
        for part in (*row.patient_name.split("^"), row.patient_id, row.study_description):
            assert part.casefold() not in text.casefold(), part
    assert ORTHANC_PASSWORD not in opened[0].toString()
    panel.close()

    # The library: shared, and "Share with a doctor..." now opens the panel.
    qtbot.waitUntil(lambda: ", shared" in str(view.proxy.index(0, 9).data()), timeout=TIMEOUT)
    assert "(email)" in view.model.item(0, 9).toolTip().splitlines()[1]
    _select(view, qtbot, small_study)
    assert view.share_button.isEnabled()
    count = len(window.sharing.dialogs)
    view.share_button.click()
    qtbot.waitUntil(lambda: len(window.sharing.dialogs) > count, timeout=TIMEOUT)
    assert window.sharing.dialogs[-1].current().link == link
    qtbot.waitUntil(lambda: bool(window.sharing.dialogs[-1].history_lines), timeout=TIMEOUT)
    assert window.sharing.dialogs[-1].history_lines[0].endswith("(email)")


def test_a_study_on_two_accounts_asks_through_which_one(
    window: MainWindow, qtbot: QtBot, viewer_account: Account, small_study: str,
    cloud_home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    second = replace(viewer_account, name="second opinion")
    save_secret(second.name, ORTHANC_PASSWORD)
    AccountBook(cloud_home).add(second)
    for each in (viewer_account, second):
        library, accounts = LibraryService(cloud_home), AccountsService(cloud_home)
        list(library.upload([small_study], each, accounts.client_factory(each)))
    asked: list[list[str]] = []

    def pick(*args: object, **_kwargs: object) -> tuple[str, bool]:
        names = args[3]
        assert isinstance(names, list)
        asked.append(names)
        return "second opinion", True

    monkeypatch.setattr(QInputDialog, "getItem", pick)
    window.show_library()
    _select(window.library_view, qtbot, small_study)
    window.library_view.share_button.click()
    qtbot.waitUntil(lambda: bool(window.sharing.dialogs), timeout=TIMEOUT)
    assert asked == [["doctors", "second opinion"]]
    assert window.sharing.dialogs[-1].account.name == "second opinion"
