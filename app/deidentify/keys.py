"""Pseudonyms under a per-library secret: new UIDs, the date offset, the patient's new name.

Each is an HMAC-SHA256 of the original value under the library's secret, with a label per
use so that one kind of output says nothing about another. Hence:
- the same original UID becomes the same new UID in every export from one library, so
  series stay grouped, references stay linked, and a later export of the same patient
  joins the earlier one at the receiver;
- another library (another secret) gives unrelated values;
- without the secret nothing leads back to the original; with it, the owner can recognise
  a pseudonymous UID by recomputing those of the library's own studies (no mapping table
  is needed, so none has to be guarded).
The secret is never logged: ``Pseudonymizer`` does not show it in its repr.
"""

import base64
import hashlib
import hmac
import unicodedata
from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.uid import UID

from app.core.dicom_values import to_text

# The range of the per-patient date shift, in days: at least a year back, at most ten.
OFFSET_MIN_DAYS = -3650
OFFSET_MAX_DAYS = -365
SECRET_BYTES = 32


@dataclass(frozen=True)
class PatientIdentity:
    """Who a dataset is about, as far as the header says: what the date offset and the
    pseudonym are derived from. Name case and spacing are normalised, so two discs that
    spell the same patient slightly differently still share one offset."""

    patient_id: str
    issuer: str
    name: str

    @classmethod
    def of(cls, ds: Dataset) -> "PatientIdentity":
        """The key of the patient ``ds`` is about (read before anything is replaced)."""
        name = to_text(ds.get("PatientName", ""))
        name = unicodedata.normalize("NFKC", name).upper()
        name = "^".join(" ".join(part.split()) for part in name.split("^")).rstrip("^ ")
        return cls(patient_id=to_text(ds.get("PatientID", "")),
                   issuer=to_text(ds.get("IssuerOfPatientID", "")), name=name)

    def encoded(self) -> bytes:
        # Unit separators keep ("AB", "C") apart from ("A", "BC").
        return "\x1f".join((self.patient_id, self.issuer, self.name)).encode("utf-8")


def is_well_known_uid(uid: str) -> bool:
    """True for a UID the standard defines (SOP classes, transfer syntaxes, coding schemes,
    well-known frames of reference...: pydicom's UID dictionary). Those name kinds of
    things, not a patient's, and are never replaced."""
    return UID(uid).name != uid


class Pseudonymizer:
    """The keyed functions of one library's secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the de-identification secret is too short")
        self._secret = secret

    def __repr__(self) -> str:
        return "Pseudonymizer(<secret>)"

    def _digest(self, label: str, value: bytes) -> bytes:
        return hmac.new(self._secret, label.encode("ascii") + b"\0" + value,
                        hashlib.sha256).digest()

    def uid(self, original: str) -> str:
        """The new UID for ``original``: ``2.25.`` and a 128-bit number (PS3.5 B.2), laid
        out as a version 8 (custom) UUID. Well-known UIDs come back unchanged."""
        original = original.strip("\0 ")
        if not original or is_well_known_uid(original):
            return original
        number = int.from_bytes(self._digest("uid", original.encode("ascii", "replace"))[:16])
        # RFC 9562 version 8 and variant bits, so the number is a well-formed UUID.
        number = (number & ~(0xF << 76)) | (0x8 << 76)
        number = (number & ~(0x3 << 62)) | (0x2 << 62)
        return f"2.25.{number}"

    def date_offset_days(self, patient: PatientIdentity) -> int:
        """The whole number of days every date of this patient is moved by."""
        span = OFFSET_MAX_DAYS - OFFSET_MIN_DAYS + 1
        number = int.from_bytes(self._digest("date-offset", patient.encoded())[:8])
        return OFFSET_MIN_DAYS + number % span

    def pseudonym(self, patient: PatientIdentity) -> str:
        """A short stable code for this patient (8 letters and digits, A-Z and 2-7)."""
        digest = self._digest("pseudonym", patient.encoded())
        return base64.b32encode(digest).decode("ascii")[:8]

    def matches_uid(self, new_uid: str, original: str) -> bool:
        """True when ``original`` is what this library turned into ``new_uid``."""
        return hmac.compare_digest(self.uid(original), new_uid)
