"""The viewer page: the image (or the report) and the slider/cine bar under it.

It observes a ViewerModel: every rule (what to show, where we are, what the corners say)
is the model's; this page only draws and turns clicks and timer ticks into model calls.
"""

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QStackedWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.models import SeriesNode
from app.gui.problem_details import ProblemBar
from app.gui.viewport import QtViewport, ViewportModel
from app.services.viewer_model import ViewerModel
from app.services.viewer_text import series_document_kind
from app.services.viewing import Document, LoadedFrame

# How long the old image may stay up, unlabelled, while the new one decodes.
OVERLAY_WAIT_MS = 80


class ViewerPage(QWidget):
    report_shown = Signal(str)  # a report (not an image) is on screen: what it says

    def __init__(self, viewer: ViewerModel, temp_dir: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer = viewer
        self.temp_dir = temp_dir
        self.open_externally = QDesktopServices.openUrl  # replaced in tests
        self.pdf: tuple[str, bytes] | None = None  # file name, PDF bytes
        self.model = ViewportModel(viewer)
        self.viewport = QtViewport(self.model)
        self.viewport.step_requested.connect(lambda delta: viewer.step(delta))
        self.report_view = QTextBrowser()
        self.report_view.setAccessibleName(self.tr("Report"))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.viewport)
        self.stack.addWidget(self.report_view)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName(self.tr("Image in series"))
        self.slider.setMinimum(0)
        self.slider.valueChanged.connect(viewer.go_to)
        self.play_button = QToolButton()
        self.fps = QSpinBox()
        self.fps.setRange(1, 60)
        self.fps.setValue(viewer.fps)
        self.fps.setSuffix(self.tr(" fps"))
        self.fps.setAccessibleName(self.tr("Cine speed, frames per second"))
        self.fps.valueChanged.connect(viewer.set_fps)
        self.cine = QTimer(self)
        self.cine.timeout.connect(viewer.cine_tick)
        self._overlay_timer = QTimer(self)
        self._overlay_timer.setSingleShot(True)
        self._overlay_timer.setInterval(OVERLAY_WAIT_MS)
        self._overlay_timer.timeout.connect(self.update_overlay)

        self.controls = QWidget()
        controls = QHBoxLayout(self.controls)
        controls.setContentsMargins(6, 2, 6, 2)
        controls.addWidget(self.play_button)
        controls.addWidget(self.fps)
        controls.addWidget(self.slider, 1)
        self.report_bar = QWidget()
        bar = QHBoxLayout(self.report_bar)
        bar.setContentsMargins(6, 2, 6, 2)
        self.report_note = QLabel()
        self.report_note.setWordWrap(True)
        self.save_button = QPushButton(self.tr("Save PDF as..."))
        self.save_button.clicked.connect(self.save_pdf)
        bar.addWidget(self.report_note, 1)
        bar.addWidget(self.save_button)
        self.report_bar.hide()
        self.problem_bar = ProblemBar()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.problem_bar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.controls)
        layout.addWidget(self.report_bar)

        viewer.series_changed.connect(self._on_series)
        viewer.position_changed.connect(self._on_position)
        viewer.frame_changed.connect(self._on_frame)
        viewer.frame_pending.connect(lambda _slice: self._overlay_timer.start())
        viewer.frame_unavailable.connect(self.viewport.show_message)
        viewer.overlay_changed.connect(lambda _overlay: self.update_overlay())
        viewer.cine_changed.connect(self._on_cine)
        viewer.fps_changed.connect(self._on_fps)

    # -- observing the model ---------------------------------------------------------
    def update_overlay(self) -> None:
        self._overlay_timer.stop()
        self.viewport.set_overlay(self.viewer.overlay(), self.viewer.markers())

    def _on_series(self, series: SeriesNode | None) -> None:
        self.pdf = None
        self.report_bar.hide()
        if series is not None and self.viewer.slices is None:
            self.controls.hide()
            self.stack.setCurrentWidget(self.report_view)
            if series_document_kind(series) in ("pdf", "sr"):
                self.report_view.setPlainText(self.tr("Opening the report..."))
            else:
                self.report_view.setPlainText(self.tr(
                    "This is a recording (such as an ECG), not a picture. Lightbox cannot "
                    "draw it yet; your doctor's software can."))
                self.report_shown.emit(self.report_view.toPlainText())
            return
        self.stack.setCurrentWidget(self.viewport)
        self.controls.show()

    def _on_position(self, index: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setMaximum(max(0, self.viewer.count - 1))
        self.slider.setValue(index)
        self.slider.blockSignals(False)

    def _on_frame(self, loaded: LoadedFrame) -> None:
        self.viewport.show_frame(loaded.frame)

    def _on_cine(self, playing: bool) -> None:
        if playing:
            self.cine.start(int(1000 / self.viewer.fps))
        else:
            self.cine.stop()
        self.play_button.defaultAction().setChecked(playing)

    def _on_fps(self, fps: int) -> None:
        self.fps.blockSignals(True)
        self.fps.setValue(fps)
        self.fps.blockSignals(False)
        if self.cine.isActive():
            self.cine.start(int(1000 / fps))

    # -- reports ---------------------------------------------------------------------
    def show_document(self, path: str, document: Document) -> None:
        """Show an SR as text; hand a PDF to the system viewer and say whether that worked."""
        if document.kind != "pdf":
            self.report_view.setPlainText(document.text)
            self.report_shown.emit(document.text)
            return
        name = Path(path).name + ".pdf"
        self.pdf = (name, document.data)
        target = self.temp_dir / name
        target.write_bytes(document.data)
        if self.open_externally(QUrl.fromLocalFile(str(target))):
            text = self.tr("This is a PDF report. It was opened in your PDF viewer.")
        else:
            text = self.tr("This is a PDF report. No PDF viewer could be opened on this "
                           "computer; use Save PDF as... to keep it and open it elsewhere.")
        self.report_view.setPlainText(text)
        self.report_note.setText(self.tr("PDF report, {0} KB").format(len(document.data) // 1024))
        self.report_bar.show()
        self.report_shown.emit(text)

    def save_pdf(self, target: str = "") -> bool:
        """Save the PDF on screen (asks where when ``target`` is empty)."""
        if self.pdf is None:
            return False
        if not target:
            target, _ = QFileDialog.getSaveFileName(
                self, self.tr("Save the PDF report"), self.pdf[0], self.tr("PDF (*.pdf)"))
        if not target:
            return False
        Path(target).write_bytes(self.pdf[1])
        self.report_note.setText(self.tr("Saved to {0}").format(target))
        return True
