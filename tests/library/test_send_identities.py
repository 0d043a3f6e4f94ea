"""Schema v7: which local identity each study was sent under, per destination."""

import sqlite3
from contextlib import closing
from pathlib import Path

from app.library.library import Library
from app.library.schema import MIGRATIONS, SCHEMA_VERSION
from tests.library.helpers import import_report, write_small_disc

PACS = "PACS@10.0.0.5:104"


def test_a_version_6_library_gets_the_table_and_keeps_its_send_state(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Library(home) as library:
        import_report(write_small_disc(tmp_path / "disc"), library)
        (row,) = library.list_studies()
        uids = [f.sop_instance_uid for f in library.study_files(row.study_instance_uid)]
        library.record_sends(PACS, uids[:3], {})
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        db.executescript("BEGIN;DROP TABLE send_identities;DROP TABLE annotations;"
                        "ALTER TABLE series DROP COLUMN body_part;"
                        "ALTER TABLE series DROP COLUMN protocol_name;"
                        "ALTER TABLE series DROP COLUMN contrast_agent;"
                        "ALTER TABLE series DROP COLUMN view_position;"
                        "ALTER TABLE studies DROP COLUMN institution;"
                        "PRAGMA user_version = 6;COMMIT;")
    with Library(home) as library:
        assert library.sent_count(row.study_instance_uid, PACS) == 3
        assert library.send_identities() == []
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 7


def test_a_version_1_library_reaches_the_latest_version(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with closing(sqlite3.connect(home / "library.sqlite")) as db:
        db.executescript("BEGIN;" + MIGRATIONS[0] + "PRAGMA user_version = 1;COMMIT;")
    with Library(home) as library:
        library.record_send_identity("1.2.3", PACS, ("MRN1", "HOSP", None, None, None, None))
        (sent,) = library.send_identities("1.2.3")
    assert (sent.patient_id, sent.issuer, sent.patient_name) == ("MRN1", "HOSP", None)


def test_identities_newest_first_filtered_by_study_and_destination(library: Library) -> None:
    library.record_send_identity("1.2.3", PACS, (None,) * 6)
    library.record_send_identity("1.2.3", PACS, ("MRN1", "HOSP", "DOE^JANE", "19800214",
                                                 "F", "L-9"))
    library.record_send_identity("1.2.3", "OTHER@h:104", ("MRN2", "HOSP", *(None,) * 4))
    library.record_send_identity("9.9", PACS, ("MRN3", "HOSP", *(None,) * 4))
    latest, first = library.send_identities("1.2.3", PACS)
    assert latest.values == ("MRN1", "HOSP", "DOE^JANE", "19800214", "F", "L-9")
    assert first.values == (None,) * 6
    assert latest.sent_at and latest.destination == PACS
    assert [s.patient_id for s in library.send_identities("1.2.3")] == ["MRN2", "MRN1", None]
    assert len(library.send_identities()) == 4


def test_forget_sends_clears_one_study_at_one_destination(tmp_path: Path,
                                                         library: Library) -> None:
    import_report(write_small_disc(tmp_path / "disc"), library)
    (row,) = library.list_studies()
    study = row.study_instance_uid
    uids = [f.sop_instance_uid for f in library.study_files(study)]
    library.record_sends(PACS, uids, {})
    library.record_sends("OTHER@h:104", uids, {})
    library.forget_sends(study, PACS)
    assert library.sent_count(study, PACS) == 0
    assert len(library.pending_sends(study, PACS)) == len(uids)
    assert library.sent_count(study, "OTHER@h:104") == len(uids)
