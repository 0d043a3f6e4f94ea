"""Picking a label by its text, reshaping an outline by its handles, the keys on a
selected drawing (arrows, Tab, Esc), and Edit > Undo / Redo that follow the drawings only
while the picture is shown."""

import itertools
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.gui.main_window import MainWindow
from tests.gui.test_annotation_tools_gui import (
    TIMEOUT,
    _annotations,
    _click,
    _close,
    _drag,
    _open,
    _screen,
)

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def _focus(window: MainWindow, qtbot: QtBot) -> None:
    window.activateWindow()
    window.viewport.setFocus()
    qtbot.waitUntil(lambda: window.viewport.hasFocus(), timeout=TIMEOUT)


def test_a_text_label_is_picked_by_a_click_on_its_words_far_from_its_anchor(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    words = "the cyst the doctor pointed at"
    window.annotation_tools.layer.ask = lambda _title, _prompt, _current: words
    window.annotation_tools.tool_actions["text"].trigger()
    _click(window, (40, 60))
    window.annotation_tools.tool_actions["select"].trigger()
    (label,) = _annotations(window)
    window.viewport.grab()  # painted: the layer has told the session where the words are
    metrics = QFontMetricsF(window.viewport.font())
    anchor = _screen(window, label.points[0])
    # Three quarters along the words, well past the anchor's reach.
    on_words = anchor + QPoint(round(5 + metrics.horizontalAdvance(words) * 0.75),
                               round(metrics.ascent() / 2 + metrics.height() / 2))
    assert on_words.x() - anchor.x() > 40
    qtbot.mouseClick(window.viewport, Qt.MouseButton.LeftButton, pos=on_words)
    assert window.annotation_session.selected_id == label.id
    assert _annotations(window) == (label,)  # picked, not moved
    # Below the words: the image, which deselects.
    below = on_words + QPoint(0, round(3 * metrics.height()))
    qtbot.mouseClick(window.viewport, Qt.MouseButton.LeftButton, pos=below)
    assert window.annotation_session.selected_id == ""


def test_arrows_nudge_the_selected_drawing_instead_of_stepping_images(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    tools = window.annotation_tools
    tools.tool_actions["length"].trigger()
    _drag(window, (50, 50), (150, 50))
    tools.tool_actions["select"].trigger()
    (length,) = _annotations(window)
    _focus(window, qtbot)
    position = window.viewer.index
    qtbot.keyClick(window.viewport, Qt.Key.Key_Right)  # nothing selected: next image
    qtbot.waitUntil(lambda: window.viewer.index != position, timeout=TIMEOUT)
    qtbot.keyClick(window.viewport, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: window.viewer.index == position, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.annotation_session.shown() == (length,), timeout=TIMEOUT)

    window.annotation_session.select(length.id)
    qtbot.keyClick(window.viewport, Qt.Key.Key_Right)
    (moved,) = _annotations(window)
    assert _close(moved.points, tuple((x + 1, y) for x, y in length.points))
    qtbot.keyClick(window.viewport, Qt.Key.Key_Down, SHIFT)
    (moved,) = _annotations(window)
    assert _close(moved.points, tuple((x + 1, y + 10) for x, y in length.points))
    assert window.viewer.index == position  # the image stayed
    assert tools.undo.text().replace("&", "") == "Undo Move length"
    qtbot.keyClick(window.viewport, Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(window.viewport, Qt.Key.Key_Z, CTRL)
    assert _annotations(window)[0].points == length.points

    # Turned a quarter: the key's direction on screen, one pixel along an image axis.
    window.viewer.rotate(90)
    qtbot.keyClick(window.viewport, Qt.Key.Key_Right)
    (turned,) = _annotations(window)
    (x0, y0), (x1, y1) = length.points
    assert _close(turned.points, ((x0, y0 - 1), (x1, y1 - 1))) or \
        _close(turned.points, ((x0, y0 + 1), (x1, y1 + 1)))
    on_screen = _screen(window, turned.points[0]).x() - _screen(window, length.points[0]).x()
    assert on_screen > 0  # to the right on screen


def test_tab_cycles_through_the_drawings_and_escape_deselects(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    tools = window.annotation_tools
    tools.tool_actions["length"].trigger()
    _drag(window, (50, 50), (150, 50))
    tools.tool_actions["ellipse"].trigger()
    _drag(window, (60, 100), (120, 160))
    tools.tool_actions["select"].trigger()
    length, ellipse = _annotations(window)
    session = window.annotation_session
    _focus(window, qtbot)
    qtbot.keyClick(window.viewport, Qt.Key.Key_Tab)
    assert session.selected_id == length.id and window.viewport.hasFocus()
    qtbot.keyClick(window.viewport, Qt.Key.Key_Tab)
    assert session.selected_id == ellipse.id
    qtbot.keyClick(window.viewport, Qt.Key.Key_Tab)
    assert session.selected_id == length.id
    qtbot.keyClick(window.viewport, Qt.Key.Key_Backtab, SHIFT)
    assert session.selected_id == ellipse.id
    qtbot.keyClick(window.viewport, Qt.Key.Key_Escape)
    assert session.selected_id == "" and len(_annotations(window)) == 2


def test_undo_names_the_change_and_acts_only_while_the_picture_is_shown(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    tools = window.annotation_tools
    tools.tool_actions["ellipse"].trigger()
    _drag(window, (60, 100), (120, 160))
    tools.tool_actions["select"].trigger()
    assert tools.undo.text().replace("&", "") == "Undo Add ellipse"
    _drag(window, (60, 130), (70, 140))  # on its left edge: a move
    (ellipse,) = _annotations(window)
    assert tools.undo.text().replace("&", "") == "Undo Move ellipse"
    assert tools.redo.text().replace("&", "") == "Redo" and not tools.redo.isEnabled()

    window.show_library()
    assert not tools.undo.isEnabled() and tools.undo.text().replace("&", "") == "Undo"
    window.activateWindow()
    window.library_view.setFocus()
    qtbot.keyClick(window.library_view, Qt.Key.Key_Z, CTRL)
    tools.undo.trigger()  # even when triggered: nothing the user cannot see is undone
    assert _annotations(window) == (ellipse,)

    window.show_viewer()
    assert tools.undo.isEnabled()
    assert tools.undo.text().replace("&", "") == "Undo Move ellipse"
    _focus(window, qtbot)
    qtbot.keyClick(window.viewport, Qt.Key.Key_Z, CTRL)
    assert _annotations(window) != (ellipse,)
    assert tools.undo.text().replace("&", "") == "Undo Add ellipse"
    assert tools.redo.text().replace("&", "") == "Redo Move ellipse"


def test_a_selected_outline_is_reshaped_by_dragging_a_handle(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    tools = window.annotation_tools
    tools.tool_actions["freehand"].trigger()
    corners = [(60.0, 60.0), (160.0, 60.0), (160.0, 160.0), (60.0, 160.0)]
    viewport = window.viewport
    start = _screen(window, corners[0])
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     start)
    for a, b in itertools.pairwise(corners):
        for i in range(1, 21):
            QTest.mouseMove(viewport, _screen(window, (a[0] + (b[0] - a[0]) * i / 20,
                                                      a[1] + (b[1] - a[1]) * i / 20)))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       _screen(window, corners[-1]))
    tools.tool_actions["select"].trigger()
    (outline,) = _annotations(window)
    assert outline.kind == "freehand" and len(outline.points) > 40
    window.annotation_session.select(outline.id)
    first = outline.points[0]
    _grabbed, dropped = _drag(window, first, (first[0] - 20, first[1] - 20))
    (reshaped,) = _annotations(window)
    assert reshaped.points[0] == dropped and len(reshaped.points) == len(outline.points)
    assert reshaped.points[len(outline.points) // 2] == outline.points[len(outline.points) // 2]
    assert tools.undo.text().replace("&", "") == "Undo Edit outline"
    tools.undo.trigger()
    assert _annotations(window) == (outline,)
