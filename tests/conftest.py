"""Shared fixtures: the corpus, external tools, and Qt without a screen."""

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

# Before anything imports Qt: without a display, Qt would abort the whole run.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
IN_CI = os.environ.get("CI", "").lower() == "true"

settings.register_profile(
    "lightbox", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=IN_CI
)
settings.load_profile("lightbox")


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason`` locally; under CI=true a missing prerequisite is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: prerequisites must be installed)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared corpus of real discs and odd files, read in place."""
    if not (CORPUS / "MANIFEST.tsv").is_file():
        skip_or_fail(f"the test corpus is missing: expected it at {CORPUS}")
    return CORPUS


def tool(name: str, package: str) -> str:
    """The path of an external program, or skip/fail naming the Debian package."""
    path = shutil.which(name, path="/usr/bin:/usr/local/bin:/bin") or shutil.which(name)
    if path is None:
        skip_or_fail(f"{name} is not installed (Debian package: {package})")
    assert path is not None
    return path


# Audit hooks cannot be removed, so one hook is installed for the session and tests
# switch recording on and off through this list.
_OPEN_LOG: list[list[str]] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _OPEN_LOG and isinstance(args[0], (str, bytes, os.PathLike)):
        _OPEN_LOG[-1].append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


@pytest.fixture
def opened_files() -> Iterator[list[str]]:
    """Every path the process opens while the test runs (Python's audit 'open' event)."""
    log: list[str] = []
    _OPEN_LOG.append(log)
    yield log
    _OPEN_LOG.remove(log)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """LIGHTBOX_HOME for in-process CLI runs (restored after the test)."""
    folder = tmp_path / "home"
    monkeypatch.setenv("LIGHTBOX_HOME", str(folder))
    return folder
