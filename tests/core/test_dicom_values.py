"""The tolerant value readers: every odd header value becomes a value or its absence."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.dataset import Dataset

from app.core.dicom_values import (
    SQLITE_INT_MAX,
    SQLITE_INT_MIN,
    dataset_int,
    dataset_text,
    person_name,
    to_int,
    to_number,
    to_text,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12), (" 7 ", 7), ("3.0", 3), ("-4.9", -4), (b"15 \0", 15), (5, 5),
        (["2", "3"], 2), ("", None), (None, None), ("abc", None), ("1\\2", None),
        ("1e300", None), ("nan", None), ("inf", None), ("-inf", None), (True, None),
        (str(SQLITE_INT_MAX), SQLITE_INT_MAX), (str(SQLITE_INT_MIN), SQLITE_INT_MIN),
        (str(SQLITE_INT_MAX + 1), None), (str(SQLITE_INT_MIN - 1), None), ("9" * 5000, None),
        ([], None),
    ],
)
def test_to_int(value: object, expected: int | None) -> None:
    assert to_int(value) == expected


@given(st.one_of(st.text(), st.binary(), st.integers(), st.floats(), st.none()))
def test_to_int_never_raises_and_fits_sqlite(value: object) -> None:
    number = to_int(value)
    assert number is None or SQLITE_INT_MIN <= number <= SQLITE_INT_MAX


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.5", 1.5), ("1e2", 100.0), (b"2 ", 2.0), ("nan", None), ("1e999", None), ("x", None),
     (None, None), ([], None), (["0.5", "2"], 0.5)],
)
def test_to_number(value: object, expected: float | None) -> None:
    result = to_number(value)
    assert result == expected
    assert result is None or math.isfinite(result)


def test_to_text() -> None:
    assert to_text(None) == ""
    assert to_text(b"CT\0") == "CT"
    assert to_text(b"\xe9t\xe9 ") == "été"
    assert to_text(" ABC ") == "ABC"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Wang^XiaoDong=王^小東=", "Wang^XiaoDong=王^小東"), ("DOE^JOHN^^^", "DOE^JOHN"),
     ("=^=", ""), ("", ""), ("Yamada^Tarou=山田^太郎", "Yamada^Tarou=山田^太郎")],
)
def test_person_name_drops_trailing_empty_parts(name: str, expected: str) -> None:
    assert person_name(name) == expected


def test_dataset_readers() -> None:
    ds = Dataset()
    ds.SeriesNumber = "1e300"
    ds.InstanceNumber = "12"
    ds.SeriesDescription = "Head "
    assert dataset_int(ds, "SeriesNumber") is None
    assert dataset_int(ds, "InstanceNumber") == 12
    assert dataset_int(ds, "AcquisitionNumber") is None
    assert dataset_text(ds, "SeriesDescription") == "Head"
    assert dataset_text(ds, "Modality") == ""
