"""`upload_medium`: a disc imported and uploaded in one overlapped pass, against Orthanc.

Promises checked against a real Orthanc (in the test network namespace): every image of
the disc is confirmed once and listed by QIDO; batches are answered by the server while
the disc is still being read (proved by the order of events: the job is held at a file
until a batch is answered); a pass stopped in the middle resumes with only what is
missing, nothing confirmed is sent again; a damaged file is reported and the others are
confirmed; a refused password stops at once and a retry imports nothing twice; a disc
already on the account sends nothing.
"""

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cloud.accounts import Account
from app.core.errors import AuthError
from app.library import library as library_module
from app.library.library import Library
from app.services import uploading
from app.services.disc_upload import (
    DiscUploadProgress,
    DiscUploadReport,
    describe_disc_upload,
    upload_medium,
)
from tests.support.cloud_fixtures import (
    ORTHANC_PASSWORD,
    DiscMaker,
    account,
    cloud_home,
    cloud_library,
    discs,
    memory_keyring,
    orthanc,
    orthanc_server,
)
from tests.support.orthanc import Orthanc
from tests.support.stow_recorder import Recorder
from tests.support.studies import confirmed_uids, study_files

# The cloud fixtures, used here by name (tests/cloud/conftest.py does the same).
__all__ = ["account", "cloud_home", "cloud_library", "discs", "memory_keyring", "orthanc",
           "orthanc_server"]

IMAGES = 51  # discs(slices=40): 1 scout + 40 thin + 10 thick.
ANSWER_TIMEOUT_S = 30
HELD_AT = 24  # Three groups of 8 committed, three batches queued.


@pytest.fixture
def small_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows committed every 8 files and batches of 8 images: several groups and batches
    on a 51-image disc, so the overlap shows on a small disc."""
    monkeypatch.setattr(library_module, "BATCH_WRITES", 8)
    monkeypatch.setattr(uploading, "BATCH_INSTANCES", 8)


def _run(items: Iterator[DiscUploadProgress | DiscUploadReport]
         ) -> tuple[list[DiscUploadProgress], DiscUploadReport]:
    progress: list[DiscUploadProgress] = []
    for item in items:
        if isinstance(item, DiscUploadReport):
            return progress, item
        progress.append(item)
    raise AssertionError("upload_medium ended without a report")


def _hold_until_answered(answered: threading.Event, orthanc: Orthanc) -> None:
    """Hold the job (by not asking for its next item) until the server has answered a
    batch: Orthanc then holds some images of the disc, but not all."""
    assert answered.wait(ANSWER_TIMEOUT_S), "no batch was answered"
    assert 0 < orthanc.instance_count() < IMAGES


def _library_uids(home: Path) -> set[str]:
    with Library(home) as library:
        return {i.sop_instance_uid for i in library.stored_instances()}


def test_every_image_confirmed_once_and_listed(
    orthanc: Orthanc, account: Account, cloud_library: Library, cloud_home: Path,
    discs: DiscMaker, small_groups: None,
) -> None:
    """A 51-image disc: imported whole, every image sent once and confirmed; QIDO lists
    each, Orthanc holds 51; the report has one complete study; progress adds up."""
    recorder = Recorder(account)
    progress, report = _run(upload_medium(discs(slices=40), account, cloud_library,
                                          recorder))
    (study,) = report.uploaded.studies
    files = study_files(cloud_home, study.study_instance_uid)
    assert (report.imported.imported, report.imported.already_present,
            report.imported.failed) == (IMAGES, 0, ())
    assert (study.sent, study.confirmed, study.total, study.failed) == (IMAGES, IMAGES,
                                                                       IMAGES, ())
    assert report.complete
    assert sorted(recorder.sent) == sorted(files)  # Each once.
    assert all(len(r) <= 8 for r in recorder.requests)
    assert orthanc.instance_count() == IMAGES
    assert orthanc.qido_instances(study.study_instance_uid) == set(files)
    assert confirmed_uids(cloud_home, account.name) == set(files)
    last = progress[-1]
    assert (last.confirmed, last.total, last.failed, last.disc_read) == (IMAGES, IMAGES, 0,
                                                                         True)
    assert describe_disc_upload(last).startswith(f"Disc read ({IMAGES} files); "
                                                 f"{IMAGES}/{IMAGES} images confirmed")


def test_batches_are_answered_while_the_disc_is_still_read(
    orthanc: Orthanc, account: Account, cloud_library: Library, discs: DiscMaker,
    small_groups: None,
) -> None:
    """The job is this generator: held at file 24 (three groups committed) until the
    server answers a batch, it cannot read on meanwhile. So a batch answered there, and
    a later progress with images confirmed and files still to read, prove the upload
    runs before the import ends, whatever the machine's speed."""
    answered = threading.Event()
    recorder = Recorder(account, after=lambda _outcome: answered.set())
    events: list[tuple[str, int]] = []
    for item in upload_medium(discs(slices=40), account, cloud_library, recorder):
        if isinstance(item, DiscUploadReport):
            break
        assert item.reading is not None
        if not item.disc_read:
            events.append(("read", item.reading.done))
        if item.confirmed and not any(kind == "confirmed" for kind, _ in events):
            events.append(("confirmed", item.confirmed))
        if item.reading.done == HELD_AT and not item.disc_read:
            _hold_until_answered(answered, orthanc)
    first_confirmed = events.index(next(e for e in events if e[0] == "confirmed"))
    last_read = events.index(("read", IMAGES))
    assert first_confirmed < last_read
    assert orthanc.instance_count() == IMAGES


def test_stopped_in_the_middle_resumes_with_only_the_rest(
    orthanc: Orthanc, account: Account, cloud_library: Library, cloud_home: Path,
    discs: DiscMaker, small_groups: None,
) -> None:
    """The pass is closed (cancel, app closed) once a batch is confirmed and files are
    still to read: what was imported and confirmed stays. The next pass imports only
    the missing images (the others count as already present), sends exactly the images
    not confirmed, each once, and ends with every image confirmed once on Orthanc."""
    disc = discs(slices=40)
    answered = threading.Event()
    job = upload_medium(disc, account, cloud_library,
                        Recorder(account, after=lambda _outcome: answered.set()))
    for item in job:
        assert isinstance(item, DiscUploadProgress) and item.reading is not None
        if item.confirmed:
            assert not item.disc_read and item.reading.done < IMAGES
            break
        if item.reading.done == HELD_AT:
            _hold_until_answered(answered, orthanc)
    job.close()
    kept = _library_uids(cloud_home)
    confirmed_before = confirmed_uids(cloud_home, account.name)
    assert len(confirmed_before) > 0 and len(kept) < IMAGES
    assert confirmed_before <= kept

    second = Recorder(account)
    _, report = _run(upload_medium(disc, account, cloud_library, second))
    (study,) = report.uploaded.studies
    everything = set(study_files(cloud_home, study.study_instance_uid))
    assert len(everything) == IMAGES
    assert (report.imported.imported, report.imported.already_present) == (
        IMAGES - len(kept), len(kept))
    assert len(second.sent) == len(set(second.sent))
    assert set(second.sent) == everything - confirmed_before
    assert (study.sent, study.confirmed, study.complete) == (
        IMAGES - len(confirmed_before), IMAGES, True)
    assert orthanc.instance_count() == IMAGES
    assert orthanc.qido_instances(study.study_instance_uid) == everything
    assert confirmed_uids(cloud_home, account.name) == everything


def test_damaged_file_is_reported_and_the_others_confirmed(
    orthanc: Orthanc, account: Account, cloud_library: Library, cloud_home: Path,
    discs: DiscMaker, tmp_path: Path,
) -> None:
    """One image on the disc is cut short: the import reports it, the 10 others are
    confirmed, the study is complete on the account as far as the library holds it,
    and the pass is not complete (the CLI exits 1)."""
    disc = tmp_path / "disc"
    shutil.copytree(discs(), disc)
    images = sorted(p for p in disc.rglob("*") if p.is_file() and p.name != "DICOMDIR")
    damaged = images[4]
    damaged.write_bytes(damaged.read_bytes()[:200])
    _, report = _run(upload_medium(disc, account, cloud_library, Recorder(account)))
    (failure,) = report.imported.failed
    assert failure.path.endswith(damaged.name)
    (study,) = report.uploaded.studies
    assert (study.sent, study.confirmed, study.failed) == (10, 10, ())
    assert orthanc.instance_count() == 10
    assert not report.complete


def test_wrong_password_stops_and_a_retry_imports_nothing_twice(
    orthanc: Orthanc, account: Account, cloud_library: Library, cloud_home: Path,
    discs: DiscMaker, small_groups: None,
) -> None:
    """401: AuthError with the sentence, nothing confirmed, nothing on Orthanc. With
    the right password the next pass counts what the first imported as already present,
    imports only the rest, and confirms every image."""
    disc = discs(slices=40)
    with pytest.raises(AuthError, match="user name or password for cloud was not accepted"):
        _run(upload_medium(disc, account, cloud_library,
                           Recorder(account, secret=ORTHANC_PASSWORD + "-wrong")))
    assert confirmed_uids(cloud_home, account.name) == set()
    assert orthanc.instance_count() == 0
    kept = _library_uids(cloud_home)

    _, report = _run(upload_medium(disc, account, cloud_library, Recorder(account)))
    assert (report.imported.imported, report.imported.already_present) == (
        IMAGES - len(kept), len(kept))
    assert len(_library_uids(cloud_home)) == IMAGES
    assert report.complete and orthanc.instance_count() == IMAGES


def test_a_disc_already_on_the_account_sends_nothing(
    orthanc: Orthanc, account: Account, cloud_library: Library, discs: DiscMaker,
) -> None:
    """The same disc again: already present, already confirmed: no request at all."""
    disc = discs()
    _run(upload_medium(disc, account, cloud_library, Recorder(account)))
    recorder = Recorder(account)
    _, report = _run(upload_medium(disc, account, cloud_library, recorder))
    assert recorder.requests == []
    assert (report.imported.imported, report.imported.already_present) == (0, 11)
    (study,) = report.uploaded.studies
    assert (study.sent, study.confirmed, study.complete) == (0, 11, True)
