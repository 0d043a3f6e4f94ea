"""Human output of the commands: plain lines on stdout."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from app.core.paths import displayable

if TYPE_CHECKING:
    from app.core.models import ScanReport
    from app.services.accounts_service import Account
    from app.services.importing import ImportReport
    from app.services.library_service import StudyRow
    from app.services.uploading import UploadReport
    from app.services.verification import VerifyReport

MAX_PROBLEM_LINES = 25
REPAIR_OFFER = ("Insert the disc these images came from and import it again: the missing or "
                "changed files will be restored.")

_SOURCE_KINDS = {"dicomdir": "DICOMDIR", "scan": "no DICOMDIR, files searched",
                 "iso": "ISO image", "zip": "ZIP file"}


def date(value: str) -> str:
    """YYYYMMDD as YYYY-MM-DD; anything else as it is ("date unknown" when empty)."""
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value or "date unknown"


def print_scan(report: ScanReport, out: TextIO) -> None:
    """The scan report: the tree with counts, the summary, the problems."""
    from app.services.scan import health_summary

    print(f"{displayable(report.source)} ({_SOURCE_KINDS[report.kind]})", file=out)
    for patient in report.patients:
        if patient.unattributed:
            print("Images not linked to a patient (no patient name or ID)", file=out)
        else:
            name = patient.patient_name or "(no name)"
            print(f"{name}  (ID {patient.patient_id or '-'})", file=out)
        for study in patient.studies:
            print(f"  {date(study.study_date)}  {study.study_description}".rstrip(), file=out)
            for series in study.series:
                number = "" if series.series_number is None else f"{series.series_number} "
                count = len(series.instances)
                label = f"{series.modality} {series.series_description}".strip()
                print(
                    f"    Series {number}{label}: {count} image{'s' if count != 1 else ''}",
                    file=out,
                )
    print(health_summary(report), file=out)
    if report.problems:
        print("Problems:", file=out)
        for problem in report.problems[:MAX_PROBLEM_LINES]:
            print(f"  {problem.problem:<13} {displayable(problem.path)}: {problem.detail}",
                  file=out)
        _more(len(report.problems), out)


def _more(count: int, out: TextIO) -> None:
    hidden = count - MAX_PROBLEM_LINES
    if hidden > 0:
        print(f"  ... and {hidden} more (use --json for the full list)", file=out)


def print_import(report: ImportReport, out: TextIO) -> None:
    """The import result: counts, then every failure in plain words."""
    print(
        f"Imported {report.imported} images from {displayable(report.source)}; "
        f"{report.already_present} were already in the library; {len(report.failed)} failed.",
        file=out,
    )
    if report.repaired:
        print(f"Repaired {report.repaired} stored image{'s' if report.repaired != 1 else ''} "
              "whose file in the library was missing or damaged, from this disc.", file=out)
    if report.stopped:
        print(report.stopped, file=out)
    for failure in report.failed[:MAX_PROBLEM_LINES]:
        print(f"  {displayable(failure.path)}: {failure.error}", file=out)
    _more(len(report.failed), out)
    if report.all_stored:
        print("Every imported image is safely stored: the disc can be ejected.", file=out)
    elif not report.stopped:
        from app.services.disc_words import import_outcome

        # Never "can be ejected" while images of the disc are not in the library.
        print(import_outcome(report).eject, file=out)


def print_studies(rows: list[StudyRow], out: TextIO) -> None:
    """One line per study of the library (or how to fill an empty one)."""
    if not rows:
        print("The library is empty: import a disc with 'lightbox import PATH'.", file=out)
        return
    for row in rows:
        print(
            f"{date(row.study_date)}  {row.patient_name or '(no name)'} ({row.patient_id})  "
            f"{'/'.join(row.modalities)}  {row.study_description}  "
            f"{row.series} series, {row.instances} images"
            f"{'' if row.complete else f' (incomplete: {row.missing_on_source} missing)'}"
            f"  {row.study_instance_uid}",
            file=out,
        )


def print_verify(report: VerifyReport, out: TextIO) -> None:
    """All is well in one line, or every image that is not as imported."""
    if not report.problems:
        print(f"All {report.checked} stored images are present and unchanged.", file=out)
        return
    print(f"{len(report.problems)} of {report.checked} stored images are not as imported:",
          file=out)
    for problem in report.problems:
        what = "is missing" if problem.problem == "missing" else "has changed"
        print(f"  {problem.sop_instance_uid}: its file {problem.file} {what}", file=out)
    print(REPAIR_OFFER, file=out)
    if report.sources:
        print("They came from: " + "; ".join(report.sources) + ".", file=out)


def print_accounts(accounts: list[Account], out: TextIO) -> None:
    """One line per account (never a secret)."""
    if not accounts:
        print("No accounts yet: add one with 'lightbox account add NAME --url URL'.", file=out)
    for item in accounts:
        who = f" as {item.username}" if item.username else ""
        print(f"{item.name}: {item.url} ({item.auth}{who})", file=out)


def print_upload(report: UploadReport, out: TextIO) -> None:
    """Per study: how many images the account confirmed, then what failed."""
    for study in report.studies:
        print(f"{study.study_instance_uid}: {study.confirmed} of {study.total} images "
              f"confirmed by {report.account} ({study.sent} sent now).", file=out)
        for uid, reason in study.failed[:MAX_PROBLEM_LINES]:
            print(f"  {uid}: {reason}", file=out)
