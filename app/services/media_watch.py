"""Inserted discs and USB sticks that hold DICOM, as the GUI's "disc inserted" offer wants
them: mount points, one at a time, until told to stop."""

import threading
from collections.abc import Iterator

DEFAULT_INTERVAL_S = 5.0


def inserted_media(stop: threading.Event, interval: float = DEFAULT_INTERVAL_S) -> Iterator[str]:
    """Yield the mount point of each newly inserted volume that holds DICOM, until ``stop``
    is set. Raises OSError or RuntimeError when this system offers no way to watch."""
    from app.media.watcher import MediaWatcher

    with MediaWatcher() as watcher:
        for event in watcher.watch(stop, interval=interval):
            if event.kind == "inserted" and event.has_dicom:
                yield str(event.volume.mount_point)
