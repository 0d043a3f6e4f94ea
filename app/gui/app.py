"""Start the Qt application and show the main window (optionally: take a screenshot)."""

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.gui.crash_dialog import install_crash_handler
from app.gui.main_window import MainWindow
from app.services.setup import configure_dicom_reading

SCREENSHOT_TIMEOUT_MS = 60_000
# After the first image, a moment for thumbnails and overlays to arrive as well.
SCREENSHOT_SETTLE_MS = 600


def _application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Lightbox")
    app.setOrganizationName("Lightbox")
    app.setApplicationDisplayName("Lightbox")
    return app


def run_viewer(path: Path | None, screenshot: Path | None = None) -> int:
    """Open the main window (on ``path`` if given) and run until it closes.

    With ``screenshot``, save the window as a PNG once the first image is painted and
    return 0; return 1 when no image could be shown in time.
    """
    configure_dicom_reading()
    app = _application()
    install_crash_handler(app)
    window = MainWindow()
    window.show()
    if path is not None:
        window.open_path(path)
    else:
        window.show_library()
    if screenshot is None:
        return int(app.exec())

    outcome = {"code": 1}

    def capture(code: int) -> None:
        saved = window.grab().save(str(screenshot), "PNG")
        if not saved:
            print(f"The screenshot could not be written to {screenshot}.", file=sys.stderr)
        outcome["code"] = code if saved else 1
        window.close()

    def nothing(message: str) -> None:
        # The window shows why; keep that picture, but say that no image was shown.
        print(f"No image could be shown: {message}", file=sys.stderr)
        QTimer.singleShot(SCREENSHOT_SETTLE_MS, lambda: capture(1))

    def give_up() -> None:
        if window.isVisible():
            print(
                f"No image could be shown within {SCREENSHOT_TIMEOUT_MS // 1000} s.",
                file=sys.stderr,
            )
            window.close()

    window.first_image_shown.connect(lambda: QTimer.singleShot(SCREENSHOT_SETTLE_MS,
                                                               lambda: capture(0)))
    window.nothing_to_show.connect(nothing)
    QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, give_up)
    app.exec()
    return outcome["code"]
