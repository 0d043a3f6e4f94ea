"""Hostile DICOMDIRs: huge, self-referencing, nesting sparse giants, or deflate bombs.

Each must be read in bounded time and memory, and every limit that stops the reading is
reported as a problem rather than silently cutting the disc short.
"""

import time
import zlib
from pathlib import Path

import pytest

from app.media import dicomdir
from app.media.dicomdir import DirectoryParseError, iter_references, parse_directory
from app.media.directories import MAX_NESTED_DIRECTORY_BYTES, plan_medium
from app.media.sources import open_medium
from bench.dicomdir_bytes import (
    MEDIA_STORAGE_DIRECTORY,
    Record,
    dicomdir_bytes,
    flat_images,
    meta_bytes,
    text,
)


def _image(number: int, **links: int | None) -> Record:
    return Record(
        "IMAGE",
        {0x00041511: text(f"1.2.3.{number}", "UI")},
        file_id=("IMG", f"I{number}"),
        **links,  # type: ignore[arg-type]
    )


def _root_chain_seconds(count: int) -> float:
    """Parse and walk a DICOMDIR whose ``count`` image records are all roots (the best of
    two runs, to keep other jobs on the machine out of the figure)."""
    records = [_image(i, next=i + 1 if i + 1 < count else None) for i in range(count)]
    data = dicomdir_bytes(records)
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        directory = parse_directory(data)
        refs = sum(1 for _ in iter_references(directory.roots))
        best = min(best, time.perf_counter() - start)
        assert refs == count
        assert len(directory.roots) == count
    return best


def test_images_in_the_root_chain_link_in_linear_time() -> None:
    # Every record a root: the old linking compared each with every other one. Four times
    # the records must take about four times as long (a quadratic linking: sixteen); a
    # ratio, not a time, so a busy machine does not fail it.
    small, large = _root_chain_seconds(25_000), _root_chain_seconds(100_000)
    assert large / small < 9, f"{small:.2f} s for 25k, {large:.2f} s for 100k"


def test_20k_record_flat_series() -> None:
    data = dicomdir_bytes(flat_images(20_000))
    start = time.perf_counter()
    directory = parse_directory(data)
    refs = list(iter_references(directory.roots))
    elapsed = time.perf_counter() - start
    assert len(refs) == 20_000
    assert refs[-1].context["series_instance_uid"] == "1.2.826.0.1.3680043.2.1125.2"
    assert not directory.warnings
    assert elapsed < 3, f"{elapsed:.1f} s"


def test_30k_records_pointing_at_one_lower_level() -> None:
    parents, images = 30_000, 30_000
    records = [
        Record(
            "SERIES",
            {0x0020000E: text(f"1.2.9.{i}", "UI")},
            next=i + 1 if i + 1 < parents else None,
            lower=parents,
        )
        for i in range(parents)
    ]
    records += [
        _image(i, next=parents + i + 1 if i + 1 < images else None) for i in range(images)
    ]
    data = dicomdir_bytes(records)
    start = time.perf_counter()
    directory = parse_directory(data)
    refs = list(iter_references(directory.roots))
    elapsed = time.perf_counter() - start
    # The first parent gets the chain; no image is listed twice or lost.
    assert len(refs) == images
    assert {r.context["series_instance_uid"] for r in refs} == {"1.2.9.0"}
    assert elapsed < 5, f"{elapsed:.1f} s"


def test_record_limit_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dicomdir, "MAX_RECORDS", 1_000)
    directory = parse_directory(dicomdir_bytes(flat_images(5_000)))
    assert directory.record_count == 1_000
    assert "more than 1,000" in directory.truncated
    assert directory.truncated.count(".") >= 1


def test_zeros_are_refused_quickly() -> None:
    start = time.perf_counter()
    with pytest.raises(DirectoryParseError):
        parse_directory(bytes(32 * 1024 * 1024))
    assert time.perf_counter() - start < 2


def test_deflate_bomb_directory_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dicomdir, "MAX_DIRECTORY_BYTES", 8 * 1024 * 1024)
    meta = meta_bytes(MEDIA_STORAGE_DIRECTORY, "1.2.840.10008.1.2.1.99")
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    chunk = bytes(16 * 1024 * 1024)
    bomb = b"".join(deflater.compress(chunk) for _ in range(2)) + deflater.flush()
    assert len(bomb) < 64 * 1024
    with pytest.raises(DirectoryParseError, match="inflate to more than"):
        parse_directory(meta + bomb)


def test_huge_nested_dirfiles_stop_at_the_byte_budget(tmp_path: Path) -> None:
    # Patient records whose File IDs name huge sparse files, read as nested DIRFILEs.
    patients = 6
    records = [
        Record(
            "PATIENT",
            {0x00100020: text(f"P{i}")},
            file_id=("DIR", f"D{i}"),
            next=i + 1 if i + 1 < patients else None,
        )
        for i in range(patients)
    ]
    (tmp_path / "DICOMDIR").write_bytes(dicomdir_bytes(records))
    (tmp_path / "DIR").mkdir()
    size = 40 * 1024 * 1024
    for i in range(patients):
        with open(tmp_path / "DIR" / f"D{i}", "wb") as sparse:
            sparse.truncate(size)
    medium = open_medium(tmp_path)
    try:
        start = time.perf_counter()
        plan = plan_medium(medium)
        elapsed = time.perf_counter() - start
    finally:
        medium.source.close()
    skipped = [p for p in plan.directories.problems if "64 MB" in p.detail]
    read = patients - len(skipped)
    assert read * size <= MAX_NESTED_DIRECTORY_BYTES < (read + 1) * size
    assert len(skipped) == patients - read
    # Every file is still on the list of files to read: nothing is lost.
    assert {e.path for e in plan.files} >= {f"DIR/D{i}" for i in range(patients)}
    assert elapsed < 5, f"{elapsed:.1f} s"
