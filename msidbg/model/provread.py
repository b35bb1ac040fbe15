"""Provenance, the reading side: a node's event, kind, key, value, previous writer, dependencies,
note and call stack; a key's writer at an earlier point. ``Prov`` (``model/prov.py``) records;
the debugger (``why``, ``last_change``) reads through these methods.

The layout is ``prov.py``'s (its docstring): cold records are four int64s in ``rec``, hot ones
three in ``hot_arr`` (after ``flush``), numbered from ``HOT``.
"""

from __future__ import annotations

import struct
from array import array
from typing import Any

from msidbg.model import provcodes as C
from msidbg.model import provkeys as PK
from msidbg.model.provstore import I64, DepStore, NoteStore

EV_SHIFT = 16
CODE_MASK = (1 << EV_SHIFT) - 1
HOT = 1 << 48
#: the array's stand-in for a value kept in ``Prov.big`` (the int64 minimum, which no value takes)
BIG = -(1 << 63)
_CODES = C.CODES


class Reader:
    """The records of a run and how to read them (``Prov`` is one, with the recording side)."""

    rec: array[int]
    hot: list[int]
    hot_arr: array[int]
    cur: dict[int, int]
    notes: NoteStore
    big: dict[int, int]
    hot_deps: DepStore
    hit_nodes: array[int]
    stacks: dict[int, int]
    stack_list: list[tuple[Any, ...]]


    def flush(self) -> None:
        """Move the hot list into its array (every reader of hot records calls this first)."""
        hot = self.hot
        if hot:     # (struct converts an int for half what array("q", ...) does: no PyArg_Parse)
            self.hot_arr.frombytes(struct.pack(I64.format(len(hot)), *hot))
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
            got = self._remap_entry(src, r)
            if got is not None:     # under interrupt remapping: the entry the vector's message names
                out.append((C.D_IRTE, *got))
        elif r >= HOT and code == C.ACCEPT:           # the IRR bit it took: the last writer before it
            irr = PK.key(PK.IRR, self.key(r) & PK.PAYLOAD)
            out.append((code, irr, self._walk(irr, *self._before(r), clear=False)))
        elif _CODES[code].inline:
            w = self.x(r)
            out.append((code, self.key(w) if w >= 0 else -1, w))
        if code == C.ACCEPT:
            slot = PK.key(PK.VECIRQ, self.key(r) & PK.PAYLOAD)
            out.append((C.D_SLOT, slot, self.writer_before(slot, r)))
            # (why31) a vCPU of a Xen guest scheduled in after the IRR bit was set: it waited on its pCPU's runqueue
            sk = PK.key(PK.SCHEDIN, (self.key(r) & PK.PAYLOAD) >> 8)
            if out and self.cur.get(sk, -1) >= 0 and out[0][2] >= 0:
                si = self.writer_before(sk, r)
                if si >= 0 and self.event(si) > self.event(out[0][2]):
                    out.append((C.D_SCHED_WAIT, sk, si))
        if r >= HOT:
            out += self.hot_deps.get(r, ())
            return out
        n = len(self.rec) >> 2
        i = r + 1
        while i < n and not _CODES[self.code(i)].node:
            out.append((self.code(i), self.key(i), self.x(i)))
            i += 1
        return out

    def _remap_entry(self, src: int, r: int) -> tuple[int, int] | None:
        """(key, writer) of the remapping entry a message from ``src`` went through to set IRR
        record ``r``: the last entry the kernel wrote for that MSI-X entry (for MSI: for one of the
        device's vectors) before ``r``, if it carries ``r``'s vector (else None: nothing is named
        rather than a wrong writer). The IRTE writes register themselves under ``PK.REMAPS``; the
        route records nothing per delivery."""
        space, p = src >> PK.SHIFT, src & PK.PAYLOAD
        if space in _MSG_SPACES:
            keys = [PK.key(PK.REMAPS, p)]
        elif space in _MSI_SPACES:
            keys = [PK.key(PK.REMAPS, PK.dev_entry(p, i)) for i in range(32)]
        else:
            return None
        vector = self._h(r) & 0xFF
        for key in keys:
            w = self.writer_before(key, r)
            if w >= 0 and self.x(self.resolve(w)) == vector:
                return key, w
        return None

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
        return self.notes.get_note(r)

    def stack(self, r: int) -> tuple[Any, ...] | None:
        """(cpu, context kind, ((program, pc), ...)) of node ``r`` when it was made in a program step."""
        sid = self.stacks.get(r)
        return None if sid is None else self.stack_list[sid]

    def memory_bytes(self) -> int:
        return ((len(self.rec) + len(self.hot_arr) + len(self.hot) + len(self.hit_nodes)) * 8 + len(self.cur) * 100
                + self.notes.memory_bytes() + self.hot_deps.memory_bytes())


def _small(key: int) -> int:
    """Hot keys (IRR and ISR bits) are kept in ``cur`` under a small int."""
    s = key >> PK.SHIFT
    return s << 16 | (key & 0xFFFF) if s in (PK.IRR, PK.ISR) else key


_MSG_SPACES = frozenset({PK.MSG, PK.LATCH})
_MSI_SPACES = frozenset({PK.MSIMSG, PK.MSILATCH})



_MSG_SPACES = frozenset({PK.MSG, PK.LATCH})
_MSI_SPACES = frozenset({PK.MSIMSG, PK.MSILATCH})
