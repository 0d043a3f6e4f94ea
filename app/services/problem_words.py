"""What is wrong with a medium, in plain words for a patient, one sentence per kind.

:func:`group_problems` turns the problems of a scan (``ScanReport.problems``, or the
viewer's ``OpenedDisc.problems``) and the failures of an import (``ImportReport.failed``)
into :class:`ProblemGroup` s: a sentence that says what happened and what to do, and the
per-file details behind it, sorted by path. Every view (CLI, import dialog, viewer) uses
these, so a disc's trouble is said the same way everywhere. No Qt here.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from app.core.models import Problem
from app.services.importing import FailureKind, ImportFailure

# The order groups are shown in: what costs the patient images first.
KIND_ORDER: tuple[FailureKind | str, ...] = (
    "missing", "unreadable", "not-dicom", "unsupported", "outside-media", "disk-full",
    "conflict", "mismatch", "duplicate",
)


@dataclass(frozen=True)
class ProblemDetail:
    """One file behind a group: its path on the medium and what was found, in a sentence."""

    path: str
    detail: str


@dataclass(frozen=True)
class ProblemGroup:
    """All problems of one kind: ``sentence`` for a patient, ``details`` sorted by path."""

    kind: str
    sentence: str
    details: tuple[ProblemDetail, ...]

    @property
    def count(self) -> int:
        """How many files the group is about."""
        return len(self.details)


def _files(count: int) -> str:
    return "1 file" if count == 1 else f"{count} files"


def _images(count: int) -> str:
    return "1 image" if count == 1 else f"{count} images"


def _is(count: int) -> str:
    return "is" if count == 1 else "are"


# The trade's names in the files' own problem sentences (app.media, app.services.scan and
# importing say them for the full view and the command line), and how the simple view for
# patients says them; longest first, so that "a DICOM file" goes before "DICOM".
_PLAIN_PHRASES = (
    ("The DICOMDIR lists", "The disc's list of pictures names"),
    ("The DICOMDIR", "The disc's list of pictures"),
    ("the DICOMDIR", "the disc's list of pictures"),
    ("a DICOMDIR", "a list of pictures"),
    ("not a DICOM file", "not a medical picture"),
    ("DICOM files", "medical pictures"),
    ("DICOM images", "medical pictures"),
    ("DICOM file", "medical picture"),
)


def plain_detail(detail: str) -> str:
    """A file's problem sentence as the simple view for patients says it: the format's
    names (DICOM, DICOMDIR) in words ("The disc's list of pictures names this file, but
    it is not a medical picture.")."""
    for trade, plain in _PLAIN_PHRASES:
        detail = detail.replace(trade, plain)
    # The scan adds the file's own reason after "not a DICOM file", which in plain words
    # says the same again: said once.
    return detail.replace("not a medical picture. This is not a medical picture.",
                          "not a medical picture.")


def sentence(kind: str, count: int, listed: int | None = None, plain: bool = False) -> str:
    """The plain sentence for ``count`` problems of ``kind``.

    ``listed`` is how many images the disc's DICOMDIR lists, when known; it lets the
    sentence about missing images say "378 of 433". ``plain`` (the simple view for
    patients, UserMode.shows_plain_words) calls the disc's index its list of pictures and
    the missing images pictures ("1 of 11 pictures listed on this disc is missing"), as
    the rest of that view does.
    """
    n = count
    if kind == "missing":
        of = f"{n} of {listed}" if listed and listed >= n else str(n)
        noun = "picture" if plain else "image"
        noun += "" if n == 1 and not (listed and listed > 1) else "s"
        return (
            f"{of} {noun} listed on this disc {_is(n)} missing: this disc is incomplete. "
            "Ask the clinic for a new copy."
        )
    if kind == "unreadable":
        return (
            f"{_files(n)} on this disc {_is(n)} damaged and cannot be read. Clean the disc "
            "and try again; if that does not help, ask the clinic for a new copy."
        )
    if kind == "not-dicom":
        what = "as an image is not a medical image" if n == 1 else (
            "as images are not medical images"
        )
        return (
            f"{_files(n)} that this disc lists {what}. "
            "The disc was probably written incorrectly; ask the clinic for a new copy."
        )
    if kind == "unsupported":
        return (
            f"{_images(n)} on this disc {_is(n)} in a format Lightbox cannot show. "
            f"{'It is' if n == 1 else 'They are'} still on the disc; another viewer or the "
            f"clinic may be able to open {'it' if n == 1 else 'them'}."
        )
    if kind == "outside-media":
        return (
            f"{_files(n)} listed on this disc {'points' if n == 1 else 'point'} to places "
            "outside the disc. For your safety Lightbox did not open "
            f"{'it' if n == 1 else 'them'}."
        )
    if kind == "mismatch":
        return (
            f"{_images(n)} on this disc {'differs' if n == 1 else 'differ'} from what the "
            f"disc's {'list of pictures' if plain else 'index'} says. Lightbox shows what "
            "the image files themselves say."
        )
    if kind == "duplicate":
        return (
            f"{_images(n)} {_is(n)} on this disc more than once. Each is shown and kept "
            "once; nothing is lost."
        )
    if kind == "conflict":
        return (
            f"{_images(n)} on this disc {'differs' if n == 1 else 'differ'} from the version "
            "already in your library. Both versions are kept; the one in the library is "
            "unchanged."
        )
    if kind == "disk-full":
        return (
            f"{_files(n)} {'was' if n == 1 else 'were'} not imported because the disk "
            "holding the library is full. Free some space and import again; nothing already "
            "imported is lost."
        )
    return f"{_files(n)} on this disc could not be used."


NOTHING_FOUND = "No DICOM images were found here."


def nothing_to_show(problems: Iterable[Problem], listed: int | None = None) -> str:
    """Why a medium shows no image: the exact sentence ``scan`` has for one bad file,
    the most important group's sentence for several, or that nothing was found."""
    found = list(problems)
    if len(found) == 1:
        return found[0].detail
    groups = group_problems(found, listed=listed)
    return groups[0].sentence if groups else NOTHING_FOUND


def path_order(path: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that puts ``I9`` before ``I10``, as people count (natural order)."""
    return tuple((0, int(part)) if part.isdigit() else (1, part.casefold())
                 for part in re.split(r"(\d+)", path) if part)


def group_problems(
    problems: Iterable[Problem] = (),
    failures: Iterable[ImportFailure] = (),
    listed: int | None = None,
    plain: bool = False,
) -> list[ProblemGroup]:
    """Group scan ``problems`` and import ``failures`` by kind, one sentence each.

    A file reported by both (an import reads what a scan would) is counted once, with the
    scan's detail. Groups come in :data:`KIND_ORDER`; details are sorted by path.
    ``listed`` is how many images the disc lists (see :func:`sentence`); ``plain`` (the
    simple view for patients) says the sentences and the files' details without the
    format's names (:func:`plain_detail`).
    """
    by_kind: dict[str, dict[str, str]] = {}
    for problem in problems:
        by_kind.setdefault(problem.problem, {}).setdefault(problem.path, problem.detail)
    for failure in failures:
        by_kind.setdefault(failure.kind, {}).setdefault(failure.path, failure.error)
    order = {kind: i for i, kind in enumerate(KIND_ORDER)}
    groups = []
    for kind in sorted(by_kind, key=lambda k: (order.get(k, len(order)), k)):
        details = tuple(
            ProblemDetail(path, plain_detail(detail) if plain else detail)
            for path, detail in sorted(by_kind[kind].items(), key=lambda item: path_order(item[0]))
        )
        groups.append(ProblemGroup(kind, sentence(kind, len(details), listed, plain), details))
    return groups
