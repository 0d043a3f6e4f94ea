"""Reconciliation: the local patient a study is sent or exported under.

Front-desk staff set the hospital's own Patient ID (MRN), its issuer, and optionally the
name, birth date, sex and accession number before an outside study goes to the PACS. The
new values go only into the copies that leave (the data sets sent or exported); the
library's stored files and the disc are never changed. Each rewritten copy keeps every UID
(a resend must be the same study to the PACS) and records what it replaced in the Original
Attributes Sequence (0400,0561) as PS3.3 C.12.1.1.9 describes.

No Qt: :class:`ReconcileForm` holds every rule of the GUI's form (values from the disc,
what changed, one sentence per bad field), so the widget only shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydicom import dcmread
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from app import __version__
from app.core.dicom_values import dataset_text
from app.core.errors import UsageError

if TYPE_CHECKING:  # The worklist client (pynetdicom) loads only when a worklist is asked.
    from app.cloud.worklist import WorklistEntry

# The fields in form order, their DICOM keywords and their labels.
FIELDS: tuple[str, ...] = ("patient_id", "issuer", "patient_name", "birth_date", "sex",
                           "accession")
KEYWORDS: dict[str, str] = {
    "patient_id": "PatientID", "issuer": "IssuerOfPatientID", "patient_name": "PatientName",
    "birth_date": "PatientBirthDate", "sex": "PatientSex", "accession": "AccessionNumber",
}
LABELS: dict[str, str] = {
    "patient_id": "Patient ID", "issuer": "Issuer of Patient ID",
    "patient_name": "Patient's name", "birth_date": "Birth date", "sex": "Sex",
    "accession": "Accession number",
}
HINTS: dict[str, str] = {
    "patient_id": "the local MRN", "issuer": "who assigns the ID, e.g. the hospital",
    "patient_name": "FAMILY^GIVEN", "birth_date": "YYYYMMDD", "sex": "M, F, O or empty",
    "accession": "up to 16 characters",
}
REQUIRED: frozenset[str] = frozenset({"patient_id", "issuer"})

# PS3.3 C.12.1.1.9.1, Reason for the Attribute Modification (0400,0565). COERCE is the
# defined term for replacing values such as Patient Name, ID and Accession Number "during
# import of media from an external institution, or reconciliation against a master patient
# index" -- exactly this. CORRECT is for fixing a value that was wrong where it was made
# (an operator's typo, a wrong worklist item); the outside clinic's values were right in
# their own domain, so they are coerced, not corrected.
REASON = "COERCE"
MODIFYING_SYSTEM = f"Lightbox {__version__}"

_LO_MAX = 64
_SH_MAX = 16
_PN_GROUP_MAX = 64
_SEXES = ("M", "F", "O")


@dataclass(frozen=True)
class LocalIdentity:
    """The local patient a copy carries. ``patient_id`` and ``issuer`` always; any other
    field None keeps the disc's value (an empty string empties it)."""

    patient_id: str
    issuer: str
    patient_name: str | None = None
    birth_date: str | None = None
    sex: str | None = None
    accession: str | None = None

    def given(self) -> dict[str, str]:
        """The fields this identity sets (name -> value), in form order."""
        return {f: v for f in FIELDS if (v := getattr(self, f)) is not None}

    def as_json(self) -> dict[str, str | None]:
        """The ``identity`` object of ``send --json`` / ``export --json``."""
        return {f: getattr(self, f) for f in FIELDS}


@dataclass(frozen=True)
class DiscIdentity:
    """The patient as the study's stored headers name it (the disc's values), and a
    sentence per field on which its images disagree (the first image's value is shown)."""

    values: dict[str, str]
    disagreements: tuple[str, ...] = ()
    institution: str = ""


# -- validation ------------------------------------------------------------------------

def _bad_text(label: str, value: str, limit: int) -> str | None:
    if len(value) > limit:
        return f"{label} is {len(value)} characters long; DICOM allows at most {limit}."
    if "\\" in value:
        return f"{label} may not contain a backslash (\\)."
    if not value.isprintable():
        return f"{label} contains a control character (a tab or line break?); remove it."
    return None


def _bad_name(value: str) -> str | None:
    label = LABELS["patient_name"]
    if "\\" in value:
        return f"{label} may not contain a backslash (\\)."
    if not value.isprintable():
        return f"{label} contains a control character (a tab or line break?); remove it."
    groups = value.split("=")
    if len(groups) > 3:
        return f"{label} has more than three '='-separated forms; write it as FAMILY^GIVEN."
    for group in groups:
        if len(group) > _PN_GROUP_MAX:
            return (f"{label} is {len(group)} characters long; DICOM allows at most "
                    f"{_PN_GROUP_MAX} (write it as FAMILY^GIVEN).")
        if group.count("^") > 4:
            return (f"{label} has more than five '^'-separated parts; write it as "
                    "FAMILY^GIVEN^MIDDLE^PREFIX^SUFFIX, for example DOE^JANE.")
    return None


def normalised_birth_date(value: str) -> str:
    """``YYYY-MM-DD`` or ``YYYYMMDD`` as ``YYYYMMDD`` (other text unchanged)."""
    text = value.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return text.replace("-", "")
    return text


def _bad_birth_date(value: str, today: date) -> str | None:
    label = LABELS["birth_date"]
    if not value:
        return None
    text = normalised_birth_date(value)
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError(text)
        born = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return f"{label} '{value}' is not a date: write it as YYYYMMDD, for example 19700131."
    if born > today:
        return f"{label} {born.isoformat()} is in the future."
    return None


def problem(field: str, value: str, today: date | None = None) -> str | None:
    """The sentence saying why ``value`` is not valid for ``field``, or None."""
    label = LABELS[field]
    text = value.strip()
    if field in REQUIRED and not text:
        return f"{label} is empty: give the local {label}."
    if field in ("patient_id", "issuer"):
        return _bad_text(label, text, _LO_MAX)
    if field == "patient_name":
        return _bad_name(text)
    if field == "birth_date":
        return _bad_birth_date(text, today or date.today())
    if field == "sex":
        return None if text.upper() in ("", *_SEXES) else \
            f"{label} '{value}' is not M, F or O (or empty when unknown)."
    if field == "accession":
        return _bad_text(label, text, _SH_MAX)
    raise KeyError(field)


def normalised(field: str, value: str) -> str:
    """The value as it goes into the copy: trimmed, birth date as YYYYMMDD, sex upper."""
    text = value.strip()
    if field == "birth_date":
        return normalised_birth_date(text)
    if field == "sex":
        return text.upper()
    return text


def identity_from(values: Mapping[str, str | None], today: date | None = None) -> LocalIdentity:
    """A LocalIdentity from field values (None: keep the disc's); UsageError with the
    first bad field's sentence (Patient ID and issuer are required together)."""
    for field in FIELDS:
        value = values.get(field)
        if value is None and field in REQUIRED:
            value = ""
        if value is not None and (sentence := problem(field, value, today)):
            raise UsageError(sentence)
    return LocalIdentity(**{f: None if (v := values.get(f)) is None else normalised(f, v)
                            for f in FIELDS})  # type: ignore[arg-type]


# -- the disc's values -----------------------------------------------------------------

def identity_on_disc(paths: Iterable[Path]) -> DiscIdentity:
    """The patient as the stored headers at ``paths`` (one study's files) name it; a
    sentence for each field on which they disagree."""
    seen: dict[str, dict[str, int]] = {f: {} for f in FIELDS}
    institution = ""
    wanted = [*KEYWORDS.values(), "InstitutionName", "SpecificCharacterSet"]
    for path in paths:
        try:
            ds = dcmread(path, stop_before_pixels=True, specific_tags=wanted, force=True)
        except Exception:  # A damaged file says nothing about the patient.
            continue
        for field, keyword in KEYWORDS.items():
            value = dataset_text(ds, keyword)
            seen[field][value] = seen[field].get(value, 0) + 1
        institution = institution or dataset_text(ds, "InstitutionName")
    values = {f: next(iter(seen[f]), "") for f in FIELDS}
    disagreements = tuple(
        f"The images of this study do not agree on the {LABELS[f][0].lower()}"
        f"{LABELS[f][1:]} "
        f"({len(seen[f])} different values); check it before sending."
        for f in FIELDS if len(seen[f]) > 1
    )
    return DiscIdentity(values, disagreements, institution)


def differences(disc: Mapping[str, str], local: LocalIdentity) -> tuple[str, ...]:
    """The fields ``local`` changes from the disc's values, in form order."""
    return tuple(f for f, v in local.given().items() if v != disc.get(f, ""))


# -- rewriting a copy ------------------------------------------------------------------

def _current(ds: Dataset, keyword: str) -> str:
    return dataset_text(ds, keyword)


def _previous_element(ds: Dataset, keyword: str) -> DataElement:
    """The element as it was (a copy), or a zero-length one when it was absent:
    C.12.1.1.9 lets added attributes appear with a zero length value."""
    if keyword in ds:
        # A new element around the old value (a deep copy cost ~0.5 ms an element): the
        # value object is replaced in ``ds`` afterwards, never changed in place.
        old = ds[keyword]
        return DataElement(old.tag, old.VR, old.value)
    return DataElement(keyword, dictionary_VR(keyword), None)


def _fits(ds: Dataset, texts: Iterable[str]) -> bool:
    """True when ``texts`` can be written in the data set's character set (the default
    repertoire is ASCII)."""
    from pydicom.charset import convert_encodings

    wide = [t for t in texts if not t.isascii()]
    if not wide:
        return True
    declared = ds.get("SpecificCharacterSet") or ""
    terms = [str(t) for t in declared] if isinstance(declared, list | tuple) else [str(declared)]
    if not any(t.strip() and t.strip() != "ISO_IR 6" for t in terms):
        return False
    try:
        codecs = convert_encodings(terms)
    except Exception:  # A character set pydicom does not know: write the copy in UTF-8.
        return False
    # pydicom's own encoder replaces what does not fit (with a warning): try each codec.
    return all(any(_encodes(text, codec) for codec in codecs) for text in wide)


def _encodes(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except (UnicodeError, LookupError):
        return False
    return True


def apply(ds: Dataset, identity: LocalIdentity, when: datetime | None = None,
          reason: str = REASON) -> Dataset:
    """Put ``identity`` into ``ds`` (in place; returned): the given fields only, every UID
    untouched, and one Original Attributes Sequence item with the previous values of
    exactly the attributes that changed (none when nothing changed). Existing items are
    kept. Patient ID's item also carries the Issuer of Patient ID as it was, as
    C.12.1.1.9 advises ("even if unchanged, or absent in the original"), so the old ID
    keeps its context."""
    moment = when or datetime.now(UTC)
    changes = {KEYWORDS[f]: v for f, v in identity.given().items()
               if v != _current(ds, KEYWORDS[f])}
    if not changes:
        return ds
    previous = Dataset()
    recorded = set(changes)
    if "PatientID" in changes:
        recorded.add("IssuerOfPatientID")
    if not _fits(ds, changes.values()):
        # A name the data set's character set cannot hold: decode everything once and
        # write the copy in UTF-8 (ASCII and the old text stay the same characters).
        ds.decode()
        recorded.add("SpecificCharacterSet")
    for keyword in recorded:
        previous[keyword] = _previous_element(ds, keyword)
    item = Dataset()
    item.ModifiedAttributesSequence = Sequence([previous])
    item.AttributeModificationDateTime = moment.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")
    item.ModifyingSystem = MODIFYING_SYSTEM
    # The previous values come from the outside institution that made the images, when
    # the images say which; type 2, so empty when they do not.
    item.SourceOfPreviousValues = _current(ds, "InstitutionName")[:_LO_MAX]
    item.ReasonForTheAttributeModification = reason

    if "SpecificCharacterSet" in recorded:
        ds.SpecificCharacterSet = "ISO_IR 192"
    for keyword, value in changes.items():
        setattr(ds, keyword, value)
    original = ds.get("OriginalAttributesSequence")
    if original is None:
        ds.OriginalAttributesSequence = Sequence([item])
    else:
        original.append(item)
    ds.InstanceCoercionDateTime = item.AttributeModificationDateTime
    return ds


def rewriter(identity: LocalIdentity, when: datetime | None = None
             ) -> Callable[[Dataset], Dataset]:
    """The ``rewrite``/``transform`` that puts ``identity`` into each copy, every copy of
    one job stamped with the same time."""
    moment = when or datetime.now(UTC)
    return lambda ds: apply(ds, identity, moment)


# -- the form --------------------------------------------------------------------------

@dataclass(frozen=True)
class FormField:
    """One row of the reconciliation form: the disc's value, the local value being typed,
    whether it changes the copy (the GUI highlights it) and the sentence when it is not
    valid ("" when it is)."""

    name: str
    label: str
    hint: str
    required: bool
    disc_value: str
    local_value: str
    changed: bool
    problem: str


class ReconcileForm:
    """The reconciliation form's state and rules; the widget shows :attr:`rows`, calls
    :meth:`set` on each edit, and asks :meth:`identity` when the user sends.

    Every field starts at the disc's value except Patient ID, which starts empty, and the
    issuer, which starts at ``issuer`` (the hospital's own, from its settings; empty when
    none): the local ID is the point of the form and must be typed (an outside ID copied
    through unnoticed is the mistake this prevents)."""

    def __init__(self, disc: DiscIdentity, today: date | None = None,
                 issuer: str = "") -> None:
        self.disc = disc
        self.today = today
        self._values = {f: disc.values.get(f, "") for f in FIELDS}
        self._values.update(patient_id="", issuer=issuer)

    @property
    def disagreements(self) -> tuple[str, ...]:
        """Sentences on fields the study's images disagree on (show them above the form)."""
        return self.disc.disagreements

    def set(self, name: str, value: str) -> FormField:
        """Change one local value; the field as it now stands."""
        if name not in self._values:
            raise KeyError(name)
        self._values[name] = value
        return self.field(name)

    def field(self, name: str) -> FormField:
        """One field as it stands."""
        value = self._values[name]
        disc_value = self.disc.values.get(name, "")
        sentence = problem(name, value, self.today) or ""
        changed = normalised(name, value) != disc_value
        return FormField(name, LABELS[name], HINTS[name], name in REQUIRED, disc_value,
                         value, changed, sentence)

    @property
    def rows(self) -> tuple[FormField, ...]:
        """Every field, in form order."""
        return tuple(self.field(f) for f in FIELDS)

    @property
    def problems(self) -> tuple[str, ...]:
        """The sentences of the fields that are not valid (empty: ready to send)."""
        return tuple(r.problem for r in self.rows if r.problem)

    @property
    def valid(self) -> bool:
        """True when every field is valid."""
        return not self.problems

    def take(self, entry: WorklistEntry) -> None:
        """Fill the local values from a worklist entry the user chose (its empty values
        leave the field as it is)."""
        for name, value in (("patient_id", entry.patient_id), ("issuer", entry.issuer),
                            ("patient_name", entry.patient_name),
                            ("birth_date", entry.birth_date), ("sex", entry.sex),
                            ("accession", entry.accession)):
            if value:
                self._values[name] = value

    def identity(self) -> LocalIdentity:
        """The identity to send under: each field that differs from the disc is set (the
        rest keep the disc's value). UsageError with the first problem's sentence."""
        if not self.valid:
            raise UsageError(self.problems[0])
        values: dict[str, str | None] = {
            f: (v if f in REQUIRED or normalised(f, v) != self.disc.values.get(f, "")
                else None)
            for f, v in self._values.items()}
        return identity_from(values, self.today)


def worklist_matches(worklist: str, disc: DiscIdentity, calling_aet: str = "LIGHTBOX"
                     ) -> list[WorklistEntry]:
    """The entries of the Modality Worklist at ``worklist`` (``AET@HOST:PORT``) for the
    disc's patient: family name (any given names, ``FAMILY*``) and birth date when the
    disc has one. UsageError for a bad address; PacsError when it cannot be asked."""
    from app.cloud.dimse import check_ae_title, parse_destination
    from app.cloud.worklist import find_worklist

    destination = parse_destination(worklist)
    check_ae_title(calling_aet)
    family = disc.values.get("patient_name", "").split("=")[0].split("^")[0].strip()
    if not family:
        raise UsageError("The disc gives no patient name to look up in the worklist: type "
                         "the local values instead.")
    return find_worklist(destination, calling_aet, f"{family}*",
                         disc.values.get("birth_date", ""))


__all__ = ["FIELDS", "KEYWORDS", "LABELS", "MODIFYING_SYSTEM", "REASON", "DiscIdentity",
           "FormField", "LocalIdentity", "ReconcileForm", "apply", "differences",
           "identity_from", "identity_on_disc", "normalised", "problem", "rewriter",
           "worklist_matches"]
