"""Crashes in the GUI: our hook shows the dialog, logs no patient data, and the app goes on.

pytest-qt normally captures exceptions in slots itself (and fails the test); these tests
turn that off (``qt_no_exception_capture``) so that our ``sys.excepthook`` is the one
PySide calls, and install/uninstall the handler around each test.
"""

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from app import __version__
from app.gui import crash_dialog
from app.gui.crash_dialog import HEADLINE, CrashDialog, CrashHandler
from app.gui.main_window import MainWindow
from app.gui.tasks import GeneratorTask, start_task
from app.services.crash_report import crash_logs

PATIENT_NAME = "DOE^JANE"
PATIENT_ID = "PID8675309"
TIMEOUT = 10_000

pytestmark = pytest.mark.qt_no_exception_capture


@pytest.fixture
def handler(qtbot: QtBot) -> Iterator[CrashHandler]:
    crash = CrashHandler()
    crash.install()
    yield crash
    crash.uninstall()
    if crash.dialog is not None:
        crash.dialog.close()


def assert_no_patient_data(text: str) -> None:
    words = set(re.findall(r"[A-Za-z0-9]+", text.upper()))
    assert "DOE" not in words and "JANE" not in words, text
    assert PATIENT_ID not in text, text


def crashing_slot() -> None:
    patient = {"name": PATIENT_NAME, "id": PATIENT_ID}  # a local that must not be logged
    raise ValueError(f"no study for {patient['name']} ({patient['id']})")


def shown_dialog(qtbot: QtBot, handler: CrashHandler) -> CrashDialog:
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(),
                    timeout=TIMEOUT)
    assert handler.dialog is not None
    return handler.dialog


def test_an_exception_in_a_slot_shows_the_dialog_logs_safely_and_the_app_goes_on(
        qtbot: QtBot, window: MainWindow, handler: CrashHandler, lightbox_home: Path) -> None:
    QTimer.singleShot(0, crashing_slot)
    dialog = shown_dialog(qtbot, handler)
    assert any(HEADLINE in label.text() for label in dialog.findChildren(QLabel))

    logs = crash_logs(lightbox_home)
    assert len(logs) == 1
    assert re.fullmatch(r"crash-\d{8}-\d{6}\.log", logs[0].name)
    assert logs[0].parent == lightbox_home / "logs"
    log_text = logs[0].read_text(encoding="utf-8")
    assert_no_patient_data(log_text)
    assert "ValueError" in log_text
    assert "tests/gui/test_crash_gui.py" in log_text and "crashing_slot" in log_text
    assert str(logs[0]) in dialog.explanation.text()

    dialog.copy_button.click()
    copied = QApplication.clipboard().text()
    assert copied == dialog.details == log_text
    assert_no_patient_data(copied)
    for item in (f"Lightbox: {__version__}", "OS: ", "Python: ", "Qt: ", "PySide6: ",
                 "ValueError", "line "):
        assert item in copied

    dialog.close_button.click()
    qtbot.waitUntil(lambda: handler.dialog is None, timeout=TIMEOUT)
    # Still alive: the event loop runs and the window answers its menus.
    assert window.isVisible()
    help_action = next(a for a in window.actions() if a.text().startswith("&Keys"))
    help_action.trigger()
    qtbot.waitUntil(lambda: window.help_box.isVisible(), timeout=TIMEOUT)
    window.help_box.close()
    with qtbot.waitSignal(window.windowTitleChanged, timeout=TIMEOUT):
        QTimer.singleShot(0, lambda: window.setWindowTitle("still here"))


def test_more_crashes_while_the_dialog_is_open_add_up_in_one_dialog(
        qtbot: QtBot, handler: CrashHandler, lightbox_home: Path) -> None:
    QTimer.singleShot(0, crashing_slot)
    dialog = shown_dialog(qtbot, handler)
    QTimer.singleShot(0, crashing_slot)
    qtbot.waitUntil(lambda: dialog.more == 1, timeout=TIMEOUT)
    assert handler.dialog is dialog
    assert len(crash_logs(lightbox_home)) == 2
    assert_no_patient_data(dialog.details)


def test_an_exception_in_a_thread_shows_the_dialog(
        qtbot: QtBot, handler: CrashHandler, lightbox_home: Path) -> None:
    thread = threading.Thread(target=crashing_slot)
    thread.start()
    thread.join(5)
    dialog = shown_dialog(qtbot, handler)
    assert "worker thread" in dialog.details
    assert_no_patient_data(crash_logs(lightbox_home)[0].read_text(encoding="utf-8"))


def test_a_job_that_fails_unexpectedly_is_reported_and_still_says_it_failed(
        qtbot: QtBot, handler: CrashHandler, lightbox_home: Path) -> None:
    def job() -> Iterator[int]:
        yield 1
        crashing_slot()

    task = GeneratorTask(job, lambda item: item == 2)
    with qtbot.waitSignals([task.signals.failed, task.signals.ended], timeout=TIMEOUT):
        start_task(task)
    dialog = shown_dialog(qtbot, handler)
    assert "background job" in dialog.details
    assert_no_patient_data(crash_logs(lightbox_home)[0].read_text(encoding="utf-8"))


def test_quit_leaves_the_app(qtbot: QtBot, handler: CrashHandler,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    codes: list[int] = []
    monkeypatch.setattr(crash_dialog.QApplication, "exit", lambda code=0: codes.append(code))
    QTimer.singleShot(0, crashing_slot)
    dialog = shown_dialog(qtbot, handler)
    dialog.quit_button.click()
    assert codes == [1]
    qtbot.waitUntil(lambda: handler.dialog is None, timeout=TIMEOUT)


def test_the_hooks_are_restored_on_uninstall(qtbot: QtBot) -> None:
    import sys

    before = (sys.excepthook, threading.excepthook)
    crash = CrashHandler()
    crash.install()
    assert sys.excepthook == crash.excepthook
    assert threading.excepthook == crash.threading_excepthook
    crash.uninstall()
    assert (sys.excepthook, threading.excepthook) == before


def test_about_shows_the_version_the_licence_and_the_decoders(
        qtbot: QtBot, window: MainWindow) -> None:
    seen: list[str] = []

    def read_and_close() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                seen.append(widget.text())
                widget.accept()
                return
        QTimer.singleShot(50, read_and_close)

    QTimer.singleShot(0, read_and_close)
    window.about()  # modal: returns once read_and_close has closed it
    assert len(seen) == 1
    text = seen[0]
    assert f"Lightbox {__version__}" in text
    assert "GPL-3.0-or-later" in text
    for name in ("pydicom", "pylibjpeg-openjpeg", "imagecodecs", "pillow", "numpy",
                 "PySide6", "Qt"):
        assert name in text
