"""The fields of a saved PACS: name, what it is used for (sending images or worklist
lookups), its AE title, host and port, and our AE title; each checked as it is typed, with
one sentence under the field that is wrong."""

from PySide6.QtCore import Signal
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QWidget

from app.services.accounts_service import (
    DEFAULT_CALLING_AET,
    AccountsService,
    PacsDestination,
    PacsFieldProblems,
    PacsRole,
)

FIELDS = ("name", "ae_title", "host", "port", "calling_aet")


class PacsForm(QWidget):
    """Asks for a PACS (or shows ``existing`` to change it). ``validity_changed`` tells
    whether every field is right, after each keystroke."""

    validity_changed = Signal(bool)

    def __init__(self, accounts: AccountsService, existing: PacsDestination | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self.old_name = existing.name if existing is not None else None
        self._touched: set[str] = set()
        self.problem_labels = {key: self._problem_label(key) for key in FIELDS}
        self.name = self._field("name", self.tr("PACS name"), self.tr("Hospital PACS"))
        self.ae_title = self._field("ae_title", self.tr("The PACS's AE title"), "PACS")
        self.host = self._field("host", self.tr("Host name or IP address"), "10.0.0.5")
        self.port = self._field("port", self.tr("Port"), "104")
        self.port.setValidator(QIntValidator(1, 65535, self.port))
        self.calling_aet = self._field("calling_aet", self.tr("Our AE title (calling)"), "")
        self.role = QComboBox()
        self.role.setAccessibleName(self.tr("What this PACS is used for"))
        self.role.addItem(self.tr("Sending images"), "store")
        self.role.addItem(self.tr("Worklist lookups"), "worklist")
        self.form = form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        rows = ((self.tr("Name:"), self.name), (self.tr("PACS AE title:"), self.ae_title),
                (self.tr("Host:"), self.host), (self.tr("Port:"), self.port),
                (self.tr("Our AE title:"), self.calling_aet))
        for (label, edit), key in zip(rows, FIELDS, strict=True):
            form.addRow(label, edit)
            form.addRow("", self.problem_labels[key])
            if key == "name":
                form.addRow(self.tr("Used for:"), self.role)
        self.calling_aet.setToolTip(self.tr(
            "The AE title Lightbox calls itself; the PACS administrator must know it."))
        self.calling_aet.setText(DEFAULT_CALLING_AET)
        if existing is not None:
            self.name.setText(existing.name)
            self.ae_title.setText(existing.ae_title)
            self.host.setText(existing.host)
            self.port.setText(str(existing.port))
            self.calling_aet.setText(existing.calling_aet)
            self.role.setCurrentIndex(max(0, self.role.findData(existing.role)))
            self._touched.update(FIELDS)
        self.check()

    def labels(self) -> list[QWidget]:
        """The fields' labels (to line them up with an enclosing form's)."""
        found = [self.form.labelForField(getattr(self, key)) for key in (*FIELDS, "role")]
        return [label for label in found if label is not None]

    def _field(self, key: str, accessible: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setAccessibleName(accessible)
        edit.setPlaceholderText(placeholder)
        edit.textEdited.connect(lambda _text: self._edited(key))
        edit.textChanged.connect(lambda _text: self.check())
        return edit

    def _problem_label(self, key: str) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setStyleSheet("color: #b00020;")
        label.setAccessibleName(self.tr("What is wrong with this field"))
        label.setObjectName(f"problem_{key}")
        return label

    def _edited(self, key: str) -> None:
        self._touched.add(key)
        self.check()

    def values(self) -> dict[str, str]:
        """The fields as typed."""
        return {key: getattr(self, key).text() for key in FIELDS}

    def problems(self) -> PacsFieldProblems:
        """One sentence per wrong field (the rules are the service's)."""
        return self.accounts.pacs_problems(**self.values(), old_name=self.old_name)

    def check(self) -> bool:
        """Show the sentence of each wrong field once it has been typed in (an empty new
        form is not scolded); True when every field is right."""
        problems = self.problems()
        for key, label in self.problem_labels.items():
            text = getattr(problems, key) if key in self._touched else ""
            label.setText(text)
            # The whole row, so that a field without a problem leaves no gap under it.
            self.form.setRowVisible(label, bool(text))
        valid = not problems.any
        self.validity_changed.emit(valid)
        return valid

    def show_all_problems(self) -> None:
        """Show every wrong field's sentence, typed in or not (on Save or Test)."""
        self._touched.update(FIELDS)
        self.check()

    def destination(self) -> PacsDestination:
        """The PACS as entered; AccountError in one sentence when a field is wrong."""
        values = self.values()
        role: PacsRole = "worklist" if self.role.currentData() == "worklist" else "store"
        return self.accounts.make_pacs(values["name"], values["ae_title"], values["host"],
                                       values["port"], values["calling_aet"], role)
