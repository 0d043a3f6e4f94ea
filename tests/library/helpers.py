"""Looking at a library from the outside: what the import, library and CLI tests share.

Every check here reads the files and the SQLite index directly (its own connection), so a
test never trusts the code it is testing to describe its own state.
"""

import hashlib
import sqlite3
import subprocess
import zipfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from app.library.library import Library
from app.samples.disc_writer import write_sample_disc
from app.services.importing import ImportProgress, ImportReport, import_media
from app.services.verification import VerifyReport, verify_library
from tests.conftest import tool

# The small sample disc most tests import: 1 localizer + 8 thin + 2 thick slices.
SMALL_SLICES = 8
SMALL_IMAGES = 1 + SMALL_SLICES + 2
SAMPLE_NAME = "SAMPLE^PATIENT"
SAMPLE_ID = "LIGHTBOX-SAMPLE"


def write_small_disc(out: Path, seed: int = 7) -> Path:
    """A small valid sample disc (11 images of 64 x 64) at ``out``."""
    write_sample_disc(out, slices=SMALL_SLICES, rows=64, columns=64, seed=seed)
    return out


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def disc_images(disc: Path) -> dict[str, str]:
    """SOP Instance UID -> SHA-256 of every image file on a folder disc."""
    images = {}
    for path in sorted(disc.rglob("*")):
        if path.is_file() and path.name != "DICOMDIR":
            uid = str(dcmread(path, stop_before_pixels=True).SOPInstanceUID)
            images[uid] = sha256_of(path)
    return images


def _connect(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "library.sqlite")


def index_rows(home: Path) -> dict[str, tuple[str, int, str]]:
    """SOP Instance UID -> (file, size, sha256) of every indexed instance."""
    with closing(_connect(home)) as db:
        rows = db.execute("SELECT sop_uid, file, size, sha256 FROM instances").fetchall()
    return {uid: (file, size, sha) for uid, file, size, sha in rows}


def conflict_rows(home: Path) -> list[tuple[str, str, str]]:
    """(SOP Instance UID, file, sha256) of every kept conflicting version."""
    with closing(_connect(home)) as db:
        return db.execute("SELECT sop_uid, file, sha256 FROM conflicts").fetchall()


def table_counts(home: Path) -> dict[str, int]:
    """Row counts of the patient, study, series and instance tables."""
    with closing(_connect(home)) as db:
        return {
            table: int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in ("patients", "studies", "series", "instances")
        }


def object_files(home: Path) -> list[Path]:
    """Every file under the store's objects/ folder."""
    objects = home / "store" / "objects"
    return sorted(p for p in objects.rglob("*") if p.is_file()) if objects.is_dir() else []


def staging_files(home: Path) -> list[Path]:
    """Whatever sits in the store's staging folder."""
    staging = home / "store" / "staging"
    return sorted(staging.iterdir()) if staging.is_dir() else []


def store_problems(home: Path, *, allow_staging_leftovers: bool = False) -> list[str]:
    """Everything that breaks the store's promises, as readable lines (empty when sound).

    - every file in objects/ is whole: it hashes to its own name (objects/ab/abcd....dcm);
    - every index row (instances and conflicts) names a file that is there, with the
      recorded size and hash;
    - nothing is left in staging/ (unless a killed import may have left a .part file).
    """
    problems = []
    for path in object_files(home):
        name = path.name.removesuffix(".dcm")
        if path.suffix != ".dcm" or path.parent.name != name[:2] or sha256_of(path) != name:
            problems.append(f"objects/ holds a partial or misnamed file: {path}")
    if (home / "library.sqlite").exists():
        for uid, (file, size, sha) in index_rows(home).items():
            path = home / "store" / file
            if not path.is_file():
                problems.append(f"the index names {file} for {uid}, but it is not there")
            elif path.stat().st_size != size or sha256_of(path) != sha:
                problems.append(f"{file} for {uid} is not what the index recorded")
        for uid, file, sha in conflict_rows(home):
            path = home / "store" / file
            if not path.is_file() or sha256_of(path) != sha:
                problems.append(f"the conflicting version {file} of {uid} is missing or changed")
    leftovers = staging_files(home)
    if leftovers and not allow_staging_leftovers:
        problems.append(f"staging/ still holds {[p.name for p in leftovers]}")
    if allow_staging_leftovers:
        problems.extend(
            f"staging/ holds something other than a .part file: {p.name}"
            for p in leftovers if p.suffix != ".part"
        )
    return problems


def run_import(source: Path, library: Library) -> tuple[list[ImportProgress], ImportReport]:
    """Drive ``import_media`` to the end: its progress records and its report."""
    progress: list[ImportProgress] = []
    for item in import_media(source, library):
        if isinstance(item, ImportReport):
            return progress, item
        progress.append(item)
    raise AssertionError("import_media ended without a report")


def import_report(source: Path, library: Library) -> ImportReport:
    """The report of one import of ``source`` into ``library``."""
    return run_import(source, library)[1]


def make_iso(disc: Path, iso: Path) -> Path:
    """An ISO 9660 image (Joliet and Rock Ridge) of a folder, as burning software makes."""
    xorriso = tool("xorriso", "xorriso")
    subprocess.run(
        [xorriso, "-as", "mkisofs", "-quiet", "-V", "LIGHTBOX", "-J", "-R", "-o", str(iso),
         str(disc)],
        check=True, capture_output=True, timeout=60,
    )
    return iso


def make_zip(disc: Path, out: Path, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A ZIP file of a folder, members named relative to it."""
    with zipfile.ZipFile(out, "w", compression) as archive:
        for path in sorted(disc.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(disc).as_posix())
    return out


def bulk_insert(
    home: Path, studies: int, series_per_study: int, instances_per_series: int
) -> int:
    """Fill an (empty) library's index with synthetic rows in one transaction, fast.

    Study k (from 1) has UID ``2.25.k``, series ``2.25.k.s`` and instances
    ``2.25.k.s.i``; 500 patients share the studies. Returns the number of instances.
    The files do not exist: this is for index queries only.
    """
    def instances() -> Iterator[tuple[str, int, str, int, str, str]]:
        for study in range(1, studies + 1):
            for serie in range(series_per_study):
                series_id = study * series_per_study + serie
                for number in range(instances_per_series):
                    yield (f"2.25.{study}.{serie}.{number}", series_id,
                           f"objects/00/{study}-{serie}-{number}.dcm", 1, "0" * 64, "2024")

    with closing(_connect(home)) as db:
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO patients (id, patient_id, patient_name) VALUES (?, ?, ?)",
            [(p, f"PID{p}", f"DOE^PATIENT{p}") for p in range(1, 501)],
        )
        db.executemany(
            "INSERT INTO studies (id, study_uid, patient, study_date, study_description)"
            " VALUES (?, ?, ?, ?, ?)",
            [(k, f"2.25.{k}", 1 + k % 500, f"20{10 + k % 15}{1 + k % 12:02d}{1 + k % 28:02d}",
              f"Study {k}") for k in range(1, studies + 1)],
        )
        db.executemany(
            "INSERT INTO series (id, series_uid, study, modality, series_number)"
            " VALUES (?, ?, ?, ?, ?)",
            [(k * series_per_study + s, f"2.25.{k}.{s}", k, ("CT", "MR", "SR")[s % 3], s)
             for k in range(1, studies + 1) for s in range(series_per_study)],
        )
        db.executemany(
            "INSERT INTO instances (sop_uid, series, file, size, sha256, imported_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            instances(),
        )
        db.commit()
    return studies * series_per_study * instances_per_series


def verify_report(library: Library) -> VerifyReport:
    """Run `library verify` on ``library`` to its report."""
    *_, report = verify_library(library)
    assert isinstance(report, VerifyReport)
    return report


def ct_header(patient_name: str, patient_id: str, study: str, series: str) -> Dataset:
    """The header of a CT image with its file meta, for tests that write odd files."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName, ds.PatientID = patient_name, patient_id
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.Modality = "CT"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    return ds
