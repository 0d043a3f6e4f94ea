"""The "Measurements" side list on a library study of the sample disc: rows with their
text, a click or Enter shows the image, Copy, Save as CSV, and rows that follow every
change of the annotations."""

import csv
import math
from pathlib import Path

import pytest
from pydicom import dcmread
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app.core.models import InstanceRef
from app.gui.main_window import MainWindow
from app.services.annotation_values import file_images, measurement_lines
from app.services.annotations import Annotation
from app.services.library_service import LibraryService
from tests.library.helpers import write_small_disc

TIMEOUT = 30_000
SPACING = 400.0 / 64  # the sample disc's axial pixel spacing at 64 columns (mm)


@pytest.fixture(scope="module")
def small_disc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_small_disc(tmp_path_factory.mktemp("measure") / "disc")


def _study(small_disc: Path) -> tuple[str, Path, list[InstanceRef]]:
    service = LibraryService()  # LIGHTBOX_HOME: the test's own folder
    for _step in service.import_media(small_disc):
        pass
    uid = service.studies()[0].study_instance_uid
    root, refs = service.study_contents(uid)
    return uid, root, refs


def _series(refs: list[InstanceRef], count: int) -> list[InstanceRef]:
    """The instances of the series that has ``count`` of them, by instance number."""
    by_series: dict[str, list[InstanceRef]] = {}
    for ref in refs:
        by_series.setdefault(ref.series_instance_uid, []).append(ref)
    found = [s for s in by_series.values() if len(s) == count]
    assert len(found) == 1
    return sorted(found[0], key=lambda r: r.instance_number or 0)


def _on(ref: InstanceRef, kind: str, points: list[tuple[float, float]]) -> Annotation:
    return Annotation(kind=kind, points=tuple(points),  # type: ignore[arg-type]
                      study_uid=ref.study_instance_uid, series_uid=ref.series_instance_uid,
                      sop_instance_uid=ref.sop_instance_uid)


def _cells(window: MainWindow) -> list[tuple[str, str, str]]:
    table = window.measurement_panel.table
    return [tuple(table.item(r, c).text() for c in range(3))  # type: ignore[misc]
            for r in range(table.rowCount())]


def test_the_list_shows_jumps_copies_saves_and_follows_changes(
    window: MainWindow, qtbot: QtBot, small_disc: Path, lightbox_home: Path,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    uid, root, refs = _study(small_disc)
    axial = _series(refs, 8)
    scout = _series(refs, 1)[0]
    line = _on(axial[3], "length", [(8, 8), (8, 24)])  # 16 pixels down: 100 mm
    ring = _on(scout, "ellipse", [(16, 16), (48, 48)])
    LibraryService().save_annotations(uid, [line, ring])

    panel = window.measurement_panel
    assert not panel.isVisible()
    window.action_measurements.trigger()  # View > Measurements list
    assert panel.isVisible() and panel.windowTitle() == "Measurements"
    assert window.action_measurements.text().replace("&", "") == "Measurements list"
    assert panel.stack.currentWidget() is panel.empty_label
    assert panel.empty_label.text() == ("No measurements yet. Choose a tool in the Measure "
                                        "menu and draw on the image.")
    assert not panel.copy_button.isEnabled() and not panel.save_button.isEnabled()

    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_study(uid)
    assert window.viewer.series is not None
    assert window.viewer.series.series_instance_uid == axial[0].series_instance_uid
    assert window.viewer.index == 0

    # The rows, in series order, with the very lines drawn on the image.
    images = file_images({r.sop_instance_uid: root / r.path for r in refs})
    ring_lines = measurement_lines(ring, *images(scout.sop_instance_uid, 0))
    assert ring_lines[0].startswith("Area ")
    scout_first = (scout.series_number or 0) < (axial[0].series_number or 0)
    expected = [
        ("Ellipse", ", ".join(ring_lines[:2]),
         f"Series {scout.series_number}, image 1 of 1"),
        ("Length", "100 mm",
         f"Series {axial[3].series_number}, image {axial[3].instance_number} of {len(axial)}"),
    ]
    if not scout_first:
        expected.reverse()
    assert _cells(window) == expected
    length_at = [c[0] for c in expected].index("Length")
    ring_at = 1 - length_at
    assert panel.table.item(ring_at, 1).toolTip() == "\n".join(ring_lines)
    length_row = panel.model.rows[length_at]
    assert (length_row.value, length_row.unit) == (pytest.approx(16 * SPACING), "mm")

    # A click shows the length's image; Enter on the ellipse's row shows the scout.
    panel.table.clicked.emit(panel.table.model().index(length_at, 1))
    assert window.viewer.index == 3 and window.viewer.slices is not None
    assert window.viewer.slices.current.instance.sop_instance_uid == axial[3].sop_instance_uid
    assert panel.model.selected == line.id
    panel.table.setFocus()
    panel.table.setCurrentCell(ring_at, 0)
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert window.viewer.series is not None
    assert window.viewer.series.series_instance_uid == scout.series_instance_uid
    assert panel.model.selected == ring.id

    # Copy: the tab-separated text, with a header row.
    panel.copy_button.click()
    copied = QApplication.clipboard().text()
    assert copied == panel.model.clipboard_text()
    table = [row.split("\t") for row in copied.splitlines()]
    assert table[0][:6] == ["kind", "series number", "instance number", "frame", "value",
                            "unit"]
    assert table[1 + length_at][:6] == ["length", str(axial[3].series_number),
                                        str(axial[3].instance_number), "1", "100", "mm"]
    assert "SAMPLE" not in copied and "SAMPLE" not in window.summary.text()

    # Save as CSV: the study's date names the file, never the patient.
    asked: list[str] = []

    def choose(_parent: object, _title: str, suggested: str, _filter: str
               ) -> tuple[str, str]:
        asked.append(suggested)
        return str(tmp_path / "measured"), _filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", choose)
    panel.save_button.click()
    date = axial[0].study_date
    assert Path(asked[0]).name == f"measurements-{date[:4]}-{date[4:6]}-{date[6:]}.csv"
    with open(tmp_path / "measured.csv", encoding="utf-8-sig", newline="") as handle:
        saved = list(csv.DictReader(handle))
    assert [r["kind"] for r in saved] == [r.kind for r in panel.model.rows]
    assert float(saved[length_at]["value"]) == pytest.approx(100.0)
    area = float(saved[ring_at]["area"])
    assert area == pytest.approx(math.pi * (16 * SPACING) * (16 * 480.0 / 64), rel=1e-5)
    assert saved[ring_at]["SOP Instance UID"] == scout.sop_instance_uid
    assert window.summary.text() == f"Saved 2 measurements to {tmp_path / 'measured.csv'}."

    # A place that cannot be written costs one sentence.
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda _parent, _title, text: warned.append(text))
    assert not panel.save(str(tmp_path / "gone" / "m.csv"))
    assert warned == [f"The folder {tmp_path / 'gone'} does not exist; choose another "
                      "place (nothing was saved)."]

    # The rows follow every change of the document.
    document = panel.model.document
    assert document is not None and document.study_uid == uid
    square = document.add(_on(axial[5], "rectangle", [(0, 0), (8, 8)]))
    assert panel.table.rowCount() == 3
    assert ("Rectangle", panel.model.row(square.id).value_text,  # type: ignore[union-attr]
            f"Series {axial[5].series_number}, image {axial[5].instance_number} of {len(axial)}") \
        in _cells(window)
    document.set_points(line.id, [(8, 8), (8, 40)])
    assert ("Length", "200 mm") in [c[:2] for c in _cells(window)]
    document.delete(square.id)
    document.delete(ring.id)
    assert [c[:2] for c in _cells(window)] == [("Length", "200 mm")]
    document.undo()
    assert panel.table.rowCount() == 2
    document.delete(line.id)
    document.delete(ring.id)
    assert panel.stack.currentWidget() is panel.empty_label
    assert not panel.copy_button.isEnabled()
    # Every change was saved in the library as it was made.
    assert LibraryService().annotations(uid) == []


def test_one_file_opened_on_its_own_is_measured_in_the_list(
    window: MainWindow, qtbot: QtBot, small_disc: Path, tmp_path: Path,
) -> None:
    axial = next(p for p in sorted(small_disc.rglob("IM*"))
                 if dcmread(p, stop_before_pixels=True).Rows == 64
                 and dcmread(p, stop_before_pixels=True).SeriesNumber == 2)
    single = tmp_path / "one image.dcm"
    single.write_bytes(axial.read_bytes())
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT):
        window.open_path(single)
    session = window.annotation_session
    tolerance = window.annotation_tools.layer.tolerance()
    session.set_tool("length")
    session.press((8, 8), tolerance)
    session.release((8, 24), tolerance)
    # Measured from the file (read in the background; never "Image not read"): 16 pixels
    # down is 100 mm.
    qtbot.waitUntil(lambda: [row[1:] for row in _cells(window)]
                    == [("100 mm", "Series 2, image 1 of 1")], timeout=TIMEOUT)
