"""Looking at an exported copy from the outside: dciodvfy, isoinfo, Lightbox's own scan, the
bytes of every file, and libraries to export from.

Nothing here trusts the exporter's report: the copy is read as any viewer would read it.
"""

import hashlib
import subprocess
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pycdlib
from pydicom import dcmread

from app.core.models import ScanReport
from app.library.library import Library
from app.services.exporting import ExportProgress, ExportReport
from app.services.scan import scan_report
from tests.conftest import tool
from tests.support.studies import study_files

# study UID -> series UID -> SOP Instance UIDs
Tree = dict[str, dict[str, set[str]]]


def dciodvfy_errors(path: Path) -> list[str]:
    """dciodvfy's error lines for a file (warnings are acceptable); skips (fails under
    CI=true) when dicom3tools is not installed."""
    dciodvfy = tool("dciodvfy", "dicom3tools")
    result = subprocess.run([dciodvfy, str(path)], capture_output=True, check=False,
                            timeout=120)
    text = (result.stdout + result.stderr).decode("latin-1")
    return [line for line in text.splitlines() if "Error - " in line]


def run_export(job: Iterator[ExportProgress | ExportReport]) -> ExportReport:
    """Drive an export job to its report."""
    for item in job:
        if isinstance(item, ExportReport):
            return item
    raise AssertionError("the export ended without a report")


def sha256(data: bytes) -> str:
    """The SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def library_hashes(library: Library, study_uids: Iterable[str]) -> dict[str, str]:
    """SOP Instance UID -> SHA-256 of the library's stored file, for these studies."""
    hashes = {}
    for study in study_uids:
        for uid, path in study_files(library.home, study).items():
            hashes[uid] = sha256(path.read_bytes())
    return hashes


def library_tree(library: Library, study_uids: Iterable[str]) -> Tree:
    """What these studies of the library hold, by study and series UID."""
    tree: Tree = {}
    for study in study_uids:
        for ref in library.study_instances(study):
            tree.setdefault(study, {}).setdefault(ref.series_instance_uid, set()).add(
                ref.sop_instance_uid)
    return tree


def scanned_tree(report: ScanReport) -> Tree:
    """What Lightbox's scan found on a medium, by study and series UID."""
    tree: Tree = {}
    for patient in report.patients:
        for study in patient.studies:
            for series in study.series:
                tree.setdefault(study.study_instance_uid, {}).setdefault(
                    series.series_instance_uid, set()).update(
                        i.sop_instance_uid for i in series.instances)
    return tree


def scan_tree(path: Path) -> tuple[ScanReport, Tree]:
    """Lightbox's scan of an exported copy: the report and its tree."""
    report = scan_report(path)
    return report, scanned_tree(report)


def folder_files(folder: Path) -> dict[str, bytes]:
    """Media-relative path -> bytes of every file under a folder."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def zip_files(archive: Path) -> dict[str, bytes]:
    """Member name -> bytes of every member of a ZIP file."""
    with zipfile.ZipFile(archive) as opened:
        return {name: opened.read(name) for name in opened.namelist()}


def iso_files(image: Path) -> dict[str, bytes]:
    """Rock Ridge path (without the leading /) -> bytes of every file of an ISO image."""
    iso = pycdlib.PyCdlib()
    iso.open(str(image))
    try:
        files = {}
        for root, _dirs, names in iso.walk(rr_path="/"):
            for name in names:
                path = f"{root.rstrip('/')}/{name}"
                with iso.open_file_from_iso(rr_path=path) as fh:
                    files[path.lstrip("/")] = fh.read()
        return files
    finally:
        iso.close()


def isoinfo_listing(image: Path, *extension: str) -> set[str]:
    """The paths ``isoinfo -f`` lists (with ``-R`` or ``-J`` names when given)."""
    isoinfo = tool("isoinfo", "genisoimage")
    result = subprocess.run([isoinfo, "-f", *extension, "-i", str(image)],
                            capture_output=True, text=True, check=True, timeout=60)
    return {line.strip() for line in result.stdout.splitlines() if line.strip()}


def files_by_uid(files: dict[str, bytes]) -> dict[str, tuple[str, bytes]]:
    """SOP Instance UID -> (path, bytes) of every DICOM file but the DICOMDIR."""
    import io

    found = {}
    for path, data in files.items():
        if path == "DICOMDIR":
            continue
        ds = dcmread(io.BytesIO(data), stop_before_pixels=True, force=True)
        found[str(ds.SOPInstanceUID)] = (path, data)
    return found


def write_files(files: dict[str, bytes], folder: Path) -> Path:
    """Unpack ``files`` (path -> bytes) into ``folder``, for tools that want a folder."""
    for path, data in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


def other_patient_disc(disc: Path, out: Path, name: str, patient_id: str) -> Path:
    """The images of a sample disc as another patient's (no DICOMDIR: an import reads the
    headers), for copies that hold two patients."""
    out.mkdir(parents=True)
    for number, path in enumerate(sorted(p for p in disc.rglob("*")
                                         if p.is_file() and p.name != "DICOMDIR")):
        ds = dcmread(path)
        ds.PatientName, ds.PatientID = name, patient_id
        ds.save_as(out / f"IM{number:06d}", enforce_file_format=True)
    return out


def walk_dicomdir(path: Path) -> list[tuple[int, str]]:
    """Follow a DICOMDIR's offsets from its first root record, as a strict reader does:
    (depth, record type) of each record reached, in order. AssertionError when an offset
    leads nowhere, a record is reached twice, a record is never reached, or the last root
    offset is not the last root record."""
    ds = dcmread(path)
    at = {int(record.seq_item_tell): record for record in ds.DirectoryRecordSequence}
    reached: list[tuple[int, str]] = []
    seen: set[int] = set()

    def siblings(offset: int, depth: int) -> int:
        last = 0
        while offset:
            assert offset in at and offset not in seen, f"offset {offset} leads nowhere"
            seen.add(offset)
            record = at[offset]
            reached.append((depth, str(record.DirectoryRecordType)))
            siblings(int(record.OffsetOfReferencedLowerLevelDirectoryEntity), depth + 1)
            last, offset = offset, int(record.OffsetOfTheNextDirectoryRecord)
        return last

    last_root = siblings(int(ds.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity), 0)
    assert last_root == int(ds.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity)
    assert seen == set(at), f"{len(set(at) - seen)} records are never reached"
    return reached
