"""Fuzz the public readers with mutated media: only Lightbox's own errors may come out.

Seeds are a small valid disc written here: its DICOMDIR, one image file, the disc as a
ZIP and as an ISO image, a USB stick holding that ISO image (looked into in place), and a
presentation state (GSPS) with graphics, text, a window and a displayed area, read as the
viewer reads one found on a disc.
Hypothesis overwrites, inserts and cuts bytes of one seed, and the reader a user's command
would use reads the result: ``scan`` of the medium, then the first frame of every image it
found, decoded and rendered. Any exception that is not a
LightboxError is a bug (a reader boundary that lets its library's error through), and so
is an example that takes too long.

Run as a program (``python -m tests.fuzz.readers --examples N``), it runs under an address
space limit, so a reader that allocates without bound fails the run instead of the
machine; ``make test`` runs a short budget, ``make fuzz`` a long one.
"""

import argparse
import contextlib
import io
import resource
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

import pycdlib
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from pydicom import dcmread
from pydicom.uid import generate_uid

from app.core.errors import LightboxError
from app.imaging.decode import open_image
from app.imaging.gsps_writer import write_gsps
from app.imaging.luts import Window
from app.imaging.presentation_state import Graphic, ImageAnnotations, ImageRef, TextNote
from app.imaging.render import prepare_frame, render
from app.samples.disc_writer import write_sample_disc
from app.services.gsps_view import outline
from app.services.scan import scan_report
from app.services.setup import configure_dicom_reading
from app.services.viewing import MediumReader

# One example may take this long on a slow shared machine; a hang takes far longer.
SLOW_EXAMPLE_S = 20.0
MEMORY_LIMIT_BYTES = 2 * 1024**3


def write_seeds(folder: Path) -> dict[str, Path]:
    """The seed media: a disc folder, that disc as ZIP and ISO files, and a folder (a USB
    stick) holding a copy of the ISO image (``nested``: the image is mutated, the folder
    is read). A ZIP holding the image would mostly fuzz zipfile's CRC check."""
    disc = folder / "disc"
    write_sample_disc(disc, slices=2, rows=16, columns=16, seed=3)
    files = sorted(p for p in disc.rglob("*") if p.is_file())
    archive = folder / "disc.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in files:
            out.write(path, path.relative_to(disc).as_posix())
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3)
    made: set[str] = set()
    for path in files:
        parts = path.relative_to(disc).parts
        for depth in range(1, len(parts)):
            name = "/" + "/".join(parts[:depth])
            if name not in made:
                made.add(name)
                iso.add_directory(name, joliet_path=name)
        data = path.read_bytes()
        iso.add_fp(io.BytesIO(data), len(data), "/" + "/".join(parts) + ";1",
                   joliet_path="/" + "/".join(parts))
    image = folder / "disc.iso"
    iso.write(str(image))
    iso.close()
    stick = folder / "stick"
    stick.mkdir()
    nested = stick / "Study download.iso"
    nested.write_bytes(image.read_bytes())
    first_image = next(p for p in files if p.name != "DICOMDIR")
    states = folder / "states"
    states.mkdir()
    header = dcmread(first_image, stop_before_pixels=True)
    drawn = ImageAnnotations(
        ImageRef(header.SOPClassUID, header.SOPInstanceUID, 0),
        (Graphic("polyline", ((1.0, 2.0), (9.0, 12.0)), label="12.5 mm"),
         Graphic("ellipse", ((2.0, 8.0), (14.0, 8.0), (8.0, 5.0), (8.0, 11.0)), filled=True),
         Graphic("polyline", ((1.0, 1.0), (5.0, 9.0), (12.0, 3.0)), smooth=True)),
        (TextNote("cyst", (4.0, 4.0)),),
        window=Window(40, 400),
    )
    write_gsps([header], [drawn], states / "PS000001", series_instance_uid=generate_uid(),
               sop_instance_uid=generate_uid())
    return {"dicomdir": disc / "DICOMDIR", "image": first_image, "zip": archive,
            "iso": image, "nested": nested, "gsps": states / "PS000001"}


def _mutate(data: bytes, edits: list[tuple[int, bytes]], cut: int | None) -> bytes:
    out = bytearray(data)
    for position, new in edits:
        at = position % (len(out) + 1)
        out[at : at + len(new)] = new
    if cut is not None:
        del out[cut % (len(out) + 1):]
    return bytes(out)


def read_like_a_user(path: Path) -> None:
    """What `lightbox scan` and the viewer do with a medium: scan it, then decode and
    render the first frame of each image found (at most a few)."""
    if path.name.startswith("PS"):  # a presentation state, as View > Annotations reads one
        reader = MediumReader(path.parent)
        try:
            reader.open()
            state = reader.presentation_state(path.name)
            for drawn in state.images:  # the points the viewer would draw
                for graphic in drawn.graphics:
                    outline(graphic)
        finally:
            reader.close()
        return
    report = scan_report(path)
    if path.is_dir() or path.suffix in (".zip", ".iso"):
        return  # The images inside were judged by scan; decoding is checked on files.
    for _patient in report.patients[:1]:
        with open_image(path) as image:
            render(prepare_frame(image, 0))


edits_strategy = st.lists(st.tuples(st.integers(0, 1 << 20), st.binary(min_size=1,
                                                                        max_size=16)),
                          min_size=1, max_size=8)


def fuzz(seeds: dict[str, Path], kind: str, examples: int, seed: int) -> None:
    """Mutate seed ``kind`` ``examples`` times; raise AssertionError on a bug."""
    original = seeds[kind].read_bytes()
    target = seeds[kind]

    @hypothesis_seed(seed)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(edits=edits_strategy, cut=st.none() | st.integers(0, 1 << 20))
    def one(edits: list[tuple[int, bytes]], cut: int | None) -> None:
        target.write_bytes(_mutate(original, edits, cut))
        medium = target.parent if kind in ("dicomdir", "nested") else target
        started = time.monotonic()
        with contextlib.suppress(LightboxError):  # Our errors are the right answer.
            read_like_a_user(medium)
        elapsed = time.monotonic() - started
        assert elapsed < SLOW_EXAMPLE_S, f"{kind}: one example took {elapsed:.1f} s"

    try:
        one()
    finally:
        target.write_bytes(original)


def main(argv: list[str] | None = None) -> int:
    """Fuzz every seed kind under a memory limit; exit 1 with the failing example."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50, help="examples per seed kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", default="dicomdir,image,zip,iso,nested,gsps")
    args = parser.parse_args(argv)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    configure_dicom_reading()
    with tempfile.TemporaryDirectory(prefix="lightbox-fuzz-") as folder:
        seeds = write_seeds(Path(folder))
        for kind in args.kinds.split(","):
            try:
                fuzz(seeds, kind, args.examples, args.seed)
            except BaseException:  # The run reports every kind of failure, then stops.
                traceback.print_exc()
                print(f"fuzz: {kind} failed (see the falsifying example above)",
                      file=sys.stderr)
                return 1
            print(f"fuzz: {kind}: {args.examples} examples, only Lightbox errors", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
