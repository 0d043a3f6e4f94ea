"""A copy as an ISO 9660 image, ready to burn on a CD or DVD (PS3.12 Annex F).

Every File ID component is an ISO 9660 level 1 name (``/DICOM/PAT00001/.../IMG00001.;1``,
no extension, version 1) and the Volume Identifier is the File-set ID, as PS3.12 F.1
asks. Joliet and Rock Ridge names are added too, so Windows, macOS and Linux show plain
names (``IMG00001``) rather than the ISO 9660 ones.

pycdlib lays the image out and writes it on ``finish``, reading the library's files
then: files are not copied twice. Files that must differ from the stored ones (with a
header put in front, or changed by a transform) are staged in a temporary folder beside
the image first. The writing runs on a worker thread so that the export can report its
progress, and stops at its next block when the export is cancelled.
"""

import contextlib
import io
import os
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pycdlib
from pycdlib.pycdlibexception import PyCdlibException

from app.core.errors import ExportError
from app.exporting.dicomdir import FILE_SET_ID
from app.exporting.target import Target, remove_quietly, rename_new_file
from app.exporting.writer import CHUNK

_FILE_MODE = 0o100444  # Rock Ridge: a plain file anyone may read
_FOLDER_MODE = 0o040555
_PROGRESS_EVERY_S = 0.1


class _Cancelled(Exception):
    """Raised inside pycdlib's progress callback to stop writing the image."""


class IsoWriter:
    """Lays out the copy as an ISO image; writes it on ``finish``."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._temp = target.make_temporary(folder=False)
        self._staging: Path | None = None
        self._folders: set[tuple[str, ...]] = set()
        self._iso = pycdlib.PyCdlib()
        self._iso.new(interchange_level=1, vol_ident=FILE_SET_ID, joliet=3,
                      rock_ridge="1.09", app_ident_str="LIGHTBOX")

    def add_file(self, file_id: Sequence[str], source: Path, size: int,
                 prefix: bytes = b"") -> int:
        """See MediaWriter.add_file."""
        if prefix:
            return self.add_bytes(file_id, prefix + source.read_bytes())
        self._add_folders(file_id)
        try:
            self._add(str(source), file_id)
        except PyCdlibException as exc:
            raise _iso_error(exc) from exc
        return size

    def add_bytes(self, file_id: Sequence[str], data: bytes) -> int:
        """See MediaWriter.add_bytes."""
        if self._staging is None:
            self._staging = self.target.make_temporary(folder=True)
        staged = self._staging / "_".join(file_id)
        with open(staged, "xb") as out:
            out.write(data)
        self._add_folders(file_id)
        try:
            self._add(str(staged), file_id)
        except PyCdlibException as exc:
            raise _iso_error(exc) from exc
        return len(data)

    def finish(self, dicomdir: bytes) -> Iterator[tuple[int, int]]:
        """See MediaWriter.finish: writes the image, yielding its progress."""
        iso_path, rr_name, joliet_path = _names(("DICOMDIR",))
        self._iso.add_fp(io.BytesIO(dicomdir), len(dicomdir), iso_path=iso_path,
                         rr_name=rr_name, joliet_path=joliet_path, file_mode=_FILE_MODE)
        yield from self._write_image()
        self._iso.close()
        self._remove_staging()
        rename_new_file(self._temp, self.target)

    def abort(self) -> None:
        """See MediaWriter.abort."""
        with contextlib.suppress(PyCdlibException, OSError):
            self._iso.close()
        self._remove_staging()
        remove_quietly(self._temp)

    def _remove_staging(self) -> None:
        if self._staging is not None:
            remove_quietly(self._staging)
            self._staging = None

    def _add(self, path: str, file_id: Sequence[str]) -> None:
        iso_path, rr_name, joliet_path = _names(file_id)
        self._iso.add_file(path, iso_path=iso_path, rr_name=rr_name, joliet_path=joliet_path,
                           file_mode=_FILE_MODE)

    def _add_folders(self, file_id: Sequence[str]) -> None:
        for depth in range(1, len(file_id)):
            folder = tuple(file_id[:depth])
            if folder not in self._folders:
                path = "/" + "/".join(folder)
                self._iso.add_directory(iso_path=path, rr_name=folder[-1], joliet_path=path,
                                        file_mode=_FOLDER_MODE)
                self._folders.add(folder)

    def _write_image(self) -> Iterator[tuple[int, int]]:
        """Run pycdlib's write on a worker thread; yield its progress here."""
        updates: queue.Queue[tuple[int, int] | None] = queue.Queue()
        cancel = threading.Event()
        failure: list[BaseException] = []
        last = [0.0]

        def progress(done: int, total: int, _opaque: object) -> None:
            if cancel.is_set():
                raise _Cancelled
            now = time.monotonic()
            if now - last[0] >= _PROGRESS_EVERY_S or done >= total:
                last[0] = now
                updates.put((done, total))

        def write() -> None:
            try:
                with open(self._temp, "r+b") as out:
                    self._iso.write_fp(out, blocksize=CHUNK, progress_cb=progress)
                    out.flush()
                    os.fsync(out.fileno())
            except BaseException as exc:  # Handed to the generator's thread.
                failure.append(exc)
            finally:
                updates.put(None)

        worker = threading.Thread(target=write, name="export-iso", daemon=True)
        worker.start()
        try:
            while (update := updates.get()) is not None:
                yield update
        finally:
            cancel.set()  # When the export is closed mid-way; harmless once done.
            worker.join()
        if failure and isinstance(failure[0], PyCdlibException):
            raise _iso_error(failure[0]) from failure[0]
        if failure:
            raise failure[0]


def _names(file_id: Sequence[str]) -> tuple[str, str, str]:
    """The ISO 9660 path, Rock Ridge name and Joliet path of a file."""
    return "/" + "/".join(file_id) + ".;1", file_id[-1], "/" + "/".join(file_id)


def _iso_error(exc: PyCdlibException) -> ExportError:
    return ExportError(f"The ISO image could not be laid out ({exc}); export as a folder "
                       "or a ZIP file instead.")
