"""Compare: two or four viewers side by side, scrolling, windowing and zooming together.

A :class:`CompareModel` holds one :class:`ViewerModel` per pane (layouts "1x2" and "2x2"),
each showing its own series from any study, of the library or of an open disc. Scrolling
is linked by where the slices lie in the body (see ``app.imaging.slice_position``): the
first pane that places its slices is the anchor, and every other pane whose planes are
parallel to the anchor's follows whichever pane the user scrolls. Series of the same Frame
of Reference line up by patient position; others (last year's scan) by an offset in
millimetres, the middles of the two stacks until the user lines up one pair of slices
with :meth:`CompareModel.set_alignment`, which is then kept, also when another series of
the same two scans is shown. Window and zoom are linked on request.

The model reads no file. It asks for the slice geometry of each series it shows
(``geometry_wanted``) and the GUI answers with :meth:`CompareModel.set_geometry`, from
:func:`series_geometry` run on the loader thread.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from pydicom.dataset import Dataset

from app.core.models import PatientNode, SeriesNode, StudyNode
from app.core.observable import Event
from app.imaging.slice_position import (
    SliceGeometry,
    SliceMapper,
    SliceMatch,
    StackPositions,
    Vector,
    header_geometries,
    linkage,
    stack_positions,
)
from app.imaging.viewport import ViewportState
from app.services.privacy import Privacy
from app.services.viewer_model import OpenSource, ViewerModel

Layout = Literal["1x2", "2x2"]
LAYOUT_PANES: dict[Layout, int] = {"1x2": 2, "2x2": 4}
SliceKey = tuple[str, int]

PaneState = Literal["empty", "waiting", "anchor", "linked", "unlinkable", "off"]


@dataclass(frozen=True)
class PaneLink:
    """How one pane scrolls with the others.

    ``state``: "empty" (no series), "waiting" (its slice positions are being read),
    "anchor" (the pane the others are lined up with), "linked", "unlinkable" (``reason``
    says why in plain words) or "off" (scrolling is not linked). ``reason`` also says how
    a linked pane is lined up when that needs the user; ``note`` says when the slice
    shown is not at the same place as the others' (an end of the scan, a gap).
    ``offset_mm`` is the offset from the anchor along its slice normal.
    """

    state: PaneState
    reason: str = ""
    note: str = ""
    offset_mm: float | None = None
    aligned_by_user: bool = False


@dataclass(frozen=True)
class CompareLinks:
    """Which links are on, and each pane's part in scrolling."""

    scroll: bool
    window: bool
    zoom: bool
    panes: tuple[PaneLink, ...]


# -- words ---------------------------------------------------------------------------

NO_POSITION = ("These pictures do not say where they lie in the body, so they cannot "
               "scroll together with the others.")
ANCHOR_NO_POSITION = ("The first series does not say where its pictures lie in the body, "
                      "so nothing can scroll together with it.")
PLAIN_ANCHOR_NO_POSITION = ("The first set of pictures does not say where its pictures lie in "
                            "the body, so nothing can scroll together with it.")
WAITING = "Finding where these pictures lie in the body…"
MIDDLES = ("Lined up by their middles: show the same place in both, then choose "
           "“Align these two slices”.")
BY_HAND = "Lined up by hand: scrolling keeps the two at the same place."
NOTE_UNKNOWN = "This picture does not say where it lies in the body."


@dataclass(frozen=True)
class CompareWords:
    """What the compare page calls a series: "series" in the full view for doctors, "set
    of pictures" in the simple view for patients (as the status bar's "151 pictures in 3
    sets"); :func:`compare_words` chooses."""

    empty_pane: str
    current_pane: str
    list_name: str
    first_series: str


FULL_WORDS = CompareWords(
    empty_pane="Drag a series here, or click one in the list on the left.",
    current_pane="A series clicked in the list is shown here.",
    list_name="Series to compare",
    first_series="the first series",
)
PLAIN_WORDS = CompareWords(
    empty_pane="Drag a set of pictures here, or click one in the list on the left.",
    current_pane="A set of pictures clicked in the list is shown here.",
    list_name="Sets of pictures to compare",
    first_series="the first set of pictures",
)


def compare_words(plain: bool) -> CompareWords:
    """The compare page's words in the simple view (``plain``, i.e.
    UserMode.shows_plain_words) or the full view."""
    return PLAIN_WORDS if plain else FULL_WORDS


def plane_words(normal: Vector | None) -> str:
    """How a plane cuts the body, in plain words ("across the body" for axial)."""
    if normal is None:
        return "in an unknown direction"
    x, y, z = (abs(v) for v in normal)
    if z >= x and z >= y:
        return "across the body"
    return "from the side" if x >= y else "from the front"


def different_planes_reason(anchor: Vector | None, pane: Vector | None,
                            plain: bool = False) -> str:
    """Why series cut in different directions do not scroll together (``plain``: in the
    simple view's words, see :func:`compare_words`)."""
    ours, theirs = plane_words(pane), plane_words(anchor)
    first = compare_words(plain).first_series
    if ours == theirs:  # same main direction, but tilted too far apart
        return (f"These pictures are tilted differently from {first}, so they "
                "cannot scroll together with it.")
    return (f"These pictures are cut {ours} and {first} {theirs}, so they "
            "cannot scroll together.")


def match_note(match: SliceMatch) -> str:
    """What a pane says when its slice is not at the same place as the others'."""
    if match.kind == "before-start":
        return "This scan does not reach this far: it shows its first picture."
    if match.kind == "after-end":
        return "This scan does not reach this far: it shows its last picture."
    if match.kind == "gap":
        distance = match.distance_mm or 0.0
        return f"This scan has no picture at this place; the nearest is {distance:.1f} mm away."
    if match.kind == "unknown":
        return NOTE_UNKNOWN
    return ""


# -- reading -------------------------------------------------------------------------

def series_geometry(
    header: Callable[[str], Dataset], series: SeriesNode
) -> dict[SliceKey, SliceGeometry]:
    """The geometry of every frame of ``series``, keyed as the viewer's slices are
    (path, frame). ``header(path)`` reads a file's header (``MediumReader.dataset``);
    files that cannot be read are left out (their slices get no position)."""
    found: dict[SliceKey, SliceGeometry] = {}
    for path, geometries in _read_each(header, series):
        for frame, geometry in enumerate(geometries):
            found[(path, frame)] = geometry
    return found


def _read_each(header: Callable[[str], Dataset],
               series: SeriesNode) -> Iterator[tuple[str, list[SliceGeometry]]]:
    for ref in series.instances:
        try:
            yield ref.path, header_geometries(header(ref.path))
        except Exception:  # a damaged or vanished file has no position, never a failure
            continue


def offered_tree(trees: Iterable[tuple[PatientNode, ...]]) -> tuple[PatientNode, ...]:
    """The series the compare page offers, from several studies' trees (the pair being
    compared, the open disc), as one list: each patient once (the same ID and name),
    each study once (the first tree's copy of a study on two media), oldest study first.
    Patients whose IDs differ stay apart, even when the user said they are one person:
    the list shows what the headers say."""
    patients: dict[tuple[str, str, bool], PatientNode] = {}
    studies: dict[tuple[str, str, bool], dict[str, StudyNode]] = {}
    for tree in trees:
        for patient in tree:
            key = (patient.patient_id, patient.patient_name, patient.unattributed)
            patients.setdefault(key, patient)
            known = studies.setdefault(key, {})
            for study in patient.studies:
                known.setdefault(study.study_instance_uid, study)
    return tuple(
        replace(patient, studies=tuple(sorted(studies[key].values(),
                                              key=lambda study: study.study_date)))
        for key, patient in patients.items())


def target_pane(current: int | None, empty_panes: Iterable[int], count: int) -> int:
    """The pane a series chosen in the list (a click, Enter) goes to, of ``count`` panes:
    the pane the user last clicked or scrolled (``current``), else the first empty one,
    else the last one."""
    if current is not None and 0 <= current < count:
        return current
    empty = sorted(p for p in empty_panes if 0 <= p < count)
    return empty[0] if empty else max(0, count - 1)


# -- the model -----------------------------------------------------------------------

class CompareModel:
    """Panes side by side and the links between them; see the module docstring."""

    def __init__(
        self,
        layout: Layout = "1x2",
        privacy: Privacy | None = None,
        make_viewer: Callable[[], ViewerModel] | None = None,
    ) -> None:
        """``make_viewer()`` builds each pane's ViewerModel (default: one sharing
        ``privacy``)."""
        self.privacy = privacy if privacy is not None else Privacy()
        self._make_viewer = make_viewer or (lambda: ViewerModel(self.privacy))
        self.layout: Layout = layout
        self.viewers: list[ViewerModel] = []
        self._geometry: list[dict[SliceKey, SliceGeometry]] = []
        self._stacks: list[StackPositions | None] = []
        self._indices: list[int] = []
        self._notes: list[str] = []
        self._shown: list[str | None] = []  # the series each pane's events are about
        self._unsubscribe: list[list[Callable[[], None]]] = []
        self._user_offsets: dict[tuple[str, str], float] = {}
        self._mappers: dict[int, SliceMapper] = {}  # pane -> anchor-to-pane mapper
        self._offsets: dict[int, tuple[float, bool]] = {}  # pane -> (offset, set by user)
        self._anchor: int | None = None
        self._anchor_mapper: SliceMapper | None = None  # the anchor onto itself
        self._leader = 0
        self.current_pane: int | None = None  # last clicked or scrolled by the user
        self._syncing = False
        self.scroll_linked = True
        self.window_linked = False
        self.zoom_linked = False
        # The simple view's words in the panes' reasons (set_plain_words); the full view's
        # until told.
        self.plain_words = False
        self._last_links: CompareLinks | None = None

        self.layout_changed: Event[Layout] = Event()
        self.links_changed: Event[CompareLinks] = Event()
        self.geometry_wanted: Event[tuple[int, SeriesNode]] = Event()
        for _ in range(LAYOUT_PANES[layout]):
            self._add_pane()

    def close(self) -> None:
        """Drop every pane's viewer (the compare page is closed)."""
        while self.viewers:
            self._drop_pane()

    # -- panes -----------------------------------------------------------------------
    def _add_pane(self) -> None:
        pane = len(self.viewers)
        viewer = self._make_viewer()
        self.viewers.append(viewer)
        self._geometry.append({})
        self._stacks.append(None)
        self._indices.append(0)
        self._notes.append("")
        self._shown.append(None)
        self._unsubscribe.append([
            viewer.series_changed.connect(lambda _s: self._on_series(pane)),
            viewer.position_changed.connect(lambda index: self._on_position(pane, index)),
            viewer.view_changed.connect(lambda state: self._on_view(pane, state)),
        ])

    def _drop_pane(self) -> None:
        for stop in self._unsubscribe.pop():
            stop()
        self.viewers.pop().close()
        self._geometry.pop()
        self._stacks.pop()
        self._indices.pop()
        self._notes.pop()
        self._shown.pop()
        self._leader = min(self._leader, max(0, len(self.viewers) - 1))
        if self.current_pane is not None and self.current_pane >= len(self.viewers):
            self.current_pane = None

    def set_layout(self, layout: Layout) -> None:
        """Two panes side by side ("1x2") or four ("2x2"); the first panes keep their
        series when going from four to two."""
        if layout == self.layout:
            return
        self.layout = layout
        while len(self.viewers) < LAYOUT_PANES[layout]:
            self._add_pane()
        while len(self.viewers) > LAYOUT_PANES[layout]:
            self._drop_pane()
        self.layout_changed.emit(layout)
        self._relink()

    def set_plain_words(self, plain: bool) -> None:
        """Say the panes' reasons in the simple view's words (``plain``) or the full
        view's; ``links_changed`` fires when a reason changes."""
        if plain != self.plain_words:
            self.plain_words = plain
            self._emit_links()

    def set_current_pane(self, pane: int) -> None:
        """The user clicked or scrolled ``pane``: a series chosen in the list goes there."""
        if 0 <= pane < len(self.viewers):
            self.current_pane = pane

    def pane_for_choice(self) -> int:
        """The pane a series chosen in the list goes to (see :func:`target_pane`)."""
        empty = [p for p, viewer in enumerate(self.viewers) if viewer.series is None]
        return target_pane(self.current_pane, empty, len(self.viewers))

    def show(self, pane: int, source: OpenSource, patients: tuple[PatientNode, ...],
             series: SeriesNode) -> None:
        """Show ``series`` (of ``patients``, read from ``source``) in ``pane``: a series
        dropped onto it. The pane asks for the series' geometry (``geometry_wanted``)."""
        viewer = self.viewers[pane]
        if viewer.source != source:
            viewer.open_source(source)
        # The series first: given the tree first, the viewer would pick its own default.
        viewer.select_series(series)
        viewer.set_tree(patients)

    def _on_series(self, pane: int) -> None:
        viewer = self.viewers[pane]
        self._shown[pane] = viewer.series.series_instance_uid if viewer.series else None
        self._geometry[pane] = {}
        self._stacks[pane] = None
        self._indices[pane] = viewer.index
        if viewer.series is not None and viewer.slices is not None:
            self.geometry_wanted.emit((pane, viewer.series))
        if self.window_linked or self.zoom_linked:
            # The new series takes the linked window and zoom of the others.
            others = [p for p in (self._leader, *range(len(self.viewers)))
                      if p != pane and self.viewers[p].series is not None]
            if others:
                self._copy_view(others[0], self.window_linked, self.zoom_linked, only=pane)
        self._relink()

    def set_geometry(self, pane: int, series_uid: str,
                     geometry: Mapping[SliceKey, SliceGeometry]) -> None:
        """The slice geometry of the series ``series_uid`` shown in ``pane`` (from
        :func:`series_geometry`); ignored when the pane shows another series by now."""
        if not 0 <= pane < len(self.viewers):
            return
        series = self.viewers[pane].series
        if series is None or series.series_instance_uid != series_uid:
            return
        self._geometry[pane] = dict(geometry)
        self._stacks[pane] = self._stack_of(pane)
        self._relink()
        # The new series follows the others: the pane scrolled last, else any placed one.
        placed = [p for p in (self._leader, *range(len(self.viewers)))
                  if p != pane and self._stack_usable(p) is not None]
        if placed:
            self._leader = placed[0]
            self._follow(placed[0])

    def _stack_of(self, pane: int) -> StackPositions | None:
        slices = self.viewers[pane].slices
        if slices is None:
            return None
        geometry = self._geometry[pane]
        return stack_positions([geometry.get(s.key) for s in slices.slices])

    def _stack_usable(self, pane: int) -> StackPositions | None:
        if not 0 <= pane < len(self._stacks):
            return None
        stack = self._stacks[pane]
        return stack if stack is not None and stack.known else None

    # -- linking ---------------------------------------------------------------------
    def _relink(self) -> None:
        """Choose the anchor and build each pane's mapper from it."""
        self._anchor = next((p for p in range(len(self.viewers))
                             if self._stack_usable(p) is not None), None)
        self._mappers = {}
        self._anchor_mapper = None
        if self._anchor is not None:
            anchor = self._stacks[self._anchor]
            assert anchor is not None
            self._anchor_mapper = SliceMapper(anchor, anchor)
            for pane, stack in enumerate(self._stacks):
                if pane != self._anchor and stack is not None and linkage(anchor,
                                                                          stack).linkable:
                    self._mappers[pane] = SliceMapper(anchor, stack)
        self._refresh_offsets()
        self._emit_links()

    def _frame_key(self, pane: int) -> str:
        # The coordinate system a pane's positions are in: its Frame of Reference, or
        # its own series when it names none.
        stack = self._stacks[pane]
        if stack is not None and stack.frame_of_reference_uid:
            return stack.frame_of_reference_uid
        series = self.viewers[pane].series
        return "series:" + (series.series_instance_uid if series is not None else "")

    def _offset(self, pane: int) -> tuple[float, bool]:
        """The offset of ``pane`` from the anchor, and whether the user set it."""
        return self._offsets[pane]

    def _refresh_offsets(self) -> None:
        self._offsets = {pane: self._compute_offset(pane) for pane in self._mappers}

    def _compute_offset(self, pane: int) -> tuple[float, bool]:
        assert self._anchor is not None
        key = (self._frame_key(self._anchor), self._frame_key(pane))
        if key in self._user_offsets:
            return self._user_offsets[key], True
        if (key[1], key[0]) in self._user_offsets:
            return -self._user_offsets[(key[1], key[0])], True
        if key[0] == key[1] and not key[0].startswith("series:"):
            return 0.0, False
        mapper = self._mappers[pane]
        a = [p for p in mapper.a_positions if p is not None]
        b = [p for p in mapper.b_positions if p is not None]
        return (min(b) + max(b)) / 2 - (min(a) + max(a)) / 2, False

    def _common_position(self, pane: int, index: int) -> float | None:
        """Slice ``index`` of ``pane`` in the anchor's coordinates (None if unknown)."""
        if pane == self._anchor and self._anchor_mapper is not None:
            return self._anchor_mapper.position_a(index)
        mapper = self._mappers.get(pane)
        if mapper is None:
            return None
        position = mapper.position_b(index)
        return None if position is None else position - self._offset(pane)[0]

    def _on_position(self, pane: int, index: int) -> None:
        viewer = self.viewers[pane]
        stack = self._stacks[pane]
        if stack is not None and len(stack.positions) != viewer.count:
            # Frames of a multi-frame file became known: place the new slices.
            self._stacks[pane] = self._stack_of(pane)
            self._relink()
        moved = index != self._indices[pane]
        self._indices[pane] = index
        if self._syncing or not moved:
            return
        self._leader = pane
        self._follow(pane)

    def _follow(self, leader: int) -> None:
        """Move every linked pane to the place of ``leader``'s slice."""
        if not self.scroll_linked or self._anchor is None:
            self._emit_links()
            return
        linked = [self._anchor, *self._mappers]
        if leader not in linked:
            self._emit_links()
            return
        target = self._common_position(leader, self.viewers[leader].index)
        self._notes[leader] = "" if target is not None else NOTE_UNKNOWN
        self._syncing = True
        try:
            for pane in linked:
                if pane == leader:
                    continue
                if target is None:  # the others stay where they are
                    self._notes[pane] = ""
                    continue
                match = self._match(pane, target)
                self._notes[pane] = match_note(match)
                if match.index is not None:
                    self.viewers[pane].go_to(match.index)
                    self._indices[pane] = self.viewers[pane].index
        finally:
            self._syncing = False
        self._emit_links()

    def _match(self, pane: int, target: float) -> SliceMatch:
        if pane == self._anchor and self._anchor_mapper is not None:
            return self._anchor_mapper.match_position(target)
        return self._mappers[pane].match_position(target + self._offset(pane)[0])

    def set_scroll_linked(self, linked: bool) -> None:
        """Link scrolling (on by default) or let each pane scroll alone. Turning it on
        lines the others up with the pane scrolled last; offsets are kept."""
        if linked != self.scroll_linked:
            self.scroll_linked = linked
            if linked:
                self._follow(self._leader)
            self._emit_links()

    def set_alignment(self) -> None:
        """"Align these two slices": the slices shown now are at the same place. The
        offset of each linked pane from the anchor is recorded (and kept for these two
        scans) and scrolling is linked."""
        if self._anchor is None:
            return
        anchor_index = self.viewers[self._anchor].index
        for pane, mapper in self._mappers.items():
            offset = mapper.offset_of(anchor_index, self.viewers[pane].index)
            if offset is not None:
                key = (self._frame_key(self._anchor), self._frame_key(pane))
                self._user_offsets.pop((key[1], key[0]), None)
                self._user_offsets[key] = offset
                self._notes[pane] = ""
        self._refresh_offsets()
        self.scroll_linked = True
        self._emit_links()

    def set_window_linked(self, linked: bool) -> None:
        """Link window/level (and inversion): the others take the last-touched pane's."""
        if linked != self.window_linked:
            self.window_linked = linked
            if linked:
                self._copy_view(self._leader, window=True, zoom=False)
            self._emit_links()

    def set_zoom_linked(self, linked: bool) -> None:
        """Link zoom and pan: the others take the last-touched pane's."""
        if linked != self.zoom_linked:
            self.zoom_linked = linked
            if linked:
                self._copy_view(self._leader, window=False, zoom=True)
            self._emit_links()

    def _on_view(self, pane: int, _state: ViewportState) -> None:
        series = self.viewers[pane].series
        if self._syncing or (series.series_instance_uid if series else None) != self._shown[pane]:
            return  # A new series starting from a fresh view: not a change to pass on.
        self._leader = pane
        if self.window_linked or self.zoom_linked:
            self._copy_view(pane, window=self.window_linked, zoom=self.zoom_linked)

    def _copy_view(self, pane: int, window: bool, zoom: bool, only: int | None = None) -> None:
        if not 0 <= pane < len(self.viewers) or self.viewers[pane].series is None:
            return
        source = self.viewers[pane]
        self._syncing = True
        try:
            for other, viewer in enumerate(self.viewers):
                if other == pane or viewer.series is None or only not in (None, other):
                    continue
                state = viewer.state
                if window:
                    state = replace(state, voi=source.state.voi, invert=source.state.invert)
                if zoom:
                    state = replace(state, zoom=source.state.zoom, pan=source.state.pan)
                viewer.set_state(state)
                if zoom:
                    viewer.set_fit(source.fit)
        finally:
            self._syncing = False

    # -- what the views show ---------------------------------------------------------
    def links(self) -> CompareLinks:
        """The links now, and each pane's part in them."""
        return CompareLinks(self.scroll_linked, self.window_linked, self.zoom_linked,
                            tuple(self._pane_link(p) for p in range(len(self.viewers))))

    def _pane_link(self, pane: int) -> PaneLink:
        viewer = self.viewers[pane]
        if viewer.series is None or viewer.slices is None:
            return PaneLink("empty")
        stack = self._stacks[pane]
        if stack is None:
            return PaneLink("waiting", WAITING)
        if not stack.known:
            return PaneLink("unlinkable", NO_POSITION)
        if not self.scroll_linked:
            return PaneLink("off")
        if pane == self._anchor:
            return PaneLink("anchor", note=self._notes[pane], offset_mm=0.0)
        if pane not in self._mappers:
            anchor = self._stacks[self._anchor] if self._anchor is not None else None
            if anchor is None:
                return PaneLink("unlinkable", PLAIN_ANCHOR_NO_POSITION if self.plain_words
                                else ANCHOR_NO_POSITION)
            return PaneLink("unlinkable", different_planes_reason(anchor.normal, stack.normal,
                                                                  self.plain_words))
        offset, by_user = self._offset(pane)
        same = self._frame_key(pane) == self._frame_key(self._anchor or 0)
        reason = "" if same and not by_user else (BY_HAND if by_user else MIDDLES)
        return PaneLink("linked", reason, self._notes[pane], offset, by_user)

    def _emit_links(self) -> None:
        links = self.links()
        if links != self._last_links:
            self._last_links = links
            self.links_changed.emit(links)
