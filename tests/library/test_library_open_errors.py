"""The library's opening errors are plain sentences; a read-only library can be listed."""

import sqlite3
from pathlib import Path

import pytest

from app.core.errors import LibraryError
from app.library import library as library_module
from app.library.library import Library
from tests.media.test_hostile_media import dicom_bytes
from tests.support.cli import run_in_process


def test_a_file_in_the_way(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("not a folder")
    with pytest.raises(LibraryError) as caught:
        Library(home)
    assert "Errno" not in str(caught.value)
    assert "a file is in the way" in str(caught.value)


def test_a_damaged_index(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Library(home).close()
    (home / "library.sqlite").write_bytes(b"SQLite format 3\0" + b"\xff" * 4000)
    for suffix in ("-wal", "-shm"):
        (home / f"library.sqlite{suffix}").unlink(missing_ok=True)
    with pytest.raises(LibraryError) as caught:
        Library(home)
    assert str(caught.value) == (
        f"The library index in {home} (library.sqlite) is damaged; restore it from a "
        "backup, or move it away and import the discs again."
    )


def test_a_read_only_library_is_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (tmp_path / "a.dcm").write_bytes(dicom_bytes())
    monkeypatch.setenv("LIGHTBOX_HOME", str(home))
    assert run_in_process(capsys, "import", str(tmp_path / "a.dcm"))[0] == 0
    real_connect = sqlite3.connect

    def connect(database: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        # As on a folder the user may not write (chmod 555 as a non-root user).
        if not kwargs.get("uri"):
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return real_connect(database, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(library_module.sqlite3, "connect", connect)
    code, out, err = run_in_process(capsys, "library", "list")
    assert (code, err) == (0, "")
    assert "DOE^JOHN" in out
    code, out, err = run_in_process(capsys, "import", str(tmp_path / "a.dcm"))
    assert code == 2
    assert "is read-only for you" in err and "unexpectedly" not in err
    # Checking the stored files needs no writing: verify works and reports as usual.
    code, out, err = run_in_process(capsys, "library", "verify")
    assert (code, err) == (0, "")
    assert out == "All 1 stored images are present and unchanged.\n"
