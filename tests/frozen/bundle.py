"""The frozen bundle (pyinstaller.spec), built once per spec, sources and PyInstaller version.

Builds go to ``.cache/frozen/<hash>/``; a finished build is marked by a ``.complete`` file,
so an interrupted one is rebuilt. Also used by ``make bench``.
"""

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "frozen"


def source_hash() -> str:
    """A hash of everything the bundle is made from."""
    digest = hashlib.sha256()
    from PyInstaller import __version__ as pyinstaller_version

    digest.update(pyinstaller_version.encode())
    digest.update(sys.version.encode())
    files = [REPO / "pyinstaller.spec", REPO / "pyproject.toml",
             *sorted((REPO / "app").rglob("*.py")), *sorted((REPO / "resources").rglob("*"))]
    for path in files:
        if path.is_file():
            digest.update(str(path.relative_to(REPO)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def pyinstaller_missing() -> str:
    """Why the bundle cannot be built here ("" when it can)."""
    if importlib.util.find_spec("PyInstaller") is None:
        return "PyInstaller is not installed (pip install -e '.[test]')"
    return ""


def build_bundle() -> Path:
    """The bundle folder (``.../Lightbox``), built now unless a build of these sources is
    cached. Raises RuntimeError with PyInstaller's output when the build fails."""
    target = CACHE / source_hash()
    bundle = target / "dist" / "Lightbox"
    if (target / ".complete").is_file() and bundle.is_dir():
        return bundle
    if CACHE.is_dir():  # builds of older sources
        for old in CACHE.iterdir():
            shutil.rmtree(old, ignore_errors=True)
    target.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(target / "dist"), "--workpath", str(target / "build"),
         str(REPO / "pyinstaller.spec")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    if done.returncode != 0 or not bundle.is_dir():
        raise RuntimeError(f"PyInstaller failed ({done.returncode}):\n{done.stderr[-4000:]}")
    shutil.rmtree(target / "build", ignore_errors=True)
    (target / ".complete").write_text("ok\n")
    return bundle


def executable(bundle: Path) -> Path:
    """The CLI executable in the bundle."""
    if sys.platform == "win32":
        return bundle / "lightbox-cli.exe"
    if sys.platform == "darwin":
        return bundle / "Lightbox"
    return bundle / "lightbox"


def bundle_size(bundle: Path) -> int:
    """Bytes the unpacked bundle takes (files, not symlinks)."""
    return sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment with nothing from the venv: system PATH, no PYTHONPATH/VIRTUAL_ENV."""
    keep = ("LANG", "LC_ALL", "TZ", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(PATH="/usr/local/bin:/usr/bin:/bin", HOME=str(home / "user"),
               LIGHTBOX_HOME=str(home / "home"), XDG_DATA_HOME=str(home / "xdg-data"),
               XDG_CONFIG_HOME=str(home / "xdg-config"), **extra)
    return env
