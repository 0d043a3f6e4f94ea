"""A study's annotations written as a GSPS (highdicom) and read back unchanged."""

from pathlib import Path

from pydicom import dcmread
from pydicom.uid import generate_uid

from app.imaging.gsps_writer import write_gsps
from app.imaging.presentation_state import Graphic, TextNote, read_gsps
from app.services.annotation_gsps import graphic_of, image_annotations
from app.services.annotation_values import measurement_lines
from app.services.annotations import Annotation
from tests.imaging.test_presentation_state import ct_series, dciodvfy_errors, same_points


def test_each_kind_becomes_its_gsps_graphic() -> None:
    def make(kind: str, points: tuple[tuple[float, float], ...], text: str = "") -> Annotation:
        return Annotation(kind=kind, points=points, study_uid="1", series_uid="2",  # type: ignore[arg-type]
                          sop_instance_uid="3", text=text)

    assert graphic_of(make("length", ((1, 2), (3, 4))), "2.8 mm") == \
        Graphic("polyline", ((1, 2), (3, 4)), label="2.8 mm")
    assert graphic_of(make("rectangle", ((5, 6), (1, 2)))) == \
        Graphic("polygon", ((1, 2), (5, 2), (5, 6), (1, 6)))
    assert graphic_of(make("ellipse", ((0, 0), (10, 4)))) == \
        Graphic("ellipse", ((0, 2), (10, 2), (5, 0), (5, 4)))
    assert graphic_of(make("ellipse", ((0, 0), (4, 10)))).points == \
        ((2, 0), (2, 10), (0, 5), (4, 5))  # the major axis first
    assert graphic_of(make("arrow", ((9, 9), (1, 1)), "here")) == \
        Graphic("arrow", ((9, 9), (1, 1)), label="here")
    assert graphic_of(make("text", ((4, 4),), "cyst")) == TextNote("cyst", (4, 4))


def test_a_documents_annotations_round_trip_through_a_gsps(tmp_path: Path) -> None:
    images = ct_series()
    first, second = (str(ds.SOPInstanceUID) for ds in images[:2])
    study, series = str(images[0].StudyInstanceUID), str(images[0].SeriesInstanceUID)

    def make(kind: str, points: tuple[tuple[float, float], ...], image: str = first,
             text: str = "") -> Annotation:
        return Annotation(kind=kind, points=points, study_uid=study,  # type: ignore[arg-type]
                          series_uid=series, sop_instance_uid=image, text=text)

    drawn = [
        make("length", ((2, 3), (12.5, 3))),
        make("ellipse", ((10, 10), (30, 20))),
        make("text", ((5, 25),), second, "cyst"),
        make("freehand", ((1, 1), (8, 1), (4, 6)), second),
    ]
    lines = {a.id: measurement_lines(a, images[0], None) for a in drawn}
    assert lines[drawn[0].id] == ["7.35 mm"]  # 10.5 px at 0.7 mm
    assert lines[drawn[1].id] == ["Area 77 mm²"]
    # The labels are the measurement's own words ("mm²" needs the file's character set).
    labels = {a.id: lines[a.id][0] for a in drawn[:2]}
    out = write_gsps(images, image_annotations(drawn, labels), tmp_path / "gsps.dcm",
                     series_instance_uid=generate_uid(), sop_instance_uid=generate_uid())
    assert dciodvfy_errors(out) == []
    state = read_gsps(dcmread(out))
    on_first, on_second = state.for_image(first), state.for_image(second)
    assert on_first is not None and on_second is not None
    length, ellipse = on_first.graphics
    assert (length.kind, length.label) == ("polyline", "7.35 mm")
    assert same_points(length.points, drawn[0].points)
    assert ellipse.kind == "ellipse" and ellipse.label == "Area 77 mm²"
    assert [n.text for n in on_second.notes] == ["cyst"]
    (outline,) = on_second.graphics
    assert outline.kind == "polygon" and same_points(outline.points, drawn[3].points)
