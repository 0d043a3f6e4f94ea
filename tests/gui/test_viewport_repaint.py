"""A repaint with nothing changed in the picture (corner text, a label nearby, a window
uncovered) draws the pixels of the last paint without rendering the frame again."""

from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pytestqt.qtbot import QtBot

from app.gui.viewport import QtViewport, ViewportModel
from app.imaging.attributes import grey_attributes
from app.imaging.luts import Window
from app.imaging.render import GreyFrame
from app.services.viewer_text import Overlay


class CountedFrame(GreyFrame):
    """A grey frame that counts its renderings."""

    renders = 0

    def render(self, *args: Any, **kwargs: Any) -> np.ndarray:
        self.renders += 1
        return super().render(*args, **kwargs)


def _frame() -> CountedFrame:
    header = Dataset()
    header.Modality = "CT"
    header.RescaleSlope = 1
    header.RescaleIntercept = -1024
    stored = np.tile(np.arange(0, 2048, 32, dtype=np.uint16), (64, 1))  # -1024 to 992 HU
    return CountedFrame(stored, grey_attributes(header, 0, "MONOCHROME2", False), "CT")


def test_a_repaint_without_a_change_does_not_render_the_frame_again(qtbot: QtBot) -> None:
    viewport = QtViewport(ViewportModel())
    qtbot.addWidget(viewport)
    viewport.resize(300, 300)
    viewport.show()
    qtbot.waitExposed(viewport)
    frame = _frame()
    viewport.model.state = viewport.model.state.with_voi(Window(0, 2000))
    viewport.show_frame(frame)
    before = viewport.grab().toImage()  # painted, as on screen
    assert frame.renders == 1
    viewport.set_overlay(Overlay(top_left=("Image 1 / 1",)))
    viewport.grab()
    assert frame.renders == 1
    # The window changes: rendered again, and the picture shows it.
    viewport.model.state = viewport.model.state.with_voi(Window(0, 200))
    after = viewport.grab().toImage()
    assert frame.renders == 2
    assert after != before
