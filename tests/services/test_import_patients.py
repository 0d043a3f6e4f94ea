"""Importing only some patients of a disc, and the words said about a disc and an import."""

from pathlib import Path

from app.services.disc_words import completeness, import_outcome
from app.services.importing import ImportReport
from app.services.jobs import run_to_report
from app.services.library_service import LibraryService
from app.services.problem_words import group_problems
from app.services.scan import scan_report


def test_only_the_chosen_patient_is_imported_and_the_rest_is_no_failure(
    corpus: Path, tmp_path: Path
) -> None:
    library = LibraryService(tmp_path / "home")
    job = library.import_media(corpus / "discs/pydicom_dicomdirtests",
                               {("77654033", "Doe^Archibald")})
    report = run_to_report(job, ImportReport)
    assert report.imported == 7 and not report.failed
    assert report.all_stored
    assert {r.patient_id for r in library.studies()} == {"77654033"}
    assert import_outcome(report, left_out=24).eject.startswith("Safe to eject")


def test_an_incomplete_disc_is_said_once_with_its_counts(corpus: Path) -> None:
    report = scan_report(corpus / "discs/philips_ct_dirfile_trimmed")
    disc = completeness(report)
    assert (disc.listed, disc.missing, disc.incomplete) == (433, 378, True)
    assert disc.sentence.startswith("378 of 433 images listed on this disc are missing")
    groups = group_problems(report.problems)
    assert [(g.kind, g.count) for g in groups] == [
        ("missing", 378)]
