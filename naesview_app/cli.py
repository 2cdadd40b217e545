"""`naesview` command line: the one entry point of the desktop app (see DESIGN.md, Command line).

Each command's work lives in its own module; this file only parses arguments and imports that
module when the command runs, so `naesview --version` and `--help` stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from naesview_app.about import VersionAction


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="naesview",
        description="Structured review of medical images that never leave your machine.",
    )
    parser.add_argument("--version", action=VersionAction)  # with the third-party licences
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    app = commands.add_parser("app", help="open the desktop window (the default command)")
    _add_browser_options(app)
    app.add_argument(
        "--self-test",
        nargs="?",
        const="",
        metavar="SCRIPT.json",
        help="open the window, call the bridge from the page (and the calls in SCRIPT.json), "
        "print one SELF-TEST line, close; exit 0 when all answered",
    )

    demo = commands.add_parser(
        "demo",
        help="generate a demo dataset, start a local sync API on SQLite, open the app signed in",
    )
    _add_browser_options(demo)
    demo.add_argument(
        "--data-dir",
        help="folder for the demo dataset and database (default: a folder in the user's data dir)",
    )

    inspect = commands.add_parser(
        "inspect",
        help="list the cases and volumes of a dataset zip (exit 1 when anything failed)",
    )
    inspect.add_argument("dataset", metavar="DATASET.zip")
    inspect.add_argument("--json", action="store_true", help="print JSON (the data contract)")
    inspect.add_argument(
        "--no-progress", action="store_true", help="no progress bar (it is shown on a terminal)"
    )

    project = commands.add_parser("project", help="work with project configurations")
    project_commands = project.add_subparsers(dest="project_command", metavar="ACTION")
    check = project_commands.add_parser(
        "check",
        help="check a project configuration against a dataset (exit 0 when every case is complete)",
    )
    check.add_argument("config", metavar="CONFIG.json")
    check.add_argument("dataset", metavar="DATASET.zip")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def _add_browser_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--browser",
        action="store_true",
        help="serve the UI on 127.0.0.1 for a web browser instead of opening a window",
    )
    sub.add_argument(
        "--port", type=int, default=0, help="port for --browser (default 0: a free one)"
    )
    sub.add_argument(
        "--no-open", action="store_true", help="with --browser: print the URL, open no browser"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "app"
    if command == "inspect":
        from naesview_app.datasets.inspect import inspect_command

        return inspect_command(args.dataset, as_json=args.json, progress=not args.no_progress)
    if command == "project":
        if args.project_command != "check":
            build_parser().parse_args(["project", "--help"])
            return 2
        from naesview_app.project.check import check_command

        return check_command(args.config, args.dataset, as_json=args.json)
    if command == "demo":
        from naesview_app.demo import demo_command

        return demo_command(
            browser=args.browser,
            port=args.port,
            open_browser=not args.no_open,
            data_dir=args.data_dir,
        )
    if getattr(args, "self_test", None) is not None:
        from naesview_app.selftest import self_test_command

        return self_test_command(args.self_test or None)
    from naesview_app.shell import app_command

    browser = getattr(args, "browser", False)
    return app_command(
        browser=browser,
        port=getattr(args, "port", 0),
        open_browser=not getattr(args, "no_open", False),
    )


if __name__ == "__main__":
    sys.exit(main())
