"""What each annotation measures, in words and as numbers: the side list and its CSV.

A thin layer over ``app.imaging.measure`` and ``app.imaging.measure_text``: the calibration
comes from the image's header (``frame_calibration``), the values from the frame's
Modality LUT values (``GreyFrame.modality_values``; None for a colour image, which has an
area but no statistics). The text on the image, in the side list and in the CSV file is the
same measurement, so they never disagree.
"""

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset

from app.core.dicom_values import dataset_int, frame_count
from app.core.errors import LibraryError, LightboxError
from app.imaging.calibration import frame_calibration
from app.imaging.decode import open_image
from app.imaging.measure import (
    Ellipse,
    ModalityValues,
    Polygon,
    Rectangle,
    Region,
    RegionMeasurement,
    measure_angle,
    measure_length,
    measure_region,
    value_unit,
)
from app.imaging.measure_text import angle_text, length_text, region_lines
from app.imaging.render import GreyFrame, prepare_frame
from app.services.annotations import MEASUREMENTS, Annotation

Values = ModalityValues | None
# Given an image's SOP Instance UID and a 0-based frame: its header and that frame's
# modality values (None for colour). The GUI answers from its frame cache.
ImageSource = Callable[[str, int], tuple[Dataset, Values]]


class ImageNotReadYet(LightboxError):
    """Raised by an ImageSource whose image is being read in the background: ask again
    when it has arrived (``viewer_images.ViewerImages``)."""


CSV_HEADER = (
    "kind", "series number", "instance number", "frame", "value", "unit", "area",
    "area unit", "mean", "sd", "min", "max", "calibration", "SOP Instance UID",
)


def region_of(annotation: Annotation) -> Region | None:
    """The region a rectangle, ellipse or outline encloses; None for the other kinds."""
    points = annotation.points
    if annotation.kind == "rectangle":
        return Rectangle(points[0], points[1])
    if annotation.kind == "ellipse":
        return Ellipse(points[0], points[1])
    if annotation.kind == "freehand":
        return Polygon(points)
    return None


def measurement_lines(annotation: Annotation, header: Dataset, values: Values) -> list[str]:
    """The lines to show beside ``annotation`` ([] for text and arrows): "12.5 mm",
    "37.5°", or a region's area, statistics and any uncalibrated warning."""
    calibration = frame_calibration(header, annotation.frame)
    points = annotation.points
    if annotation.kind == "length":
        return [length_text(measure_length(points[0], points[1], calibration))]
    if annotation.kind == "angle":
        return [angle_text(measure_angle(points[0], points[1], points[2], calibration))]
    region = region_of(annotation)
    if region is None:
        return []
    return region_lines(_region(region, annotation, header, values))


def _region(region: Region, annotation: Annotation, header: Dataset,
            values: Values) -> RegionMeasurement:
    calibration = frame_calibration(header, annotation.frame)
    return measure_region(region, calibration, values, value_unit(header, annotation.frame))


@dataclass(frozen=True)
class MeasurementRow:
    """One row of the side list: a measurement and where it was made.

    ``value``/``unit`` are a length ("mm" or "px") or an angle ("deg"); for a region
    ``value`` is None, ``unit`` the unit of its statistics ("HU", "" when unknown) and the
    area and statistics fill their own fields. ``lines`` is the text shown on the image.
    """

    annotation_id: str
    kind: str
    series_number: int | None
    instance_number: int | None
    frame: int  # 0-based, as in the annotation; shown 1-based
    frames: int
    value: float | None
    unit: str
    area: float | None
    area_unit: str
    mean: float | None
    sd: float | None
    minimum: float | None
    maximum: float | None
    calibration: str
    warning: str
    lines: tuple[str, ...]
    sop_instance_uid: str

    @property
    def image_label(self) -> str:
        """"series 3, image 12" (", frame 2" for a multi-frame image)."""
        series = "series ?" if self.series_number is None else f"series {self.series_number}"
        image = "image ?" if self.instance_number is None else f"image {self.instance_number}"
        frame = f", frame {self.frame + 1}" if self.frames > 1 else ""
        return f"{series}, {image}{frame}"

    @property
    def value_text(self) -> str:
        """The measurement in one line, for the list: "12.5 mm", "Area 120 mm², mean 40 HU"."""
        # The long "Uncalibrated: ..." sentence is the tooltip's and the CSV's; the value
        # itself already says "(uncalibrated)".
        lines = [line for line in self.lines if not line.startswith("Uncalibrated:")]
        if not lines:
            return self.lines[0] if self.lines else ""
        return ", ".join(lines[:2]) if self.value is None else lines[0]


def measurement_row(annotation: Annotation, header: Dataset, values: Values
                    ) -> MeasurementRow | None:
    """The side list's row for a measuring annotation; None for text and arrows."""
    if annotation.kind not in MEASUREMENTS:
        return None
    place = (dataset_int(header, "SeriesNumber"), dataset_int(header, "InstanceNumber"),
             annotation.frame, frame_count(header.get("NumberOfFrames")))
    lines = tuple(measurement_lines(annotation, header, values))
    calibration = frame_calibration(header, annotation.frame)
    points = annotation.points
    if annotation.kind == "length":
        length = measure_length(points[0], points[1], calibration)
        used = length.calibration
        return MeasurementRow(annotation.id, "length", *place, length.value, length.unit,
                              None, "", None, None, None, None, used.label, used.warning,
                              lines, annotation.sop_instance_uid)
    if annotation.kind == "angle":
        used = calibration.for_points(points)
        degrees = measure_angle(points[0], points[1], points[2], calibration)
        return MeasurementRow(annotation.id, "angle", *place, degrees, "deg", None, "", None,
                              None, None, None, used.label, used.warning, lines,
                              annotation.sop_instance_uid)
    region = region_of(annotation)
    assert region is not None  # every other measuring kind is a region
    measured = _region(region, annotation, header, values)
    stats = measured.statistics
    used = measured.calibration
    return MeasurementRow(
        annotation.id, annotation.kind, *place, None, measured.value_unit, measured.area,
        measured.area_unit, stats.mean if stats else None, stats.sd if stats else None,
        stats.minimum if stats else None, stats.maximum if stats else None, used.label,
        used.warning, lines, annotation.sop_instance_uid,
    )


def measurement_rows(annotations: Iterable[Annotation], images: ImageSource
                     ) -> list[MeasurementRow]:
    """The side list for a study: one row per measurement, by series number, instance
    number, frame (then drawing order). ``images`` gives each image's header and values."""
    rows = []
    for annotation in annotations:
        if annotation.kind not in MEASUREMENTS:
            continue
        header, values = images(annotation.sop_instance_uid, annotation.frame)
        row = measurement_row(annotation, header, values)
        if row is not None:
            rows.append(row)
    big = 1 << 62  # an image without a number goes last
    return sorted(rows, key=lambda r: (
        big if r.series_number is None else r.series_number,
        big if r.instance_number is None else r.instance_number, r.frame,
    ))


def _number(value: float | int | None) -> str:
    """A CSV cell: "" for none; whole numbers bare; else up to 6 significant digits."""
    if value is None:
        return ""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}"


def to_csv(rows: Iterable[MeasurementRow]) -> str:
    """The rows as CSV text with a header line: numbers in their own columns, the frame
    1-based. Study and image UIDs only, never the patient's name or ID."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow([
            r.kind, _number(r.series_number), _number(r.instance_number), r.frame + 1,
            _number(r.value), r.unit, _number(r.area), r.area_unit, _number(r.mean),
            _number(r.sd), _number(r.minimum), _number(r.maximum), r.calibration,
            r.sop_instance_uid,
        ])
    return out.getvalue()


def file_images(paths: Mapping[str, Path]) -> ImageSource:
    """An ``ImageSource`` reading images from their files (SOP Instance UID -> path), for
    a study's measurements when its frames are not decoded already. Each frame is decoded
    once; DecodeError when one cannot be, LibraryError when an image has no file."""
    cache: dict[tuple[str, int], tuple[Dataset, Values]] = {}

    def images(sop_instance_uid: str, frame: int) -> tuple[Dataset, Values]:
        key = (sop_instance_uid, frame)
        if key not in cache:
            path = paths.get(sop_instance_uid)
            if path is None:
                raise LibraryError("An annotated image is no longer in the library.")
            with open_image(path) as image:
                prepared = prepare_frame(image, frame)
                values = prepared if isinstance(prepared, GreyFrame) else None
                cache[key] = (image.header, values)
        return cache[key]

    return images
