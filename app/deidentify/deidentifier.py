"""The per-file transform an exporter (or an uploader) calls: a de-identified copy of a
dataset, or None when the image must be left out.

``Deidentifier(secret, options)`` is a ``Callable[[Dataset], Dataset | None]``. For each
dataset it decides about burned-in text first (``burned_in``): an image with a black-out
rule for its modality and size is blacked out and kept; otherwise a flagged image is left
out unless ``include_burned_in``. Then the profile runs on a deep copy, so the dataset it
was given (and the library file behind it) never changes, unless the caller asks for
``in_place`` (an exporter that read the dataset for this call only). What it decided about
each image is kept in ``notes`` for the caller's warnings; notes never hold a name or an ID.
"""

import copy
from dataclasses import dataclass, field

from pydicom.dataset import Dataset

from app.core.dicom_values import to_int, to_text
from app.core.errors import DeidentifyError
from app.deidentify.blackout import BlackoutRule, black_out, rule_for
from app.deidentify.burned_in import burned_in_reason
from app.deidentify.keys import PatientIdentity, Pseudonymizer
from app.deidentify.profile import apply_profile

DEFAULT_NAME_PREFIX = "Anonymous"


@dataclass(frozen=True)
class DeidentifyOptions:
    """What the user chose: a pseudonymous name and ID (default: "Anonymous^CODE" and
    "ANON-CODE", CODE stable per patient and library), whether images that may show
    burned-in text are included as they are, and the black-out rules to apply."""

    patient_name: str | None = None
    patient_id: str | None = None
    include_burned_in: bool = False
    clean_descriptors: bool = True
    blackout_rules: tuple[BlackoutRule, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class DeidentifyNote:
    """What happened to one image beyond the profile: ``kind`` is "excluded" (burned-in
    text, left out), "included" (burned-in text, kept as asked), "blacked-out" or
    "failed" (left out: it could not be de-identified). ``sop_instance_uid`` is the
    original UID (for the owner, who has it in the library), ``new_sop_instance_uid`` the
    one in the copy; ``message`` is a sentence for the user."""

    kind: str
    sop_instance_uid: str
    new_sop_instance_uid: str
    message: str


class Deidentifier:
    """De-identified copies under one library's secret and the user's options."""

    def __init__(self, secret: bytes, options: DeidentifyOptions | None = None) -> None:
        self.keys = Pseudonymizer(secret)
        self.options = options or DeidentifyOptions()
        self.notes: list[DeidentifyNote] = []

    def __repr__(self) -> str:
        return f"Deidentifier({self.options!r})"

    def new_uid(self, original: str) -> str:
        """The UID ``original`` becomes in every copy made under this secret."""
        return self.keys.uid(original)

    def patient_name_and_id(self, ds: Dataset) -> tuple[str, str]:
        """The pseudonymous name and ID the copy of ``ds`` gets."""
        code = self.keys.pseudonym(PatientIdentity.of(ds))
        name = (self.options.patient_name or "").strip() or f"{DEFAULT_NAME_PREFIX}^{code}"
        patient_id = (self.options.patient_id or "").strip() or f"ANON-{code}"
        return name, patient_id

    def __call__(self, ds: Dataset, *, in_place: bool = False) -> Dataset | None:
        """A de-identified copy of ``ds``, or None when it is left out (see ``notes``).

        ``in_place`` changes ``ds`` itself instead of a deep copy (and returns it): for a
        caller that read ``ds`` for this call only, such as an export (the deep copy is a
        large share of the time a de-identification takes)."""
        original_uid = to_text(ds.get("SOPInstanceUID", ""))
        new_uid = self.keys.uid(original_uid)
        what = _described(ds)
        reason = burned_in_reason(ds)
        rule = rule_for(ds, self.options.blackout_rules)
        if reason is not None and rule is None and not self.options.include_burned_in:
            self._note("excluded", original_uid, new_uid,
                       f"Left out {what}: {reason}; black it out or include it on purpose.")
            return None
        name, patient_id = self.patient_name_and_id(ds)
        offset = self.keys.date_offset_days(PatientIdentity.of(ds))
        out = ds if in_place else copy.deepcopy(ds)
        if rule is not None:
            try:
                result = black_out(out, rule.rectangles)
            except DeidentifyError as exc:
                self._note("failed", original_uid, new_uid, f"Left out {what}: {exc}")
                return None
            extra = f"; {result.rewritten}" if result.rewritten else ""
            self._note("blacked-out", original_uid, new_uid,
                       f"Blacked out {result.rectangles} area(s) of {what} by the rule for "
                       f"{rule.key[0]} {rule.columns}x{rule.rows}{extra}.")
        elif reason is not None:
            self._note("included", original_uid, new_uid,
                       f"Included {what} as it is, as asked, although {reason}.")
        try:
            apply_profile(out, self.keys, offset, name, patient_id,
                          clean_descriptors=self.options.clean_descriptors)
        except Exception:
            # Nothing half-cleaned may leave: the image is left out and said so. The
            # exception is not shown, since its text could quote a value.
            self._note("failed", original_uid, new_uid,
                       f"Left out {what}: it could not be de-identified.")
            return None
        return out

    def _note(self, kind: str, original: str, new: str, message: str) -> None:
        self.notes.append(DeidentifyNote(kind, original, new, message))


def _described(ds: Dataset) -> str:
    """ "the US image 3 of series 2": enough to find it, nothing that identifies anyone."""
    modality = to_text(ds.get("Modality", "")) or "unknown kind of"
    number = to_int(ds.get("InstanceNumber"))
    series = to_int(ds.get("SeriesNumber"))
    text = f"the {modality} image"
    if number is not None:
        text += f" {number}"
    if series is not None:
        text += f" of series {series}"
    return text
