"""A copy as a folder: the ``DICOM`` tree and the ``DICOMDIR`` beside it.

Files are copied and flushed to the disk (fsync) by a few worker threads while the export
reads the next headers: both wait on the disk or the kernel, not on Python. A USB stick
or a network share reports a full disk or a write error only when flushed, and the copy
must not be called whole before. The folder is renamed into place last.
"""

import errno
import os
import shutil
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from app.exporting.target import Target, fsync_path, remove_quietly
from app.exporting.writer import CHUNK, MAX_PENDING, open_source

WORKERS = 4  # copying and fsync wait on the disk: a few overlap well even on 2 cores
TOP_ENTRIES = ("DICOM", "DICOMDIR")  # DICOMDIR last: a reader sees a whole File-set


class FolderWriter:
    """Writes the copy into a temporary folder (see ``app.exporting.target``)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._temp = target.make_temporary(folder=True)
        self._folders: set[Path] = {self._temp}
        self._workers = ThreadPoolExecutor(WORKERS, thread_name_prefix="export-copy")
        self._pending: deque[Future[None]] = deque()

    def add_file(self, file_id: Sequence[str], source: Path, size: int,
                 prefix: bytes = b"") -> int:
        """See MediaWriter.add_file."""
        self._submit(_copy_and_flush, source, self._path(file_id), prefix)
        return len(prefix) + size

    def add_bytes(self, file_id: Sequence[str], data: bytes) -> int:
        """See MediaWriter.add_bytes."""
        self._submit(_write_and_flush, self._path(file_id), data)
        return len(data)

    def finish(self, dicomdir: bytes) -> Iterator[tuple[int, int]]:
        """See MediaWriter.finish."""
        _write_and_flush(self._temp / "DICOMDIR", dicomdir)
        self._collect(0)  # The first copy that failed raises its error here.
        self._workers.shutdown()
        for folder in sorted(self._folders, key=lambda p: len(p.parts), reverse=True):
            fsync_path(folder)
        self._put_in_place()
        yield from ()  # Nothing to pack: the files are in place already.

    def abort(self) -> None:
        """See MediaWriter.abort."""
        self._workers.shutdown(wait=True, cancel_futures=True)
        remove_quietly(self._temp)

    def _submit(self, work: Callable[..., None], *args: object) -> None:
        self._pending.append(self._workers.submit(work, *args))
        self._collect(MAX_PENDING)

    def _collect(self, keep: int) -> None:
        """Wait until at most ``keep`` files are pending; raise the first failure."""
        while self._pending and (len(self._pending) > keep or self._pending[0].done()):
            self._pending.popleft().result()

    def _path(self, file_id: Sequence[str]) -> Path:
        path = self._temp.joinpath(*file_id)
        folder = path.parent
        if folder not in self._folders:
            folder.mkdir(parents=True, exist_ok=True)
            # Every new folder's entry must reach the disk too (synced in finish).
            while folder not in self._folders:
                self._folders.add(folder)
                folder = folder.parent
        return path

    def _put_in_place(self) -> None:
        out = self.target.out
        if not self.target.exists_empty:
            os.rename(self._temp, out)  # Fails (never replaces) if out filled up meanwhile.
            fsync_path(out.parent)
            return
        moved: list[str] = []
        try:
            for name in TOP_ENTRIES:
                if os.path.lexists(out / name):
                    raise FileExistsError(f"{out / name} appeared while the copy was written")
                os.rename(self._temp / name, out / name)
                moved.append(name)
        except BaseException:
            for name in reversed(moved):  # Back into the temporary folder, removed by abort.
                os.rename(out / name, self._temp / name)
            raise
        os.rmdir(self._temp)
        fsync_path(out)


def _copy_and_flush(source: Path, path: Path, prefix: bytes) -> None:
    with open_source(source) as src, open(path, "xb") as dst:
        dst.write(prefix)
        dst.flush()  # The kernel copy writes at the descriptor's position.
        if not _kernel_copy(src.fileno(), dst.fileno()):
            shutil.copyfileobj(src, dst, CHUNK)
            dst.flush()
        os.fsync(dst.fileno())


def _kernel_copy(source: int, destination: int) -> bool:
    """Copy with sendfile (no trip through Python, as fast as cp); False when this
    system cannot (sendfile to a file is Linux's), before anything was copied."""
    if not hasattr(os, "sendfile"):
        return False  # Windows
    offset = 0
    size = os.fstat(source).st_size
    while offset < size:
        try:
            sent = os.sendfile(destination, source, offset, min(size - offset, 1 << 30))
        except OSError as exc:
            if offset == 0 and exc.errno in (errno.EINVAL, errno.ENOSYS, errno.ENOTSOCK,
                                             errno.ENOTSUP):
                return False
            raise
        if sent == 0:
            break  # The file shrank while being copied: what was there is copied.
        offset += sent
    return True


def _write_and_flush(path: Path, data: bytes) -> None:
    with open(path, "xb") as dst:
        dst.write(data)
        dst.flush()
        os.fsync(dst.fileno())
