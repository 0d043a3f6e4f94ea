"""Shared by the packaging tests: the installer scripts loaded as modules, and paths."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from tests.conftest import REPO

RESOURCES = REPO / "resources"
APP_ID = "org.lightbox.Lightbox"


def load_script(relative: str) -> ModuleType:
    """Import a script under installers/ (not a package) by its path."""
    path = REPO / relative
    name = "_lightbox_" + path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def build_deb() -> ModuleType:
    """installers/linux/build_deb.py."""
    return load_script("installers/linux/build_deb.py")


def stand_in_bundle(folder: Path, version: str) -> Path:
    """A folder shaped like the PyInstaller bundle: a ``lightbox`` that prints its version."""
    bundle = folder / "Lightbox"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "_internal" / "base_library.zip").write_bytes(b"stand-in")
    cli = bundle / "lightbox"
    cli.write_text(
        "#!/bin/sh\n"
        "# Stand-in for the frozen CLI.\n"
        f'[ "$1" = "--version" ] && echo "lightbox {version}" && exit 0\n'
        "exit 2\n"
    )
    cli.chmod(0o700)  # The build must fix modes from the machine it ran on.
    return bundle
