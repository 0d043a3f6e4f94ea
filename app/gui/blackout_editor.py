"""Draw the places to black out on one image: the image scaled to fit, a drag adds a
rectangle, the list of rectangles with Remove, and Save rule. The rule is saved for every
image of the same kind (modality and size) through app.services.copy_review."""

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.gui.tasks import run_in_background
from app.gui.viewport import wrap_qimage
from app.services.copy_review import (
    EDITOR_SIDE,
    BlackoutRule,
    Picture,
    Rectangle,
    ReviewImage,
    describe_rectangle,
    dragged_rectangle,
    instance_picture,
    places_words,
    save_rule,
)
from app.services.library_service import LibraryService

MARGIN = 6


class BlackoutCanvas(QWidget):
    """The image, scaled to fit, with the rectangles drawn black over it; a left-button
    drag adds a rectangle (in the image's own pixels)."""

    rectangle_drawn = Signal(object)  # Rectangle

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(360, 270)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAccessibleName(self.tr("The picture: drag over each place to black out"))
        self.picture: Picture | None = None
        self._image: QImage | None = None
        self._pixels: np.ndarray | None = None
        self.rectangles: list[Rectangle] = []
        self.message = self.tr("Loading the picture...")
        self._drag: tuple[QPointF, QPointF] | None = None

    def sizeHint(self) -> QSize:
        return QSize(640, 480)

    def set_picture(self, picture: Picture) -> None:
        self.picture = picture
        self._pixels = np.ascontiguousarray(picture.pixels)
        self._image = wrap_qimage(self._pixels)
        self.update()

    def set_message(self, message: str) -> None:
        self.message = message
        self.update()

    def set_rectangles(self, rectangles: list[Rectangle]) -> None:
        self.rectangles = list(rectangles)
        self.update()

    def image_area(self) -> QRectF:
        """Where the image is drawn in the widget (scaled to fit, centred)."""
        if self.picture is None:
            return QRectF()
        rows, columns = self.picture.rows, self.picture.columns
        space = QRectF(self.rect()).adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
        scale = min(space.width() / columns, space.height() / rows)
        width, height = columns * scale, rows * scale
        return QRectF(space.center().x() - width / 2, space.center().y() - height / 2,
                      width, height)

    def to_image(self, point: QPointF) -> tuple[float, float]:
        """A widget position in image pixels."""
        area = self.image_area()
        assert self.picture is not None
        return ((point.x() - area.left()) * self.picture.columns / area.width(),
                (point.y() - area.top()) * self.picture.rows / area.height())

    def to_widget(self, rectangle: Rectangle) -> QRectF:
        area = self.image_area()
        assert self.picture is not None
        sx, sy = area.width() / self.picture.columns, area.height() / self.picture.rows
        return QRectF(area.left() + rectangle.x * sx, area.top() + rectangle.y * sy,
                      rectangle.width * sx, rectangle.height * sy)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#202020"))
        if self._image is None or self.picture is None:
            painter.setPen(QColor("#e0e0e0"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter
                             | Qt.TextFlag.TextWordWrap, self.message)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(self.image_area(), self._image)
        outline = QPen(QColor("#ff4040"), 2)
        # Black, as in the copy, with red hatching: black on a black background must
        # still show where it is.
        hatch = QBrush(QColor(255, 64, 64, 150), Qt.BrushStyle.BDiagPattern)
        for number, rectangle in enumerate(self.rectangles, start=1):
            box = self.to_widget(rectangle)
            painter.fillRect(box, QColor(0, 0, 0))
            painter.fillRect(box, hatch)
            painter.setPen(outline)
            painter.drawRect(box)
            painter.drawText(box.adjusted(4, 2, 0, 0), Qt.AlignmentFlag.AlignLeft
                             | Qt.AlignmentFlag.AlignTop, str(number))
        if self._drag is not None:
            painter.setPen(QPen(QColor("#ffd040"), 2, Qt.PenStyle.DashLine))
            painter.drawRect(QRectF(self._drag[0], self._drag[1]).normalized())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.picture is not None:
            self._drag = (event.position(), event.position())
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            self._drag = (self._drag[0], event.position())
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is None or self.picture is None:
            return
        start, _ = self._drag
        self._drag = None
        self.update()
        x0, y0 = self.to_image(start)
        x1, y1 = self.to_image(event.position())
        rectangle = dragged_rectangle(x0, y0, x1, y1, self.picture.rows,
                                      self.picture.columns)
        if rectangle is not None:
            self.rectangle_drawn.emit(rectangle)


class BlackoutEditor(QDialog):
    rule_saved = Signal(object)  # BlackoutRule

    def __init__(self, library: LibraryService, image: ReviewImage,
                 existing: BlackoutRule | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.image = image
        self.saved: BlackoutRule | None = None
        self.setWindowTitle(self.tr("Black out the writing"))
        intro = QLabel(self.tr(
            "Drag a box over each place where the picture shows writing that could say who "
            "this is (a name, a date of birth, an ID, the clinic). Those places become "
            "black in the copy, on this picture and on every other picture of this kind "
            "({0}).").format(image.kind))
        intro.setWordWrap(True)
        self.canvas = BlackoutCanvas()
        self.canvas.rectangle_drawn.connect(self.add_rectangle)
        self.listing = QListWidget()
        self.listing.setAccessibleName(self.tr("Places to black out"))
        self.listing.setMaximumHeight(110)
        self.listing.currentRowChanged.connect(lambda _row: self._update_buttons())
        self.remove_button = QPushButton(self.tr("&Remove"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(
            self.tr("&Save rule"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setToolTip(self.tr(
            "Remembers these places for every picture of this kind ({0}), for this copy and "
            "the next ones.").format(image.kind))
        self.save_button.clicked.connect(self.save)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.clicked.connect(self.reject)

        side = QVBoxLayout()
        side.addWidget(QLabel(self.tr("Places to black out:")))
        side.addWidget(self.listing)
        row = QHBoxLayout()
        row.addLayout(side, 1)
        row.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(720, 680)
        self.rectangles: list[Rectangle] = list(existing.rectangles) if existing else []
        self._show_rectangles()
        self._task = run_in_background(
            lambda: instance_picture(library, image, EDITOR_SIDE), self.canvas.set_picture,
            self.canvas.set_message)

    def add_rectangle(self, rectangle: Rectangle) -> None:
        self.rectangles.append(rectangle)
        self._show_rectangles()
        self.listing.setCurrentRow(len(self.rectangles) - 1)

    def remove_selected(self) -> None:
        row = self.listing.currentRow()
        if 0 <= row < len(self.rectangles):
            del self.rectangles[row]
            self._show_rectangles()

    def _show_rectangles(self) -> None:
        self.canvas.set_rectangles(self.rectangles)
        self.listing.clear()
        for number, rectangle in enumerate(self.rectangles, start=1):
            self.listing.addItem(f"{number}. {describe_rectangle(rectangle)}")
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(bool(self.rectangles))
        self.remove_button.setEnabled(0 <= self.listing.currentRow() < len(self.rectangles))
        if not self.rectangles:
            self.status.setText(self.tr("Nothing is blacked out yet."))
        else:
            self.status.setText(self.tr("{0} will be black in the copy.").format(
                places_words(len(self.rectangles))))

    def save(self) -> None:
        library, image, rectangles = self.library, self.image, list(self.rectangles)
        self.save_button.setEnabled(False)

        def saved(rule: BlackoutRule) -> None:
            self.saved = rule
            self.rule_saved.emit(rule)
            self.accept()

        def failed(message: str) -> None:
            self.status.setText(message)
            self.save_button.setEnabled(True)

        run_in_background(lambda: save_rule(library, image, rectangles), saved, failed)
