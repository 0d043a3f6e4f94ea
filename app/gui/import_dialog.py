"""Import a disc: see what is on it, import with progress, read the result in plain words."""

from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.models import ScanProgress, ScanReport
from app.core.paths import lightbox_home
from app.gui.browser import display_date, display_name
from app.gui.tasks import GeneratorTask, start_task
from app.library.library import Library
from app.services.importing import ImportProgress, ImportReport, describe, import_media
from app.services.scan import health_summary, scan_media


def _import_job(path: Path, home: Path) -> Iterator[ImportProgress | ImportReport]:
    with Library(home) as library:
        yield from import_media(path, library)


class ImportDialog(QDialog):
    import_finished = Signal(object)  # ImportReport

    def __init__(self, path: Path, parent: QWidget | None = None, start_now: bool = False,
                 privacy: bool = False) -> None:
        super().__init__(parent)
        self.path = path
        self.privacy = privacy
        self.report: ImportReport | None = None
        self._task: GeneratorTask | None = None
        self.setWindowTitle(self.tr("Import {0}").format(path.name or str(path)))
        self.resize(620, 460)
        self.pages = QStackedWidget()

        # 1. What is on the disc.
        self.overview = QTreeWidget()
        self.overview.setHeaderLabels([self.tr("On this disc"), self.tr("Images")])
        self.overview.setAccessibleName(self.tr("Patients and studies on the disc"))
        self.overview.setColumnWidth(0, 430)
        self.health = QLabel(self.tr("Looking at {0}...").format(path))
        self.health.setWordWrap(True)
        self.look_progress = QProgressBar()
        first = QWidget()
        layout = QVBoxLayout(first)
        layout.addWidget(self.overview, 1)
        layout.addWidget(self.health)
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
        self.failures = QListWidget()
        self.failures.setAccessibleName(self.tr("Files that were not imported"))
        third = QWidget()
        layout = QVBoxLayout(third)
        layout.addWidget(self.outcome)
        layout.addWidget(self.eject)
        layout.addWidget(self.failures, 1)
        self.pages.addWidget(third)

        self.buttons = QDialogButtonBox()
        self.import_button = QPushButton(self.tr("&Import"))
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.start_import)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.clicked.connect(self._cancel)
        self.buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        outer = QVBoxLayout(self)
        outer.addWidget(self.pages, 1)
        outer.addWidget(self.buttons)
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
        self.look_progress.hide()
        for patient in report.patients:
            name = self.tr("(name hidden)") if self.privacy else (
                display_name(patient.patient_name) or self.tr("(no name)")
            )
            item = QTreeWidgetItem([f"{name}  {patient.patient_id}".strip(), ""])
            self.overview.addTopLevelItem(item)
            for study in patient.studies:
                label = f"{display_date(study.study_date)}  {study.study_description}".strip()
                item.addChild(QTreeWidgetItem([label, str(study.instance_count)]))
        self.overview.expandAll()
        self.health.setText(health_summary(report))
        self.import_button.setEnabled(report.instances > 0)
        self.import_button.setDefault(True)

    def _on_look_failed(self, message: str) -> None:
        self.look_progress.hide()
        self.health.setText(message)

    # -- 2. import ------------------------------------------------------------------
    def start_import(self) -> None:
        self.pages.setCurrentIndex(1)
        self.import_button.setEnabled(False)
        self.status.setText(self.tr("Importing {0}...").format(self.path))
        path, home = self.path, lightbox_home()
        task = GeneratorTask(lambda: _import_job(path, home),
                             lambda item: isinstance(item, ImportReport))
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
        text = self.tr("{0} images imported; {1} were already in the library.").format(
            report.imported, report.already_present
        )
        if report.failed:
            text += " " + self.tr("{0} files could not be imported:").format(len(report.failed))
        self.outcome.setText(text)
        for failure in report.failed:
            self.failures.addItem(f"{failure.path}: {failure.error}")
        self.failures.setVisible(bool(report.failed))
        if report.stopped:
            self.eject.setText(report.stopped)
        else:
            # Every imported file was synced before it was indexed.
            self.eject.setText(self.tr("Safe to eject: every image is stored on this computer."))
        self.cancel_button.setText(self.tr("Close"))
        self.import_finished.emit(report)

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
        self.outcome.setText(self.tr(
            "The import was cancelled. The images imported so far are stored; import the "
            "disc again to finish."
        ))
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
