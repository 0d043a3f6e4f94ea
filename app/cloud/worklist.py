"""Modality Worklist queries (DICOM C-FIND, PS3.4 K.6): who is scheduled, under which
local Patient ID and accession number.

One short association with the Modality Worklist Information Model - FIND only; every wait
is short, so a search answers in seconds even when nothing is listening, and at most
``limit`` items are read (the association is aborted past that, rather than reading a whole
day's list). What the server sends is not trusted: a value that is missing, of an odd
type, too long or not a real date is left empty, never raised as an error. Failures come
back as PacsError with one sentence.

:func:`find` takes any query (the "Find in the worklist" dialog); :func:`find_worklist` is
the disc's patient by name and birth date (``reconciling.worklist_matches``).
"""

import datetime
import socket
from collections.abc import Iterator
from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pynetdicom import AE
from pynetdicom.sop_class import ModalityWorklistInformationFind  # type: ignore[attr-defined]

from app.cloud.dimse import Destination, explain_reject
from app.core.errors import PacsError

TIMEOUT_S = 10.0
MAX_RESULTS = 200
MAX_MATCHES = MAX_RESULTS
_PENDING = (0xFF00, 0xFF01)
# Longest values kept (the VR's maximum): longer ones are a broken or hostile server.
_LIMITS = {"PatientID": 64, "IssuerOfPatientID": 64, "AccessionNumber": 16,
           "Modality": 16, "RequestedProcedureDescription": 64,
           "ScheduledProcedureStepDescription": 64}
_NAME_MAX = 3 * 64 + 2


@dataclass(frozen=True)
class WorklistQuery:
    """What to look for; an empty field matches anything. ``patient_name`` may hold the
    wildcards ``*`` and ``?``; ``scheduled_date`` is ``YYYYMMDD`` or a range
    ``YYYYMMDD-YYYYMMDD``."""

    patient_name: str = ""
    patient_id: str = ""
    accession: str = ""
    scheduled_date: str = ""
    modality: str = ""
    birth_date: str = ""


@dataclass(frozen=True)
class WorklistItem:
    """One scheduled procedure step as the server described it ("" for what it left out
    or sent unusable). Dates are ``YYYYMMDD``, the time ``HH:MM``."""

    patient_id: str = ""
    issuer: str = ""
    patient_name: str = ""
    birth_date: str = ""
    sex: str = ""
    accession: str = ""
    scheduled_date: str = ""
    scheduled_time: str = ""
    modality: str = ""
    description: str = ""  # of the requested procedure, else of the scheduled step


# The name the reconciliation service (and its form's ``take``) knows it by.
WorklistEntry = WorklistItem


@dataclass(frozen=True)
class WorklistAnswer:
    """The items found (at most the limit asked for); ``more`` when the server had more."""

    items: tuple[WorklistItem, ...]
    more: bool = False


def query_dataset(query: WorklistQuery) -> Dataset:
    """The C-FIND identifier: the query's values as matching keys, every other attribute
    we show as an empty return key."""
    ds = Dataset()
    if any(not v.isascii() for v in (query.patient_name, query.patient_id, query.accession)):
        ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = query.patient_name
    ds.PatientID = query.patient_id
    ds.IssuerOfPatientID = ""
    ds.PatientBirthDate = query.birth_date
    ds.PatientSex = ""
    ds.AccessionNumber = query.accession
    ds.RequestedProcedureDescription = ""
    step = Dataset()
    step.Modality = query.modality
    step.ScheduledProcedureStepStartDate = query.scheduled_date
    step.ScheduledProcedureStepStartTime = ""
    step.ScheduledProcedureStepDescription = ""
    ds.ScheduledProcedureStepSequence = [step]
    return ds


def find(destination: Destination, calling_aet: str, query: WorklistQuery,
         limit: int = MAX_RESULTS, timeout: float = TIMEOUT_S) -> WorklistAnswer:
    """Ask the worklist server at ``destination`` (as ``calling_aet``) for the items
    matching ``query``; at most ``limit`` of them. PacsError in one sentence when it
    cannot be reached, refuses us or the query."""
    where = f"{destination.host}:{destination.port}"
    ae = AE(ae_title=calling_aet)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
    ae.connection_timeout = timeout
    ae.add_requested_context(ModalityWorklistInformationFind)
    assoc = ae.associate(destination.host, destination.port, ae_title=destination.ae_title)
    answer = assoc.acceptor.primitive
    if assoc.is_rejected and answer is not None:
        raise PacsError(explain_reject(destination, calling_aet, int(answer.result or 1),
                                       int(answer.result_source or 0),
                                       int(answer.diagnostic or 0))
                        .replace("The PACS", "The worklist server", 1))
    if not assoc.is_established:
        if answer is not None and answer.result == 0:
            raise PacsError(f"The server at {where} accepted the connection but does not "
                            "answer worklist queries (Modality Worklist C-FIND).")
        raise PacsError(f"Nothing answers at {where}: check the worklist server's address "
                        "and that it is running.")
    items: list[WorklistItem] = []
    more = False
    try:
        sock = assoc.dul.socket
        if sock is not None and sock.socket is not None:
            # Small requests and answers: without this, Nagle can add ~40 ms to each.
            sock.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for identifier in _responses(assoc.send_c_find(query_dataset(query),
                                                       ModalityWorklistInformationFind),
                                     where, timeout):
            if len(items) == limit:
                more = True
                break
            items.append(item_from(identifier))
    finally:
        if assoc.is_established and more:
            # Past the limit the server may still be sending: abort, don't wait for it.
            assoc.abort()
        elif assoc.is_established:
            assoc.release()
    return WorklistAnswer(tuple(items), more)


def find_worklist(destination: Destination, calling_aet: str, patient_name: str,
                  birth_date: str = "", timeout: float = TIMEOUT_S) -> list[WorklistEntry]:
    """The entries matching ``patient_name`` (wildcards allowed) and ``birth_date``
    (empty: any), at most MAX_MATCHES; PacsError in one sentence otherwise."""
    query = WorklistQuery(patient_name=patient_name, birth_date=birth_date)
    return list(find(destination, calling_aet, query, MAX_MATCHES, timeout).items)


def _responses(responses: Iterator[tuple[Dataset, Dataset | None]], where: str,
               timeout: float) -> Iterator[Dataset]:
    """The identifiers of the pending responses; PacsError for a failure status."""
    for status, identifier in responses:
        code = int(getattr(status, "Status", -1)) if status else -1
        if code == -1:
            raise PacsError(f"The worklist server at {where} did not answer in "
                            f"{timeout:.0f} seconds, or dropped the connection.")
        if code in _PENDING:
            if identifier is not None:
                yield identifier
            continue
        if code == 0:
            return
        if code == 0xFE00:
            return  # Cancelled: what came is what there is.
        raise PacsError(_status_sentence(code, where))


def _status_sentence(code: int, where: str) -> str:
    if code == 0xA700:
        return f"The worklist server at {where} is out of resources; try again later."
    if code == 0xA900 or code & 0xF000 == 0xC000:
        return (f"The worklist server at {where} could not process the search (status "
                f"0x{code:04X}); simplify it, for example without wildcards.")
    return f"The worklist server at {where} refused the search (status 0x{code:04X})."


# -- the answers, untrusted ------------------------------------------------------------

def item_from(ds: Dataset) -> WorklistItem:
    """A WorklistItem from one response identifier; each value that is missing or not
    usable is left empty."""
    step = _first_step(ds)
    return WorklistItem(
        patient_id=_text(ds, "PatientID"),
        issuer=_text(ds, "IssuerOfPatientID"),
        patient_name=_name(ds),
        birth_date=_date(_text(ds, "PatientBirthDate", 18)),
        sex=s if (s := _text(ds, "PatientSex", 16).upper()) in ("M", "F", "O") else "",
        accession=_text(ds, "AccessionNumber"),
        scheduled_date=_date(_text(step, "ScheduledProcedureStepStartDate", 18)),
        scheduled_time=_time(_text(step, "ScheduledProcedureStepStartTime", 28)),
        modality=_text(step, "Modality"),
        description=_text(ds, "RequestedProcedureDescription")
        or _text(step, "ScheduledProcedureStepDescription"),
    )


def _first_step(ds: Dataset) -> Dataset:
    try:
        value = ds.get("ScheduledProcedureStepSequence")
        if value and isinstance(value[0], Dataset):
            return value[0]
    except Exception:  # any way a hostile value fails to decode is skipped
        pass
    return Dataset()


def _value(ds: Dataset, keyword: str) -> object:
    try:
        value = ds.get(keyword)  # By keyword: the value, decoded in the data set's charset.
    except Exception:  # a value that does not decode is left out
        return None
    if isinstance(value, list | tuple | MultiValue):
        value = value[0] if len(value) else None
    return value


def _clean(text: str, limit: int) -> str:
    text = text.strip(" \x00")
    if len(text) > limit or not text.isprintable() or "\\" in text:
        return ""
    return text


def _text(ds: Dataset, keyword: str, limit: int = 0) -> str:
    value = _value(ds, keyword)
    if not isinstance(value, str):
        return ""  # Absent, bytes of an unknown VR, a number or a sequence: not text.
    return _clean(value, limit or _LIMITS.get(keyword, 64))


def _name(ds: Dataset) -> str:
    value = _value(ds, "PatientName")
    if value is None or isinstance(value, bytes | int | float):
        return ""
    try:
        text = str(value)
    except Exception:  # a name in an unknown character set
        return ""
    return _clean(text, _NAME_MAX)


def _date(text: str) -> str:
    """``YYYYMMDD`` when ``text`` is a real date (DICOM or ISO form), else ""."""
    digits = text.replace("-", "") if len(text) == 10 else text
    try:
        if len(digits) != 8 or not digits.isdigit():
            return ""
        datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return ""
    return digits


def _time(text: str) -> str:
    """``HH:MM`` from a DICOM time (``HHMM``, ``HHMMSS.FFFFFF``, ``HH:MM:SS``), else ""."""
    digits = text.replace(":", "")[:4]
    if len(digits) != 4 or not digits.isdigit():
        return ""
    if int(digits[:2]) > 23 or int(digits[2:]) > 59:
        return ""
    return f"{digits[:2]}:{digits[2:]}"
