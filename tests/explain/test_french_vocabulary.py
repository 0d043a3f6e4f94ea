"""data/fr.json is a complete translation: every key English has, in French words, and the
same language-independent tokens (tokens.json) read the headers for both."""

import json
from pathlib import Path

import pytest

from app.explain import language_names, languages
from app.explain.vocabulary import words

DATA = Path(__file__).resolve().parents[2] / "app" / "explain" / "data"
ENGLISH = json.loads((DATA / "en.json").read_text(encoding="utf-8"))
FRENCH = json.loads((DATA / "fr.json").read_text(encoding="utf-8"))
# Words that are the same in both languages (names of techniques, codes, numbers).
SAME_IN_BOTH = {
    "document", "plan", "3D", "1 document", "{count} documents",
    # Templates without words: only where the pieces go.
    "{what}{details}. {count}", "{what}{when}{where}. {count}", "{kind}{regions}{contrast}",
    " {contrast}", "{day} {month} {year}", ", ", "{images}.",
}


def test_french_is_a_language_with_its_own_name() -> None:
    assert "fr" in languages()
    assert language_names() == {"en": "English", "fr": "Français"}
    assert FRENCH["language"] == "fr"


@pytest.mark.parametrize("table", [
    "modalities", "body_parts", "terms", "templates", "glossary",
])
def test_every_english_key_is_translated(table: str) -> None:
    missing = set(ENGLISH[table]) - set(FRENCH[table])
    assert not missing
    # Nothing English left: each value differs from English unless it is the same word.
    unchanged = {k for k, v in FRENCH[table].items()
                 if v == ENGLISH[table].get(k) and v not in SAME_IN_BOTH}
    assert not unchanged


def test_every_top_level_key_is_there() -> None:
    assert set(ENGLISH) <= set(FRENCH)
    assert len(FRENCH["months"]) == 12 and FRENCH["months"][0] == "janvier"
    assert FRENCH["modality_unknown"] == "images médicales"


def test_every_body_part_starts_with_a_french_article() -> None:
    articles = ("le ", "la ", "l'", "les ", "un ", "une ")
    assert len(FRENCH["body_parts"]) == len(ENGLISH["body_parts"]) == 319
    assert [k for k, v in FRENCH["body_parts"].items() if not v.startswith(articles)] == []


def test_spot_checks_of_the_french_words() -> None:
    fr = words("fr")
    assert fr.modalities["CT"] == "scanner"
    assert fr.modalities["MR"] == "IRM"
    assert fr.modalities["US"] == "échographie"
    assert fr.body_parts["CHEST"] == "le thorax"
    assert fr.body_parts["HEAD"] == "la tête"
    assert fr.body_parts["ABDOMEN"] == "le ventre"
    assert fr.body_parts["KNEE"] == "le genou"
    assert fr.terms["contrast.with"] == "avec produit de contraste"
    assert fr.terms["plane.axial"] == "coupes transversales (axiales)"
    assert fr.glossary["MRI"].startswith("IRM (imagerie par résonance magnétique) : ")
    assert fr.name == "Français" and words("en").name == "English"


def test_tokens_are_shared_by_every_language() -> None:
    # No language file holds header words: those are in tokens.json for all of them.
    for data in (ENGLISH, FRENCH):
        assert not {"terms_tokens", "regions", "cjk", "view_positions"} & set(data)
    assert set(words("fr").terms) == set(words("en").terms)
