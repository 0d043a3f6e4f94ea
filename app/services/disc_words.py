"""What is wrong with a disc and what an import achieved, in words a patient can read.

Qt-free, so the import dialog, the CLI and tests say the same sentences. A disc whose
DICOMDIR lists images that are not on it is *incomplete*: that is said first, once, with a
count ("378 of 433 images listed on this disc are missing"), and the file-by-file list is
grouped by kind behind it (``app.services.problem_words``), never 378 identical lines.
After an import, "safe to eject" is said only when every image was stored.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from app.core.models import NO_IMAGE_PROBLEMS, PatientNode, ScanReport
from app.services.importing import ImportReport
from app.services.problem_words import ProblemGroup, sentence
from app.services.viewer_text import in_sets_text

# Headings of the groups in the details, by problem kind (the order they are shown in).
KIND_TITLES = {
    "missing": "Listed on the disc but not there",
    "disk-full": "Not tried: the disk holding the library is full",
    "conflict": "A different version is already in the library (both kept)",
    "unreadable": "Damaged or unreadable",
    "not-dicom": "Listed as images but not DICOM files",
    "outside-media": "Pointing outside the disc (not opened)",
    "mismatch": "Different from what the DICOMDIR says",
    "duplicate": "Copies of the same image (counted once)",
    "unsupported": "In a format no installed decoder can show",
}
# The same headings in the simple view for patients, where the format's names (DICOM,
# DICOMDIR) and the decoder mean nothing; the other kinds are said the same in both.
PLAIN_KIND_TITLES = {
    **KIND_TITLES,
    "not-dicom": "Listed as pictures, but not medical pictures",
    "mismatch": "Different from what the disc's list of pictures says",
    "unsupported": "In a format Lightbox cannot show",
}

NEW_COPY = "Ask the clinic for a new copy."
SEX_WORDS = {"M": "male", "F": "female", "O": "other"}
UNATTRIBUTED = "Images not linked to any patient"


def heading(group: ProblemGroup, plain: bool = False) -> str:
    """A group's short heading in the details: "Listed on the disc but not there (378)";
    ``plain`` (the simple view for patients, UserMode.shows_plain_words) names the kind
    without the format's names: "Listed as pictures, but not medical pictures (2)"."""
    titles = PLAIN_KIND_TITLES if plain else KIND_TITLES
    return f"{titles.get(group.kind, group.kind)} ({group.count})"


@dataclass(frozen=True)
class DiscCompleteness:
    """How many images the disc's directory lists and how many of those cannot be had."""

    listed: int
    missing: int
    damaged: int

    @property
    def incomplete(self) -> bool:
        """True when images the disc should hold are not there or cannot be read."""
        return self.missing > 0 or self.damaged > 0

    @property
    def sentence(self) -> str:
        """The first thing the import dialog says about an incomplete disc ("" if whole)."""
        return self.sentence_for(plain=False)

    def sentence_for(self, plain: bool = False) -> str:
        """:attr:`sentence` in the simple view for patients (``plain``, i.e.
        UserMode.shows_plain_words), which counts pictures ("1 of 11 pictures listed on
        this disc is missing: ..."), or in the full view (images)."""
        if self.missing and self.damaged:
            return (f"{self.missing} of {self.listed} {_image(plain)}s listed on this disc "
                    f"{'is' if self.missing == 1 else 'are'} missing "
                    f"and {_count(self.damaged, 'file is', 'files are')} damaged: this disc "
                    f"is incomplete. {NEW_COPY}")
        if self.missing:
            return sentence("missing", self.missing, self.listed, plain)
        if self.damaged:
            return (f"{_count(self.damaged, 'file', 'files')} on this disc "
                    f"{'is' if self.damaged == 1 else 'are'} damaged and cannot be read: "
                    f"this disc is incomplete. {NEW_COPY}")
        return ""


def completeness(report: ScanReport) -> DiscCompleteness:
    """Listed, missing and damaged images of a scanned disc."""
    missing = sum(1 for p in report.problems if p.problem == "missing")
    # A file the list names that is not DICOM at all is a listed image that cannot be
    # had, as a damaged one (the import fails it the same way).
    damaged = sum(1 for p in report.problems if p.problem in NO_IMAGE_PROBLEMS)
    # The directories' own count when read; else what was found of them.
    listed = report.listed or report.instances - len(report.unreferenced) + missing
    return DiscCompleteness(listed=max(listed, missing), missing=missing, damaged=damaged)


@dataclass(frozen=True)
class ImportOutcome:
    """What an import achieved, in two sentences: what is stored, and whether the disc may
    be ejected (or what to do instead)."""

    stored: str
    eject: str
    all_stored: bool


def import_outcome(report: ImportReport, left_out: int = 0,
                   plain: bool = False) -> ImportOutcome:
    """The sentences after an import; ``left_out`` counts the images of patients the user
    chose not to import (not a failure). "Safe to eject" only when every image the medium
    lists or holds (of the chosen patients) is stored. ``plain`` (the simple view for
    patients, UserMode.shows_plain_words) says pictures where the full view says images
    ("51 pictures are stored on this computer ...")."""
    image = _image(plain)
    text = (f"{_count(report.stored, f'{image} is', f'{image}s are')} stored on this computer "
            f"({report.imported} new, {report.already_present} already in the library).")
    if report.repaired:
        text += (f" {_count(report.repaired, f'stored {image} was', f'stored {image}s were')} "
                 "missing or damaged in the library and restored from this disc.")
    if left_out:
        text += (f" {_count(left_out, image, f'{image}s')} of patients you did not choose "
                 f"{'was' if left_out == 1 else 'were'} left on the disc.")
    if report.stopped:
        return ImportOutcome(text, f"{report.stopped} Not everything is stored: keep the disc.",
                             False)
    if report.all_stored:
        eject = (f"Safe to eject: every {image} you chose is stored on this computer."
                 if left_out else f"Safe to eject: every {image} is stored on this computer.")
        return ImportOutcome(text, eject, True)
    if report.images == 0:
        return ImportOutcome(text, f"No {image}s were found here.", False)
    not_stored = report.not_stored
    missing = sum(1 for f in report.failed if f.kind == "missing")
    text += (f" {_count(not_stored, f'{image} is', f'{image}s are')} not"
             + (f": {missing} of the {report.listed} {image}s listed on the disc "
                f"{'is' if missing == 1 else 'are'} not on it." if missing else "."))
    if missing:
        eject = ("Not everything is stored: this disc is incomplete. Keep the disc and ask "
                 "the clinic for a new copy.")
    else:
        eject = ("Not everything is stored: keep the disc. Importing it again may read "
                 "the files that failed; they are listed under Details.")
    return ImportOutcome(text, eject, False)


def readable_summary(report: ScanReport, plain: bool = False) -> str:
    """What can be read from the medium, in one line: the scan's summary when nothing is
    wrong, else only the readable part (the problems have their own sentences above it).
    ``plain`` (the simple view for patients, UserMode.shows_plain_words) counts pictures
    in sets, as the status bar does, not images in series."""
    from app.services.scan import health_summary

    if not report.problems and not report.unreferenced:
        return health_summary(report, plain)
    if report.instances == 0:
        return ("No picture on this disc can be read." if plain
                else "No image on this disc can be read.")
    return (f"{in_sets_text(report.instances, report.series_count, plain=plain)} can be "
            "read from this disc.")


def sex_words(code: str) -> str:
    """Patient's Sex (M/F/O) as a word; "" when unknown."""
    return SEX_WORDS.get(code.strip().upper(), "")


def is_unattributed(patient: PatientNode) -> bool:
    """True for the node holding images that name no patient at all."""
    return patient.unattributed


def patients_sentence(patients: Iterable[PatientNode]) -> str:
    """"This disc holds images of 2 different patients." ("" for one patient)."""
    real = [p for p in patients if not is_unattributed(p)]
    if len(real) > 1:
        return f"This disc holds images of {len(real)} different patients."
    return ""


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _image(plain: bool) -> str:
    # The simple view for patients says "picture" where the full view says "image".
    return "picture" if plain else "image"
