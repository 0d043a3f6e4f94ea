"""The measurement side list without Qt: rows, their order, updates on every change,
unreadable images, selection, clipboard text, CSV and its file."""

import csv
import errno
import io
import os
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset

from app.core.errors import DecodeError, LightboxError
from app.core.models import InstanceRef, build_tree
from app.imaging.attributes import grey_attributes
from app.imaging.render import GreyFrame
from app.services.annotation_values import MeasurementRow, Values, to_csv
from app.services.annotations import Annotation, AnnotationDocument
from app.services.measurement_list import (
    EMPTY_TEXT,
    NOT_READ,
    MeasurementList,
    clipboard_text,
    csv_file_name,
    save_csv,
    study_date_of,
)

STUDY = "1.2.3"


def _header(series: int, instance: int, spacing: tuple[float, float] | None = (0.5, 0.5),
            frames: int = 1) -> Dataset:
    header = Dataset()
    header.Modality = "CT"
    header.PatientName = "DOE^JANE"
    header.SeriesNumber = series
    header.InstanceNumber = instance
    header.RescaleSlope = 2
    header.RescaleIntercept = -1024
    if frames > 1:
        header.NumberOfFrames = frames
    if spacing is not None:
        header.PixelSpacing = list(spacing)
    return header


def _ct(header: Dataset) -> GreyFrame:
    """64 x 64 CT whose value in HU is twice the column index."""
    stored = np.tile(np.arange(64, dtype=np.uint16) + 512, (64, 1))
    return GreyFrame(stored, grey_attributes(header, 0, "MONOCHROME2", False), "CT")


HEADERS = {"9.1": _header(2, 5), "9.2": _header(1, 3), "9.3": _header(2, 1, spacing=None),
           "9.4": _header(3, 1, frames=4)}


class Images:
    """An ImageSource over HEADERS that counts what it is asked and fails for "9.bad"."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []

    def __call__(self, uid: str, frame: int) -> tuple[Dataset, Values]:
        self.asked.append((uid, frame))
        if uid not in HEADERS:
            raise DecodeError("The file cannot be opened: No such file or directory.")
        return HEADERS[uid], _ct(HEADERS[uid])


def _make(kind: str, points: list[tuple[float, float]], image: str = "9.1",
          frame: int = 0, text: str = "") -> Annotation:
    return Annotation(kind=kind, points=tuple(points), study_uid=STUDY,  # type: ignore[arg-type]
                      series_uid="1.2.3.4", sop_instance_uid=image, frame=frame, text=text)


def test_rows_values_order_and_where() -> None:
    document = AnnotationDocument(STUDY, [
        _make("length", [(0, 0), (30, 40)], "9.1"),
        _make("arrow", [(0, 0), (5, 5)], "9.1", text="look"),
        _make("rectangle", [(10, 10), (20, 20)], "9.2"),
        _make("angle", [(10, 0), (0, 0), (10, 10)], "9.1"),
        _make("length", [(0, 0), (30, 40)], "9.3"),
        _make("ellipse", [(10, 10), (20, 20)], "9.4", frame=2),
    ])
    listing = MeasurementList(document, Images())
    rows = listing.rows
    assert [(listing.where(r), r.kind, r.value_text) for r in rows] == [
        ("Series 1, image 3", "rectangle", "Area 25 mm², Mean 29 HU, SD 5.77"),
        ("Series 2, image 1", "length", "50 px (uncalibrated)"),
        ("Series 2, image 5", "length", "25 mm"),
        ("Series 2, image 5", "angle", "45.0°"),
        ("Series 3, image 1, frame 3", "ellipse", "Area 19.6 mm², Mean 29 HU, SD 5.07"),
    ]
    assert (rows[2].value, rows[2].unit) == (25.0, "mm")
    assert (rows[1].value, rows[1].unit) == (50.0, "px")
    assert rows[3].value == pytest.approx(45.0)
    assert (rows[0].area, rows[0].mean, rows[0].minimum, rows[0].maximum) == \
        (25.0, pytest.approx(29.0), 20.0, 38.0)
    # The ellipse holds the 80 pixels whose centres are within 5 of (15, 15).
    rows_, columns = np.mgrid[0:64, 0:64]
    inside = (columns + 0.5 - 15) ** 2 + (rows_ + 0.5 - 15) ** 2 <= 25
    hu = 2.0 * columns[inside]
    assert rows[4].sd == pytest.approx(float(np.std(hu, ddof=1)))
    assert (rows[4].frame, rows[4].frames, rows[4].mean) == (2, 4, pytest.approx(29.0))


def test_rows_follow_add_change_delete_undo_and_redo() -> None:
    images = Images()
    document = AnnotationDocument(STUDY)
    listing = MeasurementList(document, images)
    heard: list[tuple[str, ...]] = []
    listing.rows_changed.connect(lambda rows: heard.append(tuple(r.value_text for r in rows)))
    assert listing.rows == () and listing.empty_text == EMPTY_TEXT

    line = document.add(_make("length", [(0, 0), (30, 40)], "9.1"))  # 25 mm
    square = document.add(_make("rectangle", [(10, 10), (20, 20)], "9.2"))
    assert heard == [("25 mm",), ("Area 25 mm², Mean 29 HU, SD 5.77", "25 mm")]
    asked = len(images.asked)

    document.set_points(line.id, [(0, 0), (0, 20)])  # 10 mm
    assert heard[-1] == ("Area 25 mm², Mean 29 HU, SD 5.77", "10 mm")
    assert len(images.asked) == asked + 1  # only the changed line was measured again

    document.add(_make("text", [(5, 5)], "9.1", text="here"))  # a label: nothing to list
    assert len(heard) == 3

    document.delete(square.id)
    assert heard[-1] == ("10 mm",)
    asked = len(images.asked)
    document.undo()  # the square is back
    assert heard[-1] == ("Area 25 mm², Mean 29 HU, SD 5.77", "10 mm")
    document.undo()  # the label goes: the rows stay the same, so no event
    assert len(heard) == 5
    document.undo()  # the line as first drawn
    assert heard[-1] == ("Area 25 mm², Mean 29 HU, SD 5.77", "25 mm")
    document.redo()
    assert heard[-1] == ("Area 25 mm², Mean 29 HU, SD 5.77", "10 mm")
    # The square came back equal to itself, so it was not measured again.
    assert ("9.2", 0) not in images.asked[asked:]

    listing.set_document(None)
    assert listing.rows == () and heard[-1] == ()
    document.delete(line.id)
    assert heard[-1] == ()  # no longer followed
    assert len(heard) == 8


def test_an_unreadable_image_costs_its_row_a_sentence_not_the_list() -> None:
    document = AnnotationDocument(STUDY, [
        _make("length", [(0, 0), (30, 40)], "9.bad"),
        _make("length", [(0, 0), (30, 40)], "9.1"),
    ])
    listing = MeasurementList(document, Images())
    good, bad = listing.rows  # the unreadable one has no numbers: it goes last
    assert good.value_text == "25 mm" and listing.where(good) == "Series 2, image 5"
    assert bad.value is None and bad.kind == "length"
    assert bad.value_text == "The file cannot be opened: No such file or directory."
    assert listing.where(bad) == NOT_READ
    assert to_csv(listing.rows).splitlines()[2] == "length,,,1,,,,,,,,,,9.bad"

    without_images = MeasurementList(document)
    assert [r.value_text for r in without_images.rows] == [
        "The image of this measurement could not be read."] * 2


def test_selection_follows_the_rows() -> None:
    document = AnnotationDocument(STUDY)
    listing = MeasurementList(document, Images())
    line = document.add(_make("length", [(0, 0), (30, 40)], "9.1"))
    label = document.add(_make("text", [(5, 5)], "9.1", text="here"))
    selected: list[str] = []
    listing.selection_changed.connect(selected.append)
    assert listing.select(line.id) and listing.selected_row() == listing.rows[0]
    assert not listing.select(label.id)  # not a measurement
    assert not listing.select("no-such-id") and listing.selected == line.id
    document.delete(line.id)
    assert listing.selected == "" and listing.selected_row() is None
    assert selected == [line.id, ""]


def test_clipboard_text_has_the_csv_columns_and_numbers() -> None:
    document = AnnotationDocument(STUDY, [
        _make("rectangle", [(10, 10), (20, 20)], "9.2"),
        _make("length", [(0, 0), (30, 40)], "9.3"),
    ])
    listing = MeasurementList(document, Images())
    text = listing.clipboard_text()
    assert text == clipboard_text(listing.rows)
    assert text == (
        "kind\tseries number\tinstance number\tframe\tvalue\tunit\tarea\tarea unit\tmean\t"
        "sd\tmin\tmax\tcalibration\tSOP Instance UID\n"
        "rectangle\t1\t3\t1\t\tHU\t25\tmm²\t29\t5.7735\t20\t38\tmm\t9.2\n"
        "length\t2\t1\t1\t50\tpx\t\t\t\t\t\t\tpx (uncalibrated)\t9.3\n"
    )
    table = [line.split("\t") for line in text.splitlines()]
    assert table == list(csv.reader(io.StringIO(listing.csv_text())))
    assert "DOE" not in text


def test_csv_file_name_and_study_date() -> None:
    assert csv_file_name("20240312") == "measurements-2024-03-12.csv"
    assert csv_file_name("") == "measurements.csv"
    assert csv_file_name("2024") == "measurements.csv"
    ref = InstanceRef(path="a", sop_instance_uid="9.1", study_instance_uid=STUDY,
                      series_instance_uid="1.2.3.4", study_date="20240312",
                      patient_name="DOE^JANE")
    tree = build_tree([ref])
    assert study_date_of(tree, STUDY) == "20240312"
    assert study_date_of(tree, "7.7") == ""


def test_save_csv_writes_the_whole_file_or_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing = MeasurementList(AnnotationDocument(STUDY, [
        _make("length", [(0, 0), (30, 40)], "9.1"),
        _make("ellipse", [(10, 10), (20, 20)], "9.4", frame=2),
    ]), Images())
    out = tmp_path / "measurements-2024-03-12.csv"
    save_csv(out, listing.rows)
    with open(out, encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [(r["kind"], r["value"], r["unit"], r["area"], r["area unit"], r["frame"])
            for r in table] == [("length", "25", "mm", "", "", "1"),
                                ("ellipse", "", "HU", "19.635", "mm²", "3")]
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary left

    for code, start in ((errno.EROFS, "Lightbox may not write in"),
                        (errno.ENOSPC, f"The disk holding {tmp_path} is full")):
        def refuse(*_args: object, code: int = code) -> int:
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr("app.services.image_export.os.open", refuse)
        with pytest.raises(LightboxError) as caught:
            save_csv(tmp_path / "other.csv", listing.rows)
        assert str(caught.value).startswith(start)
        assert "\n" not in str(caught.value)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_where_counts_as_the_viewer_when_it_is_told_how() -> None:
    document = AnnotationDocument(STUDY, [_make("length", [(0, 0), (30, 40)], "9.3")])
    listing = MeasurementList(document, Images())
    asked: list[tuple[str, int]] = []

    def position(uid: str, frame: int) -> tuple[int, int] | None:
        asked.append((uid, frame))
        return (1, 1) if uid == "9.3" else None

    listing.position = position
    assert listing.where(listing.rows[0]) == "Series 2, image 1 of 1"
    assert asked == [("9.3", 0)]
    listing.position = lambda _uid, _frame: None  # not in the viewer's tree
    assert listing.where(listing.rows[0]) == "Series 2, image 1"


def test_the_value_cell_leaves_the_long_uncalibrated_sentence_to_the_tooltip() -> None:
    sentence = "Uncalibrated: the image gives no pixel size, so values are in pixels."
    row = MeasurementRow("a", "ellipse", 1, 1, 0, 1, None, "", 10995.6, "px²", None, None,
                         None, None, "px (uncalibrated)", sentence,
                         ("Area 10995.6 px² (uncalibrated)", sentence), "9.1")
    assert row.value_text == "Area 10995.6 px² (uncalibrated)"
