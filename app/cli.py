"""The command-line interface: the contract in DESIGN.md, kept thin.

Each command parses its options, drives a job from :mod:`app.services` (or a media
function), and prints. Exit codes: 0 all done, 1 done with problems that were reported,
2 bad usage or a source that cannot be read at all. Errors are one plain sentence on
stderr; ``--debug`` adds the traceback.
"""

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from app.cli_progress import ProgressPrinter
from app.cloud.accounts import Account, AccountBook, AuthKind, check_url
from app.cloud.credentials import forget_secret, load_secret, save_secret
from app.cloud.dicomweb import DicomWebClient
from app.core.errors import (
    AccountError,
    AuthError,
    CredentialStoreError,
    LibraryError,
    LightboxError,
    RenderError,
    SourceUnreadableError,
)
from app.core.models import PatientNode, ScanProgress, ScanReport
from app.core.paths import lightbox_home
from app.imaging.presets import preset_names
from app.imaging.render import render_file_to_png
from app.library.library import Library, StudyRow
from app.media.pydicom_setup import configure_pydicom
from app.services.importing import ImportReport, import_media
from app.services.scan import health_summary, scan_media
from app.services.uploading import UploadReport, upload_studies
from app.services.verification import VerifyReport, verify_library

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_UNUSABLE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lightbox",
        description="Read, view and keep the discs radiology clinics hand out.",
    )
    parser.add_argument("--home", metavar="DIR", help="library, settings and logs folder")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    view = commands.add_parser("view", help="open a disc, folder, ISO, ZIP or file")
    view.add_argument("path", type=Path, help="what to open")
    view.add_argument(
        "--screenshot", type=Path, metavar="PNG",
        help="save the window once the first image is shown, then exit",
    )

    scan = commands.add_parser("scan", help="read media without importing: tree and problems")
    scan.add_argument("path", type=Path, help="mount point, folder, DICOMDIR, ISO, ZIP or file")
    scan.add_argument("--json", action="store_true", help="print one JSON object")

    render = commands.add_parser("render", help="render one frame to a PNG, as the viewer shows it")
    render.add_argument("file", type=Path, help="a DICOM file")
    render.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.png")
    render.add_argument("--frame", type=int, default=0, help="frame number, counting from 0")
    voi = render.add_mutually_exclusive_group()
    voi.add_argument("--window", type=float, nargs=2, metavar=("CENTER", "WIDTH"))
    voi.add_argument("--preset", metavar="NAME", help=f"one of: {', '.join(preset_names())}")
    voi.add_argument("--minmax", action="store_true", help="window from the pixel range")
    render.add_argument("--rotate", type=int, choices=(0, 90, 180, 270), default=0)
    render.add_argument("--flip", choices=("h", "v"))
    render.add_argument("--zoom", type=float, default=1.0)

    importer = commands.add_parser("import", help="import media into the library")
    importer.add_argument("path", type=Path, help="mount point, folder, DICOMDIR, ISO, ZIP or file")
    importer.add_argument("--json", action="store_true", help="print one JSON object at the end")

    library = commands.add_parser("library", help="list, check or delete what the library holds")
    library_commands = library.add_subparsers(dest="library_command", metavar="ACTION")
    library_commands.required = True
    listing = library_commands.add_parser("list", help="the studies in the library")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    library_commands.add_parser("verify", help="check every stored file against its hash")
    delete = library_commands.add_parser("delete", help="delete a study and its files")
    delete.add_argument("study", metavar="STUDY_UID")
    delete.add_argument("--yes", action="store_true", help="really delete (no question asked)")

    account = commands.add_parser("account", help="cloud accounts (secrets go to the OS keyring)")
    account_commands = account.add_subparsers(dest="account_command", metavar="ACTION")
    account_commands.required = True
    add = account_commands.add_parser("add", help="add or replace an account")
    add.add_argument("name")
    add.add_argument("--url", required=True, help="the DICOMweb base URL (https://...)")
    add.add_argument("--username", default="", help="for HTTP Basic authentication")
    secret = add.add_mutually_exclusive_group(required=True)
    secret.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input")
    secret.add_argument("--token-stdin", action="store_true",
                        help="read a bearer token from standard input")
    account_commands.add_parser("list", help="the accounts (no secrets shown)")
    remove = account_commands.add_parser("remove", help="remove an account and its secret")
    remove.add_argument("name")
    test = account_commands.add_parser("test", help="check the address and the credentials")
    test.add_argument("name")

    upload = commands.add_parser("upload", help="upload studies from the library")
    upload.add_argument("studies", nargs="+", metavar="STUDY_UID")
    upload.add_argument("--account", required=True, metavar="NAME")
    upload.add_argument("--json", action="store_true", help="print one JSON object at the end")

    sample = commands.add_parser(
        "sample-disc", help="write a synthetic but valid disc (demo, tests, benchmarks)"
    )
    sample.add_argument("out", type=Path, help="folder to create (must be empty or new)")
    sample.add_argument(
        "--slices", type=_positive_int, default=120, help="slices in the axial series"
    )
    sample.add_argument(
        "--transfer-syntax",
        default="explicit",
        metavar="NAME",
        help=f"one of: {', '.join(_sample_syntax_names())}",
    )
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _sample_syntax_names() -> list[str]:
    from app.samples.disc_writer import SUPPORTED_TRANSFER_SYNTAXES

    return list(SUPPORTED_TRANSFER_SYNTAXES)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code."""
    configure_pydicom()
    parser = _parser()
    args = parser.parse_args(argv)
    if args.home:
        os.environ["LIGHTBOX_HOME"] = str(Path(args.home).expanduser())
    handlers: dict[str | None, Callable[[argparse.Namespace], int]] = {
        None: _cmd_gui,
        "view": _cmd_view,
        "scan": _cmd_scan,
        "render": _cmd_render,
        "import": _cmd_import,
        "account": _cmd_account,
        "upload": _cmd_upload,
        "library": _cmd_library,
        "sample-disc": _cmd_sample_disc,
    }
    try:
        return handlers[args.command](args)
    except (SourceUnreadableError, RenderError, LibraryError, AccountError, AuthError,
            CredentialStoreError) as exc:
        return _fail(args, exc, EXIT_UNUSABLE)
    except LightboxError as exc:
        return _fail(args, exc, EXIT_PROBLEMS)
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return EXIT_PROBLEMS
    except BrokenPipeError:
        # The reader went away (| head): not an error worth a sentence.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PROBLEMS
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"Lightbox failed unexpectedly ({type(exc).__name__}: {exc}). "
            "Run the same command with --debug to see the details.",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS


def _fail(args: argparse.Namespace, exc: Exception, code: int) -> int:
    if args.debug:
        traceback.print_exc()
    print(str(exc), file=sys.stderr)
    return code


def _cmd_gui(args: argparse.Namespace) -> int:
    from app.gui.app import run_viewer

    return run_viewer(None)


def _cmd_view(args: argparse.Namespace) -> int:
    from app.gui.app import run_viewer

    return run_viewer(args.path, args.screenshot)


def _cmd_scan(args: argparse.Namespace) -> int:
    report = _run_scan(args.path, show_progress=not args.json and sys.stderr.isatty())
    if args.json:
        json.dump(scan_json(report), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        print_scan(report, sys.stdout)
    return EXIT_PROBLEMS if report.problems or report.instances == 0 else EXIT_OK


def _run_scan(path: Path, show_progress: bool) -> ScanReport:
    for item in scan_media(path):
        if isinstance(item, ScanReport):
            if show_progress:
                sys.stderr.write("\r\033[K")
            return item
        if show_progress and _worth_redrawing(item):
            sys.stderr.write(f"\rReading files: {item.done}/{item.total}")
            sys.stderr.flush()
    raise AssertionError("scan_media always ends with a report")


def _worth_redrawing(progress: ScanProgress) -> bool:
    return progress.done == progress.total or progress.done % 25 == 0


def scan_json(report: ScanReport) -> dict[str, object]:
    """The ``scan --json`` object of DESIGN.md (plus ``unreferenced`` and ``notes``)."""
    return {
        "source": report.source,
        "kind": report.kind,
        "instances": report.instances,
        "patients": [_patient_json(p) for p in report.patients],
        "problems": [
            {"path": p.path, "problem": p.problem, "detail": p.detail} for p in report.problems
        ],
        "unreferenced": list(report.unreferenced),
        "notes": list(report.notes),
    }


def _patient_json(patient: PatientNode) -> dict[str, object]:
    return {
        "patient_id": patient.patient_id,
        "patient_name": patient.patient_name,
        "studies": [
            {
                "study_instance_uid": study.study_instance_uid,
                "study_date": study.study_date,
                "study_description": study.study_description,
                "series": [
                    {
                        "series_instance_uid": series.series_instance_uid,
                        "modality": series.modality,
                        "series_number": series.series_number,
                        "series_description": series.series_description,
                        "instances": len(series.instances),
                    }
                    for series in study.series
                ],
            }
            for study in patient.studies
        ],
    }


def _date(value: str) -> str:
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value or "date unknown"


MAX_PROBLEM_LINES = 25


def print_scan(report: ScanReport, out: TextIO) -> None:
    """Print the human scan report: the tree with counts, the summary, the problems."""
    how = {"dicomdir": "DICOMDIR", "scan": "no DICOMDIR, files searched", "iso": "ISO image",
           "zip": "ZIP file"}[report.kind]
    print(f"{report.source} ({how})", file=out)
    for patient in report.patients:
        name = patient.patient_name or "(no name)"
        print(f"{name}  (ID {patient.patient_id or '-'})", file=out)
        for study in patient.studies:
            print(f"  {_date(study.study_date)}  {study.study_description}".rstrip(), file=out)
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
            print(f"  {problem.problem:<13} {problem.path}: {problem.detail}", file=out)
        hidden = len(report.problems) - MAX_PROBLEM_LINES
        if hidden > 0:
            print(f"  ... and {hidden} more (use --json for the full list)", file=out)


def _open_library() -> Library:
    return Library(lightbox_home())


def _cmd_import(args: argparse.Namespace) -> int:
    with _open_library() as library:
        report = _run_import(args.path, library, args.json)
    if args.json:
        json.dump(import_json(report), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        print_import(report, sys.stdout)
    return EXIT_PROBLEMS if report.failed else EXIT_OK


def _run_import(path: Path, library: Library, quiet: bool) -> ImportReport:
    bar = ProgressPrinter(sys.stderr, quiet)
    for item in import_media(path, library):
        if isinstance(item, ImportReport):
            bar.finish()
            return item
        bar.update(item)
    raise AssertionError("import_media always ends with a report")


def import_json(report: ImportReport) -> dict[str, object]:
    """The ``import --json`` object of DESIGN.md (plus ``conflicts`` and ``stopped``)."""
    return {
        "imported": report.imported,
        "already_present": report.already_present,
        "failed": [{"path": f.path, "error": f.error} for f in report.failed],
        "conflicts": report.conflicts,
        "stopped": report.stopped,
    }


def print_import(report: ImportReport, out: TextIO) -> None:
    """The human import result: counts, then every failure in plain words."""
    print(
        f"Imported {report.imported} images from {report.source}; "
        f"{report.already_present} were already in the library; {len(report.failed)} failed.",
        file=out,
    )
    if report.stopped:
        print(report.stopped, file=out)
    for failure in report.failed[:MAX_PROBLEM_LINES]:
        print(f"  {failure.path}: {failure.error}", file=out)
    hidden = len(report.failed) - MAX_PROBLEM_LINES
    if hidden > 0:
        print(f"  ... and {hidden} more (use --json for the full list)", file=out)
    if not report.stopped:
        print("Every imported image is safely stored: the disc can be ejected.", file=out)


def _cmd_library(args: argparse.Namespace) -> int:
    with _open_library() as library:
        if args.library_command == "list":
            rows = library.list_studies()
            if args.json:
                json.dump({"studies": [_study_json(r) for r in rows]}, sys.stdout,
                          ensure_ascii=False, indent=1)
                sys.stdout.write("\n")
            else:
                _print_studies(rows, sys.stdout)
            return EXIT_OK
        if args.library_command == "verify":
            return _verify(library)
        if not args.yes:
            print("Deleting a study removes its images from this computer; "
                  "add --yes to really delete it.", file=sys.stderr)
            return EXIT_UNUSABLE
        removed = library.delete_study(args.study)
        print(f"Deleted the study and its {removed} images.")
        return EXIT_OK


def _study_json(row: StudyRow) -> dict[str, object]:
    return {
        "study_instance_uid": row.study_instance_uid,
        "patient_id": row.patient_id,
        "patient_name": row.patient_name,
        "study_date": row.study_date,
        "modalities": list(row.modalities),
        "series": row.series,
        "instances": row.instances,
        "uploads": row.uploads,
    }


def _print_studies(rows: list[StudyRow], out: TextIO) -> None:
    if not rows:
        print("The library is empty: import a disc with 'lightbox import PATH'.", file=out)
        return
    for row in rows:
        print(
            f"{_date(row.study_date)}  {row.patient_name or '(no name)'} ({row.patient_id})  "
            f"{'/'.join(row.modalities)}  {row.study_description}  "
            f"{row.series} series, {row.instances} images  {row.study_instance_uid}",
            file=out,
        )


def _verify(library: Library) -> int:
    report = None
    for item in verify_library(library):
        if isinstance(item, VerifyReport):
            report = item
        elif sys.stderr.isatty() and (item.done % 100 == 0 or item.done == item.total):
            sys.stderr.write(f"\rChecking files: {item.done}/{item.total}")
            sys.stderr.flush()
    assert report is not None
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
    if not report.problems:
        print(f"All {report.checked} stored images are present and unchanged.")
        return EXIT_OK
    print(f"{len(report.problems)} of {report.checked} stored images are not as imported:")
    for problem in report.problems:
        what = "is missing" if problem.problem == "missing" else "has changed"
        print(f"  {problem.sop_instance_uid}: its file {problem.file} {what}")
    return EXIT_PROBLEMS


def _cmd_account(args: argparse.Namespace) -> int:
    book = AccountBook(lightbox_home())
    if args.account_command == "list":
        accounts = book.all()
        if not accounts:
            print("No accounts yet: add one with 'lightbox account add NAME --url URL'.")
        for item in accounts:
            who = f" as {item.username}" if item.username else ""
            print(f"{item.name}: {item.url} ({item.auth}{who})")
        return EXIT_OK
    if args.account_command == "remove":
        book.remove(args.name)
        forget_secret(args.name)
        print(f"Removed the account {args.name} and its secret.")
        return EXIT_OK
    if args.account_command == "test":
        item = book.get(args.name)
        DicomWebClient(item, load_secret(item.name)).test()
        print(f"The account {item.name} works: {item.url} accepted the credentials.")
        return EXIT_OK
    secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        raise AccountError("The password or token on standard input is empty.")
    auth: AuthKind = "bearer" if args.token_stdin else "basic"
    if auth == "basic" and not args.username:
        raise AccountError("A password needs a user name: add --username.")
    item = Account(args.name, check_url(args.url), auth, args.username)
    save_secret(item.name, secret)  # First: an account without its secret is useless.
    book.add(item)
    print(f"Added the account {item.name} ({item.url}); its secret is in the password store.")
    return EXIT_OK


def _cmd_upload(args: argparse.Namespace) -> int:
    account = AccountBook(lightbox_home()).get(args.account)
    secret = load_secret(account.name)
    with _open_library() as library:
        report = None
        bar = ProgressPrinter(sys.stderr, args.json)
        for item in upload_studies(args.studies, account, library,
                                   lambda: DicomWebClient(account, secret)):
            if isinstance(item, UploadReport):
                report = item
            else:
                bar.update_upload(item)
        bar.finish()
    assert report is not None
    if args.json:
        json.dump(upload_json(report), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        for study in report.studies:
            print(f"{study.study_instance_uid}: {study.confirmed} of {study.total} images "
                  f"confirmed by {report.account} ({study.sent} sent now).")
            for uid, reason in study.failed[:MAX_PROBLEM_LINES]:
                print(f"  {uid}: {reason}")
    return EXIT_OK if all(s.complete for s in report.studies) else EXIT_PROBLEMS


def upload_json(report: UploadReport) -> dict[str, object]:
    """The ``upload --json`` object of DESIGN.md."""
    return {
        "studies": [
            {
                "study_instance_uid": s.study_instance_uid,
                "sent": s.sent,
                "confirmed": s.confirmed,
                "failed": [{"sop_instance_uid": uid, "reason": why} for uid, why in s.failed],
            }
            for s in report.studies
        ]
    }


def _cmd_render(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise SourceUnreadableError(f"There is no file at {args.file}.")
    width, height = render_file_to_png(
        args.file,
        args.output,
        frame=args.frame,
        window=args.window,
        preset=args.preset,
        minmax=args.minmax,
        rotate=args.rotate,
        flip=args.flip,
        zoom=args.zoom,
    )
    print(f"Wrote {args.output} ({width} x {height}).")
    return EXIT_OK


def _cmd_sample_disc(args: argparse.Namespace) -> int:
    from app.samples.disc_writer import write_sample_disc

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\rWriting images: {done}/{total}")
            sys.stderr.flush()

    try:
        summary = write_sample_disc(
            args.out, slices=args.slices, transfer_syntax=args.transfer_syntax, progress=progress
        )
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNUSABLE
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
    print(f"Wrote a sample disc with {summary.instances} images to {summary.out}")
    return EXIT_OK
