"""The tag browser shows what a header holds, with control and bidi characters escaped."""

from pydicom.dataset import Dataset
from PySide6.QtWidgets import QTreeWidgetItemIterator
from pytestqt.qtbot import QtBot

from app.gui.tag_browser import TagBrowser
from app.services.privacy import Privacy


def test_control_and_bidi_characters_are_shown_escaped(qtbot: QtBot) -> None:
    header = Dataset()
    header.StudyDescription = "CHEST\u202eTSEHC\x1b[2J"
    browser = TagBrowser(Privacy())
    qtbot.addWidget(browser)
    browser.show_dataset("disc/IM1", header)
    texts = []
    iterator = QTreeWidgetItemIterator(browser.tree)
    while iterator.value() is not None:
        texts.append(iterator.value().text(3))
        iterator += 1
    assert "CHEST\\u202eTSEHC\\x1b[2J" in texts
    assert not any("\u202e" in t or "\x1b" in t for t in texts)
