"""Clean Descriptors: keep a description only when it names nobody.

The Basic Profile removes free-text descriptions (Study Description, Series Description,
Protocol Name...) because a technologist may have typed a name into one. They are also
what makes a copy usable ("CT CHEST W CONTRAST", "AX T2 FLAIR"), so the Clean Descriptors
option keeps them once cleaned. Cleaning text reliably is not possible, so the rule here is
conservative: a description is kept unchanged only when none of its words is a word of
the people, places and numbers the same dataset identifies (every person name, the
patient's IDs, addresses, the institution, station, accession and study numbers) and it
holds nothing shaped like an identifier or a true date (five or more digits in a row, a
written date, a year, an e-mail address, two name parts run together); otherwise the Basic
Profile's action applies to it, as if the option were off. Only the descriptors listed
here are cleaned; the other attributes the standard marks "C" for this option keep the
basic action.
"""

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from app.core.dicom_values import to_text

# Descriptions of what was done, kept when clean: a subset of Table E.1-1's "C" attributes
# for this option, limited to those that describe a procedure rather than a person
# (comments about the patient, history and diagnoses are never kept).
CLEANED_DESCRIPTORS = frozenset({
    "StudyDescription", "SeriesDescription", "ProtocolName", "ImageComments",
    "PerformedProcedureStepDescription", "RequestedProcedureDescription",
    "ScheduledProcedureStepDescription", "DerivationDescription",
    "AcquisitionDeviceProcessingDescription", "ContrastBolusAgent",
})

# Attributes whose words identify a person, a place or a record (besides every PN value).
_IDENTIFYING = frozenset({
    "PatientID", "OtherPatientIDs", "IssuerOfPatientID", "PatientAddress",
    "PatientTelephoneNumbers", "PatientTelecomInformation", "MedicalRecordLocator",
    "AccessionNumber", "StudyID", "AdmissionID", "InstitutionName", "InstitutionAddress",
    "InstitutionalDepartmentName", "StationName", "DeviceSerialNumber",
    "ReferringPhysicianAddress", "ReferringPhysicianTelephoneNumbers", "PersonAddress",
    "PersonTelephoneNumbers", "PersonTelecomInformation", "ResponsibleOrganization",
    "RequestedProcedureID", "ScheduledProcedureStepID", "PerformedProcedureStepID",
    "PerformedStationName", "PerformedLocation", "ScheduledStationName",
    "ScheduledProcedureStepLocation", "PlacerOrderNumberImagingServiceRequest",
    "FillerOrderNumberImagingServiceRequest", "RegionOfResidence", "MilitaryRank",
    "BranchOfService", "ClinicalTrialSubjectID", "ClinicalTrialSiteName",
    "ClinicalTrialSponsorName", "CurrentPatientLocation", "PatientInstitutionResidence",
})

_TEXT_VRS = frozenset({"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UT"})
_SUSPICIOUS = re.compile(
    r"\d{5,}"  # IDs, phone numbers, dates written without separators
    r"|\d{1,4}\s*[./-]\s*\d{1,2}\s*[./-]\s*\d{1,4}"  # 12/03/2021, 2021-03-12
    r"|(?<!\d)(19|20)\d\d(?!\d)"  # a year: true years would undo the moved dates
    r"|@"  # e-mail addresses
)


def _fold(text: str) -> str:
    """Lower case without accents, so "Müller" matches "MULLER"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The words (runs of letters and digits) of ``text``, folded."""
    return re.findall(r"[^\W_]+", _fold(text))


def _values(element: DataElement) -> Iterator[str]:
    value = element.value
    items: Iterable[object] = value if isinstance(value, MultiValue | list) else [value]
    for item in items:
        text = to_text(item)
        if text:
            yield text


class IdentityWords:
    """The words a description must not contain, gathered from one dataset (all levels)."""

    def __init__(self, ds: Dataset) -> None:
        self.words: set[str] = set()
        self.joined_names: set[str] = set()
        self._gather(ds)

    def _gather(self, ds: Dataset) -> None:
        for tag in list(ds.keys()):
            try:
                element = ds[tag]
                if element.VR == "SQ":
                    for item in element.value or []:
                        self._gather(item)
                    continue
                if element.VR not in _TEXT_VRS or element.tag.is_private:
                    continue
                if element.VR != "PN" and element.keyword not in _IDENTIFYING:
                    continue
                texts = list(_values(element))
            except Exception:  # A value pydicom cannot read names nobody we could match.
                continue
            for text in texts:
                found = [w for w in words(text) if len(w) >= 2]
                self.words.update(found)
                if element.VR == "PN":
                    # "DOEJOHN" in "DOEJOHN_CHEST": two name parts typed together.
                    for first, second in itertools.pairwise(found):
                        self.joined_names.update({first + second, second + first})

    def is_clean(self, text: str) -> bool:
        """True when ``text`` may be kept: no identifying word, nothing like an ID."""
        if _SUSPICIOUS.search(text):
            return False
        found = words(text)
        if any(w in self.words for w in found):
            return False
        compact = "".join(found)
        return not any(len(j) >= 5 and j in compact for j in self.joined_names)

    def element_is_clean(self, element: DataElement) -> bool:
        """True when every value of a descriptor element may be kept."""
        try:
            return all(self.is_clean(text) for text in _values(element))
        except Exception:
            return False
