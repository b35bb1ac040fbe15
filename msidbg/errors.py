"""User-facing error types. Each carries the file (and line, field) it is about."""

from __future__ import annotations

from msidbg.guard import command, escape

#: the most of a text the one line quotes around a caret's column (hardening26)
CARET_TEXT = 120


class MsidbgError(Exception):
    """Base class: an error the CLI reports as one line, never with a traceback.

    ``caret`` = (text, column) points at a column of a text the user typed (a ``--break``
    spec): a person gets the text and a caret on two more lines, a script gets the column and
    the text on the one line (``lines``). ``field`` names what held the text (``--break``,
    ``breakpoints[0]``, ``--path``): with a caret the line is the contract's form, the column
    the field's part -- ``msidbg: FILE: FIELD: column N of 'text': what is wrong (expected ...)``
    (hardening27; the column trailed the message, after its ``(expected ...)``).

    ``option`` names the command-line option the error is about (``--at``, ``--break``): the line
    then says it as argparse's own errors do, with the subcommand the CLI is running
    (``guard.set_command``) -- ``msidbg: FILE: why: argument --at: what is wrong (expected ...)``
    (hardening32: the errors raised after parsing said ``FILE: --at 99: ...``, no subcommand).
    ``command`` names the subcommand when the code raising it is the subcommand's own (``explore()``,
    ``serve``): a library caller's error names it too.
    """

    exit_code = 2

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 caret: tuple[str, int] | None = None, field: str | None = None,
                 option: str | None = None, command: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else f"argument {option}: {message}" if option else message)
        self.message = message
        self.file = file
        self.line = line
        self.caret = caret
        self.field = field
        self.option = option
        self.command = command   # the subcommand, when the raiser knows it (explore(), serve)

    def _where(self) -> str:
        where = "" if not self.file else f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        if self.option:
            cmd = self.command or command()
            where += f"{cmd + ': ' if cmd else ''}argument {self.option}: "
        return escape(where + (f"{self.field}: " if self.field else ""))

    def oneline(self) -> str:
        """``msidbg: FILE[:LINE]: [FIELD: column N of 'text': ]message``, escaped: exactly one line
        whatever the file held."""
        if self.caret is None:
            return f"msidbg: {self._where()}{escape(self.message)}"
        spec, col = self.caret
        shown = spec.strip()
        if len(shown) <= CARET_TEXT:
            at = f"column {col + 1} of {escape(repr(shown))}"
        else:    # a 10,000-character --path made a 20 KB line: the part around the column
            lo = max(0, min(col - CARET_TEXT // 2, len(shown) - CARET_TEXT))
            at = (f"column {col + 1} of a text of {len(shown)} characters, around "
                  f"{escape(repr(shown[lo:lo + CARET_TEXT]))}")
        return f"msidbg: {self._where()}{at}: {escape(self.message)}"

    def lines(self, interactive: bool) -> list[str]:
        """The lines to print: the one line, or for a person the message, the text and a caret."""
        if self.caret is None or not interactive:
            return [self.oneline()]
        spec, col = self.caret
        pad = len(escape(spec[:col]))
        return [f"msidbg: {self._where()}column {col + 1}: {escape(self.message)}", f"    {escape(spec)}",
                f"    {' ' * pad}^"]


class ScenarioError(MsidbgError):
    """A scenario file is unreadable, malformed or out of bounds."""


class SnapshotError(MsidbgError):
    """A snapshot file is unreadable, malformed, newer than us, or fails verification."""


class DivergenceError(SnapshotError):
    """Replaying a snapshot reached a different world than the one it recorded."""

    exit_code = 1
