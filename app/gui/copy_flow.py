"""The frame both copy dialogs share ("Export..." and "Share a copy without my name..."):
a first page of their own, the review of pictures that may have writing in them, a
progress page and a result page of their own; Back, the action button and Cancel; a
problem line; cancelling and closing stop the job. The dialogs supply the pages, the job
and what their words say."""

from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui.burned_in_review import BurnedInReview
from app.gui.tasks import GeneratorTask, run_in_background, start_task
from app.services.copy_review import BlackoutRule, ReviewImage, review_images, rules
from app.services.library_service import LibraryService

CHOOSE, REVIEW, WORKING, RESULT = range(4)


class CopyFlowDialog(QDialog):
    def __init__(self, library: LibraryService, action: str, progress_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self._task: GeneratorTask | None = None
        self.pages = QStackedWidget()
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020; font-weight: bold")
        self.problem.setAccessibleName(self.tr("Problem"))
        self.problem.hide()
        self.review = BurnedInReview(library)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr(progress_name))

        self.buttons = QDialogButtonBox()
        self.back_button = QPushButton(self.tr("< &Back"))
        self.back_button.clicked.connect(self.back)
        self.action_button = QPushButton(self.tr(action))
        self.action_button.setDefault(True)
        self.action_button.clicked.connect(self.start)
        self.buttons.addButton(self.action_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.clicked.connect(self.cancel)

    def _assemble(self, first: QWidget, result: QWidget) -> None:
        """Stack the pages in the order CHOOSE, REVIEW, WORKING, RESULT, and the footer."""
        working = QWidget()
        layout = QVBoxLayout(working)
        layout.addStretch(1)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addStretch(1)
        for page in (first, self.review, working, result):
            self.pages.addWidget(page)
        footer = QHBoxLayout()
        footer.addWidget(self.back_button)
        footer.addWidget(self.buttons, 1)
        outer = QVBoxLayout(self)
        outer.addWidget(self.pages, 1)
        outer.addLayout(footer)

    def _show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(bool(message))

    def _show_working(self, text: str) -> None:
        self.status.setText(text)
        self.progress.setRange(0, 0)
        self._show_page(WORKING)

    def _show_page(self, page: int) -> None:
        raise NotImplementedError  # Each dialog labels its buttons for the page.

    # -- running -------------------------------------------------------------------------
    def start(self) -> None:
        raise NotImplementedError  # Each dialog checks its first page, then looks.

    def _look_for_writing(self, study_uids: list[str]) -> None:
        """Look for pictures that may have writing in them: the review page when there
        are some, else straight to the copy."""
        self._show_working(self.tr("Looking for pictures that may have writing in them..."))
        library = self.library
        self._task = run_in_background(
            lambda: (review_images(library, study_uids), rules(library)),
            self._on_review, self._on_failed)
        self._task.signals.cancelled.connect(self._on_cancelled)

    def _on_review(self, found: tuple[list[ReviewImage], list[BlackoutRule]]) -> None:
        self._task = None
        images, saved = found
        if not images:
            self._run()
            return
        self.review.set_images(images, saved)
        self._show_page(REVIEW)

    def back(self) -> None:
        self.review.stop()
        self._show_page(CHOOSE)

    def _run(self) -> None:
        raise NotImplementedError  # Each dialog makes its own copy.

    def _start_job(self, job: Callable[[], Iterator[object]], report_type: type,
                   working_text: str) -> None:
        """Run ``job`` (a generator of progress ending with a ``report_type``) off the GUI
        thread, with the progress page showing."""
        self.review.stop()
        self._show_working(working_text)
        task = GeneratorTask(job, lambda item: isinstance(item, report_type))
        task.signals.progressed.connect(self._on_progress)
        task.signals.finished.connect(self._on_finished)
        task.signals.failed.connect(self._on_failed)
        task.signals.cancelled.connect(self._on_cancelled)
        self._task = start_task(task)

    def _on_progress(self, item: Any) -> None:
        raise NotImplementedError

    def _on_finished(self, report: Any) -> None:
        raise NotImplementedError

    def _on_failed(self, message: str) -> None:
        self._task = None
        self._show_page(CHOOSE)
        self._show_problem(message)

    def _on_cancelled(self) -> None:
        self._task = None
        self._show_page(CHOOSE)
        self._show_problem(self._cancelled_words())

    def _cancelled_words(self) -> str:
        return self.tr("Cancelled: nothing was saved.")

    def cancel(self) -> None:
        if self._task is not None and self.pages.currentIndex() == WORKING:
            self._task.cancel()
            self.status.setText(self.tr("Stopping..."))
            self.cancel_button.setEnabled(False)
            return
        self.reject()

    def reject(self) -> None:
        self.review.stop()
        if self._task is not None:
            self._task.cancel()  # A copy in the making is removed.
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.reject()
        event.accept()
