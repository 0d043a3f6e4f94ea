"""The worklist client against Orthanc's Modality Worklists plugin (a worklist server
other than our own test SCP), in the loopback-only namespace: worklist files written with
pydicom into its database folder, found by name wildcard, ID, accession and date."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from app.cloud.dimse import Destination
from app.cloud.worklist import WorklistItem, WorklistQuery, find
from tests.support.orthanc import Orthanc, orthanc_problem

WORKLIST_PLUGIN = Path("/usr/share/orthanc/plugins/libModalityWorklists.so")


def _problem() -> str | None:
    if (problem := orthanc_problem()) is not None:
        return problem
    if not WORKLIST_PLUGIN.is_file():
        return "Orthanc's worklist plugin is not installed (Debian package: orthanc)"
    return None


pytestmark = pytest.mark.skipif(_problem() is not None, reason=str(_problem()))


def _worklist_file(folder: Path, name: str, pid: str, accession: str, day: str,
                   modality: str) -> None:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = name
    ds.PatientID = pid
    ds.IssuerOfPatientID = "HOSP-O"
    ds.PatientBirthDate = "19700131"
    ds.PatientSex = "F"
    ds.AccessionNumber = accession
    ds.RequestedProcedureDescription = f"{modality} study"
    step = Dataset()
    step.Modality = modality
    step.ScheduledStationAETitle = "CT1"
    step.ScheduledProcedureStepStartDate = day
    step.ScheduledProcedureStepStartTime = "0945"
    ds.ScheduledProcedureStepSequence = [step]
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.276.0.7230010.3.1.0.1"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.save_as(folder / f"{pid}.wl", enforce_file_format=True)


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orthanc]:
    folder = tmp_path_factory.mktemp("orthanc-worklist")
    worklists = folder / "worklists"
    worklists.mkdir()
    _worklist_file(worklists, "NOWAK^ANNA", "O-2001", "ACC-O1", "20301201", "CT")
    _worklist_file(worklists, "GÓMEZ^INÉS", "O-2002", "ACC-O2", "20301202", "MR")
    server = Orthanc(folder)
    config = json.loads(server.config.read_text(encoding="utf-8"))
    config["Plugins"].append(str(WORKLIST_PLUGIN))
    config.update(Worklists={"Enable": True, "Database": str(worklists)},
                  DicomAlwaysAllowFind=True, DicomAlwaysAllowFindWorklist=True)
    server.config.write_text(json.dumps(config, indent=1), encoding="utf-8")
    server.start()
    yield server
    server.close()


def _ids(orthanc: Orthanc, query: WorklistQuery) -> list[str]:
    where = Destination("LIGHTBOXTEST", "127.0.0.1", orthanc.dicom_port)
    return sorted(i.patient_id for i in find(where, "FRONTDESK", query).items)


def test_orthanc_worklist_answers_each_kind_of_query(orthanc: Orthanc) -> None:
    assert _ids(orthanc, WorklistQuery(patient_name="NOW*")) == ["O-2001"]
    assert _ids(orthanc, WorklistQuery(patient_id="O-2002")) == ["O-2002"]
    assert _ids(orthanc, WorklistQuery(accession="ACC-O1")) == ["O-2001"]
    assert _ids(orthanc, WorklistQuery(scheduled_date="20301201-20301202")) == \
        ["O-2001", "O-2002"]
    assert _ids(orthanc, WorklistQuery(modality="MR")) == ["O-2002"]
    assert _ids(orthanc, WorklistQuery(patient_id="NOBODY")) == []


def test_orthanc_item_fields_and_non_ascii_name(orthanc: Orthanc) -> None:
    where = Destination("LIGHTBOXTEST", "127.0.0.1", orthanc.dicom_port)
    (item,) = find(where, "FRONTDESK", WorklistQuery(patient_id="O-2002")).items
    assert item == WorklistItem(patient_id="O-2002", issuer="HOSP-O", patient_name="GÓMEZ^INÉS",
                                birth_date="19700131", sex="F", accession="ACC-O2",
                                scheduled_date="20301202", scheduled_time="09:45",
                                modality="MR", description="MR study")
    capped = find(where, "FRONTDESK", WorklistQuery(), limit=1)
    assert len(capped.items) == 1 and capped.more

