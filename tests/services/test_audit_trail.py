"""The audit trail as the services write it: one entry per action, also when the action
fails or is abandoned; a view records the studies shown; a log that cannot be written
never stops the action and is told."""

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from app.cloud.accounts import Account
from app.cloud.dicomweb import DicomWebClient
from app.core.errors import LibraryError
from app.core.models import InstanceRef, build_tree
from app.library.audit import AuditEntry, AuditLog
from app.services import audit
from app.services.exporting import ExportReport
from app.services.importing import ImportReport
from app.services.jobs import run_to_report
from app.services.library_service import LibraryService
from app.services.share_copy import ShareCopyReport
from app.services.uploading import UploadReport
from app.services.viewer_model import OpenSource, ViewerModel
from tests.library.helpers import SMALL_IMAGES
from tests.support.cloud_fixtures import (
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
from tests.support.orthanc import Orthanc

__all__ = ["account", "cloud_home", "cloud_library", "discs", "make_client",
           "memory_keyring", "orthanc", "orthanc_server", "small_study"]


def _entries(home: Path) -> list[AuditEntry]:
    result = AuditLog(home).verify()
    assert result.intact, result.problem
    return list(result.entries)


def _imported(service: LibraryService, disc: Path) -> str:
    report = run_to_report(service.import_media(disc), ImportReport)
    return report.study_instance_uids[0]


def test_import_export_share_delete_each_leave_one_entry(
        tmp_path: Path, small_disc: Path) -> None:
    home = tmp_path / "home"
    service = LibraryService(home)
    study = _imported(service, small_disc)
    run_to_report(service.export([study], tmp_path / "copy"), ExportReport)
    service.record_share(study, "cloud", "https://viewer/x", "QR code")
    assert service.delete_study(study) == SMALL_IMAGES
    entries = _entries(home)
    assert [(e.seq, e.action, e.studies, e.destination) for e in entries] == [
        (1, "import", (study,), str(small_disc)),
        (2, "export", (study,), str(tmp_path / "copy")),
        (3, "share", (study,), "cloud (QR code)"),
        (4, "delete", (study,), ""),
    ]
    assert [e.result for e in entries] == [
        f"ok: {SMALL_IMAGES} imported, 0 already present, 0 failed",
        f"ok: folder, {SMALL_IMAGES} images, 0 left out",
        "ok",
        f"ok: {SMALL_IMAGES} images removed",
    ]


def test_an_abandoned_job_is_recorded_as_interrupted(tmp_path: Path, small_disc: Path) -> None:
    home = tmp_path / "home"
    service = LibraryService(home)
    job = service.import_media(small_disc)
    next(job)  # Started, then dropped (a cancelled dialog, Ctrl+C in the CLI).
    job.close()
    (entry,) = _entries(home)
    assert (entry.action, entry.result, entry.destination) == (
        "import", "interrupted", str(small_disc))
    # The job's own clean-up ran before the entry: another import may start at once.
    assert _imported(service, small_disc)
    dropped = service.export([service.studies()[0].study_instance_uid], tmp_path / "copy")
    next(dropped)
    del dropped  # Never closed on purpose: garbage collection closes it.
    assert [(e.action, e.result) for e in _entries(home)][-1] == ("export", "interrupted")


def test_a_failing_job_is_recorded_with_its_error_type(tmp_path: Path) -> None:
    home = tmp_path / "home"
    service = LibraryService(home)
    with pytest.raises(LibraryError):
        service.delete_study("1.2.3.4")
    with pytest.raises(LibraryError):
        run_to_report(service.export(["1.2.3.4"], tmp_path / "copy"), ExportReport)
    entries = _entries(home)
    assert [(e.action, e.studies, e.result) for e in entries] == [
        ("delete", ("1.2.3.4",), "failed: LibraryError"),
        ("export", ("1.2.3.4",), "failed: LibraryError"),
    ]


def _ref(study: str, number: int) -> InstanceRef:
    return InstanceRef(path=f"{study}/{number}", sop_instance_uid=f"{study}.{number}",
                       study_instance_uid=study, series_instance_uid=f"{study}.9",
                       modality="CT", instance_number=number,
                       patient_name="DOE^JANE", patient_id="ID-7")


def test_a_view_records_each_study_shown_once_as_it_appears(tmp_path: Path) -> None:
    home = tmp_path / "home"
    service = LibraryService(home)
    model = ViewerModel(record_view=service.record_view)
    disc = Path("/media/DISC")
    model.open_source(OpenSource("medium", disc))
    model.set_tree(build_tree([_ref("1.2.1", 1)]))
    model.set_tree(build_tree([_ref("1.2.1", 1), _ref("1.2.1", 2)]))  # grew: no entry
    model.set_tree(build_tree([_ref("1.2.1", 1), _ref("1.2.2", 1)]))  # a second study
    model.open_source(OpenSource("library", home / "store", "1.2.1"))
    model.set_tree(build_tree([_ref("1.2.1", 1)]))
    assert [(e.action, e.studies, e.destination, e.result) for e in _entries(home)] == [
        ("view", ("1.2.1",), str(disc), "ok"),
        ("view", ("1.2.2",), str(disc), "ok"),
        ("view", ("1.2.1",), "library", "ok"),
    ]
    log = (home / "audit.log").read_bytes()
    assert b"DOE" not in log and b"ID-7" not in log


def test_a_log_that_cannot_be_written_never_stops_the_action(
        tmp_path: Path, small_disc: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "audit.log").mkdir()
    told: list[str] = []
    stop = audit.unrecorded.connect(told.append)
    broken = audit.unrecorded.connect(lambda _text: 1 / 0)  # A listener that fails.
    try:
        service = LibraryService(home)
        study = _imported(service, small_disc)
        assert service.delete_study(study) == SMALL_IMAGES
    finally:
        stop()
        broken()
    assert len(told) == 2
    assert told[0].startswith("The import went ahead, but it could not be written to the "
                              f"audit log {home / 'audit.log'}")
    assert told[1].startswith("The delete went ahead")
    note = (home / "logs" / "lightbox.log").read_text().splitlines()
    assert len(note) == 2 and "action=delete studies=1 error=IsADirectoryError" in note[1]


def test_an_upload_and_a_shared_copy_are_audited(
    orthanc: Orthanc, account: Account, cloud_home: Path, small_study: str,
    make_client: Callable[[], DicomWebClient],
) -> None:
    service = LibraryService(cloud_home)
    run_to_report(service.upload([small_study], account, make_client), UploadReport)
    viewer = dataclasses.replace(
        account, viewer_url="http://127.0.0.1:3000/viewer?StudyInstanceUIDs={StudyInstanceUID}")
    report = run_to_report(service.share_without_name(small_study, viewer, make_client),
                           ShareCopyReport)
    upload, share = _entries(cloud_home)
    assert (upload.action, upload.studies, upload.destination, upload.result) == (
        "upload", (small_study,), account.name,
        f"ok: {SMALL_IMAGES} sent, {SMALL_IMAGES} of {SMALL_IMAGES} confirmed, 0 failed")
    assert (share.action, share.studies, share.destination, share.result) == (
        "share", (small_study, report.copy_study_instance_uid), account.name,
        f"ok: de-identified copy, {SMALL_IMAGES} of {SMALL_IMAGES} confirmed, link given")
