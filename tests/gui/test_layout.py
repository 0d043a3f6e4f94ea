"""Layout: full series names in the series list, and corner text that keeps off the picture."""

from pytestqt.qtbot import QtBot

from app.core.models import InstanceRef, build_tree
from app.gui.browser import SeriesBrowser

LONG_STUDY = "INVESTIGATORS^Borjan_with_a_protocol_name_far_too_long_for_one_line"
LONG_SERIES = "MEMPRAGE_4e_p2_1mm_iso_RMS_with_more_words_than_fit"


def _tree() -> tuple:  # type: ignore[type-arg]
    refs = [
        InstanceRef(path=f"f{i}", sop_instance_uid=f"1.{i}", patient_id="P", patient_name="A^B",
                    study_instance_uid="1.2", study_date="20120215",
                    study_description=LONG_STUDY, series_instance_uid="1.2.3", modality="MR",
                    series_number=4, series_description=LONG_SERIES, instance_number=i)
        for i in range(6)
    ]
    return build_tree(refs)


def test_long_names_wrap_onto_as_many_lines_as_they_need(qtbot: QtBot) -> None:
    browser = SeriesBrowser()
    qtbot.addWidget(browser)
    browser.resize(220, 400)
    browser.show()
    browser.set_tree(_tree())
    qtbot.wait(50)
    line = browser.fontMetrics().lineSpacing()
    study = browser.topLevelItem(0).child(0)
    series = study.child(0)
    # Every word of the names is in the item, none elided, and the rows are tall enough
    # for the wrapped text plus the count line.
    for item, name, count in ((study, LONG_STUDY, "6 images"), (series, LONG_SERIES, "6 images")):
        text = item.text(0).replace("\u200b", "")
        assert name in text and text.endswith(count)
        assert browser.visualItemRect(item).height() >= 4 * line, item.text(0)
    assert browser.horizontalScrollBar().maximum() == 0


def test_corner_text_shrinks_only_when_that_keeps_it_off_the_picture(qtbot: QtBot) -> None:
    from PySide6.QtCore import QRectF

    from app.gui.viewport import QtViewport, ViewportModel

    viewport = QtViewport(ViewportModel())
    qtbot.addWidget(viewport)
    viewport.resize(600, 400)
    # A small picture in the middle: the corner is free, full size.
    assert viewport._corner_scale(False, False, 200, 60, QRectF(250, 150, 100, 100)) == 1.0
    # The picture starts just inside where full-size text would end: a little smaller
    # keeps the picture's own corner (often with its own text) uncovered.
    assert viewport._corner_scale(False, False, 60, 40, QRectF(60, 40, 480, 320)) == 0.85
    # No size keeps it off: full size, outlined, rather than tiny and still on top.
    assert viewport._corner_scale(False, False, 200, 60, QRectF(20, 20, 560, 360)) == 1.0
