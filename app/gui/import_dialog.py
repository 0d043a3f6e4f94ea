"""Import a disc: see what is on it and whose it is, import with progress, read the result
in plain words.

An incomplete disc is said to be incomplete before anything is copied, and Import is then
not the default; a disc with images of several patients says so and lets the user choose
whose to import. The sentences come from ``app.services.disc_words``.
"""

from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.models import PatientNode, ScanProgress, ScanReport, StudyNode
from app.gui.browser import WrappingDelegate
from app.gui.observe import observe
from app.gui.problem_details import Disclosure
from app.gui.tasks import GeneratorTask, start_task
from app.services.disc_words import (
    UNATTRIBUTED,
    DiscCompleteness,
    completeness,
    import_outcome,
    is_unattributed,
    patients_sentence,
    readable_summary,
    sex_words,
)
from app.services.importing import ImportProgress, ImportReport, describe
from app.services.library_service import LibraryService, PatientKey
from app.services.plain_words import explain_listed_study
from app.services.plain_words_language import PlainWordsLanguage
from app.services.privacy import Privacy
from app.services.problem_words import group_problems
from app.services.scan import scan_media
from app.services.user_mode import UserMode, shown_text
from app.services.viewer_text import display_date, display_name, display_text

KEY_ROLE = Qt.ItemDataRole.UserRole + 1


def patient_key(patient: PatientNode) -> PatientKey:
    return (patient.patient_id, patient.patient_name)


def _key_of(item: QTreeWidgetItem) -> PatientKey:
    patient_id, patient_name = item.data(0, KEY_ROLE)
    return (str(patient_id), str(patient_name))


class ImportDialog(QDialog):
    import_finished = Signal(object)  # ImportReport, or None when cancelled
    upload_requested = Signal()  # "Upload this disc...": import and upload the chosen images

    def __init__(self, path: Path, privacy: Privacy, parent: QWidget | None = None,
                 start_now: bool = False, library: LibraryService | None = None,
                 user_mode: UserMode | None = None,
                 language: PlainWordsLanguage | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.privacy = privacy
        # The simple view counts "pictures in sets", the full view "images in series"; it
        # says what each study is in a plain sentence, in the chosen language, and names
        # the disc's problems without the format's names.
        self.user_mode = user_mode if user_mode is not None else UserMode()
        self.language = language if language is not None else PlainWordsLanguage()
        self.library = library if library is not None else LibraryService()
        self.scan: ScanReport | None = None
        self.disc: DiscCompleteness | None = None
        self.report: ImportReport | None = None
        self._left_out = 0
        self._cancelled = False  # True once an import was cancelled: its sentence is shown.
        self._choosing = False  # True when the disc holds more than one patient.
        self._task: GeneratorTask | None = None
        self.setWindowTitle(self.tr("Import {0}").format(path.name or str(path)))
        self.resize(640, 500)
        self.pages = QStackedWidget()

        # 1. What is on the disc, and whose it is.
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.PlainText)
        self.verdict.setStyleSheet("font-weight: bold")
        self.verdict.hide()
        self.who = QLabel()
        self.who.setWordWrap(True)
        self.who.hide()
        self.overview = QTreeWidget()
        self.overview.setAccessibleName(self.tr("Patients and studies on the disc"))
        self._name_columns()
        self.overview.setColumnWidth(0, 450)
        # The simple view's sentences are whole, on as many lines as they need.
        self.overview.setWordWrap(True)
        self.overview.setUniformRowHeights(False)
        self.overview.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.overview.setItemDelegate(WrappingDelegate(self.overview))
        self.overview.header().sectionResized.connect(
            lambda _column, _old, _new: self.overview.doItemsLayout())
        self.overview.itemChanged.connect(lambda _item, _column: self._update_import_button())
        self.health = QLabel(self.tr("Looking at {0}...").format(path))
        self.health.setWordWrap(True)
        self.look_progress = QProgressBar()
        self.problems = Disclosure(self.tr("Problems found on the disc, by kind"))
        self.problems.hide()
        first = QWidget()
        layout = QVBoxLayout(first)
        layout.addWidget(self.verdict)
        layout.addWidget(self.who)
        layout.addWidget(self.overview, 1)
        layout.addWidget(self.health)
        layout.addWidget(self.problems)
        layout.addWidget(self.look_progress)
        self.pages.addWidget(first)

        # 2. Importing.
        self.status = QLabel(self.tr("Importing..."))
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Import progress"))
        second = QWidget()
        layout = QVBoxLayout(second)
        layout.addStretch(1)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addStretch(1)
        self.pages.addWidget(second)

        # 3. The result.
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.eject = QLabel()
        self.eject.setWordWrap(True)
        self.eject.setStyleSheet("font-weight: bold")
        self.failures = Disclosure(self.tr("Files that were not imported, by reason"))
        self.failures.hide()
        third = QWidget()
        layout = QVBoxLayout(third)
        layout.addWidget(self.outcome)
        layout.addWidget(self.eject)
        layout.addWidget(self.failures, 1)
        layout.addStretch(0)
        self.pages.addWidget(third)

        self.buttons = QDialogButtonBox()
        self.import_button = QPushButton(self.tr("&Import"))
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.start_import)
        self.upload_button = QPushButton(self.tr("&Upload this disc..."))
        self.upload_button.setEnabled(False)
        self.upload_button.setAutoDefault(False)
        self.upload_button.clicked.connect(self.upload_requested)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.clicked.connect(self._cancel)
        self.buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.upload_button, QDialogButtonBox.ButtonRole.ActionRole)
        outer = QVBoxLayout(self)
        outer.addWidget(self.pages, 1)
        outer.addWidget(self.buttons)
        observe(self, privacy.changed, lambda _hidden: self._show_patients())
        observe(self, self.user_mode.changed, lambda _mode: self._follow_view())
        observe(self, self.language.changed, lambda _code: self._show_patients())
        if start_now:
            self.start_import()
        else:
            self._look()

    # -- 1. look --------------------------------------------------------------------
    def _look(self) -> None:
        path = self.path
        task = GeneratorTask(lambda: scan_media(path), lambda item: isinstance(item, ScanReport))
        task.signals.progressed.connect(self._on_look_progress)
        task.signals.finished.connect(self._on_looked)
        task.signals.failed.connect(self._on_look_failed)
        self._task = start_task(task)

    def _on_look_progress(self, item: ScanProgress) -> None:
        self.look_progress.setMaximum(max(1, item.total))
        self.look_progress.setValue(item.done)

    def _on_looked(self, report: ScanReport) -> None:
        self._task = None
        self.scan = report
        self.look_progress.hide()
        self._show_patients()
        self._show_health()
        self.disc = completeness(report)
        self._show_verdict()
        self.verdict.setVisible(self.disc.incomplete)
        self._show_problems()
        self._update_import_button()

    def _follow_view(self) -> None:
        self._name_columns()
        self._show_health()
        self._show_verdict()
        self._show_patients()
        self._show_problems()
        self._update_import_button()
        self._show_outcome()
        self._show_failures()

    def _show_verdict(self) -> None:
        if self.disc is not None:
            self.verdict.setText(self.disc.sentence_for(self.user_mode.shows_plain_words))

    def _show_problems(self) -> None:
        if self.scan is not None and self.disc is not None:
            plain = self.user_mode.shows_plain_words
            self.problems.set_groups(group_problems(self.scan.problems, listed=self.disc.listed,
                                                    plain=plain), plain)

    def _show_failures(self) -> None:
        report = self.report
        if report is not None:
            plain = self.user_mode.shows_plain_words
            self.failures.set_groups(group_problems(failures=report.failed,
                                                    listed=report.listed or None, plain=plain),
                                     plain)

    def _study_text(self, study: StudyNode) -> tuple[str, str]:
        """A study's row: the date and the clinic's description, or in the simple view
        the plain sentence (in the chosen language, without the place when names are
        hidden), with the clinic's words in its tooltip; and that tooltip."""
        label = display_text(f"{display_date(study.study_date)}  {study.study_description}")
        if not self.user_mode.shows_plain_words:
            return label, ""
        sentence = explain_listed_study(study, self.language.code,
                                        hide_place=self.privacy.hidden)
        described = display_text(study.study_description)
        if not described:
            return sentence, sentence
        return sentence, self.tr("{0}\nThe clinic's description: {1}").format(sentence,
                                                                               described)

    def _name_columns(self) -> None:
        plain = self.user_mode.shows_plain_words
        self.overview.setHeaderLabels([self.tr("On this disc"),
                                       self.tr(shown_text("Images", plain))])

    def _show_health(self) -> None:
        if self.scan is not None:
            self.health.setText(readable_summary(self.scan, self.user_mode.shows_plain_words))

    def _patient_label(self, patient: PatientNode) -> str:
        if is_unattributed(patient):
            return self.tr(UNATTRIBUTED)
        show = self.privacy.show
        parts = [show(display_name(patient.patient_name) or self.tr("(no name)"))]
        parts.append(self.tr("ID {0}").format(show(patient.patient_id))
                     if patient.patient_id else self.tr("no ID"))
        if patient.patient_birth_date:
            parts.append(self.tr("born {0}").format(
                show(display_date(patient.patient_birth_date))))
        sex = sex_words(patient.patient_sex)
        if sex:
            parts.append(self.tr(sex))
        return ", ".join(parts)

    def _show_patients(self) -> None:
        """The patients and their studies; with several, a checkbox each (all chosen)."""
        report = self.scan
        if report is None:
            return
        chosen = self.chosen_patients()
        choose = len(report.patients) > 1
        self._choosing = choose
        self.overview.blockSignals(True)
        self.overview.clear()
        for patient in report.patients:
            key = patient_key(patient)
            count = sum(s.instance_count for s in patient.studies)
            item = QTreeWidgetItem([self._patient_label(patient), str(count)])
            item.setData(0, KEY_ROLE, key)
            if choose:
                checked = chosen is None or key in chosen
                item.setCheckState(0, Qt.CheckState.Checked if checked
                                   else Qt.CheckState.Unchecked)
            self.overview.addTopLevelItem(item)
            for study in patient.studies:
                text, tip = self._study_text(study)
                child = QTreeWidgetItem([text, str(study.instance_count)])
                if tip:
                    child.setToolTip(0, tip)
                item.addChild(child)
        self.overview.expandAll()
        self.overview.blockSignals(False)
        sentence = patients_sentence(report.patients)
        if sentence:
            sentence += " " + self.tr(shown_text(
                "Tick the patients whose images you want to import.",
                self.user_mode.shows_plain_words))
        self.who.setText(sentence)
        self.who.setVisible(bool(sentence))

    def _patient_items(self) -> list[QTreeWidgetItem]:
        root = self.overview.invisibleRootItem()
        return [item for i in range(root.childCount()) if (item := root.child(i)) is not None]

    def chosen_patients(self) -> set[PatientKey] | None:
        """The patients ticked; None when there is nothing to choose (import all)."""
        if not self._choosing:
            return None
        return {_key_of(i) for i in self._patient_items()
                if i.checkState(0) == Qt.CheckState.Checked}

    def set_patient_chosen(self, key: PatientKey, chosen: bool) -> None:
        for item in self._patient_items():
            if _key_of(item) == key:
                item.setCheckState(0, Qt.CheckState.Checked if chosen
                                   else Qt.CheckState.Unchecked)

    def chosen_patient_nodes(self) -> list[PatientNode]:
        """The patients whose images an import (or upload) of this disc would take."""
        report = self.scan
        if report is None:
            return []
        chosen = self.chosen_patients()
        return [p for p in report.patients if chosen is None or patient_key(p) in chosen]

    def chosen_images(self) -> int:
        report = self.scan
        if report is None:
            return 0
        chosen = self.chosen_patients()
        return sum(s.instance_count for p in report.patients
                   if chosen is None or patient_key(p) in chosen for s in p.studies)

    def _update_import_button(self) -> None:
        if self.scan is None or self.pages.currentIndex() != 0:
            return
        images = self.chosen_images()
        incomplete = self.disc is not None and self.disc.incomplete
        plain = self.user_mode.shows_plain_words
        if incomplete:
            text = ("&Import the 1 image that is there" if images == 1
                    else "&Import the {0} images that are there")
            self.import_button.setText(self.tr(shown_text(text, plain)).format(images))
        elif self.chosen_patients() is not None:
            text = "&Import 1 image" if images == 1 else "&Import {0} images"
            self.import_button.setText(self.tr(shown_text(text, plain)).format(images))
        else:
            self.import_button.setText(self.tr("&Import"))
        self.import_button.setEnabled(images > 0)
        self.upload_button.setEnabled(images > 0)
        # An incomplete disc is not imported by pressing Enter: the user reads first.
        self.import_button.setAutoDefault(not incomplete)
        self.import_button.setDefault(not incomplete and images > 0)
        self.cancel_button.setAutoDefault(incomplete)
        self.cancel_button.setDefault(incomplete)

    def _on_look_failed(self, message: str) -> None:
        self._task = None
        self.look_progress.hide()
        self.health.setText(message)

    # -- 2. import ------------------------------------------------------------------
    def start_import(self) -> None:
        patients = self.chosen_patients()
        self._left_out = 0
        if patients is not None and self.scan is not None:
            self._left_out = sum(s.instance_count for p in self.scan.patients
                                 if patient_key(p) not in patients for s in p.studies)
        self.pages.setCurrentIndex(1)
        self.import_button.setEnabled(False)
        self.import_button.setDefault(False)
        self.upload_button.hide()  # Importing only, now; uploading is from the library.
        self.status.setText(self.tr("Importing {0}...").format(self.path))
        path, library = self.path, self.library

        def job() -> Iterator[ImportProgress | ImportReport]:
            yield from library.import_media(path, patients)

        task = GeneratorTask(job, lambda item: isinstance(item, ImportReport))
        task.signals.progressed.connect(self._on_progress)
        task.signals.finished.connect(self._on_imported)
        task.signals.failed.connect(self._on_import_failed)
        task.signals.cancelled.connect(self._on_import_cancelled)
        self._task = start_task(task)

    def _on_progress(self, item: ImportProgress) -> None:
        self.progress.setMaximum(max(1, item.total))
        self.progress.setValue(item.done)
        self.status.setText(self.tr("Importing: {0}").format(describe(item)))

    def _on_imported(self, report: ImportReport) -> None:
        self.report = report
        self._task = None
        self.pages.setCurrentIndex(2)
        self._show_outcome()
        self._show_failures()
        self.cancel_button.setText(self.tr("Close"))
        self.cancel_button.setDefault(True)
        self.import_button.hide()  # Done: importing again is a new import, from the menu.
        self.import_finished.emit(report)

    def _show_outcome(self) -> None:
        # Only after an import that ended with a report or was cancelled (a failure says
        # its own sentence, left as it is).
        if self._cancelled:
            self.outcome.setText(self.tr(shown_text(
                "The import was cancelled. The images imported so far are stored; import the "
                "disc again to finish.", self.user_mode.shows_plain_words)))
        elif self.report is not None:
            outcome = import_outcome(self.report, self._left_out,
                                     self.user_mode.shows_plain_words)
            self.outcome.setText(outcome.stored)
            self.eject.setText(outcome.eject)

    def _on_import_failed(self, message: str) -> None:
        self._task = None
        self.pages.setCurrentIndex(2)
        self.outcome.setText(message)
        self.eject.setText("")
        self.failures.hide()
        self.cancel_button.setText(self.tr("Close"))

    def _on_import_cancelled(self) -> None:
        self._task = None
        self.pages.setCurrentIndex(2)
        self._cancelled = True
        self._show_outcome()
        self.eject.setText("")
        self.failures.hide()
        self.cancel_button.setText(self.tr("Close"))
        self.import_finished.emit(None)

    def _cancel(self) -> None:
        if self._task is not None and self.pages.currentIndex() == 1:
            self._task.cancel()
            self.status.setText(self.tr("Stopping after the current file..."))
            self.cancel_button.setEnabled(False)
            return
        if self._task is not None:
            self._task.cancel()
        self.reject()

    def done(self, result: int) -> None:
        if self._task is not None and self.pages.currentIndex() == 1:
            return  # Closing mid-import would hide it; Cancel stops it cleanly instead.
        super().done(result)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._cancel()
            return
        super().keyPressEvent(event)
