"""Grayscale Softcopy Presentation States: written with highdicom, checked by dciodvfy,
read back; read as another vendor writes them; damaged ones refused in one sentence."""

import subprocess
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from app.core.errors import PresentationStateError
from app.imaging.gsps_writer import content_label, write_gsps
from app.imaging.luts import Window
from app.imaging.presentation_state import (
    GSPS_CLASS,
    Graphic,
    ImageAnnotations,
    ImageRef,
    TextNote,
    arrow_outline,
    read_gsps,
)
from tests.conftest import tool

CT_CLASS = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1"
MULTI_FRAME_SC = "1.2.840.10008.5.1.4.1.1.7.3"


def ct_series(count: int = 3, rows: int = 32, columns: int = 40) -> list[Dataset]:
    """A small synthetic CT series (one study), complete enough for dciodvfy's CT rules
    to matter only for the images, not for the presentation state."""
    study, series, frame_of_reference = generate_uid(), generate_uid(), generate_uid()
    result = []
    for index in range(count):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta.MediaStorageSOPClassUID = CT_CLASS
        ds.SOPClassUID = CT_CLASS
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.PatientName = "Test^Gsps"
        ds.PatientID = "GSPS1"
        ds.PatientBirthDate = "19700101"
        ds.PatientSex = "O"
        ds.StudyInstanceUID = study
        ds.StudyDate = "20240312"
        ds.StudyTime = "101500"
        ds.StudyID = "1"
        ds.AccessionNumber = "A1"
        ds.ReferringPhysicianName = ""
        ds.SeriesInstanceUID = series
        ds.SeriesNumber = 2
        ds.Modality = "CT"
        ds.Manufacturer = "Test"
        ds.FrameOfReferenceUID = frame_of_reference
        ds.PositionReferenceIndicator = ""
        ds.InstanceNumber = index + 1
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.ImagePositionPatient = [0.0, 0.0, float(index)]
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.PixelSpacing = [0.7, 0.7]
        ds.SliceThickness = 1.0
        ds.Rows, ds.Columns = rows, columns
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 1
        ds.RescaleIntercept = -1024
        ds.RescaleSlope = 1
        ds.RescaleType = "HU"
        ds.WindowCenter = 40
        ds.WindowWidth = 400
        ds.KVP = 120
        ds.AcquisitionNumber = 1
        ds.PixelData = np.full((rows, columns), 1024, dtype=np.int16).tobytes()
        result.append(ds)
    return result


def dciodvfy_errors(path: Path) -> list[str]:
    result = subprocess.run([tool("dciodvfy", "dicom3tools"), str(path)],
                            capture_output=True, text=True, errors="replace", timeout=60,
                            check=False)
    lines = (result.stdout + result.stderr).splitlines()
    return [line for line in lines if line.startswith("Error")]


POLYLINE = Graphic("polyline", ((3.0, 4.0), (10.25, 12.5), (20.0, 4.75)), label="12.3 mm")
ELLIPSE = Graphic("ellipse", ((5.0, 10.0), (25.0, 10.0), (15.0, 6.0), (15.0, 14.0)),
                  label="Mean 40 HU")
POINT = Graphic("point", ((7.5, 8.5),))
ARROW = Graphic("arrow", ((30.0, 25.0), (20.0, 15.0)), label="here")
POLYGON = Graphic("polygon", ((2.0, 2.0), (12.0, 2.0), (7.0, 9.0)), filled=True)
NOTE = TextNote("Look at this", (12.0, 20.0), anchor_shown=True)
NOTE_BOX = TextNote("Boxed", (1.0, 1.0), box=(1.0, 1.0, 14.0, 5.0), anchor_shown=False)
WINDOW = Window(50.0, 350.0)


def write_ours(tmp_path: Path) -> tuple[list[Dataset], Path]:
    images = ct_series()
    first = ImageRef(CT_CLASS, str(images[0].SOPInstanceUID))
    second = ImageRef(CT_CLASS, str(images[1].SOPInstanceUID))
    annotations = [
        ImageAnnotations(first, (POLYLINE, ELLIPSE, POINT, ARROW, POLYGON), (NOTE, NOTE_BOX),
                         WINDOW),
        ImageAnnotations(second, (POINT,), (), Window(-600.0, 1500.0, explanation="LUNG")),
    ]
    out = write_gsps(images, annotations, tmp_path / "gsps.dcm",
                     series_instance_uid=generate_uid(), sop_instance_uid=generate_uid(),
                     label="Lightbox notes", description="Measurements of 12 Mar",
                     creator="Doe^Jane")
    return images, out


def same_points(a: tuple[tuple[float, float], ...], b: tuple[tuple[float, float], ...]) -> bool:
    return len(a) == len(b) and all(abs(p[0] - q[0]) <= 1e-3 and abs(p[1] - q[1]) <= 1e-3
                                    for p, q in zip(a, b, strict=True))


def test_written_gsps_passes_dciodvfy(tmp_path: Path) -> None:
    _, out = write_ours(tmp_path)
    assert dciodvfy_errors(out) == []


def test_written_gsps_holds_what_the_standard_wants(tmp_path: Path) -> None:
    images, out = write_ours(tmp_path)
    ds = dcmread(out)
    assert ds.SOPClassUID == GSPS_CLASS
    assert ds.Modality == "PR"
    assert ds.StudyInstanceUID == images[0].StudyInstanceUID
    assert ds.ContentLabel == "LIGHTBOX_NOTES"
    # Our image coordinates are DICOM PIXEL units: the points are stored as they are.
    first = ds.GraphicAnnotationSequence[0].GraphicObjectSequence[0]
    assert list(first.GraphicData) == [3.0, 4.0, 10.25, 12.5, 20.0, 4.75]
    assert first.GraphicAnnotationUnits == "PIXEL"
    # The arrow is a polyline any viewer draws as an arrow.
    arrow = next(o for o in ds.GraphicAnnotationSequence[0].GraphicObjectSequence
                 if o.NumberOfGraphicPoints == 5)
    assert arrow.GraphicType == "POLYLINE"


def test_round_trip_gives_back_the_same_annotations(tmp_path: Path) -> None:
    images, out = write_ours(tmp_path)
    state = read_gsps(dcmread(out))
    assert state.label == "LIGHTBOX_NOTES"
    assert state.description == "Measurements of 12 Mar"
    assert state.creator == "Doe^Jane"
    assert state.skipped == ()
    # Every image is referenced; the third has no annotations but keeps its own window.
    assert [a.image.sop_instance_uid for a in state.images] == [
        str(ds.SOPInstanceUID) for ds in images]
    first = state.for_image(str(images[0].SOPInstanceUID))
    assert first is not None
    assert [g.kind for g in first.graphics] == ["polyline", "ellipse", "point", "arrow",
                                               "polygon"]
    for got, wanted in zip(first.graphics, (POLYLINE, ELLIPSE, POINT, ARROW, POLYGON),
                           strict=True):
        assert same_points(got.points, wanted.points), (got, wanted)
        assert got.label == wanted.label
        assert got.filled == wanted.filled
    notes = {n.text: n for n in first.notes}
    assert set(notes) == {"Look at this", "Boxed"}
    assert same_points((notes["Look at this"].anchor,), (NOTE.anchor,))
    assert notes["Look at this"].anchor_shown
    box = notes["Boxed"].box
    assert box is not None and same_points((box[:2], box[2:]), ((1.0, 1.0), (14.0, 5.0)))
    assert first.window == WINDOW
    second = state.for_image(str(images[1].SOPInstanceUID))
    assert second is not None and second.window == Window(-600.0, 1500.0, explanation="LUNG")
    third = state.for_image(str(images[2].SOPInstanceUID))
    assert third is not None and third.graphics == () and third.window == Window(40.0, 400.0)
    assert state.for_image(generate_uid()) is None


def test_measurement_text_beyond_ascii_is_valid_and_reads_back(tmp_path: Path) -> None:
    """"mm²", "°" and typed accents need a character set: the file says UTF-8."""
    images = ct_series()
    first = ImageRef(CT_CLASS, str(images[0].SOPInstanceUID))
    area = Graphic("ellipse", ELLIPSE.points, label="Area 77 mm²")
    angle = Graphic("polyline", POLYLINE.points, label="42.5°")
    note = TextNote("naïve Ödem", (12.0, 20.0))
    out = write_gsps(images, [ImageAnnotations(first, (area, angle), (note,))],
                     tmp_path / "gsps.dcm", series_instance_uid=generate_uid(),
                     sop_instance_uid=generate_uid(), creator="Müller^Jürgen")
    assert dciodvfy_errors(out) == []
    ds = dcmread(out)
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    state = read_gsps(ds)
    got = state.for_image(str(images[0].SOPInstanceUID))
    assert got is not None
    assert [g.label for g in got.graphics] == ["Area 77 mm²", "42.5°"]
    assert [n.text for n in got.notes] == ["naïve Ödem"]
    assert state.creator == "Müller^Jürgen"


def test_a_frame_of_a_multi_frame_image_round_trips(tmp_path: Path) -> None:
    (image,) = ct_series(1)
    image.SOPClassUID = MULTI_FRAME_SC
    image.NumberOfFrames = 3
    image.PixelData = bytes(image.PixelData) * 3
    uid = str(image.SOPInstanceUID)
    annotations = [ImageAnnotations(ImageRef(MULTI_FRAME_SC, uid, 2), (POINT,), (NOTE,))]
    out = write_gsps([image], annotations, tmp_path / "frames.dcm",
                     series_instance_uid=generate_uid(), sop_instance_uid=generate_uid())
    assert dciodvfy_errors(out) == []
    assert dcmread(out).GraphicAnnotationSequence[0].ReferencedImageSequence[0] \
        .ReferencedFrameNumber == 3
    state = read_gsps(dcmread(out))
    on_frame = state.for_image(uid, 2)
    assert on_frame is not None and on_frame.graphics == (POINT,)
    assert on_frame.window == Window(40.0, 400.0)  # the image's own, for every frame
    elsewhere = state.for_image(uid, 0)
    assert elsewhere is not None and elsewhere.graphics == () and elsewhere.window is not None
    with pytest.raises(PresentationStateError, match="frame 3 of an image with 3"):
        write_gsps([image], [ImageAnnotations(ImageRef(MULTI_FRAME_SC, uid, 3), (POINT,))],
                   tmp_path / "x.dcm", series_instance_uid=generate_uid(),
                   sop_instance_uid=generate_uid())


def test_shapes_past_the_edge_are_refused_not_bent(tmp_path: Path) -> None:
    images = ct_series(1)  # 40 columns, 32 rows
    ref = ImageRef(CT_CLASS, str(images[0].SOPInstanceUID))

    def write(*graphics: Graphic, notes: tuple[TextNote, ...] = ()) -> Path:
        return write_gsps(images, [ImageAnnotations(ref, graphics, notes)],
                          tmp_path / "edge.dcm", series_instance_uid=generate_uid(),
                          sop_instance_uid=generate_uid())

    # From the image's left edge to its right edge (the outer corners of its pixels).
    edge_to_edge = Graphic("polyline", ((0.0, 5.0), (40.0, 5.0)))
    # An arrow along the top edge: its head is pulled onto the image, it stays an arrow.
    along_the_top = Graphic("arrow", ((30.0, 0.0), (10.0, 0.0)))
    # A circle whose given edge point is off the image: another point of it is written.
    circle = Graphic("circle", ((3.0, 3.0), (-5.0, 3.0)))
    out = write(edge_to_edge, along_the_top, circle)
    got = read_gsps(dcmread(out)).images[0].graphics
    assert same_points(got[0].points, edge_to_edge.points)
    assert got[1].kind == "arrow" and same_points(got[1].points, along_the_top.points)
    assert got[2].kind == "circle" and same_points(got[2].points[:1], ((3.0, 3.0),))
    assert abs(np.hypot(got[2].points[1][0] - 3.0, got[2].points[1][1] - 3.0) - 8.0) < 1e-3
    assert dciodvfy_errors(out) == []
    with pytest.raises(PresentationStateError, match="A polyline reaches outside the image"):
        write(Graphic("polyline", ((-3.0, 5.0), (60.0, 5.0))))
    with pytest.raises(PresentationStateError, match="An ellipse reaches outside"):
        write(Graphic("ellipse", ((-5.0, 10.0), (25.0, 10.0), (10.0, 6.0), (10.0, 14.0))))
    with pytest.raises(PresentationStateError, match="text note is placed outside"):
        write(notes=(TextNote("far", (100.0, 100.0)),))


def test_writing_refuses_what_it_cannot_write(tmp_path: Path) -> None:
    images = ct_series(1)
    with pytest.raises(PresentationStateError, match="not given"):
        write_gsps(images, [ImageAnnotations(ImageRef(CT_CLASS, generate_uid()), (POINT,))],
                   tmp_path / "x.dcm", series_instance_uid=generate_uid(),
                   sop_instance_uid=generate_uid())
    with pytest.raises(PresentationStateError, match="two different points"):
        arrow_outline((1.0, 1.0), (1.0, 1.0))
    with pytest.raises(PresentationStateError, match="needs 4 points"):
        Graphic("ellipse", ((1.0, 1.0), (2.0, 2.0)))
    assert content_label("my notes (v2)") == "MY_NOTES__V2_"
    assert content_label("") == "ANNOTATIONS"


# -- another vendor's GSPS, built by hand ----------------------------------------------


def vendor_gsps() -> Dataset:
    """A GSPS as another viewer might write it: a multi-frame image (frames 2 and 5), a
    CIRCLE, an INTERPOLATED curve, a text with only a box, DISPLAY units through a plain
    displayed area, an unknown graphic type, and none of the optional identification."""
    ds = Dataset()
    ds.SOPClassUID = GSPS_CLASS
    ds.SOPInstanceUID = "1.2.3.4.100"
    ds.Modality = "PR"
    image = Dataset()
    image.ReferencedSOPClassUID = ENHANCED_CT
    image.ReferencedSOPInstanceUID = "1.2.3.4.5"
    image.ReferencedFrameNumber = [2, 5]
    series = Dataset()
    series.SeriesInstanceUID = "1.2.3.4"
    series.ReferencedImageSequence = Sequence([image])
    ds.ReferencedSeriesSequence = Sequence([series])

    circle = Dataset()
    circle.GraphicAnnotationUnits = "PIXEL"
    circle.GraphicDimensions = 2
    circle.NumberOfGraphicPoints = 2
    circle.GraphicData = [100.5, 100.5, 110.5, 100.5]
    circle.GraphicType = "CIRCLE"
    curve = Dataset()
    curve.GraphicAnnotationUnits = "PIXEL"
    curve.GraphicDimensions = 2
    curve.NumberOfGraphicPoints = 3
    curve.GraphicData = [10.5, 10.5, 20.5, 30.5, 40.5, 10.5]
    curve.GraphicType = "INTERPOLATED"
    on_screen = Dataset()  # DISPLAY units: the middle of the displayed area
    on_screen.GraphicAnnotationUnits = "DISPLAY"
    on_screen.GraphicDimensions = 2
    on_screen.NumberOfGraphicPoints = 1
    on_screen.GraphicData = [0.5, 0.5]
    on_screen.GraphicType = "POINT"
    odd = Dataset()
    odd.GraphicAnnotationUnits = "PIXEL"
    odd.GraphicDimensions = 2
    odd.NumberOfGraphicPoints = 1
    odd.GraphicData = [1.0, 1.0]
    odd.GraphicType = "SPLINE3D"
    text = Dataset()
    text.UnformattedTextValue = "Lesion 1"
    text.BoundingBoxAnnotationUnits = "PIXEL"
    text.BoundingBoxTopLeftHandCorner = [50.0, 60.0]
    text.BoundingBoxBottomRightHandCorner = [90.0, 70.0]
    text.BoundingBoxTextHorizontalJustification = "LEFT"
    annotation = Dataset()
    annotation.GraphicLayer = "LAYER1"
    annotation.GraphicObjectSequence = Sequence([circle, curve, on_screen, odd])
    annotation.TextObjectSequence = Sequence([text])
    ds.GraphicAnnotationSequence = Sequence([annotation])  # no ReferencedImageSequence: all

    area = Dataset()
    area.DisplayedAreaTopLeftHandCorner = [1, 1]
    area.DisplayedAreaBottomRightHandCorner = [512, 256]
    area.PresentationSizeMode = "SCALE TO FIT"
    area.PresentationPixelAspectRatio = [1, 1]
    ds.DisplayedAreaSelectionSequence = Sequence([area])

    voi = Dataset()
    voi.WindowCenter = "40"
    voi.WindowWidth = "400"
    ds.SoftcopyVOILUTSequence = Sequence([voi])
    return ds


def test_another_vendors_gsps_reads_sensibly() -> None:
    state = read_gsps(vendor_gsps())
    assert state.label == "" and state.creator == ""
    assert [a.image for a in state.images] == [
        ImageRef(ENHANCED_CT, "1.2.3.4.5", 1), ImageRef(ENHANCED_CT, "1.2.3.4.5", 4)]
    frame = state.for_image("1.2.3.4.5", 4)
    assert frame is not None
    circle, curve, point = frame.graphics
    assert circle.kind == "circle" and same_points(circle.points, ((100.5, 100.5),
                                                                    (110.5, 100.5)))
    assert curve.kind == "polyline" and curve.smooth
    assert same_points(curve.points, ((10.5, 10.5), (20.5, 30.5), (40.5, 10.5)))
    # The displayed area runs from pixels 1 to 512 and 1 to 256 (counted from 1), that is
    # from corner (0, 0) to corner (512, 256): its middle is (256, 128).
    assert point.kind == "point" and same_points(point.points, ((256.0, 128.0),))
    (note,) = frame.notes
    assert note.text == "Lesion 1" and not note.anchor_shown
    assert note.box is not None and same_points((note.box[:2], note.box[2:]),
                                                ((50.0, 60.0), (90.0, 70.0)))
    assert note.anchor == note.box[:2]
    assert frame.window == Window(40.0, 400.0)
    assert state.for_image("1.2.3.4.5", 0) is None
    assert state.skipped == ("Some graphics are of a type Lightbox does not draw (SPLINE3D).",)


def test_display_units_on_a_rotated_image_are_left_out_with_a_sentence() -> None:
    ds = vendor_gsps()
    ds.ImageRotation = 90
    frame = read_gsps(ds).for_image("1.2.3.4.5", 1)
    assert frame is not None
    assert [g.kind for g in frame.graphics] == ["circle", "polyline"]
    assert any("relative to the screen" in s for s in read_gsps(ds).skipped)


def test_an_arrow_from_another_writer_is_recognised() -> None:
    # A head of a different size and angle than ours, still two equal mirrored sides.
    ds = vendor_gsps()
    arrow = ds.GraphicAnnotationSequence[0].GraphicObjectSequence[0]
    arrow.GraphicType = "POLYLINE"
    arrow.NumberOfGraphicPoints = 5
    arrow.GraphicData = [50.5, 10.5, 10.5, 10.5, 14.5, 8.5, 10.5, 10.5, 14.5, 12.5]
    frame = read_gsps(ds).for_image("1.2.3.4.5", 1)
    assert frame is not None
    assert frame.graphics[0].kind == "arrow"
    assert same_points(frame.graphics[0].points, ((50.5, 10.5), (10.5, 10.5)))
    # Five points through the same middle point, but both "wings" on one side: a zigzag.
    arrow.GraphicData = [50.5, 10.5, 10.5, 10.5, 14.5, 8.5, 10.5, 10.5, 16.5, 7.5]
    frame = read_gsps(ds).for_image("1.2.3.4.5", 1)
    assert frame is not None and frame.graphics[0].kind == "polyline"


def damaged(change: str) -> Dataset:
    ds = vendor_gsps()
    objects = ds.GraphicAnnotationSequence[0].GraphicObjectSequence
    if change == "no references":
        del ds.ReferencedSeriesSequence
    elif change == "no images":
        del ds.ReferencedSeriesSequence[0].ReferencedImageSequence
    elif change == "odd point count":
        objects[0].GraphicData = [100.5, 100.5, 110.5]
    elif change == "count mismatch":
        objects[1].NumberOfGraphicPoints = 7
    elif change == "text in numbers":
        objects[0].add_new("GraphicData", "LO", "one\\two")
    elif change == "sequence as text":
        ds.add_new("GraphicAnnotationSequence", "LO", "nothing")
    elif change == "bad frame":
        ds.ReferencedSeriesSequence[0].ReferencedImageSequence[0].ReferencedFrameNumber = 0
    elif change == "ellipse of three":
        objects[0].GraphicType = "ELLIPSE"
        objects[0].NumberOfGraphicPoints = 3
        objects[0].GraphicData = [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    elif change == "not a presentation state":
        ds.SOPClassUID = CT_CLASS
    elif change == "text nowhere":
        del ds.GraphicAnnotationSequence[0].TextObjectSequence[0].BoundingBoxTopLeftHandCorner
        del ds.GraphicAnnotationSequence[0].TextObjectSequence[0].\
            BoundingBoxBottomRightHandCorner
    return ds


@pytest.mark.parametrize("change", [
    "no references", "no images", "odd point count", "count mismatch", "text in numbers",
    "sequence as text", "bad frame", "ellipse of three", "not a presentation state",
    "text nowhere",
])
def test_a_damaged_gsps_raises_our_error(change: str) -> None:
    with pytest.raises(PresentationStateError) as raised:
        read_gsps(damaged(change))
    message = str(raised.value)
    assert message.endswith(".") and "\n" not in message


def test_a_damaged_file_from_disk_raises_our_error(tmp_path: Path) -> None:
    _, out = write_ours(tmp_path)
    data = bytearray(out.read_bytes())
    # Cut inside the graphic annotations: pydicom keeps what it could read.
    ds = dcmread(_cut(data, len(data) // 2, tmp_path), force=True)
    try:
        read_gsps(ds)
    except PresentationStateError as exc:
        assert "\n" not in str(exc)


def _cut(data: bytearray, size: int, tmp_path: Path) -> Path:
    path = tmp_path / "cut.dcm"
    path.write_bytes(bytes(data[:size]))
    return path


def test_images_lacking_type_2_values_or_in_colour(tmp_path: Path) -> None:
    (image,) = ct_series(1)
    del image.PatientID, image.StudyID, image.AccessionNumber
    ref = ImageRef(CT_CLASS, str(image.SOPInstanceUID))
    out = write_gsps([image], [ImageAnnotations(ref, (POINT,))], tmp_path / "bare.dcm",
                     series_instance_uid=generate_uid(), sop_instance_uid=generate_uid())
    assert "PatientID" not in image  # the caller's header is left as it was
    assert dcmread(out).PatientID == ""
    assert dciodvfy_errors(out) == []
    image.SamplesPerPixel = 3
    image.PhotometricInterpretation = "RGB"
    with pytest.raises(PresentationStateError, match="colour images"):
        write_gsps([image], [ImageAnnotations(ref, (POINT,))], tmp_path / "rgb.dcm",
                   series_instance_uid=generate_uid(), sop_instance_uid=generate_uid())


@pytest.mark.parametrize("name", [
    "files/big_endian/emri_small_big_endian.dcm",  # enhanced multi-frame MR, big endian
    "files/multiframe/NM-MONO2-16-13x-heart",  # classic multi-frame NM without Patient ID
    "discs/pydicom_dicomdirtests/77654033/CR1/6154",  # CR
    "discs/philips_ct_dirfile_trimmed/S21610/S2010/I10",  # CT from a Philips disc
])
def test_real_images_from_the_corpus_get_a_valid_gsps(corpus: Path, tmp_path: Path,
                                                      name: str) -> None:
    image = dcmread(corpus / name, stop_before_pixels=True)
    frames = int(image.get("NumberOfFrames", 1) or 1)
    ref = ImageRef(str(image.SOPClassUID), str(image.SOPInstanceUID),
                   frames - 1 if frames > 1 else None)
    # Small enough for the 16 x 16 CR.
    arrow, point = Graphic("arrow", ((12.0, 12.0), (4.0, 3.0))), Graphic("point", ((2.0, 9.0),))
    note = TextNote("Here", (8.0, 8.0), anchor_shown=True)
    out = write_gsps([image], [ImageAnnotations(ref, (arrow, point), (note,), WINDOW)],
                     tmp_path / "real.dcm", series_instance_uid=generate_uid(),
                     sop_instance_uid=generate_uid())
    assert dciodvfy_errors(out) == []
    drawn = read_gsps(dcmread(out)).for_image(ref.sop_instance_uid, ref.frame or 0)
    assert drawn is not None and [g.kind for g in drawn.graphics] == ["arrow", "point"]
    assert drawn.window == WINDOW
