"""LibraryService: the library as the CLI and the GUI see it, on a real library."""

from pathlib import Path

import pytest

from app.core.errors import LibraryError
from app.services.importing import ImportProgress, ImportReport
from app.services.jobs import run_to_report
from app.services.library_service import LibraryService
from app.services.verification import VerifyReport
from tests.library.helpers import (
    SAMPLE_ID,
    SMALL_IMAGES,
    index_rows,
    object_files,
    write_small_disc,
)

BUSY = "The library is busy importing; delete the study when the import has finished."


@pytest.fixture(scope="module")
def discs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two small sample discs: two different studies of the sample patient."""
    folder = tmp_path_factory.mktemp("service-discs")
    return write_small_disc(folder / "a", seed=7), write_small_disc(folder / "b", seed=8)


def _import(service: LibraryService, disc: Path) -> ImportReport:
    return run_to_report(service.import_media(disc), ImportReport)


def test_an_empty_library(tmp_path: Path) -> None:
    service = LibraryService(tmp_path / "home")
    assert service.studies() == []
    summary = service.summary()
    assert (summary.studies, summary.images) == (0, 0)


def test_import_then_read_back(tmp_path: Path, discs: tuple[Path, Path]) -> None:
    """Import two discs through the façade; every reading call agrees with the index."""
    home = tmp_path / "home"
    service = LibraryService(home)
    progress: list[ImportProgress] = []
    report = run_to_report(service.import_media(discs[0]), ImportReport, progress.append)
    assert (report.imported, report.failed) == (SMALL_IMAGES, ())
    assert len(progress) >= SMALL_IMAGES
    assert _import(service, discs[1]).imported == SMALL_IMAGES

    rows = service.studies()
    assert len(rows) == 2 and {r.patient_id for r in rows} == {SAMPLE_ID}
    assert service.summary().images == 2 * SMALL_IMAGES == len(index_rows(home))
    first, second = (r.study_instance_uid for r in rows)
    assert [r.study_instance_uid for r in service.studies_by_uid([second, "1.2.3", first])] == [
        second, first]
    assert service.studies(patient_id="someone else") == []

    root, instances = service.study_contents(first)
    assert len(instances) == rows[0].instances == SMALL_IMAGES
    assert all((root / i.path).is_file() for i in instances)


def test_upload_plan_counts_what_the_account_lacks(
    tmp_path: Path, discs: tuple[Path, Path]
) -> None:
    service = LibraryService(tmp_path / "home")
    _import(service, discs[0])
    [row] = service.studies()
    plan = service.upload_plan([row.study_instance_uid], "cloud")
    root, instances = service.study_contents(row.study_instance_uid)
    assert (plan.account, plan.images, plan.patients) == ("cloud", SMALL_IMAGES, 1)
    assert plan.bytes == sum((root / i.path).stat().st_size for i in instances)
    assert [r.study_instance_uid for r in plan.rows] == [row.study_instance_uid]


def test_delete_removes_rows_and_files(tmp_path: Path, discs: tuple[Path, Path]) -> None:
    home = tmp_path / "home"
    service = LibraryService(home)
    _import(service, discs[0])
    [row] = service.studies()
    assert service.delete_study(row.study_instance_uid) == SMALL_IMAGES
    assert service.studies() == [] and object_files(home) == []
    with pytest.raises(LibraryError, match="There is no study"):
        service.delete_study(row.study_instance_uid)


def test_delete_waits_for_a_running_import(tmp_path: Path, discs: tuple[Path, Path]) -> None:
    """While an import job holds the writer lock, delete refuses in one sentence; once
    the job is closed, delete works."""
    home = tmp_path / "home"
    service = LibraryService(home)
    _import(service, discs[0])
    [row] = service.studies()
    running = service.import_media(discs[1])
    assert isinstance(next(running), ImportProgress)  # the import now holds the library
    try:
        with pytest.raises(LibraryError) as refused:
            service.delete_study(row.study_instance_uid)
        assert str(refused.value) == BUSY
        assert refused.value.exit_code == 2
    finally:
        running.close()
    assert service.delete_study(row.study_instance_uid) == SMALL_IMAGES


def test_verify_job(tmp_path: Path, discs: tuple[Path, Path]) -> None:
    home = tmp_path / "home"
    service = LibraryService(home)
    _import(service, discs[0])
    report = run_to_report(service.verify(), VerifyReport)
    assert (report.checked, report.problems) == (SMALL_IMAGES, ())
    object_files(home)[0].unlink()
    assert len(run_to_report(service.verify(), VerifyReport).problems) == 1
