"""A presentation state from the disc that fills a smooth outline and frames the image:
picking it colours the inside of the shape and zooms, pans and turns the view to the
part of the image it shows."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.uid import generate_uid
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.gui.main_window import MainWindow
from app.imaging.gsps_writer import write_gsps
from app.imaging.presentation_state import Graphic, ImageAnnotations, ImageRef
from app.imaging.viewport import to_view
from tests.library.helpers import write_small_disc

TIMEOUT = 30_000
# A smooth filled outline round the middle of the 64 x 64 images.
BLOB = Graphic("polygon", ((20.0, 20.0), (44.0, 20.0), (44.0, 44.0), (20.0, 44.0)),
               filled=True, smooth=True)
INSIDE = (32.0, 32.0)  # well inside BLOB, far from its line
OUTSIDE = (6.0, 58.0)
# Pixels 17..40 across and 25..40 down (counted from 1): corners (16, 24) to (40, 40).
AREA_CORNERS = ([17, 25], [40, 40])
AREA_CENTRE = (28.0, 32.0)


@pytest.fixture(scope="module")
def small_disc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_small_disc(tmp_path_factory.mktemp("small") / "disc")


def _disc(small_disc: Path, tmp_path: Path, framed: bool) -> Path:
    """A copy of the disc with a GSPS drawing BLOB on every image of its largest series;
    ``framed``: it also shows only AREA_CORNERS, fitted, turned a quarter clockwise."""
    disc = tmp_path / "disc"
    shutil.copytree(small_disc, disc)
    headers = [dcmread(p, stop_before_pixels=True) for p in sorted(disc.rglob("*"))
               if p.is_file() and p.name != "DICOMDIR"]
    series_uid = max({str(h.SeriesInstanceUID) for h in headers},
                     key=lambda uid: sum(str(h.SeriesInstanceUID) == uid for h in headers))
    images = [h for h in headers if str(h.SeriesInstanceUID) == series_uid]
    annotations = [ImageAnnotations(ImageRef(str(h.SOPClassUID), str(h.SOPInstanceUID)),
                                    (BLOB,)) for h in images]
    out = disc / "PSTATE" / "PS000001"
    write_gsps(images, annotations, out, series_instance_uid=generate_uid(),
               sop_instance_uid=generate_uid(), label="FRAMED", description="Blob")
    if framed:  # highdicom writes the whole image, fitted; another viewer may not
        ds = dcmread(out)
        for item in ds.DisplayedAreaSelectionSequence:
            item.DisplayedAreaTopLeftHandCorner, item.DisplayedAreaBottomRightHandCorner = (
                AREA_CORNERS)
        ds.ImageRotation = 90
        ds.save_as(out)
    return disc


def _pixels(window: MainWindow) -> np.ndarray:
    QApplication.processEvents()
    image = window.viewport.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * height)
    return data.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(
        height, width, 3).astype(int)


def _tint(window: MainWindow, pixels: np.ndarray, point: tuple[float, float]) -> int:
    """Red minus blue at the screen position of image ``point``: about 0 on the grey
    picture, well above 0 under the see-through yellow fill."""
    viewport = window.viewport
    assert viewport.frame is not None
    rows, columns = viewport.frame.shape
    x, y = to_view(point, (columns, rows), window.viewer.state,
                   (viewport.width(), viewport.height()), viewport.effective_zoom())
    red, _green, blue = pixels[round(y), round(x)]
    return int(red - blue)


def _pick(window: MainWindow, qtbot: QtBot, disc: Path) -> None:
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(disc)
    qtbot.waitUntil(lambda: any("FRAMED" in a.text()
                                for a in window.presentation_menu.actions()),
                    timeout=TIMEOUT)


def test_a_filled_outline_colours_its_inside_only(
        window: MainWindow, qtbot: QtBot, small_disc: Path, tmp_path: Path) -> None:
    _pick(window, qtbot, _disc(small_disc, tmp_path, framed=False))
    before = _pixels(window)
    assert abs(_tint(window, before, INSIDE)) < 10
    state, fit = window.viewer.state, window.viewer.fit
    window.presentation_menu.actions()[1].trigger()
    shown = _pixels(window)
    assert _tint(window, shown, INSIDE) > 60
    assert abs(_tint(window, shown, OUTSIDE)) < 10
    # The whole image, fitted, as highdicom writes it: the view stays as it was.
    assert (window.viewer.state.zoom, window.viewer.state.pan, window.viewer.fit) == (
        state.zoom, state.pan, fit)


def test_picking_a_gsps_with_a_displayed_area_frames_the_view(
        window: MainWindow, qtbot: QtBot, small_disc: Path, tmp_path: Path) -> None:
    _pick(window, qtbot, _disc(small_disc, tmp_path, framed=True))
    viewport = window.viewport
    fitted = viewport.effective_zoom()
    assert window.viewer.state.rotation == 0
    window.presentation_menu.actions()[1].trigger()
    viewer = window.viewer
    assert viewer.state.rotation == 90 and not viewer.fit
    # Turned, the 24 x 16 area stands 16 wide and 24 tall: it fills the view's height or
    # width, whichever runs out first, centred.
    width, height = viewport.width(), viewport.height()
    assert viewport.effective_zoom() == pytest.approx(min(width / 16, height / 24))
    assert viewport.effective_zoom() > 2 * fitted
    centre = to_view(AREA_CENTRE, (64, 64), viewer.state, (width, height),
                     viewport.effective_zoom())
    assert centre == pytest.approx((width / 2, height / 2))
    # The view centre is inside the filled outline: coloured.
    assert _tint(window, _pixels(window), AREA_CENTRE) > 60
    # Applied once: zooming by hand and scrolling through images sharing the area keeps it.
    viewer.zoom_by(0.5)
    zoom = viewport.effective_zoom()
    viewer.step(1)
    qtbot.waitUntil(lambda: viewer.frame_is_current() and viewer.index == 1,
                    timeout=TIMEOUT)
    assert viewport.effective_zoom() == pytest.approx(zoom)
    # None leaves the view as it is.
    window.presentation_menu.actions()[0].trigger()
    assert viewer.state.rotation == 90 and viewport.effective_zoom() == pytest.approx(zoom)
