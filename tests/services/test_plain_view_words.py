"""The counts and names the simple view for patients says in plain words ("pictures in
sets") while the full view for doctors keeps its own ("images in series", DICOMDIR, PACS)."""

from dataclasses import replace

import pytest

from app.core.models import Problem, ScanReport
from app.services.disc_words import DiscCompleteness, heading, readable_summary
from app.services.problem_words import (
    KIND_ORDER,
    ProblemDetail,
    ProblemGroup,
    group_problems,
    plain_detail,
    sentence,
)
from app.services.sample_disc import write_sample_disc
from app.services.scan import health_summary, scan_report
from app.services.user_mode import PLAIN_TEXTS, shown_text
from app.services.viewer_text import in_sets_text, library_text


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


def test_the_library_counts_scans_and_pictures_in_the_simple_view() -> None:
    assert library_text(1, 51) == "1 study, 51 images in the library"
    assert library_text(1, 51, plain=True) == "1 scan, 51 pictures in the library"
    assert library_text(3, 1, plain=True) == "3 scans, 1 picture in the library"
    assert library_text(0, 0) == "0 studies, 0 images in the library"
    assert library_text(2, 9, plain=True, language="fr") == (
        "2 examens, 9 images dans la bibliothèque")
    assert library_text(1, 1, plain=True, language="fr") == (
        "1 examen, 1 image dans la bibliothèque")


@pytest.fixture(scope="module")
def broken_disc_report(tmp_path_factory: pytest.TempPathFactory) -> ScanReport:
    """A disc whose list names a file that is junk, one that is gone, and one whose
    file holds another image than the list says."""
    disc = tmp_path_factory.mktemp("broken") / "disc"
    write_sample_disc(disc, slices=8)
    files = sorted(p for p in disc.rglob("*") if p.is_file() and p.name != "DICOMDIR")
    files[0].write_bytes(b"not a picture at all" * 20)
    files[1].unlink()
    return scan_report(disc)


def test_the_problems_of_a_disc_name_no_format_in_the_simple_view(
        broken_disc_report: ScanReport) -> None:
    problems = broken_disc_report.problems
    full = {g.kind: g for g in group_problems(problems)}
    plain = {g.kind: g for g in group_problems(problems, plain=True)}
    assert set(full) == set(plain) == {"missing", "not-dicom"}
    assert [d.detail for d in full["not-dicom"].details] == [
        "The DICOMDIR lists this file, but it is not a DICOM file. This is not a DICOM file."]
    assert [d.detail for d in plain["not-dicom"].details] == [
        "The disc's list of pictures names this file, but it is not a medical picture."]
    assert [d.detail for d in full["missing"].details] == [
        "The DICOMDIR lists this file, but it is not on the disc."]
    assert [d.detail for d in plain["missing"].details] == [
        "The disc's list of pictures names this file, but it is not on the disc."]
    assert heading(full["not-dicom"]) == "Listed as images but not DICOM files (1)"
    assert heading(plain["not-dicom"], plain=True) == (
        "Listed as pictures, but not medical pictures (1)")
    assert heading(full["missing"], plain=True) == heading(full["missing"]) == (
        "Listed on the disc but not there (1)")
    # The sentence a patient reads first counts pictures; the full view's, images.
    assert full["missing"].sentence.startswith("1 image listed on this disc is missing")
    assert plain["missing"].sentence == full["missing"].sentence.replace(
        "1 image listed", "1 picture listed")


def test_every_problem_heading_and_sentence_is_plain_in_the_simple_view() -> None:
    for kind in KIND_ORDER:
        group = ProblemGroup(kind, "", (ProblemDetail("a", ""), ProblemDetail("b", "")))
        words = heading(group, plain=True) + " " + sentence(kind, 2, 5, plain=True)
        assert not any(trade in words for trade in ("DICOM", "decoder", "index")), words
    mismatch = ProblemGroup("mismatch", "", (ProblemDetail("a", ""),))
    assert heading(mismatch) == "Different from what the DICOMDIR says (1)"
    assert heading(mismatch, plain=True) == (
        "Different from what the disc's list of pictures says (1)")
    unsupported = ProblemGroup("unsupported", "", (ProblemDetail("a", ""),))
    assert heading(unsupported) == "In a format no installed decoder can show (1)"
    assert heading(unsupported, plain=True) == "In a format Lightbox cannot show (1)"
    assert sentence("mismatch", 1) == (
        "1 image on this disc differs from what the disc's index says. Lightbox shows what "
        "the image files themselves say.")
    assert sentence("mismatch", 1, plain=True) == (
        "1 image on this disc differs from what the disc's list of pictures says. Lightbox "
        "shows what the image files themselves say.")
    assert plain_detail("The DICOMDIR lists image 1.2 here, but the file holds 1.3.") == (
        "The disc's list of pictures names image 1.2 here, but the file holds 1.3.")
    assert plain_detail("The DICOMDIR could not be read (Input/output error).") == (
        "The disc's list of pictures could not be read (Input/output error).")


def test_an_incomplete_disc_counts_pictures_in_the_simple_view() -> None:
    one = DiscCompleteness(listed=11, missing=1, damaged=0)
    assert one.sentence == one.sentence_for(plain=False) == (
        "1 of 11 images listed on this disc is missing: this disc is incomplete. "
        "Ask the clinic for a new copy.")
    assert one.sentence_for(plain=True) == (
        "1 of 11 pictures listed on this disc is missing: this disc is incomplete. "
        "Ask the clinic for a new copy.")
    both = DiscCompleteness(listed=433, missing=378, damaged=2)
    assert both.sentence == (
        "378 of 433 images listed on this disc are missing and 2 files are damaged: this "
        "disc is incomplete. Ask the clinic for a new copy.")
    assert both.sentence_for(plain=True) == (
        "378 of 433 pictures listed on this disc are missing and 2 files are damaged: this "
        "disc is incomplete. Ask the clinic for a new copy.")
    damaged = DiscCompleteness(listed=5, missing=0, damaged=1)  # files, in both views
    assert damaged.sentence_for(plain=True) == damaged.sentence == (
        "1 file on this disc is damaged and cannot be read: this disc is incomplete. "
        "Ask the clinic for a new copy.")
    assert DiscCompleteness(listed=5, missing=0, damaged=0).sentence_for(plain=True) == ""
    assert sentence("missing", 1, plain=True).startswith("1 picture listed on this disc is ")
    assert sentence("missing", 2, plain=True).startswith("2 pictures listed on this disc are ")
    assert sentence("missing", 1).startswith("1 image listed on this disc is ")
