"""Drawing on the image with the mouse, as a user does: each tool, through zoom, rotation
and flips; select, move, Delete, Ctrl+Z / Ctrl+Shift+Z; kept in the library; saved in a
picture when asked."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.core.errors import LibraryError
from app.gui.main_window import MainWindow
from app.gui.save_image import SaveImageDialog
from app.imaging.luts import Window
from app.imaging.presentation_state import read_gsps
from app.imaging.viewport import to_image, to_view
from app.services.annotations import Annotation
from app.services.image_export import DRAWINGS_OPTION, ExportOptions
from app.services.importing import ImportReport
from app.services.jobs import run_to_report
from app.services.library_service import LibraryService
from tests.library.helpers import write_small_disc

TIMEOUT = 30_000
LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier
Point = tuple[float, float]


def _open(window: MainWindow, qtbot: QtBot, path: Path) -> None:
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(path)


def _geometry(window: MainWindow) -> tuple[tuple[int, int], tuple[float, float], float]:
    viewport = window.viewport
    assert viewport.frame is not None
    rows, columns = viewport.frame.shape
    return (columns, rows), (float(viewport.width()), float(viewport.height())), \
        viewport.effective_zoom()


def _screen(window: MainWindow, point: Point) -> QPoint:
    """The viewport pixel over image ``point``."""
    size, view, zoom = _geometry(window)
    x, y = to_view(point, size, window.model.state, view, zoom)
    return QPoint(round(x), round(y))


def _under(window: MainWindow, position: QPoint) -> Point:
    """The image point under a viewport pixel (what a click there means)."""
    size, view, zoom = _geometry(window)
    return to_image((position.x(), position.y()), size, window.model.state, view, zoom)


def _drag(window: MainWindow, start: Point, end: Point) -> tuple[Point, Point]:
    """A left drag from image ``start`` to ``end``; the image points actually pressed."""
    viewport = window.viewport
    a, b = _screen(window, start), _screen(window, end)
    QTest.mousePress(viewport, LEFT, NONE, a)
    for i in range(1, 5):
        QTest.mouseMove(viewport, a + (b - a) * i / 4)
    QTest.mouseRelease(viewport, LEFT, NONE, b)
    return _under(window, a), _under(window, b)


def _click(window: MainWindow, point: Point) -> Point:
    at = _screen(window, point)
    QTest.mousePress(window.viewport, LEFT, NONE, at)
    QTest.mouseRelease(window.viewport, LEFT, NONE, at)
    return _under(window, at)


def _annotations(window: MainWindow) -> tuple[Annotation, ...]:
    document = window.annotation_session.document
    assert document is not None
    return document.annotations


def _close(points: tuple[Point, ...], expected: tuple[Point, ...]) -> bool:
    return len(points) == len(expected) and all(
        p == pytest.approx(e, abs=1e-6) for p, e in zip(points, expected, strict=True))


def test_each_tool_draws_in_image_coordinates(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    tools = window.annotation_tools
    window.annotation_tools.layer.ask = lambda _title, _prompt, _text: "look here"
    expected: list[tuple[str, tuple[Point, ...]]] = []
    for kind, start, end in (("length", (40, 40), (120, 90)),
                             ("rectangle", (60, 140), (110, 200)),
                             ("ellipse", (150, 40), (220, 100)),
                             ("arrow", (150, 150), (200, 210))):
        tools.tool_actions[kind].trigger()
        expected.append((kind, _drag(window, start, end)))
    tools.tool_actions["angle"].trigger()
    first = _click(window, (30, 220))
    vertex = _click(window, (60, 240))
    last = _click(window, (90, 215))
    expected.append(("angle", (first, vertex, last)))
    tools.tool_actions["text"].trigger()
    expected.append(("text", (_click(window, (200, 30)),)))
    tools.tool_actions["freehand"].trigger()
    corners = [_screen(window, p) for p in ((20, 20), (35, 20), (35, 35), (20, 35))]
    QTest.mousePress(window.viewport, LEFT, NONE, corners[0])
    for corner in corners[1:]:
        QTest.mouseMove(window.viewport, corner)
    QTest.mouseRelease(window.viewport, LEFT, NONE, corners[-1])
    expected.append(("freehand", tuple(_under(window, c) for c in corners)))

    drawn = _annotations(window)
    assert [a.kind for a in drawn] == [kind for kind, _ in expected]
    for annotation, (_kind, points) in zip(drawn, expected, strict=True):
        assert _close(annotation.points, points), annotation
    texts = {a.kind: a.text for a in drawn}
    assert texts["text"] == "look here" and texts["arrow"] == "look here"
    assert window.annotation_session.label(drawn[0]).lines[0].endswith("mm")
    assert window.annotation_tools.undo.text().replace("&", "") == "Undo Add outline"


def test_the_same_drag_after_zoom_rotation_and_flip_gives_the_same_image_points(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    window.annotation_tools.tool_actions["length"].trigger()
    window.viewer.zoom_by(2.0)
    window.viewer.rotate(90)
    window.viewer.flip("h")
    window.viewer.set_state(window.model.state.panned(13, -7))
    pressed = _drag(window, (100, 110), (140, 125))
    (length,) = _annotations(window)
    assert _close(length.points, pressed)
    zoom = window.viewport.effective_zoom()
    for got, wanted in zip(length.points, ((100, 110), (140, 125)), strict=True):
        assert abs(got[0] - wanted[0]) <= 1 / zoom and abs(got[1] - wanted[1]) <= 1 / zoom
    # Drawn on its anatomy whatever the view: the line's middle is cyan on screen after
    # another turn and flip.
    window.viewer.rotate(-90)
    window.viewer.flip("v")
    middle = ((length.points[0][0] + length.points[1][0]) / 2,
              (length.points[0][1] + length.points[1][1]) / 2)
    at = _screen(window, middle)
    ratio = window.viewport.devicePixelRatioF()
    shown = _array(window.images.render(ExportOptions(size="screen")))
    red, green, blue = shown[round(at.y() * ratio), round(at.x() * ratio)]
    assert green > 150 and blue > 150 and red < 120


def test_select_move_delete_undo_and_redo_with_the_keys(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    tools = window.annotation_tools
    tools.tool_actions["length"].trigger()
    drawn = _drag(window, (50, 50), (150, 50))
    tools.tool_actions["select"].trigger()
    (length,) = _annotations(window)
    grabbed, dropped = _drag(window, (100, 50), (100, 90))
    (moved,) = _annotations(window)
    dx, dy = dropped[0] - grabbed[0], dropped[1] - grabbed[1]
    assert _close(moved.points, tuple((x + dx, y + dy) for x, y in drawn))
    assert window.annotation_session.selected_id == length.id
    assert tools.undo.text().replace("&", "") == "Undo Move length"

    window.activateWindow()
    window.viewport.setFocus()
    qtbot.waitUntil(lambda: window.viewport.hasFocus(), timeout=TIMEOUT)
    qtbot.keyClick(window.viewport, Qt.Key.Key_Delete)
    assert _annotations(window) == ()
    qtbot.keyClick(window.viewport, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _annotations(window) == (moved,)
    qtbot.keyClick(window.viewport, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _close(_annotations(window)[0].points, drawn)
    assert tools.redo.isEnabled()
    assert tools.redo.text().replace("&", "") == "Redo Move length"
    qtbot.keyClick(window.viewport, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert _annotations(window) == (moved,)


def test_a_click_on_the_empty_image_in_select_mode_still_pans(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    before = window.model.state.pan
    _drag(window, (60, 60), (90, 80))
    after = window.model.state.pan
    assert after != before and _annotations(window) == ()


def test_escape_drops_an_angle_under_way(window: MainWindow, qtbot: QtBot, ct_disc: Path
                                         ) -> None:
    _open(window, qtbot, ct_disc)
    window.annotation_tools.tool_actions["angle"].trigger()
    _click(window, (30, 30))
    _click(window, (60, 60))
    window.viewport.setFocus()
    qtbot.keyClick(window.viewport, Qt.Key.Key_Escape)
    _click(window, (90, 30))
    assert _annotations(window) == ()
    preview = window.annotation_session.preview()  # a new angle: its first point only
    assert preview is not None and len(preview.points) == 1


def test_drawings_are_kept_in_the_library_and_back_when_the_study_is_reopened(
    window: MainWindow, qtbot: QtBot, lightbox_home: Path, tmp_path: Path
) -> None:
    disc = write_small_disc(tmp_path / "disc")
    study = run_to_report(LibraryService(lightbox_home).import_media(disc),
                          ImportReport).study_instance_uids[0]
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_study(study)
    document = window.annotation_session.document
    assert document is not None and document.persistent
    window.annotation_tools.tool_actions["length"].trigger()
    _drag(window, (2, 2), (10, 12))
    (drawn,) = _annotations(window)
    window.image_shown = False
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(disc)  # the imported disc itself: its study's drawings too
    assert _annotations(window) == (drawn,)
    window.image_shown = False
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_study(study)
    assert _annotations(window) == (drawn,)
    assert window.annotation_session.shown() == (drawn,)


def _array(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * height)
    return data.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(
        height, width, 3).astype(int)


@pytest.mark.parametrize("size", ["screen", "image"])
def test_a_saved_picture_has_the_drawings_only_when_asked(
    window: MainWindow, qtbot: QtBot, ct_disc: Path, size: str
) -> None:
    _open(window, qtbot, ct_disc)
    window.annotation_tools.tool_actions["length"].trigger()
    _drag(window, (40, 128), (216, 128))
    render = window.images.render
    with_drawings = _array(render(ExportOptions(size=size, drawings=True)))  # type: ignore[arg-type]
    without = _array(render(ExportOptions(size=size, drawings=False)))  # type: ignore[arg-type]
    if size == "screen":
        ratio = window.viewport.devicePixelRatioF()
        middle = _screen(window, (128, 128))
        x, y = round(middle.x() * ratio), round(middle.y() * ratio)
    else:
        x, y = 128, 128
    assert not np.array_equal(with_drawings[y, x], without[y, x])
    red, green, blue = with_drawings[y, x]
    assert green > 150 and blue > 150 and red < 120  # cyan
    # Far from the line the two pictures are the same.
    assert np.array_equal(with_drawings[y + 40, x], without[y + 40, x])


def test_values_on_a_zip_disc_come_in_mm_once_the_header_is_read(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    disc = write_small_disc(tmp_path / "disc")
    archive = Path(shutil.make_archive(str(tmp_path / "disc-copy"), "zip", disc))
    _open(window, qtbot, archive)
    window.annotation_tools.tool_actions["length"].trigger()
    _drag(window, (2, 2), (40, 2))
    (length,) = _annotations(window)
    session = window.annotation_session
    qtbot.waitUntil(lambda: bool(session.label(length).lines), timeout=TIMEOUT)
    assert session.label(length).lines[0].endswith(" mm")
    assert session.label(length).warning == ""


def test_drawings_are_saved_as_a_presentation_state(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    disc = write_small_disc(tmp_path / "disc")
    _open(window, qtbot, disc)
    tools = window.annotation_tools
    assert not tools.save_gsps.isEnabled()
    tools.tool_actions["length"].trigger()
    _drag(window, (2, 2), (40, 2))
    (length,) = _annotations(window)
    assert tools.save_gsps.isEnabled()
    with qtbot.waitSignal(tools.presentation_state_saved, timeout=TIMEOUT) as saved:
        assert tools.save_presentation_state_to(tmp_path / "drawings")
    out = Path(saved.args[0])
    assert out == tmp_path / "drawings.dcm"
    state = read_gsps(dcmread(out))
    drawn = state.for_image(length.sop_instance_uid)
    assert drawn is not None
    (graphic,) = drawn.graphics
    assert graphic.label == window.annotation_session.label(length).lines[0]
    assert window.summary.text().startswith("Saved the drawings as a presentation state")


def test_a_failed_save_is_said_in_the_status_bar_and_the_drawing_kept(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    document = window.annotation_session.document
    assert document is not None

    def full_disk(_annotations: tuple[Annotation, ...]) -> None:
        raise LibraryError("The library could not save your drawing; the disk is full.")

    document.persist_to(full_disk)
    window.annotation_tools.tool_actions["length"].trigger()
    _drag(window, (40, 40), (120, 90))
    assert window.summary.text() == "The library could not save your drawing; the disk is full."
    assert len(_annotations(window)) == 1


def test_the_save_dialog_offers_the_drawings_on_by_default(qtbot: QtBot) -> None:
    dialog = SaveImageDialog((800, 600), (256, 256), names_hidden=False)
    qtbot.addWidget(dialog)
    assert dialog.drawings_box.text() == DRAWINGS_OPTION
    assert dialog.options().drawings
    dialog.drawings_box.setChecked(False)
    assert not dialog.options().drawings


def test_a_window_change_reuses_the_drawn_annotations_and_a_move_redraws_them(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    tools = window.annotation_tools
    tools.tool_actions["length"].trigger()
    _drag(window, (40, 40), (120, 90))
    window.viewport.repaint()
    image = (tools.session.shown()[0].sop_instance_uid, 0)
    cache = tools.layer.pictures.get(image)
    assert cache is not None  # the drawings of the slice, kept as a picture
    window.viewer.set_state(window.model.state.with_voi(Window(100, 700)))
    window.viewport.repaint()
    assert tools.layer.pictures.get(image) is cache  # the same picture of the drawings
    window.viewer.zoom_by(1.5)
    window.viewport.repaint()
    again = tools.layer.pictures.get(image)
    assert again is not None and again is not cache  # drawn anew at the new zoom
    assert tools.layer.pictures.used_bytes == again[2].sizeInBytes()  # in the old one's place
