"""The Measurements list of a disc opened as a ZIP or ISO file: every row gets its value,
from the frames the viewer has and, for images not shown yet, read in the background."""

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.gui.main_window import MainWindow
from app.services.annotation_values import file_images, measurement_lines
from app.services.measurement_list import READING_WHERE
from tests.gui.test_measurement_panel_gui import SPACING, _cells, _on, _series
from tests.library.helpers import make_iso, make_zip, write_small_disc

TIMEOUT = 30_000


@pytest.mark.parametrize("packed", ["zip", "iso"])
def test_the_list_measures_images_inside_a_packed_disc(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, packed: str
) -> None:
    disc = write_small_disc(tmp_path / "disc")
    archive = (make_zip(disc, tmp_path / "disc.zip") if packed == "zip"
               else make_iso(disc, tmp_path / "disc.iso"))
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(archive)
    assert window.session is not None
    refs = list(window.session.instances)
    axial = _series(refs, 8)
    scout = _series(refs, 1)[0]
    shown = window.viewer.slices
    assert shown is not None and shown.current.instance.sop_instance_uid == \
        axial[0].sop_instance_uid
    # One on the image on screen (its frame is loaded), one on an image never shown.
    line = _on(axial[0], "length", [(8, 8), (8, 24)])  # 16 pixels down
    ring = _on(scout, "ellipse", [(16, 16), (48, 48)])
    document = window.annotation_session.document
    assert document is not None
    document.add(line)
    document.add(ring)
    window.action_measurements.trigger()
    panel = window.measurement_panel

    qtbot.waitUntil(lambda: len(_cells(window)) == 2 and all(
        where not in (READING_WHERE, "Image not read") for _w, _v, where in _cells(window)),
        timeout=TIMEOUT)
    by_id = {row.annotation_id: row for row in panel.model.rows}
    length = by_id[line.id]
    assert (length.value, length.unit) == (pytest.approx(16 * SPACING), "mm")
    # The same numbers as from the files on disk.
    on_disk = file_images({r.sop_instance_uid: disc / r.path for r in refs})
    assert by_id[ring.id].lines == tuple(
        measurement_lines(ring, *on_disk(scout.sop_instance_uid, 0)))
    assert by_id[ring.id].lines[0].startswith("Area ")
    assert panel.model.where(by_id[ring.id]) == \
        f"Series {scout.series_number}, image 1 of 1"
