"""Annotation values through the measurement core: text, side list rows and CSV."""

import numpy as np
import pytest
from pydicom.dataset import Dataset

from app.imaging.attributes import grey_attributes
from app.imaging.render import GreyFrame
from app.services.annotation_values import (
    Values,
    measurement_lines,
    measurement_row,
    measurement_rows,
    to_csv,
)
from app.services.annotations import Annotation

STUDY, SERIES = "1.2.3", "1.2.3.4"


def _header(series: int, instance: int,
            spacing: tuple[float, float] | None = (0.5, 0.5)) -> Dataset:
    header = Dataset()
    header.Modality = "CT"
    header.PatientName = "DOE^JANE"
    header.SeriesNumber = series
    header.InstanceNumber = instance
    header.RescaleSlope = 2
    header.RescaleIntercept = -1024
    if spacing is not None:
        header.PixelSpacing = list(spacing)
    return header


def _ct(header: Dataset) -> GreyFrame:
    """64 x 64 CT whose value in HU is twice the column index."""
    stored = np.tile(np.arange(64, dtype=np.uint16) + 512, (64, 1))
    return GreyFrame(stored, grey_attributes(header, 0, "MONOCHROME2", False), "CT")


def _make(kind: str, points: list[tuple[float, float]], image: str = "9.1",
          text: str = "") -> Annotation:
    return Annotation(kind=kind, points=tuple(points), study_uid=STUDY,  # type: ignore[arg-type]
                      series_uid=SERIES, sop_instance_uid=image, text=text)


def test_length_in_mm_from_pixel_spacing() -> None:
    header = _header(1, 1, spacing=(0.5, 0.8))  # rows 0.5 mm apart, columns 0.8 mm
    across = _make("length", [(0, 0), (10, 0)])
    down = _make("length", [(0, 0), (0, 10)])
    assert measurement_lines(across, header, None) == ["8 mm"]
    assert measurement_lines(down, header, None) == ["5 mm"]
    row = measurement_row(across, header, None)
    assert row is not None and (row.value, row.unit, row.warning) == (8.0, "mm", "")


def test_an_uncalibrated_length_is_in_pixels_and_says_so() -> None:
    header = _header(1, 1, spacing=None)
    row = measurement_row(_make("length", [(0, 0), (30, 40)]), header, None)
    assert row is not None
    assert row.lines == ("50 px (uncalibrated)",) and row.unit == "px"
    assert row.warning.startswith("Uncalibrated")


def test_region_mean_in_hu_from_the_modality_lut() -> None:
    header = _header(1, 1)
    frame = _ct(header)
    square = _make("rectangle", [(20, 10), (10, 20)])  # columns 10..19: 20..38 HU
    lines = measurement_lines(square, header, frame)
    assert lines[0] == "Area 25 mm²"
    assert lines[1] == "Mean 29 HU, SD 5.77"
    assert lines[2] == "Min 20, max 38 HU"
    row = measurement_row(square, header, frame)
    assert row is not None
    assert (row.area, row.area_unit, row.unit) == (25.0, "mm²", "HU")
    assert row.mean == pytest.approx(29.0)
    assert row.sd == pytest.approx(float(np.std(np.repeat(np.arange(20, 40, 2), 10), ddof=1)))
    assert (row.minimum, row.maximum, row.value) == (20.0, 38.0, None)
    outline = _make("freehand", [(10, 10), (20, 10), (20, 20), (10, 20)])
    assert measurement_lines(outline, header, frame) == lines
    ellipse = _make("ellipse", [(10, 10), (20, 20)])
    assert measurement_lines(ellipse, header, frame)[0] == "Area 19.6 mm²"


def test_colour_regions_have_an_area_and_no_statistics() -> None:
    values: Values = None
    lines = measurement_lines(_make("rectangle", [(0, 0), (4, 2)]), _header(1, 1), values)
    assert lines == ["Area 2 mm²"]


def test_angles_and_labels() -> None:
    header = _header(1, 1)
    assert measurement_lines(_make("angle", [(10, 0), (0, 0), (0, 10)]), header, None) \
        == ["90.0°"]
    label = _make("text", [(1, 1)], text="lesion")
    assert measurement_lines(label, header, None) == []
    assert measurement_row(label, header, None) is None


def test_rows_sorted_by_series_instance_frame_and_their_csv() -> None:
    headers = {"9.1": _header(2, 5), "9.2": _header(1, 3), "9.3": _header(2, 1, spacing=None)}
    frames = {uid: _ct(header) for uid, header in headers.items()}
    annotations = [
        _make("length", [(0, 0), (30, 40)], "9.1"),
        _make("arrow", [(0, 0), (5, 5)], "9.1", text="look"),
        _make("rectangle", [(10, 10), (20, 20)], "9.2"),
        _make("angle", [(10, 0), (0, 0), (10, 10)], "9.1"),
        _make("length", [(0, 0), (30, 40)], "9.3"),
    ]
    asked: list[tuple[str, int]] = []

    def images(uid: str, frame: int) -> tuple[Dataset, Values]:
        asked.append((uid, frame))
        return headers[uid], frames[uid]

    rows = measurement_rows(annotations, images)
    assert ("9.1", 0) in asked and len(asked) == 4  # the arrow measures nothing
    assert [(r.image_label, r.kind) for r in rows] == [
        ("series 1, image 3", "rectangle"),
        ("series 2, image 1", "length"),
        ("series 2, image 5", "length"),
        ("series 2, image 5", "angle"),
    ]
    assert rows[0].value_text == "Area 25 mm², Mean 29 HU, SD 5.77"
    assert rows[2].value_text == "25 mm"
    text = to_csv(rows)
    assert "DOE" not in text
    assert text == (
        "kind,series number,instance number,frame,value,unit,area,area unit,mean,sd,min,"
        "max,calibration,SOP Instance UID\r\n"
        "rectangle,1,3,1,,HU,25,mm²,29,5.7735,20,38,mm,9.2\r\n"
        "length,2,1,1,50,px,,,,,,,px (uncalibrated),9.3\r\n"
        "length,2,5,1,25,mm,,,,,,,mm,9.1\r\n"
        "angle,2,5,1,45,deg,,,,,,,mm,9.1\r\n"
    )


def test_a_multi_frame_image_names_its_frame() -> None:
    header = _header(4, 2)
    header.NumberOfFrames = 3
    annotation = Annotation(kind="length", points=((0, 0), (2, 0)), study_uid=STUDY,
                            series_uid=SERIES, sop_instance_uid="9.9", frame=2)
    row = measurement_row(annotation, header, None)
    assert row is not None and row.image_label == "series 4, image 2, frame 3"

