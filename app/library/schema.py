"""The library's SQLite schema and its forward migrations.

``PRAGMA user_version`` holds the schema version; opening a library runs every migration
above it, each in its own transaction. Counts of series and images are kept by triggers,
so listing studies stays instant with hundreds of thousands of images.
"""

import sqlite3

MIGRATIONS: tuple[str, ...] = (
    # 1: patients, studies, series, instances, their media and per-account upload state.
    """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        label TEXT NOT NULL,
        kind TEXT NOT NULL,
        imported_at TEXT NOT NULL
    );
    CREATE TABLE patients (
        id INTEGER PRIMARY KEY,
        patient_id TEXT NOT NULL,
        patient_name TEXT NOT NULL,
        birth_date TEXT NOT NULL DEFAULT '',
        UNIQUE (patient_id, patient_name)
    );
    CREATE TABLE studies (
        id INTEGER PRIMARY KEY,
        study_uid TEXT NOT NULL UNIQUE,
        patient INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
        study_date TEXT NOT NULL DEFAULT '',
        study_description TEXT NOT NULL DEFAULT '',
        source INTEGER REFERENCES sources(id) ON DELETE SET NULL,
        series_count INTEGER NOT NULL DEFAULT 0,
        instance_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX studies_patient ON studies(patient);
    CREATE INDEX studies_date ON studies(study_date);
    CREATE TABLE series (
        id INTEGER PRIMARY KEY,
        series_uid TEXT NOT NULL UNIQUE,
        study INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
        modality TEXT NOT NULL DEFAULT '',
        series_number INTEGER,
        series_description TEXT NOT NULL DEFAULT '',
        instance_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX series_study ON series(study);
    CREATE TABLE instances (
        id INTEGER PRIMARY KEY,
        sop_uid TEXT NOT NULL UNIQUE,
        series INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
        sop_class TEXT NOT NULL DEFAULT '',
        transfer_syntax TEXT NOT NULL DEFAULT '',
        instance_number INTEGER,
        frames INTEGER NOT NULL DEFAULT 1,
        file TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        source INTEGER REFERENCES sources(id) ON DELETE SET NULL,
        imported_at TEXT NOT NULL
    );
    CREATE INDEX instances_series ON instances(series);
    CREATE TABLE conflicts (
        id INTEGER PRIMARY KEY,
        sop_uid TEXT NOT NULL,
        file TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        source INTEGER REFERENCES sources(id) ON DELETE SET NULL,
        found_at TEXT NOT NULL,
        UNIQUE (sop_uid, sha256)
    );
    CREATE TABLE uploads (
        instance INTEGER NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        account TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('confirmed', 'failed')),
        reason TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL,
        PRIMARY KEY (instance, account)
    );
    CREATE INDEX uploads_account ON uploads(account, state);

    CREATE TRIGGER instance_added AFTER INSERT ON instances BEGIN
        UPDATE series SET instance_count = instance_count + 1 WHERE id = NEW.series;
        UPDATE studies SET instance_count = instance_count + 1
            WHERE id = (SELECT study FROM series WHERE id = NEW.series);
    END;
    CREATE TRIGGER instance_removed AFTER DELETE ON instances BEGIN
        UPDATE series SET instance_count = instance_count - 1 WHERE id = OLD.series;
        UPDATE studies SET instance_count = instance_count - 1
            WHERE id = (SELECT study FROM series WHERE id = OLD.series);
    END;
    CREATE TRIGGER series_added AFTER INSERT ON series BEGIN
        UPDATE studies SET series_count = series_count + 1 WHERE id = NEW.study;
    END;
    CREATE TRIGGER series_removed AFTER DELETE ON series BEGIN
        UPDATE studies SET series_count = series_count - 1 WHERE id = OLD.study;
    END;
    """,
    # 2: completeness. Images a medium listed (in a DICOMDIR) that were not stored, per
    # study; image_key is the SOP Instance UID, or "file:" + the media path when the
    # record names no UID. A row goes when that image is stored.
    """
    CREATE TABLE missing_on_source (
        study_uid TEXT NOT NULL,
        image_key TEXT NOT NULL,
        source INTEGER REFERENCES sources(id) ON DELETE SET NULL,
        noted_at TEXT NOT NULL,
        PRIMARY KEY (study_uid, image_key)
    );
    CREATE INDEX missing_on_source_key ON missing_on_source(image_key);
    """,
    # 3: stored copies `library verify` found missing or changed. The next import of a
    # disc holding one of these images hashes its stored copy and restores it; a row
    # goes when the copy is restored (or a later verify finds it sound).
    """
    CREATE TABLE damaged (
        sop_uid TEXT PRIMARY KEY,
        noted_at TEXT NOT NULL
    );
    """,
    # 4: what was shared with whom: each viewer link given out (copied, shown as a QR
    # code, put in an email, printed by `lightbox link`), for which study and when.
    """
    CREATE TABLE shares (
        id INTEGER PRIMARY KEY,
        study_uid TEXT NOT NULL,
        account TEXT NOT NULL,
        link TEXT NOT NULL,
        how TEXT NOT NULL,
        shared_at TEXT NOT NULL
    );
    CREATE INDEX shares_study ON shares(study_uid);
    """,
    # 5: the library's de-identification secret (one row): the key of the HMACs that give
    # de-identified copies their UIDs, date offset and pseudonym, so later copies of the
    # same patient link up. Made on first use (Library.deidentification_secret); it never
    # leaves the library. No table maps new UIDs to old: the owner recomputes them.
    """
    CREATE TABLE deidentification (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        secret BLOB NOT NULL CHECK (length(secret) >= 16),
        created_at TEXT NOT NULL
    );
    """,
    # 6: per-instance C-STORE state per PACS destination ("AET@HOST:PORT"), like uploads,
    # so a resend sends only what the PACS has not confirmed.
    """
    CREATE TABLE sends (
        instance INTEGER NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        destination TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('confirmed', 'failed')),
        reason TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL,
        PRIMARY KEY (instance, destination)
    );
    CREATE INDEX sends_destination ON sends(destination, state);
    """,
    # 7: the local identity each study was sent under, per destination, one row per send
    # that carried images: the values given (NULL: the disc's value was kept; all NULL:
    # sent as on the disc). The latest row is what the PACS holds the study under; a
    # resend under another identity is refused (services.sending says why).
    """
    CREATE TABLE send_identities (
        id INTEGER PRIMARY KEY,
        study_uid TEXT NOT NULL,
        destination TEXT NOT NULL,
        patient_id TEXT,
        issuer TEXT,
        patient_name TEXT,
        birth_date TEXT,
        sex TEXT,
        accession TEXT,
        sent_at TEXT NOT NULL
    );
    CREATE INDEX send_identities_study ON send_identities(study_uid, destination);
    """,
    # 8: annotations and measurements drawn on a study's images, in image coordinates
    # (points: a JSON list of [x, y]); frame is 0-based. A study's set is replaced whole
    # on each save (Library.save_annotations) and goes when the study is deleted.
    """
    CREATE TABLE annotations (
        id TEXT PRIMARY KEY,
        study_uid TEXT NOT NULL,
        series_uid TEXT NOT NULL,
        sop_instance_uid TEXT NOT NULL,
        frame INTEGER NOT NULL DEFAULT 0 CHECK (frame >= 0),
        kind TEXT NOT NULL CHECK (kind IN
            ('length', 'angle', 'rectangle', 'ellipse', 'freehand', 'text', 'arrow')),
        points TEXT NOT NULL,
        text TEXT NOT NULL DEFAULT '',
        position INTEGER NOT NULL,
        created TEXT NOT NULL,
        modified TEXT NOT NULL
    );
    CREATE INDEX annotations_study ON annotations(study_uid, position);
    """,
    # 9: what the user decided about two patient identities that may be one person
    # ("maybe the same patient — please confirm", services.priors): 'same' or
    # 'different'. Each side is a hash of (Patient ID, issuer, name, birth date), the
    # pair in sorted order, so the table names nobody. Records are never merged: a
    # decision only changes which earlier studies are offered for comparison. (IF NOT
    # EXISTS: tests rebuild older versions by dropping only that version's table.)
    """
    CREATE TABLE IF NOT EXISTS patient_links (
        first_key TEXT NOT NULL,
        second_key TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('same', 'different')),
        decided_at TEXT NOT NULL,
        PRIMARY KEY (first_key, second_key),
        CHECK (first_key < second_key)
    );
    """,
    # 10: the header values plain-words descriptions are built from (app.explain), taken
    # from the first image of each series and study stored. NULL: stored before this
    # version (the description then says less, never something wrong).
    """
    ALTER TABLE series ADD COLUMN body_part TEXT;
    ALTER TABLE series ADD COLUMN protocol_name TEXT;
    ALTER TABLE series ADD COLUMN contrast_agent TEXT;
    ALTER TABLE series ADD COLUMN view_position TEXT;
    ALTER TABLE studies ADD COLUMN institution TEXT;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(connection: sqlite3.Connection) -> None:
    """Bring the database to SCHEMA_VERSION, one migration per transaction.

    A database from a newer Lightbox is left alone (LibraryError from the caller).
    """
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    for number in range(version + 1, SCHEMA_VERSION + 1):
        # One transaction per migration: it applies whole or not at all.
        try:
            connection.executescript(
                "BEGIN IMMEDIATE;" + _not_yet_applied(number) + MIGRATIONS[number - 1]
                + f"PRAGMA user_version = {number};COMMIT;"
            )
        except sqlite3.Error:
            connection.rollback()
            # Two connections opening a new library at once both see the old version; the
            # second's migration then fails on what the first just created. Not an error.
            if _version(connection) >= number:
                continue
            raise


def _not_yet_applied(number: int) -> str:
    """SQL that fails unless the database is still below version ``number``.

    Run under the write lock, it stops a connection that lost the race to open a new
    library from applying a migration again: one that cannot fail (CREATE ... IF NOT
    EXISTS) would otherwise set user_version back, and the next would then fail on
    what is already there. The temporary table is the connection's own.
    """
    return (f"CREATE TEMP TABLE migration_guard (version INTEGER CHECK (version < {number}));"
            "INSERT INTO temp.migration_guard SELECT user_version FROM pragma_user_version;"
            "DROP TABLE temp.migration_guard;")


def _version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])
