"""The audit log: an append-only, hash-chained record of what was done with which studies.

``LIGHTBOX_HOME/audit.log`` holds one JSON object per line (JSON Lines)::

    {"seq": 7, "time": "2026-12-02T10:40:00.123Z", "user": "desk1", "action": "send",
     "studies": ["1.2.3..."], "destination": "PACS@10.0.0.5:104", "result": "ok: 54 sent",
     "prev": "<hash of entry 6>", "hash": "<SHA-256 of this entry without 'hash'>"}

Each entry carries the hash of the one before it (:data:`GENESIS` for the first), so
changing a field, removing a line or reordering lines breaks the chain at that point, and
:func:`verify` names the first entry where it breaks. The file is never rewritten: an
append takes an exclusive lock (a lock file beside the log, so a CLI and the GUI may write
at once), reads the last entry, writes one whole line with ``O_APPEND`` and syncs it.

What a hash chain cannot see: entries cut off at the end (the chain of what is left is
intact) and a log rewritten from scratch by someone who recomputes every hash. Entries
hold study UIDs, never names, IDs or birth dates.
"""

import contextlib
import errno
import getpass
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.core.errors import LibraryError
from app.core.paths import utf8_escaped

LOG_NAME = "audit.log"
LOCK_NAME = "audit.lock"
GENESIS = "0" * 64
ACTIONS = ("import", "view", "upload", "send", "export", "share", "delete")
FIELDS = ("seq", "time", "user", "action", "studies", "destination", "result", "prev")
# How far back from the end an append looks for the last whole entry at first.
TAIL_CHUNK = 64 * 1024
# Windows' msvcrt.locking gives up after about ten seconds; an append keeps trying this
# long before it reports the log as busy.
LOCK_PATIENCE = 60.0


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log (see the module docstring for the fields)."""

    seq: int
    time: str
    user: str
    action: str
    studies: tuple[str, ...]
    destination: str
    result: str
    prev: str
    hash: str

    def as_dict(self) -> dict[str, object]:
        """The entry as its JSON object (``studies`` as a list)."""
        return {"seq": self.seq, "time": self.time, "user": self.user,
                "action": self.action, "studies": list(self.studies),
                "destination": self.destination, "result": self.result,
                "prev": self.prev, "hash": self.hash}


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found: the entries it could read, in file order, and the first
    place where the chain breaks (None everywhere when it is intact)."""

    entries: tuple[AuditEntry, ...]
    problem: str | None = None
    first_bad_seq: int | None = None
    first_bad_line: int | None = None

    @property
    def intact(self) -> bool:
        """True when every entry is whole, unchanged and in its place."""
        return self.problem is None


def entry_hash(fields: dict[str, object]) -> str:
    """SHA-256 (hex) of an entry's canonical JSON without its ``hash``: keys sorted, no
    spaces, ASCII only, so every platform hashes the same bytes."""
    body = {key: value for key, value in fields.items() if key != "hash"}
    return hashlib.sha256(_canonical(body)).hexdigest()


def _canonical(fields: dict[str, object]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode("ascii")


def current_user() -> str:
    """The OS user running Lightbox; a numeric ID or "unknown" when there is no name
    (a container without a passwd entry, a service account)."""
    try:
        return getpass.getuser()
    except Exception:  # OSError on 3.13, KeyError from pwd before: any is "no name".
        getuid = getattr(os, "getuid", None)
        return f"uid {getuid()}" if getuid is not None else "unknown"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AuditLog:
    """The audit log under ``home``."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / LOG_NAME

    def append(self, action: str, studies: Sequence[str], destination: str,
               result: str) -> AuditEntry:
        """Add one entry after the last one and sync it to the disk.

        ``action`` is one of :data:`ACTIONS`. Safe across threads and processes. Raises
        OSError when the log cannot be written (the caller decides how to say so).
        """
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        self.home.mkdir(parents=True, exist_ok=True)
        with _locked(self.home / LOCK_NAME):
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT
                         | getattr(os, "O_BINARY", 0), 0o600)
            try:
                last, whole = _last_entry(fd)
                fields: dict[str, object] = {
                    "seq": last.seq + 1 if last is not None else 1,
                    "time": _now(),
                    "user": utf8_escaped(current_user()),
                    "action": action,
                    "studies": [utf8_escaped(uid) for uid in studies],
                    "destination": utf8_escaped(destination),
                    "result": utf8_escaped(result),
                    "prev": last.hash if last is not None else GENESIS,
                }
                fields["hash"] = entry_hash(fields)
                # Fields in their natural order for a reader; the hash is over the
                # canonical (sorted) form, so the order on the line does not matter.
                line = json.dumps(fields, separators=(",", ":"),
                                  ensure_ascii=True).encode("ascii") + b"\n"
                # A line cut short by a crash stays as it is (verify reports it); the
                # new entry starts on a line of its own.
                _write_all(fd, line if whole else b"\n" + line)
                os.fsync(fd)
            finally:
                os.close(fd)
        return _entry(fields)

    def read(self) -> bytes:
        """The whole log (empty when there is none yet). LibraryError, in one sentence,
        when it cannot be read."""
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return b""
        except OSError as exc:
            raise LibraryError(
                f"The audit log {self.path} cannot be read ({exc.strerror or exc}); check "
                "that it is a file this user may read."
            ) from exc

    def verify(self) -> Verification:
        """Read the log and check every entry's hash, link and sequence number (see
        :func:`verify`)."""
        return verify(self.read())


def verify(data: bytes) -> Verification:
    """Check a log's bytes: each entry whole, its hash matching its contents, its ``prev``
    the hash of the entry before it, its ``seq`` one more. Stops at the first problem and
    says in one sentence what it looks like (edited, removed, reordered, cut short)."""
    lines = data.split(b"\n")
    cut_short = lines[-1] != b""  # A whole log ends with a newline.
    if not cut_short:
        lines.pop()
    parsed: list[AuditEntry | None] = [_parse(line) for line in lines]
    entries = tuple(e for e in parsed if e is not None)
    prev, seq = GENESIS, 1
    for number, entry in enumerate(parsed, start=1):
        found = _problem(number, entry, prev, seq, cut_short and number == len(lines),
                         parsed)
        if found is not None:
            bad_seq = entry.seq if entry is not None else seq
            return Verification(entries, found, bad_seq, number)
        assert entry is not None
        prev, seq = entry.hash, entry.seq + 1
    return Verification(entries)


def _problem(number: int, entry: AuditEntry | None, prev: str, seq: int,
             last_and_cut: bool, parsed: list[AuditEntry | None]) -> str | None:
    """The sentence for what is wrong with line ``number`` (``entry``, None when it does
    not parse), or None when it follows the chain; ``parsed`` is every line's entry."""
    if entry is None:
        if last_and_cut:
            return (f"The last line (line {number}) is cut short: entry {seq} was not "
                    "written whole (Lightbox stopped while writing it, or the file was cut), "
                    "so the log is broken from there.")
        return (f"Line {number} is not a whole audit entry (where entry {seq} should be): "
                "it was cut short by a crash, edited or damaged.")
    if entry_hash(entry.as_dict()) != entry.hash:
        return (f"Entry {entry.seq} (line {number}) was edited: its contents no longer "
                "match its hash.")
    if entry.prev == prev and entry.seq == seq:
        return None
    if entry.seq < seq:
        return (f"Entry {entry.seq} (line {number}) is out of order: it comes after entry "
                f"{seq - 1}, so lines were reordered or repeated.")
    if entry.seq > seq and any(e is not None and e.seq == seq for e in parsed[number:]):
        return (f"Entry {entry.seq} (line {number}) is out of order: entry {seq} comes "
                "after it, so lines were reordered.")
    if entry.seq > seq:
        gone = str(seq) if entry.seq == seq + 1 else f"{seq} to {entry.seq - 1}"
        return (f"Entry {gone} is missing before entry {entry.seq} (line {number}): "
                "lines were removed.")
    return (f"Entry {entry.seq} (line {number}) does not follow the entry before it (its "
            "link to the previous hash is wrong): it was replaced or forged.")


def _parse(line: bytes) -> AuditEntry | None:
    """The entry on one line, or None when it is not a whole, well-formed entry."""
    try:
        fields = json.loads(line)
    except ValueError:
        return None
    if not isinstance(fields, dict) or set(fields) != {*FIELDS, "hash"}:
        return None
    try:
        return _entry(fields)
    except (TypeError, ValueError):
        return None


def _entry(fields: dict[str, object]) -> AuditEntry:
    seq, studies = fields["seq"], fields["studies"]
    texts = [fields[k] for k in ("time", "user", "action", "destination", "result", "prev",
                                 "hash")]
    if (not isinstance(seq, int) or isinstance(seq, bool) or not isinstance(studies, list)
            or not all(isinstance(s, str) for s in [*studies, *texts])):
        raise TypeError("not an audit entry")
    return AuditEntry(seq, str(fields["time"]), str(fields["user"]), str(fields["action"]),
                      tuple(str(s) for s in studies), str(fields["destination"]),
                      str(fields["result"]), str(fields["prev"]), str(fields["hash"]))


def _last_entry(fd: int) -> tuple[AuditEntry | None, bool]:
    """The last readable entry of the open log (None when there is none) and whether the
    file ends with a whole line. Reads backwards from the end, a chunk at a time."""
    size = os.fstat(fd).st_size
    if size == 0:
        return None, True
    whole = _tail(fd, size, 1) == b"\n"
    chunk = TAIL_CHUNK
    while True:
        start = max(0, size - chunk)
        tail = _tail(fd, size, size - start)
        lines = tail.split(b"\n")
        if start > 0:
            lines = lines[1:]  # The first piece may be the end of a longer line.
        for line in reversed(lines):
            entry = _parse(line)
            if entry is not None:
                return entry, whole
        if start == 0:
            return None, whole
        chunk *= 4


def _tail(fd: int, size: int, count: int) -> bytes:
    """The last ``count`` bytes of a file ``size`` bytes long (the log is opened for
    appending, so moving the position does not move where writes go)."""
    os.lseek(fd, size - count, os.SEEK_SET)
    data = b""
    while len(data) < count:
        piece = os.read(fd, count - len(data))
        if not piece:
            break
        data += piece
    return data


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if needed): one writer at a time,
    across threads (each holds its own descriptor) and processes."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform == "win32":
            import msvcrt

            deadline = time.monotonic() + LOCK_PATIENCE
            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # Retries for ~10 s itself.
                    break
                except OSError as exc:
                    if time.monotonic() > deadline:
                        raise OSError(errno.EBUSY, "the audit log stays locked") from exc
            try:
                yield
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
