"""The compare model without Qt: panes, linked scrolling by position or user offset, linked
window and zoom, and the plain words when series cannot be linked."""

from pathlib import Path

from pydicom.dataset import Dataset

from app.core.models import InstanceRef, PatientNode, SeriesNode, build_tree
from app.imaging.luts import Window
from app.imaging.slice_position import SliceGeometry
from app.services.compare import (
    BY_HAND,
    MIDDLES,
    NO_POSITION,
    WAITING,
    CompareLinks,
    CompareModel,
    compare_words,
    different_planes_reason,
    offered_tree,
    series_geometry,
    target_pane,
)
from app.services.viewer_model import OpenSource

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)
THIS_YEAR = OpenSource("medium", Path("/media/DISC-2025"))
LAST_YEAR = OpenSource("library", Path("/library"), "1.9")


def _series(uid: str, count: int, study: str = "1.1") -> tuple[tuple[PatientNode, ...],
                                                                 SeriesNode]:
    refs = [InstanceRef(path=f"{uid}/{i}", sop_instance_uid=f"{uid}.{i}", patient_id="ID-7",
                        patient_name="DOE^JANE", study_instance_uid=study,
                        series_instance_uid=uid, modality="CT", series_number=2,
                        instance_number=i + 1)
            for i in range(count)]
    patients = build_tree(refs)
    return patients, patients[0].studies[0].series[0]


def _geometry(series: SeriesNode, positions: list[float | None], frame: str = "FOR-1",
              orientation: tuple[float, ...] = AXIAL) -> dict[tuple[str, int], SliceGeometry]:
    return {(ref.path, 0): SliceGeometry(None if z is None else (0.0, 0.0, z), orientation,
                                         None, frame)
            for ref, z in zip(series.instances, positions, strict=True)}


def _compare(a: list[float | None], b: list[float | None], frame_a: str = "FOR-1",
             frame_b: str = "FOR-1", orientation_b: tuple[float, ...] = AXIAL,
             ) -> tuple[CompareModel, list[CompareLinks]]:
    model = CompareModel()
    seen: list[CompareLinks] = []
    model.links_changed.connect(seen.append)
    wanted: list[tuple[int, str]] = []
    model.geometry_wanted.connect(lambda w: wanted.append((w[0], w[1].series_instance_uid)))
    patients_a, series_a = _series("2.1", len(a))
    patients_b, series_b = _series("3.1", len(b), study="1.9")
    model.show(0, THIS_YEAR, patients_a, series_a)
    model.show(1, LAST_YEAR, patients_b, series_b)
    assert wanted == [(0, "2.1"), (1, "3.1")]
    assert model.links().panes[1].state == "waiting"
    assert model.links().panes[1].reason == WAITING
    model.set_geometry(0, "2.1", _geometry(series_a, a, frame_a))
    model.set_geometry(1, "3.1", _geometry(series_b, b, frame_b, orientation_b))
    return model, seen


def test_two_panes_by_default_and_four_in_two_by_two() -> None:
    model = CompareModel()
    assert len(model.viewers) == 2 and model.layout == "1x2"
    layouts: list[str] = []
    model.layout_changed.connect(layouts.append)
    first = model.viewers[0]
    model.set_layout("2x2")
    assert len(model.viewers) == 4 and model.viewers[0] is first
    model.set_layout("1x2")
    assert len(model.viewers) == 2 and layouts == ["2x2", "1x2"]
    assert [p.state for p in model.links().panes] == ["empty", "empty"]


def test_each_pane_shows_its_own_series_from_its_own_source() -> None:
    model, _ = _compare([0.0, 1.0], [0.0, 1.0, 2.0])
    a, b = model.viewers
    assert a.source == THIS_YEAR and b.source == LAST_YEAR
    assert (a.count, b.count) == (2, 3)
    assert a.series is not None and a.series.series_instance_uid == "2.1"
    assert b.series is not None and b.series.series_instance_uid == "3.1"


def test_same_frame_of_reference_scrolls_by_patient_position() -> None:
    # A: 1 mm slices from 0 to 40 mm; B: 2.5 mm slices from 40 down to 0 (head first).
    model, seen = _compare([float(z) for z in range(41)], [40.0 - 2.5 * k for k in range(17)])
    a, b = model.viewers
    assert [p.state for p in model.links().panes] == ["anchor", "linked"]
    assert model.links().panes[1].reason == "" and model.links().panes[1].offset_mm == 0.0
    assert b.index == 16  # A shows 0 mm: B's last image
    a.go_to(10)
    assert b.index == 12  # 10 mm
    a.go_to(20)
    assert b.index == 8  # 20 mm
    # Scrolling B moves A too, to the same place.
    b.step(-1)  # 22.5 mm
    assert (b.index, a.index) == (7, 22)
    assert seen[-1].scroll is True


def test_links_changed_reports_each_change_once() -> None:
    model, seen = _compare([0.0, 1.0, 2.0], [0.0, 1.0, 2.0])
    count = len(seen)
    model.viewers[0].go_to(1)
    model.viewers[0].go_to(2)
    assert len(seen) == count  # matching slices: nothing to say
    model.set_window_linked(True)
    assert len(seen) == count + 1 and seen[-1].window is True


def test_other_frame_of_reference_lines_up_middles_until_aligned_by_hand() -> None:
    # Last year: the same 0-90 mm of the body, 5 mm slices, in coordinates 300 mm lower.
    this_year = [float(z) for z in range(0, 91, 5)]  # 19 slices
    last_year = [z - 300.0 for z in range(0, 91, 5)]
    model, _ = _compare(this_year, last_year, frame_b="FOR-2")
    a, b = model.viewers
    link = model.links().panes[1]
    assert (link.state, link.reason, link.offset_mm) == ("linked", MIDDLES, -300.0)
    a.go_to(6)
    assert b.index == 6
    # The user sees that B's slice 8 is A's slice 6 and lines them up.
    model.set_scroll_linked(False)
    b.go_to(8)
    assert a.index == 6
    model.set_alignment()
    link = model.links().panes[1]
    assert (link.state, link.reason, link.offset_mm, link.aligned_by_user) == (
        "linked", BY_HAND, -290.0, True)
    a.go_to(10)
    assert b.index == 12
    a.go_to(17)  # 85 mm -> last year's 95 mm: beyond its last slice
    assert b.index == 18
    assert model.links().panes[1].note == (
        "This scan does not reach this far: it shows its last picture.")
    a.go_to(2)
    assert b.index == 4 and model.links().panes[1].note == ""


def test_the_offset_is_kept_for_another_series_of_the_same_two_scans() -> None:
    model, _ = _compare([float(z) for z in range(0, 50, 5)], [z - 300.0 for z in range(0, 50, 5)],
                        frame_b="FOR-2")
    a, b = model.viewers
    model.set_scroll_linked(False)
    a.go_to(2)
    b.go_to(3)
    model.set_alignment()  # offset -295 mm
    patients, other = _series("3.2", 10, study="1.9")
    model.show(1, LAST_YEAR, patients, other)
    model.set_geometry(1, "3.2", _geometry(other, [z - 300.0 for z in range(0, 50, 5)],
                                           "FOR-2"))
    assert model.links().panes[1].offset_mm == -295.0
    assert model.links().panes[1].aligned_by_user
    assert b.index == 3  # followed A (slice 2, 10 mm) at once: -285 mm


def test_a_gap_and_a_missing_position_are_said() -> None:
    model, _ = _compare([float(z) for z in range(11)],
                        [0.0, 1.0, 2.0, 3.0, 8.0, 9.0, 10.0])
    a, b = model.viewers
    a.go_to(5)
    assert b.index == 3
    assert model.links().panes[1].note == (
        "This scan has no picture at this place; the nearest is 2.0 mm away.")
    model2, _ = _compare([0.0, None, 2.0], [0.0, 1.0, 2.0])
    a2, b2 = model2.viewers
    a2.go_to(2)
    a2.go_to(1)
    assert b2.index == 2  # stays where it was
    assert model2.links().panes[0].note == "This picture does not say where it lies in the body."
    assert model2.links().panes[1].note == ""


def test_axial_and_sagittal_are_not_linked_and_say_why() -> None:
    model, _ = _compare([0.0, 5.0, 10.0], [0.0, 3.0, 6.0], orientation_b=SAGITTAL)
    a, b = model.viewers
    link = model.links().panes[1]
    assert link.state == "unlinkable"
    assert link.reason == ("These pictures are cut from the side and the first series "
                           "across the body, so they cannot scroll together.")
    a.go_to(2)
    assert b.index == 0


def test_the_simple_view_says_set_of_pictures_where_the_full_view_says_series() -> None:
    model, seen = _compare([0.0, 5.0, 10.0], [0.0, 3.0, 6.0], orientation_b=SAGITTAL)
    full = ("These pictures are cut from the side and the first series across the body, so "
            "they cannot scroll together.")
    assert model.links().panes[1].reason == full
    model.set_plain_words(True)
    assert seen[-1].panes[1].reason == (
        "These pictures are cut from the side and the first set of pictures across the "
        "body, so they cannot scroll together.")
    model.set_plain_words(False)
    assert seen[-1].panes[1].reason == full


def test_the_compare_pages_words_in_each_view() -> None:
    plain, full = compare_words(True), compare_words(False)
    assert (plain.empty_pane, full.empty_pane) == (
        "Drag a set of pictures here, or click one in the list on the left.",
        "Drag a series here, or click one in the list on the left.")
    assert (plain.current_pane, full.current_pane) == (
        "A set of pictures clicked in the list is shown here.",
        "A series clicked in the list is shown here.")
    assert (plain.list_name, full.list_name) == ("Sets of pictures to compare",
                                                 "Series to compare")
    tilted = (0.0, 0.0, 1.0), (0.0, 0.3, 0.95)
    assert different_planes_reason(*tilted, plain=True) == (
        "These pictures are tilted differently from the first set of pictures, so they "
        "cannot scroll together with it.")
    assert different_planes_reason(*tilted) == (
        "These pictures are tilted differently from the first series, so they cannot "
        "scroll together with it.")


def test_a_series_without_positions_is_not_linked() -> None:
    model, _ = _compare([0.0, 5.0], [None, None])
    assert model.links().panes[1].state == "unlinkable"
    assert model.links().panes[1].reason == NO_POSITION
    model.viewers[0].go_to(1)
    assert model.viewers[1].index == 0


def test_four_panes_follow_whichever_is_scrolled() -> None:
    model = CompareModel("2x2")
    positions = [[float(z) for z in range(0, 20)],  # 1 mm
                 [z * 2.0 for z in range(10)],  # 2 mm
                 [z * 4.0 - 100.0 for z in range(5)],  # other scan, 4 mm
                 [19.0 - z for z in range(20)]]  # reversed
    frames = ["FOR-1", "FOR-1", "FOR-2", "FOR-1"]
    for pane, (zs, frame) in enumerate(zip(positions, frames, strict=True)):
        patients, series = _series(f"2.{pane + 1}", len(zs))
        model.show(pane, THIS_YEAR, patients, series)
        model.set_geometry(pane, series.series_instance_uid, _geometry(series, zs, frame))
    assert [p.state for p in model.links().panes] == ["anchor", "linked", "linked", "linked"]
    model.viewers[1].go_to(4)  # 8 mm
    assert [v.index for v in model.viewers] == [8, 4, 2, 11]
    assert model.links().panes[2].offset_mm == -100.0 + 8.0 - 9.5  # middles lined up


def test_linked_window_and_zoom_on_request() -> None:
    model, _ = _compare([0.0, 1.0], [0.0, 1.0])
    a, b = model.viewers
    a.set_state(a.state.with_window(40, 400))
    assert b.state.voi is None  # not linked yet
    model.set_window_linked(True)
    assert b.state.voi == Window(40, 400)
    b.invert()
    assert a.state.invert and a.state.voi == Window(40, 400)
    a.zoom_by(2.0)
    assert b.fit and b.state.zoom == 1.0  # zoom not linked
    model.set_zoom_linked(True)
    assert not b.fit and b.state.zoom == a.state.zoom
    model.set_window_linked(False)
    a.set_state(a.state.with_window(500, 2000))
    assert b.state.voi == Window(40, 400)
    # A series dropped on a pane takes the linked zoom of the others.
    patients, series = _series("3.5", 2, study="1.9")
    model.show(1, LAST_YEAR, patients, series)
    assert not b.fit and b.state.zoom == a.state.zoom


def test_geometry_for_another_series_is_ignored() -> None:
    model = CompareModel()
    patients, series = _series("2.1", 2)
    model.show(0, THIS_YEAR, patients, series)
    model.set_geometry(0, "9.9", _geometry(series, [0.0, 1.0]))
    assert model.links().panes[0].state == "waiting"
    model.set_geometry(0, "2.1", {})  # no file could be read
    assert model.links().panes[0].state == "unlinkable"


def test_series_geometry_reads_each_header_and_skips_unreadable_files() -> None:
    _, series = _series("2.1", 3)

    def header(path: str) -> Dataset:
        if path.endswith("/1"):
            raise OSError("gone")
        ds = Dataset()
        ds.ImagePositionPatient = [0, 0, int(path.split("/")[1]) * 3]
        ds.ImageOrientationPatient = list(AXIAL)
        ds.FrameOfReferenceUID = "1.2.3"
        return ds

    found = series_geometry(header, series)
    assert sorted(found) == [("2.1/0", 0), ("2.1/2", 0)]
    assert found[("2.1/2", 0)] == SliceGeometry((0.0, 0.0, 6.0), AXIAL, None, "1.2.3")


def test_frames_of_multiframe_files_are_placed_one_by_one() -> None:
    # Series A: one enhanced file of 4 frames, 2 mm apart; B: single frames 1 mm apart.
    ref = InstanceRef(path="mf/1", sop_instance_uid="mf.1", patient_id="ID-7",
                      study_instance_uid="1.1", series_instance_uid="4.1", modality="MR",
                      series_number=4, instance_number=1, number_of_frames=4)
    patients = build_tree([ref])
    multi = patients[0].studies[0].series[0]
    model = CompareModel()
    model.show(0, THIS_YEAR, patients, multi)
    model.set_geometry(0, "4.1", {("mf/1", f): SliceGeometry((0.0, 0.0, 2.0 * f), AXIAL, None,
                                                             "FOR-1") for f in range(4)})
    patients_b, single = _series("3.1", 7)
    model.show(1, THIS_YEAR, patients_b, single)
    model.set_geometry(1, "3.1", _geometry(single, [float(z) for z in range(7)]))
    a, b = model.viewers
    assert a.count == 4
    a.go_to(3)  # frame 3: 6 mm
    assert b.index == 6
    b.go_to(2)
    assert a.index == 1


def _study(uid: str, date: str, patient_id: str = "ID-7") -> tuple[PatientNode, ...]:
    return build_tree([InstanceRef(path=f"{uid}/1", sop_instance_uid=f"{uid}.1",
                                   patient_id=patient_id, patient_name="DOE^JANE",
                                   study_instance_uid=uid, study_date=date,
                                   series_instance_uid=f"{uid}.s", modality="CT")])


def test_the_offered_series_list_each_study_once_under_its_patient() -> None:
    now, before = _study("2.1", "20240312"), _study("2.2", "20220310")
    elsewhere = _study("2.3", "20230101", patient_id="B77")
    tree = offered_tree([now, before, now, elsewhere])
    assert [(p.patient_id, [s.study_instance_uid for s in p.studies]) for p in tree] == [
        ("ID-7", ["2.2", "2.1"]), ("B77", ["2.3"])]
    assert offered_tree([]) == ()


def test_a_series_chosen_in_the_list_goes_to_the_chosen_pane_else_the_first_empty() -> None:
    assert target_pane(None, [0, 1], 2) == 0
    assert target_pane(None, [1, 3], 4) == 1
    assert target_pane(None, [], 2) == 1  # all full: the last one
    assert target_pane(0, [1], 2) == 0  # the pane the user clicked, even when full
    assert target_pane(3, [0], 2) == 0  # a pane gone with the four-pane layout
    assert target_pane(None, [5], 2) == 1


def test_the_model_remembers_the_pane_last_chosen_until_it_is_gone() -> None:
    model = CompareModel()
    assert model.current_pane is None and model.pane_for_choice() == 0
    patients, series = _series("2.1", 2)
    model.show(0, THIS_YEAR, patients, series)
    assert model.pane_for_choice() == 1
    model.show(1, THIS_YEAR, patients, series)
    assert model.pane_for_choice() == 1
    model.set_current_pane(0)
    assert model.pane_for_choice() == 0
    model.set_current_pane(7)  # no such pane: ignored
    assert model.current_pane == 0
    model.set_layout("2x2")
    model.set_current_pane(3)
    assert model.pane_for_choice() == 3
    model.set_layout("1x2")
    assert model.current_pane is None and model.pane_for_choice() == 1
