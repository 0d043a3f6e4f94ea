"""Measurements in words: units always with the number, the warning when uncalibrated."""

import math

from app.imaging.calibration import UNCALIBRATED, Calibration, ImageCalibration
from app.imaging.measure import (
    Ellipse,
    Rectangle,
    Statistics,
    measure_length,
    measure_region,
)
from app.imaging.measure_text import (
    angle_text,
    area_text,
    length_text,
    number,
    region_lines,
    statistics_lines,
)

DETECTOR = Calibration(0.2, 0.2, "detector", "mm at the detector")


def test_numbers_keep_useful_precision() -> None:
    assert [number(v) for v in (12.0, -1024.0, 40.25, 0.012345, 1234.56, 7.777)] == [
        "12", "-1024", "40.2", "0.0123", "1234.6", "7.78",
    ]
    assert number(math.nan) == "–"


def test_lengths_and_angles() -> None:
    assert length_text(measure_length((0, 0), (100, 0), ImageCalibration(DETECTOR))) == (
        "20 mm at the detector"
    )
    assert length_text(measure_length((0, 0), (3, 4.5), ImageCalibration(UNCALIBRATED))) == (
        "5.41 px (uncalibrated)"
    )
    assert angle_text(37.46) == "37.5°"


def test_region_text_with_units_and_warning() -> None:
    calibrated = measure_region(Rectangle((0, 0), (10, 5)), ImageCalibration(DETECTOR), None)
    assert area_text(calibrated) == "Area 2 mm² at the detector"
    assert region_lines(calibrated) == ["Area 2 mm² at the detector"]
    stats = Statistics(523, 40.25, 3.14159, -12.0, 80.0)
    assert statistics_lines(stats, "HU") == [
        "Mean 40.2 HU, SD 3.14", "Min -12, max 80 HU", "523 pixels",
    ]
    assert statistics_lines(Statistics(1, 5.0, 0.0, 5.0, 5.0))[2] == "1 pixel"
    assert statistics_lines(Statistics(0, None, None, None, None), "HU") == ["No pixels inside"]
    plain = measure_region(Ellipse((0, 0), (4, 4)), ImageCalibration(UNCALIBRATED), None)
    assert region_lines(plain) == [
        "Area 12.6 px² (uncalibrated)", UNCALIBRATED.warning,
    ]


def test_area_labels() -> None:
    assert UNCALIBRATED.area_label == "px² (uncalibrated)"
    assert Calibration(1, 1, "pixel spacing", "mm").area_label == "mm²"
    assert Calibration(1, 1, "ultrasound region", "mm (ultrasound region)").area_label == (
        "mm² (ultrasound region)"
    )
