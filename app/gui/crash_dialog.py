"""The crash dialog, and the hooks that bring every unexpected exception to it.

Installed once where the GUI starts (:func:`install_crash_handler` in ``app.gui.app``):
``sys.excepthook`` (exceptions in slots and Qt virtual methods, which PySide hands to it,
on whatever thread they happen), ``threading.excepthook`` and the task runner's hook for
jobs that fail with something other than a LightboxError. Each exception becomes a report
without patient data (``app.services.crash_report``), written to ``LIGHTBOX_HOME/logs``
at once, on the thread it happened on; the dialog then shows on the GUI thread, from the
event loop, and returns to it: the app goes on unless the user chooses Quit.
"""

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.gui import tasks
from app.gui.about import qt_versions
from app.services.crash_report import CrashReport, build_report, format_report, write_crash_log

HEADLINE = ("Lightbox ran into a problem it did not expect. "
            "Your images and library are safe.")
WHAT_TO_DO = (
    "You can keep working: close this message and carry on. If the window behaves "
    "strangely, choose Quit and start Lightbox again.\n\n"
    "To tell us about it, choose Copy details and paste them into your message. They hold "
    "no names or other patient data."
)

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], Any]
ThreadHook = Callable[[threading.ExceptHookArgs], Any]


class CrashDialog(QDialog):
    """What happened in one sentence, what to do, Copy details, Close or Quit."""

    def __init__(self, report: CrashReport, log: Path | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle(self.tr("Lightbox: unexpected problem"))
        self.details = format_report(report)
        self.log = log
        self.more = 0

        icon = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize)
        icon.setPixmap(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(size, size))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        headline = QLabel(f"<b>{self.tr(HEADLINE)}</b>")
        headline.setWordWrap(True)
        where = (self.tr("A copy of the details was saved in:") + f"\n{log}"
                 if log is not None else self.tr("The details could not be saved to a file."))
        self.explanation = QLabel(self.tr(WHAT_TO_DO) + "\n\n" + where)
        self.explanation.setWordWrap(True)
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.more_label = QLabel()
        self.more_label.hide()

        self.details_view = QPlainTextEdit(self.details)
        self.details_view.setReadOnly(True)
        self.details_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details_view.setMinimumHeight(160)
        self.details_view.hide()

        buttons = QDialogButtonBox()
        self.show_details_button = QPushButton(self.tr("Show details"))
        self.show_details_button.setCheckable(True)
        self.show_details_button.toggled.connect(self._toggle_details)
        self.copy_button = QPushButton(self.tr("Copy details"))
        self.copy_button.clicked.connect(self.copy_details)
        self.quit_button = QPushButton(self.tr("Quit Lightbox"))
        self.quit_button.clicked.connect(self.quit_app)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.accept)
        buttons.addButton(self.show_details_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.quit_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.AcceptRole)

        text = QVBoxLayout()
        text.addWidget(headline)
        text.addWidget(self.explanation)
        text.addWidget(self.more_label)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details_view)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    def _toggle_details(self, shown: bool) -> None:
        self.details_view.setVisible(shown)
        self.show_details_button.setText(self.tr("Hide details") if shown
                                         else self.tr("Show details"))
        self.adjustSize()

    def copy_details(self) -> None:
        """The report (no patient data) to the clipboard."""
        QGuiApplication.clipboard().setText(self.details)
        self.copy_button.setText(self.tr("Copied"))
        # With self as context: no call after the dialog is gone.
        QTimer.singleShot(2000, self, self._reset_copy_text)

    def _reset_copy_text(self) -> None:
        self.copy_button.setText(self.tr("Copy details"))

    def add_another(self, report: CrashReport) -> None:
        """One more crash while this dialog is open: counted, its details appended."""
        self.more += 1
        self.details += "\n" + format_report(report)
        self.details_view.setPlainText(self.details)
        self.more_label.setText(self.tr("%n more problem(s) happened since.", "", self.more))
        self.more_label.show()

    def quit_app(self) -> None:
        self.done(QDialog.DialogCode.Rejected)
        QApplication.exit(1)


class CrashHandler(QObject):
    """Turns unhandled exceptions into a log file and a :class:`CrashDialog`."""

    # A report and its log file (or None); emitted from any thread, handled on the GUI's.
    crashed = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dialog: CrashDialog | None = None
        self.last_log: Path | None = None
        self._previous_sys: ExceptHook | None = None
        self._previous_threading: ThreadHook | None = None
        self._previous_tasks: Callable[[BaseException], None] | None = None
        self._installed = False
        self.crashed.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        if self._installed:
            return
        self._previous_sys = sys.excepthook
        self._previous_threading = threading.excepthook
        sys.excepthook = self.excepthook
        threading.excepthook = self.threading_excepthook
        self._previous_tasks = tasks.set_unexpected_error_handler(self.report_job_error)
        self._installed = True

    def uninstall(self) -> None:
        if not self._installed:
            return
        if sys.excepthook == self.excepthook and self._previous_sys is not None:
            sys.excepthook = self._previous_sys
        if threading.excepthook == self.threading_excepthook and \
                self._previous_threading is not None:
            threading.excepthook = self._previous_threading
        tasks.set_unexpected_error_handler(self._previous_tasks)
        self._installed = False

    # -- the hooks (any thread) ----------------------------------------------------------
    def excepthook(self, kind: type[BaseException], value: BaseException | None,
                   tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt | SystemExit):
            (self._previous_sys or sys.__excepthook__)(kind, value or kind(), tb)
            return
        if value is None:  # Some C code raises the class alone.
            value = kind()
        if tb is not None and value.__traceback__ is not tb:
            value = value.with_traceback(tb)
        self.report(value)

    def threading_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        value = args.exc_value if args.exc_value is not None else args.exc_type()
        self.report(value, "worker thread")

    def report_job_error(self, exc: BaseException) -> None:
        self.report(exc, "background job")

    def report(self, exc: BaseException, where: str | None = None) -> Path | None:
        """Log ``exc`` now and show the dialog once the event loop runs."""
        if where is None:
            where = ("main thread" if threading.current_thread() is threading.main_thread()
                     else "worker thread")
        try:
            report = build_report(exc, where, qt_versions())
            log = write_crash_log(report)
        except Exception:  # The report itself failed: at least Python's own printout.
            sys.__excepthook__(type(exc), exc, exc.__traceback__)
            return None
        self.last_log = log
        # One line for a terminal; the traceback itself may hold patient data.
        print(f"Lightbox: unexpected {report.summary}; details in {log or 'no file'}",
              file=sys.stderr)
        self.crashed.emit(report, log)
        return log

    # -- the dialog (GUI thread) ---------------------------------------------------------
    def _show(self, report: CrashReport, log: Path | None) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.add_another(report)
            return
        parent = QApplication.activeWindow()
        dialog = CrashDialog(report, log, parent if isinstance(parent, QWidget) else None)
        dialog.finished.connect(lambda _result: self._forget(dialog))
        self.dialog = dialog
        # open(), not exec(): no nested event loop inside whatever just failed.
        dialog.open()

    def _forget(self, dialog: CrashDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()


_HANDLER: CrashHandler | None = None


def install_crash_handler(app: QApplication) -> CrashHandler:
    """Install the crash handler once for ``app`` (later calls return the same one)."""
    global _HANDLER
    if _HANDLER is None:
        _HANDLER = CrashHandler(app)
        _HANDLER.install()
    return _HANDLER
