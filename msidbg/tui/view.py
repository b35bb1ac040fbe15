"""``View``: everything the panes are given about the cursor, in one immutable record.

The App builds a new View after every command and hands it down (``data_bind``); panes
render from ``view.world`` and never keep their own copy of model state. No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from msidbg.sim.events import Event
from msidbg.tui.digest import NO_CHANGES, Changes

World = dict[str, Any]


@dataclass(frozen=True, slots=True)
class BreakpointRow:
    """One armed breakpoint as the breakpoints pane lists it."""

    id: int
    spec: str
    enabled: bool = True
    hits: int = 0


@dataclass(frozen=True, slots=True, eq=False)
class View:
    """The state at the cursor. ``eq=False``: every new View is a change, by identity."""

    world: World
    scenario: str
    cursor: int
    total: int
    event: Event | None = None
    #: why the cursor is here, in words: "start", "step", "breakpoint msix-write-unmasked", ...
    stop: str = "start"
    #: what the breakpoint that stopped here said about it ("" when nothing)
    detail: str = ""
    changes: Changes = NO_CHANGES
    #: the selected device (vector table) and CPU (APIC, call stacks)
    device: str | None = None
    cpu: int = 0
    #: the APIC vector the event at the cursor set, cleared or named (None: keep the user's)
    vector: int | None = None
    #: the vector-table row the event at the cursor is about (None: none in particular)
    row: int | None = None
    breakpoints: tuple[BreakpointRow, ...] = field(default_factory=tuple)
    #: events where an armed built-in breakpoint fired, ascending (shared, never mutated)
    hit_events: tuple[int, ...] = ()
    #: events with a bookmark, ascending
    bookmarks: tuple[int, ...] = ()
    #: the cursor is at the run's final event
    ended: bool = False
    #: the run has reached its final event (``total`` is its length, not how far it has got)
    finished: bool = False
    #: a no-verify snapshot whose history could not be replayed (it diverged): no event records
    history_failed: bool = False

    @property
    def time_ns(self) -> int:
        return int(self.world["now"])

    @property
    def platform(self) -> str:
        return str(self.world["platform"]["kind"])


def adjacent(old: View | None, new: View) -> bool:
    """True when ``new`` is at most one event from ``old`` with the same device, and both know
    exactly what changed at their event: then what differs on screen between them is
    ``old.changes`` and ``new.changes`` (panes repaint just those lines). The selected CPU may
    differ (a step follows its event to another CPU): the vector table does not show it, and
    the APIC pane repaints the selected cell's old and new lines itself."""
    return (old is not None and abs(new.cursor - old.cursor) <= 1 and old.device == new.device
            and old.changes.exact and new.changes.exact)


@dataclass(frozen=True, slots=True)
class Progress:
    """A running command: how far it has got (shown in the status line)."""

    start: int
    events: int
    time_ns: int
    what: str = "continue"
    #: the event the run has reached (None while a snapshot's history is still loading)
    event: Event | None = None
