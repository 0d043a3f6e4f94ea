"""Privacy: one state, "hide who this is", that every view observes.

When it is on, no view shows a direct identifier of the patient (PS3.15's: name, ID, birth
date, accession number, institution, referring physician and their kin). Pixels cannot be
cleaned here: images of a kind that commonly carries the name burned into the picture get
a short notice instead.
"""

from app.core.observable import Event

HIDDEN_TEXT = "(hidden)"

# Attribute keywords whose values identify the patient directly or point at them
# (PS3.15 Annex E, Table E.1-1 "basic profile" attributes a viewer would show).
IDENTIFYING_KEYWORDS = frozenset({
    "PatientName", "PatientID", "PatientBirthDate", "PatientBirthTime", "OtherPatientIDs",
    "OtherPatientIDsSequence", "OtherPatientNames", "PatientBirthName",
    "PatientMotherBirthName", "PatientAddress", "PatientTelephoneNumbers",
    "IssuerOfPatientID", "MedicalRecordLocator", "AccessionNumber", "InstitutionName",
    "InstitutionAddress", "InstitutionalDepartmentName", "ReferringPhysicianName",
    "ReferringPhysicianAddress", "ReferringPhysicianTelephoneNumbers",
    "PerformingPhysicianName", "NameOfPhysiciansReadingStudy", "OperatorsName",
    "PhysiciansOfRecord", "RequestingPhysician", "StationName", "DeviceSerialNumber",
    "MilitaryRank", "BranchOfService", "EthnicGroup", "Occupation", "PatientComments",
    "AdditionalPatientHistory", "PatientInsurancePlanCodeSequence", "CountryOfResidence",
    "RegionOfResidence", "ResponsiblePerson", "ResponsibleOrganization",
})

# Ultrasound, secondary capture, "other" and external-camera images often have the
# patient's name burned into the pixels by the device that made them.
PIXEL_NAME_MODALITIES = frozenset({"US", "SC", "OT", "XC"})

BURNED_IN_NOTICE = ("Names are hidden, but this kind of picture often has the patient's name "
                    "written into the image itself.")


def hides_attribute(keyword: str, vr: str = "") -> bool:
    """True when a tag browser must mask this attribute while privacy is on (every person
    name, whatever its keyword, as well as the identifiers above)."""
    return keyword in IDENTIFYING_KEYWORDS or vr == "PN"


def may_show_name_in_pixels(modality: str, burned_in_annotation: str = "") -> bool:
    """True when the picture itself may show the patient's name (see the notice)."""
    return (modality.strip().upper() in PIXEL_NAME_MODALITIES
            or burned_in_annotation.strip().upper() == "YES")


class Privacy:
    """The "hide who this is" switch; views connect to ``changed`` and redraw."""

    def __init__(self, hidden: bool = False) -> None:
        self.hidden = hidden
        self.changed: Event[bool] = Event()

    def set_hidden(self, hidden: bool) -> None:
        """Switch privacy on or off; ``changed`` fires only on a real change."""
        if hidden != self.hidden:
            self.hidden = hidden
            self.changed.emit(hidden)

    def toggle(self) -> None:
        """Switch privacy the other way."""
        self.set_hidden(not self.hidden)

    def show(self, value: str) -> str:
        """``value`` (a name, ID, birth date…) as a view may show it now."""
        return HIDDEN_TEXT if self.hidden and value else value

    def show_attribute(self, keyword: str, vr: str, value: str) -> str:
        """An attribute's text as a tag browser may show it now."""
        return self.show(value) if hides_attribute(keyword, vr) else value

    def title(self, patient_name: str, what: str) -> str:
        """A window title: "Lightbox — NAME" or, hidden, "Lightbox — what" (never the name)."""
        shown = what if self.hidden or not patient_name else patient_name
        return f"Lightbox — {shown}" if shown else "Lightbox"
