"""Watch for inserted discs and USB sticks holding DICOM, off the UI thread."""

import threading

from PySide6.QtCore import QObject, Signal

from app.services.media_watch import inserted_media

CHECK_INTERVAL_S = 5.0


class MediaMonitor(QObject):
    """Emits ``inserted`` with the mount point of each new volume that holds DICOM."""

    inserted = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lightbox-media", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for mount_point in inserted_media(self._stop, CHECK_INTERVAL_S):
                self.inserted.emit(mount_point)
        except (OSError, RuntimeError):
            return  # No way to watch here (or the window is gone): the menus still work.

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
