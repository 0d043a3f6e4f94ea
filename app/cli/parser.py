"""The argparse tree of the command-line contract (DESIGN.md).

Building it must stay cheap: ``lightbox --version`` and ``--help`` import nothing that
reads DICOM. Help texts that list names known only to heavier modules (window presets,
sample-disc transfer syntaxes) are :class:`DeferredHelp`, computed when help is printed.
"""

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


class DeferredHelp(str):
    """A help text computed only when help is shown (its value until then is a stand-in)."""

    make: Callable[[], str]

    def __new__(cls, make: Callable[[], str]) -> "DeferredHelp":
        text = super().__new__(cls, "...")
        text.make = make
        return text


class _Formatter(argparse.HelpFormatter):
    def _get_help_string(self, action: argparse.Action) -> str | None:
        if isinstance(action.help, DeferredHelp):
            return action.help.make()
        return action.help


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose help (its sub-commands' too) resolves DeferredHelp."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)


class _VersionAction(argparse.Action):
    """``--version``: the installed version, looked up only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        print(f"lightbox {installed_version()}")
        parser.exit()


def installed_version() -> str:
    """The version of this copy: ``app.__version__``, the one string pyproject also reads."""
    from app import __version__

    return __version__


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _preset_help() -> str:
    from app.imaging.presets import preset_names

    return f"one of: {', '.join(preset_names())}"


def _syntax_help() -> str:
    from app.services.sample_disc import transfer_syntax_names

    return f"one of: {', '.join(transfer_syntax_names())}"


def _local_patient_options(command: argparse.ArgumentParser, what: str,
                           name_and_id: bool = True) -> None:
    """The options that reconcile a copy to the local patient (``name_and_id``: also
    --patient-id and --patient-name, which export shares with --deidentify)."""
    if name_and_id:
        command.add_argument("--patient-id", metavar="ID",
                             help=f"the local Patient ID (MRN) {what}; needs --issuer")
    command.add_argument("--issuer", metavar="ISSUER",
                         help="who assigns the local Patient ID (Issuer of Patient ID)")
    if name_and_id:
        command.add_argument("--patient-name", metavar="NAME",
                             help="with --patient-id: the local name, FAMILY^GIVEN")
    command.add_argument("--birth-date", metavar="YYYYMMDD",
                         help="with --patient-id: the local birth date")
    command.add_argument("--sex", metavar="M|F|O",
                         help="with --patient-id: the local sex (M, F, O)")
    command.add_argument("--accession", metavar="NUMBER",
                         help="with --patient-id: the local accession number")


def _add_language(command: argparse.ArgumentParser) -> None:
    """``--language CODE``: the language of the plain-words sentences ("explained")."""
    command.add_argument(
        "--language", metavar="CODE",
        help="language of the plain-words descriptions, e.g. en or fr (default: the one "
             "chosen in Preferences, else English)")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: global options and every sub-command."""
    parser = _Parser(
        prog="lightbox",
        description="Read, view and keep the discs radiology clinics hand out.",
    )
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    parser.add_argument(
        "--self-test", action="store_true",
        help="check that this copy decodes every supported image format and can keep a "
             "library, then exit (0: all good)",
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
    _add_language(scan)

    render = commands.add_parser("render", help="render one frame to a PNG, as the viewer shows it")
    render.add_argument("file", type=Path, help="a DICOM file")
    render.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.png")
    render.add_argument("--frame", type=int, default=0, help="frame number, counting from 0")
    voi = render.add_mutually_exclusive_group()
    voi.add_argument("--window", type=float, nargs=2, metavar=("CENTER", "WIDTH"))
    voi.add_argument("--preset", metavar="NAME", help=DeferredHelp(_preset_help))
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
    _add_language(listing)
    library_commands.add_parser("verify", help="check every stored file against its hash")
    delete = library_commands.add_parser("delete", help="delete a study and its files")
    delete.add_argument("study", metavar="STUDY_UID")
    delete.add_argument("--yes", action="store_true", help="really delete (no question asked)")

    account = commands.add_parser(
        "account", help="cloud accounts and PACS destinations (secrets go to the OS keyring)")
    account_commands = account.add_subparsers(dest="account_command", metavar="ACTION")
    account_commands.required = True
    add = account_commands.add_parser(
        "add", help="add or replace a cloud account (--url), a PACS (--pacs) or a worklist "
                    "server (--worklist)",
        usage="%(prog)s NAME --url URL [--username U] (--password-stdin | --token-stdin) "
              "[--viewer-url TEMPLATE]\n       %(prog)s NAME (--pacs | --worklist) "
              "AET@HOST:PORT [--calling-aet AET]")
    add.add_argument("name")
    add.add_argument("--url", help="the DICOMweb base URL (https://...)")
    add.add_argument("--username", default="", help="for HTTP Basic authentication")
    add.add_argument("--viewer-url", default="", metavar="TEMPLATE",
                     help="where a doctor opens a study: an address holding "
                          "{StudyInstanceUID}, or one of the presets ohif, "
                          "orthanc-explorer-2, stone, weasis (derived from --url)")
    # Checked in the command (not by argparse) so that --pacs needs none of them.
    secret = add.add_mutually_exclusive_group()
    secret.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input")
    secret.add_argument("--token-stdin", action="store_true",
                        help="read a bearer token from standard input")
    dicom = add.add_mutually_exclusive_group()
    dicom.add_argument("--pacs", metavar="AET@HOST:PORT",
                       help="save a PACS (DICOM) instead: its AE title, host and port")
    dicom.add_argument("--worklist", metavar="AET@HOST:PORT",
                       help="save a Modality Worklist server (DICOM C-FIND) instead: its AE "
                            "title, host and port")
    add.add_argument("--calling-aet", metavar="AET",
                     help="with --pacs or --worklist: our AE title, as the server knows it "
                          "(default: LIGHTBOX)")
    account_commands.add_parser(
        "list", help="the accounts, PACS and worklist servers (no secrets shown)")
    remove = account_commands.add_parser(
        "remove", help="remove an account and its secret, or a PACS or worklist server")
    remove.add_argument("name")
    test = account_commands.add_parser(
        "test", help="check an account's address and credentials, or echo a PACS or "
                     "worklist server (C-ECHO)")
    test.add_argument("name")

    upload = commands.add_parser(
        "upload", help="upload studies from the library, or a disc as it is imported")
    upload.add_argument("studies", nargs="*", metavar="STUDY_UID")
    upload.add_argument(
        "--from", dest="source", type=Path, metavar="PATH",
        help="import this disc, folder, ISO or ZIP and upload it in the same pass "
             "(instead of STUDY_UIDs)",
    )
    upload.add_argument("--account", required=True, metavar="NAME")
    upload.add_argument("--json", action="store_true", help="print one JSON object at the end")

    send = commands.add_parser("send", help="send studies from the library to a PACS (C-STORE)")
    send.add_argument("studies", nargs="+", metavar="STUDY_UID")
    send.add_argument("--to", required=True, metavar="AET@HOST:PORT|NAME",
                      help="the PACS: its AE title, host and port, or the name of one "
                           "saved with 'lightbox account add NAME --pacs'")
    send.add_argument("--calling-aet", metavar="AET",
                      help="our AE title, as the PACS knows it (default: the saved PACS's, "
                           "else LIGHTBOX)")
    _local_patient_options(send, "the PACS receives")
    send.add_argument("--resend", action="store_true",
                      help="send every image again, also those the PACS confirmed before "
                           "(after its copy was corrected or deleted there)")
    send.add_argument("--json", action="store_true", help="print one JSON object at the end")

    link = commands.add_parser(
        "link", help="the viewer link of a study that is completely on an account")
    link.add_argument("study", metavar="STUDY_UID")
    link.add_argument("--account", required=True, metavar="NAME")
    link.add_argument("--json", action="store_true", help="print one JSON object")

    export = commands.add_parser(
        "export", help="write studies as standard media (with a DICOMDIR) that any viewer "
                       "opens: a folder, a ZIP file or an ISO image")
    export.add_argument("studies", nargs="+", metavar="STUDY_UID")
    export.add_argument("--out", type=Path, required=True, metavar="PATH",
                        help="a new or empty folder, or the new ZIP or ISO file")
    export.add_argument("--format", choices=("folder", "zip", "iso"),
                        help="what to write (default: zip or iso when PATH ends in .zip or "
                             ".iso, else folder)")
    export.add_argument("--deidentify", action="store_true",
                        help="a copy without the patient's identity (PS3.15 Annex E): new "
                             "name, ID and UIDs, dates shifted, images that may show "
                             "burned-in text left out")
    export.add_argument("--include-burned-in", action="store_true",
                        help="with --deidentify: keep images that may show burned-in text "
                             "(a name drawn into the pixels) as they are")
    export.add_argument("--patient-name", metavar="NAME",
                        help="with --deidentify: the name the copy carries "
                             "(default: Anonymous^CODE); with --issuer: the local "
                             "patient's name (FAMILY^GIVEN)")
    export.add_argument("--patient-id", metavar="ID",
                        help="with --deidentify: the patient ID the copy carries "
                             "(default: ANON-CODE); with --issuer: the local Patient ID")
    _local_patient_options(export, "the copy carries", name_and_id=False)
    export.add_argument("--json", action="store_true", help="print one JSON object at the end")

    audit = commands.add_parser(
        "audit", help="show the audit log of what was done with which studies, by whom")
    audit.add_argument("--verify", action="store_true",
                       help="check the hash chain: exit 1 when an entry was edited, "
                            "removed or reordered, naming the first bad one")
    audit.add_argument("--json", action="store_true", help="print one JSON object")

    sample = commands.add_parser(
        "sample-disc", help="write a synthetic but valid disc (demo, tests, benchmarks)"
    )
    sample.add_argument("out", type=Path, help="folder to create (must be empty or new)")
    sample.add_argument(
        "--slices", type=positive_int, default=120, help="slices in the axial series"
    )
    sample.add_argument(
        "--transfer-syntax", default="explicit", metavar="NAME", help=DeferredHelp(_syntax_help),
    )
    sample.add_argument("--patient-name", metavar="NAME",
                        help="who the disc is of, FAMILY^GIVEN (default: SAMPLE^PATIENT)")
    sample.add_argument("--patient-id", metavar="ID",
                        help="the Patient ID on the disc (default: LIGHTBOX-SAMPLE)")
    sample.add_argument("--issuer", metavar="ISSUER",
                        help="the Issuer of Patient ID on the disc (default: none)")
    sample.add_argument("--birth-date", metavar="YYYYMMDD",
                        help="the patient's birth date (default: 19700101)")
    sample.add_argument("--sex", metavar="M|F|O", help="the patient's sex (default: O)")
    sample.add_argument("--study-date", metavar="YYYYMMDD",
                        help="the day the study was taken (default: today)")
    return parser
