"""Share a copy without my name: choose the account (one with a viewer for doctors) and the
name the copy carries, decide about the pictures that may have writing in them, follow
the copy being made and sent with Cancel; then the share panel opens with the copy's
link. The words and the choices come from app.services."""

from collections.abc import Iterator

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.account_dialog import change_accounts
from app.gui.copy_flow import CHOOSE, RESULT, REVIEW, WORKING, CopyFlowDialog
from app.gui.pseudonym_fields import PseudonymFields
from app.gui.tasks import run_in_background
from app.services.accounts_service import Account, AccountsService
from app.services.copy_review import copy_options, default_pseudonyms
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

__all__ = ["CHOOSE", "RESULT", "REVIEW", "WORKING", "ShareCopyDialog"]


class ShareCopyDialog(CopyFlowDialog):
    copy_shared = Signal(object, object)  # ShareCopyReport with a link, Account

    def __init__(self, study_uid: str, library: LibraryService | None = None,
                 accounts: AccountsService | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(library if library is not None else LibraryService(),
                         "&Share the copy", "Progress of the copy", parent)
        self.share_button = self.action_button
        self.study_uid = study_uid
        self.accounts_service = accounts if accounts is not None else AccountsService()
        self.accounts: list[Account] = []
        self.report: ShareCopyReport | None = None
        self.label = ""
        self._sending = False
        self.setWindowTitle(self.tr("Share a copy without my name"))
        self.resize(680, 560)

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

        # The review and progress pages come from CopyFlowDialog; then, when there is no
        # link to give (not every image arrived), what went wrong.
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
        self._assemble(first, result)
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

    # -- running -------------------------------------------------------------------------
    def start(self) -> None:
        if self.pages.currentIndex() == REVIEW:
            self._run()
            return
        self._show_problem("")
        self._look_for_writing([self.study_uid])

    def _run(self) -> None:
        library, uid, account = self.library, self.study_uid, self.chosen_account()
        name, patient_id = self.pseudonym.values()
        options = copy_options(name, patient_id, self.review.choices())
        make_client = self.accounts_service.client_factory(account)

        def job() -> Iterator[ExportProgress | UploadProgress | ShareCopyReport]:
            yield from library.share_without_name(uid, account, make_client, options)

        self._sending = False
        self._start_job(job, ShareCopyReport, self.tr("Making the copy without your name..."))

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

    def _cancelled_words(self) -> str:
        if self._sending:
            return self.tr(
                "Cancelled: no link was made. Images of the copy already sent stay on {0}; "
                "they do not carry your name.").format(self.chosen_account().name)
        return self.tr("Cancelled: nothing was sent.")
