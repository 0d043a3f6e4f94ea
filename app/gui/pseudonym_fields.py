"""The pseudonymous name and ID a copy without the patient's name carries: two fields that,
left empty, show and give the default (the same on every copy of one person)."""

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from app.services.copy_review import Pseudonym


class PseudonymFields(QWidget):
    """The name and ID a copy without the patient's name carries; empty fields show, and
    give, the default."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLineEdit()
        self.name.setAccessibleName(self.tr("Name in the copy"))
        self.patient_id = QLineEdit()
        self.patient_id.setAccessibleName(self.tr("ID in the copy"))
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.tr("Name in the copy:"), self.name)
        form.addRow(self.tr("ID in the copy:"), self.patient_id)
        form.addRow(self.hint)
        self.show_defaults([])

    def show_defaults(self, defaults: list[Pseudonym]) -> None:
        if not defaults:
            self.name.setPlaceholderText(self.tr("Anonymous, with a code"))
            self.patient_id.setPlaceholderText(self.tr("ANON- and the same code"))
            self.hint.setText(self.tr(
                "Leave them empty for a made-up name and ID, or type your own, such as "
                "\"Second opinion 2026\"."))
            return
        first = defaults[0]
        self.name.setPlaceholderText(first.shown_name)
        self.patient_id.setPlaceholderText(first.patient_id)
        if len(defaults) == 1:
            self.hint.setText(self.tr(
                "Left empty, the copy says {0} and {1}: the same on every copy you make of "
                "this person, so a doctor can tell the copies belong together.").format(
                    first.shown_name, first.patient_id))
        else:
            self.hint.setText(self.tr(
                "These studies belong to {0} people. Left empty, each gets a made-up name "
                "and ID of their own; what you type here is given to all of them.").format(
                    len(defaults)))

    def values(self) -> tuple[str | None, str | None]:
        return (self.name.text().strip() or None, self.patient_id.text().strip() or None)
