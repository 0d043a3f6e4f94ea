"""A migration never runs twice: a connection that lost the race to open a new library
cannot set the schema version back (migration 9 cannot fail on its own: IF NOT EXISTS)."""

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from app.library.library import Library
from app.library.schema import MIGRATIONS, SCHEMA_VERSION, _not_yet_applied, migrate


def test_a_migration_already_applied_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    Library(tmp_path / "home").close()
    path = tmp_path / "home" / "library.sqlite"
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        with pytest.raises(sqlite3.IntegrityError):
            db.executescript("BEGIN IMMEDIATE;" + _not_yet_applied(9) + MIGRATIONS[8]
                             + "PRAGMA user_version = 9;COMMIT;")
        db.rollback()
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        # The guard's table went with the rolled-back transaction: migrating again works.
        migrate(db)
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("SELECT COUNT(*) FROM sqlite_temp_master").fetchone() == (0,)
