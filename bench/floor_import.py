"""The least work a correct importer must do: the floor of the import benchmarks.

Standard library and pydicom only, so that as its own process
(``python bench/floor_import.py DISC OUT EXPECTED``) it starts as fast as an importer can:
list the files, then per file read it once in 1 MB chunks, SHA-256 the same bytes while
writing them to a temporary name, fsync, rename into ``objects/ab/<sha>.dcm``, sync the
folder, parse the header from the copy and commit one SQLite row (WAL, synchronous=FULL).
"""

import hashlib
import os
import sqlite3
import sys
from pathlib import Path

from pydicom import dcmread

CHUNK = 1024 * 1024


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def floor_import(disc: Path, out: Path, expected: int) -> None:
    """The least a correct importer does: one read, hash, durable copy, header, one row."""
    objects, staging = out / "objects", out / "staging"
    objects.mkdir(parents=True)
    staging.mkdir()
    db = sqlite3.connect(out / "index.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute(
        "CREATE TABLE instances (sop_uid TEXT PRIMARY KEY, study_uid TEXT, file TEXT,"
        " size INTEGER, sha256 TEXT)"
    )
    files = [
        os.path.join(folder, name)
        for folder, _, names in os.walk(disc) for name in sorted(names)
        if name != "DICOMDIR"
    ]
    for number, path in enumerate(files):
        temp = staging / f"{number}.part"
        digest = hashlib.sha256()
        size = 0
        with open(path, "rb") as source, open(temp, "wb") as copy:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                copy.write(chunk)
                size += len(chunk)
            copy.flush()
            os.fsync(copy.fileno())
        sha = digest.hexdigest()
        folder = objects / sha[:2]
        new_folder = not folder.exists()
        folder.mkdir(exist_ok=True)
        final = folder / f"{sha}.dcm"
        os.replace(temp, final)
        _fsync_dir(folder)
        if new_folder:
            _fsync_dir(objects)
        header = dcmread(final, stop_before_pixels=True)
        db.execute(
            "INSERT INTO instances VALUES (?, ?, ?, ?, ?)",
            (str(header.SOPInstanceUID), str(header.StudyInstanceUID), str(final), size,
             sha),
        )
    assert db.execute("SELECT COUNT(*) FROM instances").fetchone()[0] == expected
    db.close()


if __name__ == "__main__":
    floor_import(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
