"""The local library: an SQLite index of patients, studies, series and instances, and the
file store that holds every instance.

An instance is identified by its SOP Instance UID. Its file is stored (synced, renamed)
before its index row is committed, so the index never names a file that is not there.
One process writes at a time (a lock file); any number may read (SQLite WAL).
"""

import contextlib
import errno
import os
import secrets
import sqlite3
import sys
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from app.core.errors import DiskFullError, LibraryError
from app.core.models import InstanceRef
from app.core.paths import utf8_escaped
from app.library.schema import SCHEMA_VERSION, migrate
from app.library.store import FileStore

# An import commits its index rows at least this often (see Library.batched).
BATCH_WRITES = 64
BATCH_SECONDS = 0.5


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class StoredInstance:
    """An instance in the library: where its file is and what it must hash to."""

    sop_instance_uid: str
    file: str
    size: int
    sha256: str


@dataclass(frozen=True)
class SendItem:
    """An instance to C-STORE: its UIDs, stored transfer syntax and file in the store."""

    sop_instance_uid: str
    sop_class_uid: str
    transfer_syntax: str
    file: str
    size: int


@dataclass(frozen=True)
class StudyRow:
    """One line of the study list.

    ``missing_on_source`` counts images that a medium this study was imported from
    listed (in its DICOMDIR) but that could not be imported (missing, unreadable...) and
    are still not in the library; a later import that stores them brings it down.
    """

    study_instance_uid: str
    patient_id: str
    patient_name: str
    patient_birth_date: str
    study_date: str
    study_description: str
    modalities: tuple[str, ...]
    series: int
    instances: int
    source: str
    uploads: dict[str, str]
    missing_on_source: int = 0
    # PACS (``AET@HOST:PORT``) -> "complete" or "partial", as ``uploads`` per account.
    sends: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """True when every image its media listed is in the library."""
        return self.missing_on_source == 0


@dataclass(frozen=True)
class SeriesHeaders:
    """What the library kept of a series' header for its plain-words description; None
    where the series was stored before these values were kept."""

    modality: str
    body_part: str | None
    description: str
    protocol_name: str | None
    contrast_agent: str | None
    view_position: str | None
    images: int
    # Of the images, the files of more than one frame (clips), and their frames together.
    clips: int = 0
    clip_frames: int = 0


@dataclass
class StudyHeaders:
    """What the library kept of a study's headers for its plain-words description."""

    description: str
    date: str
    institution: str | None
    series: list[SeriesHeaders] = field(default_factory=list)


@dataclass(frozen=True)
class SentIdentity:
    """The identity a study was sent under to a destination, and when (UTC): the values
    given for the copy, None where the disc's value was kept (all None: as on the disc).
    Fields in the order of ``IDENTITY_FIELDS``."""

    study_instance_uid: str
    destination: str
    patient_id: str | None
    issuer: str | None
    patient_name: str | None
    birth_date: str | None
    sex: str | None
    accession: str | None
    sent_at: str

    @property
    def values(self) -> tuple[str | None, ...]:
        """The identity's values, in ``IDENTITY_FIELDS`` order."""
        return tuple(getattr(self, f) for f in IDENTITY_FIELDS)


IDENTITY_FIELDS = ("patient_id", "issuer", "patient_name", "birth_date", "sex", "accession")


@dataclass(frozen=True)
class ShareRow:
    """A viewer link given out: for which study, on which account, how and when (UTC)."""

    study_instance_uid: str
    account: str
    link: str
    how: str
    shared_at: str


@dataclass(frozen=True)
class AnnotationRecord:
    """One stored annotation (``services.annotations.Annotation`` as the index keeps it):
    ``points`` is JSON text, ``frame`` 0-based."""

    id: str
    series_uid: str
    sop_instance_uid: str
    frame: int
    kind: str
    points: str
    text: str
    created: str
    modified: str


@dataclass(frozen=True)
class SeriesRow:
    """One series of a study as the index knows it, with one of its stored files (the
    first by instance number) to read what the index does not keep."""

    series_instance_uid: str
    modality: str
    series_number: int | None
    series_description: str
    instances: int
    first_file: str


class Library:
    """The library under ``home`` (``library.sqlite`` and ``store/``)."""

    def __init__(self, home: Path) -> None:
        self.home = home
        # True when the library could only be opened for reading (a folder the user may
        # not write): it can be listed and viewed, every change says why it cannot be.
        self.read_only = False
        try:
            home.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(home / "library.sqlite", timeout=30,
                                       isolation_level=None, check_same_thread=False)
            _use_wal(self._db)
            # FULL: a committed import survives a power cut, not only a crash.
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._check_version()
            migrate(self._db)
            self.store = FileStore(home / "store")
        except (sqlite3.Error, OSError) as exc:
            if not (_cannot_write(exc) and (home / "library.sqlite").is_file()):
                raise _open_error(home, exc) from exc
            self._open_read_only()
        self._lock_fd: int | None = None
        # Inside batched(): when the open transaction began, and writes since (see there).
        self._batch_started: float | None = None
        self._batch_writes = 0
        self._batch_limits: tuple[int, float] = (BATCH_WRITES, BATCH_SECONDS)

    def _check_version(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            self._db.close()
            raise LibraryError(
                f"The library in {self.home} was written by a newer Lightbox; update "
                "Lightbox to open it."
            )

    def _open_read_only(self) -> None:
        with contextlib.suppress(sqlite3.Error, AttributeError):
            self._db.close()
        index = urllib.parse.quote(str((self.home / "library.sqlite").absolute()))
        try:
            try:
                self._db = _connect_uri(f"file:{index}?mode=ro")
                self._db.execute("PRAGMA user_version").fetchone()
            except sqlite3.OperationalError:
                # A WAL index in a folder without write access can only be read as
                # immutable (SQLite cannot make its shared-memory file there).
                self._db = _connect_uri(f"file:{index}?immutable=1")
            self._check_version()
            if int(self._db.execute("PRAGMA user_version").fetchone()[0]) != SCHEMA_VERSION:
                raise LibraryError(
                    f"The library in {self.home} needs an update that Lightbox cannot write "
                    "there; open it once as a user who may change that folder."
                )
            self.store = FileStore(self.home / "store")  # Its folders exist: none is made.
        except (sqlite3.Error, OSError) as exc:
            raise _open_error(self.home, exc) from exc
        self.read_only = True

    def close(self) -> None:
        """Close the index (and release the writer lock)."""
        self.release_writer()
        self._db.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------
    def acquire_writer(self) -> None:
        """Become the one process that writes; clean what an interrupted import left.

        Raises LibraryError when another import is running.
        """
        if self._lock_fd is not None:
            return
        if self.read_only:
            raise _read_only_error(self.home)
        try:
            fd = os.open(self.home / "writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise _open_error(self.home, exc) from exc
        try:
            _lock(fd)
        except OSError:
            os.close(fd)
            raise LibraryError(
                "Another import into this library is running; wait for it to finish."
            ) from None
        self._lock_fd = fd
        self.store.clear_staging()

    def release_writer(self) -> None:
        """Let other processes write."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @contextlib.contextmanager
    def writing(self, busy: str) -> Iterator[None]:
        """Hold the writer lock for one change of files and index (taken here unless this
        Library holds it already); LibraryError(``busy``) when another process writes."""
        held = self._lock_fd is not None
        if not held:
            try:
                self.acquire_writer()
            except LibraryError:
                raise LibraryError(busy) from None
        try:
            yield
        finally:
            if not held:
                self.release_writer()

    @contextlib.contextmanager
    def batched(self, writes: int | None = None, seconds: float | None = None
                ) -> Iterator[None]:
        """Commit the index writes made inside in a few transactions instead of one each.

        Each write stays all or nothing (a savepoint of its own); :meth:`commit_due`
        commits every ``writes`` writes or ``seconds``, and leaving the block commits the
        rest, also when it is left by an error or a cancel. An import writes a file to the
        store (synced) before its row, so a crash can lose only rows of files already
        stored, which the next import of the disc adopts; in return an import no longer
        waits for a synced commit per image.
        """
        if self._batch_started is not None:
            yield
            return
        self._batch_writes = 0
        self._batch_limits = (BATCH_WRITES if writes is None else writes,
                              BATCH_SECONDS if seconds is None else seconds)
        self._execute_write("BEGIN IMMEDIATE")
        self._batch_started = time.monotonic()
        try:
            yield
        finally:
            self._batch_started = None
            try:
                self._execute_write("COMMIT")
            except LibraryError:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")  # Never leave the connection inside one.
                raise

    def commit_due(self, now: bool = False) -> bool:
        """Inside batched(): commit if ``now``, or if enough writes or time have gathered.

        True when the writes so far are committed. When the commit fails (a full disk),
        they are rolled back, a new batch begins, and DiskFullError or LibraryError says
        why: the caller must count those writes as not done.
        """
        if self._batch_started is None:
            return True
        writes, seconds = self._batch_limits
        due = self._batch_writes >= writes or time.monotonic() - self._batch_started >= seconds
        if not (now or due):
            return False
        try:
            self._execute_write("COMMIT")
        except LibraryError:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise
        finally:
            self._batch_started, self._batch_writes = time.monotonic(), 0
            self._execute_write("BEGIN IMMEDIATE")
        return True

    def commit_soon(self) -> None:
        """Inside batched(): make the next :meth:`commit_due` commit, whatever has gathered.

        For a write that should not wait for the batch to fill, such as an upload's
        verdict recorded while an import holds the batch: committed at the importer's
        next file, on its own thread, instead of a second transaction that would wait
        for the batch it is itself inside.
        """
        if self._batch_started is not None:
            self._batch_writes = max(self._batch_writes, self._batch_limits[0])

    def _execute_write(self, statement: str) -> None:
        try:
            self._db.execute(statement)
        except sqlite3.Error as exc:
            raise _write_error(exc) from exc

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        if self._batch_started is not None:
            self._batch_writes += 1
            begin, undo, end = "SAVEPOINT write", "ROLLBACK TO write", "RELEASE write"
        else:
            begin, undo, end = "BEGIN IMMEDIATE", "ROLLBACK", "COMMIT"
        try:
            self._db.execute(begin)
            try:
                yield self._db
            except BaseException:
                self._db.execute(undo)
                if end == "RELEASE write":
                    self._db.execute(end)
                raise
            self._db.execute(end)
        except sqlite3.Error as exc:
            raise _write_error(exc) from exc

    def add_source(self, label: str, kind: str) -> int:
        """Record a medium imports come from; its id."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO sources (label, kind, imported_at) VALUES (?, ?, ?)",
                # A path that is not UTF-8 is kept with its odd bytes escaped (\xff).
                (utf8_escaped(label), kind, _now()),
            )
        return int(cursor.lastrowid or 0)

    def find(self, sop_instance_uid: str) -> StoredInstance | None:
        """The stored instance with this UID, if any."""
        row = self._db.execute(
            "SELECT sop_uid, file, size, sha256 FROM instances WHERE sop_uid = ?",
            (sop_instance_uid,),
        ).fetchone()
        return StoredInstance(*row) if row else None

    def add_instance(
        self, ref: InstanceRef, file: str, size: int, sha256: str, source: int | None
    ) -> None:
        """Index a stored instance (its patient, study and series as needed), atomically."""
        with self._transaction() as db:
            patient = _upsert(
                db,
                "SELECT id FROM patients WHERE patient_id = ? AND patient_name = ?",
                (ref.patient_id, ref.patient_name),
                "INSERT INTO patients (patient_id, patient_name, birth_date) VALUES (?, ?, ?)",
                (ref.patient_id, ref.patient_name, ref.patient_birth_date),
            )
            study_uid = ref.study_instance_uid or f"unknown-study-{patient}"
            study = _upsert(
                db,
                "SELECT id FROM studies WHERE study_uid = ?",
                (study_uid,),
                "INSERT INTO studies (study_uid, patient, study_date, study_description, source,"
                " institution) VALUES (?, ?, ?, ?, ?, ?)",
                (study_uid, patient, ref.study_date, ref.study_description, source,
                 ref.institution_name),
            )
            series_uid = ref.series_instance_uid or f"unknown-series-{study}"
            series = _upsert(
                db,
                "SELECT id FROM series WHERE series_uid = ?",
                (series_uid,),
                "INSERT INTO series (series_uid, study, modality, series_number,"
                " series_description, body_part, protocol_name, contrast_agent, view_position)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (series_uid, study, ref.modality, ref.series_number, ref.series_description,
                 ref.body_part_examined, ref.protocol_name, ref.contrast_agent,
                 ref.view_position),
            )
            db.execute(
                "INSERT INTO instances (sop_uid, series, sop_class, transfer_syntax,"
                " instance_number, frames, file, size, sha256, source, imported_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (ref.sop_instance_uid, series, ref.sop_class_uid, ref.transfer_syntax_uid,
                 ref.instance_number, ref.number_of_frames, file, size, sha256, source, _now()),
            )
            # Stored from any medium, it is no longer missing from any study.
            db.execute("DELETE FROM missing_on_source WHERE image_key = ?",
                       (ref.sop_instance_uid,))

    def record_missing_on_source(
        self,
        missing: Iterable[tuple[str, str]],
        stored: Iterable[tuple[str, str]],
        source: int | None,
    ) -> None:
        """Record what an import's medium listed: ``missing`` (study UID, image key)
        pairs it could not store, ``stored`` pairs it did (or found already stored).

        The image key is the SOP Instance UID, or ``"file:" + media path`` when the
        listing names none. A stored pair clears what an earlier import noted.
        """
        now = _now()
        with self._transaction() as db:
            db.executemany(
                "DELETE FROM missing_on_source WHERE study_uid = ? AND image_key = ?",
                [(study, utf8_escaped(key)) for study, key in stored],
            )
            db.executemany(
                "INSERT OR IGNORE INTO missing_on_source (study_uid, image_key, source,"
                " noted_at) SELECT ?1, ?2, ?3, ?4"
                " WHERE NOT EXISTS (SELECT 1 FROM instances WHERE sop_uid = ?2)",
                [(study, utf8_escaped(key), source, now) for study, key in missing],
            )

    def note_damaged(self, sop_instance_uids: Iterable[str]) -> None:
        """Record which stored copies a full check found missing or changed (replacing
        what an earlier check noted): the next import of their disc restores them.

        A library opened read-only keeps no note: checking it must still work, and the
        repair (an import) could not run there anyway.
        """
        if self.read_only:
            return
        now = _now()
        with self._transaction() as db:
            db.execute("DELETE FROM damaged")
            db.executemany("INSERT OR IGNORE INTO damaged (sop_uid, noted_at) VALUES (?, ?)",
                           [(uid, now) for uid in sop_instance_uids])

    def damaged(self) -> set[str]:
        """SOP Instance UIDs whose stored copies the last check found missing or changed."""
        return {uid for (uid,) in self._db.execute("SELECT sop_uid FROM damaged")}

    def note_repaired(self, sop_instance_uid: str) -> None:
        """The stored copy of this instance was restored from a medium."""
        with self._transaction() as db:
            db.execute("DELETE FROM damaged WHERE sop_uid = ?", (sop_instance_uid,))

    def source_labels(self, sop_instance_uids: Iterable[str]) -> list[str]:
        """The media (labels, as imported from) these instances came from, sorted."""
        uids = list(sop_instance_uids)
        labels: set[str] = set()
        for start in range(0, len(uids), 500):
            chunk = uids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            labels.update(label for (label,) in self._db.execute(
                "SELECT DISTINCT src.label FROM instances i JOIN sources src"
                f" ON i.source = src.id WHERE i.sop_uid IN ({marks})", chunk))
        return sorted(labels)

    def names_file(self, relative: str) -> bool:
        """True when an index row (an instance or a kept conflicting version) names this
        stored file."""
        return self._db.execute(
            "SELECT 1 FROM instances WHERE file = ?1 UNION ALL"
            " SELECT 1 FROM conflicts WHERE file = ?1 LIMIT 1", (relative,),
        ).fetchone() is not None

    def add_conflict(
        self, sop_instance_uid: str, file: str, size: int, sha256: str, source: int | None
    ) -> None:
        """Keep a different version of an instance already stored (never replace it)."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO conflicts (sop_uid, file, size, sha256, source, found_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (sop_instance_uid, file, size, sha256, source, _now()),
            )

    def delete_study(self, study_instance_uid: str) -> int:
        """Remove a study: its rows first (one transaction), then its files. Returns the
        number of images removed; LibraryError when there is no such study or when an
        import is writing (its new rows could otherwise name files this removes)."""
        with self.writing("The library is busy importing; delete the study when the import "
                          "has finished."):
            return self._delete_study(study_instance_uid)

    def _delete_study(self, study_instance_uid: str) -> int:
        with self._transaction() as db:
            row = db.execute(
                "SELECT id, instance_count FROM studies WHERE study_uid = ?",
                (study_instance_uid,),
            ).fetchone()
            if row is None:
                raise LibraryError(f"There is no study {study_instance_uid} in the library.")
            files = [
                f for (f,) in db.execute(
                    "SELECT i.file FROM instances i JOIN series s ON i.series = s.id"
                    " WHERE s.study = ?"
                    " UNION SELECT c.file FROM conflicts c WHERE c.sop_uid IN"
                    " (SELECT i.sop_uid FROM instances i JOIN series s ON i.series = s.id"
                    " WHERE s.study = ?)", (row[0], row[0]),
                )
            ]
            # Other versions kept as conflicts go with the study they belong to.
            db.execute(
                "DELETE FROM conflicts WHERE sop_uid IN (SELECT i.sop_uid FROM instances i"
                " JOIN series s ON i.series = s.id WHERE s.study = ?)", (row[0],),
            )
            db.execute("DELETE FROM studies WHERE id = ?", (row[0],))
            db.execute("DELETE FROM missing_on_source WHERE study_uid = ?",
                       (study_instance_uid,))
            db.execute("DELETE FROM shares WHERE study_uid = ?", (study_instance_uid,))
            db.execute("DELETE FROM annotations WHERE study_uid = ?", (study_instance_uid,))
            db.execute(
                "DELETE FROM patients WHERE id NOT IN (SELECT patient FROM studies)"
            )
        for file in files:
            self.store.remove(file)
        return int(row[1])

    # -- reading ---------------------------------------------------------------------
    def list_studies(self, search: str = "") -> list[StudyRow]:
        """Every study, newest first; ``search`` filters on name, ID, description, date."""
        where, params = "", ()
        if search:
            where = (
                " WHERE p.patient_name LIKE ?1 OR p.patient_id LIKE ?1"
                " OR st.study_description LIKE ?1 OR st.study_date LIKE ?1"
            )
            params = (f"%{search}%",)  # type: ignore[assignment]
        rows = self._db.execute(
            "SELECT st.id, st.study_uid, p.patient_id, p.patient_name, p.birth_date,"
            " st.study_date, st.study_description, st.series_count, st.instance_count,"
            " COALESCE(src.label, ''),"
            " (SELECT GROUP_CONCAT(DISTINCT se.modality) FROM series se WHERE se.study = st.id),"
            " (SELECT COUNT(*) FROM missing_on_source m WHERE m.study_uid = st.study_uid)"
            " FROM studies st JOIN patients p ON st.patient = p.id"
            " LEFT JOIN sources src ON st.source = src.id" + where +
            " ORDER BY st.study_date DESC, p.patient_name",
            params,
        ).fetchall()
        uploads = self._upload_states()
        sends = self._upload_states("sends", "destination")
        return [
            StudyRow(
                study_instance_uid=r[1], patient_id=r[2], patient_name=r[3],
                patient_birth_date=r[4], study_date=r[5], study_description=r[6],
                modalities=tuple(m for m in (r[10] or "").split(",") if m),
                series=r[7], instances=r[8], source=r[9], missing_on_source=int(r[11]),
                uploads={
                    account: "complete" if done >= r[8] else ("partial" if done else "none")
                    for account, done in uploads.get(r[0], {}).items()
                },
                sends={
                    destination: "complete" if done >= r[8] else "partial"
                    for destination, done in sends.get(r[0], {}).items() if done
                },
            )
            for r in rows
        ]

    def _upload_states(self, table: str = "uploads", to: str = "account"
                       ) -> dict[int, dict[str, int]]:
        """Study id -> account (or, for ``sends``, destination) -> images confirmed."""
        states: dict[int, dict[str, int]] = {}
        for study, account, confirmed in self._db.execute(
            f"SELECT se.study, u.{to}, SUM(u.state = 'confirmed') FROM {table} u"
            " JOIN instances i ON u.instance = i.id JOIN series se ON i.series = se.id"
            f" GROUP BY se.study, u.{to}"
        ):
            states.setdefault(study, {})[account] = int(confirmed or 0)
        return states

    def study_headers(self) -> dict[str, StudyHeaders]:
        """Study UID -> the header values its plain-words description is built from.

        Values of studies stored before schema 10 are None (they were not kept).
        """
        studies: dict[str, StudyHeaders] = {}
        for row in self._db.execute(
            "SELECT study_uid, study_description, study_date, institution FROM studies"
        ):
            studies[row[0]] = StudyHeaders(description=row[1], date=row[2], institution=row[3])
        for row in self._db.execute(
            "SELECT st.study_uid, se.modality, se.body_part, se.series_description,"
            " se.protocol_name, se.contrast_agent, se.view_position, se.instance_count,"
            " (SELECT COUNT(*) FROM instances i WHERE i.series = se.id AND i.frames > 1),"
            " (SELECT COALESCE(SUM(i.frames), 0) FROM instances i"
            "  WHERE i.series = se.id AND i.frames > 1)"
            " FROM series se JOIN studies st ON se.study = st.id"
            " ORDER BY st.id, se.series_number IS NULL, se.series_number, se.id"
        ):
            study = studies.get(row[0])
            if study is not None:
                study.series.append(SeriesHeaders(*row[1:]))
        return studies

    def study_instances(self, study_instance_uid: str) -> list[InstanceRef]:
        """The instances of one study, as the viewer opens them (paths in the store)."""
        rows = self._db.execute(
            "SELECT i.file, i.sop_uid, i.sop_class, i.transfer_syntax, p.patient_id,"
            " p.patient_name, p.birth_date, st.study_uid, st.study_date,"
            " st.study_description, se.series_uid, se.modality, se.series_number,"
            " se.series_description, i.instance_number, i.frames"
            " FROM instances i JOIN series se ON i.series = se.id"
            " JOIN studies st ON se.study = st.id JOIN patients p ON st.patient = p.id"
            " WHERE st.study_uid = ?",
            (study_instance_uid,),
        ).fetchall()
        return [InstanceRef(*row) for row in rows]

    def pending_uploads(self, study_instance_uid: str, account: str) -> list[StoredInstance]:
        """The instances of a study the account has not confirmed yet."""
        rows = self._db.execute(
            "SELECT i.sop_uid, i.file, i.size, i.sha256 FROM instances i"
            " JOIN series se ON i.series = se.id JOIN studies st ON se.study = st.id"
            " LEFT JOIN uploads u ON u.instance = i.id AND u.account = ?"
            " WHERE st.study_uid = ? AND (u.state IS NULL OR u.state != 'confirmed')"
            " ORDER BY se.series_number, i.instance_number, i.id",
            (account, study_instance_uid),
        ).fetchall()
        return [StoredInstance(*row) for row in rows]

    def study_size(self, study_instance_uid: str) -> tuple[int, int]:
        """(images, bytes) of a study; (0, 0) when there is no such study."""
        row = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(i.size), 0) FROM instances i"
            " JOIN series se ON i.series = se.id JOIN studies st ON se.study = st.id"
            " WHERE st.study_uid = ?",
            (study_instance_uid,),
        ).fetchone()
        return int(row[0]), int(row[1])

    def study_files(self, study_instance_uid: str) -> list[StoredInstance]:
        """Every stored instance of a study in the order a copy lists them: by series
        number, then instance number (as an export writes them)."""
        rows = self._db.execute(
            "SELECT i.sop_uid, i.file, i.size, i.sha256 FROM instances i"
            " JOIN series se ON i.series = se.id JOIN studies st ON se.study = st.id"
            " WHERE st.study_uid = ?"
            " ORDER BY se.series_number IS NULL, se.series_number, se.id,"
            " i.instance_number IS NULL, i.instance_number, i.id",
            (study_instance_uid,),
        ).fetchall()
        return [StoredInstance(*row) for row in rows]

    def confirmed_count(self, study_instance_uid: str, account: str) -> int:
        """How many instances of a study the account has confirmed."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM uploads u JOIN instances i ON u.instance = i.id"
            " JOIN series se ON i.series = se.id JOIN studies st ON se.study = st.id"
            " WHERE st.study_uid = ? AND u.account = ? AND u.state = 'confirmed'",
            (study_instance_uid, account),
        ).fetchone()
        return int(row[0])

    def confirmed_uids(self, study_instance_uid: str, account: str) -> set[str]:
        """The SOP Instance UIDs of a study that the account has confirmed."""
        return {uid for (uid,) in self._db.execute(
            "SELECT i.sop_uid FROM uploads u JOIN instances i ON u.instance = i.id"
            " JOIN series se ON i.series = se.id JOIN studies st ON se.study = st.id"
            " WHERE st.study_uid = ? AND u.account = ? AND u.state = 'confirmed'",
            (study_instance_uid, account),
        )}

    def study_of(self, sop_instance_uid: str) -> str | None:
        """The Study Instance UID the library files an instance under (a study without
        one has a made-up UID), or None when the instance is not in the library."""
        row = self._db.execute(
            "SELECT st.study_uid FROM instances i JOIN series se ON i.series = se.id"
            " JOIN studies st ON se.study = st.id WHERE i.sop_uid = ?", (sop_instance_uid,),
        ).fetchone()
        return str(row[0]) if row else None

    def record_uploads(
        self, account: str, confirmed: Iterable[str], failed: dict[str, str]
    ) -> None:
        """Store what the server said, in one transaction: confirmed stays confirmed."""
        now = _now()
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO uploads (instance, account, state, reason, updated_at)"
                " SELECT id, ?, 'confirmed', '', ? FROM instances WHERE sop_uid = ?"
                " ON CONFLICT (instance, account) DO UPDATE SET state = 'confirmed',"
                " reason = '', updated_at = excluded.updated_at",
                [(account, now, uid) for uid in confirmed],
            )
            db.executemany(
                "INSERT INTO uploads (instance, account, state, reason, updated_at)"
                " SELECT id, ?, 'failed', ?, ? FROM instances WHERE sop_uid = ?"
                " ON CONFLICT (instance, account) DO UPDATE SET state = 'failed',"
                " reason = excluded.reason, updated_at = excluded.updated_at"
                " WHERE uploads.state != 'confirmed'",
                [(account, reason, now, uid) for uid, reason in failed.items()],
            )

    def pending_sends(self, study_instance_uid: str, destination: str) -> list[SendItem]:
        """The instances of a study the PACS ``destination`` has not confirmed yet, with
        what C-STORE needs (SOP class, transfer syntax), in series and instance order."""
        rows = self._db.execute(
            "SELECT i.sop_uid, i.sop_class, i.transfer_syntax, i.file, i.size FROM instances i"
            " JOIN series se ON i.series = se.id JOIN studies st ON se.study = st.id"
            " LEFT JOIN sends s ON s.instance = i.id AND s.destination = ?"
            " WHERE st.study_uid = ? AND (s.state IS NULL OR s.state != 'confirmed')"
            " ORDER BY se.series_number, i.instance_number, i.id",
            (destination, study_instance_uid),
        ).fetchall()
        return [SendItem(*row) for row in rows]

    def sent_count(self, study_instance_uid: str, destination: str) -> int:
        """How many instances of a study the PACS ``destination`` has confirmed."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM sends s JOIN instances i ON s.instance = i.id"
            " JOIN series se ON i.series = se.id JOIN studies st ON se.study = st.id"
            " WHERE st.study_uid = ? AND s.destination = ? AND s.state = 'confirmed'",
            (study_instance_uid, destination),
        ).fetchone()
        return int(row[0])

    def record_sends(
        self, destination: str, confirmed: Iterable[str], failed: dict[str, str]
    ) -> None:
        """Store what the PACS said, in one transaction: confirmed stays confirmed."""
        now = _now()
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO sends (instance, destination, state, reason, updated_at)"
                " SELECT id, ?, 'confirmed', '', ? FROM instances WHERE sop_uid = ?"
                " ON CONFLICT (instance, destination) DO UPDATE SET state = 'confirmed',"
                " reason = '', updated_at = excluded.updated_at",
                [(destination, now, uid) for uid in confirmed],
            )
            db.executemany(
                "INSERT INTO sends (instance, destination, state, reason, updated_at)"
                " SELECT id, ?, 'failed', ?, ? FROM instances WHERE sop_uid = ?"
                " ON CONFLICT (instance, destination) DO UPDATE SET state = 'failed',"
                " reason = excluded.reason, updated_at = excluded.updated_at"
                " WHERE sends.state != 'confirmed'",
                [(destination, reason, now, uid) for uid, reason in failed.items()],
            )

    def forget_sends(self, study_instance_uid: str, destination: str) -> None:
        """Forget what ``destination`` confirmed of a study, so everything is sent again
        (after its copy there was corrected or deleted)."""
        with self._transaction() as db:
            db.execute(
                "DELETE FROM sends WHERE destination = ? AND instance IN (SELECT i.id"
                " FROM instances i JOIN series se ON i.series = se.id"
                " JOIN studies st ON se.study = st.id WHERE st.study_uid = ?)",
                (destination, study_instance_uid),
            )

    def record_send_identity(self, study_instance_uid: str, destination: str,
                             values: tuple[str | None, ...]) -> None:
        """Remember the identity (``IDENTITY_FIELDS`` order, None: as on the disc) a
        study is being sent under to ``destination``."""
        columns = ", ".join(IDENTITY_FIELDS)
        with self._transaction() as db:
            db.execute(
                f"INSERT INTO send_identities (study_uid, destination, {columns}, sent_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (study_instance_uid, destination, *values, _now()),
            )

    def send_identities(self, study_instance_uid: str | None = None,
                        destination: str | None = None) -> list[SentIdentity]:
        """The identities studies were sent under, newest first (filtered by study and
        destination when given)."""
        where, params = [], []
        for column, value in (("study_uid", study_instance_uid),
                              ("destination", destination)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._db.execute(
            f"SELECT study_uid, destination, {', '.join(IDENTITY_FIELDS)}, sent_at"
            f" FROM send_identities {clause} ORDER BY id DESC", params,
        ).fetchall()
        return [SentIdentity(*row) for row in rows]

    def record_share(self, study_instance_uid: str, account: str, link: str, how: str) -> None:
        """Remember that ``link`` to a study on ``account`` was given out, and how."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO shares (study_uid, account, link, how, shared_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (study_instance_uid, account, link, how, _now()),
            )

    def shares(self, study_instance_uid: str | None = None) -> list[ShareRow]:
        """The links given out, newest first (one study's, or all)."""
        where, params = ("WHERE study_uid = ?", (study_instance_uid,)) \
            if study_instance_uid is not None else ("", ())
        rows = self._db.execute(
            f"SELECT study_uid, account, link, how, shared_at FROM shares {where}"
            " ORDER BY id DESC", params,
        ).fetchall()
        return [ShareRow(*row) for row in rows]

    def save_annotations(self, study_instance_uid: str,
                         records: Iterable[AnnotationRecord]) -> None:
        """Make ``records`` (in drawing order) the study's annotations, replacing what was
        saved, in one transaction: a failed save leaves the previous set whole.
        LibraryError when the study is not in the library."""
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM studies WHERE study_uid = ?",
                          (study_instance_uid,)).fetchone() is None:
                raise LibraryError(
                    "This study is not in the library, so its annotations cannot be saved."
                )
            db.execute("DELETE FROM annotations WHERE study_uid = ?", (study_instance_uid,))
            db.executemany(
                "INSERT INTO annotations (id, study_uid, series_uid, sop_instance_uid, frame,"
                " kind, points, text, position, created, modified)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(r.id, study_instance_uid, r.series_uid, r.sop_instance_uid, r.frame, r.kind,
                  r.points, r.text, position, r.created, r.modified)
                 for position, r in enumerate(records)],
            )

    def annotations(self, study_instance_uid: str) -> list[AnnotationRecord]:
        """A study's saved annotations, in drawing order."""
        rows = self._db.execute(
            "SELECT id, series_uid, sop_instance_uid, frame, kind, points, text, created,"
            " modified FROM annotations WHERE study_uid = ? ORDER BY position",
            (study_instance_uid,),
        ).fetchall()
        return [AnnotationRecord(*row) for row in rows]

    def deidentification_secret(self) -> bytes:
        """This library's de-identification secret, made on first use (32 random bytes).

        It keys every pseudonym of the de-identified copies made from this library, so it
        is never exported, shown or logged. LibraryError when a read-only library has none
        yet.
        """
        query = "SELECT secret FROM deidentification WHERE id = 1"
        row = self._db.execute(query).fetchone()
        if row is None:
            if self.read_only:
                raise LibraryError(
                    f"The library in {self.home} is read-only for you and has no "
                    "de-identification key yet; make a de-identified copy once as a user "
                    "who may change that folder."
                )
            with self._transaction() as db:
                # OR IGNORE: two processes making the first copy at once keep one secret.
                db.execute(
                    "INSERT OR IGNORE INTO deidentification (id, secret, created_at)"
                    " VALUES (1, ?, ?)", (secrets.token_bytes(32), _now()),
                )
            row = self._db.execute(query).fetchone()
        return bytes(row[0])

    def series_rows(self, study_instance_uid: str) -> list[SeriesRow]:
        """The series of a study, by series number, each with its first stored file."""
        rows = self._db.execute(
            "SELECT se.series_uid, se.modality, se.series_number, se.series_description,"
            " se.instance_count, (SELECT i.file FROM instances i WHERE i.series = se.id"
            " ORDER BY i.instance_number IS NULL, i.instance_number, i.id LIMIT 1)"
            " FROM series se JOIN studies st ON se.study = st.id WHERE st.study_uid = ?"
            " ORDER BY se.series_number IS NULL, se.series_number, se.id",
            (study_instance_uid,),
        ).fetchall()
        return [SeriesRow(*row) for row in rows if row[5] is not None]

    def patient_decisions(self) -> dict[tuple[str, str], str]:
        """What the user decided about pairs of patient identities: (first key, second
        key) -> 'same' or 'different' (keys: services.priors.pair_key)."""
        return {(a, b): d for a, b, d in self._db.execute(
            "SELECT first_key, second_key, decision FROM patient_links")}

    def record_patient_decision(self, first_key: str, second_key: str,
                                decision: str) -> None:
        """Remember that two patient identities are the same person or not (the latest
        decision replaces an earlier one). The keys must be in sorted order."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO patient_links (first_key, second_key, decision, decided_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (first_key, second_key) DO UPDATE SET"
                " decision = excluded.decision, decided_at = excluded.decided_at",
                (first_key, second_key, decision, _now()),
            )

    def missing_on_source(self, study_instance_uid: str) -> int:
        """How many images listed on this study's media are not in the library."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM missing_on_source WHERE study_uid = ?", (study_instance_uid,)
        ).fetchone()
        return int(row[0])

    def study_exists(self, study_instance_uid: str) -> bool:
        """True when the library holds this study."""
        return self._db.execute(
            "SELECT 1 FROM studies WHERE study_uid = ?", (study_instance_uid,)
        ).fetchone() is not None

    def stored_instances(self) -> Iterator[StoredInstance]:
        """Every stored instance (for verification)."""
        yield from (
            StoredInstance(*row)
            for row in self._db.execute("SELECT sop_uid, file, size, sha256 FROM instances")
        )

    def count_instances(self) -> int:
        """How many instances the library holds."""
        return int(self._db.execute("SELECT COUNT(*) FROM instances").fetchone()[0])


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch the index to write-ahead logging. The switch takes the file exclusively and
    SQLite does not wait for that: two first openings at once see "database is locked",
    so it is tried again for a moment (a library already in WAL needs no switch)."""
    for attempt in range(100):
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 99:
                raise
            time.sleep(0.02)


def _connect_uri(uri: str) -> sqlite3.Connection:
    return sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None,
                           check_same_thread=False)


def _cannot_write(exc: BaseException) -> bool:
    """True when ``exc`` says the library folder or index may be read but not written."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and (
        "readonly" in text or "read-only" in text or "unable to open" in text
    )


def _read_only_error(home: Path) -> LibraryError:
    return LibraryError(
        f"The library in {home} is read-only for you: Lightbox can list and show it but "
        "not change it; use a library folder you may write (--home)."
    )


def _open_error(home: Path, exc: BaseException) -> LibraryError:
    """A plain sentence for what stopped the library from opening (never "[Errno 17]")."""
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return LibraryError(
            f"The library in {home} cannot be opened: a file is in the way of its folder; "
            "move it, or choose another folder with --home."
        )
    if _cannot_write(exc) and isinstance(exc, OSError):
        return LibraryError(
            f"The library in {home} cannot be opened: Lightbox is not allowed to use that "
            "folder; choose a folder you may write with --home."
        )
    if isinstance(exc, OSError):
        return LibraryError(
            f"The library in {home} cannot be opened ({exc.strerror or exc})."
        )
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return LibraryError(
            f"The library index in {home} (library.sqlite) is damaged; restore it from a "
            "backup, or move it away and import the discs again."
        )
    return LibraryError(f"The library in {home} cannot be opened ({exc}).")


def _write_error(exc: sqlite3.Error) -> LibraryError:
    """What a failed index write means for the user."""
    if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc):
        return LibraryError(
            "The library is read-only for you: Lightbox can list and show it but not "
            "change it; use a library folder you may write (--home)."
        )
    if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc):
        return DiskFullError(
            "The disk holding the library is full; free some space and import "
            "again: nothing already imported is lost."
        )
    return LibraryError(f"The library index could not be written: {exc}.")


def _lock(fd: int) -> None:
    """Take an exclusive lock on ``fd`` without waiting; OSError when it is held."""
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _upsert(
    db: sqlite3.Connection, select: str, key: tuple[object, ...], insert: str,
    values: tuple[object, ...],
) -> int:
    row = db.execute(select, key).fetchone()
    if row is not None:
        return int(row[0])
    return int(db.execute(insert, values).lastrowid or 0)
