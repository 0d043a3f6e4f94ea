"""Presentation states (GSPS) found on a disc, shown when the user picks them: View >
"Annotations from the disc" lists them, the graphics follow zoom/rotate/flip, None hides
them, the GSPS's window is applied, and a damaged one costs one sentence."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.uid import generate_uid
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.gui.main_window import MainWindow
from app.imaging.gsps_writer import write_gsps
from app.imaging.luts import Window
from app.imaging.presentation_state import Graphic, ImageAnnotations, ImageRef, TextNote
from app.imaging.viewport import to_view
from tests.library.helpers import write_small_disc

TIMEOUT = 30_000
LINE = Graphic("polyline", ((10.0, 20.0), (40.0, 20.0)), label="30.0 mm")
RING = Graphic("ellipse", ((44.0, 44.0), (60.0, 60.0), (48.0, 56.0), (56.0, 48.0)))
NOTE = TextNote("look here", (30.0, 50.0), box=(4.0, 52.0, 30.0, 60.0), anchor_shown=True)
ON_LINE = (25.0, 20.0)  # an image point on LINE
GSPS_WINDOW = Window(123.0, 456.0)


@pytest.fixture(scope="module")
def small_disc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_small_disc(tmp_path_factory.mktemp("small") / "disc")


def _disc_with_gsps(small_disc: Path, tmp_path: Path, damaged: bool = False) -> Path:
    """A copy of the disc with a GSPS (not in the DICOMDIR) annotating every image of
    its largest series, each with GSPS_WINDOW."""
    disc = tmp_path / "disc"
    shutil.copytree(small_disc, disc)
    headers = [dcmread(p, stop_before_pixels=True) for p in sorted(disc.rglob("*"))
               if p.is_file() and p.name != "DICOMDIR"]
    series_uid = max({str(h.SeriesInstanceUID) for h in headers},
                     key=lambda uid: sum(str(h.SeriesInstanceUID) == uid for h in headers))
    images = [h for h in headers if str(h.SeriesInstanceUID) == series_uid]
    annotations = [ImageAnnotations(ImageRef(str(h.SOPClassUID), str(h.SOPInstanceUID)),
                                    (LINE, RING), (NOTE,), GSPS_WINDOW) for h in images]
    out = disc / "PSTATE" / "PS000001"
    write_gsps(images, annotations, out, series_instance_uid=generate_uid(),
               sop_instance_uid=generate_uid(), label="MEASURED",
               description="Line and ring")
    if damaged:  # still a presentation state by its header, but it points at nothing
        ds = dcmread(out)
        del ds.ReferencedSeriesSequence
        ds.save_as(out)
    return disc


def _rgb(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * height)
    return data.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(
        height, width, 3).copy()


def _yellow_near(pixels: np.ndarray, at: tuple[float, float], reach: int = 1) -> bool:
    """The annotation colour (bright yellow; the picture itself is grey) around ``at``."""
    x, y = round(at[0]), round(at[1])
    patch = pixels[y - reach: y + reach + 1, x - reach: x + reach + 1].astype(int)
    return bool(np.any((patch[..., 0] > 200) & (patch[..., 1] > 170) & (patch[..., 2] < 90)))


def _mapped(window: MainWindow, point: tuple[float, float]) -> tuple[float, float]:
    viewport = window.viewport
    assert viewport.frame is not None
    rows, columns = viewport.frame.shape
    return to_view(point, (columns, rows), window.viewer.state,
                   (viewport.width(), viewport.height()), viewport.effective_zoom())


def _menu_actions(window: MainWindow) -> list[QAction]:
    return list(window.presentation_menu.actions())


def _open(window: MainWindow, qtbot: QtBot, disc: Path) -> None:
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(disc)


def _grab(window: MainWindow) -> np.ndarray:
    QApplication.processEvents()
    return _rgb(window.viewport.grab().toImage())


def test_a_gsps_from_the_disc_is_listed_drawn_and_follows_the_view(
        window: MainWindow, qtbot: QtBot, small_disc: Path, tmp_path: Path) -> None:
    _open(window, qtbot, _disc_with_gsps(small_disc, tmp_path))
    qtbot.waitUntil(lambda: any("MEASURED" in a.text() for a in _menu_actions(window)),
                    timeout=TIMEOUT)
    texts = [a.text() for a in _menu_actions(window)]
    assert texts[0] == "None" and texts[1].startswith("MEASURED — Line and ring")
    assert window.presentation_menu.isEnabled()
    assert _menu_actions(window)[0].isChecked()  # nothing shown by default
    before = window.viewer.state.voi
    assert before != GSPS_WINDOW
    on_line = _mapped(window, ON_LINE)
    assert not _yellow_near(_grab(window), on_line)

    _menu_actions(window)[1].trigger()
    assert window.presentation_states.chosen is not None
    assert window.viewer.state.voi == GSPS_WINDOW  # the GSPS's window, applied on pick
    shown = _grab(window)
    assert _yellow_near(shown, on_line)
    assert not _yellow_near(shown, _mapped(window, (25.0, 35.0)), reach=2)  # off the line
    # Saved at the image's own size, the annotations are a layer of the picture too.
    saved = _rgb(window.viewport.render_view("image"))
    assert saved.shape[:2] == (64, 64)
    assert _yellow_near(saved, ON_LINE, reach=0) and not _yellow_near(saved, (25, 35), 2)

    window.viewer.rotate(90)
    window.viewer.flip("h")
    turned = _grab(window)
    now = _mapped(window, ON_LINE)
    assert abs(now[0] - on_line[0]) + abs(now[1] - on_line[1]) > 20
    assert _yellow_near(turned, now)
    assert not _yellow_near(turned, on_line, reach=2)
    window.viewer.zoom_by(1.5)
    assert _yellow_near(_grab(window), _mapped(window, ON_LINE))

    # A window chosen by hand sticks on this image; the next image brings the GSPS's.
    window.viewer.set_state(window.viewer.state.with_window(40.0, 400.0))
    QApplication.processEvents()
    assert window.viewer.state.voi == Window(40.0, 400.0)
    window.viewer.step(1)
    qtbot.waitUntil(lambda: window.viewer.frame_is_current() and window.viewer.index == 1,
                    timeout=TIMEOUT)
    assert window.viewer.state.voi == GSPS_WINDOW

    _menu_actions(window)[0].trigger()  # None
    assert window.presentation_states.chosen is None
    assert window.viewport.annotations is None
    assert not _yellow_near(_grab(window), _mapped(window, ON_LINE), reach=2)


def test_a_damaged_gsps_gives_one_sentence_and_draws_nothing(
        window: MainWindow, qtbot: QtBot, small_disc: Path, tmp_path: Path) -> None:
    _open(window, qtbot, _disc_with_gsps(small_disc, tmp_path, damaged=True))
    qtbot.waitUntil(lambda: any("cannot be read" in a.text() for a in _menu_actions(window)),
                    timeout=TIMEOUT)
    _menu_actions(window)[1].trigger()
    message = window.summary.text()
    assert message == "The presentation state refers to no images."
    assert window.viewport.annotations is None
    assert not _yellow_near(_grab(window), _mapped(window, ON_LINE), reach=2)


def test_a_study_without_gsps_has_the_menu_disabled_with_a_reason(
        window: MainWindow, qtbot: QtBot, small_disc: Path) -> None:
    _open(window, qtbot, small_disc)
    assert not window.presentation_menu.isEnabled()
    assert "no annotations" in window.presentation_menu.menuAction().toolTip()
    assert [a.text() for a in _menu_actions(window)] == ["None"]
