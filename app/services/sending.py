"""Send studies from the library to a PACS (DICOM C-STORE), one association per study.

Only what the PACS has not confirmed is sent; each verdict is stored in the library (per
destination ``AET@HOST:PORT``) every few images and when the study ends or breaks off, so
a resend after a cut sends only what is missing. Progress has the upload's shape.
"""

import time
from collections.abc import Generator
from dataclasses import dataclass

from app.cloud.dimse import Destination, StoreFile, parse_destination, store_files
from app.core.errors import LibraryError
from app.library.library import Library
from app.services.uploading import StudyUpload, UploadProgress

RECORD_EVERY = 50
DEFAULT_CALLING_AET = "LIGHTBOX"


@dataclass(frozen=True)
class StudySend(StudyUpload):
    """A study's send outcome (as an upload's, ``link`` always None), with how many images
    were decoded and sent uncompressed because the PACS refused their stored syntax."""

    decoded: int = 0


@dataclass(frozen=True)
class SendReport:
    """Every study's outcome, and the destination."""

    destination: str
    studies: tuple[StudySend, ...]


def destination_of(text: str) -> Destination:
    """``AET@HOST:PORT`` as a destination (UsageError when it is not one)."""
    return parse_destination(text)


def send_studies(
    study_uids: list[str], destination: Destination, calling_aet: str, library: Library
) -> Generator[UploadProgress | SendReport, None, None]:
    """C-STORE the studies ``study_uids`` of ``library`` to ``destination``.

    Yields UploadProgress after each image, finally the SendReport. Raises LibraryError
    for an unknown study and PacsError when the PACS cannot be reached, refuses the
    association or drops it (what was confirmed before stays recorded).
    """
    for uid in study_uids:
        if not library.study_exists(uid):
            raise LibraryError(f"There is no study {uid} in the library.")
    key = str(destination)
    results = []
    for uid in study_uids:
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
        try:
            for result in store_files(destination, calling_aet, files):
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
                                 tuple(sorted(all_failed.items())), None, decoded))
    yield SendReport(key, tuple(results))
