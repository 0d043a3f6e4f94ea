"""The language of the plain words: the stored choice (read without Qt from the file the
window writes), --language, and the observable the window's views follow."""

from pathlib import Path

import pytest

from app.services.plain_words_language import (
    PlainWordsLanguage,
    UnknownLanguage,
    chosen_language,
    language_from_setting,
    language_names,
    stored_language,
)


def test_languages_by_their_own_names() -> None:
    assert language_names() == {"en": "English", "fr": "Français"}


@pytest.mark.parametrize(("value", "code"), [
    ("fr", "fr"), (" FR ", "fr"), ("en", "en"), ("de", "en"), ("", "en"), (None, "en"),
    (3, "en"),
])
def test_language_from_setting(value: object, code: str) -> None:
    assert language_from_setting(value) == code


@pytest.mark.parametrize(("text", "code"), [
    ("[plain_words]\nlanguage=fr\n", "fr"),
    ("[General]\ngeometry=@ByteArray(\\x1\\xd9%)\n\n[plain_words]\nlanguage=fr\n", "fr"),
    ("[view]\nmode=doctor\n", "en"),  # never chosen
    ("[plain_words]\nlanguage=klingon\n", "en"),
    ("not an ini file at all", "en"),
    ("[plain_words]\nlanguage=fr\nlanguage=en\n", "en"),  # a hand-edited file: the last
])
def test_the_stored_choice(tmp_path: Path, text: str, code: str) -> None:
    (tmp_path / "settings.ini").write_text(text, encoding="utf-8")
    assert stored_language(tmp_path) == code


def test_no_settings_file_is_english(tmp_path: Path) -> None:
    assert stored_language(tmp_path / "nowhere") == "en"


def test_the_option_wins_over_the_stored_choice(tmp_path: Path) -> None:
    (tmp_path / "settings.ini").write_text("[plain_words]\nlanguage=fr\n", encoding="utf-8")
    assert chosen_language(None, tmp_path) == "fr"
    assert chosen_language("en", tmp_path) == "en"
    assert chosen_language("Fr", tmp_path) == "fr"
    with pytest.raises(UnknownLanguage) as refused:
        chosen_language("zz", tmp_path)
    assert str(refused.value) == ("There are no plain words in the language 'zz'; choose one "
                                  "of: en (English), fr (Français).")


def test_the_observable_says_each_real_change_once() -> None:
    language = PlainWordsLanguage()
    heard: list[str] = []
    language.changed.connect(heard.append)
    assert language.code == "en"
    language.set_language("fr")
    language.set_language("fr")
    language.set_language("en")
    assert heard == ["fr", "en"]
    with pytest.raises(UnknownLanguage):
        language.set_language("xx")
    assert language.code == "en"
