"""Help > What the words mean: the glossary (app.services.plain_words.glossary), one
entry a term, with a search field."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.plain_words import DEFAULT_LANGUAGE, glossary

TERM_ROLE = Qt.ItemDataRole.UserRole + 1


class GlossaryWindow(QDialog):
    """A small window (not modal: the pictures stay usable beside it)."""

    def __init__(self, parent: QWidget | None = None,
                 language: str = DEFAULT_LANGUAGE) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("What the words mean"))
        self.setModal(False)
        intro = QLabel(self.tr("Words you may meet on a disc from your clinic, and what they "
                               "mean. They say how the pictures were taken, not what they "
                               "show."))
        intro.setWordWrap(True)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Find a word..."))
        self.search.setAccessibleName(self.tr("Find a word"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Words and what they mean"))
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSpacing(3)
        self.list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.language = language
        self._fill()
        self.nothing = QLabel(self.tr("No word matches."))
        self.nothing.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.nothing)
        layout.addWidget(buttons)
        self.resize(540, 640)

    def set_language(self, language: str) -> None:
        """Explain the words in ``language`` (app.services.plain_words_language)."""
        if language != self.language:
            self.language = language
            self._fill()
            self._filter(self.search.text())

    def _fill(self) -> None:
        self.list.clear()
        for term, meaning in glossary(self.language).items():
            item = QListWidgetItem(meaning)
            item.setData(TERM_ROLE, term)
            self.list.addItem(item)

    def meanings(self) -> list[str]:
        """The explanations, in the order listed."""
        return [self.list.item(i).text() for i in range(self.list.count())]

    def terms(self) -> list[str]:
        """The glossary's terms, in the order listed."""
        return [str(self.list.item(i).data(TERM_ROLE)) for i in range(self.list.count())]

    def shown_terms(self) -> list[str]:
        """The terms the search leaves on screen."""
        return [str(self.list.item(i).data(TERM_ROLE)) for i in range(self.list.count())
                if not self.list.item(i).isHidden()]

    def _filter(self, text: str) -> None:
        wanted = text.strip().casefold()
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(bool(wanted) and wanted not in item.text().casefold())
        self.nothing.setVisible(not self.shown_terms())
