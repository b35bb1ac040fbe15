"""disable_irq / disable_irq_nosync / enable_irq and check_irq_resend (kernel/irq/manage.c, chip.c,
resend.c), as a driver calls them around a reset or a suspend.

* ``disable_irq``: ``__disable_irq`` -- ``if (!desc->depth++) irq_disable(desc)``: the first level
  sets IRQD_IRQ_DISABLED; the chip is touched only if it has ``irq_disable`` (the Xen pirq chip: the
  port's mask) or the irq is IRQ_DISABLE_UNLAZY (``mask_irq``). The x86 PCI-MSI chips have no
  ``irq_disable``: a lazy disable writes nothing. Then ``synchronize_irq`` waits while another CPU
  is in the irq's flow handler or action (``irq.synchronize_irq``, the wait free_irq uses);
  ``disable_irq_nosync`` does not wait.
* An edge meanwhile: handle_edge_irq finds the irq disabled -- IRQS_PENDING, mask_ack_irq, out
  (``entry.park``; the event ``irq.pending``).
* ``enable_irq``: ``__enable_irq`` -- depth 0: WARN "Unbalanced enable for IRQ %d" (the event
  ``irq.enable`` how=unbalanced; the call returns nothing); depth > 1: depth--; depth 1:
  ``irq_startup(desc, IRQ_RESEND, IRQ_START_FORCE)`` -- a started irq gets ``irq_enable`` (unmask if
  masked, or chip->irq_enable), then ``check_irq_resend``: IRQS_PENDING -> the chip's retrigger
  (x86: ``apic_retrigger_irq``, the vector sent as an IPI to the irq's CPU; xen-pirq:
  ``retrigger_dynirq``, the port set pending) and IRQS_REPLAY until the flow handler runs again.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import apic
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.kernel import irq as I
from msidbg.model.kernel import sources as S
from msidbg.model.kernel import vector as vec
from msidbg.model.kernel.driver import action
from msidbg.sim.events import INT, STR, kind

EINVAL = 22

IRQ_DISABLE = kind("irq.disable", ("irq", INT), ("depth", INT), ("how", STR),
                   doc="disable_irq: the disable depth after it; how: lazy (IRQD_IRQ_DISABLED only), masked "
                   "(chip->irq_disable or IRQ_DISABLE_UNLAZY), nested, or already disabled")
IRQ_ENABLE = kind("irq.enable", ("irq", INT), ("depth", INT), ("how", STR),
                  doc="enable_irq: the depth after it; how: nested, irq_startup (depth 1 -> 0: enable, then "
                  "check_irq_resend), or the WARN \"Unbalanced enable for IRQ\" (depth already 0)")
IRQ_PENDING = kind("irq.pending", ("irq", INT), ("signals", INT), ("why", STR),
                   doc="handle_edge_irq on a disabled (or shut down) irq: IRQS_PENDING, mask_ack_irq, no action")
IRQ_RESEND = kind("irq.resend", ("irq", INT), ("target", INT), ("how", STR),
                  doc="check_irq_resend replays an IRQS_PENDING irq through the chip's retrigger (target: the CPU "
                  "the IPI or the event channel goes to; -1: nothing sent)")


def replaying(desc: dict[str, Any]) -> bool:
    """IRQS_REPLAY: set by a retrigger, cleared when the flow handler next runs. Kept as the action
    count the retrigger saw (``replay``): a handler run since bumped ``count``, and a parked or
    deferred edge cleared it (-1), so the interrupt path pays nothing for it."""
    r = desc.get("replay", -1)
    return r >= 0 and r == desc["count"]


def check_irq_resend(k: Any, desc: dict[str, Any]) -> None:
    """check_irq_resend(desc, false) for an IRQS_PENDING edge irq (the caller tested it): -EBUSY while
    IRQS_REPLAY; else IRQS_PENDING cleared, the chip's retrigger, IRQS_REPLAY. The signals the pending
    bit stood for ride on the retrigger. Emits ``irq.resend``."""
    irq = desc["irq"]
    if replaying(desc):
        k.ev(IRQ_RESEND, desc["dev"], irq, -1, k.s("IRQS_REPLAY: a retrigger is in flight (-EBUSY)"))
        return
    if desc["chip"] in I.NO_RESEND:
        # 'We do not resend level type interrupts. Level type interrupts are resent by hardware when
        # they are still active.' -- IRQS_PENDING cleared, -EINVAL (an INTx line: kernel/intx.py)
        desc["pending"] = False
        desc.pop("pending_stray", None)
        k.ev(IRQ_RESEND, desc["dev"], irq, -1, k.s("level irq: not resent (the hardware resends while asserted)"))
        return
    srcs = [list(s) for s in desc.get("pending_src") or ()]
    desc["pending"] = False
    desc["pending_src"] = []
    stray = desc.pop("pending_stray", None)     # (entry.hold_stray: an edge that was a retriggered message)
    retrigger = I.CHIP_RETRIGGER.get(desc["chip"], apic_retrigger_irq)
    if retrigger(k, desc, srcs):
        desc["replay"] = desc["count"]
        if stray and retrigger is apic_retrigger_irq:
            # the replay IPI's IRR bit stands for it too: the handler run it leads to is spurious for its
            # sender (entry.take_stray at the acceptance)
            target = k.w["cpus"][vec.retrigger_cpu(k.w, desc)]
            rec = target.get("retrig_irr")
            if rec is None:
                target["retrig_irr"] = rec = {}
            rec.setdefault(desc["vector"], []).extend(stray)
            P = k.eng.prov
            if P.on and k.eng.fresh:    # (why30: the IPI's IRR set is how the stray reaches that CPU: _sender_irr)
                P.stray_ipi.add(P.writer(PK.key(PK.IRR, PK.cpu_vec(vec.retrigger_cpu(k.w, desc), desc["vector"]))))
        return
    # no hardware retrigger (only a Xen pirq without an event channel gets here): the software resend
    # tasklet (x86 selects HARDIRQS_SW_RESEND from 5.7, "x86: Select HARDIRQS_SW_RESEND on x86") is not
    # modelled -- the edges stay IRQS_PENDING
    desc["pending"] = bool(srcs)
    desc["pending_src"] = srcs
    k.ev(IRQ_RESEND, desc["dev"], irq, -1, k.s("no retrigger: the edges stay IRQS_PENDING"))


def apic_retrigger_irq(k: Any, desc: dict[str, Any], srcs: list[list[Any]]) -> bool:
    """irq_chip_retrigger_hierarchy down to the vector domain's apic_retrigger_irq: the irq's vector
    sent as an IPI to its CPU (``apic->send_IPI(apicd->cpu, apicd->vector)``); the IRR bit carries
    the pending signals, so the replayed handler run delivers them."""
    w = k.w
    cid, v = vec.retrigger_cpu(w, desc), desc["vector"]
    if not desc["activated"] or not v or not 0 <= cid < len(w["cpus"]):
        return False
    target = w["cpus"][cid]
    if not srcs:
        apic.receive(target, v, None)
    for s in srcs:
        apic.receive(target, v, s)
    apic.edge(target, v)    # an IPI: an edge (SDM 10.8.4: its TMR bit cleared)
    # provenance: check_irq_resend, in the step that enables or starts the irq (its stack: enable_irq,
    # request_irq's irq_startup), takes IRQS_PENDING; the IPI it sends links that
    P = k.eng.prov
    pend = PK.key(PK.IRQPEND, desc["irq"])
    P.dep(PC.D_CAUSE, pend)
    P.write(PC.KERNEL, pend, 0, note=f"check_irq_resend: irq {desc['irq']}'s IRQS_PENDING replayed by "
            f"apic_retrigger_irq (IPI of vector {v:#x} to CPU{cid})")
    P.cause_ipi(PC.D_CAUSE, pend, cid, v)
    k.eng.model.wake(k.eng, target)
    k.ev(IRQ_RESEND, desc["dev"], desc["irq"], cid, k.s(f"apic_retrigger_irq: IPI vector {v:#x}"), cost="ipi")
    return True


def _lookup(k: Any, loc: dict[str, Any], what: str) -> dict[str, Any] | None:
    """irq_get_desc_buslock(pci_irq_vector(dev, vector)): no irq -> the call does nothing (the action
    returns -EINVAL, the errno pci_irq_vector gave the driver)."""
    desc = I.irq_of(k, loc["dev"], loc["vector"])
    if desc is None:
        k.note(f"vector {loc['vector']} has no irq: {what} finds no descriptor", -EINVAL, loc["dev"])
        k.ret(-EINVAL)
    return desc


def _disable_program(do: str, name: str, wait: bool) -> Any:
    doc = ("__disable_irq (depth++; the first level: irq_disable), then synchronize_irq" if wait
           else "__disable_irq (depth++; the first level: irq_disable); no wait")
    prog = action(do, name, doc, (S.DISABLE_IRQ, S.IRQ_DISABLE, S.SYNC_CHIP) if wait else (S.DISABLE_IRQ, S.IRQ_DISABLE))

    @prog.step
    def disable(k: Any, loc: dict[str, Any]) -> None:
        """Under desc->lock (irqsave): ``if (!desc->depth++) irq_disable(desc)`` -> __irq_disable(desc,
        unlazy): already IRQD_IRQ_DISABLED: mask_irq only if unlazy; else IRQD_IRQ_DISABLED, then
        chip->irq_disable (and IRQD_IRQ_MASKED) or, unlazy, mask_irq."""
        desc = _lookup(k, loc, do)
        if desc is None:
            return
        from msidbg.model.kernel.entry import spin_on_lock

        if spin_on_lock(k, desc, k.cpu_id):
            return      # desc->lock held elsewhere: a flow handler, or irq_set_affinity's chip call
        loc["irq"] = irq = desc["irq"]
        if loc.get("unlazy"):
            desc["unlazy"] = True      # irq_set_status_flags(irq, IRQ_DISABLE_UNLAZY)
        k.irq_save(loc)
        # irq_get_desc_buslock: raw_spin_lock_irqsave(&desc->lock) until irq_put_desc_busunlock after
        # __disable_irq -- held across the chip's mask; a flow handler on another CPU spins meanwhile
        # (entry.lock_holder / lock_site)
        desc["lock"] = k.cpu_id
        depth = desc["depth"]
        desc["depth"] = depth + 1
        chip_disable = I.CHIP_DISABLE.get(desc["chip"])
        if depth:
            how = "nested"
        elif desc["disabled"]:
            how = "already disabled"
            loc["mask"] = desc["unlazy"]
        else:
            desc["disabled"] = True
            loc["mask"] = chip_disable is not None or desc["unlazy"]
            how = "masked" if loc["mask"] else "lazy"
        if not depth:   # provenance: what an edge parked meanwhile finds (entry.park)
            k.eng.prov.write(PC.KERNEL, PK.key(PK.IRQDIS, irq), 1, note=f"{do}: irq {irq} disabled ({how})")
        k.ev(IRQ_DISABLE, desc["dev"], irq, depth + 1, k.s(how))

    @prog.step
    def mask(k: Any, loc: dict[str, Any]) -> None:
        desc = k.w["irqs"].get(loc["irq"])
        if desc is None or not loc.get("mask") or desc["masked"] and desc["chip"] not in I.CHIP_DISABLE:
            return
        chip_disable = I.CHIP_DISABLE.get(desc["chip"])
        desc["masked"] = True
        if chip_disable is not None:
            chip_disable(k, desc)
        else:
            I.CHIP_MASK[desc["chip"]](k, desc, True)

    @prog.step
    def synchronize(k: Any, loc: dict[str, Any]) -> None:
        """disable_irq: ``if (!__disable_irq_nosync(irq)) synchronize_irq(irq)`` (after desc->lock is
        dropped)."""
        k.irq_restore(loc)
        desc = k.w["irqs"].get(loc["irq"])
        if desc is not None and desc.get("lock") == k.cpu_id:
            desc["lock"] = -1   # irq_put_desc_busunlock: raw_spin_unlock_irqrestore(&desc->lock)
        if wait and I.synchronize_irq(k, loc["irq"]):
            return      # (spins: the step runs again)
        k.ret(0)

    return prog


disable_irq = _disable_program("disable_irq", "driver_disable_irq", True)
disable_irq_nosync = _disable_program("disable_irq_nosync", "driver_disable_irq_nosync", False)

enable = action("enable_irq", "driver_enable_irq",
                "__enable_irq: depth 0 WARN, depth > 1 depth--, depth 1 irq_startup(IRQ_RESEND, IRQ_START_FORCE)",
                (S.ENABLE_IRQ, S.IRQ_ENABLE, S.RESEND, S.APIC_RETRIGGER, S.XEN_RETRIGGER))


@enable.step
def enable_depth(k: Any, loc: dict[str, Any]) -> None:
    """Under desc->lock (irq_get_desc_buslock, irqsave, as disable_irq): another CPU holding it (its flow
    handler, irq_set_affinity, disable_irq) makes this CPU spin first; the lock is this CPU's across
    irq_startup, so a flow handler elsewhere -- the one check_irq_resend's IPI starts -- waits for
    irq_put_desc_busunlock."""
    desc = _lookup(k, loc, "enable_irq")
    if desc is None:
        return
    from msidbg.model.kernel.entry import spin_on_lock

    if spin_on_lock(k, desc, k.cpu_id):
        return
    loc["irq"] = irq = desc["irq"]
    depth = desc["depth"]
    if depth == 0:
        k.ev(IRQ_ENABLE, desc["dev"], irq, 0, k.s(f"WARN: Unbalanced enable for IRQ {irq}"))
        k.ret(0)
        return
    if depth > 1:
        desc["depth"] = depth - 1
        k.ev(IRQ_ENABLE, desc["dev"], irq, depth - 1, k.s("nested"))
        k.ret(0)
        return
    k.irq_save(loc)
    desc["lock"] = k.cpu_id     # held across irq_startup (entry.lock_holder / lock_site)
    if desc["started"]:
        k.eng.prov.write(PC.KERNEL, PK.key(PK.IRQDIS, irq), 0, note=f"enable_irq: irq {irq} enabled")
    k.ev(IRQ_ENABLE, desc["dev"], irq, 0, k.s("irq_startup"))
    k.call("irq_startup", irq=irq, force=True)     # __enable_irq: irq_startup(desc, IRQ_RESEND, IRQ_START_FORCE)


@enable.step
def enabled(k: Any, loc: dict[str, Any]) -> None:
    k.irq_restore(loc)
    desc = k.w["irqs"].get(loc["irq"])
    if desc is not None and desc.get("lock") == k.cpu_id:
        desc["lock"] = -1       # irq_put_desc_busunlock
    k.ret(0)
