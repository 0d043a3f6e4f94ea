"""Hostile and broken media, and a library that lost files: never hang, never blow up,
never lose an image (issue 9, the integrity slice).

Every input is written by the test: a sample disc, hand-made DICOM files with absurd header
values, a folder that cannot be listed, a ZIP whose members claim absurd sizes, a folder
whose name is not UTF-8.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.library.library import Library
from app.services.verification import VerifyReport, verify_library
from tests.library.helpers import (
    SMALL_IMAGES,
    import_report,
    index_rows,
    store_problems,
    write_small_disc,
)


@pytest.fixture(scope="module")
def small_disc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 11-image sample disc (never changed by a test)."""
    return write_small_disc(tmp_path_factory.mktemp("integrity") / "disc")


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    """A fresh library in a temporary home."""
    with Library(tmp_path / "home") as opened:
        yield opened


def _verify(library: Library) -> VerifyReport:
    *_, report = verify_library(library)
    assert isinstance(report, VerifyReport)
    return report


# -- 1: re-importing repairs the store -------------------------------------------------------


def test_reimport_restores_missing_truncated_and_rotted_copies(
    small_disc: Path, library: Library
) -> None:
    """A deleted and a truncated stored file are restored by the next import (cheap check);
    one rotted without changing size is restored once `library verify` has flagged it."""
    assert import_report(small_disc, library).imported == SMALL_IMAGES
    rows = sorted(index_rows(library.home).values())
    gone, cut, rotted = (library.home / "store" / rows[i][0] for i in (1, 4, 8))
    gone.unlink()
    cut.write_bytes(cut.read_bytes()[:-10])
    data = bytearray(rotted.read_bytes())
    data[-1] ^= 0xFF
    rotted.write_bytes(bytes(data))

    report = import_report(small_disc, library)
    assert (report.imported, report.repaired, report.already_present) == (
        0, 2, SMALL_IMAGES - 2)
    assert report.failed == () and report.all_stored
    checked = _verify(library)
    assert [p.file for p in checked.problems] == [rows[8][0]]
    assert checked.sources == (str(small_disc),)

    report = import_report(small_disc, library)
    assert (report.repaired, report.already_present) == (1, SMALL_IMAGES - 1)
    assert _verify(library).problems == ()
    assert store_problems(library.home) == []
    assert library.damaged() == set()
    # Sound again: the next import neither hashes nor repairs anything.
    assert import_report(small_disc, library).already_present == SMALL_IMAGES
