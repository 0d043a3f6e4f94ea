"""The flows that make copies: "Export..." (a folder, ZIP file or disc image, with or
without the name) and "Share a copy without my name..." (a de-identified copy uploaded to
an account, then the share panel with its link). Each has its own dialog; this keeps them
alive and connects the share to the share panel."""

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.gui.export_dialog import ExportDialog
from app.gui.share_copy_dialog import ShareCopyDialog
from app.gui.share_dialog import Sharing
from app.services.accounts_service import Account, AccountsService
from app.services.export_words import share_copy_note
from app.services.library_service import LibraryService
from app.services.privacy import Privacy
from app.services.share_copy import ShareCopyReport
from app.services.sharing import ShareItem


class Copies(QObject):
    library_changed = Signal()

    def __init__(self, window: QWidget, privacy: Privacy, sharing: Sharing,
                 library: LibraryService | None = None,
                 accounts: AccountsService | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.privacy = privacy
        self.sharing = sharing
        self._library = library
        self._accounts = accounts
        self.export_dialogs: list[ExportDialog] = []
        self.share_dialogs: list[ShareCopyDialog] = []

    def library(self) -> LibraryService:
        return self._library if self._library is not None else LibraryService()

    def accounts(self) -> AccountsService:
        return self._accounts if self._accounts is not None else AccountsService()

    def export(self, study_uids: list[str]) -> ExportDialog | None:
        """The export dialog for these studies of the library (non-modal)."""
        if not study_uids:
            QMessageBox.information(self.window, self.tr("Export"), self.tr(
                "Select the studies to export in the library first, or open one."))
            return None
        dialog = ExportDialog(study_uids, self.privacy, self.library(), self.window)
        self.export_dialogs.append(dialog)
        dialog.finished.connect(lambda _code, d=dialog: self.export_dialogs.remove(d))
        dialog.show()
        return dialog

    def share_copy(self, study_uid: str) -> ShareCopyDialog:
        """"Share a copy without my name..." for one study of the library: its dialog,
        then (once the copy's link is there) the share panel with that link."""
        dialog = ShareCopyDialog(study_uid, self.library(), self.accounts(), self.window)
        dialog.copy_shared.connect(
            lambda report, account, d=dialog: self._copy_shared(d.label, report, account))
        self.share_dialogs.append(dialog)
        dialog.finished.connect(lambda _code, d=dialog: self.share_dialogs.remove(d))
        dialog.show()
        return dialog

    def _copy_shared(self, label: str, report: ShareCopyReport, account: Account) -> None:
        assert report.link is not None  # Only a copy with a link is announced.
        item = ShareItem(report.study_instance_uid,
                         self.tr("{0} (a copy without your name)").format(label), report.link)
        self.sharing.show_items([item], account, self.tr(share_copy_note(report)))
        self.library_changed.emit()  # The study now shows as shared.
