"""The series list: full names, wrapped, never cut, whatever the width."""

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
