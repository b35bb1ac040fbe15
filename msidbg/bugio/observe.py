"""Replay a run event by event and turn what each event changed into timeline records.

The records are what a timeline tool needs, independent of its file format (``perfetto.py``
writes them): slices of the kernel and QEMU programs on each CPU / actor (from the frame stacks
in the world, so they nest by construction), a device signal as an instant, the time a vector
is held in the PBA (or the MSI pending bit) or pending in a CPU's IRR as slices, Xen's and
QEMU's events as instants, counters for each CPU's IRR depth and the pending pirqs (event
channels), hits and bookmarks. A flow joins each signal to the event that settled it: the
handler that delivered it or the event where it was lost. Signals of one vector are counted,
not named, by the model (coalesced in IRR and PBA), so they pair with settlements in order,
except that a signal lost in the very event that raised it pairs with that event.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from msidbg.debugger import Session, progress
from msidbg.model import ioapic
from msidbg.sim.events import Event
from msidbg.sim.rec import MAPS

Track = tuple[Any, ...]
#: event kinds drawn on the Xen and QEMU actors' tracks
XEN_PREFIXES = ("xen.", "evtchn.")
QEMU_PREFIXES = ("qemu.", "ioreq.", "pcifront.")
#: bare-metal INTx: events drawn on their GSI's IO-APIC track, and the kernel's spurious-irq events
#: drawn on their CPU's track (docs/model-baremetal.md "INTx")
IOAPIC_KINDS = ("ioapic.rte", "intx.assert")
SPURIOUS_KINDS = ("irq.none", "irq.nobody_cared", "irq.poll")
#: the replay tells a terminal how far it has got every TICK_MASK + 1 events (progress.py)
TICK_MASK = 1023


@dataclass
class Rec:
    """One timeline record. ``op``: begin, end, instant or counter."""

    op: str
    ts: int
    track: Track
    name: str = ""
    args: dict[str, Any] = field(default_factory=dict)
    flows_out: list[int] = field(default_factory=list)
    flows_in: list[int] = field(default_factory=list)
    value: int = 0


@dataclass
class Totals:
    """What the records say about the run, for checks: flows by how they ended."""

    signals: int = 0
    delivered: int = 0
    lost: int = 0
    in_flight: int = 0


class Observer:
    """Feed it the world after each event (``step``); it yields records."""

    def __init__(self, w: dict[str, Any]) -> None:
        self.stacks: dict[Track, list[str]] = {}
        #: the frame objects last seen per track (held, so identity means "the same call")
        self.frames: dict[Track, list[dict[str, Any]]] = {}
        #: the registers last seen (PBA lists, MSI pending, IRR words and sources) per device / CPU
        self.regs: dict[Any, Any] = {}
        self.held: dict[Track, bool] = {}
        #: the name each INTx# line slice began with (the functions driving it)
        self.line_names: dict[Track, str] = {}
        self.counters: dict[Track, int] = {}
        self.acct = {d: (list(a["raised"]), list(a["delivered"]), list(a["lost"])) for d, a in w["acct"].items()}
        self.waiting: dict[tuple[str, int], deque[int]] = {}
        self.next_flow = 1
        self.totals = Totals()
        self.ts = 0

    def step(self, ev: Event, w: dict[str, Any]) -> Iterator[Rec]:
        self.ts = ts = ev.time_ns
        yield from self._stacks(ts, w)
        yield from self._signals(ev, w)
        yield from self._actors(ev)
        yield from self._held(ts, w, ev.dev)
        yield from self._counters(ts, w)

    def close(self, ts: int) -> Iterator[Rec]:
        """End open slices and settle signals still in flight at the cursor."""
        for track, stack in self.stacks.items():
            for _ in stack:
                yield Rec("end", ts, track)
        for track, on in self.held.items():
            if on:
                yield Rec("end", ts, track)
        for (dev, idx), q in self.waiting.items():
            if q:
                self.totals.in_flight += len(q)
                yield Rec("instant", ts, ("vec", dev, idx), "in flight at the cursor", {"signals": len(q)},
                          flows_in=list(q))
                q.clear()

    # -- program stacks ------------------------------------------------------------------------------
    def _stacks(self, ts: int, w: dict[str, Any]) -> Iterator[Rec]:
        for c in w["cpus"]:
            yield from self._diff(ts, ("cpu", c["id"]), c["proc"]["stack"] + c["irq"]["stack"])
        q = w.get("qemu")
        if q is not None:
            yield from self._diff(ts, ("qemu",), q["ctx"]["stack"])

    def _diff(self, ts: int, track: Track, stack: list[dict[str, Any]]) -> Iterator[Rec]:
        seen = self.frames.get(track, [])
        if len(seen) == len(stack) and all(a is b for a, b in zip(seen, stack, strict=True)):
            return
        self.frames[track] = list(stack)
        frames = [_frame_name(f) for f in stack]
        old = self.stacks.get(track, [])
        if old == frames:
            return
        keep = 0
        while keep < min(len(old), len(frames)) and old[keep] == frames[keep]:
            keep += 1
        for _ in range(len(old) - keep):
            yield Rec("end", ts, track)
        for name in frames[keep:]:
            yield Rec("begin", ts, track, name)
        self.stacks[track] = frames

    # -- signals and flows ---------------------------------------------------------------------------
    def _signals(self, ev: Event, w: dict[str, Any]) -> Iterator[Rec]:
        for dev, a in w["acct"].items():
            raised0, delivered0, lost0 = self.acct[dev]
            if a["raised"] == raised0 and a["delivered"] == delivered0 and a["lost"] == lost0:
                continue
            for idx in range(len(a["raised"])):
                yield from self._vector(ev, dev, idx, a["raised"][idx] - raised0[idx],
                                        a["delivered"][idx] - delivered0[idx], a["lost"][idx] - lost0[idx])
            self.acct[dev] = (list(a["raised"]), list(a["delivered"]), list(a["lost"]))

    def _vector(self, ev: Event, dev: str, idx: int, raised: int, delivered: int, lost: int) -> Iterator[Rec]:
        if not (raised or delivered or lost):
            return
        q = self.waiting.setdefault((dev, idx), deque())
        track = ("vec", dev, idx)
        ts = ev.time_ns
        new = []
        for _ in range(raised):
            new.append(self.next_flow)
            q.append(self.next_flow)
            self.next_flow += 1
        if new:
            self.totals.signals += len(new)
            yield Rec("instant", ts, track, "signal", {"event": ev.index, "kind": ev.kind}, flows_out=new)
        if delivered:
            flows = [q.popleft() for _ in range(min(delivered, len(q)))]
            self.totals.delivered += len(flows)
            where = ("cpu", ev.cpu) if ev.cpu is not None else track
            yield Rec("instant", ts, where, f"handler {dev}#{idx}", {"event": ev.index, "signals": delivered},
                      flows_in=flows)
        if lost:
            same = min(lost, len(new))  # lost in the event that raised them: those very signals
            flows = [q.pop() for _ in range(same)][::-1] + [q.popleft() for _ in range(min(lost - same, len(q)))]
            self.totals.lost += len(flows)
            where = ("cpu", ev.cpu) if ev.cpu is not None else track
            yield Rec("instant", ts, where, f"lost {dev}#{idx}", {"event": ev.index, "kind": ev.kind,
                                                                  "signals": lost}, flows_in=flows)

    # -- actors, held time, counters ----------------------------------------------------------------
    def _actors(self, ev: Event) -> Iterator[Rec]:
        args = {"event": ev.index, **{k: v for k, v in ev.fields.items()}}
        if ev.dev is not None:
            args["dev"] = ev.dev
        if ev.kind.startswith(XEN_PREFIXES):
            yield Rec("instant", ev.time_ns, ("xen",), _event_name(ev), args)
        elif ev.kind.startswith(QEMU_PREFIXES):
            yield Rec("instant", ev.time_ns, ("qemu",), _event_name(ev), args)
        elif ev.kind in IOAPIC_KINDS:
            yield Rec("instant", ev.time_ns, ("ioapic", ev.fields.get("gsi")), _event_name(ev), args)
        elif ev.kind in SPURIOUS_KINDS:
            where = ("cpu", ev.cpu) if ev.cpu is not None else ("ioapic", ev.fields.get("irq"))
            yield Rec("instant", ev.time_ns, where, _event_name(ev), args)

    def _changed(self, key: Any, value: Any) -> bool:
        """Did ``value`` change since the last event (a copy is kept)?"""
        if self.regs.get(key, None) == value:
            return False
        self.regs[key] = _copy(value)
        return True

    def _held(self, ts: int, w: dict[str, Any], dev: str | None) -> Iterator[Rec]:
        """A device's PBA and pending bits change only in events about that device (its signals,
        writes to its registers, QEMU's and Xen's writes for it); IRR may change on any CPU."""
        changed = False
        devices = w["devices"]
        for name in (dev,) if dev in devices else devices:
            d = devices[name]
            changed |= self._changed(("pba", name), d["msix"]["pba"] if d["msix"] else None)
            changed |= self._changed(("pending", name), d["msi"]["pending"] if d["msi"] else None)
        for c in w["cpus"]:
            changed |= self._changed(("irr", c["id"]), c["irr_src"])
        for gsi, pin in (w.get("ioapic") or {}).items():
            changed |= self._changed(("ioapic", gsi), (pin["remote_irr"], pin["vector"], tuple(_asserting(w, gsi))))
        if changed:
            yield from self._held_now(ts, w)

    def _held_now(self, ts: int, w: dict[str, Any]) -> Iterator[Rec]:
        now: dict[Track, str] = {}
        for name, d in w["devices"].items():
            if d["msix"] is not None:
                for i, bit in enumerate(d["msix"]["pba"]):
                    if bit:
                        now[("pba", name, i)] = "held in the PBA"
            if d["msi"] is not None and d["msi"]["pending"]:
                for i in range(32):
                    if d["msi"]["pending"] >> i & 1:
                        now[("pba", name, i)] = "held: MSI pending bit"
        for gsi, pin in (w.get("ioapic") or {}).items():
            if pin["remote_irr"]:
                now[("rirr", gsi)] = f"Remote IRR set (vector {pin['vector']:#04x} -> CPU{pin['cpu']})"
            devs = _asserting(w, gsi)
            if devs:
                now[("intx-line", gsi)] = f"asserted by {', '.join(devs)}"
        for c in w["cpus"]:
            for vector, srcs in c["irr_src"].items():
                for dev, idx, _ in srcs:
                    now[("irr", dev, idx, c["id"])] = f"pending in CPU{c['id']} IRR {vector:#04x}"
        for track in list(self.held):
            if self.held[track] and track not in now:
                self.held[track] = False
                yield Rec("end", ts, track)
        for track, name in now.items():
            if self.held.get(track) and track[0] == "intx-line" and self.line_names.get(track) != name:
                yield Rec("end", ts, track)      # another function joined or left the asserted line
                self.held[track] = False
            if not self.held.get(track):
                self.held[track] = True
                self.line_names[track] = name
                yield Rec("begin", ts, track, name)

    def _counters(self, ts: int, w: dict[str, Any]) -> Iterator[Rec]:
        values: dict[Track, int] = {}
        for c in w["cpus"]:
            if self._changed(("irr-words", c["id"]), c["irr"]) or ("irr-depth", c["id"]) not in self.counters:
                values[("irr-depth", c["id"])] = sum(x.bit_count() for x in c["irr"])
        x = w.get("xen")
        if x is not None:
            values[("pirqs-pending",)] = sum(1 for p in x["ports"].values() if p["pending"])
        for track, v in values.items():
            if self.counters.get(track) != v:
                self.counters[track] = v
                yield Rec("counter", ts, track, value=v)


def _copy(value: Any) -> Any:
    """A copy of a register value deep enough to compare with later (lists and dicts of lists)."""
    if isinstance(value, MAPS):
        return {k: [list(x) if isinstance(x, list) else x for x in v] for k, v in value.items()}
    return list(value) if isinstance(value, list) else value


def _frame_name(f: dict[str, Any]) -> str:
    loc = f["locals"]
    for key in ("irq", "dev"):
        v = loc.get(key)
        if isinstance(v, (int, str)) and not isinstance(v, bool):
            return f"{f['prog']} ({key} {v})"
    return str(f["prog"])


def _asserting(w: dict[str, Any], gsi: int) -> list[str]:
    """The functions driving INTx# on ``gsi`` now (the wired-OR line is asserted while any does)."""
    return [n for n, d in w["devices"].items() if (ix := d.get("intx")) and ix["gsi"] == gsi and ioapic.asserting(d)]


def _event_name(ev: Event) -> str:
    f = ev.fields
    if ev.kind == "ioapic.rte":
        return f"IO-APIC entry: {f.get('what')}"
    if ev.kind == "intx.assert":
        return f"INTx# {ev.dev}: " + ("asserted" if f.get("asserted") else "condition (Interrupt Disable: not driven)")
    if ev.kind == "irq.none":
        return f"IRQ_NONE {ev.dev}#{f.get('index')} (irq {f.get('irq')})"
    if ev.kind == "irq.nobody_cared":
        return f"irq {f.get('irq')}: nobody cared -- Disabling IRQ #{f.get('irq')}"
    if ev.kind == "irq.poll":
        irq = f.get("irq")   # what the poll did is the ``how`` argument
        return f"irq.poll{f' irq {irq}' if isinstance(irq, int) and irq >= 0 else ''}"
    op = ev.fields.get("op") or ev.fields.get("reg")
    return f"{ev.kind} {op}" if isinstance(op, str) else ev.kind


class Replay:
    """The records of a session's run from event 0 to its cursor (or ``max_events``).

    ``records()`` re-executes the run on the session's engine and restores the cursor after;
    ``totals`` is filled as the records are produced.
    """

    def __init__(self, s: Session, max_events: int | None = None, mark: int | None = None,
                 max_records: int | None = None) -> None:
        self.s = s
        self.end = s.cursor if max_events is None else min(s.cursor, max_events)
        self.totals = Totals()
        #: an event to mark on the bookmarks track (a snapshot's cursor)
        self.mark = mark
        #: stop after the event whose records reach this many (the trace then ends there, as a
        #: run to that event would: open slices closed, signals in flight settled at its time)
        self.max_records = max_records
        #: the event the record bound cut the trace at (None: the trace reached ``end``)
        self.cut_at: int | None = None
        self.cut_time = 0
        self.count = 0

    def records(self) -> Iterator[Rec]:
        s, end = self.s, self.end
        cursor = s.cursor
        hits = sorted(s.hits(end), key=lambda h: h.event)
        marks = [(b.event, b.name, b.note) for b in s.bookmarks if b.event <= end]
        if self.mark is not None and 0 < self.mark <= end:
            marks.append((self.mark, "snapshot cursor", "where the snapshot was saved"))
        marks.sort(key=lambda m: m[0])
        s.seek(0)
        eng = s.eng
        obs = Observer(eng.w)
        obs.totals = self.totals
        hi = bi = 0
        try:
            while eng.w["events"] < end and eng.step():
                i = eng.w["events"]
                if not i & TICK_MASK and progress.active is not None:   # a CLI command at a terminal
                    progress.active.tick(s, "writing the trace", end)
                ev = eng.log.event(i)
                for rec in obs.step(ev, eng.w):
                    self.count += 1
                    yield rec
                while hi < len(hits) and hits[hi].event == i:
                    h = hits[hi]
                    self.count += 1
                    yield Rec("instant", ev.time_ns, ("hits",), h.name, {"event": i, "detail": h.detail})
                    hi += 1
                while bi < len(marks) and marks[bi][0] == i:
                    _, name, note = marks[bi]
                    self.count += 1
                    yield Rec("instant", ev.time_ns, ("bookmarks",), name, {"event": i, "note": note})
                    bi += 1
                if self.max_records is not None and self.count >= self.max_records and i < end:
                    self.cut_at = self.end = i    # a whole event's records, never part of one
                    self.cut_time = ev.time_ns
                    break
            for rec in obs.close(obs.ts):
                self.count += 1
                yield rec
        finally:
            s.seek(cursor)
