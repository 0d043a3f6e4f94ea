"""The send dialog's "Patient in our records" section: file an outside study under the
patient in our records (Patient ID, who issued it, name, birth date, sex, accession
number), or send it as on the disc.

The form (services.reconciling.ReconcileForm) holds every rule; this shows it: the disc's
value beside ours, ours highlighted where it differs, one sentence under each bad field.
Filing under our patient is chosen at first and its Patient ID starts empty, so nothing
goes out under the disc's foreign ID unless someone chose that.
"""

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UsageError
from app.gui.observe import observe
from app.gui.tasks import GeneratorTask, run_in_background
from app.services.library_service import LibraryService
from app.services.privacy import Privacy, hides_attribute
from app.services.reconciling import FIELDS, KEYWORDS, FormField, LocalIdentity, ReconcileForm
from app.services.send_patient import (
    AS_ON_DISC,
    DIFFERS,
    PLAIN_LABELS,
    SEVERAL_STUDIES,
    TOOLTIPS,
    UNDER_OURS,
    as_on_disc_choice,
    field_problem,
    filed_under,
    marked,
)

if TYPE_CHECKING:  # The worklist client loads only when a worklist is asked.
    from app.gui.worklist_dialog import WorklistDialog
    from app.services.send_patient import WorklistEntry

ISSUER_KEY = "send/issuer"  # Our hospital's issuer: the same for every send.
CHANGED_STYLE = "QLineEdit { font-weight: bold; background: #fff1b8; }"
PROBLEM_STYLE = "color: #b00020"
NOTE_STYLE = "color: #5a4a00"


class ReconcileSection(QGroupBox):
    """The section for one study (``study_uid``); for several (``study_uid`` None) only a
    sentence. ``changed`` fires on every edit and choice: the dialog re-checks Send."""

    changed = Signal()

    def __init__(self, library: LibraryService, study_uid: str | None, privacy: Privacy,
                 settings: QSettings, parent: QWidget | None = None,
                 worklist: bool = False) -> None:
        super().__init__(self.tr("Patient in our records"), parent)
        self.library = library
        self.study_uid = study_uid
        self.privacy = privacy
        self.settings = settings
        self.form: ReconcileForm | None = None
        self.load_problem = ""
        self._task: GeneratorTask | None = None
        self.edits: dict[str, QLineEdit] = {}
        self.disc_labels: dict[str, QLabel] = {}
        self.problem_labels: dict[str, QLabel] = {}
        self.differs_labels: dict[str, QLabel] = {}
        self.worklist_dialog: WorklistDialog | None = None
        layout = QVBoxLayout(self)
        if study_uid is None:
            self.several = QLabel(self.tr(SEVERAL_STUDIES))
            self.several.setWordWrap(True)
            layout.addWidget(self.several)
            return

        self.status = QLabel(self.tr("Reading the patient from the images..."))
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.disagreements = QLabel()
        self.disagreements.setWordWrap(True)
        self.disagreements.setStyleSheet("font-weight: bold; " + NOTE_STYLE)
        self.disagreements.hide()
        layout.addWidget(self.disagreements)
        self.ours = QRadioButton(self.tr(UNDER_OURS))
        self.ours.setToolTip(self.tr(
            "The PACS files the images under the patient typed below; the disc and the "
            "library keep their own values."))
        self.as_disc = QRadioButton(self.tr(AS_ON_DISC))
        self.as_disc.setToolTip(self.tr(
            "The PACS files the images under the outside clinic's patient ID and name."))
        self.choice = QButtonGroup(self)
        self.choice.addButton(self.ours)
        self.choice.addButton(self.as_disc)
        # The safe choice first: the disc's ID belongs to another hospital.
        self.ours.setChecked(True)
        self.choice.buttonToggled.connect(lambda _b, _on: self._chosen())
        # With a worklist server set up, the patient can be taken from it.
        self.worklist_button = QPushButton(self.tr("Find in the &worklist..."))
        self.worklist_button.setToolTip(self.tr(
            "Look the patient up in the hospital's worklist and fill in our values."))
        self.worklist_button.clicked.connect(self.find_in_worklist)
        self.worklist_button.setVisible(worklist)
        self.worklist_button.setEnabled(False)  # Once the disc's patient is read.
        ours_row = QHBoxLayout()
        ours_row.addWidget(self.ours)
        ours_row.addStretch(1)
        ours_row.addWidget(self.worklist_button)
        layout.addLayout(ours_row)
        self.grid_box = QWidget()
        self.grid = QGridLayout(self.grid_box)
        self.grid.setContentsMargins(24, 0, 0, 0)
        self.grid.setHorizontalSpacing(12)
        self.grid.setVerticalSpacing(2)
        for column, title in enumerate(("", self.tr("On the disc"), self.tr("For our PACS"))):
            header = QLabel(f"<b>{title}</b>" if title else "")
            self.grid.addWidget(header, 0, column)
        for index, name in enumerate(FIELDS):
            row = 1 + 2 * index
            label = QLabel(self.tr(PLAIN_LABELS[name]) + ":")
            label.setToolTip(self.tr(TOOLTIPS[name]))
            disc = QLabel()
            disc.setAccessibleName(self.tr("{0} on the disc").format(self.tr(PLAIN_LABELS[name])))
            edit = QLineEdit()
            edit.setAccessibleName(self.tr("{0} for our PACS").format(
                self.tr(PLAIN_LABELS[name])))
            edit.setToolTip(self.tr(TOOLTIPS[name]))
            edit.setEnabled(False)  # Until the form has loaded.
            edit.textChanged.connect(lambda text, n=name: self._edited(n, text))
            label.setBuddy(edit)
            problem = QLabel()
            problem.setWordWrap(True)
            problem.setStyleSheet(PROBLEM_STYLE)
            problem.hide()
            # Beside the field, so marking it takes no height (the sentences below do).
            differs = QLabel(self.tr(DIFFERS))
            differs.setStyleSheet(NOTE_STYLE)
            differs.hide()
            self.grid.addWidget(label, row, 0)
            self.grid.addWidget(disc, row, 1)
            self.grid.addWidget(edit, row, 2)
            self.grid.addWidget(differs, row, 3)
            self.grid.addWidget(problem, row + 1, 2, 1, 2)
            self.edits[name] = edit
            self.disc_labels[name] = disc
            self.problem_labels[name] = problem
            self.differs_labels[name] = differs
        self.grid.setColumnStretch(1, 1)
        self.grid.setColumnStretch(2, 2)
        # The marks' room is kept, so the fields do not jump as one types.
        self.grid.setColumnMinimumWidth(3, max(d.sizeHint().width()
                                               for d in self.differs_labels.values()))
        layout.addWidget(self.grid_box)
        layout.addWidget(self.as_disc)
        observe(self, privacy.changed, lambda _hidden: self._refresh())
        issuer = str(settings.value(ISSUER_KEY, "") or "")
        self._task = run_in_background(lambda: library.reconcile_form(study_uid, issuer),
                                       self._loaded, self._load_failed)

    # -- loading ------------------------------------------------------------------------
    def _loaded(self, form: ReconcileForm) -> None:
        self._task = None
        self.form = form
        self.status.hide()
        self.worklist_button.setEnabled(True)
        self.disagreements.setText("\n".join(self.tr(s) for s in form.disagreements))
        self.disagreements.setVisible(bool(form.disagreements))
        self._refresh()

    def _load_failed(self, message: str) -> None:
        self._task = None
        self.load_problem = message
        self.status.setText(message)
        self.status.setStyleSheet(PROBLEM_STYLE)
        self.changed.emit()

    @property
    def loaded(self) -> bool:
        return self.form is not None

    # -- what the dialog asks -----------------------------------------------------------
    def under_ours(self) -> bool:
        """True when the images are to be filed under our patient (the form's values)."""
        return self.study_uid is not None and self.ours.isChecked()

    def ready(self) -> bool:
        """True when Send may be pressed as far as the patient goes."""
        if self.study_uid is None:
            return True
        if self.as_disc.isChecked():  # Once read, so the summary can name the disc's ID.
            return self.form is not None or bool(self.load_problem)
        return self.form is not None and self.form.valid

    def identity(self) -> LocalIdentity | None:
        """The patient to send under, None for as on the disc. UsageError with the first
        bad field's sentence while the form is not valid."""
        if not self.under_ours():
            return None
        if self.form is None:
            raise UsageError(self.load_problem or "The patient is still being read from "
                             "the images.")
        return self.form.identity()

    def filed_under(self) -> str:
        """Under whom the images will be filed, for the dialog's summary ("" while the
        form is not ready or for several studies)."""
        if self.study_uid is None or not self.ready():
            return ""
        disc_id = self.form.disc.values.get("patient_id", "") if self.form else None
        return filed_under(self.identity(), disc_id, self.privacy.show)

    def remember(self) -> None:
        """Keep the issuer for the next send (it is the hospital's own)."""
        if self.under_ours() and self.form is not None:
            self.settings.setValue(ISSUER_KEY, self.edits["issuer"].text().strip())

    def fill_from(self, entry: "WorklistEntry") -> None:
        """Fill our values from a worklist entry the user chose ("Find in worklist...")
        and choose filing under our patient."""
        if self.form is None:
            return
        self.form.take(entry)
        self.ours.setChecked(True)
        self._refresh()

    def find_in_worklist(self) -> None:
        """"Find in the worklist...": the search, started with the disc's family name;
        the patient picked there fills our values."""
        from app.gui.worklist_dialog import WorklistDialog

        family = (self.form.disc.values.get("patient_name", "") if self.form else "")
        self.worklist_dialog = WorklistDialog(
            self, default_issuer=self.edits["issuer"].text().strip(),
            patient_name=family.split("^")[0].strip())
        self.worklist_dialog.accepted.connect(self._worklist_chosen)
        self.worklist_dialog.open()

    def _worklist_chosen(self) -> None:
        dialog = self.worklist_dialog
        item = dialog.chosen_item() if dialog is not None else None
        if item is not None:
            self.fill_from(item)
            self.changed.emit()

    # -- showing ------------------------------------------------------------------------
    def _chosen(self) -> None:
        self.grid_box.setEnabled(self.ours.isChecked())
        self._refresh()

    def _edited(self, name: str, text: str) -> None:
        if self.form is None:
            return
        self._show_field(self.form.set(name, text))
        self.changed.emit()

    def _refresh(self) -> None:
        if self.study_uid is None:
            return
        if self.form is not None:
            self.as_disc.setText(self.tr(as_on_disc_choice(
                self.form.disc.values.get("patient_id", ""), self.privacy.show)))
            for row in self.form.rows:
                edit = self.edits[row.name]
                edit.setEnabled(True)
                if edit.text() != row.local_value:
                    edit.setText(row.local_value)
                self._show_field(row)
        self.changed.emit()

    def _show_field(self, row: FormField) -> None:
        hidden = self.privacy.hidden and hides_attribute(KEYWORDS[row.name])
        edit = self.edits[row.name]
        edit.setEchoMode(QLineEdit.EchoMode.Password if hidden else QLineEdit.EchoMode.Normal)
        disc = self.privacy.show(row.disc_value) if hides_attribute(KEYWORDS[row.name]) \
            else row.disc_value
        self.disc_labels[row.name].setText(disc or self.tr("(empty)"))
        filing = self.ours.isChecked()
        # Colour, weight and words: the difference is not told by colour alone.
        differs = filing and marked(row)
        edit.setStyleSheet(CHANGED_STYLE if differs else "")
        edit.setAccessibleDescription(self.tr(DIFFERS) if differs else "")
        show = self.privacy.show if hides_attribute(KEYWORDS[row.name]) else str
        problem = field_problem(row, show) if filing else ""
        label = self.problem_labels[row.name]
        label.setText(self.tr(problem))
        label.setVisible(bool(problem))
        self.differs_labels[row.name].setVisible(differs)
