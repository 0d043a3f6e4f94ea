"""Moving DA and DT values by a whole number of days (Retain Longitudinal Temporal
Information with Modified Dates).

Every date of one patient moves by the same offset, so intervals between studies, series
and birth survive while the calendar dates do not. Times of day are not changed: a whole
number of days leaves them where they were. A value that is not a date (damaged headers
carry "UNKNOWN", "00000000", "2019/13/45") gives None, and the caller removes or empties it:
a value that cannot be moved must not stay as it is.
"""

import re
from datetime import date, timedelta

_DATE = re.compile(r"(\d{4})\.?(\d{2})\.?(\d{2})")  # YYYYMMDD, or ACR-NEMA's YYYY.MM.DD
_DT_DATE = re.compile(r"(\d{4})(\d{2})?(\d{2})?")


def _moved(year: int, month: int, day: int, days: int) -> date | None:
    try:
        return date(year, month, day) + timedelta(days=days)
    except (ValueError, OverflowError):
        return None


def shift_date(value: str, days: int) -> str | None:
    """A DA value (also a range "A-B", "-B", "A-") moved by ``days``; None when it is
    not a date."""
    value = value.strip("\0 ")
    if "-" in value:
        parts = value.split("-")
        if len(parts) != 2 or not any(parts):
            return None
        moved = [shift_date(part, days) if part else "" for part in parts]
        return None if None in moved else "-".join(m or "" for m in moved)
    match = _DATE.fullmatch(value)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    moved_date = _moved(year, month, day, days)
    return None if moved_date is None or moved_date.year < 1 else moved_date.strftime("%Y%m%d")


def _starts_range_end(rest: str) -> bool:
    if not rest:
        return True
    if re.fullmatch(r"\d{4}", rest) and int(rest) <= 1400:
        return False
    return re.match(r"\d{4}", rest) is not None


def shift_datetime(value: str, days: int) -> str | None:
    """A DT value (also a range) with its date part moved by ``days`` and its time of day
    and UTC offset kept; a year or year-month only value moves by the same days from its
    first day, keeping its precision. None when it is not a date-time."""
    value = value.strip("\0 ")
    # A range separates with "-", but a UTC offset ("-0500") also begins with one: the
    # range separator is followed by a year or by nothing (an offset is four digits that
    # end the value and are at most 1400, UTC-14:00), and both sides must read.
    for cut in [m.start() for m in re.finditer("-", value)
                if _starts_range_end(value[m.start() + 1:])]:
        first, second = value[:cut], value[cut + 1:]
        if not first and not second:
            return None
        moved = [_shift_one_datetime(part, days) if part else "" for part in (first, second)]
        if None not in moved:
            return "-".join(m or "" for m in moved)
    return _shift_one_datetime(value, days)


def _shift_one_datetime(value: str, days: int) -> str | None:
    match = _DT_DATE.match(value)
    if not match:
        return None
    year, month, day = match.groups()
    rest = value[match.end():]
    if rest and not re.fullmatch(r"\d{2,6}(\.\d{1,6})?([+-]\d{4})?|[+-]\d{4}", rest):
        return None
    if (month is None or day is None) and rest and not rest.startswith(("+", "-")):
        return None  # A time of day after an incomplete date is not a DT.
    moved = _moved(int(year), int(month or 1), int(day or 1), days)
    if moved is None or moved.year < 1:
        return None
    text = moved.strftime("%Y%m%d")[: 4 + (2 if month else 0) + (2 if day else 0)]
    return text + rest
