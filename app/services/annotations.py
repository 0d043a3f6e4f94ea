"""Annotations of a study and their undo history, without Qt.

An :class:`Annotation` is a shape or a label drawn on one frame of one image, in image
coordinates (``app.imaging.measure``: x along columns, y along rows, (0, 0) the top-left
corner of the top-left pixel), so it stays on its anatomy through zoom, pan, rotation and
flips. An :class:`AnnotationDocument` holds every annotation of one study; each change is a
command on a bounded undo stack, observers hear of every change, and a document made with
a ``save`` callback (:meth:`LibraryService.annotation_document`) hands its whole set to it
after each command.

Saving never loses a drawing: the set in memory is the truth, and a save that fails (a
full disk, a library busy past SQLite's timeout) leaves the document marked unsaved with
the reason; the next command, or :meth:`AnnotationDocument.save`, writes the whole set
again, since each save replaces the study's set in one transaction.
"""

from __future__ import annotations

import math
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal, get_args

from app.core.errors import LibraryError, LightboxError
from app.core.observable import Event

Kind = Literal["length", "angle", "rectangle", "ellipse", "freehand", "text", "arrow"]
KINDS: tuple[str, ...] = get_args(Kind)
Point = tuple[float, float]

# How many points each kind takes: (fewest, most).
POINT_COUNTS: dict[str, tuple[int, int]] = {
    "length": (2, 2),  # start, end
    "angle": (3, 3),  # first arm's end, vertex, last arm's end
    "rectangle": (2, 2),  # two opposite corners
    "ellipse": (2, 2),  # two opposite corners of its bounding rectangle
    "freehand": (3, 10_000),  # a closed outline
    "text": (1, 1),  # where the label is anchored
    "arrow": (2, 2),  # tail, head (the end that points)
}
# DICOM images have at most 65535 rows and columns; a point further out than one more
# image's width beyond them is not a drawing but a bug (or a damaged row).
COORDINATE_LIMIT = 2 * 65536.0
TEXT_LIMIT = 1024  # characters; a label, not a report
UNDO_LIMIT = 200
# The measuring kinds: those with a value in the side list.
MEASUREMENTS: frozenset[str] = frozenset({"length", "angle", "rectangle", "ellipse", "freehand"})


class AnnotationError(LightboxError):
    """An annotation that cannot be (a wrong number of points, a point off the image, a
    label too long, no such annotation)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Annotation:
    """One annotation on frame ``frame`` (0-based) of one image of one study.

    ``text`` is the label of a text or arrow annotation ("" for the others). ``created``
    and ``modified`` are UTC ISO times. Construction validates; an invalid one raises
    AnnotationError.
    """

    kind: Kind
    points: tuple[Point, ...]
    study_uid: str
    series_uid: str
    sop_instance_uid: str
    frame: int = 0
    text: str = ""
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: str = field(default_factory=_now)
    modified: str = ""

    def __post_init__(self) -> None:
        # Points may come as lists (JSON); stored as tuples of floats, so equal is equal.
        points = tuple((float(x), float(y)) for x, y in self.points)
        object.__setattr__(self, "points", points)
        if not self.modified:
            object.__setattr__(self, "modified", self.created)
        validate(self)

    @property
    def description(self) -> str:
        """The kind in words, for menus: "length", "text label"."""
        return {"text": "text label", "freehand": "outline"}.get(self.kind, self.kind)


def validate(annotation: Annotation) -> None:
    """Raise AnnotationError unless ``annotation`` is one that can be drawn and kept."""
    if annotation.kind not in POINT_COUNTS:
        raise AnnotationError(f"There is no annotation tool called {annotation.kind!r}.")
    fewest, most = POINT_COUNTS[annotation.kind]
    count = len(annotation.points)
    if not fewest <= count <= most:
        wanted = str(fewest) if fewest == most else f"{fewest} to {most}"
        raise AnnotationError(
            f"A {annotation.description} takes {wanted} points, not {count}."
        )
    for x, y in annotation.points:
        if not (math.isfinite(x) and math.isfinite(y)):
            raise AnnotationError("An annotation point is not a number.")
        if abs(x) > COORDINATE_LIMIT or abs(y) > COORDINATE_LIMIT:
            raise AnnotationError("An annotation point lies far outside the image.")
    if len(annotation.text) > TEXT_LIMIT:
        raise AnnotationError(f"A label can be at most {TEXT_LIMIT} characters long.")
    if annotation.kind == "text" and not annotation.text.strip():
        raise AnnotationError("A text label needs some text.")
    if annotation.frame < 0:
        raise AnnotationError("An annotation's frame number cannot be negative.")
    if not (annotation.study_uid and annotation.series_uid and annotation.sop_instance_uid):
        raise AnnotationError("An annotation must name its study, series and image.")


def check_inside(points: Iterable[Point], shape: tuple[int, int]) -> None:
    """Raise AnnotationError when a point lies outside an image of ``shape`` (rows,
    columns); its edges count as inside."""
    rows, columns = shape
    for x, y in points:
        if not (0 <= x <= columns and 0 <= y <= rows):
            raise AnnotationError("An annotation must lie on the image.")


@dataclass(frozen=True)
class Command:
    """One change: ``before`` becomes ``after`` (None: absent) at ``index`` in the list."""

    description: str
    before: Annotation | None
    after: Annotation | None
    index: int


@dataclass(frozen=True)
class Change:
    """What observers are told: which annotation changed and how ("add", "change",
    "delete"), or "saved" / "save failed" when only the saved state changed."""

    what: str
    annotation_id: str = ""


class AnnotationDocument:
    """The annotations of one study, with undo and redo.

    ``save`` (optional) is called with the whole set after every command, undo and redo;
    without it the document lives in memory only (a disc that is not in the library).
    """

    def __init__(
        self,
        study_uid: str,
        annotations: Iterable[Annotation] = (),
        save: Callable[[tuple[Annotation, ...]], None] | None = None,
        limit: int = UNDO_LIMIT,
    ) -> None:
        self.study_uid = study_uid
        self._items: list[Annotation] = list(annotations)
        # The annotations of each (image, frame), built when first asked for after a
        # change: the screen asks every paint, and a study may hold thousands.
        self._by_image: dict[tuple[str, int], tuple[Annotation, ...]] | None = None
        self._save = save
        self._undo: deque[Command] = deque(maxlen=limit)
        self._redo: list[Command] = []
        self.changed: Event[Change] = Event()
        # The sentence of the last failed save; "" when the library holds what we hold.
        self.save_error = ""

    # -- reading ---------------------------------------------------------------------
    @property
    def annotations(self) -> tuple[Annotation, ...]:
        """Every annotation, in drawing order."""
        return tuple(self._items)

    @property
    def empty(self) -> bool:
        """True when there is no annotation (without copying them all, as a check on
        every slice shown needs)."""
        return not self._items

    def get(self, annotation_id: str) -> Annotation:
        """The annotation with this id; AnnotationError when there is none."""
        return self._items[self._index(annotation_id)]

    def on_image(self, sop_instance_uid: str, frame: int = 0) -> tuple[Annotation, ...]:
        """The annotations drawn on one frame of one image, in drawing order."""
        if self._by_image is None:
            grouped: dict[tuple[str, int], list[Annotation]] = {}
            for annotation in self._items:
                key = (annotation.sop_instance_uid, annotation.frame)
                grouped.setdefault(key, []).append(annotation)
            self._by_image = {key: tuple(items) for key, items in grouped.items()}
        return self._by_image.get((sop_instance_uid, frame), ())

    @property
    def persistent(self) -> bool:
        """True when changes are saved (to the library); False: memory only."""
        return self._save is not None

    @property
    def can_undo(self) -> bool:
        """True when there is a change to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """True when there is an undone change to redo."""
        return bool(self._redo)

    @property
    def undo_description(self) -> str:
        """What Undo would undo ("Delete length"); "" when nothing."""
        return self._undo[-1].description if self._undo else ""

    @property
    def redo_description(self) -> str:
        """What Redo would redo; "" when nothing."""
        return self._redo[-1].description if self._redo else ""

    # -- changing --------------------------------------------------------------------
    def add(self, annotation: Annotation, shape: tuple[int, int] | None = None) -> Annotation:
        """Add a new annotation (on an image of ``shape`` (rows, columns) when given: its
        points must lie on it)."""
        if annotation.study_uid != self.study_uid:
            raise AnnotationError("This annotation belongs to another study.")
        if any(a.id == annotation.id for a in self._items):
            raise AnnotationError("This annotation is there already.")
        if shape is not None:
            check_inside(annotation.points, shape)
        self._do(Command(f"Add {annotation.description}", None, annotation, len(self._items)))
        return annotation

    def move(self, annotation_id: str, dx: float, dy: float,
             shape: tuple[int, int] | None = None) -> Annotation:
        """Move an annotation by (dx, dy) image pixels."""
        old = self.get(annotation_id)
        points = tuple((x + dx, y + dy) for x, y in old.points)
        return self._edit(old, f"Move {old.description}", shape, points=points)

    def set_points(self, annotation_id: str, points: Iterable[Point],
                   shape: tuple[int, int] | None = None) -> Annotation:
        """Give an annotation new points (a handle dragged, an outline redrawn)."""
        old = self.get(annotation_id)
        return self._edit(old, f"Edit {old.description}", shape, points=tuple(points))

    def set_text(self, annotation_id: str, text: str) -> Annotation:
        """Give a text or arrow annotation a new label."""
        old = self.get(annotation_id)
        if old.kind not in ("text", "arrow"):
            raise AnnotationError(f"A {old.description} has no label to edit.")
        return self._edit(old, f"Edit {old.description}", None, text=text)

    def delete(self, annotation_id: str) -> None:
        """Remove an annotation."""
        index = self._index(annotation_id)
        old = self._items[index]
        self._do(Command(f"Delete {old.description}", old, None, index))

    def undo(self) -> str:
        """Undo the last change; its description ("" when there was none)."""
        if not self._undo:
            return ""
        command = self._undo.pop()
        self._apply(command.after, command.before, command.index)
        self._redo.append(command)
        self._saved()
        return command.description

    def redo(self) -> str:
        """Redo the last undone change; its description ("" when there was none)."""
        if not self._redo:
            return ""
        command = self._redo.pop()
        self._apply(command.before, command.after, command.index)
        self._undo.append(command)
        self._saved()
        return command.description

    def persist_to(self, save: Callable[[tuple[Annotation, ...]], None]) -> bool:
        """Start saving with ``save`` (a disc's study just imported into the library):
        the whole set is saved now and after every later change. True when saved."""
        self._save = save
        return self.save()

    def save(self) -> bool:
        """Write the whole set now (after a failed save); True when it is saved (or the
        document is memory only)."""
        self._saved()
        return not self.save_error

    # -- inside ----------------------------------------------------------------------
    def _index(self, annotation_id: str) -> int:
        for index, annotation in enumerate(self._items):
            if annotation.id == annotation_id:
                return index
        raise AnnotationError("That annotation is no longer there.")

    def _edit(self, old: Annotation, description: str, shape: tuple[int, int] | None,
              **changes: object) -> Annotation:
        new = replace(old, modified=_now(), **changes)  # type: ignore[arg-type]
        if shape is not None:
            check_inside(new.points, shape)
        self._do(Command(description, old, new, self._index(old.id)))
        return new

    def _do(self, command: Command) -> None:
        self._apply(command.before, command.after, command.index)
        self._undo.append(command)  # the deque drops the oldest past its limit
        self._redo.clear()
        self._saved()

    def _apply(self, before: Annotation | None, after: Annotation | None, index: int) -> None:
        self._by_image = None  # before observers are told: they may ask at once
        if before is None and after is not None:
            self._items.insert(index, after)
            self.changed.emit(Change("add", after.id))
        elif before is not None and after is None:
            del self._items[self._index(before.id)]
            self.changed.emit(Change("delete", before.id))
        elif before is not None and after is not None:
            self._items[self._index(before.id)] = after
            self.changed.emit(Change("change", after.id))

    def _saved(self) -> None:
        if self._save is None:
            return
        try:
            self._save(self.annotations)
        except LibraryError as exc:
            self.save_error = str(exc)
            self.changed.emit(Change("save failed"))
            return
        if self.save_error:
            self.save_error = ""
            self.changed.emit(Change("saved"))
