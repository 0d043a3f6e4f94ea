"""Sharing a study with a doctor: which account can give its link, what to tell the
patient and the doctor, the email and the QR code. No Qt: the CLI can use it, and it is
tested without a display.

What leaves the computer in an email is the link (the viewer's address with the study's
UID, never a secret: see :mod:`app.cloud.viewer_links`), a neutral subject and two
sentences on what the doctor needs. Never the patient's name, ID or the study's
description, which often carries them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from urllib.parse import quote, urlsplit

import segno

from app.cloud.accounts import Account
from app.cloud.viewer_links import (
    PLACEHOLDER,
    PRESETS,
    check_template,
    matching_preset,
    preset_template,
)
from app.core.errors import AccountError
from app.library.library import ShareRow, StudyRow
from app.services.copy_options import COPY_WITHOUT_NAME
from app.services.library_service import LibraryService
from app.services.viewer_text import MONTHS, display_date, display_text, modality_words

SUBJECT = "Medical images for you to view"
NO_VIEWER = "none"  # The account gives no links (not a preset of app.cloud.viewer_links).
OTHER = "other"
# How a share was made (LibraryService.record_share's ``how``).
COPIED, EMAIL, QR_CODE, PRINTED = "copied", "email", "qr code", "printed"
_HOW_WORDS = {COPIED: "link copied", EMAIL: "email", QR_CODE: "QR code saved",
              PRINTED: "printed", "command line": "command line",
              COPY_WITHOUT_NAME: "a copy without your name"}
# A QR code's quiet zone (ISO/IEC 18004: four modules), without which phones misread it.
QR_QUIET_ZONE = 4


# -- the account's viewer -------------------------------------------------------------
@dataclass(frozen=True)
class ViewerChoice:
    """One entry of the account dialog's "Viewer for doctors" list."""

    key: str  # a preset's key, OTHER or NO_VIEWER
    label: str


def viewer_choices() -> list[ViewerChoice]:
    """The viewers to pick from: the presets, "other" (typed), then "none"."""
    choices = [ViewerChoice(p.key, p.label) for p in PRESETS]
    return [*choices, ViewerChoice(NO_VIEWER, "None (no links for doctors)")]


def viewer_choice_of(account: Account) -> str:
    """The choice that gives this account's viewer address (OTHER when it was typed)."""
    if not account.viewer_url:
        return NO_VIEWER
    return matching_preset(account.viewer_url, account.url)


def example_template() -> str:
    """What a typed viewer address looks like (shown in the empty field)."""
    return f"https://viewer.example.org/?study={PLACEHOLDER}"


@dataclass(frozen=True)
class ViewerAddress:
    """The viewer address a choice gives: the template to save, how to show it, and
    ``problem``, one sentence, when there is none to save yet."""

    template: str
    shown: str
    problem: str = ""


def viewer_address(choice: str, account_url: str, typed: str = "") -> ViewerAddress:
    """The address that ``choice`` gives an account at ``account_url``; ``typed`` is the
    template typed for OTHER. A preset's address is shown with the study's place marked
    "…" (people read it; they do not edit it)."""
    if choice == NO_VIEWER:
        return ViewerAddress("", "")
    if choice == OTHER:
        text = typed.strip()
        if not text:
            return ViewerAddress("", "", "Type the address of your viewer, as its "
                                         "instructions give it.")
        if PLACEHOLDER not in text:
            return ViewerAddress("", text, "The address must mark where the study goes, "
                                           "like the example shown when the field is empty.")
        try:
            return ViewerAddress(check_template(text), text)
        except AccountError as exc:
            return ViewerAddress("", text, str(exc).replace(text, "This"))
    if not account_url.strip():
        return ViewerAddress("", "", "Enter the account's address first: the viewer's "
                                     "address is made from it.")
    try:
        template = preset_template(choice, account_url)
    except AccountError as exc:
        return ViewerAddress("", "", str(exc))
    return ViewerAddress(template, template.replace(PLACEHOLDER, "…"))


# -- who can share what ---------------------------------------------------------------
@dataclass(frozen=True)
class ShareOptions:
    """The accounts through which a study can be shared now, or why there is none."""

    accounts: tuple[Account, ...]
    reason: str = ""


def share_options(uploads: Mapping[str, str], accounts: Iterable[Account]) -> ShareOptions:
    """Which ``accounts`` hold a study completely (``uploads``: account → "complete",
    "partial" or "none", as in the library's rows) and have a viewer for doctors."""
    known = {a.name: a for a in accounts}
    complete = [known[n] for n, state in uploads.items() if state == "complete" and n in known]
    ready = tuple(a for a in complete if a.viewer_url)
    if ready:
        return ShareOptions(ready)
    if complete:
        names = " and ".join(a.name for a in complete)
        return ShareOptions((), f"{names} has no viewer for doctors yet; add one to the "
                                "account (File > Accounts and PACS) to share this study.")
    partial = [n for n, state in uploads.items() if state == "partial" and n in known]
    if partial:
        return ShareOptions((), f"Only part of this study is on {' and '.join(partial)}; "
                                "upload it again to finish, then share it.")
    return ShareOptions((), "Upload this study to a cloud account first: a doctor can "
                            "open it once every image is there.")


# -- what the patient and the doctor are told ------------------------------------------
def _opens_in_weasis(viewer_url: str) -> bool:
    return urlsplit(viewer_url).scheme == "weasis"


def patient_sentences(account_name: str, viewer_url: str) -> str:
    """Two plain sentences for the patient: what the doctor needs to open the link."""
    if _opens_in_weasis(viewer_url):
        return ("Your doctor needs the Weasis viewer installed on their computer. "
                f"Weasis then loads the images from {account_name}, so your doctor needs "
                "an account there too.")
    return (f"Your doctor signs in to {account_name}'s viewer to open it. "
            "The link only works for people who have an account there.")


def doctor_sentences(account_name: str, viewer_url: str) -> str:
    """The same two sentences, said to the doctor (for the email)."""
    if _opens_in_weasis(viewer_url):
        return ("The link opens the Weasis viewer, which needs to be installed on your "
                f"computer. Weasis then loads the images from {account_name}, where you "
                "need an account.")
    return (f"To open it, sign in to {account_name}'s viewer. "
            "The link only works for people who have an account there.")


def email_body(link: str, account_name: str, viewer_url: str) -> str:
    """The email's text: the link and what the doctor needs; nothing about the patient."""
    return "\r\n".join([
        "Hello,", "",
        "Here is a link to medical images for you to view:", "",
        link, "",
        doctor_sentences(account_name, viewer_url), "",
    ])


def mailto_url(link: str, account_name: str, viewer_url: str) -> str:
    """A ``mailto:`` URL (RFC 6068) with a neutral subject and the body above; the
    recipient is left for the patient to fill in."""
    subject = quote(SUBJECT, safe="")
    body = quote(email_body(link, account_name, viewer_url), safe="")
    return f"mailto:?subject={subject}&body={body}"


def qr_modules(link: str, quiet_zone: int = QR_QUIET_ZONE) -> list[list[bool]]:
    """The QR code of ``link`` as rows of modules (True: dark), quiet zone included."""
    code = segno.make_qr(link, error="m")
    return [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=quiet_zone)]


# -- the studies in the share panel, and what was shared before ------------------------
@dataclass(frozen=True)
class ShareItem:
    """A study ready to share: its link on one account, and how people name it."""

    study_instance_uid: str
    label: str
    link: str


def study_label(row: StudyRow) -> str:
    """"CT scan, 12 Mar 2024: Head" (what the study is, not whose)."""
    kinds = ", ".join(dict.fromkeys(modality_words(m) for m in row.modalities)) or "Images"
    when = display_date(row.study_date) or "date unknown"
    description = display_text(row.study_description)
    return f"{kinds}, {when}: {description}" if description else f"{kinds}, {when}"


def share_items(library: LibraryService, account: Account,
                study_uids: list[str]) -> list[ShareItem]:
    """The links of these studies on ``account``; NotOnAccountError, NoViewerAddressError
    or LibraryError (one sentence) when one cannot be shared through it."""
    labels = {r.study_instance_uid: study_label(r) for r in library.studies_by_uid(study_uids)}
    return [ShareItem(uid, labels.get(uid, "A study"), library.viewer_link(uid, account))
            for uid in study_uids]


def describe_share(share: ShareRow, zone: tzinfo | None = None) -> str:
    """"Shared through My Clinic Cloud on 2 Dec 2026 at 14:05 (link copied)", in
    ``zone`` (the computer's own by default)."""
    try:
        when = datetime.fromisoformat(share.shared_at).astimezone(zone)
        date = f"{when.day} {MONTHS[when.month - 1]} {when.year} at {when:%H:%M}"
    except ValueError:
        date = share.shared_at
    how = _HOW_WORDS.get(share.how, share.how)
    return f"Shared through {share.account} on {date} ({how})"
