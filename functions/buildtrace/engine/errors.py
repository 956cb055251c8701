"""Errors the engine raises for bad input, each with the CLI exit code that reports it.

Every error names the file (and page where there is one) and says what the user can do.
The exit codes are part of the CLI contract (README, "Exit codes"); keep them stable.
"""

from __future__ import annotations


class BuildTraceError(Exception):
    """Base class: a problem with the input that the user can act on."""

    exit_code = 1

    def __init__(self, message: str, *, path: str | None = None, page: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.page = page

    def __str__(self) -> str:
        where = self.path or ""
        if self.page is not None:
            where += f" page {self.page + 1}"
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict:
        """A JSON-friendly description (page is 0-based, as everywhere in the engine)."""
        return {"error": type(self).__name__, "message": self.message, "path": self.path,
                "page": self.page, "exit_code": self.exit_code}


class MissingFileError(BuildTraceError):
    exit_code = 3


class UnsupportedFileError(BuildTraceError):
    """Not a PDF or a raster image we read, or content that does not match the file name."""

    exit_code = 4


class EncryptedPdfError(BuildTraceError):
    exit_code = 5


class CorruptPdfError(BuildTraceError):
    exit_code = 6


class EmptySetError(BuildTraceError):
    exit_code = 7


class PageTooLargeError(BuildTraceError):
    """A page beyond the pixel budget (see ``drawing_set.MAX_PAGE_PIXELS``)."""

    exit_code = 8


class PairingError(BuildTraceError):
    """An explicit pairing that cannot be applied (a page out of range, a page used twice)."""

    exit_code = 9
