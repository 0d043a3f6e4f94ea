"""A viewer link opened in a real web viewer, in a real browser (issue 10, "How it is checked").

The trip a patient makes: a disc is imported, uploaded to a cloud account whose viewer is
OHIF, and the link Lightbox prints is opened in the doctor's browser. Here the cloud is
Orthanc, its viewer is OHIF (the npm package's built files) served by nginx on the same
origin, and the browser is headless Chromium. Promises checked: the viewport shows the
study's image (many grey levels on its canvas) and the page shows the patient's name and
ID. The screenshot is saved in the test's output and copied to /tmp/ohif-shot.png.
"""

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.chromium import Chromium
from tests.support.cli import PLAINTEXT, cli_env, lightbox
from tests.support.cloud_fixtures import ORTHANC_PASSWORD, ORTHANC_USER
from tests.support.nginx import Nginx
from tests.support.orthanc import Orthanc
from tests.support.web_fixtures import save_screenshot

ACCOUNT = "clinic"
SLICES = 20
IMAGES = 1 + SLICES + SLICES // 4  # the sample disc: a scout, thin and thick axials
# A CT image drawn on a canvas of ~1000 pixels holds well over a hundred grey levels; an
# empty or loading viewport holds one or two.
MIN_GREY_LEVELS = 64
IMAGE_TIMEOUT_S = 150.0
STABLE_COPY = Path("/tmp/ohif-shot.png")


def _stdout(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_link_opens_the_study_in_ohif(
    orthanc: Orthanc, viewer_site: Nginx, browser: Chromium, shots: Path, tmp_path: Path,
) -> None:
    """Disc -> library -> Orthanc with `lightbox` (the account's viewer address: OHIF's
    template on nginx); the link `lightbox link` prints, opened in Chromium, shows the
    image and the patient's name and ID."""
    env = cli_env(tmp_path, PLAINTEXT)  # the keyring writes into tmp_path, on purpose
    disc = tmp_path / "disc"
    _stdout(lightbox(env, "sample-disc", str(disc), "--slices", str(SLICES)))
    imported = json.loads(_stdout(lightbox(env, "import", str(disc), "--json")))
    assert (imported["imported"], imported["failed"]) == (IMAGES, [])
    (study,) = json.loads(_stdout(lightbox(env, "library", "list", "--json")))["studies"]
    uid = study["study_instance_uid"]

    template = f"{viewer_site.origin}/viewer?StudyInstanceUIDs={{StudyInstanceUID}}"
    _stdout(lightbox(env, "account", "add", ACCOUNT, "--url", orthanc.dicomweb,
                     "--username", ORTHANC_USER, "--password-stdin", "--viewer-url", template,
                     stdin=ORTHANC_PASSWORD + "\n"))
    (uploaded,) = json.loads(_stdout(lightbox(env, "upload", uid, "--account", ACCOUNT,
                                              "--json")))["studies"]
    assert (uploaded["confirmed"], uploaded["failed"]) == (IMAGES, [])
    printed = json.loads(_stdout(lightbox(env, "link", uid, "--account", ACCOUNT, "--json")))
    link = printed["link"]
    assert link == uploaded["link"] == template.replace("{StudyInstanceUID}", uid)
    assert ORTHANC_PASSWORD not in link and ORTHANC_USER not in link

    browser.navigate(link)
    try:
        levels = browser.wait_for_image(MIN_GREY_LEVELS, IMAGE_TIMEOUT_S)
    finally:
        shot = save_screenshot(browser, shots / "ohif-link.png", STABLE_COPY)
    text = browser.text()
    print(f"\n{link}: {levels} grey levels in the viewport; screenshot {shot}")

    assert shot is not None and shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    family, _, given = study["patient_name"].partition("^")  # OHIF shows "FAMILY, GIVEN"
    assert re.search(rf"{re.escape(family)}\W+{re.escape(given)}", text, re.IGNORECASE), text
    assert study["patient_id"] in text, text
