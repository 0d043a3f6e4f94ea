"""``lightbox audit [--verify] [--json]``: show the audit log, and check its hash chain."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from app.core.errors import EXIT_OK, EXIT_PROBLEMS
from app.core.printable import json_safe, printable

if TYPE_CHECKING:
    from app.services.audit import AuditEntry


def cmd_audit(args: argparse.Namespace) -> int:
    """``lightbox audit [--verify] [--json]``: every entry, one line each (or one JSON
    object); with ``--verify`` exit 1 when the chain is broken, naming the first bad
    entry, 0 when it is intact."""
    from app.core.paths import lightbox_home
    from app.services.audit import audit_json, read_audit

    result = read_audit(lightbox_home(), args.verify)
    if args.json:
        text = json.dumps(audit_json(result, args.verify), ensure_ascii=False, indent=1)
        sys.stdout.write(json_safe(text) + "\n")
    else:
        for entry in result.entries:
            print(printable(entry_line(entry)))
        if not result.entries:
            print("The audit log is empty.")
        if args.verify and result.intact and len(result.entries) == 1:
            print("The audit log is intact: 1 entry.")
        elif args.verify and result.intact:
            print(f"The audit log is intact: {len(result.entries)} entries, each linked "
                  "to the one before.")
    if args.verify and result.problem is not None:
        print(f"The audit log is broken: {result.problem}", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


def entry_line(entry: AuditEntry) -> str:
    """One entry as a line: seq, time, user, action, result, destination, studies."""
    studies = len(entry.studies)
    shown = "no study" if not studies else (
        f"{studies} stud{'y' if studies == 1 else 'ies'}: {entry.studies[0]}"
        + (", ..." if studies > 1 else ""))
    return (f"{entry.seq:>5}  {entry.time}  {entry.user}  {entry.action:<6}  "
            f"{entry.result}  {entry.destination or '-'}  ({shown})")

