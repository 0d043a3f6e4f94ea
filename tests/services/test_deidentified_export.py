"""De-identified export through LibraryService.export(deidentify=...), checked from the
outside: nothing of the patient in any byte of any file of the copy (the DICOMDIR too),
the same UIDs on every copy, date intervals kept, pixels unchanged, dciodvfy clean,
Lightbox's scan of the copy finds exactly what was written, in every format; images that
may show burned-in text left out with a warning, included when asked, blacked out by a
saved rule (and then written in the transfer syntax they now have)."""

import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.uid import ExplicitVRLittleEndian

from app.core.errors import ExportError, LibraryError
from app.deidentify.keys import Pseudonymizer
from app.library.library import Library
from app.media.pydicom_setup import configure_pydicom
from app.services.copy_options import DeidentifyOptions
from app.services.deidentifying import BlackoutRule, Rectangle
from app.services.exporting import ExportReport, Format
from app.services.importing import import_media
from app.services.library_service import LibraryService
from tests.library.helpers import SAMPLE_ID, SMALL_IMAGES, write_small_disc
from tests.support.deidentified import identifying_values, identity_left, rewritten_disc
from tests.support.exports import (
    Tree,
    dciodvfy_errors,
    files_by_uid,
    folder_files,
    iso_files,
    library_tree,
    other_patient_disc,
    run_export,
    scan_tree,
    write_files,
    zip_files,
)
from tests.support.studies import import_study, study_files

OUT_NAMES: dict[Format, str] = {"folder": "copy", "zip": "copy.zip", "iso": "copy.iso"}
FORMATS: tuple[Format, ...] = ("folder", "zip", "iso")
LATER_DAYS = 37
CORPUS_SOURCES = ("discs/pydicom_dicomdirtests", "discs/clunie_charset",
                  "files/series_mr_wrist", "files/overlay/examples_overlay.dcm")
PHILIPS_US = "files/jpeg_baseline/orthanc_1.2.840.10008.1.2.4.50.dcm"  # 640 x 480 JPEG


def _files(copy: Path, media_format: Format) -> dict[str, bytes]:
    if media_format == "zip":
        return zip_files(copy)
    if media_format == "iso":
        return iso_files(copy)
    return folder_files(copy)


def _new_errors(copy: Path, original: Path) -> set[str]:
    """dciodvfy's errors on a copy that it does not give for the original (values in
    angle brackets, UIDs above all, left out of the comparison: they changed)."""
    def errors(path: Path) -> set[str]:
        return {re.sub(r"<[^>]*>", "<>", line) for line in dciodvfy_errors(path)}

    return errors(copy) - errors(original)


def _keys(home: Path) -> Pseudonymizer:
    with Library(home) as library:
        return Pseudonymizer(library.deidentification_secret())


def _originals(home: Path, studies: list[str]) -> dict[str, Path]:
    """Original SOP Instance UID -> stored file, for these studies."""
    return {uid: path for study in studies for uid, path in study_files(home, study).items()}


def _mapped(tree: Tree, keys: Pseudonymizer) -> Tree:
    return {keys.uid(study): {keys.uid(series): {keys.uid(uid) for uid in uids}
                              for series, uids in by_series.items()}
            for study, by_series in tree.items()}


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    """A home holding two studies of the sample patient, LATER_DAYS apart, and one of
    another patient."""
    configure_pydicom()
    folder = tmp_path_factory.mktemp("deid-export")
    first = write_small_disc(folder / "a", seed=31)
    later = rewritten_disc(first, folder / "later", days_later=LATER_DAYS)
    other = other_patient_disc(write_small_disc(folder / "c", seed=33), folder / "other",
                               "OTHER^PERSON", "OTHER-1")
    with Library(folder / "home") as library:
        uids = [import_study(library, disc) for disc in (first, later, other)]
    yield folder / "home", uids


@pytest.mark.parametrize("media_format", FORMATS)
def test_a_de_identified_copy_holds_nothing_of_the_patient(
    sample_home: tuple[Path, list[str]], tmp_path: Path, media_format: Format
) -> None:
    home, uids = sample_home
    out = tmp_path / OUT_NAMES[media_format]
    report = run_export(LibraryService(home).export(uids, out, media_format,
                                                    deidentify=DeidentifyOptions()))
    keys = _keys(home)
    originals = _originals(home, uids)
    assert (report.deidentified, report.warnings, report.instances) == (
        True, (), len(originals))
    assert [s.exported_as for s in report.studies] == [keys.uid(u) for u in uids]

    values = identifying_values(originals.values())
    assert {b"sample^patient", SAMPLE_ID.lower().encode(), b"19700101", b"lbsample1",
            b"lightbox sample disc", b"other^person", b"person", b"other-1"} <= set(values)
    files = _files(out, media_format)
    pixels = [dcmread(p).PixelData for p in originals.values()]
    for name, data in files.items():
        assert identity_left(data, values, pixels) == {}, name

    exported = files_by_uid(files)
    assert set(exported) == {keys.uid(uid) for uid in originals}
    for uid, stored in originals.items():
        original = dcmread(stored)
        copy = dcmread(io.BytesIO(exported[keys.uid(uid)][1]))
        assert copy.PixelData == original.PixelData
        assert copy.PatientIdentityRemoved == "YES"
        assert copy.StudyInstanceUID == keys.uid(original.StudyInstanceUID)
        # Study ID is emptied by the profile, then given a dummy the DICOMDIR can list.
        assert copy.StudyID and copy.StudyID != original.get("StudyID")
    # So the export had to make nothing up for the DICOMDIR.
    assert not any("lacked" in note for note in report.notes), report.notes

    unpacked = out if media_format == "folder" else write_files(files, tmp_path / "unpacked")
    assert dciodvfy_errors(unpacked / "DICOMDIR") == []
    for path, _ in exported.values():
        assert dciodvfy_errors(unpacked / path) == [], path

    scanned, tree = scan_tree(out)
    assert scanned.problems == () and scanned.unreferenced == ()
    with Library(home) as library:
        assert tree == _mapped(library_tree(library, uids), keys)
    assert len(scanned.patients) == 2
    assert all(p.patient_id.startswith("ANON-") and p.patient_name.startswith("Anonymous^")
               for p in scanned.patients)


def test_uids_and_pseudonyms_are_the_same_on_every_copy(
    sample_home: tuple[Path, list[str]], tmp_path: Path
) -> None:
    home, uids = sample_home
    service = LibraryService(home)
    first = run_export(service.export(uids, tmp_path / "one", "folder", DeidentifyOptions()))
    second = run_export(service.export(uids, tmp_path / "two.zip", "zip",
                                       DeidentifyOptions()))
    named = run_export(service.export(uids[:1], tmp_path / "named", "folder",
                                      DeidentifyOptions(patient_name="Second opinion^2026-12",
                                                        patient_id="SO-1")))
    one, two = files_by_uid(folder_files(tmp_path / "one")), files_by_uid(
        zip_files(tmp_path / "two.zip"))
    assert set(one) == set(two) and [s.exported_as for s in first.studies] == [
        s.exported_as for s in second.studies]
    for uid, (_, data) in one.items():
        a, b = dcmread(io.BytesIO(data)), dcmread(io.BytesIO(two[uid][1]))
        for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID",
                        "PatientName", "PatientID", "StudyDate"):
            assert a.get(keyword) == b.get(keyword), keyword
    # The names typed change the names only: the UIDs are those of every other copy.
    assert named.studies[0].exported_as == first.studies[0].exported_as
    scanned, _ = scan_tree(tmp_path / "named")
    [patient] = scanned.patients
    assert (patient.patient_name, patient.patient_id) == ("Second opinion^2026-12", "SO-1")


def _study_dates(files: dict[str, bytes]) -> dict[str, date]:
    dates = {}
    for path, data in files.items():
        if path != "DICOMDIR":
            ds = dcmread(io.BytesIO(data), stop_before_pixels=True)
            text = str(ds.StudyDate)
            dates[str(ds.StudyInstanceUID)] = date(int(text[:4]), int(text[4:6]),
                                                   int(text[6:]))
    return dates


def test_the_interval_between_two_studies_of_a_patient_is_kept(
    sample_home: tuple[Path, list[str]], tmp_path: Path
) -> None:
    home, uids = sample_home
    keys = _keys(home)
    run_export(LibraryService(home).export(uids[:2], tmp_path / "copy", "folder",
                                           DeidentifyOptions()))
    dates = _study_dates(folder_files(tmp_path / "copy"))
    first, later = dates[keys.uid(uids[0])], dates[keys.uid(uids[1])]
    assert (later - first).days == LATER_DAYS
    assert first != date(2024, 1, 2)  # shifted, not kept


def test_the_library_is_unchanged(sample_home: tuple[Path, list[str]], tmp_path: Path) -> None:
    home, uids = sample_home
    before = {p: p.read_bytes() for p in (home / "store").rglob("*") if p.is_file()}
    run_export(LibraryService(home).export(uids, tmp_path / "copy", "folder",
                                           DeidentifyOptions()))
    assert {p: p.read_bytes() for p in (home / "store").rglob("*") if p.is_file()} == before


# -- images that may show burned-in text ----------------------------------------------------


@pytest.fixture(scope="module")
def ultrasound_home(tmp_path_factory: pytest.TempPathFactory
                    ) -> Iterator[tuple[Path, str, str]]:
    """A home with a CT study and a study whose images are all US (a kind that often has
    text drawn in), of the same patient: (home, CT study, US study)."""
    configure_pydicom()
    folder = tmp_path_factory.mktemp("deid-burned-in")
    ct = write_small_disc(folder / "ct", seed=35)
    us = rewritten_disc(write_small_disc(folder / "us-source", seed=36), folder / "us",
                        modality="US")
    with Library(folder / "home") as library:
        yield folder / "home", import_study(library, ct), import_study(library, us)


def test_burned_in_images_are_listed_for_review(
    ultrasound_home: tuple[Path, str, str]
) -> None:
    home, ct, us = ultrasound_home
    service = LibraryService(home)
    assert service.burned_in_images(ct) == []
    listed = service.burned_in_images(us)
    assert len(listed) == SMALL_IMAGES
    assert {i.sop_instance_uid for i in listed} == set(study_files(home, us))
    image = listed[0]
    assert (image.modality, image.rows, image.columns, image.has_rule) == ("US", 64, 64, False)
    assert image.reason == "it is a US image, a kind that often has text drawn in"
    assert image.label.startswith("US image") and image.label.endswith("64 x 64")
    assert image.file.is_file()
    with pytest.raises(LibraryError):
        service.burned_in_images("1.2.3.4")


def test_burned_in_images_are_left_out_with_a_warning_unless_included(
    ultrasound_home: tuple[Path, str, str], tmp_path: Path
) -> None:
    home, ct, us = ultrasound_home
    service = LibraryService(home)
    report = run_export(service.export([ct, us], tmp_path / "copy", "folder",
                                       DeidentifyOptions()))
    assert report.instances == SMALL_IMAGES
    assert len(report.warnings) == SMALL_IMAGES
    assert {w.study_instance_uid for w in report.warnings} == {us}
    assert {w.sop_instance_uid for w in report.warnings} == set(study_files(home, us))
    assert all("a US image, a kind that often has text drawn in" in w.message
               for w in report.warnings)
    values = identifying_values(study_files(home, us).values())
    assert all(identity_left(w.message.encode().lower(), values) == {}
               for w in report.warnings)
    assert [s.left_out for s in report.studies] == [0, SMALL_IMAGES]
    assert list(scan_tree(tmp_path / "copy")[1]) == [_keys(home).uid(ct)]

    with pytest.raises(ExportError, match="text drawn in"):
        run_export(service.export([us], tmp_path / "only-us", "folder", DeidentifyOptions()))
    assert not (tmp_path / "only-us").exists()

    included = run_export(service.export([ct, us], tmp_path / "all", "folder",
                                         DeidentifyOptions(include_burned_in=True)))
    assert (included.instances, included.warnings) == (2 * SMALL_IMAGES, ())
    assert any(f"{SMALL_IMAGES} images that may show burned-in text" in n
               for n in included.notes)


def test_a_saved_rule_blacks_out_instead(
    ultrasound_home: tuple[Path, str, str], tmp_path: Path
) -> None:
    home, _, us = ultrasound_home
    service = LibraryService(home)
    service.save_blackout_rule(BlackoutRule("US", 64, 64, (Rectangle(0, 0, 64, 8),)))
    try:
        assert service.blackout_rules()[0].key == ("US", 64, 64)
        assert all(i.has_rule for i in service.burned_in_images(us))
        report = run_export(service.export([us], tmp_path / "copy", "folder",
                                           DeidentifyOptions()))
    finally:
        assert service.delete_blackout_rule("us", 64, 64)
    assert not service.delete_blackout_rule("US", 64, 64) and service.blackout_rules() == []
    assert (report.instances, report.warnings) == (SMALL_IMAGES, ())
    assert any("blacked out" in note for note in report.notes)
    for _, data in files_by_uid(folder_files(tmp_path / "copy")).values():
        pixels = dcmread(io.BytesIO(data)).pixel_array
        assert (pixels[:8] == pixels[:8].min()).all()


# -- real media -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_home(corpus: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[tuple[Path, list[str]]]:
    """pydicom's DICOMDIR test disc (two patients, two studies each, CT, MR and CR), the
    character-set disc (names in many scripts; OT images, so burned-in kind), a series
    of MR wrist images (accession number, institution, referrer) and a Siemens MR with an
    overlay (birth date, private attributes)."""
    configure_pydicom()
    home = tmp_path_factory.mktemp("deid-corpus") / "home"
    with Library(home) as library:
        for source in CORPUS_SOURCES:
            for _ in import_media(corpus / source, library):
                pass
        yield home, [row.study_instance_uid for row in library.list_studies()]


@pytest.mark.parametrize("media_format", FORMATS)
def test_real_discs_are_de_identified(
    corpus_home: tuple[Path, list[str]], tmp_path: Path, media_format: Format
) -> None:
    home, uids = corpus_home
    keys = _keys(home)
    originals = _originals(home, uids)
    out = tmp_path / OUT_NAMES[media_format]
    report = run_export(LibraryService(home).export(
        uids, out, media_format, DeidentifyOptions(include_burned_in=True)))
    assert (report.warnings, report.instances) == ((), len(originals))

    values = identifying_values(originals.values())
    assert {"PatientName", "PatientID", "PatientBirthDate", "AccessionNumber",
            "InstitutionName"} <= set(values.values())
    files = _files(out, media_format)
    pixels = [dcmread(p).get("PixelData", b"") for p in originals.values()]
    for name, data in files.items():
        assert identity_left(data, values, pixels) == {}, name

    exported = files_by_uid(files)
    assert set(exported) == {keys.uid(uid) for uid in originals}
    unpacked = out if media_format == "folder" else write_files(files, tmp_path / "unpacked")
    assert dciodvfy_errors(unpacked / "DICOMDIR") == []
    for uid, stored in originals.items():
        name, data = exported[keys.uid(uid)]
        assert dcmread(io.BytesIO(data)).get("PixelData") == dcmread(stored).get("PixelData")
        if media_format == "folder":
            assert not _new_errors(unpacked / name, stored), name

    scanned, tree = scan_tree(out)
    assert scanned.problems == ()
    with Library(home) as library:
        assert tree == _mapped(library_tree(library, uids), keys)


def test_real_discs_keep_each_patients_intervals(
    corpus_home: tuple[Path, list[str]], tmp_path: Path
) -> None:
    home, _ = corpus_home
    with Library(home) as library:
        rows = [r for r in library.list_studies() if r.patient_id in ("77654033",
                                                                      "98890234")]
    keys = _keys(home)
    run_export(LibraryService(home).export([r.study_instance_uid for r in rows],
                                           tmp_path / "copy", "folder", DeidentifyOptions()))
    dates = _study_dates(folder_files(tmp_path / "copy"))

    def day(text: str) -> date:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))

    by_patient: dict[str, list[tuple[date, date]]] = {}
    for row in rows:
        by_patient.setdefault(row.patient_id, []).append(
            (day(row.study_date), dates[keys.uid(row.study_instance_uid)]))
    assert len(by_patient) == 2
    for pairs in by_patient.values():
        assert len(pairs) >= 2
        (first, first_copy), *rest = pairs
        for original, copy in rest:
            assert (copy - first_copy) == (original - first)
        assert first_copy != first


def test_a_compressed_image_blacked_out_is_written_as_it_now_is(
    corpus: Path, tmp_path: Path
) -> None:
    """A real Philips US in JPEG baseline with a rule: its pixels are decoded, blacked out
    and written uncompressed; the file and the DICOMDIR say Explicit VR Little Endian,
    and dciodvfy finds nothing new."""
    configure_pydicom()
    home = tmp_path / "home"
    with Library(home) as library:
        for _ in import_media(corpus / PHILIPS_US, library):
            pass
        [study] = [r.study_instance_uid for r in library.list_studies()]
    service = LibraryService(home)
    [image] = service.burned_in_images(study)
    assert (image.modality, image.rows, image.columns) == ("US", 480, 640)
    service.save_blackout_rule(BlackoutRule("US", 480, 640, (Rectangle(0, 0, 640, 60),)))
    report = run_export(service.export([study], tmp_path / "copy", "folder",
                                       DeidentifyOptions()))
    assert isinstance(report, ExportReport) and report.warnings == ()
    assert any("blacked out" in note for note in report.notes)
    [(name, data)] = files_by_uid(folder_files(tmp_path / "copy")).values()
    copy = dcmread(io.BytesIO(data))
    assert copy.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert (copy.pixel_array[:60] == 0).all()
    [record] = [r for r in dcmread(tmp_path / "copy" / "DICOMDIR").DirectoryRecordSequence
                if r.DirectoryRecordType == "IMAGE"]
    assert record.ReferencedTransferSyntaxUIDInFile == ExplicitVRLittleEndian
    assert dciodvfy_errors(tmp_path / "copy" / "DICOMDIR") == []
    original = study_files(home, study).popitem()[1]
    assert not _new_errors(tmp_path / "copy" / name, original)
