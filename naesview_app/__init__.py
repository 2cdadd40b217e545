"""naesView desktop app (Python side)."""

from naesview_wire import __version__

__all__ = ["__version__"]
