"""How the export dialog words things: the three kinds of copy, where a copy goes by
default, and the result in plain words (where the copy is, what it holds, what was left
out). No Qt; the GUI only shows these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from app.services.accounts_service import Account
from app.services.exporting import ExportProgress, ExportReport, Format, describe_export
from app.services.library_service import StudyRow
from app.services.share_copy import ShareCopyReport
from app.services.uploading import UploadProgress, describe_upload

FORMAT_WORDS: dict[Format, str] = {
    "folder": "a folder (for a USB stick)",
    "zip": "a ZIP file (to attach or upload)",
    "iso": "a disc image (ISO, to burn a CD)",
}
SUFFIXES: dict[Format, str] = {"folder": "", "zip": ".zip", "iso": ".iso"}
_KINDS: dict[Format, str] = {"folder": "folder", "zip": "ZIP file", "iso": "disc image"}
NO_NAME = "This copy does not carry your name, birth date or ID."
MAX_WARNINGS = 200


def suggested_name(rows: Sequence[StudyRow], deidentified: bool,
                   today: date | None = None) -> str:
    """A name for the copy that says what it is and never whose: "Medical images
    2024-01-02" (the study's date; today's for several studies). A copy without the name
    gets today's date ("Medical images without name 2026-12-03"): the study's own date
    is moved inside such a copy, so its file name must not give it away."""
    day = (today or date.today()).isoformat()
    if deidentified:
        return f"Medical images without name {day}"
    dates = {r.study_date for r in rows if len(r.study_date) == 8 and r.study_date.isdigit()}
    if len(dates) == 1:
        value = dates.pop()
        return f"Medical images {value[:4]}-{value[4:6]}-{value[6:]}"
    return f"Medical images {day}"


def place_for(folder: Path, name: str, format: Format) -> Path:
    """Where the copy goes: ``name`` in ``folder`` with the format's ending (added when
    the name does not have it yet)."""
    suffix = SUFFIXES[format]
    name = name.strip()
    if suffix and not name.lower().endswith(suffix):
        name += suffix
    return folder / name


def free_name(folder: Path, name: str, format: Format) -> str:
    """``name``, or "name (2)", "name (3)"... when a copy of that name is already in
    ``folder`` (an empty folder is free: the copy may go into it)."""
    candidate = name
    number = 2
    while _taken(place_for(folder, candidate, format)):
        candidate = f"{name} ({number})"
        number += 1
    return candidate


def _taken(path: Path) -> bool:
    try:
        if path.is_dir():
            return any(path.iterdir())
        return path.exists() and path.stat().st_size > 0
    except OSError:
        return True


def place_problem(folder: str, name: str) -> str:
    """Why the place typed cannot take a copy, before trying ("" when it looks fine)."""
    if not name.strip():
        return "Give the copy a name."
    if "/" in name or "\\" in name:
        return "The name cannot hold / or \\; choose the folder with Choose... instead."
    if not folder.strip():
        return "Choose where to save the copy."
    if not Path(folder).is_dir():
        return f"The folder {folder} does not exist; choose another one."
    return ""


@dataclass(frozen=True)
class ExportOutcome:
    """The finished copy in words: ``place`` (where it is), ``what`` (what it holds),
    ``left_out`` (one line per image not in the copy), ``notes``, and the folder to show
    (the copy itself for a folder, the one holding the file otherwise)."""

    place: str
    what: str
    left_out: tuple[str, ...]
    notes: tuple[str, ...]
    folder: Path


def _images(count: int) -> str:
    return "1 image" if count == 1 else f"{count} images"


def export_outcome(report: ExportReport) -> ExportOutcome:
    """The result page of the export dialog."""
    out = Path(report.out)
    kind = _KINDS[report.format]
    place = f"The copy is saved as a {kind}: {out}"
    studies = len(report.studies)
    what = (f"It holds {studies} stud{'y' if studies == 1 else 'ies'}, "
            f"{_images(report.instances)} ({report.bytes / 1e6:.1f} MB), with the index "
            "(DICOMDIR) that viewers open.")
    if report.format == "iso":
        what += " Burn the disc image to a CD or DVD with your computer's disc burning tool."
    elif report.format == "folder":
        what += " Copy the whole folder to a USB stick, or give it as it is."
    if report.deidentified:
        what += " " + NO_NAME + " Dates are moved by the same number of days, so the " \
            "time between scans stays right."
    else:
        what += " Like the original disc, it carries the patient's name and details."
    left_out = tuple(w.message for w in report.warnings[:MAX_WARNINGS])
    if len(report.warnings) > MAX_WARNINGS:
        left_out += (f"... and {len(report.warnings) - MAX_WARNINGS} more.",)
    folder = out if report.format == "folder" else out.parent
    return ExportOutcome(place, what, left_out, tuple(report.notes), folder)


def left_out_heading(count: int) -> str:
    """"2 images are not in the copy:"."""
    return f"{_images(count)} {'is' if count == 1 else 'are'} not in the copy:"


# -- sharing a copy without the name ---------------------------------------------------------
@dataclass(frozen=True)
class CopyAccounts:
    """The accounts a copy without the name can be shared through (those with a viewer
    for doctors: without one there is no link to give), and ``reason``: why there is
    none, or why some accounts are not offered."""

    accounts: tuple[Account, ...]
    reason: str = ""


def copy_accounts(accounts: Sequence[Account]) -> CopyAccounts:
    """Which of ``accounts`` can give a link to a shared copy."""
    usable = tuple(a for a in accounts if a.viewer_url)
    if usable:
        others = [a.name for a in accounts if not a.viewer_url]
        if not others:
            return CopyAccounts(usable)
        return CopyAccounts(usable, f"{' and '.join(others)} {'is' if len(others) == 1 else 'are'}"
                                    " not offered: no viewer for doctors, so no link.")
    if not accounts:
        return CopyAccounts((), "You have no cloud account yet. Add one that has a viewer "
                                "for doctors (File > Accounts and PACS...), then share the copy.")
    names = " and ".join(a.name for a in accounts)
    return CopyAccounts((), f"{names} has no viewer for doctors, so there would be no link "
                            "to send. Add a viewer to the account (File > Accounts "
                            "and PACS...), then share the copy.")


@dataclass(frozen=True)
class ProgressWords:
    """A progress line and how far along it is (``done`` of ``total``)."""

    text: str
    done: int
    total: int


def share_copy_progress(item: ExportProgress | UploadProgress, account: str) -> ProgressWords:
    """The copy being made, then sent, in plain words."""
    if isinstance(item, ExportProgress):
        return ProgressWords(f"Making the copy without your name: {describe_export(item)}",
                             item.done, item.total)
    return ProgressWords(f"Sending the copy to {account}: {describe_upload(item)}",
                         item.confirmed, item.total)


def share_copy_note(report: ShareCopyReport) -> str:
    """What the share panel says about a shared copy: that it carries no name, that its
    dates are moved (the doctor sees other dates than the ones above), and how many
    pictures were left out of it."""
    text = (f"{NO_NAME} Its dates are moved by the same number of days, so your doctor "
            "sees other dates than these; the time between scans stays right.")
    left_out = len(report.warnings)
    if left_out == 1:
        text += " 1 picture that may have writing in it was left out."
    elif left_out:
        text += f" {left_out} pictures that may have writing in them were left out."
    return text


@dataclass(frozen=True)
class ShareCopyWords:
    """A share of a copy that gave no link, in words: what happened and what to do
    (``text``), and the line per image that went wrong (``details``)."""

    text: str
    details: tuple[str, ...]


def share_copy_result(report: ShareCopyReport) -> ShareCopyWords:
    """Why a shared copy has no link yet, for the dialog's last page."""
    text = " ".join(report.notes) or (
        f"{report.account} did not confirm every image of the copy, so there is no link "
        "yet; try again.")
    details = tuple(f"{reason}" for _uid, reason in report.failed[:MAX_WARNINGS])
    details += tuple(w.message for w in report.warnings[:MAX_WARNINGS])
    return ShareCopyWords(text, details)
