"""Plain words for patients about what was scanned: study and series descriptions built
from header values (app.explain), for a scanned medium and for the library.

The GUI's patient mode and the command line (``"explained"`` in ``scan --json`` and
``library list --json``) both go through here, so a script and a front desk see the same
words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from app.core.models import InstanceRef, SeriesNode, StudyNode
from app.core.paths import lightbox_home
from app.explain import SeriesFacts, StudyFacts, explain_series, explain_study, glossary, languages
from app.library.library import Library, SeriesHeaders, StudyHeaders
from app.services.viewer_text import counts_text, is_document, shown_series

DEFAULT_LANGUAGE = "en"

__all__ = [
    "DEFAULT_LANGUAGE", "explain_library_studies", "explain_listed_study",
    "explain_scanned_series", "explain_scanned_study", "glossary", "languages",
    "series_facts", "study_facts",
]


def _first(instances: Iterable[InstanceRef], name: str) -> str:
    """The first non-empty value of ``name`` among ``instances`` (headers may leave it out
    of some images, e.g. of the scout)."""
    return next((v for v in (getattr(i, name) for i in instances) if v), "")


def series_facts(series: SeriesNode) -> SeriesFacts:
    """What a scanned series' headers say, for :func:`explain_scanned_series`."""
    refs = series.instances
    clips = [r.number_of_frames for r in refs if r.number_of_frames > 1]
    return SeriesFacts(
        modality=series.modality,
        body_part=_first(refs, "body_part_examined"),
        description=series.series_description,
        protocol_name=_first(refs, "protocol_name"),
        contrast_agent=_first(refs, "contrast_agent"),
        view_position=_first(refs, "view_position"),
        images=len(refs),
        clips=len(clips),
        clip_frames=sum(clips),
    )


def study_facts(study: StudyNode) -> StudyFacts:
    """What a scanned study's headers say, for :func:`explain_scanned_study`."""
    return StudyFacts(
        description=study.study_description,
        date=study.study_date,
        institution=_first((r for s in study.series for r in s.instances), "institution_name"),
        series=tuple(series_facts(s) for s in study.series),
    )


def explain_scanned_series(series: SeriesNode, language: str = DEFAULT_LANGUAGE) -> str:
    """One or two plain sentences about a series of a scanned medium."""
    return explain_series(series_facts(series), language)


def explain_scanned_study(study: StudyNode, language: str = DEFAULT_LANGUAGE,
                          hide_place: bool = False) -> str:
    """One or two plain sentences about a study of a scanned medium.

    ``hide_place`` leaves out where it was taken: the institution identifies the patient
    indirectly (app.services.privacy), so views pass ``Privacy.hidden`` here.
    """
    facts = study_facts(study)
    return explain_study(replace(facts, institution="") if hide_place else facts, language)


def explain_listed_study(study: StudyNode, language: str = DEFAULT_LANGUAGE,
                         hide_place: bool = False) -> str:
    """The study as the series list of the simple view shows it: the sentence about its
    pictures, then, on a second line, how many reports it also holds (if any).

    Presentation states are not listed and reports are not pictures, so neither is
    counted among the "sets of pictures"; the sentence already says how many pictures
    there are, so they are not counted a second time.
    """
    listed = shown_series(study.series)
    pictures = tuple(s for s in listed if not is_document(s))
    documents = sum(len(s.instances) for s in listed if is_document(s))
    described = replace(study, series=pictures) if pictures else study
    sentence = explain_scanned_study(described, language, hide_place)
    if not pictures or not documents:
        return sentence
    return f"{sentence}\n{counts_text(0, documents).split(', ')[-1]}"


def _library_series(series: SeriesHeaders) -> SeriesFacts:
    return SeriesFacts(
        modality=series.modality,
        body_part=series.body_part or "",
        description=series.description,
        protocol_name=series.protocol_name or "",
        contrast_agent=series.contrast_agent or "",
        view_position=series.view_position or "",
        images=series.images,
        clips=series.clips,
        clip_frames=series.clip_frames,
    )


def _library_study(study: StudyHeaders) -> StudyFacts:
    return StudyFacts(
        description=study.description,
        date=study.date,
        institution=study.institution or "",
        series=tuple(_library_series(s) for s in study.series),
    )


def explain_library_studies(
    home: Path | None = None, language: str = DEFAULT_LANGUAGE, hide_place: bool = False
) -> dict[str, str]:
    """Study UID -> one or two plain sentences, for every study in the library at
    ``home`` (the default library when None).

    Studies stored before the library kept body part, protocol, contrast agent, view
    position and institution are described from what it did keep. ``hide_place`` leaves
    out where (see :func:`explain_scanned_study`).
    """
    with Library(home if home is not None else lightbox_home()) as library:
        headers = library.study_headers()
    facts = {uid: _library_study(h) for uid, h in headers.items()}
    return {uid: explain_study(replace(f, institution="") if hide_place else f, language)
            for uid, f in facts.items()}
