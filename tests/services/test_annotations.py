"""The annotation document: commands, undo and redo, observers, validation, saving."""

import math

import pytest

from app.core.errors import LibraryError
from app.services.annotations import (
    TEXT_LIMIT,
    Annotation,
    AnnotationDocument,
    AnnotationError,
    Change,
)

STUDY, SERIES, IMAGE = "1.2.3", "1.2.3.4", "1.2.3.4.5"


def _make(kind: str, points: list[tuple[float, float]], text: str = "",
          frame: int = 0, image: str = IMAGE) -> Annotation:
    return Annotation(kind=kind, points=tuple(points), study_uid=STUDY,  # type: ignore[arg-type]
                      series_uid=SERIES, sop_instance_uid=image, frame=frame, text=text)


def _state(document: AnnotationDocument) -> list[tuple[object, ...]]:
    return [(a.id, a.kind, a.points, a.text, a.modified) for a in document.annotations]


def test_add_move_edit_delete_then_undo_all_and_redo_all() -> None:
    document = AnnotationDocument(STUDY)
    states = [_state(document)]
    length = document.add(_make("length", [(1, 2), (11, 2)]))
    states.append(_state(document))
    label = document.add(_make("text", [(5, 5)], "lesion"))
    states.append(_state(document))
    document.move(length.id, 2.5, -1)
    states.append(_state(document))
    document.set_points(length.id, [(0, 0), (3, 4)])
    states.append(_state(document))
    document.set_text(label.id, "cyst")
    states.append(_state(document))
    document.delete(length.id)
    states.append(_state(document))
    assert document.undo_description == "Delete length"
    assert [a.text for a in document.annotations] == ["cyst"]

    undone = []
    while document.can_undo:
        undone.append(document.undo())
        assert _state(document) == states[-1 - len(undone)]
    assert undone == ["Delete length", "Edit text label", "Edit length", "Move length",
                      "Add text label", "Add length"]
    assert document.annotations == () and document.undo() == ""
    while document.can_redo:
        document.redo()
    assert _state(document) == states[-1]
    assert not document.can_redo and document.redo() == ""


def test_move_translates_every_point_and_undo_restores_the_position_in_the_list() -> None:
    document = AnnotationDocument(STUDY)
    first = document.add(_make("angle", [(0, 0), (10, 0), (10, 10)]))
    second = document.add(_make("ellipse", [(1, 1), (5, 3)]))
    moved = document.move(first.id, 1.5, 2)
    assert moved.points == ((1.5, 2.0), (11.5, 2.0), (11.5, 12.0))
    assert moved.created == first.created and moved.id == first.id
    document.delete(first.id)
    document.undo()
    assert [a.id for a in document.annotations] == [first.id, second.id]


def test_a_new_command_clears_redo() -> None:
    document = AnnotationDocument(STUDY)
    document.add(_make("length", [(0, 0), (1, 1)]))
    document.undo()
    assert document.can_redo and document.redo_description == "Add length"
    document.add(_make("arrow", [(0, 0), (4, 4)], "here"))
    assert not document.can_redo


def test_the_undo_stack_is_bounded() -> None:
    document = AnnotationDocument(STUDY, limit=5)
    for i in range(8):
        document.add(_make("length", [(0, 0), (i + 1, 0)]))
    assert sum(1 for _ in iter(document.undo, "")) == 5
    assert len(document.annotations) == 3  # the first three can no longer be undone
    assert not document.can_undo


def test_observers_hear_every_change() -> None:
    document = AnnotationDocument(STUDY)
    heard: list[Change] = []
    disconnect = document.changed.connect(heard.append)
    added = document.add(_make("rectangle", [(0, 0), (4, 4)]))
    document.move(added.id, 1, 1)
    document.delete(added.id)
    document.undo()
    document.redo()
    assert heard == [Change("add", added.id), Change("change", added.id),
                     Change("delete", added.id), Change("add", added.id),
                     Change("delete", added.id)]
    disconnect()
    document.undo()
    assert len(heard) == 5


@pytest.mark.parametrize(("kind", "points", "text", "message"), [
    ("length", [(0, 0)], "", "takes 2 points, not 1"),
    ("angle", [(0, 0), (1, 1)], "", "takes 3 points, not 2"),
    ("freehand", [(0, 0), (1, 1)], "", "takes 3 to 10000 points, not 2"),
    ("text", [(0, 0)], "  ", "needs some text"),
    ("text", [(0, 0)], "x" * (TEXT_LIMIT + 1), "at most"),
    ("length", [(0, 0), (math.nan, 1)], "", "not a number"),
    ("length", [(0, 0), (math.inf, 1)], "", "not a number"),
    ("length", [(0, 0), (1e9, 1)], "", "far outside"),
    ("circle", [(0, 0), (1, 1)], "", "no annotation tool"),
])
def test_invalid_annotations_are_refused(kind: str, points: list[tuple[float, float]],
                                         text: str, message: str) -> None:
    with pytest.raises(AnnotationError, match=message):
        _make(kind, points, text)


def test_edits_are_validated_and_leave_nothing_behind() -> None:
    document = AnnotationDocument(STUDY)
    length = document.add(_make("length", [(0, 0), (10, 10)]))
    with pytest.raises(AnnotationError, match="lie on the image"):
        document.move(length.id, 60, 0, shape=(64, 64))
    with pytest.raises(AnnotationError, match="lie on the image"):
        document.add(_make("length", [(0, 0), (65, 1)]), shape=(64, 64))
    with pytest.raises(AnnotationError, match="takes 2 points"):
        document.set_points(length.id, [(0, 0), (1, 1), (2, 2)])
    with pytest.raises(AnnotationError, match="no label"):
        document.set_text(length.id, "why")
    with pytest.raises(AnnotationError, match="no longer there"):
        document.delete("no-such-id")
    with pytest.raises(AnnotationError, match="another study"):
        AnnotationDocument("9.9").add(length)
    assert document.annotations == (length,)
    assert document.undo_description == "Add length"
    document.move(length.id, 54, 54, shape=(64, 64))  # onto the edge: still on the image
    assert document.get(length.id).points[1] == (64.0, 64.0)


def test_on_image_gives_one_frame_of_one_image() -> None:
    document = AnnotationDocument(STUDY)
    a = document.add(_make("length", [(0, 0), (1, 1)], frame=0))
    document.add(_make("length", [(0, 0), (1, 1)], frame=1))
    document.add(_make("length", [(0, 0), (1, 1)], image="1.2.3.4.6"))
    assert document.on_image(IMAGE, 0) == (a,)


def test_each_command_saves_the_whole_set_and_a_failed_save_loses_nothing() -> None:
    saved: list[tuple[Annotation, ...]] = []
    failing = [False]

    def save(annotations: tuple[Annotation, ...]) -> None:
        if failing[0]:
            raise LibraryError("The disk holding the library is full.")
        saved.append(annotations)

    document = AnnotationDocument(STUDY, save=save)
    heard: list[Change] = []
    document.changed.connect(heard.append)
    first = document.add(_make("length", [(0, 0), (1, 1)]))
    assert saved == [(first,)] and document.persistent
    failing[0] = True
    second = document.add(_make("text", [(2, 2)], "note"))
    assert document.annotations == (first, second)
    assert document.save_error == "The disk holding the library is full."
    assert heard[-1] == Change("save failed")
    assert not document.save()
    failing[0] = False
    assert document.save()
    assert saved[-1] == (first, second) and document.save_error == ""
    assert heard[-1] == Change("saved")
    document.undo()
    assert saved[-1] == (first,)
    assert not AnnotationDocument(STUDY).persistent


def test_on_image_follows_every_change_even_when_asked_from_an_observer() -> None:
    first = _make("length", [(1, 2), (11, 2)])
    other = _make("text", [(5, 5)], "lesion", image="1.2.3.4.6")
    document = AnnotationDocument(STUDY, [first, other])
    seen: list[tuple[Annotation, ...]] = []
    document.changed.connect(lambda _change: seen.append(document.on_image(IMAGE)))
    assert document.on_image(IMAGE) == (first,)
    second = document.add(_make("length", [(3, 3), (9, 9)]))
    assert seen[-1] == (first, second)
    moved = document.move(first.id, 1, 0)
    assert seen[-1] == (moved, second)
    document.delete(second.id)
    assert seen[-1] == (moved,)
    document.undo()
    assert document.on_image(IMAGE) == (moved, second)
    assert document.on_image("1.2.3.4.6") == (other,)
    assert document.on_image(IMAGE, frame=1) == ()
