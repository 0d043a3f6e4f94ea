"""Scan, the importer and the viewer read every corpus disc the same way.

One plan (``app.media.directories.plan_medium``) decides which files a medium holds; this
checks that what each reader makes of it agrees: the viewer's tree once its unlisted
files are identified (as its loader does), the number of images an import stores into an
empty library, and scan's ``instances`` — and that the viewer shows no patient scan does
not report (the phantom "(no name)" patient of ``dwv_bbmri_lowercase``).
"""

from pathlib import Path

import pytest

from app.core.models import InstanceRef, PatientNode
from app.library.library import Library
from app.services.importing import ImportReport, import_media
from app.services.scan import scan_report
from app.services.viewing import MediumReader, tree_of
from tests.conftest import CORPUS


def _discs() -> list[str]:
    root = CORPUS / "discs"
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def _viewer_tree(path: Path) -> tuple[PatientNode, ...]:
    reader = MediumReader(path)
    try:
        disc = reader.open()
        instances: list[InstanceRef] = list(disc.listed)
        for unlisted in disc.unlisted:
            found = reader.identify(unlisted)
            if found is not None:
                instances.append(found)
    finally:
        reader.close()
    return tree_of(instances)


def _count(patients: tuple[PatientNode, ...]) -> int:
    return sum(study.instance_count for patient in patients for study in patient.studies)


def _patients(patients: tuple[PatientNode, ...]) -> set[tuple[str, str]]:
    return {(p.patient_id, p.patient_name) for p in patients}


def _series(patients: tuple[PatientNode, ...]) -> dict[str, set[str]]:
    return {
        series.series_instance_uid: {ref.sop_instance_uid for ref in series.instances}
        for patient in patients
        for study in patient.studies
        for series in study.series
    }


def _series_sizes(patients: tuple[PatientNode, ...]) -> dict[str, int]:
    return {
        series.series_instance_uid: len(series.instances)
        for patient in patients
        for study in patient.studies
        for series in study.series
    }


@pytest.mark.parametrize("disc", _discs() or ["(no corpus)"])
def test_scan_import_and_viewer_agree(disc: str, corpus: Path, tmp_path: Path) -> None:
    path = corpus / "discs" / disc
    scanned = scan_report(path)
    viewed = _viewer_tree(path)
    with Library(tmp_path / "home") as library:
        report = None
        for item in import_media(path, library):
            if isinstance(item, ImportReport):
                report = item
        assert report is not None
        stored = library.count_instances()

    assert _count(viewed) == scanned.instances
    assert _patients(viewed) <= _patients(scanned.patients)
    # Every series holds the same images. A DICOMDIR record may not carry the SOP
    # Instance UID (Philips DIRFILEs): the viewer places the file by its record and learns
    # the UID when it reads the file, so only the UIDs it already knows are compared.
    assert _series_sizes(viewed) == _series_sizes(scanned.patients)
    scanned_series = _series(scanned.patients)
    for series_uid, uids in _series(viewed).items():
        assert uids - {""} <= scanned_series[series_uid]
    assert report.imported == scanned.instances == stored
    assert not any(p.unattributed for p in viewed) or any(
        p.unattributed for p in scanned.patients
    )


def test_the_lowercase_dcmdir_disc_has_no_phantom_patient(corpus: Path) -> None:
    # Its .dcmdir has IMAGE records without any PATIENT/STUDY/SERIES parent.
    viewed = _viewer_tree(corpus / "discs" / "dwv_bbmri_lowercase")
    assert len(viewed) == 1
    assert viewed[0].patient_name == "20120215_ASLtest_human"
    assert not viewed[0].unattributed
    assert _count(viewed) == 6
    assert all(series.series_instance_uid for study in viewed[0].studies
               for series in study.series)
