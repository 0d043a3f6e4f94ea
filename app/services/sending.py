"""Send studies from the library to a PACS (DICOM C-STORE), one association per study.

Only what the PACS has not confirmed is sent; each verdict is stored in the library (per
destination ``AET@HOST:PORT``) every few images and when the study ends or breaks off, so
a resend after a cut sends only what is missing. Progress has the upload's shape.

With an ``identity`` (services.reconciling) each image is sent as a copy carrying the
local patient; the library records which identity each study went under, per destination.
"""

import time
from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC, datetime

from app.cloud.dimse import Destination, StoreFile, parse_destination, store_files
from app.core.errors import LibraryError, UsageError
from app.library.library import IDENTITY_FIELDS, Library, SentIdentity
from app.services.reconciling import LocalIdentity, rewriter
from app.services.uploading import StudyUpload, UploadProgress

RECORD_EVERY = 50
DEFAULT_CALLING_AET = "LIGHTBOX"


@dataclass(frozen=True)
class StudySend(StudyUpload):
    """A study's send outcome (as an upload's, ``link`` always None), with how many images
    were decoded and sent uncompressed because the PACS refused their stored syntax."""

    decoded: int = 0
    identity: LocalIdentity | None = None


@dataclass(frozen=True)
class SendReport:
    """Every study's outcome, and the destination."""

    destination: str
    studies: tuple[StudySend, ...]


def destination_of(text: str) -> Destination:
    """``AET@HOST:PORT`` as a destination (UsageError when it is not one)."""
    return parse_destination(text)


def _values(identity: LocalIdentity | None) -> tuple[str | None, ...]:
    return tuple(None if identity is None else getattr(identity, f) for f in IDENTITY_FIELDS)


def _described(sent: SentIdentity | None, now: tuple[str | None, ...]) -> str:
    if sent is None or sent.patient_id is None:
        return "with the patient as on the disc"
    same_id = sent.values[:2] == now[:2]
    return f"under Patient ID {sent.patient_id} (issuer {sent.issuer})" + (
        " with other name, birth date, sex or accession number" if same_id else "")


def check_identity(library: Library, study_uid: str, destination: str,
                   identity: LocalIdentity | None) -> None:
    """UsageError when the PACS ``destination`` already confirmed images of this study
    sent under another identity than ``identity`` (None: as on the disc).

    Why refuse rather than send: the PACS keeps the images it has (same SOP Instance
    UIDs; Orthanc, for one, ignores a second copy), so a resend under a new identity would
    leave it holding the study under the old one, or split between both, while the
    library said otherwise. Sending the rest under the same identity is fine; after the
    PACS's copy has been corrected or deleted there, ``resend`` sends everything again.
    """
    if library.sent_count(study_uid, destination) == 0:
        return
    history = library.send_identities(study_uid, destination)
    before = history[0] if history else None
    if (before.values if before else _values(None)) == _values(identity):
        return
    when = f" on {before.sent_at[:10]}" if before else ""
    raise UsageError(
        f"Study {study_uid} was already sent to {destination} "
        f"{_described(before, _values(identity))}{when}, "
        "and the PACS keeps the images it has: send it as it was sent before, or have it "
        "corrected or deleted on the PACS and send again with --resend.")


def send_studies(
    study_uids: list[str], destination: Destination, calling_aet: str, library: Library,
    identity: LocalIdentity | None = None, resend: bool = False,
) -> Generator[UploadProgress | SendReport, None, None]:
    """C-STORE the studies ``study_uids`` of ``library`` to ``destination``; with
    ``identity``, as copies carrying that local patient (services.reconciling); with
    ``resend``, every image again, whatever the PACS confirmed before.

    Yields UploadProgress after each image, finally the SendReport. Raises LibraryError
    for an unknown study, UsageError before anything is sent when a study already went to
    this PACS under another identity (see check_identity), and PacsError when the PACS
    cannot be reached, refuses the association or drops it (what was confirmed before
    stays recorded).
    """
    for uid in study_uids:
        if not library.study_exists(uid):
            raise LibraryError(f"There is no study {uid} in the library.")
    key = str(destination)
    if not resend:
        for uid in study_uids:
            check_identity(library, uid, key, identity)
    # One time for the whole job: every copy's Original Attributes item says the same.
    rewrite = rewriter(identity, datetime.now(UTC)) if identity is not None else None
    results = []
    for uid in study_uids:
        if resend:
            library.forget_sends(uid, key)
        total, _size = library.study_size(uid)
        pending = library.pending_sends(uid, key)
        already = library.sent_count(uid, key)
        files = [StoreFile(p.sop_instance_uid, p.sop_class_uid, p.transfer_syntax,
                           library.store.path(p.file), p.size) for p in pending]
        bytes_total = sum(f.size for f in files)
        sizes = {f.sop_instance_uid: f.size for f in files}
        confirmed: list[str] = []
        failed: dict[str, str] = {}
        all_failed: dict[str, str] = {}
        sent = decoded = bytes_done = 0
        started = time.monotonic()
        if files:
            library.record_send_identity(uid, key, _values(identity))
        try:
            for result in store_files(destination, calling_aet, files, rewrite=rewrite):
                sent += 1
                decoded += result.decoded
                bytes_done += sizes[result.sop_instance_uid]
                if result.confirmed:
                    confirmed.append(result.sop_instance_uid)
                else:
                    failed[result.sop_instance_uid] = result.reason
                    all_failed[result.sop_instance_uid] = result.reason
                if len(confirmed) + len(failed) >= RECORD_EVERY:
                    library.record_sends(key, confirmed, failed)
                    already += len(confirmed)
                    confirmed, failed = [], {}
                yield UploadProgress(uid, already + len(confirmed), len(all_failed), total,
                                     bytes_done, bytes_total, time.monotonic() - started)
        finally:
            library.record_sends(key, confirmed, failed)
        already += len(confirmed)
        results.append(StudySend(uid, sent, already, total,
                                 tuple(sorted(all_failed.items())), None, decoded, identity))
    yield SendReport(key, tuple(results))
