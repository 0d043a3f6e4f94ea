"""Viewer links: the address a doctor opens to see a study that is on a cloud account.

An account may carry a viewer address template holding ``{StudyInstanceUID}``. The common
web viewers are offered as presets whose template is derived from the account's DICOMweb
address; "other" is a template the user types, checked like an account address (HTTPS, or
HTTP to this computer). A link never carries a password or a token: user names and
passwords in the address are refused, and the filled link is the template with nothing
but the study's UID put in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from app.cloud.accounts import is_loopback
from app.core.errors import AccountError

PLACEHOLDER = "{StudyInstanceUID}"
# DICOM UIDs: digits and dots, at most 64 characters (PS3.5 9.1). Anything else is refused
# before it goes into a link, so nothing but a UID can ever be put in a template.
_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
# Where a DICOMweb service usually sits under a server's root: the viewers hang off the root.
_DICOMWEB_ROOTS = ("/dicom-web", "/dicomweb", "/wado-rs", "/dicom-web/rs")


@dataclass(frozen=True)
class ViewerPreset:
    """A web viewer Lightbox knows how to link to."""

    key: str
    label: str
    # The template for an account's DICOMweb address; None for "other" (the user types it).
    template_for: Callable[[str], str] | None


def server_root(dicomweb_url: str) -> str:
    """The server's root for a DICOMweb address (``https://h/dicom-web`` → ``https://h``)."""
    root = dicomweb_url.strip().rstrip("/")
    for suffix in _DICOMWEB_ROOTS:
        if root.lower().endswith(suffix):
            return root[: -len(suffix)]
    return root


def _ohif(url: str) -> str:
    return f"{server_root(url)}/viewer?StudyInstanceUIDs={PLACEHOLDER}"


def _orthanc_explorer_2(url: str) -> str:
    return (f'{server_root(url)}/ui/app/#/filtered-studies?StudyInstanceUID="{PLACEHOLDER}"'
            "&expand=series")


def _stone(url: str) -> str:
    return f"{server_root(url)}/stone-webviewer/index.html?study={PLACEHOLDER}"


def _weasis(url: str) -> str:
    # Weasis's launcher takes its command line URL-encoded; the placeholder stays readable
    # so that the template can be checked and filled like the others.
    before = quote(f'$dicom:rs --url "{url.strip().rstrip("/")}" -r "studyUID=', safe="")
    return f"weasis://?{before}{PLACEHOLDER}{quote(chr(34), safe='')}"


PRESETS: tuple[ViewerPreset, ...] = (
    ViewerPreset("ohif", "OHIF Viewer", _ohif),
    ViewerPreset("orthanc-explorer-2", "Orthanc Explorer 2", _orthanc_explorer_2),
    ViewerPreset("stone", "Orthanc Stone Web Viewer", _stone),
    ViewerPreset("weasis", "Weasis (opens the viewer installed on the doctor's computer)",
                 _weasis),
    ViewerPreset("other", "Other viewer (type its address)", None),
)


def preset(key: str) -> ViewerPreset:
    """The preset called ``key``; AccountError naming the known ones otherwise."""
    for item in PRESETS:
        if item.key == key:
            return item
    known = ", ".join(p.key for p in PRESETS)
    raise AccountError(f"There is no viewer preset called {key} (presets: {known}).")


def preset_template(key: str, dicomweb_url: str) -> str:
    """The checked template of preset ``key`` for an account at ``dicomweb_url``."""
    chosen = preset(key)
    if chosen.template_for is None:
        raise AccountError("Type the viewer's address for the 'other' viewer.")
    return check_template(chosen.template_for(dicomweb_url))


def matching_preset(template: str, dicomweb_url: str) -> str:
    """The key of the preset that gives ``template`` for this account, else ``other``."""
    for item in PRESETS:
        if item.template_for is not None and item.template_for(dicomweb_url) == template:
            return item.key
    return "other"


def check_template(template: str) -> str:
    """The template, if it is a safe viewer address holding ``{StudyInstanceUID}``;
    AccountError with one sentence otherwise. An empty template means "no viewer"."""
    text = template.strip()
    if not text:
        return ""
    if PLACEHOLDER not in text:
        raise AccountError(
            f"A viewer address must hold {PLACEHOLDER} where the study goes, e.g. "
            f"https://viewer.example/viewer?StudyInstanceUIDs={PLACEHOLDER}."
        )
    if any(ch.isspace() for ch in text):
        raise AccountError("A viewer address cannot hold spaces; check what was pasted.")
    parts = urlsplit(text)
    if parts.scheme == "weasis":
        return text  # Opens the viewer installed on the doctor's own computer.
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AccountError(
            f"{text} is not a web address; a viewer address looks like https://host/path."
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise AccountError(
            "A viewer address must use HTTPS (a secure connection); plain http:// is "
            "allowed only to this computer, for testing."
        )
    if parts.username or parts.password:
        raise AccountError(
            "A viewer address cannot hold a user name or password: a link is meant to be "
            "sent to someone else."
        )
    return text


def fill(template: str, study_instance_uid: str) -> str:
    """The link to one study: the template with the study's UID put in."""
    uid = study_instance_uid.strip()
    if len(uid) > 64 or not _UID.match(uid):
        raise AccountError(f"{uid!r} is not a study's UID (digits and dots).")
    return template.replace(PLACEHOLDER, uid)


def carried_values(template: str) -> set[str]:
    """Every value an address carries (path segments, query keys and values, fragment
    parts), decoded: what would leak if one of them were a secret."""
    return {part for part in re.split(r"[/?&=#:\"\s]+", unquote(template)) if part}
