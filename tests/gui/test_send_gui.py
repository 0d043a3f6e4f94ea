""""Send to PACS..." in the window, against dcmtk's storescp in the loopback-only namespace:
whose images and where to before anything leaves, every image confirmed, the decoded note,
one sentence when nothing answers, Try again after a PACS died mid-study sending only the
rest, the address checked field by field, and when the button can be pressed."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from PySide6.QtCore import QItemSelectionModel, QSettings
from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot

from app.gui.library_view import UID_ROLE, UPLOADED_COLUMN
from app.gui.main_window import MainWindow
from app.gui.send_dialog import SendDialog
from app.library.library import Library
from app.samples.disc_writer import write_sample_disc
from app.services.accounts_service import AccountsService
from app.services.library_service import LibraryService, StudyRow
from app.services.privacy import HIDDEN_TEXT, Privacy
from tests.support.cloud_fixtures import DiscMaker, cloud_home, cloud_library, discs, small_study
from tests.support.orthanc import free_port
from tests.support.storescp import StoreScp, storescp_problem
from tests.support.studies import import_study, study_files

# The fixtures this module uses, imported so pytest finds them.
__all__ = ["cloud_home", "cloud_library", "discs", "small_study"]

pytestmark = pytest.mark.skipif(storescp_problem() is not None,
                                reason=str(storescp_problem()))

TIMEOUT = 60_000


@pytest.fixture
def scp(tmp_path: Path) -> Iterator[StoreScp]:
    """A PACS that keeps what it receives as it came (any transfer syntax)."""
    server = StoreScp(tmp_path / "received", "+B")
    yield server
    server.stop()


def _open(window: MainWindow, qtbot: QtBot, studies: list[str],
          as_on_disc: bool = True) -> SendDialog:
    """The send dialog for ``studies``; with one study, "Send as on the disc" chosen
    (these tests are about sending; the patient section has its own)."""
    before = len(window.transfers.send_dialogs)
    window.transfers.send(studies)
    qtbot.waitUntil(lambda: len(window.transfers.send_dialogs) > before, timeout=TIMEOUT)
    dialog = window.transfers.send_dialogs[-1]
    if as_on_disc and len(studies) == 1:
        assert dialog.patient_section is not None
        dialog.patient_section.as_disc.setChecked(True)
    return dialog


def _address(dialog: SendDialog, aet: str, port: int, calling: str = "LIGHTBOX") -> None:
    for key, value in (("ae_title", aet), ("host", "127.0.0.1"), ("port", str(port)),
                       ("calling", calling)):
        dialog.fields[key].setText(value)


def _ready(dialog: SendDialog, qtbot: QtBot) -> None:
    qtbot.waitUntil(dialog.send_button.isEnabled, timeout=TIMEOUT)


def _send(dialog: SendDialog, qtbot: QtBot) -> None:
    with qtbot.waitSignal(dialog.send_finished, timeout=TIMEOUT):
        dialog.send_button.click()


def _uids(server: StoreScp) -> set[str]:
    return {str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID)
            for p in server.files()}


def test_whose_images_and_where_then_every_image_confirmed(
    window: MainWindow, qtbot: QtBot, small_study: str, scp: StoreScp,
) -> None:
    dialog = _open(window, qtbot, [small_study])
    # Whose images these are, before anything leaves.
    item = dialog.listing.topLevelItem(0)
    assert [item.text(c) for c in (0, 1, 4)] == ["SAMPLE, PATIENT", "LIGHTBOX-SAMPLE", "11"]
    assert not dialog.patients.isVisible()
    assert not dialog.send_button.isEnabled()  # No address yet.
    _address(dialog, scp.aet, scp.port)
    _ready(dialog, qtbot)
    assert dialog.destination() == scp.address and dialog.calling_aet() == "LIGHTBOX"
    assert dialog.summary.text().startswith(
        "11 images of 1 study (") and dialog.summary.text().endswith(
        f") will be sent to {scp.address} as LIGHTBOX, filed as on the disc, under its "
        "Patient ID LIGHTBOX-SAMPLE.")
    assert scp.files() == []

    _send(dialog, qtbot)
    assert dialog.pages.currentIndex() == 1
    assert dialog.panel.study_text(small_study) == "All 11 images confirmed"
    assert dialog.panel.status.text() == f"Done: {scp.address} confirmed all 11 images."
    assert not dialog.panel.problem.isVisible() and not dialog.panel.note.isVisible()
    assert not dialog.panel.failures.isVisible() and not dialog.retry_button.isVisible()
    assert dialog.close_button.text() == "Close"
    assert len(scp.files()) == 11
    dialog.close_button.click()
    # The library says where the study went.
    view = window.library_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1 and view.proxy.index(
        0, UPLOADED_COLUMN).data() == f"sent to {scp.address}", timeout=TIMEOUT)

    # Next time the address is remembered, and nothing is left to send.
    again = _open(window, qtbot, [small_study])
    qtbot.waitUntil(lambda: "already confirmed all 11" in again.summary.text(),
                    timeout=TIMEOUT)
    assert again.destination() == scp.address
    assert not again.send_button.isEnabled()
    again.reject()


def test_a_compressed_study_to_an_uncompressed_only_pacs_says_it_was_decoded(
    window: MainWindow, qtbot: QtBot, cloud_library: Library, tmp_path: Path,
) -> None:
    disc = tmp_path / "rle"
    write_sample_disc(disc, slices=4, transfer_syntax="rle", rows=32, columns=32, seed=3)
    study = import_study(cloud_library, disc)
    server = StoreScp(tmp_path / "plain")  # storescp's default: uncompressed only.
    try:
        dialog = _open(window, qtbot, [study])
        _address(dialog, server.aet, server.port)
        _ready(dialog, qtbot)
        _send(dialog, qtbot)
        received = [pydicom.dcmread(p) for p in server.files()]
    finally:
        server.stop()
    total = len(received)
    assert total == 6 and dialog.panel.study_text(study) == "All 6 images confirmed"
    assert all(not ds.file_meta.TransferSyntaxUID.is_compressed for ds in received)
    assert dialog.panel.note.isVisible()
    assert dialog.panel.note.text() == (
        "This PACS accepts only uncompressed images, so 6 compressed images were decoded "
        "and sent uncompressed (the same pictures, in larger files).")


def test_nothing_listening_is_one_sentence_and_try_again_sends_once_it_is_there(
    window: MainWindow, qtbot: QtBot, small_study: str, tmp_path: Path,
) -> None:
    port = free_port()
    dialog = _open(window, qtbot, [small_study])
    _address(dialog, "PACS", port)
    _ready(dialog, qtbot)
    dialog.send_button.click()
    qtbot.waitUntil(dialog.retry_button.isVisible, timeout=TIMEOUT)
    problem = dialog.panel.problem
    assert problem.isVisible() and problem.text() == (
        f"Nothing answers at 127.0.0.1:{port}: check the address and that the PACS is "
        "running.")
    assert "Try again" in dialog.panel.status.text()
    qtbot.waitUntil(lambda: dialog.panel.study_text(small_study) == "0 of 11 images confirmed",
                    timeout=TIMEOUT)

    server = StoreScp(tmp_path / "late", "+B", aet="PACS", port=port)
    try:
        with qtbot.waitSignal(dialog.send_finished, timeout=TIMEOUT):
            dialog.retry_button.click()
        assert not problem.isVisible()
        assert len(server.files()) == 11
    finally:
        server.stop()
    assert dialog.panel.study_text(small_study) == "All 11 images confirmed"
    assert not dialog.retry_button.isVisible()


def test_a_pacs_killed_mid_study_then_back_gets_only_the_rest(
    window: MainWindow, qtbot: QtBot, small_study: str, tmp_path: Path, cloud_home: Path,
) -> None:
    # One second per image: the PACS is killed while the study is half sent.
    slow = StoreScp(tmp_path / "first", "+B", "--sleep-during", "1")
    dialog = _open(window, qtbot, [small_study])
    _address(dialog, slow.aet, slow.port)
    _ready(dialog, qtbot)
    try:
        dialog.send_button.click()
        qtbot.waitUntil(
            lambda: dialog.panel.study_text(small_study).startswith("2 of 11"),
            timeout=TIMEOUT)
        slow.process.kill()
        slow.process.wait(10)
    finally:
        slow.stop()
    qtbot.waitUntil(dialog.retry_button.isVisible, timeout=TIMEOUT)
    assert "in the middle of the study" in dialog.panel.problem.text()
    first = _uids(slow)
    qtbot.waitUntil(lambda: dialog.panel.study_text(small_study).endswith(
        "of 11 images confirmed"), timeout=TIMEOUT)
    with Library(cloud_home) as library:
        confirmed = library.sent_count(small_study, slow.address)
    assert 2 <= confirmed < 11 and len(first) >= confirmed
    assert dialog.panel.study_text(small_study) == f"{confirmed} of 11 images confirmed"

    back = StoreScp(tmp_path / "second", "+B", port=slow.port)
    try:
        with qtbot.waitSignal(dialog.send_finished, timeout=TIMEOUT):
            dialog.retry_button.click()
        second = _uids(back)
    finally:
        back.stop()
    # Only what the PACS had not confirmed went again; together, the whole study.
    assert len(second) == 11 - confirmed
    assert len(first | second) == 11
    assert dialog.panel.study_text(small_study) == "All 11 images confirmed"
    assert dialog.panel.status.text() == f"Done: {slow.address} confirmed all 11 images."


def test_the_address_is_checked_field_by_field(
    window: MainWindow, qtbot: QtBot, small_study: str,
) -> None:
    dialog = _open(window, qtbot, [small_study])
    _address(dialog, "PACS", 104)
    dialog.fields["port"].setText("abc")
    port_problem = dialog.problems["port"]
    assert port_problem.isVisible()
    assert port_problem.text() == "The port is a number from 1 to 65535, for example 104."
    assert not dialog.send_button.isEnabled()
    assert dialog.summary.text() == "Correct the PACS address above to send."
    dialog.fields["ae_title"].setText("A" * 17)
    assert dialog.problems["ae_title"].isVisible()
    assert "at most 16 characters" in dialog.problems["ae_title"].text()
    dialog.fields["host"].setText("")
    assert not dialog.problems["host"].isVisible()  # Empty is not wrong, only missing.
    dialog.fields["ae_title"].setText("PACS")
    dialog.fields["port"].setText("104")
    assert dialog.summary.text() == "Fill in \u201cHost\u201d to send."
    assert not any(p.isVisible() for p in dialog.problems.values())
    dialog.fields["calling"].setText("BAD\\AET")
    assert "backslash" in dialog.problems["calling"].text()
    dialog.fields["calling"].setText("FRONTDESK")
    dialog.fields["host"].setText("127.0.0.1")
    _ready(dialog, qtbot)
    assert dialog.summary.text().endswith(
        "will be sent to PACS@127.0.0.1:104 as FRONTDESK, filed as on the disc, under its "
        "Patient ID LIGHTBOX-SAMPLE.")
    # Saved destinations (once accounts keep them) fill the same fields.
    assert not dialog.saved.isVisibleTo(dialog)
    dialog.set_destinations([("Radiology", "RADPACS@10.1.2.3:11112", "DESK2"),
                             ("Cardio", "CARDPACS@10.1.2.4:104", "DESK3")])
    assert dialog.saved.isVisibleTo(dialog)
    dialog.saved.setCurrentIndex(2)
    dialog.saved.activated.emit(2)
    assert dialog.destination() == "CARDPACS@10.1.2.4:104"
    assert dialog.calling_aet() == "DESK3"
    dialog.set_destinations([])
    assert not dialog.saved.isVisibleTo(dialog)
    # With the name hidden on screen, it is hidden here too (on both pages).
    window.privacy.set_hidden(True)
    item = dialog.listing.topLevelItem(0)
    assert item.text(0) == HIDDEN_TEXT and item.text(1) == HIDDEN_TEXT
    assert "SAMPLE, PATIENT" not in dialog.panel.tree.topLevelItem(0).text(0)
    window.privacy.set_hidden(False)
    assert dialog.listing.topLevelItem(0).text(0) == "SAMPLE, PATIENT"
    dialog.reject()


def test_a_saved_pacs_is_chosen_and_used_with_its_own_ae_title(
    window: MainWindow, qtbot: QtBot, small_study: str, scp: StoreScp,
) -> None:
    AccountsService().add_pacs(AccountsService.pacs_from_address(
        "Radiology", scp.address, "FRONTDESK"))
    dialog = _open(window, qtbot, [small_study])
    assert dialog.saved.isVisibleTo(dialog)
    assert dialog.saved.currentText() == f"Radiology ({scp.address})"
    assert dialog.destination() == scp.address and dialog.calling_aet() == "FRONTDESK"
    _ready(dialog, qtbot)
    _send(dialog, qtbot)
    assert len(_uids(scp)) == 11
    calling = {str(pydicom.dcmread(p, stop_before_pixels=True).file_meta
                   .get("SourceApplicationEntityTitle", "")).strip() for p in scp.files()}
    assert calling == {"FRONTDESK"}, calling
    dialog.reject()


def test_send_to_pacs_is_enabled_with_a_selection_in_the_view_menu_and_key(
    window: MainWindow, qtbot: QtBot, cloud_library: Library, discs: DiscMaker,
    small_study: str,
) -> None:
    other = import_study(cloud_library, discs(slices=4, rows=32, columns=32, seed=11))
    window.show_library()
    view = window.library_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 2, timeout=TIMEOUT)
    view.table.clearSelection()
    assert not view.send_button.isEnabled()
    assert view.send_button.toolTip() == "Select the studies to send in the library first."
    view.table.selectAll()
    assert view.send_button.isEnabled() and "PACS" in view.send_button.toolTip()
    # The context menu offers it with the same rule and tooltip.
    view._context_menu(view.table.rect().center())
    action = next(a for a in view.context_menu.actions() if a.text() == "Send to PACS...")
    assert action.isEnabled() and action.toolTip() == view.send_button.toolTip()
    view.context_menu.close()
    # The button and Ctrl+Shift+U send what is selected.
    view.send_button.click()
    qtbot.waitUntil(lambda: bool(window.transfers.send_dialogs), timeout=TIMEOUT)
    dialog = window.transfers.send_dialogs[-1]
    assert {r.study_instance_uid for r in dialog.rows} == {small_study, other}
    dialog.reject()
    qtbot.waitUntil(lambda: not window.transfers.send_dialogs, timeout=TIMEOUT)
    row = next(r for r in range(2) if view.proxy.index(r, 0).data(UID_ROLE) == other)
    # Through the selection model: selectRow() follows the keyboard modifiers Qt believes
    # are held, which a key test before this one can leave set (then it toggles the row).
    view.table.selectionModel().select(
        view.proxy.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
        | QItemSelectionModel.SelectionFlag.Rows)
    assert view.selected_studies() == [other]
    key = next(a for a in window.actions() if a.shortcut() == QKeySequence("Ctrl+Shift+U"))
    key.trigger()
    qtbot.waitUntil(lambda: bool(window.transfers.send_dialogs), timeout=TIMEOUT)
    assert [r.study_instance_uid for r in window.transfers.send_dialogs[-1].rows] == [other]
    window.transfers.send_dialogs[-1].reject()


# A PACS (pynetdicom) that refuses every image numbered 1 as out of resources.
REFUSER = """
import sys
from pynetdicom import AE, AllStoragePresentationContexts, evt

def store(event):
    return 0xA700 if int(event.dataset.get("InstanceNumber", 0) or 0) == 1 else 0

ae = AE("REFUSER")
ae.supported_contexts = AllStoragePresentationContexts
ae.start_server(("127.0.0.1", int(sys.argv[1])), block=True,
                evt_handlers=[(evt.EVT_C_STORE, store)])
"""


@pytest.fixture
def refuser() -> Iterator[int]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", REFUSER, str(port)])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait(10)


def test_every_image_not_accepted_is_listed_with_its_reason(
    window: MainWindow, qtbot: QtBot, small_study: str, refuser: int, cloud_home: Path,
) -> None:
    numbered_one = sorted(
        uid for uid, path in study_files(cloud_home, small_study).items()
        if int(pydicom.dcmread(path, stop_before_pixels=True).get("InstanceNumber", 0)) == 1)
    assert numbered_one
    dialog = _open(window, qtbot, [small_study])
    _address(dialog, "REFUSER", refuser)
    _ready(dialog, qtbot)
    _send(dialog, qtbot)
    refused = len(numbered_one)
    lines = [dialog.panel.failures.item(i).text() for i in range(dialog.panel.failures.count())]
    assert dialog.panel.failures.isVisible() and len(lines) == refused
    for uid, line in zip(numbered_one, sorted(lines, key=lambda t: t.split("image ")[1]),
                         strict=True):
        assert "SAMPLE, PATIENT" in line and f"image {uid}:" in line
        assert line.endswith("The PACS is out of resources (disk full?) and could not store "
                             "this image.")
    assert dialog.panel.status.text().startswith(
        f"REFUSER@127.0.0.1:{refuser} did not accept {refused} image")
    assert dialog.panel.study_text(small_study) == f"{11 - refused} of 11 images confirmed"
    assert dialog.retry_button.isVisible()
    # Try again sends only those again (and they are refused again, each still listed).
    with qtbot.waitSignal(dialog.send_finished, timeout=TIMEOUT) as sent:
        dialog.retry_button.click()
    assert sent.args[0].studies[0].sent == refused
    assert dialog.panel.failures.count() == refused


def test_cancel_stops_after_the_image_being_sent_and_keeps_what_was_confirmed(
    window: MainWindow, qtbot: QtBot, small_study: str, tmp_path: Path, cloud_home: Path,
) -> None:
    slow = StoreScp(tmp_path / "slow", "+B", "--sleep-during", "1")
    try:
        dialog = _open(window, qtbot, [small_study])
        _address(dialog, slow.aet, slow.port)
        _ready(dialog, qtbot)
        dialog.send_button.click()
        assert dialog.close_button.text() == "Cancel"
        qtbot.waitUntil(lambda: dialog.panel.study_text(small_study).startswith("1 of 11"),
                        timeout=TIMEOUT)
        dialog.close_button.click()
        assert dialog.isVisible() and not dialog.close_button.isEnabled()
        assert dialog.panel.status.text().startswith("Stopping after the image")
        qtbot.waitUntil(dialog.retry_button.isVisible, timeout=TIMEOUT)
        assert dialog.panel.status.text() == (
            "Stopped. What the PACS confirmed is kept. Try again sends only the images the "
            "PACS has not confirmed.")
        assert dialog.close_button.text() == "Close" and dialog.close_button.isEnabled()
        with Library(cloud_home) as library:
            confirmed = library.sent_count(small_study, slow.address)
            assert library.list_studies()[0].sends == {slow.address: "partial"}
        assert 1 <= confirmed < 11
        qtbot.waitUntil(lambda: dialog.panel.study_text(small_study)
                        == f"{confirmed} of 11 images confirmed", timeout=TIMEOUT)
    finally:
        slow.stop()


def test_studies_of_several_patients_are_said_before_anything_leaves(
    qtbot: QtBot, tmp_path: Path,
) -> None:
    rows = [StudyRow(uid, patient_id, name, "19700101", "20200101", "CT head", ("CT",), 1,
                     10, "disc", {})
            for uid, patient_id, name in (("1.2.3", "ID-1", "DOE^JANE"),
                                          ("1.2.4", "ID-2", "ROE^RICHARD"))]
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    dialog = SendDialog(rows, Privacy(), settings, library=LibraryService(tmp_path / "home"))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.patients.isVisible()
    assert dialog.patients.text() == (
        "These studies belong to 2 different patients: check that each should go to this "
        "PACS.")
    assert [dialog.listing.topLevelItem(i).text(1) for i in range(2)] == ["ID-1", "ID-2"]
