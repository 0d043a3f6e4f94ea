"""Add or change a cloud account: address, login, the viewer doctors open, a connection
test; the secret goes to the keyring."""

from dataclasses import replace

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from app.core.errors import LightboxError
from app.gui.tasks import GeneratorTask, run_in_background
from app.services.accounts_service import Account, AccountsService, AuthKind
from app.services.sharing import (
    NO_VIEWER,
    OTHER,
    ViewerAddress,
    example_template,
    viewer_address,
    viewer_choice_of,
    viewer_choices,
)


class AccountDialog(QDialog):
    """Asks for an account (or changes ``existing``); on Save, the secret is stored
    first, then the account."""

    def __init__(self, parent: QWidget | None = None,
                 accounts: AccountsService | None = None,
                 existing: Account | None = None) -> None:
        super().__init__(parent)
        self.accounts = accounts if accounts is not None else AccountsService()
        self.existing = existing
        self.setWindowTitle(self.tr("Add a cloud account") if existing is None
                            else self.tr("Change the account {0}").format(existing.name))
        self.account: Account | None = None
        self._task: GeneratorTask | None = None
        self._typed = ""  # What was typed for "Other", kept while a preset is shown.
        self._template = ""  # The template on show.
        self.name = QLineEdit()
        self.name.setAccessibleName(self.tr("Account name"))
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://example.org/dicom-web")
        self.url.setAccessibleName(self.tr("DICOMweb address"))
        self.url.textChanged.connect(self._show_viewer)
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

        self.viewer = QComboBox()
        self.viewer.setAccessibleName(self.tr("Viewer for doctors"))
        for choice in viewer_choices():
            self.viewer.addItem(self.tr(choice.label), choice.key)
        self.viewer.setCurrentIndex(self.viewer.findData(NO_VIEWER))
        self.viewer.currentIndexChanged.connect(self._viewer_chosen)
        self.viewer_url = QLineEdit()
        self.viewer_url.setAccessibleName(self.tr("Viewer address"))
        # A preset's address is shown, not typed: it must not look like a field to fill.
        self.viewer_url.setStyleSheet(
            'QLineEdit[readOnly="true"] { background: palette(window); }')
        self.viewer_url.setPlaceholderText(example_template())
        self.viewer_url.textEdited.connect(self._typed_changed)
        self.viewer_problem = QLabel()
        self.viewer_problem.setWordWrap(True)
        self.viewer_problem.setAccessibleName(self.tr("What is wrong with the viewer address"))
        self.viewer_problem.setStyleSheet("color: #b00020;")

        self.message = QLabel(self.tr(
            "The password or token is kept in your system's password store, never in a file."
        ))
        self.message.setWordWrap(True)
        test = QPushButton(self.tr("&Test connection"))
        test.clicked.connect(self.test_connection)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.addButton(test, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.form = form = QFormLayout(self)
        form.addRow(self.tr("Name:"), self.name)
        form.addRow(self.tr("Address:"), self.url)
        form.addRow(self.tr("Log in with:"), self.kind)
        form.addRow(self.tr("User name:"), self.username)
        form.addRow(self.tr("Password or token:"), self.secret)
        form.addRow(self.tr("Viewer for doctors:"), self.viewer)
        form.addRow(self.tr("Links will open:"), self.viewer_url)
        form.addRow(self.viewer_problem)
        form.addRow(self.message)
        form.addRow(self.buttons)
        if existing is not None:
            self._fill(existing)
        self._show_viewer()
        self.setMinimumWidth(560)

    def _fill(self, account: Account) -> None:
        self.name.setText(account.name)
        self.url.setText(account.url)
        self.kind.setCurrentIndex(self.kind.findData(account.auth))
        self.username.setText(account.username)
        self.secret.setPlaceholderText(self.tr("(unchanged)"))
        choice = viewer_choice_of(account)
        if choice == OTHER:
            self._typed = account.viewer_url
        self.viewer.setCurrentIndex(self.viewer.findData(choice))

    def _kind_changed(self) -> None:
        self.username.setEnabled(self.kind.currentData() == "basic")

    # -- the viewer for doctors ---------------------------------------------------------
    def viewer_choice(self) -> str:
        return str(self.viewer.currentData())

    def _address(self) -> ViewerAddress:
        return viewer_address(self.viewer_choice(), self.url.text(), self._typed)

    def _viewer_chosen(self) -> None:
        if self.viewer_choice() == OTHER and not self._typed:
            # Start from the address the previous preset gave, if any: easier to edit.
            self._typed = self._template
        self._show_viewer()

    def _typed_changed(self, text: str) -> None:
        self._typed = text
        self._show_problem(self._address())

    def _show_viewer(self) -> None:
        """Show the address the chosen viewer gives: read-only for a preset (made from
        the account's address, and made again when that changes), typed for Other."""
        choice = self.viewer_choice()
        address = self._address()
        other = choice == OTHER
        self.form.setRowVisible(self.viewer_url, choice != NO_VIEWER)
        self.viewer_url.setReadOnly(not other)
        self.viewer_url.style().polish(self.viewer_url)  # The style follows readOnly.
        self._template = address.template
        self.viewer_url.setText(self._typed if other else address.shown)
        self.viewer_url.setCursorPosition(0)
        self.viewer_url.setToolTip("" if other else self.tr(
            "Made from the account's address; choose Other to type a different one."))
        self._show_problem(address)

    def _show_problem(self, address: ViewerAddress) -> None:
        self.viewer_problem.setText(address.problem)
        self.form.setRowVisible(self.viewer_problem, bool(address.problem))
        self.save_button.setEnabled(not address.problem)
        if self.isVisible():  # Room for the sentence, which may wrap to two lines.
            self.form.activate()
            self.resize(self.width(), max(self.height(), self.heightForWidth(self.width()),
                                          self.sizeHint().height()))

    # -- saving -------------------------------------------------------------------------
    def _entered(self) -> tuple[Account, str | None]:
        kind: AuthKind = "bearer" if self.kind.currentData() == "bearer" else "basic"
        address = self._address()
        if address.problem:
            raise LightboxError(address.problem)
        account = self.accounts.make(self.name.text(), self.url.text(), kind,
                                     self.username.text(), address.template)
        if not self.secret.text() and self.existing is None:
            raise LightboxError("Enter the password or token.")
        return account, self.secret.text() or None

    def test_connection(self) -> None:
        try:
            account, secret = self._entered()
        except LightboxError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(self.tr("Testing {0}...").format(account.url))
        if secret is None and self.existing is not None:
            # Changed without retyping the secret: test with the one stored (under the
            # account's old name, if it is being renamed).
            account = replace(account, name=self.existing.name)
        accounts = self.accounts
        self._task = run_in_background(
            lambda: accounts.test(account, secret),
            lambda _none: self.message.setText(
                self.tr("It works: the server accepted the login.")),
            self.message.setText,
        )

    def save(self) -> None:
        try:
            account, secret = self._entered()
            if self.existing is None:
                assert secret is not None  # _entered asks for it.
                self.accounts.add(account, secret)
            else:
                self.accounts.edit(self.existing.name, account, secret)
        except LightboxError as exc:
            self.message.setText(str(exc))
            return
        self.account = account
        self.accept()


def change_accounts(parent: QWidget, accounts: AccountsService) -> Account | None:
    """File > Cloud accounts: pick an account to change (or add one); the saved account,
    or None when nothing changed."""
    try:
        known = accounts.all()
    except LightboxError as exc:
        QMessageBox.warning(parent, parent.tr("Cloud accounts"), str(exc))
        return None
    existing: Account | None = None
    if known:
        add = parent.tr("Add an account...")
        names = [a.name for a in known] + [add]
        name, ok = QInputDialog.getItem(parent, parent.tr("Cloud accounts"),
                                        parent.tr("Change which account?"), names, 0, False)
        if not ok:
            return None
        existing = None if name == add else known[names.index(name)]
    dialog = AccountDialog(parent, accounts, existing)
    return dialog.account if dialog.exec() else None
