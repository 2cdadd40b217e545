"""Dataset reads (issue 3): T1, T2, T5-zip, T7, T11, T12, each against a floor of the same run.

Every timed value opens the dataset zip (`open_dataset`) and reads through the app's own path
(`Dataset.read_volume`); every floor does the least work that gives the same voxels:

- gunzip floor of a `.nii.gz` member: read its stored bytes with one `f.read` at the known offset,
  then the fastest of libdeflate (`deflate`), ISA-L, zlib-ng and zlib on them (min over the four,
  each the best of several runs).
- DICOM floor: `zipfile` reads every member, `pydicom.dcmread(...).pixel_array` for each.
- T7 and T11 have absolute targets (1 ms, 0.5 s): the target is the floor and the bound is 1;
  the measured floor (gunzip, `infolist`) is given for information.
- T12: peak of Python-tracked allocations (`tracemalloc`, numpy included) while a fresh process
  opens the dataset and reads the large volume, against the raw array bytes. The zip itself is
  memory-mapped (page cache, not counted); the anonymous and mapped RSS rises are given too.

The app inflates straight from the memory-mapped zip while the gunzip floor first copies the
member out with `f.read` (~65 MB), so T1 and T2 can come out slightly below 1.

Data is generated deterministically under `benchmarks/data/` and kept between runs.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Callable
from functools import partial
from io import BytesIO
from pathlib import Path

import deflate
import pydicom

from benchmarks.common import DATA, Figure, best_of, figure
from benchmarks.gen_dicom import write_dicom_dataset
from naesview_app.datasets import open_dataset
from naesview_app.datasets.synthetic import write_ct_dataset, write_tiny_cases

LARGE_SHAPE = (300, 512, 512)
LARGE = DATA / "t3_ct_300x512x512.zip"  # same file (same arguments) as load_bench's T3
LARGE_RAS = DATA / "ct_ras_300x512x512.zip"  # stored RAS: the reader has to reorient
TINY = DATA / "tiny_15000x32.zip"
DICOM = DATA / "dicom_300x512x512.zip"
TINY_CASES = 15_000
SUBPROCESS_TIMEOUT = 300


def _inflaters() -> dict[str, Callable[[bytes, int], object]]:
    found: dict[str, Callable[[bytes, int], object]] = {
        "libdeflate": lambda data, size: deflate.gzip_decompress(data, size),
        "zlib": lambda data, size: zlib.decompress(data, 31),
    }
    try:
        from isal import isal_zlib

        found["isal"] = lambda data, size: isal_zlib.decompress(data, wbits=31)
    except ImportError:  # optional: the floor is the fastest of what is installed
        pass
    try:
        from zlib_ng import zlib_ng

        found["zlib-ng"] = lambda data, size: zlib_ng.decompress(data, wbits=31)
    except ImportError:
        pass
    return found


INFLATERS = _inflaters()


def ensure_data() -> None:
    if not LARGE.is_file():
        write_ct_dataset(LARGE, cases=1, shape=LARGE_SHAPE)
    if not LARGE_RAS.is_file():
        write_ct_dataset(LARGE_RAS, cases=1, shape=LARGE_SHAPE, layout="RAS")
    if not TINY.is_file():
        write_tiny_cases(TINY, cases=TINY_CASES)
    if not DICOM.is_file():
        write_dicom_dataset(DICOM, shape=LARGE_SHAPE)


def run() -> list[Figure]:
    ensure_data()
    return [*_large_nifti(), _dicom(), *_tiny(), _peak_memory()]


def _large_nifti() -> list[Figure]:
    image, image_by = _gunzip_floor(LARGE, "case1/image.nii.gz")
    mask, mask_by = _gunzip_floor(LARGE, "case1/mask.nii.gz")

    def read(*names: str) -> None:
        with open_dataset(LARGE) as ds:
            for name in names:
                ds.read_volume(0, name)

    t1 = best_of(lambda: read("image.nii.gz"))
    t2 = best_of(lambda: read("image.nii.gz", "mask.nii.gz"))
    ras, ras_by = _gunzip_floor(LARGE_RAS, "case1/image.nii.gz")

    def read_ras() -> None:
        with open_dataset(LARGE_RAS) as ds:
            ds.read_volume(0, "image.nii.gz")

    t1_ras = best_of(read_ras)
    return [
        figure(
            "T1",
            f"300x512x512 int16 .nii.gz in a zip: open_dataset+read_volume / gunzip ({image_by})",
            t1,
            image,
            1.2,
            "s",
        ),
        figure(
            "T2",
            f"image+mask of that case / sum of their gunzips ({image_by}, {mask_by})",
            t2,
            image + mask,
            1.5,
            "s",
        ),
        figure(
            "T1-ras",
            f"the same CT stored RAS (reoriented to LPS on read) / gunzip ({ras_by})",
            t1_ras,
            ras,
            1.2,
            "s",
        ),
    ]


def _gunzip_floor(path: Path, member: str, *, repeat: int = 5) -> tuple[float, str]:
    """Seconds to read a stored member's bytes and inflate them with the fastest inflater."""
    offset, length, size = _stored_member(path, member)

    def once(inflate: Callable[[bytes, int], object]) -> None:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read(length)
        inflate(data, size)

    times = {name: best_of(partial(once, fn), repeat=repeat) for name, fn in INFLATERS.items()}
    fastest = min(times, key=times.__getitem__)
    return times[fastest], fastest


def _stored_member(path: Path, member: str) -> tuple[int, int, int]:
    """(offset of the data, stored length, uncompressed size from the gzip trailer)."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
        if info.compress_type != zipfile.ZIP_STORED:
            raise SystemExit(f"{path.name}: {member} is not stored; regenerate benchmarks/data")
        with open(path, "rb") as fh:
            fh.seek(info.header_offset + 26)
            name_len, extra_len = (
                int.from_bytes(fh.read(2), "little"),
                int.from_bytes(fh.read(2), "little"),
            )
            offset = info.header_offset + 30 + name_len + extra_len
            fh.seek(offset + info.compress_size - 4)
            size = int.from_bytes(fh.read(4), "little")
    return offset, info.compress_size, size


def _dicom() -> Figure:
    def read() -> None:
        with open_dataset(DICOM) as ds:
            ds.read_volume(0, "ct")

    def floor() -> None:
        with zipfile.ZipFile(DICOM) as zf:
            for info in zf.infolist():
                _ = pydicom.dcmread(BytesIO(zf.read(info))).pixel_array

    value, base = best_of(read, repeat=3), best_of(floor, repeat=3)
    return figure(
        "T5-zip",
        "300x512x512 DICOM series in a zip: open+read_volume / zip read+dcmread+pixel_array",
        value,
        base,
        2.0,
        "s",
    )


def _tiny() -> list[Figure]:
    with open_dataset(TINY) as ds:
        if len(ds.cases) != TINY_CASES:
            raise SystemExit(f"{TINY.name}: {len(ds.cases)} cases, expected {TINY_CASES}")
        for _ in range(50):  # warm up
            ds.read_volume(1, "ct.nii.gz")
        times = []
        for i in range(400):
            t0 = time.perf_counter()
            ds.read_volume(i % 64, "ct.nii.gz")
            times.append(time.perf_counter() - t0)
    t7 = statistics.median(times)
    gunzip, by = _gunzip_floor(TINY, "case1/ct.nii.gz", repeat=50)
    infolist = best_of(lambda: zipfile.ZipFile(TINY).infolist(), repeat=3)
    t11 = best_of(lambda: open_dataset(TINY).close(), repeat=3)
    return [
        figure(
            "T7",
            "32^3 int16 .nii.gz case: read_volume, median of 400 (floor: the 1 ms target)",
            t7,
            0.001,
            1.0,
            "s",
        ),
        figure(
            "T7-gz",
            f"same read / its gunzip floor ({by} {gunzip * 1e6:.0f} us); information, no target",
            t7,
            gunzip,
            10.0,
            "s",
        ),
        figure(
            "T11",
            f"zip index of 15,000 cases: open_dataset (floor: the 0.5 s target; "
            f"zipfile infolist alone {infolist:.3f} s)",
            t11,
            0.5,
            1.0,
            "s",
        ),
    ]


PEAK_SCRIPT = """
import json, sys, tracemalloc
from naesview_app.datasets import open_dataset

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024

anon, mapped = status("RssAnon"), status("RssFile")
tracemalloc.start()
with open_dataset(sys.argv[1]) as ds:
    volume = ds.read_volume(0, "image.nii.gz")
    current, peak = tracemalloc.get_traced_memory()
    anon, mapped = status("RssAnon") - anon, status("RssFile") - mapped
print(json.dumps({"peak": peak, "raw": volume.array.nbytes, "anon": anon, "mapped": mapped}))
"""


def _peak_memory() -> Figure:
    out = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, str(LARGE)],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    mib = 1024**2
    return figure(
        "T12",
        f"peak traced memory, fresh process, open+read the 300x512x512 case / raw array bytes "
        f"(after: anonymous RSS +{result['anon'] / mib:.0f} MiB, mapped zip pages "
        f"+{result['mapped'] / mib:.0f} MiB)",
        result["peak"] / mib,
        result["raw"] / mib,
        1.1,
        "MiB",
    )
