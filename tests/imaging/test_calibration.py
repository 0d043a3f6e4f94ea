"""Calibration rules: which millimetres a header gives, and when it gives none."""

import math
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from app.imaging.calibration import (
    UNCALIBRATED,
    UNCALIBRATED_WARNING,
    ImageCalibration,
    frame_calibration,
    ultrasound_regions,
)
from app.imaging.measure import length


def _header(**values: object) -> Dataset:
    header = Dataset()
    for keyword, value in values.items():
        setattr(header, keyword, value)
    return header


def _region(
    bounds: tuple[int, int, int, int], delta: tuple[float, float], units: tuple[int, int] = (3, 3)
) -> Dataset:
    item = Dataset()
    item.RegionLocationMinX0, item.RegionLocationMinY0 = bounds[0], bounds[1]
    item.RegionLocationMaxX1, item.RegionLocationMaxY1 = bounds[2], bounds[3]
    item.PhysicalUnitsXDirection, item.PhysicalUnitsYDirection = units
    item.PhysicalDeltaX, item.PhysicalDeltaY = delta
    return item


def test_pixel_spacing_is_millimetres_in_the_patient() -> None:
    calibration = frame_calibration(_header(PixelSpacing=[0.5, 0.25])).fixed
    assert calibration.source == "pixel spacing"
    assert calibration.label == "mm"
    assert calibration.calibrated and calibration.warning == ""
    # Pixel Spacing is row spacing (vertical) first, then column spacing (horizontal).
    assert (calibration.row_spacing, calibration.column_spacing) == (0.5, 0.25)
    assert calibration.scale == (0.25, 0.5)
    assert length((0, 0), (4, 0), calibration) == 1.0
    assert length((0, 0), (0, 4), calibration) == 2.0
    assert (calibration.length_unit, calibration.area_unit) == ("mm", "mm²")


def test_pixel_spacing_says_how_it_was_calibrated() -> None:
    header = _header(
        PixelSpacing=[0.1, 0.1], ImagerPixelSpacing=[0.1, 0.1],
        PixelSpacingCalibrationType="FIDUCIAL",
    )
    calibration = frame_calibration(header).fixed
    assert calibration.source == "pixel spacing"
    assert calibration.label == "mm (calibrated: fiducial)"


def test_pixel_spacing_alone_on_a_radiograph_says_magnification_is_not_stated() -> None:
    calibration = frame_calibration(_header(Modality="DX", PixelSpacing=[0.1, 0.1])).fixed
    assert calibration.source == "pixel spacing"
    assert calibration.label == "mm (magnification not stated)"
    assert frame_calibration(_header(Modality="MR", PixelSpacing=[0.1, 0.1])).fixed.label == "mm"


def test_pixel_spacing_of_a_scanned_film_is_not_the_patient() -> None:
    header = _header(PixelSpacing=[0.2, 0.2], NominalScannedPixelSpacing=[0.2, 0.2])
    assert frame_calibration(header).fixed == UNCALIBRATED
    header.PixelSpacingCalibrationType = "FIDUCIAL"  # Measured against a known object.
    assert frame_calibration(header).fixed.label == "mm (calibrated: fiducial)"


def test_imager_pixel_spacing_is_at_the_detector() -> None:
    calibration = frame_calibration(_header(ImagerPixelSpacing=[0.2, 0.2])).fixed
    assert calibration.source == "detector"
    assert calibration.label == "mm at the detector"
    assert length((0, 0), (3, 4), calibration) == pytest.approx(1.0)


def test_pixel_spacing_that_repeats_the_detector_is_the_detector() -> None:
    header = _header(PixelSpacing=[0.2, 0.2], ImagerPixelSpacing=[0.2, 0.2])
    assert frame_calibration(header).fixed.source == "detector"
    # A different Pixel Spacing was calibrated by the modality: it wins.
    header = _header(PixelSpacing=[0.18, 0.18], ImagerPixelSpacing=[0.2, 0.2])
    assert frame_calibration(header).fixed.source == "pixel spacing"
    assert frame_calibration(header).fixed.row_spacing == 0.18


def test_magnification_factor_corrects_the_detector_spacing() -> None:
    header = _header(ImagerPixelSpacing=[0.2, 0.3], EstimatedRadiographicMagnificationFactor=1.25)
    calibration = frame_calibration(header).fixed
    assert calibration.source == "detector, corrected for magnification"
    assert calibration.label == "mm, corrected for magnification"
    assert calibration.row_spacing == pytest.approx(0.16)
    assert calibration.column_spacing == pytest.approx(0.24)
    assert length((0, 0), (0, 10), calibration) == pytest.approx(1.6)


@pytest.mark.parametrize("factor", ["0", "-1.2", "nan", "abc"])
def test_an_unreadable_magnification_factor_gives_pixels(factor: str) -> None:
    header = _header(ImagerPixelSpacing=[0.2, 0.2])
    header.add_new(0x00181114, "DS", None)
    header[0x00181114]._value = factor  # Written as found on a disc, unchecked.
    assert frame_calibration(header).fixed == UNCALIBRATED


@pytest.mark.parametrize(
    "spacing", [["0", "0.5"], ["-0.5", "0.5"], ["nan", "0.5"], ["inf", "1"], ["0.5"], ["x", "1"]]
)
def test_bad_pixel_spacing_gives_pixels(spacing: list[str]) -> None:
    header = Dataset()
    header.add_new(0x00280030, "DS", None)
    header[0x00280030]._value = spacing
    calibration = frame_calibration(header).fixed
    assert calibration == UNCALIBRATED
    assert not calibration.calibrated
    assert calibration.warning == UNCALIBRATED_WARNING
    assert (calibration.length_unit, calibration.area_unit) == ("px", "px²")
    assert length((0, 0), (3, 4), calibration) == 5.0


def test_no_spacing_at_all_gives_pixels() -> None:
    calibration = frame_calibration(Dataset())
    assert calibration.fixed == UNCALIBRATED
    assert calibration.for_points([(1, 1)]) == UNCALIBRATED


def test_enhanced_multi_frame_spacing_from_the_functional_groups() -> None:
    def measures(spacing: list[float]) -> Dataset:
        group = Dataset()
        item = Dataset()
        item.PixelSpacing = spacing
        group.PixelMeasuresSequence = Sequence([item])
        return group

    header = Dataset()
    header.SharedFunctionalGroupsSequence = Sequence([measures([0.7, 0.7])])
    header.PerFrameFunctionalGroupsSequence = Sequence([measures([0.4, 0.4]), Dataset()])
    assert frame_calibration(header, 0).fixed.row_spacing == 0.4  # Per-frame wins.
    assert frame_calibration(header, 1).fixed.row_spacing == 0.7  # Else the shared one.
    assert frame_calibration(header, 1).fixed.source == "pixel spacing"


def _ultrasound() -> Dataset:
    # Two side-by-side 2-D regions with different scales, and an M-mode strip below
    # (x in seconds) that must never give millimetres.
    header = Dataset()
    header.SequenceOfUltrasoundRegions = Sequence([
        _region((0, 0, 99, 199), (0.01, 0.02)),
        _region((100, 0, 199, 199), (-0.05, 0.05)),
        _region((0, 200, 199, 299), (0.001, 0.01), units=(4, 3)),
    ])
    return header


def test_ultrasound_inside_one_region_is_calibrated() -> None:
    calibration = frame_calibration(_ultrasound())
    assert calibration.fixed == UNCALIBRATED
    inside = calibration.for_points([(10, 10), (40, 50)])
    assert inside.source == "ultrasound region"
    assert inside.label == "mm (ultrasound region)"
    # 0.01 cm a pixel across, 0.02 cm down: 0.1 mm and 0.2 mm.
    assert inside.scale == pytest.approx((0.1, 0.2))
    assert length((10, 10), (40, 50), inside) == pytest.approx(math.hypot(3.0, 8.0))
    # A negative delta only says which way x runs: the distance is the same size.
    other = calibration.for_points([(120, 10), (150, 10)])
    assert other.scale == pytest.approx((0.5, 0.5))
    assert length((120, 10), (150, 10), other) == pytest.approx(15.0)


def test_ultrasound_region_edges_are_the_whole_of_their_pixels() -> None:
    calibration = frame_calibration(_ultrasound())
    assert calibration.for_points([(0, 0), (100, 200)]).calibrated
    assert not calibration.for_points([(0, 0), (100.5, 10)]).calibrated


def test_ultrasound_spanning_two_regions_is_uncalibrated() -> None:
    calibration = frame_calibration(_ultrasound())
    assert calibration.for_points([(50, 10), (150, 10)]) == UNCALIBRATED


def test_ultrasound_outside_every_region_is_uncalibrated() -> None:
    calibration = frame_calibration(_ultrasound())
    assert calibration.for_points([(250, 10), (260, 10)]) == UNCALIBRATED
    assert calibration.for_points([]) == UNCALIBRATED


def test_ultrasound_region_not_in_centimetres_is_uncalibrated() -> None:
    calibration = frame_calibration(_ultrasound())
    assert calibration.for_points([(10, 210), (20, 250)]) == UNCALIBRATED


def test_ultrasound_units_that_do_not_match_or_zero_deltas_are_uncalibrated() -> None:
    header = Dataset()
    header.SequenceOfUltrasoundRegions = Sequence([
        _region((0, 0, 99, 99), (0.01, 0.01), units=(3, 0)),
        _region((100, 0, 199, 99), (0.0, 0.01)),
        _region((200, 0, 299, 99), (float("nan"), 0.01)),
    ])
    calibration = frame_calibration(header)
    for x in (10, 110, 210):
        assert calibration.for_points([(x, 10), (x + 5, 20)]) == UNCALIBRATED


def test_nested_ultrasound_regions_must_agree() -> None:
    header = Dataset()
    header.SequenceOfUltrasoundRegions = Sequence([
        _region((0, 0, 199, 199), (0.02, 0.02)),
        _region((50, 50, 99, 99), (0.02, 0.02)),
        _region((150, 150, 189, 189), (0.03, 0.03)),
    ])
    calibration = frame_calibration(header)
    assert calibration.for_points([(60, 60), (70, 70)]).scale == pytest.approx((0.2, 0.2))
    assert calibration.for_points([(160, 160), (170, 170)]) == UNCALIBRATED


def test_damaged_ultrasound_regions_are_left_out() -> None:
    header = Dataset()
    broken = Dataset()
    broken.RegionLocationMinX0 = 10  # No other bounds.
    reversed_bounds = _region((50, 50, 10, 10), (0.01, 0.01))
    header.SequenceOfUltrasoundRegions = Sequence([broken, reversed_bounds])
    assert ultrasound_regions(header) == ()
    assert frame_calibration(header) == ImageCalibration(UNCALIBRATED)


def test_pixel_spacing_wins_over_ultrasound_regions() -> None:
    header = _ultrasound()
    header.PixelSpacing = [0.3, 0.3]
    calibration = frame_calibration(header)
    assert calibration.for_points([(50, 10), (150, 10)]).source == "pixel spacing"


def test_regions_without_geometry_do_not_conflict() -> None:
    # As many scanners write: a whole-screen region with no units around the 2-D image.
    header = Dataset()
    screen = _region((0, 0, 639, 479), (1.0, 1.0), units=(0, 0))
    screen.RegionSpatialFormat = 0
    image = _region((80, 40, 480, 420), (0.01, 0.01))
    image.RegionSpatialFormat = 1
    header.SequenceOfUltrasoundRegions = Sequence([screen, image])
    calibration = frame_calibration(header)
    assert len(calibration.regions) == 1
    assert calibration.for_points([(100, 100), (200, 100)]).calibrated
    assert not calibration.for_points([(10, 10), (200, 100)]).calibrated
    # The same region with units (an M-mode strip, say) does conflict.
    screen.PhysicalUnitsXDirection = 4
    assert not frame_calibration(header).for_points([(100, 100), (200, 100)]).calibrated


def test_ultrasound_regions_of_a_real_scanner(corpus: Path) -> None:
    header = dcmread(corpus / "files/color/YBR_FULL-RLE.dcm", stop_before_pixels=True)
    calibration = frame_calibration(header)
    inside = calibration.for_points([(100, 100), (200, 100)])
    assert inside.source == "ultrasound region"
    assert length((100, 100), (200, 100), inside) == pytest.approx(9.536785, abs=1e-6)
    # From the image into the black border around it: pixels only.
    assert calibration.for_points([(100, 100), (600, 100)]) == UNCALIBRATED


def test_computed_radiography_from_a_real_disc_is_at_the_detector(corpus: Path) -> None:
    header = dcmread(corpus / "files/monochrome1/Monochrome1-Jpeg.dcm", stop_before_pixels=True)
    calibration = frame_calibration(header).fixed
    assert (calibration.source, calibration.label) == ("detector", "mm at the detector")
    assert calibration.scale == pytest.approx((0.175, 0.175))


def test_enhanced_x_ray_detector_spacing_from_the_functional_groups() -> None:
    properties = Dataset()
    properties.ImagerPixelSpacing = [0.15, 0.15]
    group = Dataset()
    group.FramePixelDataPropertiesSequence = Sequence([properties])
    header = Dataset()
    header.SharedFunctionalGroupsSequence = Sequence([group])
    calibration = frame_calibration(header, 3).fixed
    assert (calibration.source, calibration.scale) == ("detector", (0.15, 0.15))
    # Pixel Measures that only repeat it are the detector's spacing too.
    measures = Dataset()
    measures.PixelSpacing = [0.15, 0.15]
    group.PixelMeasuresSequence = Sequence([measures])
    assert frame_calibration(header, 3).fixed.source == "detector"


def test_damaged_functional_groups_give_no_spacing() -> None:
    header = Dataset()
    header.SharedFunctionalGroupsSequence = Sequence([Dataset()])
    header.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence = Sequence([Dataset()])
    assert frame_calibration(header, 0).fixed == UNCALIBRATED
    header.PixelSpacing = [0.5, 0.5]
    assert frame_calibration(header, 0).fixed.row_spacing == 0.5
