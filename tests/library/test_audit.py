"""The audit log's hash chain: intact when untouched; an edited, removed, reordered,
forged or cut-short line is found, with the first bad entry; appends from several
processes at once lose nothing."""

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from app.core.errors import LibraryError
from app.library.audit import GENESIS, LOG_NAME, AuditLog, entry_hash, verify

UID = "1.2.826.0.1.3680043.8.498.{}"


def _filled(home: Path, count: int = 6) -> AuditLog:
    log = AuditLog(home)
    for n in range(count):
        log.append(("import", "view", "send")[n % 3], [UID.format(n)],
                   "PACS@127.0.0.1:104", f"ok: {n} sent")
    return log


def _lines(log: AuditLog) -> list[bytes]:
    return log.path.read_bytes().splitlines(keepends=True)


def _write(log: AuditLog, lines: list[bytes]) -> None:
    log.path.write_bytes(b"".join(lines))


def test_an_untouched_log_is_intact_and_chained(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    result = log.verify()
    assert result.intact and result.problem is None and result.first_bad_seq is None
    assert [e.seq for e in result.entries] == [1, 2, 3, 4, 5, 6]
    assert result.entries[0].prev == GENESIS
    for before, after in zip(result.entries, result.entries[1:], strict=False):
        assert after.prev == before.hash
    first = json.loads(_lines(log)[0])
    assert first["hash"] == entry_hash(first)
    assert first["action"] == "import" and first["studies"] == [UID.format(0)]
    assert first["time"].endswith("Z") and first["user"]
    assert oct(log.path.stat().st_mode & 0o777) == "0o600"


def test_an_empty_or_missing_log_is_intact(tmp_path: Path) -> None:
    result = AuditLog(tmp_path).verify()
    assert result.intact and result.entries == ()


def test_an_edited_field_is_found(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    lines = _lines(log)
    lines[2] = lines[2].replace(b"ok: 2 sent", b"ok: 9 sent")
    _write(log, lines)
    result = log.verify()
    assert not result.intact
    assert (result.first_bad_seq, result.first_bad_line) == (3, 3)
    assert "Entry 3 (line 3) was edited" in str(result.problem)


def test_a_removed_line_is_found(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    lines = _lines(log)
    del lines[2]
    _write(log, lines)
    result = log.verify()
    assert (result.first_bad_seq, result.first_bad_line) == (4, 3)
    assert "Entry 3 is missing before entry 4 (line 3): lines were removed" in \
        str(result.problem)


def test_removed_first_lines_are_found(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    _write(log, _lines(log)[2:])
    result = log.verify()
    assert (result.first_bad_seq, result.first_bad_line) == (3, 1)
    assert "Entry 1 to 2 is missing" in str(result.problem)


def test_reordered_lines_are_found(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    lines = _lines(log)
    lines[2], lines[3] = lines[3], lines[2]
    _write(log, lines)
    result = log.verify()
    assert (result.first_bad_seq, result.first_bad_line) == (4, 3)
    assert "out of order" in str(result.problem) and "reordered" in str(result.problem)


def test_a_repeated_line_is_found(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    lines = _lines(log)
    lines.insert(3, lines[2])
    _write(log, lines)
    result = log.verify()
    assert (result.first_bad_seq, result.first_bad_line) == (3, 4)
    assert "out of order" in str(result.problem)


def test_a_forged_line_with_its_own_hash_right_but_the_wrong_link_is_found(
        tmp_path: Path) -> None:
    log = _filled(tmp_path)
    lines = _lines(log)
    forged = json.loads(lines[3])
    forged["result"] = "failed: nothing sent"
    forged["prev"] = "f" * 64
    forged["hash"] = entry_hash(forged)
    lines[3] = json.dumps(forged).encode() + b"\n"
    _write(log, lines)
    result = log.verify()
    assert (result.first_bad_seq, result.first_bad_line) == (4, 4)
    assert "replaced or forged" in str(result.problem)


def test_an_entry_rewritten_with_a_recomputed_hash_breaks_the_next_link(
        tmp_path: Path) -> None:
    """Whoever edits an entry and recomputes its hash keeps its link to the one before,
    but the next entry's link names the old hash."""
    log = _filled(tmp_path)
    lines = _lines(log)
    edited = json.loads(lines[1])
    edited["destination"] = "ELSEWHERE@10.0.0.1:104"
    edited["hash"] = entry_hash(edited)
    lines[1] = json.dumps(edited).encode() + b"\n"
    _write(log, lines)
    result = log.verify()
    assert (result.first_bad_seq, result.first_bad_line) == (3, 3)
    assert "replaced or forged" in str(result.problem)


def test_a_cut_short_last_line_is_broken_and_appending_goes_on(tmp_path: Path) -> None:
    log = _filled(tmp_path, 3)
    data = log.path.read_bytes()
    log.path.write_bytes(data[:-40])  # A crash in the middle of writing entry 3.
    result = log.verify()
    assert (result.first_bad_seq, result.first_bad_line) == (3, 3)
    assert "The last line (line 3) is cut short" in str(result.problem)
    assert [e.seq for e in result.entries] == [1, 2]
    # The next entry follows the last whole one, on a line of its own; the broken line
    # stays where it is and is still reported.
    entry = log.append("delete", [UID.format(7)], "", "ok: 1 images removed")
    assert entry.seq == 3 and entry.prev == result.entries[-1].hash
    again = log.verify()
    assert again.first_bad_line == 3 and "Line 3 is not a whole audit entry" in \
        str(again.problem)
    assert [e.seq for e in again.entries] == [1, 2, 3]


def test_a_line_that_is_not_an_entry_is_found(tmp_path: Path) -> None:
    log = _filled(tmp_path, 3)
    lines = _lines(log)
    lines.insert(1, b"hello\n")
    _write(log, lines)
    result = log.verify()
    assert (result.first_bad_seq, result.first_bad_line) == (2, 2)


def test_verify_of_bytes_matches_the_file() -> None:
    assert verify(b"").intact
    assert not verify(b'{"seq": 1}\n').intact


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_log_is_one_sentence(tmp_path: Path) -> None:
    log = _filled(tmp_path, 1)
    log.path.chmod(0)
    with pytest.raises(LibraryError, match=r"The audit log .* cannot be read"):
        log.verify()


def test_a_log_that_is_a_folder_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / LOG_NAME).mkdir()
    with pytest.raises(LibraryError, match=r"The audit log .* cannot be read"):
        AuditLog(tmp_path).verify()
    with pytest.raises(OSError):
        AuditLog(tmp_path).append("view", [], "", "ok")


def test_an_unknown_action_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        AuditLog(tmp_path).append("print", [], "", "ok")


def _append_many(home: str, worker: int, count: int) -> None:
    log = AuditLog(Path(home))
    for n in range(count):
        log.append("view", [UID.format(worker * 1000 + n)], f"worker {worker}", "ok")


def test_concurrent_appends_from_several_processes_keep_the_chain(tmp_path: Path) -> None:
    workers, each = 4, 50
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_append_many, args=(str(tmp_path), w, each))
                 for w in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    result = AuditLog(tmp_path).verify()
    assert result.intact, result.problem
    assert [e.seq for e in result.entries] == list(range(1, workers * each + 1))
    studies = {e.studies[0] for e in result.entries}
    assert studies == {UID.format(w * 1000 + n) for w in range(workers) for n in range(each)}
