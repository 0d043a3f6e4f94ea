"""``main``: parse, run one command, turn what went wrong into an exit code and a sentence.

Exit codes (DESIGN.md): 0 all done, 1 done with problems that were reported, 2 bad usage or
a source that cannot be read at all. A LightboxError carries its own ``exit_code``; its
message is the one plain sentence printed on stderr. ``--debug`` adds the traceback.
"""

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from app.cli.commands import COMMANDS, run_self_test
from app.cli.parser import build_parser
from app.core.errors import EXIT_PROBLEMS, LightboxError, UsageError
from app.core.printable import printable
from app.services.audit import unrecorded as audit_failures


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code."""
    args = build_parser().parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        # A name that is not UTF-8 never stops the output (printers escape the ones
        # they know of; this catches the rest, such as a path in an error sentence).
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    if args.home:
        os.environ["LIGHTBOX_HOME"] = str(Path(args.home).expanduser())
    # An action the audit log could not record still completes; say so, and exit 1.
    unrecorded: list[str] = []
    stop = audit_failures.connect(unrecorded.append)
    try:
        code = _run(args)
    finally:
        stop()
    for sentence in unrecorded:
        print(printable(sentence), file=sys.stderr)
    return max(code, EXIT_PROBLEMS) if unrecorded else code


def _run(args: argparse.Namespace) -> int:
    try:
        if args.self_test:
            if args.command is not None:
                raise UsageError("--self-test takes no command; run it on its own.")
            return run_self_test(args)
        return COMMANDS[args.command](args)
    except LightboxError as exc:
        return _fail(args, str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return _fail(args, "Stopped.", EXIT_PROBLEMS)
    except BrokenPipeError:
        # The reader went away (| head): not an error worth a sentence.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PROBLEMS
    except Exception as exc:
        return _fail(
            args,
            f"Lightbox failed unexpectedly ({type(exc).__name__}: {exc}). "
            "Run the same command with --debug to see the details.",
            EXIT_PROBLEMS,
        )


def _fail(args: argparse.Namespace, sentence: str, code: int) -> int:
    if args.debug:
        traceback.print_exc()
    print(printable(sentence), file=sys.stderr)  # It may quote a name from a medium.
    return code
