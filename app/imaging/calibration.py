"""How many millimetres a pixel is, and how sure we are: the units of every measurement.

The rule is never to show a wrong millimetre. Spacing comes, in this order, from:

1. Pixel Measures in the frame's functional groups (enhanced multi-frame: per-frame, then
   shared), else Pixel Spacing (0028,0030): millimetres in the patient. A Pixel Spacing that
   merely repeats Imager Pixel Spacing, with no Pixel Spacing Calibration Type, is the
   detector's spacing (PS3.3 10.7.1.1) and is treated as such; one that repeats Nominal
   Scanned Pixel Spacing is the scale of a digitised film, which may have been printed at
   any size: uncalibrated. A projection radiograph with Pixel Spacing alone cannot say
   whether it was corrected for magnification (PS3.3 10.7.1.1), and its label says so.
2. Imager Pixel Spacing (0018,1164), in enhanced X-ray objects from the Frame Pixel Data
   Properties functional group (0028,9443): millimetres at the detector, larger than the
   patient by the beam's divergence; divided by Estimated Radiographic Magnification
   Factor (0018,1114) when the file gives one.
3. Sequence of Ultrasound Regions (0018,6011): per region, Physical Delta X/Y in cm when
   Physical Units X and Y are both 3 (cm). It applies only to a measurement whose points
   all lie inside one region (or inside several that agree). Regions without geometry
   (spatial format 0, no units: the whole screen, a colour bar) are ignored.

Anything else, or any odd value (zero, negative, not a number, mismatched units), leaves
the image uncalibrated: measurements in pixels, with a warning to show.

Image coordinates are those of ``app.imaging.measure``: x along columns, y along rows,
(0, 0) the top-left corner of the top-left pixel.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydicom.dataset import Dataset

from app.core.dicom_values import dataset_numbers, element_text

CalibrationSource = Literal[
    "pixel spacing",
    "detector",
    "detector, corrected for magnification",
    "ultrasound region",
    "uncalibrated",
]
Point = tuple[float, float]

UNCALIBRATED_WARNING = "Uncalibrated: the image gives no pixel size, so values are in pixels."
# Projection radiography, where the beam's divergence magnifies the patient on the detector.
_PROJECTION = frozenset({"CR", "DX", "MG", "RF", "XA", "IO", "PX", "RG"})
_CENTIMETRES = 3  # PS3.3 C.8.5.5.1.15: Physical Units X/Y Direction 3 = cm.
# Two spacings that differ by less than this are the same value written twice.
_SAME_SPACING = 1e-6


@dataclass(frozen=True)
class Calibration:
    """The size of a pixel for one measurement.

    ``row_spacing`` is the distance between the centres of adjacent rows (vertical, along
    y) and ``column_spacing`` between adjacent columns (horizontal, along x), in mm; both
    None when uncalibrated. ``label`` is the unit in plain words, to put after a length:
    "mm", "mm at the detector", "mm, corrected for magnification", "px (uncalibrated)".
    """

    row_spacing: float | None
    column_spacing: float | None
    source: CalibrationSource
    label: str

    @property
    def calibrated(self) -> bool:
        """True when measurements can be given in millimetres."""
        return self.row_spacing is not None and self.column_spacing is not None

    @property
    def length_unit(self) -> str:
        """"mm" or "px"."""
        return "mm" if self.calibrated else "px"

    @property
    def area_unit(self) -> str:
        """"mm²" or "px²"."""
        return "mm²" if self.calibrated else "px²"

    @property
    def area_label(self) -> str:
        """``label`` for an area: "mm² at the detector", "px² (uncalibrated)"."""
        unit = self.length_unit
        if self.label.startswith(unit):
            return self.area_unit + self.label[len(unit):]
        return f"{self.area_unit} ({self.label})"

    @property
    def warning(self) -> str:
        """The sentence to show next to an uncalibrated value; "" when calibrated."""
        return "" if self.calibrated else UNCALIBRATED_WARNING

    @property
    def scale(self) -> tuple[float, float]:
        """(mm per pixel along x, along y); (1, 1) when uncalibrated (pixels)."""
        if self.row_spacing is None or self.column_spacing is None:
            return 1.0, 1.0
        return self.column_spacing, self.row_spacing


UNCALIBRATED = Calibration(None, None, "uncalibrated", "px (uncalibrated)")


@dataclass(frozen=True)
class UltrasoundRegion:
    """One region of a Sequence of Ultrasound Regions.

    The bounds are pixel indices, inclusive, as in the file; the region covers the whole
    of those pixels. ``spacing`` is (mm along x, mm along y), None when the region is not
    calibrated in centimetres both ways (M-mode and Doppler regions have seconds or cm/s).
    """

    min_x: int
    min_y: int
    max_x: int
    max_y: int
    spacing: tuple[float, float] | None

    def contains(self, point: Point) -> bool:
        """True when ``point`` lies on one of the region's pixels (edges included)."""
        x, y = point
        return self.min_x <= x <= self.max_x + 1 and self.min_y <= y <= self.max_y + 1


@dataclass(frozen=True)
class ImageCalibration:
    """The calibration of one frame: a fixed one, or one that depends on where you measure.

    Ask ``for_points`` with every point that defines a measurement (for a region, its
    corners or outline): ultrasound regions calibrate only what lies inside one of them.
    """

    fixed: Calibration
    regions: tuple[UltrasoundRegion, ...] = ()

    def for_points(self, points: Iterable[Point]) -> Calibration:
        """The calibration for a measurement through ``points``."""
        if self.fixed.calibrated or not self.regions:
            return self.fixed
        points = list(points)
        if not points:
            return UNCALIBRATED
        spacings = {
            region.spacing
            for region in self.regions
            if all(region.contains(point) for point in points)
        }
        # Nested regions that disagree (or one uncalibrated) leave us unsure: pixels.
        if len(spacings) != 1:
            return UNCALIBRATED
        spacing = spacings.pop()
        if spacing is None:
            return UNCALIBRATED
        return Calibration(spacing[1], spacing[0], "ultrasound region", "mm (ultrasound region)")


def frame_calibration(header: Dataset, frame: int = 0) -> ImageCalibration:
    """The calibration of frame ``frame`` (0-based) of the image with ``header``."""
    pixel = _group_spacing(header, frame, "PixelMeasuresSequence", "PixelSpacing")
    pixel = pixel or _spacing(header, "PixelSpacing")
    imager = _group_spacing(
        header, frame, "FramePixelDataPropertiesSequence", "ImagerPixelSpacing"
    )
    imager = imager or _spacing(header, "ImagerPixelSpacing")
    scanned = _spacing(header, "NominalScannedPixelSpacing")
    if pixel is not None and _repeats(pixel, scanned, header):
        return ImageCalibration(UNCALIBRATED)
    if pixel is not None and not _repeats(pixel, imager, header):
        return ImageCalibration(_patient(pixel, header, imager is None))
    detector = imager if imager is not None else pixel
    if detector is not None:
        return ImageCalibration(_detector(detector, header))
    regions = ultrasound_regions(header)
    if regions:
        return ImageCalibration(UNCALIBRATED, regions)
    return ImageCalibration(UNCALIBRATED)


def _patient(
    spacing: tuple[float, float], header: Dataset, alone: bool = False
) -> Calibration:
    """Pixel Spacing: mm in the patient, saying how it was calibrated when the file does.

    ``alone`` is True when no Imager Pixel Spacing came with it."""
    kind = element_text(header, "PixelSpacingCalibrationType").lower()
    if kind in ("geometry", "fiducial"):
        label = f"mm (calibrated: {kind})"
    elif alone and element_text(header, "Modality").upper() in _PROJECTION:
        label = "mm (magnification not stated)"
    else:
        label = "mm"
    return Calibration(spacing[0], spacing[1], "pixel spacing", label)


def _detector(spacing: tuple[float, float], header: Dataset) -> Calibration:
    """Imager Pixel Spacing, corrected by the magnification factor when there is one."""
    keyword = "EstimatedRadiographicMagnificationFactor"
    factor = _positive_numbers(header, keyword)
    if _present(header, keyword) and len(factor) != 1:
        return UNCALIBRATED  # A factor we cannot read could make any mm wrong.
    if factor:
        return Calibration(
            spacing[0] / factor[0],
            spacing[1] / factor[0],
            "detector, corrected for magnification",
            "mm, corrected for magnification",
        )
    return Calibration(spacing[0], spacing[1], "detector", "mm at the detector")


def _repeats(
    pixel: tuple[float, float], other: tuple[float, float] | None, header: Dataset
) -> bool:
    """True when Pixel Spacing is only a copy of ``other`` (Imager or Nominal Scanned
    Pixel Spacing), so not calibrated in the patient (PS3.3 10.7.1.1)."""
    if other is None or element_text(header, "PixelSpacingCalibrationType"):
        return False
    return all(abs(a - b) < _SAME_SPACING for a, b in zip(pixel, other, strict=True))


def _group_spacing(
    header: Dataset, frame: int, sequence: str, keyword: str
) -> tuple[float, float] | None:
    """A spacing from the frame's functional groups (enhanced multi-frame): ``keyword`` in
    the first item of ``sequence``, in the per-frame item first, then the shared one."""
    for groups_keyword, index in (
        ("PerFrameFunctionalGroupsSequence", frame),
        ("SharedFunctionalGroupsSequence", 0),
    ):
        try:
            groups = header.get(groups_keyword)
            if not groups or index >= len(groups):
                continue
            items = groups[index].get(sequence)
            if items:
                spacing = _spacing(items[0], keyword)
                if spacing is not None:
                    return spacing
        except Exception:
            continue  # A damaged sequence is no spacing, never an error.
    return None


def ultrasound_regions(header: Dataset) -> tuple[UltrasoundRegion, ...]:
    """The regions of a Sequence of Ultrasound Regions; damaged items are left out."""
    try:
        items = header.get("SequenceOfUltrasoundRegions") or []
    except Exception:
        return ()
    regions = []
    for item in items:
        region = _region(item)
        if region is not None:
            regions.append(region)
    return tuple(regions)


def _region(item: Dataset) -> UltrasoundRegion | None:
    """One region, or None when it is damaged or has no geometry at all."""
    # Spatial format 0 with no units is the whole screen, a colour bar or a graphic: it
    # overlaps the image regions without saying anything about their scale.
    units = _numbers(item, "PhysicalUnitsXDirection") + _numbers(item, "PhysicalUnitsYDirection")
    if _numbers(item, "RegionSpatialFormat") == [0] and not any(units):
        return None
    bounds = [
        _numbers(item, keyword)
        for keyword in ("RegionLocationMinX0", "RegionLocationMinY0",
                        "RegionLocationMaxX1", "RegionLocationMaxY1")
    ]
    if any(len(value) != 1 or value[0] < 0 for value in bounds):
        return None
    min_x, min_y, max_x, max_y = (int(value[0]) for value in bounds)
    if max_x < min_x or max_y < min_y:
        return None
    return UltrasoundRegion(min_x, min_y, max_x, max_y, _region_spacing(item))


def _region_spacing(item: Dataset) -> tuple[float, float] | None:
    """(mm along x, mm along y) of a region calibrated in cm both ways, else None."""
    units = [_numbers(item, "PhysicalUnitsXDirection"), _numbers(item, "PhysicalUnitsYDirection")]
    if units != [[_CENTIMETRES], [_CENTIMETRES]]:
        return None
    deltas = [_numbers(item, "PhysicalDeltaX"), _numbers(item, "PhysicalDeltaY")]
    if any(len(delta) != 1 for delta in deltas):
        return None
    # The sign of a delta only says which way the axis runs; a distance needs its size.
    dx, dy = (abs(delta[0]) * 10.0 for delta in deltas)
    if dx == 0 or dy == 0:
        return None
    return dx, dy


def _present(dataset: Dataset, keyword: str) -> bool:
    """True when ``keyword`` is in ``dataset`` with a value (even an unreadable one)."""
    try:
        element = dataset.get(keyword)
    except Exception:
        return True
    return element is not None and element != ""


def _spacing(dataset: Dataset, keyword: str) -> tuple[float, float] | None:
    """A two-valued spacing, both values finite and positive; else None."""
    values = _positive_numbers(dataset, keyword)
    if len(values) != 2:
        return None
    return values[0], values[1]


def _positive_numbers(dataset: Dataset, keyword: str) -> list[float]:
    """The values of ``keyword``; [] unless every one is finite and greater than 0."""
    values = _numbers(dataset, keyword)
    if not values or any(not value > 0 for value in values):
        return []
    return values


def _numbers(dataset: Dataset, keyword: str) -> list[float]:
    """A numeric element as floats; [] when absent, empty, unreadable or not finite."""
    values = dataset_numbers(dataset, keyword)
    return values if all(math.isfinite(v) for v in values) else []
