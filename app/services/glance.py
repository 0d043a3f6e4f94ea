"""A first glance at a medium that was just inserted: how many images, whose, when.

Only the directory files are read (seconds, even on a CD), so the offer to import can
appear at once; the full scan happens in the import dialog.
"""

from dataclasses import dataclass
from pathlib import Path

from app.media.directories import quick_tree
from app.media.sources import open_medium


@dataclass(frozen=True)
class MediumGlance:
    """What the directory of a medium lists: images, patients, the first patient's name
    and the first study's date."""

    images: int
    patients: int
    patient_name: str
    study_date: str


def glance(path: Path) -> MediumGlance:
    """Read the directory files of the medium at ``path``; SourceUnreadableError if it
    cannot be read at all."""
    medium = open_medium(path)
    try:
        patients, _scan = quick_tree(medium)
    finally:
        medium.source.close()
    images = sum(st.instance_count for p in patients for st in p.studies)
    first = patients[0] if patients else None
    date = first.studies[0].study_date if first and first.studies else ""
    return MediumGlance(images, len(patients), first.patient_name if first else "", date)
