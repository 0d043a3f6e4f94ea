"""A Modality Worklist server: a pynetdicom C-FIND SCP (Modality Worklist Information Model
- FIND, and Verification) in its own process, serving a handful of scheduled procedure
steps with distinctive values. Binds 127.0.0.1, knows only its own AE title, stopped by
its PID.

The items: two patients scheduled today with non-ASCII names (UTF-8, ISO_IR 192), one with
a birth date, sex and time that are not valid, one that leaves out most keys, one whose
values are too long or not text, one with values of the wrong type; with ``bulk`` N, that
many more (for the result cap).
"""

from tests.support.picky_scp import PickyScp

FUTURE_DAY = "20300115"

_SCRIPT = r"""
import datetime, fnmatch, sys
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pynetdicom import AE, evt
from pynetdicom.sop_class import ModalityWorklistInformationFind, Verification

port, aet, bulk = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
today = datetime.date.today().strftime("%Y%m%d")

def item(name=None, pid=None, issuer=None, birth=None, sex=None, accession=None,
         day=None, time=None, modality=None, procedure=None, utf8=False):
    ds = Dataset()
    if utf8:
        ds.SpecificCharacterSet = "ISO_IR 192"
    for keyword, value in (("PatientName", name), ("PatientID", pid),
                           ("IssuerOfPatientID", issuer), ("PatientBirthDate", birth),
                           ("PatientSex", sex), ("AccessionNumber", accession),
                           ("RequestedProcedureDescription", procedure)):
        if value is not None:
            setattr(ds, keyword, value)
    if day is not None:
        step = Dataset()
        step.ScheduledProcedureStepStartDate = day
        if time is not None:
            step.ScheduledProcedureStepStartTime = time
        if modality is not None:
            step.Modality = modality
        ds.ScheduledProcedureStepSequence = [step]
    return ds

ITEMS = [
    item("MÜLLER^JÜRGEN", "MRN-1001", "HOSP-A", "19610412", "M", "ACC-77001", today,
         "083000", "CT", "CT Thorax", utf8=True),
    item("ŁUKASIEWICZ^ZOFIA", "MRN-1002", "HOSP-A", "19880229", "F", "ACC-77002", today,
         "101500", "MR", "MR Knee left", utf8=True),
    item("DOE^JOHN", "MRN-1003", None, "19751340", "X", "ACC-77003", "20300115", "2575",
         "CT", "CT Head"),
    item(pid="MRN-1004", day="20300115"),
]
hostile = item("LONG^" + "A" * 300, "MRN-1005", "I" * 90, "not a date", "F",
               "ACC-" + "9" * 40, "20300115", "0900", "US", "US Abdomen")
ITEMS.append(hostile)
odd = item("ODD^VR", "MRN-1006", accession="ACC-ODD")
odd.add(DataElement(0x00100040, "US", 7))  # Patient's Sex as a number
odd.add(DataElement(0x00400100, "OB", b"\x01\x02\x03\x04"))  # a "sequence" of bytes
ITEMS.append(odd)
ITEMS += [item(f"BULK^{n:03d}", f"BULK-{n:03d}", "HOSP-B", "20000101", "O",
               f"ACC-B{n:03d}", "20310101", "120000", "DX", "DX Chest") for n in range(bulk)]

def text(ds, keyword):
    value = ds.get(keyword, "")
    return "" if value is None else str(value)

def step_of(ds):
    steps = ds.get("ScheduledProcedureStepSequence")
    return steps[0] if isinstance(steps, Sequence) and steps else Dataset()

def matches(item, query):
    for keyword in ("PatientName", "PatientID", "AccessionNumber"):
        wanted = text(query, keyword)
        if wanted and not fnmatch.fnmatchcase(text(item, keyword).upper(), wanted.upper()):
            return False
    asked, step = step_of(query), step_of(item)
    day = text(asked, "ScheduledProcedureStepStartDate")
    have = text(step, "ScheduledProcedureStepStartDate")
    if day:
        first, _, last = day.partition("-")
        if not (first <= have <= (last or first)):
            return False
    modality = text(asked, "Modality")
    return not modality or text(step, "Modality") == modality

def on_find(event):
    query = event.identifier
    for candidate in ITEMS:
        if event.is_cancelled:
            yield 0xFE00, None
            return
        if matches(candidate, query):
            yield 0xFF00, candidate

ae = AE(aet)
ae.require_called_aet = True
ae.add_supported_context(ModalityWorklistInformationFind)
ae.add_supported_context(Verification)
ae.start_server(("127.0.0.1", port), block=True, evt_handlers=[(evt.EVT_C_FIND, on_find)])
"""


class WorklistScp(PickyScp):
    """A worklist server called ``aet`` (only that called AE title is accepted), with
    ``bulk`` extra items."""

    script = _SCRIPT

    def __init__(self, aet: str = "WORKLIST", bulk: int = 0) -> None:
        self._start(aet, str(bulk))
