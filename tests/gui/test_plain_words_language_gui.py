"""The language of the plain words in the window: Preferences lists the languages by their
own names, and a choice switches the series list, the status bar, the glossary and the
library's "What was scanned" live; the command line reads the same stored choice."""

from pathlib import Path

from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot

from app.gui.browser import SERIES_ROLE
from app.gui.main_window import MainWindow
from app.gui.preferences import PreferencesDialog
from app.services.plain_words import explain_scanned_series, glossary
from app.services.plain_words_language import stored_language
from tests.gui.helpers import import_disc, open_and_wait

TIMEOUT = 30_000
LIBRARY_DESCRIPTION_COLUMN = 5




def _series_items(window: MainWindow) -> list[QTreeWidgetItem]:
    study = window.browser.topLevelItem(0).child(0)
    return [study.child(i) for i in range(study.childCount())]


def _study_text(window: MainWindow) -> str:
    return window.browser.topLevelItem(0).child(0).text(0).replace("\u200b", "")


def _choose(window: MainWindow, name: str) -> PreferencesDialog:
    dialog = PreferencesDialog(window.settings, window, window.user_mode, window.plain_language)
    dialog.language.setCurrentIndex(dialog.language.findText(name))
    dialog._save()  # OK
    return dialog


def test_preferences_list_each_language_by_its_own_name(new_window: MainWindow) -> None:
    dialog = PreferencesDialog(new_window.settings, new_window, new_window.user_mode,
                               new_window.plain_language)
    listed = [dialog.language.itemText(i) for i in range(dialog.language.count())]
    assert listed == ["English", "Français"]
    assert dialog.language.currentText() == "English"  # a new install
    assert dialog.chosen_language() == "en"


def test_choosing_french_switches_the_words_live(
    new_window: MainWindow, qtbot: QtBot, ct_disc: Path, fresh_settings: Path
) -> None:
    w = new_window
    open_and_wait(w, qtbot, ct_disc)
    w.view_modes.glossary_link.click()
    words = w.view_modes.glossary
    assert words is not None and words.meanings() == list(glossary("en").values())
    english = [item.text(0) for item in _series_items(w)]
    assert english[1] == "CT scan. 120 pictures."  # what the disc's index says of it
    assert _study_text(w) == ("CT scan of the chest, belly and pelvis, taken 2 January 2024. "
                              "3 sets of pictures, 151 in all.")
    assert w.summary.text() == "151 pictures in 3 sets"
    assert w.plain_language.code == "en"

    _choose(w, "Français")

    assert w.plain_language.code == "fr"
    french = [item.text(0) for item in _series_items(w)]
    assert french[1] == "Scanner. 120 images."
    assert _study_text(w) == ("Scanner du thorax, du ventre et du bassin, le 2 janvier 2024. "
                              "3 séries d'images, 151 en tout.")
    assert french == [explain_scanned_series(item.data(0, SERIES_ROLE), "fr")
                      for item in _series_items(w)]
    assert w.summary.text() == "151 images en 3 séries"
    assert words.meanings() == list(glossary("fr").values())
    assert words.meanings()[0].startswith("Scanner (tomodensitométrie, CT) : ")
    assert words.terms() == list(glossary("en"))  # the same entries, said in French
    # The command line reads the same choice, without Qt.
    assert stored_language(fresh_settings) == "fr"

    _choose(w, "English")
    assert [item.text(0) for item in _series_items(w)] == english
    assert words.meanings() == list(glossary("en").values())
    assert stored_language(fresh_settings) == "en"


def test_the_next_start_remembers_the_language(
    new_window: MainWindow, qtbot: QtBot
) -> None:
    _choose(new_window, "Français")
    second = MainWindow()
    qtbot.addWidget(second)
    try:
        assert second.plain_language.code == "fr"
        second.view_modes.show_glossary()
        shown = second.view_modes.glossary
        assert shown is not None and shown.meanings() == list(glossary("fr").values())
    finally:
        second.close()


def test_the_library_says_what_was_scanned_in_the_chosen_language(
    new_window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    w = new_window
    import_disc(w, qtbot, ct_disc)
    w.show_library()
    view = w.library_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1 and bool(view.explained),
                    timeout=TIMEOUT)
    assert view.proxy.index(0, LIBRARY_DESCRIPTION_COLUMN).data().startswith(
        "CT scan of the chest, belly and pelvis with contrast dye, taken ")

    _choose(w, "Français")

    qtbot.waitUntil(lambda: str(view.proxy.index(0, LIBRARY_DESCRIPTION_COLUMN).data())
                    .startswith("Scanner "), timeout=TIMEOUT)
    said = str(view.proxy.index(0, LIBRARY_DESCRIPTION_COLUMN).data())
    assert said.startswith("Scanner du thorax, du ventre et du bassin avec produit de "
                           "contraste, le ")
    assert said.endswith(" (Lightbox sample disc). 3 séries d'images, 151 en tout.")


def test_the_compare_page_list_follows_the_language(
    new_window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    w = new_window
    _choose(w, "Français")  # before the page exists: it starts in French
    open_and_wait(w, qtbot, ct_disc)
    w.show_compare()
    page = w.compare_page
    assert page is not None
    qtbot.waitUntil(lambda: page.series_list.topLevelItemCount() > 0, timeout=TIMEOUT)
    study = page.series_list.topLevelItem(0).child(0)
    assert study.text(0).replace("\u200b", "").startswith("Scanner du thorax, du ventre ")
    w.plain_language.set_language("en")
    study = page.series_list.topLevelItem(0).child(0)
    assert study.text(0).replace("\u200b", "").startswith("CT scan of the chest, belly ")
