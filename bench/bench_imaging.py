"""Rendering: the frame time of a window/level drag, against one numpy LUT gather.

Each drag event re-renders the cached frame with a new window: build the uint8 table over
the stored values (Modality LUT, window and polarity folded together), then one gather.
The floor is the gather alone (``lut.take(pixels)``) on the same pixels; target: the app
at most 1.5x the floor. (The Qt side adds the QImage wrap to both.)

1. A 512 × 512 CT slice from the sample disc.
2. A synthetic 4096 × 3328 16-bit image (a large mammogram or radiograph).
"""

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from app.imaging.decode import open_image
from app.imaging.luts import Window
from app.imaging.render import GreyFrame, prepare_frame
from app.media.pydicom_setup import configure_pydicom
from app.samples.disc_writer import write_sample_disc
from bench.harness import compare, percentiles, recorded

CACHE = Path(tempfile.gettempdir()) / "lightbox-bench"
LARGE_ROWS, LARGE_COLUMNS = 4096, 3328


def _sample_ct() -> Path:
    """One axial CT slice of a small sample disc, written once and kept between runs."""
    disc = CACHE / "imaging-ct-4"
    if not (disc / "DICOMDIR").is_file():
        shutil.rmtree(disc, ignore_errors=True)
        print("  (writing a 4-slice sample disc once)", flush=True)
        write_sample_disc(disc, slices=4, seed=1)
    files = sorted(p for p in disc.rglob("*") if p.is_file() and p.name != "DICOMDIR")
    for path in files:
        with open_image(path) as image:
            if (image.layout.rows, image.layout.columns) == (512, 512):
                return path
    raise RuntimeError("The sample disc has no 512 × 512 image.")


def _large_image() -> Path:
    """A 4096 × 3328 16-bit image with a smooth 12-bit ramp and noise, written once."""
    path = CACHE / "imaging-large.dcm"
    if path.is_file():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"  (writing a {LARGE_COLUMNS} × {LARGE_ROWS} image once)", flush=True)
    rng = np.random.default_rng(1)
    ramp = np.linspace(0, 3000, LARGE_COLUMNS)[None, :] + np.linspace(0, 1000, LARGE_ROWS)[:, None]
    noise = rng.normal(0, 40, (LARGE_ROWS, LARGE_COLUMNS))
    pixels = np.clip(ramp + noise, 0, 4095).astype(np.uint16)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.1.2")  # Digital Mammography
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "MG"
    ds.Rows, ds.Columns = LARGE_ROWS, LARGE_COLUMNS
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.PixelRepresentation = 0
    ds.WindowCenter, ds.WindowWidth = 2048, 4096
    ds.PixelData = pixels.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def _prepared(path: Path) -> GreyFrame:
    with open_image(path) as image:
        frame = prepare_frame(image, 0)
    if not isinstance(frame, GreyFrame):
        raise RuntimeError(f"{path.name} is not a grey image.")
    return frame


def _drag(name: str, frame: GreyFrame, runs: int) -> None:
    """Alternate app and floor over ``runs`` drag events; print medians, p50/p95, ratio."""
    base = frame.resolve(None)
    center = base.center if isinstance(base, Window) else 0.0
    width = base.width if isinstance(base, Window) else 1024.0
    step = iter(range(10**9))

    def app() -> np.ndarray:
        # Every event is a new window, as in a real drag: nothing may be cached.
        event = next(step)
        return frame.render(Window(center + event % 97, width + event % 89))

    index = frame.table_index  # The same cached pixels the app path gathers from.
    floor_table = np.arange(65536, dtype=np.uint16).astype(np.uint8)

    def floor() -> np.ndarray:
        return floor_table.take(index)

    app_times: list[float] = []
    floor_times: list[float] = []
    compare(
        f"W/L drag frame at {frame.shape[1]} × {frame.shape[0]} ({name})",
        ("table + gather", recorded(app, app_times)),
        ("one numpy LUT gather", recorded(floor, floor_times)),
        target="<= 1.5x",
        runs=runs,
        warmup=3,
    )
    app_p50, app_p95 = percentiles(app_times[3:])
    floor_p50, floor_p95 = percentiles(floor_times[3:])
    print(
        f"  app p50 {app_p50 * 1000:.3f} ms, p95 {app_p95 * 1000:.3f} ms | "
        f"floor p50 {floor_p50 * 1000:.3f} ms, p95 {floor_p95 * 1000:.3f} ms | "
        f"p50 ratio {app_p50 / floor_p50:.2f}x, p95 ratio {app_p95 / floor_p95:.2f}x",
        flush=True,
    )


def run() -> None:
    """Run the rendering benchmarks and print their lines."""
    configure_pydicom()
    _drag("sample-disc CT", _prepared(_sample_ct()), runs=400)
    large = _prepared(_large_image())
    _drag("synthetic 16-bit", large, runs=60)
    start = time.perf_counter()
    for event in range(20):
        large.render(Window(2048 + event, 4096), step=4)
    each = (time.perf_counter() - start) / 20
    print(f"  at screen resolution (every 4th pixel, 1024 × 832): {each * 1000:.2f} ms a frame")
