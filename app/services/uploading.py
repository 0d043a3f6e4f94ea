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
from collections.abc import Callable, Generator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import closing
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from app.cloud.accounts import Account
from app.cloud.dicomweb import DicomWebClient, StowFile, StowOutcome
from app.cloud.viewer_links import fill
from app.core.errors import AuthError, LibraryError, RetryableError
from app.core.progress import duration, megabytes_per_second, seconds_left
from app.library.library import Library

BATCH_INSTANCES = 50
BATCH_BYTES = 100 * 1024 * 1024
CONNECTIONS = 3
MAX_ATTEMPTS = 6
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
class _StudyState:
    uid: str
    total: int
    confirmed: int
    sent: int = 0
    failed: dict[str, str] = field(default_factory=dict)


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
    confirmed stays so, and no batch is tried again. ``sleep`` pauses before a retry
    (default: a wait that a cancel cuts short).
    """
    for uid in study_uids:
        if not library.study_exists(uid):
            raise LibraryError(f"There is no study {uid} in the library.")
    results = []
    for uid in study_uids:
        state = yield from _upload_study(uid, account, library, make_client, connections,
                                         max_attempts, sleep)
        complete = state.confirmed >= state.total
        results.append(StudyUpload(uid, state.sent, state.confirmed, state.total,
                                   tuple(sorted(state.failed.items())),
                                   study_link(account, uid) if complete else None))
    yield UploadReport(account.name, tuple(results))


def _upload_study(
    uid: str,
    account: Account,
    library: Library,
    make_client: ClientFactory,
    connections: int,
    max_attempts: int,
    sleep: Callable[[float], None] | None,
) -> Generator[UploadProgress, None, _StudyState]:
    total, _size = library.study_size(uid)
    pending = library.pending_uploads(uid, account.name)
    state = _StudyState(uid, total, library.confirmed_count(uid, account.name))
    # The module's limits as they are now (tests lower them; defaults bind at import).
    groups = [
        [StowFile(i.sop_instance_uid, library.store.path(i.file), i.size) for i in group]
        for group in batches(pending, BATCH_INSTANCES, BATCH_BYTES)
    ]
    bytes_total = sum(i.size for i in pending)
    bytes_done = 0
    started = time.monotonic()
    with closing(stow_batches(groups, make_client, connections=connections,
                              max_attempts=max_attempts, sleep=sleep)) as sending:
        for finished, note in sending:
            for group, outcome in finished:
                library.record_uploads(account.name, outcome.confirmed, outcome.failed)
                state.sent += len(group)
                state.confirmed += len(outcome.confirmed)
                state.failed.update(outcome.failed)
                for uid_ok in outcome.confirmed:
                    state.failed.pop(uid_ok, None)
                bytes_done += sum(f.size for f in group)
            yield UploadProgress(uid, state.confirmed, len(state.failed), total, bytes_done,
                                 bytes_total, time.monotonic() - started, note)
    return state


def stow_batches(
    groups: list[list[StowFile]],
    make_client: ClientFactory,
    *,
    connections: int = CONNECTIONS,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] | None = None,
) -> Generator[tuple[list[tuple[list[StowFile], StowOutcome]], str], None, None]:
    """Send each group of files in one STOW-RS request, over ``connections`` clients at
    once, retrying transient failures with growing pauses (a group that fails
    ``max_attempts`` times fails each of its files with the reason).

    Yields, at least once a second and until every group has its verdict, the groups
    finished since the last yield with the server's outcome, and a note on the latest
    retry ("" when none). Raises AuthError when the credentials are refused (the other
    connections stop at once). Closing the generator drops the groups not started; one in
    flight ends on its own and its verdict is lost (sending it again is harmless).
    """
    local = threading.local()
    notes: list[str] = []
    # Set when the generator is closed or fails: threads still retrying give up at once.
    stopped = threading.Event()

    def client() -> DicomWebClient:
        if not hasattr(local, "client"):
            local.client = make_client()
        return local.client  # type: ignore[no-any-return]

    def send(files: list[StowFile]) -> StowOutcome:
        for attempt in range(1, max_attempts + 1):
            if stopped.is_set():
                return StowOutcome(frozenset())  # Nobody is waiting for the verdict.
            try:
                return client().store(files)
            except AuthError:
                stopped.set()  # The other connections stop now, not at their next batch.
                raise
            except RetryableError as exc:
                if attempt == max_attempts:
                    reason = f"{exc} It was tried {max_attempts} times."
                    return StowOutcome(frozenset(), {f.sop_instance_uid: reason for f in files})
                pause = pause_before(attempt + 1, exc.retry_after)
                notes.append(f"{exc} Trying again in {pause:.0f} s.")
                if sleep is None:
                    stopped.wait(pause)
                else:
                    sleep(pause)
        raise AssertionError("unreachable")

    executor = ThreadPoolExecutor(max_workers=max(1, connections),
                                  thread_name_prefix="lightbox-upload")
    try:
        running: dict[Future[StowOutcome], list[StowFile]] = {
            executor.submit(send, group): group for group in groups
        }
        while running:
            done, _ = wait(running, timeout=1.0, return_when=FIRST_COMPLETED)
            finished = []
            for future in done:
                group = running.pop(future)
                finished.append((group, future.result()))  # AuthError: stop everything.
            note = notes.pop() if notes else ""
            notes.clear()
            yield finished, note
    finally:
        # Batches not started are dropped; one in flight ends on its own (no retry).
        stopped.set()
        executor.shutdown(wait=False, cancel_futures=True)
