"""Fixtures for the library tests: a fresh library in a temporary home."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.library.library import Library
from app.library.store import FileStore


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty LIGHTBOX_HOME."""
    return tmp_path / "home"


@pytest.fixture
def library(home: Path) -> Iterator[Library]:
    """A fresh library, closed after the test."""
    with Library(home) as opened:
        yield opened


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    """A fresh file store."""
    return FileStore(tmp_path / "store")
