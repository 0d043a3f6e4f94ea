"""The language of the plain words (app.services.plain_words): one choice that the window
and the command line share.

The window stores the choice in Preferences, in ``settings.ini`` under the Lightbox home
(the same file app.gui.settings keeps its other settings in), under ``SETTING_KEY``; the
command line reads that file without Qt (:func:`stored_language`), so ``lightbox scan
--json`` says its ``"explained"`` sentences in the language the user chose in the window.
``--language CODE`` overrides it for one command (:func:`chosen_language`).

:class:`PlainWordsLanguage` is the observable the window's views follow live.
"""

from __future__ import annotations

import configparser
from pathlib import Path

from app.core.observable import Event
from app.core.paths import lightbox_home
from app.explain import language_names as _language_names
from app.explain import languages
from app.services.plain_words import DEFAULT_LANGUAGE

__all__ = [
    "DEFAULT_LANGUAGE", "SETTING_KEY", "PlainWordsLanguage", "UnknownLanguage",
    "chosen_language", "language_from_setting", "language_names", "stored_language",
]
# The settings key the window stores the choice under ("[plain_words] language=fr" in the
# INI file QSettings writes).
SETTING_KEY = "plain_words/language"
SETTINGS_FILE = "settings.ini"


class UnknownLanguage(ValueError):
    """A language code no vocabulary file exists for; the message is one plain sentence
    that lists the codes there are."""


def language_names() -> dict[str, str]:
    """Language code -> the language's own name ("fr" -> "Français"), in code order."""
    return _language_names()


def language_from_setting(value: object) -> str:
    """The language stored in the settings; English when none or an unknown one is."""
    code = str(value).strip().lower() if value is not None else ""
    return code if code in languages() else DEFAULT_LANGUAGE


def stored_language(home: Path | None = None) -> str:
    """The language chosen in the window's Preferences, read from ``settings.ini`` under
    ``home`` (the default Lightbox home when None); English when nothing was chosen or the
    file cannot be read."""
    path = (home if home is not None else lightbox_home()) / SETTINGS_FILE
    # QSettings writes an INI file; its values may hold "%" and its keys repeat nothing,
    # but a hand-edited file might: read leniently, never fail a command over it.
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    section, key = SETTING_KEY.split("/", 1)
    try:
        parser.read(path, encoding="utf-8")
        value = parser.get(section, key, fallback=None)
    except (configparser.Error, OSError, UnicodeDecodeError):
        value = None
    return language_from_setting(value)


def chosen_language(code: str | None = None, home: Path | None = None) -> str:
    """``code`` when given (``--language``), else the stored choice.

    Raises :class:`UnknownLanguage` for a code no vocabulary exists for.
    """
    if code is None:
        return stored_language(home)
    wanted = code.strip().lower()
    if wanted not in languages():
        available = ", ".join(f"{c} ({name})" for c, name in language_names().items())
        raise UnknownLanguage(
            f"There are no plain words in the language {code!r}; choose one of: {available}.")
    return wanted


class PlainWordsLanguage:
    """The language the plain words are said in; views connect to ``changed`` (the new
    code) and say their sentences again."""

    def __init__(self, code: str = DEFAULT_LANGUAGE) -> None:
        self.code = chosen_language(code)
        self.changed: Event[str] = Event()

    def set_language(self, code: str) -> None:
        """Switch to ``code``; ``changed`` fires only on a real change.

        Raises :class:`UnknownLanguage` for a code no vocabulary exists for.
        """
        code = chosen_language(code)
        if code != self.code:
            self.code = code
            self.changed.emit(code)
