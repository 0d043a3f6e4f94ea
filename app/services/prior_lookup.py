"""Priors and matching series of library studies: the records ``services.priors`` and
``services.series_matching`` judge, read from the library's index and stored headers.

The index keeps each study's patient as first imported (ID, name, birth date), but not
the Issuer of Patient ID, the patient's sex, the study time, the body part or the image
orientation. Those are read from one stored header per study or series when asked,
only for the few studies that could be the same patient: the import path and older
libraries stay as they are, and every library answers alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pydicom
from pydicom.dataset import Dataset

from app.core.dicom_values import dataset_text, person_name
from app.imaging.orientation import image_orientation
from app.library.library import Library, StudyRow
from app.services.priors import (
    Decision,
    Match,
    PatientRecord,
    StudyRecord,
    compare_names,
    find_priors,
    normal_birth_date,
    pair_key,
)
from app.services.series_matching import SeriesMatch, SeriesRecord, match_series, plane_of
from app.services.viewer_text import display_date, display_name, display_text

__all__ = ["PriorStudy", "compare_action_state", "confirmation_question", "decide",
           "prior_studies",
           "study_patient", "study_series_matches"]

_STUDY_TAGS = ["PatientID", "IssuerOfPatientID", "PatientName", "PatientBirthDate",
               "PatientSex", "StudyDate", "StudyTime", "SpecificCharacterSet"]
_SERIES_TAGS = ["BodyPartExamined", "ImageOrientationPatient", "SpecificCharacterSet",
                "SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"]


@dataclass(frozen=True)
class PriorStudy:
    """An earlier study of the library offered for comparison with the current one.

    ``match``: ``same``, ``confirmed`` (the user said so) or ``suggested`` (ask with
    :func:`confirmation_question` first, then record the answer); ``reason`` in plain
    words; ``same_day`` when it is from the same day and which came first is not known.
    ``patient`` and ``current_patient`` are as each study's images name them.
    """

    row: StudyRow
    match: Match
    reason: str
    same_day: bool
    patient: PatientRecord
    current_patient: PatientRecord

    @property
    def study_instance_uid(self) -> str:
        """The earlier study's UID."""
        return self.row.study_instance_uid

    @property
    def needs_confirmation(self) -> bool:
        """True when the user must confirm it is the same person before it is used."""
        return self.match == "suggested"


def _header(library: Library, file: str, tags: list[str]) -> Dataset | None:
    """The wanted elements of one stored file; None when it cannot be read (a damaged
    copy is reported by `library verify`, not here)."""
    try:
        return pydicom.dcmread(library.store.path(file), stop_before_pixels=True,
                               specific_tags=tags, force=True)
    except Exception:  # Any damage: fall back to what the index says.
        return None


def _first_file(library: Library, study_uid: str) -> str | None:
    rows = library.series_rows(study_uid)
    return rows[0].first_file if rows else None


def study_patient(library: Library, row: StudyRow) -> StudyRecord:
    """A study with its patient as its images name them (the index's values where the
    stored header lacks them or cannot be read)."""
    file = _first_file(library, row.study_instance_uid)
    ds = _header(library, file, _STUDY_TAGS) if file else None

    def text(keyword: str, fallback: str = "") -> str:
        return (dataset_text(ds, keyword) if ds is not None else "") or fallback

    return StudyRecord(
        study_uid=row.study_instance_uid,
        patient=PatientRecord(
            patient_id=text("PatientID", row.patient_id),
            issuer=text("IssuerOfPatientID"),
            name=person_name(text("PatientName")) or row.patient_name,
            birth_date=text("PatientBirthDate", row.patient_birth_date),
            sex=text("PatientSex"),
        ),
        study_date=row.study_date or text("StudyDate"),
        study_time=text("StudyTime"),
    )


def _could_be_same(current: StudyRow, other: StudyRow) -> bool:
    """A cheap first look over the index: only these studies' headers are read."""
    if other.study_instance_uid == current.study_instance_uid:
        return False
    if current.patient_id.strip() and current.patient_id.strip() == other.patient_id.strip():
        return True
    birth = normal_birth_date(current.patient_birth_date)
    return bool(birth) and birth == normal_birth_date(other.patient_birth_date) and \
        compare_names(current.patient_name, other.patient_name) != "different"


def prior_studies(library: Library, study_uid: str) -> list[PriorStudy]:
    """The earlier studies of the patient of ``study_uid`` (and those that may be the
    same patient), most recent first (see ``services.priors``); [] for an unknown study."""
    rows = library.list_studies()
    current_row = next((r for r in rows if r.study_instance_uid == study_uid), None)
    if current_row is None:
        return []
    current = study_patient(library, current_row)
    candidates = {r.study_instance_uid: r for r in rows if _could_be_same(current_row, r)}
    records = [study_patient(library, r) for r in candidates.values()]
    decisions: dict[tuple[str, str], Decision] = {
        key: ("same" if value == "same" else "different")
        for key, value in library.patient_decisions().items()
    }
    return [
        PriorStudy(candidates[p.study.study_uid], p.match, p.reason, p.same_day,
                   p.study.patient, current.patient)
        for p in find_priors(current, records, decisions)
    ]


def decide(library: Library, study_uid: str, other_uid: str, same: bool) -> None:
    """Record the user's answer: the patients of two studies are (or are not) the same
    person. Nothing is merged; the answer changes which priors are offered.
    LibraryError (from the index) for a study that is not in the library."""
    from app.core.errors import LibraryError

    rows = {r.study_instance_uid: r for r in library.list_studies()}
    missing = [uid for uid in (study_uid, other_uid) if uid not in rows]
    if missing:
        raise LibraryError(f"There is no study {missing[0]} in the library.")
    first, second = pair_key(study_patient(library, rows[study_uid]).patient,
                             study_patient(library, rows[other_uid]).patient)
    if first == second:
        return  # The same identity: nothing to decide.
    library.record_patient_decision(first, second, "same" if same else "different")


def _series_records(library: Library, study_uid: str) -> list[SeriesRecord]:
    records = []
    for row in library.series_rows(study_uid):
        ds = _header(library, row.first_file, _SERIES_TAGS)
        orientation = image_orientation(ds) if ds is not None else None
        records.append(SeriesRecord(
            series_uid=row.series_instance_uid,
            modality=row.modality,
            body_part=dataset_text(ds, "BodyPartExamined") if ds is not None else "",
            plane=plane_of(orientation),
            description=row.series_description,
            images=row.instances,
            series_number=row.series_number,
        ))
    return records


def study_series_matches(library: Library, current_uid: str,
                         prior_uid: str) -> list[SeriesMatch]:
    """Which series of ``prior_uid`` to show beside each of ``current_uid``, best first
    (see ``services.series_matching``); [] when either study is unknown."""
    return match_series(_series_records(library, current_uid),
                        _series_records(library, prior_uid))


def _who(patient: PatientRecord, show: Callable[[str], str]) -> str:
    name = display_name(patient.name) or display_name(
        next((g for g in patient.name.split("=") if g), "")) or "(no name)"
    born = normal_birth_date(patient.birth_date)
    text = (f"{show(name)}, born {show(display_date(born))}" if born
            else f"{show(name)}, birth date unknown")
    where = f" at {patient.issuer.strip()}" if patient.issuer.strip() else ""
    ident = f"ID {show(patient.patient_id.strip())}{where}" if patient.patient_id.strip() \
        else "no patient ID"
    return f"{text} ({ident})"


def confirmation_question(prior: PriorStudy, show: Callable[[str], str] = str) -> str:
    """What to ask before a suggested prior is used, in plain words; ``show`` passes
    each name, ID and birth date (``Privacy.show`` hides them on a shared screen)."""
    return (f"These may be the same person: {_who(prior.current_patient, show)} and "
            f"{_who(prior.patient, show)}. {prior.reason} Are they the same person?")


def compare_action_state(priors: list[PriorStudy] | None) -> tuple[bool, str]:
    """Whether "Compare with previous" can be offered for a study with these priors
    (None: not known yet, or not one study selected), and its tooltip: what it opens,
    or why there is nothing to compare with."""
    if priors is None:
        return False, "Select one study to compare it with an earlier one of the patient."
    if not priors:
        return False, "There is no earlier study of this patient in the library."
    first = priors[0]
    when = display_date(first.row.study_date)
    what = display_text(first.row.study_description)
    study = f"the study of {when}" + (f" ({what})" if what else "")
    if first.needs_confirmation:
        return True, (f"Opens this study beside {study}, after you confirm that it is the "
                      "same person.")
    return True, f"Opens this study beside {study}."
