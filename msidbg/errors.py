"""User-facing error types. Each carries the file (and line, field) it is about."""

from __future__ import annotations


class MsidbgError(Exception):
    """Base class: an error the CLI reports as one line, never with a traceback."""

    exit_code = 2

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def oneline(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return f"msidbg: {where}{self.message}"


class ScenarioError(MsidbgError):
    """A scenario file is unreadable, malformed or out of bounds."""


class SnapshotError(MsidbgError):
    """A snapshot file is unreadable, malformed, newer than us, or fails verification."""


class DivergenceError(SnapshotError):
    """Replaying a snapshot reached a different world than the one it recorded."""

    exit_code = 1
