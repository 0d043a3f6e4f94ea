"""Drawing, picking, moving and labelling annotations through AnnotationSession, without Qt."""

from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset

from app.core.models import InstanceRef, build_tree
from app.imaging.attributes import grey_attributes
from app.imaging.render import GreyFrame
from app.services.annotation_hits import distance_to, handle_at, hit
from app.services.annotation_session import UNCALIBRATED_MARK, AnnotationSession
from app.services.annotations import Annotation, AnnotationDocument
from app.services.importing import ImportReport
from app.services.jobs import run_to_report
from app.services.library_service import LibraryService
from app.services.viewer_model import OpenSource, ViewerModel
from app.services.viewing import LoadedFrame
from tests.library.helpers import write_small_disc

STUDY, SERIES = "1.2.3", "1.2.3.4"
ROWS, COLUMNS = 40, 60
TOL = 2.0


def _header(spacing: tuple[float, float] | None = (0.5, 0.5)) -> Dataset:
    header = Dataset()
    header.Modality = "CT"
    header.RescaleSlope = 1
    header.RescaleIntercept = -1024
    if spacing is not None:
        header.PixelSpacing = list(spacing)
    return header


def _ref(number: int, study: str = STUDY) -> InstanceRef:
    return InstanceRef(path=f"IMG{number}", sop_instance_uid=f"{SERIES}.{number}",
                       sop_class_uid="1.2.840.10008.5.1.4.1.1.2", study_instance_uid=study,
                       series_instance_uid=SERIES, modality="CT", series_number=1,
                       instance_number=number)


def _frame(header: Dataset) -> GreyFrame:
    """A CT whose value in HU is the column index (stored 1024 + column)."""
    stored = np.tile(np.arange(COLUMNS, dtype=np.uint16) + 1024, (ROWS, 1))
    return GreyFrame(stored, grey_attributes(header, 0, "MONOCHROME2", False), "CT")


def _session(spacing: tuple[float, float] | None = (0.5, 0.5), images: int = 2,
             library: LibraryService | None = None, study: str = STUDY
             ) -> tuple[AnnotationSession, ViewerModel]:
    header = _header(spacing)
    viewer = ViewerModel()
    session = AnnotationSession(viewer, library, headers=lambda _ref: header)
    viewer.open_source(OpenSource("medium", Path("/media/DISC")))
    refs = [_ref(n, study) for n in range(images)]
    viewer.set_tree(build_tree(refs))
    for ref in refs:
        loaded = LoadedFrame(_frame(header), 1, ref)
        viewer.cache.put((ref.path, 0), loaded)
        viewer.frame_loaded((ref.path, 0), loaded)
    return session, viewer


def _drag(session: AnnotationSession, start: tuple[float, float], end: tuple[float, float],
          steps: int = 4) -> str:
    session.press(start, TOL)
    for i in range(1, steps + 1):
        t = i / steps
        session.move((start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t),
                     TOL)
    return session.release(end, TOL)


def _click(session: AnnotationSession, point: tuple[float, float]) -> str:
    session.press(point, TOL)
    return session.release(point, TOL)


def _only(session: AnnotationSession) -> Annotation:
    assert session.document is not None
    (annotation,) = session.document.annotations
    return annotation


def test_the_document_follows_the_study_on_screen_and_is_memory_only_without_a_library(
) -> None:
    session, viewer = _session()
    seen: list[AnnotationDocument | None] = []
    session.document_changed.connect(seen.append)
    assert session.document is not None and session.document.study_uid == STUDY
    assert not session.document.persistent
    viewer.open_source(OpenSource("medium", Path("/media/OTHER")))
    assert session.document is None and seen == [None]


@pytest.mark.parametrize(("kind", "start", "end"), [
    ("length", (10.0, 10.0), (30.0, 25.0)),
    ("rectangle", (5.5, 6.5), (20.25, 30.75)),
    ("ellipse", (40.0, 30.0), (10.0, 5.0)),
])
def test_a_drag_draws_two_point_kinds_with_exactly_those_points(
    kind: str, start: tuple[float, float], end: tuple[float, float]
) -> None:
    session, _viewer = _session()
    session.set_tool(kind)
    assert _drag(session, start, end) == "handled"
    annotation = _only(session)
    assert annotation.kind == kind and annotation.points == (start, end)
    assert (annotation.study_uid, annotation.series_uid) == (STUDY, SERIES)
    assert (annotation.sop_instance_uid, annotation.frame) == (f"{SERIES}.0", 0)
    assert session.document is not None and session.document.undo_description == (
        f"Add {annotation.description}")
    assert session.preview() is None


def test_a_click_without_a_drag_draws_nothing() -> None:
    session, _viewer = _session()
    for kind in ("length", "rectangle", "ellipse", "arrow", "freehand"):
        session.set_tool(kind)
        _click(session, (10, 10))
    assert session.document is not None and session.document.annotations == ()


def test_points_are_clamped_to_the_image() -> None:
    session, _viewer = _session()
    session.set_tool("length")
    _drag(session, (-5.0, 10.0), (100.0, 50.0))
    assert _only(session).points == ((0.0, 10.0), (float(COLUMNS), float(ROWS)))


def test_an_angle_from_three_clicks_and_from_a_drag_then_a_click() -> None:
    session, _viewer = _session()
    session.set_tool("angle")
    _click(session, (10, 10))
    session.move((20, 12), TOL)
    preview = session.preview()
    assert preview is not None and preview.points == ((10, 10), (20, 12))
    _click(session, (20, 20))
    assert session.document is not None and session.document.annotations == ()
    session.move((30, 20), TOL)
    label = session.preview_label()
    assert label is not None and label.lines == ("135.0°",)
    _click(session, (30, 20))
    assert _only(session).points == ((10, 10), (20, 20), (30, 20))
    session.document.undo()
    _drag(session, (10, 30), (20, 30))  # the first arm dragged
    _click(session, (20, 20))
    assert _only(session).points == ((10, 30), (20, 30), (20, 20))
    assert session.label(_only(session)).lines == ("90.0°",)


def test_a_freehand_outline_keeps_the_dragged_points() -> None:
    session, _viewer = _session()
    session.set_tool("freehand")
    session.press((10, 10), TOL)
    for point in ((20, 10), (20.1, 10), (20, 20), (10, 20)):
        session.move(point, TOL)
    session.release((10, 20), TOL)
    # (20.1, 10) is closer than a quarter tolerance to the point before: not kept.
    assert _only(session).points == ((10, 10), (20, 10), (20, 20), (10, 20))


def test_text_asks_for_its_label_and_a_cancelled_one_adds_nothing() -> None:
    session, _viewer = _session()
    session.set_tool("text")
    assert _click(session, (12.5, 7.5)) == "ask_text"
    assert session.finish_pending(None) is None
    assert session.document is not None and session.document.annotations == ()
    assert _click(session, (12.5, 7.5)) == "ask_text"
    added = session.finish_pending("  the cyst ")
    assert added is not None and _only(session).points == ((12.5, 7.5),)
    assert _only(session).text == "the cyst"


def test_an_arrow_takes_an_optional_label_in_one_undo_step() -> None:
    session, _viewer = _session()
    session.set_tool("arrow")
    assert _drag(session, (5, 5), (25, 15)) == "ask_label"
    session.finish_pending("here")
    arrow = _only(session)
    assert (arrow.points, arrow.text) == (((5, 5), (25, 15)), "here")
    assert session.document is not None and session.document.undo_description == "Add arrow"
    assert _drag(session, (5, 30), (25, 30)) == "ask_label"
    unlabelled = session.finish_pending(None)
    assert unlabelled is not None and unlabelled.text == ""


def test_escape_cancels_a_drawing_under_way() -> None:
    session, _viewer = _session()
    session.set_tool("angle")
    _click(session, (10, 10))
    _click(session, (20, 20))
    assert session.busy and session.cancel()
    _click(session, (30, 30))
    assert session.document is not None and session.document.annotations == ()
    assert session.preview() is not None and len(session.preview().points) == 1  # type: ignore[union-attr]


def test_a_drawing_is_dropped_when_the_frame_changes() -> None:
    session, viewer = _session()
    session.set_tool("angle")
    _click(session, (10, 10))
    viewer.step(1)
    assert not session.busy and session.preview() is None


def _annotation(kind: str, points: list[tuple[float, float]], text: str = "") -> Annotation:
    return Annotation(kind, tuple(points), STUDY, SERIES, f"{SERIES}.0", 0,  # type: ignore[arg-type]
                      text)


def test_distances_to_each_kind_of_shape() -> None:
    line = _annotation("length", [(0, 0), (10, 0)])
    assert distance_to(line, (5, 3)) == 3.0
    assert distance_to(line, (13, 4)) == 5.0  # past the end: to the end
    rectangle = _annotation("rectangle", [(0, 0), (10, 20)])
    assert distance_to(rectangle, (5, 10)) == 5.0  # the middle is far from every edge
    assert distance_to(rectangle, (11, 10)) == 1.0
    ellipse = _annotation("ellipse", [(0, 0), (20, 10)])
    assert distance_to(ellipse, (10, 10)) == pytest.approx(0.0, abs=1e-9)
    assert distance_to(ellipse, (10, 5)) == pytest.approx(5.0, abs=0.01)
    assert distance_to(ellipse, (23, 5)) == pytest.approx(3.0, abs=0.01)
    outline = _annotation("freehand", [(0, 0), (10, 0), (10, 10)])
    assert distance_to(outline, (4, 6)) == pytest.approx(2 ** 0.5, abs=1e-9)  # closing edge
    text = _annotation("text", [(5, 5)], "x")
    assert distance_to(text, (5, 9)) == 2.0  # an anchor is reached from twice as far


def test_hit_picks_the_nearest_and_on_a_tie_the_top_one() -> None:
    first = _annotation("length", [(0, 0), (10, 0)])
    second = _annotation("length", [(0, 0), (10, 0)])
    third = _annotation("length", [(0, 5), (10, 5)])
    assert hit((first, second, third), (5, 1), TOL) is second
    assert hit((first, second, third), (5, 4), TOL) is third
    assert hit((first, second, third), (5, 2.5), 1.0) is None
    assert handle_at(third, (9.5, 5.5), TOL) == 1
    assert handle_at(third, (5, 5), TOL) is None


def _draw_length(session: AnnotationSession) -> Annotation:
    session.set_tool("length")
    _drag(session, (10, 10), (30, 10))
    session.set_tool("select")
    return _only(session)


def test_select_and_move_by_drag_is_one_undoable_step() -> None:
    session, _viewer = _session()
    length = _draw_length(session)
    assert _drag(session, (20, 11), (25, 16)) == "handled"
    assert session.selected_id == length.id
    moved = _only(session)
    assert moved.points == ((15, 15), (35, 15))
    document = session.document
    assert document is not None and document.undo_description == "Move length"
    assert session.undo() == "Move length" and _only(session).points == length.points
    assert session.redo() == "Move length" and _only(session).points == moved.points


def test_a_move_stops_at_the_image_edge() -> None:
    session, _viewer = _session()
    _draw_length(session)
    _drag(session, (20, 10), (-50, -50))
    assert _only(session).points == ((0, 0), (20, 0))


def test_dragging_a_handle_edits_one_point() -> None:
    session, _viewer = _session()
    _draw_length(session)
    _click(session, (20, 10))  # select
    _drag(session, (30, 10), (30, 30))
    assert _only(session).points == ((10, 10), (30, 30))
    assert session.document is not None and session.document.undo_description == "Edit length"


def test_a_click_on_empty_image_deselects_and_is_left_to_the_view() -> None:
    session, _viewer = _session()
    _draw_length(session)
    _click(session, (20, 10))
    assert session.selected_id
    assert session.press((20, 30), TOL) == "ignored"
    session.release((20, 30), TOL)
    assert session.selected_id == ""


def test_delete_selected_then_undo_and_redo() -> None:
    session, _viewer = _session()
    length = _draw_length(session)
    assert not session.delete_selected()
    _click(session, (20, 10))
    assert session.delete_selected()
    assert session.document is not None and session.document.annotations == ()
    assert session.undo() == "Delete length" and _only(session) == length
    assert session.redo() == "Delete length" and session.document.annotations == ()


def test_double_click_on_a_label_edits_it() -> None:
    session, _viewer = _session()
    session.set_tool("text")
    _click(session, (10, 10))
    session.finish_pending("old")
    session.set_tool("select")
    assert session.double_click((30, 30), TOL) == "ignored"
    assert session.double_click((10.5, 10.5), TOL) == "edit_label"
    assert not session.set_label("   ")  # a text label cannot be emptied
    assert session.set_label("new")
    assert _only(session).text == "new"
    assert session.document is not None and session.document.undo_description == (
        "Edit text label")


def test_annotations_shown_are_those_of_the_frame_on_screen() -> None:
    session, viewer = _session()
    length = _draw_length(session)
    assert session.shown() == (length,)
    viewer.step(1)
    assert session.shown() == ()
    viewer.step(-1)
    assert session.shown() == (length,)


def test_labels_are_the_side_lists_values_and_say_when_uncalibrated() -> None:
    session, _viewer = _session()
    length = _draw_length(session)
    assert session.label(length).lines == ("10 mm",)
    assert session.label(length).warning == ""
    session.set_tool("rectangle")
    _drag(session, (10, 0), (20, 10))
    rectangle = session.document.annotations[-1]  # type: ignore[union-attr]
    lines = session.label(rectangle).lines
    assert lines[0] == "Area 25 mm²"
    assert any("14.5" in line for line in lines)  # mean HU of columns 10..19

    bare, _viewer = _session(spacing=None)
    length = _draw_length(bare)
    label = bare.label(length)
    # On the image the orange mark says it once; the value line does not repeat it.
    assert label.lines == ("20 px",) and label.warning == UNCALIBRATED_MARK
    assert UNCALIBRATED_MARK == "Uncalibrated: pixels, not mm"
    bare.set_tool("rectangle")
    _drag(bare, (10, 0), (20, 10))
    region = bare.label(bare.document.annotations[-1])  # type: ignore[union-attr]
    assert region.lines[0] == "Area 100 px²" and region.warning == UNCALIBRATED_MARK


def test_the_label_of_a_changed_annotation_is_computed_again() -> None:
    session, _viewer = _session()
    _draw_length(session)
    _click(session, (20, 10))
    _drag(session, (30, 10), (50, 10))
    assert session.label(_only(session)).lines == ("20 mm",)


def test_a_failed_save_is_said_in_one_sentence() -> None:
    from app.core.errors import LibraryError

    session, _viewer = _session()
    document = session.document
    assert document is not None

    def failing(_annotations: tuple[Annotation, ...]) -> None:
        raise LibraryError("The library is busy; your drawing is kept and saved later.")

    messages: list[str] = []
    session.message.connect(messages.append)
    document.persist_to(failing)
    assert messages == ["The library is busy; your drawing is kept and saved later."]


def test_a_disc_drawn_on_before_its_import_is_kept_in_the_library_after_it(
    tmp_path: Path
) -> None:
    disc = write_small_disc(tmp_path / "disc")
    study = run_to_report(LibraryService(tmp_path / "other").import_media(disc),
                          ImportReport).study_instance_uids[0]
    library = LibraryService(tmp_path / "home")
    session, _viewer = _session(library=library, study=study)
    assert session.document is not None and not session.document.persistent
    length = _draw_length(session)
    run_to_report(library.import_media(disc), ImportReport)
    session.library_changed()
    assert session.document.persistent
    assert library.annotations(study) == [length]
    _click(session, (20, 10))
    assert session.delete_selected()
    assert library.annotations(study) == []


def test_a_study_already_in_the_library_brings_its_saved_drawings(tmp_path: Path) -> None:
    disc = write_small_disc(tmp_path / "disc")
    library = LibraryService(tmp_path / "home")
    study = run_to_report(library.import_media(disc), ImportReport).study_instance_uids[0]
    session, _viewer = _session(library=library, study=study)
    length = _draw_length(session)
    again, _viewer = _session(library=library, study=study)
    assert again.document is not None and again.document.persistent
    assert again.document.annotations == (length,)


def test_a_header_not_at_hand_is_asked_for_once_and_the_value_shows_when_it_comes() -> None:
    header = _header((0.5, 0.5))
    viewer = ViewerModel()
    session = AnnotationSession(viewer, None, headers=lambda _ref: None)
    wanted: list[InstanceRef] = []
    session.header_wanted.connect(wanted.append)
    viewer.open_source(OpenSource("medium", Path("/media/disc.iso")))
    ref = _ref(0)
    viewer.set_tree(build_tree([ref]))
    viewer.frame_loaded((ref.path, 0), LoadedFrame(_frame(header), 1, ref))
    length = _draw_length(session)
    assert session.label(length).lines == ()
    assert session.label(length).lines == ()
    assert wanted == [ref]
    session.header_loaded(ref.sop_instance_uid, header)
    assert session.label(length).lines == ("10 mm",)


def test_a_damaged_file_on_a_folder_disc_gives_pixels_not_a_crash(tmp_path: Path) -> None:
    # A "deflated" file whose data is not deflated: pydicom lets zlib.error out.
    syntax = b"1.2.840.10008.1.2.1.99"
    (tmp_path / "IMG0").write_bytes(b"\x00" * 128 + b"DICM" + b"\x02\x00\x10\x00UI"
                                    + len(syntax).to_bytes(2, "little") + syntax
                                    + b"garbage" * 10)
    header = _header((0.5, 0.5))
    viewer = ViewerModel()
    session = AnnotationSession(viewer, None)  # headers read from the folder's files
    viewer.open_source(OpenSource("medium", tmp_path))
    ref = _ref(0)
    viewer.set_tree(build_tree([ref]))
    viewer.frame_loaded((ref.path, 0), LoadedFrame(_frame(header), 1, ref))
    length = _draw_length(session)
    label = session.label(length)
    assert label.warning == UNCALIBRATED_MARK and label.lines[0].endswith(" px")
