"""Tolerant readers of DICOM values: whatever a header holds, a plain value or nothing.

Values on outside media are untrusted: an IS of ``1e300``, a DS of ``nan``, bytes in an
unknown character set, an element pydicom cannot convert. Every reader here returns a
usable value or its "absent" value (``None``, ``""``) and never raises, so a bad header
never breaks a scan, an import or an index insert. Integers are limited to SQLite's
signed 64-bit range, since every one of them may end up in the library's index.
"""

import functools
import math

from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

SQLITE_INT_MIN = -(2**63)
SQLITE_INT_MAX = 2**63 - 1


def to_text(value: object) -> str:
    """A text value without DICOM padding; ``""`` for None.

    Bytes are decoded as Latin-1, which never fails: callers that know the character
    set decode before calling this.
    """
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("latin-1").strip("\0 ")
    try:
        return str(value).strip("\0 ")
    except Exception:
        return ""


def to_int(value: object) -> int | None:
    """An integer (IS, US, "3.0", b"12 "), or None when absent, not a number, not
    finite or outside SQLite's signed 64-bit range.

    A multi-valued element gives its first value.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, list | tuple):
        return to_int(value[0]) if value else None
    if isinstance(value, int):
        number = value
    else:
        text = to_text(value)
        if not text:
            return None
        try:
            number = int(text)
        except ValueError:
            real = to_number(text)
            if real is None:
                return None
            number = int(real)
    return number if SQLITE_INT_MIN <= number <= SQLITE_INT_MAX else None


# More frames than any real multi-frame image holds; a larger count is a damaged or
# hostile header (the viewer would make a slice for each one).
MAX_FRAMES = 100_000


def frame_count(value: object) -> int:
    """Number of Frames as a count to trust: 1 when absent, not a number, below 1 or
    beyond :data:`MAX_FRAMES`."""
    number = to_int(value)
    return number if number is not None and 1 <= number <= MAX_FRAMES else 1


def to_number(value: object) -> float | None:
    """A finite real number (DS, FD, "1.5e2"), or None. Multi-valued gives the first."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, list | tuple):
        return to_number(value[0]) if value else None
    try:
        number = float(value) if isinstance(value, int | float) else float(to_text(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def person_name(text: str) -> str:
    """A Person Name without the trailing empty components and groups PS3.5 6.2.1 allows.

    ``"Wang^XiaoDong=王^小東="`` and ``"Wang^XiaoDong=王^小東"``, or ``"DOE^JOHN^^^"`` and
    ``"DOE^JOHN"``, are the same name; a DICOMDIR and the image it lists often differ
    only there, and must not make two patients of one.
    """
    groups = [group.rstrip("^ ") for group in to_text(text).split("=")]
    while groups and not groups[-1]:
        groups.pop()
    return "=".join(groups)


@functools.cache
def keyword_tag(keyword: str) -> BaseTag:
    """The tag of a DICOM keyword such as ``"SeriesNumber"`` (cached)."""
    tag = tag_for_keyword(keyword)
    if tag is None:
        raise KeyError(f"{keyword} is not a DICOM keyword")
    # A ready BaseTag spares pydicom a conversion on each of ~20 look-ups per file.
    return BaseTag(tag)


def dataset_text(ds: Dataset, keyword: str) -> str:
    """The text of element ``keyword`` of ``ds``; ``""`` when absent or unreadable.

    Plain-ASCII values are read from the raw bytes: converting every element through
    pydicom's value machinery cost more than parsing the header itself, and ASCII needs
    no character set, so only other text goes through it.
    """
    try:
        # pydicom types get_item() as converted, but it returns the raw element if unread.
        elem: DataElement | RawDataElement | None = ds.get_item(keyword_tag(keyword))
        if elem is None:
            return ""
        if isinstance(elem, RawDataElement):
            raw = elem.value
            if raw is None:
                return ""
            if raw.isascii():
                return raw.decode("ascii").strip("\0 ")
            elem = ds[keyword_tag(keyword)]
        return to_text(elem.value)
    except Exception:
        return ""


def dataset_int(ds: Dataset, keyword: str) -> int | None:
    """The integer value of element ``keyword`` (IS or text), range-checked; else None."""
    return to_int(dataset_text(ds, keyword))


def dataset_ushort(ds: Dataset, keyword: str) -> int:
    """An unsigned short (US) value such as Rows; 0 when absent or unreadable."""
    try:
        elem: DataElement | RawDataElement | None = ds.get_item(keyword_tag(keyword))
        if elem is None:
            return 0
        if isinstance(elem, RawDataElement):
            raw = elem.value or b""
            if len(raw) < 2:
                return 0
            return int.from_bytes(raw[:2], "little" if elem.is_little_endian else "big")
        return to_int(elem.value) or 0
    except Exception:
        return 0


def element_value(ds: Dataset, key: str | int) -> object:
    """The converted value of an element given by keyword or tag; None when absent or when
    pydicom cannot convert it (a damaged value must not break the reader)."""
    try:
        return ds.get(key)
    except Exception:
        return None


def element_int(ds: Dataset, key: str | int, default: int) -> int:
    """The integer value of an element (IS, US, SS, text), range-checked; ``default`` when
    absent or unusable. Multi-valued elements give their first value."""
    number = to_int(element_value(ds, key))
    return default if number is None else number


def element_text(ds: Dataset, key: str | int) -> str:
    """The text of an element without padding; ``""`` when absent or unreadable."""
    return to_text(element_value(ds, key))


def dataset_numbers(ds: Dataset, keyword: str) -> list[float]:
    """A numeric element (DS, IS, US, FD...) as floats, one or many, non-finite ones
    included (callers decide); [] when absent, empty or any value is not a number."""
    try:
        value = ds.get(keyword)
    except Exception:  # a malformed element raises whatever its converter raises
        return []
    if value is None or value == "":
        return []
    many = isinstance(value, list | tuple) or (
        hasattr(value, "__iter__") and not isinstance(value, str | bytes))
    numbers = []
    for item in (value if many else [value]):
        try:
            numbers.append(float(str(item).strip("\0 ")))
        except ValueError:
            return []
    return numbers
