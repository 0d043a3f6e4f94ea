"""The .deb and .tar.gz that `make package` writes, built by the same script from a stand-in
bundle (a shell script in place of the frozen executable): lintian finds no error, and the
extracted package runs ``/usr/bin/lightbox --version``."""

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.conftest import REPO, tool
from tests.packaging.helpers import APP_ID, RESOURCES, build_deb, stand_in_bundle

pytestmark = pytest.mark.slow

SCRIPT = REPO / "installers" / "linux" / "build_deb.py"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(.deb, .tar.gz, upstream version) from a stand-in bundle, checked by lintian."""
    tool("dpkg-deb", "dpkg")
    tool("lintian", "lintian")
    work = tmp_path_factory.mktemp("deb")
    version = build_deb().project_version()
    bundle = stand_in_bundle(work, version)
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--bundle", str(bundle), "--out", str(work / "out"),
         "--lintian"],
        capture_output=True, text=True, env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"},
    )
    assert result.returncode == 0, f"build or lintian failed:\n{result.stdout}{result.stderr}"
    assert "lintian: 0 errors" in result.stdout
    deb, tarball = (Path(line) for line in result.stdout.splitlines()[:2])
    return deb, tarball, version


def _extract(deb: Path, into: Path) -> Path:
    subprocess.run([tool("dpkg-deb", "dpkg"), "-x", str(deb), str(into)], check=True)
    return into


def _inside(root: Path, link: Path) -> Path:
    """Where an absolute symlink in an extracted package points, inside the extracted tree."""
    target = Path(os.readlink(link))
    return root / target.relative_to("/") if target.is_absolute() else link.parent / target


def test_extracted_usr_bin_lightbox_prints_the_version(built: tuple[Path, Path, str],
                                                       tmp_path: Path) -> None:
    deb, _, version = built
    root = _extract(deb, tmp_path / "root")
    link = root / "usr/bin/lightbox"
    assert link.is_symlink()
    assert os.readlink(link) == "/opt/lightbox/lightbox"
    result = subprocess.run([str(_inside(root, link)), "--version"], capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == f"lightbox {version}"


def test_package_holds_the_desktop_files_and_the_documents(built: tuple[Path, Path, str],
                                                           tmp_path: Path) -> None:
    deb, _, _ = built
    root = _extract(deb, tmp_path / "root")
    for path in (f"usr/share/applications/{APP_ID}.desktop",
                 f"usr/share/metainfo/{APP_ID}.metainfo.xml",
                 "usr/share/doc/lightbox/copyright",
                 "usr/share/doc/lightbox/changelog.Debian.gz",
                 "usr/share/man/man1/lightbox.1.gz",
                 "usr/share/lintian/overrides/lightbox"):
        assert (root / path).is_file(), path
    launcher = root / "usr/libexec/lightbox/lightbox-open"
    assert launcher.stat().st_mode & 0o777 == 0o755
    assert (root / "opt/lightbox/lightbox").stat().st_mode & 0o777 == 0o755
    assert (root / "opt/lightbox/_internal/base_library.zip").stat().st_mode & 0o777 == 0o644
    copyright_text = (root / "usr/share/doc/lightbox/copyright").read_text()
    assert copyright_text.startswith(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/")
    assert "License: GPL-3+" in copyright_text


def test_icons_go_to_hicolor_under_the_app_id(built: tuple[Path, Path, str],
                                              tmp_path: Path) -> None:
    pngs, svg = build_deb().find_icons(RESOURCES / "icons")
    if not pngs and svg is None:
        pytest.skip("resources/icons/ has no icon yet (it comes with the bundle recipe)")
    root = _extract(built[0], tmp_path / "root")
    for size in pngs:
        assert (root / f"usr/share/icons/hicolor/{size}x{size}/apps/{APP_ID}.png").is_file()
    if svg is not None:
        assert (root / f"usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg").is_file()


def test_control_names_version_and_the_system_libraries(built: tuple[Path, Path, str]) -> None:
    deb, _, version = built
    fields = subprocess.run([tool("dpkg-deb", "dpkg"), "-f", str(deb)], capture_output=True,
                            text=True, check=True).stdout
    assert "Package: lightbox\n" in fields
    assert f"Version: {build_deb().debian_version(version)}\n" in fields
    for library in ("libxcb-cursor0", "libxkbcommon-x11-0", "libegl1", "libgl1",
                    "libfontconfig1", "libdbus-1-3", "libxcb-icccm4", "libxcb-keysyms1"):
        assert library in fields


def test_tarball_holds_the_bundle_as_lightbox_folder(built: tuple[Path, Path, str]) -> None:
    _, tarball, _ = built
    with tarfile.open(tarball) as tar:
        cli = tar.getmember("Lightbox/lightbox")
        assert cli.mode & 0o100
        assert {member.uid for member in tar.getmembers()} == {0}
