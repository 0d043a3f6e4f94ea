"""The window's views reach the audit trail: a disc opened, a library study opened; an
action the log cannot record is told in the status bar."""

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.gui.main_window import MainWindow
from app.library.audit import AuditLog
from app.services import audit
from app.services.importing import ImportReport
from app.services.jobs import run_to_report
from app.services.library_service import LibraryService
from tests.library.helpers import write_small_disc

TIMEOUT = 20_000


def test_opening_a_disc_and_a_library_study_is_audited(
        window: MainWindow, qtbot: QtBot, lightbox_home: Path, tmp_path: Path) -> None:
    disc = write_small_disc(tmp_path / "disc")
    study = run_to_report(LibraryService(lightbox_home).import_media(disc),
                          ImportReport).study_instance_uids[0]
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(disc)
    window.image_shown = False
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_study(study)
    result = AuditLog(lightbox_home).verify()
    assert result.intact
    assert [(e.action, e.studies, e.destination) for e in result.entries] == [
        ("import", (study,), str(disc)),
        ("view", (study,), str(disc)),
        ("view", (study,), "library"),
    ]


def test_an_unrecorded_action_is_told_in_the_status_bar(
        window: MainWindow, qtbot: QtBot, lightbox_home: Path) -> None:
    lightbox_home.mkdir(parents=True, exist_ok=True)
    (lightbox_home / "audit.log").mkdir()
    audit.record(lightbox_home, "view", [], "somewhere", "ok")
    qtbot.waitUntil(lambda: "could not be written to the audit log" in
                    window.summary.text(), timeout=TIMEOUT)
    window.close()
    audit.record(lightbox_home, "view", [], "somewhere", "ok")  # No window listens now.
