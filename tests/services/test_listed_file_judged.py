"""A disc's listed files are trusted when the viewer opens it (nothing is read but the
directory); one whose picture cannot be shown is judged as ``lightbox scan`` judges it,
so the viewer and the scan say the same problems and the same count of listed images."""

from pathlib import Path

import pytest

from app.samples.disc_writer import write_sample_disc
from app.services.disc_words import completeness
from app.services.scan import scan_report
from app.services.viewing import MediumReader


@pytest.fixture
def disc(tmp_path: Path) -> Path:
    """A sample disc whose list names one junk file, one cut-short file and one gone."""
    disc = tmp_path / "disc"
    write_sample_disc(disc, slices=8)
    files = sorted(p for p in disc.rglob("*") if p.is_file() and p.name != "DICOMDIR")
    files[0].write_bytes(b"<html>a viewer's page, not an image</html>" * 10)
    files[2].write_bytes(files[2].read_bytes()[:200])  # the header cut short
    files[3].unlink()
    return disc


def test_the_reader_judges_a_listed_file_as_the_scan_does(disc: Path) -> None:
    report = scan_report(disc)
    by_path = {p.path: p for p in report.problems}
    reader = MediumReader(disc)
    opened = reader.open()
    listed = {i.path for i in opened.listed}
    judged = {path: reader.judge_listed(path) for path in sorted(listed)}
    problems = {path: p for path, p in judged.items() if p is not None}
    # Every listed file the scan finds wrong (the missing one aside: the directory
    # already says so when opened) is judged the same, and no good file is.
    assert problems == {path: p for path, p in by_path.items() if p.problem != "missing"}
    assert sorted(p.problem for p in problems.values()) == ["not-dicom", "unreadable"]
    assert [p.problem for p in opened.problems] == ["missing"]
    reader.close()


def test_the_scan_counts_the_listed_files_as_the_viewer_does(disc: Path) -> None:
    report = scan_report(disc)
    reader = MediumReader(disc)
    opened = reader.open()
    assert report.listed == opened.listed_count == 11
    # Junk and damaged files count among the listed: "1 of 11", not "1 of 9".
    assert completeness(report).sentence.startswith(
        "1 of 11 images listed on this disc is missing and 2 files are damaged")
    reader.close()


def test_a_good_listed_file_has_nothing_to_say(tmp_path: Path) -> None:
    write_sample_disc(tmp_path / "good", slices=4)
    reader = MediumReader(tmp_path / "good")
    opened = reader.open()
    assert all(reader.judge_listed(i.path) is None for i in opened.listed)
    reader.close()


def test_a_disc_whose_list_names_junk_is_incomplete(tmp_path: Path) -> None:
    """Only a junk file in the list, nothing missing: the import dialog still says the disc
    is incomplete before the import fails that file, not after."""
    disc = tmp_path / "junk"
    write_sample_disc(disc, slices=4)
    files = sorted(p for p in disc.rglob("*") if p.is_file() and p.name != "DICOMDIR")
    files[1].write_bytes(b"not an image " * 30)
    said = completeness(scan_report(disc))
    assert (said.missing, said.damaged, said.incomplete) == (0, 1, True)
    assert said.sentence == ("1 file on this disc is damaged and cannot be read: this disc "
                             "is incomplete. Ask the clinic for a new copy.")
