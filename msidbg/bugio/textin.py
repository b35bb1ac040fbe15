"""Reading a bug report's text artifacts (lspci, /proc/interrupts, dmesg) from strangers.

Bounded: a file is at most ``MAX_BYTES``, a line at most ``MAX_LINE`` characters (longer lines
are cut, and said so), and binary files are refused. Every problem is an ``InputError`` whose
one-line message names the file (and line).
"""

from __future__ import annotations

from dataclasses import dataclass

from msidbg.errors import MsidbgError

#: the path that names standard input (``lspci -vv | msidbg new --lspci - -o bug.yaml``), and
#: what errors and the skeleton's comments call it
STDIN, STDIN_NAME = "-", "stdin"
MAX_BYTES = 8 << 20
MAX_LINES = 200_000
MAX_LINE = 4096


class InputError(MsidbgError):
    """An input artifact is unreadable, too large or not text."""


@dataclass(frozen=True)
class Line:
    """One line of an input file: 1-based number, text without the newline."""

    no: int
    text: str


def read_lines(path: str, what: str) -> list[Line]:
    """The lines of ``path`` (``-``: standard input, a pipe); ``what`` names the expected content
    in errors ("lspci -vvv text")."""
    if path == STDIN:
        return _stdin_lines(what)
    from msidbg.files import FileProblem, read_regular

    try:    # non-blocking, checked with fstat: a path swapped for a FIFO after a stat does not hang
        data = read_regular(path, MAX_BYTES, what)
    except FileProblem as e:
        raise InputError(e.message, path) from None
    return split_lines(data, path, what)


def _stdin_lines(what: str) -> list[Line]:
    import sys

    stream = sys.stdin
    if stream is None:   # closed when msidbg started (<&-): it was called a terminal
        raise InputError(f"standard input is closed (expected {what} piped in, e.g. "
                         "'lspci -vv | msidbg new --lspci - -o bug.yaml')", STDIN_NAME)
    if stream.isatty():
        raise InputError(f"standard input is a terminal (expected {what} piped in, e.g. "
                         "'lspci -vv | msidbg new --lspci - -o bug.yaml')", STDIN_NAME)
    try:
        data = stream.buffer.read(MAX_BYTES + 1)
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read: {e} (expected {what})", STDIN_NAME) from None
    if len(data) > MAX_BYTES:
        raise InputError(f"too large (expected {what}, at most {MAX_BYTES} bytes)", STDIN_NAME)
    return split_lines(data, STDIN_NAME, what)


def split_lines(data: bytes, path: str, what: str) -> list[Line]:
    """Decode (UTF-8, undecodable bytes replaced) and split; NUL bytes mean a binary file."""
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError(f"a NUL byte: this is a binary file (expected {what})", path, line)
    text = data.decode("utf-8", errors="replace")
    # lines end at LF (CRLF and a lone CR too), as grep -n and editors count them: not at the
    # form feeds, U+2028 or NEL that str.splitlines also breaks at, which would shift the
    # line numbers every comment and error cites
    text = text.replace("\r\n", "\n")
    raw = (text.split("\n") if "\n" in text or "\r" not in text else text.split("\r"))
    if raw and raw[-1] == "":
        raw.pop()
    if len(raw) > MAX_LINES:
        raise InputError(f"{len(raw)} lines is too many (expected {what}, at most {MAX_LINES} lines)", path)
    return [Line(i + 1, s[:MAX_LINE].rstrip()) for i, s in enumerate(raw)]
