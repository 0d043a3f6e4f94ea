"""Inflate deflated DICOM data with a bound: a few MB on a disc must not become gigabytes.

Deflated Explicit VR Little Endian (1.2.840.10008.1.2.1.99) compresses well enough that a
2 MB file can claim gigabytes once inflated; ``zlib.decompress`` would allocate all of it.
Here the output is produced in chunks and refused as soon as it passes the limit.
"""

import struct
import zlib
from typing import IO

DEFLATED = "1.2.840.10008.1.2.1.99"
# The deflated files seen on real discs are reports and small images of a few MB; 256 MB
# inflated is far above them and, with the copies a parser makes, stays well under 1 GB.
MAX_INFLATED_BYTES = 256 * 1024 * 1024
_CHUNK = 1024 * 1024
_LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT"})


class InflateLimitError(ValueError):
    """The deflated data would inflate past the limit."""


def _inflate_chunks(data: bytes | IO[bytes], limit: int, keep: bool) -> tuple[list[bytes], int]:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    chunks: list[bytes] = []
    total = 0
    pending = b""
    source = None if isinstance(data, bytes) else data
    remaining = data if isinstance(data, bytes) else b""
    while True:
        if not pending:
            if source is not None:
                pending = source.read(_CHUNK)
            else:
                pending, remaining = remaining[:_CHUNK], remaining[_CHUNK:]
            if not pending:
                break
        out = inflater.decompress(pending, _CHUNK)
        pending = inflater.unconsumed_tail
        total += len(out)
        if total > limit:
            raise InflateLimitError(f"the data inflates to more than {limit:,} bytes")
        if keep:
            chunks.append(out)
        if inflater.eof:
            break
    tail = inflater.flush()
    total += len(tail)
    if total > limit:
        raise InflateLimitError(f"the data inflates to more than {limit:,} bytes")
    if keep:
        chunks.append(tail)
    return chunks, total


def inflate(data: bytes, limit: int | None = None) -> bytes:
    """Raw-deflated ``data`` inflated; InflateLimitError past ``limit`` bytes (default
    MAX_INFLATED_BYTES), zlib.error when the data is not deflate."""
    chunks, _ = _inflate_chunks(data, MAX_INFLATED_BYTES if limit is None else limit, keep=True)
    return b"".join(chunks)


def inflated_size(stream: IO[bytes], limit: int | None = None) -> int:
    """Bytes the raw-deflated data from the stream's position inflates to, without keeping
    them; InflateLimitError past ``limit`` (default MAX_INFLATED_BYTES), zlib.error when
    it is not deflate."""
    return _inflate_chunks(stream, MAX_INFLATED_BYTES if limit is None else limit, keep=False)[1]


def deflated_dataset_start(stream: IO[bytes]) -> int | None:
    """Where the deflated dataset of a Part 10 file starts, or None when the file is not
    deflated (or has no file meta information). Leaves the stream at that position."""
    stream.seek(0)
    prefix = stream.read(132)
    if len(prefix) < 132 or prefix[128:132] != b"DICM":
        return None
    position, syntax = 132, ""
    while True:
        head = stream.read(8)
        if len(head) < 8 or head[:2] != b"\x02\x00":
            break
        (element,) = struct.unpack_from("<H", head, 2)
        vr = head[4:6]
        if vr in _LONG_VRS:
            more = stream.read(4)
            if len(more) < 4:
                break
            (length,) = struct.unpack("<I", more)
            header = 12
        else:
            (length,) = struct.unpack_from("<H", head, 6)
            header = 8
        value = stream.read(length) if length < 1024 else b""
        if length >= 1024:
            stream.seek(length, 1)
        if element == 0x0010:
            syntax = value.decode("ascii", "replace").strip("\0 ")
        position += header + length
    if syntax != DEFLATED:
        return None
    stream.seek(position)
    return position
