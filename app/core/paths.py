"""Where Lightbox keeps its library, settings and logs."""

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Lightbox"


def lightbox_home(override: str | os.PathLike[str] | None = None) -> Path:
    """Return the root folder of the library, configuration and logs.

    The order is: an explicit override (``--home``), the ``LIGHTBOX_HOME`` environment
    variable, then the platform's user data folder (e.g. ``~/.local/share/Lightbox``).
    The folder is not created here; callers create what they write.
    """
    if override:
        return Path(override).expanduser()
    env = os.environ.get("LIGHTBOX_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def sample_disc_dir(home: Path) -> Path:
    """Return where ``make run`` keeps the generated demo disc."""
    return home / "sample-disc"


def resources_dir() -> Path:
    """The ``resources/`` folder (icons, the self-test disc): beside the frozen bundle's
    libraries, else at the root of the source tree. It may not exist (a wheel install)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def utf8_escaped(text: str) -> str:
    """``text`` as valid UTF-8 for the index, JSON and the terminal.

    A file name that is not valid UTF-8 on Linux (bytes such as ``\\xff``) reaches Python
    as lone surrogates (PEP 383), which SQLite and a UTF-8 stream refuse. Those bytes are
    written as backslash escapes (``disc\\xff``), like ``os.fsencode(name).decode("utf-8",
    "backslashreplace")``; every valid name is returned unchanged.
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # A surrogate no file name decodes to: escape it as is.
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
