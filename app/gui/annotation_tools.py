"""The Measure menu, its toolbar, Edit > Undo / Redo / Delete for the user's drawings, and
File > Save annotations as presentation state.

The main window makes one AnnotationSession (app.services.annotation_session) and one
AnnotationTools; the tools put the session's layer on the viewport, keep the actions'
names and enabled state in step with the document on screen, and read what needs the
medium's files (a header inside an ISO, the presentation state's values) on the viewer
session's loader thread.
"""

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from pydicom.dataset import Dataset
from PySide6.QtCore import QObject, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMenuBar, QMessageBox, QToolBar

from app.core.models import InstanceRef
from app.gui.annotation_layer import AnnotationLayer
from app.gui.preferences import cache_budget_bytes
from app.gui.session import ViewerSession
from app.services.annotation_export import (
    save_annotations_as_presentation_state,
    suggested_presentation_state_name,
)
from app.services.annotation_session import TOOL_NAMES, TOOLS, AnnotationSession
from app.services.annotations import AnnotationDocument

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

# Keys that no other action of the window uses.
TOOL_KEYS = {
    "select": "S", "length": "D", "angle": "A", "rectangle": "Shift+R", "ellipse": "E",
    "freehand": "Shift+F", "text": "T", "arrow": "Shift+A",
}


NOTHING_TO_SAVE = "There are no drawings on this study to save."
GSPS_FILTER = "DICOM presentation state (*.dcm)"


class AnnotationTools(QObject):
    """The actions for drawing on the image, wired to ``session``."""

    presentation_state_saved = Signal(str)  # the path written
    presentation_state_failed = Signal(str)  # one sentence

    def __init__(self, window: "MainWindow", session: AnnotationSession) -> None:
        super().__init__(window)
        self.window = window
        self.session = session
        # The pictures of the slices' drawings get an eighth of the frames' budget.
        self.layer = AnnotationLayer(window.viewport, session,
                                     cache_budget_bytes(window.settings) // 8)
        window.viewport.annotation_layer = self.layer
        self.group = QActionGroup(window)
        self.group.setExclusive(True)
        self.tool_actions: dict[str, QAction] = {}
        for tool in TOOLS:
            action = QAction(window.tr(TOOL_NAMES[tool]), window)
            action.setCheckable(True)
            action.setShortcut(QKeySequence(TOOL_KEYS[tool]))
            action.setToolTip(f"{TOOL_NAMES[tool]} ({TOOL_KEYS[tool]})")
            action.triggered.connect(lambda _=False, t=tool: session.set_tool(t))
            self.group.addAction(action)
            window.addAction(action)
            self.tool_actions[tool] = action
        self.tool_actions["select"].setChecked(True)
        # Only while the picture is shown: on the library page Ctrl+Z must not take back
        # a drawing the user cannot see.
        self.undo = self._action(window.tr("&Undo"), QKeySequence.StandardKey.Undo,
                                 lambda: self.viewer_shown() and session.undo())
        self.redo = self._action(window.tr("&Redo"), "Ctrl+Shift+Z",
                                 lambda: self.viewer_shown() and session.redo())
        self.delete = self._action(window.tr("&Delete drawing"), "Delete",
                                   lambda: self.viewer_shown() and session.delete_selected())
        # Delete only while the picture has the keyboard: in a text field it deletes text.
        self.delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        window.viewport.addAction(self.delete)
        self.save_gsps = QAction(window.tr("Save annotations as presentation s&tate..."),
                                 window)
        self.save_gsps.triggered.connect(self.save_presentation_state)
        self._loader: ViewerSession | None = None
        self._jobs = 0
        session.header_wanted.connect(self._want_header)
        self.toolbar = QToolBar(window.tr("Measure"), window)
        self.toolbar.setObjectName("measure")
        self.toolbar.addActions(list(self.tool_actions.values()))
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        session.tool_changed.connect(self._on_tool)
        session.changed.connect(lambda _none: self.refresh())
        # A document tells its observers before its undo stack has the change: a change
        # made elsewhere (the side list) is read again once the call is over.
        session.changed.connect(lambda _none: QTimer.singleShot(0, self.refresh))
        session.message.connect(window.summary_text)
        window.pages.currentChanged.connect(lambda _index: self._show_toolbar())
        window.pages.currentChanged.connect(lambda _index: self.refresh())
        self._show_toolbar()
        self.refresh()

    def viewer_shown(self) -> bool:
        """True while the picture (not the library or another page) is in front."""
        return self.window.pages.currentWidget() is self.window.page

    def _show_toolbar(self) -> None:
        """The drawing tools only beside the picture, not over the library."""
        self.toolbar.setVisible(self.viewer_shown())

    def _action(self, text: str, key: QKeySequence | QKeySequence.StandardKey | str,
                slot: object) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(QKeySequence(key))
        action.triggered.connect(slot)
        self.window.addAction(action)
        return action

    def add_edit_actions(self, menu: QMenu) -> None:
        """Undo, Redo and Delete drawing at the top of the Edit menu."""
        first = menu.actions()[0] if menu.actions() else None
        for action in (self.undo, self.redo):
            menu.insertAction(first, action)  # type: ignore[arg-type]
        menu.addAction(self.delete)
        if first is not None:
            menu.insertSeparator(first)

    def add_measure_menu(self, bar: QMenuBar, before: QAction | None = None) -> QMenu:
        """The Measure menu: one item a tool."""
        menu = QMenu(self.window.tr("&Measure"), bar)
        menu.addActions(list(self.tool_actions.values()))
        if before is None:
            bar.addMenu(menu)
        else:
            bar.insertMenu(before, menu)
        return menu

    def refresh(self) -> None:
        """Undo and Redo say what they would do, and are enabled only then."""
        document: AnnotationDocument | None = self.session.document
        # Away from the picture the drawings are not there to undo.
        shown = document is not None and self.viewer_shown()
        undo = document.undo_description if shown and document is not None else ""
        redo = document.redo_description if shown and document is not None else ""
        self.undo.setText(self.window.tr("&Undo {0}").format(undo) if undo
                          else self.window.tr("&Undo"))
        self.redo.setText(self.window.tr("&Redo {0}").format(redo) if redo
                          else self.window.tr("&Redo"))
        self.undo.setEnabled(bool(undo))
        self.redo.setEnabled(bool(redo))
        self.delete.setEnabled(shown and self.session.selected() is not None)
        saveable = document is not None and not document.empty
        self.save_gsps.setEnabled(saveable)
        self.save_gsps.setStatusTip("" if saveable else NOTHING_TO_SAVE)

    def _on_tool(self, tool: str) -> None:
        self.tool_actions[tool].setChecked(True)

    # -- work on the loader thread -------------------------------------------------------
    def _viewer_session(self) -> ViewerSession | None:
        """The window's viewer session, its job signals connected once."""
        loader = self.window.session
        if loader is not None and loader is not self._loader:
            self._loader = loader
            loader.job_done.connect(self._job_done)
            loader.job_failed.connect(self._job_failed)
        return loader

    def _want_header(self, instance: InstanceRef) -> None:
        loader = self._viewer_session()
        if loader is not None:
            loader.run(f"header:{instance.sop_instance_uid}",
                       lambda reader: reader.dataset(instance.path))

    def save_presentation_state(self) -> None:
        """File > Save annotations as presentation state…: where, then write."""
        w = self.window
        document = self.session.document
        loader = self._viewer_session()
        if document is None or not document.annotations or loader is None:
            w.summary_text(NOTHING_TO_SAVE)
            return
        folder = str(w.settings.value("gsps/folder", "")) or QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation)
        name = suggested_presentation_state_name(loader.instances, document.study_uid)
        chosen, _filter = QFileDialog.getSaveFileName(
            w, w.tr("Save annotations as presentation state"), str(Path(folder) / name),
            GSPS_FILTER)
        if chosen:
            w.settings.setValue("gsps/folder", str(Path(chosen).parent))
            self.save_presentation_state_to(Path(chosen))

    def save_presentation_state_to(self, path: Path) -> bool:
        """Write the study's drawings to ``path`` in the background; ``presentation_state_
        saved`` or ``presentation_state_failed`` tells how it went. False when there is
        nothing to save."""
        document = self.session.document
        loader = self._viewer_session()
        if document is None or not document.annotations or loader is None:
            self.window.summary_text(NOTHING_TO_SAVE)
            return False
        if path.suffix.lower() != ".dcm":
            path = path.with_name(path.name + ".dcm")
        self._jobs += 1
        loader.run(f"gsps:{self._jobs}", partial(
            save_annotations_as_presentation_state, instances=list(loader.instances),
            annotations=list(document.annotations), out_path=path))
        self.window.summary_text(self.window.tr("Saving the drawings..."))
        return True

    def _job_done(self, name: str, result: object) -> None:
        if name.startswith("header:") and isinstance(result, Dataset):
            self.session.header_loaded(name.removeprefix("header:"), result)
        elif name.startswith("gsps:"):
            path = Path(str(result))
            self.window.summary_text(self.window.tr(
                "Saved the drawings as a presentation state in {0}; other DICOM viewers "
                "can show them.").format(path.name))
            self.presentation_state_saved.emit(str(path))

    def _job_failed(self, name: str, message: str) -> None:
        if name.startswith("header:"):
            # Unreadable: values in pixels, with the uncalibrated mark.
            self.session.header_loaded(name.removeprefix("header:"), Dataset())
        elif name.startswith("gsps:"):
            self.window.summary_text(message)
            if self.window.isVisible():
                QMessageBox.warning(self.window,
                                    self.window.tr("Save annotations as presentation state"),
                                    message)
            self.presentation_state_failed.emit(message)
