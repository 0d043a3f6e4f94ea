"""The Linux desktop files as they are in the repository: valid, and consistent."""

import configparser
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import tool
from tests.packaging.helpers import APP_ID, RESOURCES, build_deb

DESKTOP = RESOURCES / "linux" / f"{APP_ID}.desktop"
METAINFO = RESOURCES / "linux" / f"{APP_ID}.metainfo.xml"
LAUNCHER = RESOURCES / "linux" / "lightbox-open"


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_file_validates() -> None:
    validate = tool("desktop-file-validate", "desktop-file-utils")
    result = subprocess.run([validate, str(DESKTOP)], capture_output=True, text=True)
    # Hints (two main categories, on purpose) are allowed; errors and warnings are not.
    problems = [line for line in result.stdout.splitlines()
                if ": error:" in line or ": warning:" in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr


def test_desktop_entry_opens_dicom_and_folders_through_the_launcher() -> None:
    entry = _desktop_entry()
    assert entry["MimeType"] == "application/dicom;inode/directory;"
    assert entry["Icon"] == APP_ID
    assert entry["Exec"] == "/usr/libexec/lightbox/lightbox-open %f"
    assert {"Graphics", "MedicalSoftware", "Science"} <= set(entry["Categories"].split(";"))


def test_metainfo_validates() -> None:
    appstreamcli = tool("appstreamcli", "appstream")
    result = subprocess.run([appstreamcli, "validate", "--no-net", "--explain", str(METAINFO)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_metainfo_names_the_desktop_entry_and_the_current_version() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("project_license") == "GPL-3.0-or-later"
    newest = root.find("releases/release")
    assert newest is not None
    assert newest.get("version") == build_deb().project_version(), (
        "add a <release> for the new version to the metainfo"
    )


@pytest.mark.parametrize(("args", "expected"), [
    ([], ""),
    (["/media/cdrom"], "view /media/cdrom"),
    (["/home/a b/scan.dcm"], "view /home/a b/scan.dcm"),
])
def test_launcher_opens_the_library_or_the_path(tmp_path: Path, args: list[str],
                                                expected: str) -> None:
    fake = tmp_path / "lightbox"
    fake.write_text('#!/bin/sh\necho "$*"\n')
    fake.chmod(0o755)
    result = subprocess.run([str(LAUNCHER), *args], capture_output=True, text=True,
                            env={"PATH": f"{tmp_path}:/usr/bin:/bin"}, check=True)
    assert result.stdout == expected + "\n"


@pytest.mark.parametrize(("python", "debian"), [
    ("0.1.0", "0.1.0-1"), ("1.2rc1", "1.2~rc1-1"), ("2.0.dev3", "2.0~dev3-1"),
    ("1.0b2", "1.0~b2-1"),
])
def test_debian_version(python: str, debian: str) -> None:
    assert build_deb().debian_version(python) == debian
