"""Where a copy goes: checking the place first, and what a failure there means.

The copy is written under a temporary name beside its final one (the same file system, so
the last step is a rename) and appears under its name only when it is whole. A folder the
user chose that exists and is empty (a USB stick's root, say, which may be a mount point
that cannot be renamed over) gets the temporary folder inside it instead; its two entries,
the ``DICOM`` folder then the ``DICOMDIR``, are moved up at the end.
"""

import contextlib
import errno
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.core.errors import ExportError

Format = Literal["folder", "zip", "iso"]
FORMATS: tuple[Format, ...] = ("folder", "zip", "iso")
_NAMES = {"folder": "folder", "zip": "ZIP file", "iso": "ISO image"}

TEMP_PREFIX = ".lightbox-export-"
# What the copy needs beside its files: the DICOMDIR, folders, ISO 9660 tables.
OVERHEAD_BYTES = 4 * 1024 * 1024
ISO_OVERHEAD = 0.02  # ISO 9660 rounds every file up to 2 KiB blocks


@dataclass(frozen=True)
class Target:
    """A checked place for a copy: ``out`` as the user named it, and whether it exists
    already as an empty folder (folder format) or an empty file (ZIP, ISO)."""

    out: Path
    format: Format
    exists_empty: bool

    @property
    def parent(self) -> Path:
        """The folder the temporary copy is made in."""
        if self.format == "folder" and self.exists_empty:
            return self.out
        return self.out.parent

    def make_temporary(self, *, folder: bool) -> Path:
        """Create the temporary folder or file the copy is written into."""
        try:
            if folder:
                path = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=self.parent))
            else:
                fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".part",
                                            dir=self.parent)
                os.close(fd)
                path = Path(name)
            # mkdtemp and mkstemp make private entries; a copy is meant to be handed on.
            # (FAT file systems on USB sticks know no modes and may refuse: no matter.)
            with contextlib.suppress(OSError):
                os.chmod(path, 0o755 if folder else 0o644)
            return path
        except OSError as exc:
            raise write_error(exc, self) from exc


def check_target(out: Path, format: Format) -> Target:
    """Check that a copy in ``format`` may be written at ``out``; ExportError in one
    sentence when not: ``out`` is taken (a folder or file that is not empty, a folder
    where a file is asked for), its folder does not exist, or it cannot be written."""
    if format not in FORMATS:
        raise ExportError(f"Unknown format {format!r}; use one of: {', '.join(FORMATS)}.")
    out = Path(os.path.abspath(out))
    exists_empty = False
    try:
        if out.is_symlink() or out.exists():
            exists_empty = _is_empty(out, format)
            if not exists_empty:
                raise ExportError(_taken(out, format))
    except OSError as exc:
        raise ExportError(f"{out} cannot be looked at ({exc.strerror or exc}); "
                          "choose another place for the copy.") from exc
    if not out.parent.is_dir():
        raise ExportError(f"There is no folder {out.parent}; create it first or choose "
                          "another place for the copy.")
    checked = Target(out, format, exists_empty)
    # Asked first, so that a read-only disc or stick is named as such, not as too small.
    if not os.access(checked.parent, os.W_OK):
        raise _may_not_write(checked)
    return checked


def _is_empty(out: Path, format: Format) -> bool:
    if out.is_symlink():
        return False  # Never write through a link the user may not have meant.
    if format == "folder":
        return out.is_dir() and not any(out.iterdir())
    return out.is_file() and out.stat().st_size == 0


def _taken(out: Path, format: Format) -> str:
    if format != "folder" and out.is_dir():
        return (f"{out} is a folder; give the {_NAMES[format]}'s own name, for example "
                f"{out / ('copy.' + format)}.")
    if format == "folder" and not out.is_dir():
        return f"{out} exists and is not a folder; choose a new or empty folder."
    if format == "folder":
        return f"{out} is not empty; choose a new or empty folder."
    return f"{out} exists already; choose a new name for the {_NAMES[format]}."


def check_room(target: Target, files_bytes: int) -> None:
    """ExportError now when the disk clearly cannot hold the copy (it would fail later
    anyway, after minutes of copying)."""
    needed = files_bytes + OVERHEAD_BYTES
    if target.format == "iso":
        needed += int(files_bytes * ISO_OVERHEAD)
    try:
        free = shutil.disk_usage(target.parent).free
    except OSError:
        return  # Unknown: the copy itself will tell.
    if free < needed:
        raise ExportError(
            f"The disk holding {target.out} has {_megabytes(free)} free but the copy needs "
            f"about {_megabytes(needed)}; free some space or choose another place."
        )


def write_error(exc: OSError, target: Target) -> ExportError:
    """The one sentence for an OS error while writing the copy (nothing is left of it)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ExportError(
            f"The disk holding {target.out} became full; free some space or choose another "
            "place: nothing was left there."
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return _may_not_write(target)
    return ExportError(
        f"The copy could not be written to {target.out} ({exc.strerror or exc}); nothing "
        "was left there."
    )


def _may_not_write(target: Target) -> ExportError:
    return ExportError(
        f"Lightbox may not write in {target.parent}; choose a folder you may write."
    )


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.0f} MB" if size >= 10e6 else f"{size / 1e6:.1f} MB"


def remove_quietly(path: Path) -> None:
    """Remove a temporary file or folder; what cannot be removed stays (never raises)."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def fsync_path(path: Path) -> None:
    """Flush a file's or folder's data to the disk (errors are the caller's). Folders
    are skipped on Windows, which cannot open them for that (nor needs to)."""
    if sys.platform == "win32" and path.is_dir():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def rename_new_file(temp: Path, target: Target) -> None:
    """Give a finished ZIP or ISO file its name: over the empty file the user chose, or
    as a new name (never over a file that appeared meanwhile)."""
    if not target.exists_empty and os.path.lexists(target.out):
        raise FileExistsError(f"{target.out} appeared while the copy was written")
    os.replace(temp, target.out)
    fsync_path(target.out.parent)
