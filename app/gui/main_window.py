"""The main window: the study tree of the opened medium and its health summary."""

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QTreeWidget,
    QTreeWidgetItem,
)

from app.core.models import ScanProgress, ScanReport
from app.gui.tasks import GeneratorTask, start_task
from app.services.scan import health_summary, scan_media


def _date(value: str) -> str:
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(self.tr("Lightbox"))
        self.resize(1000, 700)
        self._task: GeneratorTask | None = None
        self.report: ScanReport | None = None

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([self.tr("Patient / study / series"), self.tr("Images")])
        self.tree.setAccessibleName(self.tr("Studies on the disc"))
        self.tree.setColumnWidth(0, 640)
        self.setCentralWidget(self.tree)

        self.summary = QLabel(self.tr("Open a disc, folder, ISO image or ZIP file."))
        self.summary.setAccessibleName(self.tr("Disc health summary"))
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(240)
        self.progress.hide()
        self.statusBar().addWidget(self.summary, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self._build_menu()

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu(self.tr("&File"))
        for text, shortcut, handler in (
            (self.tr("Open &folder or disc..."), QKeySequence.StandardKey.Open, self._open_folder),
            (self.tr("Open &file (ISO, ZIP, DICOMDIR)..."), QKeySequence("Ctrl+Shift+O"),
             self._open_file),
            (self.tr("&Quit"), QKeySequence.StandardKey.Quit, self.close),
        ):
            action = QAction(text, self)
            action.setShortcut(shortcut)
            action.triggered.connect(handler)
            menu.addAction(action)

    def _open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Open a disc or folder"))
        if folder:
            self.open_path(Path(folder))

    def _open_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open a disc image, ZIP file or DICOMDIR")
        )
        if name:
            self.open_path(Path(name))

    def open_path(self, path: Path) -> None:
        if self._task is not None:
            self._task.cancel()
        self.tree.clear()
        self.summary.setText(self.tr("Reading {0}...").format(path))
        self.progress.setValue(0)
        self.progress.show()
        task = GeneratorTask(lambda: scan_media(path), lambda item: isinstance(item, ScanReport))
        task.signals.progressed.connect(self._on_progress)
        task.signals.finished.connect(self._on_report)
        task.signals.failed.connect(self._on_failed)
        self._task = start_task(task)

    def _on_progress(self, item: ScanProgress) -> None:
        self.progress.setMaximum(max(1, item.total))
        self.progress.setValue(item.done)

    def _on_failed(self, message: str) -> None:
        self.progress.hide()
        self.summary.setText(message)
        QMessageBox.warning(self, self.tr("Cannot open"), message)

    def _on_report(self, report: ScanReport) -> None:
        self.report = report
        self.progress.hide()
        self.summary.setText(health_summary(report))
        for patient in report.patients:
            name = patient.patient_name.replace("^", " ").strip() or self.tr("(no name)")
            patient_item = QTreeWidgetItem([name])
            self.tree.addTopLevelItem(patient_item)
            for study in patient.studies:
                label = f"{_date(study.study_date)}  {study.study_description}".strip()
                study_item = QTreeWidgetItem([label, str(study.instance_count)])
                patient_item.addChild(study_item)
                for series in study.series:
                    number = "" if series.series_number is None else f"{series.series_number}  "
                    text = f"{number}{series.modality}  {series.series_description}".strip()
                    study_item.addChild(QTreeWidgetItem([text, str(len(series.instances))]))
        self.tree.expandAll()
        for column in (1,):
            self.tree.resizeColumnToContents(column)
        self.tree.headerItem().setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
