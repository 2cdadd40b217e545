"""Read-only, in-memory access to a dataset zip: central directory, members, fingerprint.

Nothing is ever extracted to disk. The file is memory-mapped; the central directory is parsed
once (`central_directory.py`, with `zipfile` for ZIP64 and damaged files); a member is located
through its local header and inflated from the map, after checking what it declares
(encryption, size limit, DEFLATE's maximum ratio), with the output capped at the declared size
and its CRC-32 verified.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import struct
import zipfile
import zlib
from pathlib import Path

import deflate

from naesview_app.datasets.central_directory import Member, read_central_directory
from naesview_app.datasets.gunzip import crc32
from naesview_app.errors import DatasetError, ReaderError

GiB = 1024**3
DEFAULT_MAX_MEMBER_BYTES = 4 * GiB

# DEFLATE cannot expand data by more than about 1032:1 (258 bytes per 2-bit code); a member
# that declares more is damaged or a zip bomb, whatever its declared size.
MAX_DEFLATE_RATIO = 1032
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
FINGERPRINT_TAG = b"naesview-fingerprint/1\n"


class ZipArchive:
    """A memory-mapped zip whose members can be read from several threads at once."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        label = self.path.name
        try:
            with open(self.path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                if size == 0:
                    raise DatasetError(f"dataset {label}: empty file, not a readable zip")
                self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError as exc:
            raise DatasetError(f"dataset {label}: cannot open ({exc.strerror or exc})") from exc
        fast = read_central_directory(self._map)
        self.members: list[Member] = fast if fast is not None else self._members_by_zipfile(label)

    def _members_by_zipfile(self, label: str) -> list[Member]:
        """The standard library's parser: ZIP64 and unusual archives, and its error messages."""
        try:
            with zipfile.ZipFile(_MapReader(self._map)) as zf:
                infos = zf.infolist()
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            NotImplementedError,  # "zip file version 22.6": a damaged central directory
            ValueError,
            OSError,
            EOFError,
            UnicodeDecodeError,
        ) as exc:
            self._map.close()
            raise DatasetError(
                f"dataset {label}: not a readable zip ({exc}); is the file complete?"
            ) from exc
        return [
            Member(
                name=i.filename,
                size=i.file_size,
                compressed_size=i.compress_size,
                crc=i.CRC,
                method=i.compress_type,
                encrypted=bool(i.flag_bits & 0x1),
                header_offset=i.header_offset,
                is_dir=i.is_dir(),
            )
            for i in infos
        ]

    def close(self) -> None:
        # A caller may still hold a view of a stored member (an exception's traceback can);
        # then the map is unmapped when the last view goes.
        with contextlib.suppress(BufferError):
            self._map.close()

    def head(self, member: Member, n: int) -> bytes:
        """The first `n` bytes of a member, or b"" when they cannot be read (sniffing only)."""
        if member.encrypted or member.size == 0:
            return b""
        try:
            raw = self._raw(member)
            if member.method == zipfile.ZIP_STORED:
                return bytes(raw[:n])
            if member.method == zipfile.ZIP_DEFLATED:
                inflater = zlib.decompressobj(-15)
                return inflater.decompress(raw[: min(len(raw), 64 * 1024)], n)
        except (ReaderError, zlib.error, ValueError):
            return b""
        return b""

    def read(self, member: Member, *, max_bytes: int = DEFAULT_MAX_MEMBER_BYTES) -> bytearray:
        """The whole member as a new bytearray, checked before inflating, verified after."""
        data = self.read_view(member, max_bytes=max_bytes)
        return data if isinstance(data, bytearray) else bytearray(data)

    def read_view(
        self, member: Member, *, max_bytes: int = DEFAULT_MAX_MEMBER_BYTES, verify: bool = True
    ) -> bytearray | memoryview:
        """Like `read`, but a stored member comes back as a read-only view of the map.

        No copy: a .nii.gz is usually stored, and copying 70 MB costs more than checking it.
        `verify=False` skips the CRC-32 pass over a stored member, for a caller whose format
        checks itself as it decodes (gzip has its own CRC-32 and length per member).
        Release the view before `close` (else the map lingers until it is released).
        """
        check_member_declaration(member, max_bytes=max_bytes)
        raw = self._raw(member)
        data: bytearray | memoryview
        if member.method == zipfile.ZIP_STORED:
            if not verify:
                return raw
            data = raw
        else:
            try:
                # libdeflate writes into a buffer of the declared size and fails if the stream
                # needs more: the declared (already checked) size is the cap.
                data = deflate.deflate_decompress(raw, member.size) if member.size else bytearray()
            except deflate.DeflateError as exc:
                raise ReaderError(
                    f"member {member.name!r} is damaged (DEFLATE stream invalid or longer than "
                    f"declared); re-create the zip"
                ) from exc
        if len(data) != member.size:
            raise ReaderError(
                f"member {member.name!r} holds {len(data)} bytes but declares {member.size}; "
                f"re-create the zip"
            )
        if crc32(data) != member.crc:
            raise ReaderError(
                f"member {member.name!r} is damaged (CRC-32 mismatch); copy the dataset again"
            )
        return data

    def _raw(self, member: Member) -> memoryview:
        """The member's stored (compressed) bytes, as a view of the map."""
        start = member.header_offset
        end_header = start + _LOCAL_HEADER.size
        if start < 0 or end_header > len(self._map):
            raise ReaderError(
                f"member {member.name!r}: local header outside the file; re-create the zip"
            )
        fields = _LOCAL_HEADER.unpack_from(self._map, start)
        if fields[0] != _LOCAL_SIGNATURE:
            raise ReaderError(f"member {member.name!r}: bad local header; re-create the zip")
        data_start = end_header + fields[9] + fields[10]
        data_end = data_start + member.compressed_size
        if data_end > len(self._map):
            raise ReaderError(f"member {member.name!r} runs past the end of the file (truncated?)")
        return memoryview(self._map)[data_start:data_end]


def check_member_declaration(member: Member, *, max_bytes: int) -> None:
    """Refuse, before any allocation, what a member declares that we will not inflate."""
    if member.encrypted:
        raise ReaderError(
            f"member {member.name!r} is encrypted (password-protected zip), not supported; "
            f"re-create the zip without a password"
        )
    if member.method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        method = {12: "bzip2", 14: "LZMA", 93: "Zstandard"}.get(member.method, str(member.method))
        raise ReaderError(
            f"member {member.name!r} uses compression {method}, not supported; "
            f"re-create the zip with DEFLATE or no compression"
        )
    if member.size > max_bytes:
        raise ReaderError(
            f"member {member.name!r} declares {member.size:,} bytes uncompressed, over the "
            f"{max_bytes:,} byte limit"
        )
    if member.method == zipfile.ZIP_STORED and member.size != member.compressed_size:
        raise ReaderError(
            f"member {member.name!r} is stored uncompressed but declares {member.size:,} bytes "
            f"for {member.compressed_size:,} stored: damaged or a zip bomb"
        )
    if member.size > member.compressed_size * MAX_DEFLATE_RATIO + 1024:
        raise ReaderError(
            f"member {member.name!r} declares {member.size:,} bytes from "
            f"{member.compressed_size:,} compressed, more than DEFLATE can produce: "
            f"damaged or a zip bomb"
        )


def fingerprint(members: list[Member], *, include: set[str] | None = None) -> str:
    """sha256 over the sorted (path, uncompressed size, CRC-32) of the file members.

    Serialisation (docs/datasets.md): the tag ``naesview-fingerprint/1\\n``, then for each
    member sorted by its UTF-8 path bytes: u32 LE path length, the UTF-8 path, u64 LE size,
    u32 LE CRC-32. Directory entries are left out (packing tools differ in writing them); when
    `include` is given only those names count.
    """
    entries = sorted(
        (m.name.encode("utf-8", "surrogatepass"), m.size, m.crc)
        for m in members
        if not m.is_dir and (include is None or m.name in include)
    )
    pack = struct.Struct("<QI").pack
    blob = [FINGERPRINT_TAG]
    for name, size, crc in entries:
        blob += (len(name).to_bytes(4, "little"), name, pack(size, crc))
    return hashlib.sha256(b"".join(blob)).hexdigest()


class _MapReader:
    """A seekable file over an mmap, so `zipfile` parses the central directory from memory."""

    def __init__(self, data: mmap.mmap) -> None:
        self._data = data
        self._pos = 0

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: len(self._data)}[whence]
        new = base + offset
        if new < 0:
            raise OSError("seek before the start of the file")
        self._pos = new
        return new

    def read(self, n: int = -1) -> bytes:
        end = len(self._data) if n is None or n < 0 else min(len(self._data), self._pos + n)
        chunk = self._data[self._pos : end]
        self._pos = max(self._pos, end)
        return chunk

    def close(self) -> None:
        """The map outlives the ZipFile; `ZipArchive.close` releases it."""
