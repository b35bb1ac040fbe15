"""The debugger: sessions (step, back, continue, seek), breakpoints, time travel, snapshots.

Never imports Textual or Rich; the TUI and the headless CLI are built on ``Session``.
"""

from msidbg.debugger.breakpoints import Breakpoint, BreakpointError
from msidbg.debugger.expr import ExprError
from msidbg.debugger.session import Bookmark, Session, Stop
from msidbg.errors import DivergenceError, SnapshotError

__all__ = ["Bookmark", "Breakpoint", "BreakpointError", "DivergenceError", "ExprError", "Session",
           "SnapshotError", "Stop"]
