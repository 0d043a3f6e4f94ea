"""What a presentation state says besides its annotations, read: filled and smooth
graphics, the displayed area of each image and how to size it, and the turn and mirror."""

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from app.imaging.presentation_state import GSPS_CLASS, DisplayedArea, read_gsps

CT_CLASS = "1.2.840.10008.5.1.4.1.1.2"


def _image(uid: str) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID = CT_CLASS
    item.ReferencedSOPInstanceUID = uid
    return item


def _area(top_left: list[int], bottom_right: list[int], mode: str,
          images: list[str] | None = None) -> Dataset:
    item = Dataset()
    if images:
        item.ReferencedImageSequence = Sequence([_image(uid) for uid in images])
    item.DisplayedAreaTopLeftHandCorner = top_left
    item.DisplayedAreaBottomRightHandCorner = bottom_right
    item.PresentationSizeMode = mode
    item.PresentationPixelAspectRatio = [1, 1]
    return item


def gsps(*areas: Dataset) -> Dataset:
    """A GSPS on images 1.1 and 1.2 with a filled closed INTERPOLATED outline and an
    open one, and the given displayed areas."""
    ds = Dataset()
    ds.SOPClassUID = GSPS_CLASS
    ds.SOPInstanceUID = "1.2.3.9"
    series = Dataset()
    series.SeriesInstanceUID = "1.2.3"
    series.ReferencedImageSequence = Sequence([_image("1.1"), _image("1.2")])
    ds.ReferencedSeriesSequence = Sequence([series])
    closed = Dataset()
    closed.GraphicAnnotationUnits = "PIXEL"
    closed.GraphicDimensions = 2
    closed.NumberOfGraphicPoints = 5
    closed.GraphicData = [10.0, 10.0, 30.0, 10.0, 30.0, 30.0, 10.0, 30.0, 10.0, 10.0]
    closed.GraphicType = "INTERPOLATED"
    closed.GraphicFilled = "Y"
    opened = Dataset()
    opened.GraphicAnnotationUnits = "PIXEL"
    opened.GraphicDimensions = 2
    opened.NumberOfGraphicPoints = 3
    opened.GraphicData = [1.0, 1.0, 5.0, 9.0, 9.0, 1.0]
    opened.GraphicType = "INTERPOLATED"
    opened.GraphicFilled = "N"
    annotation = Dataset()
    annotation.GraphicLayer = "L"
    annotation.GraphicObjectSequence = Sequence([closed, opened])
    ds.GraphicAnnotationSequence = Sequence([annotation])
    ds.DisplayedAreaSelectionSequence = Sequence(list(areas))
    return ds


def test_a_closed_filled_curve_and_an_open_one_are_read_as_such() -> None:
    frame = read_gsps(gsps(_area([1, 1], [64, 64], "SCALE TO FIT"))).for_image("1.1")
    assert frame is not None
    closed, opened = frame.graphics
    assert closed.kind == "polygon" and closed.smooth and closed.filled
    assert closed.points == ((10.0, 10.0), (30.0, 10.0), (30.0, 30.0), (10.0, 30.0))
    assert opened.kind == "polyline" and opened.smooth and not opened.filled


def test_each_image_gets_its_own_displayed_area_and_size_mode() -> None:
    magnified = _area([11, 21], [40, 60], "MAGNIFY", images=["1.2"])
    magnified.PresentationPixelMagnificationRatio = 2.5
    state = read_gsps(gsps(_area([1, 1], [64, 64], "TRUE SIZE", images=["1.1"]), magnified))
    first, second = state.for_image("1.1"), state.for_image("1.2")
    assert first is not None and second is not None
    # Pixels 1..64 counted from 1: corners (0, 0) to (64, 64).
    assert first.displayed_area == DisplayedArea((0.0, 0.0, 64.0, 64.0), "TRUE SIZE")
    assert second.displayed_area == DisplayedArea((10.0, 20.0, 40.0, 60.0), "MAGNIFY", 2.5)
    assert state.rotation == 0 and not state.flip_h


def test_magnify_without_a_ratio_fits_and_a_bad_area_is_said() -> None:
    state = read_gsps(gsps(_area([5, 5], [20, 20], "MAGNIFY")))
    frame = state.for_image("1.2")
    assert frame is not None
    assert frame.displayed_area == DisplayedArea((4.0, 4.0, 20.0, 20.0), "SCALE TO FIT")
    broken = _area([5, 5], [20, 20], "SCALE TO FIT")
    del broken.DisplayedAreaBottomRightHandCorner
    state = read_gsps(gsps(broken))
    frame = state.for_image("1.1")
    assert frame is not None and frame.displayed_area is None
    assert state.skipped == (
        "The part of the image to show is not given properly; the whole image is shown.",)


@pytest.mark.parametrize(("rotation", "flip", "read", "skipped"), [
    (90, "Y", (90, True), ()),
    (270, "N", (270, False), ()),
    (45, "N", (0, False), ("Its turn of 45 degrees is not one Lightbox can show.",)),
])
def test_the_turn_and_mirror_are_read(rotation: int, flip: str, read: tuple[int, bool],
                                      skipped: tuple[str, ...]) -> None:
    ds = gsps(_area([1, 1], [64, 64], "SCALE TO FIT"))
    ds.ImageRotation = rotation
    ds.ImageHorizontalFlip = flip
    state = read_gsps(ds)
    assert (state.rotation, state.flip_h) == read
    assert state.skipped == skipped
