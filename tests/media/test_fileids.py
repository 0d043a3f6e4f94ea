"""File ID resolution: untrusted IDs stay on the medium; real-disc spellings are forgiven."""

import pytest

from app.media.fileids import FileIdResolver, loose_key
from app.media.sources import MediaEntry


def _resolver(*paths: str, outside: tuple[str, ...] = ()) -> FileIdResolver:
    entries = [MediaEntry(p, 10, i) for i, p in enumerate(paths)]
    entries += [MediaEntry(p, 0, 0, outside=True) for p in outside]
    return FileIdResolver(entries)


@pytest.mark.parametrize(
    ("on_disc", "file_id"),
    [
        ("DICOM/IM1", ("DICOM", "IM1")),
        ("dicom/im1", ("DICOM", "IM1")),  # Linux iso9660 mounts lowercase names
        ("DICOM/IM1.dcm", ("DICOM", "IM1")),  # burners add .dcm
        ("DICOM/IM1;1", ("DICOM", "IM1")),  # plain ISO 9660 version suffix
        ("DICOM/IM1.;1", ("DICOM", "IM1")),
        ("DICOM/IM1", ("DICOM", "IM1.dcm")),  # the record has the extension, the disc not
        ("DICOM/IM1", ("DICOM ", "IM1\0")),  # padding
        ("DICOM/IM1", ("DICOM/IM1",)),  # a whole path in one component
    ],
)
def test_tolerated_spellings_resolve(on_disc: str, file_id: tuple[str, ...]) -> None:
    result = _resolver(on_disc).resolve(file_id)
    assert result.status == "found"
    assert result.path == on_disc


def test_exact_match_wins_over_loose_one() -> None:
    result = _resolver("A/IM1.dcm", "A/IM1").resolve(("A", "IM1"))
    assert result.path == "A/IM1"


def test_relative_to_the_dicomdir_folder() -> None:
    result = _resolver("DISC/DICOM/IM1").resolve(("DICOM", "IM1"), base_dir="DISC")
    assert result.status == "found"
    assert result.path == "DISC/DICOM/IM1"


@pytest.mark.parametrize(
    "file_id",
    [
        ("..", "etc", "passwd"),
        ("A", "..", "..", "SECRET"),
        ("/etc/passwd",),
        ("\\\\server\\share",),
        ("C:", "WINDOWS", "X"),
        ("..\\..\\SECRET",),
    ],
)
def test_escapes_are_outside(file_id: tuple[str, ...]) -> None:
    assert _resolver("SECRET", "A/B").resolve(file_id).status == "outside"


def test_escape_from_a_nested_fileset_is_outside_even_if_on_the_medium() -> None:
    resolver = _resolver("DISC1/IM1", "DISC2/IM2")
    assert resolver.resolve(("..", "DISC2", "IM2"), base_dir="DISC1").status == "outside"


def test_dotdot_that_stays_inside_is_allowed() -> None:
    assert _resolver("A/IM1").resolve(("A", "B", "..", "IM1")).status == "found"


def test_symlink_leading_outside_is_outside() -> None:
    result = _resolver("A/IM1", outside=("A/LINK",)).resolve(("A", "LINK"))
    assert result.status == "outside"


def test_missing_and_empty() -> None:
    resolver = _resolver("A/IM1")
    assert resolver.resolve(("A", "IM2")).status == "missing"
    assert resolver.resolve(()).status == "missing"
    assert resolver.resolve(("  ",)).status == "missing"


def test_loose_key() -> None:
    assert loose_key("Dicom/IM00001.DCM;1") == loose_key("DICOM/im00001")
