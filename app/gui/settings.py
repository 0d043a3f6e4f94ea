"""Where the viewer keeps its settings: a file in the Lightbox home folder."""

from PySide6.QtCore import QSettings

from app.core.paths import lightbox_home


def app_settings() -> QSettings:
    """The settings file under LIGHTBOX_HOME (so a test or a second profile is separate)."""
    return QSettings(str(lightbox_home() / "settings.ini"), QSettings.Format.IniFormat)
