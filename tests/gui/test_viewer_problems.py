"""The viewer says what is wrong with a medium in the same words as scan and import."""

import shutil
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.gui.main_window import MainWindow
from app.services.scan import scan_report

TIMEOUT = 30_000


def test_a_damaged_file_says_why_not_that_nothing_was_found(
    window: MainWindow, qtbot: QtBot, corpus: Path
) -> None:
    path = corpus / "files" / "broken" / "MR_truncated.dcm"
    (problem,) = scan_report(path).problems
    with qtbot.waitSignal(window.nothing_to_show, timeout=TIMEOUT) as said:
        window.open_path(path)
    assert said.args == [problem.detail]
    assert window.viewport.message == problem.detail
    assert "No DICOM images" not in window.viewport.message


def test_a_damaged_file_in_a_folder_is_reported_beside_the_good_ones(
    window: MainWindow, qtbot: QtBot, corpus: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    shutil.copy(corpus / "files" / "broken" / "MR_truncated.dcm", folder / "a.dcm")
    shutil.copy(corpus / "files" / "series_mr_wrist" / "MR01.dcm", folder / "b")
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(folder)
    bar = window.page.problem_bar
    qtbot.waitUntil(lambda: bar.isVisibleTo(window), timeout=TIMEOUT)
    assert bar.sentences.text().startswith("1 file on this disc is damaged")
    assert bar.details.groups() == [(bar.details.tree.topLevelItem(0).text(0), 1)]
    assert "truncated" in bar.details.tree.topLevelItem(0).child(0).text(0)


def test_an_incomplete_disc_says_so_above_the_image(
    window: MainWindow, qtbot: QtBot, corpus: Path
) -> None:
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(corpus / "discs" / "philips_ct_dirfile_trimmed")
    bar = window.page.problem_bar
    assert bar.isVisibleTo(window)
    assert bar.sentences.text() == (
        "378 of 433 images listed on this disc are missing: this disc is incomplete. "
        "Ask the clinic for a new copy.")
    assert [n for _heading, n in bar.details.groups()] == [378]
    assert not bar.details.tree.isVisibleTo(window)  # Behind "Details" until asked for.
    # A medium without problems clears the bar.
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(corpus / "discs" / "clunie_charset")
    assert not bar.isVisibleTo(window)
