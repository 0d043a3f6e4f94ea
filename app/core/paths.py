"""Where Lightbox keeps its library, settings and logs."""

import os
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
