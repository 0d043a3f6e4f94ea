"""Upload a disc as it is imported: say what leaves the computer and where to, then read
the disc and send its images in the same pass, with the disc's reading and each study's
upload shown, pause, resume, cancel, and what failed (files the disc would not give,
images the server did not accept)."""

from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui.observe import observe
from app.gui.tasks import GeneratorTask, start_task
from app.gui.upload_dialog import skip_confirmation_key
from app.gui.upload_progress import UploadProgressPanel
from app.services.accounts_service import Account, AccountsService
from app.services.disc_upload import (
    DiscUploadProgress,
    DiscUploadReport,
    describe_disc_upload,
)
from app.services.disc_words import import_outcome
from app.services.library_service import LibraryService, PatientKey
from app.services.privacy import Privacy
from app.services.uploading import describe_upload
from app.services.user_mode import UserMode
from app.services.viewer_text import display_date, display_name, display_text


class DiscUploadDialog(QDialog):
    upload_finished = Signal(object)  # DiscUploadReport

    def __init__(self, path: Path, account: Account, settings: QSettings, privacy: Privacy,
                 parent: QWidget | None = None, library: LibraryService | None = None,
                 accounts: AccountsService | None = None,
                 chosen: set[PatientKey] | None = None, images: int = 0,
                 patient_count: int = 0, patient_name: str = "",
                 user_mode: UserMode | None = None) -> None:
        super().__init__(parent)
        # The simple view says pictures in the import's result, the full view images.
        self.user_mode = user_mode if user_mode is not None else UserMode()
        self.path = path
        self.account = account
        self.settings = settings
        self.privacy = privacy
        self.library = library if library is not None else LibraryService()
        self.accounts = accounts if accounts is not None else AccountsService()
        self.chosen = chosen
        self._images, self._patient_count, self._patient_name = (images, patient_count,
                                                                 patient_name)
        self.report: DiscUploadReport | None = None
        self._result: DiscUploadReport | None = None  # the report the status now tells
        self._task: GeneratorTask | None = None
        self.setWindowTitle(self.tr("Upload this disc to {0}").format(account.name))
        self.resize(640, 460)
        self.pages = QStackedWidget()

        # 1. What leaves the computer, and where to.
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self._describe()
        observe(self, privacy.changed, lambda _hidden: self._describe())
        observe(self, self.user_mode.changed, lambda _mode: self._follow_view())
        self.skip = QCheckBox(self.tr("Don't ask again for {0}").format(account.name))
        first = QWidget()
        layout = QVBoxLayout(first)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        layout.addWidget(self.skip)
        self.pages.addWidget(first)

        # 2. Reading the disc and sending, at once; then the outcome.
        self.reading = QProgressBar()
        self.reading.setAccessibleName(self.tr("Reading the disc"))
        self.reading.setFormat(self.tr("Reading the disc: %v of %m files"))
        self.panel = UploadProgressPanel()
        self.status = self.panel.status
        self.failures = self.panel.failures
        self.panel.failures.setAccessibleName(self.tr(
            "Files not read from the disc and images the server did not accept"))
        self.eject = QLabel()
        self.eject.setWordWrap(True)
        self.eject.setStyleSheet("font-weight: bold")
        second = QWidget()
        layout = QVBoxLayout(second)
        layout.addWidget(self.reading)
        layout.addWidget(self.panel, 1)
        layout.addWidget(self.eject)
        self.pages.addWidget(second)

        self.buttons = QDialogButtonBox()
        self.send_button = QPushButton(self.tr("&Upload"))
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.start)
        self.pause_button = QPushButton(self.tr("&Pause"))
        self.pause_button.clicked.connect(self.pause_or_resume)
        self.retry_button = QPushButton(self.tr("&Try again"))
        self.retry_button.clicked.connect(self.start)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.close_button.clicked.connect(self.cancel)
        for button in (self.send_button, self.pause_button, self.retry_button):
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        # Hidden once in the box: adding a button to a QDialogButtonBox shows it.
        self.pause_button.hide()
        self.retry_button.hide()
        outer = QVBoxLayout(self)
        outer.addWidget(self.pages, 1)
        outer.addWidget(self.buttons)

    def _describe(self) -> None:
        """Say what would be sent, to whom, and whose it is (names hidden with privacy)."""
        text = self.tr(
            "The images on {0} will be imported into the library and sent to {1} ({2}) "
            "as they are read: the upload starts before the whole disc is read."
        ).format(self.path, self.account.name, self.account.url)
        if self._patient_count > 1:
            text += " " + self.tr("The disc holds {0} images of {1} different patients.").format(
                self._images, self._patient_count)
        elif self._images:
            name = self.privacy.show(display_name(self._patient_name) or self.tr("(no name)"))
            text += " " + self.tr("The disc holds {0} images of {1}.").format(self._images, name)
        self.summary.setText(text)

    # -- running ----------------------------------------------------------------------
    def start(self) -> None:
        if self.skip.isChecked():
            self.settings.setValue(skip_confirmation_key(self.account.name), True)
        self.pages.setCurrentIndex(1)
        self.send_button.hide()
        self.retry_button.hide()
        self.panel.show_failures([])
        self._result = None
        self.eject.setText("")
        self.pause_button.setText(self.tr("&Pause"))
        self.pause_button.setEnabled(True)
        self.pause_button.show()
        self.close_button.setText(self.tr("Cancel"))
        self._run()

    def _run(self) -> None:
        path, account, chosen = self.path, self.account, self.chosen
        library, accounts = self.library, self.accounts

        def job() -> Iterator[DiscUploadProgress | DiscUploadReport]:
            yield from library.upload_medium(path, account, accounts.client_factory(account),
                                             chosen)

        task = GeneratorTask(job, lambda item: isinstance(item, DiscUploadReport))
        task.signals.progressed.connect(self._on_progress)
        task.signals.finished.connect(self._on_finished)
        task.signals.failed.connect(self._on_failed)
        task.signals.cancelled.connect(self._on_paused)
        self._task = start_task(task)
        self.status.setText(self.tr("Reading {0}...").format(self.path))

    def _on_progress(self, item: DiscUploadProgress) -> None:
        if item.reading is not None:
            self.reading.setMaximum(max(1, item.reading.total))
            self.reading.setValue(item.reading.done)
        for study in item.studies:
            label = display_text(f"{display_date(study.study_date)} {study.study_description}")
            self.panel.set_study(study.study_instance_uid, describe_upload(study), label)
        self.status.setText(describe_disc_upload(item))

    def _on_finished(self, report: DiscUploadReport) -> None:
        self._task = None
        self.report = report
        self.pause_button.hide()
        self.close_button.setText(self.tr("Close"))
        for study in report.uploaded.studies:
            self.panel.set_study(study.study_instance_uid, self.tr(
                "{0} of {1} images confirmed").format(study.confirmed, study.total))
        self.panel.show_failures(
            [f"{f.path}: {f.error}" for f in report.imported.failed]
            + [f"{uid}: {reason}" for s in report.uploaded.studies for uid, reason in s.failed])
        self._result = report
        self._show_result(report)
        if not report.complete and report.uploaded.studies:
            self.retry_button.show()
        QApplication.alert(self)  # The notification: the taskbar entry asks for attention.
        self.upload_finished.emit(report)

    def _show_result(self, report: DiscUploadReport) -> None:
        outcome = import_outcome(report.imported, plain=self.user_mode.shows_plain_words)
        if report.complete:
            self.status.setText(self.tr("Done: {0} confirmed every image of this disc.").format(
                self.account.name) + " " + outcome.stored)
        elif not report.uploaded.studies:
            self.status.setText(self.tr("There are no images on this disc to upload."))
        else:
            self.status.setText(outcome.stored + " " + self.tr(
                "Not every image of this disc is on {0}; what failed is listed below. Try "
                "again sends only what is missing.").format(self.account.name))
        self.eject.setText(outcome.eject)

    def _follow_view(self) -> None:
        # The result, while the status tells it, follows a switch of view.
        if self._result is not None:
            self._show_result(self._result)

    def _on_failed(self, message: str) -> None:
        self._task = None
        self.pause_button.hide()
        self.status.setText(message)
        self.retry_button.show()
        self.close_button.setText(self.tr("Close"))

    def _on_paused(self) -> None:
        self._task = None
        self.pause_button.setText(self.tr("&Resume"))
        self.pause_button.setEnabled(True)
        self.status.setText(self.tr(
            "Paused. The images imported and confirmed so far are kept; Resume reads the rest "
            "of the disc and sends what is not confirmed."))

    def pause_or_resume(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.pause_button.setEnabled(False)
            self.status.setText(self.tr("Pausing after the file being read now..."))
        else:
            self.start()

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self.reject()
