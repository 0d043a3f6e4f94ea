"""Package a PyInstaller one-folder bundle as a Debian package and a .tar.gz.

    python installers/linux/build_deb.py --bundle dist/Lightbox --out dist [--lintian]

The .deb installs the bundle to /opt/lightbox, links /usr/bin/lightbox to its command-line
executable, and adds the desktop entry, the icons, the AppStream metainfo, a manual page, the
copyright file and the changelog. It is built with `dpkg-deb --build --root-owner-group`, so no
root and no fakeroot are needed. Standard library only: it runs with any Python 3.11.

The tests (tests/packaging/) run this same script on a stand-in bundle; `make package` runs it
on the real one.
"""

import argparse
import email.utils
import gzip
import hashlib
import os
import shutil
import stat
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APP_ID = "org.lightbox.Lightbox"
PACKAGE = "lightbox"
INSTALL_DIR = "opt/lightbox"
HERE = Path(__file__).resolve().parent

# What the bundle needs from the system and does not carry: Qt's xcb platform plugin and its
# OpenGL, font and D-Bus libraries (PyInstaller bundles libpython, Qt and the decoders).
# Alternatives name the 64-bit time_t renames of Debian 13 / Ubuntu 24.04.
DEPENDS = [
    "libc6 (>= 2.31)",
    "libegl1",
    "libgl1",
    "libfontconfig1",
    "libfreetype6",
    "libdbus-1-3",
    "libglib2.0-0t64 | libglib2.0-0",
    "libx11-6",
    "libx11-xcb1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libxcb1",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xfixes0",
    "libxcb-xkb1",
    "zlib1g",
]
# Icon sizes the hicolor theme has folders for.
HICOLOR_SIZES = {16, 22, 24, 32, 48, 64, 96, 128, 192, 256, 512}

DESCRIPTION = """\
View, keep and send the discs radiology clinics hand out
 Lightbox reads the CDs, DVDs and USB sticks that radiology clinics give to
 patients (DICOMDIR media, and the many discs that break the standard), shows
 the images with window/level, zoom and rotation, keeps them in a local
 library, and uploads selected studies to a cloud account (DICOMweb) or sends
 them to a hospital PACS (DICOM C-STORE).
 .
 This package holds a self-contained build (Python, Qt and the image decoders)
 in /opt/lightbox."""


def project_version() -> str:
    """``app.__version__`` when the package has it, else the version in pyproject.toml."""
    sys.path.insert(0, str(REPO))
    try:
        import app

        version = getattr(app, "__version__", None)
    finally:
        sys.path.remove(str(REPO))
    if isinstance(version, str) and version and version != "unknown":
        return version
    with (REPO / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def debian_version(version: str, revision: str = "1") -> str:
    """The Debian version of a Python one: pre-releases sort before the release
    (1.0rc1 -> 1.0~rc1-1); the revision counts packagings of one upstream version."""
    for marker in ("rc", "b", "a", ".dev"):
        head, found, tail = version.partition(marker)
        if found and head and head[-1].isdigit():
            version = f"{head}~{marker.lstrip('.')}{tail}"
            break
    return f"{version}-{revision}"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (the layout of the icon folders may vary)."""
    header = path.read_bytes()[:24]
    if header[:8] != b"\x89PNG\r\n\x1a\n" or header[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG file")
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def find_icons(icons: Path) -> tuple[dict[int, Path], Path | None]:
    """The app icon's PNGs by size, and its SVG, from resources/icons (any folder layout)."""
    pngs: dict[int, Path] = {}
    for path in sorted(icons.rglob("*.png")):
        width, height = png_size(path)
        if width == height and width in HICOLOR_SIZES:
            pngs.setdefault(width, path)
    svgs = sorted(icons.rglob("*.svg"), key=lambda p: (p.stem != "lightbox", len(p.parts)))
    return pngs, (svgs[0] if svgs else None)


def cli_executable(bundle: Path) -> str:
    """The bundle's command-line executable: ``lightbox``, else the GUI one, ``Lightbox``."""
    for name in ("lightbox", "Lightbox"):
        candidate = bundle / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return name
    raise SystemExit(f"{bundle} has no executable named lightbox or Lightbox: is it a bundle?")


def _is_shared_object(path: Path) -> bool:
    return ".so" in path.suffixes or path.suffix == ".so"


def normalize_modes(root: Path) -> None:
    """Directories 0755; executables 0755; everything else, shared objects included, 0644.

    Modes come from wheels and the build machine's umask; the package must not depend on
    them (lintian: shared-library-is-executable, non-standard-file-perm).
    """
    for dirpath, _dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            path = Path(dirpath, name)
            if path.is_symlink():
                continue
            executable = bool(path.stat().st_mode & stat.S_IXUSR) and not _is_shared_object(path)
            os.chmod(path, 0o755 if executable else 0o644)


def write_gzip(data: bytes, target: Path) -> None:
    """gzip -9n: no name and no time stamp, so the package is reproducible."""
    with target.open("wb") as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0
    ) as out:
        out.write(data)


def changelog(version: str, maintainer: str, when: float) -> str:
    """A one-entry changelog.Debian for this binary package."""
    return (
        f"{PACKAGE} ({version}) unstable; urgency=medium\n\n"
        f"  * Lightbox {version}, built from its PyInstaller bundle.\n\n"
        f" -- {maintainer}  {email.utils.formatdate(when)}\n"
    )


def stage(bundle: Path, root: Path, version: str, arch: str, maintainer: str) -> None:
    """Lay out the package's files under ``root`` (the future /), with DEBIAN/ control files."""
    resources = REPO / "resources"
    shutil.copytree(bundle, root / INSTALL_DIR, symlinks=True)
    cli = cli_executable(root / INSTALL_DIR)

    def put(source: Path, target: str, mode: int = 0o644) -> Path:
        path = root / target
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
        os.chmod(path, mode)
        return path

    (root / "usr/bin").mkdir(parents=True)
    # Absolute: it crosses top-level folders (Debian policy 10.5).
    (root / "usr/bin" / PACKAGE).symlink_to(f"/{INSTALL_DIR}/{cli}")
    put(resources / "linux/lightbox-open", "usr/libexec/lightbox/lightbox-open", 0o755)
    put(resources / f"linux/{APP_ID}.desktop", f"usr/share/applications/{APP_ID}.desktop")
    put(resources / f"linux/{APP_ID}.metainfo.xml", f"usr/share/metainfo/{APP_ID}.metainfo.xml")
    pngs, svg = find_icons(resources / "icons")
    for size, png in pngs.items():
        put(png, f"usr/share/icons/hicolor/{size}x{size}/apps/{APP_ID}.png")
    if svg is not None:
        put(svg, f"usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg")
    if not pngs and svg is None:
        print(f"warning: no icon found under {resources / 'icons'}", file=sys.stderr)

    doc = root / "usr/share/doc" / PACKAGE
    put(HERE / "copyright", f"usr/share/doc/{PACKAGE}/copyright")
    when = float(os.environ.get("SOURCE_DATE_EPOCH", time.time()))
    write_gzip(changelog(version, maintainer, when).encode(), doc / "changelog.Debian.gz")
    man = root / "usr/share/man/man1"
    man.mkdir(parents=True)
    write_gzip((HERE / "lightbox.1").read_bytes(), man / "lightbox.1.gz")
    put(HERE / "lintian-overrides", f"usr/share/lintian/overrides/{PACKAGE}")
    normalize_modes(root)

    control = root / "DEBIAN"
    control.mkdir(mode=0o755)
    sums = []
    size = 0  # KiB, as dpkg-gencontrol counts: each file rounded up, one per link or folder.
    for path in sorted(p for p in root.rglob("*") if "DEBIAN" not in p.relative_to(root).parts):
        if path.is_symlink() or not path.is_file():
            size += 1
            continue
        size += (path.stat().st_size + 1023) // 1024
        digest = hashlib.md5(path.read_bytes()).hexdigest()  # dpkg's format: MD5.
        sums.append(f"{digest}  {path.relative_to(root)}\n")
    (control / "md5sums").write_text("".join(sums))
    (control / "control").write_text(
        f"Package: {PACKAGE}\n"
        f"Version: {version}\n"
        f"Architecture: {arch}\n"
        f"Maintainer: {maintainer}\n"
        f"Installed-Size: {size}\n"
        f"Depends: {', '.join(DEPENDS)}\n"
        "Section: graphics\n"
        "Priority: optional\n"
        f"Description: {DESCRIPTION}\n"
    )
    for name in ("md5sums", "control"):
        os.chmod(control / name, 0o644)


def build_tarball(bundle: Path, target: Path, level: int = 6) -> None:
    """The bundle as ``Lightbox/`` in a .tar.gz, owned by root, for any Linux."""

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(target, "w:gz", compresslevel=level) as tar:
        tar.add(bundle, arcname="Lightbox", filter=clean)


def run_lintian(deb: Path) -> int:
    """lintian's report on the .deb; non-zero when it reports an error."""
    lintian = shutil.which("lintian")
    if lintian is None:
        print("lintian is not installed (Debian package: lintian)", file=sys.stderr)
        return 1
    # Overridden tags (lintian-overrides, each with its reason) are counted, not shown:
    # lintian --show-overrides lists them.
    result = subprocess.run(
        [lintian, "--fail-on", "error", "--display-level", ">=warning", str(deb)],
        capture_output=True, text=True, check=False,
    )
    print(result.stdout, end="")
    errors = [line for line in result.stdout.splitlines() if line.startswith("E:")]
    if result.returncode not in (0, 1):
        print(result.stderr, end="", file=sys.stderr)
    print(f"lintian: {len(errors)} errors (exit status {result.returncode})")
    return 0 if result.returncode == 0 and not errors else 1


def main(argv: list[str] | None = None) -> int:
    """Build the .deb and the .tar.gz; print their paths."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=REPO / "dist/Lightbox",
                        help="the one-folder bundle (default: dist/Lightbox)")
    parser.add_argument("--out", type=Path, default=REPO / "dist", help="where to write")
    parser.add_argument("--version", help="default: app.__version__, else pyproject.toml's")
    parser.add_argument("--maintainer", default=os.environ.get(
        "DEB_MAINTAINER", "The Lightbox developers <lightbox@lightbox-dicom.org>"))
    parser.add_argument("--lintian", action="store_true", help="check the .deb with lintian")
    parser.add_argument("--quick", action="store_true",
                        help="light compression (the same contents, a larger file): for tests")
    args = parser.parse_args(argv)

    bundle = args.bundle.resolve()
    if not bundle.is_dir():
        parser.error(f"{bundle} is not a folder: build the bundle first (make package)")
    version = debian_version(args.version or project_version())
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()
    args.out.mkdir(parents=True, exist_ok=True)
    deb = args.out / f"{PACKAGE}_{version}_{arch}.deb"
    tarball = args.out / f"{PACKAGE}-{version.rsplit('-', 1)[0]}-linux-{arch}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="lightbox-deb-") as work:
        root = Path(work, "root")
        root.mkdir(mode=0o755)
        stage(bundle, root, version, arch, args.maintainer)
        # xz packs a 230 MB bundle in about a minute here; tests only need the same contents.
        compression = ["-Zgzip", "-z1"] if args.quick else ["-Zxz"]
        subprocess.run(["dpkg-deb", "--build", "--root-owner-group", *compression, str(root),
                        str(deb)], check=True, stdout=subprocess.DEVNULL)
    build_tarball(bundle, tarball, level=1 if args.quick else 6)
    print(deb)
    print(tarball)
    if args.lintian:
        return run_lintian(deb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
