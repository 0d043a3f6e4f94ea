"""The counts and names the simple view for patients says in plain words ("pictures in
sets") while the full view for doctors keeps its own ("images in series", DICOMDIR, PACS)."""

from dataclasses import replace

import pytest

from app.core.models import Problem, ScanReport
from app.services.disc_words import readable_summary
from app.services.sample_disc import write_sample_disc
from app.services.scan import health_summary, scan_report
from app.services.user_mode import PLAIN_TEXTS, shown_text
from app.services.viewer_text import in_sets_text


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ScanReport:
    disc = tmp_path_factory.mktemp("plain") / "disc"
    write_sample_disc(disc, slices=8)
    return scan_report(disc)


def test_counts_in_sets_or_in_series() -> None:
    assert in_sets_text(151, 3, plain=True) == "151 pictures in 3 sets"
    assert in_sets_text(151, 3) == "151 images in 3 series"
    assert in_sets_text(1, 1, plain=True) == "1 picture in 1 set"
    assert in_sets_text(1, 1) == "1 image in 1 series"
    assert in_sets_text(4, 2, 1, plain=True) == "4 pictures, 1 document in 2 sets"


def test_the_look_at_a_whole_disc(report: ScanReport) -> None:
    images = report.instances
    assert health_summary(report) == f"{images} images in 3 series; no problems found"
    assert health_summary(report, plain=True) == (
        f"{images} pictures in 3 sets; no problems found")
    assert readable_summary(report) == health_summary(report)
    assert readable_summary(report, plain=True) == health_summary(report, plain=True)


def test_the_look_at_a_disc_with_problems(report: ScanReport) -> None:
    broken = replace(report, problems=(Problem("a", "mismatch", ""),
                                       Problem("b", "not-dicom", "")),
                     unreferenced=("c",))
    images = report.instances
    assert readable_summary(broken) == f"{images} images in 3 series can be read from this disc."
    assert readable_summary(broken, plain=True) == (
        f"{images} pictures in 3 sets can be read from this disc.")
    assert health_summary(broken) == (
        f"{images} images in 3 series; 1 listed file is not DICOM; 1 file differs from its "
        "DICOMDIR entry; 1 image found that the DICOMDIR does not list")
    assert health_summary(broken, plain=True) == (
        f"{images} pictures in 3 sets; 1 listed file is not a medical picture; 1 file "
        "differs from what the disc's list of pictures says; 1 picture found that the "
        "disc's list of pictures does not list")


def test_an_empty_medium(report: ScanReport) -> None:
    empty = replace(report, patients=())
    assert health_summary(empty) == "No DICOM images were found here."
    assert health_summary(empty, plain=True) == "No pictures were found here."


def test_menu_items_in_the_trades_words_have_plain_names() -> None:
    assert shown_text("Send to &PACS...", plain=True) == (
        "Send to &PACS (a hospital's picture archive)...")
    assert shown_text("Send to &PACS...", plain=False) == "Send to &PACS..."
    assert shown_text("Next &series", plain=True) == "Next &set of pictures"
    assert shown_text("&Quit", plain=True) == "&Quit"  # nothing to say otherwise
    for full, plain in PLAIN_TEXTS.items():
        # The same key letter in both views; no trade word left without its plain one.
        assert full.count("&") == plain.count("&") <= 1
        letter = full[full.index("&") + 1].lower() if "&" in full else ""
        assert letter == (plain[plain.index("&") + 1].lower() if "&" in plain else "")
        assert not any(word in plain for word in ("DICOM", "series", "ISO"))
        # What other sentences call it ("File > Accounts and PACS") is still there.
        assert "PACS" not in full or plain.startswith(full.removesuffix("..."))
