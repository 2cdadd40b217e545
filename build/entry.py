"""PyInstaller's entry script: the project's own entry point `naesview_app.cli:main`, no more."""

import sys

from naesview_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
