"""The flows that move images: import (also of a disc just inserted), delete, upload.

Each runs its work as a background task and talks to the user through its own dialog;
``library_changed`` tells the window to refresh the library page.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from app.cloud.accounts import Account, AccountBook
from app.core.errors import LightboxError
from app.core.paths import lightbox_home
from app.gui.account_dialog import AccountDialog
from app.gui.browser import display_date, display_name
from app.gui.import_dialog import ImportDialog
from app.gui.library_view import NEW_ACCOUNT
from app.gui.tasks import GeneratorTask, start_task
from app.gui.upload_dialog import UploadDialog, skip_confirmation_key
from app.library.library import Library, StudyRow
from app.media.directories import quick_tree
from app.media.sources import open_medium

AUTO_IMPORT_KEY = "media/auto_import"


def bool_setting(settings: QSettings, key: str) -> bool:
    """A yes/no setting (QSettings keeps them as text in INI files)."""
    return str(settings.value(key, "false")).lower() in ("true", "1")


def _upload_plan(home: Path, study_uids: list[str]) -> tuple[list[StudyRow], dict[str, int]]:
    """The rows and byte sizes of the studies about to be uploaded."""
    with Library(home) as library:
        wanted = set(study_uids)
        rows = [r for r in library.list_studies() if r.study_instance_uid in wanted]
        sizes = {uid: library.study_size(uid)[1] for uid in study_uids}
    return rows, sizes


def _delete(home: Path, study_uid: str) -> int:
    with Library(home) as library:
        return library.delete_study(study_uid)


def _quick_look(path: Path) -> tuple[int, str, str]:
    """Images, first patient name and study date a new disc's DICOMDIR lists."""
    medium = open_medium(path)
    try:
        patients, _scan = quick_tree(medium)
    finally:
        medium.source.close()
    images = sum(st.instance_count for p in patients for st in p.studies)
    first = patients[0] if patients else None
    date = first.studies[0].study_date if first and first.studies else ""
    return images, first.patient_name if first else "", date


class Transfers(QObject):
    library_changed = Signal()

    def __init__(self, window: QWidget, settings: QSettings, privacy: Callable[[], bool],
                 open_path: Callable[[Path], None]) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self._privacy = privacy
        self._open_path = open_path
        self.import_dialogs: list[ImportDialog] = []
        self.upload_dialogs: list[UploadDialog] = []
        self._offered: set[str] = set()

    def _run(self, work: Callable[[], Any], done: Callable[[Any], None], title: str) -> None:
        """``work()`` on a pool thread; ``done(result)`` back here, or a warning."""
        task = GeneratorTask(lambda: iter([work()]), lambda _item: True)
        task.signals.finished.connect(done)
        task.signals.failed.connect(lambda message: QMessageBox.warning(self.window, title,
                                                                        message))
        start_task(task)

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
        dialog = ImportDialog(path, self.window, start_now=start_now, privacy=self._privacy())
        dialog.import_finished.connect(lambda _report: self.library_changed.emit())
        dialog.finished.connect(lambda _code, d=dialog: self.import_dialogs.remove(d))
        self.import_dialogs.append(dialog)
        dialog.show()
        return dialog

    def import_then_upload(self, path: Path) -> None:
        """Import a disc, then offer its studies for upload (upload needs the library)."""
        dialog = self.import_path(path, start_now=True)
        dialog.import_finished.connect(
            lambda report: self.upload(list(report.study_instance_uids), "") if report else None
        )

    def offer_inserted(self, mount_point: str) -> None:
        """A disc or stick with DICOM appeared: import it (front desk) or offer to."""
        if mount_point in self._offered:
            return
        self._offered.add(mount_point)
        path = Path(mount_point)
        if bool_setting(self.settings, AUTO_IMPORT_KEY):
            self.import_path(path, start_now=True)
            return
        self._run(lambda: _quick_look(path), lambda look: self._offer(path, look),
                  self.tr("A disc with medical images"))

    def _offer(self, path: Path, look: tuple[int, str, str]) -> None:
        images, name, date = look
        who = self.tr("a patient (name hidden)") if self._privacy() else (
            display_name(name) or self.tr("no name"))
        box = QMessageBox(self.window)
        box.setWindowTitle(self.tr("A disc with medical images"))
        box.setText(self.tr("Import {0} images of {1}, {2}?").format(
            images, who, display_date(date) or self.tr("date unknown")))
        import_button = box.addButton(self.tr("Import"), QMessageBox.ButtonRole.AcceptRole)
        view_button = box.addButton(self.tr("View"), QMessageBox.ButtonRole.ActionRole)
        box.addButton(self.tr("Not now"), QMessageBox.ButtonRole.RejectRole)
        box.setModal(False)

        def chosen() -> None:
            if box.clickedButton() is import_button:
                self.import_path(path, start_now=True)
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
            home = lightbox_home()
            self._run(lambda: _delete(home, study_uid),
                      lambda _removed: self.library_changed.emit(), self.tr("Delete study"))

    # -- upload ---------------------------------------------------------------------
    def upload(self, study_uids: list[str], account_name: str) -> None:
        """Upload studies of the library to ``account_name``: "" asks which (and offers to
        add one when there is none), NEW_ACCOUNT adds one first."""
        if not study_uids:
            return
        account = self._choose_account(account_name)
        if account is None:
            return
        home = lightbox_home()
        chosen: Account = account

        def confirm(plan: tuple[list[StudyRow], dict[str, int]]) -> None:
            self._confirm(chosen, plan)

        self._run(lambda: _upload_plan(home, study_uids), confirm, self.tr("Upload"))

    def _choose_account(self, account_name: str) -> Account | None:
        book = AccountBook(lightbox_home())
        try:
            accounts = book.all()
            if account_name not in ("", NEW_ACCOUNT):
                return book.get(account_name)
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
        dialog = AccountDialog(self.window)
        return dialog.account if dialog.exec() else None

    def _confirm(self, account: Account, plan: tuple[list[StudyRow], dict[str, int]]) -> None:
        rows, sizes = plan
        dialog = UploadDialog(rows, sizes, account, self.settings, self.window)
        dialog.upload_finished.connect(lambda _report: self.library_changed.emit())
        self.upload_dialogs.append(dialog)
        dialog.finished.connect(lambda _code, d=dialog: self.upload_dialogs.remove(d))
        dialog.show()
        if bool_setting(self.settings, skip_confirmation_key(account.name)):
            dialog.start()
