"""Provenance: which earlier event produced each value that a step used for a visible decision.

The model records, as it runs, small facts beside the event log (``provcodes`` has their
kinds, ``provkeys`` the values they are about):

* a **node**: at this event, this step set tracked value K (a table register, a latch, an IRR
  bit, a vector_irq slot, a pirq...) or something happened to it (a loss);
* its **dependencies**: the values it used, each resolved at that instant to the record that
  last wrote it.

``why`` (``msidbg.debugger.why``) walks these links; it never re-derives a story.

Where it lives: like the event log and the hit list, the store belongs to the engine
(``eng.prov``), is appended only when an event first executes (``eng.fresh``), and is rebuilt
by replaying the run (opening a snapshot replays its history). History is linear and
deterministic, so the "current writer" of a key -- the last record in its history -- is always
the state after the last recorded event, which is exactly where new records are made.

Cost: one flat ``array('q')`` of three ints per record (event << 16 | kind, key, value or
writer) plus, per key, the array of its writers; the interrupt path adds five records
(message -> IRR, accept and its vector_irq slot, EOI, handler) and no dict or tuple per event.
"""

from __future__ import annotations

import bisect
from array import array
from typing import Any

from msidbg.model import provcodes as C
from msidbg.model import provkeys as PK

EV_SHIFT = 16
CODE_MASK = (1 << EV_SHIFT) - 1
_CODES = C.CODES


class Prov:
    """The provenance store of one engine's run (``eng.prov``)."""

    def __init__(self, eng: Any) -> None:
        self.eng = eng
        self.rec = array("q")
        self.hist: dict[int, array[int]] = {}
        self.dev_ids: dict[str, int] = {}
        self.dev_names: list[str] = []
        #: node record -> stack id (nodes made inside a kernel / QEMU program step)
        self.stacks: dict[int, int] = {}
        self.stack_ids: dict[tuple[Any, ...], int] = {}
        self.stack_list: list[tuple[Any, ...]] = []
        #: node record -> a note (a loss's reason, a fault, a kernel remark)
        self.notes: dict[int, str] = {}
        #: for each hit of ``eng.hits`` (same order), the last node recorded before it, or -1
        self.hit_nodes = array("q")
        self.last_node = -1
        self._pend: list[tuple[int, int, int]] = []
        self._pend_ev = -1
        #: the message the device sends in this step: [(dependency code, key, writer)...], and the event
        self.msg: list[tuple[int, int, int]] = []
        self.msg_ev = -1
        #: per CPU, the last node made in its process context (what an action returns after)
        self.proc_last: dict[int, int] = {}
        self.on = True
        _hook_hits(eng, self)

    # -- keys ----------------------------------------------------------------------------------------
    def dev(self, name: str) -> int:
        i = self.dev_ids.get(name)
        if i is None:
            i = self.dev_ids[name] = len(self.dev_names)
            self.dev_names.append(name)
        return i

    def devname(self, i: int) -> str:
        return self.dev_names[i] if 0 <= i < len(self.dev_names) else f"dev{i}"

    def writer(self, key: int) -> int:
        h = self.hist.get(key)
        return h[-1] if h else -1

    # -- recording (model side) -----------------------------------------------------------------------
    @property
    def live(self) -> bool:
        """True while the current step executes for the first time (records are made then only)."""
        return self.on and bool(self.eng.fresh)

    def dep(self, code: int, key: int) -> None:
        """The next node of this step used ``key`` (resolved to its writer now)."""
        if not self.eng.fresh or not self.on:
            return
        cur = self.eng.cur
        if self._pend_ev != cur:
            self._pend = []
            self._pend_ev = cur
        h = self.hist.get(key)
        self._pend.append((code, key, h[-1] if h else -1))

    def dep_writer(self, code: int, key: int, writer: int) -> None:
        """Like ``dep`` with the writer already known (e.g. captured earlier in the same step)."""
        if not self.eng.fresh or not self.on:
            return
        cur = self.eng.cur
        if self._pend_ev != cur:
            self._pend = []
            self._pend_ev = cur
        self._pend.append((code, key, writer))

    def write(self, code: int, key: int, value: int = 0, *, ctx: bool = True, also: tuple[int, ...] = (),
              note: str | None = None) -> int:
        """A node: this step set ``key`` (to ``value``). Pending dependencies attach to it, then the
        program context it ran in (its call stack, the action or interrupt it belongs to).
        Returns the record index, or -1 when nothing is recorded (re-execution)."""
        eng = self.eng
        if not eng.fresh or not self.on:
            return -1
        cur = eng.cur
        rec = self.rec
        r = len(rec) // 3
        rec.extend((cur << EV_SHIFT | code, key, value))
        self.last_node = r
        if self._pend_ev == cur and self._pend:
            for dcode, dkey, w in self._pend:
                rec.extend((cur << EV_SHIFT | dcode, dkey, w))
            self._pend = []
        if ctx:
            self._context(r, cur)
        if _CODES[code].writes:
            self._hist(key, r)
        for k in also:
            self._hist(k, r)
        if note is not None:
            self.notes[r] = note
        return r

    def inline(self, code: int, key: int, writer: int, also: int = -1) -> None:
        """A hot node with its one dependency inline (``writer``); ``also`` is a second key it writes.
        The caller checks ``eng.fresh``."""
        rec = self.rec
        r = len(rec) // 3
        rec.extend((self.eng.cur << EV_SHIFT | code, key, writer))
        self.last_node = r
        h = self.hist.get(key)
        if h is None:
            self.hist[key] = array("q", (r,))
        else:
            h.append(r)
        if also >= 0:
            h = self.hist.get(also)
            if h is None:
                self.hist[also] = array("q", (r,))
            else:
                h.append(r)

    def _hist(self, key: int, r: int) -> None:
        h = self.hist.get(key)
        if h is None:
            self.hist[key] = array("q", (r,))
        else:
            h.append(r)

    def _context(self, r: int, cur: int) -> None:
        """Attach the running program context: its stack, and a link to what it runs for."""
        k = getattr(self.eng.model, "k", None)
        if k is None or getattr(k, "at", -1) != cur:
            return
        ctx = k.ctx
        stack = ctx.get("stack") or []
        cpu = k.cpu_id
        if cpu < 0:
            kind = "qemu"
        elif ctx is k.cpu.get("irq"):
            kind = "irq"
        else:
            kind = "proc"
        sig = (cpu, kind, tuple((f["prog"], f["pc"]) for f in stack))
        sid = self.stack_ids.get(sig)
        if sid is None:
            sid = self.stack_ids[sig] = len(self.stack_list)
            self.stack_list.append(sig)
        self.stacks[r] = sid
        if kind == "proc":
            self.proc_last[cpu] = r
            action = k.cpu["proc"].get("action", -1)
            if action is not None and action >= 0:
                self._link(r, cur, C.D_ACTION, PK.key(PK.ACTION, action))
        elif kind == "irq" and stack:
            vector = stack[0]["locals"].get("vector")
            if isinstance(vector, int):
                self._link(r, cur, C.D_IN_IRQ, PK.key(PK.ISR, PK.cpu_vec(cpu, vector)))
        elif kind == "qemu":
            serving = k.w.get("qemu", {}).get("serving")
            if serving is not None:
                self._link(r, cur, C.D_IOREQ, PK.key(PK.IOREQ, serving["cpu"]))

    def _link(self, r: int, cur: int, code: int, key: int) -> None:
        """A dependency of node ``r``, appended while ``r`` and its dependencies are the last records."""
        self.rec.extend((cur << EV_SHIFT | code, key, self.writer(key)))

    # -- the message of this step ---------------------------------------------------------------------
    def sending(self, code: int, key: int, extra: tuple[tuple[int, int], ...] = ()) -> None:
        """The device puts a message on the bus, taken from ``key`` (a table entry, a latch, the MSI
        registers); ``extra`` are further (code, key) it depends on (e.g. a write the latch ignored)."""
        eng = self.eng
        if eng.fresh and self.on:
            h = self.hist.get(key)
            self.msg = [(code, key, h[-1] if h else -1)]
            for c, k in extra:
                h = self.hist.get(k)
                self.msg.append((c, k, h[-1] if h else -1))
            self.msg_ev = eng.cur

    def message_dep(self) -> None:
        """Attach the message of this step (and what it depends on) to the next node."""
        if self.msg_ev == self.eng.cur:
            for code, key, w in self.msg:
                self.dep_writer(code, key, w)

    def irr_set(self, cpu: int, vector: int, dev: str, idx: int) -> None:
        """The message of this step set ``vector`` in ``cpu``'s IRR (hot path)."""
        eng = self.eng
        if not eng.fresh or not self.on:
            return
        msg = self.msg if self.msg_ev == eng.cur else ()
        d = self.dev_ids.get(dev)
        if d is None:
            d = self.dev(dev)
        self.inline(C.IRR_SET, PK.IRR << PK.SHIFT | cpu << 8 | vector, msg[0][2] if msg else -1,
                    PK.SIG << PK.SHIFT | d << 16 | idx)
        cur = eng.cur << EV_SHIFT
        for code, key, w in msg[1:]:
            self.rec.extend((cur | code, key, w))

    def accept(self, cpu: int, vector: int) -> None:
        """IRR -> ISR, and common_interrupt's vector_irq lookup (hot path)."""
        eng = self.eng
        if not eng.fresh or not self.on:
            return
        cv = cpu << 8 | vector
        irr = PK.IRR << PK.SHIFT | cv
        h = self.hist.get(irr)
        self.inline(C.ACCEPT, PK.ISR << PK.SHIFT | cv, h[-1] if h else -1, irr)
        slot = PK.VECIRQ << PK.SHIFT | cv
        h = self.hist.get(slot)
        self.rec.extend((eng.cur << EV_SHIFT | C.D_SLOT, slot, h[-1] if h else -1))

    def isr_node(self, code: int, cpu: int, vector: int, key: int = -1) -> None:
        """A node whose one dependency is ``cpu``'s ISR bit for ``vector`` (EOI, a handler) (hot path)."""
        eng = self.eng
        if not eng.fresh or not self.on:
            return
        isr = PK.ISR << PK.SHIFT | cpu << 8 | vector
        h = self.hist.get(isr)
        self.inline(code, isr if key < 0 else key, h[-1] if h else -1)

    # -- reading (debugger side) ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.rec) // 3

    def event(self, r: int) -> int:
        return self.rec[r * 3] >> EV_SHIFT

    def code(self, r: int) -> int:
        return self.rec[r * 3] & CODE_MASK

    def key(self, r: int) -> int:
        return self.rec[r * 3 + 1]

    def x(self, r: int) -> int:
        return self.rec[r * 3 + 2]

    def deps(self, r: int) -> list[tuple[int, int, int]]:
        """(dependency code, key, writer record) of node ``r``: the inline one, then the records after it."""
        out: list[tuple[int, int, int]] = []
        code = self.code(r)
        if _CODES[code].inline:
            w = self.x(r)
            out.append((code, self.key(w) if w >= 0 else -1, w))
        n = len(self)
        i = r + 1
        while i < n and not _CODES[self.code(i)].node:
            out.append((self.code(i), self.key(i), self.x(i)))
            i += 1
        return out

    def first_at(self, event: int) -> int:
        """The first record at or after ``event`` (records are in event order)."""
        rec = self.rec
        lo, hi = 0, len(self)
        while lo < hi:
            mid = (lo + hi) // 2
            if rec[mid * 3] >> EV_SHIFT < event:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def nodes_at(self, event: int) -> list[int]:
        out = []
        i = self.first_at(event)
        n = len(self)
        while i < n and self.event(i) == event:
            if _CODES[self.code(i)].node:
                out.append(i)
            i += 1
        return out

    def writer_at(self, key: int, event: int) -> int:
        """The record that last wrote ``key`` at or before ``event`` (-1: the initial state)."""
        h = self.hist.get(key)
        if not h:
            return -1
        i = bisect.bisect_right(h, event, key=lambda r: self.rec[r * 3] >> EV_SHIFT)
        return h[i - 1] if i else -1

    def writer_before(self, key: int, r: int) -> int:
        """The record that last wrote ``key`` before record ``r`` (-1: the initial state)."""
        h = self.hist.get(key)
        if not h:
            return -1
        i = bisect.bisect_left(h, r)
        return h[i - 1] if i else -1

    def history(self, key: int) -> list[int]:
        return list(self.hist.get(key, ()))

    def hit_node(self, j: int, event: int) -> int:
        """The node recorded for hit ``j`` of ``eng.hits`` (at ``event``), or -1."""
        if 0 <= j < len(self.hit_nodes):
            r = self.hit_nodes[j]
            if r >= 0 and self.event(r) == event:
                return int(r)
        return -1

    def stack(self, r: int) -> tuple[Any, ...] | None:
        """(cpu, context kind, ((program, pc), ...)) of node ``r`` when it was made in a program step."""
        sid = self.stacks.get(r)
        return None if sid is None else self.stack_list[sid]

    def memory_bytes(self) -> int:
        return (self.rec.buffer_info()[1] * 8 + sum(h.buffer_info()[1] * 8 + 64 for h in self.hist.values())
                + len(self.hit_nodes) * 8)


def _hook_hits(eng: Any, prov: Prov) -> None:
    """Note which node each hit belongs to: the model records a hit's node just before the hit."""
    plain = type(eng).hit

    def hit(name: str, detail: str) -> None:
        if eng.fresh:
            prov.hit_nodes.append(prov.last_node)
        plain(eng, name, detail)

    eng.hit = hit


class NoProv(Prov):
    """A store that records nothing (``new_engine(..., prov=False)``)."""

    def __init__(self, eng: Any) -> None:
        super().__init__(eng)
        self.on = False


def of(eng: Any) -> Prov:
    """The engine's provenance store."""
    p: Prov = eng.prov
    return p
