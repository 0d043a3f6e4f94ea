"""Window presets as data, and the window menu offered for a frame."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from app.imaging.decode import open_image
from app.imaging.luts import MIN_MAX, LookupTable, Window
from app.imaging.presets import (
    PRESETS,
    find_preset,
    preset_names,
    presets_for,
    window_choices,
)
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


def test_ct_window_menu_lists_file_windows_min_max_then_ct_presets(corpus: Path) -> None:
    with open_image(corpus / "files/broken/bad_sequence.dcm") as image:  # a CT, 2 windows
        frame = prepare_frame(image, 0)
    choices = available_windows(frame)
    kinds = [choice.kind for choice in choices]
    assert kinds == ["file-window"] * 2 + ["min-max"] + ["preset"] * 8
    assert choices[0].voi == Window(40, 350, "LINEAR", "WINDOW1")
    assert choices[0].label == "WINDOW1"  # The file's own explanation.
    assert choices[0].explanation == "Window 1 stored in the file: centre 40, width 350."
    assert choices[2].voi is MIN_MAX
    assert [choice.key for choice in choices] == [1, 2, 3, 4, 5, 6, 7, 8, None, None, None]


def test_window_menu_names_the_files_own_windows_and_luts(corpus: Path) -> None:
    with open_image(corpus / "files/series_mr_wrist/MR01.dcm") as image:  # no explanation
        frame = prepare_frame(image, 0)
    assert isinstance(frame, GreyFrame)
    labels = [choice.label for choice in available_windows(frame)]
    assert labels == ["Window 1", "Min-max"]  # No presets for MR.
    with open_image(corpus / "files/voi_lut/vlut_04.dcm") as image:
        lut_frame = prepare_frame(image, 0)
    first = available_windows(lut_frame)[0]
    assert first.kind == "file-lut" and isinstance(first.voi, LookupTable)


def test_colour_frames_offer_no_windows(corpus: Path) -> None:
    with open_image(corpus / "files/color/color-pl.dcm") as image:
        assert available_windows(prepare_frame(image, 0)) == []


_TWO_WINDOWS = (Window(40, 400, "LINEAR", "SOFT TISSUE"), Window(300, 1500))
_LUT = LookupTable(0, 8, np.arange(256, dtype=np.uint16), "")


def test_ct_offers_its_own_windows_and_luts_then_min_max_then_hu_presets() -> None:
    choices = window_choices("CT", _TWO_WINDOWS, (_LUT,))
    assert [(c.kind, c.label, c.key) for c in choices[:4]] == [
        ("file-window", "SOFT TISSUE", 1),
        ("file-window", "Window 2", 2),
        ("file-lut", "Window 3", 3),
        ("min-max", "Min-max", 4),
    ]
    presets = choices[4:]
    assert [c.label for c in presets] == [p.label for p in PRESETS["CT"]]
    assert {"Lung", "Bone", "Brain", "Abdomen"} <= {c.label for c in presets}
    assert [c.key for c in presets] == [5, 6, 7, 8, None, None, None, None]
    assert choices[4].voi == Window(40, 80, "LINEAR", "Brain")
    assert choices[4].explanation == "CT preset: centre 40, width 80."


def test_ct_without_windows_of_its_own_keys_min_max_and_seven_presets() -> None:
    choices = window_choices(" ct ")
    assert choices[0].kind == "min-max" and choices[0].key == 1
    assert [c.key for c in choices] == [1, 2, 3, 4, 5, 6, 7, 8, None]


@pytest.mark.parametrize("modality", ["MR", "US", "CR", "DX", "XA", "PT", "MG", "NM", ""])
def test_other_modalities_get_no_hounsfield_presets(modality: str) -> None:
    choices = window_choices(modality, _TWO_WINDOWS[:1])
    assert [(c.kind, c.label, c.key) for c in choices] == [
        ("file-window", "SOFT TISSUE", 1),
        ("min-max", "Min-max", 2),
    ]
    assert choices[1].voi is MIN_MAX


def test_pet_without_windows_offers_min_max_only() -> None:
    assert [c.label for c in window_choices("PT")] == ["Min-max"]


def test_choices_are_frozen_values() -> None:
    choice = window_choices("MR")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        choice.label = "x"  # type: ignore[misc]
