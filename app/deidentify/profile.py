"""The Basic Application Level Confidentiality Profile (PS3.15 Table E.1-1), with the
Retain Longitudinal Temporal Information with Modified Dates and Clean Descriptors
options, applied in place to a dataset (the caller passes a copy).

Where the table allows a choice of actions (X/Z/D...), the standard picks by the
attribute's type in the IOD; the choice here leaves the file valid without knowing the
IOD: a dummy value (D) satisfies every type, an empty one (Z) types 2 and 3. In detail:
- ``X`` alone: removed. ``Z`` or X/Z: emptied. Any choice with ``D`` (D, X/D, Z/D, X/Z/D):
  a dummy value of its VR ("ANONYMIZED", 0...), since a type 1 attribute (Device Serial
  Number in the Enhanced General Equipment module) may not be empty.
- ``U``: each UID replaced through the library's keyed function (``keys.Pseudonymizer``),
  so references stay linked; ``U*`` sequences (Referenced Image, Source Image) are kept
  and their UIDs replaced the same way. UIDs the table does not list are replaced too
  (they often embed dates, serial numbers and addresses), except well-known UIDs and the
  attributes that name a class, a transfer syntax or a coding scheme.
- Dates (DA, DT) the table lists with Z or D are moved by the patient's offset (the
  option); so are dates it does not list, so that no true date survives next to moved
  ones. Patient's Birth Date is the exception: it is emptied, since with moved study dates
  it would give the exact age, which only the Retain Patient Characteristics option keeps.
  Times of day (TM) listed with Z or D are kept: a whole-day shift leaves them valid.
- Sequences: X (also X/Z, X/Z/D) removes, since a sequence that is present must have items
  unless type 2; the type 2 ones are emptied instead (Acquisition Context Sequence, and
  Referenced Performed Procedure Step Sequence in SR and KO documents); Z alone leaves
  an empty sequence; ``D`` keeps the items and cleans them: the table inside, and every
  free-text value replaced by a dummy (coded concepts are kept, except in Person
  Identification Code Sequence, whose codes identify someone). The table applies at every
  depth of every sequence.
- Private attributes, group lengths, public attributes of unknown VR, and whole overlay
  groups (60xx: the table removes Overlay Data and Comments, and the rest of an overlay
  plane without its data would be an invalid module) are removed; curves (50xx) are
  removed by the table itself.
- Clean Descriptors: see ``descriptors``; a description that is not clean gets the basic
  action.
- A type 1C attribute kept whose condition the table removes (Clinical Trial Protocol
  Ethics Committee Name without its Approval Number) goes too, or the file turns invalid.
Then Patient Identity Removed = YES, the method in words and as CID 7050 codes,
Longitudinal Temporal Information Modified = MODIFIED, and the pseudonymous name and ID.
"""

import enum
import hashlib
from collections.abc import Callable

from pydicom.datadict import dictionary_has_tag
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.sr.codedict import codes
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from app.core.dicom_values import to_text
from app.deidentify.dates import shift_date, shift_datetime
from app.deidentify.descriptors import CLEANED_DESCRIPTORS, IdentityWords
from app.deidentify.keys import Pseudonymizer
from app.deidentify.table import (
    DUMMY,
    EMPTY,
    NEW_UID,
    NEW_UIDS_IN_SEQUENCE,
    REMOVE,
    TABLE_EDITION,
    ProfileTable,
    basic_profile,
)

DUMMY_TEXT = "ANONYMIZED"
_DUMMIES: dict[str, object] = {
    "AE": DUMMY_TEXT, "AS": "000D", "CS": DUMMY_TEXT, "DA": "19000101",
    "DT": "19000101000000", "TM": "000000", "DS": "0", "IS": "0", "LO": DUMMY_TEXT,
    "LT": DUMMY_TEXT, "PN": DUMMY_TEXT, "SH": DUMMY_TEXT, "ST": DUMMY_TEXT,
    "UC": DUMMY_TEXT, "UT": DUMMY_TEXT, "UR": "urn:x-anonymized", "US": 0, "SS": 0,
    "UL": 0, "SL": 0, "FL": 0.0, "FD": 0.0, "UV": 0, "SV": 0,
}
_FREE_TEXT_VRS = frozenset({"LO", "LT", "PN", "SH", "ST", "UC", "UT", "UR"})
# Inside a cleaned ("D") sequence, the parts of a coded concept stay: they come from
# terminologies, not from people.
_CODE_KEYWORDS = frozenset({
    "CodeValue", "CodingSchemeDesignator", "CodingSchemeVersion", "CodeMeaning",
    "LongCodeValue", "URNCodeValue", "MappingResourceName",
})
# D sequences whose codes themselves identify someone.
_IDENTITY_CODE_SEQUENCES = frozenset({"PersonIdentificationCodeSequence"})
# Sequences the table lets go (X/Z) that common modules require as type 2: emptied.
_TYPE2_SEQUENCES = frozenset({"AcquisitionContextSequence"})
# ... and those that are type 2 in documents (the SR and Key Object Document Series).
_TYPE2_SEQUENCES_IN_DOCUMENTS = frozenset({"ReferencedPerformedProcedureStepSequence"})
_DOCUMENT_MODALITIES = frozenset({"SR", "KO"})
# Type 1C attributes the table keeps (D) whose condition is an attribute it removes (X):
# without their partner they may not be present, so they go with it.
_PRESENT_ONLY_WITH = {
    "ClinicalTrialProtocolEthicsCommitteeName":
        "ClinicalTrialProtocolEthicsCommitteeApprovalNumber",
}
# UI attributes that name a kind of thing (never replaced, even when not well-known).
_KIND_UID_KEYWORDS = frozenset({"CodingSchemeUID", "ContextUID", "MappingResourceUID"})

# CID 7050 codes of what is applied, and De-identification Method in words (LO, <= 64).
METHOD_CODES = (
    codes.DCM.BasicApplicationConfidentialityProfile,
    codes.DCM.RetainLongitudinalTemporalInformationModifiedDatesOption,
    codes.DCM.CleanDescriptorsOption,
)
METHOD_TEXT = (
    f"Basic Application Confidentiality Profile (E.1-1 {TABLE_EDITION})",
    "Retain Longitudinal Temporal Information Modified Dates Option",
    "Clean Descriptors Option",
    "Lightbox",
)


class _Mode(enum.Enum):
    NORMAL = "normal"
    FREE_TEXT = "free text replaced, codes kept"
    ALL_TEXT = "all text replaced"


class _Action(enum.Enum):
    REMOVE = "remove"
    EMPTY = "empty"
    DUMMY = "dummy"
    UID = "uid"
    SHIFT = "shift"
    KEEP = "keep"
    RECURSE = "recurse"
    CLEAN_ITEMS = "clean items"


def _resolve(action_codes: frozenset[str], vr: str, keyword: str,
             type2_sequences: frozenset[str] = _TYPE2_SEQUENCES) -> _Action:
    """The one action taken among those the table allows (see the module's docstring)."""
    if keyword == "PatientBirthDate":
        return _Action.EMPTY
    if NEW_UIDS_IN_SEQUENCE in action_codes:
        return _Action.RECURSE if vr == "SQ" else _Action.UID
    if NEW_UID in action_codes or (vr == "UI" and action_codes & {EMPTY, DUMMY}):
        return _Action.RECURSE if vr == "SQ" else _Action.UID
    if vr in ("DA", "DT") and action_codes & {EMPTY, DUMMY}:
        return _Action.SHIFT
    if vr == "TM" and action_codes & {EMPTY, DUMMY}:
        return _Action.KEEP
    if vr == "SQ":
        # A sequence present must have items unless the module makes it type 2: removing
        # is what keeps a file valid, except for the type 2 sequences below.
        if REMOVE in action_codes and keyword not in type2_sequences:
            return _Action.REMOVE
        if EMPTY in action_codes or REMOVE in action_codes:
            return _Action.EMPTY
        return _Action.CLEAN_ITEMS
    if DUMMY in action_codes:
        return _Action.DUMMY
    if EMPTY in action_codes:
        return _Action.EMPTY
    return _Action.REMOVE


def _keeps_kind_uid(keyword: str) -> bool:
    """True for UI attributes that name a SOP class, transfer syntax or coding scheme."""
    return (keyword.endswith(("ClassUID", "ClassUIDInFile")) or "SOPClasses" in keyword
            or "TransferSyntax" in keyword or keyword in _KIND_UID_KEYWORDS)


def _values(element: DataElement) -> list[object]:
    value = element.value
    if isinstance(value, MultiValue | list):
        return list(value)
    return [] if value is None or value == "" else [value]


class _Walker:
    """One pass of the profile over a dataset and everything nested in it."""

    def __init__(self, keys: Pseudonymizer, offset_days: int, table: ProfileTable,
                 identity: IdentityWords | None,
                 type2_sequences: frozenset[str] = _TYPE2_SEQUENCES) -> None:
        self.keys = keys
        self.type2_sequences = type2_sequences
        self.offset_days = offset_days
        self.table = table
        self.identity = identity

    def walk(self, ds: Dataset, mode: _Mode) -> None:
        for tag in list(ds.keys()):
            try:
                element = ds[tag]
            except Exception:  # Not readable, so not cleanable: it goes.
                del ds[tag]
                continue
            self._element(ds, element, mode)
        for keyword, partner in _PRESENT_ONLY_WITH.items():
            if keyword in ds and partner not in ds:
                del ds[keyword]

    def _element(self, ds: Dataset, element: DataElement, mode: _Mode) -> None:
        tag = element.tag
        if (tag.is_private or (tag.element == 0 and tag.group > 2)
                or 0x6000 <= tag.group <= 0x60FF):
            del ds[tag]
            return
        action_codes = self.table.codes(tag)
        if action_codes is None:
            if element.VR == "UN" and not dictionary_has_tag(tag):
                del ds[tag]
            else:
                self._unlisted(ds, element, mode)
            return
        if (self.identity is not None and element.keyword in CLEANED_DESCRIPTORS
                and self.identity.element_is_clean(element)):
            return
        action = _resolve(action_codes, element.VR, element.keyword, self.type2_sequences)
        self._apply(ds, element, action, action_codes)

    def _apply(self, ds: Dataset, element: DataElement, action: _Action,
               action_codes: frozenset[str]) -> None:
        if action is _Action.REMOVE:
            del ds[element.tag]
        elif action is _Action.EMPTY:
            element.value = Sequence([]) if element.VR == "SQ" else element.empty_value
        elif action is _Action.DUMMY:
            _set_dummy(element)
        elif action is _Action.UID:
            self._replace_uids(element)
        elif action is _Action.SHIFT:
            if not self._shift(element):
                if EMPTY in action_codes:
                    element.value = element.empty_value
                else:
                    _set_dummy(element)
        elif action is _Action.RECURSE:
            self._items(element, _Mode.NORMAL)
        elif action is _Action.CLEAN_ITEMS:
            mode = _Mode.ALL_TEXT if element.keyword in _IDENTITY_CODE_SEQUENCES \
                else _Mode.FREE_TEXT
            self._items(element, mode)
        # _Action.KEEP: nothing to change.

    def _unlisted(self, ds: Dataset, element: DataElement, mode: _Mode) -> None:
        """An attribute the table does not list: kept, but its UIDs replaced, its dates
        moved, and, inside a cleaned sequence, its free text replaced."""
        vr = element.VR
        if vr == "SQ":
            self._items(element, mode)
        elif vr == "UI":
            if not _keeps_kind_uid(element.keyword):
                self._replace_uids(element)
        elif vr in ("DA", "DT"):
            if not self._shift(element):
                element.value = element.empty_value
        elif (mode is not _Mode.NORMAL and vr in _FREE_TEXT_VRS and _values(element)
              and (mode is _Mode.ALL_TEXT or element.keyword not in _CODE_KEYWORDS)):
            _set_dummy(element)

    def _items(self, element: DataElement, mode: _Mode) -> None:
        for item in element.value or []:
            self.walk(item, mode)

    def _replace_uids(self, element: DataElement) -> None:
        if element.VR not in ("UI", "UN"):
            element.value = element.empty_value
            return
        values = [to_text(v.decode("ascii", "replace") if isinstance(v, bytes) else v)
                  for v in _values(element)]
        new = [self.keys.uid(v) for v in values if v]
        element.VR = "UI"
        element.value = new[0] if len(new) == 1 else (new or "")

    def _shift(self, element: DataElement) -> bool:
        """Move every date of ``element``; False when one of them is not a date."""
        shift: Callable[[str, int], str | None] = \
            shift_date if element.VR == "DA" else shift_datetime
        values = [to_text(v) for v in _values(element)]
        moved = [shift(v, self.offset_days) for v in values]
        if any(m is None for m in moved):
            return False
        if moved:
            element.value = moved[0] if len(moved) == 1 else moved
        return True


def _set_dummy(element: DataElement) -> None:
    dummy = _DUMMIES.get(element.VR)
    if dummy is not None:
        element.value = dummy
    elif element.VR in ("OB", "OW", "OD", "OF", "OL", "OV", "UN"):
        element.value = b"\0\0"
    else:  # AT, or a VR without a sensible dummy: empty is just as safe.
        element.value = element.empty_value


def apply_profile(ds: Dataset, keys: Pseudonymizer, offset_days: int, patient_name: str,
                  patient_id: str, clean_descriptors: bool = True) -> None:
    """De-identify ``ds`` in place (give it a copy): the profile, then the attributes that
    say it was done, then the pseudonymous patient name and ID."""
    identity = IdentityWords(ds) if clean_descriptors else None
    type2 = _TYPE2_SEQUENCES
    if to_text(ds.get("Modality", "")).upper() in _DOCUMENT_MODALITIES:
        type2 = type2 | _TYPE2_SEQUENCES_IN_DOCUMENTS
    walker = _Walker(keys, offset_days, basic_profile(), identity, type2)
    walker.walk(ds, _Mode.NORMAL)
    if "StudyID" in ds and not to_text(ds.StudyID):
        # The table's Z allows a dummy; a DICOMDIR's STUDY record needs a Study ID, so the
        # copy gets one made from its new (already public) Study Instance UID.
        ds.StudyID = _dummy_study_id(to_text(ds.get("StudyInstanceUID", "")))
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    ds.PatientIdentityRemoved = "YES"
    method_codes = METHOD_CODES if clean_descriptors else METHOD_CODES[:2]
    ds.DeidentificationMethod = list(METHOD_TEXT if clean_descriptors
                                     else (*METHOD_TEXT[:2], METHOD_TEXT[3]))
    items = []
    for code in method_codes:
        item = Dataset()
        item.CodeValue = code.value
        item.CodingSchemeDesignator = code.scheme_designator
        item.CodeMeaning = code.meaning
        items.append(item)
    ds.DeidentificationMethodCodeSequence = items
    ds.LongitudinalTemporalInformationModified = "MODIFIED"
    _rebuild_file_meta(ds, walker)


def _dummy_study_id(new_study_uid: str) -> str:
    """A stable 8-character Study ID for a copy, from its new Study Instance UID."""
    return hashlib.sha256(new_study_uid.encode("ascii", "replace")).hexdigest()[:8].upper()


def _rebuild_file_meta(ds: Dataset, walker: _Walker) -> None:
    """A fresh File Meta Information: the instance's (new) UIDs and the transfer syntax;
    nothing of the sender (source and sending AE titles, private information)."""
    old = getattr(ds, "file_meta", None)
    syntax: str | None = old.get("TransferSyntaxUID") if old is not None else None
    if not syntax:
        implicit, little = getattr(ds, "original_encoding", (True, True))
        syntax = ExplicitVRBigEndian if not little else (
            ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian)
    meta = FileMetaDataset()
    meta.FileMetaInformationVersion = b"\x00\x01"
    sop_class = ds.get("SOPClassUID") or (old.get("MediaStorageSOPClassUID") if old else None)
    if sop_class:
        meta.MediaStorageSOPClassUID = sop_class
    sop_instance = ds.get("SOPInstanceUID")
    if sop_instance:
        meta.MediaStorageSOPInstanceUID = sop_instance
    elif old is not None and old.get("MediaStorageSOPInstanceUID"):
        meta.MediaStorageSOPInstanceUID = UID(walker.keys.uid(str(old.MediaStorageSOPInstanceUID)))
    meta.TransferSyntaxUID = UID(str(syntax))
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "LIGHTBOX"
    ds.file_meta = meta
