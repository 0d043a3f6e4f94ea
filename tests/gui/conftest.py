"""GUI fixtures: an isolated settings home, and sample discs written once per session."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.gui.main_window import MainWindow
from app.samples.disc_writer import write_sample_disc


@pytest.fixture(autouse=True)
def lightbox_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings (geometry, recent items) go to a fresh folder, never the user's.

    The window starts in the full view for doctors there (every tool, the tag browser,
    the corner values), which most GUI tests exercise; a test of the simple view, or of
    a new install's first start, asks for ``fresh_settings``.
    """
    home = tmp_path / "home"
    monkeypatch.setenv("LIGHTBOX_HOME", str(home))
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.ini").write_text("[view]\nmode=doctor\n", encoding="utf-8")
    return home


@pytest.fixture
def fresh_settings(lightbox_home: Path) -> Path:
    """A settings store as a new install has it: no file at all."""
    (lightbox_home / "settings.ini").unlink()
    return lightbox_home


@pytest.fixture(scope="session")
def ct_disc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 120-slice 256x256 sample CT disc (151 images)."""
    disc = tmp_path_factory.mktemp("gui") / "disc"
    write_sample_disc(disc, slices=120, rows=256, columns=256, seed=7)
    return disc


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    main = MainWindow()
    qtbot.addWidget(main)
    main.resize(1000, 700)
    main.show()
    yield main
    main.close()


@pytest.fixture
def new_window(qtbot: QtBot, fresh_settings: Path) -> Iterator[MainWindow]:
    """The main window of a new install (no settings file): the simple view, English."""
    main = MainWindow()
    qtbot.addWidget(main)
    main.resize(1100, 750)
    main.show()
    yield main
    main.close()


@pytest.fixture
def broken_disc(tmp_path: Path) -> Path:
    """A disc whose list of pictures names a file that is junk and one that is gone."""
    disc = tmp_path / "broken"
    write_sample_disc(disc, slices=8)
    files = sorted(p for p in disc.rglob("*") if p.is_file() and p.name != "DICOMDIR")
    files[0].write_bytes(b"not a picture at all" * 20)
    files[1].unlink()
    return disc
