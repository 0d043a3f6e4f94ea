"""The file store: whole files or nothing, named by their content, and a full disk said plainly.

Each test checks one promise of ``FileStore`` that the import relies on: a stored file is
complete and synced before it gets its name, a failure while copying leaves nothing behind,
and a full disk becomes one ``DiskFullError`` sentence instead of a damaged store.
"""

import errno
import hashlib
import io
import os
import shutil
import zipfile
from pathlib import Path
from typing import NamedTuple

import pytest

from app.core.errors import DiskFullError, LibraryError
from app.library import store as store_module
from app.library.store import CHUNK, RESERVE_BYTES, FileStore

DATA = bytes(range(256)) * 12_000  # about 3 MB: several chunks
DATA_SHA = hashlib.sha256(DATA).hexdigest()


class FailingStream(io.BytesIO):
    """A medium that returns ``good`` bytes, then fails the way ``error`` says."""

    def __init__(self, data: bytes, good: int, error: BaseException) -> None:
        super().__init__()
        self._data = io.BytesIO(data[:good])
        self._error = error

    def read(self, size: int | None = -1) -> bytes:
        chunk = self._data.read(size)
        if not chunk:
            raise self._error
        return chunk


def _contents(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_a_stored_file_is_whole_and_named_by_its_hash(store: FileStore) -> None:
    """A committed file holds exactly the bytes read, under objects/ab/<sha256>.dcm."""
    staged = store.stage(io.BytesIO(DATA), "one")
    assert (staged.sha256, staged.size) == (DATA_SHA, len(DATA))
    relative = store.commit(staged)
    assert relative == f"objects/{DATA_SHA[:2]}/{DATA_SHA}.dcm"
    assert store.path(relative).read_bytes() == DATA
    assert store.hash_file(relative) == DATA_SHA
    assert _contents(store.staging) == []


def test_the_same_content_is_stored_once(store: FileStore) -> None:
    """Committing identical bytes twice keeps one file and drops the second staged copy."""
    first = store.commit(store.stage(io.BytesIO(DATA), "a"))
    second = store.commit(store.stage(io.BytesIO(DATA), "b"))
    assert first == second
    assert _contents(store.objects) == [store.path(first)]
    assert _contents(store.staging) == []


def test_a_file_is_synced_before_it_gets_its_name(
    store: FileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Power-cut safety: fsync(file), then rename into place, then fsync(its folder)."""
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        events.append(("rename", str(dst)))
        real_replace(src, dst)

    staged = store.stage(io.BytesIO(DATA), "x")
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    final = store.path(store.commit(staged))
    assert events[:3] == [
        ("fsync", str(staged.temp)),
        ("rename", str(final)),
        ("fsync", str(final.parent)),
    ]
    # A folder created for this file is itself recorded in its parent.
    assert events[3:] == [("fsync", str(store.objects))]


def test_a_file_left_by_a_killed_import_is_synced_before_it_is_adopted(
    store: FileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole file renamed into place by an import killed before its folder sync: the
    next commit of the same content syncs the folders before the index may name it."""
    final = store.objects / DATA_SHA[:2] / f"{DATA_SHA}.dcm"
    final.parent.mkdir()
    final.write_bytes(DATA)  # renamed, but its folder never synced
    staged = store.stage(io.BytesIO(DATA), "again")
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    assert store.path(store.commit(staged)) == final
    assert synced == [str(final.parent), str(store.objects)]
    assert _contents(store.staging) == []


def test_a_read_error_leaves_no_staged_copy(store: FileStore) -> None:
    """EIO from a scratched disc propagates as OSError and the half copy is removed."""
    eio = OSError(errno.EIO, os.strerror(errno.EIO))
    stream = FailingStream(DATA, CHUNK + 5000, eio)
    with pytest.raises(OSError) as caught:
        store.stage(stream, "scratched")
    assert caught.value.errno == errno.EIO
    assert _contents(store.root) == []


def test_a_stream_failing_its_own_way_leaves_no_staged_copy(store: FileStore) -> None:
    """A damaged ZIP member fails with BadZipFile, not OSError; nothing stays in staging."""
    stream = FailingStream(DATA, CHUNK + 5000, zipfile.BadZipFile("Bad CRC-32 for file 'x'"))
    with pytest.raises(zipfile.BadZipFile):
        store.stage(stream, "damaged")
    assert _contents(store.root) == []


def test_a_full_disk_while_copying_is_one_sentence(
    store: FileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC in the middle of a copy: DiskFullError, and the partial copy is gone."""
    real_open = open

    class FillingFile:
        """A file on a disk with room for one chunk."""

        def __init__(self, path: Path) -> None:
            self._fh = real_open(path, "wb")
            self._room = CHUNK

        def write(self, data: bytes) -> int:
            if len(data) > self._room:
                self._fh.write(data[: self._room])
                self._fh.flush()
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self._room -= len(data)
            return self._fh.write(data)

        def __enter__(self) -> "FillingFile":
            return self

        def __exit__(self, *exc: object) -> None:
            self._fh.close()

    def fake_open(path: Path, mode: str = "r", *args: object) -> object:
        return FillingFile(path) if mode == "wb" else real_open(path, mode, *args)  # type: ignore[call-overload]

    monkeypatch.setattr(store_module, "open", fake_open, raising=False)
    with pytest.raises(DiskFullError) as caught:
        store.stage(io.BytesIO(DATA), "big")
    assert "disk holding the library became full" in str(caught.value)
    assert str(caught.value).count(".") == 1 and "\n" not in str(caught.value)
    assert _contents(store.root) == []


@pytest.mark.parametrize(
    ("error", "raised"),
    [(errno.ENOSPC, DiskFullError), (errno.EDQUOT, DiskFullError), (errno.EIO, LibraryError)],
    ids=["ENOSPC", "EDQUOT", "EIO"],
)
def test_a_failing_fsync_stores_nothing(
    store: FileStore, monkeypatch: pytest.MonkeyPatch, error: int, raised: type[Exception]
) -> None:
    """Some file systems report a full disk only at fsync: nothing gets its final name."""
    staged = store.stage(io.BytesIO(DATA), "late")

    def fsync(fd: int) -> None:
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(raised) as caught:
        store.commit(staged)
    assert type(caught.value) is raised
    assert _contents(store.root) == []


class _Usage(NamedTuple):
    total: int
    used: int
    free: int


def test_ensure_room_keeps_a_reserve(store: FileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file fits only with RESERVE_BYTES to spare; the refusal names the free space."""
    free = RESERVE_BYTES + 10 * 1024 * 1024
    monkeypatch.setattr(shutil, "disk_usage", lambda path: _Usage(free * 2, free, free))
    store.ensure_room(10 * 1024 * 1024)
    with pytest.raises(DiskFullError) as caught:
        store.ensure_room(10 * 1024 * 1024 + 1)
    assert str(caught.value).startswith(
        f"The disk holding the library is full ({free // (1024 * 1024)} MB free); "
    )


def test_clear_staging_never_touches_stored_files(store: FileStore) -> None:
    """What an interrupted import left in staging goes; stored files stay."""
    relative = store.commit(store.stage(io.BytesIO(DATA), "kept"))
    (store.staging / "123-4-5.part").write_bytes(b"half a file")
    store.clear_staging()
    assert _contents(store.staging) == []
    assert store.hash_file(relative) == DATA_SHA


def test_hash_file_reports_missing_and_changed_files(store: FileStore) -> None:
    """Verification's primitive: None for a missing file, the new hash for a changed one."""
    relative = store.commit(store.stage(io.BytesIO(DATA), "f"))
    path = store.path(relative)
    path.write_bytes(DATA[:-1] + b"\0")
    assert store.hash_file(relative) == hashlib.sha256(DATA[:-1] + b"\0").hexdigest()
    store.remove(relative)
    assert store.hash_file(relative) is None
