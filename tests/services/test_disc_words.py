"""What the import dialog says after an import, from the report alone."""

from app.services.disc_words import import_outcome
from app.services.importing import ImportFailure, ImportReport


def _report(**fields: object) -> ImportReport:
    values: dict[str, object] = dict(source="disc", imported=0, already_present=0, failed=(),
                                     conflicts=0, study_instance_uids=())
    values.update(fields)
    return ImportReport(**values)  # type: ignore[arg-type]


def test_everything_stored_is_safe_to_eject() -> None:
    outcome = import_outcome(_report(imported=10, images=10, stored=10))
    assert outcome.eject == "Safe to eject: every image is stored on this computer."
    assert outcome.all_stored


def test_repairs_are_told() -> None:
    outcome = import_outcome(_report(already_present=8, repaired=2, images=10, stored=10))
    assert ("2 stored images were missing or damaged in the library and restored from "
            "this disc.") in outcome.stored
    assert outcome.all_stored


def test_an_incomplete_disc_is_never_safe_to_eject() -> None:
    missing = tuple(ImportFailure(f"I{n}", "gone.", "missing") for n in range(3))
    outcome = import_outcome(_report(imported=7, failed=missing, listed=10, images=10,
                                     stored=7))
    assert "Safe to eject" not in outcome.eject
    assert "3 of the 10 images listed on the disc are not on it" in outcome.stored
    assert not outcome.all_stored


def test_the_simple_view_says_pictures_after_an_import() -> None:
    missing = tuple(ImportFailure(f"I{n}", "gone.", "missing") for n in range(3))
    report = _report(imported=6, already_present=1, repaired=1, failed=missing, listed=10,
                     images=10, stored=7)
    full = import_outcome(report, left_out=1)
    plain = import_outcome(report, left_out=1, plain=True)
    assert full.stored == (
        "7 images are stored on this computer (6 new, 1 already in the library). 1 stored "
        "image was missing or damaged in the library and restored from this disc. 1 image "
        "of patients you did not choose was left on the disc. 3 images are not: 3 of the 10 "
        "images listed on the disc are not on it.")
    assert plain.stored == (
        "7 pictures are stored on this computer (6 new, 1 already in the library). 1 stored "
        "picture was missing or damaged in the library and restored from this disc. 1 "
        "picture of patients you did not choose was left on the disc. 3 pictures are not: 3 "
        "of the 10 pictures listed on the disc are not on it.")
    assert plain.eject == full.eject and not plain.all_stored
    done = _report(imported=10, images=10, stored=10)
    assert import_outcome(done, plain=True).eject == (
        "Safe to eject: every picture is stored on this computer.")
    assert import_outcome(done, 2, plain=True).eject == (
        "Safe to eject: every picture you chose is stored on this computer.")
    assert import_outcome(done, 2).eject == (
        "Safe to eject: every image you chose is stored on this computer.")
    assert import_outcome(_report(), plain=True).eject == "No pictures were found here."
    assert import_outcome(_report()).eject == "No images were found here."
