"""The viewer model: what one viewer shows and the rules for moving through it, without Qt.

A :class:`ViewerModel` holds the open source, the patient/study/series tree, the current
series and frame, the viewport state, cine, the shared privacy state, the overlay text and
the window choices. Widgets call its methods and redraw on its events. It reads no file:
it says which frames and reports it wants (``frames_wanted``, ``frames_prefetch``,
``document_wanted``) and the GUI's loader answers with :meth:`ViewerModel.frame_loaded`.
Several models may live side by side (one per viewer); nothing here is module state.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from app.core.models import InstanceRef, PatientNode, SeriesNode
from app.core.observable import Event
from app.imaging.frame_cache import FrameCache
from app.imaging.orientation import markers_for_view
from app.imaging.presets import WindowChoice, window_choices
from app.imaging.render import GreyFrame
from app.imaging.slices import SeriesSlices, Slice
from app.imaging.viewport import MAX_ZOOM, MIN_ZOOM, ViewportState
from app.services.privacy import Privacy
from app.services.viewer_overlay import overlay_of
from app.services.viewer_text import (
    Markers,
    Overlay,
    display_name,
    is_document,
    series_document_kind,
    shown_series,
)
from app.services.viewing import LoadedFrame

SourceKind = Literal["medium", "library"]
PREFETCH_AHEAD = 8
PAGE_STEP = 10
MIN_FPS, MAX_FPS = 1, 60
DEFAULT_CACHE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class OpenSource:
    """What a viewer has open: a medium (disc, folder, ISO, ZIP, file) or a library study."""

    kind: SourceKind
    path: Path
    study_instance_uid: str = ""

    @property
    def label(self) -> str:
        """How the window title names it when it may not name the patient."""
        if self.kind == "library":
            return "library"
        return self.path.name or str(self.path)


def default_series(patients: tuple[PatientNode, ...]) -> SeriesNode | None:
    """The series to show first: the largest image series of the first study (its first
    series when the study holds only reports)."""
    for patient in patients:
        for study in patient.studies:
            shown = shown_series(study.series)
            images = [s for s in shown if not is_document(s)]
            if images:
                return max(images, key=lambda s: len(s.instances))
            if shown:
                return shown[0]
    return None


def all_series(patients: tuple[PatientNode, ...]) -> list[SeriesNode]:
    """Every series shown, in tree order (the order of next/previous series)."""
    return shown_series([s for p in patients for st in p.studies for s in st.series])


class ViewerModel:
    """One viewer's state and rules; see the module docstring."""

    def __init__(
        self,
        privacy: Privacy | None = None,
        cache: FrameCache[tuple[str, int], LoadedFrame] | None = None,
        prefetch_ahead: int = PREFETCH_AHEAD,
        record_view: Callable[[OpenSource, list[str]], None] | None = None,
    ) -> None:
        """``record_view(source, study_uids)`` is told of the studies each opened source
        shows, once each, as they appear (the audit trail: LibraryService.record_view)."""
        self.privacy = privacy if privacy is not None else Privacy()
        self.cache: FrameCache[tuple[str, int], LoadedFrame] = (
            cache if cache is not None else FrameCache(lambda f: f.nbytes, DEFAULT_CACHE_BYTES)
        )
        self.prefetch_ahead = prefetch_ahead
        self.record_view = record_view
        self._viewed: set[str] = set()  # the studies of this source already recorded
        self.source: OpenSource | None = None
        self.patients: tuple[PatientNode, ...] = ()
        self.series: SeriesNode | None = None
        self.slices: SeriesSlices | None = None
        self.document: InstanceRef | None = None
        self.loaded: LoadedFrame | None = None  # the frame on screen (maybe the previous)
        self._loaded_key: tuple[str, int] | None = None
        self.direction = 1
        self.state = ViewportState()
        self.fit = True  # Zoom follows the view size until the user zooms.
        self.view_size = (0, 0)
        self.overlay_visible = True
        # The full view for doctors (app.services.user_mode): window values and zoom in
        # the corners, the files' overlay planes burnt into the image.
        self.full_detail = True
        self.playing = False
        self.fps = 10
        self._choices_key: object = None

        self.source_changed: Event[OpenSource | None] = Event()
        self.tree_changed: Event[tuple[PatientNode, ...]] = Event()
        self.series_changed: Event[SeriesNode | None] = Event()
        self.position_changed: Event[int] = Event()  # index; also when the count changed
        self.frame_changed: Event[LoadedFrame] = Event()  # draw this frame now
        self.frame_pending: Event[Slice] = Event()  # moved to a frame not decoded yet
        self.frame_unavailable: Event[str] = Event()  # the current frame cannot be shown
        self.frames_wanted: Event[list[Slice]] = Event()  # urgent, replaces earlier wishes
        self.frames_prefetch: Event[list[Slice]] = Event()  # when nothing is urgent
        self.document_wanted: Event[InstanceRef] = Event()
        self.view_changed: Event[ViewportState] = Event()
        self.overlay_changed: Event[Overlay] = Event()
        self.window_choices_changed: Event[list[WindowChoice]] = Event()
        self.cine_changed: Event[bool] = Event()
        self.fps_changed: Event[int] = Event()
        self.title_changed: Event[str] = Event()
        self._stop_observing = self.privacy.changed.connect(self._on_privacy)

    def close(self) -> None:
        """Stop observing the shared privacy state (the model is being dropped)."""
        self._stop_observing()

    # -- source and tree -------------------------------------------------------------
    def open_source(self, source: OpenSource) -> None:
        """Start over on ``source``: no tree, no series, an empty cache."""
        self.set_playing(False)
        self.source = source
        self._viewed = set()
        self.patients = ()
        self.series = None
        self.slices = None
        self.document = None
        self.loaded = None
        self.cache.clear()
        self._set_state(ViewportState(), fit=True)
        self.source_changed.emit(source)
        self.tree_changed.emit(())
        self.title_changed.emit(self.title())

    def set_tree(self, patients: tuple[PatientNode, ...]) -> None:
        """The tree as known now; the default series is selected when none is yet or the
        current one is gone, and the current series follows when files were added to it
        or dropped from it."""
        self.patients = patients
        self._record_view(patients)
        self.tree_changed.emit(patients)
        self.title_changed.emit(self.title())
        if self.series is None:
            first = default_series(patients)
            if first is not None:
                self.select_series(first)
            return
        for node in all_series(patients):
            if node.series_instance_uid == self.series.series_instance_uid:
                if len(node.instances) != len(self.series.instances):
                    self._grow_series(node)
                return
        # The series shown is gone (its only files turned out to hold no image): show
        # the one a medium opens on instead.
        first = default_series(patients)
        if first is not None:
            self.select_series(first)

    def _record_view(self, patients: tuple[PatientNode, ...]) -> None:
        # Studies of a medium appear as its files are identified: each is recorded once.
        new = [s.study_instance_uid for p in patients for s in p.studies
               if s.study_instance_uid not in self._viewed]
        if not new or self.source is None or self.record_view is None:
            return
        self._viewed.update(new)
        self.record_view(self.source, list(dict.fromkeys(new)))

    def _grow_series(self, node: SeriesNode) -> None:
        self.series = node
        if self.slices is None:
            return
        key = self.slices.current.key
        self.slices = SeriesSlices(node)
        keys = [s.key for s in self.slices.slices]
        self.slices.move_to(keys.index(key) if key in keys else 0)
        self.position_changed.emit(self.slices.index)
        self._overlay_changed()  # "Image 1 / N" in the corner: N grew

    def patient_name(self) -> str:
        """The first patient's name as people write it ("" when unknown)."""
        return display_name(self.patients[0].patient_name) if self.patients else ""

    def title(self) -> str:
        """The window title; never the name while privacy is on."""
        what = self.source.label if self.source is not None else ""
        return self.privacy.title(self.patient_name(), what)

    # -- series ----------------------------------------------------------------------
    def select_series(self, series: SeriesNode) -> None:
        """Show ``series`` from its first image (a report: ask for the document)."""
        if (self.series is not None and series.series_instance_uid
                == self.series.series_instance_uid and (self.slices or self.document)):
            return  # Already shown: a browser echoing the selection must not reset it.
        self.set_playing(False)
        self.series = series
        self.loaded = None
        if is_document(series) or not series.instances:
            self.slices = None
            self.document = series.instances[0] if series.instances else None
            self.series_changed.emit(series)
            if self.document is not None and series_document_kind(series) in ("pdf", "sr"):
                self.document_wanted.emit(self.document)
            return
        self.document = None
        self.slices = SeriesSlices(series)
        self.direction = 1
        self._set_state(ViewportState(), fit=True)
        self.series_changed.emit(series)
        self.position_changed.emit(0)
        self._show_current()
        self.frames_prefetch.emit(list(self.slices.slices))

    def step_series(self, delta: int) -> None:
        """Select the next (+1) or previous (-1) series in tree order."""
        nodes = all_series(self.patients)
        if not nodes:
            return
        uids = [s.series_instance_uid for s in nodes]
        uid = self.series.series_instance_uid if self.series is not None else ""
        index = uids.index(uid) if uid in uids else -1
        self.select_series(nodes[min(max(0, index + delta), len(nodes) - 1)])

    # -- slices ----------------------------------------------------------------------
    @property
    def index(self) -> int:
        """Position in the series, from 0."""
        return self.slices.index if self.slices is not None else 0

    @property
    def count(self) -> int:
        """Frames in the series (multi-frame files count each frame)."""
        return len(self.slices) if self.slices is not None else 0

    def step(self, delta: int, wrap: bool = False) -> None:
        """Move by ``delta`` frames; ``wrap`` (cine) continues at the start after the end."""
        if self.slices is None:
            return
        self.direction = 1 if delta >= 0 else -1
        if self.slices.step(delta, wrap=wrap):
            self.position_changed.emit(self.slices.index)
            self._show_current()

    def page(self, pages: int) -> None:
        """Move by ``pages`` times PAGE_STEP frames."""
        self.step(pages * PAGE_STEP)

    def go_to(self, index: int) -> None:
        """Go to frame ``index`` (clamped)."""
        if self.slices is None:
            return
        self.direction = 1 if index >= self.slices.index else -1
        if self.slices.move_to(index):
            self.position_changed.emit(self.slices.index)
            self._show_current()

    def show_image(self, sop_instance_uid: str, frame: int = 0) -> bool:
        """Show frame ``frame`` (0-based, within the file) of the image with this SOP
        Instance UID: its series is selected and the position moves to that frame. False
        (nothing changes) when the open tree holds no such image, or only as a report."""
        if frame < 0:
            return False
        node = self._image_series(sop_instance_uid)
        if node is None:
            return False
        self.select_series(node)
        if self.slices is None:
            return False
        positions = [i for i, s in enumerate(self.slices.slices)
                     if s.instance.sop_instance_uid == sop_instance_uid]
        if frame >= len(positions):
            # The file's frame count is often unknown before it is read (one slice per
            # file until then); a frame drawn on proves the file has at least that many.
            path = self.slices.slices[positions[0]].instance.path
            self.slices.set_frame_count(path, frame + 1)
            self.position_changed.emit(self.slices.index)
            positions = [i for i, s in enumerate(self.slices.slices)
                         if s.instance.sop_instance_uid == sop_instance_uid]
        self.go_to(positions[frame])
        return True

    def image_position(self, sop_instance_uid: str, frame: int = 0
                       ) -> tuple[int, int] | None:
        """Where frame ``frame`` of this image is in its series as the viewer counts
        ("Image 3 / 40"): (1-based position, images in the series); None when the open
        tree does not hold it as an image."""
        node = self._image_series(sop_instance_uid)
        if node is None:
            return None
        current = self.series is not None and self.slices is not None and (
            node.series_instance_uid == self.series.series_instance_uid)
        slices = self.slices if current else SeriesSlices(node)
        assert slices is not None
        positions = [i for i, s in enumerate(slices.slices)
                     if s.instance.sop_instance_uid == sop_instance_uid]
        if not positions:
            return None
        # A frame beyond those known yet (frame counts come with the file) is counted
        # from the file's first slice.
        index = positions[frame] if frame < len(positions) else positions[0] + frame
        return index + 1, max(len(slices), index + 1)

    def _image_series(self, sop_instance_uid: str) -> SeriesNode | None:
        """The open series holding this image (None: not open, or only as a report)."""
        for node in all_series(self.patients):
            if any(ref.sop_instance_uid == sop_instance_uid for ref in node.instances):
                return None if is_document(node) else node
        return None

    def first(self) -> None:
        """Go to the first frame."""
        self.go_to(0)

    def last(self) -> None:
        """Go to the last frame."""
        self.go_to(max(0, self.count - 1))

    def _show_current(self) -> None:
        assert self.slices is not None
        current = self.slices.current
        self.frames_wanted.emit(
            [current, *self.slices.neighbours(self.direction, self.prefetch_ahead)]
        )
        loaded = self.cache.get(current.key)
        if loaded is not None:
            self._show(current.key, loaded)
        else:
            self.frame_pending.emit(current)

    def _show(self, key: tuple[str, int], loaded: LoadedFrame) -> None:
        self.loaded = loaded
        self._loaded_key = key
        self.frame_changed.emit(loaded)
        choices_key = (type(loaded.frame), self.modality(), _file_windows(loaded))
        if choices_key != self._choices_key:
            self._choices_key = choices_key
            self.window_choices_changed.emit(self.window_choices())
        self._overlay_changed()

    def frame_loaded(self, key: tuple[str, int], loaded: LoadedFrame) -> None:
        """A frame was decoded (it is in the cache); show it if it is the current one."""
        if self.slices is None:
            return
        if loaded.frames_in_file > 1 and self.slices.set_frame_count(key[0],
                                                                     loaded.frames_in_file):
            self.position_changed.emit(self.slices.index)
            self.frames_prefetch.emit(list(self.slices.slices))
        if self.slices.current.key == key:
            self._show(key, loaded)

    def frame_failed(self, key: tuple[str, int], message: str) -> None:
        """A frame could not be decoded: ``message`` if it is the current one."""
        if self.slices is not None and self.slices.current.key == key:
            self.loaded = None
            self.frame_unavailable.emit(message)

    def frame_is_current(self) -> bool:
        """True when the frame on screen is the current position's."""
        return (self.loaded is not None and self.slices is not None
                and self._loaded_key == self.slices.current.key)

    # -- viewport --------------------------------------------------------------------
    def _set_state(self, state: ViewportState, fit: bool | None = None) -> None:
        changed = state != self.state or (fit is not None and fit != self.fit)
        self.state = state
        if fit is not None:
            self.fit = fit
        if changed:
            self.view_changed.emit(state)
            self._overlay_changed()

    def set_state(self, state: ViewportState) -> None:
        """A new window, zoom, pan or orientation (from a drag, a key, a menu)."""
        self._set_state(state)

    def set_fit(self, fit: bool) -> None:
        """Zoom to fit the view (True), or keep the zoom in the state."""
        self._set_state(self.state, fit=fit)

    def set_view_size(self, width: int, height: int) -> None:
        """The viewport's size in screen pixels (fit zoom follows it)."""
        if (width, height) != self.view_size:
            self.view_size = (width, height)
            if self.fit:
                self._overlay_changed()  # The zoom shown changed.

    def image_size(self) -> tuple[int, int]:
        """(width, height) of the frame on screen as turned, or (0, 0)."""
        if self.loaded is None:
            return (0, 0)
        rows, columns = self.loaded.frame.shape
        return (rows, columns) if self.state.rotation in (90, 270) else (columns, rows)

    def effective_zoom(self) -> float:
        """Screen pixels per image pixel: the fit zoom, or the one chosen."""
        width, height = self.image_size()
        if not self.fit or not width or not height or not all(self.view_size):
            return self.state.zoom if not self.fit else 1.0
        return max(MIN_ZOOM, min(self.view_size[0] / width, self.view_size[1] / height))

    def zoom_by(self, factor: float) -> None:
        """Zoom relative to what is on screen (leaving fit mode)."""
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, self.effective_zoom() * factor))
        self._set_state(replace(self.state, zoom=zoom), fit=False)

    def actual_size(self) -> None:
        """One image pixel per screen pixel."""
        self._set_state(replace(self.state, zoom=1.0), fit=False)

    def rotate(self, degrees: int) -> None:
        """Turn clockwise (negative: anticlockwise) by a multiple of 90 degrees."""
        self._set_state(self.state.rotated(degrees))

    def flip(self, axis: Literal["h", "v"]) -> None:
        """Mirror as seen on screen."""
        self._set_state(self.state.flipped(axis))

    def reset_view(self) -> None:
        """Orientation, zoom and pan back to the start (fit to the view)."""
        self._set_state(self.state.reset_view(), fit=True)

    # -- windows ---------------------------------------------------------------------
    def modality(self) -> str:
        """The current series' modality code (from the header when a frame was read)."""
        if self.loaded is not None and self.loaded.instance.modality:
            return self.loaded.instance.modality.strip().upper()
        return self.series.modality.strip().upper() if self.series is not None else ""

    def window_choices(self) -> list[WindowChoice]:
        """The windows that fit the frame on screen: the file's own, presets of its
        modality only, min-max, invert."""
        frame = self.loaded.frame if self.loaded is not None else None
        if isinstance(frame, GreyFrame):
            attributes = frame.attributes
            return window_choices(self.modality(), attributes.windows, attributes.voi_luts)
        return []

    def choose_window(self, choice: WindowChoice) -> None:
        """Render with the window of ``choice``."""
        self._set_state(self.state.with_voi(choice.voi))

    def invert(self) -> None:
        """Swap black and white in whichever window is in use."""
        self._set_state(self.state.toggled_invert())

    def file_window(self) -> None:
        """Back to the file's own default window."""
        self._set_state(self.state.with_voi(None))

    # -- cine ------------------------------------------------------------------------
    def set_playing(self, playing: bool) -> None:
        """Start or stop cine (only a series of more than one frame plays)."""
        playing = playing and self.count > 1
        if playing != self.playing:
            self.playing = playing
            self.cine_changed.emit(playing)

    def set_fps(self, fps: int) -> None:
        """Cine speed, kept within 1-60 frames per second."""
        fps = min(MAX_FPS, max(MIN_FPS, fps))
        if fps != self.fps:
            self.fps = fps
            self.fps_changed.emit(fps)

    def cine_tick(self) -> None:
        """One cine step: the next frame, the first after the last."""
        self.step(1, wrap=True)

    # -- privacy and overlay ---------------------------------------------------------
    def _on_privacy(self, _hidden: bool) -> None:
        self.title_changed.emit(self.title())
        self._overlay_changed()

    def set_overlay_visible(self, visible: bool) -> None:
        """Show or hide the corner text."""
        if visible != self.overlay_visible:
            self.overlay_visible = visible
            self._overlay_changed()

    def set_full_detail(self, full: bool) -> None:
        """Show (doctor) or leave out (patient) the technical corner lines and the files'
        overlay planes; ``overlay_changed`` makes the views redraw."""
        if full != self.full_detail:
            self.full_detail = full
            self._overlay_changed()

    def _overlay_changed(self) -> None:
        self.overlay_changed.emit(self.overlay())

    def overlay(self) -> Overlay:
        """The corner text for the current position (empty when switched off), and the
        burned-in-name notice when privacy is on and the picture may show the name."""
        return overlay_of(self)

    def markers(self) -> Markers:
        """Orientation letters for each side of the viewport, following rotation and flips
        (none when the image does not say how it lies in the patient)."""
        if not self.frame_is_current() or self.loaded is None:
            return Markers()
        found = markers_for_view(self.loaded.image_orientation, self.state)
        if found is None:
            return Markers()
        return Markers(found.top, found.right, found.bottom, found.left)


def _file_windows(loaded: LoadedFrame) -> object:
    frame = loaded.frame
    if isinstance(frame, GreyFrame):
        return (frame.attributes.windows, len(frame.attributes.voi_luts))
    return None

