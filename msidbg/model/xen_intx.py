"""Legacy INTx of a Xen HVM guest's passthrough function (docs/model-xen.md, "INTx on an HVM guest").

The guest kernel runs the bare-metal INTx code (kernel/intx.py: the IO-APIC level irq, handle_fasteoi_irq,
note_interrupt) against Xen's emulated IO-APIC; what lies between the function's INTx# and that vIOAPIC is
Xen's, cited from RELEASE-4.19.0 (4.13 .. 4.15: the dpci EOI timer and the masked-entry EOI skip, below; the
loader refuses older Xen):

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
* Before 730d0f6082 (4.16, ``xen_dpci_eoi_timer``): every hvm_dirq_assist sets the pirq's dpci timer to
  PT_IRQ_TIME_OUT (8 ms), hvm_pirq_eoi stops it at pending 0; pt_irq_time_out deasserts the pirq's digls and
  gives every pirq on their guest GSIs pending = 0 and pirq_guest_eoi. Before eb298f32fa (4.15,
  ``xen_dpci_eoi_masked``) hvm_pirq_eoi skips pirq_guest_eoi for a masked vIOAPIC entry.

A PV guest's pcifront function (``build_pv``, docs/model-xen.md "INTx on a PV guest"): the toolstack's GSI
pirq, the guest's xen_bind_pirq_gsi_to_irq irq on xen_pirq_chip with handle_fasteoi_irq; Xen's do_IRQ_guest
sends on its event channel, the guest's eoi_pirq makes PHYSDEVOP_eoi (desc_guest_eoi).
"""

from __future__ import annotations

from typing import Any

from msidbg.model import build as _build
from msidbg.model import evtchn, ioapic
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model import xen as X
from msidbg.model.kernel import intx as KI
from msidbg.model.kernel import irq as I
from msidbg.model.kernel import xen_events as XE
from msidbg.model.kernel.xen import CHIP, CHIP_GSI
from msidbg.sim.events import INT, STR, kind

#: struct hvm_pirq_dpci's ``uint16_t pending`` (xen/arch/x86/include/asm/hvm/irq.h)
PENDING_MASK = 0xFFFF
#: __do_IRQ_guest: set_timer(&action->eoi_timer, NOW() + MILLISECS(1))
EOI_TIMER_NS = 1_000_000
#: xen/include/xen/iommu.h (RELEASE-4.13.0 .. 4.15.0): #define PT_IRQ_TIME_OUT MILLISECS(8)
PT_IRQ_TIME_OUT_NS = 8_000_000

XEN_INTX = kind("xen.intx", ("gsi", INT), ("pending", INT), ("what", STR),
                doc="Xen's side of an HVM guest's passthrough INTx: the machine GSI's host irq (do_IRQ_guest -> "
                "hvm_dirq_assist asserting the guest's line), hvm_dpci_eoi at the guest's EOI, the host EOI, "
                "the 1 ms eoi_timer (gsi: the machine GSI; pending: pirq_dpci->pending)")


def build(scn: Any, w: Any) -> None:
    """PLATFORM_BUILDERS hook (after Xen's): QEMU xen-pt's realize of every passthrough function with an
    INTx pin maps and binds its machine GSI (pirq = GSI); on a PV guest ``build_pv``."""
    if w.platform["kind"] == "xen-pv":
        build_pv(w)
        return
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


def build_pv(w: Any) -> None:
    """A PV guest's pcifront functions with an INTx pin: the toolstack maps each machine GSI to the pirq of
    the same number for the domain (libxl's pci_add: xc_physdev_map_pirq(domid, irq, &irq), MAP_PIRQ_TYPE_GSI;
    the pirq record has ``type`` "gsi" and the IO-APIC irq, whose number is the GSI's); pciback puts that
    pirq in Interrupt Line, and the guest's pci_enable_device -> xen_pcifront_enable_irq binds it:
    xen_bind_pirq_gsi_to_irq(gsi, pirq = gsi, shareable: GSI 16+) -- one irq per GSI (xen_irq_from_gsi
    returns the existing one to a second function), dynamically numbered (xen_allocate_irq_gsi of a PV domU:
    xen_allocate_irqs_dynamic), on xen_pirq_chip with handle_fasteoi_irq and no event channel until
    request_irq's startup_pirq. The model binds them at boot, in bus order (reading xen.intx.pv-bind)."""
    from msidbg.model.kernel.msi import new_desc

    devs = sorted((n for n in w.devices if (w.devices[n].get("intx") or {}).get("mgsi") is not None),
                  key=lambda n: w.devices[n]["bdf"])
    if not devs:
        return
    x = w.xen
    m: dict[int, dict[str, Any]] = {}
    for n in devs:
        g = w.devices[n]["intx"]["mgsi"]
        rec = m.get(g)
        if rec is None:
            # the IO-APIC irq of the GSI, as Xen holds it for the guest: Remote IRR, the guest's pirq->masked,
            # action->in_flight, bound (pirq_guest_bind ran: IRQ_GUEST, started), the functions on the line
            rec = m[g] = {"pirq": g, "rirr": False, "masked": False, "in_flight": 0, "bound": False, "devs": []}
            prec = X.pirq_rec(x, g)
            prec.update(irq=g, dev=n, entry=0, type="gsi")
            irq_no = w.kernel["next_irq"]
            w.kernel["next_irq"] = irq_no + 1
            desc = new_desc(w, irq_no, n, 0, CHIP_GSI)
            desc["actions"] = []
            w.irqs[irq_no] = desc
            w.kernel["xen"]["irqs"][irq_no] = {"pirq": g, "port": 0, "cpu": 0, "dev": n, "index": 0}
            rec["irq"] = irq_no
        rec["devs"].append(n)
        w.devices[n]["intx"]["irq"] = rec["irq"]
    w.xen["intx"] = {"m": m}


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
    (Remote IRR set); Xen's do_IRQ runs as a work item. A PV guest's GSI sends only while bound
    (pirq_guest_bind's startup unmasks the entry; pirq_guest_unbind disables it)."""
    rec = eng.w.xen["intx"]["m"].get(gsi)
    if rec is None or rec["rirr"] or not rec.get("bound", True):
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
    if item[3] == "intx_dpci":
        _dpci_time_out(eng, gsi, rec, item[5])
        return
    if item[3] == "intx_timer":
        due = bool(rec["in_flight"]) and rec.get("timer") == item[5]
        if due:
            rec["masked"] = False
            rec["in_flight"] = 0
            _host_eoi(eng, gsi, rec)
        eng.emit(XEN_INTX, -1, None, gsi, rec.get("pending", rec["in_flight"]), eng.s(
            "eoi_timer: no guest EOI in 1 ms, Xen clears pirq->masked and EOIs the host irq" if due
            else "eoi_timer: idle"))
        return
    # do_IRQ_guest
    if not rec["masked"]:
        rec["masked"] = True
        rec["in_flight"] += 1
    if "devs" in rec:
        _pv_irq(eng, gsi, rec)
        return
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
    busy = any(not _idle_item(it) for it in eng.agenda.values())
    if asserted or busy:
        rec["timer"] = token = eng.w.seq + 1
        eng.schedule(eng.w.now + EOI_TIMER_NS, "xen", "intx_timer", gsi, token)
        if busy and eng.w.behaviour.get("xen_dpci_eoi_timer"):
            # before 730d0f6082 (4.16): set_timer(&pirq_dpci->timer, NOW() + PT_IRQ_TIME_OUT) -- re-armed by
            # every assist; not once nothing but the idle loops is scheduled: its deassert would let the
            # next assist assert again every 8 ms for ever (reading xen.intx.timer-bound)
            eng.unschedule(lambda it: it[2] == "xen" and it[3] == "intx_dpci" and it[4] == gsi)
            rec["dpci"] = dtoken = eng.w.seq + 1
            eng.schedule(eng.w.now + PT_IRQ_TIME_OUT_NS, "xen", "intx_dpci", gsi, dtoken)
    else:
        # the eoi_timer would EOI the irq and the still asserted line interrupt again every 1 ms for ever,
        # changing nothing the guest sees: the model stops there once nothing else is scheduled (reading
        # xen.intx.timer-bound, as kernel.intx.poll-bound)
        what += "; eoi_timer not re-armed (nothing else is scheduled)"
    if P.on and eng.fresh:
        _count_dep(P, gsi)
        P.write(PC.XEN, PK.key(PK.PTBIND, rec["pirq"]), rec.get("pending", rec["in_flight"]), note=what,
                also=(PK.key(PK.INTXPEND, gsi),))
    eng.emit(XEN_INTX, -1, rec["digl"][0], gsi, rec["pending"], eng.s(what))


def _pv_irq(eng: Any, gsi: int, rec: dict[str, Any]) -> None:
    """do_IRQ_guest for a PV guest (``!is_hvm_domain(d)``): send_guest_pirq -- the GSI pirq's event
    channel goes pending (it has one: the guest bound it to get pirq_guest_bind) -- and the 1 ms eoi_timer.
    The port carries no signal count: the guest's handlers find their functions' conditions."""
    P = eng.prov
    port = eng.w.xen["pirqs"][rec["pirq"]]["port"]
    drv = _asserted(eng.w, gsi)
    dev = drv[0] if drv else rec["devs"][0]
    how = "no event channel"
    if port:
        if P.on and eng.fresh:
            # the event carries the line's conditions (the functions driving the machine GSI), as the IO-APIC's level
            # entry links them on bare metal: what the guest's handler run then finds (why26: the pending bit linked
            # only the port's binding). A port the guest masked keeps its mask first (message-like links rank after it)
            for n in drv:
                P.dep(PC.D_LINE, PK.key(PK.HELD, PK.dev_entry(P.dev(n), 0)))
        how = evtchn.send(eng, port, [dev, 0, 0])
        ch = eng.w.xen["ports"][port]
        ch["src"] = [s for s in ch["src"] if s[2]]
    changed = bool(port) and how != "coalesced"     # the port newly pending: the guest has something to do
    eng.unschedule(lambda it: it[2] == "xen" and it[3] == "intx_timer" and it[4] == gsi)
    what = f"do_IRQ_guest -> send_guest_pirq: pirq {rec['pirq']} on event channel {port}: {how}"
    if changed or any(not _idle_item(it) for it in eng.agenda.values()):
        rec["timer"] = token = eng.w.seq + 1
        eng.schedule(eng.w.now + EOI_TIMER_NS, "xen", "intx_timer", gsi, token)
    else:
        what += "; eoi_timer not re-armed (nothing else is scheduled)"
    if P.on and eng.fresh:
        # what Xen last did to the pirq (the host IO-APIC's send), and the port's pending bit this send set
        # (or found set: the send that set it), which links the guest's mask that holds it (disable_irq's
        # disable_pirq). (The first was taken before evtchn.send, whose node took it: the pending bit then
        # followed the host send, not the mask, and this node linked nothing.)
        P.dep(PC.D_CAUSE, PK.key(PK.PTBIND, rec["pirq"]))
        if port:
            P.dep(PC.D_CAUSE, PK.key(PK.PORTPEND, port))
        P.write(PC.XEN, PK.key(PK.PTBIND, rec["pirq"]), rec["in_flight"], note=what)
    eng.emit(XEN_INTX, -1, dev, gsi, rec["in_flight"], eng.s(what))


def pv_bind(eng: Any, pirq: int) -> int:
    """EVTCHNOP_bind_pirq of a PV guest's GSI pirq -> pirq_guest_bind: the first binding makes the IO-APIC
    irq the guest's (IRQ_GUEST, ack type irq_acktype: ACKTYPE_EOI for a level IO-APIC irq with the new
    ack method) and starts it (startup_level_ioapic_irq unmasks the entry: an asserted line interrupts);
    the guest's pirq_eoi_map bit is set (ack type not ACKTYPE_NONE)."""
    x = eng.w.xen
    rec = x["intx"]["m"][pirq]
    x["pirqs"][pirq]["bound"] = rec["bound"] = True
    P = eng.prov
    P.dep(PC.D_CAUSE, PK.key(PK.PIRQ, pirq))
    P.write(PC.XEN, PK.key(PK.PTBIND, pirq), 1,
            note=f"pirq_guest_bind: GSI {pirq}'s IO-APIC irq is the guest's (ACKTYPE_EOI; its pirq_eoi_map bit set) "
            "and starts: the entry unmasked")
    host_line(eng, pirq)
    return 0


def pv_unbind(eng: Any, pirq: int) -> int:
    """EVTCHNOP_close of the GSI pirq's port -> pirq_guest_unbind: a pirq still in flight has its
    pirq->masked cleared (--in_flight), the last guest gone the irq is disabled and its pending EOIs
    flushed (Remote IRR clears; the masked entry sends nothing), the eoi_timer killed."""
    x = eng.w.xen
    rec = x["intx"]["m"][pirq]
    x["pirqs"][pirq]["bound"] = rec["bound"] = False
    if rec["masked"]:
        rec["masked"] = False
        rec["in_flight"] -= 1
    rec["in_flight"] = 0
    rec["rirr"] = False
    eng.unschedule(lambda it: it[2] == "xen" and it[3] == "intx_timer" and it[4] == pirq)
    eng.prov.write(PC.XEN, PK.key(PK.PTBIND, pirq), 0,
                   note=f"pirq_guest_unbind: GSI {pirq}'s IO-APIC irq disabled (no guest left), its pending EOI flushed")
    return 0


def pv_eoi(eng: Any, pirq: int) -> None:
    """PHYSDEVOP_eoi of the GSI pirq -> pirq_guest_eoi -> desc_guest_eoi: pirq->masked cleared and
    --in_flight; at 0 the eoi_timer stopped and (ACKTYPE_EOI) the host EOI -- Remote IRR clears, and a
    line still asserted interrupts again. Nothing in flight for the guest: nothing."""
    rec = eng.w.xen["intx"]["m"][pirq]
    if not rec["masked"]:
        return
    rec["masked"] = False
    rec["in_flight"] -= 1
    if rec["in_flight"]:
        return
    eng.unschedule(lambda it: it[2] == "xen" and it[3] == "intx_timer" and it[4] == pirq)
    _host_eoi(eng, pirq, rec)


def _count_dep(P: Any, gsi: int) -> None:
    """Provenance: ``pending`` is read and written back (a uint16_t: hvm_pirq_eoi of a pirq another
    device's EOI already decremented wraps it): the node links the step that last changed it."""
    k = PK.key(PK.INTXPEND, gsi)
    if P.writer(k) >= 0:
        P.dep(PC.D_COUNT, k)


def _idle_item(it: list[Any]) -> bool:
    """An agenda item of the idle loops: the spurious poll, Xen's INTx host irqs and their eoi_timers."""
    return it[2] == "spoll" or (it[2] == "xen" and it[3] in ("intx", "intx_timer", "intx_dpci"))


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
        pin.pop("sent", None)
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
            b = w.behaviour
            if not rec["pending"] and not b.get("xen_dpci_eoi_masked", True) and ioapic.pins(w)[guest_gsi]["masked"]:
                # before eb298f32fa (4.15; 4.13.3, 4.14.2): '(ent && ent->fields.mask)' returns first
                how += "; the guest's vIOAPIC entry is masked: no pirq_guest_eoi"
            elif not rec["pending"] and b.get("xen_dpci_eoi_timer"):
                eng.unschedule(lambda it, g=gsi: it[2] == "xen" and it[3] == "intx_dpci" and it[4] == g)
                rec["dpci"] = 0     # stop_timer(&pirq_dpci->timer)
            if not rec["pending"] and rec["masked"] and not how.endswith("no pirq_guest_eoi"):
                rec["masked"] = False
                rec["in_flight"] -= 1
                eoi = not rec["in_flight"]
                how += ", pirq_guest_eoi" + ("" if rec["in_flight"] else ": the host irq is EOIed")
            P = eng.prov
            if P.on and eng.fresh:
                _count_dep(P, gsi)
                if how.endswith("no pirq_guest_eoi") and P.writer(mk := PK.key(PK.IOAPICMASK, guest_gsi)) >= 0:
                    # the guest's mask of its vIOAPIC entry (mask_ioapic_irq: a disabled irq's
                    # handle_fasteoi_irq, the disable itself) is what kept the host irq in flight
                    P.dep(PC.D_MASKED_BY, mk)
                P.write(PC.XEN, PK.key(PK.PTBIND, rec["pirq"]), rec.get("pending", rec["in_flight"]), note=how,
                        also=(PK.key(PK.INTXPEND, gsi),))
            if eoi:
                _host_eoi(eng, gsi, rec)


def _dpci_time_out(eng: Any, gsi: int, rec: dict[str, Any], token: int) -> None:
    """pt_irq_time_out (before 730d0f6082, 4.16): PT_IRQ_TIME_OUT after the pirq's last hvm_dirq_assist
    without its pending reaching 0. For every digl of the pirq: every girq on the digl's guest GSI latched
    (HVM_IRQ_DPCI_EOI_LATCH), the digl's guest line deasserted; then pt_pirq_iterate (pirq order) gives every
    latched pirq pending = 0 and pirq_guest_eoi (desc_guest_eoi: the host EOI once nothing is in flight).
    The guest's vIOAPIC Remote IRR is not touched: its EOI later still runs hvm_dpci_eoi."""
    w = eng.w
    x = w.xen["intx"]
    if rec.get("dpci") != token:
        eng.emit(XEN_INTX, -1, None, gsi, rec["pending"], eng.s("pt_irq_time_out: stopped"))
        return
    rec["dpci"] = 0
    latched: set[int] = set()
    for n in rec["digl"]:
        guest = w.devices[n]["intx"]["gsi"]
        latched.update(w.devices[g]["intx"]["mgsi"] for g in x["girq"] if w.devices[g]["intx"]["gsi"] == guest)
        _intx_deassert(eng, n)
    eoied = []
    for mg in sorted(latched):
        r = x["m"][mg]
        r["pending"] = 0
        if r["masked"]:         # pirq_guest_eoi -> desc_guest_eoi
            r["masked"] = False
            r["in_flight"] -= 1
            if not r["in_flight"]:
                eoied.append(mg)
    what = (f"pt_irq_time_out: no guest EOI in 8 ms: {', '.join(rec['digl'])} deasserted; pending = 0 and "
            f"pirq_guest_eoi for pirq {', '.join(str(p) for p in sorted(latched))}")
    P = eng.prov
    if P.on and eng.fresh:
        P.write(PC.XEN, PK.key(PK.PTBIND, rec["pirq"]), 0, note=what)
    for mg in eoied:
        _host_eoi(eng, mg, x["m"][mg])
    eng.emit(XEN_INTX, -1, rec["digl"][0], gsi, rec["pending"], eng.s(what))


def _host_eoi(eng: Any, gsi: int, rec: dict[str, Any]) -> None:
    """The host EOI (flush_ready_eoi -> end_level_ioapic_irq): Remote IRR clears; still asserted -> again."""
    rec["rirr"] = False
    P = eng.prov
    if P.on and eng.fresh:
        P.write(PC.XEN, PK.key(PK.PTBIND, rec["pirq"]), rec.get("pending", rec["in_flight"]),
                note=f"the host EOI of machine GSI {gsi}: Remote IRR clear")
    host_line(eng, gsi)


# --- the guest's pcifront GSI irq (a PV guest): xen_pirq_chip with handle_fasteoi_irq ---------------------
def _eoi_pirq(k: Any, loc: dict[str, Any], desc: Any) -> None:
    """handle_fasteoi_irq's chip->irq_eoi = eoi_pirq, after the actions (or at ``out``): clear_evtchn
    (event_handler_exit), then PHYSDEVOP_eoi when pirq_needs_eoi (the next step). No event channel
    (``!VALID_EVTCHN``): nothing."""
    info = k.w.kernel["xen"]["irqs"].get(desc.irq)
    port = info["port"] if info is not None else 0
    if not port:
        k.note(f"eoi_pirq: irq {desc.irq} has no event channel", 0, desc.dev)
        KI._done(k, desc)
        return
    src = evtchn.clear(k.eng, port)
    k.ev(XE.EVTCHN_CLEAR, desc.dev, port, sum(s[2] for s in src))
    if info is not None and info.get("needs_eoi"):
        k.goto("chip_eoi_more")
    else:
        KI._done(k, desc)


def _eoi_pirq_hcall(k: Any, loc: dict[str, Any], desc: Any) -> None:
    """eoi_pirq's PHYSDEVOP_eoi: Xen's pirq_guest_eoi (``pv_eoi``)."""
    XE.pirq_eoi(k, k.w.kernel["xen"]["irqs"][desc.irq])


def _disable_pirq_quiet(k: Any, desc: Any) -> None:
    """note_interrupt's irq_disable -> disable_pirq: the port's mask (disable_dynirq)."""
    info = k.w.kernel["xen"]["irqs"].get(desc.irq)
    if info is not None and info["port"]:
        evtchn.set_mask(k.eng, info["port"], True)


def _register_chip() -> None:
    """The pcifront GSI irq's chip is xen_pirq_chip: every callback of the MSI pirq irqs' (startup_pirq,
    shutdown_pirq, enable/disable_pirq, the port's mask, set_affinity_irq, retrigger_dynirq), plus the
    shared actions of a PCI INTx line and eoi_pirq as handle_fasteoi_irq's irq_eoi. Not NO_RESEND:
    xen_bind_pirq_gsi_to_irq sets no trigger type, so check_irq_resend does not take it for a level irq
    and retrigger_dynirq replays an IRQS_PENDING (reading xen.intx.pv-resend)."""
    tables: tuple[dict[str, Any], ...] = (I.CHIP_DISABLE, I.CHIP_ENABLE, I.CHIP_RETRIGGER, I.CHIP_MASK,
                                          I.CHIP_STARTUP, I.CHIP_SHUTDOWN, I.CHIP_SET_AFFINITY, I.CHIP_PROPS)
    for table in tables:
        table[CHIP_GSI] = table[CHIP]
    I.CHIP_PROP_SWITCH[(CHIP_GSI, "move-pcntxt")] = I.CHIP_PROP_SWITCH[(CHIP, "move-pcntxt")]
    I.SHARED_REQUEST[CHIP_GSI] = I.SHARED_REQUEST[KI.IOAPIC_LEVEL]
    I.SHARED_FREE[CHIP_GSI] = I.SHARED_FREE[KI.IOAPIC_LEVEL]
    KI.CHIP_EOI[CHIP_GSI] = _eoi_pirq
    KI.CHIP_DISABLE_NOW[CHIP_GSI] = _disable_pirq_quiet
    KI.CHIP_EOI_MORE[CHIP_GSI] = _eoi_pirq_hcall


_register_chip()
X.GSI.update(bind=pv_bind, unbind=pv_unbind, eoi=pv_eoi)
evtchn.XEN_INTX_ITEM[:] = [on_item]
ioapic.XEN_HVM["line"] = host_line
ioapic.XEN_HVM["eoi"] = vioapic_eoi
