"""Earlier studies of the same patient: the rules, over plain records (no I/O, no Qt).

A library holds discs from many sites. The same person may arrive under one Patient ID
(from one hospital) or under several (one per site); two people may share an ID (two sites
that both number from 1). So two records are classified, never merged:

``same``
    Same Patient ID, the issuers do not contradict each other (equal, or one or both
    empty: most discs carry no Issuer of Patient ID), the names agree (see below), and the
    birth dates and sexes do not contradict (equal, or missing on one side).
``suggested`` ("maybe the same patient — please confirm")
    - same Patient ID and issuers that do not contradict, but the name, birth date or
      sex differs (a changed family name, a typing mistake at the desk): the ID says
      "same", the rest doubts it. Except when no issuer vouches on both sides, the names
      are unlike and the birth dates are not the same: that is two sites numbering their
      patients alike, two people (``different``);
    - different or missing IDs (or the same ID under two different issuers, which
      is two sites' numbers that happen to agree): the same birth date, present on both,
      and names that agree or are close (one typo, an initial for a given name, family
      and given name swapped, one of two family names missing), and sexes that do not
      contradict.
``different``
    Everything else. Without a birth date on both sides a name alone never suggests a
    match: "SMITH^JOHN" is too many people.

Names are compared after normalisation: each DICOM PN group (alphabetic = ideographic =
phonetic) on its own; components split at ``^`` (family, given, middle, prefix, suffix);
case, accents (é = e), full-width forms, punctuation (O'Neil = ONEIL, Jean-Luc = JEAN
LUC) and extra spaces are ignored. Middle names are ignored when one side has none or
one is the initial of the other; prefixes and suffixes always. A typo (one letter wrong,
missing, extra, or two swapped) makes names ``close``, only in scripts spelled letter by
letter: in Chinese or Japanese characters one character is another name. Twins with names
one letter apart are ``close`` too: that is why a close name is only ever a question.
Groups are compared only where both names have them: the same ideographic group makes
two Japanese names the same even when their romanisations differ (Tarou / Taro); a name
with only an ideographic group and one with only an alphabetic group cannot be compared
(not suggested).

What the user decides overrides the rules: a confirmed pair is ``confirmed``, a rejected
pair ``different`` (also when the IDs alone said ``same``) and is never suggested again.
Decisions are keyed by :func:`identity_key` of each side, a hash, so the decision table
holds no names. Decisions do not chain: A = B and B = C do not make A = C without asking.

Only earlier studies are priors: by study date, then time. A study on the same day whose
time, or the current one's, is unknown is kept and marked ``same_day`` (the order is not
known); a study without a date, or any study when the current one has none, is left out.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from app.core.dicom_values import person_name

__all__ = ["Decision", "Match", "NameAgreement", "PatientRecord", "Prior", "StudyRecord",
           "classify", "compare_names", "find_priors", "identity_key", "normal_birth_date",
           "pair_key", "previous"]

Match = Literal["same", "confirmed", "suggested", "different"]
Decision = Literal["same", "different"]
NameAgreement = Literal["same", "close", "different"]


@dataclass(frozen=True)
class PatientRecord:
    """A patient as one study's images name them (values as in the header)."""

    patient_id: str = ""
    issuer: str = ""
    name: str = ""
    birth_date: str = ""
    sex: str = ""


@dataclass(frozen=True)
class StudyRecord:
    """One study of the library, with the patient its images name."""

    study_uid: str
    patient: PatientRecord
    study_date: str = ""
    study_time: str = ""


@dataclass(frozen=True)
class Prior:
    """An earlier study and how sure it is that it is the same patient's.

    ``match`` is ``same``, ``confirmed`` (the user said so) or ``suggested`` (ask first);
    ``reason`` says why in one plain sentence; ``same_day`` is True when it was taken on
    the current study's day and which came first is not known.
    """

    study: StudyRecord
    match: Match
    reason: str
    same_day: bool = False

    @property
    def needs_confirmation(self) -> bool:
        """True when the user must say whether this is the same person before using it."""
        return self.match == "suggested"


@dataclass(frozen=True)
class _Verdict:
    match: Match
    reason: str = field(default="")


# -- normalisation -------------------------------------------------------------------------

_PUNCTUATION = re.compile(r"[\s\-'’`.,_/]+")


def _fold(text: str) -> str:
    """Case, accents, full-width forms, punctuation and spacing folded away."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    bare = unicodedata.normalize("NFKC", bare).casefold()
    return " ".join(_PUNCTUATION.sub(" ", bare).split())


@dataclass(frozen=True)
class _Name:
    family: tuple[str, ...]
    given: tuple[str, ...]
    middle: tuple[str, ...]
    structured: bool  # False: the whole name sits in one component ("JOHN DOE")

    @property
    def empty(self) -> bool:
        return not (self.family or self.given or self.middle)

    @property
    def core(self) -> tuple[str, ...]:
        """Family names and the first given name: what must agree."""
        return self.family + self.given[:1]


def _groups(name: str) -> list[_Name | None]:
    """The alphabetic, ideographic and phonetic groups of a PN (None where empty)."""
    result: list[_Name | None] = []
    for group in ([*name.split("="), "", "", ""])[:3]:
        parts = [_fold(p) for p in group.split("^")] + ["", "", ""]
        family, given, middle = (tuple(p.split()) for p in parts[:3])
        # Given names beyond the first count as middle names ("DOE^JOHN PAUL").
        parsed = _Name(family, given[:1], given[1:] + middle, "^" in group)
        result.append(None if parsed.empty else parsed)
    return result


def _edits_within_one(a: str, b: str) -> bool:
    """True when ``a`` becomes ``b`` by at most one insertion, deletion, substitution or
    swap of two neighbouring letters."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        return (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def _spelled(text: str) -> bool:
    """True for names spelled letter by letter (Latin, Greek, Cyrillic...), where one
    wrong letter is a typo; in ideographic and syllabic scripts (from U+2E80: CJK, kana,
    Hangul syllables) one character is another name (太郎 and 次郎 are brothers)."""
    return all(ord(c) < 0x2E80 for c in text)


def _middles_agree(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if not a or not b:
        return True
    # Equal, or one is the initial of the other ("PAUL" and "P").
    return all(x == y or (min(len(x), len(y)) == 1 and x[0] == y[0])
               for x, y in zip(a, b, strict=False))


def _initial_of(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One first given name is the initial of the other ("J" and "JOHN")."""
    if not a or not b:
        return False
    x, y = a[0], b[0]
    return (len(x) == 1 and y.startswith(x)) or (len(y) == 1 and x.startswith(y))


def _compare_group(a: _Name, b: _Name) -> NameAgreement:
    if not (a.structured and b.structured):
        words_a, words_b = a.core + a.middle, b.core + b.middle
        if words_a == words_b and a.structured == b.structured:
            return "same"
        # "JOHN DOE" against "DOE^JOHN": the same words, but which is the family name
        # cannot be told: ask.
        if set(a.core) <= set(words_b) or set(b.core) <= set(words_a):
            return "close"
        return "different"
    # Family names compared without their inner spaces: O'NEIL, O NEIL and ONEIL.
    family_a, family_b = "".join(a.family), "".join(b.family)
    if family_a == family_b and a.given == b.given:
        return "same" if _middles_agree(a.middle, b.middle) else "close"
    if family_a == family_b and _initial_of(a.given, b.given):
        return "close"
    if a.core and a.family == b.given and a.given == b.family:
        return "close"  # Family and given name swapped.
    if a.given == b.given and a.family and b.family and (
            set(a.family) <= set(b.family) or set(b.family) <= set(a.family)):
        return "close"  # One of two family names missing ("GARCIA LOPEZ" / "GARCIA").
    spelled_a = f"{family_a} {' '.join(a.given)}"
    spelled_b = f"{family_b} {' '.join(b.given)}"
    if family_a and family_b and _spelled(spelled_a + spelled_b) and \
            _edits_within_one(spelled_a, spelled_b):
        return "close"  # One typo in the family or given name.
    return "different"


def compare_names(a: str, b: str) -> NameAgreement:
    """How far two DICOM Person Names agree: ``same`` (after normalisation, middle names
    compatible), ``close`` (worth asking: a typo, an initial, swapped or partly missing
    names) or ``different`` (including names that share no PN group to compare)."""
    pairs = list(zip(_groups(a), _groups(b), strict=True))
    verdicts = [_compare_group(x, y) for x, y in pairs if x is not None and y is not None]
    if not verdicts:
        return "different"
    ideographic_a, ideographic_b = pairs[1]
    if ideographic_a is not None and ideographic_b is not None and \
            _compare_group(ideographic_a, ideographic_b) == "same" and \
            "different" not in verdicts:
        # The same characters outrank a romanisation that differs (Tarou / Taro).
        return "same"
    if "different" in verdicts:
        return "different" if verdicts.count("different") == len(verdicts) else "close"
    return "same" if all(v == "same" for v in verdicts) else "close"


_BIRTH_DATE = re.compile(r"^(\d{4})[.\-]?(\d{2})[.\-]?(\d{2})$")


def normal_birth_date(value: str) -> str:
    """A birth date as YYYYMMDD (also from the old ``YYYY.MM.DD`` form); ``""`` when it
    is missing or not a plausible date."""
    match = _BIRTH_DATE.match(value.strip())
    if not match:
        return ""
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31 and year >= 1800):
        return ""
    return "".join(match.groups())


def _sex(value: str) -> str:
    value = value.strip().upper()
    return value if value in ("M", "F") else ""


def identity_key(patient: PatientRecord) -> str:
    """A stable hash of one patient identity (ID, issuer, name, birth date), so a user's
    decision about two identities can be stored without storing who they are."""
    values = [patient.patient_id.strip(), patient.issuer.strip(),
              person_name(patient.name), normal_birth_date(patient.birth_date)]
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()


def pair_key(a: PatientRecord, b: PatientRecord) -> tuple[str, str]:
    """The two identity keys of a pair, in a fixed order (the pair has no direction)."""
    first, second = sorted((identity_key(a), identity_key(b)))
    return first, second


# -- classification ----------------------------------------------------------------------


def classify(current: PatientRecord, other: PatientRecord,
             decisions: Mapping[tuple[str, str], Decision] | None = None) -> tuple[Match, str]:
    """Whether ``other`` is the patient ``current`` is, and why in one sentence.

    ``decisions`` maps :func:`pair_key` to what the user decided; it overrides the rules.
    """
    verdict = _decided(current, other, decisions or {}) or _by_rules(current, other)
    return verdict.match, verdict.reason


def _decided(current: PatientRecord, other: PatientRecord,
             decisions: Mapping[tuple[str, str], Decision]) -> _Verdict | None:
    if identity_key(current) == identity_key(other):
        return None
    decision = decisions.get(pair_key(current, other))
    if decision == "same":
        return _Verdict("confirmed", "You confirmed that these are the same person.")
    if decision == "different":
        return _Verdict("different", "You said that these are different people.")
    return None


def _by_rules(current: PatientRecord, other: PatientRecord) -> _Verdict:
    id_a, id_b = current.patient_id.strip(), other.patient_id.strip()
    issuer_a, issuer_b = current.issuer.strip(), other.issuer.strip()
    birth_a, birth_b = normal_birth_date(current.birth_date), normal_birth_date(other.birth_date)
    names = compare_names(current.name, other.name)
    births_equal = bool(birth_a) and birth_a == birth_b
    births_conflict = bool(birth_a and birth_b) and birth_a != birth_b
    sexes_conflict = bool(_sex(current.sex) and _sex(other.sex)) and \
        _sex(current.sex) != _sex(other.sex)
    issuers_differ = bool(issuer_a and issuer_b) and issuer_a != issuer_b

    if id_a and id_a == id_b and not issuers_differ:
        both_issued = bool(issuer_a and issuer_b)
        if names == "same" and not births_conflict and not sexes_conflict:
            return _Verdict("same", "Same patient ID and name.")
        doubts = [what for what, differs in (("the name", names != "same"),
                                             ("the birth date", births_conflict),
                                             ("the sex", sexes_conflict)) if differs]
        doubt = " and ".join(doubts) + (" differ" if len(doubts) > 1 else " differs")
        if both_issued or births_equal or names != "different":
            return _Verdict("suggested", f"Same patient ID, but {doubt}.")
        # The same number at two sites that give no issuer: two people.
        return _Verdict("different", "Same patient ID, but another name and birth date.")

    if births_equal and names in ("same", "close") and not sexes_conflict:
        how = "the same name" if names == "same" else "a similar name"
        ids = ("a patient ID from another site" if issuers_differ else
               "another patient ID" if id_a and id_b else "no patient ID to compare")
        return _Verdict("suggested", f"{how.capitalize()} and birth date, but {ids}.")
    return _Verdict("different", "Another patient.")


# -- priors ----------------------------------------------------------------------------------


def _when(study: StudyRecord) -> tuple[str, str]:
    date = re.sub(r"\D", "", study.study_date)[:8]
    time = re.sub(r"[^\d.]", "", study.study_time)
    return (date if len(date) == 8 else ""), time


def find_priors(current: StudyRecord, studies: Iterable[StudyRecord],
                decisions: Mapping[tuple[str, str], Decision] | None = None) -> list[Prior]:
    """The studies among ``studies`` taken before ``current`` of the same patient (or
    maybe the same: see the module's rules), most recent first; at equal dates, those
    known to be the same patient first. ``current`` itself is never among them."""
    date, time = _when(current)
    if not date:
        return []
    found: list[tuple[tuple[str, str, int], Prior]] = []
    for study in studies:
        if study.study_uid == current.study_uid:
            continue
        other_date, other_time = _when(study)
        if not other_date or other_date > date:
            continue
        same_day = False
        if other_date == date:
            if time and other_time:
                if _time_key(other_time) >= _time_key(time):
                    continue
            else:
                same_day = True
        match, reason = classify(current.patient, study.patient, decisions)
        if match == "different":
            continue
        rank = 0 if match in ("same", "confirmed") else 1
        found.append(((other_date, other_time, -rank), Prior(study, match, reason, same_day)))
    found.sort(key=lambda item: (item[0][0], _time_key(item[0][1]), item[0][2]), reverse=True)
    return [prior for _key, prior in found]


def _time_key(time: str) -> float:
    """HHMMSS.frac as seconds since midnight (missing parts count as zero)."""
    whole, _, fraction = time.partition(".")
    whole = (whole + "000000")[:6]
    try:
        seconds = int(whole[:2]) * 3600 + int(whole[2:4]) * 60 + int(whole[4:6])
        return seconds + (float(f"0.{fraction}") if fraction.isdigit() else 0.0)
    except ValueError:
        return 0.0


def previous(priors: Iterable[Prior]) -> Prior | None:
    """The study "Compare with previous" opens: the most recent prior known to be the
    same patient (by the rules or by the user); None when there is none."""
    return next((p for p in priors if p.match in ("same", "confirmed")), None)
