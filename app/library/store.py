"""The file store: every instance as a file named by the SHA-256 of its bytes.

A file is written under a temporary name, flushed to the disk (fsync), then renamed into
place and its folder synced: after a crash or a power cut the store holds whole files or
nothing, never a partial one. Naming by content makes identical copies one file and keeps
two different versions of one instance apart.
"""

import errno
import hashlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from app.core.errors import DiskFullError, LibraryError

CHUNK = 1024 * 1024
# Keep this much free beyond the file itself, so the index and the system can still write.
RESERVE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class StagedFile:
    """A file copied into the store's staging area, with its hash and size."""

    temp: Path
    sha256: str
    size: int


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileStore:
    """Content-addressed files under ``root``: ``objects/ab/abcdef....dcm``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / "objects"
        self.staging = root / "staging"
        self.objects.mkdir(parents=True, exist_ok=True)
        self.staging.mkdir(parents=True, exist_ok=True)

    def clear_staging(self) -> None:
        """Remove what an interrupted import left half-written (never a stored file)."""
        for leftover in self.staging.iterdir():
            leftover.unlink(missing_ok=True)

    def relative(self, sha256: str) -> str:
        """The store-relative name of the file with this content."""
        return f"objects/{sha256[:2]}/{sha256}.dcm"

    def path(self, relative: str) -> Path:
        """The absolute path of a store-relative name."""
        return self.root / relative

    def ensure_room(self, size: int) -> None:
        """Raise DiskFullError now if ``size`` more bytes would not fit."""
        free = shutil.disk_usage(self.root).free
        if free < size + RESERVE_BYTES:
            raise DiskFullError(
                f"The disk holding the library is full ({free // (1024 * 1024):,} MB free); "
                "free some space and import again: nothing already imported is lost."
            )

    def stage(self, stream: IO[bytes], name: str) -> StagedFile:
        """Copy ``stream`` into the staging area in chunks, hashing the same bytes.

        The file is not yet synced: a copy that turns out to be stored already is thrown
        away without paying for an fsync.
        """
        temp = self.staging / f"{name}.part"
        digest = hashlib.sha256()
        size = 0
        try:
            with open(temp, "wb") as out:
                for chunk in _chunks(stream):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFullError(
                    "The disk holding the library became full; free some space and import "
                    "again: nothing already imported is lost."
                ) from exc
            raise
        except BaseException:
            # Streams fail in their own ways too (a damaged ZIP member raises BadZipFile):
            # no half copy may stay behind, whatever stopped it.
            temp.unlink(missing_ok=True)
            raise
        return StagedFile(temp, digest.hexdigest(), size)

    def commit(self, staged: StagedFile, replace: bool = False) -> str:
        """Move a staged file into place (fsync, rename, sync the folder); its name.

        When the same content is stored already, the staged copy is simply dropped,
        unless ``replace``: then it takes the place of the stored file (which was found
        missing or damaged: a repair).
        """
        relative = self.relative(staged.sha256)
        final = self.path(relative)
        try:
            if final.exists() and not replace:
                staged.temp.unlink(missing_ok=True)
                # An import killed between its rename and its folder sync leaves a whole
                # file whose name may not be on the disk yet: sync before the index names it.
                _fsync_dir(final.parent)
                _fsync_dir(final.parent.parent)
                return relative
            with open(staged.temp, "rb+") as fh:
                os.fsync(fh.fileno())
            new_folder = not final.parent.exists()
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.temp, final)
            _fsync_dir(final.parent)
            if new_folder:
                _fsync_dir(final.parent.parent)
        except OSError as exc:
            staged.temp.unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFullError(
                    "The disk holding the library became full; free some space and import "
                    "again: nothing already imported is lost."
                ) from exc
            raise LibraryError(f"An image could not be stored: {exc.strerror or exc}.") from exc
        return relative

    def discard(self, staged: StagedFile) -> None:
        """Drop a staged file that will not be kept."""
        staged.temp.unlink(missing_ok=True)

    def remove(self, relative: str) -> None:
        """Delete a stored file (after its index rows are gone)."""
        self.path(relative).unlink(missing_ok=True)

    def looks_intact(self, relative: str, size: int) -> bool:
        """The cheap check: the stored file is there and has ``size`` bytes (a stat, no
        read). A file of the right size may still have rotted: only a hash tells."""
        try:
            return os.stat(self.path(relative)).st_size == size
        except OSError:
            return False

    def hash_file(self, relative: str) -> str | None:
        """The SHA-256 of a stored file, or None when it is missing or unreadable."""
        digest = hashlib.sha256()
        try:
            with open(self.path(relative), "rb") as fh:
                for chunk in _chunks(fh):
                    digest.update(chunk)
        except OSError:
            return None
        return digest.hexdigest()


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return
        yield chunk
