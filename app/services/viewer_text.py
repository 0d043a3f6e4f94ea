"""How the viewer words things for people: dates, names, modalities, counts, the four
corners of the image.

Pure functions of plain data, shared by every view (overlay, series list, status bar), so
a patient sees "CT scan" and "12 Mar 2024" everywhere and a rule changes in one place.
"""

from dataclasses import dataclass

from app.core.models import InstanceRef, PatientNode, SeriesNode
from app.core.printable import displayable
from app.explain import explain_contents, explain_library
from app.imaging.documents import document_kind
from app.imaging.presentation_state import PRESENTATION_STATE_PREFIX

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Modality codes (PS3.3 C.7.3.1.1.1) in the words a patient would use.
MODALITY_WORDS = {
    "CT": "CT scan", "MR": "MRI", "US": "Ultrasound", "CR": "X-ray", "DX": "X-ray",
    "RG": "X-ray", "DR": "X-ray", "MG": "Mammogram", "PT": "PET scan", "NM": "Nuclear medicine",
    "XA": "Angiogram", "RF": "Fluoroscopy", "OT": "Other image", "SC": "Screen capture",
    "XC": "Photo", "ES": "Endoscopy", "IO": "Dental X-ray", "PX": "Dental X-ray",
    "BMD": "Bone density scan", "OP": "Eye photo", "OPT": "Eye scan (OCT)",
    "OCT": "OCT scan", "SR": "Report", "DOC": "Document", "ECG": "ECG",
    "KO": "Key images note", "PR": "Display settings", "SEG": "Segmentation",
    "REG": "Registration", "RTIMAGE": "Radiotherapy image", "RTPLAN": "Radiotherapy plan",
    "RTSTRUCT": "Radiotherapy outlines", "RTDOSE": "Radiotherapy dose",
}

# Objects shown as a document rather than scrolled as images.
DOCUMENT_MODALITIES = frozenset({"ECG", "DOC"})


def display_date(value: str) -> str:
    """YYYYMMDD as "12 Mar 2024"; anything else as it is."""
    value = value.strip()
    if len(value) == 8 and value.isdigit():
        month = int(value[4:6])
        if 1 <= month <= 12:
            return f"{int(value[6:])} {MONTHS[month - 1]} {value[:4]}"
    return value


def display_name(value: str) -> str:
    """A DICOM person name (Family^Given^Middle) as people write it: "FAMILY, Given".

    Control characters and bidi overrides are dropped: a name written on a disc must
    not reorder itself (or what follows it) on screen.
    """
    parts = [p for p in displayable(value).split("=")[0].split("^") if p]
    if len(parts) >= 2:
        return f"{parts[0]}, {' '.join(parts[1:])}"
    return parts[0] if parts else ""


def display_text(value: str) -> str:
    """Any text from a medium (a description, a label) as a view may show it: without
    control characters and bidi overrides, which could reorder what is around it."""
    return displayable(value).strip()


def modality_words(code: str) -> str:
    """A modality code in plain words ("OT" → "Other image"); unknown codes as they are."""
    code = code.strip().upper()
    return MODALITY_WORDS.get(code, code)


def series_document_kind(series: SeriesNode) -> str:
    """``pdf``, ``sr``, ``ecg`` for a report-like series; ``""`` for images."""
    first = series.instances[0] if series.instances else None
    kind = document_kind(first.sop_class_uid, series.modality) if first else ""
    if not kind and series.modality.strip().upper() in DOCUMENT_MODALITIES:
        kind = series.modality.strip().lower()
    return kind


def is_presentation_state(series: SeriesNode) -> bool:
    """True for a series of presentation states (GSPS and the like): kept with the study,
    drawn over the images they name when picked, never listed as a series to view."""
    first = series.instances[0] if series.instances else None
    if first is not None and first.sop_class_uid.startswith(PRESENTATION_STATE_PREFIX):
        return True
    return series.modality.strip().upper() == "PR"


def shown_series(series: tuple[SeriesNode, ...] | list[SeriesNode]) -> list[SeriesNode]:
    """The series a view lists (every one but presentation states), in their order."""
    return [node for node in series if not is_presentation_state(node)]


def presentation_states(patients: tuple[PatientNode, ...],
                        study_instance_uid: str) -> list[InstanceRef]:
    """The presentation states kept with a study, for the viewer to offer."""
    return [ref for p in patients for st in p.studies
            if st.study_instance_uid == study_instance_uid
            for s in st.series if is_presentation_state(s) for ref in s.instances]


def is_document(series: SeriesNode) -> bool:
    """True for reports (SR, PDF, ECG...): counted as documents, not images."""
    return bool(series_document_kind(series))


def counts_text(images: int, documents: int = 0) -> str:
    """ "2 images, 1 document" (the documents part only when there are some)."""
    parts = [f"{images} image" + ("" if images == 1 else "s")]
    if documents:
        parts.append(f"{documents} document" + ("" if documents == 1 else "s"))
    return ", ".join(parts)


def series_counts(series: tuple[SeriesNode, ...] | list[SeriesNode]) -> tuple[int, int]:
    """(images, documents) in these series."""
    images = documents = 0
    for node in shown_series(series):
        if is_document(node):
            documents += len(node.instances)
        else:
            images += len(node.instances)
    return images, documents


def contents_text(patients: tuple[PatientNode, ...], plain: bool = False,
                  language: str = "en") -> str:
    """What a medium holds, for the status bar: "151 images, 1 document in 4 series";
    ``plain`` (the simple view for patients, UserMode.shows_plain_words) says it without
    the jargon, in the plain words' ``language``: "151 pictures, 1 document in 4 sets"."""
    series = shown_series([s for p in patients for st in p.studies for s in st.series])
    images, documents = series_counts(series)
    return in_sets_text(images, len(series), documents, plain, language)


def in_sets_text(images: int, sets: int, documents: int = 0, plain: bool = False,
                 language: str = "en") -> str:
    """ "151 images, 1 document in 4 series"; ``plain`` (the simple view for patients,
    UserMode.shows_plain_words) says it without the jargon, in the plain words'
    ``language``: "151 pictures, 1 document in 4 sets". The status bar and the import
    dialog's look at a disc both say it so."""
    if not plain:
        return f"{counts_text(images, documents)} in {sets} series"
    return explain_contents(images, documents, sets, language)


def library_text(studies: int, images: int, plain: bool = False,
                 language: str = "en") -> str:
    """What the library holds, for its status line: "3 studies, 512 images in the
    library"; ``plain`` (the simple view for patients, UserMode.shows_plain_words) says it
    without the jargon, in the plain words' ``language``: "3 scans, 512 pictures in the
    library"."""
    if plain:
        return explain_library(studies, images, language)
    counted = "1 study" if studies == 1 else f"{studies} studies"
    return f"{counted}, {'1 image' if images == 1 else f'{images} images'} in the library"


def series_label(series: SeriesNode) -> str:
    """ "2 · CT scan · Chest 1.0 mm" — the full name; views wrap it rather than cut it."""
    parts = [] if series.series_number is None else [str(series.series_number)]
    if series.modality:
        parts.append(modality_words(series.modality))
    if series.series_description:
        parts.append(series.series_description)
    return displayable(" · ".join(parts) or series.series_instance_uid)


def is_unattributed(patient: PatientNode) -> bool:
    """True for the node of images that cannot be attributed to any patient (views say
    so instead of showing "(no name)")."""
    return patient.unattributed


@dataclass(frozen=True)
class Overlay:
    """The text in the four corners of the image, and a notice (or "") for the middle."""

    top_left: tuple[str, ...] = ()
    top_right: tuple[str, ...] = ()
    bottom_left: tuple[str, ...] = ()
    bottom_right: tuple[str, ...] = ()
    notice: str = ""

    @property
    def corners(self) -> tuple[tuple[str, ...], ...]:
        """Top left, top right, bottom left, bottom right."""
        return (self.top_left, self.top_right, self.bottom_left, self.bottom_right)


@dataclass(frozen=True)
class Markers:
    """Orientation letters (L/R/A/P/H/F, possibly combined) at the middle of each side."""

    top: str = ""
    right: str = ""
    bottom: str = ""
    left: str = ""
