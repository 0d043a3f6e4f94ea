"""Guard against a Qt binding that corrupts Python's reference counts.

PySide6 6.12.0 returns None from void methods without counting the reference; on Python
3.11, where None is not immortal, a viewer that repaints for a while then aborts with
"deallocating None". pyproject.toml excludes that release; this test proves the one
installed is sound.
"""

import sys

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12")
def test_void_methods_keep_none_alive(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(300):  # Few enough that a bad binding fails here instead of aborting.
        label.setText("x")
        label.update()
        QCoreApplication.processEvents()
    assert sys.getrefcount(None) > before - 300
