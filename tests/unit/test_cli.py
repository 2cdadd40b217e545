import subprocess
import sys

from naesview_app import __version__
from naesview_app.cli import build_parser


def test_version_is_printed():
    out = subprocess.run(
        [sys.executable, "-m", "naesview_app", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    first, *rest = out.stdout.splitlines()
    assert first == f"naesview {__version__}"
    listed = "\n".join(rest)  # then the third-party code and its licences (naesview_app.about)
    assert "numpy " in listed
    assert "pydicom " in listed
    assert "MIT" in listed


def test_every_command_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) >= {"app", "demo", "inspect", "project"}
    for action in sub._choices_actions:
        assert action.help, f"command {action.dest} has no help"
