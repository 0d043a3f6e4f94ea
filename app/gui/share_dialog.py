"""Share with a doctor: the link of a study that is completely on an account, to copy, to
email or to show as a QR code (saved or printed), what the doctor needs to open it, and
what was shared before. The words, the email and the QR modules come from
app.services.sharing; this module only shows them and records each share."""

from PySide6.QtCore import QObject, QRectF, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QImage, QPainter, QPixmap, QTextOption
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import LightboxError
from app.gui.tasks import run_in_background
from app.services.accounts_service import Account, AccountsService
from app.services.library_service import LibraryService, ShareRow
from app.services.sharing import (
    COPIED,
    EMAIL,
    PRINTED,
    QR_CODE,
    SUBJECT,
    ShareItem,
    describe_share,
    doctor_sentences,
    mailto_url,
    patient_sentences,
    qr_modules,
    share_items,
    share_options,
)
from app.services.uploading import UploadReport

# About 7 cm on a 100 dpi screen: big enough for any phone camera at arm's length.
QR_SCREEN_PIXELS = 300
QR_FILE_SCALE = 10  # pixels per module in a saved PNG
QR_PRINT_MM = 60
MAX_HISTORY = 5


def qr_image(modules: list[list[bool]], scale: int) -> QImage:
    """The modules as black and white squares of ``scale`` pixels (no smoothing)."""
    size = len(modules) * scale
    data = bytearray()
    for row in modules:
        line = b"".join(b"\x00" * scale if dark else b"\xff" * scale for dark in row)
        data += line * scale
    image = QImage(bytes(data), size, size, size, QImage.Format.Format_Grayscale8)
    return image.copy()  # Its own pixels, not a view of ``data``.


class ShareDialog(QDialog):
    shared = Signal(str, str)  # study UID, how (after it is recorded)

    def __init__(self, items: list[ShareItem], account: Account, library: LibraryService,
                 parent: QWidget | None = None, note: str = "") -> None:
        super().__init__(parent)
        self.items = items
        self.account = account
        self.library = library
        self.history_lines: list[str] = []
        self.setWindowTitle(self.tr("Share with a doctor"))

        self.study = QComboBox()
        self.study.setAccessibleName(self.tr("Study to share"))
        for item in items:
            self.study.addItem(item.label, item.study_instance_uid)
        self.study.currentIndexChanged.connect(self._show)
        self.study_label = QLabel()
        self.study_label.setWordWrap(True)
        bold = QFont(self.study_label.font())
        bold.setBold(True)
        self.study_label.setFont(bold)
        self.study.setVisible(len(items) > 1)
        self.study_label.setVisible(len(items) == 1)

        # What this link is of, when that needs saying ("This copy does not carry your
        # name, birth date or ID.").
        self.note = QLabel(note)
        self.note.setWordWrap(True)
        self.note.setAccessibleName(self.tr("About this copy"))
        self.note.setVisible(bool(note))
        intro = QLabel(self.tr("Send your doctor this link:"))
        self.link_box = QPlainTextEdit()
        self.link_box.setReadOnly(True)
        self.link_box.setAccessibleName(self.tr("Link for your doctor"))
        self.link_box.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        self.link_box.setFixedHeight(self.link_box.fontMetrics().lineSpacing() * 4 + 12)
        self.copy_button = QPushButton(self.tr("&Copy link"))
        self.copy_button.clicked.connect(self.copy_link)
        self.email_button = QPushButton(self.tr("&Email..."))
        self.email_button.setToolTip(self.tr(
            "Opens your email program with the link in a new message. The message does "
            "not name you; add your doctor's address."))
        self.email_button.clicked.connect(self.email)
        self.needs = QLabel()
        self.needs.setWordWrap(True)
        self.needs.setAccessibleName(self.tr("What your doctor needs"))

        self.qr = QLabel()
        self.qr.setAccessibleName(self.tr("QR code of the link"))
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        qr_note = QLabel(self.tr(
            "Or let your doctor scan this code with a phone's camera: it opens the same "
            "link."))
        qr_note.setWordWrap(True)
        self.save_button = QPushButton(self.tr("&Save QR code as PNG..."))
        self.save_button.clicked.connect(self.save_qr)
        self.print_button = QPushButton(self.tr("&Print..."))
        self.print_button.setToolTip(self.tr("Prints the QR code and the link on one page."))
        self.print_button.clicked.connect(self.print_qr)

        self.feedback = QLabel()
        self.feedback.setWordWrap(True)
        self.feedback.setAccessibleName(self.tr("What was done"))
        self.history = QLabel()
        self.history.setWordWrap(True)
        self.history.setAccessibleName(self.tr("Shared before"))
        self.history.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        link_row = QGridLayout()
        link_row.addWidget(self.link_box, 0, 0, 2, 1)
        link_row.addWidget(self.copy_button, 0, 1)
        link_row.addWidget(self.email_button, 1, 1)
        qr_side = QVBoxLayout()
        qr_side.addWidget(qr_note)
        qr_side.addWidget(self.save_button)
        qr_side.addWidget(self.print_button)
        qr_side.addStretch(1)
        qr_row = QHBoxLayout()
        qr_row.addWidget(self.qr)
        qr_row.addLayout(qr_side, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.study)
        layout.addWidget(self.study_label)
        layout.addWidget(self.note)
        layout.addWidget(intro)
        layout.addLayout(link_row)
        layout.addWidget(self.needs)
        layout.addLayout(qr_row)
        layout.addWidget(self.feedback)
        layout.addWidget(self.history)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        self._show()

    # -- what is on show ----------------------------------------------------------------
    def current(self) -> ShareItem:
        return self.items[max(0, self.study.currentIndex())]

    def _show(self) -> None:
        item = self.current()
        self.study_label.setText(item.label)
        self.link_box.setPlainText(item.link)
        self.needs.setText(patient_sentences(self.account.name, self.account.viewer_url))
        modules = qr_modules(item.link)
        scale = max(3, QR_SCREEN_PIXELS // len(modules))
        ratio = self.devicePixelRatioF()
        physical = max(scale, round(scale * ratio))
        pixmap = QPixmap.fromImage(qr_image(modules, physical))
        pixmap.setDevicePixelRatio(physical / scale)
        self.qr.setPixmap(pixmap)
        self.qr_shown = qr_image(modules, scale)
        self.feedback.clear()
        self._load_history()

    def _load_history(self) -> None:
        library, uid = self.library, self.current().study_instance_uid
        run_in_background(lambda: library.shares(uid), self._show_history)

    def _show_history(self, shares: list[ShareRow]) -> None:
        if not shares or shares[0].study_instance_uid != self.current().study_instance_uid:
            self.history_lines = []
            self.history.clear()
            self.history.hide()
            return
        self.history_lines = [describe_share(s) for s in shares[:MAX_HISTORY]]
        more = len(shares) - MAX_HISTORY
        if more > 0:
            self.history_lines.append(self.tr("... and {0} earlier").format(more))
        self.history.setText(self.tr("Shared so far:") + "\n" + "\n".join(self.history_lines))
        self.history.show()

    def _record(self, how: str) -> None:
        item, account, library = self.current(), self.account.name, self.library

        def recorded(_none: None) -> None:
            self._load_history()
            self.shared.emit(item.study_instance_uid, how)

        run_in_background(
            lambda: library.record_share(item.study_instance_uid, account, item.link, how),
            recorded,
            lambda sentence: self.feedback.setText(
                self.feedback.text() + " " + self.tr("(Not noted in the library: {0})")
                .format(sentence)),
        )

    # -- sharing ------------------------------------------------------------------------
    def copy_link(self) -> None:
        QApplication.clipboard().setText(self.current().link)
        self.feedback.setText(self.tr(
            "The link is copied: paste it into a message to your doctor."))
        self._record(COPIED)

    def email(self) -> None:
        url = mailto_url(self.current().link, self.account.name, self.account.viewer_url)
        if QDesktopServices.openUrl(QUrl.fromEncoded(url.encode("ascii"))):
            self.feedback.setText(self.tr(
                "Your email program has a new message with the link: add your doctor's "
                "address and send it."))
            self._record(EMAIL)
        else:
            self.feedback.setText(self.tr(
                "No email program opened on this computer. Copy the link and paste it into "
                "a message instead."))

    def save_qr(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save the QR code"), "qr-code-for-your-doctor.png",
            self.tr("PNG images (*.png)"))
        if name:
            self.save_qr_to(name)

    def save_qr_to(self, path: str) -> bool:
        image = qr_image(qr_modules(self.current().link), QR_FILE_SCALE)
        if not QPixmap.fromImage(image).save(path, "PNG"):
            self.feedback.setText(self.tr("The QR code could not be saved to {0}.")
                                  .format(path))
            return False
        self.feedback.setText(self.tr("The QR code is saved: {0}").format(path))
        self._record(QR_CODE)
        return True

    @staticmethod
    def _print_text(painter: QPainter, width: int, top: int, text: str,
                    wrap: QTextOption.WrapMode) -> int:
        """Draw ``text`` from ``top`` across ``width``; the bottom of what was drawn."""
        option = QTextOption()
        option.setWrapMode(wrap)
        box = painter.boundingRect(QRectF(0, top, width, 1_000_000), text, option)
        painter.drawText(box, text, option)
        return round(box.bottom())

    def print_qr(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if QPrintDialog(printer, self).exec() == QDialog.DialogCode.Accepted:
            self.print_to(printer)

    def print_to(self, printer: QPrinter) -> None:
        """One page for the doctor: a neutral heading, the QR code 6 cm wide, the link,
        and what the doctor needs. Nothing about the patient."""
        item = self.current()
        painter = QPainter()
        if not painter.begin(printer):
            self.feedback.setText(self.tr("The printer could not be used."))
            return
        try:
            page = printer.pageLayout().paintRectPixels(printer.resolution())
            dots_per_mm = printer.resolution() / 25.4
            gap = round(6 * dots_per_mm)
            font = QFont(painter.font())
            font.setPointSize(16)
            font.setBold(True)
            painter.setFont(font)
            top = self._print_text(painter, page.width(), 0, SUBJECT,
                                   QTextOption.WrapMode.WordWrap) + gap
            modules = qr_modules(item.link)
            scale = max(1, round(QR_PRINT_MM * dots_per_mm / len(modules)))
            image = qr_image(modules, scale)
            painter.drawImage(0, top, image)  # Whole device pixels per module: crisp.
            top += image.height() + gap
            font.setPointSize(11)
            font.setBold(False)
            painter.setFont(font)
            top = self._print_text(painter, page.width(), top, item.link,
                                   QTextOption.WrapMode.WrapAnywhere) + gap
            self._print_text(painter, page.width(), top, doctor_sentences(
                self.account.name, self.account.viewer_url), QTextOption.WrapMode.WordWrap)
        finally:
            painter.end()
        self.feedback.setText(self.tr("Printed."))
        self._record(PRINTED)


class Sharing(QObject):
    """Opens the share panel: after an upload that every image made, and from the
    library's "Share with a doctor..." (picking the account when several hold the study)."""

    library_changed = Signal()

    def __init__(self, window: QWidget, library: LibraryService | None = None,
                 accounts: AccountsService | None = None) -> None:
        super().__init__(window)
        self.window = window
        self._library = library
        self._accounts = accounts
        self.dialogs: list[ShareDialog] = []

    def library(self) -> LibraryService:
        return self._library if self._library is not None else LibraryService()

    def accounts(self) -> AccountsService:
        return self._accounts if self._accounts is not None else AccountsService()

    def _warn(self, message: str) -> None:
        QMessageBox.warning(self.window, self.tr("Share with a doctor"), message)

    def after_upload(self, report: UploadReport, account: Account) -> None:
        """Every image of every study confirmed, and the account has a viewer: show the
        links (nothing to show otherwise: the upload dialog says what is missing)."""
        if not report.studies or not all(s.complete and s.link for s in report.studies):
            return
        self.open([s.study_instance_uid for s in report.studies], account)

    def share_study(self, study_uid: str) -> None:
        library, accounts = self.library(), self.accounts()

        def look() -> tuple[list[Account], str]:
            rows = library.studies_by_uid([study_uid])
            if not rows:
                raise LightboxError("This study is no longer in the library.")
            options = share_options(rows[0].uploads, accounts.all())
            return list(options.accounts), options.reason

        run_in_background(look, lambda found: self._chosen(study_uid, *found), self._warn)

    def _chosen(self, study_uid: str, accounts: list[Account], reason: str) -> None:
        if not accounts:
            self._warn(reason)
            return
        account = accounts[0]
        if len(accounts) > 1:
            names = [a.name for a in accounts]
            name, ok = QInputDialog.getItem(
                self.window, self.tr("Share with a doctor"),
                self.tr("The study is on several accounts. Share it through which one?"),
                names, 0, False)
            if not ok:
                return
            account = accounts[names.index(name)]
        self.open([study_uid], account)

    def open(self, study_uids: list[str], account: Account) -> None:
        """Make the links (a background look at the library), then show the panel."""
        library = self.library()
        run_in_background(lambda: share_items(library, account, study_uids),
                          lambda items: self._show(items, account), self._warn)

    def show_items(self, items: list[ShareItem], account: Account, note: str = "") -> None:
        """The panel for links already made (a copy just shared), with ``note`` on top."""
        self._show(items, account, note)

    def _show(self, items: list[ShareItem], account: Account, note: str = "") -> None:
        dialog = ShareDialog(items, account, self.library(), self.window, note)
        dialog.shared.connect(lambda _uid, _how: self.library_changed.emit())
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _code, d=dialog: self.dialogs.remove(d))
        dialog.show()
        dialog.raise_()
