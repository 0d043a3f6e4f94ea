"""Slice positions along the normal and the mapping of one series' slices onto another's."""

import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from app.imaging.slice_position import (
    SliceGeometry,
    SliceMapper,
    header_geometries,
    linkage,
    plane_normal,
    slice_geometry,
    stack_positions,
)

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)  # normal +z (towards the head)
AXIAL_FLIPPED = (1.0, 0.0, 0.0, 0.0, -1.0, 0.0)  # normal -z
SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)  # normal -x
FRAME = "1.2.3.4"


def _axial(zs: list[float | None], frame: str = FRAME, orientation: tuple[float, ...] = AXIAL,
           ) -> list[SliceGeometry | None]:
    return [None if z is None else SliceGeometry((-100.0, -120.0, z), orientation, None, frame)
            for z in zs]


def _stack(zs: list[float | None], frame: str = FRAME,
           orientation: tuple[float, ...] = AXIAL) -> object:
    return stack_positions(_axial(zs, frame, orientation))


def test_normal_is_the_cross_product_of_row_and_column() -> None:
    assert plane_normal(AXIAL) == (0.0, 0.0, 1.0)
    assert plane_normal(SAGITTAL) == (-1.0, 0.0, 0.0)
    assert plane_normal((1, 0, 0, 1, 0, 0)) is None  # parallel directions: no plane
    assert plane_normal(None) is None


def test_positions_are_image_position_along_the_normal() -> None:
    stack = stack_positions(_axial([10.0, 12.5, 15.0]))
    assert stack.source == "position"
    assert stack.positions == (10.0, 12.5, 15.0)
    assert stack.spacing == 2.5
    assert stack.middle == 12.5
    # Opposite normal: the same points measure negative along it.
    flipped = stack_positions(_axial([10.0, 12.5], orientation=AXIAL_FLIPPED))
    assert flipped.positions == (-10.0, -12.5)


def test_slice_location_is_the_fallback_without_image_position() -> None:
    geometries = [SliceGeometry(None, AXIAL, z, FRAME) for z in (-40.0, -35.0, -30.0)]
    stack = stack_positions(geometries)
    assert stack.source == "slice-location"
    assert stack.positions == (-40.0, -35.0, -30.0)
    # A series with neither places nothing.
    none = stack_positions([SliceGeometry(None, AXIAL, None, FRAME)] * 2)
    assert none.source == "none" and none.known == []


def test_image_position_wins_when_it_places_as_many_slices() -> None:
    geometries = [SliceGeometry((0.0, 0.0, z), AXIAL, 1000.0 + z, FRAME) for z in (1.0, 2.0)]
    assert stack_positions(geometries).positions == (1.0, 2.0)


def test_a_slice_in_another_plane_gets_no_position() -> None:
    geometries = _axial([0.0, 5.0, 10.0])
    geometries.append(SliceGeometry((3.0, 0.0, 0.0), SAGITTAL, None, FRAME))
    stack = stack_positions(geometries)
    assert stack.positions == (0.0, 5.0, 10.0, None)


def test_same_spacing_same_frame_maps_one_to_one() -> None:
    a = stack_positions(_axial([float(z) for z in range(10)]))
    b = stack_positions(_axial([float(z) for z in range(10)]))
    mapper = SliceMapper(a, b)
    assert [mapper.match(i).index for i in range(10)] == list(range(10))
    assert mapper.match(3).kind == "match"


def test_one_mm_against_two_and_a_half_mm() -> None:
    a = stack_positions(_axial([float(z) for z in range(0, 21)]))  # 0..20 mm every 1 mm
    b = stack_positions(_axial([z * 2.5 for z in range(0, 9)]))  # 0..20 mm every 2.5 mm
    fine_to_coarse = SliceMapper(a, b)
    assert [fine_to_coarse.match(i).index for i in range(21)] == [
        0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7, 8, 8]
    assert all(fine_to_coarse.match(i).kind == "match" for i in range(21))
    coarse_to_fine = SliceMapper(b, a)
    # 2.5 mm -> between slices 2 and 3: the tie goes to the lower index.
    assert [coarse_to_fine.match(i).index for i in range(9)] == [0, 2, 5, 7, 10, 12, 15, 17, 20]


def test_reversed_order_maps_by_position_not_by_index() -> None:
    a = stack_positions(_axial([0.0, 5.0, 10.0, 15.0]))
    b = stack_positions(_axial([15.0, 10.0, 5.0, 0.0]))  # head first
    mapper = SliceMapper(a, b)
    assert [mapper.match(i).index for i in range(4)] == [3, 2, 1, 0]


def test_opposite_normals_map_through_image_position() -> None:
    a = stack_positions(_axial([0.0, 5.0, 10.0]))
    b = stack_positions(_axial([0.0, 5.0, 10.0], orientation=AXIAL_FLIPPED))
    assert linkage(a, b).linkable
    assert [SliceMapper(a, b).match(i).index for i in range(3)] == [0, 1, 2]


def test_beyond_either_end_names_which_end() -> None:
    a = stack_positions(_axial([float(z) for z in range(0, 100, 5)]))
    b = stack_positions(_axial([float(z) for z in range(30, 60, 5)]))  # 30..55, 6 slices
    mapper = SliceMapper(a, b)
    low = mapper.match(0)  # 0 mm: below B's first slice
    assert (low.kind, low.index, low.distance_mm) == ("before-start", 0, 30.0)
    high = mapper.match(19)  # 95 mm
    assert (high.kind, high.index, high.distance_mm) == ("after-end", 5, 40.0)
    # B stored the other way round: its first image is the top one.
    reversed_b = stack_positions(_axial([float(z) for z in range(55, 25, -5)]))
    flipped = SliceMapper(a, reversed_b)
    assert (flipped.match(0).kind, flipped.match(0).index) == ("after-end", 5)
    assert (flipped.match(19).kind, flipped.match(19).index) == ("before-start", 0)


def test_a_gap_in_b_is_no_matching_slice() -> None:
    a = stack_positions(_axial([float(z) for z in range(0, 11)]))
    b = stack_positions(_axial([0.0, 1.0, 2.0, 3.0, 8.0, 9.0, 10.0]))  # 4..7 missing
    mapper = SliceMapper(a, b)
    assert mapper.match(3).kind == "match"
    gap = mapper.match(5)
    assert (gap.kind, gap.index, gap.distance_mm) == ("gap", 3, 2.0)
    assert mapper.match(6).index == 4  # nearer to 8 mm than to 3 mm
    assert mapper.match(8) .kind == "match"


def test_missing_positions_are_skipped_and_unknown() -> None:
    a = stack_positions(_axial([0.0, None, 2.0, 3.0]))
    b = stack_positions(_axial([0.0, 1.0, None, 3.0]))
    mapper = SliceMapper(a, b)
    assert mapper.match(1).kind == "unknown" and mapper.match(1).index is None
    # A at 2 mm: B's slice at 2 mm has no position; its neighbours are 1 mm away.
    two = mapper.match(2)
    assert (two.kind, two.index) == ("gap", 1)
    assert mapper.match(3).index == 3


def test_user_offset_maps_a_position_onto_another_frame_of_reference() -> None:
    # Last year's scan: 2.5 mm slices in another coordinate system, the table 312 mm lower.
    a = stack_positions(_axial([float(z) for z in range(-100, -50)], frame="1.1"))
    b = stack_positions(_axial([z * 2.5 - 412.0 for z in range(20)], frame="2.2"))
    link = linkage(a, b)
    assert link.linkable and not link.same_frame
    mapper = SliceMapper(a, b)
    # The user lines up A's slice 10 (-90 mm) with B's slice 4 (-402 mm) once.
    offset = mapper.offset_of(10, 4)
    assert offset == -312.0
    assert mapper.match(10, offset).index == 4
    assert mapper.match(15, offset).index == 6  # -85 -> -397, B's slice 6 (-397 mm)
    assert mapper.match(20, offset).index == 8  # -80 -> -392
    assert mapper.match(49, offset).kind == "after-end"


def test_linking_needs_parallel_planes_and_positions() -> None:
    axial = stack_positions(_axial([0.0, 5.0]))
    sagittal = stack_positions(
        [SliceGeometry((x, 0.0, 0.0), SAGITTAL, None, FRAME) for x in (0.0, 3.0)])
    assert linkage(axial, sagittal).problem == "different-planes"
    nothing = stack_positions([None, None])
    assert linkage(nothing, axial).problem == "no-position-a"
    assert linkage(axial, nothing).problem == "no-position-b"
    same = linkage(axial, stack_positions(_axial([1.0])))
    assert same.linkable and same.same_frame
    # A slight tilt (10 degrees) between visits still links.
    tilted = (1.0, 0.0, 0.0, 0.0, 0.98481, 0.17365)
    assert linkage(axial, stack_positions(_axial([0.0], orientation=tilted))).linkable
    # No Frame of Reference on either side is never "the same".
    assert not linkage(stack_positions(_axial([0.0], frame="")),
                       stack_positions(_axial([0.0], frame=""))).same_frame


def test_slice_location_series_map_by_slice_location() -> None:
    a = stack_positions([SliceGeometry(None, AXIAL, z, "") for z in (0.0, 2.0, 4.0, 6.0)])
    b = stack_positions([SliceGeometry(None, None, z, "") for z in (0.0, 3.0, 6.0)])
    mapper = SliceMapper(a, b)
    assert [mapper.match(i).index for i in range(4)] == [0, 1, 1, 2]


def test_a_single_slice_matches_within_the_other_spacing() -> None:
    a = stack_positions(_axial([0.0, 2.0, 4.0, 6.0]))
    b = stack_positions(_axial([4.5]))
    mapper = SliceMapper(a, b)
    assert mapper.match(2).kind == "match"
    assert (mapper.match(0).kind, mapper.match(0).index) == ("before-start", 0)
    assert mapper.match(3).kind == "after-end"


def _ds(**values: object) -> Dataset:
    ds = Dataset()
    for key, value in values.items():
        setattr(ds, key, value)
    return ds


def test_geometry_from_a_classic_header() -> None:
    ds = _ds(ImagePositionPatient=["-100", "-120", "37.5"],
             ImageOrientationPatient=["1", "0", "0", "0", "1", "0"],
             SliceLocation="37.5", FrameOfReferenceUID=FRAME)
    geometry = slice_geometry(ds)
    assert geometry == SliceGeometry((-100.0, -120.0, 37.5), AXIAL, 37.5, FRAME)


def test_geometry_of_a_damaged_header_is_empty() -> None:
    ds = Dataset()
    for tag, raw in ((0x00200032, b"garbage "), (0x00201041, b"nan "),
                     (0x00200037, b"1\\0\\0")):
        ds[tag] = RawDataElement(BaseTag(tag), "DS", len(raw), raw, 0, False, True)
    assert slice_geometry(ds) == SliceGeometry()


def test_geometry_per_frame_of_an_enhanced_multiframe() -> None:
    frames = []
    for z in (5.0, 7.0, 9.0):
        item = Dataset()
        item.PlanePositionSequence = [_ds(ImagePositionPatient=[0, 0, z])]
        frames.append(item)
    shared = Dataset()
    shared.PlaneOrientationSequence = [_ds(ImageOrientationPatient=list(AXIAL))]
    ds = _ds(NumberOfFrames="3", FrameOfReferenceUID=FRAME, SliceLocation="99")
    ds.PerFrameFunctionalGroupsSequence = frames
    ds.SharedFunctionalGroupsSequence = [shared]
    geometries = header_geometries(ds)
    assert [g.position for g in geometries] == [(0.0, 0.0, 5.0), (0.0, 0.0, 7.0),
                                                (0.0, 0.0, 9.0)]
    assert all(g.orientation == AXIAL and g.slice_location is None for g in geometries)
    assert stack_positions(geometries).positions == (5.0, 7.0, 9.0)


@pytest.mark.parametrize("count", [0, 1])
def test_too_few_slices_have_no_spacing(count: int) -> None:
    assert stack_positions(_axial([0.0] * count)).spacing is None
