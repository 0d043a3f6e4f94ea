"""The audit trail as the services write it and the CLI and the GUI read it.

Every action that touches patients' images (import, view, upload, send, export, share,
delete) is recorded in one place, :class:`app.services.library_service.LibraryService`,
so the CLI and the GUI record alike. A job is wrapped in :func:`audited`: the entry is
written when the job ends, with its outcome, also when it fails or is abandoned (closing
a generator raises GeneratorExit in it: "interrupted").

Writing the log must never cost the user their work: when it cannot be written the
action still completes, a line without patient data goes to ``LIGHTBOX_HOME/logs/
lightbox.log`` (if even that can be written), and :data:`unrecorded` tells whoever
listens (the CLI prints the sentence on stderr and exits 1; the GUI shows it).
Results hold counts and exception type names only, never a message (messages may quote
a name from a medium).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from app.core.observable import Event
from app.library.audit import ACTIONS, LOG_NAME, AuditEntry, AuditLog, Verification

if TYPE_CHECKING:
    from app.services.disc_upload import DiscUploadReport
    from app.services.exporting import ExportReport
    from app.services.importing import ImportReport
    from app.services.sending import SendReport
    from app.services.share_copy import ShareCopyReport
    from app.services.uploading import StudyUpload, UploadReport

__all__ = ["ACTIONS", "AuditEntry", "AuditRecord", "Verification", "audit_json",
           "audited", "read_audit", "unrecorded"]

APP_LOG = "lightbox.log"
T = TypeVar("T")

# The sentence saying an action went ahead but is not in the audit log (one per failed
# write); listeners may run on any thread.
unrecorded: Event[str] = Event()


def read_audit(home: Path, check: bool) -> Verification:
    """The entries of the audit log under ``home``, checked when ``check`` (else only the
    readable entries, ``problem`` None). LibraryError when the log cannot be read."""
    result = AuditLog(home).verify()
    return result if check else Verification(result.entries)


def audit_json(result: Verification, checked: bool) -> dict[str, object]:
    """``lightbox audit --json``: the entries, and the verdict when it was checked
    (``verified`` null otherwise)."""
    return {
        "entries": [e.as_dict() for e in result.entries],
        "verified": result.intact if checked else None,
        "problem": result.problem if checked else None,
        "first_bad_seq": result.first_bad_seq if checked else None,
    }


@dataclass
class AuditRecord:
    """One entry being prepared while its action runs; written on leaving the ``with``.

    ``studies`` and ``result`` may be filled in as the action learns them (from its
    report, through :meth:`watch`, or :meth:`done`); leaving by an exception records
    "failed: <type>", by GeneratorExit or KeyboardInterrupt "interrupted".
    """

    home: Path
    action: str
    destination: str
    studies: list[str] = field(default_factory=list)
    result: str | None = None

    def done(self, result: str, studies: Sequence[str] | None = None) -> None:
        """The outcome (and, when known only now, the studies)."""
        self.result = result
        if studies is not None:
            self.studies = list(studies)

    def watch(self, job: Iterator[T], report_type: type[Any],
              outcome: Callable[[Any], tuple[Sequence[str], str]]) -> Iterator[T]:
        """Pass ``job``'s items on; its report (of ``report_type``) gives the outcome.
        Closing this closes ``job`` at once, so its clean-up runs before the caller's
        (the library it writes to is still open)."""
        try:
            for item in job:
                if isinstance(item, report_type):
                    studies, result = outcome(item)
                    self.done(result, studies)
                yield item
        finally:
            close = getattr(job, "close", None)
            if close is not None:
                close()

    def __enter__(self) -> AuditRecord:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        result = self.result
        if result is None:
            if kind is None:
                result = "ok"
            elif issubclass(kind, (GeneratorExit, KeyboardInterrupt)):
                result = "interrupted"
            else:
                result = f"failed: {kind.__name__}"
        record(self.home, self.action, self.studies, self.destination, result)


def audited(home: Path, action: str, destination: str,
            studies: Sequence[str] = ()) -> AuditRecord:
    """A record of ``action`` to use as ``with audited(...) as audit:`` around it."""
    return AuditRecord(home, action, destination, list(studies))


def record(home: Path, action: str, studies: Sequence[str], destination: str,
           result: str) -> AuditEntry | None:
    """Append one entry; None (and the failure told, see the module docstring) when the
    log cannot be written. Never raises for a write failure."""
    try:
        return AuditLog(home).append(action, studies, destination, result)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        _note_in_app_log(home, f"audit entry not written: action={action} "
                               f"studies={len(studies)} error={type(exc).__name__} "
                               f"errno={exc.errno}")
        # A listener that fails (a closed window) must not fail the action either.
        with contextlib.suppress(Exception):
            unrecorded.emit(
                f"The {action} went ahead, but it could not be written to the audit log "
                f"{home / LOG_NAME} ({reason}); make that folder writable (or free disk "
                "space) so later actions are recorded.")
        return None


def _note_in_app_log(home: Path, text: str) -> None:
    """One line in ``LIGHTBOX_HOME/logs/lightbox.log``; silently nothing when even that
    cannot be written (the user is told by :data:`unrecorded`)."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    with contextlib.suppress(OSError):
        folder = home / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / APP_LOG, "a", encoding="utf-8") as log:
            log.write(f"{stamp} {text}\n")


# -- outcomes of the jobs' reports: counts only ---------------------------------------
def _verdict(good: int, bad: int) -> str:
    if bad == 0:
        return "ok"
    return "failed" if good == 0 else "partial"


def import_outcome(report: ImportReport) -> tuple[Sequence[str], str]:
    """Studies and result of an import."""
    stored = report.imported + report.already_present
    verdict = "interrupted" if report.stopped else _verdict(stored, len(report.failed))
    return report.study_instance_uids, (
        f"{verdict}: {report.imported} imported, {report.already_present} already present, "
        f"{len(report.failed)} failed")


def _transfer_outcome(studies: Sequence[StudyUpload], verb: str) -> tuple[list[str], str]:
    confirmed = sum(s.confirmed for s in studies)
    total = sum(s.total for s in studies)
    failed = sum(len(s.failed) for s in studies)
    missing = total - confirmed
    return [s.study_instance_uid for s in studies], (
        f"{_verdict(confirmed, max(failed, missing))}: {sum(s.sent for s in studies)} {verb}, "
        f"{confirmed} of {total} confirmed, {failed} failed")


def upload_outcome(report: UploadReport) -> tuple[Sequence[str], str]:
    """Studies and result of an upload."""
    return _transfer_outcome(report.studies, "sent")


def send_outcome(report: SendReport) -> tuple[Sequence[str], str]:
    """Studies and result of a C-STORE send."""
    return _transfer_outcome(report.studies, "sent")


def disc_upload_outcome(report: DiscUploadReport) -> tuple[Sequence[str], str]:
    """Studies and result of the upload half of ``upload --from``."""
    return upload_outcome(report.uploaded)


def disc_import_outcome(report: DiscUploadReport) -> tuple[Sequence[str], str]:
    """Studies and result of the import half of ``upload --from``."""
    return import_outcome(report.imported)


def export_outcome(report: ExportReport) -> tuple[Sequence[str], str]:
    """Studies and result of an export."""
    left_out = sum(s.left_out for s in report.studies)
    copy = "de-identified " if report.deidentified else ""
    return [s.study_instance_uid for s in report.studies], (
        f"{_verdict(report.instances, left_out)}: {report.format}, {report.instances} "
        f"{copy}images, {left_out} left out")


def share_copy_outcome(report: ShareCopyReport) -> tuple[Sequence[str], str]:
    """Studies (the original, then the copy) and result of sharing a copy without the
    patient's name."""
    verdict = _verdict(report.confirmed, report.total - report.confirmed)
    link = "link given" if report.link else "no link"
    return [report.study_instance_uid, report.copy_study_instance_uid], (
        f"{verdict}: de-identified copy, {report.confirmed} of {report.total} confirmed, "
        f"{link}")

