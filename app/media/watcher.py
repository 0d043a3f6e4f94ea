"""Notice media being inserted and removed, and tell which new volumes hold DICOM.

On Linux the kernel marks ``/proc/self/mountinfo`` with ``POLLPRI``/``POLLERR`` as soon as
anything is mounted or unmounted, so the watcher sleeps in ``poll()`` on it and re-reads
the volume list when it fires. A slow re-list every few seconds stays on as a fallback,
and is all there is on macOS and Windows (or when the notifier cannot be set up).

Nothing here uses Qt: the GUI runs :meth:`MediaWatcher.watch` on a worker thread and turns
each :class:`MediaEvent` into a signal. Nothing is logged, because volume labels and file
names on a patient's disc can carry the patient's name.
"""

import math
import os
import select
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol

from app.media.volumes import MOUNTINFO_PATH, Volume, list_linux_volumes, list_volumes

# Linux has the mountinfo notifier; elsewhere there is nothing to open.
DEFAULT_MOUNTINFO: Path | None = MOUNTINFO_PATH if sys.platform.startswith("linux") else None
DEFAULT_INTERVAL = 5.0
# How long one wait inside watch() may last, so that a set stop event is seen promptly.
STOP_CHECK_SECONDS = 0.25

DICM_OFFSET = 128
DICM_MAGIC = b"DICM"
MAX_PROBED_FILES = 20
# Bounds on the quick look, so a stick with a huge tree answers in well under a second.
MAX_LISTED_DIRS = 64
MAX_ENTRIES_PER_DIR = 2000

# Files that come with the viewer programs clinics burn next to the images. Opening them
# would spend the probe budget without any chance of finding DICOM.
# fmt: off
_NOT_DICOM_SUFFIXES = frozenset({
    ".bat", ".bmp", ".cab", ".cfg", ".cmd", ".css", ".dll", ".exe", ".gif", ".htm", ".html",
    ".ico", ".inf", ".ini", ".jar", ".jpeg", ".jpg", ".js", ".json", ".lnk", ".msi", ".ocx",
    ".pdf", ".png", ".sys", ".txt", ".url", ".xml", ".zip",
})
# fmt: on
# Folders of the operating system or its indexers; often unreadable, never DICOM.
_SKIPPED_DIRS = frozenset({"system volume information", "$recycle.bin", "lost+found"})

MediaEventKind = Literal["inserted", "removed"]


@dataclass(frozen=True)
class MediaEvent:
    """A volume appeared or went away.

    ``has_dicom`` is the result of the quick look (:func:`has_dicom`) made when the volume
    appeared; a removed volume carries the value it had then (``False`` if never looked at).
    """

    kind: MediaEventKind
    volume: Volume
    has_dicom: bool


class DirEntryLike(Protocol):
    """The part of :class:`os.DirEntry` that the quick look uses."""

    @property
    def name(self) -> str: ...

    @property
    def path(self) -> str: ...

    def is_dir(self, *, follow_symlinks: bool = True) -> bool: ...

    def is_file(self, *, follow_symlinks: bool = True) -> bool: ...


ListDir = Callable[[str], Iterable[DirEntryLike]]
ReadHead = Callable[[str, int], bytes]


def _list_dir(path: str) -> list[DirEntryLike]:
    entries: list[DirEntryLike] = []
    with os.scandir(path) as it:
        for entry in it:
            entries.append(entry)
            if len(entries) >= MAX_ENTRIES_PER_DIR:
                break
    return entries


def _read_head(path: str, size: int) -> bytes:
    # Unbuffered, so exactly one small read is asked of the drive.
    with open(path, "rb", buffering=0) as f:
        return f.read(size)


def is_dicomdir_name(name: str) -> bool:
    """Whether a file name is a DICOMDIR as burners write it.

    Any case, with the ISO 9660 ``;1`` version suffix or a trailing dot, or a
    ``*.dcmdir`` file.
    """
    upper = name.upper()
    if upper.endswith(";1"):
        upper = upper[:-2]
    upper = upper.rstrip(".")
    return upper == "DICOMDIR" or (upper.endswith(".DCMDIR") and len(upper) > len(".DCMDIR"))


def _worth_probing(entry: DirEntryLike) -> bool:
    suffix = os.path.splitext(entry.name)[1].lower()
    return not entry.name.startswith(".") and suffix not in _NOT_DICOM_SUFFIXES


def _worth_entering(entry: DirEntryLike) -> bool:
    name = entry.name
    return not name.startswith((".", "$")) and name.lower() not in _SKIPPED_DIRS


class _QuickLook:
    """One bounded look at a volume: at most a few listings and a few 132-byte reads."""

    def __init__(self, list_dir: ListDir, read_head: ReadHead, max_files: int) -> None:
        self._list_dir = list_dir
        self._read_head = read_head
        self._probes_left = max_files
        self._listings_left = MAX_LISTED_DIRS

    def listing(self, path: str) -> tuple[list[DirEntryLike], list[DirEntryLike]]:
        """Regular files and folders of one folder, by name; empty if unreadable."""
        if self._listings_left <= 0:
            return [], []
        self._listings_left -= 1
        files, dirs = [], []
        try:
            for entry in sorted(self._list_dir(path), key=lambda e: e.name):
                # Symbolic links are never followed: one to a FIFO would block open().
                if entry.is_file(follow_symlinks=False):
                    files.append(entry)
                elif entry.is_dir(follow_symlinks=False) and _worth_entering(entry):
                    dirs.append(entry)
        except OSError:
            return [], []
        return files, dirs

    def has_magic(self, files: list[DirEntryLike]) -> bool:
        """Whether one of the files (within the probe budget) starts like DICOM Part 10."""
        for entry in files:
            if self._probes_left <= 0:
                return False
            if not _worth_probing(entry):
                continue
            self._probes_left -= 1
            try:
                head = self._read_head(entry.path, DICM_OFFSET + len(DICM_MAGIC))
            except OSError:
                continue
            if head[DICM_OFFSET:] == DICM_MAGIC:
                return True
        return False


def _has_dicomdir(files: Iterable[DirEntryLike]) -> bool:
    return any(is_dicomdir_name(entry.name) for entry in files)


def has_dicom(
    root: Path,
    *,
    max_files: int = MAX_PROBED_FILES,
    list_dir: ListDir = _list_dir,
    read_head: ReadHead = _read_head,
) -> bool:
    """Cheaply tell whether a volume holds DICOM media; never raises ``OSError``.

    True when a DICOMDIR (see :func:`is_dicomdir_name`) sits in the root or one folder
    below; failing that, when one of the first ``max_files`` files at most two folders
    deep has ``DICM`` at byte 128. Only 132 bytes of each such file are read, so a full
    CD answers in a few seeks. Unreadable volumes and folders count as holding nothing.
    ``list_dir`` and ``read_head`` are there for tests.
    """
    look = _QuickLook(list_dir, read_head, max_files)
    try:
        return _look_for_dicom(look, str(root))
    except OSError:
        return False


def _look_for_dicom(look: _QuickLook, root: str) -> bool:
    root_files, root_dirs = look.listing(root)
    if _has_dicomdir(root_files):
        return True
    level1 = [look.listing(d.path) for d in root_dirs]
    if any(_has_dicomdir(files) for files, _ in level1):
        return True
    if look.has_magic(root_files):
        return True
    if any(look.has_magic(files) for files, _ in level1):
        return True
    for _, dirs in level1:
        for folder in dirs:
            files, _ = look.listing(folder.path)
            if look.has_magic(files):
                return True
    return False


class _Notifier(Protocol):
    def wait(self, timeout: float) -> bool: ...

    def close(self) -> None: ...


if sys.platform != "win32":

    class _MountNotifier:
        """``poll()`` on the open mountinfo file: fires at once on mount and unmount."""

        def __init__(self, path: Path) -> None:
            self._fd = os.open(path, os.O_RDONLY)
            try:
                self._poller = select.poll()
                # POLLIN is always ready on this file; only PRI/ERR say "the table changed".
                self._poller.register(self._fd, select.POLLPRI | select.POLLERR)
            except BaseException:
                os.close(self._fd)
                raise

        def wait(self, timeout: float) -> bool:
            """Block up to ``timeout`` seconds; True if the mount table changed."""
            # The kernel clears the mark as it reports it, so nothing needs re-reading.
            # Rounding up keeps a sub-millisecond remainder from becoming a busy poll(0).
            return bool(self._poller.poll(max(0, math.ceil(timeout * 1000))))

        def close(self) -> None:
            """Close the file descriptor."""
            os.close(self._fd)

    def _open_notifier(path: Path | None) -> _Notifier | None:
        if path is None:
            return None
        try:
            return _MountNotifier(path)
        except OSError:
            return None  # No /proc (a sandbox, another Unix): re-listing alone will do.

else:

    def _open_notifier(path: Path | None) -> _Notifier | None:
        return None  # Windows has no mount table to poll: re-listing does it all.


class MediaWatcher:
    """Report volumes that appear and disappear, and whether new ones hold DICOM.

    ``mountinfo_path`` is the file the Linux notifier watches (``None``: no notifier) and,
    unless ``list_volumes`` is given, the mount table that is read. ``probe`` tells
    whether a mount point holds DICOM. Volumes present at construction are the baseline
    and are not reported, unless ``report_existing`` is set. Use it from one thread;
    :meth:`close` (or ``with``) releases the notifier.
    """

    def __init__(
        self,
        *,
        mountinfo_path: Path | None = DEFAULT_MOUNTINFO,
        list_volumes: Callable[[], Iterable[Volume]] | None = None,
        probe: Callable[[Path], bool] = has_dicom,
        report_existing: bool = False,
    ) -> None:
        self._list_volumes = list_volumes or _default_lister(mountinfo_path)
        self._probe = probe
        self._notifier: _Notifier | None = _open_notifier(mountinfo_path)
        # None until the first successful listing, which becomes the silent baseline.
        # With report_existing the baseline is empty, so the first check reports all.
        self._known: dict[Volume, bool] | None = {} if report_existing else None
        if not report_existing:
            self._sync()

    @property
    def uses_notifier(self) -> bool:
        """Whether changes are noticed at once (Linux) rather than by re-listing only."""
        return self._notifier is not None

    @property
    def volumes(self) -> list[Volume]:
        """The volumes seen at the last check, sorted by mount point."""
        return sorted(self._known or {})

    def check_now(self) -> list[MediaEvent]:
        """Re-list the volumes now and return what changed since the last check.

        Removals come first, then insertions, each sorted by mount point. If the list of
        volumes cannot be read, nothing is reported and the last one is kept.
        """
        return self._sync()

    def poll_changes(self, timeout: float) -> list[MediaEvent]:
        """Wait up to ``timeout`` seconds for a mount-table change, then :meth:`check_now`.

        With the notifier this returns as soon as something is mounted or unmounted;
        without it, it waits the full ``timeout``.
        """
        if self._notifier is not None:
            self._notifier.wait(timeout)
        else:
            time.sleep(max(0.0, timeout))
        return self.check_now()

    def watch(
        self, stop: threading.Event, interval: float = DEFAULT_INTERVAL
    ) -> Iterator[MediaEvent]:
        """Yield events until ``stop`` is set.

        Re-lists when the notifier fires and at least every ``interval`` seconds. Every
        wait is bounded, so setting ``stop`` ends the loop within a fraction of a second
        (or after the quick look at a new volume, if one is running).
        """
        if interval <= 0:
            raise ValueError("The media check interval must be a positive number of seconds.")
        next_check = time.monotonic() + interval
        while not stop.is_set():
            changed = self._wait(next_check - time.monotonic(), stop)
            if stop.is_set():
                return
            if changed or time.monotonic() >= next_check:
                yield from self.check_now()
                next_check = time.monotonic() + interval

    def close(self) -> None:
        """Release the notifier; the watcher can still be used by re-listing."""
        if self._notifier is not None:
            self._notifier.close()
            self._notifier = None

    def __enter__(self) -> "MediaWatcher":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _wait(self, seconds: float, stop: threading.Event) -> bool:
        if seconds <= 0:
            return False
        if self._notifier is None:
            stop.wait(seconds)
            return False
        # poll() cannot also wait on the event, so wait in short slices.
        return self._notifier.wait(min(seconds, STOP_CHECK_SECONDS))

    def _sync(self) -> list[MediaEvent]:
        try:
            current = set(self._list_volumes())
        except OSError:
            return []
        if self._known is None:
            self._known = dict.fromkeys(current, False)
            return []
        return self._diff(self._known, current)

    def _diff(self, known: dict[Volume, bool], current: set[Volume]) -> list[MediaEvent]:
        events = [
            MediaEvent("removed", volume, known.pop(volume))
            for volume in sorted(known.keys() - current)
        ]
        for volume in sorted(current - known.keys()):
            found = self._probe(volume.mount_point)
            known[volume] = found
            events.append(MediaEvent("inserted", volume, found))
        return events


def _default_lister(mountinfo_path: Path | None) -> Callable[[], Iterable[Volume]]:
    if mountinfo_path is None:
        return list_volumes
    return partial(list_linux_volumes, mountinfo_path)
