"""The pictures of each slice's drawings kept while scrolling: within their memory budget,
drawn from again on a revisit, the same pixels as the drawings drawn straight on, and
made anew for one slice only when that slice's drawings or selection change."""

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter
from pytestqt.qtbot import QtBot

from app.gui.annotation_layer import AnnotationLayer, Kept, _affine
from app.gui.main_window import MainWindow
from app.imaging.viewport import to_view
from tests.gui.test_annotation_tools_gui import TIMEOUT, _drag, _open


def _go(window: MainWindow, qtbot: QtBot, index: int) -> None:
    """Show slice ``index`` and paint it."""
    window.go_to(index)

    def shown() -> bool:
        image = window.annotation_session.on_screen()
        slices = window.slices
        return (image is not None and slices is not None and slices.index == index
                and image.sop_instance_uid == slices.current.instance.sop_instance_uid)

    qtbot.waitUntil(shown, timeout=TIMEOUT)
    window.viewport.repaint()


def _draw_on(window: MainWindow, qtbot: QtBot, index: int) -> str:
    """A length drawn on slice ``index``; that image's instance UID."""
    _go(window, qtbot, index)
    window.annotation_tools.tool_actions["length"].trigger()
    _drag(window, (40.0 + index, 40.0), (120.0, 90.0 + index))
    window.viewport.repaint()
    assert len(window.annotation_session.shown()) == 1
    slices = window.slices
    assert slices is not None
    return slices.current.instance.sop_instance_uid


def _kept(window: MainWindow, sop_instance_uid: str) -> Kept | None:
    return window.annotation_tools.layer.pictures.get((sop_instance_uid, 0))


@pytest.fixture
def two_slices(window: MainWindow, qtbot: QtBot, ct_disc: Path) -> tuple[str, str]:
    """A length drawn on each of the first two slices, both shown since."""
    _open(window, qtbot, ct_disc)
    first = _draw_on(window, qtbot, 0)
    second = _draw_on(window, qtbot, 1)
    window.annotation_tools.tool_actions["select"].trigger()
    return first, second


def test_the_next_slices_picture_is_made_while_idle_and_then_drawn_from(
    window: MainWindow, qtbot: QtBot, two_slices: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    third = _draw_on(window, qtbot, 2)
    window.annotation_tools.tool_actions["select"].trigger()
    layer = window.annotation_tools.layer
    layer.pictures.clear()
    _go(window, qtbot, 1)  # from the third slice back: the scroll goes down
    qtbot.waitUntil(lambda: _kept(window, two_slices[0]) is not None, timeout=TIMEOUT)
    assert _kept(window, third) is not None  # the one behind, too
    made_ahead = _kept(window, two_slices[0])
    drawn: list[int] = []
    original = AnnotationLayer._paint_annotations

    def counted(self: AnnotationLayer, *args: object) -> QRectF:
        drawn.append(1)
        return original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(AnnotationLayer, "_paint_annotations", counted)
    _go(window, qtbot, 0)
    assert drawn == [] and _kept(window, two_slices[0]) is made_ahead
    assert window.annotation_session.label(window.annotation_session.shown()[0]).lines


def test_the_pictures_stay_within_their_budget_dropping_the_least_recently_shown(
    window: MainWindow, qtbot: QtBot, two_slices: tuple[str, str]
) -> None:
    first, second = two_slices
    layer = window.annotation_tools.layer
    assert _kept(window, first) is not None
    one = _kept(window, second)  # (asking counts as using: the second is now the latest)
    assert one is not None
    layer.set_picture_budget(one[2].sizeInBytes() + 16)  # room for about one
    assert _kept(window, first) is None  # shown longest ago: dropped
    assert _kept(window, second) is one
    _go(window, qtbot, 0)
    assert _kept(window, first) is not None
    assert _kept(window, second) is None
    assert layer.pictures.used_bytes <= layer.pictures.budget_bytes


def test_a_slice_shown_again_is_drawn_from_its_picture(
    window: MainWindow, qtbot: QtBot, two_slices: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[int] = []
    original = AnnotationLayer._paint_annotations

    def counted(self: AnnotationLayer, *args: object) -> QRectF:
        drawn.append(len(args[1]))  # type: ignore[arg-type]
        return original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(AnnotationLayer, "_paint_annotations", counted)
    for index in (0, 1, 0, 1):
        _go(window, qtbot, index)
        window.viewport.repaint()
    assert drawn == []  # Both slices were shown before: their pictures are drawn.
    window.viewer.zoom_by(1.5)
    window.viewport.repaint()
    window.viewport.repaint()
    assert drawn == [1]  # Another zoom: drawn once more, then kept.


def test_the_picture_is_the_drawings_drawn_straight_pixel_for_pixel(
    window: MainWindow, qtbot: QtBot, two_slices: tuple[str, str]
) -> None:
    window.annotation_session.select(window.annotation_session.shown()[0].id)  # handles too
    viewport = window.viewport
    layer = window.annotation_tools.layer
    base = viewport.grab().toImage().convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    assert viewport.frame is not None
    rows, columns = viewport.frame.shape
    state, zoom = window.model.state, viewport.effective_zoom()
    view = (float(viewport.width()), float(viewport.height()))
    base.setDevicePixelRatio(1.0)

    pictured = base.copy()
    painter = QPainter(pictured)
    layer.paint(painter, state, view, zoom)
    layer.paint(painter, state, view, zoom)  # the second time from the kept picture
    painter.end()

    straight = base.copy()
    painter = QPainter(straight)
    painter.save()
    layer._prepare(painter)
    transform = _affine(lambda p: to_view(p, (columns, rows), state, view, zoom))
    layer._paint_annotations(painter, window.annotation_session.shown(), transform,
                             QRectF(0, 0, *view), {}, window.annotation_session.label)
    painter.restore()
    painter.end()
    once = base.copy()
    painter = QPainter(once)
    layer.paint(painter, state, view, zoom)
    painter.end()
    assert pictured != once  # drawn twice over itself: the test tells pictures apart
    drawn, kept = _values(straight) != _values(base), _values(once) != _values(base)
    assert drawn.sum() > 500 and (drawn == kept).all()  # the same pixels drawn on
    # Blending a picture rounds apart from drawing straight on by at most one level of
    # 255, in a handful of values (premultiplied alpha); nothing a person can see.
    apart = np.abs(_values(once) - _values(straight))
    assert apart.max() <= 1 and (apart > 0).sum() <= drawn.sum() // 100


def _values(image: QImage) -> np.ndarray:
    """The image's bytes, a row a pixel row (without the padding)."""
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(),
                                                               image.bytesPerLine())
    return rows[:, :image.width() * 4].astype(int)


def test_an_edit_undo_or_selection_makes_only_that_slices_picture_anew(
    window: MainWindow, qtbot: QtBot, two_slices: tuple[str, str]
) -> None:
    first, second = two_slices
    session = window.annotation_session
    kept_first, kept_second = _kept(window, first), _kept(window, second)
    assert kept_first is not None and kept_second is not None
    session.select(session.shown()[0].id)  # on the second slice, on screen
    window.viewport.repaint()
    selected = _kept(window, second)
    assert selected is not None and selected is not kept_second
    assert _kept(window, first) is kept_first
    assert session.nudge((2.0, 0.0), False)
    window.viewport.repaint()
    moved = _kept(window, second)
    assert moved is not None and moved is not selected
    assert _kept(window, first) is kept_first
    assert session.undo()
    window.viewport.repaint()
    undone = _kept(window, second)
    assert undone is not None and undone is not moved
    assert _kept(window, first) is kept_first
    _go(window, qtbot, 0)
    assert _kept(window, first) is kept_first  # still right: drawn from as it was
