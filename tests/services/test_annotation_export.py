"""Drawings saved as a presentation state from an open disc: graphics with their values."""

import subprocess
from pathlib import Path

import pytest
from pydicom import dcmread

from app.core.errors import PresentationStateError
from app.imaging.presentation_state import read_gsps
from app.services.annotation_export import (
    measurement_labels,
    save_annotations_as_presentation_state,
    suggested_presentation_state_name,
)
from app.services.annotations import Annotation
from app.services.viewing import MediumReader
from tests.conftest import tool
from tests.imaging.test_presentation_state import dciodvfy_errors, same_points
from tests.library.helpers import write_small_disc


def test_drawings_of_an_open_disc_become_a_gsps_with_their_values(tmp_path: Path) -> None:
    disc = write_small_disc(tmp_path / "disc")
    reader = MediumReader(disc)
    try:
        instances = list(reader.open().listed)
        image = next(r for r in instances if r.modality == "CT")
        header = reader.dataset(image.path)
        spacing = float(header.PixelSpacing[1])

        def make(kind: str, points: tuple[tuple[float, float], ...], text: str = ""
                 ) -> Annotation:
            return Annotation(kind, points, image.study_instance_uid,  # type: ignore[arg-type]
                              image.series_instance_uid, image.sop_instance_uid, 0, text)

        length = make("length", ((2, 3), (12, 3)))
        note = make("text", ((5, 25),), "cyst")
        labels = measurement_labels(reader, instances, [length, note])
        assert labels == {length.id: f"{10 * spacing:g} mm"}
        out = save_annotations_as_presentation_state(reader, instances, [length, note],
                                                     tmp_path / "drawings.dcm")
        with pytest.raises(PresentationStateError):
            save_annotations_as_presentation_state(reader, instances, [], tmp_path / "x.dcm")
    finally:
        reader.close()
    tool("dciodvfy", "dicom3tools")
    assert dciodvfy_errors(out) == []
    state = read_gsps(dcmread(out))
    drawn = state.for_image(image.sop_instance_uid)
    assert drawn is not None
    (graphic,) = drawn.graphics
    assert graphic.label == labels[length.id] and same_points(graphic.points, length.points)
    assert [n.text for n in drawn.notes] == ["cyst"]
    assert suggested_presentation_state_name(instances, image.study_instance_uid) == (
        f"drawings-{image.study_date[:4]}-{image.study_date[4:6]}-{image.study_date[6:]}.dcm")


def test_another_viewer_loads_the_drawings_dcmtk(tmp_path: Path) -> None:
    """dcmtk's presentation-state tools (another viewer's engine) accept the file and read
    back our graphics, label and text on the image they belong to."""
    checker, renderer = tool("dcmpschk", "dcmtk"), tool("dcmp2pgm", "dcmtk")
    disc = write_small_disc(tmp_path / "disc")
    reader = MediumReader(disc)
    try:
        instances = list(reader.open().listed)
        image = next(r for r in instances if r.modality == "CT")
        drawn = [
            Annotation("length", ((2, 3), (12, 3)), image.study_instance_uid,
                       image.series_instance_uid, image.sop_instance_uid),
            Annotation("text", ((5, 25),), image.study_instance_uid,
                       image.series_instance_uid, image.sop_instance_uid, 0, "cyst"),
        ]
        out = save_annotations_as_presentation_state(reader, instances, drawn,
                                                     tmp_path / "drawings.dcm")
        label = measurement_labels(reader, instances, drawn)[drawn[0].id]
    finally:
        reader.close()
    checked = subprocess.run([checker, str(out)], capture_output=True, text=True,
                             timeout=60, check=False)
    assert checked.returncode == 0 and "Test passed." in checked.stdout + checked.stderr
    rendered = subprocess.run(
        [renderer, "-v", "-p", str(out), str(disc / image.path), str(tmp_path / "out.pgm")],
        capture_output=True, text=True, timeout=60, check=False)
    dump = rendered.stdout + rendered.stderr
    assert rendered.returncode == 0, dump
    assert (tmp_path / "out.pgm").stat().st_size > 0
    assert "type=polyline" in dump and "coordinates: 2\\3, 12\\3," in dump
    assert f'"{label}"' in dump and '"cyst"' in dump
