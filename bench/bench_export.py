"""Export: standard media from the library against ``cp -r`` of the same stored files.

A 300-image sample study (1 + 239 + 60 images of 512 x 512, about 157 MB, in the page
cache) is imported into a library once; then, alternately in the same run:

1. ``export_studies`` to a new folder, in process: each stored file's header read, the
   file copied unchanged into ``DICOM/PAT00001/...``, the DICOMDIR written, every file
   flushed to the disk (fsync), the folder renamed into place.
2. ``cp -r`` of the library's store folder (it holds exactly that study's files): the
   least a copy can cost, with nothing flushed.
3. ``cp -r`` then ``sync``: the same copy made durable, which is what the export promises.

The ZIP and ISO formats are timed the same way against ``cp -r``, and the de-identified
folder export (``export_deidentified``, default options: each file read whole, the
profile applied to a copy, the result encoded) against the plain folder export: the
price of the de-identification itself. The ratio is app /
reference (median of pairwise ratios); the target for the folder is within 3x of
``cp -r`` + ``sync`` (header parsing and the DICOMDIR are the app's own work).
The one-pass DICOMDIR is also timed against pydicom's ``FileSet.add`` for 2,000 records
(FIELD-NOTES: quadratic), which is why the export does not use FileSet.
"""

import os
import shutil
import statistics
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.fileset import FileSet
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from app.exporting.dicomdir import DicomdirBuilder
from app.library.library import Library
from app.media.pydicom_setup import configure_pydicom
from app.services.copy_options import DeidentifyOptions
from app.services.deidentifying import export_deidentified
from app.services.exporting import ExportReport, Format, export_studies
from bench.harness import Comparison
from tests.support.studies import import_study, write_disc

CACHE = Path(tempfile.gettempdir()) / "lightbox-bench"
SLICES = 239  # 1 scout + 239 thin + 60 thick slices = 300 images
IMAGES = 300
RUNS = 5
FOLDER_TARGET = 3.0
FILESET_RECORDS = 2000

Job = Callable[[Path], object]


def _disc() -> Path:
    disc = CACHE / "export-300"
    if not (disc / "DICOMDIR").is_file():
        shutil.rmtree(disc, ignore_errors=True)
        print("  (writing export-300 once: 300 images of 512 x 512)", flush=True)
        write_disc(disc, SLICES, 512, 512, seed=11)
    return disc


def _export(library: Library, study: str, media_format: Format,
            deidentify: bool = False) -> Job:
    def run(out: Path) -> None:
        report = None
        job = export_deidentified([study], out, media_format, library, DeidentifyOptions()) \
            if deidentify else export_studies([study], out, media_format, library)
        for item in job:
            report = item
        assert isinstance(report, ExportReport) and report.instances == IMAGES, report
        assert report.deidentified == deidentify

    return run


def _copy(store: Path, sync: bool) -> Job:
    def run(out: Path) -> None:
        subprocess.run(["cp", "-r", str(store), str(out)], check=True)
        if sync:
            subprocess.run(["sync"], check=True)

    return run


def _alternate(jobs: list[tuple[str, Job]], work: Path) -> dict[str, list[float]]:
    """Seconds of each job, run in turn after one warm-up round; each run writes a new
    output (named for its format), removed and flushed outside the timing."""
    times: dict[str, list[float]] = {label: [] for label, _ in jobs}
    for round_number in range(RUNS + 1):
        for label, job in jobs:
            out = work / ("out.zip" if "zip" in label else "out.iso" if "iso" in label
                          else "out")
            os.sync()
            started = time.perf_counter()
            job(out)
            elapsed = time.perf_counter() - started
            shutil.rmtree(out) if out.is_dir() else out.unlink()
            if round_number:
                times[label].append(elapsed)
    return times


def _comparison(times: dict[str, list[float]], app: str, reference: str,
                target: str) -> Comparison:
    ratio = statistics.median(a / r for a, r in zip(times[app], times[reference],
                                                      strict=True))
    return Comparison(f"export {IMAGES} images", app, reference,
                      statistics.median(times[app]), statistics.median(times[reference]),
                      ratio, target)


def _dicomdir_records(count: int) -> list[Dataset]:
    study, series = generate_uid(), generate_uid()
    records = []
    for number in range(1, count + 1):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, generate_uid()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.PatientName, ds.PatientID = "BENCH^DICOMDIR", "BENCH"
        ds.StudyInstanceUID, ds.StudyDate, ds.StudyTime, ds.StudyID = (
            study, "20240101", "120000", "1")
        ds.Modality, ds.SeriesInstanceUID, ds.SeriesNumber = "CT", series, 1
        ds.InstanceNumber = number
        records.append(ds)
    return records


def _fileset_adds(records: list[Dataset], limit_s: float) -> tuple[int, float]:
    """How many ``FileSet.add`` calls fit in ``limit_s`` (it stages a file per add)."""
    file_set = FileSet()
    started = time.perf_counter()
    for done, ds in enumerate(records, start=1):
        file_set.add(ds)
        if time.perf_counter() - started > limit_s:
            return done, time.perf_counter() - started
    return len(records), time.perf_counter() - started


def _dicomdir_line() -> None:
    records = _dicomdir_records(FILESET_RECORDS)
    started = time.perf_counter()
    builder = DicomdirBuilder()
    for ds in records:
        builder.place(ds, ExplicitVRLittleEndian)
    builder.encode()
    ours = time.perf_counter() - started
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adds, seconds = _fileset_adds(records, limit_s=20.0)
    whole = "" if adds == len(records) else f" (stopped after {adds} adds)"
    print(f"DICOMDIR of {FILESET_RECORDS:,} images: one pass {ours * 1000:.0f} ms (place + "
          f"encode) | pydicom FileSet.add {seconds:.1f} s{whole}, before its write",
          flush=True)


def run() -> None:
    """Run the export benchmarks and print their figures."""
    configure_pydicom()
    CACHE.mkdir(parents=True, exist_ok=True)
    disc = _disc()
    work = Path(tempfile.mkdtemp(prefix="export-", dir=CACHE))
    try:
        with Library(work / "home") as library:
            study = import_study(library, disc)
            store = library.store.objects
            size = sum(i.size for i in library.study_files(study)) / 1e6
            folder, zipped, iso = ("export folder", "export zip", "export iso")
            deidentified = "export folder de-identified"
            copy, copy_sync = "cp -r", "cp -r + sync"
            times = _alternate(
                [(folder, _export(library, study, "folder")), (copy, _copy(store, False)),
                 (copy_sync, _copy(store, True)), (zipped, _export(library, study, "zip")),
                 (iso, _export(library, study, "iso")),
                 (deidentified, _export(library, study, "folder", deidentify=True))],
                work,
            )
        for comparison in (
            _comparison(times, folder, copy_sync, f"<= {FOLDER_TARGET:.0f}x"),
            _comparison(times, folder, copy, "context"),
            _comparison(times, zipped, copy, "context"),
            _comparison(times, iso, copy, "context"),
            _comparison(times, deidentified, folder, "context: the price of de-identifying"),
            _comparison(times, deidentified, copy_sync, "context"),
        ):
            print(comparison.line(), flush=True)
        speeds = " | ".join(f"{label} {size / statistics.median(t):.0f} MB/s"
                            for label, t in times.items())
        print(f"export throughput ({IMAGES} files, {size:.0f} MB): {speeds}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _dicomdir_line()
