"""`Dataset`: an opened dataset zip, its cases, and on-demand, thread-safe volume reads."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from naesview_app.datasets.archive import DEFAULT_MAX_MEMBER_BYTES, ZipArchive, fingerprint
from naesview_app.datasets.listing import Case, DatasetIssue, IgnoredMember, list_dataset
from naesview_app.datasets.readers import reader_for_kind
from naesview_app.errors import DatasetError, NaesviewError, ReaderError
from naesview_app.imaging.volume import Volume


def open_dataset(
    path: str | os.PathLike[str], *, max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES
) -> Dataset:
    """Open a dataset zip and list its cases (nothing is extracted; volumes are read on demand).

    Raises DatasetError when the file is not a readable zip or holds no case.
    """
    archive = ZipArchive(path)
    try:
        listing = list_dataset(archive.members, archive.head)
        if not listing.cases:
            raise DatasetError(
                f"dataset {archive.path.name}: no cases (a case is a top-level folder with files)"
            )
    except BaseException:
        archive.close()
        raise
    return Dataset(
        archive,
        listing.cases,
        listing.ignored,
        listing.errors,
        fingerprint(archive.members, include=listing.content_members),
        max_member_bytes=max_member_bytes,
    )


class Dataset:
    """An open dataset: `cases` in natural order, `read_volume` from any thread."""

    def __init__(
        self,
        archive: ZipArchive,
        cases: list[Case],
        ignored: list[IgnoredMember],
        errors: list[DatasetIssue],
        fingerprint: str,
        *,
        max_member_bytes: int,
    ) -> None:
        self._archive = archive
        self.path: Path = archive.path
        self.cases = cases
        self.ignored = ignored
        self.errors = errors
        self.fingerprint = fingerprint
        self.max_member_bytes = max_member_bytes
        # Reads share the read-only map; the lock only keeps `close` from unmapping under them.
        self._readers = 0
        self._state = threading.Condition()
        self._closed = False

    def case(self, case_id: int) -> Case:
        if not 0 <= case_id < len(self.cases):
            raise DatasetError(
                f"dataset {self.path.name}: no case {case_id} (it has {len(self.cases)} cases, "
                f"ids 0 to {len(self.cases) - 1})"
            )
        return self.cases[case_id]

    def volume_head(self, case_id: int, volume_name: str, n: int) -> bytes:
        """The first `n` (decompressed zip) bytes of a one-file volume, e.g. a NIfTI header.

        Unverified (the CRC is checked when the volume is read); b"" when they cannot be read.
        """
        ref = self.case(case_id).volume(volume_name)
        if ref is None or len(ref.members) != 1:
            return b""
        self._enter()
        try:
            return self._archive.head(ref.members[0], n)
        finally:
            self._leave()

    def volume_bytes(self, case_id: int, volume_name: str) -> bytes:
        """The verified bytes of a one-file volume as stored in the zip (e.g. a .nii.gz).

        For writing an edited mask back onto its source file's header. Raises ReaderError.
        """
        with self.lend_volume(case_id, volume_name) as lent:
            return bytes(lent.data)

    def lend_volume(self, case_id: int, volume_name: str, *, verify: bool = True) -> LentBytes:
        """The bytes of a one-file volume as stored in the zip (e.g. a .nii.gz), without a copy
        where the zip stores it as is, lent until `release()`: closing the dataset waits for it.

        For a decoder that runs on after this call returns (a background thread). `verify=False`
        skips the zip CRC-32 pass over a stored member (the caller's format checks itself).
        Raises ReaderError naming the case and the volume.
        """
        case = self.case(case_id)
        where = f"{case.id} ({case.name})"
        ref = case.volume(volume_name)
        if ref is None or len(ref.members) != 1:
            raise ReaderError("not a one-file volume of this case", case=where, volume=volume_name)
        self._enter()
        try:
            data = self._archive.read_view(
                ref.members[0], max_bytes=self.max_member_bytes, verify=verify
            )
        except ReaderError as exc:
            self._leave()
            raise ReaderError(exc.message, case=where, volume=volume_name) from exc
        except BaseException:
            self._leave()
            raise
        return LentBytes(data, self._leave)

    def read_volume(self, case_id: int, volume_name: str) -> Volume:
        """Decode one volume; raises ReaderError naming the case and the volume."""
        case = self.case(case_id)
        where = f"{case.id} ({case.name})"
        ref = case.volume(volume_name)
        if ref is None:
            known = next((i for i in case.errors if i.volume == volume_name), None)
            if known is not None:
                raise ReaderError(known.error, case=where, volume=volume_name)
            have = ", ".join(v.name for v in case.volumes) or "no volumes"
            raise ReaderError(f"not found; this case has: {have}", case=where, volume=volume_name)
        self._enter()
        try:
            files = [
                (
                    m.name.split("/", 1)[1],
                    self._archive.read_view(m, max_bytes=self.max_member_bytes),
                )
                for m in ref.members
            ]
            volume = reader_for_kind(ref.kind).read(files, name=ref.name)
        except ReaderError as exc:
            # Same class (e.g. MissingDecoderError keeps its code), now naming case and volume.
            raise type(exc)(exc.message, case=where, volume=volume_name) from exc
        except NaesviewError as exc:
            raise ReaderError(exc.message, case=where, volume=volume_name) from exc
        except MemoryError as exc:
            raise ReaderError(
                "not enough memory to read it", case=where, volume=volume_name
            ) from exc
        except Exception as exc:  # a library error we did not foresee: still one line
            raise ReaderError(
                f"unexpected {type(exc).__name__}: {_one_line(exc)}", case=where, volume=volume_name
            ) from exc
        finally:
            self._leave()
        return volume

    def close(self) -> None:
        with self._state:
            self._closed = True
            self._state.wait_for(lambda: self._readers == 0)
            self._archive.close()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _enter(self) -> None:
        with self._state:
            if self._closed:
                raise DatasetError(f"dataset {self.path.name} is closed; open it again")
            self._readers += 1

    def _leave(self) -> None:
        with self._state:
            self._readers -= 1
            self._state.notify_all()


class LentBytes:
    """Bytes lent by a `Dataset` (`lend_volume`); `release()` once done (more calls: no-op)."""

    def __init__(self, data: bytearray | memoryview, release: Callable[[], None]) -> None:
        self.data = data
        self._release: Callable[[], None] | None = release
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            release, self._release = self._release, None
        if release is not None:
            release()

    def __enter__(self) -> LentBytes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return (lines[-1] if lines else type(exc).__name__)[:300]
