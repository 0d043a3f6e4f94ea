"""Upload studies from the library to a cloud account (DICOMweb STOW-RS), to the end.

Only what the account has not confirmed is sent, in batches well below any server's
request limit, over a few keep-alive connections. Each batch's verdict is stored in the
library as soon as it arrives, so an upload cut short (process killed, laptop asleep,
server down) resumes with only what is missing. Transient failures are retried with
growing, jittered pauses (bounded); a refused password stops everything at once.
"""

import random
import threading
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from app.cloud.accounts import Account
from app.cloud.dicomweb import DicomWebClient, StowFile, StowOutcome
from app.cloud.viewer_links import fill
from app.core.errors import AuthError, LibraryError, RetryableError
from app.core.progress import duration, megabytes_per_second, seconds_left
from app.library.library import Library, StoredInstance

BATCH_INSTANCES = 50
BATCH_BYTES = 100 * 1024 * 1024
CONNECTIONS = 3
MAX_ATTEMPTS = 6
# Batches of a stopped upload (paused, cancelled) still on the wire: they end on their own
# (no retry), and a new upload waits for them before sending, so that no image travels in
# two requests at once (the server may then store neither copy cleanly).
_ON_THE_WIRE: set[Future["StowOutcome"]] = set()
_ON_THE_WIRE_LOCK = threading.Lock()
WAITING_NOTE = "Waiting for the images still being sent when the upload was paused."
FIRST_PAUSE_S = 1.0
LONGEST_PAUSE_S = 60.0

ClientFactory = Callable[[], DicomWebClient]


@dataclass(frozen=True)
class UploadProgress:
    """Where an upload is: images and bytes of the current study, and overall."""

    study_instance_uid: str
    confirmed: int
    failed: int
    total: int
    bytes_done: int
    bytes_total: int
    elapsed: float
    note: str = ""  # e.g. "The server is busy; trying again in 4 s."

    @property
    def megabytes_per_second(self) -> float:
        """Upload speed so far."""
        return megabytes_per_second(self.bytes_done, self.elapsed)

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the speed so far."""
        return seconds_left(self.bytes_done, self.bytes_total, self.elapsed)


def describe_upload(progress: UploadProgress) -> str:
    """Progress in plain words: "120/300 images confirmed, 9.8 MB/s, 1:02 left"."""
    text = (f"{progress.confirmed}/{progress.total} images confirmed, "
            f"{progress.megabytes_per_second:.1f} MB/s")
    eta = progress.eta_seconds
    if eta is not None and progress.bytes_done < progress.bytes_total:
        text += f", {duration(eta)} left"
    if progress.failed:
        text += f", {progress.failed} failed"
    if progress.note:
        text += f". {progress.note}"
    return text


@dataclass(frozen=True)
class StudyUpload:
    """One study's outcome: sent in this run, confirmed in all (this run and earlier),
    and the instances that failed with the server's reason."""

    study_instance_uid: str
    sent: int
    confirmed: int
    total: int
    failed: tuple[tuple[str, str], ...]
    # The viewer link, once the account confirmed every instance and has a viewer address.
    link: str | None = None

    @property
    def complete(self) -> bool:
        """True when the account confirmed every instance of the study."""
        return self.confirmed >= self.total


@dataclass(frozen=True)
class UploadReport:
    """Every study's outcome."""

    account: str
    studies: tuple[StudyUpload, ...]


@dataclass
class StudyState:
    """One study's upload while it runs: what this run sent, what the account confirmed
    (earlier runs included), and what failed in this run with the server's reason."""

    uid: str
    total: int
    confirmed: int
    sent: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    def count(self, batch: "SentBatch") -> None:
        """Add a batch's verdict (a retry that now succeeds clears the earlier failure)."""
        self.sent += len(batch.instances)
        self.confirmed += len(batch.outcome.confirmed)
        self.failed.update(batch.outcome.failed)
        for uid in batch.outcome.confirmed:
            self.failed.pop(uid, None)

    def result(self, account: Account) -> StudyUpload:
        """The study's line of the report, with its viewer link on ``account`` once every
        image is confirmed."""
        complete = self.confirmed >= self.total
        return StudyUpload(self.uid, self.sent, self.confirmed, self.total,
                           tuple(sorted(self.failed.items())),
                           study_link(account, self.uid) if complete else None)


@dataclass(frozen=True)
class SentBatch:
    """One request's verdict: the study it belongs to, what was sent, what the server said."""

    study_instance_uid: str
    instances: tuple[StoredInstance | StowFile, ...]
    outcome: StowOutcome

    @property
    def bytes(self) -> int:
        """Bytes sent in the request (file sizes)."""
        return sum(i.size for i in self.instances)


def study_link(account: Account, study_instance_uid: str) -> str | None:
    """The viewer link of a study on ``account`` (None when it has no viewer address).
    Only call it for a study the account confirmed completely."""
    return fill(account.viewer_url, study_instance_uid) if account.viewer_url else None


class _Sized(Protocol):
    @property
    def size(self) -> int: ...


Item = TypeVar("Item", bound=_Sized)


def batches(instances: list[Item], max_instances: int = BATCH_INSTANCES,
            max_bytes: int = BATCH_BYTES) -> list[list[Item]]:
    """Instances (stored ones or StowFiles) grouped into requests of at most
    ``max_instances`` and ``max_bytes`` (a single larger file goes alone)."""
    groups: list[list[Item]] = []
    current: list[Item] = []
    size = 0
    for instance in instances:
        if current and (len(current) >= max_instances or size + instance.size > max_bytes):
            groups.append(current)
            current, size = [], 0
        current.append(instance)
        size += instance.size
    if current:
        groups.append(current)
    return groups


def pause_before(attempt: int, retry_after: float | None) -> float:
    """Seconds to wait before ``attempt`` (2, 3, ...): the server's Retry-After if it
    gave one, else exponential with jitter, never more than LONGEST_PAUSE_S."""
    if retry_after is not None:
        return min(retry_after, LONGEST_PAUSE_S)
    ceiling = min(LONGEST_PAUSE_S, FIRST_PAUSE_S * 2 ** (attempt - 2))
    return random.uniform(ceiling / 2, ceiling)


class BatchSender:
    """Sends batches of one account over a few keep-alive connections, each batch with
    bounded retries; the verdicts are collected on the caller's thread.

    The caller records each verdict in the library itself, so every index write stays on
    the thread that owns the library's connection (an import may hold its transaction).
    A batch holds the library's stored instances (their files are found in ``library``'s
    store) or StowFiles, files outside the library such as a de-identified copy's
    (``library`` may then be None). ``make_client`` gives each connection its own client.
    ``sleep`` pauses before a retry (default: a wait that :meth:`close` cuts short).
    """

    def __init__(self, library: Library | None, make_client: ClientFactory, *,
                 connections: int = CONNECTIONS, max_attempts: int = MAX_ATTEMPTS,
                 sleep: Callable[[float], None] | None = None) -> None:
        self._store = library.store if library is not None else None
        self._make_client = make_client
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._local = threading.local()
        self._notes: list[str] = []
        # Set when the sender is closed or fails: threads still retrying give up at once.
        self._stopped = threading.Event()
        self.connections = max(1, connections)
        self._executor = ThreadPoolExecutor(max_workers=self.connections,
                                            thread_name_prefix="lightbox-upload")
        self._running: dict[Future[StowOutcome],
                            tuple[str, Sequence[StoredInstance | StowFile]]] = {}

    @property
    def busy(self) -> bool:
        """True while a batch is waiting, being sent or retried."""
        return bool(self._running)

    @property
    def in_flight(self) -> int:
        """Batches queued, being sent or retried (answers not yet collected included)."""
        return len(self._running)

    def submit(self, study_instance_uid: str,
               group: Sequence[StoredInstance | StowFile]) -> None:
        """Queue one batch of a study (sent as soon as a connection is free)."""
        future = self._executor.submit(self._send, group)
        self._running[future] = (study_instance_uid, group)

    def collect(self, timeout: float | None) -> list[SentBatch]:
        """The batches answered since the last call, in the order they were queued,
        waiting up to ``timeout`` seconds for one (0: do not wait).

        Raises AuthError when the credentials are refused (every connection stops), and
        the UploadError of a batch that could not be sent at all.
        """
        if not self._running:
            return []
        wait(self._running, timeout=timeout, return_when=FIRST_COMPLETED)
        answered: list[SentBatch] = []
        for future in [f for f in self._running if f.done()]:
            study, group = self._running.pop(future)
            try:
                outcome = future.result()
            except BaseException:
                self.close()
                raise
            answered.append(SentBatch(study, tuple(group), outcome))
        return answered

    def take_note(self) -> str:
        """The latest retry note (e.g. "... Trying again in 4 s."), once; "" if none."""
        note = self._notes[-1] if self._notes else ""
        self._notes.clear()
        return note

    def close(self) -> None:
        """Stop: batches not started are dropped; one in flight ends on its own (no
        retry) and its verdict is not collected, so those images are sent again next
        time, harmlessly: the next upload waits until it has ended (still_on_the_wire)."""
        self._stopped.set()
        self._executor.shutdown(wait=False, cancel_futures=True)
        with _ON_THE_WIRE_LOCK:
            _ON_THE_WIRE.update(f for f in self._running if not f.done())
        for future in self._running:
            future.add_done_callback(_off_the_wire)
        self._running.clear()

    def _client(self) -> DicomWebClient:
        if not hasattr(self._local, "client"):
            self._local.client = self._make_client()
        return self._local.client  # type: ignore[no-any-return]

    def _file(self, item: StoredInstance | StowFile) -> StowFile:
        if isinstance(item, StowFile):
            return item
        if self._store is None:
            raise ValueError("a sender without a library cannot send stored instances")
        return StowFile(item.sop_instance_uid, self._store.path(item.file), item.size)

    def _send(self, group: Sequence[StoredInstance | StowFile]) -> StowOutcome:
        files = [self._file(item) for item in group]
        for attempt in range(1, self._max_attempts + 1):
            if self._stopped.is_set():
                return StowOutcome(frozenset())  # Nobody is waiting for the verdict.
            try:
                return self._client().store(files)
            except AuthError:
                self._stopped.set()  # The other connections stop now, not at their next batch.
                raise
            except RetryableError as exc:
                if attempt == self._max_attempts:
                    reason = f"{exc} It was tried {self._max_attempts} times."
                    return StowOutcome(frozenset(), {f.sop_instance_uid: reason for f in files})
                pause = pause_before(attempt + 1, exc.retry_after)
                self._notes.append(f"{exc} Trying again in {pause:.0f} s.")
                if self._sleep is None:
                    self._stopped.wait(pause)
                else:
                    self._sleep(pause)
        raise AssertionError("unreachable")


def _off_the_wire(future: Future[StowOutcome]) -> None:
    with _ON_THE_WIRE_LOCK:
        _ON_THE_WIRE.discard(future)


def still_on_the_wire() -> list[Future[StowOutcome]]:
    """Batches of stopped uploads whose requests have not ended yet."""
    with _ON_THE_WIRE_LOCK:
        return [f for f in _ON_THE_WIRE if not f.done()]


def upload_studies(
    study_uids: list[str],
    account: Account,
    library: Library,
    make_client: ClientFactory,
    *,
    connections: int = CONNECTIONS,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] | None = None,
) -> Generator[UploadProgress | UploadReport, None, None]:
    """Upload the studies ``study_uids`` of ``library`` to ``account``.

    ``make_client`` gives each connection its own client (one requests Session each).
    Yields UploadProgress after every batch (and every retry pause), finally the
    UploadReport. Raises AuthError when the credentials are refused and LibraryError for
    an unknown study. Stop iterating to pause or cancel (close the generator): what was
    confirmed stays so, and no batch is tried again. A new upload first waits for the
    requests a stopped one left on the wire (saying so in its progress). ``sleep`` pauses
    before a retry (default: a wait that a cancel cuts short).
    """
    for uid in study_uids:
        if not library.study_exists(uid):
            raise LibraryError(f"There is no study {uid} in the library.")
    results = []
    while study_uids and (unfinished := still_on_the_wire()):
        # Each ends within its request's timeout; a pause (closing this) stays possible.
        if not wait(unfinished, timeout=1.0).not_done:
            continue
        yield UploadProgress(study_uids[0], library.confirmed_count(study_uids[0],
                                                                    account.name),
                             0, library.study_size(study_uids[0])[0], 0, 0, 0.0,
                             WAITING_NOTE)
    for uid in study_uids:
        sender = BatchSender(library, make_client, connections=connections,
                             max_attempts=max_attempts, sleep=sleep)
        try:
            state = yield from _upload_study(uid, account, library, sender)
        finally:
            sender.close()
        results.append(state.result(account))
    yield UploadReport(account.name, tuple(results))


def _upload_study(
    uid: str, account: Account, library: Library, sender: BatchSender
) -> Generator[UploadProgress, None, StudyState]:
    total, _size = library.study_size(uid)
    pending = library.pending_uploads(uid, account.name)
    state = StudyState(uid, total, library.confirmed_count(uid, account.name))
    # The module's limits as they are now (tests lower them; defaults bind at import).
    groups = batches(pending, BATCH_INSTANCES, BATCH_BYTES)
    bytes_total = sum(i.size for i in pending)
    bytes_done = 0
    started = time.monotonic()
    for group in groups:
        sender.submit(uid, group)
    while sender.busy:
        for batch in sender.collect(timeout=1.0):  # AuthError propagates: stop everything.
            library.record_uploads(account.name, batch.outcome.confirmed,
                                   batch.outcome.failed)
            state.count(batch)
            bytes_done += batch.bytes
        yield UploadProgress(uid, state.confirmed, len(state.failed), total, bytes_done,
                             bytes_total, time.monotonic() - started, sender.take_note())
    return state
