"""Import: the app against the least work a correct importer must do, and against cp + sync.

1. ``import_media`` of a 300-slice sample disc (1 + 300 + 75 = 376 images of 512 x 512,
   about 190 MB, in the page cache) into a fresh library each run, alternating in the same
   run with two references:
   (a) the floor, written plainly below: list the files, then per file read it once in
       1 MB chunks, SHA-256 the same bytes while writing them to a temporary name, fsync,
       rename into ``objects/ab/<sha>.dcm``, sync the folder (without that the rename may
       not survive a power cut), parse the header from the copy (``dcmread`` with
       ``stop_before_pixels``) and commit one SQLite row (WAL, synchronous=FULL: the same
       durability the library promises). Target: the app at >= 0.9 of its throughput.
   (b) ``cp -r`` followed by ``sync``: what the disk itself costs, for context.
2. CPU milliseconds per file of the app (user + system, in process). Target: far below
   what a USB 3 stick delivers, <= 5 ms per 0.5 MB file.
3. Peak RSS of ``lightbox import`` as its own process, a ~1 GB disc against a ~20 MB one.
   Target: about the same (files stream in chunks; nothing holds a study).
"""

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from app.library.library import Library
from app.media.pydicom_setup import configure_pydicom
from app.samples.disc_writer import write_sample_disc
from app.services.importing import ImportReport, import_media
from bench.floor_import import floor_import
from bench.harness import Comparison

CACHE = Path(tempfile.gettempdir()) / "lightbox-bench"
REPO = Path(__file__).resolve().parent.parent
CHUNK = 1024 * 1024
RUNS = 7
THROUGHPUT_TARGET = 0.9
CPU_MS_TARGET = 5.0

Job = Callable[[Path], object]


def _disc(name: str, slices: int) -> Path:
    """A sample disc, written once (under a temporary name) and kept between runs."""
    disc = CACHE / name
    if not (disc / "DICOMDIR").is_file():
        partial = CACHE / f"{name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(disc, ignore_errors=True)
        print(f"  (writing {name} once: {slices} slices of 512 x 512)", flush=True)
        write_sample_disc(partial, slices=slices, seed=1)
        partial.rename(disc)
    return disc


def _image_files(disc: Path) -> list[Path]:
    return sorted(p for p in disc.rglob("*") if p.is_file() and p.name != "DICOMDIR")


def _megabytes(files: list[Path]) -> float:
    return sum(p.stat().st_size for p in files) / 1e6


# -- the contenders ---------------------------------------------------------------------------


def _app(disc: Path, expected: int, cpu: list[tuple[float, float]]) -> Job:
    """The app's import into a fresh library at ``home``; (user, system) CPU seconds of
    each run appended to ``cpu``."""

    def run(home: Path) -> None:
        before = resource.getrusage(resource.RUSAGE_SELF)
        with Library(home) as library:
            report = None
            for item in import_media(disc, library):
                report = item
        after = resource.getrusage(resource.RUSAGE_SELF)
        assert isinstance(report, ImportReport)
        assert (report.imported, report.failed) == (expected, ()), "the import must be whole"
        cpu.append((after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime))

    return run


def _floor(disc: Path, expected: int) -> Job:
    """The least a correct importer does (bench/floor_import.py), in this process."""

    def run(out: Path) -> None:
        floor_import(disc, out, expected)

    return run


def _copy_and_sync(disc: Path) -> Job:
    def run(out: Path) -> None:
        subprocess.run(["cp", "-r", str(disc), str(out)], check=True)
        subprocess.run(["sync"], check=True)

    return run


def _alternate(jobs: list[tuple[str, Job]], runs: int) -> dict[str, list[float]]:
    """Seconds of each job, run in turn (A B C A B C ...) after one warm-up round.

    Each run gets a fresh output folder; creating and deleting it, and flushing what the
    previous run left dirty, happen outside the timing.
    """
    times: dict[str, list[float]] = {label: [] for label, _ in jobs}
    work = Path(tempfile.mkdtemp(prefix="import-", dir=CACHE))
    try:
        for round_number in range(runs + 1):
            for label, job in jobs:
                out = work / "out"
                os.sync()
                started = time.perf_counter()
                job(out)
                elapsed = time.perf_counter() - started
                shutil.rmtree(out)
                if round_number:
                    times[label].append(elapsed)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return times


def _comparison(
    times: dict[str, list[float]], app: str, reference: str, target: str
) -> Comparison:
    ratio = statistics.median(a / r for a, r in zip(times[app], times[reference], strict=True))
    return Comparison(
        f"import of the 300-slice disc vs {reference}", app, reference,
        statistics.median(times[app]), statistics.median(times[reference]), ratio, target,
    )


# -- peak memory ------------------------------------------------------------------------------


# Runs the command and prints its exit code and peak RSS (kB). A small process of its own,
# because a child's ru_maxrss also counts what it inherited at fork: from the benchmark
# process itself, that would be hundreds of MB that are not the import's.
_RSS_HELPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL,"
    " stderr=subprocess.DEVNULL)\n"
    "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def _peak_rss_mb(disc: Path) -> tuple[float, float]:
    """Peak RSS (MB) and wall seconds of `python -m app import DISC` in a fresh library."""
    home = Path(tempfile.mkdtemp(prefix="rss-", dir=CACHE))
    try:
        env = {**os.environ, "LIGHTBOX_HOME": str(home)}
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", _RSS_HELPER, sys.executable, "-m", "app", "import",
             str(disc), "--json"],
            cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=600,
        )
        elapsed = time.perf_counter() - started
        code, max_rss_kb = (int(word) for word in result.stdout.split())
        if code != 0:
            raise RuntimeError(f"lightbox import {disc} exited with {code}")
        return max_rss_kb / 1024, elapsed  # ru_maxrss is in kB on Linux
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run() -> None:
    """Run the import benchmarks and print their figures."""
    configure_pydicom()
    CACHE.mkdir(parents=True, exist_ok=True)
    disc = _disc("import-300", slices=300)
    files = _image_files(disc)
    megabytes = _megabytes(files)
    cpu: list[tuple[float, float]] = []
    app, floor, copy = (
        "import_media, in process",
        "floor: read, SHA-256, fsync'd copy, header, one row",
        "cp -r + sync",
    )
    times = _alternate(
        [(app, _app(disc, len(files), cpu)), (floor, _floor(disc, len(files))),
         (copy, _copy_and_sync(disc))],
        RUNS,
    )
    for comparison in (
        _comparison(times, app, floor, f"<= {1 / THROUGHPUT_TARGET:.2f}x"),
        _comparison(times, app, copy, "context only"),
    ):
        print(comparison.line(), flush=True)
    speeds = {label: megabytes / statistics.median(t) for label, t in times.items()}
    throughput = statistics.median(r / a for a, r in zip(times[app], times[floor], strict=True))
    print(
        f"import throughput ({len(files)} files, {megabytes:.0f} MB): app {speeds[app]:.0f} MB/s"
        f" | floor {speeds[floor]:.0f} MB/s | cp -r + sync {speeds[copy]:.0f} MB/s"
        f" | app/floor {throughput:.2f} (target >= {THROUGHPUT_TARGET})",
        flush=True,
    )
    timed_runs = cpu[1:]  # the warm-up run excluded
    per_file = {
        "total": statistics.median(u + s for u, s in timed_runs),
        "user": statistics.median(u for u, _ in timed_runs),
        "system": statistics.median(s for _, s in timed_runs),
    }
    ms = {k: v / len(files) * 1000 for k, v in per_file.items()}
    print(
        f"import CPU: {ms['total']:.2f} ms per file of {megabytes / len(files):.2f} MB"
        f" (user {ms['user']:.2f} + system {ms['system']:.2f}, medians;"
        f" target <= {CPU_MS_TARGET} ms per 0.5 MB file)",
        flush=True,
    )

    large = _disc("import-1gb", slices=1599)  # 1 + 1599 + 400 = 2000 images, ~1 GB
    small = _disc("import-20mb", slices=31)  # 1 + 31 + 8 = 40 images, ~20 MB
    results = []
    for medium in (large, small):
        size = _megabytes(_image_files(medium))
        rss, seconds = _peak_rss_mb(medium)
        results.append(f"{size:,.0f} MB disc {rss:.0f} MB ({seconds:.1f} s)")
    print(f"peak RSS of lightbox import: {' | '.join(results)} (target: about the same)",
          flush=True)
