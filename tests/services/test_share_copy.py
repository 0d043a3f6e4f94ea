""""Share a copy without my name" (LibraryService.share_without_name) against a real
Orthanc: what arrives carries nothing of the patient, under a study UID of its own that
every run gives again; the link is the account's template filled with that UID; the
share is recorded under the original study; the temporary copy never stays behind."""

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.cloud.accounts import Account
from app.cloud.dicomweb import DicomWebClient
from app.core.errors import LibraryError
from app.library.library import Library
from app.services import uploading
from app.services.copy_options import COPY_WITHOUT_NAME, DeidentifyOptions
from app.services.exporting import ExportProgress
from app.services.library_service import LibraryService
from app.services.share_copy import ShareCopyReport
from app.services.uploading import UploadProgress
from tests.library.helpers import SAMPLE_ID, SMALL_IMAGES
from tests.support.cloud_fixtures import (
    ORTHANC_PASSWORD,
    DiscMaker,
    account,
    cloud_home,
    cloud_library,
    discs,
    make_client,
    memory_keyring,
    orthanc,
    orthanc_server,
    small_study,
)
from tests.support.deidentified import identifying_values, identity_left, rewritten_disc
from tests.support.orthanc import Orthanc
from tests.support.studies import import_study, study_files

__all__ = ["account", "cloud_home", "cloud_library", "discs", "make_client",
           "memory_keyring", "orthanc", "orthanc_server", "small_study"]

TEMPLATE = "http://127.0.0.1:3000/viewer?StudyInstanceUIDs={StudyInstanceUID}"
Item = ExportProgress | UploadProgress | ShareCopyReport


def _share(home: Path, study: str, account: Account,
           make_client: Callable[[], DicomWebClient],
           options: DeidentifyOptions | None = None) -> tuple[list[Item], ShareCopyReport]:
    items = list(LibraryService(home).share_without_name(study, account, make_client,
                                                         options))
    report = items[-1]
    assert isinstance(report, ShareCopyReport)
    return items[:-1], report


def _find_studies(orthanc: Orthanc, **query: str) -> list[str]:
    """Orthanc's /tools/find at the study level (its own index, not DICOMweb)."""
    response = orthanc.session.post(f"{orthanc.base}/tools/find", timeout=30,
                                    json={"Level": "Study", "Query": query})
    response.raise_for_status()
    return [str(s) for s in response.json()]


def _leftovers(home: Path) -> list[str]:
    return sorted(p.name for p in home.glob(".share-copy-*"))


@pytest.fixture
def viewer_account(account: Account) -> Account:
    """The test account with a viewer address."""
    return dataclasses.replace(account, viewer_url=TEMPLATE)


def test_the_copy_on_the_cloud_carries_no_name_and_its_link_is_given(
    orthanc: Orthanc, viewer_account: Account, cloud_home: Path, small_study: str,
    make_client: Callable[[], DicomWebClient], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(uploading, "BATCH_INSTANCES", 4)  # several requests
    progress, report = _share(cloud_home, small_study, viewer_account, make_client)
    assert any(isinstance(p, ExportProgress) for p in progress)
    assert any(isinstance(p, UploadProgress) for p in progress)
    copy = report.copy_study_instance_uid
    assert copy and copy != small_study
    assert (report.study_instance_uid, report.account) == (small_study, viewer_account.name)
    assert (report.total, report.sent, report.confirmed, report.failed) == (
        SMALL_IMAGES, SMALL_IMAGES, SMALL_IMAGES, ())
    assert report.complete and report.warnings == ()
    assert report.link == TEMPLATE.replace("{StudyInstanceUID}", copy)

    stored = orthanc.qido_instances(copy)
    assert len(stored) == SMALL_IMAGES == orthanc.instance_count()
    assert orthanc.qido_instances(small_study) == set()
    assert not set(study_files(cloud_home, small_study)) & stored
    assert _find_studies(orthanc, PatientID=SAMPLE_ID) == []
    assert _find_studies(orthanc, PatientName="*SAMPLE*") == []
    assert len(_find_studies(orthanc, PatientID="ANON-*")) == 1
    values = identifying_values(study_files(cloud_home, small_study).values())
    for uid in stored:
        assert identity_left(orthanc.stored_bytes(uid), values) == {}, uid

    [share] = LibraryService(cloud_home).shares(small_study)
    assert (share.account, share.link, share.how) == (viewer_account.name, report.link,
                                                      COPY_WITHOUT_NAME)
    assert _leftovers(cloud_home) == []
    with Library(cloud_home) as library:  # The copy's images are not the library's.
        assert library.confirmed_count(small_study, viewer_account.name) == 0


def test_sharing_again_gives_the_same_study_and_link(
    orthanc: Orthanc, viewer_account: Account, cloud_home: Path, small_study: str,
    make_client: Callable[[], DicomWebClient],
) -> None:
    _, first = _share(cloud_home, small_study, viewer_account, make_client)
    _, again = _share(cloud_home, small_study, viewer_account, make_client,
                      DeidentifyOptions(patient_name="Second opinion"))
    assert again.copy_study_instance_uid == first.copy_study_instance_uid
    assert again.link == first.link and again.complete
    assert orthanc.instance_count() == SMALL_IMAGES  # sent again, harmlessly
    assert len(orthanc.study_ids()) == 1
    assert len(LibraryService(cloud_home).shares(small_study)) == 2


def test_a_later_study_of_the_same_patient_links_up(
    orthanc: Orthanc, viewer_account: Account, cloud_home: Path, cloud_library: Library,
    small_study: str, discs: DiscMaker, tmp_path: Path,
    make_client: Callable[[], DicomWebClient],
) -> None:
    """Both copies arrive as one pseudonymous patient on the cloud."""
    later = import_study(cloud_library, rewritten_disc(discs(), tmp_path / "later",
                                                       days_later=30))
    _share(cloud_home, small_study, viewer_account, make_client)
    _share(cloud_home, later, viewer_account, make_client)
    patients = orthanc.session.get(f"{orthanc.base}/patients", timeout=30).json()
    assert len(patients) == 1 and len(orthanc.study_ids()) == 2


def test_without_a_viewer_address_the_copy_is_sent_and_says_there_is_no_link(
    orthanc: Orthanc, account: Account, cloud_home: Path, small_study: str,
    make_client: Callable[[], DicomWebClient],
) -> None:
    _, report = _share(cloud_home, small_study, account, make_client)
    assert report.complete and report.link is None
    assert any("has no viewer address" in note for note in report.notes)
    assert orthanc.qido_instances(report.copy_study_instance_uid)
    assert LibraryService(cloud_home).shares(small_study) == []


def test_a_cancelled_share_leaves_no_copy_behind(
    orthanc: Orthanc, viewer_account: Account, cloud_home: Path, small_study: str,
    make_client: Callable[[], DicomWebClient],
) -> None:
    for stop_at in (ExportProgress, UploadProgress):
        job: Iterator[Item] = LibraryService(cloud_home).share_without_name(
            small_study, viewer_account, make_client)
        for item in job:
            if isinstance(item, stop_at):
                assert _leftovers(cloud_home)
                break
        job.close()  # type: ignore[attr-defined]
        assert _leftovers(cloud_home) == []
    assert LibraryService(cloud_home).shares(small_study) == []


def test_refused_credentials_and_unknown_studies_leave_nothing(
    orthanc: Orthanc, viewer_account: Account, cloud_home: Path, small_study: str,
) -> None:
    from app.core.errors import AuthError

    def wrong() -> DicomWebClient:
        return DicomWebClient(viewer_account, ORTHANC_PASSWORD + "x")

    with pytest.raises(AuthError):
        _share(cloud_home, small_study, viewer_account, wrong)
    with pytest.raises(LibraryError):
        _share(cloud_home, "1.2.3.404", viewer_account, wrong)
    assert _leftovers(cloud_home) == [] and orthanc.instance_count() == 0
