"""The send dialog's "Patient in our records" section, against dcmtk's storescp in the
loopback-only namespace: filled from the disc, our Patient ID empty and required, what
differs from the disc highlighted as one types, a bad field's sentence holding Send back;
the images filed under our patient at the PACS (the library's files unchanged); a study
the PACS holds under another patient refused, then sent again only when asked."""

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from app.cloud.worklist import WorklistEntry
from app.gui.library_view import UPLOADED_COLUMN
from app.gui.main_window import MainWindow
from app.gui.reconcile_section import CHANGED_STYLE, ReconcileSection
from app.gui.send_dialog import SendDialog
from app.library.library import Library
from app.services.accounts_service import AccountsService
from app.services.library_service import LibraryService, StudyRow
from app.services.privacy import HIDDEN_TEXT, Privacy
from app.services.reconciling import LocalIdentity
from tests.support.cloud_fixtures import (
    DiscMaker,
    cloud_home,
    cloud_library,
    discs,
    small_study,
)
from tests.support.mwl_scp import WorklistScp
from tests.support.storescp import StoreScp, storescp_problem
from tests.support.studies import import_study

__all__ = ["cloud_home", "cloud_library", "discs", "small_study"]

pytestmark = pytest.mark.skipif(storescp_problem() is not None,
                                reason=str(storescp_problem()))

TIMEOUT = 60_000
DISC_ID = "LIGHTBOX-SAMPLE"


@pytest.fixture
def scp(tmp_path: Path) -> Iterator[StoreScp]:
    server = StoreScp(tmp_path / "received", "+B")
    yield server
    server.stop()


def _open(window: MainWindow, qtbot: QtBot, study: str) -> tuple[SendDialog, ReconcileSection]:
    before = len(window.transfers.send_dialogs)
    window.transfers.send([study])
    qtbot.waitUntil(lambda: len(window.transfers.send_dialogs) > before, timeout=TIMEOUT)
    dialog = window.transfers.send_dialogs[-1]
    section = dialog.patient_section
    assert section is not None
    qtbot.waitUntil(lambda: section.loaded, timeout=TIMEOUT)
    return dialog, section


def _address(dialog: SendDialog, server: StoreScp) -> None:
    for key, value in (("ae_title", server.aet), ("host", "127.0.0.1"),
                       ("port", str(server.port)), ("calling", "LIGHTBOX")):
        dialog.fields[key].setText(value)


def _type(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.clear()
    qtbot.keyClicks(edit, text)


def _highlighted(section: ReconcileSection, name: str) -> bool:
    edit = section.edits[name]
    marked = edit.styleSheet() == CHANGED_STYLE
    # Never by colour alone: the words say it too, on screen and to a screen reader.
    assert marked == (edit.accessibleDescription() == "Differs from the disc.")
    assert marked == section.differs_labels[name].isVisibleTo(section)
    return marked


def _store_hashes(home: Path) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((home / "store").rglob("*")) if p.is_file()}


def _fill_ours(qtbot: QtBot, section: ReconcileSection) -> None:
    _type(qtbot, section.edits["patient_id"], "MRN-0042")
    _type(qtbot, section.edits["issuer"], "HOSP")


def test_the_section_is_filled_from_the_disc_and_marks_what_differs(
    window: MainWindow, qtbot: QtBot, small_study: str, scp: StoreScp,
) -> None:
    dialog, section = _open(window, qtbot, small_study)
    # Filing under our patient is the choice at first, its ID empty and asked for.
    assert section.ours.isChecked() and not section.as_disc.isChecked()
    assert section.disc_labels["patient_id"].text() == DISC_ID
    assert section.disc_labels["patient_name"].text() == "SAMPLE^PATIENT"
    assert section.edits["patient_id"].text() == ""
    assert section.edits["issuer"].text() == ""
    assert section.edits["patient_name"].text() == "SAMPLE^PATIENT"
    assert section.problem_labels["patient_id"].text() == (
        "Type the patient's ID from our records.")
    assert section.problem_labels["patient_id"].isVisible()
    assert not section.disagreements.isVisible()
    assert not _highlighted(section, "patient_id")  # Empty: asked for, not "differs".
    assert section.as_disc.text() == (
        f"Send as on the disc, under the outside clinic's Patient ID {DISC_ID}")
    _address(dialog, scp)
    qtbot.waitUntil(lambda: dialog.summary.text() == (
        "Fill in our patient above, or choose \u201cSend as on the disc\u201d, to send."),
        timeout=TIMEOUT)
    assert not dialog.send_button.isEnabled()  # No Patient ID of ours yet.

    _fill_ours(qtbot, section)
    assert _highlighted(section, "patient_id") and _highlighted(section, "issuer")
    assert not section.problem_labels["patient_id"].isVisible()
    assert not _highlighted(section, "patient_name")
    # Highlighting follows typing: a changed name is marked, typed back it is not.
    _type(qtbot, section.edits["patient_name"], "LOCAL^PATIENT")
    assert _highlighted(section, "patient_name")
    _type(qtbot, section.edits["patient_name"], "SAMPLE^PATIENT")
    assert not _highlighted(section, "patient_name")
    assert not section.problem_labels["patient_name"].isVisible()
    qtbot.waitUntil(dialog.send_button.isEnabled, timeout=TIMEOUT)
    assert dialog.summary.text().endswith(
        f"will be sent to {scp.address} as LIGHTBOX, filed under MRN-0042 (ID issued by "
        "HOSP).")

    # A birth date that is not one: its sentence, and Send waits.
    _type(qtbot, section.edits["birth_date"], "1970-13-45")
    problem = section.problem_labels["birth_date"]
    assert problem.isVisible() and problem.text() == (
        "Birth date '1970-13-45' is not a date: write it as YYYYMMDD, for example 19700131.")
    assert not dialog.send_button.isEnabled()
    _type(qtbot, section.edits["birth_date"], "1970-01-31")
    assert dialog.send_button.isEnabled() and not problem.isVisible()

    # As on the disc: nothing to type, nothing marked, the summary names the disc's ID.
    section.as_disc.setChecked(True)
    _type(qtbot, section.edits["patient_id"], "")
    assert dialog.send_button.isEnabled()
    assert not section.grid_box.isEnabled()
    assert not any(_highlighted(section, n) for n in section.edits)
    assert dialog.summary.text().endswith(
        f"as LIGHTBOX, filed as on the disc, under its Patient ID {DISC_ID}.")
    dialog.reject()


def test_sent_under_our_patient_the_pacs_files_it_so_and_the_library_keeps_its_own(
    window: MainWindow, qtbot: QtBot, small_study: str, scp: StoreScp, cloud_home: Path,
) -> None:
    before = _store_hashes(cloud_home)
    dialog, section = _open(window, qtbot, small_study)
    _address(dialog, scp)
    _fill_ours(qtbot, section)
    _type(qtbot, section.edits["accession"], "L-77")
    qtbot.waitUntil(dialog.send_button.isEnabled, timeout=TIMEOUT)
    with qtbot.waitSignal(dialog.send_finished, timeout=TIMEOUT):
        dialog.send_button.click()
    assert dialog.where.text() == (
        f"To the PACS {scp.address}, as LIGHTBOX, filed under MRN-0042 (ID issued by HOSP)")
    assert dialog.panel.study_text(small_study) == "All 11 images confirmed"
    received = [pydicom.dcmread(p) for p in scp.files()]
    assert len(received) == 11
    for ds in received:
        assert (ds.PatientID, ds.IssuerOfPatientID, ds.AccessionNumber) == (
            "MRN-0042", "HOSP", "L-77")
        assert str(ds.PatientName) == "SAMPLE^PATIENT"  # Unchanged: not given.
        (item,) = ds.OriginalAttributesSequence
        (previous,) = item.ModifiedAttributesSequence
        assert previous.PatientID == DISC_ID
        assert previous.AccessionNumber == "LBSAMPLE1"
        assert sorted(previous.dir()) == ["AccessionNumber", "IssuerOfPatientID", "PatientID"]
    # The library's files are as they were; it knows under whom the study went.
    assert _store_hashes(cloud_home) == before
    assert len(before) == 11
    for path in before:
        stored = pydicom.dcmread(path, stop_before_pixels=True)
        assert stored.PatientID == DISC_ID and "OriginalAttributesSequence" not in stored
    (sent,) = LibraryService(cloud_home).send_identities(small_study, scp.address)
    assert (sent.patient_id, sent.issuer, sent.accession) == ("MRN-0042", "HOSP", "L-77")
    dialog.close_button.click()
    # The library's list says under whom the study went (in the tooltip).
    view = window.library_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1 and view.proxy.index(
        0, UPLOADED_COLUMN).data() == f"sent to {scp.address}", timeout=TIMEOUT)
    tooltip = view.proxy.index(0, UPLOADED_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
    assert f"Sent to {scp.address} under Patient ID MRN-0042 (ID issued by HOSP)" in tooltip

    # The issuer is the hospital's: the next send starts with it.
    _again, next_section = _open(window, qtbot, small_study)
    assert next_section.edits["issuer"].text() == "HOSP"
    assert next_section.edits["patient_id"].text() == ""
    _again.reject()


def test_a_study_the_pacs_holds_as_on_the_disc_is_refused_then_sent_again_when_asked(
    window: MainWindow, qtbot: QtBot, small_study: str, scp: StoreScp, tmp_path: Path,
) -> None:
    dialog, section = _open(window, qtbot, small_study)
    _address(dialog, scp)
    section.as_disc.setChecked(True)
    qtbot.waitUntil(dialog.send_button.isEnabled, timeout=TIMEOUT)
    with qtbot.waitSignal(dialog.send_finished, timeout=TIMEOUT):
        dialog.send_button.click()
    assert len(scp.files()) == 11
    assert not dialog.resend_button.isVisible()
    dialog.close_button.click()
    scp.stop()
    # The same PACS (same address), keeping what it receives from now on apart.
    later = StoreScp(tmp_path / "later", "+B", aet=scp.aet, port=scp.port)
    try:
        dialog, section = _open(window, qtbot, small_study)
        _address(dialog, later)
        _fill_ours(qtbot, section)
        # Nothing is left to send as on the disc, but under our patient the button is
        # there: the summary says the study is there already, pressing Send says why it
        # is refused.
        qtbot.waitUntil(dialog.send_button.isEnabled, timeout=TIMEOUT)
        assert dialog.summary.text().startswith(
            f"{later.address} already has this study, sent as on the disc on 20")
        assert dialog.summary.text().endswith(
            ". To have it filed under MRN-0042 (ID issued by HOSP), every image must be "
            "sent again: Send explains how.")
        dialog.send_button.click()
        qtbot.waitUntil(dialog.resend_button.isVisible, timeout=TIMEOUT)
        problem = dialog.panel.problem.text()
        assert problem.startswith(f"{later.address} already has this study, sent as on the "
                                  "disc on 20")
        assert problem.endswith("Nothing was sent.")
        assert "--resend" not in problem
        assert dialog.resend_button.text() == "Send all images again under the new patient"
        assert dialog.resend_note.isVisible()
        assert dialog.resend_note.text().startswith(
            "This sends every image of the study again, under Patient ID MRN-0042 (ID "
            "issued by HOSP).")
        assert not dialog.retry_button.isVisible()
        assert dialog.panel.study_text(small_study) == "Not sent"
        assert later.files() == []
        with qtbot.waitSignal(dialog.send_finished, timeout=TIMEOUT):
            dialog.resend_button.click()
        received = [pydicom.dcmread(p, stop_before_pixels=True) for p in later.files()]
        assert len(received) == 11
        assert {(ds.PatientID, ds.IssuerOfPatientID) for ds in received} == {
            ("MRN-0042", "HOSP")}
        assert not dialog.resend_button.isVisible() and not dialog.resend_note.isVisible()
        assert dialog.panel.study_text(small_study) == "All 11 images confirmed"
    finally:
        later.stop()


def test_names_follow_privacy_in_the_section(
    window: MainWindow, qtbot: QtBot, small_study: str, scp: StoreScp,
) -> None:
    window.privacy.set_hidden(True)
    dialog, section = _open(window, qtbot, small_study)
    for name in ("patient_id", "patient_name", "birth_date", "accession"):
        assert section.disc_labels[name].text() == HIDDEN_TEXT
    assert section.disc_labels["sex"].text() != HIDDEN_TEXT
    assert section.edits["patient_name"].echoMode() == QLineEdit.EchoMode.Password
    window.privacy.set_hidden(False)
    assert section.disc_labels["patient_name"].text() == "SAMPLE^PATIENT"
    assert section.edits["patient_name"].echoMode() == QLineEdit.EchoMode.Normal
    # The summary, the sentences and the progress page's top line follow it too.
    _address(dialog, scp)
    _fill_ours(qtbot, section)
    qtbot.waitUntil(lambda: "MRN-0042" in dialog.summary.text(), timeout=TIMEOUT)
    _type(qtbot, section.edits["birth_date"], "1970-13-45")
    window.privacy.set_hidden(True)
    assert "1970-13-45" not in section.problem_labels["birth_date"].text()
    _type(qtbot, section.edits["birth_date"], "19700101")
    qtbot.waitUntil(dialog.send_button.isEnabled, timeout=TIMEOUT)
    assert "MRN-0042" not in dialog.summary.text()
    assert dialog.summary.text().endswith(
        f"filed under {HIDDEN_TEXT} (ID issued by {HIDDEN_TEXT}).")
    with qtbot.waitSignal(dialog.send_finished, timeout=TIMEOUT):
        dialog.send_button.click()
    assert "MRN-0042" not in dialog.where.text()
    window.privacy.set_hidden(False)
    assert dialog.where.text().endswith("filed under MRN-0042 (ID issued by HOSP)")


def test_several_studies_get_one_sentence_and_no_form(
    qtbot: QtBot, tmp_path: Path, cloud_library: Library,
) -> None:
    rows = [StudyRow(uid, "ID-1", "DOE^JANE", "19700101", "20200101", "CT head", ("CT",), 1,
                     10, "disc", {}) for uid in ("1.2.3", "1.2.4")]
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    library = LibraryService(tmp_path / "home")
    dialog = SendDialog(rows, Privacy(), settings, library=library)
    qtbot.addWidget(dialog)
    dialog.add_patient_section(ReconcileSection(library, None, Privacy(), settings))
    dialog.show()
    section = dialog.patient_section
    assert section is not None and section.ready() and section.identity() is None
    assert section.several.isVisible()
    assert section.several.text().endswith("send one study at a time.")
    assert section.edits == {}


def test_a_worklist_entry_fills_our_values_and_they_are_marked(
    window: MainWindow, qtbot: QtBot, small_study: str,
) -> None:
    dialog, section = _open(window, qtbot, small_study)
    section.as_disc.setChecked(True)
    section.fill_from(WorklistEntry(
        patient_id="MRN-0042", issuer="HOSP", patient_name="SAMPLE^PATIENT^M",
        birth_date="19700101", sex="", accession="ACC-9", modality="CT"))
    assert section.ours.isChecked()  # Taking an entry means filing under it.
    assert {n: e.text() for n, e in section.edits.items()} == {
        "patient_id": "MRN-0042", "issuer": "HOSP", "patient_name": "SAMPLE^PATIENT^M",
        "birth_date": "19700101", "sex": "O", "accession": "ACC-9"}
    assert [n for n in section.edits if _highlighted(section, n)] == [
        "patient_id", "issuer", "patient_name", "accession"]
    identity = section.identity()
    assert identity is not None and identity.patient_id == "MRN-0042"
    assert identity.sex is None and identity.birth_date is None  # The disc's kept.
    dialog.reject()


def test_images_that_disagree_on_the_patient_are_said_above_the_form(
    window: MainWindow, qtbot: QtBot, cloud_library: Library, discs: DiscMaker,
    tmp_path: Path,
) -> None:
    disc = tmp_path / "disc"
    shutil.copytree(discs(), disc)
    for path in sorted(disc.rglob("*")):
        try:
            ds = pydicom.dcmread(path)
        except Exception:
            continue
        if "PatientName" in ds and "SOPInstanceUID" in ds:
            ds.PatientName = "OTHER^NAME"
            ds.save_as(path)
            break
    study = import_study(cloud_library, disc)
    dialog, section = _open(window, qtbot, study)
    assert section.disagreements.isVisible()
    assert section.disagreements.text() == (
        "The images of this study do not agree on the patient's name (2 different values); "
        "check it before sending.")
    dialog.reject()


def test_several_studies_one_held_under_our_patient_are_refused_then_sent_again(
    window: MainWindow, qtbot: QtBot, cloud_library: Library, discs: DiscMaker,
    scp: StoreScp, cloud_home: Path,
) -> None:
    first = import_study(cloud_library, discs())
    second = import_study(cloud_library, discs(slices=3, seed=9))
    assert first != second
    for _progress in LibraryService(cloud_home).send(
            [first], scp.address, identity=LocalIdentity("MRN-0042", "HOSP")):
        pass
    assert len(scp.files()) == 11
    before = len(window.transfers.send_dialogs)
    window.transfers.send([first, second])
    qtbot.waitUntil(lambda: len(window.transfers.send_dialogs) > before, timeout=TIMEOUT)
    dialog = window.transfers.send_dialogs[-1]
    _address(dialog, scp)
    qtbot.waitUntil(dialog.send_button.isEnabled, timeout=TIMEOUT)
    # Said before anything leaves, naming the study; then refused, nothing sent.
    summary = dialog.summary.text()
    assert summary.startswith(f"{scp.address} already has the study of SAMPLE, PATIENT (ID "
                              f"{DISC_ID}), ")
    assert "sent under Patient ID MRN-0042 (ID issued by HOSP) on 20" in summary
    assert summary.endswith("To have it filed as on the disc, every image must be sent "
                            "again: Send explains how.")
    dialog.send_button.click()
    qtbot.waitUntil(dialog.resend_button.isVisible, timeout=TIMEOUT)
    assert dialog.resend_button.text() == "Send all images again as on the disc"
    assert dialog.resend_note.text().startswith(
        "This sends every image of these studies again, under the patient as on the disc.")
    assert len(scp.files()) == 11
    with qtbot.waitSignal(dialog.send_finished, timeout=TIMEOUT):
        dialog.resend_button.click()
    assert dialog.panel.study_text(first) == "All 11 images confirmed"
    received = [pydicom.dcmread(p, stop_before_pixels=True) for p in scp.files()]
    again = {str(ds.SOPInstanceUID) for ds in received
             if ds.StudyInstanceUID == first and ds.PatientID == DISC_ID}
    assert len(again) == 11  # Every image of the held study again, as on the disc.
    assert {ds.StudyInstanceUID for ds in received} == {first, second}


def test_find_in_the_worklist_fills_our_patient_from_a_real_worklist_server(
    window: MainWindow, qtbot: QtBot, small_study: str,
) -> None:
    """With a worklist server saved, "Find in the worklist..." searches it (starting with
    the disc's family name) and the patient picked there becomes ours."""
    dialog, section = _open(window, qtbot, small_study)
    assert not section.worklist_button.isVisibleTo(section)  # None set up yet.
    dialog.reject()
    server = WorklistScp("WORKLIST")
    try:
        accounts = AccountsService()
        accounts.add_pacs(accounts.pacs_from_address("ris", server.address(), "FRONTDESK",
                                                     "worklist"))
        dialog, section = _open(window, qtbot, small_study)
        assert section.worklist_button.isVisibleTo(section)
        assert section.worklist_button.isEnabled()
        qtbot.mouseClick(section.worklist_button, Qt.MouseButton.LeftButton)
        found = section.worklist_dialog
        assert found is not None and found.name.text() == "SAMPLE"
        found.name.setText("łukas*")
        qtbot.mouseClick(found.search_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: found.status.text() == "1 item found.", timeout=TIMEOUT)
        with qtbot.waitSignal(section.changed, timeout=TIMEOUT):
            qtbot.mouseClick(found.use_button, Qt.MouseButton.LeftButton)
        assert section.ours.isChecked()
        assert section.edits["patient_id"].text() == "MRN-1002"
        assert section.edits["patient_name"].text() == "ŁUKASIEWICZ^ZOFIA"
        assert _highlighted(section, "patient_id") and _highlighted(section, "accession")
        identity = section.identity()
        assert identity is not None and identity.accession == "ACC-77002"
        dialog.reject()
    finally:
        server.stop()
