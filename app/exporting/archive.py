"""A copy as one ZIP file holding the ``DICOM`` tree and the ``DICOMDIR``.

A single worker thread writes the members in order while the export reads the next
headers. Members are stored, not deflated: compressed transfer syntaxes (JPEG, JPEG 2000, RLE...)
do not shrink further; uncompressed CT and MR would shrink by about half, but deflating
runs at tens of MB/s on a laptop core (a 2 GB study: a minute or more, and as long again
for whoever unpacks it), against a copy that otherwise runs at disk speed. Stored members
can also be read in place by viewers that open ZIP files without unpacking them. ZIP64 is
used when the archive or a member passes 4 GB.
"""

import contextlib
import shutil
import time
import zipfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from app.exporting.target import Target, fsync_path, remove_quietly, rename_new_file
from app.exporting.writer import CHUNK, MAX_PENDING, open_source

_FILE_MODE = 0o100644  # a plain file anyone may read once unpacked


class ZipWriter:
    """Writes the copy into a temporary ZIP file beside ``target.out``."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._temp = target.make_temporary(folder=False)
        self._zip: zipfile.ZipFile | None = zipfile.ZipFile(
            self._temp, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self._when = time.localtime()[:6]
        # One thread: members are written one after the other into one file.
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="export-zip")
        self._pending: deque[Future[object]] = deque()

    def _info(self, file_id: Sequence[str], size: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo("/".join(file_id), date_time=self._when)
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = _FILE_MODE << 16
        # Known in advance, so zipfile writes ZIP64 headers for a member past 4 GB.
        info.file_size = size
        return info

    def _submit(self, work: Callable[..., object], *args: object) -> None:
        self._pending.append(self._worker.submit(work, *args))
        self._collect(MAX_PENDING)

    def _collect(self, keep: int) -> None:
        """Wait until at most ``keep`` members are pending; raise the first failure."""
        while self._pending and (len(self._pending) > keep or self._pending[0].done()):
            self._pending.popleft().result()

    def _copy_member(self, info: zipfile.ZipInfo, source: Path, prefix: bytes) -> None:
        with open_source(source) as src, self._archive().open(info, "w") as dst:
            dst.write(prefix)
            shutil.copyfileobj(src, dst, CHUNK)

    def _archive(self) -> zipfile.ZipFile:
        assert self._zip is not None, "the ZIP file is closed"
        return self._zip

    def add_file(self, file_id: Sequence[str], source: Path, size: int,
                 prefix: bytes = b"") -> int:
        """See MediaWriter.add_file."""
        size += len(prefix)
        self._submit(self._copy_member, self._info(file_id, size), source, prefix)
        return size

    def add_bytes(self, file_id: Sequence[str], data: bytes) -> int:
        """See MediaWriter.add_bytes."""
        self._submit(self._archive().writestr, self._info(file_id, len(data)), data)
        return len(data)

    def finish(self, dicomdir: bytes) -> Iterator[tuple[int, int]]:
        """See MediaWriter.finish."""
        self.add_bytes(("DICOMDIR",), dicomdir)
        self._collect(0)
        self._worker.shutdown()
        self._archive().close()
        self._zip = None
        fsync_path(self._temp)
        rename_new_file(self._temp, self.target)
        yield from ()  # Nothing to pack: the members are written already.

    def abort(self) -> None:
        """See MediaWriter.abort."""
        self._worker.shutdown(wait=True, cancel_futures=True)
        if self._zip is not None:
            # The file is removed next: the state it is closed in does not matter.
            with contextlib.suppress(OSError, ValueError, zipfile.BadZipFile):
                self._zip.close()
            self._zip = None
        remove_quietly(self._temp)

