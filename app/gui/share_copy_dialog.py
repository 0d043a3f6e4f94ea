"""Share a copy without my name: choose the account (one with a viewer for doctors) and the
name the copy carries, decide about the pictures that may have writing in them, follow
the copy being made and sent with Cancel; then the share panel opens with the copy's
link. The words and the choices come from app.services."""

from collections.abc import Iterator

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui.account_dialog import change_accounts
from app.gui.burned_in_review import BurnedInReview
from app.gui.pseudonym_fields import PseudonymFields
from app.gui.tasks import GeneratorTask, run_in_background, start_task
from app.services.accounts_service import Account, AccountsService
from app.services.copy_review import (
    BlackoutRule,
    ReviewImage,
    copy_options,
    default_pseudonyms,
    review_images,
    rules,
)
from app.services.export_words import (
    CopyAccounts,
    copy_accounts,
    share_copy_progress,
    share_copy_result,
)
from app.services.exporting import ExportProgress
from app.services.library_service import LibraryService
from app.services.share_copy import ShareCopyReport
from app.services.sharing import study_label
from app.services.uploading import UploadProgress

CHOOSE, REVIEW, WORKING, RESULT = range(4)


class ShareCopyDialog(QDialog):
    copy_shared = Signal(object, object)  # ShareCopyReport with a link, Account

    def __init__(self, study_uid: str, library: LibraryService | None = None,
                 accounts: AccountsService | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.study_uid = study_uid
        self.library = library if library is not None else LibraryService()
        self.accounts_service = accounts if accounts is not None else AccountsService()
        self.accounts: list[Account] = []
        self.report: ShareCopyReport | None = None
        self.label = ""
        self._task: GeneratorTask | None = None
        self._sending = False
        self.setWindowTitle(self.tr("Share a copy without my name"))
        self.resize(680, 560)
        self.pages = QStackedWidget()

        # 1. Where to, and under which name.
        self.what = QLabel(self.tr("Looking at the study..."))
        self.what.setWordWrap(True)
        bold = QFont(self.what.font())
        bold.setBold(True)
        self.what.setFont(bold)
        self.explain = QLabel(self.tr(
            "A copy of this study is made without your name, birth date, ID or other "
            "details that say who you are, and uploaded to your cloud account; you get a "
            "link for your doctor. The study on this computer does not change."))
        self.explain.setWordWrap(True)
        self.account = QComboBox()
        self.account.setAccessibleName(self.tr("Account to upload the copy to"))
        self.no_account = QLabel()
        self.no_account.setWordWrap(True)
        self.no_account.hide()
        self.accounts_button = QPushButton(self.tr("Cloud &accounts..."))
        self.accounts_button.setToolTip(self.tr(
            "Add an account, or a viewer for doctors to one of yours."))
        self.accounts_button.clicked.connect(self.change_accounts)
        self.accounts_button.hide()
        self.pseudonym = PseudonymFields()
        self.account_row = QWidget()
        form = QFormLayout(self.account_row)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.tr("Upload to:"), self.account)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020; font-weight: bold")
        self.problem.hide()
        first = QWidget()
        layout = QVBoxLayout(first)
        layout.addWidget(self.what)
        layout.addWidget(self.explain)
        layout.addWidget(self.account_row)
        layout.addWidget(self.no_account)
        no_account_row = QHBoxLayout()
        no_account_row.addWidget(self.accounts_button)
        no_account_row.addStretch(1)
        layout.addLayout(no_account_row)
        layout.addWidget(self.pseudonym)
        layout.addStretch(1)
        layout.addWidget(self.problem)
        self.pages.addWidget(first)

        # 2. The pictures that may have writing in them.
        self.review = BurnedInReview(self.library)
        self.pages.addWidget(self.review)

        # 3. Making and sending the copy.
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Progress of the copy"))
        working = QWidget()
        layout = QVBoxLayout(working)
        layout.addStretch(1)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addStretch(1)
        self.pages.addWidget(working)

        # 4. When there is no link to give (not every image arrived).
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QListWidget()
        self.details.setWordWrap(True)
        self.details.setAccessibleName(self.tr("What went wrong, image by image"))
        result = QWidget()
        layout = QVBoxLayout(result)
        layout.addWidget(self.outcome)
        layout.addWidget(self.details, 1)
        self.pages.addWidget(result)

        self.buttons = QDialogButtonBox()
        self.back_button = QPushButton(self.tr("< &Back"))
        self.back_button.clicked.connect(lambda: self._show_page(CHOOSE))
        self.share_button = QPushButton(self.tr("&Share the copy"))
        self.share_button.setDefault(True)
        self.share_button.clicked.connect(self.start)
        self.buttons.addButton(self.share_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.clicked.connect(self.cancel)
        footer = QHBoxLayout()
        footer.addWidget(self.back_button)
        footer.addWidget(self.buttons, 1)
        outer = QVBoxLayout(self)
        outer.addWidget(self.pages, 1)
        outer.addLayout(footer)
        self._show_page(CHOOSE)
        self.share_button.setEnabled(False)

        self._look()
        library, uid = self.library, study_uid
        run_in_background(lambda: default_pseudonyms(library, [uid]),
                          self.pseudonym.show_defaults)

    def _look(self) -> None:
        library, service, uid = self.library, self.accounts_service, self.study_uid

        def look() -> tuple[str, CopyAccounts]:
            rows = library.studies_by_uid([uid])
            label = study_label(rows[0]) if rows else ""
            return label, copy_accounts(service.all())

        run_in_background(look, self._on_looked, self._show_problem)

    def change_accounts(self) -> None:
        """File > Cloud accounts, from here: then the accounts are looked at again."""
        if change_accounts(self, self.accounts_service) is not None:
            self._look()

    def _on_looked(self, found: tuple[str, CopyAccounts]) -> None:
        self.label, usable = found
        self.what.setText(self.label or self.tr("This study is no longer in the library."))
        self.accounts = list(usable.accounts)
        self.account.clear()
        for account in self.accounts:
            self.account.addItem(account.name, account.name)
        self.no_account.setText(usable.reason)
        self.no_account.setVisible(bool(usable.reason))
        # Bold when it is why nothing can be shared; a plain remark otherwise.
        self.no_account.setStyleSheet("" if self.accounts else "font-weight: bold")
        # Without an account there is nothing to choose yet: only why, and the way out.
        self.accounts_button.setVisible(not self.accounts)
        self.account_row.setVisible(bool(self.accounts))
        self.pseudonym.setVisible(bool(self.accounts))
        self.share_button.setEnabled(bool(self.accounts) and bool(self.label))

    def chosen_account(self) -> Account:
        return self.accounts[max(0, self.account.currentIndex())]

    def _show_page(self, page: int) -> None:
        self.pages.setCurrentIndex(page)
        self.back_button.setVisible(page == REVIEW)
        self.share_button.setVisible(page in (CHOOSE, REVIEW, RESULT))
        self.share_button.setText(self.tr("Try &again") if page == RESULT
                                  else self.tr("&Share the copy"))
        self.share_button.setEnabled(page != CHOOSE or bool(self.accounts))
        self.cancel_button.setText(self.tr("Close") if page == RESULT else self.tr("Cancel"))
        self.cancel_button.setEnabled(True)

    def _show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(bool(message))

    # -- running -------------------------------------------------------------------------
    def start(self) -> None:
        if self.pages.currentIndex() == REVIEW:
            self._run()
            return
        self._show_problem("")
        self.status.setText(self.tr("Looking for pictures that may have writing in them..."))
        self.progress.setRange(0, 0)
        self._show_page(WORKING)
        library, uid = self.library, self.study_uid
        self._task = run_in_background(lambda: (review_images(library, [uid]), rules(library)),
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

    def _run(self) -> None:
        self.review.stop()
        library, uid, account = self.library, self.study_uid, self.chosen_account()
        name, patient_id = self.pseudonym.values()
        options = copy_options(name, patient_id, self.review.choices())
        make_client = self.accounts_service.client_factory(account)

        def job() -> Iterator[ExportProgress | UploadProgress | ShareCopyReport]:
            yield from library.share_without_name(uid, account, make_client, options)

        self.status.setText(self.tr("Making the copy without your name..."))
        self.progress.setRange(0, 0)
        self._show_page(WORKING)
        self._sending = False
        task = GeneratorTask(job, lambda item: isinstance(item, ShareCopyReport))
        task.signals.progressed.connect(self._on_progress)
        task.signals.finished.connect(self._on_finished)
        task.signals.failed.connect(self._on_failed)
        task.signals.cancelled.connect(self._on_cancelled)
        self._task = start_task(task)

    def _on_progress(self, item: ExportProgress | UploadProgress) -> None:
        self._sending = self._sending or isinstance(item, UploadProgress)
        words = share_copy_progress(item, self.chosen_account().name)
        self.status.setText(words.text)
        self.progress.setRange(0, max(1, words.total))
        self.progress.setValue(words.done)

    def _on_finished(self, report: ShareCopyReport) -> None:
        self._task = None
        self.report = report
        if report.link:
            self.copy_shared.emit(report, self.chosen_account())
            self.accept()
            return
        words = share_copy_result(report)
        self.outcome.setText(words.text)
        self.details.clear()
        self.details.addItems(list(words.details))
        self.details.setVisible(bool(words.details))
        self._show_page(RESULT)

    def _on_failed(self, message: str) -> None:
        self._task = None
        self._show_page(CHOOSE)
        self._show_problem(message)

    def _on_cancelled(self) -> None:
        self._task = None
        self._show_page(CHOOSE)
        if self._sending:
            self._show_problem(self.tr(
                "Cancelled: no link was made. Images of the copy already sent stay on {0}; "
                "they do not carry your name.").format(self.chosen_account().name))
        else:
            self._show_problem(self.tr("Cancelled: nothing was sent."))

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
            self._task.cancel()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.reject()
        event.accept()
