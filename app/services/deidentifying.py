"""De-identified copies from the library: the transform an export or a share uses, the
black-out rules the GUI edits, and finding the original of a pseudonymous study.

The engine is ``app.deidentify`` (no library inside); this module gives it the library's
secret and the rules kept beside the library, so every copy made from one library agrees
on UIDs, date offsets and pseudonyms.
"""

from pathlib import Path

from app.deidentify.blackout import (
    RULES_FILE_NAME,
    BlackoutRule,
    Rectangle,
    load_rules,
    put_rule,
)
from app.deidentify.deidentifier import Deidentifier, DeidentifyNote, DeidentifyOptions
from app.deidentify.keys import Pseudonymizer
from app.library.library import Library

__all__ = [
    "BlackoutRule", "Deidentifier", "DeidentifyNote", "DeidentifyOptions", "Rectangle",
    "blackout_rules", "blackout_rules_file", "deidentifier_for", "original_study_uid",
    "save_blackout_rule",
]


def blackout_rules_file(home: Path) -> Path:
    """Where the black-out rules of the library in ``home`` are kept."""
    return home / RULES_FILE_NAME


def blackout_rules(home: Path) -> list[BlackoutRule]:
    """The saved black-out rules (none yet: an empty list)."""
    return load_rules(blackout_rules_file(home))


def save_blackout_rule(home: Path, rule: BlackoutRule) -> None:
    """Save a rule for its modality and image size (replacing the previous one)."""
    put_rule(blackout_rules_file(home), rule)


def deidentifier_for(
    library: Library, patient_name: str | None = None, patient_id: str | None = None,
    include_burned_in: bool = False,
) -> Deidentifier:
    """The transform for de-identified copies from ``library``: its secret, its saved
    black-out rules and the user's choices."""
    options = DeidentifyOptions(
        patient_name=patient_name, patient_id=patient_id,
        include_burned_in=include_burned_in,
        blackout_rules=tuple(blackout_rules(library.home)),
    )
    return Deidentifier(library.deidentification_secret(), options)


def original_study_uid(library: Library, pseudonymous_uid: str) -> str | None:
    """The library's study that a de-identified copy's Study Instance UID came from, if
    any: the owner can tell which of their studies a returned copy or a report is about.
    Found by recomputing each study's new UID (nothing maps them in the library)."""
    keys = Pseudonymizer(library.deidentification_secret())
    for row in library.list_studies():
        if keys.matches_uid(pseudonymous_uid, row.study_instance_uid):
            return row.study_instance_uid
    return None
