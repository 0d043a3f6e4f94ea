"""ViewerModel.show_image: the measurement list's jump to an image and frame."""

from pathlib import Path

from app.core.models import InstanceRef, build_tree
from app.services.viewer_model import OpenSource, ViewerModel

PDF_CLASS = "1.2.840.10008.5.1.4.1.1.104.1"


def _ref(series: str, number: int, frames: int = 1, sop_class: str = "1.2.840.10008.5.1.4.1.1.2"
         ) -> InstanceRef:
    return InstanceRef(
        path=f"{series}/{number}", sop_instance_uid=f"{series}.{number}",
        sop_class_uid=sop_class, study_instance_uid="1.1", series_instance_uid=series,
        modality="CT", series_number=int(series.split(".")[-1]), instance_number=number,
        number_of_frames=frames, study_date="20240312",
    )


def _model(refs: list[InstanceRef]) -> ViewerModel:
    model = ViewerModel()
    model.open_source(OpenSource("medium", Path("/media/DISC")))
    model.set_tree(build_tree(refs))
    return model


def test_show_image_selects_its_series_and_goes_to_it() -> None:
    model = _model([_ref("2.1", i) for i in range(3)] + [_ref("2.2", i) for i in range(6)])
    assert model.series is not None and model.series.series_instance_uid == "2.2"
    positions: list[int] = []
    model.position_changed.connect(positions.append)
    assert model.show_image("2.1.2")
    assert model.series is not None and model.series.series_instance_uid == "2.1"
    assert model.index == 2 and positions[-1] == 2
    assert model.slices is not None and model.slices.current.instance.sop_instance_uid == "2.1.2"
    assert model.show_image("2.2.4")  # back to the other series
    assert model.series.series_instance_uid == "2.2" and model.index == 4
    assert model.show_image("2.2.1")  # within the series on screen
    assert model.index == 1


def test_show_image_counts_frames_of_multi_frame_images() -> None:
    # Two single-frame images, then a 4-frame one: its frame 2 is the series' 5th slice.
    model = _model([_ref("3.1", 0), _ref("3.1", 1), _ref("3.1", 2, frames=4), _ref("3.1", 3)])
    assert model.count == 7
    assert model.show_image("3.1.2", 2)
    assert model.index == 4
    assert model.slices is not None and model.slices.current.frame == 2
    assert model.show_image("3.1.3")
    assert model.index == 6


def test_show_image_reaches_a_frame_not_known_yet() -> None:
    # The index did not say how many frames the file has (one slice until it is read).
    model = _model([_ref("4.1", 0), _ref("4.1", 1), _ref("4.1", 2)])
    assert model.show_image("4.1.1", 3)
    assert model.count == 6 and model.index == 4
    assert model.slices is not None and model.slices.current.key == ("4.1/1", 3)


def test_show_image_is_false_for_what_is_not_open() -> None:
    model = _model([_ref("5.1", i) for i in range(4)] + [_ref("5.9", 0, sop_class=PDF_CLASS)])
    model.go_to(2)
    assert not model.show_image("9.9.9")
    assert not model.show_image("5.1.1", -1)
    assert not model.show_image("5.9.0")  # a report, not an image
    assert model.series is not None and model.series.series_instance_uid == "5.1"
    assert model.index == 2
    empty = ViewerModel()
    assert not empty.show_image("5.1.1")


def test_image_position_counts_as_the_viewer_does() -> None:
    # Instance numbers 5, 9, 7 in one series: the viewer shows them as images 1 to 3.
    model = _model([_ref("4.1", n) for n in (5, 9, 7)] + [_ref("4.2", n) for n in range(4)])
    shown = model.series
    assert shown is not None and shown.series_instance_uid == "4.2"
    assert model.image_position("4.1.5") == (1, 3)
    assert model.image_position("4.1.7") == (2, 3)
    assert model.image_position("4.1.9") == (3, 3)
    assert model.image_position("4.2.3") == (4, 4)
    assert model.series is shown and model.index == 0  # looking moved nothing
    assert model.image_position("9.9.9") is None


def test_image_position_counts_frames_of_multi_frame_images() -> None:
    model = _model([_ref("3.1", 0), _ref("3.1", 1), _ref("3.1", 2, frames=4), _ref("3.1", 3)])
    assert model.image_position("3.1.2", 2) == (5, 7)
    assert model.image_position("3.1.3") == (7, 7)
