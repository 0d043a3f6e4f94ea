"""Plain data shared by every layer: references to instances, the study tree, scan results.

Frozen dataclasses only; no I/O here.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

ProblemKind = Literal[
    "missing", "unreadable", "not-dicom", "outside-media", "mismatch", "duplicate", "unsupported"
]
# The problems of a file that holds no image at all (not DICOM, or a header that cannot
# be read): such a file is left out of the tree, and a listed one makes a disc incomplete.
NO_IMAGE_PROBLEMS: frozenset[ProblemKind] = frozenset({"not-dicom", "unreadable"})
SourceKind = Literal["dicomdir", "scan", "iso", "zip"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a medium, about one path on it (a media-relative path)."""

    path: str
    problem: ProblemKind
    detail: str


@dataclass(frozen=True)
class InstanceRef:
    """Where one DICOM instance lives on a medium and what it belongs to.

    ``path`` is relative to the medium root, with ``/`` separators. Text values are
    decoded with the file's character set; missing values are empty strings.
    """

    path: str
    sop_instance_uid: str
    sop_class_uid: str = ""
    transfer_syntax_uid: str = ""
    patient_id: str = ""
    patient_name: str = ""
    patient_birth_date: str = ""
    study_instance_uid: str = ""
    study_date: str = ""
    study_description: str = ""
    series_instance_uid: str = ""
    modality: str = ""
    series_number: int | None = None
    series_description: str = ""
    instance_number: int | None = None
    number_of_frames: int = 1
    patient_sex: str = ""  # M, F, O or "" (last: rows from the index are built positionally)
    # What plain-words descriptions are built from (app.explain); after patient_sex for the
    # same reason.
    body_part_examined: str = ""
    protocol_name: str = ""
    contrast_agent: str = ""
    view_position: str = ""
    institution_name: str = ""


@dataclass(frozen=True)
class SeriesNode:
    """A series and its instances, ordered by instance number."""

    series_instance_uid: str
    modality: str
    series_number: int | None
    series_description: str
    instances: tuple[InstanceRef, ...]


@dataclass(frozen=True)
class StudyNode:
    """A study and its series, ordered by series number."""

    study_instance_uid: str
    study_date: str
    study_description: str
    series: tuple[SeriesNode, ...]

    @property
    def instance_count(self) -> int:
        """Number of instances in all series of the study."""
        return sum(len(s.instances) for s in self.series)


@dataclass(frozen=True)
class PatientNode:
    """A patient (as named on the medium) and their studies, oldest first.

    ``unattributed`` is True for the images that cannot be attributed to any patient:
    their headers carry neither Patient ID nor Patient's Name. Such a node is not a
    patient (views say "Images not linked to a patient", never "(no name)") and it
    sorts after every real patient.
    """

    patient_id: str
    patient_name: str
    patient_birth_date: str
    studies: tuple[StudyNode, ...]
    unattributed: bool = False
    patient_sex: str = ""


SeriesKey = tuple[str, str, int | None, str]

# A patient as a medium names them: (Patient ID, Patient's Name), the key build_tree groups
# by and an import can be limited to; ("", "") are the images that name no patient.
PatientKey = tuple[str, str]


def series_key(ref: InstanceRef) -> SeriesKey:
    """What tells the series of ``ref`` apart from others of its study.

    The Series Instance UID when there is one; without it, the modality, series number
    and description, so that two series lacking UIDs are never merged into one.
    """
    if ref.series_instance_uid:
        return (ref.series_instance_uid, "", None, "")
    return ("", ref.modality, ref.series_number, ref.series_description)


def _number_key(value: int | None) -> tuple[int, int]:
    return (1, 0) if value is None else (0, value)


def build_tree(instances: Iterable[InstanceRef]) -> tuple[PatientNode, ...]:
    """Group instances into patients, studies and series.

    Patients are told apart by ID *and* name: two people who share an ID on an outside
    disc must never be merged into one. Instances with neither go to one node marked
    ``unattributed``. Instances without a Series Instance UID are grouped by what else
    they say of their series, so two such series are never shown as one.
    """
    patients: dict[tuple[str, str], dict[str, dict[SeriesKey, list[InstanceRef]]]] = {}
    for ref in instances:
        studies = patients.setdefault((ref.patient_id, ref.patient_name), {})
        series = studies.setdefault(ref.study_instance_uid, {})
        series.setdefault(series_key(ref), []).append(ref)

    result = []
    for (patient_id, patient_name), studies in patients.items():
        study_nodes = []
        birth_date = ""
        sex = ""
        for study_uid, series_map in studies.items():
            series_nodes = []
            for refs in series_map.values():
                refs.sort(key=lambda r: (_number_key(r.instance_number), r.path))
                first = refs[0]
                birth_date = birth_date or first.patient_birth_date
                sex = sex or next((r.patient_sex for r in refs if r.patient_sex), "")
                series_nodes.append(
                    SeriesNode(
                        series_instance_uid=first.series_instance_uid,
                        modality=first.modality,
                        series_number=first.series_number,
                        series_description=first.series_description,
                        instances=tuple(refs),
                    )
                )
            series_nodes.sort(key=lambda s: (_number_key(s.series_number), s.series_description))
            first_series = series_nodes[0].instances[0]
            study_nodes.append(
                StudyNode(
                    study_instance_uid=study_uid,
                    study_date=first_series.study_date,
                    study_description=first_series.study_description,
                    series=tuple(series_nodes),
                )
            )
        study_nodes.sort(key=lambda s: (s.study_date, s.study_description))
        result.append(
            PatientNode(
                patient_id=patient_id,
                patient_name=patient_name,
                patient_birth_date=birth_date,
                studies=tuple(study_nodes),
                unattributed=not (patient_id or patient_name),
                patient_sex=sex,
            )
        )
    result.sort(key=lambda p: (p.unattributed, p.patient_name.casefold(), p.patient_id))
    return tuple(result)


@dataclass(frozen=True)
class ScanProgress:
    """Progress of a scan: ``done`` of ``total`` files looked at; ``path`` the latest."""

    done: int
    total: int
    path: str


@dataclass(frozen=True)
class ScanReport:
    """The disc health report: what a medium holds and everything wrong with it.

    ``unreferenced`` lists images found on the medium that no DICOMDIR mentions: extra
    findings, not errors. ``directories`` says which directory files were read and how.
    """

    source: str
    kind: SourceKind
    patients: tuple[PatientNode, ...]
    problems: tuple[Problem, ...]
    unreferenced: tuple[str, ...] = ()
    directories: tuple[str, ...] = ()
    files_seen: int = 0
    notes: tuple[str, ...] = field(default=())
    # Image files the directories list, found or not (0: no directory was read). The
    # viewer counts the same, so both say "1 of 6 images listed" of one disc.
    listed: int = 0

    @property
    def instances(self) -> int:
        """Distinct SOP instances that can actually be read from the medium."""
        return sum(s.instance_count for p in self.patients for s in p.studies)

    @property
    def series_count(self) -> int:
        """Number of series on the medium."""
        return sum(len(s.series) for p in self.patients for s in p.studies)

    def all_instances(self) -> list[InstanceRef]:
        """Every readable instance, in tree order."""
        return [
            ref
            for p in self.patients
            for st in p.studies
            for se in st.series
            for ref in se.instances
        ]
