"""The header values the library keeps for plain-words descriptions (schema 10)."""

from pathlib import Path

from app.library.library import Library, SeriesHeaders
from tests.library.helpers import import_report, write_small_disc


def test_an_import_keeps_body_part_protocol_contrast_view_and_institution(
        tmp_path: Path) -> None:
    with Library(tmp_path / "home") as library:
        import_report(write_small_disc(tmp_path / "disc", seed=7), library)
        (row,) = library.list_studies()
        headers = library.study_headers()
    (study,) = headers.values()
    assert list(headers) == [row.study_instance_uid]
    assert (study.description, study.date, study.institution) == (
        "CT CHEST ABDOMEN PELVIS (SYNTHETIC SAMPLE)", row.study_date, "Lightbox sample disc")
    agent = "IV CONTRAST (SYNTHETIC)"
    assert study.series == [
        SeriesHeaders("CT", "CHESTABDPELVIS", "SCOUT", "", "", "", 1),
        SeriesHeaders("CT", "CHESTABDPELVIS", "AXIAL 50MM SOFT TISSUE", "", agent, "", 8),
        SeriesHeaders("CT", "CHESTABDPELVIS", "AXIAL 200MM LUNG", "", agent, "", 2),
    ]
