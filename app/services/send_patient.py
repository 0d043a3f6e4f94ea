"""Words and rules of the send dialog's "Patient in our records" section (no Qt).

The form's own rules (what changed, one sentence per bad field) are in
services.reconciling; here is only what the section and the dialog say around them: plain
labels for the front desk, under which patient the images will be filed, and whether the
PACS already holds the study under another patient (then a send is refused and only an
explicit "send all images again" goes ahead).
"""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from app.library.library import IDENTITY_FIELDS, SentIdentity
from app.services.reconciling import FormField, LocalIdentity, normalised_birth_date

if TYPE_CHECKING:  # For the GUI's "fill from a worklist entry"; pynetdicom loads on use.
    from app.cloud.worklist import WorklistEntry as WorklistEntry

# Labels for people at a front desk, not DICOM keywords ("Issuer of Patient ID" is the
# standard's name; "ID issued by" says what to type).
PLAIN_LABELS: dict[str, str] = {
    "patient_id": "Patient ID (MRN)", "issuer": "ID issued by", "patient_name": "Name",
    "birth_date": "Birth date", "sex": "Sex", "accession": "Accession number",
}
TOOLTIPS: dict[str, str] = {
    "patient_id": "The patient's ID in our records (medical record number).",
    "issuer": "Who assigns the ID above (DICOM: Issuer of Patient ID), for example our "
              "hospital's code. Remembered for the next send.",
    "patient_name": "As FAMILY^GIVEN, for example DOE^JANE.",
    "birth_date": "As YYYYMMDD or YYYY-MM-DD.",
    "sex": "M, F, O, or empty when unknown.",
    "accession": "Our accession number for this study, if there is one (up to 16 "
                 "characters).",
}
EMPTY_SENTENCES: dict[str, str] = {
    "patient_id": "Type the patient's ID from our records.",
    "issuer": "Type who issued that ID, for example our hospital's code.",
}
DIFFERS = "Differs from the disc."
SEVERAL_STUDIES = ("These images go to the PACS under the patient each disc gives. To file "
                   "a study under a patient in our records, send one study at a time.")
AS_ON_DISC = "Send as on the disc"
UNDER_OURS = "File under our patient:"
PATIENT_NEEDED = ("Fill in our patient above, or choose \u201cSend as on the disc\u201d, "
                  "to send.")
NOT_SENT = "Not sent"
RESEND_BUTTON = "Send all images again under the new patient"
RESEND_AS_ON_DISC_BUTTON = "Send all images again as on the disc"


def field_problem(row: FormField, show: Callable[[str], str] = str) -> str:
    """The sentence under a field ("" when it is fine): a required field left empty asks
    for it in plain words; any other problem is the form's own sentence, with the typed
    value passed through ``show`` (privacy hides it as it hides the field)."""
    if row.required and not row.local_value.strip():
        return EMPTY_SENTENCES.get(row.name, row.problem)
    sentence = row.problem
    value = row.local_value.strip()
    if sentence and value and show(value) != value:
        digits = normalised_birth_date(value)
        shown = [f"'{row.local_value}'", value]
        if len(digits) == 8:  # A date in the future is said as YYYY-MM-DD.
            shown.append(f"{digits[:4]}-{digits[4:6]}-{digits[6:]}")
        for text in shown:
            sentence = sentence.replace(text, show(value))
    return sentence


def sent_under_lines(history: Sequence[SentIdentity],
                     show: Callable[[str], str] = str) -> list[str]:
    """For the library's tooltip: under which patient each PACS got the study, newest
    send per PACS ("Sent to PACS@10.0.0.5:104 under MRN-0042 (ID issued by HOSP)")."""
    seen: dict[str, SentIdentity] = {}
    for sent in history:  # Newest first: the first per destination counts.
        seen.setdefault(sent.destination, sent)
    return [f"Sent to {destination} {_how(sent, show)}"
            for destination, sent in sorted(seen.items())]


def marked(row: FormField) -> bool:
    """True when the field is shown as differing from the disc: our value changes the
    copy. A required field still empty is not marked (its sentence asks for it)."""
    return row.changed and not (row.required and not row.local_value.strip())


def as_on_disc_choice(disc_patient_id: str | None, show: Callable[[str], str] = str) -> str:
    """The "send as on the disc" choice, naming the outside ID the PACS would get."""
    if not disc_patient_id:
        return AS_ON_DISC
    return f"{AS_ON_DISC}, under the outside clinic's Patient ID {show(disc_patient_id)}"


def filed_under(identity: LocalIdentity | None, disc_patient_id: str | None,
                show: Callable[[str], str] = str) -> str:
    """Under which patient the PACS will file the images ("filed under MRN-0042 (ID
    issued by HOSP)"); ``disc_patient_id`` None when the disc's could not be read;
    ``show`` hides identifiers in privacy mode."""
    if identity is None:
        if disc_patient_id is None:
            return "filed as on the disc"
        if not disc_patient_id:
            return "filed as on the disc (the disc gives no Patient ID)"
        return f"filed as on the disc, under its Patient ID {show(disc_patient_id)}"
    return f"filed under {show(identity.patient_id)} (ID issued by {show(identity.issuer)})"


def _values(identity: LocalIdentity | None) -> tuple[str | None, ...]:
    return tuple(None if identity is None else getattr(identity, f) for f in IDENTITY_FIELDS)


def _how(sent: SentIdentity | None, show: Callable[[str], str]) -> str:
    if sent is None or sent.patient_id is None:
        return "as on the disc"
    return f"under Patient ID {show(sent.patient_id)} (ID issued by {show(sent.issuer or '')})"


def sent_under_another(history: Sequence[SentIdentity], confirmed: int,
                       identity: LocalIdentity | None) -> bool:
    """True when the PACS has confirmed images of the study (``confirmed`` > 0) sent under
    another identity than ``identity`` (None: as on the disc); ``history`` is the study's
    send_identities to that PACS, newest first. The same rule as sending.check_identity,
    so the dialog knows before the send is refused."""
    if confirmed == 0:
        return False
    before = history[0].values if history else _values(None)
    return before != _values(identity)


def _sent_before(destination: str, history: Sequence[SentIdentity],
                 show: Callable[[str], str], study: str) -> str:
    before = history[0] if history else None
    when = f" on {before.sent_at[:10]}" if before else ""
    return f"{destination} already has {study}, sent {_how(before, show)}{when}"


def conflict_summary(destination: str, history: Sequence[SentIdentity], filed: str,
                     show: Callable[[str], str] = str, study: str = "this study") -> str:
    """The dialog's summary before sending, when the PACS holds ``study`` under another
    patient (``history``: its send identities there, newest first): Send will not send it
    silently under the new one."""
    return (f"{_sent_before(destination, history, show, study)}. To have it "
            f"{filed or 'filed as on the disc'}, every image must be sent again: Send "
            "explains how.")


def refusal(destination: str, history: Sequence[SentIdentity],
            show: Callable[[str], str] = str, study: str = "this study") -> str:
    """What the dialog says when the send is refused because the PACS already holds
    ``study`` under another patient."""
    return (f"{_sent_before(destination, history, show, study)}. A PACS keeps the images "
            "it already has, so sending them under another patient could leave the study "
            "filed under the old one, or split between both. Nothing was sent.")


def resend_explanation(identity: LocalIdentity | None,
                       show: Callable[[str], str] = str, studies: int = 1) -> str:
    """The sentence beside the explicit resend button: what it does and when to use it."""
    whom = (f"Patient ID {show(identity.patient_id)} (ID issued by {show(identity.issuer)})"
            if identity is not None else "the patient as on the disc")
    what = "the study" if studies == 1 else "these studies"
    return (f"This sends every image of {what} again, under {whom}. Many PACS ignore "
            "images they already have, so first ask the PACS administrator to delete or "
            "correct the old copy there.")


def resend_button(identity: LocalIdentity | None) -> str:
    """The resend button's text."""
    return RESEND_BUTTON if identity is not None else RESEND_AS_ON_DISC_BUTTON


__all__ = ["AS_ON_DISC", "DIFFERS", "NOT_SENT", "PATIENT_NEEDED", "PLAIN_LABELS", "SEVERAL_STUDIES",
           "TOOLTIPS", "UNDER_OURS", "as_on_disc_choice", "conflict_summary", "field_problem",
           "filed_under", "marked", "refusal", "resend_button", "resend_explanation",
           "sent_under_another", "sent_under_lines"]
