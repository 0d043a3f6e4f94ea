"""The reviewed vocabulary: complete against the standard's lists, consistent with itself,
shipped with the package, and ready for other languages."""

import json
import tomllib
from collections.abc import Iterator

import pytest
from highdicom._standard_utils import get_anatomic_region_map
from pydicom.sr._cid_dict import cid_concepts
from pydicom.sr.codedict import codes

from app.explain import vocabulary
from app.explain.vocabulary import glossary, languages, tokens, words
from tests.conftest import REPO

DATA = REPO / "app" / "explain" / "data"

# The modalities the issue names, which must all be said in plain words.
COMMON_MODALITIES = (
    "CT", "MR", "CR", "DX", "MG", "US", "NM", "PT", "XA", "RF", "OT", "SC", "SR", "DOC", "KO",
    "PR", "SEG", "RTSTRUCT", "RTPLAN", "RTDOSE", "RTIMAGE", "IO", "PX", "OP", "OPT", "ES", "XC",
    "BMD", "ECG", "SM", "IVUS",
)


def _defined_terms() -> dict[str, str]:
    """Body Part Examined defined term -> SNOMED code (PS3.16 Annex L, as highdicom ships
    it, pinned in pyproject)."""
    return {term: concept.value for term, (concept, _) in get_anatomic_region_map().items()}


def test_every_body_part_examined_defined_term_has_plain_words() -> None:
    terms = _defined_terms()
    assert len(terms) >= 300
    missing = sorted(set(terms) - set(words().body_parts))
    assert missing == []


def test_every_region_of_cid_4031_with_a_defined_term_has_plain_words() -> None:
    cid_4031 = {getattr(codes.cid4031, k).value for k in cid_concepts[4031]["SCT"]}
    assert len(cid_4031) >= 100
    by_code = {code: term for term, code in _defined_terms().items()}
    covered = {code for code in cid_4031 if code in by_code}
    assert len(covered) >= 95
    assert all(by_code[code] in words().body_parts for code in covered)


def test_common_regions_are_said_in_everyday_words() -> None:
    said = words().body_parts
    assert said["CHEST"] == said["THORAX"] == "the chest"
    assert said["ABDOMEN"] == "the belly"
    assert said["CSPINE"] == "the neck part of the spine"
    assert said["LSPINE"] == "the lower back part of the spine"
    assert said["HEAD"] == "the head" and said["BRAIN"] == "the brain"
    assert said["KNEE"] == "the knee" and said["PELVIS"] == "the pelvis"
    # Plain words start lower case and with an article, so sentences read on.
    assert all(text[:1].islower() for text in said.values())


def test_the_common_modalities_are_said() -> None:
    said = words().modalities
    assert [m for m in COMMON_MODALITIES if m not in said] == []
    assert said["CT"] == "CT scan" and said["MR"] == "MRI scan" and said["DX"] == "X-ray"


def _meanings() -> Iterator[tuple[str, str]]:
    t = tokens()
    for table in (t.terms, t.regions, t.cjk, t.view_positions):
        yield from table.items()


def test_every_header_word_means_something_english_can_say() -> None:
    en = words()
    for word, meaning in _meanings():
        if meaning.startswith("modality."):
            assert meaning.split(".", 1)[1] in en.modalities, word
        elif meaning == "scout" or "." in meaning:
            assert meaning in en.terms, word
        else:
            assert meaning in en.body_parts, word
    for combined, parts in tokens().region_parts.items():
        assert combined in en.body_parts and all(p in en.body_parts for p in parts)
    assert tokens().companion_modalities <= set(en.modalities)


def test_the_abbreviations_of_the_issue_are_known() -> None:
    terms = tokens().terms
    expected = {
        "W/WO": "contrast.both", "W/O": "contrast.without", "WO": "contrast.without",
        "C+": "contrast.with", "C-": "contrast.without", "AX": "plane.axial",
        "AXIAL": "plane.axial", "SAG": "plane.sagittal", "COR": "plane.coronal",
        "T1": "seq.t1", "T2": "seq.t2", "FLAIR": "seq.flair", "DWI": "seq.dwi",
        "ADC": "seq.adc", "FS": "seq.fatsat", "FAT SAT": "seq.fatsat", "STIR": "seq.stir",
        "MIP": "recon.mip", "MPR": "recon.mpr", "LOC": "scout", "SCOUT": "scout",
        "SURVIEW": "scout", "TOPOGRAM": "scout", "3D": "recon.3d", "HRCT": "tech.hrct",
        "CTA": "tech.angio", "MRA": "tech.angio", "PA": "view.pa", "AP": "view.ap",
        "LAT": "view.lat",
    }
    assert {word: terms.get(word) for word in expected} == expected


def test_the_glossary_explains_the_words_of_the_issue() -> None:
    said = glossary()
    for term in ("CT", "MRI", "X-ray", "ultrasound", "contrast", "axial", "coronal",
                 "sagittal", "T1", "T2", "FLAIR", "diffusion", "scout", "window"):
        assert said[term].endswith("."), term
    assert glossary("xx") == said  # an unknown language gets English


def test_languages_are_files_named_by_their_code() -> None:
    assert languages() == ("en", "fr")
    for path in DATA.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))  # every file is valid JSON


def test_a_partial_translation_is_completed_from_english(
        monkeypatch: pytest.MonkeyPatch) -> None:
    english = json.loads((DATA / "en.json").read_text(encoding="utf-8"))
    german = {"language": "de", "modalities": {"CT": "CT-Untersuchung"},
              "body_parts": {"CHEST": "den Brustkorb"}}
    read = vocabulary._read
    monkeypatch.setattr(vocabulary, "_read",
                        lambda name: german if name == "de.json" else read(name))
    monkeypatch.setattr(vocabulary, "languages", lambda: ("de", "en"))
    vocabulary.words.cache_clear()
    try:
        de = words("de")
        assert de.language == "de"
        assert de.modalities["CT"] == "CT-Untersuchung"
        assert de.modalities["MR"] == english["modalities"]["MR"]
        assert de.body_parts["CHEST"] == "den Brustkorb"
        assert de.body_parts["KNEE"] == "the knee"
        assert de.templates == english["templates"]
    finally:
        vocabulary.words.cache_clear()


def test_the_vocabulary_is_package_data_and_in_the_bundle() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["app.explain"]
    package = REPO / "app" / "explain"
    shipped = {p for pattern in patterns for p in package.glob(pattern)}
    assert set(DATA.glob("*.json")) <= shipped and len(shipped) >= 2
    spec = (REPO / "pyinstaller.spec").read_text(encoding="utf-8")
    assert '"app" / "explain" / "data"' in spec and '"app/explain/data"' in spec

