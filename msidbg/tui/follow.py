"""What the event at the cursor is about: the device, CPU and vector the screen should show.

When the cursor moves (a step, a breakpoint, a goto, a snapshot opened at its stop), the
vector table switches to the event's device, the APIC pane and the call stacks to its CPU,
and the APIC pane's selected vector to the one the event set or cleared -- so the status
line, the grids and their descriptions all speak of the same thing. No Textual here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from msidbg.model import ioapic
from msidbg.model.bus import targets
from msidbg.model.hw import MSIX_ENABLE, is_interrupt_address, msg_dest, msg_logical
from msidbg.sim.events import Event
from msidbg.tui import table
from msidbg.tui.digest import Changes

World = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Focus:
    """The event's device, CPU and vector; None where the event says nothing about it."""

    device: str | None = None
    cpu: int | None = None
    vector: int | None = None
    #: the device's vector-table row the event is about (an entry written, a message sent)
    row: int | None = None


NOWHERE = Focus()


def focus(w: World, event: Event | None, changes: Changes, detail: str = "") -> Focus:
    """Where the event at the cursor happened: a changed IRR/ISR bit first (that is what the
    APIC grid highlights), else the vector and CPU the event names, else where the message of
    the row it is about points. ``detail`` (what a breakpoint said) names the device when the
    event does not (a loss counted at ``run.end``: "eth0 vector 0: ...")."""
    if event is None:
        return NOWHERE
    device = event.dev if event.dev in w["devices"] else _named_device(w, detail)
    row = _row(w, event, device)
    if row is None and device is not None and event.dev is None:
        said = _DETAIL_VECTOR.match(detail)
        row = _index_row(w, device, int(said.group(1))) if said else None
    cpu, vector = _changed_bit(changes, event.cpu)
    if cpu is None:
        cpu, vector = _named(event)
        # an IO-APIC entry written, or a function's INTx condition raised (its GSI, no CPU): the
        # entry's destination and vector, not the CPU that wrote it, nor whichever CPU was selected
        pin = (w.get("ioapic") or {}).get(event.get("gsi")) if event.kind in PIN_KINDS else None
        if pin is not None and pin["vector"]:
            cpu, vector = pin["cpu"], vector if vector is not None else pin["vector"]
    if cpu is None and device is not None and row is not None:
        cpu, vector = _target(w, device, row)
    elif vector is None and device is not None and row is not None:
        # an entry written by the CPU its message addresses (msix.write at the 2021 bug's stop): the
        # vector it names there; the pane kept whatever was selected before (vector 0x20, CLEANUP)
        to_cpu, to_vector = _target(w, device, row)
        if to_cpu == cpu:
            vector = to_vector
    if cpu is None and device is not None and row is None:     # a loss at run.end of an INTx function
        cpu, vector = _pin_target(w, device)
    if cpu is not None and not 0 <= cpu < len(w["cpus"]):
        cpu = None
    if device is None and isinstance(event.get("gsi"), int):     # ioapic.rte: the GSI's function
        device = _line_owner(w, int(event.get("gsi")))
    if device is None and cpu is not None and vector is not None:
        device, row = _vector_owner(w, cpu, vector)
    return Focus(device, cpu, vector, row)


#: events that name a GSI (a bare-metal IO-APIC's or, for an HVM guest's passthrough function, the
#: guest's vIOAPIC input; ``xen.intx`` names Xen's machine GSI and is not one)
PIN_KINDS = ("ioapic.rte", "intx.assert")


def _pin_target(w: World, device: str) -> tuple[int | None, int | None]:
    """The CPU and vector of a function's INTx pin, when it signals through it (the kernel drives
    it in INTx mode, it has no MSI or MSI-X, or it drives INTx# now) and its GSI's entry has a
    vector: the screen at a loss counted at ``run.end`` ("usb0 vector 0: ... nobody cared")
    kept whichever CPU it showed before."""
    d = w["devices"][device]
    ix = d.get("intx")
    if not ix:
        return None, None
    by_pin = (w["kernel"]["pci"].get(device, {}).get("mode") == "intx" or not (d["msix"] or d["msi"])
              or ioapic.asserting(d))
    pin = (w.get("ioapic") or {}).get(ix["gsi"])
    if not by_pin or pin is None or not pin["vector"]:
        return None, None
    return pin["cpu"], pin["vector"]


def _line_owner(w: World, gsi: int) -> str | None:
    """The function an INTx GSI's interrupt is about: one driving the line now (the wired-OR's
    cause), else the first the irq's actions name (a shared IO-APIC irq has no one device)."""
    on = [n for n, d in w["devices"].items() if (ix := d.get("intx")) and ix["gsi"] == gsi]
    driving = [n for n in on if ioapic.asserting(w["devices"][n])]
    if driving:
        return driving[0]
    desc = w["irqs"].get(gsi)
    acts = [a[0] for a in (desc.get("actions") or []) if a and a[0] in w["devices"]] if desc else []
    return acts[0] if acts else (on[0] if on else None)


def _vector_owner(w: World, cpu: int, vector: int) -> tuple[str | None, int | None]:
    """The device (and its table row) whose irq owns ``vector`` on ``cpu`` (``vector_irq``): what
    an ``apic.accept`` or ``apic.eoi`` -- events that name a CPU and a vector, not a device -- is
    about. The vector table kept whichever device it showed before, so the screen at such an
    event depended on how the cursor got there (a goto showed nvme0, stepping back xhci, whose
    message the CPU was acknowledging)."""
    slot = w["cpus"][cpu]["vector_irq"].get(vector)
    desc = w["irqs"].get(slot) if isinstance(slot, int) else None
    if desc is None:
        return None, None
    if desc.get("dev") is None and desc["irq"] in (w.get("ioapic") or {}):   # an INTx irq: no table row
        return _line_owner(w, desc["irq"]), None
    dev, index = desc.get("dev"), desc.get("index")
    if not isinstance(dev, str) or dev not in w["devices"]:
        return None, None
    return dev, _index_row(w, dev, index) if isinstance(index, int) else None


_DETAIL_VECTOR = re.compile(r"\S+ vector (\d+):")


def _named_device(w: World, detail: str) -> str | None:
    first = detail.split(" ", 1)[0] if detail else ""
    return first if first in w["devices"] else None


def _target(w: World, device: str, row: int) -> tuple[int | None, int | None]:
    """The CPU (by APIC id) and vector a row's message is addressed to, if it is a plain one;
    else (a passthrough device, whose messages Xen programs with its own vectors, or a
    remapped or pirq message) the CPU the guest kernel's irq for that row is on."""
    lo, _hi, data, *_ = table.message(w, device, row)
    plain = is_interrupt_address(lo) and not table.is_pirq_message(lo, data) and not table.remapped(w, lo, data)
    if plain and not w["devices"][device].get("passthrough"):
        cpus = targets(w, msg_dest(lo), msg_logical(lo))     # the APIC id, or the flat logical id
        return (cpus[0] if len(cpus) == 1 else None), data & 0xFF
    desc = table.kernel_irq(w, device, row)
    if desc is None or not isinstance(desc.get("cpu"), int):
        return None, None
    vector = desc.get("vector")
    return desc["cpu"], vector if isinstance(vector, int) and vector else None


def _row(w: World, e: Event, device: str | None) -> int | None:
    """The table row of an MSI-X entry (``entry``) or of the vector index a signal names: an
    MSI-X entry while MSI-X is enabled, else an MSI message (rows after the entries)."""
    if device is None:
        return None
    if e.kind.startswith("msix.") and isinstance(e.fields.get("entry"), int):
        return int(e.fields["entry"])
    index = e.fields.get("index")
    if not isinstance(index, int) or not e.kind.startswith(("msi.", "irq.")):
        return None
    if w["kernel"]["pci"].get(device, {}).get("mode") == "intx":     # the INTx pin's vector: no table row
        return None
    return _index_row(w, device, index)


def _index_row(w: World, device: str, index: int) -> int | None:
    d = w["devices"][device]
    entries = len(d["msix"]["table"]) if d["msix"] else 0
    if d["msix"] and d["msix"]["ctrl"] & MSIX_ENABLE or not d["msi"]:
        return index if index < entries else None
    return entries + index


def _changed_bit(ch: Changes, prefer: int | None) -> tuple[int | None, int | None]:
    """The CPU and vector of the lowest IRR/ISR bit that changed (``prefer``'s CPU first)."""
    cpus = sorted(set(ch.irr) | set(ch.isr))
    if not cpus:
        return None, None
    cpu = prefer if prefer in cpus else cpus[0]
    bits = ch.irr.get(cpu, 0) | ch.isr.get(cpu, 0)
    return cpu, (bits & -bits).bit_length() - 1


def _named(e: Event) -> tuple[int | None, int | None]:
    """The CPU and vector an event names: its ``vector`` (on its ``target`` CPU for vector
    assignments and IPIs), or the vector in an emitted message's data."""
    vector = e.get("vector")
    if e.kind == "msi.msg":
        data = e.get("data")
        vector = data & 0xFF if isinstance(data, int) else None
    target = e.get("target")
    cpu = target if e.kind in ("vector.assign", "vector.free", "apic.ipi") and isinstance(target, int) else e.cpu
    return cpu, vector if isinstance(vector, int) else None
