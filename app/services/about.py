"""What Help → About shows: the version, the licence and the decoders' versions."""

from importlib import metadata

LICENCE = "GPL-3.0-or-later"
LICENCE_TEXT = "GNU General Public License, version 3 or (at your option) any later version"

# Distribution names as pip knows them, with the module to ask when a frozen bundle
# carries no metadata for a package.
COMPONENTS: tuple[tuple[str, str], ...] = (
    ("pydicom", "pydicom"),
    ("pylibjpeg", "pylibjpeg"),
    ("pylibjpeg-libjpeg", "libjpeg"),
    ("pylibjpeg-openjpeg", "openjpeg"),
    ("pylibjpeg-rle", "rle"),
    ("pyjpegls", "jpeg_ls"),
    ("imagecodecs", "imagecodecs"),
    ("pillow", "PIL"),
    ("numpy", "numpy"),
)
NOT_INSTALLED = "not installed"


def component_version(distribution: str, module: str | None = None) -> str:
    """The installed version of ``distribution``, else ``module.__version__`` when the
    module is importable, else ``"not installed"``."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        pass
    if module is None:
        return NOT_INSTALLED
    import importlib

    try:
        found = importlib.import_module(module)
    except Exception:  # Any import failure means: not usable here.
        return NOT_INSTALLED
    version = getattr(found, "__version__", None)
    return str(version) if version else "unknown version"


def component_versions() -> list[tuple[str, str]]:
    """``(name, version)`` of every decoder and library Lightbox reads images with; the
    GUI adds PySide6 and Qt (only it may import them)."""
    return [(name, component_version(name, module)) for name, module in COMPONENTS]
