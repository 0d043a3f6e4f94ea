"""View > "Annotations from the disc": None, then one checkable entry per presentation
state (GSPS) kept with the study on screen. The rules are in app.services.gsps_view."""

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QWidget

from app.services.gsps_view import DiscPresentationStates, StateEntry

NONE_TIP = "This study has no annotations saved on the disc (presentation states)."


class PresentationStateMenu(QMenu):
    """The submenu; rebuilt whenever the list of presentation states changes."""

    def __init__(self, states: DiscPresentationStates, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Annotations from the &disc"))
        self.setToolTipsVisible(True)
        self.states = states
        self._group = QActionGroup(self)
        self._group.setExclusive(True)
        states.list_changed.connect(self.fill)
        self.fill(states.entries())

    def fill(self, entries: list[StateEntry]) -> None:
        """One entry per presentation state, the chosen one checked."""
        for action in self.actions():
            self._group.removeAction(action)
        self.clear()
        self._add(self.tr("None"), None, "")
        for entry in entries:
            self._add(entry.text, entry.path, entry.error)
        self.setEnabled(bool(entries))
        # A disabled submenu shows its tooltip on the View menu's entry.
        self.menuAction().setToolTip("" if entries else self.tr(NONE_TIP))

    def _add(self, text: str, path: str | None, error: str) -> None:
        action = QAction(text, self)
        action.setCheckable(True)
        action.setChecked(path == self.states.chosen)
        action.setData(path)
        if error:
            action.setToolTip(error)
        action.triggered.connect(lambda _checked=False, p=path: self.states.choose(p))
        self._group.addAction(action)
        self.addAction(action)
