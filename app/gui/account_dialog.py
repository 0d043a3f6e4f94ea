"""Add or change a cloud account (address, login, the viewer doctors open, a connection
test; the secret goes to the keyring) or a PACS (its AE title, host and port, our AE title,
and an echo as its test)."""

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
from app.gui.pacs_form import PacsForm
from app.gui.tasks import GeneratorTask, run_in_background
from app.services.accounts_service import Account, AccountsService, AuthKind, PacsDestination
from app.services.sharing import (
    NO_VIEWER,
    OTHER,
    ViewerAddress,
    example_template,
    viewer_address,
    viewer_choice_of,
    viewer_choices,
)

CLOUD, PACS = "cloud", "pacs"


class AccountDialog(QDialog):
    """Asks for an account (or changes ``existing``); on Save, the secret is stored
    first, then the account. With ``allow_pacs`` (or an existing PACS) it can be a PACS
    instead: then ``pacs`` is what was saved."""

    def __init__(self, parent: QWidget | None = None,
                 accounts: AccountsService | None = None,
                 existing: Account | PacsDestination | None = None,
                 allow_pacs: bool = False) -> None:
        super().__init__(parent)
        self.accounts = accounts if accounts is not None else AccountsService()
        self.existing_pacs = existing if isinstance(existing, PacsDestination) else None
        self.existing = existing if isinstance(existing, Account) else None
        if existing is None:
            title = self.tr("Add an account or a PACS") if allow_pacs \
                else self.tr("Add a cloud account")
        elif self.existing_pacs is not None:
            title = self.tr("Change the PACS {0}").format(existing.name)
        else:
            title = self.tr("Change the account {0}").format(existing.name)
        self.setWindowTitle(title)
        self.account: Account | None = None
        self.pacs: PacsDestination | None = None
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

        # What kind of place this is: chosen when adding, fixed when changing one.
        self.place_kind = QComboBox()
        self.place_kind.setAccessibleName(self.tr("Kind of account"))
        self.place_kind.addItem(self.tr("Cloud (DICOMweb)"), CLOUD)
        self.place_kind.addItem(self.tr("PACS (DICOM)"), PACS)
        self.place_kind.setEnabled(existing is None)
        self.pacs_form = PacsForm(self.accounts, self.existing_pacs)
        self.pacs_form.validity_changed.connect(lambda _valid: self._update_save())

        self.message = QLabel()
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
        form.addRow(self.tr("Kind:"), self.place_kind)
        form.addRow(self.pacs_form)
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
        self._cloud_rows: list[QWidget] = [self.name, self.url, self.kind, self.username,
                                           self.secret, self.viewer]
        if self.existing is not None:
            self._fill(self.existing)
        form.setRowVisible(self.place_kind, allow_pacs or self.existing_pacs is not None)
        self.place_kind.setCurrentIndex(self.place_kind.findData(
            PACS if self.existing_pacs is not None else CLOUD))
        self.place_kind.currentIndexChanged.connect(self._place_kind_changed)
        self._place_kind_changed()
        self._align_labels()
        self.setMinimumWidth(560)

    def _align_labels(self) -> None:
        """One label column for the dialog's rows and the PACS form's (a nested form)."""
        labels = [self.form.labelForField(w) for w in [self.place_kind, *self._cloud_rows]]
        shown = [label for label in labels if label is not None] + self.pacs_form.labels()
        width = max(label.sizeHint().width() for label in shown)
        for label in shown:
            label.setMinimumWidth(width)

    def is_pacs(self) -> bool:
        return bool(self.place_kind.currentData() == PACS)

    def _place_kind_changed(self) -> None:
        pacs = self.is_pacs()
        # The name typed so far goes along to the other kind's form.
        if pacs and not self.pacs_form.name.text():
            self.pacs_form.name.setText(self.name.text())
        elif not pacs and not self.name.text():
            self.name.setText(self.pacs_form.name.text())
        self.form.setRowVisible(self.pacs_form, pacs)
        for widget in self._cloud_rows:
            self.form.setRowVisible(widget, not pacs)
        self.message.setText(self.tr(
            "A PACS needs no password. Test sends it a DICOM echo (C-ECHO) as our AE title."
        ) if pacs else self.tr(
            "The password or token is kept in your system's password store, never in a file."
        ))
        self._show_viewer()

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
        self.form.setRowVisible(self.viewer_url, choice != NO_VIEWER and not self.is_pacs())
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
        self.form.setRowVisible(self.viewer_problem, bool(address.problem) and not self.is_pacs())
        self._update_save()
        if self.isVisible():  # Room for the sentence, which may wrap to two lines.
            self.form.activate()
            self.resize(self.width(), max(self.height(), self.heightForWidth(self.width()),
                                          self.sizeHint().height()))

    def _update_save(self) -> None:
        """Save is possible while what is shown is right: the PACS's fields, or the
        cloud account's viewer address."""
        if self.is_pacs():
            self.save_button.setEnabled(not self.pacs_form.problems().any)
        else:
            self.save_button.setEnabled(not self._address().problem)

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
        if self.is_pacs():
            self._echo()
            return
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

    def _echo(self) -> None:
        """Send the PACS as typed (saved or not) an echo, off the GUI thread."""
        self.pacs_form.show_all_problems()
        try:
            destination = self.pacs_form.destination()
        except LightboxError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(self.tr("Testing {0}...").format(destination.address))
        accounts = self.accounts
        self._task = run_in_background(
            lambda: accounts.echo(destination),
            lambda result: self.message.setText(
                result.sentence if not result.ok
                else self.tr("It works: {0}").format(result.sentence)),
            self.message.setText,
        )

    def _save_pacs(self) -> None:
        self.pacs_form.show_all_problems()
        try:
            destination = self.pacs_form.destination()
            if self.existing_pacs is None:
                self.accounts.add_pacs(destination)
            else:
                self.accounts.edit_pacs(self.existing_pacs.name, destination)
        except LightboxError as exc:
            self.message.setText(str(exc))
            return
        self.pacs = destination
        self.accept()

    def save(self) -> None:
        if self.is_pacs():
            self._save_pacs()
            return
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


def change_accounts(parent: QWidget, accounts: AccountsService,
                    pacs: bool = False) -> Account | PacsDestination | None:
    """File > Cloud accounts (with ``pacs``: Accounts and PACS): pick one to change (or
    add one); the saved account or PACS, or None when nothing changed."""
    title = parent.tr("Accounts and PACS") if pacs else parent.tr("Cloud accounts")
    try:
        known: list[Account | PacsDestination] = [*accounts.all()]
        if pacs:
            known += accounts.pacs(None)  # Worklist servers too.
    except LightboxError as exc:
        QMessageBox.warning(parent, title, str(exc))
        return None
    existing: Account | PacsDestination | None = None
    if known:
        add = parent.tr("Add an account or a PACS...") if pacs else parent.tr("Add an account...")
        names = [_listed(parent, k) for k in known] + [add]
        name, ok = QInputDialog.getItem(parent, title,
                                        parent.tr("Change which one?") if pacs
                                        else parent.tr("Change which account?"),
                                        names, 0, False)
        if not ok:
            return None
        existing = None if name == add else known[names.index(name)]
    dialog = AccountDialog(parent, accounts, existing, allow_pacs=pacs)
    if not dialog.exec():
        return None
    return dialog.pacs if dialog.is_pacs() else dialog.account


def _listed(parent: QWidget, item: Account | PacsDestination) -> str:
    if not isinstance(item, PacsDestination):
        return item.name
    if item.role == "worklist":
        return parent.tr("{0} (worklist server)").format(item.name)
    return parent.tr("{0} (PACS)").format(item.name)
