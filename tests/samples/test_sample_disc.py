"""Tests for the synthetic sample disc (app.samples.disc_writer)."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.fileset import FileSet
from pydicom.uid import (
    UID,
    CTImageStorage,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
)

from app.samples.disc_writer import (
    SUPPORTED_TRANSFER_SYNTAXES,
    SampleDiscSummary,
    _FreshFileSet,
    _identity,
    _plan_study,
    write_sample_disc,
)
from tests.conftest import tool

SLICES = 6
MATRIX = 64
# 1 localizer + SLICES thin axial + ceil(SLICES / 4) thick axial
EXPECTED_INSTANCES = 1 + SLICES + math.ceil(SLICES / 4)

# With 6 slices over 400 mm, thin slices are centred at z = -33.3, -100, ..., -366.7.
CHEST_Z = -100.0
ABDOMEN_Z = -233.3

# (name, z, x, y, lowest HU, highest HU): points of the phantom in patient coordinates (mm).
TISSUE_POINTS = [
    ("air outside the body", CHEST_Z, -190.0, -190.0, -1060, -940),
    ("right lung", CHEST_Z, -65.0, -5.0, -950, -700),
    ("left lung", CHEST_Z, 65.0, -5.0, -950, -700),
    ("contrast in the heart", CHEST_Z, 25.0, -30.0, 140, 260),
    ("liver", ABDOMEN_Z, -55.0, -5.0, 20, 100),
    ("vertebral body", ABDOMEN_Z, 0.0, 60.0, 300, 1100),
    ("aorta with contrast", ABDOMEN_Z, 22.0, 28.0, 140, 260),
    ("subcutaneous fat", ABDOMEN_Z, 0.0, -104.0, -160, -40),
]


@pytest.fixture(scope="module", params=sorted(SUPPORTED_TRANSFER_SYNTAXES))
def disc(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SampleDiscSummary]:
    """A small disc for each transfer syntax this installation can write."""
    out = tmp_path_factory.mktemp("disc") / request.param.upper()
    summary = write_sample_disc(out, SLICES, request.param, rows=MATRIX, columns=MATRIX, seed=7)
    yield summary
    shutil.rmtree(out, ignore_errors=True)


def load_images(root: Path) -> dict[int, list[Dataset]]:
    """Read every image the DICOMDIR points to, by series number, in instance order."""
    series: dict[int, list[Dataset]] = {}
    for instance in FileSet(root / "DICOMDIR"):
        ds = dcmread(instance.path)
        series.setdefault(int(ds.SeriesNumber), []).append(ds)
    for images in series.values():
        images.sort(key=lambda ds: int(ds.InstanceNumber))
    return series


def hu_at(ds: Dataset, x: float, y: float) -> float:
    """Return the HU value of an axial image at patient position (x, y), via its geometry."""
    origin_x, origin_y, _z = (float(v) for v in ds.ImagePositionPatient)
    row_spacing, column_spacing = (float(v) for v in ds.PixelSpacing)
    column = round((x - origin_x) / column_spacing)
    row = round((y - origin_y) / row_spacing)
    assert 0 <= row < ds.Rows and 0 <= column < ds.Columns, (x, y)
    stored = int(ds.pixel_array[row, column])
    return stored * float(ds.RescaleSlope) + float(ds.RescaleIntercept)


def nearest_slice(images: list[Dataset], z: float) -> Dataset:
    return min(images, key=lambda ds: abs(float(ds.ImagePositionPatient[2]) - z))


def dciodvfy_errors(path: Path) -> list[str]:
    """Run dciodvfy on `path` and return its error lines (warnings are acceptable).

    Skips when dciodvfy is missing (fails under CI=true), naming the Debian package.
    """
    dciodvfy = tool("dciodvfy", "dicom3tools")
    result = subprocess.run([dciodvfy, str(path)], capture_output=True, text=True, check=False)
    lines = (result.stdout + result.stderr).splitlines()
    # Errors come as "Error - ..." lines, sometimes after a tag: "(0008,0016) ? Error - ..."
    return [line for line in lines if "Error - " in line]


# --- what the disc holds --------------------------------------------------------------------


def test_summary_describes_the_disc(disc: SampleDiscSummary) -> None:
    assert disc.instances == EXPECTED_INSTANCES
    assert disc.series_count == 3
    assert disc.patient_name == "SAMPLE^PATIENT"
    assert disc.transfer_syntax_uid in SUPPORTED_TRANSFER_SYNTAXES.values()
    assert (disc.out / "DICOMDIR").is_file()


def test_fileset_lists_every_image_with_its_transfer_syntax(
    disc: SampleDiscSummary,
) -> None:
    file_set = FileSet(disc.out / "DICOMDIR")
    assert len(file_set) == EXPECTED_INSTANCES
    for instance in file_set:
        ds = dcmread(instance.path)
        assert ds.SOPInstanceUID == instance.SOPInstanceUID
        assert ds.SOPClassUID == CTImageStorage
        assert ds.file_meta.TransferSyntaxUID == disc.transfer_syntax_uid
        assert instance.TransferSyntaxUID == disc.transfer_syntax_uid
        assert ds.StudyInstanceUID == disc.study_instance_uid


def test_files_on_disc_are_exactly_the_dicomdir_and_its_images(
    disc: SampleDiscSummary,
) -> None:
    on_disc = {p for p in disc.out.rglob("*") if p.is_file()}
    referenced = {Path(i.path) for i in FileSet(disc.out / "DICOMDIR")}
    assert on_disc == referenced | {disc.out / "DICOMDIR"}


def test_series_have_the_documented_sizes(disc: SampleDiscSummary) -> None:
    series = load_images(disc.out)
    assert {n: len(images) for n, images in series.items()} == {
        1: 1,
        2: SLICES,
        3: math.ceil(SLICES / 4),
    }
    assert series[1][0].ImageType[2] == "LOCALIZER"
    for images in series.values():
        assert [int(ds.InstanceNumber) for ds in images] == list(range(1, len(images) + 1))


def test_patient_and_study_attributes(disc: SampleDiscSummary) -> None:
    ds = load_images(disc.out)[2][0]
    assert str(ds.PatientName) == "SAMPLE^PATIENT"
    assert ds.PatientID
    assert re.fullmatch(r"\d{8}", ds.PatientBirthDate)
    assert ds.PatientSex in ("M", "F", "O")
    assert re.fullmatch(r"\d{8}", ds.StudyDate)
    assert re.fullmatch(r"\d{6}", ds.StudyTime)
    assert ds.Modality == "CT"
    assert ds.Manufacturer == "Lightbox sample"
    assert ds.StudyDescription and ds.SeriesDescription
    assert ds.AccessionNumber and ds.StudyID and ds.ReferringPhysicianName
    assert (ds.BitsAllocated, ds.BitsStored, ds.HighBit) == (16, 12, 11)
    assert ds.PixelRepresentation == 0
    assert (float(ds.RescaleSlope), float(ds.RescaleIntercept)) == (1.0, -1024.0)
    assert (float(ds.WindowCenter), float(ds.WindowWidth)) == (40.0, 400.0)


# --- pixels -----------------------------------------------------------------------------------


def test_every_image_decodes_to_12_bit_values(disc: SampleDiscSummary) -> None:
    for images in load_images(disc.out).values():
        for ds in images:
            pixels = ds.pixel_array
            assert pixels.shape == (MATRIX, MATRIX)
            assert pixels.dtype == np.uint16
            assert int(pixels.max()) <= 4095
            assert int(pixels.max()) > int(pixels.min())


@pytest.mark.parametrize(
    ("name", "z", "x", "y", "low", "high"), TISSUE_POINTS, ids=[p[0] for p in TISSUE_POINTS]
)
def test_tissue_has_realistic_hounsfield_values(
    disc: SampleDiscSummary, name: str, z: float, x: float, y: float, low: int, high: int
) -> None:
    image = nearest_slice(load_images(disc.out)[2], z)
    assert low <= hu_at(image, x, y) <= high, name


def mean_hu(ds: Dataset, x: float, y: float, radius: int) -> float:
    """Mean HU of the (2 * radius + 1)^2 pixels around (x, y): noise averages out."""
    origin_x, origin_y, _z = (float(v) for v in ds.ImagePositionPatient)
    row_spacing, column_spacing = (float(v) for v in ds.PixelSpacing)
    column = round((x - origin_x) / column_spacing)
    row = round((y - origin_y) / row_spacing)
    patch = ds.pixel_array[row - radius : row + radius + 1, column - radius : column + radius + 1]
    assert patch.size == (2 * radius + 1) ** 2
    return float(patch.mean()) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)


def test_tissue_averages_are_exact(disc: SampleDiscSummary) -> None:
    """Averaged over a patch, values are within a few HU of the phantom's design."""
    axial = load_images(disc.out)[2]
    chest, abdomen = nearest_slice(axial, CHEST_Z), nearest_slice(axial, ABDOMEN_Z)
    assert -1004 <= mean_hu(chest, -170.0, -170.0, radius=3) <= -996  # air
    assert -865 <= mean_hu(chest, -65.0, -5.0, radius=1) <= -835  # lung, -850
    assert 52 <= mean_hu(abdomen, -55.0, -5.0, radius=1) <= 72  # liver, 62


def test_lungs_only_in_the_chest(disc: SampleDiscSummary) -> None:
    axial = load_images(disc.out)[2]
    lung_like = [
        float(ds.ImagePositionPatient[2])
        for ds in axial
        if hu_at(ds, -65.0, -5.0) < -600 and hu_at(ds, 65.0, -5.0) < -600
    ]
    assert lung_like  # the upper slices...
    assert min(lung_like) > -200.0  # ...and none in the abdomen or pelvis


def test_thick_series_uses_the_lung_window(disc: SampleDiscSummary) -> None:
    thick = load_images(disc.out)[3]
    for ds in thick:
        assert (float(ds.WindowCenter), float(ds.WindowWidth)) == (-600.0, 1500.0)
    assert -950 <= hu_at(nearest_slice(thick, CHEST_Z), -65.0, -5.0) <= -700


# --- geometry ---------------------------------------------------------------------------------


@pytest.mark.parametrize("series_number", [2, 3])
def test_axial_positions_step_by_the_spacing_along_the_normal(
    disc: SampleDiscSummary, series_number: int
) -> None:
    images = load_images(disc.out)[series_number]
    first = images[0]
    orientation = np.array([float(v) for v in first.ImageOrientationPatient])
    normal = np.cross(orientation[:3], orientation[3:])
    np.testing.assert_allclose(normal, [0.0, 0.0, 1.0])
    spacing = float(first.SpacingBetweenSlices)
    assert float(first.SliceThickness) == pytest.approx(spacing)
    assert spacing * len(images) == pytest.approx(400.0, abs=1e-3)

    positions = [np.array([float(v) for v in ds.ImagePositionPatient]) for ds in images]
    distances = [float(np.dot(p, normal)) for p in positions]
    steps = np.diff(distances)
    np.testing.assert_allclose(steps, -spacing, atol=1e-4)
    for ds, position in zip(images, positions, strict=True):
        assert [float(v) for v in ds.ImageOrientationPatient] == list(orientation)
        np.testing.assert_allclose(position[:2], positions[0][:2])
        assert float(ds.SliceLocation) == pytest.approx(position[2], abs=1e-4)
        assert float(ds.SpacingBetweenSlices) == pytest.approx(spacing)


def test_pixel_spacing_covers_the_field_of_view(disc: SampleDiscSummary) -> None:
    ds = load_images(disc.out)[2][0]
    row_spacing, column_spacing = (float(v) for v in ds.PixelSpacing)
    assert row_spacing == column_spacing == pytest.approx(400.0 / MATRIX)
    # The image is centred on the isocentre: first and last pixel centres are symmetric.
    x0, y0, _ = (float(v) for v in ds.ImagePositionPatient)
    assert x0 == pytest.approx(-(x0 + (MATRIX - 1) * column_spacing))
    assert y0 == pytest.approx(-(y0 + (MATRIX - 1) * row_spacing))


def test_all_series_share_one_frame_of_reference(disc: SampleDiscSummary) -> None:
    series = load_images(disc.out)
    frames = {ds.FrameOfReferenceUID for images in series.values() for ds in images}
    assert len(frames) == 1
    uids = {ds.SeriesInstanceUID for images in series.values() for ds in images}
    assert len(uids) == 3


def test_localizer_is_a_coronal_projection(disc: SampleDiscSummary) -> None:
    scout = load_images(disc.out)[1][0]
    assert [float(v) for v in scout.ImageOrientationPatient] == [1, 0, 0, 0, 0, -1]
    pixels = scout.pixel_array.astype(float)
    # The body is brighter (more attenuating) in the middle than the air at the sides.
    assert pixels[:, MATRIX // 2].mean() > pixels[:, 0].mean() + 500


# --- standard media ---------------------------------------------------------------------------


def test_file_ids_follow_ps3_10(disc: SampleDiscSummary) -> None:
    component = re.compile(r"[A-Z0-9_]{1,8}")
    for path in disc.out.rglob("*"):
        parts = path.relative_to(disc.out).parts
        assert len(parts) <= 8, path
        for part in parts:
            assert component.fullmatch(part), path
    for instance in FileSet(disc.out / "DICOMDIR"):
        file_id = instance.ReferencedFileID
        components = [file_id] if isinstance(file_id, str) else list(file_id)
        assert 1 <= len(components) <= 8
        assert all(component.fullmatch(str(c)) for c in components)


def test_dciodvfy_accepts_the_dicomdir(disc: SampleDiscSummary) -> None:
    assert dciodvfy_errors(disc.out / "DICOMDIR") == []


def test_dciodvfy_accepts_an_image_of_each_series(disc: SampleDiscSummary, tmp_path: Path) -> None:
    for images in load_images(disc.out).values():
        path = Path(images[0].filename)
        if images[0].file_meta.TransferSyntaxUID == DeflatedExplicitVRLittleEndian:
            # dciodvfy cannot read deflated files at all (not even pydicom's own
            # image_dfl.dcm), so it checks the same dataset inflated.
            images[0].file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
            path = tmp_path / f"inflated-{images[0].SeriesNumber}.dcm"
            images[0].save_as(path, enforce_file_format=True)
        assert dciodvfy_errors(path) == []


# --- arguments and failures -------------------------------------------------------------------


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not empty"):
        write_sample_disc(tmp_path, 2, rows=8, columns=8)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_refuses_a_file_as_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "disc"
    target.write_text("")
    with pytest.raises(ValueError, match="not a folder"):
        write_sample_disc(target, 2, rows=8, columns=8)


def test_writes_into_an_existing_empty_folder(tmp_path: Path) -> None:
    summary = write_sample_disc(tmp_path, 2, rows=8, columns=8)
    assert summary.instances == 1 + 2 + 1
    assert len(FileSet(tmp_path / "DICOMDIR")) == 4


def test_unknown_transfer_syntax_names_the_supported_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Unknown transfer syntax") as error:
        write_sample_disc(tmp_path / "disc", 2, "jpeg-xl", rows=8, columns=8)
    for name in SUPPORTED_TRANSFER_SYNTAXES:
        assert name in str(error.value)
    assert not (tmp_path / "disc").exists()


def test_known_syntax_without_encoder_is_refused(tmp_path: Path) -> None:
    missing = {"jpeg-lossless", "jpeg-ls", "jpeg2000", "rle"} - set(SUPPORTED_TRANSFER_SYNTAXES)
    if not missing:
        pytest.skip("every known transfer syntax has an encoder here")
    with pytest.raises(ValueError, match="no encoder for it is installed"):
        write_sample_disc(tmp_path / "disc", 2, sorted(missing)[0], rows=8, columns=8)


def test_transfer_syntax_can_be_given_as_uid(tmp_path: Path) -> None:
    uid = SUPPORTED_TRANSFER_SYNTAXES.get("rle", ExplicitVRLittleEndian)
    summary = write_sample_disc(tmp_path / "disc", 2, str(uid), rows=8, columns=8)
    assert summary.transfer_syntax_uid == uid
    assert dcmread(tmp_path / "disc" / "DICOMDIR").file_meta.TransferSyntaxUID == (
        ExplicitVRLittleEndian  # a DICOMDIR is always explicit little endian
    )


@pytest.mark.parametrize(
    "arguments",
    [
        {"slices": 0},
        {"slices": True},
        {"rows": 4},
        {"columns": 5000},
    ],
)
def test_bad_sizes_are_refused(tmp_path: Path, arguments: dict[str, int]) -> None:
    settings = {"slices": 2, "rows": 8, "columns": 8} | arguments
    with pytest.raises(ValueError, match="must be a whole number"):
        write_sample_disc(
            tmp_path / "disc",
            settings["slices"],
            rows=settings["rows"],
            columns=settings["columns"],
        )
    assert not (tmp_path / "disc").exists()


def test_progress_counts_every_image(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    summary = write_sample_disc(
        tmp_path / "disc", 4, rows=8, columns=8, progress=lambda d, t: calls.append((d, t))
    )
    total = summary.instances
    assert calls == [(done, total) for done in range(total + 1)]


@pytest.mark.parametrize("existed", [False, True])
def test_failure_midway_removes_what_was_written(tmp_path: Path, existed: bool) -> None:
    out = tmp_path / "disc"
    if existed:
        out.mkdir()

    def fail_after_three(done: int, total: int) -> None:
        if done == 3:
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        write_sample_disc(out, 6, rows=8, columns=8, progress=fail_after_three)
    if existed:
        assert out.is_dir() and list(out.iterdir()) == []
    else:
        assert not out.exists()


def test_same_seed_gives_the_same_disc(tmp_path: Path) -> None:
    first = write_sample_disc(tmp_path / "a", 3, "explicit", rows=16, columns=16, seed=1)
    second = write_sample_disc(tmp_path / "b", 3, "explicit", rows=16, columns=16, seed=1)
    other = write_sample_disc(tmp_path / "c", 3, "explicit", rows=16, columns=16)
    assert first.study_instance_uid == second.study_instance_uid
    assert other.study_instance_uid != first.study_instance_uid

    def contents(root: Path) -> dict[Path, bytes]:
        return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    assert contents(tmp_path / "a") == contents(tmp_path / "b")


def test_fast_file_set_writes_what_pydicom_file_set_writes(tmp_path: Path) -> None:
    """_FreshFileSet bypasses FileSet.add; the DICOMDIR must not change because of it."""
    study = _plan_study(5, seed=3)
    plain, fast = FileSet(), _FreshFileSet()
    for file_set in (plain, fast):
        file_set.ID = "SAME"
        file_set.UID = UID("1.2.3.4")
        for series in study.series:
            for index in range(max(1, len(series.positions))):
                uid = UID(f"1.2.3.{series.number}.{index + 1}")
                ds = _identity(study, series, index, uid)
                ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
                if file_set is plain:
                    plain.add(ds)
                else:
                    fast.add_fresh(ds)
    plain.write(tmp_path / "plain")
    fast.write(tmp_path / "fast")
    plain_bytes = (tmp_path / "plain" / "DICOMDIR").read_bytes()
    assert (tmp_path / "fast" / "DICOMDIR").read_bytes() == plain_bytes
    assert len(fast) == 1 + 5 + 2
