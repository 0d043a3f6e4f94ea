"""Export studies as a copy any viewer opens: choose the kind of copy and where it goes,
optionally without the patient's name (then decide about the pictures that may have
writing in them), follow the progress with Cancel, and read where the copy is with Show
in folder. The words come from app.services.export_words, the review from
app.services.copy_review."""

from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.copy_flow import CHOOSE, RESULT, REVIEW, WORKING, CopyFlowDialog
from app.gui.observe import observe
from app.gui.pseudonym_fields import PseudonymFields
from app.gui.tasks import run_in_background
from app.services.copy_review import copy_options, default_pseudonyms
from app.services.export_words import (
    FORMAT_WORDS,
    SUFFIXES,
    export_outcome,
    free_name,
    left_out_heading,
    place_for,
    place_problem,
    suggested_name,
)
from app.services.exporting import FORMATS, ExportProgress, ExportReport, Format, describe_export
from app.services.library_service import LibraryService, StudyRow
from app.services.privacy import Privacy
from app.services.viewer_text import display_date, display_name, display_text

__all__ = ["CHOOSE", "RESULT", "REVIEW", "WORKING", "ExportDialog", "default_folder"]


def default_folder() -> str:
    """The Desktop when there is one, else the home folder."""
    for location in (QStandardPaths.StandardLocation.DesktopLocation,
                     QStandardPaths.StandardLocation.HomeLocation):
        folder = QStandardPaths.writableLocation(location)
        if folder and Path(folder).is_dir():
            return folder
    return str(Path.home())


class ExportDialog(CopyFlowDialog):
    export_finished = Signal(object)  # ExportReport

    def __init__(self, study_uids: list[str], privacy: Privacy,
                 library: LibraryService | None = None, parent: QWidget | None = None,
                 without_name: bool = False) -> None:
        super().__init__(library if library is not None else LibraryService(),
                         "&Export", "Export progress", parent)
        self.export_button = self.action_button
        self.study_uids = list(study_uids)
        self.privacy = privacy
        self.rows: list[StudyRow] = []
        self.report: ExportReport | None = None
        self.open_url = QDesktopServices.openUrl  # replaced in tests
        self._name_edited = False
        self._defaults_asked = False
        self.setWindowTitle(self.tr("Export a copy"))
        self.resize(680, 600)

        # 1. What, as what, where, and with or without the name.
        self.what = QLabel(self.tr("Looking at the studies..."))
        self.what.setWordWrap(True)
        self.formats = QButtonGroup(self)
        self.format_buttons: dict[Format, QRadioButton] = {}
        kind_box = QGroupBox(self.tr("Save the copy as"))
        kinds = QVBoxLayout(kind_box)
        for media_format in FORMATS:
            button = QRadioButton(self.tr(FORMAT_WORDS[media_format]))
            self.formats.addButton(button)
            self.format_buttons[media_format] = button
            kinds.addWidget(button)
            button.toggled.connect(lambda on: self._format_changed() if on else None)

        self.folder = QLineEdit(default_folder())
        self.folder.setAccessibleName(self.tr("Folder to save the copy in"))
        self.folder.textChanged.connect(lambda _text: self._show_place())
        choose = QPushButton(self.tr("C&hoose..."))
        choose.clicked.connect(self.choose_folder)
        self.name = QLineEdit()
        self.name.setAccessibleName(self.tr("Name of the copy"))
        self.name.textEdited.connect(self._name_typed)
        self.name.textChanged.connect(lambda _text: self._show_place())
        self.suffix = QLabel()
        where_box = QGroupBox(self.tr("Where"))
        where = QFormLayout(where_box)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(choose)
        name_row = QHBoxLayout()
        name_row.addWidget(self.name, 1)
        name_row.addWidget(self.suffix)
        where.addRow(self.tr("Save in:"), folder_row)
        where.addRow(self.tr("Name:"), name_row)
        self.place = QLabel()
        self.place.setWordWrap(True)
        self.place.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where.addRow(self.place)

        self.without_name = QCheckBox(self.tr("&Without my name (de-identified copy)"))
        self.without_name.toggled.connect(self._without_name_changed)
        self.no_name_note = QLabel(self.tr(
            "The copy will not carry the name, birth date, ID or other details that say who "
            "this is. Dates are moved by the same number of days, so the time between scans "
            "stays right. Pictures that may have writing in them are shown to you first."))
        self.no_name_note.setWordWrap(True)
        self.pseudonym = PseudonymFields()
        name_box = QGroupBox(self.tr("Name"))
        names = QVBoxLayout(name_box)
        names.addWidget(self.without_name)
        names.addWidget(self.no_name_note)
        names.addWidget(self.pseudonym)

        first = QWidget()
        layout = QVBoxLayout(first)
        layout.addWidget(self.what)
        layout.addWidget(kind_box)
        layout.addWidget(where_box)
        layout.addWidget(name_box)
        layout.addStretch(1)
        layout.addWidget(self.problem)

        # The review and progress pages come from CopyFlowDialog; then where the copy is.
        self.done_place = QLabel()
        self.done_place.setWordWrap(True)
        self.done_place.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bold = QFont(self.done_place.font())
        bold.setBold(True)
        self.done_place.setFont(bold)
        self.done_what = QLabel()
        self.done_what.setWordWrap(True)
        self.show_button = QPushButton(self.tr("&Show in folder"))
        self.show_button.clicked.connect(self.show_in_folder)
        self.left_out_heading = QLabel()
        self.left_out = QListWidget()
        self.left_out.setAccessibleName(self.tr("Images not in the copy"))
        self.left_out.setWordWrap(True)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setAccessibleName(self.tr("What else to know about the copy"))
        result = QWidget()
        layout = QVBoxLayout(result)
        layout.addWidget(self.done_place)
        layout.addWidget(self.done_what)
        show_row = QHBoxLayout()
        show_row.addWidget(self.show_button)
        show_row.addStretch(1)
        layout.addLayout(show_row)
        layout.addWidget(self.left_out_heading)
        layout.addWidget(self.left_out, 1)
        layout.addWidget(self.notes)
        layout.addStretch(0)
        self._assemble(first, result)

        observe(self, privacy.changed, lambda _hidden: self._describe())
        self.format_buttons["folder"].setChecked(True)
        self.without_name.setChecked(without_name)
        self._without_name_changed(without_name)
        self._show_page(CHOOSE)
        library_service = self.library
        uids = self.study_uids
        run_in_background(lambda: library_service.studies_by_uid(uids), self._on_rows,
                          self._show_problem)

    # -- choosing ------------------------------------------------------------------------
    def media_format(self) -> Format:
        for media_format, button in self.format_buttons.items():
            if button.isChecked():
                return media_format
        return "folder"

    def target(self) -> Path:
        return place_for(Path(self.folder.text().strip()), self.name.text(),
                         self.media_format())

    def _on_rows(self, rows: list[StudyRow]) -> None:
        self.rows = rows
        self._describe()
        self._suggest_name()

    def _describe(self) -> None:
        rows = self.rows
        if not rows:
            return
        images = sum(r.instances for r in rows)
        show = self.privacy.show
        people = {(r.patient_id, r.patient_name) for r in rows}
        if len(rows) == 1:
            row = rows[0]
            when = display_date(row.study_date) or self.tr("date unknown")
            text = self.tr("{0}, {1} {2}: {3} images.").format(
                show(display_name(row.patient_name) or self.tr("(no name)")), when,
                display_text(row.study_description), images)
        elif len(people) == 1:
            text = self.tr("{0} studies of {1}: {2} images.").format(
                len(rows), show(display_name(rows[0].patient_name) or self.tr("(no name)")),
                images)
        else:
            text = self.tr("{0} studies of {1} different people: {2} images.").format(
                len(rows), len(people), images)
        self.what.setText(text)

    def _name_typed(self, _text: str) -> None:
        self._name_edited = True

    def _suggest_name(self) -> None:
        if self._name_edited:
            return
        folder = Path(self.folder.text().strip())
        name = suggested_name(self.rows, self.without_name.isChecked())
        media_format = self.media_format()
        if folder.is_dir():
            name = free_name(folder, name, media_format)
        self.name.setText(name)

    def _format_changed(self) -> None:
        self.suffix.setText(SUFFIXES[self.media_format()])
        self._suggest_name()
        self._show_place()

    def _without_name_changed(self, on: bool) -> None:
        self.no_name_note.setVisible(on)
        self.pseudonym.setVisible(on)
        self.setWindowTitle(self.tr("Export a copy without the name") if on
                            else self.tr("Export a copy"))
        self._suggest_name()
        if on and not self._defaults_asked:
            self._defaults_asked = True
            library, uids = self.library, self.study_uids
            run_in_background(lambda: default_pseudonyms(library, uids),
                              self.pseudonym.show_defaults)

    def _show_place(self) -> None:
        problem = place_problem(self.folder.text(), self.name.text())
        if problem:
            self.place.setText(problem)
        else:
            self.place.setText(self.tr("The copy will be: {0}").format(self.target()))
        self.export_button.setEnabled(not problem and self.pages.currentIndex() == CHOOSE)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Where to save the copy (a USB stick, a folder)"),
            self.folder.text())
        if folder:
            self.folder.setText(folder)
            self._suggest_name()

    def _show_page(self, page: int) -> None:
        self.pages.setCurrentIndex(page)
        self.back_button.setVisible(page == REVIEW)
        self.export_button.setVisible(page in (CHOOSE, REVIEW))
        self.export_button.setText(self.tr("&Make the copy") if page == REVIEW
                                   else self.tr("&Export"))
        self.cancel_button.setText(self.tr("Close") if page == RESULT else self.tr("Cancel"))
        self.cancel_button.setEnabled(True)
        if page == CHOOSE:
            self._show_place()
        else:
            self.export_button.setEnabled(True)

    # -- running -------------------------------------------------------------------------
    def start(self) -> None:
        """Export, or (without the name) look for pictures with writing in them first."""
        if self.pages.currentIndex() == REVIEW:
            self._run()
            return
        problem = place_problem(self.folder.text(), self.name.text())
        if problem:
            self._show_problem(problem)
            return
        self._show_problem("")
        if not self.without_name.isChecked():
            self._run()
            return
        self.export_button.setEnabled(False)
        self._look_for_writing(self.study_uids)

    def _run(self) -> None:
        library, uids, out, media_format = (self.library, self.study_uids, self.target(),
                                            self.media_format())
        options = copy_options(*self.pseudonym.values(), self.review.choices()) \
            if self.without_name.isChecked() else None

        def job() -> Iterator[ExportProgress | ExportReport]:
            yield from library.export(uids, out, media_format, deidentify=options)

        self._start_job(job, ExportReport, self.tr("Making the copy..."))

    def _on_progress(self, item: ExportProgress) -> None:
        if item.phase == "packing":
            self.progress.setRange(0, 1000)
            self.progress.setValue(1000 * item.bytes_done // max(1, item.bytes_total))
        else:
            self.progress.setRange(0, max(1, item.total))
            self.progress.setValue(item.done)
        self.status.setText(self.tr("Making the copy: {0}").format(describe_export(item)))

    def _on_finished(self, report: ExportReport) -> None:
        self._task = None
        self.report = report
        outcome = export_outcome(report)
        self.done_place.setText(outcome.place)
        self.done_what.setText(outcome.what)
        self.show_folder = outcome.folder
        self.left_out.clear()
        self.left_out.addItems(list(outcome.left_out))
        self.left_out_heading.setText(left_out_heading(len(report.warnings)))
        self.left_out_heading.setVisible(bool(outcome.left_out))
        self.left_out.setVisible(bool(outcome.left_out))
        self.notes.setText("\n".join(outcome.notes))
        self.notes.setVisible(bool(outcome.notes))
        self._show_page(RESULT)
        QApplication.alert(self)
        self.export_finished.emit(report)

    def show_in_folder(self) -> None:
        self.open_url(QUrl.fromLocalFile(str(self.show_folder)))
