"""Window presets as data, and the window menu offered for a frame."""

from pathlib import Path

from app.imaging.decode import open_image
from app.imaging.luts import MIN_MAX, LookupTable, Window
from app.imaging.presets import PRESETS, find_preset, preset_names, presets_for
from app.imaging.render import GreyFrame, available_windows, prepare_frame


def test_ct_preset_values() -> None:
    values = {p.name: (p.center, p.width) for p in PRESETS["CT"]}
    assert values == {
        "brain": (40, 80),
        "subdural": (75, 215),
        "stroke": (40, 40),
        "lung": (-600, 1500),
        "mediastinum": (50, 350),
        "abdomen": (40, 400),
        "liver": (60, 160),
        "bone": (400, 1800),
    }


def test_presets_are_found_by_modality_and_name() -> None:
    assert presets_for("ct") == PRESETS["CT"]
    assert presets_for("US") == ()
    lung = find_preset("Lung")
    assert lung is not None and lung.window == Window(-600, 1500, "LINEAR", "Lung")
    assert find_preset("nope") is None
    assert "bone" in preset_names()


def test_ct_window_menu_lists_file_windows_presets_min_max_and_invert(corpus: Path) -> None:
    with open_image(corpus / "files/broken/bad_sequence.dcm") as image:  # a CT, 2 windows
        frame = prepare_frame(image, 0)
    choices = available_windows(frame)
    kinds = [choice.kind for choice in choices]
    assert kinds == ["file-window"] * 2 + ["preset"] * 8 + ["min-max", "invert"]
    assert choices[0].voi == Window(40, 350, "LINEAR", "WINDOW1")
    assert choices[0].label == "WINDOW1"  # The file's own explanation.
    assert choices[0].explanation == "Window 1 stored in the file: centre 40, width 350."
    assert choices[-2].voi is MIN_MAX and choices[-1].voi is None


def test_window_menu_names_the_files_own_windows_and_luts(corpus: Path) -> None:
    with open_image(corpus / "files/series_mr_wrist/MR01.dcm") as image:  # no explanation
        frame = prepare_frame(image, 0)
    assert isinstance(frame, GreyFrame)
    labels = [choice.label for choice in available_windows(frame)]
    assert labels == ["File window 1", "Min-max", "Invert"]  # No presets for MR.
    with open_image(corpus / "files/voi_lut/vlut_04.dcm") as image:
        lut_frame = prepare_frame(image, 0)
    first = available_windows(lut_frame)[0]
    assert first.kind == "file-lut" and isinstance(first.voi, LookupTable)


def test_colour_frames_offer_no_windows(corpus: Path) -> None:
    with open_image(corpus / "files/color/color-pl.dcm") as image:
        assert available_windows(prepare_frame(image, 0)) == []
