"""The flows that move images: import (also of a disc just inserted), delete, upload (of
studies in the library, or of a disc as it is imported), send to a PACS.

Each runs its work as a background task and talks to the user through its own dialog;
``library_changed`` tells the window to refresh the library page.
"""

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from app.core.errors import LightboxError
from app.gui.account_dialog import AccountDialog
from app.gui.disc_upload_dialog import DiscUploadDialog
from app.gui.import_dialog import ImportDialog
from app.gui.library_view import NEW_ACCOUNT
from app.gui.reconcile_section import ReconcileSection
from app.gui.send_dialog import SendDialog
from app.gui.tasks import run_in_background
from app.gui.upload_dialog import UploadDialog, skip_confirmation_key
from app.services.accounts_service import Account, AccountsService
from app.services.glance import MediumGlance, glance
from app.services.library_service import LibraryService, PatientKey, StudyRow, UploadPlan
from app.services.plain_words_language import PlainWordsLanguage
from app.services.privacy import Privacy
from app.services.user_mode import UserMode
from app.services.viewer_text import display_date, display_name

AUTO_IMPORT_KEY = "media/auto_import"


def bool_setting(settings: QSettings, key: str) -> bool:
    """A yes/no setting (QSettings keeps them as text in INI files)."""
    return str(settings.value(key, "false")).lower() in ("true", "1")


class Transfers(QObject):
    library_changed = Signal()
    upload_reported = Signal(object, object)  # UploadReport, Account: an upload ended

    def __init__(self, window: QWidget, settings: QSettings, privacy: Privacy,
                 open_path: Callable[[Path], None], library: LibraryService | None = None,
                 accounts: AccountsService | None = None,
                 user_mode: UserMode | None = None,
                 language: PlainWordsLanguage | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.user_mode = user_mode  # the import dialog words its counts in this view
        self.language = language  # and says its plain sentences in this language
        self.settings = settings
        self.privacy = privacy
        self._open_path = open_path
        self._library = library
        self._accounts = accounts
        self.import_dialogs: list[ImportDialog] = []
        self.upload_dialogs: list[UploadDialog] = []
        self.disc_upload_dialogs: list[DiscUploadDialog] = []
        self.send_dialogs: list[SendDialog] = []
        self._offered: set[str] = set()

    def library(self) -> LibraryService:
        return self._library if self._library is not None else LibraryService()

    def accounts(self) -> AccountsService:
        return self._accounts if self._accounts is not None else AccountsService()

    def _warn(self, title: str) -> Callable[[str], None]:
        def warn(message: str) -> None:
            QMessageBox.warning(self.window, title, message)

        return warn

    # -- import ---------------------------------------------------------------------
    def import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, self.tr("Import a disc or folder"))
        if folder:
            self.import_path(Path(folder))

    def import_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self.window, self.tr("Import an ISO image, ZIP file or DICOMDIR"), "",
            self.tr("Disc images and archives (*.iso *.zip DICOMDIR *.dcmdir);;All files (*)"),
        )
        if name:
            self.import_path(Path(name))

    def import_path(self, path: Path, start_now: bool = False) -> ImportDialog:
        """Show the import dialog for ``path`` (non-modal: the viewer stays usable)."""
        dialog = ImportDialog(path, self.privacy, self.window, start_now=start_now,
                              library=self.library(), user_mode=self.user_mode,
                              language=self.language)
        dialog.import_finished.connect(lambda _report: self.library_changed.emit())
        dialog.upload_requested.connect(lambda d=dialog: self._upload_from_import(d))
        dialog.finished.connect(lambda _code, d=dialog: self.import_dialogs.remove(d))
        self.import_dialogs.append(dialog)
        dialog.show()
        return dialog

    def _upload_from_import(self, dialog: ImportDialog) -> None:
        """"Upload this disc..." in the import dialog: the images of the patients ticked
        there; the import dialog gives way once an account is chosen."""
        patients = dialog.chosen_patient_nodes()
        named = [p for p in patients if not p.unattributed]
        if self.upload_disc(dialog.path, dialog.chosen_patients(), dialog.chosen_images(),
                            len(named), named[0].patient_name if named else ""):
            dialog.accept()

    def offer_inserted(self, mount_point: str) -> None:
        """A disc or stick with DICOM appeared: import it (front desk) or offer to."""
        if mount_point in self._offered:
            return
        self._offered.add(mount_point)
        path = Path(mount_point)
        if bool_setting(self.settings, AUTO_IMPORT_KEY):
            self.import_path(path, start_now=True)
            return
        run_in_background(lambda: glance(path), lambda look: self._offer(path, look),
                          self._warn(self.tr("A disc with medical images")))

    def _offer(self, path: Path, look: MediumGlance) -> None:
        images, name, date = look.images, look.patient_name, look.study_date
        if look.patients > 1:
            who = self.tr("{0} different patients").format(look.patients)
        elif self.privacy.hidden:
            who = self.tr("a patient (name hidden)")
        else:
            who = display_name(name) or self.tr("no name")
        box = QMessageBox(self.window)
        box.setWindowTitle(self.tr("A disc with medical images"))
        if images:
            box.setText(self.tr("Import {0} images of {1}, {2}?").format(
                images, who, display_date(date) or self.tr("date unknown")))
        else:
            # No index on the disc says what is there: never offer "0 images".
            box.setText(self.tr("Import the {0} files on this disc? Each is looked at, and "
                                "only medical images are kept.").format(look.unplaced))
        import_button = box.addButton(self.tr("Import"), QMessageBox.ButtonRole.AcceptRole)
        upload_button = box.addButton(self.tr("Upload this disc..."),
                                      QMessageBox.ButtonRole.ActionRole)
        view_button = box.addButton(self.tr("View"), QMessageBox.ButtonRole.ActionRole)
        box.addButton(self.tr("Not now"), QMessageBox.ButtonRole.RejectRole)
        box.setModal(False)

        def chosen() -> None:
            if box.clickedButton() is import_button:
                self.import_path(path, start_now=True)
            elif box.clickedButton() is upload_button:
                self.upload_disc(path, None, images, look.patients, name)
            elif box.clickedButton() is view_button:
                self._open_path(path)

        box.finished.connect(lambda _code: chosen())
        box.show()

    # -- delete ---------------------------------------------------------------------
    def delete_study(self, study_uid: str, what: str) -> None:
        answer = QMessageBox.question(
            self.window,
            self.tr("Delete study"),
            self.tr("Delete {0} from this computer? The images on the original disc are "
                    "not affected.").format(what),
        )
        if answer == QMessageBox.StandardButton.Yes:
            library = self.library()
            run_in_background(lambda: library.delete_study(study_uid),
                              lambda _removed: self.library_changed.emit(),
                              self._warn(self.tr("Delete study")))

    # -- upload ---------------------------------------------------------------------
    def upload(self, study_uids: list[str], account_name: str) -> None:
        """Upload studies of the library to ``account_name``: "" asks which (and offers to
        add one when there is none), NEW_ACCOUNT adds one first."""
        if not study_uids:
            QMessageBox.information(self.window, self.tr("Upload"), self.tr(
                "Select the studies to upload in the library first."))
            return
        account = self._choose_account(account_name)
        if account is None:
            return
        library, chosen = self.library(), account
        run_in_background(lambda: library.upload_plan(study_uids, chosen.name),
                          lambda plan: self._confirm(chosen, plan),
                          self._warn(self.tr("Upload")))

    def upload_disc(self, path: Path, patients: set[PatientKey] | None = None,
                    images: int = 0, patient_count: int = 0, patient_name: str = "") -> bool:
        """Import the disc at ``path`` and upload it at once, to an account the user picks
        (``patients``: only theirs; the rest describes the disc). False when no account
        was chosen."""
        account = self._choose_account("")
        if account is None:
            return False
        dialog = DiscUploadDialog(path, account, self.settings, self.privacy, self.window,
                                  library=self.library(), accounts=self.accounts(),
                                  chosen=patients, images=images,
                                  patient_count=patient_count, patient_name=patient_name,
                                  user_mode=self.user_mode)
        dialog.upload_finished.connect(lambda _report: self.library_changed.emit())
        # The share panel, with each study's link, once the last image is confirmed.
        dialog.upload_finished.connect(
            lambda report: self.upload_reported.emit(report.uploaded, account))
        self.disc_upload_dialogs.append(dialog)
        dialog.finished.connect(lambda _code, d=dialog: self.disc_upload_dialogs.remove(d))
        dialog.show()
        if bool_setting(self.settings, skip_confirmation_key(account.name)):
            dialog.start()
        return True

    def _choose_account(self, account_name: str) -> Account | None:
        service = self.accounts()
        try:
            accounts = service.all()
            if account_name not in ("", NEW_ACCOUNT):
                return service.get(account_name)
        except LightboxError as exc:
            QMessageBox.warning(self.window, self.tr("Upload"), str(exc))
            return None
        if account_name == "" and len(accounts) == 1:
            return accounts[0]
        if account_name == "" and accounts:
            names = [a.name for a in accounts]
            name, ok = QInputDialog.getItem(self.window, self.tr("Upload"),
                                            self.tr("Upload to which account?"), names, 0, False)
            return accounts[names.index(name)] if ok else None
        if account_name == "" and not self._add_account_first():
            return None
        dialog = AccountDialog(self.window, service)
        return dialog.account if dialog.exec() else None

    def _add_account_first(self) -> bool:
        """There is no account yet: say so, and offer to add one (True: add it now)."""
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("Upload"), self.tr(
            "There is no cloud account to upload to yet. Add one with the address and the "
            "login your clinic or cloud service gave you."), parent=self.window)
        add = box.addButton(self.tr("Add an account..."), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is add

    def _confirm(self, account: Account, plan: UploadPlan) -> None:
        dialog = UploadDialog(plan, account, self.settings, self.privacy, self.window,
                              library=self.library(), accounts=self.accounts())
        dialog.upload_finished.connect(lambda _report: self.library_changed.emit())
        dialog.upload_finished.connect(lambda report: self.upload_reported.emit(report, account))
        self.upload_dialogs.append(dialog)
        dialog.finished.connect(lambda _code, d=dialog: self.upload_dialogs.remove(d))
        dialog.show()
        if bool_setting(self.settings, skip_confirmation_key(account.name)):
            dialog.start()

    # -- send to a PACS ---------------------------------------------------------------
    def send(self, study_uids: list[str]) -> None:
        """"Send to PACS..." for studies of the library: the send dialog (non-modal)."""
        if not study_uids:
            QMessageBox.information(self.window, self.tr("Send to PACS"), self.tr(
                "Select the studies to send in the library first, or open one."))
            return
        library, accounts = self.library(), self.accounts()

        def look() -> tuple[list[StudyRow], list[tuple[str, str, str]], bool]:
            saved = [(d.name, d.address, d.calling_aet) for d in accounts.pacs()]
            worklist = bool(accounts.pacs("worklist"))
            return library.studies_by_uid(study_uids), saved, worklist

        run_in_background(look, self._show_send, self._warn(self.tr("Send to PACS")))

    def _show_send(self, found: tuple[list[StudyRow], list[tuple[str, str, str]], bool]
                   ) -> None:
        rows, saved, worklist = found
        dialog = SendDialog(rows, self.privacy, self.settings, self.window,
                            library=self.library())
        # The patient our PACS files the images under: one study at a time.
        single = rows[0].study_instance_uid if len(rows) == 1 else None
        dialog.add_patient_section(ReconcileSection(dialog.library, single, self.privacy,
                                                    self.settings, worklist=worklist))
        dialog.set_destinations(saved)
        dialog.send_finished.connect(lambda _report: self.library_changed.emit())
        self.send_dialogs.append(dialog)
        dialog.finished.connect(lambda _code, d=dialog: self.send_dialogs.remove(d))
        dialog.show()
