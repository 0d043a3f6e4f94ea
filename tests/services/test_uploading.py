"""`upload_studies`: every instance confirmed in the cloud, truthfully, whatever happens.

Promises checked against a real Orthanc (in the test network namespace): a study
uploaded is listed whole by QIDO and "complete" in the library; uploading again sends
nothing; re-sending what the server has is harmless; a refused password stops at once
with nothing marked confirmed; a server killed mid-upload and restarted leaves the
upload partial, and the next run sends exactly what is unconfirmed; through a
fault-injecting proxy (dropped connections mid-body, 503 with Retry-After, stalls, lost
answers) retries happen, Retry-After is honoured, and the library never marks confirmed
what Orthanc did not confirm.
"""

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.cloud import dicomweb
from app.cloud.accounts import Account
from app.cloud.dicomweb import DicomWebClient, StowOutcome
from app.core.errors import AuthError, LibraryError
from app.library.library import Library, StoredInstance
from app.services import uploading
from app.services.uploading import (
    LONGEST_PAUSE_S,
    StudyUpload,
    UploadProgress,
    UploadReport,
    batches,
    describe_upload,
    pause_before,
    upload_studies,
)
from tests.support.cloud_fixtures import (
    ORTHANC_PASSWORD,
    ORTHANC_USER,
    DiscMaker,
    account,
    cloud_home,
    cloud_library,
    discs,
    memory_keyring,
    orthanc,
    orthanc_server,
    small_study,
)
from tests.support.keyrings import MemoryKeyring
from tests.support.orthanc import Orthanc
from tests.support.proxy import DROP_AFTER_BYTES, Fault, FaultProxy
from tests.support.stow_recorder import Recorder
from tests.support.studies import (
    confirmed_uids,
    forget_uploads,
    import_study,
    study_files,
    upload_states,
)

# The cloud fixtures, used here by name (tests/cloud/conftest.py does the same).
__all__ = ["account", "cloud_home", "cloud_library", "discs", "memory_keyring", "orthanc",
           "orthanc_server", "small_study"]

ClientFactory = Callable[[], DicomWebClient]


def _run(items: Iterator[UploadProgress | UploadReport]
         ) -> tuple[list[UploadProgress], StudyUpload]:
    progress: list[UploadProgress] = []
    for item in items:
        if isinstance(item, UploadReport):
            assert len(item.studies) == 1
            return progress, item.studies[0]
        progress.append(item)
    raise AssertionError("upload_studies ended without a report")


def _assert_truthful(home: Path, orthanc: Orthanc, study: str, account: str) -> set[str]:
    """The library's confirmed instances are all really in Orthanc; returns QIDO's set."""
    listed = orthanc.qido_instances(study)
    assert confirmed_uids(home, account) <= listed
    return listed


def _upload_state(library: Library, study: str, account: str) -> str:
    (row,) = [r for r in library.list_studies() if r.study_instance_uid == study]
    return row.uploads.get(account, "none")


# -- against Orthanc ----------------------------------------------------------------------
def test_upload_is_complete_and_qido_lists_every_instance(
    orthanc: Orthanc, account: Account, cloud_library: Library, cloud_home: Path,
    discs: DiscMaker, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 51-image study in batches of 10 over 3 connections: every instance confirmed
    and listed by QIDO, the library says "complete", each batch has at most 10
    instances, at most 3 clients are made, and the progress adds up."""
    monkeypatch.setattr(uploading, "BATCH_INSTANCES", 10)
    study = import_study(cloud_library, discs(slices=40))
    files = study_files(cloud_home, study)
    recorder = Recorder(account)
    progress, result = _run(upload_studies([study], account, cloud_library, recorder,
                                           connections=3))
    assert len(files) == 51
    assert (result.sent, result.confirmed, result.total, result.failed) == (51, 51, 51, ())
    assert result.complete
    assert orthanc.qido_instances(study) == set(files)
    assert confirmed_uids(cloud_home, account.name) == set(files)
    assert _upload_state(cloud_library, study, account.name) == "complete"
    assert sorted(len(r) for r in recorder.requests) == [1] + [10] * 5
    assert sorted(recorder.sent) == sorted(files)
    assert 1 <= recorder.clients <= 3
    assert [p.confirmed for p in progress] == sorted(p.confirmed for p in progress)
    assert progress[-1].confirmed == 51 and progress[-1].failed == 0
    assert progress[-1].bytes_done == progress[-1].bytes_total == sum(
        p.stat().st_size for p in files.values())


def test_uploading_again_sends_nothing(
    orthanc: Orthanc, account: Account, cloud_library: Library, small_study: str,
    cloud_home: Path,
) -> None:
    """A study the account has confirmed: the next upload makes no request at all and
    reports it complete, with nothing sent."""
    _run(upload_studies([small_study], account, cloud_library, Recorder(account)))
    recorder = Recorder(account)
    progress, result = _run(upload_studies([small_study], account, cloud_library, recorder))
    assert recorder.requests == [] and progress == []
    assert (result.sent, result.confirmed, result.total, result.complete) == (0, 11, 11, True)
    assert _upload_state(cloud_library, small_study, account.name) == "complete"


def test_resending_what_the_server_has_is_harmless(
    orthanc: Orthanc, account: Account, cloud_library: Library, small_study: str,
    cloud_home: Path,
) -> None:
    """With the library's upload state cleared, the whole study is sent again: Orthanc
    confirms every instance again and still holds each once."""
    _run(upload_studies([small_study], account, cloud_library, Recorder(account)))
    forget_uploads(cloud_home)
    assert _upload_state(cloud_library, small_study, account.name) == "none"
    _, result = _run(upload_studies([small_study], account, cloud_library, Recorder(account)))
    assert (result.sent, result.confirmed, result.complete) == (11, 11, True)
    assert orthanc.instance_count() == 11
    assert confirmed_uids(cloud_home, account.name) == orthanc.qido_instances(small_study)


def test_several_studies_in_one_upload(
    orthanc: Orthanc, account: Account, cloud_library: Library, cloud_home: Path,
    discs: DiscMaker,
) -> None:
    """Two studies: one report each, in the order asked, both complete."""
    first = import_study(cloud_library, discs(seed=21))
    second = import_study(cloud_library, discs(seed=22))
    items = list(upload_studies([second, first], account, cloud_library, Recorder(account)))
    report = items[-1]
    assert isinstance(report, UploadReport) and report.account == account.name
    assert [s.study_instance_uid for s in report.studies] == [second, first]
    assert all(s.complete and s.confirmed == 11 for s in report.studies)
    assert orthanc.qido_instances(first) | orthanc.qido_instances(second) == confirmed_uids(
        cloud_home, account.name)


def test_unknown_study_is_refused_before_anything_is_sent(
    account: Account, cloud_library: Library, small_study: str
) -> None:
    """A UID that is not in the library: LibraryError naming it, no request made."""
    recorder = Recorder(account)
    with pytest.raises(LibraryError, match=r"There is no study 1\.2\.3\.4 in the library\."):
        list(upload_studies([small_study, "1.2.3.4"], account, cloud_library, recorder))
    assert recorder.requests == []


def test_wrong_password_stops_at_once_and_confirms_nothing(
    orthanc: Orthanc, account: Account, cloud_library: Library, cloud_home: Path,
    discs: DiscMaker, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """401: AuthError with the sentence, no retry pause, only the requests already in
    flight of the 26 batches are made (the others stop), nothing confirmed, the library
    says "none"."""
    monkeypatch.setattr(uploading, "BATCH_INSTANCES", 2)
    study = import_study(cloud_library, discs(slices=40))
    recorder = Recorder(account, secret=ORTHANC_PASSWORD + "-wrong")
    pauses: list[float] = []
    with pytest.raises(AuthError, match="user name or password for cloud was not accepted"):
        list(upload_studies([study], account, cloud_library, recorder, connections=3,
                            sleep=pauses.append))
    assert pauses == []
    assert 1 <= len(recorder.requests) <= 2 * 3  # Those in flight when the first 401 came.
    assert upload_states(cloud_home, account.name) == {}
    assert _upload_state(cloud_library, study, account.name) == "none"
    assert orthanc.instance_count() == 0


def test_server_killed_mid_upload_then_resume_sends_only_the_rest(
    orthanc: Orthanc, account: Account, cloud_library: Library, cloud_home: Path,
    discs: DiscMaker, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Orthanc is killed (SIGKILL) right after answering the first batch: the upload ends
    partial, with the rest failed after bounded retries; the library confirms only what
    Orthanc holds. After a restart, the next upload sends exactly the unconfirmed
    instances, once each, and ends complete."""
    monkeypatch.setattr(uploading, "BATCH_INSTANCES", 4)
    study = import_study(cloud_library, discs(slices=40))
    everything = set(study_files(cloud_home, study))
    killed = threading.Event()

    def kill_after_first(outcome: StowOutcome) -> None:
        if outcome.confirmed and not killed.is_set():
            killed.set()
            orthanc.kill()

    pauses: list[float] = []
    first = Recorder(account, after=kill_after_first)
    _, result = _run(upload_studies([study], account, cloud_library, first, connections=2,
                                    max_attempts=3, sleep=pauses.append))
    assert killed.is_set()
    assert not result.complete
    assert 4 <= result.confirmed < 51
    assert result.confirmed + len(result.failed) == 51 == result.sent
    assert all("tried 3 times" in reason for _, reason in result.failed)
    assert all(0 < p <= LONGEST_PAUSE_S for p in pauses) and len(pauses) >= 2
    assert _upload_state(cloud_library, study, account.name) == "partial"
    confirmed_first = confirmed_uids(cloud_home, account.name)
    assert len(confirmed_first) == result.confirmed

    orthanc.start()
    assert confirmed_first <= orthanc.qido_instances(study)
    unconfirmed = everything - confirmed_first
    second = Recorder(account)
    _, resumed = _run(upload_studies([study], account, cloud_library, second))
    assert sorted(second.sent) == sorted(unconfirmed)
    assert resumed.sent == len(unconfirmed)
    assert (resumed.confirmed, resumed.failed, resumed.complete) == (51, (), True)
    assert orthanc.qido_instances(study) == everything == confirmed_uids(cloud_home,
                                                                         account.name)
    assert _upload_state(cloud_library, study, account.name) == "complete"


def test_cancelled_upload_resumes_with_the_rest(
    orthanc: Orthanc, account: Account, cloud_library: Library, cloud_home: Path,
    discs: DiscMaker, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stopping the generator after the first progress (cancel, or the app closed):
    what was confirmed stays confirmed, and the next run sends only the others."""
    monkeypatch.setattr(uploading, "BATCH_INSTANCES", 3)
    study = import_study(cloud_library, discs())
    generator = upload_studies([study], account, cloud_library, Recorder(account),
                               connections=1)
    first = next(generator)
    generator.close()
    assert isinstance(first, UploadProgress) and 3 <= first.confirmed < 11
    kept = confirmed_uids(cloud_home, account.name)
    assert len(kept) == first.confirmed
    second = Recorder(account)
    _, result = _run(upload_studies([study], account, cloud_library, second))
    assert set(second.sent) == set(study_files(cloud_home, study)) - kept
    assert result.complete and orthanc.qido_instances(study) == set(study_files(cloud_home,
                                                                                study))


# -- through the fault-injecting proxy ----------------------------------------------------
@pytest.fixture
def proxied(orthanc: Orthanc, memory_keyring: MemoryKeyring, cloud_library: Library,
            discs: DiscMaker, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    """A study of 11 images of 256 x 256 (~130 KB each) in batches of 4 (3 requests).
    Returns (study UID, bytes of the smallest batch)."""
    monkeypatch.setattr(uploading, "BATCH_INSTANCES", 4)
    study = import_study(cloud_library, discs(rows=256, columns=256, seed=9))
    sizes = sorted(i.size for i in cloud_library.pending_uploads(study, "x"))
    return study, sum(sizes[:3])


def _through(proxy: FaultProxy) -> Account:
    return Account("proxied", proxy.url + "/dicom-web", "basic", ORTHANC_USER)


def test_dropped_connections_mid_body_are_retried(
    orthanc: Orthanc, proxied: tuple[str, int], cloud_library: Library, cloud_home: Path
) -> None:
    """The proxy hangs up in the middle of the first two request bodies: both requests
    are retried after a backoff pause, the upload completes, and the library and QIDO
    agree on every instance."""
    study, smallest_batch = proxied
    pauses: list[float] = []
    with FaultProxy(("127.0.0.1", orthanc.http_port),
                    [Fault.DROP_MID_BODY, Fault.DROP_MID_BODY]) as proxy:
        account = _through(proxy)
        _, result = _run(upload_studies([study], account, cloud_library, Recorder(account),
                                        connections=1, sleep=pauses.append))
        posts = proxy.requests_seen()
    assert [p.fault for p in posts] == [Fault.DROP_MID_BODY] * 2 + [Fault.PASS] * 3
    assert all(DROP_AFTER_BYTES <= p.body_bytes < smallest_batch for p in posts[:2])
    assert [p.status for p in posts] == [0, 0, 200, 200, 200]
    assert sum(p.parts for p in posts[2:]) == 11
    assert len(pauses) == 2 and all(0.5 <= p <= 2.0 for p in pauses)
    assert (result.sent, result.confirmed, result.complete) == (11, 11, True)
    assert _assert_truthful(cloud_home, orthanc, study, account.name) == confirmed_uids(
        cloud_home, account.name)


def test_busy_server_retry_after_is_honoured(
    orthanc: Orthanc, proxied: tuple[str, int], cloud_library: Library, cloud_home: Path
) -> None:
    """503 with Retry-After: 1 for the first three requests: each is retried after
    exactly the pause the server asked for, and the upload completes."""
    study, _ = proxied
    pauses: list[float] = []
    with FaultProxy(("127.0.0.1", orthanc.http_port), [Fault.BUSY] * 3) as proxy:
        account = _through(proxy)
        progress, result = _run(upload_studies([study], account, cloud_library,
                                               Recorder(account), connections=2,
                                               sleep=pauses.append))
        posts = proxy.requests_seen()
    assert pauses == [1.0, 1.0, 1.0]
    assert [p.status for p in posts].count(503) == 3 and len(posts) == 6
    assert result.complete and result.confirmed == 11
    assert any("The server is busy or failing (503" in p.note for p in progress)
    assert "Trying again in 1 s." in describe_upload(
        next(p for p in progress if p.note))
    _assert_truthful(cloud_home, orthanc, study, account.name)


def test_stalled_request_times_out_and_is_retried(
    orthanc: Orthanc, proxied: tuple[str, int], cloud_library: Library, cloud_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A request that gets no answer ends at the client's read timeout (made 1 s here)
    and is retried; the upload completes in bounded time."""
    monkeypatch.setattr(dicomweb, "BASE_READ_TIMEOUT_S", 1.0)
    monkeypatch.setattr(dicomweb, "SLOWEST_BYTES_PER_S", 10**12)
    study, _ = proxied
    pauses: list[float] = []
    started = time.monotonic()
    with FaultProxy(("127.0.0.1", orthanc.http_port), [Fault.STALL]) as proxy:
        account = _through(proxy)
        _, result = _run(upload_studies([study], account, cloud_library, Recorder(account),
                                        connections=1, sleep=pauses.append))
        posts = proxy.requests_seen()
    elapsed = time.monotonic() - started
    assert [p.fault for p in posts] == [Fault.STALL] + [Fault.PASS] * 3
    assert posts[0].status == 0 and posts[0].parts == 4
    assert len(pauses) == 1
    assert 1.0 <= elapsed < 15.0
    assert result.complete
    _assert_truthful(cloud_home, orthanc, study, account.name)


def test_lost_answer_is_not_taken_as_confirmation(
    orthanc: Orthanc, proxied: tuple[str, int], cloud_library: Library, cloud_home: Path
) -> None:
    """Orthanc stores every batch but the proxy loses every answer: the library marks
    nothing confirmed (the server has them, but did not say so to us) and every
    instance is failed after the bounded attempts. A later upload without the fault
    re-sends them harmlessly and confirms all."""
    study, _ = proxied
    pauses: list[float] = []
    with FaultProxy(("127.0.0.1", orthanc.http_port), [Fault.LOSE_ANSWER] * 100) as proxy:
        account = _through(proxy)
        _, result = _run(upload_studies([study], account, cloud_library, Recorder(account),
                                        max_attempts=2, sleep=pauses.append))
        posts = proxy.requests_seen()
    assert len(posts) == 6 and {p.status for p in posts} == {0}
    assert orthanc.qido_instances(study) == set(study_files(cloud_home, study))
    assert confirmed_uids(cloud_home, account.name) == set()
    assert (result.confirmed, len(result.failed), result.complete) == (0, 11, False)
    assert _upload_state(cloud_library, study, account.name) == "none"
    states = upload_states(cloud_home, account.name)
    assert {state for state, _ in states.values()} == {"failed"}
    assert all("It was tried 2 times." in reason for _, reason in states.values())

    direct = Account("proxied", orthanc.dicomweb, "basic", ORTHANC_USER)
    _, again = _run(upload_studies([study], direct, cloud_library, Recorder(direct)))
    assert (again.sent, again.confirmed, again.complete) == (11, 11, True)
    assert orthanc.instance_count() == 11
    assert {state for state, _ in upload_states(cloud_home, "proxied").values()} == {
        "confirmed"}


def test_lasting_failure_confirms_nothing_and_gives_the_reason(
    orthanc: Orthanc, proxied: tuple[str, int], cloud_library: Library, cloud_home: Path
) -> None:
    """503 for every request: bounded attempts (3 per batch, the pauses as asked), then
    every instance failed with the server's answer as reason; nothing confirmed, and
    Orthanc indeed holds nothing."""
    study, _ = proxied
    pauses: list[float] = []
    with FaultProxy(("127.0.0.1", orthanc.http_port), [Fault.BUSY] * 100) as proxy:
        account = _through(proxy)
        _, result = _run(upload_studies([study], account, cloud_library, Recorder(account),
                                        max_attempts=3, sleep=pauses.append))
        posts = proxy.requests_seen()
    assert len(posts) == 9 and pauses == [1.0] * 6
    assert result.confirmed == 0 and len(result.failed) == 11
    reason = ("The server is busy or failing (503 Service Unavailable). "
              "It was tried 3 times.")
    assert {why for _, why in result.failed} == {reason}
    assert orthanc.instance_count() == 0
    assert confirmed_uids(cloud_home, account.name) == set()


def _upload_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("lightbox-upload")]


def test_cancel_stops_retrying_at_once(
    orthanc: Orthanc, proxied: tuple[str, int], cloud_library: Library, cloud_home: Path
) -> None:
    """Cancelling (closing the generator) while a batch waits to be retried: the wait
    ends, no request is made after the cancel, and the upload threads are gone within
    seconds, not after every remaining attempt and pause (Ctrl-C in the CLI must not
    leave the process sending for minutes)."""
    study, _ = proxied
    assert _upload_threads() == []
    with FaultProxy(("127.0.0.1", orthanc.http_port), [Fault.BUSY] * 100,
                    retry_after="3") as proxy:
        account = _through(proxy)
        generator = upload_studies([study], account, cloud_library, Recorder(account),
                                   connections=1)
        first = next(generator)  # After the first 503, during the 3 s pause.
        assert isinstance(first, UploadProgress) and "Trying again in 3 s." in first.note
        generator.close()
        closed = time.monotonic()
        deadline = closed + 10
        while _upload_threads() and time.monotonic() < deadline:
            time.sleep(0.05)
        ended = time.monotonic() - closed
        time.sleep(0.5)
        posts = proxy.requests_seen()
    assert ended < 2.0
    assert len(posts) == 1
    assert confirmed_uids(cloud_home, account.name) == set()


# -- pure parts ---------------------------------------------------------------------------
def _instances(sizes: list[int]) -> list[StoredInstance]:
    return [StoredInstance(f"1.2.{n}", f"f{n}", size, "") for n, size in enumerate(sizes)]


def test_batches_respect_both_limits() -> None:
    """At most 50 instances and 100 MB a request; a larger single file goes alone; the
    order is kept and nothing is lost."""
    mb = 1024 * 1024
    small = _instances([1000] * 120)
    assert [len(b) for b in batches(small)] == [50, 50, 20]
    big = _instances([40 * mb] * 5)
    assert [len(b) for b in batches(big)] == [2, 2, 1]
    mixed = _instances([10 * mb, 150 * mb, 10 * mb, 95 * mb, 5 * mb, 1 * mb])
    groups = batches(mixed)
    assert [[i.size // mb for i in g] for g in groups] == [[10], [150], [10], [95, 5], [1]]
    assert [i for g in groups for i in g] == mixed
    assert batches([]) == []


def test_pauses_grow_with_jitter_and_honour_retry_after() -> None:
    """Backoff: 0.5-1 s before the 2nd attempt, doubling, never above a minute;
    Retry-After wins (capped at a minute too)."""
    for _ in range(50):
        assert 0.5 <= pause_before(2, None) <= 1.0
        assert 2.0 <= pause_before(4, None) <= 4.0
        assert LONGEST_PAUSE_S / 2 <= pause_before(30, None) <= LONGEST_PAUSE_S
    assert pause_before(3, 7.0) == 7.0
    assert pause_before(3, 0.0) == 0.0
    assert pause_before(3, 3600.0) == LONGEST_PAUSE_S


def test_progress_in_plain_words() -> None:
    """"120/300 images confirmed, 9.8 MB/s, 1:02 left", failures and notes appended."""
    progress = UploadProgress("1.2", 120, 2, 300, 98_000_000, 98_000_000 + 607_600_000,
                              10.0, "The server is busy. Trying again in 4 s.")
    assert describe_upload(progress) == (
        "120/300 images confirmed, 9.8 MB/s, 1:02 left, 2 failed. "
        "The server is busy. Trying again in 4 s.")


def test_resuming_at_once_after_a_pause_fails_nothing(
    orthanc: Orthanc, account: Account, cloud_library: Library, cloud_home: Path,
    discs: DiscMaker, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pause while batches are still on the wire, then Resume at once: the resumed run
    must not send an image while the paused run's request still carries it (the server
    then stores neither copy cleanly and the image would be reported as failed)."""
    monkeypatch.setattr(uploading, "BATCH_INSTANCES", 2)
    for seed in range(4):
        study = import_study(cloud_library, discs(slices=40, rows=128, columns=128,
                                                  seed=20 + seed))
        paused = upload_studies([study], account, cloud_library, Recorder(account),
                                connections=3)
        next(paused)
        paused.close()  # Pause: batches already sent end on their own.
        _, result = _run(upload_studies([study], account, cloud_library, Recorder(account),
                                        connections=3))
        assert result.failed == () and result.complete, (seed, result.failed)
        assert orthanc.qido_instances(study) == set(study_files(cloud_home, study))


def test_a_new_upload_waits_for_the_paused_uploads_request_still_on_the_wire(
    orthanc: Orthanc, account: Account, cloud_library: Library, cloud_home: Path,
    discs: DiscMaker, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The paused run's request has reached the server but not ended: the resumed run
    says it waits, and sends only once that request is over."""
    monkeypatch.setattr(uploading, "BATCH_INSTANCES", 3)
    study = import_study(cloud_library, discs())
    on_the_wire, release = threading.Event(), threading.Event()

    def hold(_outcome: StowOutcome) -> None:
        on_the_wire.set()
        release.wait(30)

    paused = upload_studies([study], account, cloud_library, Recorder(account, after=hold),
                            connections=1)
    next(paused)
    assert on_the_wire.wait(30)
    paused.close()  # Pause
    resent = Recorder(account)
    resumed = upload_studies([study], account, cloud_library, resent, connections=1)
    waiting = next(resumed)
    assert isinstance(waiting, UploadProgress) and waiting.note == uploading.WAITING_NOTE
    assert resent.requests == []  # nothing sent while the other request is on the wire
    release.set()
    _, result = _run(resumed)
    assert result.complete and result.failed == ()
    assert orthanc.qido_instances(study) == set(study_files(cloud_home, study))
