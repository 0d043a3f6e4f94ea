"""The patient → study → series browser, with a thumbnail and image count per series."""

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QIcon, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem, QWidget

from app.core.models import PatientNode, SeriesNode
from app.gui.viewport import wrap_qimage

SERIES_ROLE = Qt.ItemDataRole.UserRole + 1


def display_date(value: str) -> str:
    """YYYYMMDD as YYYY-MM-DD; anything else as it is."""
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def display_name(value: str) -> str:
    """A DICOM person name (Family^Given^Middle) as people write it."""
    parts = [p for p in value.split("=")[0].split("^") if p]
    if len(parts) >= 2:
        return f"{parts[0]}, {' '.join(parts[1:])}"
    return parts[0] if parts else ""


def series_label(series: SeriesNode) -> str:
    number = "" if series.series_number is None else f"{series.series_number} · "
    text = f"{number}{series.modality} {series.series_description}".strip()
    return text or series.series_instance_uid


class SeriesBrowser(QTreeWidget):
    series_selected = Signal(object)  # SeriesNode

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels([self.tr("Patient / study / series"), self.tr("Images")])
        self.setAccessibleName(self.tr("Patients, studies and series"))
        self.setIconSize(QSize(48, 48))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformRowHeights(False)
        self.header().setStretchLastSection(False)
        self.setColumnWidth(0, 260)
        self.privacy = False
        self._series_items: dict[str, QTreeWidgetItem] = {}
        self._thumbnails: dict[str, QIcon] = {}
        self._patients: tuple[PatientNode, ...] = ()
        self.currentItemChanged.connect(self._on_current)

    def set_tree(self, patients: tuple[PatientNode, ...], current_uid: str = "") -> None:
        """Show ``patients``; keeps the series ``current_uid`` selected."""
        self._patients = patients
        self.blockSignals(True)
        self.clear()
        self._series_items.clear()
        bold = QFont(self.font())
        bold.setBold(True)
        for patient in patients:
            name = display_name(patient.patient_name) or self.tr("(no name)")
            if self.privacy:
                name = self.tr("Patient (name hidden)")
            patient_item = QTreeWidgetItem([name, ""])
            patient_item.setFont(0, bold)
            self.addTopLevelItem(patient_item)
            for study in patient.studies:
                label = f"{display_date(study.study_date)}  {study.study_description}".strip()
                study_item = QTreeWidgetItem([label, str(study.instance_count)])
                patient_item.addChild(study_item)
                for series in study.series:
                    item = QTreeWidgetItem([series_label(series), str(len(series.instances))])
                    item.setData(0, SERIES_ROLE, series)
                    item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
                    icon = self._thumbnails.get(series.series_instance_uid)
                    if icon is not None:
                        item.setIcon(0, icon)
                    study_item.addChild(item)
                    self._series_items[series.series_instance_uid] = item
        self.expandAll()
        self.resizeColumnToContents(1)
        current = self._series_items.get(current_uid) if current_uid else None
        if current is not None:
            self.setCurrentItem(current)
        self.blockSignals(False)

    def set_privacy(self, hidden: bool) -> None:
        self.privacy = hidden
        current = self.current_series()
        self.set_tree(self._patients, current.series_instance_uid if current else "")

    def select_series(self, uid: str) -> None:
        item = self._series_items.get(uid)
        if item is None:
            return
        if item is self.currentItem():
            self._on_current(item, None)  # Selecting it again still shows it.
        else:
            self.setCurrentItem(item)

    def current_series(self) -> SeriesNode | None:
        item = self.currentItem()
        series = item.data(0, SERIES_ROLE) if item is not None else None
        return series if isinstance(series, SeriesNode) else None

    def all_series(self) -> list[SeriesNode]:
        return [
            series
            for patient in self._patients
            for study in patient.studies
            for series in study.series
        ]

    def set_thumbnail(self, uid: str, pixels: np.ndarray) -> None:
        icon = QIcon(QPixmap.fromImage(wrap_qimage(pixels).copy()))
        self._thumbnails[uid] = icon
        item = self._series_items.get(uid)
        if item is not None:
            item.setIcon(0, icon)

    def step_series(self, delta: int) -> None:
        """Select the next (or previous) series in tree order."""
        series = self.all_series()
        if not series:
            return
        current = self.current_series()
        uids = [s.series_instance_uid for s in series]
        uid = current.series_instance_uid if current is not None else ""
        index = uids.index(uid) if uid in uids else -1
        target = min(max(0, index + delta), len(series) - 1)
        self.select_series(uids[target])

    def _on_current(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        if current is None:
            return
        series = current.data(0, SERIES_ROLE)
        if isinstance(series, SeriesNode):
            self.series_selected.emit(series)
