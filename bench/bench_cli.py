"""The command line as users and scripts run it: whole processes, start-up included.

1. ``lightbox --version`` against ``python -c "import pydicom"`` (the least any DICOM tool
   in Python pays to start), alternating, medians. Target: <= 1.3x.
2. ``lightbox import`` of the 300-slice sample disc as its own process against the floor
   importer of bench_import as its own process (bench/floor_import.py), each into a fresh
   folder, alternating. Target: the app at >= 0.9 of the floor's throughput.
"""

import os
import statistics
import sys
from pathlib import Path

from bench.bench_import import CACHE, REPO, _alternate, _disc, _image_files, _megabytes
from bench.harness import Comparison, compare, run_process

STARTUP_RUNS = 15
IMPORT_RUNS = 5
STARTUP_TARGET = 1.3
THROUGHPUT_TARGET = 0.9


def _lightbox() -> list[str]:
    """The installed console script when there is one, else ``python -m app``."""
    script = Path(sys.executable).with_name("lightbox")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "app"]


def _run_quiet(argv: list[str], env: dict[str, str] | None = None) -> None:
    import subprocess

    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   cwd=REPO, env=env)


def startup() -> Comparison:
    """``lightbox --version`` vs ``python -c "import pydicom"``."""
    return compare(
        "start-up, whole process",
        ("lightbox --version", run_process([*_lightbox(), "--version"])),
        ("python -c 'import pydicom'", run_process([sys.executable, "-c", "import pydicom"])),
        target=f"<= {STARTUP_TARGET}x",
        runs=STARTUP_RUNS,
        warmup=2,
    )


def import_process() -> Comparison:
    """Whole-process ``lightbox import`` vs the floor importer as a process."""
    CACHE.mkdir(parents=True, exist_ok=True)
    disc = _disc("import-300", slices=300)
    files = _image_files(disc)
    floor_script = str(Path(__file__).with_name("floor_import.py"))

    def app(out: Path) -> None:
        _run_quiet([*_lightbox(), "import", str(disc), "--json"],
                   env={**os.environ, "LIGHTBOX_HOME": str(out)})

    def floor(out: Path) -> None:
        _run_quiet([sys.executable, floor_script, str(disc), str(out), str(len(files))])

    app_label, floor_label = "lightbox import, process", "floor importer, process"
    times = _alternate([(app_label, app), (floor_label, floor)], IMPORT_RUNS)
    ratio = statistics.median(
        a / f for a, f in zip(times[app_label], times[floor_label], strict=True))
    result = Comparison(
        "import of the 300-slice disc, whole process", app_label, floor_label,
        statistics.median(times[app_label]), statistics.median(times[floor_label]), ratio,
        f"<= {1 / THROUGHPUT_TARGET:.2f}x",
    )
    print(result.line(), flush=True)
    megabytes = _megabytes(files)
    print(f"import throughput, whole process ({len(files)} files, {megabytes:.0f} MB): "
          f"app/floor {1 / ratio:.2f} (target >= {THROUGHPUT_TARGET})", flush=True)
    return result


def run() -> None:
    """Run the command-line benchmarks and print their figures."""
    startup()
    import_process()


if __name__ == "__main__":
    run()
