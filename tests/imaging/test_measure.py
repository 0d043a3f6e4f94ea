"""Measurements: exact lengths, angles and areas, and statistics in modality units."""

import math
import random
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut
from pydicom.sequence import Sequence

from app.imaging.attributes import grey_attributes
from app.imaging.calibration import UNCALIBRATED, Calibration, ImageCalibration, frame_calibration
from app.imaging.decode import open_image
from app.imaging.measure import (
    Ellipse,
    Polygon,
    Rectangle,
    Region,
    angle,
    area,
    measure_angle,
    measure_length,
    measure_region,
    region_mask,
    region_statistics,
    value_unit,
)
from app.imaging.render import GreyFrame, prepare_frame
from app.imaging.viewport import ROTATIONS, orient, orient_point

SPACING = Calibration(0.5, 0.25, "pixel spacing", "mm")  # Rows 0.5 mm apart, columns 0.25.


def _ct(stored: np.ndarray, slope: float = 2.0, intercept: float = -1024.0) -> GreyFrame:
    """A CT frame as the viewer prepares it, from a header with a rescale."""
    header = Dataset()
    header.Modality = "CT"
    header.RescaleSlope = slope
    header.RescaleIntercept = intercept
    signed = stored.dtype.kind == "i"
    return GreyFrame(stored, grey_attributes(header, 0, "MONOCHROME2", signed), "CT")


# -- lengths and angles ------------------------------------------------------------------


def test_length_in_pixels_and_millimetres() -> None:
    assert measure_length((1, 1), (4, 5), ImageCalibration(UNCALIBRATED)).value == 5.0
    measured = measure_length((0, 0), (12, 4), ImageCalibration(SPACING))
    # 12 columns × 0.25 mm = 3 mm across, 4 rows × 0.5 mm = 2 mm down.
    assert measured.value == pytest.approx(math.hypot(3.0, 2.0))
    assert measured.unit == "mm"
    assert measured.calibration == SPACING
    assert measure_length((2, 2), (2, 2), ImageCalibration(SPACING)).value == 0.0


def test_angles() -> None:
    square = ImageCalibration(UNCALIBRATED)
    assert measure_angle((5, 0), (0, 0), (0, 5), square) == pytest.approx(90.0)
    assert measure_angle((5, 0), (0, 0), (5, 5), square) == pytest.approx(45.0)
    assert measure_angle((5, 0), (0, 0), (-3, 0), square) == pytest.approx(180.0)
    assert measure_angle((5, 0), (0, 0), (7, 0), square) == pytest.approx(0.0)
    assert measure_angle((0, 5), (0, 0), (5, 0), square) == pytest.approx(90.0)  # Either way.
    assert angle((0, 0), (0, 0), (1, 1), UNCALIBRATED) == 0.0  # No arm, no angle.


def test_angle_with_unequal_spacing_is_the_angle_in_the_patient() -> None:
    # One column is 0.25 mm, one row 0.5 mm: the diagonal (1, 1) is steeper in the patient.
    measured = measure_angle((1, 0), (0, 0), (1, 1), ImageCalibration(SPACING))
    assert measured == pytest.approx(math.degrees(math.atan2(0.5, 0.25)))


# -- areas -------------------------------------------------------------------------------


def test_rectangle_area_and_pixels() -> None:
    rectangle = Rectangle((6, 11), (2, 3))  # Corners in any order.
    assert area(rectangle, UNCALIBRATED) == 32.0
    assert area(rectangle, SPACING) == pytest.approx(32 * 0.125)
    mask = region_mask(rectangle, (20, 20))
    assert (mask.rows, mask.columns) == (slice(3, 11), slice(2, 6))
    assert mask.inside.all() and mask.inside.sum() == 32


def test_polygon_area_is_the_shoelace_area_and_counts_pixel_centres() -> None:
    l_shape = Polygon(((0, 0), (10, 0), (10, 4), (4, 4), (4, 10), (0, 10)))
    assert area(l_shape, UNCALIBRATED) == 64.0
    assert area(l_shape, SPACING) == pytest.approx(8.0)
    assert region_mask(l_shape, (20, 20)).inside.sum() == 64
    assert area(Polygon(((0, 0), (5, 5))), UNCALIBRATED) == 0.0
    assert region_mask(Polygon(((0, 0), (5, 5))), (20, 20)).inside.sum() == 0


def _perimeter(a: float, b: float) -> float:
    """Ramanujan's approximation of an ellipse's perimeter (good to 1e-5 here)."""
    return math.pi * (3 * (a + b) - math.sqrt((3 * a + b) * (a + 3 * b)))


@pytest.mark.parametrize(("a", "b"), [(20.0, 20.0), (35.5, 12.25), (3.0, 7.0), (100.0, 60.0)])
def test_ellipse_area_is_analytic_and_its_pixels_are_within_the_counting_tolerance(
    a: float, b: float
) -> None:
    centre = (120.3, 110.7)
    ellipse = Ellipse((centre[0] - a, centre[1] - b), (centre[0] + a, centre[1] + b))
    assert area(ellipse, UNCALIBRATED) == pytest.approx(math.pi * a * b)
    assert area(ellipse, SPACING) == pytest.approx(math.pi * a * b * 0.125)
    count = int(region_mask(ellipse, (300, 300)).inside.sum())
    # Counting pixel centres errs only on pixels the outline crosses; the documented
    # tolerance is half the perimeter in pixels (the error is far smaller in practice).
    assert abs(count - math.pi * a * b) <= _perimeter(a, b) / 2


def test_random_ellipses_count_within_the_tolerance() -> None:
    rng = random.Random(7)
    for _ in range(200):
        a, b = rng.uniform(0.5, 60), rng.uniform(0.5, 60)
        cx, cy = rng.uniform(60, 70), rng.uniform(60, 70)
        ellipse = Ellipse((cx - a, cy - b), (cx + a, cy + b))
        count = int(region_mask(ellipse, (140, 140)).inside.sum())
        assert abs(count - math.pi * a * b) <= _perimeter(a, b) / 2


def test_ellipse_pixels_are_those_with_centres_inside() -> None:
    ellipse = Ellipse((0, 0), (4, 2))  # Centre (2, 1), semi-axes 2 and 1.
    expected = [
        [((c + 0.5 - 2) / 2) ** 2 + ((r + 0.5 - 1) / 1) ** 2 <= 1 for c in range(4)]
        for r in range(2)
    ]
    assert region_mask(ellipse, (10, 10)).inside.tolist() == expected
    assert region_mask(Ellipse((3, 3), (3, 9)), (10, 10)).inside.sum() == 0  # Flat.


def _inside_by_hand(points: tuple[tuple[float, float], ...], x: float, y: float) -> bool:
    """Plain even-odd ray casting, one point at a time: the reference for polygons."""
    inside = False
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        if (y0 <= y) != (y1 <= y) and x >= x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def test_freehand_outlines_match_a_point_by_point_reference() -> None:
    rng = random.Random(14)
    for _ in range(25):
        corners = rng.randint(3, 12)
        points = tuple((rng.uniform(-5, 45), rng.uniform(-5, 35)) for _ in range(corners))
        mask = region_mask(Polygon(points), (30, 40))
        full = np.zeros((30, 40), dtype=bool)
        full[mask.rows, mask.columns] = mask.inside
        expected = [
            [_inside_by_hand(points, c + 0.5, r + 0.5) for c in range(40)] for r in range(30)
        ]
        assert full.tolist() == expected


# -- statistics --------------------------------------------------------------------------


def test_statistics_are_in_hounsfield_units_not_grey_levels() -> None:
    stored = np.zeros((8, 8), dtype=np.uint16)
    stored[2:4, 3:5] = [[10, 20], [30, 40]]
    frame = _ct(stored)
    stats = region_statistics(frame, Rectangle((3, 2), (5, 4)))
    # HU = 2 × stored − 1024.
    assert stats.count == 4
    assert stats.mean == -974.0
    assert stats.minimum == -1004.0
    assert stats.maximum == -944.0
    assert stats.sd == pytest.approx(2 * np.std([10, 20, 30, 40], ddof=1))


def test_statistics_keep_fractions_the_display_truncates() -> None:
    frame = _ct(np.array([[1, 2], [3, 4]], dtype=np.uint16), slope=0.5, intercept=0.25)
    stats = region_statistics(frame, Rectangle((0, 0), (2, 1)))
    assert (stats.minimum, stats.maximum, stats.mean) == (0.75, 1.25, 1.0)


def test_statistics_of_signed_and_wide_data() -> None:
    signed = _ct(np.array([[-2000, 0], [1000, 3000]], dtype=np.int16), 1.0, -1024.0)
    stats = region_statistics(signed, Rectangle((0, 0), (2, 2)))
    assert (stats.minimum, stats.maximum) == (-3024.0, 1976.0)
    # A span over a million values is rendered without a table; values stay exact.
    wide = np.array([[0, 3_000_001], [7, 9]], dtype=np.int32)
    frame = _ct(wide, 0.5, 0.0)
    assert frame.is_direct
    stats = region_statistics(frame, Rectangle((0, 0), (2, 2)))
    assert (stats.minimum, stats.maximum) == (0.0, 1_500_000.5)
    assert region_statistics(frame, Rectangle((0, 1), (1, 2))).mean == 3.5


def test_statistics_through_a_modality_lut() -> None:
    header = Dataset()
    item = Dataset()
    item.LUTDescriptor = [4, 0, 16]
    item.LUTData = [100, 250, 300, 1000]
    item.ModalityLUTType = "OD"
    header.ModalityLUTSequence = Sequence([item])
    stored = np.array([[0, 1], [2, 3]], dtype=np.uint16)
    frame = GreyFrame(stored, grey_attributes(header, 0, "MONOCHROME2", False))
    stats = region_statistics(frame, Rectangle((0, 0), (2, 2)))
    assert (stats.count, stats.mean, stats.minimum, stats.maximum) == (4, 412.5, 100.0, 1000.0)
    assert value_unit(header) == "OD"


def test_float_pixels_that_are_not_numbers_are_left_out() -> None:
    values = np.array([[1.5, np.nan], [2.5, 3.5]])
    stats = region_statistics(values, Rectangle((0, 0), (2, 2)))
    assert (stats.count, stats.mean, stats.sd) == (3, 2.5, 1.0)


def test_regions_partly_or_wholly_outside_the_image() -> None:
    values = np.arange(16, dtype=np.float64).reshape(4, 4)
    stats = region_statistics(values, Rectangle((-10, -10), (1, 1)))
    assert (stats.count, stats.mean) == (1, 0.0)
    assert region_statistics(values, Rectangle((2, 2), (3, 3))).sd == 0.0  # One pixel.
    empty = region_statistics(values, Ellipse((10, 10), (20, 20)))
    assert (empty.count, empty.mean, empty.sd, empty.minimum, empty.maximum) == (
        0, None, None, None, None,
    )


class _Recorded:
    """Modality values of an array that remember which part was asked for."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        self.asked: list[tuple[slice, slice]] = []

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.values.shape[0]), int(self.values.shape[1])

    def modality_values(self, rows: slice, columns: slice) -> np.ndarray:
        self.asked.append((rows, columns))
        return self.values[rows, columns]


def test_only_the_bounding_box_is_read() -> None:
    big = _Recorded(np.ones((4000, 4000)))
    stats = region_statistics(big, Ellipse((1000, 2000), (1010, 2020)))
    assert big.asked == [(slice(2000, 2020), slice(1000, 1010))]
    assert stats.mean == 1.0


def test_measure_region_with_calibration_and_units() -> None:
    header = Dataset()
    header.Modality = "CT"
    header.PixelSpacing = [0.5, 0.25]
    stored = np.full((10, 10), 1064, dtype=np.uint16)
    measured = measure_region(
        Rectangle((0, 0), (4, 2)), frame_calibration(header), _ct(stored), value_unit(header)
    )
    assert (measured.area, measured.area_unit) == (1.0, "mm²")
    assert measured.statistics is not None and measured.statistics.mean == 1104.0
    assert measured.value_unit == "HU"
    colour = measure_region(Rectangle((0, 0), (4, 2)), ImageCalibration(UNCALIBRATED), None)
    assert (colour.area, colour.area_unit, colour.statistics) == (8.0, "px²", None)


def test_measure_region_in_an_ultrasound_region() -> None:
    header = Dataset()
    region = Dataset()
    region.RegionLocationMinX0, region.RegionLocationMinY0 = 0, 0
    region.RegionLocationMaxX1, region.RegionLocationMaxY1 = 49, 49
    region.PhysicalUnitsXDirection = region.PhysicalUnitsYDirection = 3
    region.PhysicalDeltaX = region.PhysicalDeltaY = 0.02
    header.SequenceOfUltrasoundRegions = Sequence([region])
    calibration = frame_calibration(header)
    inside = measure_region(Ellipse((10, 10), (30, 20)), calibration, None)
    assert inside.area == pytest.approx(math.pi * 10 * 5 * 0.04)
    assert inside.calibration.source == "ultrasound region"
    # The ellipse's box pokes out of the region, though its outline touches no corner.
    outside = measure_region(Ellipse((10, 10), (60, 20)), calibration, None)
    assert (outside.area_unit, outside.calibration.source) == ("px²", "uncalibrated")
    outline = measure_region(Polygon(((1, 1), (40, 5), (20, 49))), calibration, None)
    assert outline.area_unit == "mm²"


def test_value_units() -> None:
    def header(**values: object) -> Dataset:
        dataset = Dataset()
        for keyword, value in values.items():
            setattr(dataset, keyword, value)
        return dataset

    assert value_unit(header(Modality="CT")) == "HU"
    assert value_unit(header(Modality="CT", RescaleType="HU")) == "HU"
    assert value_unit(header(Modality="OT", RescaleType="HU")) == "HU"
    assert value_unit(header(Modality="MR")) == ""
    assert value_unit(header(Modality="MR", RescaleType="US")) == ""
    assert value_unit(header(Modality="XA", RescaleType="OD")) == "OD"
    assert value_unit(header(Modality="PT", Units="BQML")) == "BQML"
    item = header(RescaleType="MGML")
    enhanced = header(
        Modality="CT",
        SharedFunctionalGroupsSequence=Sequence([
            header(PixelValueTransformationSequence=Sequence([item]))
        ]),
    )
    assert value_unit(enhanced) == "MGML"


# -- the viewport's rotations and flips leave every measurement as it was ---------------


def _oriented(region: Region, size: tuple[int, int], turn: tuple[int, bool, bool]) -> Region:
    if isinstance(region, Polygon):
        return Polygon(tuple(orient_point(p, size, *turn) for p in region.points))
    moved = orient_point(region.corner, size, *turn), orient_point(region.opposite, size, *turn)
    return type(region)(*moved)


def test_statistics_are_unchanged_by_rotation_and_flips() -> None:
    rng = np.random.default_rng(14)
    values = rng.normal(40.0, 25.0, size=(37, 53))  # Width 53, height 37.
    size = (53, 37)
    regions: list[Region] = [
        Rectangle((3.2, 4.9), (40.7, 30.1)),
        Ellipse((5.3, 2.2), (47.9, 33.6)),
        Polygon(tuple((float(x), float(y)) for x, y in zip(
            rng.uniform(0, 53, 9), rng.uniform(0, 37, 9), strict=True))),
    ]
    for region in regions:
        expected = region_statistics(values, region)
        assert expected.count > 20
        for rotation in ROTATIONS:
            for flip_h in (False, True):
                for flip_v in (False, True):
                    turn = (rotation, flip_h, flip_v)
                    turned = orient(values, *turn)
                    moved = _oriented(region, size, turn)
                    got = region_statistics(turned, moved)
                    assert got.count == expected.count, (region, turn)
                    assert got.mean == pytest.approx(expected.mean)
                    assert got.sd == pytest.approx(expected.sd)
                    assert (got.minimum, got.maximum) == (expected.minimum, expected.maximum)
                    assert area(moved, SPACING) != 0
                    assert area(moved, UNCALIBRATED) == pytest.approx(area(region, UNCALIBRATED))


def test_shapes_with_coordinates_that_are_not_numbers_have_no_pixels_and_no_area() -> None:
    values = np.ones((4, 4))
    for region in (
        Polygon(((0, 0), (math.nan, 1), (2, 2))),
        Rectangle((0, 0), (math.inf, 2)),
        Ellipse((math.nan, 0), (2, 2)),
    ):
        assert region_statistics(values, region).count == 0
        assert area(region, SPACING) == 0.0


def test_a_real_ct_measures_in_hounsfield_units_and_millimetres(corpus: Path) -> None:
    path = corpus / "files/signed/CT_small.dcm"
    with open_image(path) as image:
        frame = prepare_frame(image, 0)
        header = image.header
        calibration = frame_calibration(header)
        unit = value_unit(header)
    assert isinstance(frame, GreyFrame)
    ellipse = Ellipse((40.0, 50.0), (90.0, 80.0))
    measured = measure_region(ellipse, calibration, frame, unit)
    # The reference: pydicom's own Modality LUT, and every pixel centre tested by hand.
    dataset = dcmread(path)
    hu = apply_modality_lut(dataset.pixel_array, dataset)
    inside = [
        float(hu[r, c])
        for r in range(128)
        for c in range(128)
        if ((c + 0.5 - 65) / 25) ** 2 + ((r + 0.5 - 65) / 15) ** 2 <= 1
    ]
    stats = measured.statistics
    assert stats is not None and measured.value_unit == "HU"
    assert stats.count == len(inside)
    assert stats.mean == pytest.approx(np.mean(inside))
    assert stats.sd == pytest.approx(np.std(inside, ddof=1))
    assert (stats.minimum, stats.maximum) == (min(inside), max(inside))
    assert measured.area_unit == "mm²"
    assert measured.area == pytest.approx(math.pi * 25 * 15 * 0.661468**2)
    assert measure_length((0, 0), (100, 0), calibration).value == pytest.approx(66.1468)


def test_huge_whole_number_slopes_do_not_overflow() -> None:
    frame = _ct(np.array([[1, 2], [3, 40_000]], dtype=np.uint16), slope=1e30, intercept=0.0)
    stats = region_statistics(frame, Rectangle((0, 0), (2, 2)))
    assert (stats.minimum, stats.maximum) == pytest.approx((1e30, 4e34))


def test_measuring_leaves_the_frame_as_it_was() -> None:
    wide = np.array([[0, 3_000_001], [7, 9]], dtype=np.int64)
    frame = _ct(wide.copy(), 3.0, -5.0)
    assert region_statistics(frame, Rectangle((0, 0), (2, 2))).maximum == 9_000_003 - 5
    assert region_statistics(frame, Rectangle((0, 0), (2, 2))).maximum == 9_000_003 - 5
    assert frame.modality_values(slice(0, 2), slice(0, 2)).tolist() == (wide * 3 - 5).tolist()
