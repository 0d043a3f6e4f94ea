"""Orientation markers from Image Orientation (Patient), rotation and flips."""

import itertools

import numpy as np
import pytest
from pydicom.dataset import Dataset

from app.imaging.orientation import (
    OBLIQUE_THRESHOLD,
    OrientationMarkers,
    direction_letters,
    image_orientation,
    markers_for_view,
    orientation_markers,
)
from app.imaging.viewport import ViewportState, orient

AXIAL = (1, 0, 0, 0, 1, 0)
CORONAL = (1, 0, 0, 0, 0, -1)
SAGITTAL = (0, 1, 0, 0, 0, -1)


def _sides(markers: OrientationMarkers | None) -> tuple[str, str, str, str]:
    assert markers is not None
    return markers.left, markers.right, markers.top, markers.bottom


def test_axial_ct_shows_the_patients_right_on_the_left_and_anterior_on_top() -> None:
    assert _sides(orientation_markers(AXIAL)) == ("R", "L", "A", "P")


def test_coronal_and_sagittal() -> None:
    assert _sides(orientation_markers(CORONAL)) == ("R", "L", "H", "F")
    assert _sides(orientation_markers(SAGITTAL)) == ("A", "P", "H", "F")


@pytest.mark.parametrize(
    ("rotation", "flip_h", "flip_v", "expected"),
    [
        (0, False, False, ("R", "L", "A", "P")),
        (90, False, False, ("P", "A", "R", "L")),
        (180, False, False, ("L", "R", "P", "A")),
        (270, False, False, ("A", "P", "L", "R")),
        (0, True, False, ("L", "R", "A", "P")),
        (0, False, True, ("R", "L", "P", "A")),
        (0, True, True, ("L", "R", "P", "A")),
        (90, True, False, ("A", "P", "R", "L")),
        (90, False, True, ("P", "A", "L", "R")),
    ],
)
def test_rotations_and_flips_of_an_axial_slice(
    rotation: int, flip_h: bool, flip_v: bool, expected: tuple[str, str, str, str]
) -> None:
    assert _sides(orientation_markers(AXIAL, rotation, flip_h, flip_v)) == expected
    state = ViewportState().rotated(rotation)
    state = state.flipped("h") if flip_h else state
    state = state.flipped("v") if flip_v else state
    assert _sides(markers_for_view(AXIAL, state)) == expected


@pytest.mark.parametrize(
    ("rotation", "flip_h", "flip_v"),
    list(itertools.product((0, 90, 180, 270), (False, True), (False, True))),
)
def test_markers_follow_the_pixels_as_orient_moves_them(
    rotation: int, flip_h: bool, flip_v: bool
) -> None:
    # Mark the middle of the image's right edge (which faces the row direction) and of
    # its bottom edge (the column direction); wherever orient() puts them, that side's
    # marker must name the same patient direction.
    iop = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)  # Sagittal: row -> P, column -> F.
    image = np.zeros((5, 7), dtype=np.uint8)
    image[2, 6] = 1
    image[4, 3] = 2
    shown = orient(image, rotation, flip_h, flip_v)
    markers = orientation_markers(iop, rotation, flip_h, flip_v)
    assert markers is not None
    for value, letter in ((1, "P"), (2, "F")):
        row, column = (int(i) for i in np.argwhere(shown == value)[0])
        rows, columns = shown.shape
        side = {0: "top", rows - 1: "bottom"}.get(row) if column not in (0, columns - 1) else (
            "left" if column == 0 else "right"
        )
        assert getattr(markers, str(side)) == letter


def test_oblique_directions_have_up_to_three_letters_by_magnitude() -> None:
    assert direction_letters((0.8, 0.6, 0.0)) == "LP"
    assert direction_letters((-0.6, 0.8, 0.0)) == "PR"
    assert direction_letters((0.577, -0.577, 0.578)) == "HLA"
    assert direction_letters((0.97, 0.0, 0.24)) == "L"  # Below the threshold: one letter.
    assert direction_letters((0.96, 0.0, -0.28)) == "LF"
    assert OBLIQUE_THRESHOLD == 0.25
    tilted = (0.866, 0.5, 0.0, -0.5, 0.866, 0.0)  # An axial slice turned 30 degrees.
    assert _sides(orientation_markers(tilted)) == ("RA", "LP", "AL", "PR")


@pytest.mark.parametrize(
    "bad",
    [
        None,
        (),
        (1, 0, 0, 0, 1),
        (1, 0, 0, 0, 1, 0, 0),
        (0, 0, 0, 0, 1, 0),
        (1, 0, 0, 1, 0, 0),  # Row and column along the same axis.
        (1, 0, 0, 0, float("nan"), 0),
        ("a", "b", "c", "d", "e", "f"),
        "100010",
    ],
)
def test_missing_or_malformed_orientation_gives_no_markers(bad: object) -> None:
    assert orientation_markers(bad) is None  # type: ignore[arg-type]


def test_unnormalised_cosines_are_accepted() -> None:
    assert _sides(orientation_markers((2, 0, 0, 0, 3, 0))) == ("R", "L", "A", "P")
    assert _sides(orientation_markers(["1", "0", "0", "0", "1", "0"])) == ("R", "L", "A", "P")


def test_image_orientation_reads_the_top_level_or_functional_groups() -> None:
    header = Dataset()
    assert image_orientation(header) is None
    header.ImageOrientationPatient = list(AXIAL)
    assert image_orientation(header) == tuple(float(v) for v in AXIAL)
    plane = Dataset()
    plane.ImageOrientationPatient = list(CORONAL)
    group = Dataset()
    group.PlaneOrientationSequence = [plane]
    enhanced = Dataset()
    enhanced.SharedFunctionalGroupsSequence = [group]
    assert image_orientation(enhanced, 3) == tuple(float(v) for v in CORONAL)
    frame_plane = Dataset()
    frame_plane.ImageOrientationPatient = list(SAGITTAL)
    frame_group = Dataset()
    frame_group.PlaneOrientationSequence = [frame_plane]
    enhanced.PerFrameFunctionalGroupsSequence = [Dataset(), frame_group]
    assert image_orientation(enhanced, 1) == tuple(float(v) for v in SAGITTAL)
    assert image_orientation(enhanced, 0) == tuple(float(v) for v in CORONAL)
