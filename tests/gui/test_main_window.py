"""The main window lists the studies of an opened disc and says what is wrong with it."""

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.gui.main_window import MainWindow


def test_opens_a_disc_and_lists_its_tree(qtbot: QtBot, corpus: Path) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_path(corpus / "discs" / "philips_ct_dirfile_trimmed")
    qtbot.waitUntil(lambda: window.report is not None, timeout=30_000)
    patient = window.tree.topLevelItem(0)
    assert patient.text(0) == "HEAD"
    study = patient.child(0)
    assert study.text(1) == "55"
    series_counts = sorted(int(study.child(i).text(1)) for i in range(study.childCount()))
    assert series_counts == [1, 54]
    assert window.summary.text() == "55 images in 2 series; 378 referenced files missing"


def test_unreadable_source_gives_one_sentence(qtbot: QtBot, tmp_path: Path) -> None:
    shown: list[str] = []
    window = MainWindow()
    qtbot.addWidget(window)
    window._on_failed = shown.append  # type: ignore[method-assign]
    # Reconnecting is not needed: the signal is connected when the task starts.
    window.open_path(tmp_path / "no-such-disc")
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert shown == [f"There is no disc, folder or file at {tmp_path / 'no-such-disc'}."]
