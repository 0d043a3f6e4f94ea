"""Import a medium into the library: every image safe on the computer, in one pass.

Each file is read from the medium once, in the order the files lie on it: its bytes are
hashed and written to the store's staging area in the same pass, its header is parsed
from the copy, then the copy is synced and renamed into place before the index row is
committed. A failure (a scratched sector, a damaged file, a path leading off the disc) is
recorded and the import goes on; a full disk stops it before anything is damaged.
Running the same import again completes an interrupted one exactly.
"""

import os
import sqlite3
import time
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

from app.core.errors import DiskFullError, LibraryError, MediaError
from app.core.models import InstanceRef, PatientKey
from app.core.progress import duration, megabytes_per_second, seconds_left
from app.imaging.syntaxes import can_decode
from app.library.library import Library, StoredInstance
from app.library.store import StagedFile
from app.media.dicomdir import DirectoryReference
from app.media.directories import OUTSIDE_DETAIL, MediumPlan, plan_medium
from app.media.headers import HeaderResult, read_header
from app.media.sources import MediaEntry, MediaSource, open_medium

NOT_IMPORTED_DISK_FULL = "Not imported: the disk holding the library is full."
# What reading one file of a medium may raise: the OS (EIO from a scratched disc), the
# media layer, and a damaged ZIP member (bad CRC, corrupt or cut-off compressed data),
# which zipfile reports in its own types rather than as OSError.
_READ_ERRORS = (OSError, MediaError, zipfile.BadZipFile, zlib.error, EOFError)
# What indexing one file may raise besides a full disk: the index refusing a row
# (LibraryError wraps sqlite3 errors such as IntegrityError) and values SQLite cannot
# bind (OverflowError for integers past 64 bits, ValueError, TypeError).
_INDEX_ERRORS = (LibraryError, sqlite3.Error, OverflowError, ValueError, TypeError)


@dataclass(frozen=True)
class ImportProgress:
    """Where an import is: files looked at, bytes read, and what became of them."""

    done: int
    total: int
    path: str
    bytes_done: int
    bytes_total: int
    elapsed: float
    imported: int
    already_present: int
    failed: int

    @property
    def megabytes_per_second(self) -> float:
        """Reading speed so far."""
        return megabytes_per_second(self.bytes_done, self.elapsed)

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the speed so far; None before there is a speed."""
        return seconds_left(self.bytes_done, self.bytes_total, self.elapsed)


def describe(progress: ImportProgress) -> str:
    """Progress in plain words: "45/300 files, 12.3 MB/s, 0:21 left"."""
    text = f"{progress.done}/{progress.total} files, {progress.megabytes_per_second:.1f} MB/s"
    eta = progress.eta_seconds
    if eta is not None and progress.done < progress.total:
        text += f", {duration(eta)} left"
    return text


FailureKind = Literal[
    "missing", "unreadable", "not-dicom", "outside-media", "unsupported", "conflict", "disk-full"
]


@dataclass(frozen=True)
class ImportFailure:
    """A file that was not imported, and why, in one sentence.

    ``kind`` sorts it for plain-words grouping (``app.services.problem_words``): a scan
    problem kind, ``conflict`` (a different version is already stored; both are kept) or
    ``disk-full`` (not tried: the library's disk filled up).
    """

    path: str
    error: str
    kind: FailureKind = "unreadable"


@dataclass(frozen=True)
class ImportReport:
    """The outcome. Every imported file is stored and synced: the medium may be ejected.

    ``stopped`` is the sentence that ended the import early (a full disk), else "".
    ``listed`` counts the images the medium's DICOMDIRs list (present or not); ``images``
    the distinct images the medium lists or holds (listed ones, and every other DICOM
    file found); ``stored`` how many of those the library now holds: imported, already
    present, or kept beside a different stored version (a conflict). ``repaired``
    counts images the library held whose stored copy was missing or damaged, restored
    from this medium (not counted in ``already_present``).
    """

    source: str
    imported: int
    already_present: int
    failed: tuple[ImportFailure, ...]
    conflicts: int
    study_instance_uids: tuple[str, ...]
    stopped: str = ""
    listed: int = 0
    images: int = 0
    stored: int = 0
    repaired: int = 0

    @property
    def not_stored(self) -> int:
        """Images the medium lists or holds that the library does not have."""
        return max(0, self.images - self.stored)

    @property
    def all_stored(self) -> bool:
        """True only when there were images and every one is stored: only then may a
        dialog say "Safe to eject: every image is stored"."""
        return not self.stopped and self.images > 0 and self.stored >= self.images


@dataclass
class _Tally:
    imported: int = 0
    already_present: int = 0
    conflicts: int = 0
    repaired: int = 0
    # Stored copies the last `library verify` found missing or changed: hashed on sight.
    damaged: set[str] = field(default_factory=set)
    # Image key (SOP Instance UID, or "file:" + path) -> stored? over the whole medium.
    images: dict[str, bool] = field(default_factory=dict)
    # Listed files: media path -> (study UID, image key, stored?), for completeness.
    listed: dict[str, tuple[str, str, bool]] = field(default_factory=dict)
    # Series UID -> study UID of what was read, to place listings that name no study.
    series_study: dict[str, str] = field(default_factory=dict)

    def outcome(self, key: str, stored: bool) -> None:
        self.images[key] = self.images.get(key, False) or stored



@dataclass(frozen=True)
class CommittedImage:
    """An image of the medium that the library now holds for good: its index row is
    committed (imported in this run, or found already stored) and its file synced."""

    instance: InstanceRef
    stored: StoredInstance


# Told, on the importing thread, of images as their rows are committed (in groups).
OnCommitted = Callable[[list[CommittedImage]], None]


class _NotChosen(Exception):
    """The file belongs to a patient the user did not choose: left out, not a failure."""


def import_media(
    source: Path, library: Library, patients: set[PatientKey] | None = None,
    on_committed: OnCommitted | None = None,
) -> Generator[ImportProgress | ImportReport, None, None]:
    """Import everything readable at ``source`` into ``library``.

    Yields an ImportProgress per file and finally the ImportReport. Raises
    SourceUnreadableError (nothing yielded) when the source cannot be read at all, and
    LibraryError when another import holds the library. Stop iterating to cancel: what
    is imported stays imported. ``patients`` (None: all) keeps only the images of those
    patients; the others are read but left out: neither stored, failed nor counted.
    ``on_committed`` is called (before the next yield) with the images whose rows were
    just committed, and at once with those found already stored; a different version
    kept beside a stored one (a conflict) is not among them.
    """
    medium = open_medium(source)
    try:
        library.acquire_writer()
        try:
            yield from _import(medium.source, str(source), library, plan_medium(medium),
                               patients, on_committed)
        finally:
            library.store.clear_staging()
            library.release_writer()
    finally:
        medium.source.close()


def _import(
    media_source: MediaSource, label: str, library: Library, plan: MediumPlan,
    patients: set[PatientKey] | None = None, on_committed: OnCommitted | None = None,
) -> Iterator[ImportProgress | ImportReport]:
    # A damaged DICOMDIR is reported as scan reports it (and makes the import exit 1).
    failures = [
        ImportFailure(p.path, p.detail, cast(FailureKind, p.problem))
        for p in plan.directories.problems
        # Unreadable: a damaged directory file, a folder that cannot be listed, or files
        # listed inside such a folder; all are images (maybe) not imported.
        if p.problem in ("missing", "outside-media", "unreadable")
    ]
    source_id = library.add_source(label, media_source.kind)
    tally = _Tally(damaged=library.damaged())
    for folder in plan.unreadable_folders:
        # Whatever images it holds are not stored: never "every image is stored".
        tally.outcome(f"folder:{folder}", False)
    for path, listing in plan.directories.not_found.items():
        _note_listed(tally, path, listing, None, stored=False)
    studies: dict[str, None] = {}
    files: list[MediaEntry] = plan.files
    total_bytes = sum(e.size for e in files)
    started = time.monotonic()
    bytes_done = 0
    stopped = ""
    # Rows are committed in groups (files are stored and synced one by one before
    # their rows): the report below is only given once every row is committed.
    # (media path, image key, image) of rows not committed.
    pending: list[tuple[str, str, CommittedImage]] = []

    def commit(now: bool = False) -> str:
        """Commit what is due; on a full disk the pending rows are lost: those images
        are then not imported (their files are stored; the next import adopts them)."""
        try:
            if library.commit_due(now):
                committed = [image for _path, _key, image in pending]
                pending.clear()
                if on_committed is not None and committed:
                    on_committed(committed)
            return ""
        except DiskFullError as exc:
            for path, key, _image in pending:
                tally.imported -= 1
                tally.images[key] = False
                if path in tally.listed:
                    study, listed_key, _stored = tally.listed[path]
                    tally.listed[path] = (study, listed_key, False)
                failures.append(ImportFailure(path, NOT_IMPORTED_DISK_FULL, "disk-full"))
            pending.clear()
            return str(exc)

    with library.batched():
        for done, entry in enumerate(files, start=1):
            reference = plan.directories.referenced.get(entry.path)
            instance: InstanceRef | None = None
            failure: ImportFailure | None = None
            if stopped:
                failure = ImportFailure(entry.path, NOT_IMPORTED_DISK_FULL, "disk-full")
            elif entry.outside:
                if entry.path not in plan.reported_outside:
                    failure = ImportFailure(entry.path, OUTSIDE_DETAIL, "outside-media")
            else:
                imported_before = tally.imported
                try:
                    failure, instance, held = _import_one(
                        media_source, entry, library, source_id, tally, studies,
                        reference is not None, patients)
                    if instance is not None and held is not None:
                        image = CommittedImage(instance, held)
                        if tally.imported > imported_before:
                            pending.append((entry.path, _image_key(entry.path, reference,
                                                                   instance), image))
                        elif on_committed is not None:
                            on_committed([image])  # Its row was committed before.
                except DiskFullError as exc:
                    stopped = str(exc)
                    failure = ImportFailure(entry.path, NOT_IMPORTED_DISK_FULL, "disk-full")
                except _NotChosen:
                    reference = None  # Not this import's business: not counted at all.
            if failure is not None:
                failures.append(failure)
            stored = instance is not None
            if reference is not None:
                _note_listed(tally, entry.path, reference, instance, stored)
            elif stored or failure is not None:
                # An unlisted file counts as an image once it is one, or might have been.
                tally.outcome(_image_key(entry.path, None, instance), stored)
            bytes_done += entry.size
            stopped = stopped or commit()
            yield ImportProgress(
                done, len(files), entry.path, bytes_done, total_bytes,
                time.monotonic() - started, tally.imported, tally.already_present, len(failures),
            )
        stopped = stopped or commit(now=True)
        _record_completeness(library, tally, source_id)
    yield ImportReport(
        source=label,
        imported=tally.imported,
        already_present=tally.already_present,
        failed=tuple(failures),
        conflicts=tally.conflicts,
        study_instance_uids=tuple(studies),
        stopped=stopped,
        listed=len(tally.listed),
        images=len(tally.images),
        stored=sum(tally.images.values()),
        repaired=tally.repaired,
    )


def _image_key(path: str, reference: DirectoryReference | None,
               instance: InstanceRef | None) -> str:
    listed_uid = reference.context.get("ref_sop_instance_uid", "") if reference else ""
    uid = listed_uid or (instance.sop_instance_uid if instance else "")
    return uid or f"file:{path}"


def _note_listed(
    tally: _Tally, path: str, reference: DirectoryReference,
    instance: InstanceRef | None, stored: bool,
) -> None:
    key = _image_key(path, reference, instance)
    study = reference.context.get("study_instance_uid", "") or (
        instance.study_instance_uid if instance else ""
    )
    tally.listed[path] = (study, key, stored)
    tally.outcome(key, stored)
    if instance is not None and instance.series_instance_uid:
        tally.series_study[instance.series_instance_uid] = instance.study_instance_uid


def _record_completeness(library: Library, tally: _Tally, source_id: int) -> None:
    """Note per study which listed images are still not stored (and which now are)."""
    if not tally.listed:
        return
    studies_read = set(tally.series_study.values())
    only_study = next(iter(studies_read)) if len(studies_read) == 1 else ""
    missing: list[tuple[str, str]] = []
    stored: list[tuple[str, str]] = []
    for study, key, was_stored in tally.listed.values():
        # A listing without its STUDY record is placed with the one study the medium
        # holds; with several, it cannot be told apart and is not attributed.
        study = study or only_study
        if study:
            (stored if was_stored else missing).append((study, key))
    library.record_missing_on_source(missing, stored, source_id)


def _import_one(
    media_source: MediaSource,
    entry: MediaEntry,
    library: Library,
    source_id: int,
    tally: _Tally,
    studies: dict[str, None],
    referenced: bool,
    patients: set[PatientKey] | None = None,
) -> tuple[ImportFailure | None, InstanceRef | None, StoredInstance | None]:
    """Copy, check and index one file: the failure, or None when all went well; the
    instance when the library now holds it (also as a kept conflicting version); and
    the library's stored copy of it, unless it is a conflict.
    _NotChosen when it belongs to a patient not in ``patients``."""
    library.store.ensure_room(entry.size)
    try:
        with media_source.open(entry) as stream:
            staged = library.store.stage(stream, f"{os.getpid()}-{entry.order}-{id(entry)}")
    except DiskFullError:
        raise
    except MediaError as exc:  # The reader's own sentence says what is wrong.
        return ImportFailure(entry.path, str(exc)), None, None
    except _READ_ERRORS as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        sentence = f"It could not be read from the disc ({reason})."
        return ImportFailure(entry.path, sentence), None, None
    result = _header_of(staged, entry.path)
    instance = result.instance
    if instance is None:
        library.store.discard(staged)
        if result.is_directory or (result.problem == "not-dicom" and not referenced):
            return None, None, None  # A spare DICOMDIR, or the viewer program and autorun files.
        if result.problem == "not-dicom":
            return ImportFailure(
                entry.path, "The DICOMDIR lists this file, but it is not a DICOM file.",
                "not-dicom",
            ), None, None
        kind: FailureKind = "unsupported" if result.problem == "unsupported" else "unreadable"
        return ImportFailure(entry.path, result.detail, kind), None, None
    if patients is not None and (instance.patient_id, instance.patient_name) not in patients:
        library.store.discard(staged)
        raise _NotChosen
    existing = library.find(instance.sop_instance_uid)
    if existing is not None and existing.sha256 == staged.sha256:
        if _stored_copy_sound(library, existing, tally.damaged):
            library.store.discard(staged)
            tally.already_present += 1
        else:
            # The index knows this image but its stored copy is gone or rotted: the disc
            # holds the very bytes it was imported from, so put them back.
            try:
                library.store.commit(staged, replace=True)
                library.note_repaired(instance.sop_instance_uid)
            except DiskFullError:
                raise
            except LibraryError as exc:
                return ImportFailure(entry.path, _not_added(exc)), None, None
            tally.repaired += 1
        studies.setdefault(instance.study_instance_uid)
        return None, instance, existing
    try:
        file = library.store.commit(staged)
    except DiskFullError:
        raise
    except LibraryError as exc:
        return ImportFailure(entry.path, _not_added(exc)), None, None
    try:
        if existing is not None:
            library.add_conflict(instance.sop_instance_uid, file, staged.size,
                                 staged.sha256, source_id)
        else:
            library.add_instance(instance, file, staged.size, staged.sha256, source_id)
    except DiskFullError:
        raise
    except _INDEX_ERRORS as exc:
        # One absurd header must not end the import: this file fails, the rest goes on,
        # and its stored copy goes unless an index row names it (same bytes elsewhere).
        if not library.names_file(file):
            library.store.remove(file)
        return ImportFailure(entry.path, _not_added(exc)), None, None
    if existing is not None:
        tally.conflicts += 1
        return ImportFailure(
            entry.path,
            "The library already holds a different version of this image; both are kept, "
            "the stored one is unchanged.",
            "conflict",
        ), instance, None
    tally.imported += 1
    studies.setdefault(instance.study_instance_uid)
    return None, instance, StoredInstance(instance.sop_instance_uid, file, staged.size,
                                          staged.sha256)


def _not_added(exc: BaseException) -> str:
    """The failure sentence of a file that was read but could not be indexed or stored."""
    detail = str(exc).strip().rstrip(".") or type(exc).__name__
    return f"It could not be added to the library: {detail}."


def _stored_copy_sound(library: Library, existing: StoredInstance, damaged: set[str]) -> bool:
    """Whether the stored copy of an image already in the library is sound.

    Every re-imported image gets the cheap check (the file is there, with its recorded
    size: one stat). Its bytes are hashed only when `library verify` flagged it: hashing
    every stored copy on every re-import would read the library twice over, while a copy
    that rotted without changing size is exactly what verify finds (its closing sentence
    tells the user to re-import the disc, which then repairs it).
    """
    if not library.store.looks_intact(existing.file, existing.size):
        return False
    if existing.sop_instance_uid not in damaged:
        return True
    sound = library.store.hash_file(existing.file) == existing.sha256
    if sound:
        library.note_repaired(existing.sop_instance_uid)  # Mended since: not flagged now.
        damaged.discard(existing.sop_instance_uid)
    return sound


def _header_of(staged: StagedFile, path: str) -> HeaderResult:
    # Parsed from the copy just written (in the page cache), not read from the disc again.
    with open(staged.temp, "rb") as copy:
        return read_header(copy, staged.size, path, can_decode)
