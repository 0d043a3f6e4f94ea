"""PS3.10 File IDs for a medium Lightbox writes: short upper-case names in a shallow tree.

A File ID has at most 8 components of 1 to 8 characters from ``A-Z 0-9 _`` (PS3.10 8.2,
8.5); on a CD each becomes an ISO 9660 level 1 name (PS3.12 F.1.2.1). Lightbox writes
every instance as ``DICOM/PAT00001/STU00001/SER00001/IMG00001``: one folder per patient,
study and series, numbered in the order they are met. The names say nothing about the
patient, so they are as safe in a de-identified copy as in any other, and a person browsing
the disc still sees which files belong together.
"""

import re
from collections.abc import Sequence

from app.core.errors import ExportError

ROOT_FOLDER = "DICOM"
MAX_COMPONENTS = 8
_COMPONENT = re.compile(r"[A-Z0-9_]{1,8}")

PATIENT_PREFIX = "PAT"
STUDY_PREFIX = "STU"
SERIES_PREFIX = "SER"
# The leaf's prefix tells a person what kind of object the file holds.
_LEAF_PREFIXES = {
    "IMAGE": "IMG",
    "SR DOCUMENT": "SR",
    "PRESENTATION": "PR",
    "KEY OBJECT DOC": "KO",
    "ENCAP DOC": "DOC",
    "WAVEFORM": "WAV",
    "RT DOSE": "RTD",
    "RT STRUCTURE SET": "RTS",
    "RT PLAN": "RTP",
}
_OTHER_PREFIX = "OBJ"


def leaf_prefix(record_type: str) -> str:
    """The file name prefix of an instance whose directory record has this type."""
    return _LEAF_PREFIXES.get(record_type, _OTHER_PREFIX)


def numbered(prefix: str, number: int) -> str:
    """``prefix`` and ``number`` as one 8-character component: ``IMG00012``.

    ExportError when the number does not fit (a folder with 100,000 images): a longer
    name would not be a valid File ID.
    """
    width = 8 - len(prefix)
    if not 1 <= number < 10**width:
        raise ExportError(
            f"One folder of the copy would hold more than {10**width - 1:,} files, more "
            "than standard media can name; export fewer studies at a time."
        )
    return f"{prefix}{number:0{width}d}"


def is_conformant(file_id: Sequence[str]) -> bool:
    """True when ``file_id`` is a valid PS3.10 File ID (component count, length, letters)."""
    return 0 < len(file_id) <= MAX_COMPONENTS and all(
        _COMPONENT.fullmatch(component) for component in file_id
    )
