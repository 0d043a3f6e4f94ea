"""Save image as and Copy image, as a patient uses them: the picture on screen to a PNG
or JPEG file or the clipboard, without the corner text unless asked for."""

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit
from pytestqt.qtbot import QtBot

from app.cli import main
from app.gui.main_window import MainWindow
from app.gui.save_image import JPEG_FILTER, SaveImageDialog
from app.imaging.luts import Window
from app.services.image_export import (
    NO_IMAGE,
    PIXEL_NAME_WARNING,
    TEXT_EXPLANATION,
    ExportOptions,
    corner_text,
    pixel_name_warning,
    suggested_file_name,
)
from app.services.viewer_text import Markers, Overlay
from tests.support.tmpfs import tmpfs

TIMEOUT = 30_000
NAME = "SAMPLE, PATIENT"


def _open(window: MainWindow, qtbot: QtBot, path: Path) -> None:
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(path)


def _array(image: QImage) -> np.ndarray:
    """RGB pixels of a QImage (height, width, 3)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * height)
    return data.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(
        height, width, 3).copy()


def _rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def _screen_without_text(window: MainWindow) -> np.ndarray:
    """The viewport as painted with no corner text and no orientation letters."""
    viewport = window.viewport
    lines, markers, notice = viewport.overlay_lines, viewport.markers, viewport.notice
    viewport.set_overlay(Overlay(), Markers())
    shown = _array(viewport.grab().toImage())
    viewport.overlay_lines, viewport.markers, viewport.notice = lines, markers, notice
    viewport.update()
    return shown


def _set_view(window: MainWindow) -> None:
    """Not the file's default: a window of our own, turned and flipped."""
    window.viewer.set_state(window.model.state.with_voi(Window(60, 500)))
    window.viewer.rotate(90)
    window.viewer.flip("h")


def test_save_png_as_on_screen_is_the_screen_without_text(
    window: MainWindow, qtbot: QtBot, ct_disc: Path, tmp_path: Path
) -> None:
    _open(window, qtbot, ct_disc)
    _set_view(window)
    window.viewer.zoom_by(1.6)
    out = tmp_path / "view.png"
    assert window.images.save(str(out), ExportOptions(size="screen", text=False))
    saved = _rgb(out)
    assert saved.shape[:2] == (window.viewport.height(), window.viewport.width())
    assert np.array_equal(saved, _screen_without_text(window))
    assert window.summary.text().startswith("Saved the picture")
    assert "without the corner text" in window.summary.text()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["view.png"]

    with_text = tmp_path / "text.png"
    assert window.images.save(str(with_text), ExportOptions(size="screen", text=True))
    texted = _rgb(with_text)
    corner = (slice(0, 60), slice(0, 200))
    assert not np.array_equal(texted[corner], saved[corner])  # The name is up there.
    rows, columns = saved.shape[:2]
    middle = (slice(rows // 3, rows * 2 // 3), slice(columns // 3, columns * 2 // 3))
    assert np.array_equal(texted[middle], saved[middle])


def test_full_detail_png_and_jpeg_match_lightbox_render(
    window: MainWindow, qtbot: QtBot, ct_disc: Path, tmp_path: Path
) -> None:
    _open(window, qtbot, ct_disc)
    _set_view(window)
    source = window.viewer.slices.current.instance.path  # type: ignore[union-attr]
    reference = tmp_path / "cli.png"
    assert main(["render", str(ct_disc / source), "-o", str(reference), "--window", "60", "500",
                 "--rotate", "90", "--flip", "h"]) == 0
    expected = np.asarray(Image.open(reference)).astype(int)

    png = tmp_path / "own.png"
    assert window.images.save(str(png), ExportOptions(size="image"))
    saved = np.asarray(Image.open(png))
    assert saved.ndim == 2  # Grey stays grey: a small, exact file.
    assert saved.shape == expected.shape == (256, 256)
    assert np.abs(saved.astype(int) - expected).max() <= 1

    jpeg = tmp_path / "own"
    assert window.images.save(str(jpeg), ExportOptions(size="image"), jpeg_filter=True)
    written = tmp_path / "own.jpg"
    assert Image.open(written).format == "JPEG"
    lossy = np.asarray(Image.open(written).convert("L")).astype(int)
    assert lossy.shape == expected.shape
    assert np.abs(lossy - expected).mean() < 3

    texted = tmp_path / "own-text.png"
    assert window.images.save(str(texted), ExportOptions(size="image", text=True))
    with_text = np.asarray(Image.open(texted).convert("L")).astype(int)
    assert with_text.shape == expected.shape
    assert not np.array_equal(with_text[:40, :120], expected[:40, :120])


def test_the_corner_text_of_a_saved_picture_follows_privacy(
    window: MainWindow, qtbot: QtBot, ct_disc: Path, tmp_path: Path
) -> None:
    _open(window, qtbot, ct_disc)
    window.viewer.set_overlay_visible(False)  # Off on screen; asked for in the file.
    shown = corner_text(window.viewer, "screen")
    assert NAME in shown.top_left[0] and not shown.notice
    named, hidden = tmp_path / "named.png", tmp_path / "hidden.png"
    assert window.images.save(str(named), ExportOptions(text=True))
    window.privacy.set_hidden(True)
    text = " ".join(" ".join(corner) for corner in corner_text(window.viewer, "image").corners)
    patient_id = window.viewer.slices.current.instance.patient_id  # type: ignore[union-attr]
    assert NAME not in text and patient_id not in text and "(hidden)" in text
    assert window.images.save(str(hidden), ExportOptions(text=True))
    assert not np.array_equal(_rgb(named)[:60, :200], _rgb(hidden)[:60, :200])


def test_the_suggested_name_never_names_the_patient(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    ref = window.viewer.slices.current.instance  # type: ignore[union-attr]
    name = suggested_file_name(ref)
    assert name.startswith("image-") and name.endswith(".png")
    assert f"series-{ref.series_number}" in name
    for private in ("sample", "patient", ref.patient_id.lower()):
        assert private not in name.lower()


def test_a_read_only_place_gives_one_sentence_and_no_file(
    window: MainWindow, qtbot: QtBot, ct_disc: Path, tmp_path: Path
) -> None:
    _open(window, qtbot, ct_disc)
    with tmpfs(tmp_path / "readonly", "ro,size=1m") as folder:
        window.hide()  # No message box in a test; the status bar says it.
        assert not window.images.save(str(folder / "a.png"), ExportOptions())
        assert list(folder.iterdir()) == []
    said = window.summary.text()
    assert said.startswith("Lightbox may not write in") and said.count(".") == 1


def test_copy_image_puts_the_view_on_the_clipboard(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    clipboard = QGuiApplication.clipboard()
    clipboard.clear()
    window.viewport.setFocus()
    qtbot.waitUntil(lambda: window.viewport.hasFocus(), timeout=TIMEOUT)
    qtbot.keyClick(window.viewport, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    copied = clipboard.image()
    ratio = window.viewport.devicePixelRatioF()
    assert (copied.width(), copied.height()) == (round(window.viewport.width() * ratio),
                                                 round(window.viewport.height() * ratio))
    assert np.array_equal(_array(copied), _screen_without_text(window))
    assert window.summary.text().startswith("Copied the picture")


def test_both_wait_for_a_picture(window: MainWindow, qtbot: QtBot, ct_disc: Path) -> None:
    for action in (window.action_save_image, window.action_copy_image):
        assert not action.isEnabled() and action.toolTip() == NO_IMAGE
    window.images.copy()
    assert window.summary.text() == NO_IMAGE
    _open(window, qtbot, ct_disc)
    for action in (window.action_save_image, window.action_copy_image):
        assert action.isEnabled() and action.toolTip() != NO_IMAGE
    window.show_library()
    assert not window.action_save_image.isEnabled()
    window.show_viewer()
    assert window.action_copy_image.isEnabled()


def test_the_dialog_leaves_the_text_out_unless_asked(qtbot: QtBot) -> None:
    dialog = SaveImageDialog((800, 600), (512, 512), names_hidden=False)
    qtbot.addWidget(dialog)
    assert dialog.options() == ExportOptions(size="screen", text=False)
    assert TEXT_EXPLANATION in dialog.explanation.text()
    assert "512 × 512" in dialog.image_button.text()
    dialog.image_button.setChecked(True)
    dialog.text_box.setChecked(True)
    assert dialog.options() == ExportOptions(size="image", text=True)
    hidden = SaveImageDialog((800, 600), (512, 512), names_hidden=True, size="image")
    qtbot.addWidget(hidden)
    assert "(hidden)" in hidden.explanation.text()
    assert hidden.options().size == "image"


def test_save_image_as_from_the_menu_key(
    window: MainWindow, qtbot: QtBot, ct_disc: Path, tmp_path: Path
) -> None:
    """Ctrl+S: the options (text off), then the file dialog with a name that says when and
    which image but not who; the JPEG file type without a suffix gives a .jpg."""
    _open(window, qtbot, ct_disc)
    window.settings.setValue("save_image/folder", str(tmp_path))
    seen: dict[str, object] = {}

    def answer() -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, SaveImageDialog):
            seen["text"] = modal.text_box.isChecked()
            modal.save_button.click()
        elif isinstance(modal, QFileDialog):
            seen["suggested"] = Path(modal.selectedFiles()[0]).name
            modal.selectNameFilter(JPEG_FILTER)
            modal.findChild(QLineEdit, "fileNameEdit").setText("for-my-doctor")
            modal.accept()
            return
        QTimer.singleShot(50, answer)

    QTimer.singleShot(50, answer)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert seen["text"] is False
    suggested = str(seen["suggested"])
    assert suggested.startswith("image-") and "sample" not in suggested.lower()
    saved = tmp_path / "for-my-doctor.jpg"
    assert Image.open(saved).format == "JPEG"
    assert window.summary.text().startswith("Saved the picture")


def test_ctrl_c_in_a_text_field_still_copies_the_text(
    window: MainWindow, qtbot: QtBot, ct_disc: Path
) -> None:
    _open(window, qtbot, ct_disc)
    assert window.action_copy_image.isEnabled()
    clipboard = QGuiApplication.clipboard()
    clipboard.clear()
    window.activateWindow()
    window.fps.setFocus()
    qtbot.waitUntil(lambda: window.fps.hasFocus(), timeout=TIMEOUT)
    window.fps.selectAll()
    qtbot.keyClick(window.fps, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text() == str(window.fps.value())
    assert clipboard.image().isNull()


def test_a_picture_that_may_show_the_name_itself_is_said_so(
    window: MainWindow, qtbot: QtBot, corpus: Path, ct_disc: Path
) -> None:
    """An ultrasound often has the name burned in: the corner option cannot help, so the
    dialog and the copy say to look at it first (a CT says nothing of the kind)."""
    _open(window, qtbot, ct_disc)
    assert pixel_name_warning(window.viewer) == ""
    window.images.copy()
    assert PIXEL_NAME_WARNING not in window.summary.text()
    _open(window, qtbot, corpus / "files/big_endian/ExplVR_BigEnd.dcm")
    assert pixel_name_warning(window.viewer) == PIXEL_NAME_WARNING
    window.images.copy()
    assert window.summary.text().endswith(PIXEL_NAME_WARNING)
    dialog = SaveImageDialog((800, 600), (640, 480), False, warning=PIXEL_NAME_WARNING)
    qtbot.addWidget(dialog)
    assert dialog.warning.text() == PIXEL_NAME_WARNING and not dialog.warning.isHidden()


def test_full_detail_of_a_colour_ultrasound_matches_lightbox_render(
    window: MainWindow, qtbot: QtBot, corpus: Path, tmp_path: Path
) -> None:
    source = corpus / "files/big_endian/ExplVR_BigEnd.dcm"
    _open(window, qtbot, source)
    window.viewer.rotate(-90)
    reference, saved = tmp_path / "cli.png", tmp_path / "own.png"
    assert main(["render", str(source), "-o", str(reference), "--rotate", "270"]) == 0
    assert window.images.save(str(saved), ExportOptions(size="image"))
    expected = np.asarray(Image.open(reference)).astype(int)
    got = np.asarray(Image.open(saved)).astype(int)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= 1
