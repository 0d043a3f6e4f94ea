"""The user's own drawings over the image: measurements, outlines, labels and arrows.

The session (app.services.annotation_session) decides everything; this layer maps its
image points to the screen through the viewport's state (``to_view`` / ``to_image``),
draws them in cyan over a dark edge (the disc's presentation states are yellow), and hands
it the left button's presses, moves and releases in image coordinates.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, QPointF, QRect, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QTransform,
)
from PySide6.QtWidgets import QInputDialog, QWidget

from app.imaging.frame_cache import FrameCache
from app.imaging.render import GreyFrame
from app.imaging.viewport import ViewportState, to_image, to_view
from app.services.annotation_hits import Box, ellipse_outline, handles, rectangle_outline
from app.services.annotation_session import AnnotationSession, Key, Label, Outcome
from app.services.annotations import Annotation, Point

DRAWING_COLOUR = QColor(0, 229, 255)
SELECTED_COLOUR = QColor(140, 245, 255)
# Opaque: a see-through pen makes Qt outline the whole stroke first (four times slower).
EDGE_COLOUR = QColor(0, 0, 0)
LABEL_COLOUR = QColor(224, 252, 255)
WARNING_COLOUR = QColor(255, 150, 40)
TOLERANCE = 6.0  # screen pixels within which a click picks a line or a handle
HANDLE = 4.0  # half a handle's side, in screen pixels
ARROW_HEAD = 12.0  # screen pixels
TEXT_MARGIN = 3.0  # room around a line's picture for its dark edge, in screen pixels
TEXT_CACHE = 1024  # lines of text kept drawn
PATH_CACHE = 8192  # shapes' outlines kept built
# Pictures of each slice's drawings kept (an eighth of the frame cache's default budget):
# scrolling back over slices seen lately costs one image draw a step.
PICTURE_BUDGET = 128 * 1024**2
OUTLINE = ((-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1))
# The keys the drawings may take, and for the arrows their direction on screen.
KEYS: dict[int, Key] = {
    Qt.Key.Key_Left: "left", Qt.Key.Key_Right: "right", Qt.Key.Key_Up: "up",
    Qt.Key.Key_Down: "down", Qt.Key.Key_Tab: "tab", Qt.Key.Key_Backtab: "backtab",
    Qt.Key.Key_Escape: "escape",
}
SCREEN_STEPS: dict[str, tuple[float, float]] = {
    "left": (-1.0, 0.0), "right": (1.0, 0.0), "up": (0.0, -1.0), "down": (0.0, 1.0),
}
# Asks for a label: (title, prompt, current text) -> the text, or None when cancelled.
Ask = Callable[[str, str, str], str | None]
# One slice's still drawings as a picture: (what they were drawn for, where the picture
# goes, the picture, where their labels' text is in image pixels).
Kept = tuple[object, QPointF, QImage, dict[str, Box]]
# What an annotation's label is, for the slice being drawn.
LabelOf = Callable[[Annotation], Label]
# Where the slice on screen is drawn: (state, view, zoom, device ratio, font, frame shape).
Geometry = tuple[ViewportState, tuple[float, float], float, float, str, tuple[int, ...]]


class AnnotationLayer(QObject):
    """Draws ``session``'s annotations on ``viewport`` and feeds it the left button."""

    def __init__(self, viewport: QWidget, session: AnnotationSession,
                 picture_budget: int = PICTURE_BUDGET) -> None:
        super().__init__(viewport)
        self.viewport = viewport
        self.session = session
        self.ask: Ask = self._ask
        # Each slice's still annotations as last drawn, by (image, frame), least recently
        # shown dropped first once their pictures pass the budget.
        self.pictures: FrameCache[tuple[str, int], Kept] = FrameCache(
            lambda kept: kept[2].sizeInBytes(), picture_budget)
        # Slices whose pictures to make while nothing else happens (the next one in the
        # scroll's direction first), and the geometry they are for.
        self._ahead: list[int] = []
        self._ahead_geometry: Geometry | None = None
        self._ahead_waiting = False
        self._last_index = 0
        self._direction = 1
        self._texts: dict[tuple[object, ...], QImage] = {}
        self._paths: dict[tuple[object, ...], QPainterPath] = {}
        # The tolerance at the zoom being painted: the handles a click can grab.
        self._handle_tolerance = TOLERANCE
        session.changed.connect(lambda _none: viewport.update())
        session.tool_changed.connect(self._on_tool)
        # Keys reach the layer before the window's shortcuts (the arrows step images)
        # and before Qt's focus moves (Tab), but only when the session takes them.
        viewport.installEventFilter(self)

    # -- coordinates ---------------------------------------------------------------------
    def _geometry(self) -> tuple[tuple[int, int], ViewportState, tuple[float, float], float]:
        viewport = self.viewport
        frame = viewport.frame  # type: ignore[attr-defined]
        rows, columns = frame.shape
        zoom = viewport.effective_zoom()  # type: ignore[attr-defined]
        state = viewport.model.state  # type: ignore[attr-defined]
        return (columns, rows), state, (float(viewport.width()), float(viewport.height())), zoom

    def image_point(self, position: QPointF) -> Point:
        """The image point under a viewport position."""
        size, state, view, zoom = self._geometry()
        return to_image((position.x(), position.y()), size, state, view, zoom)

    def tolerance(self) -> float:
        """How near, in image pixels, a click must be to pick something."""
        return TOLERANCE / max(self._geometry()[3], 1e-6)

    # -- the mouse and keys ----------------------------------------------------------------
    def _active(self, event: QMouseEvent) -> bool:
        viewport = self.viewport
        return (viewport.frame is not None  # type: ignore[attr-defined]
                and not viewport.window_level_mode)  # type: ignore[attr-defined]

    def mouse_press(self, event: QMouseEvent) -> bool:
        """True when the press was the session's (the viewport then does nothing)."""
        if event.button() != Qt.MouseButton.LeftButton or not self._active(event):
            return False
        return self.session.press(self.image_point(event.position()),
                                  self.tolerance()) != "ignored"

    def mouse_move(self, event: QMouseEvent) -> bool:
        if not self._active(event) or event.buttons() & ~Qt.MouseButton.LeftButton:
            return False
        return self.session.move(self.image_point(event.position()),
                                 self.tolerance()) != "ignored"

    def mouse_release(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton or not self._active(event):
            return False
        outcome = self.session.release(self.image_point(event.position()), self.tolerance())
        self._follow(outcome)
        return outcome != "ignored"

    def double_click(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton or not self._active(event):
            return False
        outcome = self.session.double_click(self.image_point(event.position()),
                                            self.tolerance())
        self._follow(outcome)
        return outcome != "ignored"

    def _key(self, event: QKeyEvent) -> Key | None:
        """The session's name for the key, when the session takes it now."""
        key = KEYS.get(event.key())
        modifiers = event.modifiers() & ~(Qt.KeyboardModifier.KeypadModifier
                                          | Qt.KeyboardModifier.ShiftModifier)
        if key is None or modifiers or self.viewport.frame is None:  # type: ignore[attr-defined]
            return None
        return key if self.session.takes_key(key) else None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.viewport and isinstance(event, QKeyEvent):
            if event.type() == QEvent.Type.ShortcutOverride and self._key(event) is not None:
                event.accept()  # a key press for the viewport, not a shortcut
                return True
            if event.type() == QEvent.Type.KeyPress and self.key_press(event):
                return True
        return super().eventFilter(watched, event)

    def key_press(self, event: QKeyEvent) -> bool:
        """Esc drops a drawing under way (or the selection); the arrows nudge the
        selected drawing (Shift: further); Tab and Shift+Tab pick the next or previous
        drawing. True when the key was the session's."""
        key = self._key(event)
        if key is None:
            return False
        if key == "escape":
            return self.session.cancel()
        if key in ("tab", "backtab"):
            return self.session.select_next(backwards=key == "backtab")
        # The key's direction on screen, in image coordinates (rotation and flips turn it).
        step = SCREEN_STEPS[key]
        centre = QPointF(self.viewport.width() / 2, self.viewport.height() / 2)
        start = self.image_point(centre)
        end = self.image_point(centre + QPointF(*step))
        big = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        return self.session.nudge((end[0] - start[0], end[1] - start[1]), big)

    def _follow(self, outcome: Outcome) -> None:
        """Ask for the label the session wants, then give it back."""
        if outcome == "ask_text":
            self.session.finish_pending(self.ask(self.tr("Text"), self.tr("Text to show:"), ""))
        elif outcome == "ask_label":
            self.session.finish_pending(
                self.ask(self.tr("Arrow"), self.tr("Label for the arrow (may be empty):"), ""))
        elif outcome == "edit_label":
            selected = self.session.selected()
            if selected is not None:
                text = self.ask(self.tr("Edit label"), self.tr("Text to show:"), selected.text)
                if text is not None:
                    self.session.set_label(text)

    def _ask(self, title: str, prompt: str, current: str) -> str | None:
        text, accepted = QInputDialog.getText(self.viewport, title, prompt, text=current)
        return text if accepted else None

    def _on_tool(self, tool: str) -> None:
        drawing = tool != "select"
        # An angle's preview follows the pointer between clicks.
        self.viewport.setMouseTracking(drawing)
        self.viewport.setCursor(Qt.CursorShape.CrossCursor if drawing
                                else Qt.CursorShape.ArrowCursor)

    # -- drawing ---------------------------------------------------------------------------
    def has_drawings(self) -> bool:
        """True when there is something of the user's on the frame on screen."""
        return bool(self.session.shown()) or self.session.preview() is not None

    def paint(self, painter: QPainter, state: ViewportState, view: tuple[float, float],
              zoom: float) -> None:
        """The annotations of the frame on screen, the shape being drawn, and their values,
        each image point mapped through ``state`` at ``zoom`` onto a ``view``-sized canvas.

        The annotations that are not being changed go into a picture of their slice,
        kept (within a memory budget) until they, the selection on that slice, its values
        or the geometry change: a window/level drag, a repaint or a scroll back over
        slices seen lately then costs one image draw, however many measurements there
        are. Building the picture costs about what drawing straight on does (measured:
        1.0-1.06x), so it is built at a slice's first showing; when the event loop is
        idle after a paint, the next and previous slices' pictures are made ahead."""
        frame = self.viewport.frame  # type: ignore[attr-defined]
        if frame is None:
            return
        shown = self.session.shown()
        preview = self.session.preview()
        if not shown and preview is None:
            return
        rows, columns = frame.shape
        self._handle_tolerance = TOLERANCE / max(zoom, 1e-6)
        # Image to view is affine (zoom, quarter turns, flips, pan): one transform maps
        # every path in one call instead of a Python call a point.
        transform = _affine(lambda p: to_view(p, (columns, rows), state, view, zoom))
        canvas = QRectF(0, 0, view[0], view[1])
        dragged = self.session.dragged_id
        still = tuple(a for a in shown if a.id != dragged) if dragged else shown
        boxes: dict[str, Box] = {}
        if still and not self._screen_geometry(state, view, zoom):
            # A picture of another size (saved as an image): drawn once, kept nowhere.
            painter.save()
            self._prepare(painter)
            self._paint_annotations(painter, still, transform, canvas, boxes, self.session.label)
            painter.restore()
        elif still:
            ratio = painter.device().devicePixelRatioF()
            image = (still[0].sop_instance_uid, still[0].frame)
            geometry = (state, view, zoom, ratio, self.viewport.font().key(), frame.shape)
            key = self._picture_key(still, image[0], geometry)
            kept = self.pictures.get(image)
            if kept is None or kept[0] != key:
                kept = (key, *self._picture(still, transform, canvas, ratio,
                                            self.session.label))
                self.pictures.put(image, kept)  # Not kept when larger than the budget.
            _key, where, picture, still_boxes = kept
            painter.drawImage(where, picture)
            boxes.update(still_boxes)
            self._plan_ahead(geometry)
        moving = tuple(a for a in shown if a.id == dragged) if dragged else ()
        if not moving and preview is None:
            self.session.set_label_boxes(boxes)
            return
        painter.save()
        self._prepare(painter)
        self._paint_annotations(painter, moving, transform, canvas, boxes, self.session.label)
        self.session.set_label_boxes(boxes)
        if preview is not None and len(preview.points) >= 1:
            bounds = self._paint_shape(painter, preview.kind, preview.points, transform,
                                       closed=False, selected=False)
            label = self.session.preview_label()
            if label is not None:
                self._paint_lines(painter, bounds, canvas, label)
        painter.restore()

    def _screen_geometry(self, state: ViewportState, view: tuple[float, float],
                         zoom: float) -> bool:
        """True when the drawings are drawn where the screen shows them."""
        viewport = self.viewport
        on_screen = viewport.model.state  # type: ignore[attr-defined]
        return (view[0] == viewport.width() and view[1] == viewport.height()
                and zoom == viewport.effective_zoom()  # type: ignore[attr-defined]
                and (state.pan, state.zoom, state.rotation, state.flip_h, state.flip_v)
                == (on_screen.pan, on_screen.zoom, on_screen.rotation, on_screen.flip_h,
                    on_screen.flip_v))

    def _picture_key(self, still: tuple[Annotation, ...], sop_instance_uid: str,
                     geometry: Geometry) -> object:
        """What a slice's picture of ``still`` is drawn for: the drawings, the selection
        among them, what their values came from, and where (not the window)."""
        state, view, zoom, ratio, font, _shape = geometry
        selected = self.session.selected_id
        return (still, selected if selected and any(a.id == selected for a in still) else "",
                self.session.labels_revision_on(sop_instance_uid),
                replace(state, voi=None, invert=False), view, zoom, ratio, font)

    # -- ahead of the scroll -----------------------------------------------------------------
    def _plan_ahead(self, geometry: Geometry) -> None:
        """After a paint: make the pictures of the next and the previous slice (in the
        scroll's direction) once the event loop has nothing else to do; a new paint
        plans anew."""
        slices = self.session.viewer.slices
        if slices is None:
            return
        index = slices.index
        if index != self._last_index:
            self._direction = 1 if index > self._last_index else -1
            self._last_index = index
        self._ahead = [index + self._direction, index - self._direction]
        self._ahead_geometry = geometry
        if not self._ahead_waiting:
            self._ahead_waiting = True
            QTimer.singleShot(0, self, self._make_ahead)

    def _make_ahead(self) -> None:
        """One slice's picture made ahead a turn of the event loop (input and paints
        come in between, and a paint replaces what is left to do)."""
        self._ahead_waiting = False
        while self._ahead:
            if self._make_picture_of(self._ahead.pop(0)):
                break
        if self._ahead:
            self._ahead_waiting = True
            QTimer.singleShot(0, self, self._make_ahead)

    def _make_picture_of(self, index: int) -> bool:
        """The picture of slice ``index``'s drawings, when its frame is decoded already,
        has the shape of the one on screen and its values can be worked out; True when
        one was made."""
        viewer = self.session.viewer
        slices, geometry = viewer.slices, self._ahead_geometry
        if slices is None or geometry is None or not 0 <= index < len(slices.slices):
            return False
        item = slices.slices[index]
        sop = item.instance.sop_instance_uid
        still = self.session.shown_on(sop, item.frame)
        if not still or (sop, item.frame) == self._on_screen():
            return False
        loaded = viewer.cache.get(item.key)
        state, view, zoom, ratio, _font, shape = geometry
        if loaded is None or loaded.frame.shape != shape:
            return False  # Not decoded (or another size: another zoom to fit).
        key = self._picture_key(still, sop, geometry)
        kept = self.pictures.get((sop, item.frame))
        if kept is not None and kept[0] == key:
            return False
        values = loaded.frame if isinstance(loaded.frame, GreyFrame) else None
        labels: dict[str, Label] = {}
        for annotation in still:
            label = self.session.label_on(annotation, item.instance, item.frame, values)
            if label is None:
                return False  # Its header is not read yet.
            labels[annotation.id] = label
        rows, columns = shape[0], shape[1]
        transform = _affine(lambda p: to_view(p, (columns, rows), state, view, zoom))
        made = self._picture(still, transform, QRectF(0, 0, view[0], view[1]), ratio,
                             lambda annotation: labels[annotation.id])
        self.pictures.put((sop, item.frame), (key, *made))
        return True

    def _on_screen(self) -> tuple[str, int] | None:
        image = self.session.on_screen()
        return None if image is None else (image.sop_instance_uid, image.frame)

    def set_picture_budget(self, budget_bytes: int) -> None:
        """How many bytes the kept pictures of the slices' drawings may take."""
        self.pictures.set_budget(budget_bytes)

    def _prepare(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setFont(self.viewport.font())

    def _picture(self, annotations: tuple[Annotation, ...], transform: QTransform,
                 canvas: QRectF, ratio: float,
                 label_of: LabelOf) -> tuple[QPointF, QImage, dict[str, Box]]:
        """``annotations`` drawn on a transparent picture: where it goes, the picture (only
        as large as the drawings), where their labels are."""
        image = QImage(math.ceil(canvas.width() * ratio), math.ceil(canvas.height() * ratio),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        self._prepare(painter)
        boxes: dict[str, Box] = {}
        used = self._paint_annotations(painter, annotations, transform, canvas, boxes,
                                       label_of)
        painter.end()
        area = used.adjusted(-3, -3, 3, 3).intersected(canvas)
        pixels = QRect(math.floor(area.left() * ratio), math.floor(area.top() * ratio),
                       math.ceil(area.width() * ratio) + 1, math.ceil(area.height() * ratio) + 1)
        cropped = image.copy(pixels)
        cropped.setDevicePixelRatio(ratio)
        return QPointF(pixels.left() / ratio, pixels.top() / ratio), cropped, boxes

    def _paint_annotations(self, painter: QPainter, annotations: tuple[Annotation, ...],
                           transform: QTransform, canvas: QRectF,
                           boxes: dict[str, Box], label_of: LabelOf) -> QRectF:
        """Each annotation, its value or label, and the selected one's handles; the area
        drawn on. Where a text's or an arrow's label was drawn goes in ``boxes``, in
        image pixels, for the session to pick it by."""
        to_image_space, _invertible = transform.inverted()
        used = QRectF()
        selected = self.session.selected_id
        metrics = QFontMetricsF(painter.font())
        placed: list[tuple[Annotation, QRectF]] = []
        for annotation in annotations:
            bounds = self._paint_shape(painter, annotation.kind, annotation.points, transform,
                                       closed=True, selected=annotation.id == selected)
            placed.append((annotation, bounds))
            used = used.united(bounds.adjusted(-HANDLE - 2, -HANDLE - 2, HANDLE + 2, HANDLE + 2))
        for annotation, bounds in placed:
            if annotation.kind == "text":
                anchor = transform.map(QPointF(*annotation.points[0]))
                lowered = QRectF(anchor, anchor).adjusted(0, metrics.ascent() / 2,
                                                          0, metrics.ascent() / 2)
                text = self._paint_lines(painter, lowered, canvas, Label((annotation.text,)),
                                         gap=5.0)
            elif annotation.kind == "arrow":
                text = self._paint_lines(painter, bounds, canvas, Label((annotation.text,))
                                         ) if annotation.text else QRectF()
            else:
                text = self._paint_lines(painter, bounds, canvas, label_of(annotation))
            used = used.united(text)
            if annotation.kind in ("text", "arrow") and not text.isEmpty():
                box = to_image_space.mapRect(text)
                boxes[annotation.id] = (box.left(), box.top(), box.right(), box.bottom())
            if annotation.id == selected:
                self._paint_handles(painter, [
                    transform.map(QPointF(*p))
                    for p in handles(annotation, self._handle_tolerance)])
        return used

    def _paint_shape(self, painter: QPainter, kind: str, points: Sequence[Point],
                     transform: QTransform, closed: bool, selected: bool) -> QRectF:
        """One shape; where it lies on the canvas."""
        path = self._shape_path(kind, points, transform, closed)
        self._stroke(painter, path, EDGE_COLOUR, 4.0)
        self._stroke(painter, path, SELECTED_COLOUR if selected else DRAWING_COLOUR, 2.0)
        return path.boundingRect()

    @staticmethod
    def _stroke(painter: QPainter, path: QPainterPath, colour: QColor, width: float) -> None:
        painter.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                            Qt.PenJoinStyle.RoundJoin))
        painter.drawPath(path)

    def _shape_path(self, kind: str, points: Sequence[Point], transform: QTransform,
                    closed: bool) -> QPainterPath:
        """One shape's outline on the canvas (a text label's is a small dot)."""
        if kind == "text":
            path = QPainterPath()
            path.addEllipse(transform.map(QPointF(*points[0])), 2.0, 2.0)
            return path
        path = self._image_path(kind, tuple(points), closed)
        path = transform.map(path)
        if kind == "arrow" and len(points) == 2:
            _arrow_head(path, transform.map(QPointF(*points[0])),
                        transform.map(QPointF(*points[1])))
        return path

    def _image_path(self, kind: str, points: tuple[Point, ...], closed: bool) -> QPainterPath:
        """A shape's outline in image coordinates, built once a shape (scrolling back and
        forth draws the same shapes again under another image)."""
        key = (kind, points, closed)
        found = self._paths.get(key)
        if found is not None:
            return found
        if kind == "rectangle" and len(points) == 2:
            outline, shut = rectangle_outline(points[0], points[1]), True
        elif kind == "ellipse" and len(points) == 2:
            outline, shut = ellipse_outline(points[0], points[1]), True
        else:
            outline, shut = points, kind == "freehand" and closed
        path = QPainterPath()
        path.addPolygon(QPolygonF([QPointF(x, y) for x, y in outline]))
        if shut:
            path.closeSubpath()
        if len(self._paths) >= PATH_CACHE:
            self._paths.clear()
        self._paths[key] = path
        return path

    def _paint_handles(self, painter: QPainter, points: list[QPointF]) -> None:
        painter.setPen(QPen(EDGE_COLOUR, 1.0))
        painter.setBrush(SELECTED_COLOUR)
        for point in points:
            painter.drawRect(QRectF(point.x() - HANDLE, point.y() - HANDLE,
                                    2 * HANDLE, 2 * HANDLE))
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_lines(self, painter: QPainter, shape: QRectF, canvas: QRectF, label: Label,
                     gap: float = 6.0) -> QRectF:
        """Value lines in light cyan, then the warning in orange, each with a dark edge:
        right of the shape, or below it when the right would leave the canvas."""
        lines = [(line, LABEL_COLOUR) for line in label.lines]
        if label.warning:
            lines.append((label.warning, WARNING_COLOUR))
        if not lines:
            return QRectF()
        metrics = QFontMetricsF(painter.font())
        width = max(metrics.horizontalAdvance(text) for text, _ in lines)
        height = metrics.height() * len(lines)
        x, y = shape.right() + gap, shape.top()
        if x + width > canvas.right() - 2:  # No room on the right: below (or above) it.
            x = max(canvas.left() + 2, min(shape.left(), canvas.right() - width - 2))
            y = shape.bottom() + gap
            if y + height > canvas.bottom() - 2:
                y = shape.top() - gap - height
        y = min(max(y, canvas.top() + 2), canvas.bottom() - height - 2)
        for row, (text, colour) in enumerate(lines):
            picture = self._text_picture(painter, text, colour)
            painter.drawImage(QPointF(x - TEXT_MARGIN, y + row * metrics.height() - TEXT_MARGIN),
                              picture)
        return QRectF(x - 1, y - 1, width + 2, height + 2)


    def _text_picture(self, painter: QPainter, text: str, colour: QColor) -> QImage:
        """One line of text in ``colour`` with its dark edge, drawn once and kept: its
        top-left corner goes TEXT_MARGIN up and left of where the line starts (nine text
        draws a line otherwise, every time the drawings are drawn again)."""
        device = painter.device()
        font = painter.font()
        ratio = device.devicePixelRatioF()
        key = (text, colour.rgba(), font.key(), ratio, device.logicalDpiX(),
               device.logicalDpiY())
        found = self._texts.get(key)
        if found is not None:
            return found
        metrics = QFontMetricsF(font, device)
        ink = metrics.boundingRect(text)
        width = max(metrics.horizontalAdvance(text), ink.right()) + 2 * TEXT_MARGIN
        height = metrics.height() + 2 * TEXT_MARGIN
        image = QImage(math.ceil(width * ratio), math.ceil(height * ratio),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        # The same dots per inch as the canvas, so a font in points has the same size.
        image.setDotsPerMeterX(round(device.logicalDpiX() / 0.0254))
        image.setDotsPerMeterY(round(device.logicalDpiY() / 0.0254))
        image.fill(Qt.GlobalColor.transparent)
        text_painter = QPainter(image)
        text_painter.setRenderHints(painter.renderHints())
        text_painter.setFont(font)
        baseline = QPointF(TEXT_MARGIN, TEXT_MARGIN + metrics.ascent())
        text_painter.setPen(EDGE_COLOUR)
        for dx, dy in OUTLINE:
            text_painter.drawText(baseline + QPointF(dx, dy), text)
        text_painter.setPen(colour)
        text_painter.drawText(baseline, text)
        text_painter.end()
        if len(self._texts) >= TEXT_CACHE:
            self._texts.clear()
        self._texts[key] = image
        return image


def _affine(to_canvas: Callable[[Point], tuple[float, float]]) -> QTransform:
    """The affine transform that ``to_canvas`` is, from where it sends three points."""
    ox, oy = to_canvas((0.0, 0.0))
    ax, ay = to_canvas((1.0, 0.0))
    bx, by = to_canvas((0.0, 1.0))
    return QTransform(ax - ox, ay - oy, bx - ox, by - oy, ox, oy)


def _arrow_head(path: QPainterPath, tail: QPointF, head: QPointF) -> None:
    """Two short strokes back from ``head``, 25° either side of the shaft."""
    angle = math.atan2(tail.y() - head.y(), tail.x() - head.x())
    for side in (-1, 1):
        turn = angle + side * math.radians(25)
        path.moveTo(head)
        path.lineTo(head + QPointF(math.cos(turn) * ARROW_HEAD, math.sin(turn) * ARROW_HEAD))
