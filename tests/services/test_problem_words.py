"""Problems in plain words: one sentence per kind, details sorted; and the viewer tells a
single damaged file the way scan does."""

from pathlib import Path
from typing import get_args

import pytest

from app.core.models import Problem, ProblemKind
from app.services.importing import FailureKind, ImportFailure
from app.services.problem_words import KIND_ORDER, group_problems, sentence
from app.services.scan import scan_report
from app.services.viewing import MediumReader
from tests.library.helpers import write_small_disc


def test_missing_images_are_told_against_what_the_disc_lists() -> None:
    problems = [Problem(f"IMG{i:03}", "missing", "not there") for i in range(378, 0, -1)]
    (group,) = group_problems(problems, listed=433)
    assert group.sentence == (
        "378 of 433 images listed on this disc are missing: this disc is incomplete. "
        "Ask the clinic for a new copy."
    )
    assert group.count == 378
    assert [d.path for d in group.details] == sorted(p.path for p in problems)


@pytest.mark.parametrize(
    ("kind", "one", "many"),
    [
        ("missing", "1 image listed on this disc is missing: this disc is incomplete. "
         "Ask the clinic for a new copy.",
         "2 images listed on this disc are missing: this disc is incomplete. "
         "Ask the clinic for a new copy."),
        ("unreadable", "1 file on this disc is damaged and cannot be read. Clean the disc and "
         "try again; if that does not help, ask the clinic for a new copy.",
         "2 files on this disc are damaged and cannot be read. Clean the disc and try again; "
         "if that does not help, ask the clinic for a new copy."),
        ("not-dicom", "1 file that this disc lists as an image is not a medical image. The disc "
         "was probably written incorrectly; ask the clinic for a new copy.",
         "2 files that this disc lists as images are not medical images. The disc was "
         "probably written incorrectly; ask the clinic for a new copy."),
        ("unsupported", "1 image on this disc is in a format Lightbox cannot show. It is still "
         "on the disc; another viewer or the clinic may be able to open it.",
         "2 images on this disc are in a format Lightbox cannot show. They are still on the "
         "disc; another viewer or the clinic may be able to open them."),
        ("outside-media", "1 file listed on this disc points to places outside the disc. For "
         "your safety Lightbox did not open it.",
         "2 files listed on this disc point to places outside the disc. For your safety "
         "Lightbox did not open them."),
        ("mismatch", "1 image on this disc differs from what the disc's index says. Lightbox "
         "shows what the image files themselves say.",
         "2 images on this disc differ from what the disc's index says. Lightbox shows what "
         "the image files themselves say."),
        ("duplicate", "1 image is on this disc more than once. Each is shown and kept once; "
         "nothing is lost.",
         "2 images are on this disc more than once. Each is shown and kept once; nothing is "
         "lost."),
        ("conflict", "1 image on this disc differs from the version already in your library. "
         "Both versions are kept; the one in the library is unchanged.",
         "2 images on this disc differ from the version already in your library. Both "
         "versions are kept; the one in the library is unchanged."),
        ("disk-full", "1 file was not imported because the disk holding the library is full. "
         "Free some space and import again; nothing already imported is lost.",
         "2 files were not imported because the disk holding the library is full. Free some "
         "space and import again; nothing already imported is lost."),
    ],
)
def test_every_kind_has_its_sentence(kind: str, one: str, many: str) -> None:
    assert sentence(kind, 1) == one
    assert sentence(kind, 2) == many


def test_every_problem_and_failure_kind_is_worded_and_ordered() -> None:
    kinds = set(get_args(ProblemKind)) | set(get_args(FailureKind))
    assert kinds == set(KIND_ORDER)
    for kind in kinds:
        assert "could not be used" not in sentence(kind, 3)


def test_scan_problems_and_import_failures_group_together_once_per_file() -> None:
    groups = group_problems(
        [Problem("b/2", "unreadable", "The file is damaged: cut."),
         Problem("x", "duplicate", "another copy")],
        [ImportFailure("b/2", "It could not be read from the disc (EIO).", "unreadable"),
         ImportFailure("a/1", "It could not be read from the disc (EIO).", "unreadable"),
         ImportFailure("z", "Not imported: the disk holding the library is full.",
                       "disk-full")],
    )
    assert [g.kind for g in groups] == ["unreadable", "disk-full", "duplicate"]
    unreadable = groups[0]
    assert unreadable.sentence.startswith("2 files on this disc are damaged")
    assert [(d.path, d.detail) for d in unreadable.details] == [
        ("a/1", "It could not be read from the disc (EIO)."),
        ("b/2", "The file is damaged: cut."),
    ]


def test_no_problems_no_groups() -> None:
    assert group_problems() == []


def test_a_single_damaged_file_opened_alone_gets_the_scan_sentence(tmp_path: Path) -> None:
    disc = write_small_disc(tmp_path / "disc")
    victim = max((p for p in disc.rglob("*") if p.is_file() and p.name != "DICOMDIR"),
                 key=lambda p: p.stat().st_size)
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])

    scanned = scan_report(cut)
    reader = MediumReader(cut)
    try:
        opened = reader.open()
    finally:
        reader.close()
    assert scanned.problems and opened.problems == scanned.problems
    assert opened.listed == () and opened.unlisted == ()
    (group,) = group_problems(opened.problems)
    assert group.kind == "unreadable"


def test_a_single_good_file_opened_alone_is_shown_at_once(tmp_path: Path) -> None:
    disc = write_small_disc(tmp_path / "disc")
    image = next(p for p in sorted(disc.rglob("*")) if p.is_file() and p.name != "DICOMDIR")
    reader = MediumReader(image)
    try:
        opened = reader.open()
    finally:
        reader.close()
    assert opened.problems == () and opened.unlisted == ()
    assert [ref.path for ref in opened.listed] == [image.name]


def test_details_come_in_the_order_people_count() -> None:
    from app.core.models import Problem
    from app.services.problem_words import group_problems

    problems = [Problem(f"S2010/I{n}", "missing", "gone.") for n in (100, 9, 10, 20)]
    (group,) = group_problems(problems)
    assert [d.path for d in group.details] == ["S2010/I9", "S2010/I10", "S2010/I20",
                                               "S2010/I100"]
