"""Write DICOMDIR bytes directly: large and hostile directories in a fraction of a second.

pydicom's ``FileSet.add`` is quadratic (FIELD-NOTES: 10,000 adds take minutes), so the
200,000-record benchmark disc and the crafted directories of the tests are written here:
Explicit VR Little Endian, records of defined length, offsets computed in one pass.
"""

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
EXPLICIT_LITTLE = "1.2.840.10008.1.2.1"


@dataclass
class Record:
    """One directory record; ``next`` and ``lower`` are indexes into the record list."""

    record_type: str
    values: dict[int, tuple[bytes, str]] = field(default_factory=dict)
    file_id: Sequence[str] = ()
    next: int | None = None
    lower: int | None = None


def _pad(value: bytes, vr: bytes) -> bytes:
    if len(value) % 2:
        value += b"\0" if vr == b"UI" else b" "
    return value


def element(tag: int, vr: bytes, value: bytes) -> bytes:
    """One Explicit VR Little Endian element (short-length VRs only)."""
    value = _pad(value, vr)
    return struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr, len(value)) + value


def _ul(tag: int, value: int) -> bytes:
    return struct.pack("<HH2sHI", tag >> 16, tag & 0xFFFF, b"UL", 4, value)


def text(value: str, vr: str = "LO") -> tuple[bytes, str]:
    """A value for ``Record.values``."""
    return value.encode("latin-1"), vr


_NEXT_VALUE = 8  # Where the two offsets' values sit in a record body.
_LOWER_VALUE = 12 + 10 + 8


def _record_body(record: Record, next_offset: int, lower_offset: int) -> bytes:
    parts = [
        _ul(0x00041400, next_offset),
        element(0x00041410, b"US", struct.pack("<H", 0xFFFF)),
        _ul(0x00041420, lower_offset),
        element(0x00041430, b"CS", record.record_type.encode()),
    ]
    values = dict(record.values)
    if record.file_id:
        values[0x00041500] = ("\\".join(record.file_id).encode(), "CS")
    for tag, (value, vr) in sorted(values.items()):
        parts.append(element(tag, vr.encode(), value))
    return b"".join(parts)


def meta_bytes(sop_class: str, transfer_syntax: str = EXPLICIT_LITTLE) -> bytes:
    """Preamble, DICM and File Meta Information for ``sop_class`` in ``transfer_syntax``."""
    body = b"".join(
        [
            struct.pack("<HH2sHI", 0x0002, 0x0001, b"OB", 0, 2) + b"\0\1",
            element(0x00020002, b"UI", sop_class.encode()),
            element(0x00020003, b"UI", b"1.2.3.4.5"),
            element(0x00020010, b"UI", transfer_syntax.encode()),
        ]
    )
    return b"\0" * 128 + b"DICM" + _ul(0x00020000, len(body)) + body


def dicomdir_bytes(records: Sequence[Record], root: int | None = 0) -> bytes:
    """A whole DICOMDIR holding ``records``; ``root`` is the index of the first root."""
    head = meta_bytes(MEDIA_STORAGE_DIRECTORY)
    top = element(0x00041130, b"CS", b"LIGHTBOX")
    # First/last root offsets, consistency flag, then the sequence of undefined length.
    fixed = len(head) + len(top) + 12 + 12 + 10 + 12
    # Offsets are fixed-size values: write every item once, then patch them in place.
    items = bytearray()
    offsets = []
    for record in records:
        body = _record_body(record, 0, 0)
        offsets.append(fixed + len(items))
        items += struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body
    for record, offset in zip(records, offsets, strict=True):
        start = offset - fixed + 8
        if record.next is not None:
            struct.pack_into("<I", items, start + _NEXT_VALUE, offsets[record.next])
        if record.lower is not None:
            struct.pack_into("<I", items, start + _LOWER_VALUE, offsets[record.lower])
    parts = [
        head,
        top,
        _ul(0x00041200, offsets[root] if records and root is not None else 0),
        _ul(0x00041202, 0),
        element(0x00041212, b"US", b"\0\0"),
        struct.pack("<HH2sHI", 0x0004, 0x1220, b"SQ", 0, 0xFFFFFFFF),
    ]
    data = b"".join(parts)
    assert len(data) == fixed, (len(data), fixed)
    return data + bytes(items) + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)


def flat_images(count: int, folder: str = "IMG") -> list[Record]:
    """One patient, study and series, then ``count`` IMAGE records in one chain."""
    patient = Record(
        "PATIENT",
        {0x00100010: text("BENCH^FLAT", "PN"), 0x00100020: text("FLAT")},
        lower=1,
    )
    study = Record(
        "STUDY",
        {
            0x0020000D: text("1.2.826.0.1.3680043.2.1125.1", "UI"),
            0x00080020: text("20240101", "DA"),
        },
        lower=2,
    )
    series = Record(
        "SERIES",
        {0x0020000E: text("1.2.826.0.1.3680043.2.1125.2", "UI"), 0x00080060: text("CT", "CS")},
        lower=3 if count else None,
    )
    images = [
        Record(
            "IMAGE",
            {
                0x00041510: text(CT_IMAGE_STORAGE, "UI"),
                0x00041511: text(f"1.2.826.0.1.3680043.2.1125.3.{i + 1}", "UI"),
                0x00041512: text(EXPLICIT_LITTLE, "UI"),
                0x00200013: text(str(i + 1), "IS"),
            },
            file_id=(folder, f"F{i // 1000:03d}", f"I{i % 1000:04d}"),
            next=4 + i if i + 1 < count else None,
        )
        for i in range(count)
    ]
    return [patient, study, series, *images]
