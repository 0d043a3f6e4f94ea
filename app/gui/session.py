"""One opened medium in the viewer: its reader, its loader thread and what is known.

The session turns the viewer's wishes (this slice, these neighbours, a thumbnail per
series) into loader jobs and the loader's results into signals. Nothing here touches a
widget, and nothing on the UI thread reads a file.
"""

from collections.abc import Callable, Hashable
from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from app.core.models import NO_IMAGE_PROBLEMS, InstanceRef, PatientNode, Problem, SeriesNode
from app.gui.loader import BackgroundLoader, Job
from app.imaging.frame_cache import FrameCache
from app.imaging.slices import Slice
from app.services.viewing import (
    Document,
    LoadedFrame,
    MediumReader,
    OpenedDisc,
    enrich,
    tree_of,
)

THUMBNAIL_SIZE = 64
TREE_REFRESH_MS = 250


class ViewerSession(QObject):
    """Reads one medium in the background and reports what it finds."""

    opened = Signal(object)  # OpenedDisc
    open_failed = Signal(str)
    tree_changed = Signal(object)  # tuple[PatientNode, ...]
    frame_loaded = Signal(object, object)  # (path, frame), LoadedFrame
    frame_failed = Signal(object, str)  # (path, frame), message
    thumbnail_loaded = Signal(str, object)  # series UID, uint8 array
    identified = Signal(int, int)  # files identified so far, files to identify
    dataset_loaded = Signal(str, object)  # path, pydicom Dataset
    document_loaded = Signal(str, object)  # path, Document
    request_failed = Signal(str)  # a tag or report request that failed: one sentence
    presentation_state_loaded = Signal(str, object)  # path, PresentationState
    presentation_state_failed = Signal(str, str)  # path, one sentence
    problems_changed = Signal(object)  # tuple[Problem, ...]: all found so far
    job_done = Signal(str, object)  # a run() job's name, its result
    job_failed = Signal(str, str)  # a run() job's name, one sentence

    def __init__(
        self,
        path: Path,
        cache: FrameCache[tuple[str, int], LoadedFrame],
        known: tuple[InstanceRef, ...] = (),
    ) -> None:
        super().__init__()
        self.path = path
        self.cache = cache
        self.reader = MediumReader(path, known)
        self.instances: list[InstanceRef] = []
        self.patients: tuple[PatientNode, ...] = ()
        self.disc: OpenedDisc | None = None
        self.problems: list[Problem] = []  # the directories', then each identified file's
        self.thumbnails: dict[str, np.ndarray] = {}
        self._identified = 0
        self._to_identify = 0
        self._learned: set[str] = set()
        self._judged: set[str] = set()  # listed files judged after their image failed
        self._tree_timer = QTimer(self)
        self._tree_timer.setSingleShot(True)
        self._tree_timer.setInterval(TREE_REFRESH_MS)
        self._tree_timer.timeout.connect(self._publish_tree)
        self.loader = BackgroundLoader(self._is_done)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self.loader.add_urgent((("open",), self.reader.open))

    # -- requests ------------------------------------------------------------------------
    def want_frames(self, slices: list[Slice]) -> None:
        """Load these frames, first one first; replaces the previous wish list. Frames
        already in the cache are not asked for: scrolling through decoded frames then
        does not wake the loader thread at every step."""
        self.loader.want(self._frame_jobs(slices))

    def prefetch_frames(self, slices: list[Slice]) -> None:
        """Load these frames (those not in the cache) when nothing more urgent waits."""
        jobs = self._frame_jobs(slices)
        if jobs:
            self.loader.add_background(jobs)

    def _frame_jobs(self, slices: list[Slice]) -> list[Job]:
        return [self._frame_job(s) for s in slices if s.key not in self.cache]

    def want_thumbnails(self, series: list[SeriesNode]) -> None:
        jobs: list[Job] = []
        for node in series:
            if node.series_instance_uid in self.thumbnails:
                continue
            ref = node.instances[len(node.instances) // 2]
            load = partial(self.reader.thumbnail, ref.path, 0, THUMBNAIL_SIZE)
            jobs.append((("thumb", node.series_instance_uid, ref.path), load))
        self.loader.add_background(jobs)

    def want_dataset(self, path: str) -> None:
        self.loader.add_urgent((("dataset", path), partial(self.reader.dataset, path)))

    def want_document(self, ref: InstanceRef) -> None:
        load = partial(self.reader.document, ref.path, ref.sop_class_uid, ref.modality)
        self.loader.add_urgent((("document", ref.path), load))

    def want_presentation_states(self, refs: list[InstanceRef]) -> None:
        """Read these presentation states (GSPS) when no frame is waiting."""
        self.loader.add_background([
            (("pstate", ref.path), partial(self.reader.presentation_state, ref.path))
            for ref in refs])

    def run(self, name: str, work: Callable[[MediumReader], object]) -> None:
        """Run ``work(reader)`` on the loader thread (between frames); ``job_done`` or
        ``job_failed`` tells ``name`` and how it went."""
        self.loader.add_urgent((("job", name), partial(work, self.reader)))

    def _frame_job(self, item: Slice) -> Job:
        path, frame = item.key
        return (("frame", path, frame), partial(self.reader.load_frame, path, frame))

    def close(self) -> None:
        """Stop the loader thread, then close the medium (no job is running any more)."""
        self._tree_timer.stop()
        self.loader.stop()
        self.reader.close()

    # -- results -------------------------------------------------------------------------
    def _is_done(self, key: Hashable) -> bool:
        assert isinstance(key, tuple)
        if key[0] == "frame":
            return (key[1], key[2]) in self.cache
        if key[0] == "thumb":
            return key[1] in self.thumbnails
        return False

    def _on_loaded(self, key: tuple[object, ...], result: object) -> None:
        kind = key[0]
        if kind == "open":
            assert isinstance(result, OpenedDisc)
            self._on_opened(result)
        elif kind == "identify":
            self._identified += 1
            if isinstance(result, InstanceRef):
                self.instances.append(result)
                if self.patients:
                    self._tree_timer.start()  # Batch the refreshes of a growing tree.
                else:
                    self._publish_tree()  # The first image must not wait.
            elif isinstance(result, Problem):
                self.problems.append(result)
            self.problems_changed.emit(tuple(self.problems))
            self.identified.emit(self._identified, self._to_identify)
        elif kind == "frame":
            assert isinstance(result, LoadedFrame)
            frame_key = (str(key[1]), int(str(key[2])))
            self.cache.put(frame_key, result)
            self._learn_from(result.instance)
            self.frame_loaded.emit(frame_key, result)
        elif kind == "thumb":
            assert isinstance(result, tuple)
            pixels, instance = result
            self.thumbnails[str(key[1])] = pixels
            self._learn_from(instance)
            self.thumbnail_loaded.emit(str(key[1]), pixels)
        elif kind == "dataset":
            self.dataset_loaded.emit(str(key[1]), result)
        elif kind == "document":
            assert isinstance(result, Document)
            self.document_loaded.emit(str(key[1]), result)
        elif kind == "pstate":
            self.presentation_state_loaded.emit(str(key[1]), result)
        elif kind == "job":
            self.job_done.emit(str(key[1]), result)
        elif (kind == "judge" and isinstance(result, Problem)
              and all(p.path != result.path for p in self.problems)):
            self.problems.append(result)
            self.problems_changed.emit(tuple(self.problems))
            if result.problem in NO_IMAGE_PROBLEMS:
                # No image in it: the tree counts what the scan counts, without it.
                self.instances = [i for i in self.instances if i.path != result.path]
                self._tree_timer.start()

    def _on_failed(self, key: tuple[object, ...], message: str) -> None:
        kind = key[0]
        if kind == "open":
            self.open_failed.emit(message)
        elif kind == "frame":
            self._judge(str(key[1]))
            self.frame_failed.emit((str(key[1]), int(str(key[2]))), message)
        elif kind == "thumb":
            self._judge(str(key[2]))
        elif kind == "identify":
            self._identified += 1
            self.identified.emit(self._identified, self._to_identify)
        elif kind in ("dataset", "document"):
            self.request_failed.emit(message)
        elif kind == "pstate":
            self.presentation_state_failed.emit(str(key[1]), message)
        elif kind == "job":
            self.job_failed.emit(str(key[1]), message)

    def _judge(self, path: str) -> None:
        """A file's image could not be shown: a disc trusts its directory's list until
        then, so have the file judged as ``lightbox scan`` judges it (once), and a listed
        file that is not DICOM or is damaged joins the problems the window tells."""
        if (self.reader.is_library or path in self._judged
                or any(p.path == path for p in self.problems)):
            return
        self._judged.add(path)
        self.loader.add_background([(("judge", path), partial(self.reader.judge_listed, path))])

    def _on_opened(self, disc: OpenedDisc) -> None:
        self.disc = disc
        self.instances = list(disc.listed)
        self.problems = list(disc.problems)
        if self.problems:
            self.problems_changed.emit(tuple(self.problems))
        self.opened.emit(disc)
        self._publish_tree()
        # Files the directories do not list are identified after, in disc order.
        self._to_identify = len(disc.unlisted)
        self.loader.add_background(
            [(("identify", path), partial(self.reader.identify, path)) for path in disc.unlisted]
        )

    def _learn_from(self, header: InstanceRef) -> None:
        """A header was read: fill the tree's gaps (series descriptions...) from it."""
        if header.series_instance_uid in self._learned:
            return
        self._learned.add(header.series_instance_uid)
        if enrich(self.instances, header):
            self._tree_timer.start()

    def _publish_tree(self) -> None:
        self.patients = tree_of(self.instances)
        self.tree_changed.emit(self.patients)
