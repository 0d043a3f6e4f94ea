"""Fixtures the service tests share: a small sample disc and a fresh library."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.library.library import Library
from tests.library.helpers import write_small_disc


@pytest.fixture(scope="module")
def small_disc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 11-image sample disc (read only: tests copy it before changing anything)."""
    return write_small_disc(tmp_path_factory.mktemp("small") / "disc")


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    """A fresh library in a temporary home."""
    with Library(tmp_path / "home") as opened:
        yield opened
