"""The viewer says what is wrong with a medium in the same words as scan and import."""

import shutil
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.gui.main_window import MainWindow
from app.samples.disc_writer import write_sample_disc
from app.services.disc_words import completeness
from app.services.problem_words import sentence
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


def test_a_listed_file_that_is_not_dicom_is_told_as_the_scan_tells_it(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    """The viewer trusts the disc's list to open fast; a listed file that turns out to be
    junk when its picture is read joins the problems, in the scan's words and count, and
    leaves the tree as it is not in the scan's."""
    disc = tmp_path / "disc"
    write_sample_disc(disc, slices=8)
    files = sorted(p for p in disc.rglob("*") if p.is_file() and p.name != "DICOMDIR")
    files[0].write_bytes(b"autorun junk, not an image " * 20)
    files[3].unlink()
    report = scan_report(disc)
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(disc)
    session = window.session
    assert session is not None
    qtbot.waitUntil(lambda: len(session.problems) == 2, timeout=TIMEOUT)
    assert set(session.problems) == set(report.problems)
    bar = window.page.problem_bar
    assert bar.sentences.text().splitlines()[0] == sentence("missing", 1, report.listed)
    assert completeness(report).incomplete  # the import dialog's verdict agrees
    assert report.listed == 11  # the disc's list, the junk file and the lost one included
    assert "1 of 11 images listed on this disc is missing" in bar.sentences.text()
    assert [n for _heading, n in bar.details.groups()] == [1, 1]
    # The junk file holds no image: the tree drops it, and counts what the scan counts.
    junk_path = files[0].relative_to(disc).as_posix()
    qtbot.waitUntil(lambda: sum(s.instance_count for p in window.viewer.patients
                                for s in p.studies) == report.instances, timeout=TIMEOUT)
    assert not any(i.path == junk_path for p in window.viewer.patients for st in p.studies
                   for s in st.series for i in s.instances)
    assert window.summary.text() == (
        f"{report.instances} images in {report.series_count} series; 2 files with problems "
        "(see above the image)")


def test_one_problem_is_counted_in_the_singular(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    disc = tmp_path / "disc"
    write_sample_disc(disc, slices=8)
    next(p for p in sorted(disc.rglob("IM*")) if p.is_file()).unlink()
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(disc)
    qtbot.waitUntil(lambda: window.progress.isHidden(), timeout=TIMEOUT)
    assert window.summary.text().endswith("; 1 file with a problem (see above the image)")
