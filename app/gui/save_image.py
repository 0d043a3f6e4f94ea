"""File > Save image as… and Edit > Copy image: the picture on screen as a PNG or JPEG
file, or on the clipboard, for a patient to put in an email.

The options dialog only asks; the words, the file name and the safe writing are
app.services.image_export's, the drawing is the viewport's (QtViewport.render_view).
"""

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QIODevice, QStandardPaths
from PySide6.QtGui import QAction, QGuiApplication, QImage
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.services.image_export import (
    DRAWINGS_OPTION,
    FORMAT_NOTE,
    HIDDEN_NOTE,
    JPEG_QUALITY,
    NO_IMAGE,
    TEXT_EXPLANATION,
    TEXT_OPTION,
    ExportOptions,
    ImageFormat,
    ImageSaveError,
    ImageSize,
    copied_sentence,
    corner_text,
    pixel_name_warning,
    saved_sentence,
    size_label,
    suggested_file_name,
    target_and_format,
    write_atomically,
)

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

JPEG_FILTER = "JPEG image, smaller (*.jpg *.jpeg)"
PNG_FILTER = "PNG image, exact (*.png)"


class SaveImageDialog(QDialog):
    """The choices before the file name: size, and whether the corner text goes in."""

    def __init__(self, screen_size: tuple[int, int], image_size: tuple[int, int],
                 names_hidden: bool, size: ImageSize = "screen",
                 parent: QWidget | None = None, warning: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Save image as"))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("<b>Size</b>")))
        self.screen_button = QRadioButton(size_label("screen", *screen_size))
        self.image_button = QRadioButton(size_label("image", *image_size))
        self.sizes = QButtonGroup(self)
        for button in (self.screen_button, self.image_button):
            self.sizes.addButton(button)
            layout.addWidget(button)
        (self.image_button if size == "image" else self.screen_button).setChecked(True)
        layout.addSpacing(8)
        self.drawings_box = QCheckBox(DRAWINGS_OPTION)
        self.drawings_box.setChecked(True)
        layout.addWidget(self.drawings_box)
        self.text_box = QCheckBox(TEXT_OPTION)
        self.text_box.setChecked(False)
        layout.addWidget(self.text_box)
        explanation = TEXT_EXPLANATION + (" " + HIDDEN_NOTE if names_hidden else "")
        self.explanation = QLabel(explanation)
        self.explanation.setWordWrap(True)
        layout.addWidget(self.explanation)
        self.warning = QLabel(warning)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("font-weight: bold")
        self.warning.setVisible(bool(warning))
        layout.addWidget(self.warning)
        layout.addSpacing(8)
        note = QLabel(FORMAT_NOTE)
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.addButton(self.tr("Choose where to save..."),
                                             QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def options(self) -> ExportOptions:
        size: ImageSize = "image" if self.image_button.isChecked() else "screen"
        return ExportOptions(size=size, text=self.text_box.isChecked(),
                             drawings=self.drawings_box.isChecked())


def encode(image: QImage, image_format: ImageFormat) -> bytes:
    """``image`` as the bytes of a PNG or JPEG file."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    quality = JPEG_QUALITY if image_format == "JPEG" else -1
    if not image.save(buffer, image_format, quality):  # type: ignore[call-overload]
        raise ImageSaveError(f"The picture could not be made into a {image_format} file.")
    return bytes(buffer.data().data())


class ImageSaver:
    """Saving and copying the main window's picture; the actions call these."""

    def __init__(self, window: "MainWindow") -> None:
        self.window = window
        self.actions: tuple[QAction, ...] = ()

    def watch(self, *actions: QAction) -> None:
        """Keep ``actions`` enabled only while there is a picture, with the reason in
        their tooltip and status tip when not."""
        self.actions = actions
        w = self.window
        w.viewport.showing_changed.connect(lambda _shown: self.refresh())
        w.pages.currentChanged.connect(lambda _index: self.refresh())
        w.stack.currentChanged.connect(lambda _index: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        available = self.available()
        for action in self.actions:
            action.setEnabled(available)
            reason = "" if available else NO_IMAGE
            action.setToolTip(reason or action.text().replace("&", "").rstrip("."))
            action.setStatusTip(reason)

    def available(self) -> bool:
        """True when an image (not a message, report or the library) is on screen."""
        w = self.window
        return (w.pages.currentWidget() is w.page
                and w.stack.currentWidget() is w.viewport
                and w.viewport.frame is not None)

    def render(self, options: ExportOptions) -> QImage:
        """The picture to save or copy, as the options say."""
        w = self.window
        corners = corner_text(w.viewer, options.size) if options.text else None
        markers = w.viewer.markers() if options.text else None
        return w.viewport.render_view(options.size, corners, markers, options.drawings)

    def save_as(self) -> None:
        """File > Save image as…: options, then where, then write."""
        w = self.window
        if not self.available():
            w.summary_text(NO_IMAGE)
            return
        viewport = w.viewport
        ratio = viewport.devicePixelRatioF()
        screen = (round(viewport.width() * ratio), round(viewport.height() * ratio))
        rows, columns = viewport.frame.shape if viewport.frame is not None else (0, 0)
        own = (rows, columns) if w.model.state.rotation in (90, 270) else (columns, rows)
        remembered = w.settings.value("save_image/size", "screen")
        last: ImageSize = "image" if remembered == "image" else "screen"
        dialog = SaveImageDialog(screen, own, w.privacy.hidden, last, w,
                                 pixel_name_warning(w.viewer))
        if not dialog.exec():
            return
        options = dialog.options()
        w.settings.setValue("save_image/size", options.size)
        folder = str(w.settings.value("save_image/folder", "")) or QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.PicturesLocation)
        ref = w.slices.current.instance if w.slices is not None else None
        frame = w.slices.current.frame if w.slices is not None else 0
        suggested = str(Path(folder) / suggested_file_name(ref, frame))
        chosen, chosen_filter = QFileDialog.getSaveFileName(
            w, self.tr("Save image as"), suggested, f"{PNG_FILTER};;{JPEG_FILTER}")
        if not chosen:
            return
        self.save(chosen, options, chosen_filter == JPEG_FILTER)

    def save(self, chosen: str, options: ExportOptions, jpeg_filter: bool = False) -> bool:
        """Write the picture to ``chosen`` (format from its suffix); the status bar, and a
        message box on failure, say what happened in one sentence."""
        w = self.window
        if not self.available():
            w.summary_text(NO_IMAGE)
            return False
        path, image_format = target_and_format(chosen, jpeg_filter)
        image = self.render(options)
        try:
            write_atomically(path, encode(image, image_format))
        except ImageSaveError as exc:
            w.summary_text(str(exc))
            if w.isVisible():
                QMessageBox.warning(w, self.tr("Save image as"), str(exc))
            return False
        w.settings.setValue("save_image/folder", str(path.parent))
        w.summary_text(saved_sentence(path, image.width(), image.height(), image_format,
                                      options.text))
        return True

    def copy(self) -> None:
        """Edit > Copy image: the view as on screen, without the corner text."""
        w = self.window
        if not self.available():
            w.summary_text(NO_IMAGE)
            return
        image = self.render(ExportOptions(size="screen", text=False))
        QGuiApplication.clipboard().setImage(image)
        w.summary_text(copied_sentence(image.width(), image.height(),
                                       pixel_name_warning(w.viewer)))

    def tr(self, text: str) -> str:
        return self.window.tr(text)
