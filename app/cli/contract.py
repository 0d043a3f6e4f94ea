"""The JSON objects of the command-line contract (DESIGN.md): names and keys are stable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from app.services.plain_words import explain_scanned_series, explain_scanned_study

if TYPE_CHECKING:
    from app.core.models import PatientNode, ScanReport
    from app.services.disc_upload import DiscUploadReport
    from app.services.exporting import ExportReport
    from app.services.importing import ImportReport
    from app.services.library_service import StudyRow
    from app.services.sending import SendReport
    from app.services.uploading import UploadReport


def scan_json(report: ScanReport, language: str = "en") -> dict[str, object]:
    """The ``scan --json`` object (plus ``unreferenced`` and ``notes``); ``"explained"``
    in the plain words' ``language``."""
    return {
        "source": report.source,
        "kind": report.kind,
        "instances": report.instances,
        "patients": [_patient_json(p, language) for p in report.patients],
        "problems": [
            {"path": p.path, "problem": p.problem, "detail": p.detail} for p in report.problems
        ],
        "unreferenced": list(report.unreferenced),
        "notes": list(report.notes),
    }


def _patient_json(patient: PatientNode, language: str = "en") -> dict[str, object]:
    return {
        "patient_id": patient.patient_id,
        "patient_name": patient.patient_name,
        "studies": [
            {
                "study_instance_uid": study.study_instance_uid,
                "study_date": study.study_date,
                "study_description": study.study_description,
                "explained": explain_scanned_study(study, language),
                "series": [
                    {
                        "series_instance_uid": series.series_instance_uid,
                        "modality": series.modality,
                        "series_number": series.series_number,
                        "series_description": series.series_description,
                        "instances": len(series.instances),
                        "explained": explain_scanned_series(series, language),
                    }
                    for series in study.series
                ],
            }
            for study in patient.studies
        ],
    }


def import_json(report: ImportReport) -> dict[str, object]:
    """The ``import --json`` object (plus ``conflicts``, ``stopped`` and ``repaired``)."""
    return {
        "imported": report.imported,
        "already_present": report.already_present,
        "failed": [{"path": f.path, "error": f.error} for f in report.failed],
        "conflicts": report.conflicts,
        "stopped": report.stopped,
        "repaired": report.repaired,
    }


def study_json(row: StudyRow, explained: str = "") -> dict[str, object]:
    """One study of ``library list --json``; ``explained`` is its plain-words description."""
    return {
        "study_instance_uid": row.study_instance_uid,
        "patient_id": row.patient_id,
        "patient_name": row.patient_name,
        "study_date": row.study_date,
        "modalities": list(row.modalities),
        "series": row.series,
        "instances": row.instances,
        "complete": row.complete,
        "missing_on_source": row.missing_on_source,
        "uploads": row.uploads,
        "explained": explained,
    }


def library_json(rows: list[StudyRow], explained: Mapping[str, str] | None = None
                 ) -> dict[str, object]:
    """The ``library list --json`` object; ``explained`` maps study UIDs to their
    plain-words descriptions (services.plain_words.explain_library_studies)."""
    said = explained or {}
    return {"studies": [study_json(r, said.get(r.study_instance_uid, "")) for r in rows]}


def upload_json(report: UploadReport) -> dict[str, object]:
    """The ``upload --json`` object."""
    return {
        "studies": [
            {
                "study_instance_uid": s.study_instance_uid,
                "sent": s.sent,
                "confirmed": s.confirmed,
                "failed": [{"sop_instance_uid": uid, "reason": why} for uid, why in s.failed],
                "link": s.link,
            }
            for s in report.studies
        ]
    }


def send_json(report: SendReport) -> dict[str, object]:
    """The ``send --json`` object: ``upload --json``'s, with ``link`` null, plus per study
    ``decoded``: images sent uncompressed because the PACS refused their stored syntax,
    and, when the study was sent for a local patient, ``identity``: the values given
    (``patient_id``, ``issuer``, ``patient_name``, ``birth_date``, ``sex``,
    ``accession``; null where the disc's value was kept)."""
    studies: list[dict[str, object]] = []
    for s in report.studies:
        study: dict[str, object] = {
            "study_instance_uid": s.study_instance_uid,
            "sent": s.sent,
            "confirmed": s.confirmed,
            "failed": [{"sop_instance_uid": uid, "reason": why} for uid, why in s.failed],
            "link": None,
            "decoded": s.decoded,
        }
        if s.identity is not None:
            study["identity"] = s.identity.as_json()
        studies.append(study)
    return {"studies": studies}


def disc_upload_json(report: DiscUploadReport) -> dict[str, object]:
    """The ``upload --from PATH --json`` object: the ``upload --json`` object, plus
    ``imported``, the ``import --json`` object of the medium."""
    return {**upload_json(report.uploaded), "imported": import_json(report.imported)}


def link_json(study_instance_uid: str, account: str, link: str) -> dict[str, object]:
    """The ``link --json`` object."""
    return {"study_instance_uid": study_instance_uid, "account": account, "link": link}


def export_json(report: ExportReport) -> dict[str, object]:
    """The ``export --json`` object (plus ``bytes`` and ``notes``).

    Each study gives its UID in the library and in the copy (they differ when the copy is
    de-identified); each warning the instance it is about (its UIDs in the library).
    """
    return {
        "out": report.out,
        "format": report.format,
        "deidentified": report.deidentified,
        "studies": [
            {
                "study_instance_uid": s.study_instance_uid,
                "exported_study_instance_uid": s.exported_as,
                "series": s.series,
                "instances": s.instances,
                "left_out": s.left_out,
            }
            for s in report.studies
        ],
        "instances": report.instances,
        "bytes": report.bytes,
        "warnings": [
            {"study_instance_uid": w.study_instance_uid,
             "sop_instance_uid": w.sop_instance_uid, "message": w.message}
            for w in report.warnings
        ],
        "notes": list(report.notes),
        # Only for a copy made for a local patient (the values given, as in send --json).
        **({"identity": report.identity.as_json()} if report.identity is not None else {}),
    }
