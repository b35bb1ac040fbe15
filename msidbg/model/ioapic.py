"""The IO-APIC's PCI pins and a function's INTx# line (bare metal; docs/model-baremetal.md, "INTx").

A PCI function asserts INTx# while it has an interrupt condition pending, its Command register's
Interrupt Disable (bit 10) is clear and neither MSI nor MSI-X is enabled; Status.Interrupt Status
(bit 3) reflects the condition whatever the disable bit says (PCI 3.0 6.2.2, 6.2.3, 6.8). The line is
level-triggered and shared: every function the platform routes to the same GSI drives it (wired-OR).

The IO-APIC input (``w["ioapic"][gsi]``: the redirection entry's vector, destination CPU and mask, and
its Remote IRR) sends the entry's vector to the destination's local APIC when the line is asserted, the
entry unmasked and Remote IRR clear; sending sets Remote IRR (82093AA datasheet, "Remote IRR": set when
the local APIC accepts the level interrupt, cleared by the EOI message whose vector matches the entry).
The local APIC broadcasts that EOI when software EOIs a vector whose TMR bit the level delivery set;
Linux's ``ioapic_ack_level`` (the chip's irq_eoi) does that EOI, and writes the IO-APIC's EOI register
itself (``eoi_ioapic_pin``) when the TMR bit is clear (the 82093AA erratum): the model clears Remote IRR
of every entry with the vector at the EOI, which is what both do. A line still asserted then sends
again at once -- a level interrupt nobody services repeats for ever. The model's IO-APIC is an I/O xAPIC
(it has the EOI register): it sets Remote IRR when it sends, so a message a software-disabled local APIC
refuses leaves Remote IRR set with no EOI to come (reading ioapic.soft-disabled-destination).

This module is imported by the kernel's INTx programs (``kernel/intx.py``, imported last) so that its
event kinds are numbered after the others'; ``device.py`` reaches it through a late import.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import apic
from msidbg.model import provkeys as PK
from msidbg.model.hw import CMD_INTX_DISABLE, MSI_ENABLE, MSIX_ENABLE
from msidbg.sim.events import HEX, INT, STR, kind  # noqa: F401

IOAPIC_RTE = kind("ioapic.rte", ("gsi", INT), ("vector", HEX), ("what", STR),
                  doc="the kernel writes a redirection entry: its vector and destination (ioapic_configure_entry), "
                  "or its mask bit (mask_ioapic_irq / unmask_ioapic_irq)")


#: a function's INTx condition (``PK.HELD`` of its entry 0) as a key, less the device's number << 16
_HELD = PK.key(PK.HELD, 0)


def new_pins(gsis: list[int]) -> dict[int, dict[str, Any]]:
    """The entries of the GSIs some function's INTx# is routed to, as the firmware leaves them for
    the kernel: masked, no vector, Remote IRR clear."""
    return {g: {"vector": 0, "cpu": 0, "masked": True, "remote_irr": False} for g in sorted(set(gsis))}


def asserting(dev: dict[str, Any]) -> bool:
    """Does this function drive its INTx# line now? (An interrupt condition pending, Interrupt
    Disable clear, and neither MSI nor MSI-X enabled: a function with either enabled may not use
    INTx#.)"""
    ix = dev.get("intx")
    if not ix or not ix["cond"] or dev["cmd"] & CMD_INTX_DISABLE:
        return False
    msix, msi = dev["msix"], dev["msi"]
    return not (msix is not None and msix["ctrl"] & MSIX_ENABLE) and not (msi is not None and msi["ctrl"] & MSI_ENABLE)


def on_line(w: Any, gsi: int) -> list[str]:
    """The functions whose INTx# is routed to ``gsi``, by name."""
    return [n for n in sorted(w.devices) if (ix := w.devices[n].get("intx")) and ix["gsi"] == gsi]


def drivers(w: Any, gsi: int) -> list[str]:
    """The functions asserting the line now (on a Xen HVM guest's vIOAPIC: those whose virtual INTx
    wire Xen holds asserted, hvm_irq->pci_intx -- model/xen_intx.py; on a PV guest ``gsi`` is the guest irq
    of their pcifront pirq, and the functions are those driving its machine GSI)."""
    hvm = w.get("xen") and w.xen.get("intx")
    if hvm and w.platform["kind"] == "xen-pv":
        return [n for n in sorted(w.devices) if (ix := w.devices[n].get("intx")) and ix.get("irq") == gsi
                and asserting(w.devices[n])]
    if hvm:
        return [n for n in on_line(w, gsi) if n in hvm["i"]]
    return [n for n in on_line(w, gsi) if asserting(w.devices[n])]


#: hooks of a Xen HVM guest's INTx (model/xen_intx.py): "line" (a function's INTx# changed: the machine
#: GSI's host IO-APIC input) and "eoi" (vioapic_update_EOI)
XEN_HVM: dict[str, Any] = {}


def line(eng: Any, ix: dict[str, Any]) -> None:
    """A function's INTx# may have changed (a signal, a Command or MSI enable write): the IO-APIC input
    it is wired to -- the guest's own on bare metal, the machine GSI's (Xen's) for an HVM passthrough one."""
    if "mgsi" in ix:
        XEN_HVM["line"](eng, ix["mgsi"])
    else:
        update(eng, ix["gsi"])


def pins(w: Any) -> dict[int, dict[str, Any]]:
    return w.get("ioapic") or {}


def update(eng: Any, gsi: int) -> None:
    """The line or the entry changed: an asserted line on an unmasked entry with Remote IRR clear
    sends the entry's vector. No event of its own: the step that changed the line or the entry (a
    signal, a Command or MSI write, an unmask, an EOI) is the one that sent it, as an MSI write's
    delivery is part of its ``msi.msg``."""
    pin = pins(eng.w).get(gsi)
    if pin is None or pin["masked"] or pin["remote_irr"] or not pin["vector"]:
        return      # (an IR-format entry's vector is its pin number, 16..23: never 0)
    names = drivers(eng.w, gsi)
    if names:
        _send(eng, gsi, pin, names)


def _send(eng: Any, gsi: int, pin: dict[str, Any], names: list[str]) -> None:
    """Remote IRR set; the vector into the destination's IRR with its TMR bit set (a level
    delivery); lost with Remote IRR stuck set if that CPU is offline (not reached: fixup_irqs
    rewrites the entry before the CPU goes, kernel/intx.py) or its local APIC software-disabled
    (apic_soft_disable before fixup_irqs, ``kernel.cpu_disable_apic: soft-first``): the I/O xAPIC
    sets Remote IRR when it sends, the APIC accepts no Fixed message -- reading
    ioapic.soft-disabled-destination."""
    w = eng.w
    if "irte" in pin:
        return _send_remapped(eng, gsi, pin, names)
    c = w.cpus[pin["cpu"]]
    pin["remote_irr"] = True
    if c.online and apic.refuses(w, c):
        _refused(eng, gsi, c.id, pin["vector"])
    elif c.online:
        # the level interrupt carries no device signal of its own: the handlers find their
        # devices' conditions in their registers (kernel/intx.py), and account them there
        apic.receive(c, pin["vector"], None)
        tmr_set(c, pin["vector"], True)
        P = eng.prov
        if P.on and eng.fresh:      # provenance: the IRR bit, linked to each condition driving the line
            P.level_irr(c.id, pin["vector"], [_HELD | P.dev(name) << 16 for name in names])
        eng.model.wake(eng, c)


def _refused(eng: Any, gsi: int, cpu: int, vector: int) -> None:
    """The level message reached a software-disabled local APIC: no IRR or TMR bit is set, so no EOI
    will come, and the entry's Remote IRR (set at the send) stays set: the line sends no more. No event
    of its own (as any send); provenance records the Remote IRR left set, which a condition the line
    then holds links (``stuck``)."""
    P = eng.prov
    if P.on and eng.fresh:
        from msidbg.model import provcodes as PC
        P.dep(PC.D_APIC_OFF, PK.key(PK.APICOFF, cpu))
        P.write(PC.IOAPIC_RIRR, PK.key(PK.IOAPICRIRR, gsi), 1,
                note=f"IO-APIC entry {gsi} sent vector {vector:#x} to CPU{cpu}, whose local APIC native_cpu_disable "
                "software-disabled (apic_soft_disable): not accepted, no IRR bit -- Remote IRR stays set with no EOI "
                "to come")


def _send_remapped(eng: Any, gsi: int, pin: dict[str, Any], names: list[str]) -> None:
    """An IR-format entry (``pin["irte"]``: the remapping table index it holds; its vector field is the
    pin number): the IO-APIC sends a remappable message naming that IRTE, and the remapping unit
    delivers the IRTE's vector to the CPU its destination names, as a level interrupt (the IRTE's
    trigger mode: TMR bit set). Remote IRR is set as for any level send; an IRTE not present (not
    reached: the entry is masked before its IRTE is cleared) drops the message, Remote IRR staying set
    (reading kernel.intx.remapped-fault). ``pin["sent"]`` = [CPU, vector] of the IRTE at the send: the entry's
    own ``cpu`` is never written in IR format (leads21)."""
    from msidbg.model import iommu

    w = eng.w
    pin["remote_irr"] = True
    e = w["iommu"]["irte"].get(pin["irte"])
    if e is None or not e["present"]:
        return
    cpu = iommu.entry_cpu(w, e)
    vector = e["vector"]
    if cpu >= 0:
        # where the message went (the IRTE's destination and vector, not the IR-format entry's fields): the IRTE
        # may be rewritten while Remote IRR stays set (a move, fixup_irqs), and synchronize_irq's note names
        # this CPU (kernel/intx.py ioapic_irq_get_chip_state); the EOI that clears Remote IRR drops it
        pin["sent"] = [cpu, vector]
    if cpu < 0 or not (c := w.cpus[cpu]).online:
        return
    if apic.refuses(w, c):
        return _refused(eng, gsi, cpu, vector)
    apic.receive(c, vector, None)
    tmr_set(c, vector, True)
    P = eng.prov
    if P.on and eng.fresh:
        P.level_irr(c.id, vector, [_HELD | P.dev(name) << 16 for name in names])
    eng.model.wake(eng, c)


def tmr(c: Any, vector: int) -> bool:
    """The local APIC's Trigger Mode Register bit of ``vector``: set when the vector was last accepted
    as a level interrupt (an IO-APIC level entry's message), clear after an edge one (SDM vol. 3A
    10.8.4: "the TMR bit is set if the interrupt is level-triggered and cleared if edge-triggered").
    Kept (``c["tmr"]``, sorted vectors) from a CPU's first level delivery on: IO-APIC level deliveries
    set a bit, every edge accepted on the vector (an MSI message, a retrigger IPI: ``apic.edge``) clears
    it -- reading ioapic.tmr."""
    t = c.get("tmr")
    return type(t) is list and vector in t


def tmr_set(c: Any, vector: int, level: bool) -> None:
    cur = c.get("tmr")
    if type(cur) is not list:   # (absent; or a snapshot's world with something else there)
        cur = None
    if level and (cur is None or vector not in cur):
        c["tmr"] = sorted([*(cur or []), vector])
    elif not level and cur and vector in cur:
        c["tmr"] = [v for v in cur if v != vector]


def tmr_reset(c: Any) -> None:
    """INIT (a CPU brought back online): the TMR is cleared with IRR and ISR."""
    if c.get("tmr") is not None:
        c["tmr"] = []


def eoi(eng: Any, vector: int) -> None:
    """The EOI message for ``vector`` (the local APIC's broadcast when the EOId vector's TMR bit is
    set, or eoi_ioapic_pin's write of the IO-APIC's EOI register, version >= 0x20): Remote IRR of
    every entry whose vector matches clears, and a line still asserted sends again. (Below 0x20
    __eoi_ioapic_pin flips the pin's entry to edge and back: Remote IRR clears whatever its vector --
    the same here, as ioapic_ack_level EOIs the irq's current vector, which its entry holds: reading
    kernel.intx.eoi-register.)"""
    if eng.w.get("xen") and eng.w.xen.get("intx"):
        return XEN_HVM["eoi"](eng, vector)
    for gsi, pin in pins(eng.w).items():
        if pin["vector"] == vector and pin["remote_irr"]:
            pin["remote_irr"] = False
            pin.pop("sent", None)
            P = eng.prov
            if P.on and eng.fresh and stuck(P, gsi) >= 0:
                # provenance: a Remote IRR recorded as left set (kernel/intx.py's clear_rte) clears after all
                from msidbg.model import provcodes as PC
                P.write(PC.IOAPIC_RIRR, PK.key(PK.IOAPICRIRR, gsi), 0,
                        note=f"the EOI of vector {vector:#x} clears IO-APIC entry {gsi}'s Remote IRR")
            update(eng, gsi)


def stuck(P: Any, gsi: int) -> int:
    """Provenance: the record that left IO-APIC entry ``gsi``'s Remote IRR set with no EOI to clear it (an
    entry deactivated while a level interrupt was in flight), if that is its last record, else -1."""
    w = P.writer(PK.key(PK.IOAPICRIRR, gsi))
    return w if w >= 0 and P.x(w) == 1 else -1


def finish_reason(w: Any, name: str) -> str:
    """Why a function's INTx condition was never serviced (the end of the run)."""
    dev = w.devices[name]
    ix = dev["intx"]
    if dev["cmd"] & CMD_INTX_DISABLE:
        return "were an INTx condition never signalled: Command.Interrupt Disable was set"
    if not asserting(dev):
        return "were an INTx condition never signalled: MSI or MSI-X was enabled (INTx# not used)"
    irq = w.irqs.get(ix.get("irq", ix["gsi"]))     # (a PV guest's pcifront pirq irq)
    pin = pins(w).get(ix["gsi"])
    if irq is not None and irq.get("spurious_disabled"):
        return (f"were an INTx condition on GSI {ix['gsi']}, whose irq note_interrupt disabled (\"nobody cared\"), "
                "and no handler of the line serviced it")
    if irq is not None and irq.get("disabled") and irq.get("started"):
        # disable_irq is lazy: handle_fasteoi_irq found IRQD_IRQ_DISABLED, set IRQS_PENDING and masked the
        # entry (or nothing came yet); no enable_irq unmasked it, so the asserted line never interrupted again
        return (f"were an INTx condition on GSI {ix['gsi']} still asserted at the end: irq {irq['irq']} was "
                f"disabled (depth {irq.get('depth', 0)}) and no enable_irq let the line interrupt again")
    if pin is not None and pin["masked"]:
        return f"were an INTx condition on GSI {ix['gsi']}, whose IO-APIC entry was masked"
    if pin is not None and pin["remote_irr"]:
        return (f"were an INTx condition on GSI {ix['gsi']}, whose IO-APIC entry still had Remote IRR set at the end "
                "(a level interrupt sent and never EOId): the line sent no more")
    return f"were an INTx condition on GSI {ix['gsi']} that no handler of the line serviced"
