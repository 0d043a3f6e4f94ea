"""Upload studies to a cloud account: say exactly what leaves the computer, then send it
with progress per study, pause, resume, cancel, and the server's reasons for failures."""

from collections.abc import Iterator

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui.observe import observe
from app.gui.tasks import GeneratorTask, start_task
from app.gui.upload_progress import UploadProgressPanel
from app.services.accounts_service import Account, AccountsService
from app.services.library_service import LibraryService, UploadPlan
from app.services.privacy import Privacy
from app.services.uploading import UploadProgress, UploadReport, describe_upload
from app.services.viewer_text import display_date, display_name, display_text


def skip_confirmation_key(account: str) -> str:
    return f"upload/skip_confirmation/{account}"


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.0f} MB" if size >= 1e6 else f"{size / 1e3:,.0f} kB"


class UploadDialog(QDialog):
    upload_finished = Signal(object)  # UploadReport

    def __init__(self, plan: UploadPlan, account: Account, settings: QSettings,
                 privacy: Privacy, parent: QWidget | None = None,
                 library: LibraryService | None = None,
                 accounts: AccountsService | None = None) -> None:
        super().__init__(parent)
        self.plan = plan
        self.rows = list(plan.rows)
        self.account = account
        self.settings = settings
        self.privacy = privacy
        self.library = library if library is not None else LibraryService()
        self.accounts = accounts if accounts is not None else AccountsService()
        self.report: UploadReport | None = None
        self._task: GeneratorTask | None = None
        self._pending = [r.study_instance_uid for r in self.rows]
        self.setWindowTitle(self.tr("Upload to {0}").format(account.name))
        self.resize(640, 440)
        self.pages = QStackedWidget()

        # 1. What leaves the computer.
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.listing = QListWidget()
        self.listing.setAccessibleName(self.tr("Studies to upload"))
        self._describe()
        observe(self, privacy.changed, lambda _hidden: self._describe())
        self.skip = QCheckBox(self.tr("Don't ask again for {0}").format(account.name))
        first = QWidget()
        layout = QVBoxLayout(first)
        layout.addWidget(self.summary)
        layout.addWidget(self.listing, 1)
        layout.addWidget(self.skip)
        self.pages.addWidget(first)

        # 2. Progress, per study.
        self.panel = UploadProgressPanel()
        for row in self.rows:
            label = display_text(f"{display_date(row.study_date)} {row.study_description}")
            self.panel.set_study(row.study_instance_uid, self.tr("waiting"), label)
        self.progress = self.panel.tree
        self.status = self.panel.status
        self.failures = self.panel.failures
        self.pages.addWidget(self.panel)

        self.buttons = QDialogButtonBox()
        self.send_button = QPushButton(self.tr("&Upload"))
        self.send_button.clicked.connect(self.start)
        self.pause_button = QPushButton(self.tr("&Pause"))
        self.pause_button.clicked.connect(self.pause_or_resume)
        self.retry_button = QPushButton(self.tr("&Retry failed"))
        self.retry_button.clicked.connect(self.retry_failed)
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
        """Say what would be sent, to whom, and for whom (names hidden with privacy)."""
        plan, account = self.plan, self.account
        text = self.tr("These images will be sent to {0} ({1}): {2} images, {3}.").format(
            account.name, account.url, plan.images, _megabytes(plan.bytes))
        if plan.patients > 1:
            text += " " + self.tr("They belong to {0} different patients.").format(
                plan.patients)
        self.summary.setText(text)
        self.listing.clear()
        show = self.privacy.show
        for row in self.rows:
            self.listing.addItem(self.tr("{0} ({1}), {2} {3}: {4} images").format(
                show(display_name(row.patient_name) or self.tr("(no name)")),
                show(row.patient_id) or self.tr("no ID"),
                display_date(row.study_date), display_text(row.study_description),
                row.instances))

    # -- running ----------------------------------------------------------------------
    def start(self) -> None:
        if self.skip.isChecked():
            self.settings.setValue(skip_confirmation_key(self.account.name), True)
        self.pages.setCurrentIndex(1)
        self.send_button.hide()
        self.retry_button.hide()
        self.panel.show_failures([])
        self.pause_button.setText(self.tr("&Pause"))
        self.pause_button.show()
        self.close_button.setText(self.tr("Cancel"))
        self._run(list(self._pending))

    def _run(self, studies: list[str]) -> None:
        account, library, accounts = self.account, self.library, self.accounts

        def job() -> Iterator[UploadProgress | UploadReport]:
            yield from library.upload(studies, account, accounts.client_factory(account))

        task = GeneratorTask(job, lambda item: isinstance(item, UploadReport))
        task.signals.progressed.connect(self._on_progress)
        task.signals.finished.connect(self._on_finished)
        task.signals.failed.connect(self._on_failed)
        task.signals.cancelled.connect(self._on_paused)
        self._task = start_task(task)
        self.status.setText(self.tr("Uploading..."))

    def _on_progress(self, item: UploadProgress) -> None:
        self.panel.set_study(item.study_instance_uid, describe_upload(item))
        self.status.setText(self.tr("Uploading to {0}...").format(self.account.name))

    def _on_finished(self, report: UploadReport) -> None:
        self._task = None
        self.report = report
        self.pause_button.hide()
        self.close_button.setText(self.tr("Close"))
        self._pending = [s.study_instance_uid for s in report.studies if not s.complete]
        for study in report.studies:
            self.panel.set_study(study.study_instance_uid, self.tr(
                "{0} of {1} images confirmed").format(study.confirmed, study.total))
        self.panel.show_failures([f"{uid}: {reason}" for study in report.studies
                                  for uid, reason in study.failed])
        if self._pending:
            failed = sum(len(s.failed) for s in report.studies)
            self.status.setText(self.tr(
                "{0} images were not accepted by {1}; the reasons are below."
            ).format(failed, self.account.name))
            self.retry_button.show()
        else:
            self.status.setText(self.tr("Done: {0} confirmed every image.").format(
                self.account.name))
        QApplication.alert(self)  # The notification: the taskbar entry asks for attention.
        self.upload_finished.emit(report)

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
            "Paused. Everything the server confirmed is recorded; Resume sends the rest."
        ))

    def pause_or_resume(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.pause_button.setEnabled(False)
            self.status.setText(self.tr("Pausing after the images being sent now..."))
        else:
            self.pause_button.setText(self.tr("&Pause"))
            self._run(list(self._pending))

    def retry_failed(self) -> None:
        self.start()

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self.reject()
