"""Provenance of kernel state that the kernel's code changes without a hook: each CPU's vector_irq
slots and online flag, each irq's vector / CPU and its deferred move.

The kernel's vector, move and hotplug code (``model/kernel/vector.py``, ``move.py``,
``hotplug.py``) works on the world only. After each kernel step that executes for the first
time, ``KernelDiff.step`` compares that state with the copy it kept and records a node for each
value the step changed, in the step's context (its call stack, the action or interrupt it ran
for). Only a change is recorded; a deferred move is recorded when it is requested (the request
is what the move, applied later in ``irq_move_irq``, depends on), not when it is taken.

Only what may have changed is compared: the kernel code that writes a CPU's vector_irq slots or
online flag, or an irq descriptor's ``cpu`` / ``vector`` / ``move_pending`` / ``pending_mask``
(or adds / removes a descriptor), marks that CPU or irq dirty (``cpu_dirty``, ``irq_dirty``,
``desc_dirty``, ``cleanup_dirty``). The dirty sets live here, beside the world (never hashed or
saved), and are emptied when compared. A mark made while history is re-executed only costs a
comparison that finds nothing; a missed mark would lose a record, which
``tests/test_why_dirty.py`` checks against a full comparison on every shipped scenario.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import provcodes as C
from msidbg.model import provkeys as PK

#: the interrupt path's programs: a step that entered only these changes none of the state here
#: (but for ``no_handler``'s freed slot, which records itself)
HOT_PROGS = frozenset({"common_interrupt", "handle_edge_irq", "xen_evtchn_do_upcall", "evtchn_2l_handle_events",
                       "evtchn_fifo_handle_events", "xen_handle_edge_irq"})
#: the program that applies a deferred move at ack time (kernel/irq/migration.c)
MOVE_PROG = "irq_move_irq"
#: the note of a Xen pirq irq's ``irq.vector`` node (``whytext`` names it instead of "vector 0x0")
XEN_PIRQ_CPU = "a Xen pirq irq: its event channel delivers it, to the vCPU it is bound to"
#: ... and every such program: irq_move_masked_irq is ioapic_ack_level's (kernel/intx.py)
MOVE_PROGS = frozenset({MOVE_PROG, "irq_move_masked_irq"})
#: vector_irq sentinels (model/hw.py) as slot values; an absent slot is -1 (VECTOR_UNUSED)
_SLOT = {None: -1, "SHUTDOWN": -2, "RETRIGGERED": -3, "CLEANUP": -4, "CASCADE": -5}


def _irq_state(d: Any) -> tuple[int, int]:
    """(cpu << 8 | vector, the pending move's CPU mask or 0) of an irq descriptor."""
    pend = 0
    if d.move_pending:
        for c in d.pending_mask or ():
            pend |= 1 << c
    return (d.cpu or 0) << 8 | (d.vector or 0) & 0xFF, pend


class KernelDiff:
    """The kernel state as of the last recorded step, and what kernel code touched since."""

    def __init__(self, w: Any) -> None:
        self.cpus: dict[int, tuple[dict[int, Any], bool]] = {}
        self.irqs: dict[int, tuple[int, int]] = {}
        #: CPUs (ids) and irqs whose state the kernel code may have changed since the last step
        self.dirty_cpus: set[int] = set()
        self.dirty_irqs: set[int] = set()
        #: CPU -> the key of the wait its offline had to make (stop_machine's rendezvous with a CPU in
        #: hardirq): the node of its going offline links it
        self.offline_cause: dict[int, int] = {}
        #: (cpu, vector) -> the record that freed the slot, for the slots this step filled with an irq after an
        #: earlier step freed them: the irq's ``irqs[n].vector`` node links it (``D_REUSED``)
        self.refilled: dict[tuple[int, int], int] = {}
        #: (cpu, vector) -> the values its vector_irq slot was seen to hold within the step being run, at each mark
        #: (``desc_dirty``: before and after each call into the vector domain) -- a slot freed and taken again within
        #: one step (by another irq, or by the same one) shows as two changes, not as one or none (whyheld10)
        self.mid: dict[tuple[int, int], list[Any]] = {}
        #: the slots the marks of the step being run named (each desc's vector and previous vector, as of each mark)
        self.watch: set[tuple[int, int]] = set()
        for c in (w or {}).get("cpus", ()):
            self.cpus[c.id] = (dict(c.vector_irq), c.online)
        #: the matrix's global_reserved (``kernel.vec_rsvd``; None: no matrix): only a vector-domain call changes
        #: it, and every such call marks its irq dirty
        self.rsvd: int | None = ((w or {}).get("kernel") or {}).get("vec_rsvd")
        for i, d in (w or {}).get("irqs", {}).items():
            self.irqs[i] = _irq_state(d)

    def step(self, P: Any, w: Any) -> None:
        """Record what the step that just ran changed (``P``: the provenance store)."""
        if self.dirty_cpus:
            self._cpus(P, w.cpus)
        if self.dirty_irqs:
            if self.rsvd is not None:
                self._rsvd(P, w)
            self._irqs(P, w.irqs)
        self.refilled.clear()
        self.mid.clear()
        self.watch.clear()

    def _rsvd(self, P: Any, w: Any) -> None:
        n = w.kernel.get("vec_rsvd")
        old = self.rsvd
        if n is None or n == old:
            return
        self.rsvd = n
        irqs = sorted(self.dirty_irqs)
        who = f" (irq {irqs[0]})" if len(irqs) == 1 else ""
        how = ("irq_matrix_reserve" if n > old
               else "a reservation given back (activate_reserved's irq_matrix_alloc, or irq_matrix_remove_reserved)")
        P.write(C.VEC_RSVD, PK.key(PK.VECRSVD, 0), n, note=f"{how}{who}: global_reserved {old} -> {n}")

    def _cpus(self, P: Any, cpus: list[Any]) -> None:
        seen = self.cpus
        dirty = sorted(self.dirty_cpus)
        self.dirty_cpus.clear()
        for cid in dirty:
            old = seen.get(cid)
            if old is None or not 0 <= cid < len(cpus):
                continue
            c = cpus[cid]
            vi, online = c.vector_irq, c.online
            if old[1] is online and old[0] == vi:
                continue
            if old[1] is not online:
                key = PK.key(PK.ONLINE, cid)
                last = P.cur.get(key, -1)
                if not online and last >= 0 and P.x(last) == 0 and P.code(last) == C.ONLINE:
                    # take_cpu_down's remove_cpu_from_maps took the CPU out of cpu_online_mask (whyheld12): the flag
                    # cpu_down ends with is the event's node, linking it, and the value stays that step's -- a chain
                    # through the offline CPU names take_cpu_down, not this later step
                    P.dep_writer(C.D_CAUSE, key, last)
                    if P.write(C.ONLINE, key, 0) >= 0:
                        P.cur[key] = last
                else:
                    cause = self.offline_cause.pop(cid, -1)
                    if cause >= 0 and not online:
                        P.dep(C.D_CAUSE, cause)
                    P.write(C.ONLINE, key, int(online))
            ov = old[0]
            mid = self.mid
            for v in sorted(set(ov) | set(vi)):
                a, b = ov.get(v), vi.get(v)
                seen_mid = mid.get((cid, v)) if mid else None
                if a != b or seen_mid:
                    key = PK.key(PK.VECIRQ, PK.cpu_vec(cid, v))
                    # the values the slot went through within the step (a free, then a fill), then the one it holds
                    for x in (*(seen_mid or ()), b):
                        val = x if isinstance(x, int) and not isinstance(x, bool) else _SLOT.get(str(x) if x else None, -1)
                        last = P.cur.get(key, -1)
                        if val >= 0 and last >= 0 and P.x(last) < 0:
                            self.refilled[(cid, v)] = last     # an irq takes a slot an earlier step (or this one) freed
                        if last < 0 or P.x(last) != val:   # (no_handler records its own free)
                            P.write(C.VEC_SLOT, key, val)
            seen[cid] = (dict(vi), online)

    def _irqs(self, P: Any, irqs_w: dict[int, dict[str, Any]]) -> None:
        irqs = self.irqs
        dirty = sorted(self.dirty_irqs)
        self.dirty_irqs.clear()
        for i in dirty:
            d = irqs_w.get(i)
            if d is None:       # released: its last state stays (a new irq of that number compares to it)
                continue
            now = _irq_state(d)
            old_irq = irqs.get(i)
            if old_irq == now:
                continue
            irqs[i] = now
            if (old_irq[0] if old_irq else 0) != now[0]:
                freed = self.refilled.get((now[0] >> 8, now[0] & 0xFF), -1) if self.refilled else -1
                if freed >= 0:      # the vector it got was free because of that step (recorded data flow)
                    P.dep_writer(C.D_REUSED, PK.key(PK.VECIRQ, PK.cpu_vec(now[0] >> 8, now[0] & 0xFF)), freed)
                # a Xen pirq irq has no x86 vector (0): its CPU is the vCPU its event channel is bound to
                P.write(C.IRQ_VECTOR, PK.key(PK.IRQVEC, i), now[0],
                        note=XEN_PIRQ_CPU if d.get("chip") == "xen-pirq" else None)
            if now[1] and (old_irq is None or old_irq[1] != now[1]):
                P.write(C.MOVE_PENDING, PK.key(PK.MOVEPEND, i), now[1])


# -- marks (kernel code, ``k``: the kernel context) ----------------------------------------------------------
def cpu_dirty(k: Any, cid: int) -> None:
    """Kernel code changed (or may change) CPU ``cid``'s vector_irq slots or online flag."""
    P = k.eng.prov
    P.kdiff.dirty_cpus.add(cid)
    P.touched = True


def irq_dirty(k: Any, irq: int) -> None:
    """Kernel code changed (or may change) irq ``irq``'s descriptor, or added / removed it."""
    P = k.eng.prov
    P.kdiff.dirty_irqs.add(irq)
    P.touched = True


def desc_dirty(k: Any, desc: Any) -> None:
    """A call into the vector domain (``kernel/vector.py``) may change ``desc`` and the vector_irq
    slots of its current and previous CPU: call it before (the slots it frees are indexed by the
    old CPUs) and after (the slot it fills by the new one)."""
    P = k.eng.prov
    P.touched = True
    kd = P.kdiff
    kd.dirty_irqs.add(desc.irq)
    cpus = k.w.cpus
    watch = kd.watch
    rec = P.on and k.eng.fresh
    for f, fv in (("cpu", "vector"), ("prev_cpu", "prev_vector")):
        c = getattr(desc, f, None)
        if type(c) is int:
            kd.dirty_cpus.add(c)
            v = desc.vector if fv == "vector" else desc.get("prev_vector")
            if rec and type(v) is int and v and 0 <= c < len(cpus):
                watch.add((c, v))
    if watch and rec:
        for c, v in watch:      # every slot a mark of this step named: what it holds between the calls
            if 0 <= c < len(cpus):
                _observe(kd, cpus[c], c, v)


def _observe(kd: KernelDiff, c: Any, cid: int, v: int) -> None:
    """The slot ``cid``/``v`` as a mark sees it within a step: kept when it differs from the step's start (and from the
    last value seen), so that a free and a fill in one step are both recorded."""
    now = c.vector_irq.get(v)
    seq = kd.mid.get((cid, v))
    before = seq[-1] if seq else kd.cpus.get(cid, ({}, True))[0].get(v)
    if now != before:
        kd.mid.setdefault((cid, v), []).append(now)


def cleanup_dirty(k: Any, c: Any) -> None:
    """Before ``vector.cleanup_this_cpu(c)``: the moved vectors queued on ``c`` (their descriptors
    and their previous CPUs' slots) may be freed."""
    cpu_dirty(k, c.id)
    irqs = k.w.irqs
    for irq in c.cleanup:
        d = irqs.get(irq)
        if d is not None:
            desc_dirty(k, d)


def apic_reset_dirty(k: Any, cid: int) -> None:
    """Before ``apic.reset`` of CPU ``cid`` (its offline, or the INIT of its return): every IRR and
    ISR bit still set is cleared by this step (``irr.reset`` / ``isr.reset`` records), so ``why`` on
    ``cpus[c].irr[v]`` after it answers with the reset, not with the message that set the bit."""
    P = k.eng.prov
    c = k.w["cpus"][cid]
    for space, code, regs in ((PK.IRR, C.IRR_CLEAR, c["irr"]), (PK.ISR, C.ISR_CLEAR, c["isr"])):
        for word, bits in enumerate(regs):
            while bits:
                low = bits & -bits
                bits ^= low
                P.write(code, PK.key(space, PK.cpu_vec(cid, word * 32 + low.bit_length() - 1)), 0)


def rsvd_warning(k: Any, text: str) -> None:
    """A warning that read the matrix's global reservation count (irq_matrix_reserve's crossing, lapic_can_unplug_cpu's
    "Reserved vectors N > available M"): a node of the step that prints it, linking the count's last change."""
    P = k.eng.prov
    if P.on and k.eng.fresh:
        key = PK.key(PK.VECRSVD, 0)
        P.dep(C.D_RSVD, key)
        P.write(C.RSVD_WARN, key, int(k.w.kernel.get("vec_rsvd") or 0), note=text)
