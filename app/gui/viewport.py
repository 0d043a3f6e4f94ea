"""The image canvas: draws one prepared frame through the current ViewportState.

Each paint renders the cached frame with the current window (one table build and one
gather), at screen resolution for large images, wraps it in a QImage without copying,
and lets QPainter rotate, flip, zoom and pan it. Mouse moves only change the state and
ask for a repaint; Qt merges repaint requests, so a window/level drag draws only the
latest position however fast the mouse moves.
"""

import math
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRect, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QStaticText,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.gui.annotation_layer import AnnotationLayer
from app.imaging.luts import LookupTable, Window
from app.imaging.presentation_state import ImageAnnotations, Point
from app.imaging.render import GreyFrame, PreparedFrame, render
from app.imaging.viewport import (
    ViewportState,
    dragged_window,
    orient,
    to_view,
)
from app.services.gsps_view import outline
from app.services.image_export import ImageSize
from app.services.viewer_model import ViewerModel
from app.services.viewer_text import Markers, Overlay

ZOOM_STEP = 1.15
MARGIN = 8
# Sizes tried for corner text that would otherwise cover a small image's own corners.
OVERLAY_SCALES = (1.0, 0.85, 0.7)
OUTLINE = ((-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1))
# Annotations from a presentation state: bright yellow over a dark edge, seen on black and
# on white alike, and unlike any grey of the picture.
ANNOTATION_COLOUR = QColor(255, 214, 0)
ANNOTATION_EDGE = QColor(0, 0, 0, 220)
POINT_CROSS = 5.0  # half the size of a point's cross, in screen pixels


def _draw_outlined(painter: QPainter, at: QPointF, text: QStaticText, scale: float) -> None:
    """Light text with a dark outline: legible on black and on a white image alike."""
    painter.save()
    painter.translate(at)
    painter.scale(scale, scale)
    painter.setPen(QColor(0, 0, 0, 230))
    for dx, dy in OUTLINE:
        painter.drawStaticText(QPointF(dx, dy), text)
    painter.setPen(QColor("#f4f4f4"))
    painter.drawStaticText(QPointF(0, 0), text)
    painter.restore()


class ViewportModel(QObject):
    """Qt face of a ViewerModel's viewport state: ``changed`` fires on every real change."""

    changed = Signal()

    def __init__(self, viewer: ViewerModel | None = None) -> None:
        super().__init__()
        self.viewer = viewer if viewer is not None else ViewerModel()
        self.viewer.view_changed.connect(lambda _state: self.changed.emit())

    @property
    def state(self) -> ViewportState:
        return self.viewer.state

    @state.setter
    def state(self, value: ViewportState) -> None:
        self.viewer.set_state(value)

    @property
    def fit(self) -> bool:
        return self.viewer.fit

    def set_fit(self, fit: bool) -> None:
        self.viewer.set_fit(fit)


def wrap_qimage(pixels: np.ndarray) -> QImage:
    """A QImage over ``pixels`` without copying them: uint8 grey, uint8 RGB, or uint32
    0xffRRGGBB (what QPainter draws fastest).

    The caller keeps ``pixels`` alive as long as the QImage is used.
    """
    pixels = np.ascontiguousarray(pixels)
    height, width = pixels.shape[:2]
    if pixels.dtype == np.uint32:
        return QImage(pixels.data, width, height, width * 4, QImage.Format.Format_RGB32)
    if pixels.ndim == 2:
        return QImage(pixels.data, width, height, width, QImage.Format.Format_Grayscale8)
    return QImage(pixels.data, width, height, width * 3, QImage.Format.Format_RGB888)


# Grey level -> opaque 0xffRRGGBB. Drawing a scaled RGB32 image is about three times
# faster in Qt's raster engine than drawing the same image in Grayscale8.
GREY_TO_RGB32 = (np.arange(256, dtype=np.uint32) * 0x010101) | 0xFF000000


def _rgb32(rgb: np.ndarray) -> np.ndarray:
    """uint8 (rows, columns, 3) as uint32 0xffRRGGBB."""
    packed = rgb[..., 0].astype(np.uint32) << 16
    packed |= rgb[..., 1].astype(np.uint32) << 8
    packed |= rgb[..., 2]
    packed |= 0xFF000000
    return packed


class QtViewport(QWidget):
    """Draws the current frame, or a message filling the viewport when there is none."""

    step_requested = Signal(int)  # wheel: +1 next slice, -1 previous
    painted = Signal()  # a frame (not a message) reached the screen
    showing_changed = Signal(bool)  # True: a frame is up (False: a message)

    def __init__(self, model: ViewportModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.model.changed.connect(self.update)
        # Every pixel is painted (the image, black around it): Qt need not clear first.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.frame: PreparedFrame | None = None
        self.message = ""
        self.overlay_lines: tuple[list[str], list[str], list[str], list[str]] = ([], [], [], [])
        self.notice = ""
        self.markers = Markers()
        self.annotations: ImageAnnotations | None = None  # from a presentation state
        self.annotation_layer: AnnotationLayer | None = None  # the user's own drawings
        self._static_source: object = None
        self._static: list[list[QStaticText]] = []
        self._layouts: dict[str, QStaticText] = {}
        # Outlined lines drawn once into small images: an outline is nine text draws, and
        # most corner lines stay the same from one scroll step to the next.
        self._outlined: dict[tuple[str, float, float], QImage] = {}
        self.window_level_mode = False
        self._drag_start: tuple[QPointF, ViewportState, Qt.MouseButton] | None = None
        self._last_pos = QPointF()
        self._pixels: np.ndarray | None = None  # keeps the QImage's memory alive
        self._composed: tuple[object, ViewportState, float] | None = None  # _pixels show
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 200)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(self.tr("Image"))
        self.setMouseTracking(False)

    # -- what to show -------------------------------------------------------------------
    def show_frame(self, frame: PreparedFrame) -> None:
        self.frame = frame
        self.message = ""
        self.update()
        self.showing_changed.emit(True)

    def show_message(self, message: str) -> None:
        self.frame = None
        self.message = message
        self.update()
        self.showing_changed.emit(False)

    def set_overlay(self, overlay: Overlay, markers: Markers | None = None) -> None:
        """The corner text, the notice and the orientation letters to draw."""
        self.overlay_lines = tuple(list(c) for c in overlay.corners)  # type: ignore[assignment]
        self.notice = overlay.notice
        self.markers = markers if markers is not None else Markers()
        self.update()

    def set_annotations(self, annotations: ImageAnnotations | None) -> None:
        """The graphics and text of a presentation state to draw on the image (None: none)."""
        self.annotations = annotations
        self.update()

    # -- geometry -----------------------------------------------------------------------
    def _oriented_size(self) -> tuple[int, int]:
        assert self.frame is not None
        rows, columns = self.frame.shape
        if self.model.state.rotation in (90, 270):
            return rows, columns
        return columns, rows

    def effective_zoom(self) -> float:
        """Screen pixels per image pixel: the fit zoom, or the one the user chose."""
        return self.model.viewer.effective_zoom()

    def image_rect(self) -> QRectF:
        """Where the image lies on screen now."""
        if self.frame is None:
            return QRectF()
        rows, columns = self.frame.shape
        if self.model.state.rotation in (90, 270):
            rows, columns = columns, rows
        zoom = self.effective_zoom()
        pan = self.model.state.pan
        width, height = columns * zoom, rows * zoom
        return QRectF(self.width() / 2 + pan[0] - width / 2,
                      self.height() / 2 + pan[1] - height / 2, width, height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.model.viewer.set_view_size(self.width(), self.height())
        super().resizeEvent(event)

    def current_window(self) -> Window:
        """The linear window in use now (a VOI LUT counts as its min-max equivalent)."""
        assert isinstance(self.frame, GreyFrame)
        resolved = self.frame.resolve(self.model.state.voi)
        if isinstance(resolved, LookupTable):
            return self.frame.min_max_window()
        return resolved

    # -- drawing ------------------------------------------------------------------------
    def compose_image(self) -> tuple[QImage, int]:
        """The frame rendered for the current state: (QImage, sampling step)."""
        assert self.frame is not None
        zoom = self.effective_zoom()
        step = max(1, math.floor(1.0 / zoom)) if zoom < 1.0 else 1
        state = self.model.state
        # A repaint with nothing changed (text, a window uncovered) draws the same pixels.
        composed = self._composed
        if (self._pixels is not None and composed is not None and composed[0] is self.frame
                and composed[1] is state and composed[2] == zoom):
            return wrap_qimage(self._pixels), step
        self._composed = (self.frame, state, zoom)
        if isinstance(self.frame, GreyFrame):
            pixels = self.frame.render(state.voi, state.invert, step,
                                       overlays=self.model.viewer.full_detail,
                                       palette=GREY_TO_RGB32)
        else:
            pixels = _rgb32(render(self.frame, state.voi, state.invert, step=step))
        # Turned and flipped here, exactly, rather than by QPainter, whose fast paths
        # may shift a rotated image by a pixel.
        self._pixels = np.ascontiguousarray(
            orient(pixels, state.rotation, state.flip_h, state.flip_v)
        )
        return wrap_qimage(self._pixels), step

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        if self.frame is None:
            painter.fillRect(self.rect(), QColor("black"))
            self._paint_message(painter)
            painter.end()
            return
        self._paint_picture(painter)
        self._paint_annotations(painter, self.model.state, (self.width(), self.height()),
                                self.effective_zoom())
        if self.annotation_layer is not None:
            self.annotation_layer.paint(painter, self.model.state,
                                        (self.width(), self.height()), self.effective_zoom())
        self._paint_overlays(painter, QSizeF(self.size()), self.image_rect(),
                             self._static_lines(), self.markers, self.notice)
        painter.end()
        self.painted.emit()

    def render_view(self, size: ImageSize, corners: Overlay | None = None,
                    markers: Markers | None = None, drawings: bool = True) -> QImage:
        """The picture on screen as an image to save or copy, drawn in layers: the
        picture, then the presentation state's annotations (when one is shown), then the
        corner text and orientation letters only when ``corners`` is given (never the
        on-screen notice). ``drawings``: the user's own annotations too.

        ``size`` "screen": the viewport as painted (its size, zoom, pan, black around the
        picture). "image": the frame's own pixels through the current window, rotation and
        flips, one pixel per pixel (grey stays grey when there is no text to draw).
        """
        assert self.frame is not None
        state = self.model.state
        layer = self.annotation_layer if drawings else None
        if layer is not None and not layer.has_drawings():
            layer = None
        if size == "image":
            pixels = np.ascontiguousarray(orient(
                render(self.frame, state.voi, state.invert), state.rotation,
                state.flip_h, state.flip_v))
            picture = wrap_qimage(pixels).copy()  # Owns its memory once pixels go.
            if corners is None and self.annotations is None and layer is None:
                return picture
            image = picture.convertToFormat(QImage.Format.Format_RGB32)
            area = QRectF(0, 0, image.width(), image.height())
            painter = QPainter(image)
            # One image pixel per pixel, centred, unpanned: the same mapping as on screen.
            self._paint_annotations(painter, replace(state, pan=(0.0, 0.0), zoom=1.0),
                                    (image.width(), image.height()), 1.0)
            if layer is not None:
                layer.paint(painter, replace(state, pan=(0.0, 0.0), zoom=1.0),
                            (image.width(), image.height()), 1.0)
        else:
            ratio = self.devicePixelRatioF()
            image = QImage(math.ceil(self.width() * ratio), math.ceil(self.height() * ratio),
                           QImage.Format.Format_RGB32)
            image.setDevicePixelRatio(ratio)
            painter = QPainter(image)
            self._paint_picture(painter)
            self._paint_annotations(painter, state, (self.width(), self.height()),
                                    self.effective_zoom())
            if layer is not None:
                layer.paint(painter, state, (self.width(), self.height()),
                            self.effective_zoom())
            area = self.image_rect()
        if corners is not None:
            lines = [[self._layout(t) for t in corner] for corner in corners.corners]
            canvas = QSizeF(image.width(), image.height()) / image.devicePixelRatio()
            self._paint_overlays(painter, canvas, area, lines,
                                 markers if markers is not None else Markers(), "")
        painter.end()
        return image

    def _paint_picture(self, painter: QPainter) -> None:
        """The frame as the current state shows it, black around it."""
        # Black only around the image: the image covers the rest, and filling a whole
        # window of pixels first costs as much as a tenth of a scroll step.
        self._fill_around(painter, self.image_rect().toAlignedRect().adjusted(1, 1, -1, -1))
        image, step = self.compose_image()
        state = self.model.state
        zoom = self.effective_zoom()
        transform = QTransform()
        transform.translate(self.width() / 2 + state.pan[0], self.height() / 2 + state.pan[1])
        transform.scale(zoom * step, zoom * step)
        painter.setTransform(transform)
        # Smooth when shrinking; when enlarging, radiologists want to see the pixels.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, zoom * step < 1.0)
        painter.drawImage(QPointF(-image.width() / 2, -image.height() / 2), image)
        painter.resetTransform()

    def _paint_annotations(self, painter: QPainter, state: ViewportState,
                           view: tuple[float, float], zoom: float) -> None:
        """The presentation state's graphics and text, each image point mapped through
        ``state`` (rotation, flips, pan) at ``zoom`` onto a ``view``-sized canvas."""
        if self.annotations is None or self.frame is None:
            return
        rows, columns = self.frame.shape

        def at(point: Point) -> QPointF:
            x, y = to_view(point, (columns, rows), state, view, zoom)
            return QPointF(x, y)

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setFont(self.font())
        labels: list[tuple[QPointF, str]] = []
        # A filled shape (DICOM's Graphic Filled): the annotation colour, see-through so
        # the picture under it still shows.
        fill = QColor(ANNOTATION_COLOUR)
        fill.setAlpha(96)
        for graphic in self.annotations.graphics:
            points, closed = outline(graphic)
            mapped = [at(p) for p in points]
            path = QPainterPath()
            if len(mapped) == 1:  # a point: a small cross
                centre = mapped[0]
                for dx, dy in ((POINT_CROSS, POINT_CROSS), (POINT_CROSS, -POINT_CROSS)):
                    path.moveTo(centre - QPointF(dx, dy))
                    path.lineTo(centre + QPointF(dx, dy))
            else:
                path.moveTo(mapped[0])
                for point in mapped[1:]:
                    path.lineTo(point)
                if closed:
                    path.closeSubpath()
                    if graphic.filled:
                        painter.fillPath(path, fill)
            for colour, width in ((ANNOTATION_EDGE, 4.0), (ANNOTATION_COLOUR, 2.0)):
                painter.setPen(QPen(colour, width, Qt.PenStyle.SolidLine,
                                    Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
                painter.drawPath(path)
            if graphic.label:
                bounds = path.boundingRect()
                labels.append((QPointF(bounds.right() + 6, bounds.top()), graphic.label))
        metrics = QFontMetricsF(self.font())
        for note in self.annotations.notes:
            anchor = at(note.anchor)
            if note.box is not None:
                left, top, right, bottom = note.box
                corners = QRectF(at((left, top)), at((right, bottom))).normalized()
                where = corners.topLeft()
                if note.anchor_shown and not corners.contains(anchor):
                    nearest = QPointF(min(max(anchor.x(), corners.left()), corners.right()),
                                      min(max(anchor.y(), corners.top()), corners.bottom()))
                    for colour, width in ((ANNOTATION_EDGE, 3.0), (ANNOTATION_COLOUR, 1.5)):
                        painter.setPen(QPen(colour, width))
                        painter.drawLine(nearest, anchor)
            else:
                where = anchor
            labels.append((where, note.text))
        for where, text in labels:
            baseline = where + QPointF(0, metrics.ascent())
            painter.setPen(ANNOTATION_EDGE)
            for dx, dy in OUTLINE:
                painter.drawText(baseline + QPointF(dx, dy), text)
            painter.setPen(ANNOTATION_COLOUR)
            painter.drawText(baseline, text)
        painter.restore()

    def _fill_around(self, painter: QPainter, image: QRect) -> None:
        """Black everywhere but ``image`` (which the picture then covers)."""
        black = Qt.GlobalColor.black
        inner = image.intersected(self.rect())
        if inner.isEmpty():
            painter.fillRect(self.rect(), black)
            return
        width, height = self.width(), self.height()
        painter.fillRect(0, 0, width, inner.top(), black)
        painter.fillRect(0, inner.bottom() + 1, width, height - inner.bottom() - 1, black)
        painter.fillRect(0, inner.top(), inner.left(), inner.height(), black)
        painter.fillRect(inner.right() + 1, inner.top(), width - inner.right() - 1,
                         inner.height(), black)

    def _paint_message(self, painter: QPainter) -> None:
        if not self.message:
            return
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        painter.setFont(font)
        painter.setPen(QColor("#e0e0e0"))
        margin = self.width() * 0.1
        area = QRectF(margin, 0, self.width() - 2 * margin, self.height())
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                         self.message)

    def _paint_overlays(self, painter: QPainter, canvas: QSizeF, image: QRectF,
                        corners: list[list[QStaticText]], markers: Markers,
                        notice: str) -> None:
        """Corner text, orientation letters and notice over a ``canvas``-sized picture
        (the viewport, or a saved image) where the frame covers ``image``."""
        painter.setFont(self.font())
        line = QFontMetricsF(self.font()).height()
        blocks = []  # (width, height) of each corner's text as drawn
        for index, texts in enumerate(corners):
            if not texts:
                blocks.append((0.0, 0.0))
                continue
            right, bottom = index in (1, 3), index in (2, 3)
            width = max(t.size().width() for t in texts)
            scale = self._corner_scale(right, bottom, width, line * len(texts), image, canvas)
            # Never wider than the picture (a small one saved at its own size).
            scale = min(scale, max(0.5, (canvas.width() - 2 * MARGIN) / width))
            # A right corner that would run into its left neighbour (a narrow view, a
            # small picture saved at its own size) moves past it, below or above.
            left_width, left_height = blocks[index - 1] if right else (0.0, 0.0)
            shift = 0.0
            if left_width and left_width + width * scale + 3 * MARGIN > canvas.width():
                shift = left_height + line * 0.25
            for i, text in enumerate(texts):
                row = len(texts) - 1 - i if bottom else i
                y = (canvas.height() - MARGIN - (row + 1) * line * scale - shift if bottom
                     else MARGIN + row * line * scale + shift)
                x = canvas.width() - MARGIN - text.size().width() * scale if right else MARGIN
                self._draw_line(painter, QPointF(x, y), text, scale)
            blocks.append((width * scale, line * len(texts) * scale + shift))
        self._paint_markers(painter, line, markers, canvas, blocks)
        if notice:
            self._paint_notice(painter, notice)

    def _corner_scale(self, right: bool, bottom: bool, width: float, height: float,
                      image: QRectF, canvas: QSizeF | None = None) -> float:
        """Full size when the image reaches into the corner anyway (text over the image is
        unavoidable there); otherwise the largest size that keeps off the picture's own
        corners (small images often carry their own text there). ``canvas``: the size
        drawn on (the viewport's by default)."""
        if canvas is None:
            canvas = QSizeF(self.size())
        x = canvas.width() - MARGIN if right else MARGIN
        y = canvas.height() - MARGIN if bottom else MARGIN
        if image.contains(QPointF(x, y)):
            return 1.0
        for scale in OVERLAY_SCALES:
            w, h = width * scale, height * scale
            block = QRectF(x - w if right else x, y - h if bottom else y, w, h)
            if not block.intersects(image):
                return scale
        return 1.0  # It covers the picture at any size: then at least legibly.

    def _paint_markers(self, painter: QPainter, line: float, markers: Markers,
                       canvas: QSizeF, blocks: list[tuple[float, float]] | None = None
                       ) -> None:
        """The orientation letters at the middle of each side; the top and bottom ones
        move clear of corner text that reaches the middle (``blocks``: the (width,
        height) of each corner's text as drawn), so neither hides the other."""
        middle_x, middle_y = canvas.width() / 2, canvas.height() / 2
        top, bottom = float(MARGIN), canvas.height() - MARGIN - line
        if blocks and len(blocks) == 4:
            top += self._marker_clearance(markers.top, blocks[0], blocks[1], canvas)
            bottom -= self._marker_clearance(markers.bottom, blocks[2], blocks[3], canvas)
        for letters, (x, y) in (
            (markers.top, (middle_x, top)),
            (markers.bottom, (middle_x, bottom)),
            (markers.left, (MARGIN, middle_y - line / 2)),
            (markers.right, (canvas.width() - MARGIN, middle_y - line / 2)),
        ):
            if not letters:
                continue
            text = self._layout(letters)
            width = text.size().width()
            left = x - width / 2 if x == middle_x else (x - width if x > middle_x else x)
            self._draw_line(painter, QPointF(left, y), text, 1.0)

    def _marker_clearance(self, letters: str, left: tuple[float, float],
                          right: tuple[float, float], canvas: QSizeF) -> float:
        """How far a top (bottom) letter must move down (up) to clear the corner text on
        its side of the canvas; 0 when the corners stop short of it."""
        if not letters:
            return 0.0
        half = self._layout(letters).size().width() / 2 + MARGIN / 2
        middle = canvas.width() / 2
        heights = [height for (width, height), reaches in (
            (left, MARGIN + left[0] > middle - half),
            (right, canvas.width() - MARGIN - right[0] < middle + half),
        ) if reaches and width]
        return max(heights) + MARGIN / 2 if heights else 0.0

    def _paint_notice(self, painter: QPainter, notice: str) -> None:
        width = min(self.width() - 2 * MARGIN, 420)
        area = QRectF((self.width() - width) / 2, MARGIN, width, self.height() / 3)
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap
        bounds = painter.boundingRect(area, flags, notice).adjusted(-6, -4, 6, 4)
        painter.fillRect(bounds, QColor(0, 0, 0, 170))
        painter.setPen(QColor("#ffd27f"))
        painter.drawText(area, flags, notice)

    def _static_lines(self) -> list[list[QStaticText]]:
        # Each distinct line is laid out once, not on every repaint of a drag or scroll.
        if self._static_source != self.overlay_lines:
            self._static_source = self.overlay_lines
            if len(self._layouts) > 256:
                self._layouts.clear()
            self._static = [[self._layout(t) for t in lines] for lines in self.overlay_lines]
        return self._static

    def _draw_line(self, painter: QPainter, at: QPointF, text: QStaticText,
                   scale: float) -> None:
        """One outlined line, from a cached image of it (made on first use)."""
        ratio = self.devicePixelRatioF()
        key = (text.text(), scale, ratio)
        image = self._outlined.get(key)
        if image is None:
            if len(self._outlined) > 256:
                self._outlined.clear()
            size = text.size()
            image = QImage(math.ceil((size.width() * scale + 2) * ratio),
                           math.ceil((size.height() * scale + 2) * ratio),
                           QImage.Format.Format_ARGB32_Premultiplied)
            image.setDevicePixelRatio(ratio)
            image.fill(Qt.GlobalColor.transparent)
            image_painter = QPainter(image)
            image_painter.setFont(self.font())
            _draw_outlined(image_painter, QPointF(1, 1), text, scale)
            image_painter.end()
            self._outlined[key] = image
        painter.drawImage(at - QPointF(1, 1), image)

    def _layout(self, text: str) -> QStaticText:
        laid_out = self._layouts.get(text)
        if laid_out is None:
            laid_out = QStaticText(text)
            laid_out.prepare(font=self.font())
            self._layouts[text] = laid_out
        return laid_out

    # -- mouse --------------------------------------------------------------------------
    def _is_window_drag(self, button: Qt.MouseButton) -> bool:
        if not isinstance(self.frame, GreyFrame):
            return False
        if button == Qt.MouseButton.RightButton:
            return True
        return button == Qt.MouseButton.LeftButton and self.window_level_mode

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.annotation_layer is not None and self.annotation_layer.mouse_press(event):
            return
        self._drag_start = (event.position(), self.model.state, event.button())
        self._last_pos = event.position()
        if self._is_window_drag(event.button()):
            # Start from the window on screen (a file default becomes explicit).
            self.model.state = self.model.state.with_voi(self.current_window())
            self._drag_start = (event.position(), self.model.state, event.button())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if (self._drag_start is None and self.annotation_layer is not None
                and self.annotation_layer.mouse_move(event)):
            return
        if self._drag_start is None or self.frame is None:
            return
        start, start_state, button = self._drag_start
        if self._is_window_drag(button):
            assert isinstance(self.frame, GreyFrame) and isinstance(start_state.voi, Window)
            low, high = self.frame.value_range
            delta = event.position() - start
            window = dragged_window(start_state.voi, delta.x(), delta.y(), high - low)
            self.model.state = start_state.with_voi(window)
        elif button in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            delta = event.position() - self._last_pos
            self.model.state = self.model.state.panned(delta.x(), delta.y())
        self._last_pos = event.position()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag_start is None and self.annotation_layer is not None:
            self.annotation_layer.mouse_release(event)
        self._drag_start = None

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self.annotation_layer is not None and self.annotation_layer.double_click(event):
            return
        super().mouseDoubleClickEvent(event)  # a press, as without drawings

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.annotation_layer is not None and self.annotation_layer.key_press(event):
            return
        super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = event.angleDelta().y() / 120
        if not notches:
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(ZOOM_STEP ** notches)
        else:
            self.step_requested.emit(-1 if notches > 0 else 1)

    def zoom_by(self, factor: float) -> None:
        """Zoom relative to what is on screen now (leaving fit mode)."""
        self.model.viewer.zoom_by(factor)

    def actual_size(self) -> None:
        """One image pixel per screen pixel."""
        self.model.viewer.actual_size()
