"""What the session gives for a slice not on screen, so its drawings' picture can be made
ahead: its annotations and the same values it shows once that slice is on screen."""

from pathlib import Path

from app.core.models import build_tree
from app.services.annotation_session import AnnotationSession
from app.services.viewer_model import OpenSource, ViewerModel
from app.services.viewing import LoadedFrame
from tests.services.test_annotation_session import _drag, _frame, _header, _ref, _session


def test_a_slice_off_screen_gives_its_annotations_and_the_values_shown_on_it() -> None:
    session, viewer = _session()
    session.set_tool("rectangle")
    _drag(session, (10, 0), (20, 10))
    rectangle = session.shown()[0]
    viewer.step(1)
    assert session.shown() == ()
    first = _ref(0)
    assert session.shown_on(first.sop_instance_uid, 0) == (rectangle,)
    assert session.shown_on(first.sop_instance_uid, 1) == ()
    values = viewer.cache.get((first.path, 0))
    assert values is not None
    ahead = session.label_on(rectangle, first, 0, values.frame)  # type: ignore[arg-type]
    assert ahead is not None and ahead.lines[0] == "Area 25 mm²"
    assert any("14.5" in line for line in ahead.lines)  # mean HU of columns 10..19
    viewer.step(-1)
    assert session.label(rectangle) == ahead


def test_a_header_not_read_gives_no_value_ahead_and_its_arrival_counts_for_that_image_only(
) -> None:
    header = _header((0.5, 0.5))
    viewer = ViewerModel()
    session = AnnotationSession(viewer, None, headers=lambda _ref: None)
    viewer.open_source(OpenSource("medium", Path("/media/disc.iso")))
    refs = [_ref(0), _ref(1)]
    viewer.set_tree(build_tree(refs))
    viewer.frame_loaded((refs[0].path, 0), LoadedFrame(_frame(header), 1, refs[0]))
    session.set_tool("length")
    _drag(session, (0, 0), (20, 0))
    length = session.shown()[0]
    assert session.label_on(length, refs[0], 0, None) is None
    before = [session.labels_revision_on(r.sop_instance_uid) for r in refs]
    session.header_loaded(refs[0].sop_instance_uid, header)
    after = [session.labels_revision_on(r.sop_instance_uid) for r in refs]
    assert after[0] != before[0] and after[1] == before[1]
    label = session.label_on(length, refs[0], 0, None)
    assert label is not None and label.lines == ("10 mm",)
    viewer.open_source(OpenSource("medium", Path("/media/other.iso")))
    assert session.labels_revision_on(refs[1].sop_instance_uid) != after[1]
