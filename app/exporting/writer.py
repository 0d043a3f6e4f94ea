"""The one interface of the three kinds of copy (folder, ZIP file, ISO image)."""

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, Protocol

from app.exporting.target import Target

CHUNK = 1024 * 1024
# Files handed to a writer's worker threads and not yet written: bounds the memory held
# (transformed data sets wait as bytes) while headers are read ahead of the copying.
MAX_PENDING = 16


class SourceReadError(Exception):
    """A file of the library could not be opened for copying (``path``, ``error``)."""

    def __init__(self, path: Path, error: OSError) -> None:
        super().__init__(f"{path}: {error.strerror or error}")
        self.path = path
        self.error = error


def open_source(path: Path) -> BinaryIO:
    """Open a library file for copying; SourceReadError when it cannot be opened."""
    try:
        return open(path, "rb")
    except OSError as exc:
        raise SourceReadError(path, exc) from exc


class MediaWriter(Protocol):
    """Writes one copy under a temporary name; ``finish`` puts it in place, ``abort``
    removes everything written. Methods raise OSError as the disk does; the caller turns
    it into one sentence (``app.exporting.target.write_error``), and SourceReadError when
    a library file cannot be opened. A writer may copy on worker threads: an error can
    surface in a later call than the one that caused it, at the latest in ``finish``."""

    target: Target

    def add_file(self, file_id: Sequence[str], source: Path, size: int,
                 prefix: bytes = b"") -> int:
        """Copy ``source`` (of ``size`` bytes) byte for byte to ``file_id`` (after
        ``prefix``, when a File Meta Information header must be put in front); the bytes
        written."""
        ...

    def add_bytes(self, file_id: Sequence[str], data: bytes) -> int:
        """Write ``data`` as the file ``file_id``; the bytes written."""
        ...

    def finish(self, dicomdir: bytes) -> Iterator[tuple[int, int]]:
        """Write the DICOMDIR, flush everything to the disk, and give the copy its name.
        Yields (bytes done, bytes in all) while it packs (the ISO image is written here)."""
        ...

    def abort(self) -> None:
        """Remove everything written so far (never raises)."""
        ...


def open_writer(target: Target) -> MediaWriter:
    """A writer for ``target``'s format; its temporary copy exists from now on."""
    if target.format == "zip":
        from app.exporting.archive import ZipWriter

        return ZipWriter(target)
    if target.format == "iso":
        from app.exporting.iso import IsoWriter

        return IsoWriter(target)
    from app.exporting.folder import FolderWriter

    return FolderWriter(target)
