"""Presentation states (GSPS) found with the study on screen, and the one the user picked.

:class:`DiscPresentationStates` follows a :class:`~app.services.viewer_model.ViewerModel`:
it lists the presentation states kept with the study on screen, asks for them to be read
(``wanted``; the GUI's loader reads them off the UI thread and answers with
:meth:`~DiscPresentationStates.loaded` or :meth:`~DiscPresentationStates.failed`), and
says what to draw on the image on screen (``annotations_changed``).

The window rule: a picked presentation state's window for the image on screen replaces the
current window once, when it is picked and each time the viewer moves to an image (frame)
it has a window for. Changing the window by hand afterwards sticks until the next such
move; choosing None leaves the window as it is.

The framing rule: a picked presentation state's turn and mirror and its displayed area for
the image on screen (:func:`framed_view`) replace the current orientation, zoom and pan
once, when it is picked and when the viewer moves to an image whose displayed area differs
from the one last applied (scrolling through images that share one area keeps the user's
zoom and pan). Choosing None leaves the view as it is.

:func:`outline` turns a graphic into the points to draw, in image coordinates, so the
GUI only maps points through the viewport and joins them.
"""

import math
from dataclasses import dataclass, replace

from app.core.models import InstanceRef
from app.core.observable import Event
from app.imaging.curves import smooth_curve
from app.imaging.presentation_state import (
    DisplayedArea,
    Graphic,
    ImageAnnotations,
    Point,
    PresentationState,
    arrow_outline,
)
from app.imaging.viewport import (
    MAX_ZOOM,
    MIN_ZOOM,
    ROTATIONS,
    ViewportState,
    orient_point,
    oriented_size,
)
from app.services.viewer_model import ViewerModel
from app.services.viewer_text import presentation_states

ELLIPSE_STEPS = 72  # points around a drawn circle or ellipse


@dataclass(frozen=True)
class StateEntry:
    """One presentation state as a menu lists it: ``text`` is its label, description and
    creation date once read; ``error`` the sentence when it could not be read."""

    path: str
    sop_instance_uid: str
    text: str
    error: str = ""


def entry_text(state: PresentationState) -> str:
    """ "LABEL — description — 2024-03-01": what a presentation state says of itself."""
    date = state.created
    if len(date) == 8 and date.isdigit():
        date = f"{date[:4]}-{date[4:6]}-{date[6:]}"
    return " — ".join(part for part in (state.label, state.description, date) if part)


class DiscPresentationStates:
    """The presentation states of the study on screen; see the module docstring."""

    def __init__(self, viewer: ViewerModel) -> None:
        self.viewer = viewer
        self.refs: list[InstanceRef] = []
        self.states: dict[str, PresentationState] = {}  # by path
        self.errors: dict[str, str] = {}  # by path: one sentence
        self.chosen: str | None = None  # the path of the picked one
        self._windowed: tuple[str, str, int] | None = None  # (path, image, frame) applied
        self._framed: tuple[str, DisplayedArea | None] | None = None  # (path, area) applied
        self.list_changed: Event[list[StateEntry]] = Event()
        self.wanted: Event[list[InstanceRef]] = Event()  # read these off the UI thread
        self.annotations_changed: Event[ImageAnnotations | None] = Event()
        self.message: Event[str] = Event()  # one sentence for the status bar
        self._stops = [
            viewer.source_changed.connect(lambda _source: self._reset()),
            viewer.tree_changed.connect(lambda _tree: self._refresh()),
            viewer.series_changed.connect(lambda _series: self._refresh()),
            viewer.frame_changed.connect(lambda _frame: self._update()),
        ]

    def close(self) -> None:
        """Stop following the viewer."""
        for stop in self._stops:
            stop()

    # -- the list --------------------------------------------------------------------
    def study_uid(self) -> str:
        """The study of the series on screen ("" when none)."""
        series = self.viewer.series
        if series is None:
            return ""
        for patient in self.viewer.patients:
            for study in patient.studies:
                if any(s.series_instance_uid == series.series_instance_uid
                       for s in study.series):
                    return study.study_instance_uid
        return ""

    def entries(self) -> list[StateEntry]:
        """The study's presentation states in disc order, as a menu lists them."""
        found = []
        for number, ref in enumerate(self.refs, start=1):
            state = self.states.get(ref.path)
            text = entry_text(state) if state is not None else ""
            error = self.errors.get(ref.path, "")
            if not text:
                text = f"Presentation state {number}" + (" (cannot be read)" if error else "")
            found.append(StateEntry(ref.path, ref.sop_instance_uid, text, error))
        return found

    def _reset(self) -> None:
        self.refs, self.states, self.errors = [], {}, {}
        self.chosen, self._windowed, self._framed = None, None, None
        self.list_changed.emit([])
        self.annotations_changed.emit(None)

    def _refresh(self) -> None:
        study = self.study_uid()
        refs = presentation_states(self.viewer.patients, study) if study else []
        if [r.path for r in refs] == [r.path for r in self.refs]:
            return
        self.refs = refs
        if self.chosen not in {r.path for r in refs}:
            self.chosen, self._windowed, self._framed = None, None, None
        unread = [r for r in refs if r.path not in self.states and r.path not in self.errors]
        if unread:
            self.wanted.emit(unread)
        self.list_changed.emit(self.entries())
        self._update()

    def loaded(self, path: str, state: PresentationState) -> None:
        """The loader read the presentation state at ``path``."""
        self.states[path] = state
        self.list_changed.emit(self.entries())
        if path == self.chosen:
            self._update()

    def failed(self, path: str, message: str) -> None:
        """The presentation state at ``path`` could not be read: ``message``."""
        self.errors[path] = message
        self.list_changed.emit(self.entries())
        if path == self.chosen:
            self.message.emit(message)
            self._update()

    # -- the chosen one --------------------------------------------------------------
    def choose(self, path: str | None) -> None:
        """Show the presentation state at ``path`` (None: none)."""
        self.chosen = path
        self._windowed, self._framed = None, None
        if path is not None and path in self.errors:
            self.message.emit(self.errors[path])
        self._update()

    def current(self) -> ImageAnnotations | None:
        """What the picked presentation state draws on the image on screen (None: none
        picked, not read yet, unreadable, or nothing for this image)."""
        state = self.states.get(self.chosen) if self.chosen is not None else None
        viewer = self.viewer
        if state is None or viewer.loaded is None or viewer.slices is None:
            return None
        if not viewer.frame_is_current():
            return None
        frame = viewer.slices.current.key[1]
        return state.for_image(viewer.loaded.instance.sop_instance_uid, frame)

    def _update(self) -> None:
        found = self.current()
        viewer = self.viewer
        state, fit = viewer.state, None
        if found is not None and found.window is not None and self.chosen is not None:
            key = (self.chosen, found.image.sop_instance_uid, found.image.frame or 0)
            if key != self._windowed:
                self._windowed = key
                state = state.with_voi(found.window)
        picked = self.states.get(self.chosen) if self.chosen is not None else None
        if found is not None and picked is not None and viewer.loaded is not None:
            framing = (str(self.chosen), found.displayed_area)
            if framing != self._framed:
                self._framed = framing
                rows, columns = viewer.loaded.frame.shape
                state, fit = framed_view(state, picked, found.displayed_area,
                                         (columns, rows), viewer.view_size)
        if state != viewer.state:
            viewer.set_state(state)
        if fit is not None:
            viewer.set_fit(fit)
        self.annotations_changed.emit(found)


def framed_view(
    current: ViewportState, state: PresentationState, area: DisplayedArea | None,
    image_size: tuple[int, int], view_size: tuple[int, int],
) -> tuple[ViewportState, bool | None]:
    """The view a presentation state asks for, and whether zoom should fit the view
    (None: leave fitting as it is).

    ``image_size`` is the image's (width, height), ``view_size`` the viewport's. The
    state's turn and mirror replace the current orientation (DICOM mirrors first, then
    turns; the viewer turns first, then mirrors what it sees, so a mirrored quarter turn
    becomes a top-bottom mirror). The displayed area, when there is one, is centred in the
    view: SCALE TO FIT (and TRUE SIZE, which needs the screen's physical size, so it is
    shown fitted rather than at a wrong size) makes it as large as fits; MAGNIFY shows it
    at its magnification. An area that is the whole image, fitted, is simply "fit to the
    view", so it keeps fitting when the window is resized.
    """
    rotation = next((r for r in ROTATIONS if r == state.rotation), ROTATIONS[0])
    turned = rotation in (90, 270)
    view = replace(current, rotation=rotation,
                   flip_h=state.flip_h and not turned, flip_v=state.flip_h and turned)
    if area is None:
        return view, None
    left, top, right, bottom = area.area
    width, height = image_size
    area_size = (bottom - top, right - left) if turned else (right - left, bottom - top)
    if area.mode == "MAGNIFY":
        zoom = area.magnification
    else:
        whole = (abs(left) < 0.5 and abs(top) < 0.5 and abs(right - width) < 0.5
                 and abs(bottom - height) < 0.5)
        if whole or not all(view_size) or min(area_size) <= 0:
            return replace(view, pan=(0.0, 0.0)), True
        zoom = min(view_size[0] / area_size[0], view_size[1] / area_size[1])
    zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
    # The area's centre at the view's centre: pan is where the image's centre then sits.
    centre = orient_point(((left + right) / 2, (top + bottom) / 2), image_size,
                          view.rotation, view.flip_h, view.flip_v)
    out_width, out_height = oriented_size(image_size, view.rotation)
    pan = ((out_width / 2 - centre[0]) * zoom, (out_height / 2 - centre[1]) * zoom)
    return replace(view, zoom=zoom, pan=pan), False


def outline(graphic: Graphic) -> tuple[tuple[Point, ...], bool]:
    """The points to join to draw ``graphic`` (image coordinates) and whether the line
    closes (a closed ``filled`` graphic is filled in); a point gives its one point (the
    viewer draws a small cross there). A ``smooth`` (INTERPOLATED) graphic gives points
    along a smooth curve through its points, closed when its first and last were one."""
    points = graphic.points
    if graphic.smooth and graphic.kind in ("polygon", "polyline"):
        closed = graphic.kind == "polygon"
        return smooth_curve(points, closed), closed
    if graphic.kind == "polygon":
        return points, True
    if graphic.kind == "arrow":
        return arrow_outline(points[0], points[1]), False
    if graphic.kind == "circle":
        centre, edge = points
        radius = math.dist(centre, edge)
        return _ellipse(centre, (radius, 0.0), (0.0, radius)), True
    if graphic.kind == "ellipse":
        (ax, ay), (bx, by), minor_a, minor_b = points
        centre = ((ax + bx) / 2, (ay + by) / 2)
        major = ((bx - ax) / 2, (by - ay) / 2)
        length = math.hypot(*major)
        half_minor = math.dist(minor_a, minor_b) / 2
        if length == 0:
            return (centre,), False
        # The minor axis is perpendicular to the major one (DICOM says so); its length
        # alone is taken, so a slightly skewed minor axis still draws a true ellipse.
        minor = (-major[1] / length * half_minor, major[0] / length * half_minor)
        return _ellipse(centre, major, minor), True
    return points, False


def _ellipse(centre: Point, major: Point, minor: Point) -> tuple[Point, ...]:
    return tuple(
        (centre[0] + math.cos(t) * major[0] + math.sin(t) * minor[0],
         centre[1] + math.cos(t) * major[1] + math.sin(t) * minor[1])
        for t in (2 * math.pi * i / ELLIPSE_STEPS for i in range(ELLIPSE_STEPS))
    )
