"""Provenance of kernel state that the kernel's code changes without a hook: each CPU's vector_irq
slots and online flag, each irq's vector / CPU and its deferred move.

The kernel's vector, move and hotplug code (``model/kernel/vector.py``, ``move.py``,
``hotplug.py``) works on the world only. After each kernel step that executes for the first
time, ``KernelDiff.step`` compares that state with the copy it kept and records a node for each
value the step changed, in the step's context (its call stack, the action or interrupt it ran
for). Only a change is recorded; a deferred move is recorded when it is requested (the request
is what the move, applied later in ``irq_move_irq``, depends on), not when it is taken.
"""

from __future__ import annotations

from itertools import compress
from operator import itemgetter, ne
from typing import Any

from msidbg.model import provcodes as C
from msidbg.model import provkeys as PK

#: the interrupt path's programs: a step that entered only these changes none of the state here
#: (but for ``no_handler``'s freed slot, which records itself)
HOT_PROGS = frozenset({"common_interrupt", "handle_edge_irq", "xen_evtchn_do_upcall", "xen_handle_edge_irq"})
#: the program that applies a deferred move at ack time (kernel/irq/migration.c)
MOVE_PROG = "irq_move_irq"
#: vector_irq sentinels (model/hw.py) as slot values; an absent slot is -1 (VECTOR_UNUSED)
_SLOT = {None: -1, "SHUTDOWN": -2, "RETRIGGERED": -3, "CLEANUP": -4}
#: the descriptor fields ``_irq_state`` reads, fetched for every irq at C speed to tell whether any
#: changed (the model replaces ``pending_mask`` lists, it never edits one in place)
_FIELDS = itemgetter("cpu", "vector", "move_pending", "pending_mask")


def _irq_state(d: dict[str, Any]) -> tuple[int, int]:
    """(cpu << 8 | vector, the pending move's CPU mask or 0) of an irq descriptor."""
    pend = 0
    if d.get("move_pending"):
        for c in d.get("pending_mask") or ():
            pend |= 1 << c
    return (d.get("cpu") or 0) << 8 | (d.get("vector") or 0) & 0xFF, pend


def _candidates(before: tuple[list[int], list[Any]] | None,
                raw: tuple[list[int], list[Any]] | None) -> list[int] | None:
    """The irqs whose fields differ between two ``_FIELDS`` scans (the irqs added since
    included), or None when only a full comparison can tell (no scan, or irqs went away)."""
    if before is None or raw is None:
        return None
    (okeys, ovals), (nkeys, nvals) = before, raw
    n = len(okeys)
    if nkeys[:n] != okeys:
        return None
    return list(compress(nkeys, map(ne, nvals[:n], ovals))) + nkeys[n:]


class KernelDiff:
    """The kernel state as of the last recorded step."""

    def __init__(self, w: dict[str, Any] | None) -> None:
        self.cpus: dict[int, tuple[dict[int, Any], bool]] = {}
        self.irqs: dict[int, tuple[int, int]] = {}
        #: the irqs' numbers and ``_FIELDS`` as of the last full comparison (None: compare fully)
        self.raw: tuple[list[int], list[Any]] | None = None
        for c in (w or {}).get("cpus", ()):
            self.cpus[c["id"]] = (dict(c["vector_irq"]), c["online"])
        for i, d in (w or {}).get("irqs", {}).items():
            self.irqs[i] = _irq_state(d)

    def step(self, P: Any, w: dict[str, Any]) -> None:
        """Record what the step that just ran changed (``P``: the provenance store)."""
        seen = self.cpus
        for c in w["cpus"]:
            vi, online = c["vector_irq"], c["online"]
            old = seen.get(c["id"])
            if old is None or (old[1] is online and old[0] == vi):
                continue
            cid = c["id"]
            if old[1] is not online:
                P.write(C.ONLINE, PK.key(PK.ONLINE, cid), int(online))
            ov = old[0]
            for v in sorted(set(ov) | set(vi)):
                a, b = ov.get(v), vi.get(v)
                if a != b:
                    val = b if isinstance(b, int) and not isinstance(b, bool) else _SLOT.get(str(b) if b else None, -1)
                    key = PK.key(PK.VECIRQ, PK.cpu_vec(cid, v))
                    last = P.cur.get(key, -1)
                    if last < 0 or P.x(last) != val:   # (no_handler records its own free)
                        P.write(C.VEC_SLOT, key, val)
            seen[cid] = (dict(vi), online)
        irqs_w = w["irqs"]
        try:
            raw: tuple[list[int], list[Any]] | None = (list(irqs_w), list(map(_FIELDS, irqs_w.values())))
        except KeyError:    # a descriptor of another shape: compare each one
            raw = None
        before, self.raw = self.raw, raw
        if raw is not None and raw == before:
            return          # no irq changed: the common case on big worlds (2,048 irqs a step)
        irqs = self.irqs
        for i in sorted(_candidates(before, raw) or irqs_w):
            now = _irq_state(irqs_w[i])
            old_irq = irqs.get(i)
            if old_irq == now:
                continue
            irqs[i] = now
            if (old_irq[0] if old_irq else 0) != now[0]:
                P.write(C.IRQ_VECTOR, PK.key(PK.IRQVEC, i), now[0])
            if now[1] and (old_irq is None or old_irq[1] != now[1]):
                P.write(C.MOVE_PENDING, PK.key(PK.MOVEPEND, i), now[1])
