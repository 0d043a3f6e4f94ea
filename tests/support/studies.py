"""Sample studies in a library, and the library's upload state read from the outside.

The upload state is read with its own SQLite connection, so a test never trusts the code
under test to describe what it recorded.
"""

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

from app.library.library import Library
from app.samples.disc_writer import write_sample_disc
from app.services.importing import ImportReport, import_media


def write_disc(folder: Path, slices: int, rows: int = 64, columns: int = 64,
               seed: int = 5) -> Path:
    """A sample disc (1 scout, ``slices`` thin and ``slices // 4`` thick images), written
    once into ``folder`` and reused when it is already complete."""
    if not (folder / "DICOMDIR").is_file():
        write_sample_disc(folder, slices=slices, rows=rows, columns=columns, seed=seed)
    return folder


def import_study(library: Library, disc: Path) -> str:
    """Import ``disc`` into ``library``; the Study Instance UID of its one study."""
    report = None
    for item in import_media(disc, library):
        if isinstance(item, ImportReport):
            report = item
    assert report is not None and not report.failed, report
    assert len(report.study_instance_uids) == 1, report.study_instance_uids
    return report.study_instance_uids[0]


def _connect(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{home / 'library.sqlite'}?mode=ro", uri=True)


def study_files(home: Path, study_uid: str) -> dict[str, Path]:
    """SOP Instance UID -> stored file of every instance of a study."""
    with closing(_connect(home)) as db:
        rows = db.execute(
            "SELECT i.sop_uid, i.file FROM instances i JOIN series se ON i.series = se.id"
            " JOIN studies st ON se.study = st.id WHERE st.study_uid = ?", (study_uid,),
        ).fetchall()
    return {str(uid): home / "store" / str(file) for uid, file in rows}


def upload_states(home: Path, account: str) -> dict[str, tuple[str, str]]:
    """SOP Instance UID -> (state, reason) of every upload row of ``account``."""
    with closing(_connect(home)) as db:
        rows = db.execute(
            "SELECT i.sop_uid, u.state, u.reason FROM uploads u"
            " JOIN instances i ON u.instance = i.id WHERE u.account = ?", (account,),
        ).fetchall()
    return {str(uid): (str(state), str(reason)) for uid, state, reason in rows}


def confirmed_uids(home: Path, account: str) -> set[str]:
    """The instances the library records as confirmed by ``account``."""
    return {uid for uid, (state, _) in upload_states(home, account).items()
            if state == "confirmed"}


def forget_uploads(home: Path, uids: Iterable[str] | None = None) -> None:
    """Delete upload rows (all, or those of ``uids``), as if never uploaded."""
    with closing(sqlite3.connect(home / "library.sqlite")) as db, db:
        if uids is None:
            db.execute("DELETE FROM uploads")
        else:
            db.executemany(
                "DELETE FROM uploads WHERE instance = (SELECT id FROM instances"
                " WHERE sop_uid = ?)", [(uid,) for uid in uids],
            )
