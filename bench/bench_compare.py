"""Compare: synchronised scrolling of two 512 x 512 series against scrolling one.

Both series are the thin axial series of a sample disc (both panes change slice at every
step: the worst case; a thicker series would redraw less often). Every frame is decoded
beforehand, so what is measured is what scrolling costs once the frames are in memory.
Goal (issue 15): two linked series within 1.3x of one.

Through the model: one ViewerModel stepping through 100 slices, each frame rendered as
the canvas renders it (one window gather into RGB32), against a CompareModel whose first
pane steps and whose second follows by position, both rendered; then the same two panes
stepped by hand, which is what linking itself adds (target 1.1x).

Through the GUI, offscreen, in a 1200 x 800 window: the viewer page's one viewport
against the compare page's two, each step painted by the event loop as on screen (one
paint per pane per step, checked); then the pictures alone (window gather and draw, no
corner text, no model) of two panes against the viewport's; then linked against stepped
by hand.

What bounds the ratio. Linking costs nothing (the linked-vs-by-hand lines stay near
1.0x). Each pane draws its own series, so each needs its own gather over all 512 x 512
pixels and its own draw, smooth because a pane of ~463 pixels shrinks the image (the
viewer's rule: smooth when shrinking, pixels when enlarging); one pane's picture costs
about as much as the viewer's (the "pictures alone" line: ~2.2-2.4x for two). Done one
after the other, the two-pane step therefore costs about one viewer step plus a second
picture: 1.7-2.1x here, and 1.3x is out of reach without doing the two pictures at once.
Doing them at once on the machine's two cores was tried, with a thread pool shared by
the panes (each pane's rendering started when its frame changes, or all of them at the
first paint): numpy's gather does run without Python's lock, but PySide6 keeps the lock
during QPainter.drawImage (and QImage.scaled), so only the gather (~0.14 ms of a pane's
~0.4 ms) can overlap, and handing the lock between threads at every step cost more than
that (2.7-3.4x when started at the frame change, no gain at the first paint). Rendering
straight to the pane's size with one gather (an index map) would sample the nearest
pixel: not the smooth picture the viewer shows when shrinking, so it was not done.

Uncached (the realistic scroll, as bench_viewer's uncached line): a step to every pane
painted with each frame decoded on demand from the disc and nothing decoded ahead; the
compare page's two linked panes, each with its own reader and loader thread, against the
viewer page's one viewport. Measured at 1.95-2.1x (one viewer ~2.0 ms, two panes ~4.0 ms):
each pane decodes its own frame (~0.6 ms of pydicom reading and numpy, most of it holding
Python's lock) and paints its own picture. The two loader threads run at the same time
but take turns at the lock: two load_frame calls on two threads at once cost ~2.4x one
(1.5 ms against 0.6 ms), more than one after the other. 1.3x would need the decode to
leave the lock (a decoder in C that releases it, or a process per pane). Scrolling
through frames already decoded no longer wakes the pane's loader thread at each step
(app.gui.session asks only for frames not in the cache).

Uncached, JPEG 2000 (the same disc written in JPEG 2000): each pane's decode (~25 ms a
frame) dwarfs its paint, so the line measures whether the panes decode at once. imagecodecs
decodes without Python's lock (app.imaging.imagecodecs_plugin): measured 1.08x (two panes
33.3 ms, one viewer 31.0 ms; 1.27x with another job busy on the machine), against 2.01x
(61.3 ms against 30.8 ms) with pydicom's plugins, which hold the lock. On a loaded
machine the ratio climbs toward 2x: glibc's mmap of OpenJPEG's large buffers serialises
the threads' page faults (measured: two threads decode in 1.0-1.1x of one's time with
MALLOC_MMAP_THRESHOLD_ raised, 1.3-2.0x without).
"""

import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.core.models import PatientNode, SeriesNode
from app.imaging.render import GreyFrame
from app.imaging.slice_position import SliceGeometry
from app.services.compare import CompareModel, series_geometry
from app.services.viewer_model import OpenSource, ViewerModel
from app.services.viewing import LoadedFrame, MediumReader, tree_of
from bench.bench_media import _disc
from bench.harness import Comparison, compare, p50_p95, timed

if TYPE_CHECKING:
    from app.gui.compare_view import ComparePage
    from app.gui.main_window import MainWindow
    from app.gui.viewport import QtViewport

STEPS = 100
TIMEOUT_S = 120.0
# Grey level -> opaque 0xffRRGGBB, the canvas's palette (app.gui.viewport.GREY_TO_RGB32).
PALETTE = (np.arange(256, dtype=np.uint32) * 0x010101) | 0xFF000000


Frames = dict[tuple[str, int], LoadedFrame]


def load_series(disc: Path) -> tuple[MediumReader, tuple[PatientNode, ...], SeriesNode, Frames]:
    """The disc's reader, tree, thin axial series (series 2) and all its frames decoded."""
    reader = MediumReader(disc)
    opened = reader.open()
    patients = tree_of(list(opened.listed))
    series = next(s for p in patients for st in p.studies for s in st.series
                  if s.series_number == 2)
    frames = {(ref.path, 0): reader.load_frame(ref.path, 0) for ref in series.instances}
    return reader, patients, series, frames


def _headless_view(viewer: ViewerModel) -> None:
    """Render every frame the viewer shows, as the canvas's compose_image does."""

    def draw(loaded: LoadedFrame) -> None:
        assert isinstance(loaded.frame, GreyFrame)
        loaded.frame.render(viewer.state.voi, viewer.state.invert, 1, palette=PALETTE)

    viewer.frame_changed.connect(draw)


def run_model(disc: Path) -> None:
    """The model-level figure."""
    reader, patients, series, frames = load_series(disc)
    geometry = series_geometry(reader.dataset, series)
    reader.close()
    source = OpenSource("medium", disc)

    one = ViewerModel(prefetch_ahead=0)
    one.open_source(source)
    one.select_series(series)
    for key, loaded in frames.items():
        one.cache.put(key, loaded)
    _headless_view(one)

    pair = _linked_pair(source, patients, series, frames, geometry)
    assert pair.links().panes[1].state == "linked"
    leader, follower = pair.viewers
    leader.go_to(10)
    assert follower.index == 10, "the second pane must follow"

    compare(
        f"synchronised scroll, model: {STEPS} steps, two linked 512 x 512 series vs one",
        ("two panes, linked, both rendered", _back_and_forth(leader)),
        ("one viewer, rendered", _back_and_forth(one)),
        target="<= 1.3x",
        runs=7,
        warmup=1,
    )
    # What linking itself adds: the same two panes, each stepped by hand.
    pair.set_scroll_linked(False)

    def by_hand() -> None:
        _back_and_forth(leader)()
        _back_and_forth(follower)()

    pair_linked = _linked_pair(source, patients, series, frames, geometry)
    compare(
        f"synchronised scroll, model: {STEPS} steps, linked vs the same two stepped by hand",
        ("two panes, linked", _back_and_forth(pair_linked.viewers[0])),
        ("two panes, each stepped", by_hand),
        target="<= 1.1x",
        runs=7,
        warmup=1,
    )
    pair_linked.close()
    pair.close()
    one.close()


def _linked_pair(source: OpenSource, patients: tuple[PatientNode, ...], series: SeriesNode,
                 frames: Frames, geometry: dict[tuple[str, int], SliceGeometry]) -> CompareModel:
    """A compare model showing ``series`` in both panes, every frame cached, rendered."""
    pair = CompareModel(make_viewer=lambda: ViewerModel(prefetch_ahead=0))
    for pane in (0, 1):
        pair.show(pane, source, patients, series)
        for key, loaded in frames.items():
            pair.viewers[pane].cache.put(key, loaded)
        pair.set_geometry(pane, series.series_instance_uid, geometry)
        _headless_view(pair.viewers[pane])
    return pair


def _back_and_forth(viewer: ViewerModel) -> Callable[[], None]:
    """STEPS steps forward, or back when the end is near (never clamped at an end)."""

    def scroll() -> None:
        direction = 1 if viewer.index + STEPS < viewer.count else -1
        for _ in range(STEPS):
            viewer.step(direction)

    return scroll


def _settle(condition: Callable[[], bool], what: str) -> None:
    """Run the Qt event loop until ``condition`` holds."""
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen in time")
        QApplication.processEvents()
        time.sleep(0.005)


def _window_on_axial(disc: Path) -> tuple["MainWindow", SeriesNode]:
    """A 1200 x 800 main window (offscreen) with the disc's thin axial series (series 2)
    selected in the viewer."""
    from app.gui.main_window import MainWindow

    window = MainWindow()
    window.resize(1200, 800)
    window.show()
    window.open_path(disc)
    _settle(lambda: window.image_shown, "the first image")
    series = next(s for p in window.viewer.patients for st in p.studies for s in st.series
                  if s.series_number == 2)
    window.viewer.select_series(series)
    return window, series


def _side_by_side(window: "MainWindow", series: SeriesNode,
                  prefetch_ahead: int | None = None) -> "ComparePage":
    """The compare page with ``series`` in both panes (``prefetch_ahead`` for the panes'
    viewers when given, before the series is shown)."""
    from app.gui.compare_view import series_offer

    window.show_compare()
    page = window.compare_page
    assert page is not None
    if prefetch_ahead is not None:
        for pane_viewer in page.compare.viewers:
            pane_viewer.prefetch_ahead = prefetch_ahead
    offer = series_offer(window)
    assert offer is not None
    page.show_series(0, offer, series)
    page.show_series(1, offer, series)
    return page


def run_gui(disc: Path) -> None:
    """The figure through the GUI, offscreen: one window of 1200 x 800; the viewer page
    with one viewport against the compare page with two, each step painted at once."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.gui.viewport import QtViewport

    application = QApplication.instance() or QApplication([])
    window, series = _window_on_axial(disc)
    viewer = window.viewer
    _settle(lambda: viewer.slices is not None
            and all(s.key in viewer.cache for s in viewer.slices.slices), "decoding")

    page = _side_by_side(window, series)
    leader, follower = page.compare.viewers
    _settle(lambda: all(v.slices is not None and all(s.key in v.cache for s in v.slices.slices)
                        for v in (leader, follower)), "decoding for both panes")
    _settle(lambda: page.compare.links().panes[1].state == "linked", "linking")
    leader.go_to(10)
    assert follower.index == 10, "the second pane must follow"

    def paint() -> None:
        # What the event loop does after a step: each viewport marked for update is
        # painted once, in one pass over the window.
        QApplication.processEvents()

    def one() -> None:
        window.pages.setCurrentWidget(window.page)
        direction = 1 if viewer.index + STEPS < viewer.count else -1
        for _ in range(STEPS):
            viewer.step(direction)
            paint()

    def two() -> None:
        window.pages.setCurrentWidget(page)
        direction = 1 if leader.index + STEPS < leader.count else -1
        for _ in range(STEPS):
            leader.step(direction)
            paint()

    def by_hand() -> None:
        window.pages.setCurrentWidget(page)
        direction = 1 if leader.index + STEPS < leader.count else -1
        for _ in range(STEPS):
            leader.step(direction)
            follower.step(direction)
            paint()

    painted: list[int] = []
    for pane in page.panes:
        pane.viewport.painted.connect(partial(painted.append, pane.index))
    two()
    assert sorted(painted[-2:]) == [0, 1] and len(painted) == STEPS * 2, "one paint a pane"
    sizes = (window.viewport.size(), page.panes[0].viewport.size())
    compare(
        f"synchronised scroll, GUI: {STEPS} steps painted, two linked 512 x 512 series vs one",
        (f"two viewports of {sizes[1].width()} x {sizes[1].height()}", two),
        (f"one viewport of {sizes[0].width()} x {sizes[0].height()}", one),
        target="<= 1.3x",
        runs=7,
        warmup=1,
    )
    # The pictures alone, each frame's window gather and draw as the paint does them,
    # without the corner text, the model or the event loop: two panes' against the one
    # viewport's. Drawn one after the other, as Qt paints them, this is the floor of the
    # line above (see the module's docstring).
    assert viewer.slices is not None
    frames = [loaded.frame for loaded in (viewer.cache.get(s.key) for s in
                                          viewer.slices.slices[:STEPS]) if loaded is not None]

    def pictures(viewports: list[QtViewport]) -> Callable[[], None]:
        def draw() -> None:
            for frame in frames:
                for viewport in viewports:
                    viewport.frame = frame
                    viewport.render_view("screen")
        return draw

    panes = [pane.viewport for pane in page.panes]
    shown = [v.frame for v in (*panes, window.viewport)]
    compare(
        f"synchronised scroll, GUI: {len(frames)} pictures alone (window gather and draw), "
        "two panes vs one viewport",
        ("two panes' pictures", pictures(panes)),
        ("one viewport's picture", pictures([window.viewport])),
        target="the floor of the line above, drawn one after the other",
        runs=7,
        warmup=1,
    )
    for viewport, frame in zip((*panes, window.viewport), shown, strict=True):
        viewport.frame = frame

    def linked() -> None:
        page.compare.set_scroll_linked(True)
        two()

    def unlinked() -> None:
        page.compare.set_scroll_linked(False)
        by_hand()

    compare(
        f"synchronised scroll, GUI: {STEPS} steps painted, linked vs the same two stepped "
        "by hand",
        ("two viewports, linked", linked),
        ("two viewports, each stepped", unlinked),
        target="<= 1.1x",
        runs=7,
        warmup=1,
    )
    window.close()
    del application


def _wait_painted(condition: Callable[[], bool], viewports: list["QtViewport"]) -> None:
    """Run the event loop until ``condition`` holds, woken by the viewports' paints (no
    polling, as bench_viewer waits)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    for viewport in viewports:
        viewport.painted.connect(loop.quit)
    QTimer.singleShot(int(TIMEOUT_S * 1000), loop.quit)
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the panes were not painted in time")
            loop.exec()
    finally:
        for viewport in viewports:
            viewport.painted.disconnect(loop.quit)


def run_uncached(disc: Path, runs: int = 40, kind: str = "") -> Comparison:
    """Scrolling as it really goes: each step's frames decoded on demand from the disc,
    nothing decoded ahead (bench_viewer's uncached scroll). The compare page's two linked
    panes, each with its own reader and loader thread, from a step to both panes painted,
    against the viewer page's one viewport from a step to it painted; both in a 1200 x 800
    window, alternately. The two panes' frames are decoded at once, one on each pane's
    loader thread, so the ratio is about what two decodes at once cost against one.
    ``kind`` names the disc's transfer syntax in the line ("" for uncompressed)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    application = QApplication.instance() or QApplication([])
    window, series = _window_on_axial(disc)
    viewer = window.viewer
    viewer.prefetch_ahead = 0  # Nothing decoded ahead: every step decodes.
    _settle(lambda: viewer.loaded is not None
            and viewer.slices is not None and viewer.loaded.instance.path
            == viewer.slices.current.instance.path, "the series' first image")

    page = _side_by_side(window, series, prefetch_ahead=0)
    leader, follower = page.compare.viewers
    _settle(lambda: page.compare.links().panes[1].state == "linked", "linking")
    _settle(lambda: all(p.viewport.frame is not None for p in page.panes), "both panes")
    # No background filling of the series (frames, thumbnails): only what a step wants.
    sessions = [session for session in (window.session, *page.sessions.values())
                if session is not None]
    assert len(sessions) == 3, "one reader for the viewer and one for each pane"
    for session in sessions:
        session.loader.clear()
    _settle(lambda: all(session.loader.idle for session in sessions), "the loaders idle")

    panes = [pane.viewport for pane in page.panes]
    painted = {id(v): 0 for v in (*panes, window.viewport)}
    for viewport in (*panes, window.viewport):
        viewport.painted.connect(partial(_count, painted, id(viewport)))

    def step(models: list[ViewerModel], viewports: list["QtViewport"], lead: ViewerModel
             ) -> Callable[[], None]:
        def run_step() -> None:
            direction = 1 if lead.index + 1 < lead.count else -1
            before = [painted[id(v)] for v in viewports]
            lead.step(direction)

            def done() -> bool:
                return all(painted[id(v)] > b and _shows(v, m)
                           for v, b, m in zip(viewports, before, models, strict=True))

            _wait_painted(done, viewports)
        return run_step

    two = step([leader, follower], panes, leader)
    one = step([viewer], [window.viewport], viewer)

    def on(page_widget: object, models: list[ViewerModel]) -> None:
        # Untimed: show the page and forget every decoded frame.
        window.pages.setCurrentWidget(page_widget)  # type: ignore[arg-type]
        QApplication.processEvents()
        for model in models:
            model.cache.clear()

    two_times: list[float] = []
    one_times: list[float] = []
    for number in range(runs + 2):
        on(page, [leader, follower])
        elapsed_two = timed(two)
        assert leader.index == follower.index, "the second pane must follow"
        on(window.page, [viewer])
        elapsed_one = timed(one)
        if number >= 2:  # warm-up
            two_times.append(elapsed_two)
            one_times.append(elapsed_one)
    ratio = statistics.median(a / b for a, b in zip(two_times, one_times, strict=True))
    result = Comparison(
        "synchronised scroll, GUI, uncached: a step to painted, frames decoded on demand "
        f"from the disc{f' ({kind})' if kind else ''}, two linked 512 x 512 panes "
        "(a reader each) vs one viewer",
        "two panes, both painted", "one viewer, painted",
        statistics.median(two_times), statistics.median(one_times), ratio, "<= 1.3x")
    print(result.line(), flush=True)
    print(f"  two panes {p50_p95(two_times)} | one viewer {p50_p95(one_times)}", flush=True)
    for session in sessions:
        session.loader.clear()
    window.close()
    del application
    return result


def _count(painted: dict[int, int], key: int) -> None:
    painted[key] += 1


def _shows(viewport: "QtViewport", model: ViewerModel) -> bool:
    """Whether ``viewport`` shows the decoded frame of ``model``'s current slice."""
    if model.slices is None:
        return False
    loaded = model.cache.get(model.slices.current.key)
    return loaded is not None and viewport.frame is loaded.frame


def run() -> None:
    """Run the compare benchmarks and print their lines."""
    disc = _disc("compare-200", slices=200)
    run_model(disc)
    run_gui(disc)
    run_uncached(disc)
    run_uncached(_jpeg2000_disc(), kind="JPEG 2000")


def _jpeg2000_disc() -> Path:
    """The same 200-slice disc in JPEG 2000: each step's decode (~25 ms a frame) dwarfs
    the paint, so the uncached line measures whether the panes decode at once."""
    return _disc("compare-200-jpeg2000", slices=200, transfer_syntax="jpeg2000")


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["uncached"]:
        # Only the uncached line, N times: python -m bench.bench_compare uncached [N]
        for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 1):
            run_uncached(_disc("compare-200", slices=200))
    elif sys.argv[1:2] == ["uncached-jpeg2000"]:
        # The JPEG 2000 uncached line, N times: python -m bench.bench_compare uncached-jpeg2000 [N]
        for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 1):
            run_uncached(_jpeg2000_disc(), kind="JPEG 2000")
    else:
        run()
