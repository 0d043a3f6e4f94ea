"""The images of the Measurements list when the study's files are not on disk (inside an
ISO or a ZIP file): answered from what the viewer has already read, the rest read on the
viewer session's loader thread (which holds the medium open). The rules are in
app.services.viewer_images; this only carries the jobs and their answers.
"""

from functools import partial
from typing import TYPE_CHECKING

from pydicom.dataset import Dataset
from PySide6.QtCore import QObject

from app.core.models import InstanceRef
from app.gui.session import ViewerSession
from app.imaging.render import PreparedFrame
from app.services.viewer_images import ViewerImages, read_measured_image
from app.services.viewing import LoadedFrame

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

JOB = "measure:"


class MeasurementImages(QObject):
    """Makes the list's ImageSource for the study open in ``window``'s viewer."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self.images: ViewerImages | None = None
        self._loader: ViewerSession | None = None
        self._jobs: dict[str, tuple[ViewerImages, str, int]] = {}
        self._count = 0

    def source(self, instances: list[InstanceRef]) -> ViewerImages:
        """A new ImageSource over ``instances`` (the viewer session's list, which may still
        grow; the previous source's answers are dropped);
        rows waiting for an image are measured again when it comes."""
        window = self.window
        cache = window.viewer.cache
        images = ViewerImages(
            lambda uid: next((r for r in instances if r.sop_instance_uid == uid), None),
            known_header=window.annotation_session.known_header,
            known_frame=lambda ref, frame: _frame(cache.get((ref.path, frame))))
        images.wanted.connect(lambda wanted: self._read(images, *wanted))
        images.arrived.connect(
            lambda _key: window.measurement_panel.model.images_arrived()
            if window.measurement_panel.model.images is images else None)
        self.images = images
        self._jobs = {}
        return images

    def _read(self, images: ViewerImages, instance: InstanceRef, frame: int) -> None:
        loader = self.window.session
        if loader is None:
            images.fail(instance.sop_instance_uid, frame, "The disc is no longer open.")
            return
        if loader is not self._loader:
            self._loader = loader
            loader.job_done.connect(self._done)
            loader.job_failed.connect(self._failed)
        self._count += 1
        name = f"{JOB}{self._count}"
        self._jobs[name] = (images, instance.sop_instance_uid, frame)
        loader.run(name, partial(read_measured_image, path=instance.path, frame=frame))

    def _done(self, name: str, result: object) -> None:
        job = self._jobs.pop(name, None) if name.startswith(JOB) else None
        if job is None:
            return
        images, uid, frame = job
        if isinstance(result, tuple) and isinstance(result[0], Dataset):
            images.supply(uid, frame, result[0], result[1])

    def _failed(self, name: str, message: str) -> None:
        job = self._jobs.pop(name, None) if name.startswith(JOB) else None
        if job is not None:
            images, uid, frame = job
            images.fail(uid, frame, message)


def _frame(loaded: LoadedFrame | None) -> PreparedFrame | None:
    """The prepared frame of a cached LoadedFrame (None when not cached)."""
    return loaded.frame if loaded is not None else None
