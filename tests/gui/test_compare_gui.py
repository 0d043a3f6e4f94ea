"""Compare side by side, as a person uses it: drag series onto panes, scroll together."""

from pathlib import Path

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDropEvent, QPalette
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.gui.browser import SERIES_MIME
from app.gui.compare_view import ComparePage
from app.gui.main_window import MainWindow
from app.services.viewing import tree_of

TIMEOUT = 30_000


def _open_compare(window: MainWindow, qtbot: QtBot, disc: Path) -> ComparePage:
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(disc)
    action = next(a for m in window.menuBar().actions() if m.menu() is not None
                  for a in m.menu().actions() if a.text() == "&Compare side by side")
    action.trigger()
    page = window.compare_page
    assert page is not None and window.pages.currentWidget() is page
    return page


def _drag(window: MainWindow, page: ComparePage, pane: int, series_number: int) -> None:
    """Drag the series numbered ``series_number`` from the Studies dock onto ``pane``."""
    listed = window.browser_stack.currentWidget()
    assert listed is page.series_list
    item = next(i for uid, i in page.series_list._series_items.items()
                if any(s.series_instance_uid == uid and s.series_number == series_number
                       for s in page.series_list.all_series()))
    data = page.series_list.mimeData([item])
    assert data.hasFormat(SERIES_MIME)
    target = page.panes[pane]
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, data,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    target.dropEvent(event)


def test_two_series_scroll_together_by_position(window: MainWindow, qtbot: QtBot,
                                                ct_disc: Path) -> None:
    page = _open_compare(window, qtbot, ct_disc)
    first, second = page.compare.viewers
    assert first.series is not None and first.series.series_number == 2  # what was on screen
    assert page.panes[1].title.text() == "Drag a series here, or click one in the list on the left."
    _drag(window, page, 1, 3)  # the thick series: one slice for four thin ones
    qtbot.waitUntil(lambda: [p.state for p in page.compare.links().panes]
                    == ["anchor", "linked"], timeout=TIMEOUT)
    assert second.series is not None and second.series.series_number == 3
    assert "· 2 Jan 2024" in page.panes[1].title.text()
    qtbot.waitUntil(lambda: page.panes[1].viewport.frame is not None, timeout=TIMEOUT)
    first.go_to(10)
    assert second.index == 2
    page.panes[1].viewport.step_requested.emit(1)  # the wheel over the right side
    assert (second.index, first.index) == (3, 14)
    assert page.action_align.isEnabled()


def test_a_series_cut_another_way_says_why_it_does_not_follow(
        window: MainWindow, qtbot: QtBot, ct_disc: Path) -> None:
    page = _open_compare(window, qtbot, ct_disc)
    _drag(window, page, 1, 1)  # the scout: a picture from the front
    qtbot.waitUntil(lambda: page.compare.links().panes[1].state == "unlinkable",
                    timeout=TIMEOUT)
    assert page.panes[1].link_text.text() == (
        "These pictures are cut from the front and the first series across the body, so "
        "they cannot scroll together.")
    assert not page.action_align.isEnabled()


def test_links_and_four_panes_from_the_toolbar(window: MainWindow, qtbot: QtBot,
                                               ct_disc: Path) -> None:
    page = _open_compare(window, qtbot, ct_disc)
    assert page.action_link_scroll.isChecked() and not page.action_link_window.isChecked()
    page.action_link_window.trigger()
    assert page.compare.window_linked
    page.action_link_scroll.trigger()
    assert not page.compare.scroll_linked
    page.action_four.trigger()
    assert len(page.panes) == 4 and len(page.compare.viewers) == 4
    assert page.grid.itemAtPosition(1, 1).widget() is page.panes[3]
    page.action_two.trigger()
    assert len(page.panes) == 2
    # Back to the viewer and to compare again: the panes keep their series, and the
    # Studies dock shows each page's own list.
    window.show_viewer()
    assert window.browser_stack.currentWidget() is window.browser
    window.show_compare()
    assert window.browser_stack.currentWidget() is page.series_list
    assert page.compare.viewers[0].series is not None


def test_the_studies_dock_lists_the_open_disc_on_the_compare_page(
        window: MainWindow, qtbot: QtBot, ct_disc: Path) -> None:
    page = _open_compare(window, qtbot, ct_disc)
    assert window.browser_dock.isVisible() and page.series_list.isVisible()
    assert ({s.series_instance_uid for s in page.series_list.all_series()}
            == {s.series_instance_uid for s in window.browser.all_series()})
    assert page.series_list.topLevelItemCount() == 1  # one patient, one study
    assert page.series_list.topLevelItem(0).childCount() == 1


def test_a_pane_title_takes_the_description_read_later_from_the_headers(
        window: MainWindow, qtbot: QtBot, ct_disc: Path) -> None:
    page = _open_compare(window, qtbot, ct_disc)
    _drag(window, page, 1, 3)
    second = page.compare.viewers[1]
    qtbot.waitUntil(lambda: second.loaded is not None, timeout=TIMEOUT)
    assert second.loaded is not None
    described = second.loaded.instance.series_description
    # The disc's directory leaves the description out: only the image's header says it.
    assert described and second.series is not None
    assert not any(ref.series_description for ref in second.series.instances)
    qtbot.waitUntil(lambda: page.panes[1].title.text().startswith(f"3 · CT scan · {described}"),
                    timeout=TIMEOUT)
    assert page.panes[1].title.text() == f"3 · CT scan · {described} · 2 Jan 2024"
    # A tree made before the headers were read (the pane's reader opening the disc) does
    # not take the description back.
    page.panes[1].name_series_from(tree_of(list(second.series.instances)))
    assert page.panes[1].title.text() == f"3 · CT scan · {described} · 2 Jan 2024"


def test_with_no_pane_chosen_a_clicked_series_fills_the_first_empty_pane(
        window: MainWindow, qtbot: QtBot, ct_disc: Path) -> None:
    page = _open_compare(window, qtbot, ct_disc)
    page.action_four.trigger()
    listed = page.series_list

    def number_in(pane: int) -> int | None:
        series = page.compare.viewers[pane].series
        return series.series_number if series is not None else None

    def click(series_number: int, double: bool = False) -> None:
        uid = next(s.series_instance_uid for s in listed.all_series()
                   if s.series_number == series_number)
        item = listed._series_items[uid]
        listed.scrollToItem(item)
        where = listed.visualItemRect(item).center()
        QTest.mouseClick(listed.viewport(), Qt.MouseButton.LeftButton, pos=where)
        if double:  # a mouse's double-click: a click, then the second press and release
            QTest.mouseDClick(listed.viewport(), Qt.MouseButton.LeftButton, pos=where)
            QTest.mouseRelease(listed.viewport(), Qt.MouseButton.LeftButton, pos=where)

    assert [number_in(p) for p in range(4)] == [2, None, None, None]
    click(3, double=True)  # shown once, not once more in the next empty pane
    assert [number_in(p) for p in range(4)] == [2, 3, None, None]
    click(1)
    assert [number_in(p) for p in range(4)] == [2, 3, 1, None]
    click(2)  # already on screen: left where it is
    assert [number_in(p) for p in range(4)] == [2, 3, 1, None]
    assert not any(pane.current for pane in page.panes)
    qtbot.waitUntil(lambda: page.panes[2].viewport.frame is not None, timeout=TIMEOUT)
    # Once a pane is clicked, the list's series go there, and only that pane is framed.
    QTest.mouseClick(page.panes[3].title, Qt.MouseButton.LeftButton)
    assert [pane.current for pane in page.panes] == [False, False, False, True]
    highlight = page.panes[3].palette().color(QPalette.ColorRole.Highlight)
    edges = [pane.grab().toImage().pixelColor(1, pane.height() // 2) for pane in page.panes]
    assert [edge == highlight for edge in edges] == [False, False, False, True]
    click(2)
    assert [number_in(p) for p in range(4)] == [2, 3, 1, 2]
