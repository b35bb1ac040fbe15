"""Built-in breakpoint names: the semantic conditions the model detects in its mechanism.

The names are part of the public contract and live in ``msidbg.contract`` (below the scenario
layer, the model and the debugger alike); this module re-exports them for the model.
``IMPLEMENTED`` lists those the model raises today; arming a contract name that is not
implemented yet is a validation error rather than a breakpoint that silently never fires.
"""

from __future__ import annotations

from msidbg.contract import (
    BREAKPOINTS,
    IRQ_LOST,
    IRQ_SPURIOUS,
    MSI_BLOCKED_BY_MSIX_MASK,
    MSI_TORN_MESSAGE,
    MSIX_WRITE_UNMASKED,
    PIRQ_CONFLICT,
    PROBE_FAILED,
)

CONTRACT: dict[str, str] = BREAKPOINTS
IMPLEMENTED: set[str] = set(CONTRACT)

__all__ = [
    "CONTRACT", "IMPLEMENTED", "IRQ_LOST", "IRQ_SPURIOUS", "MSIX_WRITE_UNMASKED", "MSI_BLOCKED_BY_MSIX_MASK",
    "MSI_TORN_MESSAGE", "PIRQ_CONFLICT", "PROBE_FAILED",
]
