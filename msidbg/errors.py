"""User-facing error types. Each carries the file (and line, field) it is about."""

from __future__ import annotations

from msidbg.guard import escape

#: the most of a text the one line quotes around a caret's column (hardening26)
CARET_TEXT = 120


class MsidbgError(Exception):
    """Base class: an error the CLI reports as one line, never with a traceback.

    ``caret`` = (text, column) points at a column of a text the user typed (a ``--break``
    spec): a person gets the text and a caret on two more lines, a script gets
    ``... at column N of 'text'`` on the one line (``lines``).
    """

    exit_code = 2

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 caret: tuple[str, int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.caret = caret

    def _where(self) -> str:
        if not self.file:
            return ""
        return escape(f"{self.file}:{self.line}: " if self.line else f"{self.file}: ")

    def oneline(self) -> str:
        """``msidbg: FILE[:LINE]: message``, escaped: exactly one line whatever the file held."""
        text = f"msidbg: {self._where()}{escape(self.message)}"
        if self.caret is not None:
            spec, col = self.caret
            shown = spec.strip()
            if len(shown) <= CARET_TEXT:
                text += f" at column {col + 1} of {escape(repr(shown))}"
            else:    # a 10,000-character --path made a 20 KB line: the part around the column
                lo = max(0, min(col - CARET_TEXT // 2, len(shown) - CARET_TEXT))
                text += (f" at column {col + 1} of a text of {len(shown)} characters, around "
                         f"{escape(repr(shown[lo:lo + CARET_TEXT]))}")
        return text

    def lines(self, interactive: bool) -> list[str]:
        """The lines to print: the one line, or for a person the message, the text and a caret."""
        if self.caret is None or not interactive:
            return [self.oneline()]
        spec, col = self.caret
        pad = len(escape(spec[:col]))
        return [f"msidbg: {self._where()}{escape(self.message)}", f"    {escape(spec)}", f"    {' ' * pad}^"]


class ScenarioError(MsidbgError):
    """A scenario file is unreadable, malformed or out of bounds."""


class SnapshotError(MsidbgError):
    """A snapshot file is unreadable, malformed, newer than us, or fails verification."""


class DivergenceError(SnapshotError):
    """Replaying a snapshot reached a different world than the one it recorded."""

    exit_code = 1
