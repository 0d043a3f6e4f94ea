"""The Measure menu, its toolbar, and Edit > Undo / Redo / Delete for the user's drawings.

The main window makes one AnnotationSession (app.services.annotation_session) and one
AnnotationTools; the tools put the session's layer on the viewport and keep the actions'
names and enabled state in step with the document on screen.
"""

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QToolBar

from app.gui.annotation_layer import AnnotationLayer
from app.services.annotation_session import TOOL_NAMES, TOOLS, AnnotationSession
from app.services.annotations import AnnotationDocument

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

# Keys that no other action of the window uses.
TOOL_KEYS = {
    "select": "S", "length": "D", "angle": "A", "rectangle": "Shift+R", "ellipse": "E",
    "freehand": "Shift+F", "text": "T", "arrow": "Shift+A",
}


class AnnotationTools:
    """The actions for drawing on the image, wired to ``session``."""

    def __init__(self, window: "MainWindow", session: AnnotationSession) -> None:
        self.window = window
        self.session = session
        self.layer = AnnotationLayer(window.viewport, session)
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
        self.undo = self._action(window.tr("&Undo"), QKeySequence.StandardKey.Undo,
                                 lambda: session.undo())
        self.redo = self._action(window.tr("&Redo"), "Ctrl+Shift+Z", lambda: session.redo())
        self.delete = self._action(window.tr("&Delete drawing"), "Delete",
                                   lambda: session.delete_selected())
        # Delete only while the picture has the keyboard: in a text field it deletes text.
        self.delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        window.viewport.addAction(self.delete)
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
        window.pages.currentChanged.connect(
            lambda _index: self.toolbar.setVisible(window.pages.currentWidget() is window.page))
        self.refresh()

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
        undo = document.undo_description if document is not None else ""
        redo = document.redo_description if document is not None else ""
        self.undo.setText(self.window.tr("&Undo {0}").format(undo) if undo
                          else self.window.tr("&Undo"))
        self.redo.setText(self.window.tr("&Redo {0}").format(redo) if redo
                          else self.window.tr("&Redo"))
        self.undo.setEnabled(bool(undo))
        self.redo.setEnabled(bool(redo))
        self.delete.setEnabled(self.session.selected() is not None)

    def _on_tool(self, tool: str) -> None:
        self.tool_actions[tool].setChecked(True)
