""""Share a copy without my name..." in the window, against a real Orthanc: only accounts
with a viewer for doctors are offered (and when there is none, the dialog says why); the
pictures that may have writing in them are reviewed first; then the share panel opens
with the copy's link (its own study UID) and says the copy carries no name, and what is
on the cloud carries nothing of the patient. Cancel sends nothing."""

import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

import app.gui.share_copy_dialog as share_copy_dialog
import app.services.exporting as exporting
from app.cloud.accounts import Account, AccountBook
from app.cloud.credentials import save_secret
from app.cloud.viewer_links import preset_template
from app.gui.library_view import UID_ROLE, LibraryView
from app.gui.main_window import MainWindow
from app.gui.share_copy_dialog import CHOOSE, REVIEW, ShareCopyDialog
from app.library.library import Library
from app.services.accounts_service import AccountsService
from app.services.copy_review import EXCLUDE
from app.services.library_service import LibraryService
from tests.support.burned_in import import_burned_in
from tests.support.cloud_fixtures import (
    ORTHANC_PASSWORD,
    ORTHANC_USER,
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
from tests.support.keyrings import MemoryKeyring
from tests.support.orthanc import Orthanc
from tests.support.studies import study_files

__all__ = ["account", "cloud_home", "cloud_library", "discs", "memory_keyring", "orthanc",
           "orthanc_server", "small_study"]

TIMEOUT = 60_000
NO_NAME = "This copy does not carry your name, birth date or ID."
# What the sample disc says about its patient, study and place (app.samples.disc_writer).
SAMPLE_IDENTITY = [b"sample^patient", b"lightbox-sample", b"lbsample1", b"sample^referrer",
                   b"lightbox sample disc", b"19700101", b"20240102"]


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


def _open(window: MainWindow, qtbot: QtBot, study: str) -> ShareCopyDialog:
    window.show_library()
    _select(window.library_view, qtbot, study)
    assert window.library_view.share_copy_button.isEnabled()
    window.library_view.share_copy_button.click()
    dialog = window.copies.share_dialogs[-1]
    qtbot.waitUntil(lambda: bool(dialog.label), timeout=TIMEOUT)
    return dialog


def _find_studies(orthanc: Orthanc, **query: str) -> list[str]:
    """Orthanc's /tools/find at the study level (its own index, not DICOMweb)."""
    response = orthanc.session.post(f"{orthanc.base}/tools/find", timeout=30,
                                    json={"Level": "Study", "Query": query})
    response.raise_for_status()
    return [str(s) for s in response.json()]


def test_the_panel_opens_with_the_copys_link_and_the_cloud_has_no_name(
    window: MainWindow, qtbot: QtBot, orthanc: Orthanc, account: Account,
    viewer_account: Account, small_study: str, cloud_library: Library, cloud_home: Path,
    discs: DiscMaker, tmp_path: Path,
) -> None:
    (ultrasound,) = import_burned_in(cloud_library, discs(), tmp_path / "us", "US")
    dialog = _open(window, qtbot, small_study)
    # Only the account with a viewer for doctors: "cloud" would give no link.
    assert [dialog.account.itemText(i) for i in range(dialog.account.count())] == ["doctors"]
    assert dialog.no_account.text() == "cloud is not offered: no viewer for doctors, so no link."
    assert not dialog.accounts_button.isVisibleTo(dialog)
    assert dialog.what.text().startswith("CT scan, Ultrasound, 2 Jan 2024")
    qtbot.waitUntil(lambda: dialog.pseudonym.name.placeholderText().startswith("Anonymous"),
                    timeout=TIMEOUT)
    dialog.pseudonym.name.setText("Second opinion 2026")

    dialog.share_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == REVIEW, timeout=TIMEOUT)
    assert list(dialog.review.rows) == [ultrasound]
    assert dialog.review.choices() == {ultrasound: EXCLUDE}
    qtbot.waitUntil(dialog.review.pictures_loaded, timeout=TIMEOUT)
    dialog.share_button.click()
    qtbot.waitUntil(lambda: bool(window.sharing.dialogs), timeout=TIMEOUT)
    assert not dialog.isVisible()

    panel = window.sharing.dialogs[-1]
    link = panel.current().link
    assert panel.note.isVisibleTo(panel)
    assert panel.note.text().startswith(NO_NAME)
    assert "dates are moved" in panel.note.text()
    assert panel.note.text().endswith(" 1 picture that may have writing in it was left out.")
    assert panel.account.name == "doctors"
    assert "a copy without your name" in panel.current().label
    copy_uid = link.rsplit("=", 1)[-1]
    assert copy_uid and copy_uid != small_study and small_study not in link
    assert link == viewer_account.viewer_url.replace("{StudyInstanceUID}", copy_uid)

    # On the cloud: the copy (the CT; the ultrasound was left out), nothing of the patient.
    stored = orthanc.qido_instances(copy_uid)
    assert len(stored) == 11 == orthanc.instance_count()
    assert orthanc.qido_instances(small_study) == set()
    assert not set(study_files(cloud_home, small_study)) & stored
    for uid in stored:
        data = orthanc.stored_bytes(uid).lower()
        assert [m for m in SAMPLE_IDENTITY if m in data] == [], uid
        assert b"second opinion 2026" in data
    assert _find_studies(orthanc, PatientName="*SAMPLE*") == []
    # Recorded under the library's study: the library shows it as shared.
    [share] = LibraryService(cloud_home).shares(small_study)
    assert share.link == link and share.account == "doctors"


def test_without_an_account_with_a_viewer_the_dialog_says_why(
    window: MainWindow, qtbot: QtBot, account: Account, small_study: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = _open(window, qtbot, small_study)
    assert dialog.account.count() == 0
    assert dialog.no_account.isVisibleTo(dialog)
    assert dialog.no_account.text().startswith("cloud has no viewer for doctors")
    assert not dialog.share_button.isEnabled()
    # Nothing to choose yet: only why, and the way to the accounts.
    assert not dialog.account_row.isVisibleTo(dialog)
    assert not dialog.pseudonym.isVisibleTo(dialog)
    assert dialog.accounts_button.isVisibleTo(dialog)

    def add_viewer(_parent: object, service: AccountsService) -> Account:
        changed = dataclasses.replace(account, viewer_url=preset_template(
            "ohif", account.url))
        service.book.add(changed)  # Replaces the account of that name.
        return changed

    monkeypatch.setattr(share_copy_dialog, "change_accounts", add_viewer)
    dialog.accounts_button.click()
    qtbot.waitUntil(lambda: dialog.account.count() == 1, timeout=TIMEOUT)
    assert dialog.share_button.isEnabled() and dialog.pseudonym.isVisibleTo(dialog)
    assert not dialog.no_account.isVisibleTo(dialog)


def test_cancel_sends_nothing(
    window: MainWindow, qtbot: QtBot, orthanc: Orthanc, viewer_account: Account,
    small_study: str, cloud_home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = exporting._copy_one

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(exporting, "_copy_one", slow)
    dialog = _open(window, qtbot, small_study)
    with qtbot.waitSignal(dialog.progress.valueChanged, timeout=TIMEOUT):
        dialog.share_button.click()  # No picture with writing: straight to the copy.
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == CHOOSE, timeout=TIMEOUT)
    assert dialog.problem.text().startswith("Cancelled")
    assert orthanc.instance_count() == 0
    assert not window.sharing.dialogs
    assert LibraryService(cloud_home).shares(small_study) == []
    assert sorted(p.name for p in cloud_home.glob(".share-copy-*")) == []


def test_from_the_open_study_and_not_from_a_disc(
    window: MainWindow, qtbot: QtBot, viewer_account: Account, small_study: str,
    discs: DiscMaker, monkeypatch: pytest.MonkeyPatch,
) -> None:
    window.open_study(small_study)
    qtbot.waitUntil(lambda: window.image_shown, timeout=TIMEOUT)
    window.share_copy_open()
    assert window.copies.share_dialogs[-1].study_uid == small_study
    window.copies.share_dialogs[-1].reject()
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information",
                        lambda _parent, _title, text: told.append(text))
    window.open_path(discs(slices=4))
    qtbot.waitUntil(lambda: window.session is not None and not window.session.reader.is_library,
                    timeout=TIMEOUT)
    window.share_copy_open()
    assert told and told[0].startswith("This disc is not in the library yet.")
