"""Start the Qt application and show the main window."""

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.gui.main_window import MainWindow
from app.media.pydicom_setup import configure_pydicom


def run_viewer(path: Path | None) -> int:
    """Open the main window (on ``path`` if given) and run until it closes."""
    configure_pydicom()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Lightbox")
    app.setOrganizationName("Lightbox")
    window = MainWindow()
    window.show()
    if path is not None:
        window.open_path(path)
    return int(app.exec())
