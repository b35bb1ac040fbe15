"""The debugger: sessions (step, back, continue, seek), breakpoints, time travel, snapshots.

Never imports Textual or Rich; the TUI and the headless CLI are built on ``Session``.
"""

from typing import Any

from msidbg.debugger.breakpoints import Breakpoint, BreakpointError
from msidbg.debugger.session import Bookmark, Session, Stop
from msidbg.errors import DivergenceError, SnapshotError

__all__ = ["Bookmark", "Breakpoint", "BreakpointError", "DivergenceError", "ExprError", "Session",
           "SnapshotError", "Stop"]


def __getattr__(name: str) -> Any:
    # the expression compiler loads when first used (start-up time of headless runs)
    if name == "ExprError":
        from msidbg.debugger.expr import ExprError

        return ExprError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
