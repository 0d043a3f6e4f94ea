"""The forgiving DICOMDIR reader: agrees with pydicom's FileSet where FileSet loads,
keeps going where it does not, and survives any bytes without crashing or hanging."""

import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.fileset import FileSet

from app.media.dicomdir import DirectoryParseError, iter_references, parse_directory
from tests.conftest import CORPUS

FILESET_LOADS = [
    "discs/clunie_charset/DICOMDIR",
    "discs/pydicom_dicomdirtests/DICOMDIR",
    "discs/pydicom_dicomdirtests/DICOMDIR-bigEnd",
    "discs/pydicom_dicomdirtests/DICOMDIR-implicit",
    "discs/pydicom_dicomdirtests/DICOMDIR-nooffset",
    "discs/pydicom_dicomdirtests/DICOMDIR-reordered",
    "discs/pydicom_tiny_alpha/DICOMDIR",
]


def _file_id(value: object) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", FILESET_LOADS)
def test_agrees_with_fileset(corpus: Path, name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fileset = FileSet(corpus / name)
    expected = {
        _file_id(inst.ReferencedFileID): (
            inst.SOPInstanceUID,
            inst.StudyInstanceUID,
            inst.SeriesInstanceUID,
            str(inst.PatientID),
        )
        for inst in fileset
    }
    directory = parse_directory((corpus / name).read_bytes())
    ours = {
        ref.file_id: (
            ref.context["ref_sop_instance_uid"],
            ref.context["study_instance_uid"],
            ref.context["series_instance_uid"],
            ref.context["patient_id"],
        )
        for ref in iter_references(directory.roots)
    }
    assert ours == expected


def test_invalid_record_type_still_nests_by_offsets(corpus: Path) -> None:
    data = (corpus / "discs/pydicom_dicomdirtests/DICOMDIR-nopatient").read_bytes()
    good = (corpus / "discs/pydicom_dicomdirtests/DICOMDIR").read_bytes()
    ours = {r.file_id: r.context for r in iter_references(parse_directory(data).roots)}
    reference = {r.file_id: r.context for r in iter_references(parse_directory(good).roots)}
    assert ours == reference


def test_records_without_offsets_nest_by_position(corpus: Path) -> None:
    directory = parse_directory((corpus / "discs/philips_ct_dirfile_trimmed/DICOMDIR").read_bytes())
    assert not directory.linked_by_offsets
    refs = list(iter_references(directory.roots))
    assert [r.is_directory for r in refs] == [True, True]
    assert refs[0].context["patient_id"] == "PLASTIC"


def test_damaged_tail_keeps_the_records_before_it(corpus: Path) -> None:
    data = (corpus / "discs/pydicom_tiny_alpha/DICOMDIR").read_bytes()
    directory = parse_directory(data[: len(data) * 2 // 3])
    refs = list(iter_references(directory.roots))
    assert 10 < len(refs) < 50
    assert any("cut off" in w for w in directory.warnings)


@pytest.mark.parametrize("data", [b"", b"\x00" * 200, b"DICM" * 100, b"\xff" * 1000])
def test_garbage_is_a_parse_error(data: bytes) -> None:
    with pytest.raises(DirectoryParseError):
        parse_directory(data)


SAMPLE = (CORPUS / "discs/pydicom_tiny_alpha/DICOMDIR")


@given(
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=12),
    st.integers(min_value=0),
)
def test_mutated_bytes_never_crash(mutations: list[tuple[int, int]], cut: int) -> None:
    if not SAMPLE.is_file():
        pytest.skip("corpus missing")
    data = bytearray(SAMPLE.read_bytes())
    for position, value in mutations:
        data[position % len(data)] = value
    data = data[: len(data) - cut % 200]
    try:
        directory = parse_directory(bytes(data))
    except DirectoryParseError:
        return
    for ref in iter_references(directory.roots):
        assert isinstance(ref.file_id, tuple)
