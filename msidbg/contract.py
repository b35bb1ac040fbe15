"""Names from the public contract that several layers share: the built-in breakpoints and the
errno names. Plain data; imports nothing from msidbg, so the scenario layer, the model and the
debugger all read the same names without importing each other.
"""

from __future__ import annotations

MSIX_WRITE_UNMASKED = "msix-write-unmasked"
MSI_TORN_MESSAGE = "msi-torn-message"
IRQ_SPURIOUS = "irq-spurious"
IRQ_LOST = "irq-lost"
PIRQ_CONFLICT = "pirq-conflict"
MSI_BLOCKED_BY_MSIX_MASK = "msi-blocked-by-msix-mask"
PROBE_FAILED = "probe-failed"

#: built-in breakpoint name -> when it fires (contract.md, "Built-in breakpoints")
BREAKPOINTS: dict[str, str] = {
    MSIX_WRITE_UNMASKED: "an MSI-X entry's address or data is written while MSI-X is enabled and "
    "neither the entry nor the function is masked",
    MSI_TORN_MESSAGE: "a device emits a message whose address/data pair was never programmed together",
    IRQ_SPURIOUS: "a CPU accepts a vector that has no irq on that CPU, or an irq other than the device's",
    IRQ_LOST: "a device signal that can no longer be delivered to its handler",
    PIRQ_CONFLICT: "a guest uses a pirq that Xen has mapped to another device, or not mapped for this one",
    MSI_BLOCKED_BY_MSIX_MASK: "a plain MSI message is suppressed by MSI-X mask bits",
    PROBE_FAILED: "a driver action returns an error",
}

_CONDITION_MARKS = ("==", "!=", "<", ">", " and ", " or ", " in ", "not ", "&", "|")


def breakpoint_hint(spec: str) -> str:
    """'; did you mean ...?' for a breakpoint spec that is no built-in name and no form: a misspelt
    name ('irq-lots'), a bare condition ('event.kind == "msix.write"': the contract's example of a
    condition, which arms as 'if ...') or a bare path ('cpu[1].irr', which watches as 'watch ...').
    They were told only the list of names and forms (hardening30). "" when nothing is likely."""
    text = spec.strip()
    shown = text if len(text) <= 60 else text[:57] + "..."   # (the spec is quoted already: not twice in full)
    # (quoted by repr, as the spec itself is: a newline in it must not split the one-line error)
    if any(mark in text for mark in _CONDITION_MARKS):
        return f"; did you mean {'if ' + shown!r}?"
    if ("." in text or "[" in text) and " " not in text:
        return f"; did you mean {'watch ' + shown!r}?"
    if len(text) > 60:
        return ""
    import difflib

    close = difflib.get_close_matches(text, sorted(BREAKPOINTS), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


#: errno names a scenario may inject (``faults:``) or expect (``probe: "failed: E..."``), and the names a
#: device status, an action's ``error`` and a note give a model's return value (``model/cpu.py errname``): every
#: errno the model can return is here (tests/test_kernel35.py checks the model's sources), so no status reads
#: "failed: E17" (kernel35: EEXIST, EACCES, EFAULT, ERANGE and EAGAIN were missing)
ERRNOS: dict[str, int] = {
    "EPERM": 1, "ENOENT": 2, "EIO": 5, "ENXIO": 6, "E2BIG": 7, "EAGAIN": 11, "ENOMEM": 12, "EACCES": 13,
    "EFAULT": 14, "EBUSY": 16, "EEXIST": 17, "ENODEV": 19, "EINVAL": 22, "ENOSPC": 28, "ERANGE": 34,
    "ENOSYS": 38, "ETIMEDOUT": 110, "EALREADY": 114,
}
