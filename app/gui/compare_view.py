"""The compare page: two or four viewports side by side, each with its own series.

It observes a CompareModel: which panes scroll, window and zoom together, and why some
cannot, are the model's rules. Each pane has its own reader (a ViewerSession on the
pane's disc or library study), so a series of last year's study from the library and
one of today's disc can be shown side by side. A series is dragged from the page's own
series list (shown in the Studies dock while the page is) onto a pane, or clicked there
(or chosen with Enter): it then goes to the pane last clicked or scrolled, framed in the
highlight colour, else to the first empty one (``CompareModel.pane_for_choice``). The list
shows every study the page can offer, the pair being compared, the studies on screen and
the medium open in the viewer, each under its date.

Every pane keeps the same room for its title and its note, so the images of the panes
stay level whatever each pane has to say.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QDragEnterEvent,
    QDropEvent,
    QFocusEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QToolBar,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.models import InstanceRef, PatientNode, SeriesNode
from app.gui.browser import SERIES_MIME, SERIES_ROLE, SeriesBrowser
from app.gui.preferences import cache_budget_bytes
from app.gui.session import ViewerSession
from app.gui.viewport import QtViewport, ViewportModel
from app.imaging.frame_cache import FrameCache
from app.services.compare import (
    FULL_WORDS,
    CompareLinks,
    CompareModel,
    CompareWords,
    Layout,
    PaneLink,
    compare_words,
    offered_tree,
    series_geometry,
)
from app.services.privacy import Privacy
from app.services.viewer_model import OpenSource, ViewerModel
from app.services.viewer_text import display_date, series_label, shown_series
from app.services.viewing import LoadedFrame

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

EMPTY_PANE = FULL_WORDS.empty_pane  # the simple view's is compare_words(True).empty_pane
# Lines kept for each pane's note, whether it has one or not: the images stay level.
NOTE_LINES = 2
USER_FOCUS = (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason,
              Qt.FocusReason.ShortcutFocusReason)


@dataclass(frozen=True)
class SeriesOffer:
    """What the series list shows now, for a series dropped from it: where it is read
    from, the instances the library knows (none for a disc) and the tree."""

    source: OpenSource
    known: tuple[InstanceRef, ...]
    patients: tuple[PatientNode, ...]


def find_series(patients: tuple[PatientNode, ...], uid: str) -> SeriesNode | None:
    """The series ``uid`` of ``patients`` (None when it is not there)."""
    for patient in patients:
        for study in patient.studies:
            for series in study.series:
                if series.series_instance_uid == uid:
                    return series
    return None


class OneLineLabel(QLabel):
    """A label one line high: a text too long for it ends in "…" (the tooltip has it
    whole); ``text()`` stays the whole text."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setToolTip(text)

    def set_whole_text(self, text: str) -> None:
        self.setText(text)
        self.setToolTip(text)

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.fontMetrics().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.fontMetrics().height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        area = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                              area.width())
        painter.drawText(area, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         shown)


class ComparePane(QWidget):
    """One viewport under a line naming its series and the room for a note saying how it
    is linked (kept empty when there is nothing to say)."""

    series_dropped = Signal(int, str)  # pane, series UID
    chosen = Signal(int)  # pane: clicked, focused or scrolled by the user

    def __init__(self, index: int, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.viewer = viewer
        self.current = False  # where a series clicked in the list goes: framed
        self.words = FULL_WORDS  # the full view's until set_words
        self.setAcceptDrops(True)
        self.title = OneLineLabel(self.tr(EMPTY_PANE))
        self._named: SeriesNode | None = None  # the node the title was made from
        self.link_text = QLabel()
        self.link_text.setWordWrap(True)
        self.link_text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.set_note_height(self.note_height())
        self.model = ViewportModel(viewer)
        self.viewport = QtViewport(self.model)
        self.viewport.setMinimumSize(120, 120)
        self.viewport.step_requested.connect(viewer.step)
        self.viewport.show_message(self.tr(EMPTY_PANE))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.link_text)
        layout.addWidget(self.viewport, 1)
        # The viewport takes its own clicks and wheel: watched, not taken, to know which
        # pane the user is working in (a click on the title reaches the pane itself).
        self.viewport.installEventFilter(self)
        self._stops = [
            viewer.frame_changed.connect(self._on_frame),
            viewer.frame_unavailable.connect(self.viewport.show_message),
            # The overlay just made, not a second one: it is made at every step.
            viewer.overlay_changed.connect(
                lambda overlay: self.viewport.set_overlay(overlay, viewer.markers())),
            viewer.series_changed.connect(self._on_series),
            viewer.tree_changed.connect(self.name_series_from),
        ]

    def set_words(self, words: CompareWords) -> None:
        """Say what this pane asks for in the simple or the full view's words."""
        if words == self.words:
            return
        self.words = words
        if self._named is None:
            self.title.set_whole_text(self.tr(words.empty_pane))
        if self.viewer.series is None:
            self.viewport.show_message(self.tr(words.empty_pane))
        if self.current:
            self.setAccessibleDescription(self.tr(words.current_pane))

    def disconnect_model(self) -> None:
        """Stop observing the viewer (the pane is being removed)."""
        for stop in self._stops:
            stop()
        self._stops = []

    def _on_frame(self, loaded: LoadedFrame) -> None:
        self.viewport.show_frame(loaded.frame)

    def name_series_from(self, patients: tuple[PatientNode, ...]) -> None:
        """Name the series shown after its node in ``patients`` (a newer tree: the
        descriptions a disc's directory left out are filled in from the headers read
        later)."""
        shown, named = self.viewer.series, self._named
        if shown is None:
            return
        found = find_series(patients, shown.series_instance_uid)
        # A tree that has not read the headers yet (the pane's reader opening the disc)
        # must not take back a description already known.
        known = (named is not None and named.series_instance_uid == shown.series_instance_uid
                 and bool(named.series_description))
        if found is not None and (found.series_description or not known):
            self._on_series(found)

    def _on_series(self, series: SeriesNode | None) -> None:
        self._named = series
        if series is None:
            self.title.set_whole_text(self.tr(self.words.empty_pane))
            return
        date = series.instances[0].study_date if series.instances else ""
        text = series_label(series)
        self.title.set_whole_text(f"{text} · {display_date(date)}" if date else text)

    def show_link(self, link: PaneLink) -> None:
        """Say how this pane scrolls with the others (nothing when all is well); the
        room for it is kept either way."""
        text = " ".join(self.tr(t) for t in (link.reason, link.note) if t)
        self.link_text.setText(text)
        self.link_text.setToolTip(text)

    def note_height(self) -> int:
        """The height this pane's note needs at its width (at least NOTE_LINES lines)."""
        label = self.link_text
        margins = label.contentsMargins().top() + label.contentsMargins().bottom()
        least = NOTE_LINES * label.fontMetrics().lineSpacing() + margins
        if not label.text() or label.width() <= 0:
            return least
        return max(least, label.heightForWidth(label.width()))

    def set_note_height(self, height: int) -> None:
        """Keep ``height`` for the note (the same in every pane)."""
        if self.link_text.height() != height or self.link_text.minimumHeight() != height:
            self.link_text.setFixedHeight(height)

    def set_current(self, current: bool) -> None:
        """Frame this pane (or not) as the one a series clicked in the list goes to."""
        if current != self.current:
            self.current = current
            self.setAccessibleDescription(
                self.tr(self.words.current_pane) if current else "")
            self.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        # Focus counts only when the user moved it (Tab): not when the window opens.
        by_user = (kind in (QEvent.Type.MouseButtonPress, QEvent.Type.Wheel)
                   or (kind == QEvent.Type.FocusIn and isinstance(event, QFocusEvent)
                       and event.reason() in USER_FOCUS))
        if by_user:
            self.chosen.emit(self.index)
        return False

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.chosen.emit(self.index)
        super().mousePressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.current:
            # A thin frame in the margin around the pane: seen, without covering the image.
            painter = QPainter(self)
            painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 2))
            painter.drawRect(self.rect().adjusted(1, 1, -1, -1))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(SERIES_MIME):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        data = event.mimeData()
        if data.hasFormat(SERIES_MIME):
            uid = bytes(data.data(SERIES_MIME).data()).decode("utf-8", "replace")
            event.acceptProposedAction()
            self.series_dropped.emit(self.index, uid)


class ComparePage(QWidget):
    """Panes side by side, the buttons that link them and the list of series to show.

    ``live_offer()`` is what the viewer has open now (None when nothing): its series are
    offered with those of the studies given by :meth:`set_offers` and of those on screen.
    """

    def __init__(self, privacy: Privacy, live_offer: Callable[[], SeriesOffer | None],
                 cache_bytes: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.live_offer = live_offer
        self.cache_bytes = cache_bytes
        self.privacy = privacy
        self.full_detail = True  # the full view's corner lines until told otherwise
        self.words = FULL_WORDS  # and its words ("series"), until set_view_mode
        self.compare = CompareModel(privacy=privacy, make_viewer=self._make_viewer)
        self.sessions: dict[int, ViewerSession] = {}
        self._session_stops: dict[int, list[Callable[[], None]]] = {}
        self.panes: list[ComparePane] = []
        self._given: list[SeriesOffer] = []  # the studies being compared
        self._shown: dict[int, SeriesOffer] = {}  # pane -> where its series came from
        # The series to show in the panes; the main window shows it in its Studies dock.
        self.series_list = SeriesBrowser(privacy)
        self.series_list.setAccessibleName(self.tr(self.words.list_name))
        # A click, Enter or a double-click shows the series in the chosen pane.
        self.series_list.itemClicked.connect(self._on_list_choice)
        self.series_list.itemActivated.connect(self._on_list_choice)

        self.toolbar = QToolBar(self.tr("Compare"))
        layouts = QActionGroup(self)
        self.action_two = self._action(self.tr("Side by side"), checkable=True)
        self.action_four = self._action(self.tr("Four at once"), checkable=True)
        shapes: tuple[tuple[QAction, Layout], ...] = (
            (self.action_two, "1x2"), (self.action_four, "2x2"))
        for action, shape in shapes:
            layouts.addAction(action)
            action.triggered.connect(partial(self._set_layout, shape))
        self.action_two.setChecked(True)
        self.toolbar.addSeparator()
        self.action_link_scroll = self._action(self.tr("Link scrolling"), checkable=True)
        self.action_link_scroll.toggled.connect(self.compare.set_scroll_linked)
        self.action_align = self._action(self.tr("Align these two slices"))
        self.action_align.setToolTip(self.tr(
            "Scroll each side to the same place in the body, then click: scrolling then "
            "keeps them together."))
        self.action_align.triggered.connect(self.compare.set_alignment)
        self.action_link_window = self._action(self.tr("Link window"), checkable=True)
        self.action_link_window.toggled.connect(self.compare.set_window_linked)
        self.action_link_zoom = self._action(self.tr("Link zoom"), checkable=True)
        self.action_link_zoom.toggled.connect(self.compare.set_zoom_linked)

        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toolbar)
        layout.addLayout(self.grid, 1)

        self.compare.links_changed.connect(self._on_links)
        self.compare.geometry_wanted.connect(self._want_geometry)
        self.compare.layout_changed.connect(lambda _layout: self._build_panes())
        self._build_panes()
        self._on_links(self.compare.links())
        self.refresh_list()

    def _action(self, text: str, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setCheckable(checkable)
        self.toolbar.addAction(action)
        return action

    def _make_viewer(self) -> ViewerModel:
        # Each pane has its own cache: two media may hold files of the same name.
        panes = 4 if self.compare_layout() == "2x2" else 2
        cache: FrameCache[tuple[str, int], LoadedFrame] = FrameCache(
            lambda loaded: loaded.nbytes, max(1, self.cache_bytes // panes))
        viewer = ViewerModel(self.privacy, cache)
        viewer.set_full_detail(self.full_detail)
        return viewer

    def set_language(self, language: str) -> None:
        """Say the series list's plain sentences in ``language``."""
        self.series_list.set_language(language)

    def set_view_mode(self, plain_words: bool, full_detail: bool) -> None:
        """Follow the simple or full view: sentences in the list, and the technical
        corner lines and overlay planes in every pane (also in panes made later)."""
        self.full_detail = full_detail
        self.series_list.set_plain_words(plain_words)
        self.words = compare_words(plain_words)
        self.series_list.setAccessibleName(self.tr(self.words.list_name))
        self.compare.set_plain_words(plain_words)  # the panes' reasons
        for pane in self.panes:
            pane.set_words(self.words)
        for viewer in self.compare.viewers:
            viewer.set_full_detail(full_detail)
        for pane in self.panes:
            pane.viewport.update()

    def compare_layout(self) -> Layout:
        compare = getattr(self, "compare", None)
        return compare.layout if compare is not None else "1x2"

    # -- panes -----------------------------------------------------------------------
    def _set_layout(self, layout: Layout, _checked: bool = False) -> None:
        self.compare.set_layout(layout)

    def _build_panes(self) -> None:
        viewers = self.compare.viewers
        while len(self.panes) > len(viewers):
            pane = self.panes.pop()
            self._close_session(pane.index)
            pane.disconnect_model()
            self.grid.removeWidget(pane)
            pane.deleteLater()
        for index in range(len(self.panes), len(viewers)):
            viewer = viewers[index]
            pane = ComparePane(index, viewer)
            pane.set_words(self.words)
            pane.series_dropped.connect(self.drop_series)
            pane.chosen.connect(self.choose_pane)
            viewer.frames_wanted.connect(partial(self._forward, index, "want"))
            viewer.frames_prefetch.connect(partial(self._forward, index, "prefetch"))
            self.panes.append(pane)
        columns = 2
        for index, pane in enumerate(self.panes):
            self.grid.addWidget(pane, index // columns, index % columns)
        self.action_two.setChecked(self.compare.layout == "1x2")
        self.action_four.setChecked(self.compare.layout == "2x2")
        self._frame_current()
        self._on_links(self.compare.links())

    def choose_pane(self, pane: int) -> None:
        """The user clicked, focused or scrolled ``pane``: series clicked in the list go
        there from now on."""
        self.compare.set_current_pane(pane)
        self._frame_current()

    def _frame_current(self) -> None:
        for pane in self.panes:
            pane.set_current(pane.index == self.compare.current_pane)

    def _forward(self, pane: int, kind: str, slices: list[object]) -> None:
        session = self.sessions.get(pane)
        if session is None:
            return
        if kind == "want":
            session.want_frames(slices)  # type: ignore[arg-type]
        else:
            session.prefetch_frames(slices)  # type: ignore[arg-type]

    # -- what can be shown ---------------------------------------------------------
    def set_offers(self, offers: list[SeriesOffer]) -> None:
        """The studies being compared ("Compare with previous"): their series are listed
        to drag onto the panes, in place of the pair compared before."""
        self._given = list(offers)
        self.refresh_list()

    def offers(self) -> list[SeriesOffer]:
        """Where the listed series are read from: the studies being compared, those on
        screen, then what the viewer has open (its newest tree, when it is one of them)."""
        found: dict[OpenSource, SeriesOffer] = {}
        for offer in (*self._given, *self._shown.values()):
            found.setdefault(offer.source, offer)
        live = self.live_offer()
        if live is not None:
            found[live.source] = live
        return list(found.values())

    def refresh_list(self) -> None:
        """List the series of every study offered (after a change to one of them), with
        a small picture of each series read by a pane's reader."""
        self.series_list.set_tree(offered_tree(o.patients for o in self.offers()))
        for pane, session in self.sessions.items():
            offer = self._shown.get(pane)
            if offer is not None:
                session.want_thumbnails([s for p in offer.patients for st in p.studies
                                         for s in shown_series(st.series)])

    def drop_series(self, pane: int, uid: str) -> bool:
        """Show the series ``uid`` of the series list in ``pane``, read from the study it
        belongs to; False when the list no longer shows it."""
        for offer in self.offers():
            series = find_series(offer.patients, uid)
            if series is not None:
                self.show_series(pane, offer, series)
                return True
        return False

    def _on_list_choice(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        series = item.data(0, SERIES_ROLE)
        if isinstance(series, SeriesNode):
            self.choose_series(series.series_instance_uid)

    def choose_series(self, uid: str) -> bool:
        """Show the series ``uid`` clicked (or chosen with Enter) in the list in the pane
        the model picks; False when the list no longer shows it. A series already on
        screen where it would go is left as it is (a double-click is also a click)."""
        pane = self.compare.pane_for_choice()
        on_screen = {p for p, viewer in enumerate(self.compare.viewers)
                     if viewer.series is not None and viewer.series.series_instance_uid == uid}
        if pane in on_screen or (self.compare.current_pane is None and on_screen):
            return True
        return self.drop_series(pane, uid)

    def show_series(self, pane: int, offer: SeriesOffer, series: SeriesNode) -> None:
        """Show ``series`` (read from ``offer``'s source) in ``pane``."""
        viewer = self.compare.viewers[pane]
        session = self.sessions.get(pane)
        if session is None or viewer.source != offer.source:
            self._close_session(pane)
            session = ViewerSession(offer.source.path, viewer.cache, offer.known)
            self.sessions[pane] = session
            session.frame_loaded.connect(viewer.frame_loaded)
            session.frame_failed.connect(viewer.frame_failed)
            # Only the title follows the pane's reader: its tree may know fewer images
            # than the one the series came from while it identifies the disc's files.
            session.tree_changed.connect(self.panes[pane].name_series_from)
            session.open_failed.connect(self.panes[pane].viewport.show_message)
            session.loader.loaded.connect(partial(self._on_job, pane))
            session.thumbnail_loaded.connect(self.series_list.set_thumbnail)
        self.panes[pane].viewport.show_message(self.tr("Reading..."))
        self._shown[pane] = offer
        self.compare.show(pane, offer.source, offer.patients, series)
        self.refresh_list()

    def _close_session(self, pane: int) -> None:
        self._shown.pop(pane, None)
        session = self.sessions.pop(pane, None)
        if session is not None:
            session.close()
            session.deleteLater()

    def close_sessions(self) -> None:
        """Stop every pane's reader (the window is closing)."""
        for pane in list(self.sessions):
            self._close_session(pane)

    def _want_geometry(self, wanted: tuple[int, SeriesNode]) -> None:
        pane, series = wanted
        session = self.sessions.get(pane)
        if session is None:
            return
        read = partial(series_geometry, session.reader.dataset, series)
        session.loader.add_background([(("geometry", series.series_instance_uid), read)])

    def _on_job(self, pane: int, key: object, result: object) -> None:
        if isinstance(key, tuple) and key[0] == "geometry" and isinstance(result, dict):
            self.compare.set_geometry(pane, str(key[1]), result)

    # -- links -----------------------------------------------------------------------
    def _on_links(self, links: CompareLinks) -> None:
        for pane, link in zip(self.panes, links.panes, strict=False):
            pane.show_link(link)
        self._level_notes()
        for action, on in ((self.action_link_scroll, links.scroll),
                           (self.action_link_window, links.window),
                           (self.action_link_zoom, links.zoom)):
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)
        self.action_align.setEnabled(
            sum(p.state in ("anchor", "linked") for p in links.panes) >= 2)

    def _level_notes(self) -> None:
        """The same room for every pane's note: the one the longest note needs."""
        if self.panes:
            height = max(pane.note_height() for pane in self.panes)
            for pane in self.panes:
                pane.set_note_height(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._level_notes()  # A note wraps onto more lines in a narrower pane.


def series_offer(w: "MainWindow") -> SeriesOffer | None:
    """What the main window's series list shows now (None when nothing is open)."""
    session = w.session
    if session is None or w.viewer.source is None:
        return None
    # A library study's files are opened by path from its known instances; a disc is read
    # again by the pane's own reader.
    known = tuple(session.instances) if session.reader.is_library else ()
    return SeriesOffer(w.viewer.source, known, w.viewer.patients)


def show_compare(w: "MainWindow") -> ComparePage:
    """View > Compare side by side: the compare page, with the series on screen in the
    first pane when that pane is empty; the Studies dock lists the series the page offers,
    to drag onto the panes."""
    page = w.compare_page
    if page is None:
        page = ComparePage(w.privacy, lambda: series_offer(w), cache_budget_bytes(w.settings))
        w.compare_page = page
        w.pages.addWidget(page)
        w.browser_stack.addWidget(page.series_list)
        # The open medium's list grows as its files are identified.
        w.viewer.tree_changed.connect(lambda _patients: page.refresh_list())
        w.view_modes.apply()  # the simple or full view, as the rest of the window
    if w.pages.currentWidget() is w.library_view:
        w.summary.clear()  # the library's count does not describe the panes
    w.pages.setCurrentWidget(page)
    w.browser_stack.setCurrentWidget(page.series_list)
    w.browser_dock.show()
    w.action_library.setChecked(False)
    offer = series_offer(w)
    if page.compare.viewers[0].series is None and offer is not None and w.viewer.series:
        page.show_series(0, offer, w.viewer.series)
    return page
