"""Legacy INTx of a Xen HVM guest's passthrough function (docs/model-xen.md, "INTx on an HVM guest").

The guest kernel runs the bare-metal INTx code (kernel/intx.py: the IO-APIC level irq, handle_fasteoi_irq,
note_interrupt) against Xen's emulated IO-APIC; what lies between the function's INTx# and that vIOAPIC is
Xen's, cited from RELEASE-4.19.0 (4.16+: the loader refuses older Xen, whose dpci EOI timer is not modelled):

* Realize (QEMU xen-pt, xen_pt_realize): the machine GSI is mapped to a pirq (xc_physdev_map_pirq:
  MAP_PIRQ_TYPE_GSI, pirq = the GSI) and bound for the guest slot's pin (xc_domain_bind_pt_pci_irq,
  PT_IRQ_TYPE_PCI -> pt_irq_create_bind: a digl on the pirq, a girq on guest GSI hvm_pci_intx_gsi(slot, pin),
  pirq_guest_bind, which starts the host IO-APIC level irq). s->machine_irq is set: from then on the guest's
  Command write passes Interrupt Disable through both ways (xen_pt_cmd_reg_write; model/qemu_pt.py).
* The machine line (``w.xen["intx"]["m"][gsi]``): the host IO-APIC entry sends while some function on it
  asserts and its Remote IRR is clear (``rirr``); Xen's level IO-APIC irq is ACKTYPE_EOI (irq_acktype, the
  default new ack method), so Remote IRR stays set until Xen EOIs it.
* do_IRQ_guest (xen/arch/x86/irq.c): the guest's pirq->masked set and action->in_flight++ unless already;
  hvm_do_IRQ_dpci -> the dpci softirq's hvm_dirq_assist (xen/drivers/passthrough/x86/hvm.c): for every digl,
  hvm_pci_intx_assert (xen/arch/x86/hvm/irq.c: the device's bit in pci_intx, gsi_assert_count[gsi]++, and on
  0 -> 1 vioapic_irq_positive_edge: a masked entry or one with Remote IRR set is left alone) and
  pirq_dpci->pending++; the 1 ms eoi_timer is (re)armed. Xen's work is one item after costs.upcall
  (reading xen.host-abstract).
* The guest's EOI of a level vector (vlapic EOI with TMR set -> vioapic_update_EOI): every vIOAPIC entry with
  that vector has Remote IRR cleared and hvm_dpci_eoi(gsi): for every girq on that GSI hvm_pci_intx_deassert
  and hvm_pirq_eoi (``--pending``; at 0 pirq_guest_eoi: pirq->masked cleared, --in_flight, at 0 the host
  EOI: Remote IRR clears and a line still asserted interrupts Xen again, which asserts the guest's line
  again); then a level entry still asserted by another source is delivered again.
* irq_guest_eoi_timer_fn: 1 ms after do_IRQ_guest with the irq still in flight, Xen clears pirq->masked and
  EOIs the host irq itself -- ``pending`` is not reset, so a guest that was late keeps one more pending
  than EOIs (hvm_pirq_eoi then never reaches 0: every later host EOI waits for the timer).
"""

from __future__ import annotations

from typing import Any

from msidbg.model import build as _build
from msidbg.model import evtchn, ioapic
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.sim.events import INT, STR, kind

#: struct hvm_pirq_dpci's ``uint16_t pending`` (xen/arch/x86/include/asm/hvm/irq.h)
PENDING_MASK = 0xFFFF
#: __do_IRQ_guest: set_timer(&action->eoi_timer, NOW() + MILLISECS(1))
EOI_TIMER_NS = 1_000_000

XEN_INTX = kind("xen.intx", ("gsi", INT), ("pending", INT), ("what", STR),
                doc="Xen's side of an HVM guest's passthrough INTx: the machine GSI's host irq (do_IRQ_guest -> "
                "hvm_dirq_assist asserting the guest's line), hvm_dpci_eoi at the guest's EOI, the host EOI, "
                "the 1 ms eoi_timer (gsi: the machine GSI; pending: pirq_dpci->pending)")


def build(scn: Any, w: Any) -> None:
    """PLATFORM_BUILDERS hook (after Xen's): QEMU xen-pt's realize of every passthrough function with an
    INTx pin maps and binds its machine GSI (pirq = GSI)."""
    if w.platform["kind"] != "xen-hvm":
        return
    devs = [n for n in sorted(w.devices) if (w.devices[n].get("intx") or {}).get("mgsi") is not None]
    if not devs:
        return
    m: dict[int, dict[str, Any]] = {}
    for n in sorted(devs, key=lambda n: w.devices[n]["bdf"]):     # realize order: the guest's slots
        g = w.devices[n]["intx"]["mgsi"]
        rec = m.setdefault(g, {"pirq": g, "rirr": False, "masked": False, "in_flight": 0, "pending": 0,
                               "digl": []})
        rec["digl"].append(n)
    # "girq": every bound function in bind order (hvm_irq_dpci->girq[guest_gsi] lists, list_add_tail)
    w.xen["intx"] = {"m": m, "i": [], "count": {}, "girq": sorted(devs, key=lambda n: w.devices[n]["bdf"])}


def register() -> None:
    """After xenreg.register: the build hook runs after Xen's (w.xen exists)."""
    if build not in _build.PLATFORM_BUILDERS:
        _build.PLATFORM_BUILDERS.append(build)


def _asserted(w: Any, gsi: int) -> list[str]:
    """The functions driving machine GSI ``gsi`` now (wired-OR)."""
    return [n for n in sorted(w.devices) if (ix := w.devices[n].get("intx")) and ix.get("mgsi") == gsi
            and ioapic.asserting(w.devices[n])]


def host_line(eng: Any, gsi: int) -> None:
    """The machine line or its entry changed: asserted with Remote IRR clear -> the host IO-APIC sends
    (Remote IRR set); Xen's do_IRQ runs as a work item."""
    rec = eng.w.xen["intx"]["m"].get(gsi)
    if rec is None or rec["rirr"]:
        return
    drv = _asserted(eng.w, gsi)
    if not drv:
        return
    rec["rirr"] = True
    P = eng.prov
    if P.on and eng.fresh:
        # the interrupt conditions driving the line (each links its Command write), as the IO-APIC's level entry
        # links them on bare metal; not the guest step that ran the host EOI (ctx=False): a line asserted for
        # good re-fires at every EOI, and the chain of a "nobody cared" walked those EOIs back one by one
        for n in drv:
            P.dep(PC.D_LINE, PK.key(PK.HELD, PK.dev_entry(P.dev(n), 0)))
        P.write(PC.XEN, PK.key(PK.PTBIND, rec["pirq"]), 1, ctx=False,
                note=f"machine GSI {gsi} asserted by {', '.join(drv)}: the host IO-APIC sends (Remote IRR set)")
    eng.schedule(eng.w.now + eng.w.costs["upcall"], "xen", "intx", gsi)


def on_item(eng: Any, item: list[Any]) -> None:
    """Agenda handler (from evtchn.on_xen): ``[.., "intx", gsi]`` the host irq; ``[.., "intx_timer", gsi,
    token]`` its eoi_timer."""
    x = eng.w.xen["intx"]
    gsi = item[4]
    rec = x["m"][gsi]
    if item[3] == "intx_timer":
        due = bool(rec["in_flight"]) and rec.get("timer") == item[5]
        if due:
            rec["masked"] = False
            rec["in_flight"] = 0
            _host_eoi(eng, gsi, rec)
        eng.emit(XEN_INTX, -1, None, gsi, rec["pending"], eng.s(
            "eoi_timer: no guest EOI in 1 ms, Xen clears pirq->masked and EOIs the host irq" if due
            else "eoi_timer: idle"))
        return
    # do_IRQ_guest
    if not rec["masked"]:
        rec["masked"] = True
        rec["in_flight"] += 1
    P = eng.prov
    P.dep(PC.D_CAUSE, PK.key(PK.PTBIND, rec["pirq"]))
    asserted = []
    for n in rec["digl"]:          # hvm_dirq_assist: every digl of the pirq
        if _intx_assert(eng, n):
            asserted.append(n)
        rec["pending"] = (rec["pending"] + 1) & PENDING_MASK
    # stop_timer + set_timer: one eoi_timer per irq
    eng.unschedule(lambda it: it[2] == "xen" and it[3] == "intx_timer" and it[4] == gsi)
    what = (f"do_IRQ_guest -> hvm_dirq_assist: hvm_pci_intx_assert {', '.join(asserted)}" if asserted
            else "do_IRQ_guest -> hvm_dirq_assist: the guest's lines already asserted")
    if asserted or any(not _idle_item(it) for it in eng.agenda.values()):
        rec["timer"] = token = eng.w.seq + 1
        eng.schedule(eng.w.now + EOI_TIMER_NS, "xen", "intx_timer", gsi, token)
    else:
        # the eoi_timer would EOI the irq and the still asserted line interrupt again every 1 ms for ever,
        # changing nothing the guest sees: the model stops there once nothing else is scheduled (reading
        # xen.intx.timer-bound, as kernel.intx.poll-bound)
        what += "; eoi_timer not re-armed (nothing else is scheduled)"
    if P.on and eng.fresh:
        _count_dep(P, gsi)
        P.write(PC.XEN, PK.key(PK.PTBIND, rec["pirq"]), rec["pending"], note=what,
                also=(PK.key(PK.INTXPEND, gsi),))
    eng.emit(XEN_INTX, -1, rec["digl"][0], gsi, rec["pending"], eng.s(what))


def _count_dep(P: Any, gsi: int) -> None:
    """Provenance: ``pending`` is read and written back (a uint16_t: hvm_pirq_eoi of a pirq another
    device's EOI already decremented wraps it): the node links the step that last changed it."""
    k = PK.key(PK.INTXPEND, gsi)
    if P.writer(k) >= 0:
        P.dep(PC.D_COUNT, k)


def _idle_item(it: list[Any]) -> bool:
    """An agenda item of the idle loops: the spurious poll, Xen's INTx host irqs and their eoi_timers."""
    return it[2] == "spoll" or (it[2] == "xen" and it[3] in ("intx", "intx_timer"))


def _intx_assert(eng: Any, name: str) -> bool:
    """hvm_pci_intx_assert: the device's bit; gsi_assert_count++; on 0 -> 1 vioapic_irq_positive_edge."""
    x = eng.w.xen["intx"]
    if name in x["i"]:
        return False
    x["i"] = sorted([*x["i"], name])
    g = eng.w.devices[name]["intx"]["gsi"]
    c = x["count"].get(g, 0)
    x["count"][g] = c + 1
    if c == 0:
        ioapic.update(eng, g)      # unmasked, Remote IRR clear -> Remote IRR set, vioapic_deliver
    return True


def _intx_deassert(eng: Any, name: str) -> None:
    x = eng.w.xen["intx"]
    if name not in x["i"]:
        return
    x["i"] = [n for n in x["i"] if n != name]
    g = eng.w.devices[name]["intx"]["gsi"]
    x["count"][g] -= 1


def vioapic_eoi(eng: Any, vector: int) -> None:
    """vioapic_update_EOI: every entry with ``vector``: Remote IRR cleared, hvm_dpci_eoi(gsi), then a level
    entry still asserted (gsi_assert_count) is delivered again."""
    for gsi, pin in ioapic.pins(eng.w).items():
        if pin["vector"] != vector:
            continue
        pin["remote_irr"] = False
        dpci_eoi(eng, gsi)
        ioapic.update(eng, gsi)


def dpci_eoi(eng: Any, guest_gsi: int) -> None:
    """hvm_dpci_eoi: for every girq on the guest GSI (bind order), __hvm_dpci_eoi: deassert the device's
    virtual line and hvm_pirq_eoi its pirq (``--pending``; at 0 pirq_guest_eoi). Part of the guest's EOI
    step (no event of its own: the provenance notes say what Xen did)."""
    w = eng.w
    x = w.xen["intx"]
    for n in x["girq"]:
        ix = w.devices[n]["intx"]
        if ix["gsi"] == guest_gsi:
            gsi = ix["mgsi"]
            rec = x["m"][gsi]
            _intx_deassert(eng, n)
            rec["pending"] = (rec["pending"] - 1) & PENDING_MASK     # uint16_t pending: 0 - 1 wraps
            how = f"hvm_dpci_eoi: {n}'s line deasserted; hvm_pirq_eoi: pending {rec['pending']}"
            eoi = False
            if not rec["pending"] and rec["masked"]:      # pirq_guest_eoi -> desc_guest_eoi
                rec["masked"] = False
                rec["in_flight"] -= 1
                eoi = not rec["in_flight"]
                how += ", pirq_guest_eoi" + ("" if rec["in_flight"] else ": the host irq is EOIed")
            P = eng.prov
            if P.on and eng.fresh:
                _count_dep(P, gsi)
                P.write(PC.XEN, PK.key(PK.PTBIND, rec["pirq"]), rec["pending"], note=how,
                        also=(PK.key(PK.INTXPEND, gsi),))
            if eoi:
                _host_eoi(eng, gsi, rec)


def _host_eoi(eng: Any, gsi: int, rec: dict[str, Any]) -> None:
    """The host EOI (flush_ready_eoi -> end_level_ioapic_irq): Remote IRR clears; still asserted -> again."""
    rec["rirr"] = False
    P = eng.prov
    if P.on and eng.fresh:
        P.write(PC.XEN, PK.key(PK.PTBIND, rec["pirq"]), rec["pending"],
                note=f"the host EOI of machine GSI {gsi}: Remote IRR clear")
    host_line(eng, gsi)


evtchn.XEN_INTX_ITEM[:] = [on_item]
ioapic.XEN_HVM["line"] = host_line
ioapic.XEN_HVM["eoi"] = vioapic_eoi
