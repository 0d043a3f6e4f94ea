"""Media as a flat list of files: a folder or mount point, an ISO image, a ZIP file.

Everything above this module sees a medium the same way: entries with a path relative to
the medium root (``/`` separators), a size, and a read-order key that follows the physical
position on the medium, so callers read in one sweep instead of seeking back and forth
(a seek on a CD costs ~85 ms). Nothing here opens a file outside the medium root: symbolic
links and ZIP names that lead outside are listed with ``outside=True`` and refused by
:meth:`MediaSource.open`.
"""

import contextlib
import io
import lzma
import os
import posixpath
import re
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol, cast

import pycdlib
from pycdlib.pycdlibexception import PyCdlibException

from app.core.errors import MediaError, SourceUnreadableError
from app.media.volumes import filesystem_type

# Filesystems whose inode numbers follow the position of the data on the disc.
_POSITIONAL_FILESYSTEMS = frozenset({"iso9660", "udf"})
# Deep enough for any real disc or USB stick; stops runaway trees and symlink games.
MAX_DEPTH = 32
MAX_ENTRIES = 2_000_000
# A ZIP member's stated size is a hint written by whoever made the archive: it may claim
# exabytes. What it may really unpack to is bounded by its compressed size: deflate
# reaches ~1030:1 at most, and no medical image needs more than 4 GiB.
MAX_MEMBER_BYTES = 4 * 1024**3
MAX_INFLATION = 1000
# What zipfile and its decompressors raise for a damaged member (bad CRC, corrupt deflate,
# bzip2 or LZMA data, a member cut short, an unknown compression method).
_ZIP_READ_ERRORS = (
    zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, NotImplementedError,
    RuntimeError, ValueError,
)
# What pycdlib raises for a file whose directory record or data is damaged.
# pycdlib parses the untrusted image with struct and plain indexing: beside its own
# exception it lets these through on damaged records (found by tests/fuzz).
_ISO_READ_ERRORS = (PyCdlibException, ValueError, IndexError, KeyError, struct.error,
                    TypeError, AttributeError, ZeroDivisionError, OverflowError,
                    RecursionError)
_PAST_END = object()  # The locator of an ISO file whose data lies beyond the image's end.


@dataclass(frozen=True)
class MediaEntry:
    """One file on a medium.

    ``order`` sorts entries into physical read order; ``outside`` marks an entry that
    leads outside the medium root (a symbolic link, a ZIP name with ``..``) and must
    never be opened.
    """

    path: str
    size: int
    order: int
    outside: bool = False
    locator: object = field(default=None, compare=False, repr=False)


class MediaSource(Protocol):
    """A readable medium: list its files, open one of them."""

    kind: str
    root_label: str

    def entries(self) -> list[MediaEntry]:
        """Every file on the medium, in physical read order."""
        ...

    def open(self, entry: MediaEntry) -> IO[bytes]:
        """Open one entry for binary reading (seekable)."""
        ...

    def unreadable_folders(self) -> dict[str, str]:
        """Folders (media paths) that could not be listed, each with the reason (after
        :meth:`entries`): the files in them are not among the entries."""
        ...

    def close(self) -> None:
        """Release the medium (file handles of ISO and ZIP containers)."""
        ...


def _refuse_outside(entry: MediaEntry) -> None:
    if entry.outside:
        raise MediaError(f"{entry.path} points outside the disc, so Lightbox will not open it.")


class FolderSource:
    """A folder, mount point or USB stick on the local file system.

    On CD and DVD file systems (iso9660, udf) entries are ordered by inode number, which
    there follows the position on the disc; elsewhere by path. The walk stays on one
    file system and does not follow symbolic links to folders.
    """

    kind = "folder"

    def __init__(self, root: Path, only: str | None = None) -> None:
        self.root = root
        self.root_label = str(root)
        self._real_root = os.path.realpath(root)
        self._only = only
        self._entries: list[MediaEntry] | None = None
        self._unreadable: dict[str, str] = {}

    def entries(self) -> list[MediaEntry]:
        """List every file under the root (cached after the first call)."""
        if self._entries is None:
            positional = filesystem_type(Path(self._real_root)) in _POSITIONAL_FILESYSTEMS
            found = list(self._walk(positional))
            found.sort(key=lambda e: (e.order, e.path) if positional else (e.path, 0))
            self._entries = found
        return self._entries

    def _walk(self, positional: bool) -> Iterator[MediaEntry]:
        try:
            root_dev = os.stat(self._real_root).st_dev
        except OSError as exc:
            raise SourceUnreadableError(
                f"Cannot read {self.root_label}: {exc.strerror or exc}."
            ) from exc
        pending: list[tuple[str, int]] = [("", 0)]
        count = 0
        while pending:
            rel_dir, depth = pending.pop()
            try:
                with os.scandir(os.path.join(self._real_root, rel_dir)) as it:
                    children = list(it)
            except OSError as exc:
                if not rel_dir:
                    raise SourceUnreadableError(
                        f"Cannot list the files in {self.root_label}."
                    ) from None
                # Never silently: its images are on the disc but cannot be imported.
                self._unreadable[rel_dir] = exc.strerror or str(exc) or type(exc).__name__
                continue
            for child in children:
                rel = posixpath.join(rel_dir, child.name) if rel_dir else child.name
                if self._only is not None and rel != self._only:
                    continue
                count += 1
                if count > MAX_ENTRIES:
                    return
                entry = self._entry(child, rel, positional, root_dev, depth, pending)
                if entry is not None:
                    yield entry

    def _entry(
        self,
        child: os.DirEntry[str],
        rel: str,
        positional: bool,
        root_dev: int,
        depth: int,
        pending: list[tuple[str, int]],
    ) -> MediaEntry | None:
        try:
            if child.is_symlink():
                return self._symlink_entry(child, rel)
            st = child.stat(follow_symlinks=False)
        except OSError:
            return None
        if stat.S_ISDIR(st.st_mode):
            if depth < MAX_DEPTH and st.st_dev == root_dev:
                pending.append((rel, depth + 1))
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        order = st.st_ino if positional else 0
        return MediaEntry(rel, st.st_size, order, locator=child.path)

    def _symlink_entry(self, child: os.DirEntry[str], rel: str) -> MediaEntry | None:
        target = os.path.realpath(child.path)
        inside = os.path.commonpath([self._real_root, target]) == self._real_root
        if not inside:
            return MediaEntry(rel, 0, 0, outside=True)
        try:
            st = os.stat(target)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None  # Links to folders are not followed: no loops, no double counting.
        return MediaEntry(rel, st.st_size, st.st_ino, locator=target)

    def unreadable_folders(self) -> dict[str, str]:
        """Sub-folders the walk could not list, with the reason (``Permission denied``)."""
        self.entries()
        return dict(self._unreadable)

    def open(self, entry: MediaEntry) -> IO[bytes]:
        """Open a file of this folder; refuses entries that lead outside it."""
        _refuse_outside(entry)
        assert isinstance(entry.locator, str)
        return open(entry.locator, "rb")

    def close(self) -> None:
        """Nothing to release for a folder."""


class ListedFolderSource(FolderSource):
    """Named files under a folder, without listing the folder: the library's store, whose
    files the index already knows (listing 100,000 of them would only cost time)."""

    def __init__(self, root: Path, paths: list[str]) -> None:
        super().__init__(root)
        self._paths = paths

    def entries(self) -> list[MediaEntry]:
        """The named files that exist (sizes from a stat each)."""
        if self._entries is None:
            found = []
            for path in self._paths:
                try:
                    size = (self.root / path).stat().st_size
                except OSError:
                    continue
                found.append(MediaEntry(path, size, 0, locator=str(self.root / path)))
            self._entries = found
        return self._entries


class IsoSource:
    """An ISO 9660 image read with pycdlib, without mounting it.

    Names come from Rock Ridge, else Joliet, else plain ISO 9660 (whose ``;1`` version
    suffixes the File ID resolver tolerates). Entries are ordered by extent, the position
    of the data in the image.
    """

    kind = "iso"

    def __init__(self, path: Path, stream: IO[bytes] | None = None) -> None:
        """Open the image at ``path``, or (an image inside another medium) the seekable
        ``stream`` holding it, then labelled ``path``."""
        self.root_label = str(path)
        self._iso = pycdlib.PyCdlib()
        try:
            if stream is None:
                self._iso.open(str(path))
            else:
                self._iso.open_fp(cast(BinaryIO, stream))
        except (*_ISO_READ_ERRORS, OSError) as exc:
            raise SourceUnreadableError(
                f"{path.name} is not a readable ISO disc image; it may be damaged or incomplete."
            ) from exc
        if self._iso.has_rock_ridge():
            self._facade, self._encoding = "rr_path", "utf-8"
        elif self._iso.has_joliet():
            self._facade, self._encoding = "joliet_path", "utf-16_be"
        else:
            self._facade, self._encoding = "iso_path", "latin-1"
        self._entries: list[MediaEntry] | None = None
        self._unreadable: dict[str, str] = {}

    def _name(self, record: Any) -> str:
        raw = record.rock_ridge.name() if self._facade == "rr_path" else record.file_identifier()
        return str(raw.decode(self._encoding, errors="replace"))

    def entries(self) -> list[MediaEntry]:
        """List every file in the image, in extent order."""
        if self._entries is None:
            found: list[MediaEntry] = []
            pending: list[tuple[str, int]] = [("", 0)]
            while pending and len(found) < MAX_ENTRIES:
                rel_dir, depth = pending.pop()
                try:
                    children = list(
                        self._iso.list_children(**{self._facade: "/" + rel_dir})
                    )
                except (*_ISO_READ_ERRORS, OSError) as exc:
                    self._unreadable[rel_dir or "/"] = (
                        getattr(exc, "strerror", None) or "the disc image is damaged there")
                    continue
                for rec in children:
                    if rec is None or rec.is_dot() or rec.is_dotdot():
                        continue
                    rel = posixpath.join(rel_dir, self._name(rec)) if rel_dir else self._name(rec)
                    if rec.is_dir():
                        if depth < MAX_DEPTH:
                            pending.append((rel, depth + 1))
                    elif rec.rock_ridge is not None and rec.rock_ridge.is_symlink():
                        found.append(MediaEntry(rel, 0, rec.extent_location(), outside=True))
                    else:
                        found.append(self._file_entry(rel, rec))
            found.sort(key=lambda e: (e.order, e.path))
            self._entries = found
        return self._entries

    def unreadable_folders(self) -> dict[str, str]:
        """Folders of the image that could not be listed, with the reason."""
        self.entries()
        return dict(self._unreadable)

    @staticmethod
    def _file_entry(rel: str, rec: Any) -> MediaEntry:
        try:
            size, extent = rec.get_data_length(), rec.extent_location()
        except _ISO_READ_ERRORS:
            return MediaEntry(rel, 0, 0, locator=_PAST_END)
        if size < 0:
            # pycdlib shortens a file to the end of the image: a negative length means
            # its data starts beyond the end (a cut image or a forged extent).
            return MediaEntry(rel, 0, extent, locator=_PAST_END)
        return MediaEntry(rel, size, extent)

    def open(self, entry: MediaEntry) -> IO[bytes]:
        """Open a file inside the image as a buffered, seekable stream."""
        _refuse_outside(entry)
        if entry.locator is _PAST_END:
            raise MediaError(
                "Its data lies past the end of the disc image, which is cut short or damaged."
            )
        try:
            raw = self._iso.open_file_from_iso(**{self._facade: "/" + entry.path})
            # pycdlib's stream is a context manager that only works once entered.
            raw.__enter__()  # type: ignore[no-untyped-call]
        except _ISO_READ_ERRORS as exc:
            raise MediaError(
                f"The disc image's record of this file is damaged ({_reason(exc)})."
            ) from exc
        guarded = _GuardedRaw(raw, _ISO_READ_ERRORS, "the disc image", entry.size)
        return _NamedReader(guarded, entry.path)

    def close(self) -> None:
        """Close the image file."""
        with contextlib.suppress(PyCdlibException):
            self._iso.close()


class _NamedReader(io.BufferedReader):
    """A buffered stream with a ``name``, which pydicom reads for its messages."""

    def __init__(self, raw: io.RawIOBase, name: str) -> None:
        super().__init__(raw)
        self._label = name

    @property
    def name(self) -> str:
        return self._label


class _BoundedMember(io.RawIOBase):
    """A ZIP member that fails (MediaError) once it unpacks past ``limit`` bytes, the
    most its compressed size allows: a ZIP bomb stops there, not at a full disk."""

    def __init__(self, member: IO[bytes], limit: int) -> None:
        super().__init__()
        self._member = member
        self._limit = limit

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._member.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._member.seek(offset, whence)

    def tell(self) -> int:
        return self._member.tell()

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._member.read(len(view))
        if self._member.tell() > self._limit:
            raise MediaError(
                "It unpacks to far more than a ZIP member of its size can hold (a ZIP bomb?), "
                "so it was not read."
            )
        view[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._member.close()
        super().close()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


class _GuardedRaw(io.RawIOBase):
    """A raw stream over a container's member that turns what the container library
    raises while reading (bad CRC, corrupt compressed data, an extent past the end of
    the image) into :class:`MediaError`: that file's problem, not the whole medium's.

    A member that ends before its recorded ``size`` (its data lies past the end of a cut
    ISO image) is damaged too, instead of silently reading as an empty file.
    """

    def __init__(
        self,
        inner: io.RawIOBase | io.BufferedIOBase | IO[bytes],
        errors: tuple[type[BaseException], ...],
        container: str,
        size: int,
    ) -> None:
        super().__init__()
        self._inner = inner
        self._errors = errors
        self._container = container
        self._size = size

    def _damaged(self, exc: BaseException) -> MediaError:
        return MediaError(f"The copy of this file in {self._container} is damaged "
                          f"({_reason(exc)}).")

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        try:
            position = self._inner.tell()
            data = self._inner.read(len(view))
        except self._errors as exc:
            raise self._damaged(exc) from exc
        if not data and len(view) and position < self._size:
            raise MediaError(
                f"The copy of this file in {self._container} stops after {position:,} of "
                f"its {self._size:,} bytes (the container is cut short or damaged)."
            )
        view[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        try:
            return self._inner.seek(offset, whence)
        except self._errors as exc:
            raise self._damaged(exc) from exc

    def tell(self) -> int:
        return self._inner.tell()

    def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(*self._errors, OSError):
                self._inner.close()
        super().close()


def _zip_name_escapes(name: str) -> bool:
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return True
    return ".." in name.replace("\\", "/").split("/")


class ZipSource:
    """A ZIP file read in place: nothing is extracted.

    Names that would escape the archive root (``..``, absolute paths) and stored symbolic
    links are listed as outside the medium. Entries are ordered by their offset in the
    archive.
    """

    kind = "zip"

    def __init__(self, path: Path, stream: IO[bytes] | None = None) -> None:
        """Open the archive at ``path``, or (an archive inside another medium) the
        seekable ``stream`` holding it, then labelled ``path``."""
        self.root_label = str(path)
        try:
            if stream is None:
                self._archive_size = path.stat().st_size
                self._zip = zipfile.ZipFile(path)
            else:
                self._archive_size = stream.seek(0, io.SEEK_END)
                stream.seek(0)
                self._zip = zipfile.ZipFile(stream)
        except (*_ZIP_READ_ERRORS, struct.error, OSError) as exc:
            raise SourceUnreadableError(
                f"{path.name} is not a readable ZIP file; it may be damaged or incomplete."
            ) from exc
        self._entries: list[MediaEntry] | None = None

    def entries(self) -> list[MediaEntry]:
        """List every file in the archive, in the order they are stored."""
        if self._entries is None:
            found = []
            for info in self._zip.infolist()[:MAX_ENTRIES]:
                if info.is_dir():
                    continue
                mode = info.external_attr >> 16
                outside = _zip_name_escapes(info.filename) or stat.S_ISLNK(mode)
                # Sizes are believed only as far as the archive can hold them: they feed
                # the free-space check and the progress totals.
                size = min(info.file_size, self._member_limit(info))
                found.append(
                    MediaEntry(info.filename, size, info.header_offset, outside, locator=info)
                )
            found.sort(key=lambda e: (e.order, e.path))
            self._entries = found
        return self._entries

    def unreadable_folders(self) -> dict[str, str]:
        """None: a ZIP file's listing is read whole, or not at all."""
        return {}

    def _member_limit(self, info: zipfile.ZipInfo) -> int:
        """The most bytes a member may unpack to: its compressed size (never more than
        the archive) when stored, else that times MAX_INFLATION, and never 4 GiB."""
        packed = max(0, min(info.compress_size, self._archive_size))
        if info.compress_type == zipfile.ZIP_STORED:
            return packed
        return min(MAX_MEMBER_BYTES, max(packed, 1) * MAX_INFLATION)

    def open(self, entry: MediaEntry) -> IO[bytes]:
        """Open a member of the archive (seekable; compressed members decompress on read)."""
        _refuse_outside(entry)
        assert isinstance(entry.locator, zipfile.ZipInfo)
        try:
            member = self._zip.open(entry.locator)
        except (*_ZIP_READ_ERRORS, OSError) as exc:
            raise MediaError(f"It cannot be unpacked from the ZIP file ({_reason(exc)}).") from exc
        # zipfile checks each member's length and CRC itself (size 0: no check here).
        bounded = _BoundedMember(member, self._member_limit(entry.locator))
        return _NamedReader(_GuardedRaw(bounded, _ZIP_READ_ERRORS, "the ZIP file", 0),
                            entry.path)

    def close(self) -> None:
        """Close the archive."""
        self._zip.close()


# Media that hold media: a USB stick with a portal's "Study download.zip", a ZIP holding a
# disc's ISO image. Lightbox looks inside archives on a medium, and inside archives in
# those (two levels), no deeper: a third level is a trick, not a clinic's habit.
MAX_ARCHIVE_DEPTH = 2
# At most this many archives on one medium, and this much archive data together.
MAX_ARCHIVES = 16
MAX_ARCHIVE_BYTES = 32 * 1024**3
# An archive inside a ZIP or ISO is copied to a temporary file first (zipfile and pycdlib
# need to seek); a dual-layer DVD's image fits, a ZIP bomb does not.
MAX_SPOOL_BYTES = 8 * 1024**3
_SPOOL_CHUNK = 1 << 20
_ARCHIVE_KINDS = {".zip": "zip", ".iso": "iso"}
_ARCHIVE_TITLES = {"zip": "a readable ZIP file", "iso": "a readable ISO disc image"}


def archive_kind(path: str) -> str | None:
    """``zip`` or ``iso`` when the name at ``path`` is that of an archive or disc image
    (any case, also with a plain ISO 9660 ``;1`` suffix), else None."""
    name = posixpath.basename(path).split(";")[0].rstrip(". ").casefold()
    for suffix, kind in _ARCHIVE_KINDS.items():
        if name.endswith(suffix) and len(name) > len(suffix):
            return kind
    return None


@dataclass(frozen=True)
class _InArchive:
    """The locator of a file inside an archive: the archive's source and its entry."""

    source: MediaSource
    entry: MediaEntry


class UnopenedArchiveError(MediaError):
    """An archive on the medium was not looked into: damaged, or past a limit. The
    message is the whole sentence, naming the archive."""


@dataclass(frozen=True)
class _Unopened:
    """The locator of an archive that was not looked into, and why (one sentence)."""

    reason: str


@dataclass
class _ArchiveBudget:
    """What one medium's archives have used so far, over every level."""

    archives: int = 0
    bytes: int = 0


class NestedSource:
    """A medium with the files inside its archives: every ZIP file and ISO image on it
    is listed as a folder of the same name (``Study download.zip/DICOM/IM0001``), so a
    DICOMDIR inside one resolves its File IDs there, and its files are read, imported
    and shown like any other.

    An archive that cannot be opened, or is past the limits (depth, count, size), stays
    listed as one file whose opening fails with the sentence that says why: scan and
    import report it as unreadable. Everything else is the wrapped source's.
    """

    def __init__(self, base: MediaSource, depth: int = 0,
                 budget: _ArchiveBudget | None = None, prefix: str = "") -> None:
        self.base = base
        self.kind = base.kind
        self.root_label = base.root_label
        self._depth = depth
        self._budget = budget if budget is not None else _ArchiveBudget()
        self._prefix = prefix  # the media path of the archive this one lists, and "/"
        self._entries: list[MediaEntry] | None = None
        self._unreadable: dict[str, str] = {}
        self._inner: list[MediaSource] = []
        self._spools: list[IO[bytes]] = []

    def entries(self) -> list[MediaEntry]:
        """The wrapped medium's files, each archive replaced by the files inside it."""
        if self._entries is None:
            base_entries = self.base.entries()
            paths = {e.path for e in base_entries}
            found: list[MediaEntry] = []
            for entry in base_entries:
                kind = None if entry.outside else archive_kind(entry.path)
                if kind is None:
                    found.append(entry)
                    continue
                opened = self._open_archive(entry, kind)
                if isinstance(opened, str):
                    found.append(replace(entry, locator=_Unopened(opened)))
                    continue
                found.extend(self._inside(entry, opened, paths, MAX_ENTRIES - len(found)))
            self._entries = found
        return self._entries

    def _inside(self, archive: MediaEntry, source: MediaSource, paths: set[str],
                room: int) -> Iterator[MediaEntry]:
        for folder, reason in source.unreadable_folders().items():
            inner = folder.strip("/")
            self._unreadable[f"{archive.path}/{inner}" if inner else archive.path] = reason
        for inner_entry in source.entries()[:max(0, room)]:
            path = f"{archive.path}/{inner_entry.path}"
            if path in paths:  # "a.zip" beside "a.zip/x" in a ZIP: the first one wins.
                continue
            paths.add(path)
            yield MediaEntry(path, inner_entry.size, archive.order, inner_entry.outside,
                             locator=_InArchive(source, inner_entry))

    def _open_archive(self, entry: MediaEntry, kind: str) -> "NestedSource | str":
        """The archive's files as a source, or the sentence saying why not."""
        name = self._prefix + entry.path
        if self._depth >= MAX_ARCHIVE_DEPTH:
            return (f"The archive {name} was not opened: it lies inside "
                    f"{MAX_ARCHIVE_DEPTH} other archives, deeper than Lightbox looks.")
        if self._budget.archives >= MAX_ARCHIVES:
            return (f"The archive {name} was not opened: Lightbox looks inside at most "
                    f"{MAX_ARCHIVES} archives on one disc.")
        if self._budget.bytes + entry.size > MAX_ARCHIVE_BYTES:
            return (f"The archive {name} was not opened: with the others on this disc it "
                    f"passes {_amount(MAX_ARCHIVE_BYTES)} of archives.")
        self._budget.archives += 1
        self._budget.bytes += entry.size
        try:
            if isinstance(self.base, FolderSource) and isinstance(entry.locator, str):
                source = _container(kind, Path(entry.locator), None)
            else:
                source = _container(kind, Path(entry.path), self._spool(entry))
        except SourceUnreadableError:
            return (f"The archive {name} could not be opened: it is not "
                    f"{_ARCHIVE_TITLES[kind]}; it may be damaged or incomplete.")
        except MediaError as exc:
            return f"The archive {name} could not be opened: {_reason(exc)}."
        except OSError as exc:
            reason = exc.strerror or _reason(exc)
            return f"The archive {name} could not be opened ({reason})."
        nested = NestedSource(source, self._depth + 1, self._budget, name + "/")
        self._inner.append(nested)
        return nested

    def _spool(self, entry: MediaEntry) -> IO[bytes]:
        """A seekable temporary copy of an archive held inside this medium."""
        if entry.size > MAX_SPOOL_BYTES:
            raise MediaError(f"it is larger than the {_amount(MAX_SPOOL_BYTES)} Lightbox "
                             "unpacks from inside another archive")
        # Kept open past this call: the archive is read from it until close().
        spool = tempfile.TemporaryFile(prefix="lightbox-archive-")  # noqa: SIM115
        try:
            copied = 0
            with self.base.open(entry) as stream:
                while chunk := stream.read(_SPOOL_CHUNK):
                    copied += len(chunk)
                    if copied > MAX_SPOOL_BYTES:
                        raise MediaError(
                            f"it unpacks to more than the {_amount(MAX_SPOOL_BYTES)} "
                            "Lightbox unpacks from inside another archive")
                    spool.write(chunk)
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        self._spools.append(spool)
        return spool

    def unreadable_folders(self) -> dict[str, str]:
        """The wrapped medium's unreadable folders and those inside its archives."""
        self.entries()
        return {**self.base.unreadable_folders(), **self._unreadable}

    def open(self, entry: MediaEntry) -> IO[bytes]:
        """Open a file of the medium or of one of its archives; an archive that was not
        looked into fails with the reason (:class:`UnopenedArchiveError`)."""
        locator = entry.locator
        if isinstance(locator, _InArchive):
            _refuse_outside(entry)
            return locator.source.open(locator.entry)
        if isinstance(locator, _Unopened):
            raise UnopenedArchiveError(locator.reason)
        return self.base.open(entry)

    def close(self) -> None:
        """Close the archives, their temporary copies, then the medium."""
        for inner in self._inner:
            with contextlib.suppress(*_ZIP_READ_ERRORS, *_ISO_READ_ERRORS, OSError):
                inner.close()
        for spool in self._spools:
            spool.close()
        self._inner.clear()
        self._spools.clear()
        self.base.close()


def _amount(size: int) -> str:
    if size >= 1024**3:
        return f"{size // 1024**3} GB"
    return f"{max(1, size // 1024**2)} MB"


def _container(kind: str, path: Path, stream: IO[bytes] | None) -> MediaSource:
    return IsoSource(path, stream) if kind == "iso" else ZipSource(path, stream)


def is_iso_image(path: Path) -> bool:
    """True when the file carries the ISO 9660 volume descriptor signature."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0x8001)
            return fh.read(5) == b"CD001"
    except OSError:
        return False


def _starts_with(path: Path, magic: bytes) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(magic)) == magic
    except OSError:
        return False


def is_directory_name(path: str) -> bool:
    """True for the names directory files go by: DICOMDIR (any case, ``;1``) or ``*.dcmdir``."""
    name = posixpath.basename(path).casefold().split(";")[0].rstrip(".")
    return name == "dicomdir" or name.endswith(".dcmdir")


def _is_directory_file(path: Path) -> bool:
    if is_directory_name(path.name):
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError:
        return False
    # The Media Storage Directory class UID sits in the file meta, near the start.
    return head[128:132] == b"DICM" and _DIRECTORY_CLASS.search(head) is not None


_DIRECTORY_CLASS = re.compile(rb"1\.2\.840\.10008\.1\.3\.10(?![0-9.])")


@dataclass
class OpenedMedium:
    """A medium ready to read, and what the user pointed at on it.

    ``directory`` is the media-relative path of a DICOMDIR the user named explicitly
    (then only that directory is followed); ``None`` means: find them by name.
    """

    source: MediaSource
    directory: str | None = None


def open_medium(path: Path) -> OpenedMedium:
    """Open whatever the user pointed at: folder, mount point, DICOMDIR, ISO, ZIP or file.

    The ZIP files and ISO images on it are looked into (:class:`NestedSource`). Raises
    :class:`SourceUnreadableError` with a plain sentence when it cannot be read.
    """
    medium = _open_container(path)
    return OpenedMedium(NestedSource(medium.source), medium.directory)


def _open_container(path: Path) -> OpenedMedium:
    try:
        is_dir = path.is_dir()
        exists = is_dir or path.is_file()
    except OSError as exc:
        raise SourceUnreadableError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if not exists:
        raise SourceUnreadableError(f"There is no disc, folder or file at {path}.")
    if is_dir:
        return OpenedMedium(FolderSource(path))
    suffix = path.suffix.lower()
    # A damaged container should be named as such, not scanned as one odd file.
    if is_iso_image(path) or suffix == ".iso":
        return OpenedMedium(IsoSource(path))
    if zipfile.is_zipfile(path) or suffix == ".zip" or _starts_with(path, b"PK\x03\x04"):
        return OpenedMedium(ZipSource(path))
    if not os.access(path, os.R_OK):
        raise SourceUnreadableError(f"Lightbox is not allowed to read {path}.")
    if _is_directory_file(path):
        return OpenedMedium(FolderSource(path.parent), directory=path.name)
    return OpenedMedium(FolderSource(path.parent, only=path.name))
