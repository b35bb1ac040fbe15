"""Progress of long synchronous Session commands, for commands run at a terminal.

``msidbg why``, ``diff``, ``report``, ``export`` and ``replay`` run whole scenarios (or replay
snapshots) through ``Session`` commands before they print anything: on a long run that was
minutes of a silent terminal. Inside ``reporting(stream)`` every synchronous Session command
(``Session._drive``, which runs a command's generator: it yields every ``motion.CHUNK`` events)
writes ``\\r  FILE: N events, virtual time T`` to ``stream`` at most every ``EVERY_S`` seconds,
and the line is cleared when the block ends. Work that steps the engine itself (``export``'s
trace, ``bugio/observe.py``) calls ``active.tick(session, what, of)`` every few events. ``for_cli(machine)``: stderr when it is a terminal
and the output is not for a machine (``--json``), else nothing at all.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

#: at most one progress line this often (seconds)
EVERY_S = 0.25


class _Reporter:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.next = time.monotonic() + EVERY_S
        self.wrote = False      # a line is on the terminal now (drawn, not cleared)
        #: the phase shown when a tick names none (``why --what-if``: the flipped run under way)
        self.phase = ""

    def tick(self, session: Any, what: str = "", of: int | None = None) -> None:
        """The line for ``session`` at its cursor; ``what``: the phase (``writing the trace``),
        ``of``: the events the phase will reach, when known."""
        now = time.monotonic()
        if now < self.next:
            return
        self.next = now + EVERY_S
        from msidbg.guard import escape
        from msidbg.sim.events import format_ns

        name = os.path.basename(session.scenario.path or "") or session.scenario.name
        what = what or self.phase
        phase = f"{what}: " if what else ""
        total = f" / {of:,}" if of is not None else ""
        self.wrote = True   # first: a SIGINT between the write and this line left the line uncleared
        self.stream.write("\r\033[K" + fit(f"  {escape(name)}: {phase}{session.cursor:,}{total} events, "
                                            f"virtual time {format_ns(session.eng.w['now'])}", self.stream))
        self.stream.flush()

    def done(self) -> None:
        if self.wrote:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.wrote = False


def columns(stream: TextIO) -> int:
    """The width of the terminal ``stream`` writes to (``$COLUMNS`` first, as ``shutil`` reads it;
    80 when it cannot be told)."""
    try:
        width = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        width = 0
    if width <= 0:
        try:
            width = os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            width = 0
    return width if width > 0 else 80


def fit(line: str, stream: TextIO) -> str:
    """``line`` cut to the terminal's width less one column, ending in ``…`` where cut.

    A progress line is redrawn in place with ``\\r`` and cleared with ``ESC [K``, which both act on
    the terminal's last row only: a line one column too long wraps, and every redraw then leaves
    its first row behind (``msidbg explore`` at 80 columns scrolled a stale copy of its bar per
    update). The last column stays empty: some terminals wrap on writing it."""
    width = max(columns(stream) - 1, 8)
    if len(line) <= width:
        return line
    return line[:width - 1] + "…"


#: the reporter of the innermost ``reporting`` block (None: no progress)
active: _Reporter | None = None


@contextmanager
def reporting(stream: TextIO | None) -> Iterator[None]:
    """Report the progress of Session commands run in the block to ``stream`` (None: nothing)."""
    global active
    outer = active
    active = _Reporter(stream) if stream is not None else None
    try:
        yield
    finally:
        if active is not None:
            active.done()
        active = outer


def drawn() -> bool:
    """A progress line is on the terminal (``guard``'s SIGINT handler, which exits at once without
    running the ``reporting`` block's cleanup, clears it before its one line: it was appended to
    the progress line, ``...virtual time 0.45s^Cmsidbg: interrupted``)."""
    return active is not None and active.wrote


def for_cli(machine: bool = False) -> Any:
    """``reporting`` to stderr if it is a terminal and ``machine`` (--json) is False."""
    return reporting(sys.stderr if not machine and sys.stderr.isatty() else None)
