"""The simple view for patients and the full view for doctors (app.services.user_mode):
the View menu's two choices, Help > What the words mean, the glossary link under the
series list, and every widget of the main window following a switch live; likewise the
language of the plain words (app.services.plain_words_language).

The rules (what each view shows) are the UserMode's; this only applies them.
"""

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QPushButton, QVBoxLayout, QWidget

from app.gui.glossary_window import GlossaryWindow
from app.gui.observe import observe
from app.services.plain_words_language import PlainWordsLanguage
from app.services.user_mode import (
    MODE_EXPLANATIONS,
    MODE_NAMES,
    PLAIN_TEXTS,
    SETTING_KEY,
    Mode,
    UserMode,
    shown_text,
)

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


class ViewModes(QObject):
    """Made by the main window before its menus (they take ``mode_actions`` and
    ``glossary_action``); ``apply`` once the menus exist, then on every switch."""

    def __init__(self, window: "MainWindow", mode: UserMode,
                 language: PlainWordsLanguage | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.mode = mode
        self.language = language if language is not None else PlainWordsLanguage()
        self.group = QActionGroup(window)
        self.group.setExclusive(True)
        self.mode_actions: dict[Mode, QAction] = {}
        for name, text in MODE_NAMES.items():
            action = QAction(window.tr(text), window)
            action.setCheckable(True)
            action.setStatusTip(window.tr(MODE_EXPLANATIONS[name]))
            action.setToolTip(window.tr(MODE_EXPLANATIONS[name]))
            action.triggered.connect(lambda _=False, m=name: mode.set_mode(m))
            self.group.addAction(action)
            self.mode_actions[name] = action
        self.glossary_action = QAction(window.tr("What the &words mean"), window)
        self.glossary_action.triggered.connect(self.show_glossary)
        self.glossary: GlossaryWindow | None = None
        # The menu items the simple view names otherwise, with their full view names
        # (found in the menus at the first apply).
        self._named: dict[QAction, str] | None = None
        # Under the series list: the glossary one click away from the words it explains.
        self.glossary_link = QPushButton(window.tr("What do these words mean?"))
        self.glossary_link.setFlat(True)
        self.glossary_link.setStyleSheet("text-align: left; text-decoration: underline;")
        self.glossary_link.clicked.connect(self.show_glossary)
        side = QWidget()
        layout = QVBoxLayout(side)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        # The stack holds the viewer's list or the compare page's: the link serves both.
        layout.addWidget(window.browser_stack, 1)
        layout.addWidget(self.glossary_link)
        window.browser_dock.setWidget(side)
        observe(window, mode.changed, self._switched)
        observe(window, self.language.changed, self._language_switched)

    def add_view_actions(self, menu: QMenu) -> None:
        """The two choices, one checked, at the end of ``menu``."""
        menu.addSeparator()
        menu.addActions(list(self.mode_actions.values()))

    def _switched(self, mode: Mode) -> None:
        self.window.settings.setValue(SETTING_KEY, mode)
        self.apply()
        # "151 pictures in 3 sets" or "151 images in 3 series"; only on a switch, so that
        # a message in the status bar (compare, saving) is not replaced on other calls.
        self.window.refresh_summary()

    def _language_switched(self, _language: str) -> None:
        self.apply()
        self.window.refresh_summary()

    def apply(self) -> None:
        """Show what the current view shows, hide the rest."""
        w, m = self.window, self.mode
        self.mode_actions[m.mode].setChecked(True)
        tools = w.annotation_tools
        for tool, action in tools.tool_actions.items():
            shown = m.shows_tool(tool)
            action.setVisible(shown)
            action.setEnabled(shown)  # no key reaches a hidden tool either
        if not m.shows_tool(tools.session.tool):
            tools.session.set_tool("select")
        w.action_tags.setVisible(m.shows_tag_browser)
        w.action_tags.setEnabled(m.shows_tag_browser)
        if not m.shows_tag_browser and w.tag_browser is not None:
            w.tag_browser.hide()
        states = m.shows_presentation_states
        w.presentation_menu.menuAction().setVisible(states)
        tools.save_gsps.setVisible(states)
        if not states and w.presentation_states.chosen is not None:
            # Nothing in the simple view could take them off the picture again.
            w.presentation_states.choose(None)
            w.presentation_menu.fill(w.presentation_states.entries())
        w.viewer.set_full_detail(m.shows_technical_text)
        w.viewport.update()  # the overlay planes are drawn into the picture
        w.browser.set_plain_words(m.shows_plain_words)
        w.library_view.set_plain_words(m.shows_plain_words)
        w.page.problem_bar.set_plain_words(m.shows_plain_words)
        if w.compare_page is not None:
            w.compare_page.set_view_mode(m.shows_plain_words, m.shows_technical_text)
        self.glossary_link.setVisible(m.shows_glossary_link)
        language = self.language.code
        w.browser.set_language(language)
        w.library_view.set_language(language)
        if w.compare_page is not None:
            w.compare_page.set_language(language)
        if self.glossary is not None:
            self.glossary.set_language(language)
        for action, full in self._renamed().items():
            action.setText(self.window.tr(shown_text(full, m.shows_plain_words)))

    def _renamed(self) -> dict[QAction, str]:
        if self._named is None:
            self._named = {}
            menus = [m for a in self.window.menuBar().actions()
                     if isinstance(m := a.menu(), QMenu)]
            while menus:
                menu = menus.pop()
                for action in menu.actions():
                    if isinstance(sub := action.menu(), QMenu):
                        menus.append(sub)
                    elif action.text() in PLAIN_TEXTS:
                        self._named[action] = action.text()
        return self._named

    def show_glossary(self) -> None:
        """Help > What the words mean (and the link under the series list)."""
        if self.glossary is None:
            self.glossary = GlossaryWindow(self.window, self.language.code)
        self.glossary.show()
        self.glossary.raise_()
