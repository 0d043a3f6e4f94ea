"""Add a cloud account: address, login, a connection test; the secret goes to the keyring."""

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.core.errors import LightboxError
from app.gui.tasks import GeneratorTask, run_in_background
from app.services.accounts_service import Account, AccountsService, AuthKind


class AccountDialog(QDialog):
    """Asks for an account; on Save, the secret is stored first, then the account."""

    def __init__(self, parent: QWidget | None = None,
                 accounts: AccountsService | None = None) -> None:
        super().__init__(parent)
        self.accounts = accounts if accounts is not None else AccountsService()
        self.setWindowTitle(self.tr("Add a cloud account"))
        self.account: Account | None = None
        self._task: GeneratorTask | None = None
        self.name = QLineEdit()
        self.name.setAccessibleName(self.tr("Account name"))
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://example.org/dicom-web")
        self.url.setAccessibleName(self.tr("DICOMweb address"))
        self.kind = QComboBox()
        self.kind.addItem(self.tr("User name and password"), "basic")
        self.kind.addItem(self.tr("Access token"), "bearer")
        self.kind.setAccessibleName(self.tr("How to log in"))
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.username = QLineEdit()
        self.username.setAccessibleName(self.tr("User name"))
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName(self.tr("Password or token"))
        self.message = QLabel(self.tr(
            "The password or token is kept in your system's password store, never in a file."
        ))
        self.message.setWordWrap(True)
        test = QPushButton(self.tr("&Test connection"))
        test.clicked.connect(self.test_connection)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.addButton(test, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("Name:"), self.name)
        form.addRow(self.tr("Address:"), self.url)
        form.addRow(self.tr("Log in with:"), self.kind)
        form.addRow(self.tr("User name:"), self.username)
        form.addRow(self.tr("Password or token:"), self.secret)
        form.addRow(self.message)
        form.addRow(self.buttons)

    def _kind_changed(self) -> None:
        self.username.setEnabled(self.kind.currentData() == "basic")

    def _entered(self) -> tuple[Account, str]:
        kind: AuthKind = "bearer" if self.kind.currentData() == "bearer" else "basic"
        account = self.accounts.make(self.name.text(), self.url.text(), kind,
                                     self.username.text())
        if not self.secret.text():
            raise LightboxError("Enter the password or token.")
        return account, self.secret.text()

    def test_connection(self) -> None:
        try:
            account, secret = self._entered()
        except LightboxError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(self.tr("Testing {0}...").format(account.url))
        self._task = run_in_background(
            lambda: self.accounts.test(account, secret),
            lambda _none: self.message.setText(
                self.tr("It works: the server accepted the login.")),
            self.message.setText,
        )

    def save(self) -> None:
        try:
            account, secret = self._entered()
            self.accounts.add(account, secret)
        except LightboxError as exc:
            self.message.setText(str(exc))
            return
        self.account = account
        self.accept()
