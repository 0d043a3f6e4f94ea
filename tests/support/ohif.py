"""The OHIF web viewer's built files, for the test that opens a viewer link in a browser.

The viewer ships, built, in the npm package ``@ohif/app`` (its ``dist/``). ``make test``
runs ``python -m tests.support.ohif`` before the tests (outside the loopback-only network
namespace, where the registry cannot be reached): it fetches the tarball once with ``npm
pack``, checks it against the pinned SHA-512, and unpacks ``dist/`` into
``.cache/ohif-VERSION/`` in the checkout (ignored by git). Running it again does nothing
when that folder is complete. The tests only look for the folder (``ohif_dist``).

Standard library only: this runs before pytest, with the project's interpreter.
"""

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@ohif/app"
VERSION = "3.13.2"
# `npm view @ohif/app@3.13.2 dist.integrity`; npm pack checks it too, this pins it here.
INTEGRITY = ("sha512-WZdxmpmG7rqFgW9ZJLcbgr3XCtLi1KDNPoMaeY5PPe6j4G4fjEjjkycZM6C6Zk2F87BKxF"
             "fpq+jd5xXZB9E8EA==")
REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / f"ohif-{VERSION}"
STAMP = "VERIFIED"  # written last: its presence means dist/ is complete
NPM_TIMEOUT_S = 600


class FetchError(Exception):
    """The package could not be fetched, verified or unpacked (the sentence says why)."""


def ohif_dist(cache: Path = CACHE) -> Path | None:
    """The unpacked, verified ``dist/`` folder, or None when it has not been fetched."""
    dist = cache / "dist"
    stamp = cache / STAMP
    if stamp.is_file() and stamp.read_text().strip() == INTEGRITY \
            and (dist / "index.html").is_file():
        return dist
    return None


def missing_reason() -> str:
    """What to do when ``ohif_dist()`` is None, in one sentence."""
    return (f"the OHIF viewer ({PACKAGE}@{VERSION}) is not in {CACHE}: `make test` fetches it "
            f"with npm (or run `.venv/bin/python -m tests.support.ohif` with network access)")


# OHIF's configuration for the test site: one DICOMweb source on the page's own origin
# (nginx passes /dicom-web/ to Orthanc), the patient's name and ID shown in the header
# without a click, and nothing in front of the image (no tour, no investigational-use
# dialog, no cross-origin or CPU-rendering warnings).
APP_CONFIG = """/* Written by Lightbox's tests (tests/support/ohif.py). */
window.config = {
  name: 'lightbox-test',
  routerBasename: '/',
  extensions: [],
  modes: [],
  showStudyList: true,
  showPatientInfo: 'visibleReadOnly',
  investigationalUseDialog: { option: 'never' },
  customizationService: { 'ohif.tours': { $set: [] } },
  showWarningMessageForCrossOrigin: false,
  showCPUFallbackMessage: false,
  showLoadingIndicator: true,
  maxNumberOfWebWorkers: 2,
  defaultDataSourceName: 'lightbox',
  dataSources: [
    {
      namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
      sourceName: 'lightbox',
      configuration: {
        friendlyName: 'Lightbox test cloud (Orthanc)',
        name: 'orthanc',
        wadoUriRoot: window.location.origin + '/dicom-web',
        qidoRoot: window.location.origin + '/dicom-web',
        wadoRoot: window.location.origin + '/dicom-web',
        qidoSupportsIncludeField: false,
        imageRendering: 'wadors',
        thumbnailRendering: 'wadors',
        enableStudyLazyLoad: true,
        supportsFuzzyMatching: false,
        supportsWildcard: true,
        omitQuotationForMultipartRequest: true,
        bulkDataURI: { enabled: true },
      },
    },
  ],
};
"""


def write_app_config(path: Path) -> Path:
    """Write OHIF's ``app-config.js`` for the test site to ``path``; the path."""
    path.write_text(APP_CONFIG, encoding="utf-8")
    return path


def integrity_of(path: Path) -> str:
    """The npm/SRI integrity string of a file: ``sha512-`` + base64 of its SHA-512."""
    digest = hashlib.sha512()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return "sha512-" + base64.b64encode(digest.digest()).decode("ascii")


def npm_pack(destination: Path) -> Path:
    """Download the package tarball into ``destination`` with ``npm pack``; its path.

    ``--prefer-offline``: a tarball already in npm's cache is used without asking the
    registry (the hash is checked here anyway). Few, short retries: without a network the
    answer comes in seconds, not minutes."""
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError("npm is not installed (Debian package: npm)")
    try:
        done = subprocess.run(
            [npm, "pack", f"{PACKAGE}@{VERSION}", "--json", "--ignore-scripts",
             "--prefer-offline", "--fetch-retries=2", "--fetch-retry-mintimeout=2000",
             "--fetch-retry-maxtimeout=8000", "--pack-destination", str(destination)],
            cwd=destination, capture_output=True, text=True, timeout=NPM_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise FetchError(f"npm pack did not finish within {NPM_TIMEOUT_S} s") from error
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        answer = None
    if done.returncode != 0 or not isinstance(answer, list) or len(answer) != 1:
        summary = answer.get("error", {}).get("summary") if isinstance(answer, dict) else None
        raise FetchError(f"npm pack {PACKAGE}@{VERSION} failed: "
                         f"{summary or done.stderr.strip()[-300:] or 'no message'}")
    return destination / str(answer[0]["filename"])


def unpack_dist(tarball: Path, target: Path) -> None:
    """Unpack the package's ``dist/`` into ``target/dist``."""
    with tarfile.open(tarball, "r:gz") as archive:
        members = [m for m in archive.getmembers() if m.name.startswith("package/dist/")]
        if not members:
            raise FetchError(f"{tarball.name} holds no package/dist/ folder")
        # The tarball is pinned by its hash; the "data" filter refuses odd members anyway.
        archive.extractall(target, members=members, filter="data")
    (target / "package" / "dist").rename(target / "dist")
    (target / "package").rmdir()


def fetch(cache: Path = CACHE) -> Path:
    """Fetch, verify and unpack the viewer into ``cache`` unless it is already there;
    the ``dist/`` folder. Safe to run again, and after an interrupted run."""
    found = ohif_dist(cache)
    if found is not None:
        return found
    cache.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=cache.name + ".partial-", dir=cache.parent) as work:
        download = Path(work) / "download"
        download.mkdir()
        tarball = npm_pack(download)
        actual = integrity_of(tarball)
        if actual != INTEGRITY:
            raise FetchError(f"{tarball.name} does not match the pinned hash "
                             f"(got {actual}, expected {INTEGRITY})")
        staged = Path(work) / "staged"
        unpack_dist(tarball, staged)
        (staged / STAMP).write_text(INTEGRITY + "\n")
        if cache.exists():  # an incomplete folder from an older layout or a crash
            shutil.rmtree(cache)
        staged.rename(cache)
    dist = ohif_dist(cache)
    assert dist is not None
    return dist


def main() -> int:
    """``python -m tests.support.ohif``: fetch the viewer; exit 1 with a sentence if not."""
    if ohif_dist() is not None:
        return 0
    print(f"Fetching the OHIF viewer ({PACKAGE}@{VERSION}) for the web viewer test...",
          file=sys.stderr)
    try:
        dist = fetch()
    except (FetchError, OSError, tarfile.TarError, ValueError) as error:
        print(f"Could not fetch the OHIF viewer: {error}. The web viewer test will skip "
              f"(and fail under CI=true).", file=sys.stderr)
        return 1
    print(f"OHIF viewer ready in {dist}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
