"""The library index: schema versions, one writer, studies found instantly.

Rows are checked through a separate SQLite connection where it matters, so the tests see
what is on disk rather than what the Library object believes.
"""

import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from app.core.errors import LibraryError
from app.core.models import InstanceRef
from app.library import library as library_module
from app.library import schema
from app.library.library import Library
from app.library.schema import SCHEMA_VERSION
from tests.library.helpers import bulk_insert, table_counts


def _user_version(home: Path) -> int:
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


def _ref(sop: str, study: str = "1.2.3", series: str = "1.2.3.1", **kw: object) -> InstanceRef:
    values: dict[str, object] = {
        "path": f"IMG/{sop}", "sop_instance_uid": sop, "patient_id": "PID1",
        "patient_name": "DOE^JANE", "study_instance_uid": study, "study_date": "20240105",
        "study_description": "CT chest", "series_instance_uid": series, "modality": "CT",
        "series_number": 2,
    }
    values.update(kw)
    return InstanceRef(**values)  # type: ignore[arg-type]


def _add(library: Library, ref: InstanceRef) -> None:
    """Index ``ref`` with a real stored file, as the import does."""
    import io

    staged = library.store.stage(io.BytesIO(ref.sop_instance_uid.encode()), ref.sop_instance_uid)
    file = library.store.commit(staged)
    library.add_instance(ref, file, staged.size, staged.sha256, None)


# -- schema -----------------------------------------------------------------------------


def test_a_fresh_library_is_at_the_current_schema(library: Library, home: Path) -> None:
    """A new library records SCHEMA_VERSION and uses WAL (readers never block the import)."""
    assert _user_version(home) == SCHEMA_VERSION >= 1
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    assert {"patients", "studies", "series", "instances", "sources", "conflicts",
            "uploads"} <= tables


def test_a_library_from_a_newer_lightbox_is_refused_untouched(home: Path) -> None:
    """A library written by a newer version is not opened (nor migrated down): one sentence."""
    Library(home).close()
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(LibraryError) as caught:
        Library(home)
    message = str(caught.value)
    assert message == (
        f"The library in {home} was written by a newer Lightbox; update Lightbox to open it."
    )
    assert _user_version(home) == SCHEMA_VERSION + 1


def _add_migrations(monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + extra)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + len(extra))
    monkeypatch.setattr(library_module, "SCHEMA_VERSION", SCHEMA_VERSION + len(extra))
    return SCHEMA_VERSION + len(extra)


def test_migrations_run_in_order_and_once(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening an older library applies each newer migration once, oldest first."""
    Library(home).close()
    target = _add_migrations(
        monkeypatch,
        "CREATE TABLE steps (step INTEGER); INSERT INTO steps VALUES (1);",
        # Fails unless the previous migration ran first.
        "INSERT INTO steps SELECT MAX(step) + 1 FROM steps;",
    )
    Library(home).close()
    Library(home).close()
    assert _user_version(home) == target
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        assert [s for (s,) in db.execute("SELECT step FROM steps ORDER BY step")] == [1, 2]


def test_a_failing_migration_applies_whole_or_not_at_all(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration that fails leaves no half of itself and the version where it was."""
    Library(home).close()
    _add_migrations(
        monkeypatch,
        "CREATE TABLE good (x INTEGER);",
        "CREATE TABLE half (x INTEGER); INSERT INTO no_such_table VALUES (1);",
    )
    with pytest.raises(LibraryError, match="cannot be opened"):
        Library(home)
    assert _user_version(home) == SCHEMA_VERSION + 1
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    assert "good" in tables and "half" not in tables


def test_two_first_openings_at_once_both_succeed(tmp_path: Path) -> None:
    """Two threads opening a library that does not exist yet: both migrations start from
    version 0; the one that loses the race finds the work done instead of failing."""
    import threading

    homes = [tmp_path / f"home{n}" for n in range(8)]
    errors: list[BaseException] = []

    def open_once(home: Path, ready: threading.Barrier) -> None:
        ready.wait()
        try:
            Library(home).close()
        except BaseException as exc:  # The test reports any failure.
            errors.append(exc)

    for home in homes:
        ready = threading.Barrier(3)
        threads = [threading.Thread(target=open_once, args=(home, ready)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert _user_version(home) == SCHEMA_VERSION
    assert errors == []


def test_an_unusable_home_is_one_sentence(tmp_path: Path) -> None:
    """A home that is a file, not a folder, is refused with LibraryError."""
    blocker = tmp_path / "home"
    blocker.write_text("not a folder")
    with pytest.raises(LibraryError, match=r"^The library in .* cannot be opened"):
        Library(blocker)


# -- writing ----------------------------------------------------------------------------


def test_instances_build_their_patient_study_and_series(library: Library, home: Path) -> None:
    """Three images of two series: one patient, one study, counts kept by the index."""
    _add(library, _ref("1.1"))
    _add(library, _ref("1.2"))
    _add(library, _ref("1.3", series="1.2.3.9", modality="SR", series_number=9))
    assert table_counts(home) == {"patients": 1, "studies": 1, "series": 2, "instances": 3}
    [row] = library.list_studies()
    assert (row.study_instance_uid, row.patient_id, row.patient_name, row.study_date) == (
        "1.2.3", "PID1", "DOE^JANE", "20240105"
    )
    assert (row.series, row.instances, sorted(row.modalities)) == (2, 3, ["CT", "SR"])
    found = library.find("1.2")
    assert found is not None and library.store.hash_file(found.file) == found.sha256
    assert library.find("9.9.9") is None
    assert sorted(r.sop_instance_uid for r in library.study_instances("1.2.3")) == [
        "1.1", "1.2", "1.3"
    ]


def test_deleting_a_study_removes_its_rows_and_files(library: Library, home: Path) -> None:
    """Delete one of two studies: its rows (and now empty patient) and files go, the other stays."""
    _add(library, _ref("1.1"))
    _add(library, _ref("1.2"))
    _add(library, _ref("2.1", study="2.2", series="2.2.1", patient_id="PID2",
                        patient_name="ROE^RICHARD"))
    files = {sop: library.find(sop).file for sop in ("1.1", "1.2", "2.1")}  # type: ignore[union-attr]
    assert library.delete_study("1.2.3") == 2
    assert table_counts(home) == {"patients": 1, "studies": 1, "series": 1, "instances": 1}
    assert not library.store.path(files["1.1"]).exists()
    assert not library.store.path(files["1.2"]).exists()
    assert library.store.path(files["2.1"]).exists()
    assert [r.study_instance_uid for r in library.list_studies()] == ["2.2"]
    with pytest.raises(LibraryError, match=r"^There is no study 1\.2\.3 in the library\.$"):
        library.delete_study("1.2.3")


def test_a_conflict_is_kept_beside_the_original(library: Library, home: Path) -> None:
    """add_conflict records a different version once, never touching the stored instance."""
    _add(library, _ref("1.1"))
    original = library.find("1.1")
    for _ in range(2):
        library.add_conflict("1.1", "objects/ab/other.dcm", 10, "ab" * 32, None)
    assert library.find("1.1") == original
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        assert db.execute("SELECT sop_uid, sha256 FROM conflicts").fetchall() == [
            ("1.1", "ab" * 32)
        ]


def test_only_one_writer_at_a_time(home: Path) -> None:
    """A second writer is refused in one sentence while readers keep working."""
    with Library(home) as first, Library(home) as second:
        first.acquire_writer()
        with pytest.raises(LibraryError) as caught:
            second.acquire_writer()
        assert str(caught.value) == (
            "Another import into this library is running; wait for it to finish."
        )
        assert second.list_studies() == []
        first.release_writer()
        second.acquire_writer()
        with pytest.raises(LibraryError):
            first.acquire_writer()


def test_becoming_the_writer_clears_what_a_crash_left_in_staging(library: Library) -> None:
    """Half-written copies from a killed import are removed when the next import starts."""
    leftover = library.store.staging / "4242-7-1.part"
    leftover.write_bytes(b"half an image")
    library.acquire_writer()
    assert not leftover.exists()


def test_search_and_order_of_the_study_list(library: Library) -> None:
    """Newest study first; search matches name, ID, description or date."""
    _add(library, _ref("1.1", study="1.1.1", series="s1", study_date="20200101"))
    _add(library, _ref("2.1", study="2.2.2", series="s2", study_date="20230707",
                        patient_name="ROE^RICHARD", patient_id="PID2", study_description="MR"))
    assert [r.study_instance_uid for r in library.list_studies()] == ["2.2.2", "1.1.1"]
    assert [r.study_instance_uid for r in library.list_studies("roe")] == ["2.2.2"]
    assert [r.study_instance_uid for r in library.list_studies("PID1")] == ["1.1.1"]
    assert [r.study_instance_uid for r in library.list_studies("2020")] == ["1.1.1"]
    assert library.list_studies("nobody") == []


def test_upload_state_per_account(library: Library, home: Path) -> None:
    """A study is complete, partial or none per account, from its confirmed instances."""
    for sop in ("1.1", "1.2"):
        _add(library, _ref(sop))
    with closing(sqlite3.connect(home / "library.sqlite")) as db, db:
        ids = [i for (i,) in db.execute("SELECT id FROM instances ORDER BY sop_uid")]
        db.executemany(
            "INSERT INTO uploads (instance, account, state, updated_at) VALUES (?, ?, ?, 'x')",
            [(ids[0], "cloud", "confirmed"), (ids[1], "cloud", "confirmed"),
             (ids[0], "pacs", "confirmed"), (ids[1], "pacs", "failed"),
             (ids[0], "other", "failed")],
        )
    [row] = library.list_studies()
    assert row.uploads == {"cloud": "complete", "pacs": "partial", "other": "none"}


# -- 100,000 instances ------------------------------------------------------------------

# 10,000 studies of 2 series of 5 images: many studies is the hard case for the list.
HUNDRED_K = (10_000, 2, 5)


@pytest.fixture(scope="module")
def big_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library index with 100,000 synthetic instances (and uploads for a quarter)."""
    home = tmp_path_factory.mktemp("big") / "home"
    Library(home).close()
    assert bulk_insert(home, *HUNDRED_K) == 100_000
    with closing(sqlite3.connect(home / "library.sqlite")) as db, db:
        db.execute(
            "INSERT INTO uploads (instance, account, state, updated_at)"
            " SELECT id, 'cloud', 'confirmed', 'x' FROM instances WHERE id % 4 = 0"
        )
    return home


def test_listing_studies_of_100k_instances_is_instant(big_library: Path) -> None:
    """10,000 studies (100,000 images) are listed, with counts, in well under a second."""
    with Library(big_library) as library:
        library.list_studies()  # warm the page cache, as an open viewer has it
        started = time.perf_counter()
        rows = library.list_studies()
        elapsed = time.perf_counter() - started
        searched = library.list_studies("PATIENT42")
    assert len(rows) == 10_000
    assert elapsed < 1.0, f"listing took {elapsed:.2f} s"
    first = rows[0]
    assert (first.series, first.instances) == (2, 10)
    assert sorted(first.modalities) == ["CT", "MR"]
    assert {r.study_instance_uid for r in searched} == {
        f"2.25.{k}" for k in range(1, 10_001) if 1 + k % 500 in {42} | set(range(420, 430))
    }


def _plans(home: Path, statements: list[str]) -> dict[str, list[str]]:
    plans = {}
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        for sql in statements:
            if sql.lstrip().upper().startswith("SELECT"):
                plans[sql] = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql)]
    return plans


def test_study_queries_use_indexes(big_library: Path) -> None:
    """Opening, finding and deleting one study search indexes; they never scan a table."""
    statements: list[str] = []
    with Library(big_library) as library:
        library._db.set_trace_callback(statements.append)
        assert len(library.study_instances("2.25.77")) == 10
        assert library.find("2.25.77.1.4") is not None
        library.list_studies()
        library._db.set_trace_callback(None)
    plans = _plans(big_library, statements)
    assert len(plans) >= 4
    for sql, plan in plans.items():
        scans = [p for p in plan if p.startswith("SCAN")]
        if "FROM uploads" in sql or "FROM sends" in sql:
            continue  # Upload and send states read their table whole, once per listing.
        if "FROM studies st" in sql:
            # The list reads every study once; per study it only searches indexes.
            assert all(p.startswith("SCAN st ") for p in scans), (sql, plan)
            assert any("series_study" in p for p in plan), (sql, plan)
        else:
            assert scans == [], (sql, plan)
            assert any("INDEX" in p for p in plan), (sql, plan)
