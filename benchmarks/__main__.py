"""Run the benchmark suites: `python -m benchmarks [suite ...]` (default: all)."""

from __future__ import annotations

import argparse
import importlib
import sys

from benchmarks.common import Figure, print_table, write_results

# Each suite is a module in this package with `run() -> list[Figure]`.
SUITES = ["dataset_bench", "dicom_bench", "load_bench", "ui_bench", "sync_bench"]


def chosen_suites(argv: list[str] | None = None) -> list[str]:
    """The suites named on the command line, or all of them."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("suites", nargs="*", metavar="SUITE", help=", ".join(SUITES))
    # Checked here, not with `choices`: Python 3.11's argparse checks an empty `nargs="*"`
    # list against the choices as one value and refuses it.
    names = parser.parse_args(argv).suites
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        parser.error(f"unknown suite {', '.join(unknown)}; choose from {', '.join(SUITES)}")
    return names or list(SUITES)


def main(argv: list[str] | None = None) -> int:
    figures: list[Figure] = []
    for name in chosen_suites(argv):
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
