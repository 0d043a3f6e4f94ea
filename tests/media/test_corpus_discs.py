"""Every disc of the shared corpus, scanned and checked against what the corpus says of it.

DISC_VERIFICATION.tsv gives, per directory file, how many records reference files and how
many of those are missing (also in nested DIRFILEs); MANIFEST.tsv lists the image files
actually on each disc. The scan must find every image on the disc, report exactly the
missing references, and nothing else.
"""

import csv
import posixpath
from pathlib import Path

import pytest

from app.cli import main
from app.services.scan import scan_report
from tests.conftest import CORPUS

DIRECTORY_NAMES = ("DICOMDIR", "DIRFILE")


def _rows(name: str) -> list[dict[str, str]]:
    path = CORPUS / name
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _is_directory_file(path: str) -> bool:
    base = posixpath.basename(path)
    return base.startswith(DIRECTORY_NAMES) or base.endswith(".dcmdir")


def _images_on_disc(disc: str) -> set[str]:
    return {
        row["path"]
        for row in _rows("MANIFEST.tsv")
        if row["path"].startswith(disc + "/") and not _is_directory_file(row["path"])
    }


VERIFICATION = _rows("DISC_VERIFICATION.tsv")


def _int(text: str) -> int:
    return int(text) if text.strip() else 0


@pytest.mark.parametrize("row", VERIFICATION, ids=[r["dicomdir"] for r in VERIFICATION])
def test_scan_matches_disc_verification(corpus: Path, row: dict[str, str]) -> None:
    dicomdir = row["dicomdir"]
    disc = posixpath.dirname(dicomdir)
    report = scan_report(corpus / dicomdir)

    nested_dirfiles = _int(row["nested_dirfiles"])
    if nested_dirfiles:
        # Root records point at DIRFILEs; nested records at images and further DIRFILEs.
        image_refs = _int(row["nested_refs"]) - (nested_dirfiles - _int(row["n_refs"]))
        missing = _int(row["nested_missing_ci"])
    else:
        image_refs = _int(row["n_refs"])
        missing = _int(row["missing_case_insensitive"])

    kinds = [p.problem for p in report.problems]
    assert kinds.count("missing") == missing
    assert set(kinds) <= {"missing"}, report.problems
    images = _images_on_disc(disc)
    assert report.instances == len(images)
    referenced = report.instances - len(report.unreferenced)
    # DICOMDIR-empty lists nothing, so everything it holds is an extra finding.
    assert referenced == image_refs - missing
    assert {f"{disc}/{p}" for p in report.unreferenced} <= images
    assert report.kind == "dicomdir"


def test_every_disc_folder_scans_to_every_image(corpus: Path) -> None:
    for disc in sorted(p for p in (corpus / "discs").iterdir() if p.is_dir()):
        report = scan_report(disc)
        expected = _images_on_disc(f"discs/{disc.name}")
        assert report.instances == len(expected), disc.name
        found = {f"discs/{disc.name}/{ref.path}" for ref in report.all_instances()}
        assert found == expected, disc.name


def test_philips_nested_dirfiles_give_patient_and_series(corpus: Path) -> None:
    report = scan_report(corpus / "discs/philips_ct_dirfile_trimmed")
    assert [p.patient_id for p in report.patients] == ["PLASTIC"]
    series = [s for st in report.patients[0].studies for s in st.series]
    assert sorted(len(s.instances) for s in series) == [1, 54]
    assert any(s.series_description == "STEREOTAXIS" for s in series)


def test_lowercase_dcmdir_without_media_class(corpus: Path) -> None:
    report = scan_report(corpus / "discs/dwv_bbmri_lowercase/bbmri.dcmdir")
    assert report.instances == 6
    assert len(report.unreferenced) == 2
    assert not report.problems


def test_charset_names_are_decoded(corpus: Path) -> None:
    report = scan_report(corpus / "discs/clunie_charset")
    names = {p.patient_name for p in report.patients}
    assert "Buc^Jérôme" in names
    assert any("דבורה" in n for n in names)  # Hebrew, ISO_IR 138
    assert any("Люкceмбypг" in n or "Люкс" in n for n in names)  # Russian, ISO_IR 144


@pytest.mark.parametrize(
    ("disc", "code"),
    [("discs/pydicom_tiny_alpha", 0), ("discs/orphan_nema_rle_dicomdir", 1)],
)
def test_cli_exit_codes(
    corpus: Path, disc: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", str(corpus / disc)]) == code
    out = capsys.readouterr().out
    assert "image" in out
