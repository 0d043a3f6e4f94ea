"""Steps several GUI tests take the same way."""

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.gui.import_dialog import ImportDialog
from app.gui.main_window import MainWindow

TIMEOUT = 60_000


def import_disc(window: MainWindow, qtbot: QtBot, path: Path) -> ImportDialog:
    """Import ``path`` through the window's import dialog, as a user would: wait for the
    look at the disc, press Import, wait for the result."""
    dialog = window.import_path(path)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=TIMEOUT)
    with qtbot.waitSignal(dialog.import_finished, timeout=TIMEOUT):
        dialog.import_button.click()
    return dialog


def open_and_wait(window: MainWindow, qtbot: QtBot, path: Path, timeout: int = 30_000) -> None:
    """Open ``path`` in the viewer and wait for its first image and the end of reading."""
    with qtbot.waitSignal(window.first_image_shown, timeout=timeout):
        window.open_path(path)
    qtbot.waitUntil(lambda: window.progress.isHidden(), timeout=timeout)
