"""The account dialog as a PACS: fields checked as they are typed (one sentence under the
wrong one, Save off meanwhile), saved beside the cloud accounts, changed, and tested with a
C-ECHO off the GUI thread against dcmtk's storescp in the loopback-only namespace."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from app.cloud.accounts import Account, AccountBook, PacsDestination
from app.gui.account_dialog import AccountDialog
from app.services.accounts_service import AccountsService
from tests.support.orthanc import free_port
from tests.support.storescp import StoreScp, storescp_problem

TIMEOUT = 30_000
needs_storescp = pytest.mark.skipif(storescp_problem() is not None,
                                    reason=str(storescp_problem()))


def _dialog(qtbot: QtBot, home: Path, existing: Account | PacsDestination | None = None,
            pacs: bool = True) -> AccountDialog:
    dialog = AccountDialog(None, AccountsService(home), existing, allow_pacs=pacs)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _as_pacs(dialog: AccountDialog) -> None:
    dialog.place_kind.setCurrentIndex(dialog.place_kind.findData("pacs"))


def _type(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.selectAll()
    edit.del_()
    qtbot.keyClicks(edit, text)


def _fill(qtbot: QtBot, dialog: AccountDialog, address: tuple[str, str, str],
          name: str = "main") -> None:
    form = dialog.pacs_form
    _type(qtbot, form.name, name)
    _type(qtbot, form.ae_title, address[0])
    _type(qtbot, form.host, address[1])
    _type(qtbot, form.port, address[2])


def _shown_problems(dialog: AccountDialog) -> dict[str, str]:
    return {key: label.text() for key, label in dialog.pacs_form.problem_labels.items()
            if label.isVisibleTo(dialog)}


def test_the_kind_is_offered_only_where_a_pacs_may_be_added(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """Adding from File > Accounts and PACS offers the choice; adding an account to upload
    to does not (it stays a cloud account dialog, as before)."""
    cloud_only = _dialog(qtbot, tmp_path, pacs=False)
    assert not cloud_only.place_kind.isVisibleTo(cloud_only)
    assert not cloud_only.pacs_form.isVisibleTo(cloud_only)
    assert cloud_only.url.isVisibleTo(cloud_only)
    dialog = _dialog(qtbot, tmp_path)
    assert [dialog.place_kind.itemText(i) for i in range(2)] == [
        "Cloud (DICOMweb)", "PACS (DICOM)"]
    assert dialog.url.isVisibleTo(dialog) and not dialog.pacs_form.isVisibleTo(dialog)
    qtbot.keyClicks(dialog.name, "Hospital")
    _as_pacs(dialog)
    assert dialog.pacs_form.isVisibleTo(dialog)
    for cloud_field in (dialog.name, dialog.url, dialog.secret, dialog.viewer):
        assert not cloud_field.isVisibleTo(dialog)
    assert dialog.pacs_form.name.text() == "Hospital"  # Carried over.
    assert dialog.pacs_form.calling_aet.text() == "LIGHTBOX"
    assert "needs no password" in dialog.message.text()
    # Nothing scolded before it is typed, but nothing can be saved either.
    assert _shown_problems(dialog) == {}
    assert not dialog.save_button.isEnabled()
    dialog.place_kind.setCurrentIndex(0)
    assert dialog.url.isVisibleTo(dialog) and dialog.save_button.isEnabled()


def test_each_field_is_checked_as_it_is_typed(qtbot: QtBot, tmp_path: Path) -> None:
    AccountBook(tmp_path).add(Account("cloud", "https://cloud.example.org/dw", "bearer"))
    dialog = _dialog(qtbot, tmp_path)
    _as_pacs(dialog)
    form = dialog.pacs_form
    _fill(qtbot, dialog, ("PACS", "10.0.0.5", "104"))
    assert _shown_problems(dialog) == {} and dialog.save_button.isEnabled()
    cases = [
        (form.ae_title, "MUCH-TOO-LONG-AE-TITLE", "ae_title", "is not an AE title"),
        (form.host, "pacs host", "host", "is not a host name or IP address"),
        (form.port, "", "port", "Enter the PACS's port"),
        (form.calling_aet, "", "calling_aet", "Enter an AE title"),
        (form.name, "cloud", "name", "The name cloud is already a cloud account"),
    ]
    for edit, wrong, key, sentence in cases:
        right = edit.text()
        _type(qtbot, edit, wrong)
        shown = _shown_problems(dialog)
        assert list(shown) == [key] and sentence in shown[key]
        assert not dialog.save_button.isEnabled()
        _type(qtbot, edit, right)
        assert _shown_problems(dialog) == {} and dialog.save_button.isEnabled()
    # The port takes digits only, up to 65535.
    _type(qtbot, form.port, "1x04")
    assert form.port.text() == "104"


def test_save_keeps_the_pacs_beside_the_accounts_and_change_renames_it(
    qtbot: QtBot, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, tmp_path)
    _as_pacs(dialog)
    _fill(qtbot, dialog, ("PACS", "10.0.0.5", "104"))
    _type(qtbot, dialog.pacs_form.calling_aet, "FRONTDESK")
    dialog.save()
    saved = PacsDestination("main", "PACS", "10.0.0.5", 104, "FRONTDESK")
    assert dialog.result() and dialog.pacs == saved and dialog.account is None
    assert AccountBook(tmp_path).pacs() == [saved]
    assert AccountBook(tmp_path).all() == []

    change = _dialog(qtbot, tmp_path, saved, pacs=False)
    assert change.windowTitle() == "Change the PACS main"
    assert change.is_pacs() and not change.place_kind.isEnabled()
    assert change.pacs_form.host.text() == "10.0.0.5"
    assert _shown_problems(change) == {} and change.save_button.isEnabled()
    _type(qtbot, change.pacs_form.name, "archive")
    _type(qtbot, change.pacs_form.port, "11112")
    change.save()
    assert AccountBook(tmp_path).pacs() == [
        PacsDestination("archive", "PACS", "10.0.0.5", 11112, "FRONTDESK")]


@pytest.fixture
def scp(tmp_path: Path) -> Iterator[StoreScp]:
    server = StoreScp(tmp_path / "received")
    yield server
    server.stop()


@needs_storescp
def test_test_echoes_the_pacs_as_typed(qtbot: QtBot, tmp_path: Path, scp: StoreScp) -> None:
    """Test sends the PACS (not yet saved) an echo off the GUI thread and shows the
    sentence; nothing is saved by testing."""
    dialog = _dialog(qtbot, tmp_path)
    _as_pacs(dialog)
    _fill(qtbot, dialog, (scp.aet, "127.0.0.1", str(scp.port)))
    dialog.test_connection()
    assert dialog.message.text().startswith("Testing ")
    qtbot.waitUntil(lambda: "answered the echo" in dialog.message.text(), timeout=TIMEOUT)
    assert dialog.message.text().startswith(f"It works: {scp.address} answered the echo in ")
    assert "(we called it as LIGHTBOX)" in dialog.message.text()
    assert AccountBook(tmp_path).pacs() == []

    port = free_port()
    _type(qtbot, dialog.pacs_form.port, str(port))
    dialog.test_connection()
    qtbot.waitUntil(lambda: "Nothing answers" in dialog.message.text(), timeout=TIMEOUT)
    assert dialog.message.text() == (f"Nothing answers at 127.0.0.1:{port}: check the "
                                     "address and that the PACS is running.")


def test_test_with_a_wrong_field_says_which(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, tmp_path)
    _as_pacs(dialog)
    dialog.test_connection()
    assert dialog.message.text() == "Enter a name for this PACS, for example Hospital PACS."
    assert set(_shown_problems(dialog)) == {"name", "ae_title", "host", "port"}
