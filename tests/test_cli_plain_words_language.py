"""`--language CODE` for `scan --json` and `library list --json`, and the language chosen
in the window's Preferences (settings.ini under the home), which the command line reads
without Qt: both give "explained" in French; an unknown code is a usage error."""

from pathlib import Path

import pytest

from tests.library.helpers import SMALL_IMAGES, write_small_disc
from tests.support.cli import json_of, studies_of
from tests.support.cli import run_in_process as _cli

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]
# write_small_disc(seed=7): a CT of chest, abdomen and pelvis, contrast in the axial series.
SMALL_STUDY = ("Scanner du thorax, du ventre et du bassin avec produit de contraste, le "
               "{date} (Lightbox sample disc). 3 séries d'images, "
               f"{SMALL_IMAGES} en tout.")
SMALL_SERIES = [
    "Scanner du thorax, du ventre et du bassin : images d'ensemble pour préparer l'examen. "
    "1 image.",
    "Scanner du thorax, du ventre et du bassin avec produit de contraste : coupes "
    "transversales (axiales), lissées pour montrer les tissus mous. 8 images.",
    "Scanner du thorax, du ventre et du bassin avec produit de contraste : coupes "
    "transversales (axiales). 2 images.",
]


@pytest.fixture(scope="module")
def small_disc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_small_disc(tmp_path_factory.mktemp("plain-words-fr") / "disc")


def _said_date(yyyymmdd: str) -> str:
    day = int(yyyymmdd[6:])
    return f"{'1er' if day == 1 else day} {MONTHS[int(yyyymmdd[4:6]) - 1]} {yyyymmdd[:4]}"




def _choose_in_preferences(home: Path, code: str) -> None:
    """What the window's Preferences write (QSettings, INI format)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.ini").write_text(
        f"[General]\nlast=%40x\n\n[plain_words]\nlanguage={code}\n\n[view]\nmode=patient\n",
        encoding="utf-8")


def test_scan_json_in_french_with_language_option(
        small_disc: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (study,) = studies_of(json_of(capsys, "scan", str(small_disc), "--json", "--language", "fr"))
    assert study["explained"] == SMALL_STUDY.format(date=_said_date(str(study["study_date"])))
    assert [s["explained"] for s in study["series"]] == SMALL_SERIES  # type: ignore[attr-defined]


def test_the_stored_choice_gives_french_for_scan_and_library(
        small_disc: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _choose_in_preferences(home, "fr")
    (scanned,) = studies_of(json_of(capsys, "scan", str(small_disc), "--json"))
    said = SMALL_STUDY.format(date=_said_date(str(scanned["study_date"])))
    assert scanned["explained"] == said
    assert [s["explained"] for s in scanned["series"]] == SMALL_SERIES  # type: ignore[attr-defined]
    json_of(capsys, "import", str(small_disc), "--json")
    (listed,) = json_of(capsys, "library", "list", "--json")["studies"]  # type: ignore[misc]
    assert listed["explained"] == said
    # --language wins over the stored choice, for one command.
    (english,) = json_of(capsys, "library", "list", "--json", "--language", "en")["studies"]  # type: ignore[misc]
    assert english["explained"].startswith(  # type: ignore[union-attr]
        "CT scan of the chest, belly and pelvis with contrast dye, taken ")


def test_library_list_json_with_language_option(
        small_disc: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    json_of(capsys, "import", str(small_disc), "--json")
    (english,) = json_of(capsys, "library", "list", "--json")["studies"]  # type: ignore[misc]
    assert english["explained"].startswith("CT scan of ")  # type: ignore[union-attr]
    (french,) = json_of(capsys, "library", "list", "--json", "--language", "FR")["studies"]  # type: ignore[misc]
    assert french["explained"] == SMALL_STUDY.format(
        date=_said_date(str(french["study_date"])))


def test_an_unknown_stored_choice_is_english(
        small_disc: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _choose_in_preferences(home, "xx")
    (study,) = studies_of(json_of(capsys, "scan", str(small_disc), "--json"))
    assert str(study["explained"]).startswith("CT scan of the chest")


@pytest.mark.parametrize("command", [("scan", "{disc}", "--json"), ("library", "list", "--json"),
                                     ("library", "list")])
def test_an_unknown_language_is_a_usage_error(
        small_disc: Path, home: Path, capsys: pytest.CaptureFixture[str],
        command: tuple[str, ...]) -> None:
    args = [a.format(disc=small_disc) for a in command]
    code, out, err = _cli(capsys, *args, "--language", "de")
    assert code == 2
    assert out == ""
    assert err.strip() == ("There are no plain words in the language 'de'; choose one of: "
                           "en (English), fr (Français).")


def test_a_corpus_disc_in_french(corpus: Path, home: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    (study,) = studies_of(json_of(capsys, "scan", str(corpus / "discs/philips_ct_dirfile_trimmed"),
                              "--json", "--language", "fr"))
    assert study["explained"] == (
        "Scanner de la tête et du cerveau sans produit de contraste, le 6 février 2015 (QMC). "
        "2 séries d'images, 55 en tout.")
    assert [s["explained"] for s in study["series"]] == [  # type: ignore[attr-defined]
        "Scanner de la tête sans produit de contraste. 1 image.",
        "Scanner du cerveau. 54 images.",
    ]
    clip = corpus / "files/multiframe/examples_ybr_color.dcm"
    (scanned,) = studies_of(json_of(capsys, "scan", str(clip), "--json", "--language", "fr"))
    assert scanned["explained"] == (
        "Échographie, le 3 mai 2016. 1 série : 1 image animée (clip) de 30 vues.")
