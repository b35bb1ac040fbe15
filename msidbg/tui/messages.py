"""Messages the panes and screens post up to the App (state flows down as a ``View``)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class GotoEvent(Message):
    """Move the cursor to ``event`` (chosen in the event log or the bookmarks list)."""

    event: int


@dataclass
class RemoveBreakpoint(Message):
    """Disarm the breakpoint with this id (chosen in the breakpoints pane)."""

    bp_id: int


@dataclass
class SelectCpu(Message):
    """Make ``cpu`` the selected CPU (APIC pane, call stacks)."""

    cpu: int
