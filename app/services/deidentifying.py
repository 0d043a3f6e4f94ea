"""De-identified copies from the library: the user's choices, the transform an export or a
share uses, the black-out rules the GUI edits, and finding the original of a pseudonymous
study.

The engine is ``app.deidentify`` (no library inside); this module gives it the library's
secret and the rules kept beside the library, so every copy made from one library agrees
on UIDs, date offsets and pseudonyms. The CLI and the GUI never see the engine: they pass
a :class:`DeidentifyOptions` to ``LibraryService.export`` or
``LibraryService.share_without_name``, and edit rules through ``LibraryService``.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from pydicom.dataset import Dataset

from app.core.dicom_values import to_int, to_text
from app.core.errors import ExcludedFromExport
from app.deidentify.blackout import (
    RULES_FILE_NAME,
    BlackoutRule,
    Rectangle,
    load_rules,
    put_rule,
    save_rules,
)
from app.deidentify.deidentifier import Deidentifier, DeidentifyNote
from app.deidentify.deidentifier import DeidentifyOptions as EngineOptions
from app.deidentify.keys import Pseudonymizer
from app.library.library import Library
from app.services.copy_options import DeidentifyOptions
from app.services.exporting import ExportProgress, ExportReport, Format, export_studies
from app.services.viewer_text import modality_words

__all__ = [
    "BlackoutRule", "Deidentifier", "DeidentifyNote", "DeidentifyOptions",
    "ExportDeidentifier", "Rectangle", "blackout_rules", "blackout_rules_file",
    "deidentifier_for", "delete_blackout_rule", "export_deidentified", "export_deidentifier",
    "original_study_uid",
    "save_blackout_rule",
]

COULD_NOT = "It could not be de-identified, so it was left out."


def blackout_rules_file(home: Path) -> Path:
    """Where the black-out rules of the library in ``home`` are kept."""
    return home / RULES_FILE_NAME


def blackout_rules(home: Path) -> list[BlackoutRule]:
    """The saved black-out rules (none yet: an empty list)."""
    return load_rules(blackout_rules_file(home))


def save_blackout_rule(home: Path, rule: BlackoutRule) -> None:
    """Save a rule for its modality and image size (replacing the previous one)."""
    put_rule(blackout_rules_file(home), rule)


def delete_blackout_rule(home: Path, modality: str, rows: int, columns: int) -> bool:
    """Forget the rule for this modality and image size; False when there was none."""
    rules = blackout_rules(home)
    key = (modality.upper(), rows, columns)
    kept = [rule for rule in rules if rule.key != key]
    if len(kept) == len(rules):
        return False
    save_rules(blackout_rules_file(home), kept)
    return True


def deidentifier_for(
    library: Library, patient_name: str | None = None, patient_id: str | None = None,
    include_burned_in: bool = False,
) -> Deidentifier:
    """The transform for de-identified copies from ``library``: its secret, its saved
    black-out rules and the user's choices."""
    options = EngineOptions(
        patient_name=patient_name, patient_id=patient_id,
        include_burned_in=include_burned_in,
        blackout_rules=tuple(blackout_rules(library.home)),
    )
    return Deidentifier(library.deidentification_secret(), options)


class ExportDeidentifier:
    """The export transform (``app.services.exporting``) for a de-identified copy: each
    image the engine leaves out raises ExcludedFromExport with the engine's own sentence,
    so the export's warning says why (burned-in text, pixels that cannot be blacked out).

    Images chosen one by one (SOP Instance UIDs): those in ``excluded`` are left out,
    those in ``included`` go through ``as_is``, an engine under the same secret that
    includes burned-in images and applies no rule (so the copy's UIDs and pseudonyms are
    the same whichever engine made an image)."""

    def __init__(self, engine: Deidentifier, as_is: Deidentifier | None = None,
                 excluded: frozenset[str] = frozenset(),
                 included: frozenset[str] = frozenset()) -> None:
        self.engine = engine
        self.as_is = as_is
        self.excluded = excluded
        self.included = included if as_is is not None else frozenset()

    def __call__(self, ds: Dataset) -> Dataset:
        uid = str(ds.get("SOPInstanceUID", "") or "")
        if uid in self.excluded:
            raise ExcludedFromExport(f"Left out: {_described(ds)} (as you chose).")
        engine = self.as_is if uid in self.included and self.as_is is not None \
            else self.engine
        seen = len(engine.notes)
        # The exporter reads each data set for this call only (never the library's file):
        # no need for the engine's protective deep copy.
        out = engine(ds, in_place=True)
        if out is None:
            new = engine.notes[seen:]
            raise ExcludedFromExport(new[-1].message if new else COULD_NOT)
        return out

    def summary(self) -> list[str]:
        """Sentences on what happened to images beyond the profile (blacked out, or
        included with possible burned-in text as asked); the left-out ones are warnings."""
        notes = [*self.engine.notes, *(self.as_is.notes if self.as_is is not None else [])]
        counts = Counter(note.kind for note in notes)
        lines = []
        if blacked := counts["blacked-out"]:
            lines.append(f"{_images(blacked)} {_were(blacked)} blacked out where the saved "
                         "rules for their kind and size say, before going into the copy.")
        if included := counts["included"]:
            lines.append(f"{_images(included)} that may show burned-in text (a name, a "
                         f"date) {_were(included)} included as asked: look at "
                         f"{'it' if included == 1 else 'them'} before sharing the copy.")
        return lines


def _described(ds: Dataset) -> str:
    """ "Ultrasound, image 3 of series 2" (as the GUI's review names it): enough to find
    it, nothing that identifies anyone."""
    modality = to_text(ds.get("Modality", ""))
    text = modality_words(modality) if modality else "Image"
    number, series = to_int(ds.get("InstanceNumber")), to_int(ds.get("SeriesNumber"))
    if number is not None:
        text += f", image {number}"
    if series is not None:
        text += f" of series {series}"
    return text


def _images(count: int) -> str:
    return "1 image" if count == 1 else f"{count} images"


def _were(count: int) -> str:
    return "was" if count == 1 else "were"


def export_deidentifier(library: Library, options: DeidentifyOptions) -> ExportDeidentifier:
    """The export transform for ``options`` under ``library``'s secret and rules."""
    engine = deidentifier_for(
        library, patient_name=options.patient_name, patient_id=options.patient_id,
        include_burned_in=options.include_burned_in)
    as_is = None
    if options.include_images:
        as_is = Deidentifier(library.deidentification_secret(), EngineOptions(
            patient_name=options.patient_name, patient_id=options.patient_id,
            include_burned_in=True))
    return ExportDeidentifier(engine, as_is, options.exclude_images, options.include_images)


def export_deidentified(
    study_uids: list[str], out: Path, format: Format, library: Library,
    options: DeidentifyOptions,
) -> Iterator[ExportProgress | ExportReport]:
    """``export_studies`` of a de-identified copy: the report says ``deidentified``,
    each image left out has its warning, and the notes say what was blacked out or
    included as asked."""
    transform = export_deidentifier(library, options)
    for item in export_studies(study_uids, out, format, library, transform,
                               deidentified=True):
        if isinstance(item, ExportReport):
            yield replace(item, notes=(*item.notes, *transform.summary()))
        else:
            yield item


def original_study_uid(library: Library, pseudonymous_uid: str) -> str | None:
    """The library's study that a de-identified copy's Study Instance UID came from, if
    any: the owner can tell which of their studies a returned copy or a report is about.
    Found by recomputing each study's new UID (nothing maps them in the library)."""
    keys = Pseudonymizer(library.deidentification_secret())
    for row in library.list_studies():
        if keys.matches_uid(pseudonymous_uid, row.study_instance_uid):
            return row.study_instance_uid
    return None
