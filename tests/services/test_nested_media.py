"""Media that hold media: a folder or USB stick with a ZIP file or ISO image on it, a ZIP
holding a disc's ISO image. Their images are found, reported under the archive's name,
imported and shown; a damaged archive is one reported problem; the limits hold."""

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from app.cli import main
from app.core.models import InstanceRef, ScanReport
from app.library.library import Library
from app.media import sources
from app.media.sources import open_medium
from app.services.scan import health_summary, scan_report
from app.services.viewing import MediumReader
from tests.fuzz.readers import write_seeds
from tests.library.helpers import import_report, index_rows

IMAGES = 4  # write_seeds' disc: a scout, two slices and one more series


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample disc (4 images) as a folder, a ZIP file and an ISO image."""
    return write_seeds(tmp_path_factory.mktemp("seeds"))



def _stick(tmp_path: Path, files: dict[str, Path | bytes]) -> Path:
    """A folder (a USB stick) holding the given files."""
    stick = tmp_path / "stick"
    stick.mkdir()
    for name, content in files.items():
        target = stick / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            target.write_bytes(content)
    return stick


def _zip_of(out: Path, members: dict[str, Path]) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in members.items():
            archive.write(path, name)
    return out


def _instances(report: ScanReport) -> list[InstanceRef]:
    return [ref for patient in report.patients for study in patient.studies
            for series in study.series for ref in series.instances]


def test_a_zip_on_a_stick_is_looked_into(seeds: dict[str, Path], tmp_path: Path) -> None:
    stick = _stick(tmp_path, {"Study download.zip": seeds["zip"], "readme.txt": b"hello"})
    report = scan_report(stick)
    assert report.instances == IMAGES
    assert not report.problems
    # The DICOMDIR inside the archive is honoured: its files resolve under the archive.
    assert report.directories == ("Study download.zip/DICOMDIR",)
    assert report.kind == "dicomdir"
    assert not report.unreferenced
    paths = {ref.path for ref in _instances(report)}
    assert all(p.startswith("Study download.zip/PT000000/") for p in paths)
    assert health_summary(report).startswith(f"{IMAGES} images")


def test_an_iso_on_a_stick_and_an_iso_inside_a_zip(
    seeds: dict[str, Path], tmp_path: Path
) -> None:
    portal = _zip_of(tmp_path / "portal.zip", {"CD/disc.iso": seeds["iso"]})
    stick = _stick(tmp_path, {"disc.iso": seeds["iso"], "portal.zip": portal})
    report = scan_report(stick)
    # The same disc twice: counted once, the second copy is a duplicate.
    assert report.instances == IMAGES
    assert {p.problem for p in report.problems} == {"duplicate"}
    assert set(report.directories) == {"disc.iso/DICOMDIR", "portal.zip/CD/disc.iso/DICOMDIR"}
    duplicates = {p.path for p in report.problems}
    assert all(p.startswith("portal.zip/CD/disc.iso/PT000000/") for p in duplicates)


def test_a_zip_holding_an_iso_opened_directly(seeds: dict[str, Path], tmp_path: Path) -> None:
    portal = _zip_of(tmp_path / "portal.zip", {"disc.iso": seeds["iso"]})
    report = scan_report(portal)
    assert report.kind == "zip"
    assert report.instances == IMAGES and not report.problems


def test_scan_json_counts_the_images_inside(
    seeds: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stick = _stick(tmp_path, {"Study download.zip": seeds["zip"]})
    code = main(["scan", str(stick), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["instances"] == IMAGES
    assert {"source", "kind", "instances", "patients", "problems"} <= set(data)
    assert data["problems"] == []


def test_a_damaged_archive_is_one_reported_problem(
    seeds: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cut = seeds["zip"].read_bytes()[:200]  # the central directory is gone
    stick = _stick(tmp_path, {"Study download.zip": seeds["zip"], "broken.zip": cut,
                              "broken.iso": b"\0" * 40_000})
    report = scan_report(stick)
    assert report.instances == IMAGES
    problems = {p.path: p for p in report.problems}
    assert set(problems) == {"broken.zip", "broken.iso"}
    assert problems["broken.zip"].problem == "unreadable"
    assert problems["broken.zip"].detail == (
        "The archive broken.zip could not be opened: it is not a readable ZIP file; it may "
        "be damaged or incomplete.")
    assert problems["broken.iso"].detail.startswith(
        "The archive broken.iso could not be opened: it is not a readable ISO disc image")
    assert main(["scan", str(stick)]) == 1
    assert "broken.zip" in capsys.readouterr().out


def test_import_stores_the_images_inside(
    seeds: dict[str, Path], tmp_path: Path, library: Library
) -> None:
    stick = _stick(tmp_path, {"Study download.zip": seeds["zip"]})
    report = import_report(stick, library)
    assert (report.imported, report.failed, report.images) == (IMAGES, (), IMAGES)
    assert report.all_stored
    assert len(index_rows(library.home)) == IMAGES
    again = import_report(stick, library)
    assert (again.imported, again.already_present) == (0, IMAGES)


def test_import_reports_a_damaged_archive(
    seeds: dict[str, Path], tmp_path: Path, library: Library
) -> None:
    stick = _stick(tmp_path, {"disc.iso": seeds["iso"], "broken.zip": b"PK\x03\x04junk"})
    report = import_report(stick, library)
    assert report.imported == IMAGES
    assert [f.path for f in report.failed] == ["broken.zip"]
    assert report.failed[0].error == (
        "The archive broken.zip could not be opened: it is not a readable ZIP file; it may "
        "be damaged or incomplete.")
    assert not report.all_stored


def test_the_viewer_opens_and_decodes_an_image_inside(
    seeds: dict[str, Path], tmp_path: Path
) -> None:
    portal = _zip_of(tmp_path / "portal.zip", {"disc.iso": seeds["iso"]})
    stick = _stick(tmp_path, {"portal.zip": portal})
    reader = MediumReader(stick)
    try:
        opened = reader.open()
        assert opened.has_directory and len(opened.listed) == IMAGES
        path = opened.listed[0].path
        assert path.startswith("portal.zip/disc.iso/PT000000/")
        loaded = reader.load_frame(path, 0)
        assert loaded.frame.shape == (16, 16)
        assert loaded.instance.sop_instance_uid == opened.listed[0].sop_instance_uid
    finally:
        reader.close()


def test_no_deeper_than_two_archives(seeds: dict[str, Path], tmp_path: Path) -> None:
    middle = _zip_of(tmp_path / "middle.zip", {"disc.zip": seeds["zip"]})
    outer = _zip_of(tmp_path / "outer.zip", {"middle.zip": middle})
    stick = _stick(tmp_path, {"outer.zip": outer})
    report = scan_report(stick)
    assert report.instances == 0
    [problem] = report.problems
    assert problem.path == "outer.zip/middle.zip/disc.zip"
    assert problem.problem == "unreadable"
    assert "deeper than Lightbox looks" in problem.detail


def test_count_and_size_limits(
    seeds: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    portal = _zip_of(tmp_path / "portal.zip", {"disc.iso": seeds["iso"]})
    stick = _stick(tmp_path, {"a.zip": seeds["zip"], "b.zip": seeds["zip"],
                              "portal.zip": portal})
    monkeypatch.setattr(sources, "MAX_ARCHIVES", 2)
    monkeypatch.setattr(sources, "MAX_SPOOL_BYTES", seeds["iso"].stat().st_size - 1)
    report = scan_report(stick)
    assert report.instances == IMAGES
    problems = {p.path: p.detail for p in report.problems if p.problem != "duplicate"}
    assert problems == {
        "portal.zip": "The archive portal.zip was not opened: Lightbox looks inside at most "
                      "2 archives on one disc.",
    }
    monkeypatch.setattr(sources, "MAX_ARCHIVES", 16)
    report = scan_report(stick)
    [too_large] = [p for p in report.problems if p.path == "portal.zip/disc.iso"]
    assert too_large.detail.startswith("The archive portal.zip/disc.iso could not be opened: "
                                       "it is larger than")
    monkeypatch.setattr(sources, "MAX_ARCHIVE_BYTES", seeds["zip"].stat().st_size)
    report = scan_report(stick)
    assert {p.path for p in report.problems if "was not opened" in p.detail} == {
        "b.zip", "portal.zip"}


def test_an_archive_lists_as_a_folder_of_its_name(
    seeds: dict[str, Path], tmp_path: Path
) -> None:
    portal = _zip_of(tmp_path / "portal.zip", {"disc.iso": seeds["iso"]})
    medium = open_medium(portal)
    try:
        paths = [e.path for e in medium.source.entries()]
        assert "disc.iso" not in paths
        assert sum(p.startswith("disc.iso/") for p in paths) == IMAGES + 1  # and DICOMDIR
        assert medium.source.unreadable_folders() == {}
    finally:
        medium.source.close()
