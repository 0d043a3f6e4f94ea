"""Help → About: the version, the licence, and the versions of every decoder and of Qt."""

from html import escape

import PySide6
from PySide6.QtCore import qVersion

from app import __version__
from app.services.about import LICENCE, LICENCE_TEXT, component_versions


def qt_versions() -> dict[str, str]:
    """PySide6's and the Qt library's versions (only the GUI may ask Qt)."""
    return {"PySide6": PySide6.__version__, "Qt": qVersion()}


def about_html() -> str:
    """The About box: what Lightbox is, its version and licence, then a table of the
    libraries that read the images (the support desk asks for these)."""
    rows = [*component_versions(), *qt_versions().items()]
    table = "".join(f"<tr><td>{escape(name)}&nbsp;&nbsp;</td><td>{escape(version)}</td></tr>"
                    for name, version in rows)
    return (
        f"<h3>Lightbox {escape(__version__)}</h3>"
        "<p>Lightbox reads the discs radiology clinics hand out and shows the images "
        "correctly.</p>"
        f"<p>Free software under the {escape(LICENCE_TEXT)} ({escape(LICENCE)}).</p>"
        f"<p>Decoders and libraries:</p><table>{table}</table>"
    )
