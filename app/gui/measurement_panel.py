"""The "Measurements" side list: every measurement of the study on screen with its value;
a click (or Enter) on one shows its image, and they can be copied or saved as CSV.

The rows, their words and the files come from app.services.measurement_list; this dock
only shows them and asks the viewer model to go to an image.
"""

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import LightboxError
from app.gui.observe import observe
from app.services.annotation_values import ImageSource, MeasurementRow
from app.services.annotations import AnnotationDocument
from app.services.measurement_list import (
    MeasurementList,
    copied_sentence,
    csv_file_name,
    not_open_sentence,
    save_csv,
    saved_sentence,
    study_date_of,
    what_text,
)
from app.services.viewer_model import ViewerModel

CSV_FILTER = "CSV files (*.csv)"


class MeasurementPanel(QDockWidget):
    """A dock listing the measurements of ``set_document``'s document."""

    message = Signal(str)  # one sentence for the status bar

    def __init__(self, viewer: ViewerModel, settings: QSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Measurements"), parent)
        self.setObjectName("measurements")
        self.viewer = viewer
        self.settings = settings
        self.model = MeasurementList()
        self.model.position = viewer.image_position

        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([self.tr("What"), self.tr("Value"),
                                              self.tr("Where")])
        self.table.setAccessibleName(self.tr("Measurements"))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        # A region's value is long ("Area 120 mm², Mean 40 HU, SD 5.2"): it wraps in
        # its cell rather than hide behind an ellipsis in a narrow dock.
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        # A click and Enter (activated) show the image; the arrow keys only select, so
        # moving through the list does not make the picture jump at every step.
        self.table.clicked.connect(lambda index: self.show_row(index.row()))
        self.table.activated.connect(lambda index: self.show_row(index.row()))
        self.table.currentCellChanged.connect(self._on_current)

        self.empty_label = QLabel(self.model.empty_text)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setMargin(12)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.table)

        self.copy_button = QPushButton(self.tr("Copy"))
        self.copy_button.setToolTip(self.tr(
            "Copy every measurement, to paste into a spreadsheet or an email"))
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QPushButton(self.tr("Save as CSV…"))
        self.save_button.setToolTip(self.tr("Save every measurement as a CSV file"))
        self.save_button.clicked.connect(self.save_as)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)

        body = QWidget()
        body.setMinimumWidth(320)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)
        self.setWidget(body)

        observe(self, self.model.rows_changed, lambda _rows: self._fill())
        observe(self, self.model.selection_changed, lambda _id: self._show_selection())
        self._fill()

    def set_document(self, document: AnnotationDocument | None,
                     images: ImageSource | None = None) -> None:
        """List the measurements of ``document`` (None: none), reading each measured
        image through ``images``."""
        self.model.set_document(document, images)
        self._fill()

    # -- the table ---------------------------------------------------------------------
    def _fill(self) -> None:
        rows = self.model.rows
        table = self.table
        table.blockSignals(True)
        table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            cells = (what_text(row), row.value_text, self.model.where(row))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row.annotation_id)
                item.setToolTip("\n".join(row.lines))
                table.setItem(index, column, item)
        table.blockSignals(False)
        table.resizeRowsToContents()
        self._show_selection()
        self.stack.setCurrentWidget(table if rows else self.empty_label)
        self.copy_button.setEnabled(bool(rows))
        self.save_button.setEnabled(bool(rows))

    def _show_selection(self) -> None:
        selected = self.model.selected
        position = next((i for i, r in enumerate(self.model.rows)
                         if r.annotation_id == selected), -1) if selected else -1
        self.table.blockSignals(True)
        if position < 0:
            self.table.clearSelection()
        elif self.table.currentRow() != position:
            self.table.selectRow(position)
        self.table.blockSignals(False)

    def _on_current(self, row: int, _column: int, _old_row: int, _old_column: int) -> None:
        found = self.row_at(row)
        self.model.select(found.annotation_id if found is not None else "")

    def row_at(self, index: int) -> MeasurementRow | None:
        """The measurement shown in table row ``index``; None outside the list."""
        rows = self.model.rows
        return rows[index] if 0 <= index < len(rows) else None

    def show_row(self, index: int) -> bool:
        """Show the image (and frame) of the measurement in table row ``index``."""
        row = self.row_at(index)
        if row is None:
            return False
        self.model.select(row.annotation_id)
        if not self.viewer.show_image(row.sop_instance_uid, row.frame):
            self.message.emit(not_open_sentence())
            return False
        return True

    # -- copy and save -----------------------------------------------------------------
    def copy(self) -> None:
        """Put every measurement on the clipboard as tab-separated text."""
        if not self.model.rows:
            return
        QGuiApplication.clipboard().setText(self.model.clipboard_text())
        self.message.emit(copied_sentence(len(self.model.rows)))

    def suggested_name(self) -> str:
        """The file name to suggest: the study date, never the patient's name."""
        document = self.model.document
        uid = document.study_uid if document is not None else ""
        return csv_file_name(study_date_of(self.viewer.patients, uid))

    def save_as(self) -> None:
        """Ask where, then save the list as a CSV file."""
        if not self.model.rows:
            return
        folder = str(self.settings.value("measurements/folder", "")) if self.settings \
            else ""
        folder = folder or QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation)
        chosen, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Save measurements as CSV"),
            str(Path(folder) / self.suggested_name()), self.tr(CSV_FILTER))
        if chosen:
            self.save(chosen)

    def save(self, chosen: str) -> bool:
        """Write the list to ``chosen`` (".csv" added when it has no suffix); a problem
        is said in one sentence."""
        path = Path(chosen)
        if not path.suffix:
            path = path.with_suffix(".csv")
        try:
            save_csv(path, self.model.rows)
        except LightboxError as exc:
            self.message.emit(str(exc))
            if self.isVisible():
                QMessageBox.warning(self, self.tr("Save measurements as CSV"), str(exc))
            return False
        if self.settings is not None:
            self.settings.setValue("measurements/folder", str(path.parent))
        self.message.emit(saved_sentence(len(self.model.rows), path))
        return True
