"""Find in the worklist: the dialog against a real pynetdicom Modality Worklist SCP (in its
own process): search off the GUI thread, results in the table, the status sentence, pick a
patient and get the LocalIdentity; disabled with a sentence when no server is saved; and
the account dialog's PACS form saving a worklist server."""

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from app.cloud.accounts import AccountBook, PacsDestination
from app.gui.account_dialog import AccountDialog
from app.gui.worklist_dialog import WorklistDialog
from app.services.accounts_service import AccountsService
from app.services.reconciling import LocalIdentity
from tests.support.mwl_scp import FUTURE_DAY, WorklistScp
from tests.support.orthanc import free_port

TIMEOUT = 30_000


@pytest.fixture(scope="module")
def scp() -> Iterator[WorklistScp]:
    server = WorklistScp("WORKLIST")
    yield server
    server.stop()


def _dialog(qtbot: QtBot, home: Path, address: str | None,
            default_issuer: str = "") -> WorklistDialog:
    accounts = AccountsService(home)
    accounts.add_pacs(accounts.pacs_from_address("pacs", "PACS@10.0.0.5:104"))
    if address is not None:
        accounts.add_pacs(accounts.pacs_from_address("ris", address, "FRONTDESK", "worklist"))
    dialog = WorklistDialog(None, accounts, default_issuer=default_issuer)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _search(qtbot: QtBot, dialog: WorklistDialog) -> None:
    qtbot.mouseClick(dialog.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.search_button.isEnabled(), timeout=TIMEOUT)


def _cells(dialog: WorklistDialog, row: int) -> list[str]:
    return [dialog.table.item(row, c).text() for c in range(dialog.table.columnCount())]


def test_todays_list_by_default_then_pick_by_name(qtbot: QtBot, tmp_path: Path,
                                                  scp: WorklistScp) -> None:
    dialog = _dialog(qtbot, tmp_path, scp.address())
    assert [dialog.server.itemData(i) for i in range(dialog.server.count())] == ["ris"]
    assert dialog.date.text() == datetime.date.today().isoformat()
    _search(qtbot, dialog)
    assert dialog.status.text() == "2 items found."
    today = datetime.date.today().isoformat()
    assert _cells(dialog, 0) == ["MÜLLER, JÜRGEN", "MRN-1001", "HOSP-A", "1961-04-12", "M",
                                 "ACC-77001", f"{today} 08:30", "CT Thorax"]
    assert not dialog.use_button.isEnabled()  # Nothing picked yet.
    dialog.name.setText("łukas*")  # QTest types only ASCII; this is sent as UTF-8.
    _search(qtbot, dialog)
    assert dialog.status.text() == "1 item found."
    assert dialog.use_button.isEnabled()  # The only item is selected.
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.chosen() == LocalIdentity("MRN-1002", "HOSP-A", "ŁUKASIEWICZ^ZOFIA",
                                            "19880229", "F", "ACC-77002")


def test_items_with_bad_or_missing_values(qtbot: QtBot, tmp_path: Path,
                                          scp: WorklistScp) -> None:
    """Bad or missing values are empty cells; an item without an issuer takes the
    default one; nothing found and a bad date are sentences."""
    dialog = _dialog(qtbot, tmp_path, scp.address(), default_issuer="HOSP-A")
    dialog.date.setText(FUTURE_DAY)
    _search(qtbot, dialog)
    assert dialog.status.text() == "3 items found."
    assert _cells(dialog, 0)[:6] == ["DOE, JOHN", "MRN-1003", "", "", "", "ACC-77003"]
    assert _cells(dialog, 1) == ["", "MRN-1004", "", "", "", "", "2030-01-15", ""]
    dialog.table.selectRow(2)  # MRN-1005: its name was unusable, its ID is fine.
    assert dialog.use_button.isEnabled() and dialog.status.text() == "3 items found."
    dialog.table.selectRow(0)
    dialog.use()
    assert dialog.chosen() == LocalIdentity("MRN-1003", "HOSP-A", "DOE^JOHN", None, None,
                                            "ACC-77003")
    again = _dialog(qtbot, tmp_path / "again", scp.address())
    again.patient_id.setText("NOBODY")
    _search(qtbot, again)
    assert again.status.text() == "No one in the worklist matches this search."
    assert again.table.rowCount() == 0 and not again.use_button.isEnabled()
    again.date.setText("tomorrow")
    again.search()
    assert again.status.text().startswith("The date 'tomorrow' is not a date")


def test_errors_are_one_sentence(qtbot: QtBot, tmp_path: Path, scp: WorklistScp) -> None:
    port = free_port()
    dialog = _dialog(qtbot, tmp_path, f"MWL@127.0.0.1:{port}")
    _search(qtbot, dialog)
    assert dialog.status.text() == (f"Nothing answers at 127.0.0.1:{port}: check the "
                                    "worklist server's address and that it is running.")
    refused = _dialog(qtbot, tmp_path / "refused", scp.address("WRONG"))
    _search(qtbot, refused)
    assert refused.status.text().startswith(
        f"The worklist server at 127.0.0.1:{scp.port} refused the connection: ")
    assert refused.chosen() is None


def test_without_a_worklist_server_it_says_what_to_do(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, tmp_path, None)
    assert not dialog.search_button.isEnabled() and not dialog.name.isEnabled()
    assert dialog.status.text().startswith("No worklist server is set up: add one under "
                                           "File > Accounts and PACS")
    dialog.search()  # Nothing to ask: nothing happens.
    assert dialog.chosen() is None


def test_the_pacs_form_saves_a_worklist_server(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = AccountDialog(None, AccountsService(tmp_path), None, allow_pacs=True)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.place_kind.setCurrentIndex(dialog.place_kind.findData("pacs"))
    form = dialog.pacs_form
    for edit, text in ((form.name, "ris"), (form.ae_title, "MWL"), (form.host, "10.0.0.9"),
                       (form.port, "105")):
        qtbot.keyClicks(edit, text)
    form.role.setCurrentIndex(form.role.findData("worklist"))
    dialog.save()
    saved = PacsDestination("ris", "MWL", "10.0.0.9", 105, "LIGHTBOX", "worklist")
    assert AccountBook(tmp_path).pacs() == [saved]
    changed = AccountDialog(None, AccountsService(tmp_path), saved, allow_pacs=True)
    qtbot.addWidget(changed)
    assert changed.pacs_form.role.currentData() == "worklist"
