"""Built-in breakpoint names: the semantic conditions the model detects in its mechanism.

The names are part of the public contract. ``IMPLEMENTED`` lists those the model raises
today; arming a contract name that is not implemented yet is a validation error rather
than a breakpoint that silently never fires.
"""

from __future__ import annotations

MSIX_WRITE_UNMASKED = "msix-write-unmasked"
MSI_TORN_MESSAGE = "msi-torn-message"
IRQ_SPURIOUS = "irq-spurious"
IRQ_LOST = "irq-lost"
PIRQ_CONFLICT = "pirq-conflict"
MSI_BLOCKED_BY_MSIX_MASK = "msi-blocked-by-msix-mask"
PROBE_FAILED = "probe-failed"

CONTRACT: dict[str, str] = {
    MSIX_WRITE_UNMASKED: "an MSI-X entry's address or data is written while MSI-X is enabled and "
    "neither the entry nor the function is masked",
    MSI_TORN_MESSAGE: "a device emits a message whose address/data pair was never programmed together",
    IRQ_SPURIOUS: "a CPU accepts a vector that has no irq on that CPU, or an irq other than the device's",
    IRQ_LOST: "a device signal that can no longer be delivered to its handler",
    PIRQ_CONFLICT: "a guest uses a pirq that Xen has mapped to another device, or not mapped for this one",
    MSI_BLOCKED_BY_MSIX_MASK: "a plain MSI message is suppressed by MSI-X mask bits",
    PROBE_FAILED: "a driver action returns an error",
}

IMPLEMENTED: set[str] = set(CONTRACT)


def validate_breakpoint(spec: str) -> str | None:
    """None if ``spec`` can be armed, else what is wrong with it (one line).

    The one breakpoint parser lives in ``msidbg.debugger.breakpoints`` (built-in names, ``if``,
    ``watch``, ``call``); imported here lazily because the debugger sits above the model.
    """
    from msidbg.debugger.breakpoints import problem

    return problem(spec)
