""""Share a copy without my name": a de-identified copy of one study, uploaded to a cloud
account, and the viewer link of that copy.

The copy is written by the exporter (``services.deidentifying``: same profile, same
warnings, the images that may show burned-in text left out unless included or blacked
out) into a temporary folder beside the library, then sent with the upload's own sender
(``services.uploading.BatchSender``: batches, several connections, retries). The copy's
instances are not the library's, so nothing about them is recorded as uploaded; the
share is recorded under the original study once the account confirmed every image of the
copy and has a viewer address. UIDs come from the library's keyed mapping, so sending the
copy again gives the same study (harmless), and later copies of the same patient link up
with it. The temporary copy is removed at the end, on cancel and on failure alike.
"""

import shutil
import tempfile
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from pydicom import dcmread

import app.services.uploading as uploading
from app.cloud.accounts import Account
from app.cloud.dicomweb import StowFile
from app.cloud.viewer_links import fill
from app.core.dicom_values import dataset_text
from app.core.errors import LibraryError
from app.library.library import Library
from app.services.copy_options import COPY_WITHOUT_NAME, DeidentifyOptions
from app.services.deidentifying import export_deidentified
from app.services.exporting import ExportProgress, ExportReport, ExportWarning
from app.services.uploading import ClientFactory, StudyState, UploadProgress

NO_VIEWER_NOTE = ("The account {account} has no viewer address, so there is no link to "
                  "give; add one to the account to get links for doctors.")
INCOMPLETE_NOTE = ("{account} confirmed {confirmed} of the {total} images of the copy, so "
                   "there is no link yet; share the copy again to send what is missing.")


@dataclass(frozen=True)
class ShareCopyReport:
    """What a share of a copy without the patient's name did.

    ``study_instance_uid`` is the study in the library, ``copy_study_instance_uid`` the
    copy's (the same on every run); ``failed`` holds the copy's SOP Instance UIDs the
    account did not confirm, with the reason; ``link`` is the viewer link of the copy,
    None when the account has no viewer address or did not confirm every image (``notes``
    then say which); ``warnings`` are the images left out of the copy (burned-in text).
    """

    study_instance_uid: str
    copy_study_instance_uid: str
    account: str
    sent: int
    confirmed: int
    total: int
    failed: tuple[tuple[str, str], ...]
    link: str | None
    warnings: tuple[ExportWarning, ...]
    notes: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """True when the account confirmed every image of the copy."""
        return self.total > 0 and self.confirmed >= self.total


def share_copy(
    library: Library, study_uid: str, account: Account, make_client: ClientFactory,
    options: DeidentifyOptions,
) -> Generator[ExportProgress | UploadProgress | ShareCopyReport, None, None]:
    """Make a de-identified copy of ``study_uid``, send it to ``account`` and give the
    copy's viewer link (see the module's docstring).

    Raises LibraryError for a study the library does not hold, ExportError when no
    image could be put in the copy (or the disk is full), AuthError when the account
    refuses the credentials. Close the generator to cancel.
    """
    if not library.study_exists(study_uid):
        raise LibraryError(f"There is no study {study_uid} in the library.")
    work = Path(tempfile.mkdtemp(prefix=".share-copy-", dir=library.home))
    try:
        export: ExportReport | None = None
        for item in export_deidentified([study_uid], work / "copy", "folder", library,
                                        options):
            if isinstance(item, ExportReport):
                export = item
            else:
                yield item
        assert export is not None  # The exporter ends with its report, or raises.
        copy_uid = export.studies[0].exported_as
        files = copy_files(Path(export.out))
        state = yield from _send(copy_uid, files, make_client)
        notes = list(export.notes)
        link = None
        if state.confirmed < state.total:
            notes.append(INCOMPLETE_NOTE.format(account=account.name,
                                                confirmed=state.confirmed, total=state.total))
        elif not account.viewer_url:
            notes.append(NO_VIEWER_NOTE.format(account=account.name))
        else:
            link = fill(account.viewer_url, copy_uid)
            library.record_share(study_uid, account.name, link, COPY_WITHOUT_NAME)
        yield ShareCopyReport(
            study_instance_uid=study_uid, copy_study_instance_uid=copy_uid,
            account=account.name, sent=state.sent, confirmed=state.confirmed,
            total=state.total, failed=tuple(sorted(state.failed.items())), link=link,
            warnings=export.warnings,
            notes=tuple(notes),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def copy_files(folder: Path) -> list[StowFile]:
    """Every DICOM file of an exported copy (not its DICOMDIR), as files to send."""
    files = []
    for path in sorted(p for p in (folder / "DICOM").rglob("*") if p.is_file()):
        ds = dcmread(path, stop_before_pixels=True, specific_tags=["SOPInstanceUID"])
        files.append(StowFile(dataset_text(ds, "SOPInstanceUID"), path, path.stat().st_size))
    return files


def _send(
    copy_uid: str, files: list[StowFile], make_client: ClientFactory,
) -> Generator[UploadProgress, None, StudyState]:
    """Send the copy's files over the upload's own sender; what the account confirmed."""
    state = StudyState(copy_uid, len(files), 0)
    bytes_total = sum(f.size for f in files)
    bytes_done = 0
    started = time.monotonic()
    # The module's limits as they are now (tests lower them; defaults bind at import).
    sender = uploading.BatchSender(None, make_client, connections=uploading.CONNECTIONS,
                                   max_attempts=uploading.MAX_ATTEMPTS)
    try:
        for group in uploading.batches(files, uploading.BATCH_INSTANCES,
                                       uploading.BATCH_BYTES):
            sender.submit(copy_uid, group)
        while sender.busy:
            for batch in sender.collect(timeout=1.0):  # AuthError: stop everything.
                state.count(batch)
                bytes_done += batch.bytes
            yield UploadProgress(copy_uid, state.confirmed, len(state.failed), state.total,
                                 bytes_done, bytes_total, time.monotonic() - started,
                                 sender.take_note())
    finally:
        sender.close()
    return state
