"""Drawing, picking and changing annotations on the image on screen, without Qt.

An :class:`AnnotationSession` follows a ViewerModel: it holds the annotation document of
the study on screen (saved in the library when the study is there, in memory otherwise),
the tool in use and what the pointer is doing. The GUI turns mouse events into image
coordinates (``app.imaging.viewport.to_image``) and calls :meth:`press`, :meth:`move`,
:meth:`release` and :meth:`double_click` with a tolerance in image pixels; each returns
what the GUI should do next (nothing more, pan as usual, ask for a label). The GUI draws
:meth:`shown`, :meth:`preview` and :meth:`label` and repaints on ``changed``.

Changes reach the document only when a gesture ends (a drag is one "Move length", not a
hundred), so undo takes back what the user did, not each mouse step.
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, get_args

from pydicom import dcmread
from pydicom.dataset import Dataset

from app.core.errors import LibraryError, LightboxError
from app.core.models import InstanceRef
from app.core.observable import Event
from app.imaging.calibration import frame_calibration
from app.imaging.render import GreyFrame
from app.services.annotation_hits import Box, handle_at, hit, reshaped_outline
from app.services.annotation_values import measurement_lines
from app.services.annotations import (
    MEASUREMENTS,
    Annotation,
    AnnotationDocument,
    AnnotationError,
    Change,
    Point,
)
from app.services.library_service import LibraryService
from app.services.viewer_model import OpenSource, ViewerModel
from app.services.viewing import LoadedFrame

Tool = Literal["select", "length", "angle", "rectangle", "ellipse", "freehand", "text", "arrow"]
TOOLS: tuple[Tool, ...] = get_args(Tool)
# The tools' names for menus and buttons, in plain words.
TOOL_NAMES: dict[str, str] = {
    "select": "Select/move", "length": "Length", "angle": "Angle",
    "rectangle": "Rectangle", "ellipse": "Ellipse", "freehand": "Freehand outline",
    "text": "Text", "arrow": "Arrow",
}
# What the GUI does after a pointer event:
#   "ignored": the session did nothing with it (pan, as without annotations);
#   "handled": done (repaint on ``changed``);
#   "ask_text": ask for a text label, then call finish_pending (None: cancelled);
#   "ask_label": an arrow was drawn: ask for its optional label, then finish_pending;
#   "edit_label": ask for a new label for the ``selected`` annotation, then set_label.
Outcome = Literal["ignored", "handled", "ask_text", "ask_label", "edit_label"]
# The keys the drawings may take (see ``takes_key``).
Key = Literal["left", "right", "up", "down", "tab", "backtab", "escape"]
# A freehand outline keeps a point only this far (in tolerances) from the last one kept:
# a slow drag would otherwise store every screen pixel.
FREEHAND_STEP = 0.25
# Values beside the annotations of many slices stay worked out while scrolling back and
# forth (a label is a few short strings).
LABEL_CACHE = 16384
# How far an arrow key moves the selected annotation, in image pixels (with Shift: BIG).
NUDGE = 1.0
BIG_NUDGE = 10.0
# The short mark drawn under a value in pixels (the full sentence is in the side list);
# the value above it then drops its own "(uncalibrated)", said once is enough.
UNCALIBRATED_MARK = "Uncalibrated: pixels, not mm"
_UNCALIBRATED_SUFFIX = " (uncalibrated)"

# The header of an image, for its calibration: a Dataset (empty when it cannot be read), or
# None when it is not at hand yet (``header_loaded`` brings it later).
HeaderSource = Callable[[InstanceRef], Dataset | None]


@dataclass(frozen=True)
class OnScreen:
    """The frame on screen: what an annotation drawn now belongs to."""

    study_uid: str
    series_uid: str
    sop_instance_uid: str
    frame: int
    shape: tuple[int, int]  # (rows, columns)
    instance: InstanceRef


@dataclass(frozen=True)
class Preview:
    """A shape being drawn: ``kind`` and its points so far (fewer than the kind needs
    while an angle or an outline is under way)."""

    kind: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Label:
    """The text beside a measurement: its value ``lines`` and, for a value in pixels, a
    short ``warning`` to show in a colour of its own."""

    lines: tuple[str, ...]
    warning: str = ""


@dataclass
class _Drag:
    what: Literal["move", "handle"]
    original: Annotation
    start: Point
    handle: int = -1
    delta: Point = (0.0, 0.0)  # how far a move has taken it
    tolerance: float = 1.0  # the press's: which of an outline's points are handles


class AnnotationSession:
    """The annotations of the study on screen and the gesture under way.

    ``document`` is the study's AnnotationDocument (None while no image is shown);
    ``document_changed`` fires when it becomes another study's; ``changed`` fires when
    anything drawn may differ (the document, the selection, the shape being drawn, the
    tool); ``message`` carries a sentence for the status bar (a save that failed).

    An image's header (for its pixel size) comes from ``headers`` when given, else from
    the file when the medium is a folder; otherwise ``header_wanted`` asks the GUI to read
    it in the background and hand it to ``header_loaded``; its values show then.
    """

    def __init__(self, viewer: ViewerModel, library: LibraryService | None = None,
                 headers: HeaderSource | None = None) -> None:
        self.viewer = viewer
        self.library = library
        self._headers = headers if headers is not None else self._read_header
        self.header_wanted: Event[InstanceRef] = Event()
        self._headers_wanted: set[str] = set()
        self.document: AnnotationDocument | None = None
        self.document_changed: Event[AnnotationDocument | None] = Event()
        self.changed: Event[None] = Event()
        self.message: Event[str] = Event()
        self.tool_changed: Event[str] = Event()
        self.tool: Tool = "select"
        self.selected_id = ""
        self._documents: dict[str, AnnotationDocument] = {}
        self._stop_document: Callable[[], None] | None = None
        self._target: OnScreen | None = None  # the frame a drawing under way is on
        self._drawing: list[Point] = []
        self._pointer: Point | None = None
        self._pressed = False
        self._pending: Preview | None = None  # a text or arrow waiting for its label
        self._drag: _Drag | None = None
        self._edited: Annotation | None = None  # the dragged annotation as it is now
        self._labels: dict[tuple[Annotation, str, int], Label] = {}
        self._label_boxes: dict[str, Box] = {}
        self._header_cache: dict[str, Dataset] = {}
        self.labels_revision = 0  # counts headers arrived: values on screen may differ
        # The same, per image, and the sources opened: a header arriving for one slice
        # leaves the kept pictures of the others valid.
        self._label_revisions: dict[str, int] = {}
        self._sources_opened = 0
        self._stops = [
            viewer.source_changed.connect(self._on_source),
            viewer.frame_changed.connect(self._on_frame),
            viewer.position_changed.connect(self._on_position),
        ]

    def close(self) -> None:
        """Stop following the viewer."""
        for stop in self._stops:
            stop()
        self._stops = []
        self._watch(None)

    # -- the study and the frame on screen ---------------------------------------------
    def on_screen(self) -> OnScreen | None:
        """The frame on screen, or None when none is (a message, a report)."""
        viewer = self.viewer
        loaded = viewer.loaded
        if loaded is None or viewer.slices is None or not viewer.frame_is_current():
            return None
        current = viewer.slices.current
        instance = loaded.instance
        source = viewer.source
        study = (instance.study_instance_uid or current.instance.study_instance_uid
                 or (source.study_instance_uid if source is not None else ""))
        rows, columns = loaded.frame.shape
        return OnScreen(study,
                        instance.series_instance_uid or current.instance.series_instance_uid,
                        instance.sop_instance_uid or current.instance.sop_instance_uid,
                        current.frame, (int(rows), int(columns)), current.instance)

    def _on_source(self, _source: OpenSource | None) -> None:
        self._reset_gesture()
        self.selected_id = ""
        self._documents = {}
        self._labels.clear()
        self._header_cache.clear()
        self._headers_wanted.clear()
        self._sources_opened += 1
        self._label_boxes = {}
        self._set_document(None)

    def _on_position(self, _index: int) -> None:
        image = self.on_screen()
        target = self._target
        if target is not None and (image is None or (image.sop_instance_uid, image.frame)
                                   != (target.sop_instance_uid, target.frame)):
            self._reset_gesture()  # A drawing belongs to the frame it was begun on.
            self.changed.emit(None)

    def _on_frame(self, _loaded: LoadedFrame) -> None:
        image = self.on_screen()
        if image is None:
            return
        if self._target is not None and (self._target.sop_instance_uid, self._target.frame) != (
                image.sop_instance_uid, image.frame):
            self._reset_gesture()  # A drawing belongs to the frame it was begun on.
        if image.study_uid and (self.document is None
                                or self.document.study_uid != image.study_uid):
            self._set_document(self._document_for(image.study_uid))
        self.changed.emit(None)

    def _document_for(self, study_uid: str) -> AnnotationDocument:
        document = self._documents.get(study_uid)
        if document is None:
            document = AnnotationDocument(study_uid)
            if self.library is not None:
                try:
                    document = self.library.annotation_document(study_uid)
                except LibraryError as exc:
                    self.message.emit(str(exc))
            self._documents[study_uid] = document
        return document

    def _set_document(self, document: AnnotationDocument | None) -> None:
        if document is self.document:
            return
        self.selected_id = ""
        self._reset_gesture()
        self.document = document
        self._watch(document)
        self.document_changed.emit(document)
        self.changed.emit(None)

    def _watch(self, document: AnnotationDocument | None) -> None:
        if self._stop_document is not None:
            self._stop_document()
            self._stop_document = None
        if document is not None:
            self._stop_document = document.changed.connect(self._on_document_change)

    def _on_document_change(self, change: Change) -> None:
        document = self.document
        if change.what == "save failed" and document is not None:
            self.message.emit(document.save_error)
        if document is not None and self.selected_id and not any(
                a.id == self.selected_id for a in document.annotations):
            self.selected_id = ""
        self.changed.emit(None)

    def library_changed(self) -> None:
        """After an import: a memory-only document whose study is now in the library
        starts saving there (what was drawn before the import is kept)."""
        if self.library is None:
            return
        for study_uid, document in list(self._documents.items()):
            if document.persistent:
                continue
            try:
                stored = self.library.annotation_document(study_uid)
            except LibraryError:
                continue
            if not stored.persistent:
                continue
            if document.annotations:
                document.persist_to(self.library.annotation_saver(study_uid))
            else:
                self._documents[study_uid] = stored
                if self.document is document:
                    self._set_document(stored)

    # -- tools -------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        """Choose the tool ("select" or a kind); a drawing under way is dropped."""
        if tool not in TOOLS:
            raise AnnotationError(f"There is no annotation tool called {tool!r}.")
        self._reset_gesture()
        if tool != self.tool:
            self.tool = tool
            self.tool_changed.emit(tool)
        self.changed.emit(None)

    @property
    def dragged_id(self) -> str:
        """The annotation being moved or reshaped now ("" when none)."""
        return self._edited.id if self._edited is not None else ""

    @property
    def busy(self) -> bool:
        """True while a drawing or a drag is under way (Esc cancels it)."""
        return bool(self._drawing) or self._drag is not None or self._pending is not None

    # -- the pointer -------------------------------------------------------------------
    def press(self, point: Point, tolerance: float) -> Outcome:
        """The left button went down at image ``point``."""
        image = self.on_screen()
        if image is None or self.document is None:
            return "ignored"
        point = _clamp(point, image.shape)
        if self.tool == "select":
            return self._press_select(image, point, tolerance)
        self._pressed = True
        self._pointer = point
        if self._drawing:  # The next click of an angle.
            return "handled"
        self._target = image
        self._drawing = [point]
        self.changed.emit(None)
        return "handled"

    def move(self, point: Point, tolerance: float) -> Outcome:
        """The pointer moved to image ``point`` (with or without a button down)."""
        image = self.on_screen()
        if image is None:
            return "ignored"
        point = _clamp(point, image.shape)
        if self._drag is not None:
            self._edited = self._dragged(self._drag, point, image.shape)
            self.changed.emit(None)
            return "handled"
        if not self._drawing:
            return "ignored"
        if (self.tool == "freehand" and self._pressed
                and _distance(self._drawing[-1], point) >= tolerance * FREEHAND_STEP):
            self._drawing.append(point)
        self._pointer = point
        self.changed.emit(None)
        return "handled"

    def release(self, point: Point, tolerance: float) -> Outcome:
        """The left button came up at image ``point``."""
        if self._drag is not None:
            self._finish_drag()
            return "handled"
        image = self._target
        if not self._drawing or image is None:
            return "ignored"
        point = _clamp(point, image.shape)
        self._pressed = False
        self._pointer = point
        kind = self.tool
        start = self._drawing[0]
        if kind == "text":
            self._pending = Preview("text", (start,))
            self._drawing = []
            return "ask_text"
        if kind == "angle":
            return self._angle_release(point, tolerance)
        if kind == "freehand":
            points = list(self._drawing)
            if _distance(points[-1], point) > 0:
                points.append(point)
            self._drawing = []
            if len(points) >= 3 and _spread(points) >= tolerance:
                self._add("freehand", tuple(points))
            else:
                self._reset_gesture()
            return "handled"
        self._drawing = []
        if not _far_enough(kind, start, point, tolerance):
            self._reset_gesture()  # A click, not a drag: nothing to draw.
            return "handled"
        if kind == "arrow":
            self._pending = Preview("arrow", (start, point))
            self.changed.emit(None)
            return "ask_label"
        self._add(kind, (start, point))
        return "handled"

    def _angle_release(self, point: Point, tolerance: float) -> Outcome:
        if len(self._drawing) == 1 and _distance(self._drawing[0], point) < tolerance:
            # The first click: wait for the vertex.
            self.changed.emit(None)
            return "handled"
        if _distance(self._drawing[-1], point) < tolerance:
            self.changed.emit(None)  # Too near the last point to make an arm.
            return "handled"
        self._drawing.append(point)
        if len(self._drawing) == 3:
            points = tuple(self._drawing)
            self._drawing = []
            self._add("angle", points)
        else:
            self.changed.emit(None)
        return "handled"

    def double_click(self, point: Point, tolerance: float) -> Outcome:
        """A double click at image ``point``: on a text label or an arrow in select mode,
        "edit_label"; otherwise "ignored" (the GUI treats it as a press)."""
        image = self.on_screen()
        if self.tool != "select" or image is None or self.document is None:
            return "ignored"
        found = hit(self.document.on_image(image.sop_instance_uid, image.frame),
                    _clamp(point, image.shape), tolerance, self._label_boxes)
        if found is None or found.kind not in ("text", "arrow"):
            return "ignored"
        self._drag = None
        self._edited = None
        self.selected_id = found.id
        self.changed.emit(None)
        return "edit_label"

    def _press_select(self, image: OnScreen, point: Point, tolerance: float) -> Outcome:
        assert self.document is not None
        on_image = self.document.on_image(image.sop_instance_uid, image.frame)
        selected = self.selected()
        if selected is not None and selected in on_image:
            index = handle_at(selected, point, tolerance)
            if index is not None:
                self._drag = _Drag("handle", selected, point, index, tolerance=tolerance)
                return "handled"
        found = hit(on_image, point, tolerance, self._label_boxes)
        if found is None:
            if self.selected_id:
                self.selected_id = ""
                self.changed.emit(None)
            return "ignored"
        self.selected_id = found.id
        self._drag = _Drag("move", found, point)
        self.changed.emit(None)
        return "handled"

    def _dragged(self, drag: _Drag, point: Point, shape: tuple[int, int]) -> Annotation:
        original = drag.original
        if drag.what == "handle":
            if original.kind == "freehand":
                reshaped = reshaped_outline(original, drag.handle, point, drag.tolerance)
                return replace(original, points=tuple(_clamp(p, shape) for p in reshaped))
            points = list(original.points)
            points[drag.handle] = point
            return replace(original, points=tuple(points))
        dx, dy = _inside_move(original.points,
                              (point[0] - drag.start[0], point[1] - drag.start[1]), shape)
        drag.delta = (dx, dy)
        return replace(original, points=tuple((x + dx, y + dy) for x, y in original.points))

    def _finish_drag(self) -> None:
        drag, edited = self._drag, self._edited
        self._drag = None
        self._edited = None
        document = self.document
        if (document is None or drag is None or edited is None
                or edited.points == drag.original.points):
            self.changed.emit(None)
            return
        try:
            if drag.what == "move":
                document.move(edited.id, *drag.delta)
            else:
                document.set_points(edited.id, edited.points)
        except AnnotationError as exc:
            self.message.emit(str(exc))
        self.changed.emit(None)

    # -- labels, deleting, undo --------------------------------------------------------
    def finish_pending(self, text: str | None) -> Annotation | None:
        """The label asked for after "ask_text" or "ask_label": a text label is added
        with it (None or blank: not added); an arrow is added with it (None: no label)."""
        pending = self._pending
        self._pending = None
        if pending is None:
            return None
        text = (text or "").strip()
        if pending.kind == "text" and not text:
            self._reset_gesture()
            return None
        return self._add(pending.kind, pending.points, text)

    def set_label(self, text: str) -> bool:
        """Give the selected text or arrow a new label (after "edit_label"); True when
        changed. A text label cannot be emptied (delete it instead)."""
        selected = self.selected()
        if self.document is None or selected is None or selected.kind not in ("text", "arrow"):
            return False
        text = text.strip()
        if text == selected.text or (selected.kind == "text" and not text):
            return False
        try:
            self.document.set_text(selected.id, text)
        except AnnotationError as exc:
            self.message.emit(str(exc))
            return False
        self.changed.emit(None)
        return True

    def selected(self) -> Annotation | None:
        """The selected annotation (None when none is)."""
        if self.document is None or not self.selected_id:
            return None
        for annotation in self.document.annotations:
            if annotation.id == self.selected_id:
                return annotation
        return None

    def select(self, annotation_id: str) -> None:
        """Select an annotation ("" for none), as a click on it does."""
        self.selected_id = annotation_id
        self.changed.emit(None)

    def set_label_boxes(self, boxes: Mapping[str, Box]) -> None:
        """Where the labels of the frame on screen are drawn (annotation id -> box in
        image pixels), told by the GUI as it paints them: a click anywhere on a label's
        text picks its annotation, not only near its anchor."""
        self._label_boxes = dict(boxes)

    def nudge(self, direction: Point, big: bool = False) -> bool:
        """An arrow key: move the selected annotation one image pixel (``big``: BIG_NUDGE)
        along the image axis nearest ``direction`` (the key's direction in image
        coordinates, which rotation and flips may turn), as one undoable move, never off
        the image. False when nothing is selected (the key does what it does without
        drawings)."""
        selected = self.selected()
        image = self.on_screen()
        if (selected is None or image is None or self.document is None or self.busy
                or selected.sop_instance_uid != image.sop_instance_uid
                or selected.frame != image.frame):
            return False
        dx, dy = direction
        if dx == 0 and dy == 0:
            return False
        step = BIG_NUDGE if big else NUDGE
        if abs(dx) >= abs(dy):
            wanted = (math.copysign(step, dx), 0.0)
        else:
            wanted = (0.0, math.copysign(step, dy))
        dx, dy = _inside_move(selected.points, wanted, image.shape)
        if dx or dy:
            try:
                self.document.move(selected.id, dx, dy, image.shape)
            except AnnotationError as exc:
                self.message.emit(str(exc))
            self.changed.emit(None)
        return True

    def takes_key(self, key: Key) -> bool:
        """True when ``key`` is the drawings' now (the GUI keeps it from the window's
        shortcuts, such as the arrows stepping through images): an arrow while an
        annotation of the image on screen is selected, Tab while the image has any,
        Esc while there is a drawing, drag or selection to drop."""
        if key == "escape":
            return self.busy or bool(self.selected_id)
        if self.busy:
            return False
        if key in ("tab", "backtab"):
            return bool(self.shown())
        selected = self.selected()
        return selected is not None and selected in self.shown()

    def select_next(self, backwards: bool = False) -> bool:
        """Tab (Shift+Tab: ``backwards``): select the next annotation of the image on
        screen in drawing order, round to the first after the last. False when the image
        has none (the key does what it does without drawings)."""
        shown = self.shown()
        if not shown or self.busy:
            return False
        ids = [a.id for a in shown]
        if self.selected_id in ids:
            index = (ids.index(self.selected_id) + (-1 if backwards else 1)) % len(ids)
        else:
            index = len(ids) - 1 if backwards else 0
        self.select(ids[index])
        return True

    def delete_selected(self) -> bool:
        """Delete the selected annotation; True when there was one."""
        selected = self.selected()
        if self.document is None or selected is None:
            return False
        self._reset_gesture()
        self.selected_id = ""
        self.document.delete(selected.id)
        self.changed.emit(None)
        return True

    def cancel(self) -> bool:
        """Esc: drop the drawing or drag under way, else the selection; True when there
        was something to drop."""
        if self.busy:
            self._reset_gesture()
            self.changed.emit(None)
            return True
        if self.selected_id:
            self.selected_id = ""
            self.changed.emit(None)
            return True
        return False

    def undo(self) -> str:
        """Undo the document's last change; what was undone ("" when nothing)."""
        if self.document is None:
            return ""
        self._reset_gesture()
        done = self.document.undo()
        self.changed.emit(None)
        return done

    def redo(self) -> str:
        """Redo the last undone change; what was redone ("" when nothing)."""
        if self.document is None:
            return ""
        self._reset_gesture()
        done = self.document.redo()
        self.changed.emit(None)
        return done

    # -- what to draw ------------------------------------------------------------------
    def shown(self) -> tuple[Annotation, ...]:
        """The annotations of the frame on screen, in drawing order, the one being
        dragged where the pointer has it now."""
        image = self.on_screen()
        if image is None or self.document is None:
            return ()
        items = self.document.on_image(image.sop_instance_uid, image.frame)
        edited = self._edited
        if edited is None:
            return items
        return tuple(edited if a.id == edited.id else a for a in items)

    def preview(self) -> Preview | None:
        """The shape being drawn (to the pointer), or None."""
        if self._pending is not None:
            return self._pending
        if not self._drawing:
            return None
        points = list(self._drawing)
        pointer = self._pointer
        if pointer is not None and pointer != points[-1]:
            points.append(pointer)
        return Preview(self.tool, tuple(points))

    def preview_label(self) -> Label | None:
        """The value of a length or an angle being drawn, to show as it is drawn."""
        preview = self.preview()
        image = self._target
        if preview is None or image is None:
            return None
        wanted = {"length": 2, "angle": 3}.get(preview.kind)
        if wanted is None or len(preview.points) != wanted:
            return None
        annotation = self._annotation(preview.kind, preview.points, image)
        return self.label(annotation)

    def label(self, annotation: Annotation) -> Label:
        """The value of ``annotation`` on the frame on screen (empty for text and
        arrows), in the words of the side list; remembered per version."""
        if annotation.kind not in MEASUREMENTS:
            return Label(())
        image = self.on_screen()
        if image is None or image.sop_instance_uid != annotation.sop_instance_uid:
            return Label(())
        loaded = self.viewer.loaded
        frame = loaded.frame if loaded is not None else None
        found = self._label_of(annotation, image.instance, image.frame,
                               frame if isinstance(frame, GreyFrame) else None)
        # Until the header is read: no value rather than a wrong one.
        return Label(()) if found is None else found

    def shown_on(self, sop_instance_uid: str, frame: int) -> tuple[Annotation, ...]:
        """The annotations of one frame of an image, on screen or not, in drawing order
        (a drawing being dragged where it was before the drag)."""
        if self.document is None:
            return ()
        return self.document.on_image(sop_instance_uid, frame)

    def label_on(self, annotation: Annotation, instance: InstanceRef, frame: int,
                 values: GreyFrame | None) -> Label | None:
        """The value of ``annotation`` on frame ``frame`` of ``instance``, whose pixel
        values are ``values`` (None for a colour frame), as ``label`` gives it once that
        frame is on screen: for drawing a slice's picture ahead. None while the image's
        header is not read (it is asked for)."""
        if annotation.kind not in MEASUREMENTS:
            return Label(())
        return self._label_of(annotation, instance, frame, values)

    def _label_of(self, annotation: Annotation, instance: InstanceRef, frame: int,
                  values: GreyFrame | None) -> Label | None:
        key = (annotation, instance.sop_instance_uid, frame)
        found = self._labels.get(key)
        if found is not None:
            return found
        header = self._header(instance)
        if header is None:
            return None
        try:
            lines = measurement_lines(annotation, header, values)
            calibration = frame_calibration(header, annotation.frame)
            calibrated = calibration.for_points(annotation.points).calibrated
        except (LightboxError, ValueError, ArithmeticError):
            lines, calibrated = [], False
        # The long sentence is the side list's; on the image a short mark is enough.
        lines = [line for line in lines if "Uncalibrated:" not in line]
        warning = "" if calibrated or annotation.kind == "angle" else UNCALIBRATED_MARK
        if warning:
            lines = [line.replace(_UNCALIBRATED_SUFFIX, "") for line in lines]
        label = Label(tuple(lines), warning)
        if len(self._labels) >= LABEL_CACHE:
            self._labels.clear()
        self._labels[key] = label
        return label

    # -- inside ------------------------------------------------------------------------
    def _add(self, kind: str, points: tuple[Point, ...], text: str = "") -> Annotation | None:
        image = self._target
        document = self.document
        self._reset_gesture()
        if image is None or document is None:
            return None
        try:
            annotation = self._annotation(kind, points, image, text)
            document.add(annotation, image.shape)
        except AnnotationError as exc:
            self.message.emit(str(exc))
            self.changed.emit(None)
            return None
        self.changed.emit(None)  # The document told its observers before its undo stack.
        return annotation

    def _annotation(self, kind: str, points: tuple[Point, ...], image: OnScreen,
                    text: str = "") -> Annotation:
        study = self.document.study_uid if self.document is not None else image.study_uid
        return Annotation(kind, points, study, image.series_uid,  # type: ignore[arg-type]
                          image.sop_instance_uid, image.frame, text)

    def _reset_gesture(self) -> None:
        self._drawing = []
        self._pointer = None
        self._pressed = False
        self._pending = None
        self._drag = None
        self._edited = None
        self._target = None

    def header_loaded(self, sop_instance_uid: str, header: Dataset) -> None:
        """The header asked for by ``header_wanted`` (an empty Dataset when it could not
        be read: values in pixels)."""
        self._header_cache[sop_instance_uid] = header
        self.labels_revision += 1
        self._label_revisions[sop_instance_uid] = self._label_revisions.get(
            sop_instance_uid, 0) + 1
        self._labels = {k: v for k, v in self._labels.items() if k[1] != sop_instance_uid}
        self.changed.emit(None)

    def labels_revision_on(self, sop_instance_uid: str) -> tuple[int, int]:
        """What the values beside the drawings of one image were worked out from, as a
        count: it changes when the medium changes or that image's header arrives (a
        picture of the drawings kept with it is stale once it differs)."""
        return self._sources_opened, self._label_revisions.get(sop_instance_uid, 0)

    def known_header(self, sop_instance_uid: str) -> Dataset | None:
        """The header of an image as already read for its values (None when it has not
        been); the side list answers from it without reading the file again."""
        return self._header_cache.get(sop_instance_uid)

    def _header(self, instance: InstanceRef) -> Dataset | None:
        uid = instance.sop_instance_uid
        header = self._header_cache.get(uid)
        if header is None:
            try:
                header = self._headers(instance)
            except (OSError, ValueError, LightboxError):
                header = Dataset()
            if header is None:
                if uid not in self._headers_wanted:
                    self._headers_wanted.add(uid)
                    self.header_wanted.emit(instance)
                return None
            self._header_cache[uid] = header
        return header

    def _read_header(self, instance: InstanceRef) -> Dataset | None:
        """The header from the file when the medium is a folder (a disc, the library);
        None (ask the GUI) when it is inside an ISO or ZIP file."""
        source = self.viewer.source
        if source is None or not source.path.is_dir():
            return None
        path = Path(source.path) / instance.path
        if not path.is_file():
            return None
        try:
            return dcmread(path, stop_before_pixels=True, force=True)
        except Exception:  # pydicom raises many kinds for a damaged file
            return Dataset()  # no header: values in pixels, said so, never a crash


def _clamp(point: Point, shape: tuple[int, int]) -> Point:
    rows, columns = shape
    return (min(max(point[0], 0.0), float(columns)), min(max(point[1], 0.0), float(rows)))


def _inside_move(points: tuple[Point, ...], delta: Point, shape: tuple[int, int]) -> Point:
    """``delta`` cut short so that the whole shape stays on the image."""
    rows, columns = shape
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    return (min(max(delta[0], -min(xs)), columns - max(xs)),
            min(max(delta[1], -min(ys)), rows - max(ys)))


def _distance(a: Point, b: Point) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def _far_enough(kind: str, start: Point, end: Point, tolerance: float) -> bool:
    """A drag long enough to be meant; a rectangle or ellipse also needs width and height."""
    if kind in ("rectangle", "ellipse"):
        return abs(end[0] - start[0]) >= tolerance / 2 and abs(end[1] - start[1]) >= tolerance / 2
    return _distance(start, end) >= tolerance


def _spread(points: list[Point]) -> float:
    """The larger side of the points' bounding box: an outline smaller than the tolerance
    is a slip of the hand."""
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    return max(max(xs) - min(xs), max(ys) - min(ys))
