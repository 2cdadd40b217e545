"""The one error tree of the desktop app.

    NaesviewError                 anything the app reports to a user as a message
    ├── DatasetError              the dataset as a whole (not a zip, truncated, no cases)
    ├── ReaderError               one volume of one case could not be read
    │   └── MissingDecoderError   a compressed DICOM transfer syntax has no installed decoder
    ├── ConfigError               a project configuration is invalid or does not fit a dataset
    └── SyncError                 talking to the sync API (see naesview_app.sync.errors)

Every message is one line that says what is wrong and, where it can, what to do.
Library errors (nibabel, pydicom, SimpleITK, zipfile, httpx) are wrapped at the boundary.
"""

from __future__ import annotations


class NaesviewError(Exception):
    """Base class: an error with a message fit to show a user."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DatasetError(NaesviewError):
    """The dataset zip as a whole cannot be used."""

    code = "dataset"


class ReaderError(NaesviewError):
    """One volume could not be read; `case` and `volume` name it when known."""

    code = "reader"

    def __init__(self, message: str, *, case: str | None = None, volume: str | None = None):
        super().__init__(message)
        self.case = case
        self.volume = volume

    def __str__(self) -> str:
        where = []
        if self.case is not None:
            where.append(f"case {self.case}")
        if self.volume is not None:
            where.append(f"volume `{self.volume}`")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class MissingDecoderError(ReaderError):
    """A pixel-data codec is not installed; the message names the package to install."""

    code = "missing_decoder"


class ConfigError(NaesviewError):
    """A project configuration is invalid or incompatible with a dataset."""

    code = "config"


class SyncError(NaesviewError):
    """Base of the sync client's errors."""

    code = "sync"
