"""The patient → study → series list: a thumbnail, the full series name (wrapped, never
cut) and its count per series, in one column so nothing scrolls sideways. In the simple
view for patients each study and series says in a plain sentence what it is
(app.services.plain_words), the scanner's name in the tooltip."""

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import (
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QIcon, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from app.core.models import PatientNode, SeriesNode
from app.gui.viewport import wrap_qimage
from app.services.plain_words import (
    DEFAULT_LANGUAGE,
    explain_listed_study,
    explain_scanned_series,
)
from app.services.privacy import Privacy
from app.services.viewer_text import (
    counts_text,
    display_name,
    display_text,
    is_document,
    is_unattributed,
    series_counts,
    series_label,
    shown_series,
)
from app.services.viewer_text import display_date as spoken_date

SERIES_ROLE = Qt.ItemDataRole.UserRole + 1
# A series dragged from the list (onto a compare pane): its Series Instance UID.
SERIES_MIME = "application/x-lightbox-series"
# Scanner names run words together ("MEMPRAGE_4e_p2_1mm_iso"): a zero-width space after
# these characters lets a long name wrap there instead of being cut.
BREAK_AFTER = "_^/\\.-"
ZERO_WIDTH_SPACE = "\u200b"


def breakable(text: str) -> str:
    """``text`` with a wrapping opportunity after each separator character."""
    return "".join(c + ZERO_WIDTH_SPACE if c in BREAK_AFTER else c for c in text)


class WrappingDelegate(QStyledItemDelegate):
    """Row heights for wrapped text measured at the width the text really gets.

    QTreeView measures a wrapped item at the whole column's width, ignoring the indentation
    of deeper levels: the text then needs more lines than its row has and is cut.
    """

    def __init__(self, view: QTreeWidget) -> None:
        super().__init__(view)
        self.view = view

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        depth = 0
        parent = index.parent()
        while parent.isValid():
            depth += 1
            parent = parent.parent()
        # Only the first column is indented; in a list of one column that column is the
        # whole width (its own width lags behind a resize).
        levels = depth + (1 if self.view.rootIsDecorated() else 0) if index.column() == 0 else 0
        measured = QStyleOptionViewItem(option)
        # Less the text margins the style draws on both sides (and a pixel of slack).
        margin = 2 * (self.view.style().pixelMetric(
            QStyle.PixelMetric.PM_FocusFrameHMargin, None, self.view) + 1) + 2
        column = (self.view.viewport().width() if self.view.columnCount() == 1
                  else self.view.columnWidth(index.column()))
        if index.data(Qt.ItemDataRole.CheckStateRole) is not None:
            # A checkbox before the text takes its width too.
            column -= self.view.style().pixelMetric(
                QStyle.PixelMetric.PM_IndicatorWidth, None, self.view) + margin
        width = column - self.view.indentation() * levels - margin
        # A valid rectangle: the style wraps only inside one (the view often passes none).
        measured.rect = QRect(0, 0, max(60, width), 10_000)
        return super().sizeHint(measured, index)


class SeriesBrowser(QTreeWidget):
    series_selected = Signal(object)  # SeriesNode

    def __init__(self, privacy: Privacy | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.privacy = privacy if privacy is not None else Privacy()
        self.setColumnCount(1)
        self.setHeaderHidden(True)
        self.setAccessibleName(self.tr("Patients, studies and series"))
        self.setIconSize(QSize(48, 48))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformRowHeights(False)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setItemDelegate(WrappingDelegate(self))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.header().setStretchLastSection(True)
        self._series_items: dict[str, QTreeWidgetItem] = {}
        self._thumbnails: dict[str, QIcon] = {}
        self._patients: tuple[PatientNode, ...] = ()
        self.plain_words = False  # the simple view for patients: sentences, not names
        self.language = DEFAULT_LANGUAGE  # of those sentences
        self.currentItemChanged.connect(self._on_current)
        self.setDragEnabled(True)  # a series can be dragged onto a compare pane
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self._stop_observing = self.privacy.changed.connect(lambda _hidden: self._redraw())
        self.destroyed.connect(lambda _obj=None: self._stop_observing())

    def _patient_text(self, patient: PatientNode) -> str:
        if is_unattributed(patient):
            return self.tr("Images not linked to a patient")
        if self.privacy.hidden:
            return self.tr("Patient (name hidden)")
        return display_name(patient.patient_name) or self.tr("(no name)")

    def set_tree(self, patients: tuple[PatientNode, ...],
                 current: SeriesNode | None = None) -> None:
        """Show ``patients``; keeps the series ``current`` selected."""
        self._patients = patients
        self.blockSignals(True)
        self.clear()
        self._series_items.clear()
        bold = QFont(self.font())
        bold.setBold(True)
        for patient in patients:
            patient_item = QTreeWidgetItem([self._patient_text(patient)])
            patient_item.setFont(0, bold)
            self.addTopLevelItem(patient_item)
            for study in patient.studies:
                label = display_text(f"{spoken_date(study.study_date)}  "
                                     f"{study.study_description}")
                counts = counts_text(*series_counts(study.series))
                text = f"{label}\n{counts}" if label else counts
                if self.plain_words:
                    # Says its counts itself. The place where it was taken identifies the
                    # patient too: it goes with the name.
                    text = explain_listed_study(study, self.language,
                                                hide_place=self.privacy.hidden)
                study_item = QTreeWidgetItem([breakable(text)])
                if self.plain_words and label:
                    study_item.setToolTip(0, label)  # the clinic's own words
                patient_item.addChild(study_item)
                for series in shown_series(study.series):
                    text = breakable(series_label(series)) + "\n" + _count(series)
                    if self.plain_words:
                        # Says its count itself.
                        text = explain_scanned_series(series, self.language)
                    item = QTreeWidgetItem([text])
                    item.setData(0, SERIES_ROLE, series)
                    item.setToolTip(0, series_label(series))
                    icon = self._thumbnails.get(series.series_instance_uid)
                    if icon is not None:
                        item.setIcon(0, icon)
                    study_item.addChild(item)
                    self._series_items[series.series_instance_uid] = item
        self.expandAll()
        uid = current.series_instance_uid if current is not None else ""
        chosen = self._series_items.get(uid)
        if chosen is not None:
            self.setCurrentItem(chosen)
        self.blockSignals(False)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.doItemsLayout()  # Wrapped rows change height with the width.

    def set_plain_words(self, plain: bool) -> None:
        """Plain sentences (the simple view for patients) or the scanner's names."""
        if plain != self.plain_words:
            self.plain_words = plain
            self._redraw()

    def set_language(self, language: str) -> None:
        """Say the plain sentences in ``language`` (app.services.plain_words_language)."""
        if language != self.language:
            self.language = language
            if self.plain_words:
                self._redraw()

    def _redraw(self) -> None:
        self.set_tree(self._patients, self.current_series())

    def show_series(self, series: SeriesNode | None) -> None:
        """Highlight ``series`` (chosen elsewhere) without announcing it again."""
        item = self._series_items.get(series.series_instance_uid) if series else None
        if item is not None and item is not self.currentItem():
            self.blockSignals(True)
            self.setCurrentItem(item)
            self.blockSignals(False)

    def select_series(self, uid: str) -> None:
        item = self._series_items.get(uid)
        if item is None:
            return
        if item is self.currentItem():
            self._on_current(item, None)
        else:
            self.setCurrentItem(item)

    def current_series(self) -> SeriesNode | None:
        item = self.currentItem()
        series = item.data(0, SERIES_ROLE) if item is not None else None
        return series if isinstance(series, SeriesNode) else None

    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData:
        data = QMimeData()
        series = [i.data(0, SERIES_ROLE) for i in items]
        uids = [s.series_instance_uid for s in series if isinstance(s, SeriesNode)]
        if uids:
            data.setData(SERIES_MIME, uids[0].encode("utf-8"))
        return data

    def all_series(self) -> list[SeriesNode]:
        return [s for p in self._patients for st in p.studies for s in shown_series(st.series)]

    def set_thumbnail(self, uid: str, pixels: np.ndarray) -> None:
        icon = QIcon(QPixmap.fromImage(wrap_qimage(pixels).copy()))
        self._thumbnails[uid] = icon
        item = self._series_items.get(uid)
        if item is not None:
            item.setIcon(0, icon)

    def _on_current(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        if current is None:
            return
        series = current.data(0, SERIES_ROLE)
        if isinstance(series, SeriesNode):
            self.series_selected.emit(series)


def _count(series: SeriesNode) -> str:
    if is_document(series):
        return counts_text(0, len(series.instances)).split(", ")[-1]
    return counts_text(len(series.instances))
