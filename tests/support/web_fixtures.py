"""Fixtures of the web viewer tests (a pytest plugin): OHIF served by nginx beside Orthanc,
and a headless Chromium.

Each prerequisite that is missing (the loopback-only namespace, Orthanc, nginx, Chromium,
the fetched OHIF build) skips the test with the reason, and fails it under CI=true.
Servers and the browser are started per test and stopped by PID, whatever happens.
"""

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.support import chromium, nginx, ohif
from tests.support.chromium import BrowserError, Chromium
from tests.support.cloud_fixtures import ORTHANC_PASSWORD, ORTHANC_USER
from tests.support.nginx import Nginx, viewer_config
from tests.support.orthanc import Orthanc, free_port


@pytest.fixture(scope="session")
def ohif_dist() -> Path:
    """The OHIF viewer's built files (fetched by ``make test``, see tests/support/ohif.py)."""
    dist = ohif.ohif_dist()
    if dist is None:
        skip_or_fail(ohif.missing_reason())
    assert dist is not None
    return dist


@pytest.fixture
def viewer_site(orthanc: Orthanc, ohif_dist: Path, tmp_path: Path) -> Iterator[Nginx]:
    """nginx on a free loopback port: OHIF at ``/``, Orthanc's DICOMweb at
    ``/dicom-web/`` (signed in by nginx), one origin."""
    if nginx.nginx_binary() is None:
        skip_or_fail(f"nginx is not installed (Debian package: {nginx.PACKAGE})")
    folder = tmp_path / "nginx"
    folder.mkdir()
    port = free_port()
    app_config = ohif.write_app_config(folder / "app-config.js")
    config = viewer_config(folder, port, ohif_dist, app_config, orthanc.base,
                           ORTHANC_USER, ORTHANC_PASSWORD)
    server = Nginx(folder, port, config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chromium]:
    """A headless Chromium with one blank page, its profile in ``tmp_path``."""
    if chromium.chromium_binary() is None:
        skip_or_fail(f"Chromium is not installed (Debian package: {chromium.PACKAGE})")
    driver = Chromium(tmp_path / "chromium")
    try:
        driver.start()
        yield driver
    finally:
        driver.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where a test saves its screenshots (in its own output folder)."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder


def save_screenshot(browser: Chromium, path: Path, copy_to: Path | None = None) -> Path | None:
    """Save what the browser shows to ``path`` (and a copy to ``copy_to``, for people to
    look at); None if the browser could not give one (so a test's own failure is kept)."""
    try:
        browser.screenshot(path)
    except (BrowserError, OSError):
        return None
    if copy_to is not None:
        with contextlib.suppress(OSError):
            shutil.copyfile(path, copy_to)
    return path
