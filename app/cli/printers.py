"""Human output of the commands: plain lines on stdout."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from app.core.paths import utf8_escaped
from app.core.printable import printable

if TYPE_CHECKING:
    from app.core.models import ScanReport
    from app.services.accounts_service import Account, PacsDestination
    from app.services.disc_upload import DiscUploadReport
    from app.services.exporting import ExportReport
    from app.services.importing import ImportReport
    from app.services.library_service import StudyRow
    from app.services.sending import SendReport
    from app.services.uploading import UploadReport
    from app.services.verification import VerifyReport

MAX_PROBLEM_LINES = 25
REPAIR_OFFER = ("Insert the disc these images came from and import it again: the missing or "
                "changed files will be restored.")

_SOURCE_KINDS = {"dicomdir": "DICOMDIR", "scan": "no DICOMDIR, files searched",
                 "iso": "ISO image", "zip": "ZIP file"}


def _print(text: str, out: TextIO) -> None:
    """One line of output; control characters and bidi overrides (from a medium's names,
    descriptions, File IDs) are shown as escapes, never sent to the terminal."""
    print(printable(utf8_escaped(text)), file=out)


def date(value: str) -> str:
    """YYYYMMDD as YYYY-MM-DD; anything else as it is ("date unknown" when empty)."""
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value or "date unknown"


def print_scan(report: ScanReport, out: TextIO) -> None:
    """The scan report: the tree with counts, the summary, the problems."""
    from app.services.scan import health_summary

    _print(f"{report.source} ({_SOURCE_KINDS[report.kind]})", out)
    for patient in report.patients:
        if patient.unattributed:
            _print("Images not linked to a patient (no patient name or ID)", out)
        else:
            name = patient.patient_name or "(no name)"
            _print(f"{name}  (ID {patient.patient_id or '-'})", out)
        for study in patient.studies:
            _print(f"  {date(study.study_date)}  {study.study_description}".rstrip(), out)
            for series in study.series:
                number = "" if series.series_number is None else f"{series.series_number} "
                count = len(series.instances)
                label = f"{series.modality} {series.series_description}".strip()
                _print(
                    f"    Series {number}{label}: {count} image{'s' if count != 1 else ''}", out)
    _print(health_summary(report), out)
    if report.problems:
        _print("Problems:", out)
        for problem in report.problems[:MAX_PROBLEM_LINES]:
            _print(f"  {problem.problem:<13} {problem.path}: {problem.detail}", out)
        _more(len(report.problems), out)


def _more(count: int, out: TextIO) -> None:
    hidden = count - MAX_PROBLEM_LINES
    if hidden > 0:
        _print(f"  ... and {hidden} more (use --json for the full list)", out)


def print_import(report: ImportReport, out: TextIO) -> None:
    """The import result: counts, then every failure in plain words."""
    _print(
        f"Imported {report.imported} images from {report.source}; "
        f"{report.already_present} were already in the library; {len(report.failed)} failed.", out)
    if report.repaired:
        _print(f"Repaired {report.repaired} stored image{'s' if report.repaired != 1 else ''} "
               "whose file in the library was missing or damaged, from this disc.", out)
    if report.stopped:
        _print(report.stopped, out)
    for failure in report.failed[:MAX_PROBLEM_LINES]:
        _print(f"  {failure.path}: {failure.error}", out)
    _more(len(report.failed), out)
    if report.all_stored:
        _print("Every imported image is safely stored: the disc can be ejected.", out)
    elif not report.stopped:
        from app.services.disc_words import import_outcome

        # Never "can be ejected" while images of the disc are not in the library.
        _print(import_outcome(report).eject, out)


def print_studies(rows: list[StudyRow], out: TextIO) -> None:
    """One line per study of the library (or how to fill an empty one)."""
    if not rows:
        _print("The library is empty: import a disc with 'lightbox import PATH'.", out)
        return
    for row in rows:
        _print(
            f"{date(row.study_date)}  {row.patient_name or '(no name)'} ({row.patient_id})  "
            f"{'/'.join(row.modalities)}  {row.study_description}  "
            f"{row.series} series, {row.instances} images"
            f"{'' if row.complete else f' (incomplete: {row.missing_on_source} missing)'}"
            f"  {row.study_instance_uid}", out)


def print_verify(report: VerifyReport, out: TextIO) -> None:
    """All is well in one line, or every image that is not as imported."""
    if not report.problems:
        _print(f"All {report.checked} stored images are present and unchanged.", out)
        return
    _print(f"{len(report.problems)} of {report.checked} stored images are not as imported:", out)
    for problem in report.problems:
        what = "is missing" if problem.problem == "missing" else "has changed"
        _print(f"  {problem.sop_instance_uid}: its file {problem.file} {what}", out)
    _print(REPAIR_OFFER, out)
    if report.sources:
        _print("They came from: " + "; ".join(report.sources) + ".", out)


def print_accounts(accounts: list[Account], out: TextIO,
                   pacs: Sequence[PacsDestination] = ()) -> None:
    """One line per cloud account (never a secret), then one per PACS, marked as such."""
    if not accounts and not pacs:
        _print("No accounts yet: add one with 'lightbox account add NAME --url URL' "
               "(cloud) or 'lightbox account add NAME --pacs AET@HOST:PORT' (PACS).", out)
    for item in accounts:
        who = f" as {item.username}" if item.username else ""
        _print(f"{item.name}: {item.url} ({item.auth}{who})", out)
        if item.viewer_url:
            _print(f"  viewer: {item.viewer_url}", out)
    for destination in pacs:
        kind = "worklist" if destination.role == "worklist" else "PACS"
        _print(f"{destination.name}: {kind} {destination.address} "
               f"(we call it as {destination.calling_aet})", out)


def print_upload(report: UploadReport, out: TextIO) -> None:
    """Per study: how many images the account confirmed, then what failed."""
    for study in report.studies:
        _print(f"{study.study_instance_uid}: {study.confirmed} of {study.total} images "
              f"confirmed by {report.account} ({study.sent} sent now).", out)
        if study.link:
            _print(f"  Link for your doctor: {study.link}", out)
        for uid, reason in study.failed[:MAX_PROBLEM_LINES]:
            _print(f"  {uid}: {reason}", out)


def print_send(report: SendReport, out: TextIO) -> None:
    """Per study: how many images the PACS confirmed, any decoded, then what failed."""
    for study in report.studies:
        _print(f"{study.study_instance_uid}: {study.confirmed} of {study.total} images "
               f"confirmed by {report.destination} ({study.sent} sent now).", out)
        if study.identity is not None:
            _print(f"  Sent for the local patient: Patient ID {study.identity.patient_id} "
                   f"(issuer {study.identity.issuer}).", out)
        if study.decoded:
            _print(f"  {study.decoded} compressed images were decoded and sent uncompressed, "
                   "because the PACS accepts only uncompressed images.", out)
        for uid, reason in study.failed[:MAX_PROBLEM_LINES]:
            _print(f"  {uid}: {reason}", out)


def print_disc_upload(report: DiscUploadReport, out: TextIO) -> None:
    """The import of the medium, then per study what the account confirmed."""
    print_import(report.imported, out)
    print_upload(report.uploaded, out)


_EXPORT_KINDS = {"folder": "a folder", "zip": "a ZIP file", "iso": "an ISO image"}


def print_export(report: ExportReport, out: TextIO) -> None:
    """Where the copy is and what it holds, then every image left out and why."""
    studies = len(report.studies)
    what = "a de-identified copy of " if report.deidentified else \
        f"a copy for Patient ID {report.identity.patient_id} (issuer " \
        f"{report.identity.issuer}) of " if report.identity is not None else ""
    _print(f"Exported {what}{studies} stud{'y' if studies == 1 else 'ies'} "
           f"({report.instances} images, {report.bytes / 1e6:.1f} MB) as "
           f"{_EXPORT_KINDS[report.format]} with a DICOMDIR: {report.out}", out)
    if report.warnings:
        _print(f"{len(report.warnings)} image{'s were' if len(report.warnings) != 1 else ' was'}"
               " not put in the copy:", out)
        for warning in report.warnings[:MAX_PROBLEM_LINES]:
            _print(f"  {warning.sop_instance_uid or warning.study_instance_uid}: "
                   f"{warning.message}", out)
        _more(len(report.warnings), out)
    for note in report.notes:
        _print(f"Note: {note}", out)
