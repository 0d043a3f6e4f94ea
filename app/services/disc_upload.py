"""Import a medium and upload it to a cloud account in one overlapped pass.

The medium is read by the importer (``app.services.importing``) exactly as ``lightbox
import`` reads it. As each group of its images is committed to the library, they are
queued to the uploader's batch sender (``app.services.uploading``), so the first batches
are on their way while the rest of the disc is still being read.

Every index write (the import's rows, the upload's verdicts) happens on the thread that
drives this generator, through the library's one connection: a verdict that arrives while
the import holds its grouped transaction is written inside it, and the import is asked to
commit at its next file. It never waits for a lock that its own thread holds.

Resume is the rule of each half: what the library holds is "already present", what the
account confirmed is not sent again. At the end, each study of the medium is completed on
the account as ``upload STUDY_UID`` would (images of it from other media included), so
the study is whole there, and a viewer link can be given once every image is confirmed.
"""

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path

from app.cloud.accounts import Account
from app.core.models import PatientKey
from app.core.progress import megabytes_per_second
from app.library.library import Library, StoredInstance
from app.services import uploading
from app.services.importing import (
    CommittedImage,
    ImportProgress,
    ImportReport,
    describe,
    import_media,
)
from app.services.uploading import (
    CONNECTIONS,
    MAX_ATTEMPTS,
    BatchSender,
    ClientFactory,
    SentBatch,
    StudyState,
    UploadProgress,
    UploadReport,
    batches,
)

# How long the upload's tail waits for an answer before telling progress again.
TAIL_WAIT_S = 1.0
# With nothing in flight, a batch goes as soon as this fraction of a full one is there.
PARTIAL_FRACTION = 5


@dataclass(frozen=True)
class MediumStudyProgress(UploadProgress):
    """One study's upload progress, with what names it for a person (from its images)."""

    study_date: str = ""
    study_description: str = ""


@dataclass(frozen=True)
class DiscUploadProgress:
    """Where the pass is: the reading of the medium (None before its first file), and
    per study seen so far how many images the account confirmed out of those known."""

    reading: ImportProgress | None
    studies: tuple[MediumStudyProgress, ...]
    disc_read: bool
    note: str = ""  # e.g. "The server is busy; trying again in 4 s."

    @property
    def confirmed(self) -> int:
        """Images confirmed by the account, all studies together (earlier runs too)."""
        return sum(s.confirmed for s in self.studies)

    @property
    def total(self) -> int:
        """Images known so far, all studies together."""
        return sum(s.total for s in self.studies)

    @property
    def failed(self) -> int:
        """Images the account did not accept in this run."""
        return sum(s.failed for s in self.studies)

    @property
    def megabytes_per_second(self) -> float:
        """Upload speed so far."""
        done = sum(s.bytes_done for s in self.studies)
        elapsed = max((s.elapsed for s in self.studies), default=0.0)
        return megabytes_per_second(done, elapsed)


def describe_disc_upload(progress: DiscUploadProgress) -> str:
    """Progress in plain words: "Reading 45/300 files, 12.3 MB/s; 50/120 images
    confirmed, 9.8 MB/s"."""
    if progress.reading is None:
        reading = "Reading the disc"
    elif progress.disc_read:
        reading = f"Disc read ({progress.reading.done} files)"
    else:
        reading = f"Reading {describe(progress.reading)}"
    text = (f"{reading}; {progress.confirmed}/{progress.total} images confirmed, "
            f"{progress.megabytes_per_second:.1f} MB/s")
    if progress.failed:
        text += f", {progress.failed} failed"
    if progress.note:
        text += f". {progress.note}"
    return text


@dataclass(frozen=True)
class DiscUploadReport:
    """The outcome of both halves: the import's report and the upload's report (one
    line per study of the medium)."""

    imported: ImportReport
    uploaded: UploadReport

    @property
    def complete(self) -> bool:
        """True when the medium held images, was read without a problem, and the account
        confirmed every image of every study on it."""
        return (bool(self.uploaded.studies) and not self.imported.failed
                and not self.imported.stopped
                and all(s.complete for s in self.uploaded.studies))


@dataclass
class _Study:
    state: StudyState
    confirmed_before: set[str]
    handled: set[str] = field(default_factory=set)  # Queued in this run (sent or to be).
    buffer: list[StoredInstance] = field(default_factory=list)
    bytes_total: int = 0
    bytes_done: int = 0
    date: str = ""
    description: str = ""


class _Uploads:
    """The upload half: per study, what is known, queued, sent and confirmed."""

    def __init__(self, account: Account, library: Library, sender: BatchSender) -> None:
        self.account = account
        self.library = library
        self.sender = sender
        self.studies: dict[str, _Study] = {}
        self.started = time.monotonic()
        # The module's limits as they are now (tests lower them; defaults bind at import).
        self.limits = (uploading.BATCH_INSTANCES, uploading.BATCH_BYTES)

    def _study(self, uid: str) -> _Study:
        study = self.studies.get(uid)
        if study is None:
            confirmed = self.library.confirmed_uids(uid, self.account.name)
            study = _Study(StudyState(uid, len(confirmed), len(confirmed)), confirmed)
            self.studies[uid] = study
        return study

    def take(self, images: list[CommittedImage]) -> None:
        """Queue committed images the account has not confirmed, and hand batches to the
        sender (see :meth:`_pump`)."""
        for image in images:
            sop = image.stored.sop_instance_uid
            uid = image.instance.study_instance_uid or self.library.study_of(sop) or ""
            study = self._study(uid)
            if not (study.date or study.description):
                study.date = image.instance.study_date
                study.description = image.instance.study_description
            self._queue(study, image.stored)
        self._pump()

    def _queue(self, study: _Study, stored: StoredInstance) -> None:
        sop = stored.sop_instance_uid
        if sop in study.confirmed_before or sop in study.handled:
            return
        study.handled.add(sop)
        study.state.total += 1
        study.bytes_total += stored.size
        study.buffer.append(stored)

    def _pump(self) -> None:
        """While the disc is read: full batches over every free connection when images
        pile up (the network is the slower half), else one batch at a time, as soon as a
        few images are there. On a machine where the cloud's work competes with the
        import's (a local server, two cores), one request in flight keeps pace with the
        reading and leaves the import its share of the processor."""
        full = self.limits[0]
        smallest = max(1, full // PARTIAL_FRACTION)
        for study in self.studies.values():
            while (self._full(study.buffer) and
                   self.sender.in_flight < self.sender.connections):
                self._submit(study, self._first_batch(study))
            if not self.sender.in_flight and len(study.buffer) >= smallest:
                self._submit(study, self._first_batch(study))

    def _full(self, buffer: list[StoredInstance]) -> bool:
        max_instances, max_bytes = self.limits
        return len(buffer) >= max_instances or sum(i.size for i in buffer) >= max_bytes

    def _first_batch(self, study: _Study) -> list[StoredInstance]:
        """The first batch of the study's buffer (within both limits), taken out of it."""
        (first, *_rest) = batches(study.buffer, *self.limits)
        study.buffer = study.buffer[len(first):]
        return first

    def _submit(self, study: _Study, group: list[StoredInstance]) -> None:
        if group:
            self.sender.submit(study.state.uid, group)

    def finish(self, report: ImportReport) -> None:
        """The medium is read: queue what the account still lacks of its studies (also
        images of them from other media, and kept conflicting versions), send it all."""
        uids = [u for u in report.study_instance_uids if u] + list(self.studies)
        for uid in dict.fromkeys(uids):
            if not uid or not self.library.study_exists(uid):
                continue  # Images without a study UID are filed under a made-up one.
            study = self._study(uid)
            for stored in self.library.pending_uploads(uid, self.account.name):
                self._queue(study, stored)
        max_instances, max_bytes = self.limits
        for study in self.studies.values():
            # The rest goes over every connection at once: the tail is what the user
            # waits for once the disc is read.
            share = -(-len(study.buffer) // self.sender.connections)
            for group in batches(study.buffer, max(1, min(max_instances, share)), max_bytes):
                self._submit(study, group)
            study.buffer = []

    def record(self, answered: list[SentBatch]) -> bool:
        """Store each verdict in the library (on this thread); True if there were any."""
        for batch in answered:
            self.library.record_uploads(self.account.name, batch.outcome.confirmed,
                                        batch.outcome.failed)
            study = self.studies[batch.study_instance_uid]
            study.state.count(batch)
            study.bytes_done += batch.bytes
        return bool(answered)

    def progress(self) -> tuple[MediumStudyProgress, ...]:
        elapsed = time.monotonic() - self.started
        return tuple(
            MediumStudyProgress(uid, s.state.confirmed, len(s.state.failed), s.state.total,
                                s.bytes_done, s.bytes_total, elapsed, "", s.date,
                                s.description)
            for uid, s in self.studies.items() if uid
        )

    def report(self) -> UploadReport:
        """One line per study, its totals read back from the library (the truth)."""
        lines = []
        for uid, study in self.studies.items():
            if not self.library.study_exists(uid):
                continue
            study.state.total = self.library.study_size(uid)[0]
            study.state.confirmed = self.library.confirmed_count(uid, self.account.name)
            lines.append(study.state.result(self.account))
        return UploadReport(self.account.name, tuple(lines))


def upload_medium(
    source: Path,
    account: Account,
    library: Library,
    make_client: ClientFactory,
    *,
    patients: set[PatientKey] | None = None,
    connections: int = CONNECTIONS,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] | None = None,
) -> Generator[DiscUploadProgress | DiscUploadReport, None, None]:
    """Import ``source`` (disc, folder, ISO or ZIP) into ``library`` and upload its
    studies to ``account`` at the same time.

    Yields DiscUploadProgress after every file read and, once the medium is read, after
    every batch answered; finally the DiscUploadReport. Raises what the importer raises
    before it starts (SourceUnreadableError, LibraryError) and AuthError as soon as the
    credentials are refused (every connection and the import stop; what was imported
    stays). Stop iterating to cancel: what is imported and confirmed stays so, and the
    next run imports and sends only the rest. ``patients``, ``connections``,
    ``max_attempts`` and ``sleep`` are those of ``import_media`` and ``upload_studies``.
    """
    committed: list[CommittedImage] = []
    importer = import_media(source, library, patients, on_committed=committed.extend)
    sender = BatchSender(library, make_client, connections=connections,
                         max_attempts=max_attempts, sleep=sleep)
    uploads = _Uploads(account, library, sender)
    reading: ImportProgress | None = None
    imported: ImportReport | None = None
    try:
        for item in importer:
            # Answers first: a connection they free is given the images just committed.
            if uploads.record(sender.collect(timeout=0)):
                library.commit_soon()  # Verdicts are not left waiting for the batch.
            uploads.take(committed)
            committed.clear()
            if isinstance(item, ImportReport):
                imported = item
            else:
                reading = item
                yield DiscUploadProgress(reading, uploads.progress(), False,
                                         sender.take_note())
        if imported is None:
            raise RuntimeError("the import ended without its report")
        uploads.finish(imported)
        while sender.busy:
            uploads.record(sender.collect(timeout=TAIL_WAIT_S))
            yield DiscUploadProgress(reading, uploads.progress(), True, sender.take_note())
        yield DiscUploadReport(imported, uploads.report())
    finally:
        sender.close()
        # The import's own clean-up: its last rows (and the verdicts among them) are
        # committed, the library is released.
        importer.close()
