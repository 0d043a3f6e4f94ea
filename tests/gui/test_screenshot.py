"""`lightbox view --screenshot` in a real X server (Xvfb): the PNG shows a real image."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO, tool


@pytest.fixture(scope="module")
def x_display() -> Iterator[str]:
    """A private Xvfb display, stopped by PID afterwards."""
    xvfb = tool("Xvfb", "xvfb")
    number = next(n for n in range(91, 199) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    server = subprocess.Popen(
        [xvfb, f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("Xvfb did not start")
            time.sleep(0.05)
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _view(display: str, target: Path, out: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
           "LIGHTBOX_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "app", "view", str(target), "--screenshot", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )


def test_screenshot_shows_the_image(x_display: str, ct_disc: Path, tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    result = _view(x_display, ct_disc, out, tmp_path / "home")
    assert result.returncode == 0, result.stderr
    pixels = np.asarray(Image.open(out).convert("L"), dtype=np.float64)
    rows, columns = pixels.shape
    assert rows > 300 and columns > 500
    # The image area (right of the browser, away from overlays) is a CT slice: dark air
    # around a bright body, with detail inside, not a blank or uniform square.
    middle = pixels[rows // 4 : rows * 3 // 4, columns // 3 : columns * 5 // 6]
    assert middle.std() > 20
    assert (middle < 20).mean() > 0.05 and (middle > 60).mean() > 0.1


def test_screenshot_of_an_undecodable_file_fails_with_its_reason(
    x_display: str, corpus: Path, tmp_path: Path
) -> None:
    out = tmp_path / "shot.png"
    result = _view(x_display, corpus / "files/deflate/liver_deflate.dcm", out, tmp_path / "home")
    assert result.returncode == 1
    assert "1.2.840.10008.1.2.8.1" in result.stderr
    assert out.is_file()  # the window, showing why, is still saved
