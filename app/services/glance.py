"""A first glance at a medium that was just inserted: how many images, whose, when.

Only the directory files are read (seconds, even on a CD), so the offer to import can
appear at once; the full scan happens in the import dialog.
"""

from dataclasses import dataclass
from pathlib import Path

from app.core.models import build_tree
from app.media.directories import plan_medium
from app.media.sources import open_medium


@dataclass(frozen=True)
class MediumGlance:
    """What the directory of a medium lists: images, patients, the first patient's name
    and the first study's date; ``unplaced`` counts the other files on it, whose headers
    must be read to know what they are (all of them on a stick without a DICOMDIR)."""

    images: int
    patients: int
    patient_name: str
    study_date: str
    unplaced: int = 0


def glance(path: Path) -> MediumGlance:
    """Read the directory files of the medium at ``path``; SourceUnreadableError if it
    cannot be read at all."""
    medium = open_medium(path)
    try:
        placed, unplaced = plan_medium(medium).quick_instances()
    finally:
        medium.source.close()
    patients = build_tree(placed)
    first = patients[0] if patients else None
    date = first.studies[0].study_date if first and first.studies else ""
    return MediumGlance(len(placed), len(patients), first.patient_name if first else "", date,
                        len(unplaced))
