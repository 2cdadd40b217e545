"""The zip's central directory, parsed straight from memory (the index of a dataset).

`zipfile` builds a `ZipInfo` object per member and parses every extra field; for 45,000
members that is most of the time it takes to open a dataset. This parser reads only what a
dataset needs and returns None for anything it does not handle itself (ZIP64, multi-disk,
inconsistent records), so the caller can let `zipfile` parse it, or explain why it cannot.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

_END = struct.Struct("<4sHHHHIIH")
_END_SIGNATURE = b"PK\x05\x06"
_ENTRY = struct.Struct("<4sHHHHHHIIIHHHHHII")
_ENTRY_SIGNATURE = b"PK\x01\x02"
_ZIP64_MARK = 0xFFFFFFFF
_MAX_COMMENT = 0xFFFF


class Member(NamedTuple):
    """One member of the zip, as its central directory describes it."""

    name: str
    size: int
    """Declared uncompressed size."""
    compressed_size: int
    crc: int
    method: int
    encrypted: bool
    header_offset: int
    is_dir: bool


def read_central_directory(data: bytes | memoryview | object) -> list[Member] | None:
    """Every member in central-directory order, or None to leave the file to `zipfile`."""
    buf = memoryview(data)  # type: ignore[arg-type]
    size = len(buf)
    tail_start = max(0, size - _END.size - _MAX_COMMENT)
    end_at = bytes(buf[tail_start:]).rfind(_END_SIGNATURE)
    if end_at < 0:
        return None
    end_at += tail_start
    if end_at + _END.size > size:
        return None
    _, disk, cd_disk, count_here, count, cd_size, cd_offset, _ = _END.unpack_from(buf, end_at)
    if (
        disk
        or cd_disk
        or count_here != count
        or count == 0xFFFF
        or _ZIP64_MARK in (cd_size, cd_offset)
    ):
        return None
    # Bytes prepended to the zip (a self-extractor) shift every offset; zipfile allows it too.
    shift = end_at - cd_size - cd_offset
    if shift < 0:
        return None
    pos = cd_offset + shift
    stop = pos + cd_size
    members: list[Member] = []
    append = members.append
    unpack = _ENTRY.unpack_from
    for _ in range(count):
        if pos + _ENTRY.size > stop:
            return None
        (
            sig,
            _,
            _,
            flags,
            method,
            _,
            _,
            crc,
            csize,
            usize,
            n_name,
            n_extra,
            n_comment,
            _,
            _,
            _,
            offset,
        ) = unpack(buf, pos)
        if sig != _ENTRY_SIGNATURE or _ZIP64_MARK in (csize, usize, offset):
            return None
        start = pos + _ENTRY.size
        raw = bytes(buf[start : start + n_name])
        try:
            name = raw.decode("utf-8" if flags & 0x800 else "cp437")
        except UnicodeDecodeError:
            return None
        append(
            Member(
                name, usize, csize, crc, method, bool(flags & 1), offset + shift, name.endswith("/")
            )
        )
        pos = start + n_name + n_extra + n_comment
    return members if pos == stop else None
