"""Media reading: the disc health scan, and the quick open from a large DICOMDIR.

1. ``scan`` of a 600-instance sample disc against a bare pydicom loop that reads the same
   headers (``dcmread(stop_before_pixels=True)``): target at most 1.2x.
2. Building the study tree from a 10,000-record (and a 200,000-record) DICOMDIR alone
   (what the viewer shows before any image file is read) against ``dcmdump`` of the same
   DICOMDIR: target at most 3x. Our side runs in the already started application (the
   viewer is open when a disc is inserted), ``dcmdump`` as the process it is.
"""

import os
import shutil
import tempfile
from pathlib import Path

from pydicom import dcmread

from app.media.directories import quick_tree
from app.media.pydicom_setup import configure_pydicom
from app.media.sources import open_medium
from app.samples.disc_writer import write_sample_disc
from app.services.scan import scan_report
from bench.dicomdir_bytes import dicomdir_bytes, flat_images
from bench.harness import compare, run_process

CACHE = Path(tempfile.gettempdir()) / "lightbox-bench"


def _disc(name: str, **kwargs: int | str) -> Path:
    """A sample disc, written once and kept between runs of ``make bench``."""
    disc = CACHE / name
    if not (disc / "DICOMDIR").is_file():
        shutil.rmtree(disc, ignore_errors=True)
        print(f"  (writing {name} once: {kwargs})", flush=True)
        write_sample_disc(disc, **kwargs)  # type: ignore[arg-type]
    return disc


def _bare_header_loop(disc: Path) -> None:
    """The floor: find the files, read each header once, note its instance UID."""
    for folder, _, names in os.walk(disc):
        for name in names:
            if name != "DICOMDIR":
                dcmread(os.path.join(folder, name), stop_before_pixels=True).SOPInstanceUID  # noqa: B018


def run() -> None:
    """Run the media benchmarks and print one line each."""
    configure_pydicom()
    disc = _disc("scan-600", slices=479)  # 1 scout + 479 thin + 120 thick = 600
    files = sorted(p for p in disc.rglob("*") if p.is_file() and p.name != "DICOMDIR")
    report = scan_report(disc)
    assert report.instances == len(files), "the scan must see every image"
    compare(
        f"scan of a {len(files)}-instance sample disc",
        ("lightbox scan, in process", lambda: scan_report(disc)),
        ("os.walk + bare pydicom header loop", lambda: _bare_header_loop(disc)),
        target="<= 1.2x",
    )

    big = _disc("dicomdir-10k", slices=7999, rows=8, columns=8)  # 10,000 images
    dcmdump = shutil.which("dcmdump", path="/usr/bin:/usr/local/bin")
    if dcmdump is None:
        print("quick open: skipped, dcmdump is not installed (Debian package: dcmtk)")
        return

    def tree() -> None:
        medium = open_medium(big)
        try:
            patients, _ = quick_tree(medium)
            assert sum(s.instance_count for p in patients for s in p.studies) >= 10_000
        finally:
            medium.source.close()

    compare(
        "study tree from a 10,000-record DICOMDIR",
        ("quick open, in process", tree),
        ("dcmdump DICOMDIR, process", run_process([dcmdump, str(big / "DICOMDIR")])),
        target="<= 3x",
    )

    huge = _huge_dicomdir(200_000)

    def huge_tree() -> None:
        medium = open_medium(huge)
        try:
            patients, _ = quick_tree(medium)
            assert sum(s.instance_count for p in patients for s in p.studies) == 200_000
        finally:
            medium.source.close()

    compare(
        "study tree from a 200,000-record DICOMDIR",
        ("quick open, in process", huge_tree),
        ("dcmdump DICOMDIR, process", run_process([dcmdump, str(huge / "DICOMDIR")])),
        target="<= 3x",
        runs=3,
    )


def _huge_dicomdir(count: int) -> Path:
    """A disc of ``count`` tiny image files and their DICOMDIR, written directly (pydicom's
    FileSet would take hours); cached like the sample discs.

    The image files are empty: the quick open reads only the DICOMDIR, but it resolves
    each File ID against the disc listing, so every file must be there.
    """
    disc = CACHE / f"dicomdir-{count // 1000}k"
    if not (disc / "DICOMDIR").is_file():
        shutil.rmtree(disc, ignore_errors=True)
        print(f"  (writing a {count:,}-record DICOMDIR once)", flush=True)
        partial = disc.with_name(disc.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        for i in range(count):
            folder = partial / "IMG" / f"F{i // 1000:03d}"
            if i % 1000 == 0:
                folder.mkdir(parents=True)
            (folder / f"I{i % 1000:04d}").touch()
        (partial / "DICOMDIR").write_bytes(dicomdir_bytes(flat_images(count, "IMG")))
        partial.rename(disc)
    return disc
