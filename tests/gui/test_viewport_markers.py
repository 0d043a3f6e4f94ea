"""The orientation letters never sit on the corner text (a long study line in a narrow
window reached the middle and hid the top letter)."""

from PySide6.QtCore import QSizeF
from pytestqt.qtbot import QtBot

from app.gui.viewport import MARGIN, QtViewport, ViewportModel


def test_the_top_letter_moves_below_corner_text_that_reaches_the_middle(qtbot: QtBot) -> None:
    viewport = QtViewport(ViewportModel())
    qtbot.addWidget(viewport)
    canvas = QSizeF(700, 600)
    short, none = (120.0, 45.0), (0.0, 0.0)
    long_right = (420.0, 30.0)  # from x = 272 to 692: across the middle (350)
    assert viewport._marker_clearance("A", short, short, canvas) == 0.0
    assert viewport._marker_clearance("A", short, long_right, canvas) == 30.0 + MARGIN / 2
    long_left = (400.0, 60.0)
    assert viewport._marker_clearance("A", long_left, long_right, canvas) == 60.0 + MARGIN / 2
    assert viewport._marker_clearance("", long_left, long_right, canvas) == 0.0
    assert viewport._marker_clearance("P", none, none, canvas) == 0.0
