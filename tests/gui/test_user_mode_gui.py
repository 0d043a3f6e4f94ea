"""The simple view for patients and the full view for doctors in the main window: a new
install starts simple, the View menu and Preferences switch it, every widget follows."""

from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from app.core.models import InstanceRef, build_tree
from app.gui.browser import SERIES_ROLE, SeriesBrowser
from app.gui.glossary_window import GlossaryWindow
from app.gui.import_dialog import ImportDialog
from app.gui.library_view import LibraryView
from app.gui.main_window import MainWindow
from app.gui.preferences import PreferencesDialog
from app.gui.settings import app_settings
from app.services.annotation_session import TOOLS
from app.services.plain_words import (
    explain_listed_study,
    explain_scanned_series,
    explain_scanned_study,
    glossary,
)
from app.services.privacy import Privacy
from app.services.user_mode import DOCTOR, PATIENT, SETTING_KEY
from app.services.viewer_text import display_date, series_label
from tests.gui.helpers import import_disc, open_and_wait

TIMEOUT = 30_000
DOCTOR_TOOLS = ("angle", "rectangle", "ellipse", "freehand")
SIMPLE_TOOLS = ("select", "length", "text", "arrow")




def _corner_text(window: MainWindow) -> str:
    return " | ".join(" | ".join(lines) for lines in window.viewport.overlay_lines)


def _series_items(window: MainWindow) -> list[QTreeWidgetItem]:
    items = []
    for p in range(window.browser.topLevelItemCount()):
        patient = window.browser.topLevelItem(p)
        for s in range(patient.childCount()):
            study = patient.child(s)
            items += [study.child(i) for i in range(study.childCount())]
    return items


def _study_item(window: MainWindow) -> QTreeWidgetItem:
    return window.browser.topLevelItem(0).child(0)


def test_a_new_install_starts_in_the_simple_view(new_window: MainWindow) -> None:
    w = new_window
    assert w.user_mode.mode == PATIENT
    assert w.view_modes.mode_actions[PATIENT].isChecked()
    assert not w.view_modes.mode_actions[DOCTOR].isChecked()
    tools = w.annotation_tools.tool_actions
    assert [t for t in TOOLS if tools[t].isVisible()] == list(SIMPLE_TOOLS)
    assert not any(tools[t].isEnabled() for t in DOCTOR_TOOLS)
    assert not w.action_tags.isVisible() and not w.action_tags.isEnabled()
    assert not w.presentation_menu.menuAction().isVisible()
    assert not w.annotation_tools.save_gsps.isVisible()
    assert w.view_modes.glossary_link.isVisible()
    assert not w.viewer.full_detail
    dialog = PreferencesDialog(w.settings, w, w.user_mode)
    assert dialog.mode_buttons[PATIENT].isChecked()
    assert dialog.chosen_mode() == PATIENT


def test_the_view_menu_switches_everything_live(
    new_window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    w = new_window
    open_and_wait(w, qtbot, ct_disc)
    preferences = PreferencesDialog(w.settings, w, w.user_mode)  # open while switching
    simple_summary = w.summary.text()
    simple_corners = _corner_text(w)
    assert "Image 1 / " in simple_corners and "SAMPLE, PATIENT" in simple_corners
    assert "Zoom" not in simple_corners and " W " not in simple_corners

    w.view_modes.mode_actions[DOCTOR].trigger()
    assert w.user_mode.mode == DOCTOR
    tools = w.annotation_tools.tool_actions
    assert all(tools[t].isVisible() and tools[t].isEnabled() for t in TOOLS)
    assert w.action_tags.isVisible() and w.action_tags.isEnabled()
    assert w.presentation_menu.menuAction().isVisible()
    assert not w.view_modes.glossary_link.isVisible()
    full_corners = _corner_text(w)
    # The status bar: "pictures in sets" for a patient, "images in series" for a doctor.
    assert (simple_summary, w.summary.text()) == (
        "151 pictures in 3 sets", "151 images in 3 series")
    assert "Zoom" in full_corners and " W " in full_corners and "C " in full_corners
    assert preferences.chosen_mode() == DOCTOR
    assert str(app_settings().value(SETTING_KEY)) == DOCTOR
    # The series list names each series as the scanner did.
    first = _series_items(w)[0]
    assert first.text(0).replace("\u200b", "").startswith(
        series_label(first.data(0, SERIES_ROLE)))

    tools["angle"].trigger()
    assert w.annotation_tools.session.tool == "angle"
    w.view_modes.mode_actions[PATIENT].trigger()
    assert w.annotation_tools.session.tool == "select"  # the angle tool is gone
    assert not tools["angle"].isVisible()
    assert not w.action_tags.isVisible()
    assert "Zoom" not in _corner_text(w)
    assert w.summary.text() == simple_summary
    assert preferences.chosen_mode() == PATIENT
    assert str(app_settings().value(SETTING_KEY)) == PATIENT


def test_preferences_switch_the_view_and_the_menu_follows(new_window: MainWindow) -> None:
    w = new_window
    dialog = PreferencesDialog(w.settings, w, w.user_mode)
    dialog.mode_buttons[DOCTOR].setChecked(True)
    assert w.user_mode.mode == PATIENT  # nothing changes until OK
    dialog._save()
    assert w.user_mode.mode == DOCTOR
    assert w.view_modes.mode_actions[DOCTOR].isChecked()
    assert w.action_tags.isVisible()
    w.settings.sync()
    second = MainWindow()  # the next start remembers the choice
    try:
        assert second.user_mode.mode == DOCTOR
        assert second.view_modes.mode_actions[DOCTOR].isChecked()
    finally:
        second.close()


def test_the_series_list_says_in_plain_words_what_each_series_is(
    new_window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    w = new_window
    open_and_wait(w, qtbot, ct_disc)
    items = _series_items(w)
    assert len(items) == 3
    for item in items:
        series = item.data(0, SERIES_ROLE)
        assert item.text(0) == explain_scanned_series(series)
        assert item.toolTip(0) == series_label(series)  # the scanner's name, on hover
    study = w.viewer.patients[0].studies[0]
    study_text = _study_item(w).text(0).replace("\u200b", "")
    assert study_text == explain_listed_study(study)
    assert study_text == "CT scan of the chest, belly and pelvis, taken 2 January 2024. 3 sets " \
        "of pictures, 151 in all."


def test_with_names_hidden_the_study_sentence_leaves_out_the_place(qtbot: QtBot) -> None:
    refs = [InstanceRef(
        path=f"s/{i}", sop_instance_uid=f"2.{i}", sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
        study_instance_uid="1.1", series_instance_uid="1.1.1", modality="MR",
        series_number=3, series_description="T2 SAG", instance_number=i,
        patient_name="DOE^JANE", patient_id="ID-7", study_date="20240312",
        study_description="MRI KNEE", institution_name="St Mary's Hospital",
    ) for i in range(5)]
    privacy = Privacy()
    browser = SeriesBrowser(privacy)
    qtbot.addWidget(browser)
    browser.set_plain_words(True)
    browser.set_tree(build_tree(refs))
    study = build_tree(refs)[0].studies[0]
    shown = _study_text(browser)
    assert shown == explain_scanned_study(study)
    assert "St Mary's Hospital" in shown
    assert _study_item_of(browser).toolTip(0) == "12 Mar 2024  MRI KNEE"
    privacy.set_hidden(True)
    hidden = _study_text(browser)
    assert hidden == explain_scanned_study(study, hide_place=True)
    assert "St Mary" not in hidden and "JANE" not in hidden
    browser.set_plain_words(False)
    assert _study_text(browser) == "12 Mar 2024  MRI KNEE\n5 images"


def _study_item_of(browser: SeriesBrowser) -> QTreeWidgetItem:
    return browser.topLevelItem(0).child(0)


def _study_text(browser: SeriesBrowser) -> str:
    return _study_item_of(browser).text(0).replace("\u200b", "")


def test_the_library_says_what_was_scanned_and_keeps_the_clinics_words(
    new_window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    w = new_window
    import_disc(w, qtbot, ct_disc)
    w.show_library()
    view = w.library_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1 and bool(view.explained),
                    timeout=TIMEOUT)
    column = 5
    cell = view.proxy.index(0, column)
    sentence = next(iter(view.explained.values()))
    assert sentence.startswith("CT scan of the ")
    assert cell.data() == sentence
    assert cell.data(Qt.ItemDataRole.ToolTipRole).endswith(
        "The clinic's description: CT CHEST ABDOMEN PELVIS (SYNTHETIC SAMPLE)")
    assert view.model.headerData(column, Qt.Orientation.Horizontal) == "What was scanned"
    assert view.table.isColumnHidden(4)  # "CT": the sentence says it in words
    assert sentence.endswith(" at Lightbox sample disc. 3 sets of pictures, 151 in all.")
    w.privacy.set_hidden(True)  # where it was taken points at the patient too
    assert view.proxy.index(0, column).data() == sentence.replace(
        " at Lightbox sample disc", "")
    w.privacy.set_hidden(False)
    w.user_mode.set_mode(DOCTOR)
    cell = view.proxy.index(0, column)
    assert cell.data() == "CT CHEST ABDOMEN PELVIS (SYNTHETIC SAMPLE)"
    assert view.model.headerData(column, Qt.Orientation.Horizontal) == "Description"
    assert not view.table.isColumnHidden(4)


def test_the_glossary_window_lists_every_term(
    new_window: MainWindow, qtbot: QtBot
) -> None:
    w = new_window
    w.view_modes.glossary_link.click()
    window = w.view_modes.glossary
    assert isinstance(window, GlossaryWindow) and window.isVisible()
    terms = glossary()
    assert window.terms() == list(terms)
    assert [window.list.item(i).text() for i in range(window.list.count())] == list(
        terms.values())
    for needed in ("CT", "MRI", "X-ray", "ultrasound", "contrast", "axial", "coronal",
                   "sagittal", "T1", "T2", "FLAIR", "diffusion", "scout", "window"):
        assert needed in terms
    window.search.setText("magnet")
    assert window.shown_terms() == ["MRI"]
    window.search.setText("zzz")
    assert window.shown_terms() == [] and not window.nothing.isHidden()
    window.search.setText("")
    assert window.shown_terms() == list(terms)
    QApplication.processEvents()
    help_menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Help")
    assert w.view_modes.glossary_action in help_menu.actions()


def test_the_compare_page_follows_the_view(new_window: MainWindow, qtbot: QtBot,
                                           ct_disc: Path) -> None:
    w = new_window
    open_and_wait(w, qtbot, ct_disc)
    w.show_compare()
    page = w.compare_page
    assert page is not None
    qtbot.waitUntil(lambda: page.series_list.topLevelItemCount() > 0, timeout=TIMEOUT)
    assert page.series_list.plain_words
    assert not any(viewer.full_detail for viewer in page.compare.viewers)
    w.view_modes.mode_actions[DOCTOR].trigger()
    assert not page.series_list.plain_words
    assert all(viewer.full_detail for viewer in page.compare.viewers)
    page.compare.set_layout("2x2")  # panes made later follow too
    assert len(page.compare.viewers) == 4
    assert all(viewer.full_detail for viewer in page.compare.viewers)
    w.view_modes.mode_actions[PATIENT].trigger()
    assert not any(viewer.full_detail for viewer in page.compare.viewers)


def test_the_import_dialog_counts_pictures_in_sets_in_the_simple_view(
        new_window: MainWindow, qtbot: QtBot, ct_disc: Path) -> None:
    w = new_window
    dialog = w.import_path(ct_disc)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=TIMEOUT)
    assert dialog.health.text() == "151 pictures in 3 sets; no problems found"
    assert dialog.overview.headerItem().text(1) == "Pictures"
    w.view_modes.mode_actions[DOCTOR].trigger()  # the open dialog follows
    assert dialog.health.text() == "151 images in 3 series; no problems found"
    assert dialog.overview.headerItem().text(1) == "Images"
    dialog.reject()


def test_the_compare_page_says_set_of_pictures_in_the_simple_view(
        new_window: MainWindow, qtbot: QtBot, ct_disc: Path) -> None:
    w = new_window
    open_and_wait(w, qtbot, ct_disc)
    w.show_compare()
    page = w.compare_page
    assert page is not None
    empty = page.panes[1]
    plain_empty = "Drag a set of pictures here, or click one in the list on the left."
    full_empty = "Drag a series here, or click one in the list on the left."
    assert (empty.title.text(), empty.viewport.message) == (plain_empty, plain_empty)
    assert page.series_list.accessibleName() == "Sets of pictures to compare"
    page.choose_pane(1)
    assert empty.accessibleDescription() == (
        "A set of pictures clicked in the list is shown here.")
    page.compare.set_layout("2x2")  # panes made later say it too
    assert page.panes[3].title.text() == plain_empty
    page.compare.set_layout("1x2")
    scout = next(s for s in page.series_list.all_series() if s.series_number == 1)
    page.choose_series(scout.series_instance_uid)
    qtbot.waitUntil(lambda: page.compare.links().panes[1].state == "unlinkable",
                    timeout=TIMEOUT)
    assert page.panes[1].link_text.text() == (
        "These pictures are cut from the front and the first set of pictures across the "
        "body, so they cannot scroll together.")

    w.view_modes.mode_actions[DOCTOR].trigger()
    assert page.panes[1].link_text.text() == (
        "These pictures are cut from the front and the first series across the body, so "
        "they cannot scroll together.")
    assert page.series_list.accessibleName() == "Series to compare"
    assert page.panes[1].accessibleDescription() == "A series clicked in the list is shown here."
    page.compare.set_layout("2x2")
    assert (page.panes[3].title.text(), page.panes[3].viewport.message) == (full_empty,
                                                                            full_empty)


def _menu_texts(window: MainWindow) -> set[str]:
    return {a.text() for m in window.menuBar().actions() if m.menu() is not None
            for a in m.menu().actions()}


def test_menus_and_the_library_name_the_trades_words_only_in_the_full_view(
        new_window: MainWindow) -> None:
    w = new_window
    plain = {"Open f&ile (disc image, ZIP or picture)...", "Import disc image or &ZIP file...",
             "Send selected or open to &PACS (a hospital's picture archive)...",
             "&Accounts and PACS (hospital picture archives)...", "Next &set of pictures",
             "Previous s&et of pictures"}
    full = {"Open f&ile (ISO, ZIP, DICOMDIR, image)...", "Import ISO or &ZIP file...",
            "Send selected or open to &PACS...", "&Accounts and PACS...", "Next &series",
            "Previous s&eries"}
    assert plain <= _menu_texts(w) and not full & _menu_texts(w)
    assert w.library_view.send_button.text() == (
        "Send to &PACS (a hospital's picture archive)...")
    assert "Next set of pictures" in w.help_text()  # F1 lists the menus as they are named
    w.view_modes.mode_actions[DOCTOR].trigger()
    assert full <= _menu_texts(w) and not plain & _menu_texts(w)
    assert w.library_view.send_button.text() == "Send to &PACS..."
    w.view_modes.mode_actions[PATIENT].trigger()
    assert plain <= _menu_texts(w)


def test_back_from_the_library_the_status_bar_describes_the_disc_again(
        new_window: MainWindow, qtbot: QtBot, ct_disc: Path) -> None:
    w = new_window
    open_and_wait(w, qtbot, ct_disc)
    w.show_library()
    qtbot.waitUntil(lambda: "in the library" in w.summary.text(), timeout=TIMEOUT)
    w.show_viewer()
    assert w.summary.text() == "151 pictures in 3 sets"
    w.show_library()
    qtbot.waitUntil(lambda: "in the library" in w.summary.text(), timeout=TIMEOUT)
    w.show_compare()
    assert "in the library" not in w.summary.text()


def test_the_library_line_counts_scans_and_pictures_in_the_simple_view(
        new_window: MainWindow, qtbot: QtBot, ct_disc: Path) -> None:
    w = new_window
    import_disc(w, qtbot, ct_disc)
    w.show_library()
    plain = "1 scan, 151 pictures in the library"
    qtbot.waitUntil(lambda: w.summary.text() == plain, timeout=TIMEOUT)
    w.view_modes.mode_actions[DOCTOR].trigger()  # the line follows at once
    assert w.summary.text() == "1 study, 151 images in the library"
    w.view_modes.mode_actions[PATIENT].trigger()
    assert w.summary.text() == plain
    w.plain_language.set_language("fr")  # in the language of the plain words
    qtbot.waitUntil(lambda: w.summary.text() == "1 examen, 151 images dans la bibliothèque",
                    timeout=TIMEOUT)


def _study_row(dialog: ImportDialog) -> QTreeWidgetItem:
    return dialog.overview.topLevelItem(0).child(0)


def test_the_import_dialog_says_what_each_study_is_in_the_simple_view(
        new_window: MainWindow, qtbot: QtBot, ct_disc: Path) -> None:
    w = new_window
    dialog = w.import_path(ct_disc)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=TIMEOUT)
    assert dialog.scan is not None
    study = dialog.scan.patients[0].studies[0]
    row = _study_row(dialog)
    sentence = explain_listed_study(study)
    assert sentence.startswith("CT scan of the ")
    assert sentence.endswith(" at Lightbox sample disc. 3 sets of pictures, 151 in all.")
    assert row.text(0) == sentence and row.text(1) == "151"
    assert row.toolTip(0) == (
        f"{sentence}\nThe clinic's description: CT CHEST ABDOMEN PELVIS (SYNTHETIC SAMPLE)")
    # Whole, on as many lines as it needs: the row is as tall as the wrapped sentence.
    qtbot.waitUntil(lambda: dialog.overview.visualItemRect(row).height() > 0,
                    timeout=TIMEOUT)
    width = dialog.overview.columnWidth(0) - 2 * dialog.overview.indentation() - 12
    needed = QFontMetrics(dialog.overview.font()).boundingRect(
        QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap, sentence).height()
    assert needed > QFontMetrics(dialog.overview.font()).height()  # it does wrap
    assert dialog.overview.visualItemRect(row).height() >= needed
    w.privacy.set_hidden(True)  # where it was taken points at the patient too
    assert _study_row(dialog).text(0) == sentence.replace(" at Lightbox sample disc", "")
    w.privacy.set_hidden(False)
    w.plain_language.set_language("fr")
    assert _study_row(dialog).text(0) == explain_listed_study(study, "fr")
    assert _study_row(dialog).text(0).startswith("Scanner ")
    w.view_modes.mode_actions[DOCTOR].trigger()  # the clinic's words, as before
    row = _study_row(dialog)
    assert row.text(0) == (
        f"{display_date(study.study_date)}  CT CHEST ABDOMEN PELVIS (SYNTHETIC SAMPLE)")
    assert row.toolTip(0) == ""
    w.view_modes.mode_actions[PATIENT].trigger()
    assert _study_row(dialog).text(0) == explain_listed_study(study, "fr")
    dialog.reject()


def _problem_lines(dialog: ImportDialog) -> list[str]:
    tree = dialog.problems.tree
    return [tree.topLevelItem(i).child(j).text(0) for i in range(tree.topLevelItemCount())
            for j in range(tree.topLevelItem(i).childCount())]


def test_the_import_dialogs_problems_name_no_format_in_the_simple_view(
        new_window: MainWindow, qtbot: QtBot, broken_disc: Path) -> None:
    w = new_window
    dialog = w.import_path(broken_disc)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=TIMEOUT)
    plain_groups = [("Listed on the disc but not there (1)", 1),
                    ("Listed as pictures, but not medical pictures (1)", 1)]
    assert dialog.problems.groups() == plain_groups
    assert dialog.scan is not None
    junk = next(p.path for p in dialog.scan.problems if p.problem == "not-dicom")
    lines = _problem_lines(dialog)
    assert lines[0].endswith(
        ": The disc's list of pictures names this file, but it is not on the disc.")
    assert lines[1] == (f"{junk}: The disc's list of pictures names this file, but it is not "
                        "a medical picture.")
    assert not any("DICOM" in line for line in lines)
    w.view_modes.mode_actions[DOCTOR].trigger()  # the open dialog follows
    assert dialog.problems.groups() == [("Listed on the disc but not there (1)", 1),
                                        ("Listed as images but not DICOM files (1)", 1)]
    assert _problem_lines(dialog) == [
        lines[0].replace("The disc's list of pictures names", "The DICOMDIR lists"),
        f"{junk}: The DICOMDIR lists this file, but it is not a DICOM file. This is not a "
        "DICOM file."]
    w.view_modes.mode_actions[PATIENT].trigger()
    assert dialog.problems.groups() == plain_groups and _problem_lines(dialog) == lines
    dialog.reject()


def test_the_viewers_problems_name_no_format_in_the_simple_view(
        new_window: MainWindow, qtbot: QtBot, broken_disc: Path) -> None:
    w = new_window
    open_and_wait(w, qtbot, broken_disc)
    bar = w.page.problem_bar
    qtbot.waitUntil(lambda: bar.isVisibleTo(w), timeout=TIMEOUT)
    tree = bar.details.tree
    # The junk file is found when its thumbnail cannot be made, as the scan finds it.
    qtbot.waitUntil(lambda: bar.details.groups() == [
        ("Listed on the disc but not there (1)", 1),
        ("Listed as pictures, but not medical pictures (1)", 1)], timeout=TIMEOUT)
    line = tree.topLevelItem(0).child(0).text(0)
    assert line.endswith(": The disc's list of pictures names this file, but it is not on "
                         "the disc.")
    w.view_modes.mode_actions[DOCTOR].trigger()  # the bar follows
    assert tree.topLevelItem(0).child(0).text(0) == line.replace(
        "The disc's list of pictures names", "The DICOMDIR lists")
    assert bar.sentences.text().startswith("1 of 11 images listed on this disc is missing")
    w.view_modes.mode_actions[PATIENT].trigger()
    assert tree.topLevelItem(0).child(0).text(0) == line


def test_the_import_dialog_counts_an_incomplete_discs_pictures_in_the_simple_view(
        new_window: MainWindow, qtbot: QtBot, broken_disc: Path) -> None:
    w = new_window
    dialog = w.import_path(broken_disc)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=TIMEOUT)
    plain_verdict = ("1 of 11 pictures listed on this disc is missing and 1 file is "
                     "damaged: this disc is incomplete. Ask the clinic for a new copy.")
    assert dialog.verdict.text() == plain_verdict
    count = dialog.chosen_images()
    assert count > 0
    plain_button = f"&Import the {count} pictures that are there"
    assert dialog.import_button.text() == plain_button
    w.view_modes.mode_actions[DOCTOR].trigger()  # the open dialog follows
    assert dialog.verdict.text() == plain_verdict.replace("pictures", "images")
    assert dialog.import_button.text() == f"&Import the {count} images that are there"
    w.view_modes.mode_actions[PATIENT].trigger()
    assert dialog.verdict.text() == plain_verdict
    assert dialog.import_button.text() == plain_button
    with qtbot.waitSignal(dialog.import_finished, timeout=TIMEOUT):
        dialog.import_button.click()
    plain_stored = dialog.outcome.text()
    assert plain_stored.startswith(f"{count} pictures are stored on this computer (")
    assert "image" not in plain_stored
    w.view_modes.mode_actions[DOCTOR].trigger()
    assert dialog.outcome.text() == plain_stored.replace("picture", "image")
    w.view_modes.mode_actions[PATIENT].trigger()
    assert dialog.outcome.text() == plain_stored
    dialog.reject()


def test_the_viewers_problem_bar_counts_pictures_in_the_simple_view(
        new_window: MainWindow, qtbot: QtBot, broken_disc: Path) -> None:
    w = new_window
    open_and_wait(w, qtbot, broken_disc)
    bar = w.page.problem_bar
    qtbot.waitUntil(lambda: bar.isVisibleTo(w), timeout=TIMEOUT)
    assert bar.sentences.text().startswith("1 of 11 pictures listed on this disc is missing")
    w.view_modes.mode_actions[DOCTOR].trigger()  # the bar follows
    assert bar.sentences.text().startswith("1 of 11 images listed on this disc is missing")
    w.view_modes.mode_actions[PATIENT].trigger()
    assert bar.sentences.text().startswith("1 of 11 pictures listed on this disc is missing")


def test_the_librarys_column_counts_pictures_in_the_simple_view(
        new_window: MainWindow, qtbot: QtBot, ct_disc: Path) -> None:
    w = new_window
    import_disc(w, qtbot, ct_disc)
    w.show_library()
    view = w.library_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1, timeout=TIMEOUT)
    column = LibraryView.COLUMNS.index("Images")
    assert view.model.headerData(column, Qt.Orientation.Horizontal) == "Pictures"
    assert view.proxy.index(0, column).data() == "151"
    w.view_modes.mode_actions[DOCTOR].trigger()  # the header follows at once
    assert view.model.headerData(column, Qt.Orientation.Horizontal) == "Images"
    w.view_modes.mode_actions[PATIENT].trigger()
    assert view.model.headerData(column, Qt.Orientation.Horizontal) == "Pictures"
