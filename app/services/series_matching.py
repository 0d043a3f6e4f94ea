"""Which series of an earlier study to show beside each series of the current one (for
"Compare with previous"); rules over plain records, no I/O, no Qt.

A pair ranks by, in this order: the same modality (pairs of different modalities are no
match at all), the same body part (Body Part Examined; one naming a part of the other,
CHEST in CHESTABDPELVIS, counts as half), the same plane (axial, coronal or sagittal from
Image Orientation (Patient)), then how alike the series descriptions are (shared words),
then how alike the numbers of images are. Unknown values (no body part, no orientation)
rank between a match and a mismatch. Each series is paired at most once, best pairs
first; localizers (scouts) are listed after the series a doctor compares.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from app.explain import explain_body_part
from app.imaging.slice_position import plane_normal

__all__ = ["NO_MATCH", "PLAIN_NO_MATCH", "Plane", "SeriesMatch", "SeriesRecord",
           "describe_plane", "match_series", "no_match_sentence", "plane_of"]

Plane = Literal["axial", "coronal", "sagittal", "oblique", ""]

# A plane's normal must lie within about 37 degrees of an axis to be named after it.
_PLANE_COSINE = 0.8


@dataclass(frozen=True)
class SeriesRecord:
    """What matching needs of one series."""

    series_uid: str
    modality: str = ""
    body_part: str = ""
    plane: Plane = ""
    description: str = ""
    images: int = 0
    series_number: int | None = None


@dataclass(frozen=True)
class SeriesMatch:
    """A current series, the earlier series to show beside it, and why (plain words)."""

    current: SeriesRecord
    prior: SeriesRecord
    reason: str
    score: tuple[float, ...]

    def reason_in(self, plain: bool) -> str:
        """Why these two were paired: ``reason`` in the full view, in the simple view for
        patients (``plain``) with the planes in words only ("side views", not
        "sagittal")."""
        return _reason(self.current, self.prior, plain) if plain else self.reason


def plane_of(orientation: Sequence[float] | None) -> Plane:
    """The plane of an image from Image Orientation (Patient) (row then column cosines):
    axial, coronal, sagittal, oblique, or "" when missing or malformed."""
    try:
        normal = plane_normal(orientation)
    except (TypeError, ValueError):
        return ""
    if normal is None:
        return ""
    x, y, z = (abs(v) for v in normal)
    if z >= _PLANE_COSINE:
        return "axial"
    if y >= _PLANE_COSINE:
        return "coronal"
    if x >= _PLANE_COSINE:
        return "sagittal"
    return "oblique"


_PLANE_WORDS: dict[str, str] = {"axial": "cross-sections", "coronal": "front views",
                                "sagittal": "side views", "oblique": "tilted"}


def describe_plane(plane: Plane, plain: bool = False) -> str:
    """The plane in plain words, for images of it ("cross-sections (axial)"; ``""`` when
    unknown); ``plain`` leaves the name in brackets out ("cross-sections")."""
    words = _PLANE_WORDS.get(plane, "")
    return words if plain or not words else f"{words} ({plane})"


# Spellings of one body part that mean the same.
_BODY_PART_SYNONYMS = {"THORAX": "CHEST", "ABD": "ABDOMEN", "CSPINE": "NECK",
                       "HEADNECK": "HEAD NECK", "BRAIN": "HEAD", "SKULL": "HEAD"}
_LOCALIZER_WORDS = {"LOC", "LOCALIZER", "LOCALISER", "SCOUT", "SURVIEW", "TOPOGRAM",
                    "SCANOGRAM", "PILOT", "SURVEY", "3PLANE", "TRI"}


def _body_part(value: str) -> str:
    key = re.sub(r"[^A-Z]", "", value.upper())
    return _BODY_PART_SYNONYMS.get(key, key)


def _body_part_level(a: str, b: str) -> float:
    a, b = _body_part(a), _body_part(b)
    if not a or not b:
        return 1.0  # Unknown: better than a different part, worse than the same.
    if a == b:
        return 3.0
    if a in b or b in a:
        return 2.0
    return 0.0


def _words(description: str) -> set[str]:
    return {w for w in re.split(r"[^A-Z0-9+]+", description.upper()) if w}


def _description_likeness(a: str, b: str) -> float:
    words_a, words_b = _words(a), _words(b)
    if not words_a or not words_b:
        return 0.0
    return len(words_a & words_b) / len(words_a | words_b)


def _is_localizer(series: SeriesRecord) -> bool:
    return bool(_words(series.description) & _LOCALIZER_WORDS)


def _score(current: SeriesRecord, prior: SeriesRecord) -> tuple[float, ...]:
    plane = (1.0 if not current.plane or not prior.plane else
             2.0 if current.plane == prior.plane else 0.0)
    images = (min(current.images, prior.images) / max(current.images, prior.images)
              if current.images > 0 and prior.images > 0 else 0.0)
    return (_body_part_level(current.body_part, prior.body_part), plane,
            round(_description_likeness(current.description, prior.description), 3),
            round(images, 3))


def _reason(current: SeriesRecord, prior: SeriesRecord, plain: bool = False) -> str:
    same, differ = [f"same kind of scan ({current.modality or 'unknown'})"], []
    a, b = _body_part(current.body_part), _body_part(prior.body_part)
    if a and b:
        # The parts in the patient's words (the vocabulary's), never the header's codes.
        ours, theirs = explain_body_part(current.body_part), explain_body_part(prior.body_part)
        if a == b:
            same.append(f"same part of the body ({ours})" if ours else "same part of the body")
        elif ours and theirs and ours != theirs:
            differ.append(f"part of the body ({ours} / {theirs})")
        else:
            differ.append("part of the body")
    if current.plane and prior.plane:
        if current.plane == prior.plane:
            same.append(f"both {describe_plane(current.plane)}")
        else:
            # The full view names the planes; the simple view says how they look.
            these, those = ((describe_plane(current.plane, True),
                             describe_plane(prior.plane, True))
                            if plain else (current.plane, prior.plane))
            differ.append(f"direction ({these} / {those})")
    likeness = _description_likeness(current.description, prior.description)
    if likeness >= 0.999:
        same.append("same description")
    elif likeness > 0:
        same.append("similar description")
    sentence = ", ".join(same)
    if differ:
        sentence += "; differs in " + " and ".join(differ)
    return sentence[0].upper() + sentence[1:] + "."


NO_MATCH = "No series of the earlier study matches this one's; drag one from the list."
PLAIN_NO_MATCH = ("No set of pictures of the earlier scan matches this one's; drag one from "
                  "the list.")


def no_match_sentence(plain: bool) -> str:
    """What the compare page says when no series of the two studies pair up; ``plain``
    in the simple view's words ("set of pictures", not "series")."""
    return PLAIN_NO_MATCH if plain else NO_MATCH


def match_series(current: Sequence[SeriesRecord],
                 prior: Sequence[SeriesRecord]) -> list[SeriesMatch]:
    """Pair each current series with at most one earlier series of the same modality,
    best pairs first (localizers last); series with no partner are left out."""
    candidates = [
        (_score(c, p), -i, -j, c, p)
        for i, c in enumerate(current) for j, p in enumerate(prior)
        if c.modality.strip().upper() == p.modality.strip().upper() and c.modality.strip()
    ]
    # Greedy: the best-scoring pair first; ties go to the earlier series in each list.
    candidates.sort(key=lambda item: (item[0], item[1], item[2]), reverse=True)
    used_current: set[int] = set()
    used_prior: set[int] = set()
    matches: list[SeriesMatch] = []
    for score, ci, pj, c, p in candidates:
        if -ci in used_current or -pj in used_prior:
            continue
        used_current.add(-ci)
        used_prior.add(-pj)
        matches.append(SeriesMatch(c, p, _reason(c, p), score))
    matches.sort(key=lambda m: (_is_localizer(m.current) or _is_localizer(m.prior),
                                tuple(-v for v in m.score), -m.current.images))
    return matches
