""""Compare with previous" in the library: enabled only when an earlier study of the
patient exists (the tooltip says which, or why not), asks before using a study that may
be the same person, and remembers the answer."""

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QDropEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.core.models import SeriesNode
from app.gui.compare_view import ComparePage
from app.gui.library_view import UID_ROLE, LibraryView
from app.gui.main_window import MainWindow
from app.services.compare import MIDDLES
from app.services.library_service import LibraryService
from app.services.prior_lookup import PriorStudy
from app.services.privacy import HIDDEN_TEXT, Privacy
from app.services.sample_disc import SamplePatient, write_sample_disc

JANE = SamplePatient(name="DOE^JANE", patient_id="A1", birth_date="19800202", sex="F")
JANE_ELSEWHERE = SamplePatient(name="DOE^JANE", patient_id="B77", birth_date="19800202",
                               sex="F", issuer="SITEB")
MARY = SamplePatient(name="ROE^MARY", patient_id="A2", birth_date="19611111", sex="F")
TIMEOUT = 30_000


def _library(folder: Path, home: Path) -> tuple[LibraryService, dict[str, str]]:
    service = LibraryService(home)
    uids = {}
    for name, patient, date in (("now", JANE, "20240312"), ("before", JANE, "20220310"),
                                ("elsewhere", JANE_ELSEWHERE, "20230101"),
                                ("mary", MARY, "20240101")):
        uids[name] = write_sample_disc(folder / name, slices=1, patient=patient,
                                       study_date=date).study_instance_uid
        for _ in service.import_media(folder / name):
            pass
    return service, uids


def _select(view: LibraryView, uid: str) -> None:
    for number in range(view.proxy.rowCount()):
        index = view.proxy.index(number, 0)
        if index.data(UID_ROLE) == uid:
            view.table.selectionModel().select(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)
            return
    raise AssertionError("study not listed")


@pytest.fixture
def view(qtbot: QtBot, tmp_path: Path) -> tuple[LibraryView, dict[str, str]]:
    service, uids = _library(tmp_path / "discs", tmp_path / "library")
    library_view = LibraryView(Privacy(), library=service)
    qtbot.addWidget(library_view)
    library_view.show_rows(service.studies())
    return library_view, uids


def test_the_button_says_why_it_cannot_compare(
        view: tuple[LibraryView, dict[str, str]], qtbot: QtBot) -> None:
    library_view, uids = view
    button = library_view.compare_button
    assert not button.isEnabled()
    assert button.toolTip() == ("Select one study to compare it with an earlier one of the "
                                "patient.")
    _select(library_view, uids["mary"])
    qtbot.waitUntil(lambda: library_view.compare.priors is not None, timeout=TIMEOUT)
    assert not button.isEnabled()
    assert button.toolTip() == "There is no earlier study of this patient in the library."


def test_a_possible_match_is_asked_about_and_the_answer_kept(
        view: tuple[LibraryView, dict[str, str]], qtbot: QtBot) -> None:
    library_view, uids = view
    button = library_view.compare_button
    _select(library_view, uids["now"])
    qtbot.waitUntil(button.isEnabled, timeout=TIMEOUT)
    assert button.toolTip() == ("Opens this study beside the study of 1 Jan 2023 (CT CHEST "
                                "ABDOMEN PELVIS (SYNTHETIC SAMPLE)), after you confirm that "
                                "it is the same person.")
    asked: list[PriorStudy] = []

    def no(prior: PriorStudy) -> bool:
        asked.append(prior)
        return False

    library_view.compare.ask = no
    with qtbot.waitSignal(library_view.compare_requested, timeout=TIMEOUT) as chosen:
        button.click()
    # "Not the same person": the study of the same ID is opened instead...
    assert chosen.args == [uids["now"], uids["before"]]
    assert [p.study_instance_uid for p in asked] == [uids["elsewhere"]]
    # ... and the other site's study is not suggested again.
    qtbot.waitUntil(lambda: library_view.compare.priors is not None, timeout=TIMEOUT)
    assert [p.study_instance_uid for p in library_view.compare.priors] == [uids["before"]]
    assert button.toolTip() == ("Opens this study beside the study of 10 Mar 2022 (CT CHEST "
                                "ABDOMEN PELVIS (SYNTHETIC SAMPLE)).")


def test_a_confirmed_match_is_opened_and_no_longer_asked_about(
        view: tuple[LibraryView, dict[str, str]], qtbot: QtBot) -> None:
    library_view, uids = view
    _select(library_view, uids["now"])
    qtbot.waitUntil(library_view.compare_button.isEnabled, timeout=TIMEOUT)
    library_view.compare.ask = lambda _prior: True
    with qtbot.waitSignal(library_view.compare_requested, timeout=TIMEOUT) as chosen:
        library_view.compare_button.click()
    assert chosen.args == [uids["now"], uids["elsewhere"]]
    qtbot.waitUntil(lambda: library_view.compare.priors is not None, timeout=TIMEOUT)
    assert [p.match for p in library_view.compare.priors] == ["confirmed", "same"]

    def never(_prior: PriorStudy) -> bool:
        raise AssertionError("asked again")

    library_view.compare.ask = never
    with qtbot.waitSignal(library_view.compare_requested, timeout=TIMEOUT) as chosen:
        library_view.compare_button.click()
    assert chosen.args == [uids["now"], uids["elsewhere"]]


def test_cancel_opens_nothing(view: tuple[LibraryView, dict[str, str]], qtbot: QtBot) -> None:
    library_view, uids = view
    _select(library_view, uids["now"])
    qtbot.waitUntil(library_view.compare_button.isEnabled, timeout=TIMEOUT)
    library_view.compare.ask = lambda _prior: None
    with qtbot.assertNotEmitted(library_view.compare_requested):
        library_view.compare_button.click()
    assert [p.match for p in library_view.compare.priors or []] == ["suggested", "same"]


def test_the_question_hides_who_it_is_on_a_shared_screen(
        view: tuple[LibraryView, dict[str, str]], qtbot: QtBot) -> None:
    from app.services.prior_lookup import confirmation_question

    library_view, uids = view
    _select(library_view, uids["now"])
    qtbot.waitUntil(library_view.compare_button.isEnabled, timeout=TIMEOUT)
    suggestion = (library_view.compare.priors or [])[0]
    text = confirmation_question(suggestion, Privacy(hidden=True).show)
    assert "DOE" not in text and "A1" not in text and "1980" not in text
    assert text.startswith(f"These may be the same person: {HIDDEN_TEXT}, born {HIDDEN_TEXT}")


def _open_pair(window: MainWindow, qtbot: QtBot, tmp_path: Path,
               lightbox_home: Path) -> tuple[ComparePage, dict[str, str]]:
    """Library > Compare with previous on Jane's study of 2024."""
    _service, uids = _library(tmp_path / "discs", lightbox_home)
    view = window.library_view
    view.refresh()
    qtbot.waitUntil(lambda: len(view.rows) == 4, timeout=TIMEOUT)
    _select(view, uids["now"])
    qtbot.waitUntil(view.compare_button.isEnabled, timeout=TIMEOUT)
    view.compare.ask = lambda _prior: False
    view.compare_button.click()
    qtbot.waitUntil(lambda: window.compare_page is not None
                    and window.compare_page.compare.viewers[1].series is not None,
                    timeout=TIMEOUT)
    assert window.compare_page is not None
    return window.compare_page, uids


def test_the_studies_dock_lists_both_studies_and_either_can_be_dropped(
        window: MainWindow, qtbot: QtBot, tmp_path: Path, lightbox_home: Path) -> None:
    page, uids = _open_pair(window, qtbot, tmp_path, lightbox_home)
    listed = page.series_list
    assert window.browser_stack.currentWidget() is listed and listed.isVisible()
    assert listed.topLevelItemCount() == 1  # Jane, once
    jane = listed.topLevelItem(0)
    studies = [jane.child(i) for i in range(jane.childCount())]
    assert [s.text(0).split("  ")[0] for s in studies] == ["10 Mar 2022", "12 Mar 2024"]
    assert [s.childCount() for s in studies] == [3, 3]
    # Each with its small picture, read by the panes' readers.
    qtbot.waitUntil(lambda: all(not item.icon(0).isNull()
                                for item in listed._series_items.values()), timeout=TIMEOUT)
    # The earlier study's lung series onto the left side, which shows this year's study.
    lung = next(s for s in listed.all_series()
                if s.instances[0].study_instance_uid == uids["before"]
                and "LUNG" in s.series_description)
    item = listed._series_items[lung.series_instance_uid]
    data = listed.mimeData([item])  # kept: the event does not own it
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, data,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    page.panes[0].dropEvent(event)
    left = page.compare.viewers[0]
    assert left.series is not None and left.series.series_instance_uid == lung.series_instance_uid
    assert left.source is not None and left.source.study_instance_uid == uids["before"]
    qtbot.waitUntil(lambda: page.panes[0].viewport.frame is not None, timeout=TIMEOUT)
    assert left.loaded is not None
    assert left.loaded.instance.series_instance_uid == lung.series_instance_uid


def test_a_note_on_one_side_does_not_push_its_image_down(
        window: MainWindow, qtbot: QtBot, tmp_path: Path, lightbox_home: Path) -> None:
    page, _uids = _open_pair(window, qtbot, tmp_path, lightbox_home)
    qtbot.waitUntil(lambda: [p.state for p in page.compare.links().panes]
                    == ["anchor", "linked"], timeout=TIMEOUT)
    left, right = page.panes
    assert (left.link_text.text(), right.link_text.text()) == ("", MIDDLES)
    QApplication.processEvents()
    boxes = [QRect(pane.viewport.mapTo(page, QPoint(0, 0)), pane.viewport.size())
             for pane in page.panes]
    assert boxes[0].height() > 100
    assert (boxes[0].top(), boxes[0].height()) == (boxes[1].top(), boxes[1].height())
    assert left.link_text.height() == right.link_text.height() > 0


def test_the_window_shows_both_studies_side_by_side(window: MainWindow, qtbot: QtBot,
                                                    tmp_path: Path,
                                                    lightbox_home: Path) -> None:
    _service, uids = _library(tmp_path / "discs", lightbox_home)
    view = window.library_view
    view.refresh()
    qtbot.waitUntil(lambda: len(view.rows) == 4, timeout=TIMEOUT)
    _select(view, uids["before"])
    qtbot.waitUntil(lambda: view.compare.priors is not None, timeout=TIMEOUT)
    assert not view.compare_button.isEnabled()
    _select(view, uids["now"])
    qtbot.waitUntil(view.compare_button.isEnabled, timeout=TIMEOUT)
    view.compare.ask = lambda _prior: False
    view.compare_button.click()
    qtbot.waitUntil(lambda: window.compare_page is not None
                    and window.compare_page.compare.viewers[1].series is not None,
                    timeout=TIMEOUT)
    assert window.compare_page is not None
    assert window.pages.currentWidget() is window.compare_page
    left, right = (window.compare_page.compare.viewers[i].series for i in (0, 1))
    assert left is not None and right is not None
    # The main series of each study, not the scouts: the best matching pair.
    assert (left.series_description, left.instances[0].study_instance_uid) == (
        "AXIAL 400MM SOFT TISSUE", uids["now"])
    assert (right.series_description, right.instances[0].study_instance_uid) == (
        "AXIAL 400MM SOFT TISSUE", uids["before"])
    assert window.summary.text() == (
        "Same kind of scan (CT), same part of the body (the chest, belly and pelvis), "
        "both cross-sections (axial), same description.")


def _series_named(page: ComparePage, study_uid: str, words: str) -> SeriesNode:
    return next(s for s in page.series_list.all_series()
                if s.instances[0].study_instance_uid == study_uid
                and words in s.series_description)


def _click_in_list(page: ComparePage, series: SeriesNode) -> None:
    listed = page.series_list
    item = listed._series_items[series.series_instance_uid]
    listed.scrollToItem(item)
    where = listed.visualItemRect(item).center()
    QTest.mouseClick(listed.viewport(), Qt.MouseButton.LeftButton, pos=where)


def test_a_series_clicked_in_the_list_goes_to_the_pane_clicked_last(
        window: MainWindow, qtbot: QtBot, tmp_path: Path, lightbox_home: Path) -> None:
    page, uids = _open_pair(window, qtbot, tmp_path, lightbox_home)
    left, right = page.compare.viewers
    assert not any(pane.current for pane in page.panes)  # none chosen yet
    # The left side shows this year's study; last year's lung series clicked in the list
    # goes there once the left side has been clicked, read from last year's study.
    QTest.mouseClick(page.panes[0].viewport, Qt.MouseButton.LeftButton)
    assert [pane.current for pane in page.panes] == [True, False]
    lung_before = _series_named(page, uids["before"], "LUNG")
    _click_in_list(page, lung_before)
    assert left.series is not None
    assert left.series.series_instance_uid == lung_before.series_instance_uid
    assert left.source is not None and left.source.study_instance_uid == uids["before"]
    qtbot.waitUntil(lambda: left.loaded is not None and left.loaded.instance.series_instance_uid
                    == lung_before.series_instance_uid, timeout=TIMEOUT)
    assert right.series is not None and right.series.series_description == (
        "AXIAL 400MM SOFT TISSUE")  # the other side untouched
    # The wheel over the right side chooses it: the frame follows, and Enter on this
    # year's lung series shows it there.
    wheel = QWheelEvent(QPointF(20, 20), QPointF(20, 20), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(page.panes[1].viewport, wheel)
    assert [pane.current for pane in page.panes] == [False, True]
    lung_now = _series_named(page, uids["now"], "LUNG")
    listed = page.series_list
    listed.setFocus()
    listed.setCurrentItem(listed._series_items[lung_now.series_instance_uid])
    QTest.keyClick(listed, Qt.Key.Key_Return)
    assert right.series is not None
    assert right.series.series_instance_uid == lung_now.series_instance_uid
    assert right.source is not None and right.source.study_instance_uid == uids["now"]
    qtbot.waitUntil(lambda: right.loaded is not None and right.loaded.instance.series_instance_uid
                    == lung_now.series_instance_uid, timeout=TIMEOUT)
    assert left.series.series_instance_uid == lung_before.series_instance_uid
