"""Modality Worklist C-FIND (pynetdicom): the hospital's scheduled entries for a patient.

Front-desk staff reconciling an outside study look the patient up in the worklist (by
name and birth date as the disc gives them) and take the local Patient ID, its issuer and
the accession number from the entry they choose, instead of typing them.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from pydicom.dataset import Dataset
from pynetdicom import AE
from pynetdicom.sop_class import ModalityWorklistInformationFind  # type: ignore[attr-defined]

from app.cloud.dimse import TIMEOUT_S, Destination, explain_reject
from app.core.dicom_values import dataset_text
from app.core.errors import PacsError

MAX_MATCHES = 200


@dataclass(frozen=True)
class WorklistEntry:
    """One scheduled entry: the local patient as the hospital knows it, and the order."""

    patient_id: str
    issuer: str
    patient_name: str
    birth_date: str
    sex: str
    accession: str
    description: str
    scheduled_date: str
    modality: str


def _identifier(patient_name: str, birth_date: str) -> Dataset:
    """The C-FIND identifier: match on name and birth date, ask for the rest (empty)."""
    ds = Dataset()
    ds.PatientName = patient_name
    ds.PatientBirthDate = birth_date
    for keyword in ("PatientID", "IssuerOfPatientID", "PatientSex", "AccessionNumber",
                    "RequestedProcedureDescription", "StudyInstanceUID"):
        setattr(ds, keyword, "")
    step = Dataset()
    for keyword in ("Modality", "ScheduledProcedureStepStartDate",
                    "ScheduledProcedureStepDescription", "ScheduledStationAETitle"):
        setattr(step, keyword, "")
    ds.ScheduledProcedureStepSequence = [step]
    return ds


def _entry(ds: Dataset) -> WorklistEntry:
    steps = ds.get("ScheduledProcedureStepSequence") or [Dataset()]
    step = steps[0]
    description = dataset_text(ds, "RequestedProcedureDescription") or \
        dataset_text(step, "ScheduledProcedureStepDescription")
    return WorklistEntry(
        dataset_text(ds, "PatientID"), dataset_text(ds, "IssuerOfPatientID"),
        dataset_text(ds, "PatientName"), dataset_text(ds, "PatientBirthDate"),
        dataset_text(ds, "PatientSex"), dataset_text(ds, "AccessionNumber"), description,
        dataset_text(step, "ScheduledProcedureStepStartDate"), dataset_text(step, "Modality"))


def find_worklist(destination: Destination, calling_aet: str, patient_name: str,
                  birth_date: str = "", timeout: float = TIMEOUT_S) -> list[WorklistEntry]:
    """The worklist entries of ``destination`` matching ``patient_name`` (DICOM
    wildcards * and ? allowed) and ``birth_date`` (empty: any), at most MAX_MATCHES.
    PacsError in one sentence when the worklist cannot be asked."""
    ae = AE(ae_title=calling_aet)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = ae.connection_timeout = timeout
    ae.add_requested_context(ModalityWorklistInformationFind)
    assoc = ae.associate(destination.host, destination.port, ae_title=destination.ae_title)
    primitive = assoc.acceptor.primitive
    if assoc.is_rejected and primitive is not None:
        raise PacsError(explain_reject(destination, calling_aet, primitive.result or 0,
                                       primitive.result_source or 0,
                                       primitive.diagnostic or 0))
    if not assoc.is_established:
        raise PacsError(f"Nothing answers at {destination.host}:{destination.port}: check "
                        "the worklist's address and that it is running.")
    try:
        if not assoc.accepted_contexts:
            raise PacsError(f"The worklist at {destination.host}:{destination.port} does not "
                            "offer the Modality Worklist service.")
        return list(_answers(assoc.send_c_find(
            _identifier(patient_name, birth_date), ModalityWorklistInformationFind),
            destination))
    finally:
        if assoc.is_established:
            assoc.release()


def _answers(responses: Iterator[tuple[Dataset, Dataset | None]],
             destination: Destination) -> Iterator[WorklistEntry]:
    count = 0
    for status, identifier in responses:
        code = int(getattr(status, "Status", -1)) if status else -1
        if code in (0xFF00, 0xFF01) and identifier is not None:
            count += 1
            if count <= MAX_MATCHES:
                yield _entry(identifier)
        elif code == 0x0000:
            return
        elif code == -1:
            raise PacsError(f"The worklist at {destination.host}:{destination.port} stopped "
                            "answering.")
        else:
            raise PacsError(f"The worklist at {destination.host}:{destination.port} refused "
                            f"the query (status 0x{code:04X}).")
