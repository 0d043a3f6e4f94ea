"""The frozen app (pyinstaller.spec) works without the venv: self-test, scan, render and the
viewer give what the venv's `lightbox` gives, and stderr holds no unexpected line
(qutebrowser's rule for its frozen builds)."""

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO, skip_or_fail, tool
from tests.frozen.bundle import build_bundle, clean_env, executable, pyinstaller_missing

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="the bundle is tested on Linux"),
]

# Lines a frozen Qt app may print that say nothing about Lightbox. Anything else fails.
HARMLESS_STDERR = [
    re.compile(r".*libqgtk3.*"),
    re.compile(r"qt\.qpa\.xcb: X server does not support XInput 2"),
    re.compile(r"qt\.qpa\.xcb: QXcbConnection: XCB error: .*"),
    re.compile(r"This plugin does not support propagateSizeHints\(\)"),
    re.compile(r"qt\.qpa\.plugin: Could not find the Qt platform plugin \"wayland\".*"),
]


def unexpected_lines(stderr: str) -> list[str]:
    """The stderr lines no allowlist entry explains."""
    return [line for line in stderr.splitlines()
            if line.strip() and not any(p.fullmatch(line) for p in HARMLESS_STDERR)]


@pytest.fixture(scope="module")
def bundle() -> Path:
    reason = pyinstaller_missing()
    if reason:
        skip_or_fail(reason)
    try:
        return build_bundle()
    except RuntimeError as exc:
        skip_or_fail(f"the bundle could not be built: {exc}")
        raise


def frozen(bundle: Path, home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(executable(bundle)), *args], cwd=home, env=clean_env(home, **env),
                          capture_output=True, text=True, timeout=300, check=False)


def venv(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIGHTBOX_HOME": str(home / "venv-home"), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_self_test_passes(bundle: Path, tmp_path: Path) -> None:
    done = frozen(bundle, tmp_path, "--self-test")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(frozen)" in done.stdout
    assert done.stdout.rstrip().endswith("Self-test passed.")
    assert unexpected_lines(done.stderr) == []


def test_version_is_the_package_version(bundle: Path, tmp_path: Path) -> None:
    from app import __version__

    done = frozen(bundle, tmp_path, "--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"lightbox {__version__}\n", "")


@pytest.mark.parametrize("disc", ["discs/clunie_charset", "discs/pydicom_dicomdirtests"])
def test_scan_json_is_the_venvs(bundle: Path, corpus: Path, tmp_path: Path, disc: str) -> None:
    source = str(corpus / disc)
    mine = frozen(bundle, tmp_path, "scan", source, "--json")
    theirs = venv(tmp_path, "scan", source, "--json")
    assert mine.returncode == theirs.returncode, mine.stderr
    assert json.loads(mine.stdout) == json.loads(theirs.stdout)
    assert json.loads(mine.stdout)["instances"] > 0
    assert unexpected_lines(mine.stderr) == []


@pytest.mark.parametrize("name", [
    "files/jpeg2000/GDCMJ2K_TextGBR.dcm",  # JPEG 2000 (imagecodecs; openjpeg if it fails)
    "files/jpeg_lossless/MR-JPEGLosslessSV1.dcm",  # JPEG Lossless SV1 (imagecodecs; libjpeg)
    "files/jpeg_ls/JLSL_16_15_1_1F.dcm",  # JPEG-LS (imagecodecs; libjpeg if it fails)
    "files/palette_color/OBXXXX1A_rle.dcm",  # RLE (pylibjpeg-rle)
])
def test_render_is_the_venvs(bundle: Path, corpus: Path, tmp_path: Path, name: str) -> None:
    mine, theirs = tmp_path / "frozen.png", tmp_path / "venv.png"
    done = frozen(bundle, tmp_path, "render", str(corpus / name), "-o", str(mine))
    assert done.returncode == 0, done.stderr
    assert unexpected_lines(done.stderr) == []
    reference = venv(tmp_path, "render", str(corpus / name), "-o", str(theirs))
    assert reference.returncode == 0, reference.stderr
    assert np.array_equal(np.asarray(Image.open(mine)), np.asarray(Image.open(theirs)))


def test_imagecodecs_codecs_in_use_are_bundled(bundle: Path) -> None:
    """The renders above would pass without them (pydicom's plugins are the fallback), so
    the codec modules imagecodecs imports by name, and the libraries they link, are
    looked for by name: the venv's own files (Pillow brings another libopenjp2)."""
    import imagecodecs

    package = Path(imagecodecs.__file__).parent
    wanted = {path.name for pattern in ("_jpegxl.*", "_jpeg2k.*", "_jpegls.*", "_ljpeg.*")
              for path in package.glob(pattern) if path.suffix in (".so", ".pyd")}
    libraries = package.parent / "imagecodecs.libs"
    wanted |= {path.name for pattern in ("libopenjp2-*", "libcharls-*")
               for path in libraries.glob(pattern)}
    assert len(wanted) >= 6
    bundled = {path.name for path in bundle.rglob("*") if path.is_file()}
    assert wanted - bundled == set()


@pytest.fixture(scope="module")
def x_display() -> Iterator[str]:
    """A private Xvfb display, stopped by PID afterwards."""
    xvfb = tool("Xvfb", "xvfb")
    number = next(n for n in range(201, 299) if not Path(f"/tmp/.X11-unix/X{n}").exists())
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


def test_view_screenshot_shows_an_image(bundle: Path, x_display: str, tmp_path: Path) -> None:
    from app.services.sample_disc import write_sample_disc

    disc = tmp_path / "disc"
    write_sample_disc(disc, slices=8)
    out = tmp_path / "shot.png"
    done = frozen(bundle, tmp_path, "view", str(disc), "--screenshot", str(out),
                  DISPLAY=x_display, QT_QPA_PLATFORM="xcb")
    assert done.returncode == 0, done.stderr
    assert unexpected_lines(done.stderr) == []
    pixels = np.asarray(Image.open(out).convert("L"), dtype=np.float64)
    rows, columns = pixels.shape
    middle = pixels[rows // 4 : rows * 3 // 4, columns // 3 : columns * 5 // 6]
    # A CT slice, not a blank or uniform square: dark air around a bright body.
    assert middle.std() > 20
    assert (middle < 20).mean() > 0.05 and (middle > 60).mean() > 0.1
