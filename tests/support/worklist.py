"""dcmtk's wlmscpfs as a hospital's Modality Worklist for the reconciliation tests.

It serves the worklist files (``*.wl``) written into ``folder/AET/``; like storescp it
binds every interface, so it runs only inside ``scripts/isolated.sh``'s namespace, and is
stopped by its PID. Every wait is bounded.
"""

import shutil
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from tests.support.orthanc import free_port, namespace_problem
from tests.support.server_process import start_listening, stop_process


def worklist_problem(command: str = "make test") -> str | None:
    """Why wlmscpfs cannot run here, or None."""
    problem = namespace_problem(command)
    if problem:
        return problem
    if shutil.which("wlmscpfs", path="/usr/bin") is None:
        return "dcmtk's wlmscpfs is not installed (Debian package: dcmtk)"
    return None


def worklist_item(patient_id: str, issuer: str, name: str, birth_date: str, sex: str,
                  accession: str, description: str = "CT CHEST") -> Dataset:
    """A complete worklist entry (wlmscpfs rejects incomplete ones)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientName, ds.PatientID, ds.IssuerOfPatientID = name, patient_id, issuer
    ds.PatientBirthDate, ds.PatientSex = birth_date, sex
    ds.AccessionNumber = accession
    ds.RequestedProcedureID, ds.RequestedProcedureDescription = "RP1", description
    ds.StudyInstanceUID = generate_uid()
    ds.ReferringPhysicianName = ""
    step = Dataset()
    step.Modality, step.ScheduledStationAETitle = "CT", "CT01"
    step.ScheduledProcedureStepStartDate, step.ScheduledProcedureStepStartTime = \
        "20261202", "1000"
    step.ScheduledPerformingPhysicianName = ""
    step.ScheduledProcedureStepDescription, step.ScheduledProcedureStepID = description, "SPS1"
    ds.ScheduledProcedureStepSequence = [step]
    return ds


class WorklistScp:
    """One wlmscpfs serving ``items`` under the AE title ``aet``."""

    def __init__(self, folder: Path, items: list[Dataset], aet: str = "WORKLIST") -> None:
        self.aet = aet
        self.port = free_port()
        entries = folder / aet
        entries.mkdir(parents=True, exist_ok=True)
        (entries / "lockfile").touch()
        for number, item in enumerate(items):
            item.save_as(entries / f"item{number}.wl", enforce_file_format=False)
        self.process = start_listening(
            ["/usr/bin/wlmscpfs", "-dfp", str(folder), str(self.port)], self.port,
            "wlmscpfs")

    @property
    def address(self) -> str:
        """``AET@127.0.0.1:PORT``."""
        return f"{self.aet}@127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Terminate by PID; kill if it does not exit in time."""
        stop_process(self.process)
