"""Run the benchmark suites: `python -m benchmarks [suite ...]` (default: all)."""

from __future__ import annotations

import argparse
import importlib
import sys

from benchmarks.common import Figure, print_table, write_results

# Each suite is a module in this package with `run() -> list[Figure]`.
SUITES = ["dataset_bench", "dicom_bench", "load_bench", "ui_bench", "sync_bench"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("suites", nargs="*", default=SUITES, choices=SUITES, metavar="SUITE")
    args = parser.parse_args(argv)
    figures: list[Figure] = []
    for name in args.suites:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"benchmarks.{name}":
                print(f"suite {name}: not written yet", file=sys.stderr)
                continue
            raise
        print(f"== {name}", flush=True)
        suite = module.run()
        print_table(suite)
        write_results(suite)
        figures.extend(suite)
    print("== all")
    print_table(figures)
    return 0 if all(f.ok for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
