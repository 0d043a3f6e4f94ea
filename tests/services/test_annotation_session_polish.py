"""Labels picked by their whole text, outlines reshaped point by point, and the keys
(arrows, Tab, Esc) of AnnotationSession, without Qt."""

from app.services.annotation_hits import (
    OUTLINE_HANDLE_GAP,
    distance_to_box,
    handle_at,
    handle_indices,
    handles,
    hit,
    reshaped_outline,
)
from app.services.annotation_session import AnnotationSession
from app.services.annotations import Annotation
from tests.services.test_annotation_session import (
    COLUMNS,
    ROWS,
    TOL,
    _annotation,
    _click,
    _drag,
    _draw_length,
    _only,
    _session,
)


def _text(session: AnnotationSession, anchor: tuple[float, float], text: str) -> Annotation:
    session.set_tool("text")
    assert _click(session, anchor) == "ask_text"
    added = session.finish_pending(text)
    assert added is not None
    session.set_tool("select")
    return added


# -- labels picked by their whole text -----------------------------------------------
def test_the_distance_to_a_box_is_zero_inside_and_to_its_edge_outside() -> None:
    box = (10.0, 20.0, 30.0, 25.0)
    assert distance_to_box((15, 22), box) == 0.0
    assert distance_to_box((33, 29), box) == 5.0
    assert distance_to_box((5, 22), (30.0, 25.0, 10.0, 20.0)) == 5.0  # any corner order


def test_a_text_label_is_picked_anywhere_on_its_text_once_the_gui_says_where_it_is() -> None:
    session, _viewer = _session()
    label = _text(session, (5, 5), "a long label")
    assert session.press((30, 8), TOL) == "ignored"  # far from the anchor: the image
    session.release((30, 8), TOL)
    session.set_label_boxes({label.id: (6.0, 5.0, 40.0, 9.0)})
    assert session.press((30, 8), TOL) == "handled"
    assert session.selected_id == label.id
    session.release((30, 8), TOL)
    assert _only(session).points == ((5, 5),)  # a click on it does not move it
    assert session.double_click((30, 8), TOL) == "edit_label"


def test_an_arrows_label_is_picked_by_its_text_and_a_drag_on_it_moves_the_arrow() -> None:
    session, _viewer = _session()
    session.set_tool("arrow")
    _drag(session, (5, 5), (15, 5))
    arrow = session.finish_pending("here")
    assert arrow is not None
    session.set_tool("select")
    session.set_label_boxes({arrow.id: (20.0, 10.0, 35.0, 14.0)})
    assert _drag(session, (30, 12), (30, 22)) == "handled"
    assert _only(session).points == ((5, 15), (15, 15))
    assert session.document is not None and session.document.undo_description == "Move arrow"


def test_hit_by_box_prefers_the_nearer_annotation() -> None:
    text = _annotation("text", [(0, 0)], "x")
    line = _annotation("length", [(0, 10), (20, 10)])
    boxes = {text.id: (1.0, 1.0, 20.0, 9.0)}
    assert hit((text, line), (10, 5), TOL, boxes) is text
    assert hit((text, line), (10, 9.5), TOL, boxes) is line


# -- outlines reshaped point by point --------------------------------------------------
def _outline(count: int) -> list[tuple[float, float]]:
    return [(10.0 + 20.0 * (i / count), 10.0 + (i % 2)) for i in range(count)] + [(20.0, 30.0)]


def test_an_outline_has_a_handle_every_few_tolerances_along_its_line() -> None:
    short = _annotation("length", [(0, 0), (10, 0)])
    assert handles(short, TOL) == short.points
    # A square of side 20 drawn a point every half pixel: 160 points, 80 pixels round.
    side = [(10.0 + i / 2, 10.0) for i in range(40)] + [(30.0, 10.0 + i / 2) for i in range(40)]
    side += [(30.0 - i / 2, 30.0) for i in range(40)] + [(10.0, 30.0 - i / 2) for i in range(40)]
    outline = _annotation("freehand", side)
    assert OUTLINE_HANDLE_GAP * TOL == 8.0  # a handle every 8 pixels along the line
    assert handle_indices(outline, TOL) == tuple(range(0, 160, 16))[:10]
    assert handles(outline, TOL)[1] == (18.0, 10.0)
    assert handle_at(outline, (18.4, 10.2), TOL) == 16
    assert handle_at(outline, (22.0, 10.0), TOL) is None  # between two: the line, a move
    # Zoomed out (a larger tolerance in image pixels): fewer handles.
    assert handle_indices(outline, 2 * TOL) == tuple(range(0, 160, 32))[:5]
    # The last one would sit too near the first, round the closing edge: left out.
    back = _annotation("freehand", [(0, 0), (8, 0), (8, 8), (0, 8), (0.5, 0)])
    assert handle_indices(back, TOL) == (0, 1, 2, 3)
    # Handle 0 bends the line both ways round the closing edge.
    bent = reshaped_outline(outline, 0, (10.0, 6.0), TOL)
    assert bent[152] == (10.0, 12.0) and bent[8] == (14.0, 8.0)
    assert bent[144] == outline.points[144] and bent[16] == outline.points[16]


def test_a_dragged_outline_handle_bends_the_line_to_the_handles_either_side() -> None:
    points = [(float(i), 0.0) for i in range(48)]
    outline = _annotation("freehand", [*points[:-1], (47.0, 5.0)])
    # With a tolerance of half a pixel a handle is every 2nd point.
    assert handle_indices(outline, 0.5)[:3] == (0, 2, 4)
    moved = reshaped_outline(outline, 4, (4.0, 10.0), 0.5)
    assert moved[4] == (4.0, 10.0)
    assert moved[3] == (3.0, 5.0) and moved[5] == (5.0, 5.0)  # half way
    assert moved[2] == outline.points[2] and moved[6] == outline.points[6]
    assert moved[7:] == outline.points[7:] and moved[:2] == outline.points[:2]


def test_a_selected_outline_is_still_moved_whole_by_its_line_between_handles() -> None:
    session, _viewer = _session()
    session.set_tool("freehand")
    side = [(10.0 + i / 2, 10.0) for i in range(40)] + [(30.0, 10.0 + i / 2) for i in range(40)]
    session.press(side[0], TOL)
    for point in side[1:]:
        session.move(point, TOL)
    session.release((10.0, 30.0), TOL)
    outline = _only(session)
    session.set_tool("select")
    _click(session, (22, 10))
    assert session.selected_id == outline.id
    assert _drag(session, (22, 10), (22, 14)) == "handled"
    assert _only(session).points == tuple((x, y + 4) for x, y in outline.points)
    assert session.document is not None
    assert session.document.undo_description == "Move outline"


def test_dragging_an_outline_point_reshapes_it_in_one_undoable_step() -> None:
    session, _viewer = _session()
    session.set_tool("freehand")
    points = [(10, 10), (20, 10), (30, 10), (30, 20), (20, 20), (10, 20)]
    session.press(points[0], TOL)
    for point in points[1:]:
        session.move(point, TOL)
    session.release(points[-1], TOL)
    outline = _only(session)
    session.set_tool("select")
    _click(session, (20, 10))  # on its edge: selected
    assert session.selected_id == outline.id
    assert _drag(session, (30, 20), (35, 30)) == "handled"
    reshaped = _only(session)
    assert reshaped.points[3] == (35, 30)
    assert reshaped.points[:3] == outline.points[:3] and reshaped.points[4:] == outline.points[4:]
    assert session.document is not None
    assert session.document.undo_description == "Edit outline"
    assert session.undo() == "Edit outline" and _only(session).points == outline.points


# -- keys ------------------------------------------------------------------------------
def test_arrows_nudge_the_selected_drawing_one_pixel_or_ten_each_an_undoable_move() -> None:
    session, _viewer = _session()
    length = _draw_length(session)  # (10, 10) to (30, 10)
    assert not session.takes_key("left") and not session.nudge((1, 0))
    session.select(length.id)
    assert session.takes_key("left")
    assert session.nudge((1.0, 0.0))
    assert _only(session).points == ((11, 10), (31, 10))
    assert session.nudge((0.2, -3.0), big=True)  # the nearest axis: up
    assert _only(session).points == ((11, 0), (31, 0))
    assert session.document is not None
    assert session.document.undo_description == "Move length"
    assert session.undo() == "Move length" and _only(session).points == ((11, 10), (31, 10))
    assert session.undo() == "Move length" and _only(session).points == length.points


def test_a_nudge_stops_at_the_image_edge() -> None:
    session, _viewer = _session()
    length = _draw_length(session)
    session.select(length.id)
    for _ in range(5):
        assert session.nudge((0, 1), big=True)  # still the drawing's key at the edge
    assert _only(session).points == ((10, ROWS), (30, ROWS))
    assert session.nudge((1, 0), big=True) and session.nudge((1, 0), big=True)
    assert session.nudge((1, 0), big=True)
    assert _only(session).points == ((40, ROWS), (COLUMNS, ROWS))
    assert session.document is not None and len(session.document.annotations) == 1


def test_tab_cycles_through_the_drawings_of_the_image_and_esc_deselects() -> None:
    session, viewer = _session()
    first = _draw_length(session)
    second = _text(session, (40, 30), "b")
    third = _text(session, (50, 35), "c")
    assert session.takes_key("tab") and not session.takes_key("escape")
    assert session.select_next() and session.selected_id == first.id
    assert session.select_next() and session.selected_id == second.id
    assert session.select_next() and session.select_next()
    assert session.selected_id == first.id  # round again
    assert session.select_next(backwards=True) and session.selected_id == third.id
    assert session.takes_key("escape") and session.cancel()
    assert session.selected_id == "" and not session.takes_key("escape")
    viewer.go_to(1)  # an image without drawings: Tab is the window's
    assert not session.takes_key("tab") and not session.select_next()


def test_keys_are_left_alone_while_a_drawing_is_under_way() -> None:
    session, _viewer = _session()
    length = _draw_length(session)
    session.select(length.id)
    session.set_tool("angle")
    _click(session, (40, 30))
    session.select(length.id)
    assert not session.takes_key("left") and not session.takes_key("tab")
    assert not session.nudge((1, 0))
    assert session.takes_key("escape") and session.cancel()  # drops the angle first
    assert session.selected_id == length.id
