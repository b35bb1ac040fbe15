"""x86 interrupt entry: IRR -> ISR, ``common_interrupt``, ``handle_edge_irq``, EOI.

``accept`` is the APIC transition plus common_interrupt's ``vector_irq`` lookup (one
event). A real descriptor gets ``handle_edge_irq``: ``apic_ack_edge`` first completes a
pending vector move (the old CPU's cleanup: an IPI before 6.6, a timer one jiffy later from
bdc1dad299bb on) and applies a pending affinity change (``irq_move_irq``), then EOIs --
before the handler runs, as x86 edge MSI does. A vector with no descriptor is EOI'd by
``common_interrupt`` itself: UNUSED prints "No irq handler for vector" (spurious), SHUTDOWN
and RETRIGGERED swallow one hit silently.

The cleanup timer is a per-CPU timer: its expiry puts LOCAL_TIMER_VECTOR (0xec) in that CPU's
IRR, and the interrupt runs ``vector_cleanup_callback`` (the timer softirq on irq exit).
"""

from __future__ import annotations

from typing import Any

from msidbg.model import acct, apic, hits
from msidbg.model import build as _build
from msidbg.model import kinds as K
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.hw import FIRST_DYNAMIC_IRQ as _FIRST_DYNAMIC
from msidbg.model.hw import (
    FIRST_EXTERNAL_VECTOR,
    FIRST_SYSTEM_VECTOR,
    IRQ_MOVE_CLEANUP_VECTOR,
    VECTOR_CASCADE,
    VECTOR_CLEANUP,
    VECTOR_RETRIGGERED,
    VECTOR_SHUTDOWN,
)
from msidbg.model.hw import NR_LEGACY_IRQS as _NR_LEGACY
from msidbg.model.kernel import sources as S
from msidbg.model.kernel import vector as vec
from msidbg.model.kernel.sw import sw
from msidbg.model.provkernel import cleanup_dirty, cpu_dirty, desc_dirty
from msidbg.sim.events import INT, kind
from msidbg.sim.program import GOTO as _GOTO
from msidbg.sim.program import PROGRAMS, new_frame, program

common_interrupt = program("common_interrupt", "arch/x86/kernel/irq.c: dispatch a vector", source=S.ENTRY)
handle_edge_irq = program("handle_edge_irq", "kernel/irq/chip.c: the flow handler of edge MSI irqs",
                          source=(S.EDGE, *S.EDGE_PENDING, S.EDGE_WAIT_NEW_TARGET, S.CLEANUP_IPI, S.CLEANUP_TIMER))
move_cleanup = program("irq_move_cleanup_interrupt", "free moved vectors queued on this CPU", source=S.CLEANUP_IPI)
timer_cleanup = program("vector_cleanup_callback", "the vector cleanup timer (6.6+): free moved vectors here", source=S.CLEANUP_TIMER)
#: system vectors with their own entry program (e.g. the Xen event channel upcall vector)
SYSVEC: dict[int, str] = {}
#: system vector -> the world key (a slot of the world record: ``sim/rec.py`` WorldRec) without which
#: its entry is not installed (the Xen upcall's
#: alloc_intr_gate runs only on Xen): there the vector is an unused system vector, whose IDT entry
#: is spurious_interrupt (f8a8fe61fec8), so a device message on it runs no device handler
SYSVEC_ONLY: dict[int, str] = {}
LOCAL_TIMER_VECTOR = 0xEC
#: the values LOCAL_TIMER_VECTOR had with the matrix allocator (kernel.local_timer_vector: 0xee in 4.15, 0xed in
#: 4.16, 0xec from 4.17): the cleanup timer's program is installed on the world's own, and only where a timer
#: does the vector cleanup (6.6+); elsewhere the vector is the local APIC timer's (a system vector whose
#: handler, local_apic_timer_interrupt, frees no vector) or, below the release's timer, a device vector
TIMER_VECTORS = frozenset((0xEC, 0xED, 0xEE))


def timer_vector_here(w: Any, v: int) -> bool:
    """Vector ``v`` runs vector_cleanup_callback in world ``w``: a timer does the cleanup (bdc1dad299bb, 6.6)
    and ``v`` is the release's LOCAL_TIMER_VECTOR. Before 6.6 the timer interrupt ran no cleanup:
    smp_irq_move_cleanup_interrupt, on IRQ_MOVE_CLEANUP_VECTOR, was the only one."""
    return vec.timer_cleanup(w) and vec.local_timer_vector(w) == v
SPURIOUS_APIC_VECTOR = 0xFF
# hot-path names (one global lookup instead of a module attribute)
_eoi = apic.eoi
_VEC_WORD, _VEC_BIT, _VEC_NOT_BIT = apic.VEC_WORD, apic.VEC_BIT, apic.VEC_NOT_BIT
#: per vector: an ISR with that vector alone in service (compared with ``==``, never written)
_ISR_ONLY = tuple([bit if i == word else 0 for i in range(8)]
                  for word, bit in zip(apic.VEC_WORD, apic.VEC_BIT, strict=True))
_APIC_ACCEPT, _APIC_EOI, _IRQ_HANDLER = K.APIC_ACCEPT, K.APIC_EOI, K.IRQ_HANDLER
TIMER_FIRE = kind("timer.fire", ("target", INT), doc="a CPU's vector cleanup timer expires (local timer interrupt)")


def accept(k: Any, c: Any, v: int) -> None:
    """The CPU takes vector ``v`` (its highest acceptable one) and dispatches it."""
    # apic.take, inlined (IRR -> ISR; the provenance of the signals the bit carried)
    i = _VEC_WORD[v]
    c.irr[i] &= _VEC_NOT_BIT[v]
    c.isr[i] |= _VEC_BIT[v]
    src = c.irr_src.pop(v, None) or []
    eng = k.eng
    eng.prov.accept(k.cpu_id, v)
    slot = c.vector_irq.get(v)
    stack = c.irq.stack
    irq = -1
    stray = take_stray(c, v) if "retrig_irr" in c._extra else None    # (rare: msi_set_affinity's race)
    if type(slot) is int:   # a device irq (before 4.15 also 0xec..0xee, below the timer's 0xef)
        irq = slot
        # irqs 16..23 are the IO-APIC's PCI GSIs: INTx lines, level-triggered, handle_fasteoi_irq
        # (kernel/intx.py); the ISA irqs below and the MSI irqs above run handle_edge_irq
        flow = "handle_fasteoi_irq" if _NR_LEGACY <= slot < _FIRST_DYNAMIC else "handle_edge_irq"
        fl = {"irq": slot, "vector": v, "src": src}
        if stray:
            fl["stray"] = stray
        stack += ({"prog": "common_interrupt", "pc": _CI_END, "locals": {"vector": v}},
                  {"prog": flow, "pc": 0, "locals": fl})
        if eng.call_watch:
            eng.entered(flow)
    elif v in SYSVEC and hasattr(k.w, SYSVEC_ONLY.get(v, "cpus")) and (v not in TIMER_VECTORS or
                                                                      timer_vector_here(k.w, v)):
        # (the Xen upcall: every interrupt of a
        # passthrough device; _push inlined)
        prog = SYSVEC[v]
        stack += ({"prog": "common_interrupt", "pc": _CI_END, "locals": {"vector": v}},
                  {"prog": prog, "pc": 0, "locals": {"vector": v, "src": src}})
        if eng.call_watch:
            eng.entered(prog)
    elif slot == VECTOR_CLEANUP:
        stack.append({"prog": "common_interrupt", "pc": _CI_END, "locals": {"vector": v}})
        _push(k, stack, "irq_move_cleanup_interrupt", {"vector": v, "src": src})
    elif slot == VECTOR_CASCADE:    # irq 2's descriptor: its flow handler, not "No irq handler"
        irq = _PIC_CASCADE_IRQ
        stack.append({"prog": "common_interrupt", "pc": _CI_END, "locals": {"vector": v}})
        _push(k, stack, "handle_level_irq", {"vector": v, "src": src})
    elif v < FIRST_EXTERNAL_VECTOR:     # 16..31: an exception gate of the IDT (kernel/traps.py)
        _push(k, stack, "exception_vector", {"vector": v, "src": src})
    else:
        _push(k, stack, "common_interrupt", {"vector": v, "src": src, "slot": slot or "UNUSED"})
    # k.ev(_APIC_ACCEPT, None, v, irq, 0, "irq_entry"), inlined: the event of every interrupt
    if eng.fresh:
        key = (_APIC_ACCEPT, k.cpu_id, None, v, irq, 0)
        try:
            rid = eng.records[key]
        except KeyError:
            rid = eng.log.record(key)
        eng.ids_append(rid)
        eng.times_append(k.w.now)
    elif k.observer is not None:    # re-execution, observed (Motion.executed)
        k.observer()
    k.costname = "irq_entry"
    k.emitted = True


#: xen-pv: the entry at the guest's registered event callback (``kernel/xen_events.py`` installs it)
PV_CALLBACK: list[Any] = []


def pv_callback(k: Any, c: Any) -> None:
    """A xen-pv vCPU with evtchn_upcall_pending set and its events unmasked: Xen's bounce frame enters
    it at xen_hypervisor_callback (no local APIC vector, no IRR / ISR bit, no EOI)."""
    PV_CALLBACK[0](k, c)


def _push(k: Any, stack: list[dict[str, Any]], prog: str, args: dict[str, Any]) -> None:
    frame = new_frame(prog, args)
    k.eng.entered(prog)
    stack.append(frame)


@common_interrupt.step
def no_handler(k: Any, loc: dict[str, Any]) -> None:
    c = k.cpu
    v, slot, src = loc["vector"], loc["slot"], loc["src"]
    if v != SPURIOUS_APIC_VECTOR or sw(k, "spurious_vector_eoi"):
        apic.eoi(c)         # from f8a8fe61fec8 (5.3) smp_spurious_interrupt does not EOI 0xff
        tmr = c.get("tmr")
        if type(tmr) is list and v in tmr:
            _level_eoi(k, v)
        if k.w.platform["kind"] == "xen-hvm":
            xen_guest_eoi(k, v)
    P = k.eng.prov
    n = sum(s[2] for s in src)
    slot_key = PK.key(PK.VECIRQ, PK.cpu_vec(c.id, v))
    if slot in (VECTOR_SHUTDOWN, VECTOR_RETRIGGERED):
        c.vector_irq.pop(v, None)
        cpu_dirty(k, c.id)
        for dev, idx, cnt in src:
            P.dep(PC.D_SLOT, slot_key)
            acct.lost(k.eng, dev, idx, cnt, f"hit CPU{c['id']} vector {v:#x} marked {slot} (swallowed)")
        P.dep(PC.D_SLOT, slot_key)
        P.write(PC.VEC_SLOT, slot_key, -1, note="UNUSED (a stray hit swallowed)")
    else:
        why = _unhandled(v, vec.system_start(k.w), sw(k, "spurious_apic_entry"))
        owners = ", ".join(f"{d} vector {i}" for d, i, _ in src) or "no device signal (stale IRR bit)"
        if not src:
            P.dep(PC.D_SLOT, slot_key)
            P.write(PC.STRAY, PK.key(PK.ISR, PK.cpu_vec(c.id, v)))
            k.hit(hits.IRQ_SPURIOUS, f"CPU{c['id']} vector {v:#x}: {why} ({owners})")
        for dev, idx, cnt in src:
            P.dep(PC.D_SLOT, slot_key)
            acct.lost(k.eng, dev, idx, cnt, f"hit CPU{c['id']} vector {v:#x}: {why}",
                      spurious=True)
    k.ev(K.IRQ_UNHANDLED, None, v, k.s(slot), n, cost="eoi")
    k.ret(0)


def take_stray(c: Any, v: int) -> list[list[Any]] | None:
    """CPU ``c`` takes vector ``v`` while it holds signals msi_set_affinity's two-step update retriggered
    from here (``plug.unlock_and_check_irr``, ``c["retrig_irr"]``). The IRR holds one bit per vector: the
    device message the update found pending is taken now, at the first acceptance of ``v`` here, whatever
    runs for it (kernel26; the record stayed until a source-less arrival reached handle_edge_irq's action
    or common_interrupt). Returns those signals, for the flow handler of the irq that has ``v`` here: its
    action, if it runs, runs for them (:func:`stray_spurious`), alone or with other signals the bit also
    carried. Where no irq has the vector here (a slot marked VECTOR_RETRIGGERED) common_interrupt swallows
    the message silently, as the kernel means; nothing is counted."""
    stray = c["retrig_irr"]
    sigs = stray.pop(v, None)
    if not stray:
        del c["retrig_irr"]
    return sigs or None


def stray_spurious(k: Any, sigs: list[list[Any]], v: int, dev: str | None, idx: int, alone: bool | None) -> None:
    """The action of the irq that has vector ``v`` on this CPU (``dev`` vector ``idx``'s handler: an MSI's
    handle_edge_irq, a level IO-APIC line's handle_fasteoi_irq) runs for the message msi_set_affinity
    retriggered to the new CPU (:func:`take_stray`): an arrival at the wrong handler, spurious for the
    device that sent it (the contract's irq-spurious), not lost -- the retrigger IPI delivered it on the
    new CPU ("the installed device handler will denote it as spurious", reading
    ``kernel.msi-set-affinity.retrigger-stray``; redteam25). ``alone``: the bit carried
    no other signal (True), other signals too (False), unknown (None: an IO-APIC level message carries none)"""
    if dev is None:
        return
    acct_ = k.w.acct
    P = k.eng.prov
    c = k.cpu
    for d, i, n in sigs:
        if d == dev and i == idx:
            continue
        acct_[d]["spurious"][i] += n
        # provenance: the arrival itself -- this CPU's accept of the message left in its IRR (the device's message,
        # written by the two-step update that raced it) -- and the slot that sends it to another irq's handler
        # (why26, heldout_why13 k08: the node linked the slot alone, so the chain named nvme0's activation, never
        # the xHCI's message or its move)
        P.dep(PC.D_CAUSE, PK.key(PK.ISR, PK.cpu_vec(c.id, v)))
        P.dep(PC.D_SLOT, PK.key(PK.VECIRQ, PK.cpu_vec(c.id, v)))
        if P.on and k.eng.fresh:
            # the IRR bit holds one bit a vector: when another device's message set it again since (the other irq
            # that has the vector here: why28 n03, xhci1 streaming on CPU3's 0x22), its last writer -- what the
            # accept links -- is that message; the sender's own message is an earlier set of the bit
            own = _sender_irr(k, P, c.id, v, d)
            if own >= 0:
                P.dep_writer(PC.D_RETRIG_IPI if own in P.stray_ipi else PC.D_RETRIG,
                             PK.key(PK.IRR, PK.cpu_vec(c.id, v)), own)
        P.write(PC.RETRIG_STRAY, PK.key(PK.ISR, PK.cpu_vec(c.id, v)))
        also = ("which finds nothing to do" if alone else "with the other signal(s) the IRR bit carried"
                if alone is not None else "its level line's actions (whatever they find asserted)")
        k.hit(hits.IRQ_SPURIOUS, f"CPU{c.id} vector {v:#x}: {d} vector {i}'s message stayed in this CPU's IRR "
                                 f"after msi_set_affinity retriggered it to the new CPU; it runs {dev} vector "
                                 f"{idx}'s handler, {also} (spurious)")


def _sender_irr(k: Any, P: Any, cpu: int, v: int, dev: str) -> int:
    """The record of the message of ``dev`` that set ``v`` in CPU ``cpu``'s IRR, when a message of another device set
    the bit since (walking the bit's earlier sets, at most 64, back to the latest one whose event is ``dev``'s
    message); -1 when the bit's last writer is ``dev``'s own message, or none is found."""
    log = k.eng.log
    w = P.writer(PK.key(PK.IRR, PK.cpu_vec(cpu, v)))
    first = True
    for _ in range(64):
        if w < 0:
            return -1
        ev = P.event(w)
        if ev <= log.base or ev > len(log):
            return -1
        e = log.event(ev)
        if e.kind == "msi.msg" and e.dev == dev:
            return -1 if first else w
        if w in P.stray_ipi:
            # (why30) check_irq_resend's replay IPI carried the message as IRQS_PENDING (``hold_stray``): the IPI is
            # how it came to this IRR bit, whether or not the sender's message ever set this CPU's bit
            return w
        first = False
        w = P.prev(w)
    return -1


_PIC_CASCADE_IRQ = 2
cascade = program("handle_level_irq", "kernel/irq/chip.c on irq 2, the PIC cascade (i8259A chip, no action)",
                  source=S.PIC_CASCADE_DESC)


@cascade.step
def cascade_no_action(k: Any, loc: dict[str, Any]) -> None:
    """handle_level_irq of irq 2 (reading ``kernel.entry.pic-cascade``): mask_ack_irq is
    mask_and_ack_8259A -- irq 2 is set in cached_irq_mask (nothing unmasks it with an IO-APIC) and the
    PIC has it not in service, so it is a spurious 8259A interrupt: printed once per boot (the static
    spurious_irq_mask), irq_err_count++ every time, then the PIC's mask and specific EOI. irq_may_run,
    and no action: IRQS_PENDING and out. Neither this nor do_IRQ / common_interrupt (handle_irq found
    a descriptor) writes the local APIC's EOI: the vector stays in service on this CPU."""
    c = k.cpu
    v, src = loc["vector"], loc["src"]
    kern = k.kernel
    kern["irq_err_count"] = kern.get("irq_err_count", 0) + 1
    first = not kern.get("i8259_spurious", 0) & 1 << _PIC_CASCADE_IRQ
    kern["i8259_spurious"] = kern.get("i8259_spurious", 0) | 1 << _PIC_CASCADE_IRQ
    P = k.eng.prov
    slot_key = PK.key(PK.VECIRQ, PK.cpu_vec(c.id, v))
    why = f"hit CPU{c.id} vector {v:#x}: irq 2 (the PIC cascade) has no action (IRQS_PENDING, no local APIC EOI)"
    if not src:
        P.dep(PC.D_SLOT, slot_key)
        k.hit(hits.IRQ_SPURIOUS, f"CPU{c.id} vector {v:#x}: irq 2, the PIC cascade (no device signal)")
    for dev, idx, cnt in src:
        P.dep(PC.D_SLOT, slot_key)
        acct.lost(k.eng, dev, idx, cnt, why, spurious=True)
    if first:
        k.note("spurious 8259A interrupt: IRQ2.", kern["irq_err_count"])
    else:
        k.note(f"irq 2 (i8259A): spurious, no action: IRQS_PENDING; vector {v:#x} stays in service on CPU{c.id}",
               kern["irq_err_count"])
    k.ret(0)


def _level_eoi(k: Any, v: int) -> None:
    """common_interrupt's EOI (ack_APIC_irq / apic_eoi: a plain write of the local APIC's EOI register, at
    every release read) of a vector whose TMR bit a level delivery set: the local APIC broadcasts the EOI
    message, and every IO-APIC entry holding that vector clears Remote IRR -- a line still asserted sends
    again (``ioapic.eoi``). Linux never sets SPIV's EOI-broadcast suppression (directed EOI) on bare metal:
    the broadcast always goes (reading kernel.entry.unhandled-level-eoi). No event of its own: the step's
    irq.unhandled is the EOI."""
    # (a late import: ioapic's event kinds are numbered after the kernel's)
    from msidbg.model import ioapic

    ioapic.eoi(k.eng, v)


#: ``kernel.spurious_apic_entry`` -> the function 0xff's IDT entry runs
SPURIOUS_ENTRY = {"smp": "smp_spurious_interrupt", "sysvec": "sysvec_spurious_apic_interrupt"}


def _unhandled(v: int, first_system: int = FIRST_SYSTEM_VECTOR, spurious_entry: str = "sysvec") -> str:
    """What the kernel makes of a vector with no irq: common_interrupt's message below the system
    vectors; from FIRST_SYSTEM_VECTOR up the vector has its own IDT entry (a system handler, or
    spurious_interrupt for one nobody installed), so no device handler runs there either. 0xff's
    handler is :data:`SPURIOUS_ENTRY` of ``spurious_entry`` (``kernel.spurious_apic_entry``:
    smp_spurious_interrupt before db0338eec583, 5.8)."""
    if v == SPURIOUS_APIC_VECTOR:
        return f"the APIC spurious-interrupt vector ({SPURIOUS_ENTRY[spurious_entry]}), not a device vector"
    if v >= first_system:
        return "a system vector (its own IDT entry runs, not a device handler)"
    return "No irq handler for vector"


#: the pc of common_interrupt's frame under a dispatched handler (its only step is done)
_CI_END = CI_END = len(common_interrupt.steps)
#: flow handler program -> the pc of its loop's next iteration (``rerun``), for ``defer``
RERUN: dict[str, int] = {}
#: flow handler program -> (cpu, irq, fallback vector) -> the frames of the interrupt entry that runs
#: it, for ``defer`` to put back under a loop on a CPU whose stack emptied when the action began
LOOP_ENTRY: dict[str, Any] = {}
#: model/xen.vlapic_eoi (set when it is imported): an HVM guest's EOI that traps to Xen (hvm_dpci_msi_eoi)
XEN_GUEST_EOI: list[Any] = []


def xen_guest_eoi(k: Any, vector: int) -> None:
    """After an xen-hvm CPU's local APIC EOI of ``vector``: where the EOI write traps (no APIC
    virtualization), Xen's ``vlapic_EOI_set`` acknowledges the passthrough host irq bound to that vector
    (model/xen.vlapic_eoi). Nothing to do unless some host irq is in service on a pCPU (``xen.eoi``)."""
    if k.w.xen["eoi"] and XEN_GUEST_EOI:
        XEN_GUEST_EOI[0](k.eng, k.cpu_id, vector)


@handle_edge_irq.step
def ack(k: Any, loc: dict[str, Any]) -> None:
    """handle_edge_irq under desc->lock: first ``irq_may_run`` -- another CPU still in this irq's
    action (IRQD_IRQ_INPROGRESS) makes this edge IRQS_PENDING, masked and acked here, and handled
    by that CPU's loop (``defer``); then apic_ack_edge: irq_complete_move (the first interrupt on
    the new vector and CPU sends the cleanup IPI to the old CPU), then irq_move_irq (a pending
    affinity change is applied now, masked), then the EOI -- each its own step when it has work
    to do."""
    desc = k.w.irqs[loc["irq"]]
    deferred = "deferred" in loc
    if not deferred:
        # irq_may_run's common case tested here, without a call: desc->lock free and this CPU the
        # last in the action; otherwise may_run looks at who holds them (lock_holder, in_action)
        me = k.cpu_id
        if not flow_fast(desc, me) and not may_run(k, desc, loc):
            return
        desc.lock = me
        if desc.disabled or desc.action is None:
            # 'if (irqd_irq_disabled(&desc->irq_data) || !desc->action)' (disable_irq, irq_shutdown; or started
            # without an action: enable_irq after free_irq): IRQS_PENDING, mask_ack_irq, out -- the one test
            # added here (kernel32: the !action half was missing, reading kernel.entry.edge-no-action)
            park(k, desc, loc)
            return
    elif loc["deferred"] == 1:      # mask_ack_irq: mask_irq first (a visible write unless masked)
        loc["deferred"] = 2
        if mask_first(k, desc, _chip_mask()):
            return
    if desc.move_in_progress and send_cleanup(k, desc, loc["vector"], k.cpu_id):
        k.goto("move")
    elif desc.move_pending:
        # apic_ack_edge calls irq_move_irq once: back at the EOI (the ``move`` step is for the path that
        # sent a cleanup first; re-entering it would call again when the move stayed pending -- re-armed
        # on -EBUSY, or kept by a disabled irq)
        k.call_then("eoi", "irq_move_irq", irq=loc["irq"])
    else:
        v = loc["vector"]
        isr = k.cpu.isr
        if isr == _ISR_ONLY[v]:     # apic.eoi's common case: this vector alone in service (it clears it)
            isr[_VEC_WORD[v]] = 0
        else:
            _eoi(k.cpu)
        k.ev(_APIC_EOI, None, v, 0, 0, "eoi")
        if k.hvm:     # (platform.kind "xen-hvm"; a test on every interrupt: no call elsewhere)
            xen_guest_eoi(k, v)
        if deferred:
            desc.lock = -1
            k.ret(0)
        else:   # k.goto("handle"), inlined (no call)
            flow = k.flow
            flow.op = _GOTO
            flow.target = "handle"


def in_action(w: Any, desc: Any, me: int) -> int:
    """IRQD_IRQ_INPROGRESS: the CPU (other than ``me``) whose handle_irq_event is running this irq's
    action right now, or -1. handle_irq_event sets the flag and drops desc->lock for the action; the
    model's ``handle`` step is that action, so the CPU is in it until its step's cost has passed
    (``busy_until``) and it has run no step since (``handling``, reset by its next step). The flag is
    cleared only after handle_irq_event_percpu -- every action, then note_interrupt (misrouted_irq under
    irqfixup / irqpoll) -- once raw_spin_lock(&desc->lock) has taken the lock back: a frame that ran an
    action and has not retaken the lock (``inprog`` names the irq: handle_fasteoi_irq up to its EOI's lock,
    try_one_irq up to its relock after the actions) keeps it set (locks28, reading
    ``kernel.lock.inprogress-to-relock``; before, the flag went with the action's last step)."""
    ip = desc.get("inprogress", -1)
    if ip < 0 or ip == me:
        return -1
    c = w.cpus[ip]
    if c.get("handling", -1) == desc.irq and c.busy_until > w.now:
        return int(ip)
    irq = desc.irq
    if any(f["locals"].get("inprog") == irq for f in c.irq.stack):
        return int(ip)
    return -1


def lock_holder(w: Any, desc: Any, me: int) -> int:
    """The other CPU that holds desc->lock: in this irq's flow handler (its ack, its loop between two
    actions, or a fasteoi chip's irq_eoi), or in process context inside irq_set_affinity's chip call
    (__irq_set_affinity's raw_spin_lock_irqsave), or -1. (A holder whose frame is gone -- it went
    offline -- holds nothing.)"""
    lk = desc.lock
    if lk < 0 or lk == me:
        return -1
    return lk if lock_site(w, desc, lk) else -1


def lock_site(w: Any, desc: Any, cpu: int) -> str:
    """Where CPU ``cpu`` holds this irq's desc->lock: "the flow handler", "irq_set_affinity", or ""
    (no frame of either: it holds nothing)."""
    irq = desc.irq
    c = w.cpus[cpu]
    from msidbg.model.kernel.irq import FLOW_HANDLERS as FLOW  # (irq.py's imports lead back here)
    if any(f["prog"] in FLOW and f["locals"].get("irq") == irq for f in c.irq.stack):
        return "the flow handler"
    if any(f["prog"] in TRY_ONE and f["locals"].get("locked") == irq for f in c.irq.stack):
        return "try_one_irq"    # its 'goto out' (IRQS_PENDING: in progress elsewhere) under the lock (locks27)
    for f in c.proc.stack:
        site = LOCK_SITES.get(f["prog"])
        if site is not None and f["locals"].get("irq") == irq:
            return site
    if any(f["prog"] == "startup_pirq" and f["locals"].get("enable") and f["locals"].get("irq") == irq
           for f in c.proc.stack):
        return "enable_irq"     # enable_pirq -> startup_pirq before 4.13 (kernel.xen_enable_pirq_startup)
    return ""


#: interrupt-context programs whose try_one_irq (kernel/irq/spurious.c) holds desc->lock while their frame's
#: ``locked`` names the irq: poll_spurious_irqs (the timer softirq) and misrouted_irq (irqfixup / irqpoll)
TRY_ONE = ("poll_spurious_irqs", "misrouted_irq")

#: process-context programs that hold desc->lock (irqsave) while this CPU's ``desc.lock`` names them: the
#: name lock_site reports. __irq_set_affinity across its chip call; disable_irq / disable_irq_nosync's
#: irq_get_desc_buslock around __disable_irq (the chip's mask included) and enable_irq's around
#: __enable_irq (irq_startup: the unmask, check_irq_resend), kernel/irq/manage.c; __free_irq's from the action's
#: removal through irq_shutdown to the unlock before synchronize_irq, and again around irq_domain_deactivate_irq
LOCK_SITES = {"irq_set_affinity": "irq_set_affinity", "driver_disable_irq": "disable_irq",
              "driver_disable_irq_nosync": "disable_irq_nosync", "driver_enable_irq": "enable_irq",
              "free_irq": "free_irq"}


def lock_waiter(w: Any, desc: Any, me: int, irq_ctx: int = -1) -> int:
    """The CPU whose waiter comes first in this irq's desc->lock queue and still spins for it, or -1 when the
    queue is empty or that first waiter is the caller (CPU ``me`` in its interrupt context when ``irq_ctx`` is
    1, its process context when 0; -1: any context of ``me``). desc->lock is a queued spinlock
    (kernel/locking/qspinlock.c): a contended locker waits its turn (the pending bit, then the MCS queue) and
    the lock goes to the first waiter when the holder releases it -- a CPU that arrives later, or the holder
    taking it back (handle_edge_irq's loop after handle_irq_event's action, handle_fasteoi_irq's unmask and
    EOI after it), queues behind. The model records every locker that found the lock held, in the order they
    came (``lock_wait``: [CPU, 1 interrupt / 0 process context, program] each -- flow handlers, and free_irq,
    irq_set_affinity, disable_irq / enable_irq); a waiter leaves once it took the lock (``spin_on_lock``), and
    one whose context no longer spins in that program is dropped here (it stopped waiting)."""
    q = desc.get("lock_wait")
    if q is None:
        return -1
    if q and type(q[0]) is not list:    # (a world of redteam21's format: one task, [CPU, program])
        q = desc["lock_wait"] = [[q[0], 0, q[1]]]
    now = w.now
    irq = desc.irq
    while q:
        cpu, ctx, prog = q[0]
        c = w.cpus[cpu]
        if ctx:     # a flow handler or a poll waits while its frame is on the interrupt stack (it leaves at the lock)
            if any(f["prog"] == prog and _irq_waiter(f, irq) for f in c.irq.stack):
                return -1 if cpu == me and irq_ctx in (-1, 1) else int(cpu)
        else:       # a task, while it spins at the program that queued
            st = c.proc.stack
            if st and st[-1]["prog"] == prog:
                mark = st[-1]["locals"].get("_spin")
                if type(mark) is list and mark[1] >= now:
                    return -1 if cpu == me and irq_ctx in (-1, 0) else int(cpu)
        q.pop(0)    # (its context no longer waits for the lock)
    desc.pop("lock_wait", None)
    return -1


def _irq_waiter(f: Any, irq: int) -> bool:
    """Does interrupt-context frame ``f`` (the program a queue entry named) still come for ``irq``'s desc->lock? A
    flow handler's frame names its irq. try_one_irq's (poll_spurious_irqs, misrouted_irq: ``TRY_ONE``) names none --
    misrouted_irq's ``irq`` is the interrupt it runs for, never polled -- and comes for the lock of the irq at the
    head of its list while it has not taken it (``ai`` -1: raw_spin_lock(&desc->lock), the first statement; or
    handle_irq_event's relock after the actions, ``inprog``; locks28:
    such an entry was dropped as if the poll had stopped waiting, and a flow handler queued behind it took the lock
    first, reading ``kernel.lock.poll-queue-place``)."""
    loc = f["locals"]
    if f["prog"] in TRY_ONE:
        todo = loc.get("todo")
        return bool(todo) and todo[0] == irq and (loc.get("ai", -1) < 0 or loc.get("inprog") == irq)
    return bool(loc.get("irq") == irq)


def lw_prog(desc: Any) -> str:
    """The program of the locker queued first on desc->lock (``lock_wait``), for a note."""
    lw = desc.get("lock_wait")
    return str(lw[0][2]) if lw else "?"


def spin_on_lock(k: Any, desc: Any, me: int) -> bool:
    """``_spin_on_lock`` (below), and in process context the irqsave around it: every task-side locker of
    desc->lock -- irq_get_desc_buslock / irq_get_desc_lock of disable_irq, enable_irq, __irq_set_affinity,
    __free_irq, __setup_irq, and poll_spurious_irqs' local_irq_disable around try_one_irq -- disables
    interrupts BEFORE it spins (__raw_spin_lock_irqsave: local_irq_save, preempt_disable, then the queued
    spinlock's wait; reading ``kernel.lock.irqsave-spin``). So the first poll that finds the lock held clears
    the CPU's irq-enabled flag (``irq_save``, marked ``_lockoff`` in the frame), and an interrupt for this
    CPU stays in its IRR while it waits; when the spin ends -- the lock taken -- the flags are restored in the
    same step, where the caller's own irq_save (its critical section) follows with nothing between. Before
    (irqoff25) a task polled with interrupts on and took them while it waited, which no x86 kernel does."""
    if k.ctx is not k.cpu.proc:
        return _spin_on_lock(k, desc, me)
    loc = k.frame["locals"]
    if _spin_on_lock(k, desc, me):
        if "_flags" not in loc:
            loc["_lockoff"] = 1
            k.irq_save(loc)
        return True
    if loc.pop("_lockoff", None):
        k.irq_restore(loc)
    return False


def spin_irqsave(k: Any) -> None:
    """A task-side desc->lock spin outside ``spin_on_lock`` (free_irq's __free_irq queued behind the flow
    handlers it found): interrupts off before the first poll, as ``spin_on_lock`` does; its next
    ``spin_on_lock`` -- the lock taken -- restores them."""
    loc = k.frame["locals"]
    if k.ctx is k.cpu.proc and "_flags" not in loc:
        loc["_lockoff"] = 1
        k.irq_save(loc)


def _spin_on_lock(k: Any, desc: Any, me: int) -> bool:
    """raw_spin_lock(&desc->lock) while another CPU holds it: note the holder and run this step
    again (``Ctx.spin``: the polls after the first are silent). True when this CPU spins. A flow
    handler busy-waits here with interrupts off while another CPU's irq_set_affinity runs its chip
    call (vector assignment, IRTE or entry write) under the lock. Every locker that finds it held
    queues (``lock_wait``, in the order they came): when the holder lets go, the lock is the first
    waiter's, and any other locker -- a waiter behind it, or one that comes for the lock meanwhile --
    waits (``lock_waiter``): qspinlock's order, where a polled lock would let the flow handlers of an
    interrupt storm take it turn about for as long as the storm lasts. A caller that holds the lock already
    (irq_enable under enable_irq's or __setup_irq's irqsave section, the loop's next iteration) takes it
    at once: it is no waiter, and queueing it would wait on itself."""
    if desc.lock == me:
        return False
    held = lock_holder(k.w, desc, me)
    if held < 0:
        if "lock_wait" not in desc._extra:
            return False
        ctx = 0 if k.ctx is k.cpu.proc else 1
        first = lock_waiter(k.w, desc, me, ctx)
        if first < 0:
            _leave_queue(desc, me, ctx)     # this locker's turn: it takes the lock now
            return False
        lead = desc["lock_wait"][0]
        who = "task" if lead[1] == 0 else "poll" if lead[2] in TRY_ONE else "flow handler"
        queue_for_lock(k, desc, me)
        before, k.emitted = k.emitted, False
        k.spin(f"desc->lock: CPU{first}'s {who} queued for it first (queued spinlock: its turn at the release)",
               first, desc.dev)
        noted = k.emitted
        k.emitted = before or noted
        P = k.eng.prov
        prog = k.frame.get("prog")
        if noted and prog in _SPIN_NODE_FLOWS and P.on and k.eng.fresh:
            # provenance (the first, noted poll): the flow handler waits behind the locker queued first -- a task:
            # the action whose free_irq / irq_set_affinity / disable_irq gets the lock at the release (whyheld11: the
            # spin's note linked only the interrupt it ran in); another CPU's flow handler: the interrupt it
            # handles, its accept (whylinks25: nothing was recorded). handle_fasteoi_irq's spin (INTx, a Xen PV GSI
            # pirq) is the same raw_spin_lock(&desc->lock) and links the same (why26: it recorded no node)
            if who == "task":
                action = k.w.cpus[first].proc.get("action", -1)
                if action is not None and action >= 0:
                    P.dep(PC.D_LOCK_QUEUED, PK.key(PK.ACTION, action))
            else:
                ahead = _flow_interrupt(k.w.cpus[first], desc.irq, lead[2])
                if ahead >= 0:
                    P.dep(PC.D_LOCK_QUEUED, ahead)
            _spin_node(k, P, desc, prog, f"CPU{first}'s {who} ({lw_prog(desc)}) queued for it first and takes it at "
                       "the release")
        elif noted and k.ctx is k.cpu.proc:
            _task_wait(k, desc, first, lead[2] if who != "task" else None, PC.D_LOCK_QUEUED,
                       f"CPU{first}'s {who} ({lw_prog(desc)}) queued for it first and takes it at the release")
        elif noted and prog in TRY_ONE and P.on and k.eng.fresh:
            if who == "task":
                _holder_dep(k, P, desc, first, "", PC.D_LOCK_QUEUED)
            else:
                ahead = _flow_interrupt(k.w.cpus[first], desc.irq, lead[2])
                if ahead >= 0:
                    P.dep(PC.D_LOCK_QUEUED, ahead)
            _poll_wait(k, P, desc, prog, f"CPU{first}'s {who} ({lw_prog(desc)}) queued for it first")
        return True
    queue_for_lock(k, desc, me)
    site = lock_site(k.w, desc, held)
    before, k.emitted = k.emitted, False
    k.spin(f"desc->lock: CPU{held} is in {site} of irq {desc.irq}", held, desc.dev)
    noted = k.emitted
    k.emitted = before or noted
    P = k.eng.prov
    prog = k.frame.get("prog")
    if noted and prog in _SPIN_NODE_FLOWS and P.on and k.eng.fresh and site:
        # provenance (the first, noted poll): the interrupt this CPU took is held until the holder's unlock -- what a
        # driver waiting for it (a doorbell's timeout) links, and through it the holder (``_holder_dep``): the action
        # whose irq_set_affinity (kernlock), disable_irq / enable_irq or free_irq section holds the lock, another
        # CPU's flow handler's interrupt (its accept: why26, heldout_why13 k08), the poll or misrouted interrupt whose
        # try_one_irq holds it. why28: handle_edge_irq recorded a node behind irq_set_affinity and a flow handler
        # only -- behind free_irq (kernfid2 s07 on 5.2), disable_irq or enable_irq its spin's answer was its own
        # interrupt path; and behind try_one_irq handle_fasteoi_irq linked the poll CPU's running action, if any
        _holder_dep(k, P, desc, held, site, PC.D_LOCK)
        _spin_node(k, P, desc, prog, f"CPU{held} is in {site}" + (" (its chip call under raw_spin_lock_irqsave)"
                                                                  if site == "irq_set_affinity" else ""))
    elif noted and site == "the flow handler" and k.ctx is k.cpu.proc:
        task_behind_flow(k, desc, held)
    elif noted and k.ctx is k.cpu.proc:
        _task_wait(k, desc, held, None, PC.D_LOCK, f"CPU{held} is in {site}", site)
    elif noted and prog in TRY_ONE and P.on and k.eng.fresh and site:
        _holder_dep(k, P, desc, held, site, PC.D_LOCK)
        _poll_wait(k, P, desc, prog, f"CPU{held} is in {site}")
    return True


def _poll_wait(k: Any, P: Any, desc: Any, prog: str, why: str) -> None:
    """The node of try_one_irq's first poll on desc->lock (kernel/irq/spurious.c: its raw_spin_lock, run by
    poll_spurious_irqs or misrouted_irq in this CPU's interrupt context) behind a holder or the locker queued first,
    noted by the caller: a ``lock.wait`` that writes nothing, on the polled irq (``irqs[N].disabled``, what the poll
    looks for) -- the caller's own context (the timer expiry, the misrouted interrupt) is linked as for any step.
    why28: none, the spin's event had no answer at all ("no tracked value recorded here")."""
    P.write(PC.LOCK_WAIT, PK.key(PK.IRQDIS, desc.irq), k.cpu_id,
            note=f"{prog} (try_one_irq) of irq {desc.irq} spins on desc->lock: {why}")


def _holder_dep(k: Any, P: Any, desc: Any, cpu: int, site: str, code: Any) -> bool:
    """Note, for the next node, what CPU ``cpu`` holding this irq's desc->lock at ``site`` (``lock_site``) does:
    a flow handler's interrupt (its accept), try_one_irq's caller -- the poll_spurious_irq_timer expiry whose
    poll_spurious_irqs runs it, or the interrupt whose misrouted_irq does (its accept) --, else the scenario action
    running the task's section (irq_set_affinity, disable_irq / enable_irq, free_irq). False when there is none to
    name (the section's task is no scenario action)."""
    c = k.w.cpus[cpu]
    if site == "the flow handler":
        ahead = _flow_interrupt(c, desc.irq, None)
    elif site == "try_one_irq":
        # kernel/irq/spurious.c: try_one_irq runs from poll_spurious_irqs (the timer softirq, at the bottom of that
        # CPU's interrupt stack here) or from misrouted_irq in another irq's flow handler (note_interrupt, irqfixup)
        stack = c.irq.stack
        if stack and stack[0]["prog"] == "poll_spurious_irqs":
            run = P.poll_run.get(cpu, -1)
            if run < 0:
                return False
            P.dep_writer(code, PK.key(PK.SPOLL, 0), run)
            return True
        ahead = _bottom_interrupt(c)
    else:
        action = c.proc.get("action", -1)
        ahead = PK.key(PK.ACTION, action) if action is not None and action >= 0 else -1
    if ahead < 0:
        return False
    P.dep(code, ahead)
    return True


def _task_wait(k: Any, desc: Any, cpu: int, flow: str | None, code: Any, why: str, site: str = "") -> None:
    """Provenance of a task's first poll on desc->lock behind CPU ``cpu``'s task (the holder: its irq_set_affinity,
    disable_irq / enable_irq or free_irq section; or the task queued first, ``flow`` None) or behind the flow handler
    ``flow`` queued first: a ``lock.wait`` node that writes nothing, linking (``code``: held by / queued for first by)
    that task's action, or the interrupt that flow handler handles (its accept). why27: only a task behind a flow
    handler holding the lock had one (``task_behind_flow``); behind a task, or a queued locker, why of the spin named
    the task's own action only."""
    P = k.eng.prov
    if not (P.on and k.eng.fresh):
        return
    if flow is not None:
        ahead = _flow_interrupt(k.w.cpus[cpu], desc.irq, flow)
        if ahead < 0:
            return
        P.dep(code, ahead)
    elif not _holder_dep(k, P, desc, cpu, site, code):     # (why28: behind try_one_irq, the poll or interrupt)
        return
    P.write(PC.LOCK_WAIT, PK.key(PK.WAIT, k.cpu_id), cpu,
            note=f"{k.frame.get('prog')} of irq {desc.irq} spins on desc->lock: {why}")


def task_behind_flow(k: Any, desc: Any, held: int) -> None:
    """Provenance of a task's first poll on desc->lock behind CPU ``held``'s flow handler (spin_on_lock's, and
    free_irq's __free_irq behind the flow handlers it found): it waits for the interrupt that handler handles (its
    accept) -- a node that writes nothing (the task's wait is no value a later step reads). why26 (heldout_why13
    k09): none, so why of the spin named only the task's action."""
    P = k.eng.prov
    if not (P.on and k.eng.fresh):
        return
    ahead = _flow_interrupt(k.w.cpus[held], desc.irq, None)
    if ahead >= 0:
        P.dep(PC.D_LOCK, ahead)
        P.write(PC.LOCK_WAIT, PK.key(PK.WAIT, k.cpu_id), held,
                note=f"{k.frame.get('prog')} of irq {desc.irq} spins on desc->lock: CPU{held} is in its flow handler")


#: the native flow handler's program (x86 vector domain irqs): 8d39d6ec4db5's wait applies to it only
_NATIVE_EDGE = "handle_edge_irq"

#: the flow handlers whose first poll on a held or waited-for desc->lock is a provenance node (``_spin_node``)
_SPIN_NODE_FLOWS = frozenset({"handle_edge_irq", "handle_fasteoi_irq"})


def _spin_node(k: Any, P: Any, desc: Any, prog: str, why: str) -> None:
    """The node of a flow handler's first poll on desc->lock (its dependencies noted by the caller): the signal it
    handles is held until it gets the lock. handle_edge_irq of an MSI / MSI-X irq: that entry's held signal. A
    level flow handler (handle_fasteoi_irq of an IO-APIC GSI, a Xen PV guest's pcifront GSI pirq) serves a line:
    the held INTx condition of each function asserting it now (``ioapic.drivers``; none asserting: the functions
    whose handlers the irq runs). Nothing when no device can be named."""
    if desc.dev is not None:
        de = PK.dev_entry(P.dev(desc.dev), desc["index"])
        what = f"{desc.dev} vector {desc['index']}"
        keys = [PK.key(PK.HELD, de), PK.key(PK.SIG, de)]
    elif prog == "handle_fasteoi_irq":
        from msidbg.model import ioapic
        names = ioapic.drivers(k.w, desc.irq) or sorted({a[0] for a in desc.get("actions") or ()})
        if not names:
            return
        what = "INTx# of " + ", ".join(names)
        keys = []
        for n in names:
            de = PK.dev_entry(P.dev(n), 0)
            keys += [PK.key(PK.HELD, de), PK.key(PK.SIG, de)]
    else:
        return
    r = P.write(PC.KERNEL, keys[0], 1, also=tuple(keys[1:]),
                note=f"{prog} of irq {desc.irq} ({what}) spins on desc->lock: {why}")
    if prog == "handle_fasteoi_irq" and r >= 0:
        own = _flow_interrupt(k.cpu, desc.irq, prog)
        if own >= 0:
            P.spun[(k.cpu_id, desc.irq)] = (r, P.writer(own))


def spun_branch(k: Any, P: Any, desc: Any, held: int) -> None:
    """Before the node of a level flow handler's handler run consuming the held condition ``held`` (a key): when this
    CPU's handle_fasteoi_irq of this irq spun on desc->lock in this same interrupt (the writer of the interrupt it runs
    in is the one it ran in at the spin) and the spin's node is in the history of the condition the run consumes
    (written after it only by INTx# asserts of the line, nothing cleared it), link the spin as a branch (``D_SPUN``):
    the run waited for it. why27: every assert rewrites the condition, so the run after the release linked the newest
    assert, never the spin (lockq23 i01's run at 301.3 us)."""
    got = P.spun.pop((k.cpu_id, desc.irq), None) if P.spun and P.on and k.eng.fresh else None   # (why33: fresh only)
    if got is None:
        return
    r, accepted = got
    own = _flow_interrupt(k.cpu, desc.irq, "handle_fasteoi_irq")
    if own < 0 or P.writer(own) != accepted:
        return
    w = P.writer(held)
    for i in range(64):     # (the asserts after the spin: one a device period each, while the lock was held)
        if w < 0 or P.event(w) < P.event(r):
            return
        if w == r or (P.code(w) == PC.ALIAS and P.x(w) == r):
            if i:   # (still the condition's writer: the run's own link goes through the spin already)
                P.dep_writer(PC.D_SPUN, held, r)
            return
        if P.code(w) != PC.INTX_COND:
            return
        w = P.prev(w)


def _flow_interrupt(c: Any, irq: int, prog: str | None) -> int:
    """The provenance key of the interrupt CPU ``c``'s flow handler ``prog`` (None: any flow handler) of ``irq`` runs
    for, as its nodes link it (``Prov._context``): the accept of the vector at the bottom of its interrupt stack
    (common_interrupt's, also under handle_edge_irq's loop), or a xen-pv upcall's callback. -1: no such frame, or no
    vector to name."""
    from msidbg.model.kernel.irq import FLOW_HANDLERS as FLOW  # (irq.py's imports lead back here)
    stack = c.irq.stack
    if not any((f["prog"] == prog if prog is not None else f["prog"] in FLOW) and _irq_waiter(f, irq)
               for f in stack):
        return -1
    return _bottom_interrupt(c)


def _bottom_interrupt(c: Any) -> int:
    """The provenance key of the interrupt at the bottom of CPU ``c``'s interrupt stack (its accept, or a xen-pv
    upcall's callback), as ``_flow_interrupt`` names it without asking which flow handler runs; -1: none."""
    stack = c.irq.stack
    if not stack:
        return -1
    bottom = stack[0]["locals"]
    vector = bottom.get("vector")
    if isinstance(vector, int) and vector >= 0:
        return PK.key(PK.ISR, PK.cpu_vec(c.id, vector))
    if bottom.get("upcall"):
        return PK.key(PK.CALLBACK, c.id)
    return -1


def lock_word_clear(desc: Any) -> bool:
    """raw_spin_lock(&desc->lock)'s fast path as a flow handler takes it: the lock word is all zero -- no CPU
    holds the lock (``lock``) and nobody waits for it (``lock_wait``: the pending bit or the MCS queue of a
    queued spinlock). Only then does the flow handler take it at once; otherwise it goes through
    ``spin_on_lock``, which gives the lock to the first waiter (reading ``kernel.lock.desc-lock-queued``).
    The one test of every flow handler -- handle_edge_irq (MSI, and Xen's pirqs and event channels),
    handle_fasteoi_irq (IO-APIC level, Xen PV GSI pirqs) before irq_may_run and again after the actions --
    so that none of them takes a released lock past a waiter."""
    return desc.lock == -1 and "lock_wait" not in desc._extra


def flow_fast(desc: Any, me: int) -> bool:
    """The first test of every edge flow handler's ack (handle_edge_irq of MSI, Xen's pirq handle_edge_irq
    and the upcall's inlined ack of it): ``raw_spin_lock(&desc->lock)`` takes the lock at once
    (``lock_word_clear``: nobody holds or waits for it) and ``irq_may_run``'s common case holds (this CPU
    was the last in the action, so no other CPU can be in it). False: the flow handler goes through
    ``may_run`` -- ``spin_on_lock``'s queue, then IRQD_IRQ_INPROGRESS -- the one path to the lock for every
    locker that finds it held or waited for."""
    try:    # (slots, not .get(): both exist once the irq has been handled here; ``lock_word_clear``, inlined)
        return desc.inprogress == me and desc.lock == -1 and "lock_wait" not in desc._extra
    except AttributeError:  # (a descriptor of an older world without them: absent slots)
        return False


def loop_back(c: Any, irq: int) -> bool:
    """CPU ``c``'s interrupt stack holds this irq's edge loop put back after its action (``defer``'s rerun frame, or
    ``relock_after_action``'s) that has not taken desc->lock back yet."""
    return any(f["locals"].get("inprog") == irq and f["prog"] in RERUN for f in c.irq.stack)


#: the chips whose irqs run the native handle_edge_irq (entry.accept): PCI MSI / MSI-X and the ISA IO-APIC pins
_NATIVE_EDGE_CHIPS = frozenset({"PCI-MSIX", "PCI-MSI", "IO-APIC"})


def relock_after_action(k: Any, desc: Any, me: int) -> None:
    """A locker queues for desc->lock (``queue_for_lock``) while another CPU runs this irq's action in the native
    handle_edge_irq: that CPU's handle_irq_event takes the lock back after the action (raw_spin_lock, then
    irqd_clear(IRQD_IRQ_INPROGRESS)), and handle_edge_irq tests IRQS_PENDING under it -- a locker queued before
    the action's end takes the lock first and still finds the flag set (an edge: IRQS_PENDING and mask_ack_irq,
    which that loop then unmasks and handles). The model's action step is the last of its frame, so the relock
    was no step (locks28's lead); here it becomes one -- the loop frame back on that CPU's stack at ``rerun``,
    marked ``inprog`` until it has the lock (reading ``kernel.lock.edge-relock``). Uncontended, the relock stays
    implicit (no locker can see the flag between the action's end and the lock's)."""
    if desc.chip not in _NATIVE_EDGE_CHIPS:
        return
    ip = desc.get("inprogress", -1)
    if ip < 0 or ip == me:
        return
    w = k.w
    c = w.cpus[ip]
    irq = desc.irq
    if c.get("handling", -1) != irq or c.busy_until <= w.now or loop_back(c, irq):
        return
    stack = c.irq.stack
    if any(f["locals"].get("irq") == irq for f in stack):
        return
    if not stack:
        stack += _edge_entry(c, irq, -1)
    vector = stack[0]["locals"].get("vector", -1)
    frame = new_frame(handle_edge_irq.name, {"irq": irq, "vector": vector, "src": [], "port": 0, "inprog": irq,
                                             "relock": 1})
    frame["pc"] = RERUN[handle_edge_irq.name]
    stack.append(frame)
    k.eng.model.wake(k.eng, c)


def queue_for_lock(k: Any, desc: Any, me: int) -> None:
    """A locker that finds desc->lock held (or others queued for it) joins the queue, once: the release
    hands the lock to the first waiter (``lock_waiter``). A CPU in this irq's edge action comes back for the
    lock after it (``relock_after_action``)."""
    relock_after_action(k, desc, me)
    ctx = 0 if k.ctx is k.cpu.proc else 1
    prog = k.frame["prog"]
    q = desc.get("lock_wait")
    if q is None:
        desc["lock_wait"] = [[me, ctx, prog]]
        return
    if q and type(q[0]) is not list:
        q = desc["lock_wait"] = [[q[0], 0, q[1]]]
    for e in q:
        if e[0] == me and e[1] == ctx:
            e[2] = prog
            return
    q.append([me, ctx, prog])


def queue_behind_flow(k: Any, desc: Any, me: int, cpus: list[int]) -> None:
    """free_irq's raw_spin_lock_irqsave while CPUs ``cpus`` are in this irq's flow handler (``handling_cpus``:
    they entered it before this task came): on its first poll the task queues behind those that have not taken
    the lock yet (on their way to it), so each of them gets it first -- the holder is no waiter: it queues
    behind the task when it comes back for the lock. On a later poll the task keeps its place."""
    ctx = 0 if k.ctx is k.cpu.proc else 1
    q = desc.get("lock_wait")
    if q and type(q[0]) is not list:
        q = desc["lock_wait"] = [[q[0], 0, q[1]]]
    if q and any(e[0] == me and e[1] == ctx for e in q):
        return
    from msidbg.model.kernel.irq import FLOW_HANDLERS as FLOW  # (irq.py's imports lead back here)
    irq = desc.irq
    ahead = []
    for cpu in cpus:
        prog = next((f["prog"] for f in k.w.cpus[cpu].irq.stack
                     if f["prog"] in FLOW and f["locals"].get("irq") == irq), None)
        if prog is not None and cpu != desc.lock and not (q and any(e[0] == cpu and e[1] == 1 for e in q)):
            ahead.append([cpu, 1, prog])
    if ahead:
        if q is None:
            q = desc["lock_wait"] = []
        q.extend(ahead)
    queue_for_lock(k, desc, me)


def _leave_queue(desc: Any, me: int, ctx: int) -> None:
    """The locker (CPU ``me``, its ``ctx``) takes desc->lock: it is no longer queued."""
    q = desc.get("lock_wait")
    if q is None:
        return
    q[:] = [e for e in q if type(e) is list and not (e[0] == me and e[1] == ctx)]
    if not q:
        desc.pop("lock_wait", None)


def may_run(k: Any, desc: Any, loc: dict[str, Any]) -> bool:
    """``raw_spin_lock(&desc->lock); if (!irq_may_run(desc)) { IRQS_PENDING; mask_ack_irq(); }``.
    False when this step is done: this CPU spins for the lock (the step runs again), or the irq is
    in progress on another CPU and this step recorded IRQS_PENDING (``defer``; the mask and the ack
    follow as the next steps)."""
    w = k.w
    me = k.cpu_id
    if spin_on_lock(k, desc, me):
        return False
    ip = in_action(w, desc, me)
    if ip < 0:
        return True
    if desc.get("effective") == me and k.frame["prog"] == _NATIVE_EDGE and sw(k, "edge_wait_new_target"):
        # 8d39d6ec4db5 (6.17) irq_can_handle_pm: a single-target handle_edge_irq irq (the x86 vector domain's;
        # Xen's event-channel irqs set no IRQD_SINGLE_TARGET) whose effective affinity's first CPU is this one --
        # the new target of a move the old CPU still handles -- waits in irq_wait_on_inprogress (desc->lock
        # dropped, IRQD_IRQ_INPROGRESS polled, the lock retaken) and handles the edge itself: no IRQS_PENDING,
        # no mask (reading ``kernel.edge.wait-new-target``)
        k.spin(f"irq_wait_on_inprogress: irq {desc.irq} in progress on CPU{ip}, the previous target; this CPU is "
               "its effective target: wait for IRQD_IRQ_INPROGRESS to clear", ip, desc.dev)
        return False
    defer(k, desc, loc, ip)
    desc.lock = me
    k.again()
    return False


def defer(k: Any, desc: Any, loc: dict[str, Any], ip: int) -> None:
    """The edge found IRQD_IRQ_INPROGRESS (CPU ``ip`` runs the action): IRQS_PENDING, its signals
    handed to that CPU's loop (``desc["pending_src"]``); mask_ack_irq follows (``mask_first``, then
    the chip's ack). CPU ``ip``'s handle_edge_irq is still in its do/while: its next iteration
    (``rerun``) is put back on its interrupt stack, to run when the action returns. Emits the note
    that records it."""
    eng = k.eng
    irq = desc.irq
    first = not desc.get("pending")
    desc["pending"] = True
    desc["replay"] = -1     # (handle_edge_irq clears IRQS_REPLAY before irq_may_run)
    loc["deferred"] = 1
    if first and not loop_back(k.w.cpus[ip], irq):   # (a relock frame already there: ``relock_after_action``)
        c = k.w.cpus[ip]
        prog = k.frame["prog"]
        stack = c.irq.stack
        if not stack:
            # the action's interrupt entry is still under the loop (the model popped its frames when
            # the action began)
            stack += LOOP_ENTRY[prog](c, irq, loc.get("vector", -1))
        vector = stack[0]["locals"].get("vector", -1) if stack else loc.get("vector", -1)
        # ``inprog``: IRQD_IRQ_INPROGRESS stays set until this loop has taken desc->lock back (in_action)
        frame = new_frame(prog, {"irq": irq, "vector": vector, "src": [],
                                 "port": loc.get("port", 0), "pending_from": k.cpu_id, "inprog": irq})
        frame["pc"] = RERUN[prog]
        stack.append(frame)
        eng.model.wake(eng, c)
    if "stray" in loc:
        hold_stray(desc, loc)
    if "src" in loc:    # (a Xen pirq's signals are known at its clear_evtchn: ``hand_over`` then)
        hand_over(k, desc, loc["src"], ip)
    else:               # provenance: the bit is set now, whatever the clear finds (maybe nothing)
        k.eng.prov.write(PC.KERNEL, PK.key(PK.IRQPEND, irq), 1,
                         note=f"irq {irq} in progress on CPU{ip}: IRQS_PENDING (the event's signals are counted "
                         "at its clear_evtchn)")
    k.note(f"irq_may_run: irq {irq} in progress on CPU{ip}: IRQS_PENDING, mask_ack_irq", ip, desc.dev)


def hold_stray(desc: Any, loc: dict[str, Any]) -> None:
    """The edge that is the message msi_set_affinity retriggered (``take_stray``) becomes IRQS_PENDING
    (``defer``, ``park``): the action that runs for that bit later -- the loop of the CPU in the action
    (``rerun_loop``), or check_irq_resend's replay (``disable.apic_retrigger_irq`` hands it to the IPI's
    IRR bit) -- runs for it too, spurious for its sender (kernel26)."""
    desc["pending_stray"] = (desc.get("pending_stray") or []) + loc.pop("stray")


def hand_over(k: Any, desc: Any, src: list[list[Any]], ip: int = -1, parked: bool = False) -> None:
    """IRQS_PENDING: the signals of an edge left to the loop of the CPU in the action (``ip``;
    -1: ``desc.inprogress``) join ``desc["pending_src"]``; ``parked``: the irq is disabled, and
    they wait there for check_irq_resend (``park``)."""
    irq = desc.irq
    before = desc.get("pending_src") or []
    desc["pending_src"] = list(before) + [list(s) for s in src]
    n = sum(s[2] for s in src)
    if parked:
        if desc.action is None:
            k.eng.prov.dep(PC.D_NO_ACTION, PK.key(PK.IRQACT, irq))     # (shut down by free_irq)
        state = ("shut down (no action: never requested, or freed)" if not desc["started"] else "disabled"
                 if desc.disabled else "started without an action (enable_irq after free_irq)")
        note = f"irq {irq} {state}: IRQS_PENDING ({n} signal(s) wait for check_irq_resend)"
    else:
        note = f"irq {irq} in progress on CPU{desc['inprogress'] if ip < 0 else ip}: IRQS_PENDING " \
               f"({n} signal(s) left to its loop)"
    P = k.eng.prov
    node = P.write(PC.KERNEL, PK.key(PK.IRQPEND, irq), 1, note=note)
    if node >= 0:   # provenance: which edge's node each entry of pending_src is (whyheld12)
        P.pend_src[irq] = (P.pend_src.get(irq, []) if before else []) + [node] * len(src)


def park(k: Any, desc: Any, loc: dict[str, Any]) -> None:
    """handle_edge_irq on a disabled irq (``irqd_irq_disabled``: disable_irq's irq_disable, or
    irq_shutdown) or one without an action (``!desc->action``: started by an enable_irq after free_irq):
    ``desc->istate |= IRQS_PENDING; mask_ack_irq(desc); goto out_unlock`` -- no action runs, no kstat. IRQS_PENDING is one bit: the edges it stands for (``desc["pending_src"]``) are
    replayed together by check_irq_resend when the irq is enabled (enable_irq, or irq_startup).
    The mask (a lazily disabled irq is still unmasked) and the ack follow as the next steps of
    ``ack``, as for an edge ``defer`` leaves to another CPU. Emits ``irq.pending``."""
    from msidbg.model.kernel.disable import IRQ_PENDING  # (disable.py imports this module)
    no_action = not desc.disabled and desc.action is None
    if no_action:           # started without an action (enable_irq after free_irq): free_irq's removal
        k.eng.prov.dep(PC.D_NO_ACTION, PK.key(PK.IRQACT, desc.irq))
    elif desc["started"]:   # disabled by disable_irq (else shut down: hand_over links free_irq's removal)
        k.eng.prov.dep(PC.D_CAUSE, PK.key(PK.IRQDIS, desc.irq))
    desc["pending"] = True
    desc["replay"] = -1
    loc["deferred"] = 1
    stray = "stray" in loc
    if stray:
        hold_stray(desc, loc)
    src = loc.get("src")
    n = 0
    if src:     # (a Xen pirq's signals are known at its clear_evtchn: ``hand_over`` then)
        hand_over(k, desc, src, parked=True)
        n = sum(s[2] for s in src)
    else:
        loc["parked"] = True
        if stray:
            # provenance (why30): the edge is only the message msi_set_affinity retriggered (no signal of this
            # irq's own): IRQS_PENDING is set for it all the same, and check_irq_resend's replay takes it. No node
            # was made here, so the replay linked nothing before enable_irq and the stray its IRR bit's older sets
            k.eng.prov.write(PC.KERNEL, PK.key(PK.IRQPEND, desc.irq), 1,
                             note=f"irq {desc.irq} {'disabled' if desc['started'] else 'shut down'}: IRQS_PENDING "
                             "(the message msi_set_affinity retriggered here waits for check_irq_resend)")
    why = "no action" if no_action else "disabled" if desc["started"] else "shut down"
    k.ev(IRQ_PENDING, desc.dev, desc.irq, n, k.s(why))
    k.again()


def mask_first(k: Any, desc: Any, chip_mask: Any) -> bool:
    """mask_ack_irq's mask_irq: the chip's mask write (caused by the pending edge) unless the irq is
    masked already. True when it wrote (this step's action; the ack runs as the next step)."""
    if desc.masked:
        return False
    k.eng.prov.dep(PC.D_CAUSE, PK.key(PK.IRQPEND, desc.irq))
    desc.masked = True
    chip_mask[desc.chip](k, desc, True)
    if k.emitted:
        k.again()
        return True
    return False


def send_cleanup(k: Any, desc: Any, vector: int, cpu: int) -> bool:
    """send_cleanup_vector / vector_schedule_cleanup once the move is complete: queue the old
    vector's release on its CPU and send that CPU the cleanup IPI, or (6.6+) arm its cleanup
    timer one jiffy out unless it is pending (emits the event). False if nothing to do."""
    desc_dirty(k, desc)     # provenance: the old vector's slot it may free (6.6+, old CPU offline)
    if not vec.complete_move(k.w, desc, vector, cpu):
        return False
    target = k.w.cpus[desc["prev_cpu"]]
    if vec.timer_cleanup(k.w):
        armed = arm_cleanup_timer(k.eng, target)
        k.note(f"vector_schedule_cleanup: old vector {desc['prev_vector']:#x} on CPU{target['id']}"
               + (", timer armed" if armed else ", timer already pending"), target["id"], desc.dev)
        return True
    apic.receive(target, IRQ_MOVE_CLEANUP_VECTOR, None)
    P = k.eng.prov      # provenance: the IPI's IRR bit, sent for the move this interrupt completes
    P.dep(PC.D_CAUSE, PK.key(PK.IRQVEC, desc.irq))
    P.write(PC.IRR_IPI, PK.key(PK.IRR, PK.cpu_vec(target["id"], IRQ_MOVE_CLEANUP_VECTOR)), 1)
    k.eng.model.wake(k.eng, target)
    k.ev(K.APIC_IPI, None, target["id"], IRQ_MOVE_CLEANUP_VECTOR, cost="ipi")
    return True


def arm_cleanup_timer(eng: Any, c: Any) -> bool:
    """add_timer_on(&cl->timer, cpu) with expiry jiffies + 1, unless already pending."""
    if c.get("vtimer", -1) >= 0:
        return False
    token = eng.w.seq
    c["vtimer"] = token
    eng.schedule(eng.w.now + eng.w.costs["jiffy"], "vtimer", c.id, token)
    return True


def cancel_cleanup_timer(eng: Any, c: Any) -> None:
    """del_timer (lapic_offline): forget a pending cleanup timer."""
    token = c.get("vtimer", -1)
    if token < 0:
        return
    c["vtimer"] = -1
    eng.unschedule(lambda item: item[2] == "vtimer" and item[4] == token)


def on_vtimer(eng: Any, item: list[Any]) -> None:
    """Agenda handler: a cleanup timer expires; the local APIC timer interrupt is raised."""
    c = eng.w.cpus[item[3]]
    c["vtimer"] = -1
    apic.receive(c, vec.local_timer_vector(eng.w), None)
    eng.model.wake(eng, c)
    eng.emit(TIMER_FIRE, c.id, None, c.id)


@handle_edge_irq.step
def move(k: Any, loc: dict[str, Any]) -> None:
    """irq_move_irq after a cleanup IPI was sent from this same ack."""
    if k.w.irqs[loc["irq"]]["move_pending"]:
        k.call("irq_move_irq", irq=loc["irq"])


@handle_edge_irq.step
def eoi(k: Any, loc: dict[str, Any]) -> None:
    apic.eoi(k.cpu)
    k.ev(K.APIC_EOI, None, loc["vector"], cost="eoi")
    if k.w.platform["kind"] == "xen-hvm":
        xen_guest_eoi(k, loc["vector"])
    if "deferred" in loc:       # mask_ack_irq's ack: this edge is left to the CPU in the action
        k.w.irqs[loc["irq"]]["lock"] = -1
        k.ret(0)
    else:
        k.goto("handle")


@handle_edge_irq.step
def rerun(k: Any, loc: dict[str, Any]) -> None:
    """The do/while of handle_edge_irq on the CPU whose action an edge found in progress (``defer``
    put this frame back when it did): ``while ((desc->istate & IRQS_PENDING) &&
    !irqd_irq_disabled(desc))`` -- then no action: mask_irq and out; IRQS_PENDING on a masked,
    enabled irq: unmask_irq; and handle_irq_event once more, for the edges that came meanwhile."""
    rerun_loop(k, loc, _chip_mask())


def _chip_mask() -> Any:
    """irq.CHIP_MASK (imported late: irq.py's imports lead back to this module)."""
    from msidbg.model.kernel.irq import CHIP_MASK
    return CHIP_MASK


def rerun_loop(k: Any, loc: dict[str, Any], chip_mask: Any) -> None:
    """``rerun``'s body, shared with Xen's pirq flow handler (``goto("handle")`` when it runs)."""
    w = k.w
    desc = w.irqs[loc["irq"]]
    irq = desc.irq
    if spin_on_lock(k, desc, k.cpu_id):
        return
    # handle_irq_event's relock: IRQD_IRQ_INPROGRESS is cleared now that the lock is this CPU's again
    loc.pop("inprog", None)
    P = k.eng.prov
    srcs = desc.get("pending_src") or []
    if not desc.get("pending") or desc.disabled or desc.action is None:
        # IRQS_PENDING clear (check_irq_resend took it, or no edge came: ``relock_after_action``), or the irq
        # disabled (disable_irq, or irq_shutdown) or without an action: the loop ends. Its edges stay
        # IRQS_PENDING: replayed by check_irq_resend when the irq is enabled (enable_irq, a later request_irq's
        # irq_startup), lost if its descriptor is freed first (or at the end). The do/while's top masks an irq
        # without an action only when the loop goes round again (pending, not disabled)
        why = "no action" if desc.action is None else "disabled" if desc.disabled else "not pending"
        if desc.action is None and desc.get("pending") and not desc.disabled and desc["started"] \
                and not desc.masked:
            desc.masked = True
            chip_mask[desc.chip](k, desc, True)
        if not k.emitted:
            held = f", {len(srcs)} edge(s) stay IRQS_PENDING" if desc.get("pending") and srcs else ""
            back = "desc->lock retaken after the action, IRQD_IRQ_INPROGRESS cleared; " if "relock" in loc else ""
            k.note(f"handle_edge_irq: irq {irq} {back}{why}: the loop ends{held}", len(srcs), desc.dev)
        desc.lock = -1
        k.ret(0)
        return
    desc.lock = k.cpu_id
    desc["pending"] = False     # (handle_irq_event clears IRQS_PENDING before the action)
    desc["pending_src"] = []
    loc["src"] = srcs
    if "pending_stray" in desc:     # an IRQS_PENDING edge that was a retriggered message (hold_stray)
        loc["stray"] = desc.pop("pending_stray")
    # provenance: the action runs again because of the edges another CPU left IRQS_PENDING (the
    # handler run this step leads to links them); only on this loop, never per ordinary interrupt
    P.dep(PC.D_CAUSE, PK.key(PK.IRQPEND, irq))
    P.write(PC.KERNEL, PK.key(PK.IRQPEND, irq), 0,
            note=f"handle_edge_irq: irq {irq} IRQS_PENDING: the loop runs the action again for {len(srcs)} edge(s)")
    if desc.masked:
        P.dep(PC.D_CAUSE, PK.key(PK.IRQPEND, irq))
        desc.masked = False
        chip_mask[desc.chip](k, desc, False)
    k.goto("handle")


@handle_edge_irq.step
def handle(k: Any, loc: dict[str, Any], vector: int = -1) -> None:
    """handle_irq_event: run the action; settle which signals this run delivered. ``vector``: the
    vector the interrupt came on when ``loc`` has none (a Xen pirq's edge handler: the upcall's)."""
    w = k.w
    desc = w.irqs[irq := loc["irq"]]
    src = loc["src"]
    desc.count += 1
    # handle_irq_event: IRQD_IRQ_INPROGRESS, desc->lock dropped for the action (this step's cost)
    k.cpu.handling = irq
    desc.inprogress = k.cpu_id
    desc.lock = -1
    dev, idx = desc.dev, desc.index
    delivered = 0
    if desc.action is None:
        vector = loc["vector"] if vector < 0 else vector
        where = f"CPU{k.cpu_id} vector {vector:#x} irq {loc['irq']}"
        for d, i, n in src:
            k.eng.prov.dep(PC.D_NO_ACTION, PK.key(PK.IRQACT, loc["irq"]))    # (free_irq's removal)
            acct.lost(k.eng, d, i, n, f"reached irq {loc['irq']} which has no handler installed ({where})")
    elif len(src) == 1 and (s0 := src[0])[0] == dev and s0[1] == idx and "stray" not in loc:  # the common case
        delivered = s0[2]
        a = w.acct[dev]
        a["delivered"][idx] += delivered
        a["handled"][idx] += 1
        if w.kernel["waiters"]:
            v = loc["vector"] if vector < 0 else vector
            k.eng.model.wake_waiters(k.eng, dev, idx, (PC.D_WAITED, PK.key(PK.ISR, PK.cpu_vec(k.cpu_id, v))))
    else:
        vector = loc["vector"] if vector < 0 else vector
        where = f"CPU{k.cpu_id} vector {vector:#x} irq {loc['irq']}"
        delivered = acct.settle(k.eng, src, dev, idx, where,
                                PK.key(PK.VECIRQ, PK.cpu_vec(k.cpu_id, vector)))
        if "stray" in loc:
            stray_spurious(k, loc.pop("stray"), vector, dev, idx, not src)
        if (delivered or not src) and dev is not None:
            w.acct[dev]["handled"][idx] += 1
            k.eng.model.wake_waiters(k.eng, dev, idx, (PC.D_WAITED, PK.key(PK.ISR, PK.cpu_vec(k.cpu_id, vector))))
    k.ev(_IRQ_HANDLER, dev, irq, idx, delivered, "handler")


@move_cleanup.step
def cleanup(k: Any, loc: dict[str, Any]) -> None:
    """The cleanup IPI: EOI, then free moved vectors unless they are still pending here."""
    c = k.cpu
    apic.eoi(c)
    _device_signals_lost(k, loc, "IRQ_MOVE_CLEANUP_VECTOR's system handler")
    cleanup_dirty(k, c)
    freed, retry = vec.cleanup_this_cpu(k.w, c)
    if retry:
        apic.receive(c, IRQ_MOVE_CLEANUP_VECTOR, None)
    _cleaned(k, c, freed, retry, "apic->send_IPI_self(IRQ_MOVE_CLEANUP_VECTOR)")


def _cleaned(k: Any, c: Any, freed: list[int], retry: bool, again: str) -> None:
    """The cleanup's event: ``vector.free`` of the (first) vector it freed; when it freed none, what
    the kernel did instead -- walked an empty cleanup list (a ``free_irq``, or hotplug's
    ``irq_force_complete_move``, already released the moved vector), or left a vector still
    pending in this CPU's IRR on the list and tries again (``again``). It was a ``vector.free``
    of irq -1, vector 0: a release that did not happen."""
    if freed:
        k.ev(K.VECTOR_FREE, None, -1, freed[0], c.id, cost="eoi")
        return
    what = (f"a moved vector queued here is still pending in CPU{c['id']}'s IRR: kept, {again}" if retry
            else f"CPU{c['id']}'s cleanup list is empty: no vector to free")
    k.ev(K.KERNEL, None, k.s(k.frame.get("prog", "?")), k.s(what), len(c.cleanup), cost="eoi")


@timer_cleanup.step
def timer_callback(k: Any, loc: dict[str, Any]) -> None:
    """__vector_cleanup(cl, true): free what is queued here unless still pending in this CPU's
    IRR; then ``mod_timer(jiffies + 1)`` to try again. A device message on the timer vector
    while the timer is not yet due is an extra local timer interrupt: no timer expires early."""
    c = k.cpu
    apic.eoi(c)
    _device_signals_lost(k, loc, "the local APIC timer interrupt")
    if loc.get("src") and c.get("vtimer", -1) >= 0:     # only a device's message: not yet due
        k.ev(K.KERNEL, None, k.s("local_apic_timer_interrupt"),
             k.s("no timer is due: the cleanup timer expires later"), len(c.cleanup), cost="eoi")
        return
    cleanup_dirty(k, c)
    freed, retry = vec.cleanup_this_cpu(k.w, c)
    if retry:
        arm_cleanup_timer(k.eng, c)
    _cleaned(k, c, freed, retry, "mod_timer(jiffies + 1)")


for _v in TIMER_VECTORS:
    SYSVEC[_v] = "vector_cleanup_callback"

error_interrupt = program("error_interrupt", "the LVT Error vector: report and clear the local APIC's errors",
                          source=S.ERROR_INTERRUPT)


@error_interrupt.step
def report_esr(k: Any, loc: dict[str, Any]) -> None:
    """sysvec_error_interrupt (smp_error_interrupt before 5.8): write the ESR (the write latches the
    errors recorded since the last one and clears them), read it, EOI, irq_err_count++, and print
    "APIC error on CPU%d: %02x" with a name per bit. A device message on 0xfe runs this handler
    instead of its own: its signals are lost. (The report is apic_printk(APIC_DEBUG, ...): a real kernel prints it
    only with apic=debug; it counts irq_err_count always.)"""
    c = k.cpu
    v = c.get("esr", 0)
    c["esr"] = 0
    apic.eoi(c)
    k.kernel["irq_err_count"] = k.kernel.get("irq_err_count", 0) + 1
    _device_signals_lost(k, loc, "the APIC error interrupt")
    names = "".join(f" : {apic.ESR_REASONS[b]}" for b in range(8) if v >> b & 1)
    k.note(f"APIC error on CPU{c['id']}: {v:02x}{names}", v)


SYSVEC[apic.ERROR_APIC_VECTOR] = "error_interrupt"


def _device_signals_lost(k: Any, loc: dict[str, Any], handler: str) -> None:
    """A device message whose vector is a system vector of this CPU runs that vector's system
    handler, not the device's: its signals are lost, and the arrival is spurious for the device
    (the wrong handler). The IRR bit carried their provenance (``src``)."""
    for dev, idx, n in loc.get("src") or ():
        acct.lost(k.eng, dev, idx, n, f"hit CPU{k.cpu_id} vector {loc['vector']:#x}, which runs {handler}",
                  spurious=True)


def _no_cleanup_vector(scn: Any, w: Any) -> None:
    """Build hook: from 6.6 (bdc1dad299bb) there is no IRQ_MOVE_CLEANUP_VECTOR; 0x20 is a
    device vector like the others."""
    if vec.timer_cleanup(w):
        for c in w.cpus:
            if c.vector_irq.get(IRQ_MOVE_CLEANUP_VECTOR) == VECTOR_CLEANUP:
                del c.vector_irq[IRQ_MOVE_CLEANUP_VECTOR]


if _no_cleanup_vector not in _build.PLATFORM_BUILDERS:
    _build.PLATFORM_BUILDERS.append(_no_cleanup_vector)


def _edge_entry(c: Any, irq: int, vector: int) -> list[dict[str, Any]]:
    """Under handle_edge_irq's loop: common_interrupt, its dispatch done (it returns when the loop
    does), on the vector CPU ``c`` took the irq on (its slot stays mapped while it runs the action:
    a move's cleanup runs on that CPU, after it)."""
    v = min((v for v, s in c.vector_irq.items() if s == irq), default=vector)
    return [{"prog": common_interrupt.name, "pc": _CI_END, "locals": {"vector": v}}]


RERUN[handle_edge_irq.name] = handle_edge_irq.labels["rerun"]
LOOP_ENTRY[handle_edge_irq.name] = _edge_entry


def pending_edges(P: Any, desc: Any) -> list[tuple[str, int, int, int]]:
    """``desc["pending_src"]``'s edges, each with the IRQS_PENDING node of the edge that added it (``hand_over``), so
    each lost signal links its own edge (whyheld12: all of them linked the bit's last writer); the bit's last writer
    when the store's list does not match (a re-executed or unrecorded history)."""
    srcs = desc.get("pending_src") or ()
    nodes = P.pend_src.get(desc.irq) if P.on else None
    if nodes is None or len(nodes) != len(srcs):
        last = P.writer(PK.key(PK.IRQPEND, desc.irq))
        return [(d, i, n, last) for d, i, n in srcs]
    return [(d, i, n, w) for (d, i, n), w in zip(srcs, nodes, strict=True)]


def finish_pending(eng: Any) -> None:
    """FINISH_HOOKS: edges still IRQS_PENDING at the end (their loop never ran) are lost."""
    P = eng.prov
    for irq in sorted(eng.w.irqs):
        desc = eng.w.irqs[irq]
        for d, i, n, w in pending_edges(P, desc):
            P.dep_writer(PC.D_PENDING, PK.key(PK.IRQPEND, irq), w)
            if desc.action is None:
                P.dep(PC.D_NO_ACTION, PK.key(PK.IRQACT, irq))     # (free_irq's removal)
            acct.lost(eng, d, i, n, f"were still IRQS_PENDING on irq {irq} at the end")
        if desc.get("pending_src"):
            desc["pending_src"] = []
        desc.pop("pending_stray", None)


def program_names() -> list[str]:
    from msidbg.model.platforms import load_all

    load_all()      # (the Xen side's programs: imported on first use)
    return sorted(PROGRAMS)
