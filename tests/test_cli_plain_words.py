"""`"explained"` in `scan --json` and `library list --json`: every study and series object
carries its plain-words sentence, and a script sees the same words for a disc and for the
library it was imported into."""

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from app.library.schema import SCHEMA_VERSION
from tests.library.helpers import SMALL_IMAGES, write_small_disc
from tests.support.cli import json_of, studies_of

# write_small_disc(seed=7): a CT of chest, abdomen and pelvis, contrast in the axial series.
SMALL_STUDY = ("CT scan of the chest, belly and pelvis with contrast dye, taken {date} at "
               f"Lightbox sample disc. 3 sets of pictures, {SMALL_IMAGES} in all.")
SMALL_SERIES = [
    "CT scan of the chest, belly and pelvis: overview pictures used to plan the scan. "
    "1 picture.",
    "CT scan of the chest, belly and pelvis with contrast dye: cross-section slices (axial), "
    "smoothed to show soft tissue. 8 pictures.",
    "CT scan of the chest, belly and pelvis with contrast dye: cross-section slices (axial). "
    "2 pictures.",
]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


@pytest.fixture(scope="module")
def small_disc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_small_disc(tmp_path_factory.mktemp("plain-words") / "disc")


def _said_date(yyyymmdd: str) -> str:
    return f"{int(yyyymmdd[6:])} {MONTHS[int(yyyymmdd[4:6]) - 1]} {yyyymmdd[:4]}"




def test_scan_json_explains_every_study_and_series(
        corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for disc in ("discs/pydicom_dicomdirtests", "discs/philips_ct_dirfile_trimmed",
                 "discs/clunie_charset", "files/overlay/examples_overlay.dcm"):
        studies = studies_of(json_of(capsys, "scan", str(corpus / disc), "--json"))
        assert studies, disc
        for study in studies:
            assert isinstance(study["explained"], str) and study["explained"].endswith(".")
            for series in study["series"]:  # type: ignore[attr-defined]
                assert isinstance(series["explained"], str)
                assert series["explained"].endswith(".")


def test_scan_json_says_what_the_headers_say(
        corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (study,) = studies_of(json_of(capsys, "scan", str(corpus / "discs/philips_ct_dirfile_trimmed"),
                              "--json"))
    assert study["explained"] == (
        "CT scan of the head and brain without contrast dye, taken 6 February 2015 at QMC. "
        "2 sets of pictures, 55 in all.")
    assert [s["explained"] for s in study["series"]] == [  # type: ignore[attr-defined]
        "CT scan of the head without contrast dye. 1 picture.",
        "CT scan of the brain. 54 pictures.",
    ]


def test_the_library_says_what_the_disc_said(
        small_disc: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (scanned,) = studies_of(json_of(capsys, "scan", str(small_disc), "--json"))
    date = _said_date(str(scanned["study_date"]))
    assert scanned["explained"] == SMALL_STUDY.format(date=date)
    assert [s["explained"] for s in scanned["series"]] == SMALL_SERIES  # type: ignore[attr-defined]
    json_of(capsys, "import", str(small_disc), "--json")
    (listed,) = json_of(capsys, "library", "list", "--json")["studies"]  # type: ignore[misc]
    assert listed["explained"] == scanned["explained"]


def test_a_library_from_before_schema_10_explains_what_it_kept(
        small_disc: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    json_of(capsys, "import", str(small_disc), "--json")
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        # A version 9 library: without the columns, so migration 10 adds them as NULL.
        db.executescript(
            "BEGIN;"
            + "".join(f"ALTER TABLE {table} DROP COLUMN {column};" for table, column in (
                ("series", "body_part"), ("series", "protocol_name"),
                ("series", "contrast_agent"), ("series", "view_position"),
                ("studies", "institution")))
            + f"PRAGMA user_version = {SCHEMA_VERSION - 1};COMMIT;")
    (listed,) = json_of(capsys, "library", "list", "--json")["studies"]  # type: ignore[misc]
    date = _said_date(str(listed["study_date"]))
    # The descriptions still name the regions (the lung series its own); contrast and place
    # were not kept.
    assert listed["explained"] == (
        f"CT scan of the chest, belly, pelvis and lungs, taken {date}. "
        f"3 sets of pictures, {SMALL_IMAGES} in all.")
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 10
        assert db.execute("SELECT COUNT(*) FROM series WHERE body_part IS NULL").fetchone() == (3,)


def test_every_study_of_the_library_is_explained(
        corpus: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    json_of(capsys, "import", str(corpus / "discs/pydicom_dicomdirtests"), "--json")
    studies = json_of(capsys, "library", "list", "--json")["studies"]
    assert len(studies) == 6  # type: ignore[arg-type]
    said = sorted(s["explained"] for s in studies)  # type: ignore[attr-defined]
    scanned = sorted(s["explained"] for s in studies_of(
        json_of(capsys, "scan", str(corpus / "discs/pydicom_dicomdirtests"), "--json")))
    assert said == scanned


def test_the_library_counts_a_clip_as_the_disc_did(
        corpus: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # One ultrasound file of 30 frames: a moving picture, in the scan and in the library.
    clip = corpus / "files/multiframe/examples_ybr_color.dcm"
    (scanned,) = studies_of(json_of(capsys, "scan", str(clip), "--json"))
    said = "Ultrasound scan, taken 3 May 2016. 1 set: 1 moving picture (clip) of 30 frames."
    assert scanned["explained"] == said
    json_of(capsys, "import", str(clip), "--json")
    (listed,) = json_of(capsys, "library", "list", "--json")["studies"]  # type: ignore[misc]
    assert listed["explained"] == said
