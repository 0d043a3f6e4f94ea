"""Measurements in words: the same text on the image, in the side list and in a CSV file.

Numbers keep the precision a reader can use: whole values as whole numbers, otherwise one
decimal from 100 up and three significant digits below (an SUV of 0.0123 keeps its
digits; a mean of 40.25 HU reads 40.2). The unit always travels with the number, and an
uncalibrated value always says so.
"""

import math

from app.imaging.measure import LengthMeasurement, RegionMeasurement, Statistics


def number(value: float) -> str:
    """``value`` for reading: "12", "40.2", "0.0123", "1234.5"; "–" when not a number."""
    if not math.isfinite(value):
        return "–"
    if float(value).is_integer():
        return f"{value:.0f}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.3g}"


def length_text(measurement: LengthMeasurement) -> str:
    """"12.5 mm", "3.2 mm at the detector", "45.3 px (uncalibrated)"."""
    return f"{number(measurement.value)} {measurement.calibration.label}"


def angle_text(degrees: float) -> str:
    """"37.5°": angles to a tenth of a degree, as protractors and peers show them."""
    return f"{degrees:.1f}°"


def area_text(measurement: RegionMeasurement) -> str:
    """"Area 120 mm²", "Area 96.3 px² (uncalibrated)"."""
    return f"Area {number(measurement.area)} {measurement.calibration.area_label}"


def statistics_lines(statistics: Statistics | None, unit: str = "") -> list[str]:
    """The statistics as lines of text; [] for a colour image (no values to measure)."""
    if statistics is None:
        return []
    mean, sd = statistics.mean, statistics.sd
    low, high = statistics.minimum, statistics.maximum
    if mean is None or sd is None or low is None or high is None:
        return ["No pixels inside"]
    suffix = f" {unit}" if unit else ""
    pixels = "1 pixel" if statistics.count == 1 else f"{statistics.count} pixels"
    return [
        f"Mean {number(mean)}{suffix}, SD {number(sd)}",
        f"Min {number(low)}, max {number(high)}{suffix}",
        pixels,
    ]


def region_lines(measurement: RegionMeasurement) -> list[str]:
    """Area, then the statistics, then the uncalibrated warning when there is one."""
    lines = [area_text(measurement)]
    lines += statistics_lines(measurement.statistics, measurement.value_unit)
    if measurement.calibration.warning:
        lines.append(measurement.calibration.warning)
    return lines
