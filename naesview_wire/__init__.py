"""msgspec Structs shared by the desktop app, the sync API and the UI (the wire format)."""

__version__ = "0.1.0"
