"""Send studies to a PACS: whose studies, where to (checked field by field), exactly what
leaves; then progress per study, Cancel, the images not accepted and why, and Try again,
which sends only what the PACS has not confirmed. The words come from
app.services.send_words; this only shows them."""

from collections.abc import Iterator
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UsageError
from app.gui.observe import observe
from app.gui.reconcile_section import ReconcileSection
from app.gui.tasks import GeneratorTask, run_in_background, start_task
from app.gui.upload_progress import UploadProgressPanel
from app.services.library_service import LibraryService, SentIdentity, StudyRow
from app.services.privacy import Privacy
from app.services.send_patient import (
    NOT_SENT,
    PATIENT_NEEDED,
    conflict_summary,
    refusal,
    resend_button,
    resend_explanation,
    sent_under_another,
)
from app.services.send_plan import SendPlan
from app.services.send_words import (
    DEFAULT_CALLING_AET,
    FIELD_LABELS,
    RETRY_HINT,
    DestinationCheck,
    broken_off_status,
    check_destination,
    decoded_note,
    describe_send,
    failure_lines,
    finished_status,
    patients_warning,
    send_summary,
    split_destination,
    stopped_status,
    study_outcome,
)
from app.services.uploading import UploadProgress
from app.services.viewer_text import display_date, display_name, display_text

# The DICOM network stack behind sending is imported when a send starts, not with the window.
if TYPE_CHECKING:
    from app.services.reconciling import LocalIdentity
    from app.services.sending import SendReport

STUDY_COLUMNS = ("Patient", "Patient ID", "Study date", "Description", "Images")
DESCRIPTION_COLUMN = 3
IMAGES_COLUMN = 4
PLACEHOLDERS = {"ae_title": "for example PACS", "host": "for example 10.0.0.5",
                "port": "for example 104", "calling": DEFAULT_CALLING_AET}


def setting_key(field: str) -> str:
    """Where the last address sent to is kept (the front desk sends to one PACS)."""
    return f"send/{field}"


class SendDialog(QDialog):
    send_finished = Signal(object)  # SendReport

    def __init__(self, rows: list[StudyRow], privacy: Privacy, settings: QSettings,
                 parent: QWidget | None = None, library: LibraryService | None = None) -> None:
        super().__init__(parent)
        self.rows = list(rows)
        self.privacy = privacy
        self.settings = settings
        self.library = library if library is not None else LibraryService()
        self.plan: SendPlan | None = None
        self.report: SendReport | None = None  # The last run's.
        self._task: GeneratorTask | None = None
        self._plan_task: GeneratorTask | None = None
        self._running: tuple[str, str] = ("", "")  # destination, calling AE title
        self.patient_section: ReconcileSection | None = None
        # What the PACS holds already: the study's send identities to the counted
        # destination, newest first (one study with a patient section only).
        self._history: dict[str, list[SentIdentity]] = {}  # Per study, newest first.
        self._identity: LocalIdentity | None = None  # The patient the send carries.
        self._resend = False  # The next run sends every image again (asked explicitly).
        self._resending = False  # This run does.
        # The study the PACS holds under another patient (the send will be refused).
        self._refused: StudyRow | None = None
        self.setWindowTitle(self.tr("Send to PACS"))
        self.resize(880, 640)
        self.pages = QStackedWidget()

        # 1. Whose studies, where to, and what leaves.
        self.listing = QTreeWidget()
        self.listing.setHeaderLabels([self.tr(c) for c in STUDY_COLUMNS])
        self.listing.setRootIsDecorated(False)
        self.listing.setAccessibleName(self.tr("Studies to send"))
        header = self.listing.header()
        header.setStretchLastSection(False)
        for column in range(len(STUDY_COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(DESCRIPTION_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.patients = QLabel()
        self.patients.setWordWrap(True)
        self.patients.setStyleSheet("font-weight: bold")
        first = QWidget()
        layout = QVBoxLayout(first)
        layout.addWidget(QLabel(self.tr("Studies to send:")))
        layout.addWidget(self.listing, 1)
        layout.addWidget(self.patients)
        # Where a "Patient for our PACS" section goes (see add_patient_section).
        self.patient_slot = QVBoxLayout()
        layout.addLayout(self.patient_slot)
        layout.addWidget(self._destination_box())
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-weight: bold")
        self.summary.setAccessibleName(self.tr("What will be sent"))
        layout.addWidget(self.summary)
        self.pages.addWidget(first)

        # 2. Where to; progress per study; what was not accepted.
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.panel = UploadProgressPanel()
        self.panel.tree.setAccessibleName(self.tr("Sending, per study"))
        self.panel.failures.setAccessibleName(self.tr("Images the PACS did not accept"))
        self.panel.tree.setColumnWidth(0, 400)
        second = QWidget()
        running = QVBoxLayout(second)
        running.setContentsMargins(0, 0, 0, 0)
        running.addWidget(self.where)
        running.addWidget(self.panel, 1)
        self.pages.addWidget(second)

        self.buttons = QDialogButtonBox()
        self.send_button = QPushButton(self.tr("&Send"))
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.start)
        self.retry_button = QPushButton(self.tr("&Try again"))
        self.retry_button.clicked.connect(self.try_again)
        # Only after a refusal: the PACS holds the study under another patient.
        self.resend_button = QPushButton(self.tr(resend_button(None)))
        self.resend_button.clicked.connect(self.send_again)
        self.resend_note = QLabel()
        self.resend_note.setWordWrap(True)
        self.resend_note.hide()
        running.addWidget(self.resend_note)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.close_button.clicked.connect(self.cancel)
        for button in (self.send_button, self.retry_button, self.resend_button):
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.retry_button.hide()  # Adding a button to a QDialogButtonBox shows it.
        self.resend_button.hide()
        outer = QVBoxLayout(self)
        outer.addWidget(self.pages, 1)
        outer.addWidget(self.buttons)

        self._describe()
        observe(self, privacy.changed, lambda _hidden: self._describe())
        self._check()

    def _destination_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Send to this PACS"))
        self.form = QFormLayout(box)
        # Saved destinations, once there are any (set_destinations); hidden until then.
        self.saved = QComboBox()
        self.saved.setAccessibleName(self.tr("Saved PACS"))
        self.saved.activated.connect(self._saved_chosen)
        self.form.addRow(self.tr("Saved PACS:"), self.saved)
        self.form.setRowVisible(self.saved, False)
        self.fields: dict[str, QLineEdit] = {}
        self.problems: dict[str, QLabel] = {}
        for key, label in FIELD_LABELS.items():
            last = str(self.settings.value(setting_key(key), "") or "")
            edit = QLineEdit(last or (DEFAULT_CALLING_AET if key == "calling" else ""))
            edit.setPlaceholderText(self.tr(PLACEHOLDERS[key]))
            edit.setAccessibleName(self.tr(label))
            edit.textChanged.connect(self._check)
            problem = QLabel()
            problem.setWordWrap(True)
            problem.setStyleSheet("color: #b00020")
            problem.hide()
            cell = QWidget()
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(edit)
            column.addWidget(problem)
            self.form.addRow(self.tr(label) + ":", cell)
            self.fields[key] = edit
            self.problems[key] = problem
        return box

    # -- the first page -----------------------------------------------------------------
    def add_patient_section(self, section: ReconcileSection) -> None:
        """Put a section (the patient our PACS should file the images under) between the
        studies and the address; Send waits for it, and the send carries its patient."""
        self.patient_slot.addWidget(section)
        self.patient_section = section
        self.resize(self.width(), max(self.height(), 720))  # Room for the form's sentences.
        section.changed.connect(self._show_summary)
        self.plan = None  # Count again, with what the PACS holds of this study.
        self._check()

    def set_destinations(self, destinations: list[tuple[str, str, str]]) -> None:
        """Offer saved PACS (name, ``AET@HOST:PORT``, our AE title) above the fields;
        choosing one fills them. An empty list hides the choice. With nothing typed yet,
        the first saved PACS is chosen."""
        self.saved.clear()
        if destinations:
            self.saved.addItem(self.tr("(type the address below)"), None)
            for name, address, calling in destinations:
                self.saved.addItem(f"{name} ({address})", (address, calling))
        self.form.setRowVisible(self.saved, bool(destinations))
        if destinations and not self.fields["ae_title"].text().strip():
            self.saved.setCurrentIndex(1)
            self._saved_chosen(1)

    def _saved_chosen(self, index: int) -> None:
        chosen = self.saved.itemData(index)
        if not chosen:
            return
        address, calling = chosen
        try:
            ae_title, host, port = split_destination(address)
        except UsageError:
            return
        for key, value in (("ae_title", ae_title), ("host", host), ("port", port),
                           ("calling", calling)):
            self.fields[key].setText(value)

    def destination(self) -> str:
        """The address as typed, ``AET@HOST:PORT`` ("" while a field is wrong)."""
        return self.checked().destination

    def calling_aet(self) -> str:
        return self.fields["calling"].text().strip()

    def checked(self) -> DestinationCheck:
        return check_destination(*(self.fields[k].text() for k in FIELD_LABELS))

    def _label(self, row: StudyRow) -> str:
        show = self.privacy.show
        return self.tr("{0} (ID {1}), {2} {3}").format(
            show(display_name(row.patient_name) or self.tr("(no name)")),
            show(row.patient_id) or self.tr("none"), display_date(row.study_date),
            display_text(row.study_description))

    def _describe(self) -> None:
        """Whose studies these are (names hidden with privacy), on both pages."""
        self.listing.clear()
        show = self.privacy.show
        for row in self.rows:
            item = QTreeWidgetItem([
                show(display_name(row.patient_name) or self.tr("(no name)")),
                show(row.patient_id) or self.tr("none"), display_date(row.study_date),
                display_text(row.study_description), str(row.instances)])
            item.setTextAlignment(IMAGES_COLUMN, Qt.AlignmentFlag.AlignRight)
            item.setToolTip(DESCRIPTION_COLUMN, item.text(DESCRIPTION_COLUMN))
            self.listing.addTopLevelItem(item)
            self.panel.set_study(row.study_instance_uid,
                                 self.panel.study_text(row.study_instance_uid)
                                 or self.tr("waiting"), self._label(row))
        warning = patients_warning(len({(r.patient_id, r.patient_name) for r in self.rows}))
        self.patients.setText(self.tr(warning))
        self.patients.setVisible(bool(warning))
        if self.pages.currentIndex() == 1:
            self._show_where()

    def _check(self) -> None:
        check = self.checked()
        for key, label in self.problems.items():
            label.setText(self.tr(check.problems.get(key, "")))
            label.setVisible(key in check.problems)
        if check.ok and (self.plan is None or self.plan.destination != check.destination):
            self._count(check.destination)
        self._show_summary()

    def _count(self, destination: str) -> None:
        """Ask the library what this PACS still needs (off the GUI thread)."""
        if self._plan_task is not None:
            self._plan_task.cancel()  # An older count must not overwrite this one.
        library, uids = self.library, [r.study_instance_uid for r in self.rows]

        def count() -> tuple[SendPlan, dict[str, list[SentIdentity]]]:
            # Under whom the PACS got each study before: a send under another is refused.
            history: dict[str, list[SentIdentity]] = {uid: [] for uid in uids}
            for sent in library.send_identities(None, destination):  # Newest first.
                if sent.study_instance_uid in history:
                    history[sent.study_instance_uid].append(sent)
            return library.send_plan(uids, destination), history

        self._plan_task = run_in_background(count, self._counted_with_history,
                                            self._count_failed)

    def _counted_with_history(
        self, found: tuple[SendPlan, dict[str, list[SentIdentity]]],
    ) -> None:
        self._history = found[1]
        self._counted(found[0])

    def _counted(self, plan: SendPlan) -> None:
        self._plan_task = None
        self.plan = plan
        self._show_summary()

    def _patient(self) -> tuple[bool, str, "LocalIdentity | None"]:
        """Whether the patient section lets Send go, the words on whom the images are
        filed under, and the identity to send under (None: as on the disc)."""
        section = self.patient_section
        if section is None or not section.ready():
            return section is None, "", None
        return True, section.filed_under(), section.identity()

    def _conflict(self) -> StudyRow | None:
        """The first study the PACS holds under another patient than the one chosen (a
        send would be refused), or None."""
        plan = self.plan
        ready, _words, identity = self._patient()
        if plan is None or not ready:
            return None
        return next((r for r in self.rows if sent_under_another(
            self._history.get(r.study_instance_uid, []),
            plan.confirmed.get(r.study_instance_uid, 0), identity)), None)

    def _conflict_words(self, row: StudyRow) -> tuple[list[SentIdentity], str]:
        """The conflicting study's history and how to name it."""
        study = "this study" if len(self.rows) == 1 else self.tr("the study of {0}").format(
            self._label(row))
        return self._history.get(row.study_instance_uid, []), study

    def _count_failed(self, message: str) -> None:
        self._plan_task = None
        self.summary.setText(message)
        self.send_button.setEnabled(False)

    def _show_summary(self) -> None:
        check = self.checked()
        ready, filed, _identity = self._patient()
        summary = send_summary(check, self.plan, len(self.rows), filed)
        if check.ok and not ready:
            summary = PATIENT_NEEDED
        elif check.ok and (conflict := self._conflict()) is not None:
            history, study = self._conflict_words(conflict)
            summary = conflict_summary(check.destination, history, filed, self.privacy.show,
                                       study)
        self.summary.setText(self.tr(summary))
        plan = self.plan
        # A study the PACS holds under another patient may be sent: the send is refused
        # with the reason, and the explicit resend is offered there.
        self.send_button.setEnabled(check.ok and ready and plan is not None
                                    and plan.destination == check.destination
                                    and (plan.images > 0 or self._conflict() is not None))

    # -- running ------------------------------------------------------------------------
    def start(self) -> None:
        check = self.checked()
        ready, _filed, identity = self._patient()
        if not check.ok or not ready:
            return
        for key, edit in self.fields.items():
            self.settings.setValue(setting_key(key), edit.text().strip())
        if self.patient_section is not None:
            self.patient_section.remember()
            self.patient_section.setEnabled(False)  # The send carries what is shown.
        self._identity = identity
        self._refused = self._conflict()
        self._running = (check.destination, check.calling_aet)
        self._show_where()
        self.setWindowTitle(self.tr("Send to PACS {0}").format(check.destination))
        self.pages.setCurrentIndex(1)
        self.send_button.hide()
        self._run()

    def _show_where(self) -> None:
        """The progress page's top line: where to, as whom, filed under which patient."""
        _ready, filed, _identity = self._patient()
        where = self.tr("To the PACS {0}, as {1}").format(*self._running)
        self.where.setText(where + (f", {self.tr(filed)}" if filed else ""))

    def _run(self) -> None:
        destination, calling = self._running
        library, uids = self.library, [r.study_instance_uid for r in self.rows]
        identity, resend = self._identity, self._resend
        # Once: a later Try again sends only what the PACS has not confirmed.
        self._resending, self._resend = resend, False
        if resend:
            self._refused = None

        def job() -> Iterator[object]:
            yield from library.send(uids, destination, calling, identity=identity,
                                    resend=resend)

        self.retry_button.hide()
        self.resend_button.hide()
        self.resend_note.hide()
        self.panel.show_problem("")
        self.panel.show_note("")
        self.panel.show_failures([])
        self.close_button.setText(self.tr("Cancel"))
        self.close_button.setEnabled(True)
        self.close_button.setToolTip(self.tr(
            "Stops after the image being sent now; what the PACS confirmed is kept."))
        task = GeneratorTask(job, lambda item: not isinstance(item, UploadProgress))
        task.signals.progressed.connect(self._on_progress)
        task.signals.finished.connect(self._on_finished)
        task.signals.failed.connect(self._on_failed)
        task.signals.cancelled.connect(self._on_stopped)
        self._task = start_task(task)
        self.panel.status.setText(self.tr("Connecting to {0}...").format(destination))

    def _on_progress(self, item: UploadProgress) -> None:
        self.panel.set_study(item.study_instance_uid, self.tr(describe_send(item)))
        self.panel.status.setText(self.tr(
            "Sending... Cancel stops after the image being sent now."))

    def _ended(self) -> None:
        self._task = None
        self.close_button.setText(self.tr("Close"))
        self.close_button.setEnabled(True)
        self.close_button.setToolTip("")

    def _on_finished(self, report: "SendReport") -> None:
        self._ended()
        self.report = report
        for study in report.studies:
            self.panel.set_study(study.study_instance_uid,
                                 self.tr(study_outcome(study.confirmed, study.total)))
        labels = {r.study_instance_uid: self._label(r) for r in self.rows}
        self.panel.show_failures([self.tr(line) for line in
                                  failure_lines(report.studies, labels)])
        self.panel.show_note(self.tr(decoded_note(report)))
        self.panel.status.setText(self.tr(finished_status(report)))
        self.retry_button.setVisible(any(not s.complete for s in report.studies))
        QApplication.alert(self)  # The taskbar entry asks for attention.
        self.send_finished.emit(report)

    def _on_failed(self, message: str) -> None:
        """The PACS could not be reached, refused us, or dropped the connection; or the
        send was refused because the PACS holds the study under another patient."""
        self._ended()
        if self._refused is not None and not self._resending:
            self._offer_resend(self._refused)
            return
        self.panel.show_problem(self.tr(broken_off_status(message)))
        self.panel.status.setText(self.tr(RETRY_HINT))
        self.retry_button.show()
        self._recount()

    def _on_stopped(self) -> None:
        self._ended()
        self.panel.status.setText(self.tr(stopped_status()))
        self.retry_button.show()
        self._recount()

    def _recount(self) -> None:
        """After a send broke off: each study's line says what the PACS has confirmed."""
        library, uids = self.library, [r.study_instance_uid for r in self.rows]
        destination = self._running[0]
        totals = {r.study_instance_uid: r.instances for r in self.rows}

        def show(plan: SendPlan) -> None:
            for uid, confirmed in plan.confirmed.items():
                self.panel.set_study(uid, self.tr(study_outcome(confirmed, totals[uid])))

        run_in_background(lambda: library.send_plan(uids, destination), show)

    def _offer_resend(self, row: StudyRow) -> None:
        """The PACS already holds the study under another patient: say so, and offer the
        explicit resend of every image (never done silently)."""
        show = self.privacy.show
        history, study = self._conflict_words(row)
        self.panel.show_problem(self.tr(refusal(self._running[0], history, show, study)))
        self.panel.status.setText("")
        for row in self.rows:
            self.panel.set_study(row.study_instance_uid, self.tr(NOT_SENT))
        self.resend_note.setText(self.tr(resend_explanation(self._identity, show,
                                                            len(self.rows))))
        self.resend_note.show()
        self.resend_button.setText(self.tr(resend_button(self._identity)))
        self.resend_button.show()

    def send_again(self) -> None:
        """Send every image again under the chosen patient (resend), after a refusal."""
        if self._task is None:
            self._resend = True
            self._run()

    def try_again(self) -> None:
        if self._task is None:
            self._run()

    def cancel(self) -> None:
        """Cancel: before sending, close; while sending, stop after the current image
        (the dialog stays, saying what was confirmed); after, close."""
        if self._task is not None:
            self._task.cancel()
            self.close_button.setEnabled(False)
            self.panel.status.setText(self.tr("Stopping after the image being sent now..."))
        else:
            self.reject()

    def reject(self) -> None:
        if self._task is not None:  # Closed while sending: stop after the current image.
            self._task.cancel()
        super().reject()
