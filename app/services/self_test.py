"""``lightbox --self-test``: the installer's and the support desk's proof that this copy works.

Headless and quick: it reads the tiny self-test disc (the copy the bundle carries in
``resources/``, else one written to a temporary folder), decodes its one image per
compressed transfer syntax and compares the pixels with the pattern they hold, then imports
the disc into a library in a temporary folder, lists and verifies it, and closes it. Each
check is yielded as it finishes, so the caller prints one line per check.
"""

import platform
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.paths import resources_dir

SELF_TEST_DISC = "self-test-disc"


@dataclass(frozen=True)
class Check:
    """One check: what was checked, whether it passed, and the detail or the reason."""

    name: str
    ok: bool
    detail: str


def self_test_disc() -> Path | None:
    """The bundled self-test disc, or None when this copy carries none (a wheel install)."""
    disc = resources_dir() / SELF_TEST_DISC
    return disc if (disc / "DICOMDIR").is_file() else None


def run_self_test(disc: Path | None = None) -> Iterator[Check]:
    """Run every check in turn (see the module docstring); ``disc`` overrides the bundled
    disc (tests). Stops after the first check that makes the others meaningless."""
    from app import __version__
    from app.services.setup import configure_dicom_reading

    yield Check("version", True, f"Lightbox {__version__}, Python {platform.python_version()}"
                f" on {sys.platform}" + (" (frozen)" if getattr(sys, "frozen", False) else ""))
    configure_dicom_reading()
    with tempfile.TemporaryDirectory(prefix="lightbox-self-test-") as scratch:
        root = Path(scratch)
        medium = disc if disc is not None else self_test_disc()
        if medium is None:
            from app.samples.self_test_disc import write_self_test_disc

            medium = write_self_test_disc(root / "disc")
        disc_check, instances = _read_disc(medium)
        yield disc_check
        if not disc_check.ok:
            return
        yield from _decode_all(medium, instances)
        yield _library(medium, root / "home", len(instances))


def _read_disc(medium: Path) -> tuple[Check, list[tuple[str, str, str]]]:
    """Scan the disc as ``lightbox scan`` does; (check, [(path, syntax, description)])."""
    from app.samples.self_test_disc import SELF_TEST_SYNTAXES
    from app.services.scan import scan_report

    try:
        report = scan_report(medium)
    except Exception as exc:
        return Check("disc", False, f"the self-test disc at {medium} cannot be read "
                     f"({type(exc).__name__}: {exc})"), []
    instances = sorted(
        ((i.path, i.transfer_syntax_uid, i.series_description, i.series_number or 0)
         for p in report.patients for st in p.studies for se in st.series
         for i in se.instances),
        key=lambda item: item[3],
    )
    expected = len(SELF_TEST_SYNTAXES)
    if report.problems or len(instances) != expected:
        found = "; ".join(f"{p.path}: {p.problem}" for p in report.problems[:3])
        return Check("disc", False, f"the self-test disc at {medium} shows {len(instances)} of "
                     f"{expected} images" + (f" ({found})" if found else "")), []
    return (Check("disc", True, f"{report.kind} with {len(instances)} images read"),
            [(path, syntax, name) for path, syntax, name, _ in instances])


def _decode_all(medium: Path, instances: list[tuple[str, str, str]]) -> Iterator[Check]:
    from app.imaging.decode import open_image
    from app.samples.self_test_disc import LOSSY_TOLERANCE, SELF_TEST_SYNTAXES, expected_pixels

    by_syntax = {image.uid: image for image in SELF_TEST_SYNTAXES}
    for path, syntax, name in instances:
        label = f"{name} ({syntax})"
        image = by_syntax.get(syntax)
        if image is None:
            yield Check(label, False, "this image is not one the self-test knows")
            continue
        try:
            with open_image(medium / path) as opened:
                pixels = opened.decode_frame(0).pixels
        except Exception as exc:
            yield Check(label, False, f"cannot be decoded ({type(exc).__name__}: {exc})")
            continue
        want = expected_pixels(image.bits)
        if pixels.shape != want.shape:
            yield Check(label, False, f"decoded to {pixels.shape}, not {want.shape}")
            continue
        error = np.abs(pixels.astype(np.int64) - want.astype(np.int64))
        if image.lossless:
            ok, detail = not error.any(), "decoded, every pixel exact"
            if not ok:
                detail = f"decoded with {np.count_nonzero(error)} pixels wrong"
        else:
            mean = float(error.mean()) / ((1 << image.bits) - 1)
            ok = mean <= LOSSY_TOLERANCE
            detail = f"decoded, mean error {mean:.2%} of the range"
        yield Check(label, ok, detail)


def _library(medium: Path, home: Path, images: int) -> Check:
    from app.services.importing import ImportReport
    from app.services.jobs import run_to_report
    from app.services.library_service import LibraryService
    from app.services.verification import VerifyReport

    try:
        service = LibraryService(home)
        report = run_to_report(service.import_media(medium), ImportReport, _ignore)
        studies = service.studies()
        verified = run_to_report(service.verify(), VerifyReport, _ignore)
    except Exception as exc:
        return Check("library", False, f"a library in a temporary folder cannot be used "
                     f"({type(exc).__name__}: {exc})")
    if report.imported != images or len(studies) != 1 or verified.problems:
        return Check("library", False, f"importing the disc into a temporary library stored "
                     f"{report.imported} of {images} images, {len(studies)} studies listed, "
                     f"{len(verified.problems)} problems on verification")
    return Check("library", True, f"imported {report.imported} images into a temporary "
                 "library, listed, verified and closed it")


def _ignore(_progress: object) -> None:
    """Progress of the library checks: they take a fraction of a second."""
