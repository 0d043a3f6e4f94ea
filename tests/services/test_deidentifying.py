"""De-identified copies of library studies: the library's secret, the library left as it
was, nothing of the sample patient in any byte, the same pseudonyms on every run."""

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset

import app.library.library as library_module
from app.core.errors import LibraryError
from app.deidentify.blackout import BlackoutRule, Rectangle
from app.library.library import Library
from app.library.schema import MIGRATIONS, SCHEMA_VERSION
from app.services.deidentifying import (
    blackout_rules,
    deidentifier_for,
    original_study_uid,
    save_blackout_rule,
)
from tests.deidentify.helpers import dciodvfy_errors, written
from tests.library.helpers import sha256_of
from tests.support.studies import import_study, study_files

# What the sample disc says about its patient, study and place (app.samples.disc_writer).
SAMPLE_IDENTITY = [b"sample^patient", b"lightbox-sample", b"lbsample1", b"sample^referrer",
                   b"lightbox sample disc", b"19700101", b"20240102"]


def _store_hashes(home: Path) -> dict[Path, str]:
    return {p: sha256_of(p) for p in sorted((home / "store").rglob("*")) if p.is_file()}


def _copies(library: Library, study: str, **options: object) -> dict[str, Dataset]:
    """Original SOP Instance UID -> de-identified copy of every instance of the study."""
    transform = deidentifier_for(library, **options)  # type: ignore[arg-type]
    copies = {}
    for uid, path in study_files(library.home, study).items():
        out = transform(dcmread(path))
        assert out is not None, transform.notes
        copies[uid] = out
    return copies


def test_the_secret_is_made_once_and_kept_in_the_library(tmp_path: Path) -> None:
    with Library(tmp_path / "a") as first:
        secret = first.deidentification_secret()
        assert len(secret) == 32 and first.deidentification_secret() == secret
    with Library(tmp_path / "a") as again, Library(tmp_path / "b") as other:
        assert again.deidentification_secret() == secret
        assert other.deidentification_secret() != secret
    with closing(sqlite3.connect(tmp_path / "a" / "library.sqlite")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 5
        assert db.execute("SELECT COUNT(*) FROM deidentification").fetchone()[0] == 1


def test_a_version_4_library_gets_the_table(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        for number, script in enumerate(MIGRATIONS[:4], start=1):
            db.executescript(f"BEGIN;{script}PRAGMA user_version = {number};COMMIT;")
    with Library(home) as library:
        assert len(library.deidentification_secret()) == 32


def test_a_read_only_library_without_a_secret_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    Library(home).close()
    real_connect = sqlite3.connect

    def connect(database: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        if not kwargs.get("uri"):  # As on a folder the user may not write.
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return real_connect(database, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(library_module.sqlite3, "connect", connect)
    with Library(home) as library, pytest.raises(LibraryError, match="read-only"):
        library.deidentification_secret()


def test_copies_of_a_library_study(tmp_path: Path, small_disc: Path) -> None:
    """The sample disc imported, then copied twice from the same library and once from
    another: the library is unchanged, nothing of the patient is in any copy's bytes, the
    pixels are the same, the UIDs agree between runs and not between libraries."""
    home = tmp_path / "home"
    with Library(home) as library:
        study = import_study(library, small_disc)
        originals = {uid: dcmread(path) for uid, path in study_files(home, study).items()}
        before = _store_hashes(home)
        first = _copies(library, study)
    with Library(home) as reopened:
        second = _copies(reopened, study)
        assert original_study_uid(reopened, first[next(iter(first))].StudyInstanceUID) == study
        assert original_study_uid(reopened, "2.25.1") is None
    assert _store_hashes(home) == before
    with Library(tmp_path / "other") as other:
        import_study(other, small_disc)
        third = _copies(other, study)

    uids = {str(o.SOPInstanceUID) for o in originals.values()} | {
        str(o.SeriesInstanceUID) for o in originals.values()} | {
        study, str(next(iter(originals.values())).FrameOfReferenceUID)}
    for uid, copy in first.items():
        data = written(copy)
        assert [m for m in SAMPLE_IDENTITY if m in data.lower()] == []
        assert [u for u in uids if u.encode() in data] == []
        assert copy.PixelData == originals[uid].PixelData
        assert copy.SOPInstanceUID == second[uid].SOPInstanceUID != third[uid].SOPInstanceUID
        assert copy.StudyDate == second[uid].StudyDate
        assert (copy.PatientName, copy.PatientID) == (second[uid].PatientName,
                                                      second[uid].PatientID)
    assert len({c.StudyInstanceUID for c in first.values()}) == 1
    assert len({c.SeriesInstanceUID for c in first.values()}) == 3
    assert len({c.FrameOfReferenceUID for c in first.values()}) == 1


@pytest.mark.slow
def test_library_copies_get_no_new_dciodvfy_errors(tmp_path: Path, small_disc: Path) -> None:
    with Library(tmp_path / "home") as library:
        study = import_study(library, small_disc)
        copies = _copies(library, study)
        for uid, path in study_files(library.home, study).items():
            written(copies[uid], tmp_path / "copy.dcm")
            assert dciodvfy_errors(tmp_path / "copy.dcm") - dciodvfy_errors(path) == set()


def test_saved_rules_reach_the_transform(tmp_path: Path) -> None:
    home = tmp_path / "home"
    rule = BlackoutRule("US", 480, 640, (Rectangle(0, 0, 640, 48),))
    save_blackout_rule(home, rule)
    assert blackout_rules(home) == [rule]
    with Library(home) as library:
        transform = deidentifier_for(library, patient_name="Second opinion",
                                     include_burned_in=True)
        assert transform.options.blackout_rules == (rule,)
        assert transform.options.patient_name == "Second opinion"
        assert "secret" not in repr(transform).lower()
