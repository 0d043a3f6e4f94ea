"""Disc to cloud in one pass: ``upload_medium`` against import alone and upload alone.

The disc is the 300-slice sample disc of the import benchmark (1 + 300 + 75 = 376 images of
512 x 512, about 190 MB, in the page cache); the cloud is one Orthanc with its DICOMweb
plugin (authentication on, TCP_NODELAY=1). Each round, measured in the same run:

- import alone: ``import_media`` of the disc into a fresh library;
- upload alone: ``upload_studies`` of that library's study to an emptied Orthanc;
- overlapped: ``upload_medium`` of the disc into another fresh library, to an emptied
  Orthanc (every image confirmed, as the other two).

Peers import, then upload: the sum. The goal is the max: overlapped <= 1.15 x max(import,
upload), as the median of the per-round ratios. Rounds alternate the order (overlapped
first, then last), after one warm-up round; emptying Orthanc, making the library folders
and flushing what the previous run left dirty are outside the timing.

Here the server shares the two cores and, unless its storage is in memory, the disk with
the import: its fsyncs queue behind the import's and the two add up. So it runs with
Orthanc's storage in memory (as a remote server's disk would be: not ours) and, for
context, on the library's disk. A last line shows what the pass itself costs: overlapped
to a sink that reads every file and confirms it (no server work) against import alone.

Orthanc binds every interface, so this runs only inside the loopback-only network
namespace of ``scripts/isolated.sh`` (``make bench``); elsewhere it says it was skipped.
"""

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from app.cloud.accounts import Account
from app.cloud.dicomweb import DicomWebClient, StowFile, StowOutcome
from app.library.library import Library
from app.media.pydicom_setup import configure_pydicom
from app.services.disc_upload import DiscUploadReport, upload_medium
from app.services.importing import ImportReport, import_media
from app.services.uploading import UploadReport, upload_studies
from bench.bench_import import CACHE, _disc
from tests.support.orthanc import Orthanc, orthanc_problem

RUNS = 5
TARGET = 1.15
SLICES = 300
IMPORT, UPLOAD, OVERLAPPED = "import alone", "upload alone", "overlapped"
RAM_FOLDER = Path("/dev/shm")


class _Round:
    """One round's three measurements, on fresh libraries under ``work``."""

    def __init__(self, disc: Path, work: Path, orthanc: Orthanc, images: int) -> None:
        self.disc = disc
        self.work = work
        self.orthanc = orthanc
        self.images = images
        self.account = Account("bench", orthanc.dicomweb, "basic", orthanc.username)
        self.study = ""

    def client(self) -> DicomWebClient:
        return DicomWebClient(self.account, self.orthanc.password)

    def _fresh(self, name: str) -> Path:
        home = self.work / name
        shutil.rmtree(home, ignore_errors=True)
        return home

    def _timed(self, prepare: Callable[[], None], job: Callable[[], None]) -> float:
        prepare()
        os.sync()
        started = time.perf_counter()
        job()
        return time.perf_counter() - started

    def import_alone(self) -> float:
        home = self._fresh("imported")

        def job() -> None:
            with Library(home) as library:
                report = _last(import_media(self.disc, library))
            assert isinstance(report, ImportReport) and report.imported == self.images
            (self.study,) = report.study_instance_uids

        return self._timed(lambda: None, job)

    def upload_alone(self) -> float:
        """Upload of the study the last import_alone stored."""

        def job() -> None:
            with Library(self.work / "imported") as library:
                report = _last(upload_studies([self.study], self.account, library,
                                              self.client))
            assert isinstance(report, UploadReport) and report.studies[0].complete
            assert report.studies[0].sent == self.images

        seconds = self._timed(self.orthanc.delete_everything, job)
        assert self.orthanc.instance_count() == self.images
        return seconds

    def overlapped(self) -> float:
        home = self._fresh("overlapped")

        def job() -> None:
            with Library(home) as library:
                report = _last(upload_medium(self.disc, self.account, library, self.client))
            assert isinstance(report, DiscUploadReport) and report.complete
            assert report.uploaded.studies[0].sent == self.images

        seconds = self._timed(self.orthanc.delete_everything, job)
        assert self.orthanc.instance_count() == self.images
        return seconds


class _Sink(DicomWebClient):
    """A "server" that costs nothing: each file is read to the end, and confirmed."""

    def store(self, files: list[StowFile]) -> StowOutcome:
        for item in files:
            with open(item.path, "rb") as fh:
                while fh.read(1024 * 1024):
                    pass
        return StowOutcome(frozenset(f.sop_instance_uid for f in files))


def _own_cost(disc: Path, images: int) -> None:
    """upload_medium to the sink against import alone, alternately (after a warm-up)."""
    work = Path(tempfile.mkdtemp(prefix="disc-upload-sink-", dir=CACHE))
    account = Account("sink", "http://127.0.0.1:9/dicom-web", "basic", "nobody")
    times: dict[str, list[float]] = {IMPORT: [], OVERLAPPED: []}
    try:
        for round_number in range(RUNS + 1):
            for label in (IMPORT, OVERLAPPED):
                home = work / label.replace(" ", "-")
                shutil.rmtree(home, ignore_errors=True)
                os.sync()
                started = time.perf_counter()
                with Library(home) as library:
                    job = (import_media(disc, library) if label == IMPORT else
                           upload_medium(disc, account, library, lambda: _Sink(account, "")))
                    report = _last(job)
                seconds = time.perf_counter() - started
                assert isinstance(report, ImportReport | DiscUploadReport)
                if round_number:
                    times[label].append(seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ratio = statistics.median(o / i for i, o in zip(times[IMPORT], times[OVERLAPPED],
                                                    strict=True))
    print(f"  the pass's own cost ({images} images): overlapped to a sink that reads and "
          f"confirms {statistics.median(times[OVERLAPPED]):.2f} s | import alone "
          f"{statistics.median(times[IMPORT]):.2f} s | ratio {ratio:.2f}x", flush=True)


def _last(items: Iterable[object]) -> object:
    """The last item of a job (its report), the job driven to its end."""
    last = None
    for last in items:  # noqa: B007
        pass
    return last


def _measure(disc: Path, orthanc: Orthanc, images: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {IMPORT: [], UPLOAD: [], OVERLAPPED: []}
    work = Path(tempfile.mkdtemp(prefix="disc-upload-", dir=CACHE))
    try:
        one = _Round(disc, work, orthanc, images)
        for round_number in range(RUNS + 1):
            if round_number % 2:
                measured = {OVERLAPPED: one.overlapped(), IMPORT: one.import_alone(),
                            UPLOAD: one.upload_alone()}
            else:
                measured = {IMPORT: one.import_alone(), UPLOAD: one.upload_alone(),
                            OVERLAPPED: one.overlapped()}
            if round_number:  # Round 0 warms up the page cache and Orthanc.
                for label, seconds in measured.items():
                    times[label].append(seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return times


def _report(label: str, times: dict[str, list[float]], images: int,
            megabytes: float) -> None:
    rounds = list(zip(times[IMPORT], times[UPLOAD], times[OVERLAPPED], strict=True))
    to_max = statistics.median(o / max(i, u) for i, u, o in rounds)
    to_sum = statistics.median(o / (i + u) for i, u, o in rounds)
    median = {name: statistics.median(t) for name, t in times.items()}
    print(f"disc to cloud ({images} images, {megabytes:.0f} MB; {label}): "
          f"overlapped {median[OVERLAPPED]:.2f} s (upload_medium) | "
          f"import alone {median[IMPORT]:.2f} s | upload alone {median[UPLOAD]:.2f} s | "
          f"sum {statistics.median(i + u for i, u, _ in rounds):.2f} s | "
          f"max {statistics.median(max(i, u) for i, u, _ in rounds):.2f} s | "
          f"overlapped/max {to_max:.2f}x (target <= {TARGET}x) | "
          f"overlapped/sum {to_sum:.2f}x", flush=True)
    print("  per run (s): " + " | ".join(
        f"{name} " + " ".join(f"{t:.2f}" for t in runs) for name, runs in times.items()),
        flush=True)


def run() -> None:
    """Run the disc-to-cloud benchmark (inside the test network namespace) and print it."""
    problem = orthanc_problem("make bench")
    if problem:
        print(f"disc to cloud: skipped ({problem})", flush=True)
        return
    configure_pydicom()
    CACHE.mkdir(parents=True, exist_ok=True)
    disc = _disc("import-300", slices=SLICES)
    files = [p for p in disc.rglob("*") if p.is_file() and p.name != "DICOMDIR"]
    megabytes = sum(p.stat().st_size for p in files) / 1e6
    # A cloud's disk is not this computer's: with Orthanc's storage and index in memory,
    # its fsyncs do not queue behind the import's on one disk (they would, and did, add
    # the import's and the server's disk time up). Orthanc on this disk is shown too.
    places = [("Orthanc's storage in memory, as a remote server's disk", RAM_FOLDER),
              ("Orthanc's storage on the library's disk", None)]
    for label, parent in places:
        if parent is not None and not parent.is_dir():
            print(f"disc to cloud ({label}): skipped (no {parent})", flush=True)
            continue
        work = Path(tempfile.mkdtemp(prefix="lightbox-bench-disc-upload-"))
        server = Path(tempfile.mkdtemp(prefix="lightbox-bench-orthanc-", dir=parent))
        orthanc = Orthanc(server)
        try:
            orthanc.start()
            times = _measure(disc, orthanc, len(files))
        finally:
            orthanc.close()
            shutil.rmtree(server, ignore_errors=True)
            shutil.rmtree(work, ignore_errors=True)
        _report(label, times, len(files), megabytes)
    _own_cost(disc, len(files))


if __name__ == "__main__":
    run()
