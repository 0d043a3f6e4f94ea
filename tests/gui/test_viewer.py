"""The viewer as a person uses it: open, see, scroll, window, rotate, play, hide names."""

import shutil
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.gui.main_window import MainWindow
from app.imaging.luts import Window
from app.imaging.render import GreyFrame, render

TIMEOUT = 30_000


def _open(window: MainWindow, qtbot: QtBot, path: Path) -> None:
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(path)


def _grey(image: QImage) -> np.ndarray:
    """The grey values of a grabbed widget (all three channels are equal for grey)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * height)
    return data.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(
        height, width, 3
    )[..., 0].copy()


def _on_screen_at_one_to_one(window: MainWindow) -> np.ndarray:
    """The image pixels as painted, at zoom 1:1 (centred in the viewport)."""
    viewport = window.viewport
    viewport.actual_size()
    QApplication.processEvents()
    shown = _grey(viewport.grab().toImage())
    rows, columns = viewport.frame.shape if viewport.frame is not None else (0, 0)
    if window.model.state.rotation in (90, 270):
        rows, columns = columns, rows
    top = round(viewport.height() / 2 - rows / 2)
    left = round(viewport.width() / 2 - columns / 2)
    return shown[top : top + rows, left : left + columns]


def _central(array: np.ndarray) -> np.ndarray:
    """The middle of an image: away from the corner overlays."""
    rows, columns = array.shape[:2]
    return array[rows // 4 : rows * 3 // 4, columns // 4 : columns * 3 // 4]


def test_first_image_before_the_series_has_loaded(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    series_sizes: list[int] = []
    cached: list[int] = []

    def note() -> None:
        assert window.slices is not None
        series_sizes.append(len(window.slices))
        cached.append(sum(1 for s in window.slices.slices if s.key in window.cache))

    window.first_image_shown.connect(note)
    _open(window, qtbot, ct_disc)
    assert series_sizes == [120]  # the largest series is shown first
    assert cached[0] < 120  # ...before the rest of it was decoded
    qtbot.waitUntil(lambda: all(s.key in window.cache for s in window.slices.slices),
                    timeout=TIMEOUT)


def test_window_level_drag_shows_exactly_the_pipeline_pixels(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    viewport = window.viewport
    frame = viewport.frame
    assert isinstance(frame, GreyFrame)
    before = window.model.state.voi
    start = QPointF(viewport.width() / 2, viewport.height() / 2)
    for kind, position, buttons in (
        (QEvent.Type.MouseButtonPress, start, Qt.MouseButton.RightButton),
        (QEvent.Type.MouseMove, start + QPointF(60, -40), Qt.MouseButton.RightButton),
        (QEvent.Type.MouseMove, start + QPointF(120, -80), Qt.MouseButton.RightButton),
        (QEvent.Type.MouseButtonRelease, start + QPointF(120, -80), Qt.MouseButton.NoButton),
    ):
        event = QMouseEvent(kind, position, position, Qt.MouseButton.RightButton, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)
    window_after = window.model.state.voi
    assert isinstance(window_after, Window) and window_after != before
    assert window_after.width > frame.resolve(None).width  # dragged right: wider
    expected = render(frame, window_after)
    shown = _on_screen_at_one_to_one(window)
    assert np.array_equal(_central(shown), _central(expected))
    assert "W " in " ".join(viewport.overlay_lines[2])


def test_rotate_turns_what_is_on_screen(window: MainWindow, qtbot: QtBot, ct_disc: Path) -> None:
    _open(window, qtbot, ct_disc)
    frame = window.viewport.frame
    assert frame is not None
    upright = render(frame)
    qtbot.keyClick(window, Qt.Key.Key_R)  # rotate right
    assert window.model.state.rotation == 90
    shown = _on_screen_at_one_to_one(window)
    assert np.array_equal(_central(shown), _central(np.rot90(upright, k=-1)))
    qtbot.keyClick(window, Qt.Key.Key_H)
    assert window.model.state.flip_h
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert window.model.state.rotation == 0 and not window.model.state.flip_h


def test_wheel_and_keys_move_through_the_series(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    assert window.slices is not None
    viewport = window.viewport
    centre = QPointF(viewport.width() / 2, viewport.height() / 2)
    wheel = QWheelEvent(centre, viewport.mapToGlobal(centre), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewport, wheel)
    assert window.slices.index == 1
    qtbot.keyClick(window, Qt.Key.Key_Down)
    assert window.slices.index == 2
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert window.slices.index == 12
    qtbot.keyClick(window, Qt.Key.Key_End)
    assert window.slices.index == 119
    assert window.slider.value() == 119
    qtbot.keyClick(window, Qt.Key.Key_Up)
    assert window.slices.index == 118
    qtbot.keyClick(window, Qt.Key.Key_Home)
    assert window.slices.index == 0
    window.slider.setValue(50)
    assert window.slices.index == 50
    # The position shows with the new image (or shortly after, if it is still decoding).
    qtbot.waitUntil(lambda: "Image 51 / 120" in window.viewport.overlay_lines[2][0],
                    timeout=TIMEOUT)


def test_cine_advances_and_stops(window: MainWindow, qtbot: QtBot, ct_disc: Path) -> None:
    _open(window, qtbot, ct_disc)
    assert window.slices is not None
    window.fps.setValue(30)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.slices is not None and window.slices.index >= 5,
                    timeout=TIMEOUT)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    stopped_at = window.slices.index
    qtbot.wait(200)
    assert window.slices.index == stopped_at


def test_privacy_toggle_hides_the_name(window: MainWindow, qtbot: QtBot, ct_disc: Path) -> None:
    _open(window, qtbot, ct_disc)
    assert "SAMPLE, PATIENT" in window.viewport.overlay_lines[0]
    assert window.browser.topLevelItem(0).text(0) == "SAMPLE, PATIENT"
    qtbot.keyClick(window, Qt.Key.Key_P)
    shown_text = " ".join(" ".join(lines) for lines in window.viewport.overlay_lines)
    assert "SAMPLE, PATIENT" not in shown_text and "LIGHTBOX-SAMPLE" not in shown_text
    assert "SAMPLE" not in window.browser.topLevelItem(0).text(0)
    qtbot.keyClick(window, Qt.Key.Key_P)
    assert "SAMPLE, PATIENT" in window.viewport.overlay_lines[0]


def test_undecodable_image_shows_its_message_and_the_app_stays_usable(
    window: MainWindow, qtbot: QtBot, corpus: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(corpus / "files/deflate/liver_deflate.dcm", folder / "SEG")
    shutil.copy(corpus / "files/signed/CT_small.dcm", folder / "CT")
    window.open_path(folder)
    qtbot.waitUntil(lambda: len(window.browser.all_series()) == 2, timeout=TIMEOUT)
    bad = next(s for s in window.browser.all_series() if s.modality == "SEG")
    good = next(s for s in window.browser.all_series() if s.modality == "CT")
    window.browser.select_series(bad.series_instance_uid)
    qtbot.waitUntil(lambda: "Deflated" in window.viewport.message, timeout=TIMEOUT)
    assert "1.2.840.10008.1.2.8.1" in window.viewport.message
    window.browser.select_series(good.series_instance_uid)
    qtbot.waitUntil(lambda: isinstance(window.viewport.frame, GreyFrame), timeout=TIMEOUT)
    assert window.viewport.message == ""


def test_reports_open_as_text(window: MainWindow, qtbot: QtBot, corpus: Path) -> None:
    window.open_path(corpus / "files/non_image/test-SR.dcm")
    qtbot.waitUntil(lambda: "Text Code: A mass of" in window.report_view.toPlainText(),
                    timeout=TIMEOUT)
    assert window.stack.currentWidget() is window.report_view


def test_tag_browser_lists_the_header_and_hides_names_in_privacy(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    qtbot.keyClick(window, Qt.Key.Key_P)
    qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window._tag_browser is not None and window._tag_browser.isVisible(),
                    timeout=TIMEOUT)
    browser = window._tag_browser
    assert browser is not None
    rows = {
        browser.tree.topLevelItem(i).text(1): browser.tree.topLevelItem(i).text(3)
        for i in range(browser.tree.topLevelItemCount())
    }
    assert rows["Modality"] == "CT"
    assert rows["Patient's Name"] == "(hidden)"


def test_geometry_and_recent_items_are_remembered(
    qtbot: QtBot, ct_disc: Path
) -> None:
    first = MainWindow()
    qtbot.addWidget(first)
    first.resize(700, 500)
    first.show()
    with qtbot.waitSignal(first.first_image_shown, timeout=TIMEOUT):
        first.open_path(ct_disc)
    # The window still fits half of a 1366-pixel laptop screen (every button shown).
    assert first.minimumSizeHint().width() <= 683, first.minimumSizeHint()
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (700, 500)
    assert second._recent()[0] == str(ct_disc.resolve())
    second.close()


def _all_text(window: MainWindow) -> str:
    return " ".join(" ".join(lines) for lines in window.viewport.overlay_lines)


def test_privacy_hides_name_id_and_birth_date_in_overlay_and_title(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    assert "SAMPLE, PATIENT" in window.windowTitle()
    qtbot.keyClick(window, Qt.Key.Key_P)
    assert window.privacy.hidden and window.action_privacy.isChecked()
    shown = _all_text(window)
    assert "SAMPLE, PATIENT" not in shown and "LIGHTBOX-SAMPLE" not in shown
    assert "Born" in shown
    assert "(hidden)" in shown
    assert "SAMPLE, PATIENT" not in window.windowTitle() and "disc" in window.windowTitle()


def test_overlay_switches_off_with_o(window: MainWindow, qtbot: QtBot, ct_disc: Path) -> None:
    _open(window, qtbot, ct_disc)
    assert "Image 1 / 120" in _all_text(window)
    qtbot.keyClick(window, Qt.Key.Key_O)
    assert _all_text(window).strip() == "" and not window.action_overlay.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_O)
    assert "Image 1 / 120" in _all_text(window)


def test_zoom_in_the_overlay_follows_a_resize(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    before = window.viewport.overlay_lines[3][0]
    window.resize(1400, 1000)
    qtbot.waitUntil(lambda: window.viewport.overlay_lines[3][0] != before, timeout=TIMEOUT)
    zoom = window.viewer.effective_zoom()
    assert window.viewport.overlay_lines[3][0] == f"Zoom {zoom * 100:.0f}%"


def test_burned_in_notice_on_an_ultrasound_with_privacy_on(
    window: MainWindow, qtbot: QtBot, corpus: Path
) -> None:
    window.privacy.set_hidden(True)
    _open(window, qtbot, corpus / "files/big_endian/ExplVR_BigEnd.dcm")
    qtbot.waitUntil(lambda: window.viewport.notice != "", timeout=TIMEOUT)
    assert "written into the image" in window.viewport.notice
    window.privacy.set_hidden(False)
    assert window.viewport.notice == ""


def _window_menu_texts(window: MainWindow) -> list[str]:
    return [a.text() for a in window.window_menu.actions() if a.text()]


def test_window_menu_offers_ct_presets_on_ct_only(
    window: MainWindow, qtbot: QtBot, corpus: Path
) -> None:
    _open(window, qtbot, corpus / "files/signed/CT_small.dcm")
    qtbot.waitUntil(lambda: any("Lung" in t for t in _window_menu_texts(window)),
                    timeout=TIMEOUT)
    _open(window, qtbot, corpus / "files/big_endian/MR_small_bigendian.dcm")
    qtbot.waitUntil(lambda: not any("Lung" in t for t in _window_menu_texts(window)),
                    timeout=TIMEOUT)
    texts = [t.replace("&", "") for t in _window_menu_texts(window)]
    assert "Min-max" in texts and "Invert" in texts
    assert not any(t.startswith(("Brain", "Bone", "Abdomen")) for t in texts)


def test_f1_help_lists_every_key(window: MainWindow, qtbot: QtBot) -> None:
    text = window.help_text()
    for action in window.actions():
        keys = action.shortcut().toString()
        if keys:
            assert keys in text, keys
    assert "<p>" in text and "Space" in text and "F1" in text


def test_reports_count_as_documents(
    window: MainWindow, qtbot: QtBot, corpus: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(corpus / "files/signed/CT_small.dcm", folder / "CT")
    shutil.copy(corpus / "files/non_image/test-SR.dcm", folder / "SR")
    window.open_path(folder)
    qtbot.waitUntil(lambda: len(window.browser.all_series()) == 2, timeout=TIMEOUT)
    texts = []
    for i in range(window.browser.topLevelItemCount()):
        patient = window.browser.topLevelItem(i)
        for j in range(patient.childCount()):
            study = patient.child(j)
            texts.append(study.text(0))
            texts += [study.child(k).text(0) for k in range(study.childCount())]
    joined = " | ".join(texts)
    assert "1 document" in joined and "1 image" in joined


def test_pdf_message_says_what_happened_and_the_pdf_can_be_saved(
    window: MainWindow, qtbot: QtBot, corpus: Path, tmp_path: Path
) -> None:
    window.page.open_externally = lambda _url: False
    window.open_path(corpus / "files/non_image/sample-pdf.dcm")
    qtbot.waitUntil(lambda: "PDF" in window.report_view.toPlainText()
                    and "Opening" not in window.report_view.toPlainText(), timeout=TIMEOUT)
    assert "No PDF viewer could be opened" in window.report_view.toPlainText()
    target = tmp_path / "report.pdf"
    assert window.page.save_pdf(str(target))
    assert target.read_bytes().startswith(b"%PDF")
