"""One function per command: parse nothing, call the application layer, print.

Each command imports what it needs when it runs, so ``lightbox --version`` and the cheap
commands do not pay for pydicom, the decoders, requests or the keyring.
"""

import argparse
import contextlib
import json
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from app.cli.audit import cmd_audit
from app.cli.progress import ProgressPrinter
from app.core.errors import EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE, LibraryError, UsageError
from app.services.jobs import run_to_report

if TYPE_CHECKING:
    from app.services.accounts_service import PacsDestination
    from app.services.copy_options import DeidentifyOptions
    from app.services.reconciling import LocalIdentity

Command = Callable[[argparse.Namespace], int]
R = TypeVar("R")


def _print_json(data: dict[str, object]) -> None:
    from app.core.printable import json_safe

    # Names from a medium may hold C1 controls or bidi overrides (\u escapes, not raw)
    # or bytes that are not UTF-8 (backslash escapes).
    sys.stdout.write(json_safe(json.dumps(_utf8_escaped(data), ensure_ascii=False, indent=1)))
    sys.stdout.write("\n")



def _run_and_print(as_json: bool, job: Iterator[Any], report_type: type[R],
                   update: Callable[[ProgressPrinter, Any], None],
                   to_json: Callable[[R], dict[str, Any]],
                   print_text: Callable[[R, TextIO], None]) -> R:
    """Run a long job with its progress line on stderr, then print its report: one JSON
    object with ``--json``, else the text for people. The report is returned."""
    bar = ProgressPrinter(sys.stderr, as_json)
    try:
        report = run_to_report(job, report_type, lambda item: update(bar, item))
    finally:
        bar.finish()
    if as_json:
        _print_json(to_json(report))
    else:
        print_text(report, sys.stdout)
    return report

def _utf8_escaped(value: object) -> object:
    """Every string in ``value`` as valid UTF-8 (names that are not UTF-8 escaped)."""
    from app.core.paths import utf8_escaped

    if isinstance(value, str):
        return utf8_escaped(value)
    if isinstance(value, dict):
        return {_utf8_escaped(k): _utf8_escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_utf8_escaped(v) for v in value]
    return value


def require_source(path: Path) -> Path:
    """``path`` when something is there; UsageError in one sentence otherwise."""
    if not path.exists():
        raise UsageError(f"There is no disc, folder or file at {path}.")
    return path


def plain_words_language(args: argparse.Namespace, home: Path | None = None) -> str:
    """The language of ``"explained"``: ``--language`` when given, else the one chosen in
    the window's Preferences, else English; UsageError for a code there are no words in."""
    from app.services.plain_words_language import UnknownLanguage, chosen_language

    try:
        return chosen_language(getattr(args, "language", None), home)
    except UnknownLanguage as error:
        raise UsageError(str(error)) from None


def require_screen(hint: str) -> None:
    """UsageError naming what is missing when no window can be shown (Qt never starts)."""
    from app.cli.screen import missing_screen

    missing = missing_screen()
    if missing is not None:
        raise UsageError(f"There is no screen to show the viewer on ({missing}); {hint}.")


def cmd_gui(args: argparse.Namespace) -> int:
    """``lightbox``: the viewer on the library."""
    require_screen("run 'lightbox' in a desktop session, or see the library with "
                   "'lightbox library list'")
    from app.gui.app import run_viewer

    return run_viewer(None)


def cmd_view(args: argparse.Namespace) -> int:
    """``lightbox view PATH [--screenshot PNG]``."""
    require_source(args.path)
    require_screen("use 'lightbox view PATH --screenshot PNG' under Xvfb, or "
                   "'lightbox scan PATH'")
    from app.gui.app import run_viewer

    return run_viewer(args.path, args.screenshot)


def cmd_scan(args: argparse.Namespace) -> int:
    """``lightbox scan PATH [--json]``."""
    require_source(args.path)
    plain_words_language(args)  # an unknown --language is refused before any reading
    from app.cli.contract import scan_json
    from app.cli.printers import print_scan
    from app.cli.progress import CountLine
    from app.core.models import ScanReport
    from app.services.scan import scan_media
    from app.services.setup import configure_dicom_reading

    configure_dicom_reading()
    line = CountLine(sys.stderr, "Reading files", every=25, quiet=args.json)
    try:
        report = run_to_report(scan_media(args.path), ScanReport, line.update)
    finally:
        line.finish()
    if args.json:
        _print_json(scan_json(report, plain_words_language(args)))
    else:
        print_scan(report, sys.stdout)
    return EXIT_PROBLEMS if report.problems or report.instances == 0 else EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """``lightbox import PATH [--json]``."""
    require_source(args.path)
    from app.cli.contract import import_json
    from app.cli.printers import print_import
    from app.services.importing import ImportReport
    from app.services.library_service import LibraryService
    from app.services.setup import configure_dicom_reading

    configure_dicom_reading()
    report = _run_and_print(args.json, LibraryService().import_media(args.path),
                            ImportReport, ProgressPrinter.update, import_json, print_import)
    return EXIT_PROBLEMS if report.failed else EXIT_OK


def cmd_library(args: argparse.Namespace) -> int:
    """``lightbox library list [--json] | verify | delete STUDY_UID --yes``."""
    from app.services.library_service import LibraryService

    library = LibraryService()
    if args.library_command == "list":
        from app.cli.contract import library_json
        from app.cli.printers import print_studies

        language = plain_words_language(args, library.home)  # refused before any listing
        rows = library.studies()
        if args.json:
            from app.services.plain_words import explain_library_studies

            _print_json(library_json(rows, explain_library_studies(library.home, language)))
        else:
            print_studies(rows, sys.stdout)
        return EXIT_OK
    if args.library_command == "verify":
        from app.cli.printers import print_verify
        from app.cli.progress import CountLine
        from app.services.verification import VerifyReport

        line = CountLine(sys.stderr, "Checking files", every=100)
        try:
            report = run_to_report(library.verify(), VerifyReport, line.update)
        finally:
            line.finish()
        print_verify(report, sys.stdout)
        return EXIT_PROBLEMS if report.problems else EXIT_OK
    if not args.yes:
        print("Deleting a study removes its images from this computer; "
              "add --yes to really delete it.", file=sys.stderr)
        return EXIT_UNUSABLE
    removed = library.delete_study(args.study)
    print(f"Deleted the study and its {removed} images.")
    return EXIT_OK


def cmd_account(args: argparse.Namespace) -> int:
    """``lightbox account add | list | remove | test``."""
    from app.services.accounts_service import AccountsService, AuthKind

    accounts = AccountsService()
    if args.account_command == "list":
        from app.cli.printers import print_accounts

        print_accounts(accounts.all(), sys.stdout, accounts.pacs(None))
        return EXIT_OK
    if args.account_command == "remove":
        what = accounts.get_pacs(args.name).what if accounts.kind_of(args.name) == "pacs" \
            else ""
        if accounts.remove(args.name) == "pacs":
            print(f"Removed the {what} {args.name}.")
        else:
            print(f"Removed the account {args.name} and its secret.")
        return EXIT_OK
    if args.account_command == "test":
        if accounts.kind_of(args.name) == "pacs":
            return _echo_pacs(accounts.get_pacs(args.name))
        item = accounts.get(args.name)
        accounts.test(item)
        print(f"The account {item.name} works: {item.url} accepted the credentials.")
        return EXIT_OK
    if args.pacs is not None or args.worklist is not None:
        return _add_pacs(args)
    if args.url is None:
        raise UsageError("Say where the account is: --url URL for a cloud account (DICOMweb), "
                         "or --pacs AET@HOST:PORT for a PACS (--worklist AET@HOST:PORT for a "
                         "worklist server).")
    if args.calling_aet is not None:
        raise UsageError("--calling-aet goes with --pacs or --worklist; a cloud account has no "
                         "AE title.")
    if not (args.password_stdin or args.token_stdin):
        raise UsageError("Give the account's secret on standard input: add --password-stdin "
                         "(with --username) or --token-stdin.")
    secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        raise UsageError("The password or token on standard input is empty.")
    auth: AuthKind = "bearer" if args.token_stdin else "basic"
    if auth == "basic" and not args.username.strip():
        raise UsageError("A password needs a user name: add --username.")
    viewer = accounts.viewer_template(args.viewer_url, args.url)
    item = accounts.add(accounts.make(args.name, args.url, auth, args.username, viewer), secret)
    print(f"Added the account {item.name} ({item.url}); its secret is in the password store.")
    if item.viewer_url:
        print(f"Links for doctors will look like: {item.viewer_url}")
    return EXIT_OK


def _add_pacs(args: argparse.Namespace) -> int:
    """``lightbox account add NAME (--pacs | --worklist) AET@HOST:PORT [--calling-aet AET]``."""
    from app.services.accounts_service import DEFAULT_CALLING_AET, AccountsService, PacsRole

    cloud_only = [option for option, given in (
        ("--url", args.url is not None), ("--username", bool(args.username)),
        ("--password-stdin", args.password_stdin), ("--token-stdin", args.token_stdin),
        ("--viewer-url", bool(args.viewer_url))) if given]
    role: PacsRole = "store" if args.pacs is not None else "worklist"
    option, address = ("--pacs", args.pacs) if role == "store" else ("--worklist", args.worklist)
    if cloud_only:
        raise UsageError(f"A PACS takes no {' or '.join(cloud_only)}: give either {option} "
                         "AET@HOST:PORT or a cloud account's --url, not both.")
    accounts = AccountsService()
    item = accounts.add_pacs(accounts.pacs_from_address(
        args.name, address, args.calling_aet or DEFAULT_CALLING_AET, role))
    print(f"Added the {item.what} {item.name} ({item.address}, we call it as "
          f"{item.calling_aet}); test it with: lightbox account test {item.name}")
    return EXIT_OK


def _echo_pacs(destination: "PacsDestination") -> int:
    """``lightbox account test NAME`` for a PACS: one C-ECHO, one sentence. Exit 1 when it
    cannot be reached or does not answer (as for an account's server), 2 when it refused
    our AE titles (as refused credentials)."""
    from app.services.accounts_service import AccountsService

    result = AccountsService.echo(destination)
    if result.ok:
        print(f"The {destination.what} {destination.name} works: {result.sentence}")
        return EXIT_OK
    print(result.sentence, file=sys.stderr)
    return EXIT_UNUSABLE if result.outcome == "rejected" else EXIT_PROBLEMS


def cmd_link(args: argparse.Namespace) -> int:
    """``lightbox link STUDY_UID --account NAME [--json]``."""
    from app.cli.contract import link_json
    from app.services.accounts_service import AccountsService
    from app.services.library_service import LibraryService

    account = AccountsService().get(args.account)
    library = LibraryService()
    link = library.viewer_link(args.study, account)
    with contextlib.suppress(LibraryError):
        # A library that may only be read still gives the link; it just cannot note it.
        library.record_share(args.study, account.name, link, "command line")
    if args.json:
        _print_json(link_json(args.study, account.name, link))
    else:
        print(link)
    return EXIT_OK


def cmd_upload(args: argparse.Namespace) -> int:
    """``lightbox upload STUDY_UID... --account NAME [--json]`` or
    ``lightbox upload --from PATH --account NAME [--json]``."""
    if args.source is not None and args.studies:
        raise UsageError("Give either study UIDs or --from PATH to upload, not both.")
    if args.source is None and not args.studies:
        raise UsageError("Say what to upload: study UIDs from the library, or --from PATH "
                         "for a disc, folder, ISO or ZIP.")
    if args.source is not None:
        return _upload_medium(args)
    from app.cli.contract import upload_json
    from app.cli.printers import print_upload
    from app.services.accounts_service import AccountsService
    from app.services.library_service import LibraryService
    from app.services.setup import configure_dicom_reading
    from app.services.uploading import UploadReport

    configure_dicom_reading()
    accounts = AccountsService()
    account = accounts.get(args.account)
    job = LibraryService().upload(args.studies, account, accounts.client_factory(account))
    report = _run_and_print(args.json, job, UploadReport, ProgressPrinter.update_upload,
                            upload_json, print_upload)
    return EXIT_OK if all(s.complete for s in report.studies) else EXIT_PROBLEMS


_DETAIL_OPTIONS = (("--patient-name", "patient_name"), ("--birth-date", "birth_date"),
                   ("--sex", "sex"), ("--accession", "accession"))


def local_identity(args: argparse.Namespace, alternative: str = "") -> "LocalIdentity | None":
    """The local patient the options ask the copies to carry (None without
    --patient-id/--issuer); UsageError in one sentence when they are incomplete or a
    value is not valid. ``alternative`` names what else an option may go with."""
    from app.services.reconciling import identity_from

    details = [(option, getattr(args, dest, None)) for option, dest in _DETAIL_OPTIONS]
    if args.patient_id is None and args.issuer is None:
        for option, value in details:
            if value is not None:
                raise UsageError(f"{option} needs --patient-id and --issuer (the local "
                                 f"patient){alternative}.")
        return None
    if args.patient_id is None or args.issuer is None:
        missing, given = ("--issuer", "--patient-id") if args.issuer is None \
            else ("--patient-id", "--issuer")
        raise UsageError(f"{given} and {missing} go together: add {missing}{alternative}.")
    return identity_from({"patient_id": args.patient_id, "issuer": args.issuer,
                          **{dest: getattr(args, dest, None) for _, dest in _DETAIL_OPTIONS}})


def cmd_send(args: argparse.Namespace) -> int:
    """``lightbox send STUDY_UID... --to AET@HOST:PORT|NAME [--calling-aet AET]
    [--patient-id ID --issuer I [--patient-name N] [--birth-date D] [--sex S]
    [--accession A]] [--resend] [--json]``."""
    identity = local_identity(args)
    from app.cli.contract import send_json
    from app.cli.printers import print_send
    from app.services.accounts_service import AccountsService
    from app.services.library_service import LibraryService
    from app.services.sending import SendReport
    from app.services.setup import configure_dicom_reading

    configure_dicom_reading()
    # A saved PACS's name becomes its address: sends are recorded by address.
    address, calling_aet = AccountsService().send_target(args.to, args.calling_aet)
    job = LibraryService().send(args.studies, address, calling_aet, identity=identity,
                                resend=args.resend)
    report = _run_and_print(args.json, job, SendReport, ProgressPrinter.update_send,
                            send_json, print_send)
    return EXIT_OK if all(s.complete for s in report.studies) else EXIT_PROBLEMS


def _upload_medium(args: argparse.Namespace) -> int:
    """``lightbox upload --from PATH --account NAME [--json]``: import and upload at once."""
    require_source(args.source)
    from app.cli.contract import disc_upload_json
    from app.cli.printers import print_disc_upload
    from app.services.accounts_service import AccountsService
    from app.services.disc_upload import DiscUploadReport
    from app.services.library_service import LibraryService
    from app.services.setup import configure_dicom_reading

    configure_dicom_reading()
    accounts = AccountsService()
    # The account and its secret are looked up before anything is read or imported.
    account = accounts.get(args.account)
    job = LibraryService().upload_medium(args.source, account,
                                         accounts.client_factory(account))
    report = _run_and_print(args.json, job, DiscUploadReport,
                            ProgressPrinter.update_disc_upload, disc_upload_json,
                            print_disc_upload)
    if not report.uploaded.studies:
        print(f"There are no images on {args.source} to upload.", file=sys.stderr)
    return EXIT_OK if report.complete else EXIT_PROBLEMS


def deidentify_options(args: argparse.Namespace) -> "DeidentifyOptions | None":
    """What ``--deidentify`` and its options ask for (None without it); UsageError when an
    option that only makes sense for a de-identified copy comes without it, or one of a
    local patient's (--issuer ...) comes with it. Without --deidentify, --patient-id and
    --patient-name belong to the local patient (see local_identity)."""
    from app.services.copy_options import DeidentifyOptions

    if not args.deidentify:
        if args.include_burned_in:
            raise UsageError("--include-burned-in only applies to a de-identified copy: "
                             "add --deidentify.")
        return None
    for option, value in (("--issuer", args.issuer), *(
            (option, getattr(args, dest)) for option, dest in _DETAIL_OPTIONS[1:])):
        if value is not None:
            raise UsageError(f"{option} cannot be combined with --deidentify: a copy is "
                             "either de-identified or made for a local patient, not both.")
    for option, value in (("--patient-name", args.patient_name),
                          ("--patient-id", args.patient_id)):
        if value is not None and not value.strip():
            raise UsageError(f"{option} is empty: give the name to use, or leave the "
                             "option out.")
    return DeidentifyOptions(patient_name=args.patient_name, patient_id=args.patient_id,
                             include_burned_in=args.include_burned_in)


def cmd_export(args: argparse.Namespace) -> int:
    """``lightbox export STUDY_UID... --out PATH [--deidentify [--include-burned-in]
    [--patient-name N] [--patient-id I] | --patient-id ID --issuer I [--patient-name N]
    [--birth-date D] [--sex S] [--accession A]] [--format folder|zip|iso] [--json]``."""
    options = deidentify_options(args)
    identity = None if options is not None else \
        local_identity(args, ", or --deidentify for a de-identified copy")
    from app.cli.contract import export_json
    from app.cli.printers import print_export
    from app.services.exporting import ExportReport, format_for
    from app.services.library_service import LibraryService
    from app.services.setup import configure_dicom_reading

    configure_dicom_reading()
    media_format = args.format or format_for(args.out)
    job = LibraryService().export(args.studies, args.out, media_format, deidentify=options,
                                  identity=identity)
    report = _run_and_print(args.json, job, ExportReport, ProgressPrinter.update_export,
                            export_json, print_export)
    return EXIT_PROBLEMS if report.warnings else EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    """``lightbox render FILE -o OUT.png [...]``."""
    if not args.file.is_file():
        raise UsageError(f"There is no file at {args.file}.")
    if args.window is not None:
        center, width = args.window
        if not (math.isfinite(center) and math.isfinite(width) and width > 0):
            raise UsageError("A window needs a real centre and a width above 0, "
                             "for example --window 40 400.")
    from app.imaging.render import render_file_to_png
    from app.services.setup import configure_dicom_reading

    configure_dicom_reading()
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


def cmd_sample_disc(args: argparse.Namespace) -> int:
    """``lightbox sample-disc OUT [--slices N] [--transfer-syntax NAME] [--patient-name
    NAME] [--patient-id ID] [--issuer ISSUER] [--birth-date YYYYMMDD] [--sex M|F|O]
    [--study-date YYYYMMDD]``."""
    from app.services.sample_disc import SamplePatient, write_sample_disc

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\rWriting images: {done}/{total}")
            sys.stderr.flush()

    default = SamplePatient()
    patient = SamplePatient(
        name=default.name if args.patient_name is None else args.patient_name,
        patient_id=default.patient_id if args.patient_id is None else args.patient_id,
        birth_date=default.birth_date if args.birth_date is None else args.birth_date,
        sex=default.sex if args.sex is None else args.sex.upper(),
        issuer=args.issuer or "",
    )
    summary = write_sample_disc(args.out, slices=args.slices,
                                transfer_syntax=args.transfer_syntax, progress=progress,
                                patient=patient, study_date=args.study_date)
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
    print(f"Wrote a sample disc with {summary.instances} images to {summary.out}")
    return EXIT_OK


def run_self_test(args: argparse.Namespace) -> int:
    """``lightbox --self-test``: one line per check on stdout; on a failure, one sentence on
    stderr naming what failed, and exit code 1."""
    from app.services.self_test import run_self_test as checks

    failed: list[str] = []
    for check in checks():
        print(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}", flush=True)
        if not check.ok:
            failed.append(f"{check.name} ({check.detail})")
    if failed:
        print(f"The self-test failed: {'; '.join(failed)}. This copy of Lightbox is damaged "
              "or incomplete: reinstall it.", file=sys.stderr)
        return EXIT_PROBLEMS
    print("Self-test passed.")
    return EXIT_OK


COMMANDS: dict[str | None, Command] = {
    None: cmd_gui,
    "view": cmd_view,
    "scan": cmd_scan,
    "render": cmd_render,
    "import": cmd_import,
    "account": cmd_account,
    "upload": cmd_upload,
    "send": cmd_send,
    "link": cmd_link,
    "export": cmd_export,
    "library": cmd_library,
    "sample-disc": cmd_sample_disc,
    "audit": cmd_audit,
}
