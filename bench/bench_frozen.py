"""The frozen app (pyinstaller.spec) against the venv's: start to the first painted image.

``lightbox view DISC --screenshot PNG`` (start, open the sample disc, paint the first image,
save, exit) of the bundle against the same command of the venv's ``lightbox``, under a
private Xvfb, alternating, medians. Target: <= 1.2x. Also the unpacked bundle's size.
The bundle is the one tests/frozen builds (cached in .cache/frozen/).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.harness import compare
from tests.frozen.bundle import (
    REPO,
    build_bundle,
    bundle_size,
    clean_env,
    executable,
    pyinstaller_missing,
)

RUNS = 5
TARGET = 1.2
SIZE_GOAL_MB = 160


@contextmanager
def _xvfb() -> Iterator[str | None]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        yield None
        return
    number = next(n for n in range(301, 399) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    server = subprocess.Popen([xvfb, f":{number}", "-screen", "0", "1280x800x24", "-nolisten",
                               "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while not Path(f"/tmp/.X11-unix/X{number}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _view(argv: list[str], env: dict[str, str], out: Path, disc: Path) -> Callable[[], object]:
    def run() -> object:
        return subprocess.run([*argv, "view", str(disc), "--screenshot", str(out)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return run


def run() -> None:
    """Print the comparison and the size, or why they cannot be measured here."""
    reason = pyinstaller_missing()
    if reason:
        print(f"frozen app: skipped ({reason})")
        return
    bundle = build_bundle()
    size = bundle_size(bundle) / 1e6
    print(f"frozen bundle size: {size:.0f} MB unpacked (goal <= {SIZE_GOAL_MB} MB)", flush=True)
    with _xvfb() as display, tempfile.TemporaryDirectory(prefix="lightbox-bench-") as scratch:
        if display is None:
            print("frozen app start-up: skipped (Xvfb is not installed: apt install xvfb)")
            return
        root = Path(scratch)
        from app.services.sample_disc import write_sample_disc

        disc = root / "disc"
        write_sample_disc(disc, slices=120)
        frozen_env = clean_env(root / "frozen", DISPLAY=display, QT_QPA_PLATFORM="xcb")
        venv_env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
                    "LIGHTBOX_HOME": str(root / "venv-home"), "PYTHONPATH": str(REPO)}
        script = Path(sys.executable).with_name("lightbox")
        venv_argv = [str(script)] if script.is_file() else [sys.executable, "-m", "app"]
        compare(
            "start to first painted image (view --screenshot, sample disc)",
            ("frozen bundle", _view([str(executable(bundle))], frozen_env, root / "f.png", disc)),
            ("venv lightbox", _view(venv_argv, venv_env, root / "v.png", disc)),
            target=f"<= {TARGET}x",
            runs=RUNS,
        )
