"""The sentences: one or two per study or series, in the chosen language."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.explain.facts import SeriesFacts, StudyFacts
from app.explain.reading import Reading, clean, read_agent, read_body_part, read_view, read_words
from app.explain.vocabulary import DEFAULT_LANGUAGE, Words, tokens, words

_MAX_REGIONS = 4
_MAX_DETAILS = 6
_MAX_PLACE = 60
_WORD = re.compile(r"\w+")
_DATE = re.compile(r"^(\d{4})[.\-/]?(\d{2})[.\-/]?(\d{2})$")


def explain_series(series: SeriesFacts, language: str = DEFAULT_LANGUAGE) -> str:
    """One or two sentences a patient understands about one series, e.g.
    "MRI scan of the knee: side-view slices (sagittal), fat signal suppressed. 24 pictures."

    Built only from the header values in ``series``; unknown words are left out, and an
    unknown modality is called "medical images". An unknown language gets English.
    """
    w = words(language)
    body = set(w.body_parts)
    reading = read_words(series.description, body)
    _merge(reading, read_words(series.protocol_name, body), body)
    regions = read_body_part(series.body_part, body) or reading.regions
    contrast = reading.contrast or read_agent(series.contrast_agent)
    details = [c for c in reading.concepts
               if not c.startswith(("contrast.", "modality.")) and c in w.terms]
    view = read_view(series.view_position)
    if view and view in w.terms and view not in details:
        details.append(view)
    kind = _kind([series.modality], reading, w)
    t = w.templates
    detail_words = _unique(w.terms[c] for c in details)[:_MAX_DETAILS]
    # A report or a key-image note is one object, not pictures: no count is said.
    companion = clean(series.modality).strip().upper() in tokens().companion_modalities
    return _sentence(t["series"].format(
        what=_what(kind, regions, contrast, w),
        details=t["details"].format(details=t["list"].join(detail_words)) if detail_words else "",
        count="" if companion else _images(_Counted.of(series), w),
    ).rstrip())


def explain_study(study: StudyFacts, language: str = DEFAULT_LANGUAGE) -> str:
    """One or two sentences a patient understands about one study, e.g. "CT scan of the
    chest and belly with contrast dye, taken 12 March 2024 at St Mary's. 3 sets of
    pictures, 512 in all."

    Regions and contrast come from the study description and every series; the date and
    place are left out when missing or malformed. An unknown language gets English.
    """
    w = words(language)
    body = set(w.body_parts)
    reading = read_words(study.description, body)
    regions = list(reading.regions)
    series_contrast: set[str] = set()
    for series in study.series:
        series_words = read_words(series.description, body)
        _merge(series_words, read_words(series.protocol_name, body), body)
        for region in read_body_part(series.body_part, body) or series_words.regions:
            if region not in regions:
                regions.append(region)
        said = series_words.contrast or read_agent(series.contrast_agent)
        if said:
            series_contrast.add(said)
    contrast = reading.contrast or _combined(series_contrast)
    modalities = list(study.modalities) or [s.modality for s in study.series]
    t = w.templates
    when = _date(study.date, w)
    place = _place(study.institution)
    return _sentence(t["study"].format(
        what=_what(_kind(modalities, reading, w), regions, contrast, w),
        when=t["when"].format(date=when) if when else "",
        where=t["where"].format(place=place) if place else "",
        count=_sets(len(study.series), _study_counted(study), w),
    ))


def _merge(into: Reading, other: Reading, body: set[str]) -> None:
    for meaning in other.regions + other.concepts:
        into.add(meaning, body)


def _combined(said: set[str]) -> str | None:
    if "both" in said or {"with", "without"} <= said:
        return "both"
    return next(iter(said), None)


def _kind(modalities: list[str], reading: Reading, w: Words) -> str:
    """The kind of pictures: the modalities' words, joined; the description's named
    modality when the header's is missing or unknown; else the honest generic words."""
    codes = _unique(clean(m).strip().upper() for m in modalities if m.strip())
    known = [c for c in codes if c in w.modalities]
    pictures = [c for c in known if c not in tokens().companion_modalities]
    if not known:
        named = [c.split(".", 1)[1] for c in reading.concepts if c.startswith("modality.")]
        pictures = [c for c in named if c in w.modalities][:1]
    kinds = _unique(w.modalities[c] for c in pictures or known)
    if not kinds:
        return w.modality_unknown
    return _join(kinds, w.templates["list"], w.templates["kinds_and"])


def explain_body_part(value: str, language: str = DEFAULT_LANGUAGE) -> str:
    """Body Part Examined in plain words: "the chest, belly and pelvis" for
    CHESTABDPELVIS; ``""`` when the vocabulary does not know it (never guessed)."""
    w = words(language)
    return _regions_said(read_body_part(value, set(w.body_parts)), w)


def _regions_said(regions: list[str], w: Words, of: bool = False) -> str:
    """The regions joined in plain words ("the chest and belly"), or ``""``; ``of`` says
    them as they follow "of" (French "du thorax et du ventre", see ``Words.of_articles``).
    """
    t = w.templates
    parts = tokens().region_parts
    expanded = [part for r in regions for part in parts.get(r, [r])]
    said = _unique(w.body_parts[r] for r in expanded if r in w.body_parts)
    if not said:
        return ""
    article = t["article"]
    shown = said[:_MAX_REGIONS - 1] if len(said) > _MAX_REGIONS else said
    # "the chest and belly": the article is said once, for the first region.
    if article and all(s.startswith(article) for s in shown):
        shown = [shown[0]] + [s[len(article):] for s in shown[1:]]
    if of:
        shown = [_said_after_of(s, w) for s in shown]
    joined = _join(shown, t["list"], t["and"])
    if len(said) > _MAX_REGIONS:
        joined = t["more_regions"].format(regions=t["list"].join(shown))
    return joined


def _said_after_of(region: str, w: Words) -> str:
    """``region`` after "of": each of its articles fused with it where the language does
    (French "l'anus, le rectum" -> "de l'anus, du rectum"). The articles are looked for at
    the start and after the list's separators only, never inside a name."""
    t = w.templates
    for article, fused in w.of_articles:
        if region.startswith(article):
            region = fused + region[len(article):]
        for separator in (t["list"], t["and"]):
            region = region.replace(separator + article, separator + fused)
    return region


def _what(kind: str, regions: list[str], contrast: str | None, w: Words) -> str:
    t = w.templates
    joined = _regions_said(regions, w, of=True)
    region_words = t["regions"].format(regions=joined) if joined else ""
    contrast_words = ""
    if contrast:
        contrast_words = t["contrast"].format(contrast=w.terms[f"contrast.{contrast}"])
    return t["what"].format(kind=kind, regions=region_words, contrast=contrast_words)


@dataclass(frozen=True)
class _Counted:
    """What a patient is told is there: still pictures, and moving pictures (clips: files
    of many frames) with their frames."""

    pictures: int
    clips: int = 0
    frames: int = 0

    @staticmethod
    def of(series: SeriesFacts) -> _Counted:
        clips = min(max(series.clips, 0), series.images)
        if not clips:
            return _Counted(series.images)
        if clean(series.modality).strip().upper() not in tokens().clip_modalities:
            # An enhanced CT or MRI file holds slices: each frame is a picture, as the
            # viewer counts them ("Image 3 / 200").
            return _Counted(series.images - clips + series.clip_frames)
        return _Counted(series.images - clips, clips, series.clip_frames)

    def __add__(self, other: _Counted) -> _Counted:
        return _Counted(self.pictures + other.pictures, self.clips + other.clips,
                        self.frames + other.frames)


def _study_counted(study: StudyFacts) -> _Counted:
    """The study's pictures and clips; the plain image count when the series are not all
    known (``StudyFacts.images`` set)."""
    if study.images is not None:
        return _Counted(study.images)
    return sum((_Counted.of(s) for s in study.series), _Counted(0))


def _contents(counted: _Counted, w: Words) -> str:
    """ "12 pictures and 1 moving picture (clip) of 30 frames"."""
    t = w.templates
    parts = [_picture_count(counted.pictures, w)] if counted.pictures else []
    if counted.clips == 1:
        parts.append(t["clips_one"].format(frames=counted.frames))
    elif counted.clips > 1:
        parts.append(t["clips_many"].format(clips=counted.clips, frames=counted.frames))
    return t["and"].join(parts)


def _images(counted: _Counted, w: Words) -> str:
    t = w.templates
    if counted.pictures + counted.clips <= 0:
        return t["images_none"]
    return t["images_total"].format(images=_contents(counted, w))


def _picture_count(count: int, w: Words) -> str:
    t = w.templates
    return t["images_one"] if count == 1 else t["images_many"].format(count=count)


def _sets(sets: int, counted: _Counted, w: Words) -> str:
    t = w.templates
    images = counted.pictures + counted.clips
    if images <= 0:
        return t["images_none"]
    if counted.clips:
        if sets <= 1:
            return t["sets_one_clips"].format(contents=_contents(counted, w))
        return t["sets_many_clips"].format(sets=sets, contents=_contents(counted, w))
    if sets <= 1:
        return t["sets_one"].format(images=_picture_count(images, w))
    return t["sets_many"].format(sets=sets, images=images)


def _date(value: str, w: Words) -> str:
    match = _DATE.match(clean(value).strip())
    if not match:
        return ""
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return ""
    # French says the first of the month "1er": a language may give that day its own form.
    form = w.templates.get("date_first_day", "") if day.day == 1 else ""
    return (form or w.templates["date"]).format(
        day=day.day, month=w.months[day.month - 1], year=day.year)


def explain_contents(pictures: int, documents: int, sets: int,
                     language: str = DEFAULT_LANGUAGE) -> str:
    """What a medium holds in plain words, for the status bar: "151 pictures, 1 document
    in 4 sets" (the documents only when there are some)."""
    t = words(language).templates
    counted = [t["images_one"] if pictures == 1 else t["images_many"].format(count=pictures)]
    if documents:
        counted.append(t["documents_one"] if documents == 1
                       else t["documents_many"].format(count=documents))
    in_sets = t["status_sets_one"] if sets == 1 else t["status_sets_many"].format(count=sets)
    return t["status"].format(contents=t["list"].join(counted), sets=in_sets)


def explain_library(scans: int, pictures: int, language: str = DEFAULT_LANGUAGE) -> str:
    """What the library holds in plain words, for the status bar: "3 scans, 512 pictures
    in the library" (a study is one scan: one visit's pictures)."""
    t = words(language).templates
    counted = t["library_scans_one"] if scans == 1 else t["library_scans_many"].format(
        count=scans)
    images = t["images_one"] if pictures == 1 else t["images_many"].format(count=pictures)
    return t["library"].format(scans=counted, images=images)


def _place(value: str) -> str:
    """Institution Name as said, unless it is empty, punctuation or a placeholder."""
    text = " ".join(clean(value).replace("^", " ").split()).rstrip(" .,;:")
    named = _WORD.findall(text.upper())
    if not named or all(word in tokens().placeholder_words for word in named):
        return ""
    return text if len(text) <= _MAX_PLACE else text[:_MAX_PLACE - 1].rstrip() + "…"


def _join(items: list[str], separator: str, last: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return separator.join(items[:-1]) + last + items[-1]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


