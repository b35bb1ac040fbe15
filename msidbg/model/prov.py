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
deterministic, so the "current writer" of a key is always the state after the last recorded
event -- exactly where new records are made.

Two logs, one numbering. **Cold** records (everything but the interrupt path) are four ints:
(event << 16 | kind, key, value or writer, previous writer of the key). **Hot** records -- a
message setting an IRR bit, an accept, an EOI, i.e. three per delivered interrupt -- are three
ints appended to a plain list (flushed into an array in blocks): (event << 24 | kind << 16 |
cpu << 8 | vector, previous writer of that IRR/ISR bit, the writer it consumed). A hot record's
number carries ``HOT``. Each key's history is the chain of "previous writer" links from ``cur``.
"""

from __future__ import annotations

import struct
from array import array
from operator import itemgetter
from typing import Any

from msidbg.model import provcodes as C
from msidbg.model import provkeys as PK
from msidbg.model.cpu import executing
from msidbg.model.provkernel import HOT_PROGS, MOVE_PROG, KernelDiff

__all__ = ["HOT", "HOT_PROGS", "NoProv", "Prov", "of"]

EV_SHIFT = 16
CODE_MASK = (1 << EV_SHIFT) - 1
HOT = 1 << 48
#: the array's stand-in for a value kept in ``Prov.big`` (the int64 minimum, which no value takes)
BIG = -(1 << 63)
_CODES = C.CODES
_SHIFT, _IRR_SPACE, _ISR_SPACE = PK.SHIFT, PK.IRR, PK.ISR
_IRR = PK.IRR << 16      # hot keys in ``cur``: space << 16 | cpu << 8 | vector (small ints)
_ISR = PK.ISR << 16
_IRR_SET = C.IRR_SET << 16
_IRR_IPI = C.IRR_IPI << 16
_ACCEPT = C.ACCEPT << 16
#: hot records are appended to a list (array.extend of a tuple costs four list extends) and moved
#: into the array in blocks of this many ints
HOT_BLOCK = 3 * 4096
#: a frame's (program, pc): a node's call stack is these, outermost first
_PROG_PC = itemgetter("prog", "pc")
#: per record kind: a node registered as its key's writer (``Code.writes``)
_WRITES = tuple(c.writes for c in _CODES)
_ACTION = PK.key(PK.ACTION, 0)
#: one cold record as the array's bytes (packing is cheaper than ``array.extend``'s per-item parse)
_REC = struct.Struct("=4q").pack


class Prov:
    """The provenance store of one engine's run (``eng.prov``)."""

    def __init__(self, eng: Any) -> None:
        self.eng = eng
        self.rec = array("q")
        self.hot: list[int] = []
        self.hot_arr = array("q")
        #: the number the next hot record gets
        self.nhot = HOT
        self.cur: dict[int, int] = {}
        self.dev_ids: dict[str, int] = {}
        self.dev_names: list[str] = []
        #: node record -> stack id (nodes made inside a kernel / QEMU program step)
        self.stacks: dict[int, int] = {}
        self.stack_ids: dict[tuple[Any, ...], int] = {}
        self.stack_list: list[tuple[Any, ...]] = []
        #: node record -> a note (a loss's reason, a fault, a kernel remark), or a (template, args)
        #: pair formatted when somebody reads it (``note``: the interrupt path's notes are lazy)
        self.notes: dict[int, str | tuple[str, tuple[Any, ...]]] = {}
        #: node record -> a value that does not fit the int64 array (a CPU mask of 64 CPUs or
        #: more: the array holds BIG there)
        self.big: dict[int, int] = {}
        #: hot record -> further dependencies (a route's remapping entry, a held signal)
        self.hot_deps: dict[int, list[tuple[int, int, int]]] = {}
        #: for each hit of ``eng.hits`` (same order), the last node recorded before it, or -1
        self.hit_nodes = array("q")
        self.last_node = -1
        self._pend: list[tuple[int, int, int]] = []
        self._pend_ev = -1
        #: the message the device sends in this step: (dependency kind, source key, its writer, the
        #: event, further dependencies or None)
        self.msg: tuple[int, int, int, int, list[tuple[int, int, int]] | None] = (0, 0, -1, -1, None)
        #: per CPU, the last node made in its process context (what an action returns after)
        self.proc_last: dict[int, int] = {}
        self.on = True
        #: the kernel state as of the last recorded step (``kernel_step_done`` diffs it)
        self.kdiff = KernelDiff(getattr(eng, "w", None))
        #: a program outside ``HOT_PROGS`` was entered since the last diff (``Model.on_push``)
        self.touched = False
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
        """The current (last) writer record of ``key``, or -1."""
        return self.cur.get(_small(key), -1)

    # -- recording (model side) -----------------------------------------------------------------------
    def dep(self, code: int, key: int) -> None:
        """The next node of this step used ``key`` (resolved to its writer now)."""
        eng = self.eng
        if eng.fresh and self.on:   # dep_writer with ``_small`` inlined (hot on Xen's interrupt path)
            s = key >> _SHIFT
            writer = self.cur.get(s << 16 | (key & 0xFFFF) if s == _IRR_SPACE or s == _ISR_SPACE else key, -1)
            if self._pend_ev != eng.cur:
                self._pend = []
                self._pend_ev = eng.cur
            self._pend.append((code, key, writer))

    def dep_writer(self, code: int, key: int, writer: int) -> None:
        """Like ``dep`` with the writer already known (e.g. captured earlier in the same step)."""
        eng = self.eng
        if not eng.fresh or not self.on:
            return
        if self._pend_ev != eng.cur:
            self._pend = []
            self._pend_ev = eng.cur
        self._pend.append((code, key, writer))

    def write(self, code: int, key: int, value: int = 0, *, ctx: bool = True, also: tuple[int, ...] = (),
              note: str | tuple[str, tuple[Any, ...]] | None = None) -> int:
        """A node: this step set ``key`` (to ``value``). Pending dependencies attach to it, then the
        program context it ran in (its call stack, the action or interrupt it belongs to); ``also``
        are further keys the same step wrote (each gets an alias record pointing here); ``note``, a
        text or a ``(template, args)`` pair for ``str.format`` (formatted only when read).
        Returns the record number, or -1 when nothing is recorded (re-execution)."""
        eng = self.eng
        if not eng.fresh or not self.on:
            return -1
        s = key >> _SHIFT
        if s == _IRR_SPACE or s == _ISR_SPACE:
            return self._hot_write(code, key, value)
        now = eng.cur
        ev = now << EV_SHIFT
        rec, cur = self.rec, self.cur
        add = rec.frombytes
        r = len(rec) >> 2
        if not BIG < value < -BIG:
            self.big[r] = value
            value = BIG
        if _WRITES[code]:
            add(_REC(ev | code, key, value, cur.get(key, -1)))
            cur[key] = r
        else:
            add(_REC(ev | code, key, value, -1))
        self.last_node = r
        if self._pend_ev == now and self._pend:
            for dcode, dkey, w in self._pend:
                add(_REC(ev | dcode, dkey, w, -1))
            self._pend = []
        if ctx:
            self._context(now)
        for k in also:
            a = len(rec) >> 2
            add(_REC(ev | C.ALIAS, k, r, cur.get(k, -1)))
            cur[k] = a
        if note is not None:
            self.notes[r] = note
        return r

    def _context(self, cur: int) -> None:
        """Attach the running program context to the node just recorded: its call stack, and a link
        to what it runs for (the scenario action, the interrupt being handled, the guest's ioreq)."""
        k: Any = getattr(self.eng.model, "k", None)
        run = executing(k) if k is not None else None
        if run is None:
            return
        cpu, kind, stack = run
        sig = (cpu, kind, tuple(map(_PROG_PC, stack)))
        sid = self.stack_ids.get(sig)
        if sid is None:
            sid = self.stack_ids[sig] = len(self.stack_list)
            self.stack_list.append(sig)
        node = self.last_node
        self.stacks[node] = sid
        if kind == "proc":
            self.proc_last[cpu] = node
            action = k.cpu["proc"].get("action", -1)
            if action is not None and action >= 0:   # (an action key is never a hot one)
                key = _ACTION | action
                self.rec.frombytes(_REC(cur << EV_SHIFT | C.D_ACTION, key, self.cur.get(key, -1), -1))
        elif kind == "irq" and stack:
            vector = stack[0]["locals"].get("vector")
            if isinstance(vector, int):   # the interrupt path's own step, or a routine it called
                code = C.D_IN_IRQ if stack[-1]["prog"] in HOT_PROGS else C.D_IN_IRQ_CTL
                self._link(cur, code, PK.key(PK.ISR, PK.cpu_vec(cpu, vector)))
            for f in stack:     # a deferred move applied at ack time: the request behind it
                if f["prog"] == MOVE_PROG and isinstance(f["locals"].get("irq"), int):
                    self._link(cur, C.D_MOVE, PK.key(PK.MOVEPEND, f["locals"]["irq"]))
        elif kind == "qemu":
            serving = k.w.get("qemu", {}).get("serving")
            if serving is not None:
                self._link(cur, C.D_IOREQ, PK.key(PK.IOREQ, serving["cpu"]))

    def _link(self, cur: int, code: int, key: int) -> None:
        """A dependency of the node just recorded (its dependencies are the last records)."""
        self.rec.frombytes(_REC(cur << EV_SHIFT | code, key, self.cur.get(_small(key), -1), -1))

    def kernel_step_done(self, w: Any, irq: bool) -> None:
        """After a kernel step: nodes for the kernel state it changed that no hook records
        (``provkernel``). An interrupt context that ran only the interrupt path's programs
        (``HOT_PROGS``) changed none of it and is not diffed."""
        if irq and not self.touched:
            return
        self.touched = False
        kd = self.kdiff
        if (kd.dirty_cpus or kd.dirty_irqs) and self.eng.fresh and self.on:
            kd.step(self, w)

    # -- the interrupt path (hot) ---------------------------------------------------------------------
    def sending(self, code: int, key: int, extra: tuple[tuple[int, int], ...] = ()) -> None:
        """The device puts a message on the bus, taken from ``key`` (a table entry, a latch, the MSI
        registers); ``extra`` are further (code, key) it depends on (e.g. a write the latch ignored)."""
        eng = self.eng
        if eng.fresh:
            cur = self.cur
            self.msg = (code, key, cur.get(key, -1), eng.cur,
                        [(c, k, cur.get(k, -1)) for c, k in extra] if extra else None)

    def message_dep(self) -> None:
        """Attach the message of this step (and what it depends on) to the next node."""
        code, key, _, ev, extra = self.msg
        if ev == self.eng.cur:
            self.dep(code, key)
            for dcode, dkey, dw in extra or ():
                self.dep_writer(dcode, dkey, dw)

    def add_to_message(self, code: int, key: int, writer: int) -> None:
        """One more dependency of the message of this step (a held signal it releases)."""
        m = self.msg
        if m[3] == self.eng.cur:
            self.msg = (*m[:4], [*(m[4] or ()), (code, key, writer)])

    def irr_set(self, cpu: int, vector: int) -> None:
        """The message of this step (or an IPI) set ``vector`` in ``cpu``'s IRR (hot path: the caller
        needs no check; ``NoProv`` replaces this with a no-op)."""
        eng = self.eng
        if not eng.fresh:
            return
        ev = eng.cur
        cur = self.cur
        cv = cpu << 8 | vector
        key = _IRR | cv
        r = self.nhot
        self.nhot = r + 1
        m = self.msg
        if m[3] == ev:
            self.hot.extend((ev << 24 | _IRR_SET | cv, cur.get(key, -1), m[1]))
            if m[4] or self._pend_ev == ev:
                self._hot_deps(r, ev, True)
        else:
            self.hot.extend((ev << 24 | _IRR_IPI | cv, cur.get(key, -1), -1))
            if self._pend_ev == ev:
                self._hot_deps(r, ev)
        cur[key] = r

    def _hot_deps(self, r: int, ev: int, msg: bool = False) -> None:
        deps = list(self.msg[4] or ()) if msg and self.msg[3] == ev else []
        if self._pend_ev == ev:
            deps += self._pend
            self._pend = []
        if deps:
            self.hot_deps[r] = deps

    def accept(self, cpu: int, vector: int) -> None:
        """IRR -> ISR (and, implied, common_interrupt's lookup of the vector_irq slot). The ISR bit's
        clearing (EOI) is not recorded: ``why`` finds it by the bit's last change when asked."""
        eng = self.eng
        if not eng.fresh:
            return
        cur = self.cur
        cv = cpu << 8 | vector
        key = _ISR | cv
        r = self.nhot
        self.nhot = r + 1
        hot = self.hot
        hot.extend((eng.cur << 24 | _ACCEPT | cv, cur.get(key, -1), -1))
        cur[key] = r
        if len(hot) >= HOT_BLOCK:
            self.flush()

    def _hot_write(self, code: int, key: int, value: int) -> int:
        """A write of an IRR or ISR bit outside the interrupt path (an IPI, INIT, a retrigger)."""
        ev = self.eng.cur
        small = _small(key)
        r = self.nhot
        self.nhot = r + 1
        self.hot.extend((ev << 24 | code << 16 | (small & 0xFFFF), self.cur.get(small, -1), value))
        self.cur[small] = r
        self.last_node = r
        if self._pend_ev == ev and self._pend:
            self._hot_deps(r, ev)
        return r

    def flush(self) -> None:
        """Move the hot list into its array (every reader of hot records calls this first)."""
        hot = self.hot
        if hot:     # (struct converts an int for half what array("q", ...) does: no PyArg_Parse)
            self.hot_arr.frombytes(struct.pack(f"={len(hot)}q", *hot))
            self.hot = []

    # -- reading (debugger side; call ``flush`` first) -----------------------------------------------
    def __len__(self) -> int:
        return (len(self.rec) >> 2) + (len(self.hot_arr) + len(self.hot)) // 3

    def _h(self, r: int) -> int:
        if self.hot:
            self.flush()
        return self.hot_arr[(r - HOT) * 3]

    def event(self, r: int) -> int:
        return self._h(r) >> 24 if r >= HOT else self.rec[r << 2] >> EV_SHIFT

    def code(self, r: int) -> int:
        return (self._h(r) >> 16) & 0xFF if r >= HOT else self.rec[r << 2] & CODE_MASK

    def key(self, r: int) -> int:
        if r >= HOT:
            a = self._h(r)
            space = PK.ISR if (a >> 16) & 0xFF in C.ISR_CODES else PK.IRR
            return PK.key(space, a & 0xFFFF)
        return self.rec[(r << 2) + 1]

    def x(self, r: int) -> int:
        if r >= HOT:
            self.flush()
            return self.hot_arr[(r - HOT) * 3 + 2]
        v = self.rec[(r << 2) + 2]
        return self.big[r] if v == BIG else v

    def prev(self, r: int) -> int:
        if r >= HOT:
            self.flush()
            return self.hot_arr[(r - HOT) * 3 + 1]
        return self.rec[(r << 2) + 3]

    def resolve(self, r: int) -> int:
        """An alias record stands for the node it points to."""
        while 0 <= r < HOT and self.code(r) == C.ALIAS:
            r = self.x(r)
        return r

    def deps(self, r: int) -> list[tuple[int, int, int]]:
        """(dependency code, key, writer record) of node ``r``: the inline one, the ones its kind
        implies, then the records after it."""
        out: list[tuple[int, int, int]] = []
        code = self.code(r)
        if r >= HOT and code == C.IRR_SET:            # x: the message's source key
            src = self.x(r)
            out.append((code, src, self.writer_before(src, r)))
        elif r >= HOT and code == C.ACCEPT:           # the IRR bit it took: the last writer before it
            irr = PK.key(PK.IRR, self.key(r) & PK.PAYLOAD)
            out.append((code, irr, self._walk(irr, *self._before(r), clear=False)))
        elif _CODES[code].inline:
            w = self.x(r)
            out.append((code, self.key(w) if w >= 0 else -1, w))
        if code == C.ACCEPT:
            slot = PK.key(PK.VECIRQ, self.key(r) & PK.PAYLOAD)
            out.append((C.D_SLOT, slot, self.writer_before(slot, r)))
        if r >= HOT:
            out += self.hot_deps.get(r, ())
            return out
        n = len(self.rec) >> 2
        i = r + 1
        while i < n and not _CODES[self.code(i)].node:
            out.append((self.code(i), self.key(i), self.x(i)))
            i += 1
        return out

    def _first(self, event: int, hot: bool) -> int:
        """The first cold (or hot) record at or after ``event``, as a record number."""
        if hot:
            self.flush()
            arr, width, shift, base = self.hot_arr, 3, 24, HOT
        else:
            arr, width, shift, base = self.rec, 4, EV_SHIFT, 0
        lo, hi = 0, len(arr) // width
        while lo < hi:
            mid = (lo + hi) // 2
            if arr[mid * width] >> shift < event:
                lo = mid + 1
            else:
                hi = mid
        return base + lo

    def nodes_at(self, event: int) -> list[int]:
        """Nodes recorded at ``event``: cold ones in order, then hot ones."""
        out = []
        n = len(self.rec) >> 2
        i = self._first(event, False)
        while i < n and self.event(i) == event:
            c = self.code(i)
            if _CODES[c].node and c != C.ALIAS:
                out.append(i)
            i += 1
        i = self._first(event, True)    # (flushes the hot list)
        n = HOT + len(self.hot_arr) // 3
        while i < n and self.event(i) == event:
            out.append(i)
            i += 1
        return out

    def _before(self, r: int) -> tuple[int, int]:
        """(cold bound, hot bound): record numbers below these were made before record ``r``."""
        if r >= HOT:
            ev = self.event(r)
            return self._first(ev + 1, False), r
        return r, self._first(self.event(r), True)

    def writer_before(self, key: int, r: int) -> int:
        """The record that last wrote ``key`` before record ``r`` (-1: the initial state)."""
        return self._walk(key, *self._before(r))

    def writer_at(self, key: int, event: int) -> int:
        """The record that last wrote ``key`` at or before ``event`` (-1: the initial state)."""
        return self._walk(key, self._first(event + 1, False), self._first(event + 1, True))

    def _walk(self, key: int, cold: int, hot: int, clear: bool = True) -> int:
        """Back along ``key``'s chain to its last writer below the bounds."""
        w = self.cur.get(_small(key), -1)
        while w >= 0 and w >= (hot if w >= HOT else cold):
            w = self.prev(w)
        if clear and w >= 0 and key >> PK.SHIFT == PK.IRR:
            # an IRR bit set by w is cleared by the first accept of that vector after it (the
            # accepts are on the ISR bit's chain)
            a = self._walk(PK.key(PK.ISR, key & PK.PAYLOAD), cold, hot)
            first = -1
            while a > w:
                if self.code(a) == C.ACCEPT:
                    first = a
                a = self.prev(a)
            if first >= 0:
                return first
        return w

    def hit_node(self, j: int, event: int) -> int:
        """The node recorded for hit ``j`` of ``eng.hits`` (at ``event``), or -1."""
        if 0 <= j < len(self.hit_nodes):
            r = self.hit_nodes[j]
            if r >= 0 and self.event(r) == event:
                return int(r)
        return -1

    def note(self, r: int) -> str | None:
        """The note of node ``r`` (None: it has none); a lazy one is formatted now, once."""
        n = self.notes.get(r)
        if isinstance(n, tuple):
            n = self.notes[r] = n[0].format(*n[1])
        return n

    def stack(self, r: int) -> tuple[Any, ...] | None:
        """(cpu, context kind, ((program, pc), ...)) of node ``r`` when it was made in a program step."""
        sid = self.stacks.get(r)
        return None if sid is None else self.stack_list[sid]

    def memory_bytes(self) -> int:
        return (len(self.rec) + len(self.hot_arr) + len(self.hot) + len(self.hit_nodes)) * 8 + len(self.cur) * 100


def _small(key: int) -> int:
    """Hot keys (IRR and ISR bits) are kept in ``cur`` under a small int."""
    s = key >> PK.SHIFT
    return s << 16 | (key & 0xFFFF) if s in (PK.IRR, PK.ISR) else key


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

    def sending(self, code: int, key: int, extra: tuple[tuple[int, int], ...] = ()) -> None:
        return

    def irr_set(self, cpu: int, vector: int) -> None:
        return

    def accept(self, cpu: int, vector: int) -> None:
        return

    def kernel_step_done(self, w: Any, irq: bool) -> None:
        return


def of(eng: Any) -> Prov:
    """The engine's provenance store."""
    p: Prov = eng.prov
    return p
