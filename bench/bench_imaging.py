"""Rendering: the frame time of a window/level drag, against one numpy LUT gather.

Each drag event re-renders the cached frame with a new window: build the uint8 table over
the stored values (Modality LUT, window and polarity folded together), then one gather.
The floor is the gather alone (``lut.take(pixels)``) on the same pixels; target: the app
at most 1.5x the floor. (The Qt side adds the QImage wrap to both.)

1. A 512 × 512 CT slice from the sample disc.
2. A synthetic 4096 × 3328 16-bit image (a large mammogram or radiograph).

Decode: one 512 × 512 CT slice of a sample disc written in JPEG 2000 and in JPEG-LS, per
frame, through the app (imagecodecs, ``app.imaging.imagecodecs_plugin``) against pydicom's
plugins alone (the path before it: pylibjpeg-openjpeg, pylibjpeg-libjpeg) and against
dcmj2pnm (a process per file: its start and the PGM it writes are in its time); then the
same frame decoded on two threads at once against one thread doing half the work (1.0x:
the threads decode in parallel; 2.0x: they take turns at Python's lock).
"""

import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from app.imaging import imagecodecs_plugin
from app.imaging.decode import DicomImage, open_image
from app.imaging.luts import Window
from app.imaging.render import GreyFrame, prepare_frame
from app.media.pydicom_setup import configure_pydicom
from app.samples.disc_writer import write_sample_disc
from bench.harness import compare, percentiles, recorded, run_process

CACHE = Path(tempfile.gettempdir()) / "lightbox-bench"
LARGE_ROWS, LARGE_COLUMNS = 4096, 3328
DCMTK_DECODERS = {"jpeg-ls": "dcml2pnm"}


def _sample_ct(transfer_syntax: str = "explicit") -> Path:
    """One axial CT slice of a small sample disc, written once and kept between runs."""
    disc = CACHE / ("imaging-ct-4" if transfer_syntax == "explicit" else
                    f"imaging-ct-4-{transfer_syntax}")
    if not (disc / "DICOMDIR").is_file():
        shutil.rmtree(disc, ignore_errors=True)
        print(f"  (writing a 4-slice {transfer_syntax} sample disc once)", flush=True)
        write_sample_disc(disc, slices=4, transfer_syntax=transfer_syntax, seed=1)
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


def _decode(transfer_syntax: str, runs: int = 60) -> None:
    """Decode lines for one syntax: app against pydicom's plugins, against dcmj2pnm, and
    two threads against one."""
    path = _sample_ct(transfer_syntax)
    image = open_image(path)

    def decode() -> None:
        image.decode_frame(0)

    def with_plugins() -> None:
        imagecodecs_plugin.set_enabled(False)
        try:
            image.decode_frame(0)
        finally:
            imagecodecs_plugin.set_enabled(True)

    name = f"decode 512 × 512 CT ({transfer_syntax})"
    compare(name, ("imagecodecs", decode), ("pydicom plugins, before", with_plugins),
            target="<= 1.0x", runs=runs, warmup=3)
    # dcmtk's free build has no JPEG 2000 decoder; JPEG-LS is dcml2pnm's, not dcmj2pnm's.
    tool = DCMTK_DECODERS.get(transfer_syntax, "")
    program = shutil.which(tool) if tool else None
    if program is None:
        reason = f"{tool} is not installed (dcmtk)" if tool else "dcmtk cannot decode it"
        print(f"{name}, against dcmtk: line skipped, {reason}")
    else:
        compare(f"{name}, against dcmtk", ("one frame", decode),
                (f"{tool}, a process", run_process([program, str(path), "/dev/null"])),
                target="<= 1.0x", runs=max(10, runs // 3), warmup=2)
    for enabled, label in ((True, "imagecodecs"), (False, "pydicom plugins, before")):
        imagecodecs_plugin.set_enabled(enabled)
        try:
            compare(f"{name}, two threads ({label})",
                    ("two threads, 8 frames each", lambda: _on_threads(path, 2, 8)),
                    ("one thread, 8 frames", lambda: _on_threads(path, 1, 8)),
                    target="<= 1.3x" if enabled else "(2.0x: one at a time)",
                    runs=max(5, runs // 6), warmup=1)
        finally:
            imagecodecs_plugin.set_enabled(True)
    image.close()


def _on_threads(path: Path, threads: int, frames: int) -> None:
    """``threads`` threads, each with its own opened image, decoding ``frames`` frames."""
    images = [open_image(path) for _ in range(threads)]

    def work(image: DicomImage) -> None:
        for _ in range(frames):
            image.decode_frame(0)

    workers = [threading.Thread(target=work, args=(image,)) for image in images]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for image in images:
        image.close()


def run_decode() -> None:
    """The decode lines alone (``python -m bench.bench_imaging decode``)."""
    configure_pydicom()
    _decode("jpeg2000")
    _decode("jpeg-ls")


def run() -> None:
    """Run the rendering benchmarks and print their lines."""
    configure_pydicom()
    _decode("jpeg2000")
    _decode("jpeg-ls")
    _drag("sample-disc CT", _prepared(_sample_ct()), runs=400)
    large = _prepared(_large_image())
    _drag("synthetic 16-bit", large, runs=60)
    start = time.perf_counter()
    for event in range(20):
        large.render(Window(2048 + event, 4096), step=4)
    each = (time.perf_counter() - start) / 20
    print(f"  at screen resolution (every 4th pixel, 1024 × 832): {each * 1000:.2f} ms a frame")


if __name__ == "__main__":
    if sys.argv[1:2] == ["decode"]:
        run_decode()
    else:
        run()
