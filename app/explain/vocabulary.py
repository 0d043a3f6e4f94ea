"""The reviewed vocabulary (``data/``): what header words mean, and the words shown.

``data/tokens.json`` maps header words (in whatever language the header is written) to
concepts: a Body Part Examined defined term (PS3.16 Annex L) or a named idea such as
``contrast.with`` or ``plane.axial``. ``data/<language>.json`` gives each concept, each
modality and each body part its plain words, the sentence templates, month names and the
glossary. A language file may leave things out: English fills the gaps.
"""

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

DEFAULT_LANGUAGE = "en"
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


@dataclass(frozen=True)
class Tokens:
    """Header words -> concepts (language-independent)."""

    terms: dict[str, str]
    regions: dict[str, str]
    cjk: dict[str, str]
    view_positions: dict[str, str]
    no_contrast_agents: frozenset[str]
    # Modalities that accompany pictures (reports, key-image notes, settings): a study is
    # named after its pictures, and after these only when it holds nothing else.
    companion_modalities: frozenset[str]
    # Words that fill a field without saying anything (NO INFO, ANONYMIZED ...).
    placeholder_words: frozenset[str]
    # Combined regions (CHESTABDPELVIS) -> their parts, so that regions named by several
    # headers are said once each: "the chest, belly and pelvis".
    region_parts: dict[str, list[str]]
    # Modalities whose files of many frames are moving pictures (an ultrasound loop, an
    # angiogram run, an endoscopy video). In the others (an enhanced CT or MRI, nuclear
    # medicine, segmentations) each frame is a still picture or slice.
    clip_modalities: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Words:
    """The plain words of one language."""

    language: str
    modalities: dict[str, str]
    modality_unknown: str
    body_parts: dict[str, str]
    terms: dict[str, str]
    templates: dict[str, str]
    months: tuple[str, ...]
    glossary: dict[str, str]
    # The language's own name for itself ("Français"), as a language menu lists it.
    name: str = ""
    # How a region is said after "of" when the language fuses the two: French
    # ("le thorax" -> "du thorax", "l'abdomen" -> "de l'abdomen"). Each pair is (the
    # article as the region starts, the words that replace it); English has none and
    # says " of " in its template instead.
    of_articles: tuple[tuple[str, str], ...] = ()


def _read(name: str) -> dict[str, Any]:
    text = resources.files("app.explain").joinpath("data", name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@lru_cache(maxsize=1)
def tokens() -> Tokens:
    """The header words Lightbox recognises, and what each means."""
    data = _read("tokens.json")
    return Tokens(
        terms=dict(data["terms"]),
        regions=dict(data["regions"]),
        cjk=dict(data["cjk"]),
        view_positions=dict(data["view_positions"]),
        no_contrast_agents=frozenset(data["no_contrast_agents"]),
        companion_modalities=frozenset(data["companion_modalities"]),
        clip_modalities=frozenset(data.get("clip_modalities", [])),
        placeholder_words=frozenset(data["placeholder_words"]),
        region_parts={k: list(v) for k, v in data["region_parts"].items()},
    )


@lru_cache(maxsize=1)
def languages() -> tuple[str, ...]:
    """The language codes a vocabulary file exists for, sorted."""
    files = resources.files("app.explain").joinpath("data").iterdir()
    return tuple(sorted(
        f.name[:-5] for f in files
        if f.name.endswith(".json") and _LANGUAGE_CODE.match(f.name[:-5])
    ))


@lru_cache(maxsize=8)
def words(language: str = DEFAULT_LANGUAGE) -> Words:
    """The words of ``language``; an unknown language gets English."""
    english = _read(f"{DEFAULT_LANGUAGE}.json")
    data = dict(english)
    if language != DEFAULT_LANGUAGE and language in languages():
        own = _read(f"{language}.json")
        for key, value in own.items():
            # Tables merge entry by entry, so a partial translation still says everything.
            if isinstance(value, dict) and isinstance(english.get(key), dict):
                data[key] = {**english[key], **value}
            else:
                data[key] = value
    return Words(
        language=str(data["language"]),
        modalities=dict(data["modalities"]),
        modality_unknown=str(data["modality_unknown"]),
        body_parts=dict(data["body_parts"]),
        terms=dict(data["terms"]),
        templates=dict(data["templates"]),
        months=tuple(data["months"]),
        glossary=dict(data["glossary"]),
        name=str(data.get("name", language)),
        of_articles=tuple((str(a), str(b)) for a, b in data.get("of_articles", [])),
    )


def language_names() -> dict[str, str]:
    """Language code -> the language's own name ("en" -> "English", "fr" -> "Français"),
    for every vocabulary file, in code order."""
    return {code: words(code).name for code in languages()}


def glossary(language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The glossary: a term -> one or two plain sentences, in the vocabulary's order.

    An unknown language gets the English glossary.
    """
    return dict(words(language).glossary)
