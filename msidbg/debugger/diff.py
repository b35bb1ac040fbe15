"""Two runs side by side: where they part ways, and how their outcomes differ.

Each run is executed with a recorder on its engine that notes, for every step, the *context*
that executed it: a CPU's process context (``cpu0.proc``: the scenario actions and the kernel
code they run), a CPU's interrupt context (``cpu1.irq``: taking an interrupt and its handler), a
device (``dev.eth0``: its signals and PBA releases), Xen (``xen``), QEMU (``qemu``). The runs are
aligned per context by what each executed -- the n-th step of ``cpu0.proc`` in A against the
n-th in B, compared by event kind, CPU, device and fields (not time) -- so an unrelated shift
elsewhere does not hide what matters. The first divergence is the earliest context whose
sequences part ways; it is reported with the kernel step (call stack) each run took there, the
state paths that step left different, and the behaviour switches and versions that differ
between the two files. Then the outcome per device (the ``--json`` summaries' counts, hits and
probe status) and each scenario action's result (an administrator's failed ``cpu_offline`` changes
no device's counts: docs/why.md).

A snapshot stands for its scenario, seed and recorded schedule: its run is replayed from event 0
and continued to the end, like a scenario's.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from array import array
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any
from zlib import crc32

import msgpack

from msidbg.debugger.armour import is_snapshot_source
from msidbg.debugger.session import Session
from msidbg.debugger.timeline import MAX_SPACING
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.cpu import running
from msidbg.model.prov import of as prov_of
from msidbg.model.provread import CODE_MASK, EV_SHIFT
from msidbg.sim.events import STR, EventLog, kind_by_code
from msidbg.sim.rec import MAPS, Rec
from msidbg.sim.rec import default as rec_default
from msidbg.sim.world import diff_paths

#: world paths that are bookkeeping of the engine, not state a fix changes
_NOISE = (".stack", "busy_until", "queued", ".wait", "irr_src")
_NOISE_TOP = {"now", "seq", "events", "agenda", "rng", "ended", "sched"}   # (sched: a strategy's counters)
MAX_PATHS = 20


class Recorder:
    """Notes the context of every step an engine executes for the first time; with ``track`` (behaviour
    rows the other file sets differently), also a fingerprint of the world after each step that read one
    of them and the few steps after it (``Fingerprints``)."""

    def __init__(self, s: Session, track: Collection[str] = (), against: Run | None = None) -> None:
        self.s = s
        self.names: list[str] = []
        self.ids: dict[str, int] = {}
        self.ctx = array("H")
        eng = s.eng
        self.prints = Fingerprints(s, track, against) if track else None
        handlers = eng.handlers
        for kind, fn in list(handlers.items()):
            handlers[kind] = self._wrap(kind, fn)

    def _id(self, name: str) -> int:
        i = self.ids.get(name)
        if i is None:
            i = self.ids[name] = len(self.names)
            self.names.append(name)
        return i

    def _wrap(self, kind: str, fn: Any) -> Any:
        eng = self.s.eng
        ctx = self.ctx

        prints = self.prints

        def wrapped(e: Any, item: list[Any]) -> Any:
            if eng.fresh:
                ctx.append(self._id(context_of(e.w, kind, item)))
                if fn(e, item):     # a spin's silent poll: no event, the step is the next item's
                    ctx.pop()
                    if prints is not None and prints.hot:
                        prints.after_step()
                    return True
                if prints is not None and prints.hot:
                    prints.after_step()
                return None
            return fn(e, item)
        return wrapped

    def finish(self) -> None:
        """Steps without an agenda item (the run's end) belong to the context ``end``."""
        n = len(self.s.eng.log)
        end = self._id("end")
        while len(self.ctx) < n:
            self.ctx.append(end)


class _Reads(dict[Any, Any]):
    """The world's behaviour table during a diff run: a read of a tracked row (``[]``, ``get``, ``in``) on
    a first execution arms the fingerprints of the steps that follow. Packs, compares and reads as the
    plain dict it is (a restore replaces it with one: re-execution is not watched)."""

    prints: Fingerprints

    def __getitem__(self, k: Any) -> Any:
        if k in self.prints.track:
            self.prints.read()
        return dict.__getitem__(self, k)

    def get(self, k: Any, default: Any = None) -> Any:
        if k in self.prints.track:
            self.prints.read()
        return dict.get(self, k, default)

    def __contains__(self, k: Any) -> bool:
        if k in self.prints.track:
            self.prints.read()
        return dict.__contains__(self, k)


#: world keys whose values carry engine bookkeeping (``_NOISE``) below the top level: cleaned before a
#: fingerprint packs them; any other top-level value is packed whole (a noise key elsewhere only makes a
#: candidate that the world comparison then rejects)
_NOISY_PARTS = frozenset({"cpus", "kernel", "qemu"})


def _noise_key(k: Any) -> bool:
    """A key whose path is engine bookkeeping as ``_NOISE`` reads paths (``.stack``, ``.wait`` as a
    prefix of the key; ``busy_until``, ``queued``, ``irr_src`` anywhere in it)."""
    return isinstance(k, str) and (k.startswith(("stack", "wait")) or "busy_until" in k or "queued" in k
                                   or "irr_src" in k)


def _clean(v: Any) -> Any:
    if type(v) is dict or isinstance(v, Rec):
        return {k: _clean(x) for k, x in v.items() if not _noise_key(k)}
    if type(v) is list:
        return [_clean(x) for x in v]
    return v


class Fingerprints:
    """A cheap detector for state that parts inside the identical prefix and comes back (docs/why.md,
    "Round 26"). The model reads a behaviour row only through the world's table; a state-only divergence
    between two files that set a row differently starts at a step that read it. So the table is watched for
    the rows the files set differently (``track``), and after each first execution of a step that read
    one, and the ``AFTER`` steps after it (a value read into a frame's locals is used a step later), the
    world is fingerprinted: a CRC of each part (a top-level value, each element of a top-level map or
    list; engine bookkeeping left out), keyed by the count of steps executed so far -- the same step in
    both runs while their events and provenance are the same. No step reads a tracked row: nothing is
    packed (the benchmark pair, which differs in a cost, costs nothing). At most ``BUDGET`` bytes are packed
    a run (about a quarter of a second), and the second run stops once its events part from the first's: past
    either it is no longer watched (``spent``)."""

    AFTER = 8
    BUDGET = 32 << 20

    def __init__(self, s: Session, track: Collection[str], against: Run | None = None) -> None:
        self.eng = s.eng
        self.track = frozenset(track)
        #: the run recorded first (for the second): once this run's events part from its, the prefix has ended
        self.against = against
        self._sigs = (Sig(against.log), Sig(s.eng.log)) if against is not None else None
        self.hot = 0
        self.steps = 0
        self.packed = 0
        self.spent = False
        self.at: dict[int, tuple[int, dict[Any, int]]] = {}   # step count -> (events so far, part -> CRC)
        self._packer = msgpack.Packer(use_bin_type=True, default=rec_default)
        self.base = self.parts()
        w = self.eng.w
        table = _Reads(w.behaviour)
        table.prints = self
        w.behaviour = table

    def read(self) -> None:
        if self.eng.fresh and not self.spent:
            self.hot = self.AFTER + 1

    def after_step(self) -> None:
        self.hot -= 1
        self.steps += 1
        n = len(self.eng.log)
        if self._parted(n):     # (past the identical prefix: nothing more to compare)
            self.spent, self.hot = True, 0
            return
        self.at[self.steps] = (n, self.parts())
        if self.packed > self.BUDGET:
            self.spent, self.hot = True, 0

    def _parted(self, n: int) -> bool:
        """The second run's event ``n`` differs from the first run's (time included): its prefix has ended."""
        if self._sigs is None or n == 0:
            return False
        a, b = self.against.log, self.eng.log    # type: ignore[union-attr]
        if n > len(a):
            return True
        if a.times[n - 1 - a.base] != b.times[n - 1 - b.base]:
            return True
        sa, sb = self._sigs
        return bool(sa(n) != sb(n))

    def parts(self) -> dict[Any, int]:
        pack = self._packer.pack
        out: dict[Any, int] = {}
        n = 0
        v: Any
        for k, v in self.eng.w.items():
            if k in _STATE_SKIP:
                continue
            noisy = k in _NOISY_PARTS
            if type(v) is dict or type(v) is list or isinstance(v, Rec):
                items: Any = enumerate(v) if isinstance(v, list) else v.items()
                for c, x in items:
                    if noisy and _noise_key(c):
                        continue
                    b = pack(_clean(x) if noisy else x)
                    n += len(b)
                    out[(k, c)] = crc32(b)
            else:
                b = pack(v)
                n += len(b)
                out[k] = crc32(b)
        self.packed += n
        return out


def first_fingerprint_difference(a: Run, b: Run, before: int) -> list[int]:
    """The events (below ``before``, ascending, at most ``MAX_CANDIDATES``) after which the two runs'
    fingerprints (``Fingerprints``) first show a part that differs and did not at event 0 -- candidates
    the world comparison confirms (``first_state_difference``)."""
    fa, fb = a.prints, b.prints
    if fa is None or fb is None:
        return []
    new_parts = {p for p in set(fa.base) | set(fb.base) if fa.base.get(p) == fb.base.get(p)}
    out: list[int] = []
    for step in sorted(set(fa.at) & set(fb.at)):
        ea, pa = fa.at[step]
        eb, pb = fb.at[step]
        if ea != eb or ea >= before:
            break
        if any(pa.get(p) != pb.get(p) for p in (set(pa) | set(pb)) if p in new_parts or p not in fa.base
               and p not in fb.base):
            if not out or out[-1] != ea:
                out.append(ea)
                if len(out) >= MAX_CANDIDATES:
                    break
    return out


#: at most this many fingerprint candidates are compared world to world (each a ``world_at`` of both runs)
MAX_CANDIDATES = 8


def context_of(w: dict[str, Any], kind: str, item: list[Any]) -> str:
    """The context an agenda item's step runs in (see the module docstring)."""
    if kind == "cpu":
        c = w["cpus"][item[3]]
        return f"cpu{c['id']}.irq" if running(c) in ("irq", "accept") else f"cpu{c['id']}.proc"
    if kind in ("act", "timeout"):
        return f"cpu{item[3]}.proc"
    if kind in ("fire", "release"):
        return f"dev.{item[3]}"
    return str(kind)


@dataclass
class Run:
    """One side: its session (run to the end), the context of each event, per-context sequences."""

    label: str
    path: str
    session: Session
    names: list[str]
    ctx: array[int]
    per: dict[str, array[int]] = field(default_factory=dict)
    pos: array[int] = field(default_factory=lambda: array("q"))
    summary: dict[str, Any] = field(default_factory=dict)
    #: the world's fingerprints after steps that read a tracked behaviour row (``Fingerprints``), or None
    prints: Fingerprints | None = None

    @property
    def log(self) -> EventLog:
        return self.session.eng.log

    def index(self) -> None:
        """Per-context event lists, and each event's position in its list."""
        lists: list[list[int]] = [[] for _ in self.names]
        pos = []
        for e, c in enumerate(self.ctx, start=1):
            lst = lists[c]
            pos.append(len(lst))
            lst.append(e)
        self.pos = array("q", pos)
        self.per = {self.names[i]: array("q", lst) for i, lst in enumerate(lists)}

    def context(self, e: int) -> str:
        return self.names[self.ctx[e - 1]]


def open_run(label: str, path: str, seed: int | None = None, max_events: int | None = None,
             spacing: int | None = MAX_SPACING) -> Run:
    """Run ``path`` (a scenario, or a snapshot's scenario and schedule) to the end with a recorder."""
    return record_run(label, path, open_session(path, seed, max_events, spacing), max_events)


def open_session(path: str, seed: int | None = None, max_events: int | None = None,
                 spacing: int | None = MAX_SPACING) -> Session:
    """The session ``open_run`` records: a scenario at event 0, or a snapshot's run."""
    if is_snapshot_source(path):
        if seed is not None or max_events is not None:
            return _snapshot_from_start(path, spacing, seed)
        return Session.open(path, verify=False, spacing=spacing)
    return Session.from_scenario(path, seed, spacing=spacing)


def differing_rows(a: Session, b: Session) -> set[str]:
    """The behaviour rows the two sessions' tables set differently (or only one has)."""
    ta, tb = a.eng.w.get("behaviour") or {}, b.eng.w.get("behaviour") or {}
    return {k for k in set(ta) | set(tb) if k not in ta or k not in tb or ta[k] != tb[k]}


def _snapshot_from_start(path: str, spacing: int | None, seed: int | None = None) -> Session:
    """A snapshot's run at event 0: its scenario, seed, schedule and breakpoints, none of its
    history. ``Session.open`` puts the cursor at the snapshot's, so a ``--max-events`` run
    counted from there (a snapshot at event 23 with --max-events 10 ran 33 events, and diffed
    against a scenario's 10 it 'diverged'). ``seed``: another seed, under the snapshot's
    strategy (depth, window) without its recorded plan; this used to run the file's own
    ``schedule:`` (an explore snapshot's pct run became the file's random or ordered one) with
    none of the snapshot's breakpoints armed."""
    from msidbg.debugger.breakpoints import BreakpointError
    from msidbg.debugger.snapread import recorded_scenario
    from msidbg.debugger.snapshot import read
    from msidbg.errors import SnapshotError

    rec = read(path)
    schedule = rec.schedule
    if seed is not None and schedule is not None:
        schedule = dataclasses.replace(schedule, plan=None)   # the plan's draws are the recorded seed's
    s = Session(recorded_scenario(rec), rec.seed if seed is None else seed, arm=False, schedule=schedule,
                spacing=spacing)
    for i, (spec, enabled) in enumerate(rec.breakpoints):
        try:
            s.enable_breakpoint(s.add_breakpoint(spec), enabled)
        except BreakpointError as e:
            # the column and the spec, as a scenario's breakpoints[i] and --break say it (hardening28)
            raise SnapshotError(e.message, path, caret=e.caret, field=f"breakpoints[{i}]") from None
    return s


def record_run(label: str, path: str, s: Session, max_events: int | None = None, track: Collection[str] = (),
               against: Run | None = None) -> Run:
    """Run a session that has not executed anything yet to the end, noting each step's context (and, with
    ``track``, fingerprints after the steps that read those behaviour rows)."""
    if s.history_ready and s.total:
        raise ValueError("diff needs a session at event 0 (its steps are recorded as they run)")
    rec = Recorder(s, track, against)
    s.run(max_events)
    rec.finish()
    run = Run(label, path, s, rec.names, rec.ctx, prints=rec.prints)
    run.index()
    run.summary = s.summary()
    return run


# --- comparing ------------------------------------------------------------------------------------------
class Sig:
    """What an event did, comparable across runs: kind, CPU, device and fields (strings as text).
    Computed once per distinct record of the log (most events repeat one)."""

    def __init__(self, log: EventLog) -> None:
        self.log = log
        self.strings = log.strings.strings
        self._str: dict[int, tuple[bool, ...]] = {}
        self._rec: dict[int, tuple[Any, ...]] = {}

    def __call__(self, e: int) -> tuple[Any, ...]:
        log = self.log
        rid = log.ids[e - 1 - log.base]
        got = self._rec.get(rid)
        if got is None:
            got = self._rec[rid] = self._record(rid)
        return got

    def _record(self, rid: int) -> tuple[Any, ...]:
        k, cpu, dev, a, b, c = (col[rid] for col in self.log.cols)
        isstr = self._str.get(k)
        if isstr is None:
            fields = kind_by_code(k).fields
            isstr = self._str[k] = tuple(j < len(fields) and fields[j][1] == STR for j in range(3))
        s = self.strings
        return (k, cpu, s[dev] if dev >= 0 else None, s[a] if isstr[0] else a, s[b] if isstr[1] else b,
                s[c] if isstr[2] else c)


def first_raw_difference(a: EventLog, b: EventLog) -> int:
    """The first event index whose log row differs (time included), or one past the shorter log."""
    n = min(len(a), len(b))
    ta, tb = memoryview(a.times), memoryview(b.times)
    block = 4096
    lo = 0
    while lo < n:   # the first time that differs bounds the search
        hi = min(lo + block, n)
        if ta[lo:hi] != tb[lo:hi]:
            n = next(e for e in range(lo, hi) if ta[e] != tb[e])
            break
        lo = hi
    sa, sb = Sig(a), Sig(b)
    ia, ib = a.ids, b.ids
    same: dict[tuple[int, int], bool] = {}
    for e in range(n):
        pair = (ia[e], ib[e])
        ok = same.get(pair)
        if ok is None:
            ok = same[pair] = sa(e + 1) == sb(e + 1)
        if not ok:
            return e + 1
    return n + 1


@dataclass
class Divergence:
    """Where the two runs part ways: one context, the event of each run there (``None`` when that
    run's context ended), and what differs."""

    context: str
    position: int
    a: int | None
    b: int | None
    a_info: dict[str, Any] = field(default_factory=dict)
    b_info: dict[str, Any] = field(default_factory=dict)
    paths: list[dict[str, Any]] = field(default_factory=list)
    switches: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the two runs emitted the same events and recorded the same provenance up to here, but the
    #: world after event ``a`` (= ``b``) differs (``first_state_difference``; diffheld22)
    state_only: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"a": self.a_info, "b": self.b_info, "paths": [p["path"] for p in self.paths],
                "switches": self.switches, "context": self.context, "position": self.position,
                "values": self.paths, "state_only": self.state_only}


class ProvSig:
    """What a step recorded as provenance, comparable across runs: the kind, key space, value and
    note of each cold node made at an event (a slot left UNUSED or SHUTDOWN, an IRTE naming a
    logical or a physical id, a remapping entry cleared) -- state a switch changes without changing
    the event's fields. Hot records (the interrupt path's IRR / accept) are left out: the events
    show them. One pass over the cold records, none per interrupt."""

    def __init__(self, run: Run) -> None:
        p = prov_of(run.session.eng)
        self.p = p
        self.at: dict[int, list[int]] = {}
        if not p.on:
            return
        rec = p.rec
        at = self.at
        nodes = _NODE_CODES
        for r in range(len(rec) >> 2):
            head = rec[r << 2]
            if head & CODE_MASK in nodes:
                at.setdefault(head >> EV_SHIFT, []).append(r)
        self._sig: dict[int, tuple[Any, ...]] = {}

    def __call__(self, e: int) -> tuple[Any, ...] | None:
        rs = self.at.get(e)
        if rs is None:
            return None
        got = self._sig.get(e)
        if got is None:
            p = self.p
            got = self._sig[e] = tuple((p.code(r), p.key(r) >> PK.SHIFT, p.x(r), p.note(r)) for r in rs)
        return got


#: node kinds a step records about the state it left (not the alias bookkeeping)
_NODE_CODES = frozenset(i for i, c in enumerate(PC.CODES) if c.node and i != PC.ALIAS)


def first_prov_difference(pa: ProvSig, pb: ProvSig, before: int) -> int:
    """The first event below ``before`` (where the logs are still identical) at which the two runs
    recorded different provenance nodes, or ``before``."""
    for e in sorted(set(pa.at) | set(pb.at)):
        if e >= before:
            break
        if pa(e) != pb(e):
            return e
    return before


def context_divergences(a: Run, b: Run, sigs: tuple[ProvSig, ProvSig] | None = None) -> list[Divergence]:
    """For every context of either run, where its sequences first differ (none when identical): in
    the events, or in the provenance nodes the same event recorded (state the event's fields do not
    show). ``sigs``: the runs' ``ProvSig`` when the caller has them."""
    pa, pb = sigs or (ProvSig(a), ProvSig(b))
    if not (pa.at and pb.at):   # a run without provenance: compare the events alone
        pa.at, pb.at = {}, {}
    start = first_prov_difference(pa, pb, first_raw_difference(a.log, b.log))
    sa, sb = Sig(a.log), Sig(b.log)
    out = []
    for name in sorted(set(a.per) | set(b.per)):
        la = a.per.get(name, array("q"))
        lb = b.per.get(name, array("q"))
        i = min(bisect.bisect_left(la, start), bisect.bisect_left(lb, start))
        n = min(len(la), len(lb))
        while i < n and sa(la[i]) == sb(lb[i]) and pa(la[i]) == pb(lb[i]):
            i += 1
        if i < n or len(la) != len(lb):
            out.append(Divergence(name, i, la[i] if i < len(la) else None, lb[i] if i < len(lb) else None))
    out.sort(key=lambda d: (min(x for x in (d.a, d.b) if x is not None), d.context))
    return out


#: top-level world keys a state comparison leaves out: the engine's bookkeeping, and the switch table
#: itself (the files' switches are listed as such; what they change is compared)
_STATE_SKIP = _NOISE_TOP | {"behaviour"}


def _state_of(run: Run, e: int) -> dict[str, Any]:
    s = run.session
    w = s.world if e == s.cursor else s.world_at(e)     # (the cursor's world: no restore, no replay)
    return {k: v for k, v in w.items() if k not in _STATE_SKIP}


def state_difference(wa: dict[str, Any], wb: dict[str, Any], limit: int = 400) -> dict[str, tuple[Any, Any]]:
    """The world paths (engine bookkeeping left out) at which two worlds differ, with their values."""
    out: dict[str, tuple[Any, Any]] = {}
    for p in diff_paths(wa, wb, limit=limit):
        if any(n in p for n in _NOISE):
            continue
        out[p] = (_get(wa, p), _get(wb, p))
    return out


def first_state_difference(a: Run, b: Run, before: int) -> tuple[int, dict[str, tuple[Any, Any]]] | None:
    """The first event below ``before`` (the runs' logs and provenance are identical up to it, so an index
    is the same step in both) after which the two worlds differ in a way they did not at event 0 -- a
    switch that changes only state no event shows (``note_interrupt_counts``: whether a handled interrupt
    counts in irq_count): ``(event, {path: (A, B)})``, or None. Differences already there at event 0 (a
    device fact, an action's argument) are not new. One comparison at ``before - 1``; when it shows a new
    difference, a bisection (a difference that appears and vanishes again before ``before - 1`` is not
    seen: time travel costs a restore per probe)."""
    hi = min(before - 1, len(a.log), len(b.log))
    if hi < 1:
        return None
    base = state_difference(_state_of(a, 0), _state_of(b, 0))
    # a part that differs from event 0 stays apart: a path inside it (or holding it) is no new difference. whyheld28:
    # only the same path with the same two values was left out, so a list the files' ``run:`` lists make different in
    # length (``actions``, a CPU's action ``queue``), compared whole, read as new at any step that changed an element
    # both runs share -- a pair differing in a device and its actions "parted" at event 1, the first action's start
    # (an element of a list -- ``cpus[0].queue[3]``, action indices that differ with the ``run:`` lists -- marks its
    # list: the queue's head differs too once the first, shared action is popped)
    known = tuple(set(base) | {q[:q.rindex("[")] for q in base if q.endswith("]") and "[" in q})

    def old(p: str) -> bool:
        return any(p == q or p.startswith(q) and p[len(q)] in ".[" or q.startswith(p) and q[len(p)] in ".["
                   for q in known)

    def new(e: int) -> dict[str, tuple[Any, Any]]:
        got = state_difference(_state_of(a, e), _state_of(b, e))
        return {p: v for p, v in got.items() if base.get(p) != v and not old(p)}

    # the fingerprints' candidates first (why26): a difference that appears and vanishes again inside the
    # prefix is seen at the step that made it; the event it belongs to (or, for a step before any event of
    # its own, the next) is confirmed world to world
    for e in first_fingerprint_difference(a, b, before):
        for at in (e, e + 1):
            if 1 <= at <= hi and (got := new(at)):
                return at, got
    found = new(hi)
    if not found:
        return None
    lo = 0          # new(lo) is empty (event 0: by definition), new(hi) is not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        got = new(mid)
        if got:
            hi, found = mid, got
        else:
            lo = mid
    return hi, found


def event_info(run: Run, e: int | None) -> dict[str, Any]:
    """The ``first_divergence`` side object: the event, its context and the kernel step taken."""
    if e is None:
        return {"event": None, "kind": None, "stack": [], "context": None}
    ev = run.session.event(e)
    assert ev is not None
    return {"event": e, "kind": ev.kind, "stack": stack_at(run, e), "context": run.context(e),
            "time_ns": ev.time_ns, "cpu": ev.cpu, "dev": ev.dev, "fields": ev.fields, "text": str(ev)}


def _node_step(info: dict[str, Any], sig: ProvSig, e: int, other: tuple[Any, ...] | None) -> None:
    """When the first provenance node this run recorded at event ``e`` that the other run's event
    does not match was made in a step with a call stack of its own, that is the step the runs
    part at: ``stack`` becomes it, ``event_stack`` keeps the emitting step's."""
    from msidbg.debugger.whytext import describe_frames

    mine = sig(e) or ()
    theirs = other or ()
    for i, node in enumerate(mine):
        if i < len(theirs) and theirs[i] == node:
            continue
        r = sig.at[e][i]
        note = sig.p.note(r)
        if isinstance(note, str) and note:
            info["recorded"] = note     # what the step recorded (a choice no event shows)
        st = sig.p.stack(r)
        if st is not None:
            frames = describe_frames(st[2])
            if frames and (not info["stack"] or frames[0] != info["stack"][0]):   # (the same step: keep
                # the emitting one's stack, which still has the callers that returned with it)
                info["event_stack"], info["stack"] = info["stack"], frames
        return


def _writer_step(run: Run, e: int, paths: list[str], info: dict[str, Any]) -> None:
    """A state-only divergence: the step of event ``e`` that wrote the differing state (whyheld12: the emitting
    step's stack was shown, and a silent step before it -- note_interrupt's count ahead of handle_fasteoi_irq's
    EOI -- wrote it). ``stack`` becomes that step's, ``event_stack`` keeps the emitting one's, when they differ."""
    from msidbg.debugger.whytext import describe_frames

    def read(w: dict[str, Any]) -> list[Any]:
        return [_get(w, p) for p in paths]

    got = run.session.written_by(e, read)
    if not got:
        return
    frames = describe_frames(got)
    if frames and frames != info["stack"]:
        info["event_stack"], info["stack"] = info["stack"], frames


def stack_at(run: Run, e: int) -> list[str]:
    """The call stack (innermost first, ``prog+step``) of the program step that emitted event ``e``."""
    from msidbg.debugger.whytext import describe_frames

    got = run.session.executed(e)
    return describe_frames(got["frames"]) if got else []


def _get(world: Any, path: str) -> Any:
    """The value at a ``diff_paths`` path (``devices.eth0.msix.table[0].ctrl``), or None."""
    import re

    cur = world
    for name, idx in re.findall(r"([^.\[\]]+)|\[(-?\d+)\]", path):
        try:
            if name:
                cur = cur[int(name)] if isinstance(cur, MAPS) and name not in cur and name.isdigit() else cur[name]
            else:
                cur = cur[int(idx)]
        except (KeyError, IndexError, TypeError, ValueError):
            return None
    return cur


def differing_paths(a: Run, b: Run, ea: int | None, eb: int | None) -> list[dict[str, Any]]:
    """State the diverging steps left different: paths either event changed, compared across runs."""
    worlds: list[dict[str, Any] | None] = []
    changed: set[str] = set()
    for run, e in ((a, ea), (b, eb)):
        if e is None:
            worlds.append(None)
            continue
        before, after = run.session.world_at(e - 1), run.session.world_at(e)
        changed.update(diff_paths(before, after, limit=200))
        worlds.append(after)
    out = []
    for p in sorted(changed):
        if p.split(".")[0].split("[")[0] in _NOISE_TOP or any(n in p for n in _NOISE):
            continue
        va = _get(worlds[0], p) if worlds[0] is not None else None
        vb = _get(worlds[1], p) if worlds[1] is not None else None
        if va != vb:
            out += _leaves(p, va, vb)
        if len(out) >= MAX_PATHS:
            break
    return out[:MAX_PATHS]


_CONTAINERS = (dict, list, *MAPS)


def _leaves(p: str, va: Any, vb: Any) -> list[dict[str, Any]]:
    """A differing path as the leaves that differ (diffheld22: an irq both steps created was shown as
    ``irqs[24]`` with two whole records, not ``irqs[24].vector: A 0x21, B 0x20``), each in why's form."""
    if isinstance(va, _CONTAINERS) and isinstance(vb, _CONTAINERS):
        sub = [q for q in diff_paths(va, vb, p, limit=MAX_PATHS) if not any(n in q for n in _NOISE)]
        if sub and sub != [p]:
            rows: list[dict[str, Any]] = []
            for q in sub:
                x, y = _get(va, q[len(p):]), _get(vb, q[len(p):])
                rows += _apic_bits(q, x, y) or [{"path": _why_form(q), "a": x, "b": y}]
            return rows
    return _apic_bits(p, va, vb) or [{"path": _why_form(p), "a": va, "b": vb}]


_APIC_WORD = re.compile(r"(cpus\[\d+\]\.(?:irr|isr))\[(\d+)\]\Z")


_SLOT_WORD = re.compile(r"(cpus\[\d+\]\.vector_irq)\[(\d+)\]\Z")


def _why_form(path: str) -> str:
    """A path as ``why --path`` and the expression language write it: a ``vector_irq`` slot's vector
    in hex (``cpus[1].vector_irq[0x21]``, as ``why`` names it), every other index as the world has it."""
    m = _SLOT_WORD.match(path)
    return f"{m.group(1)}[{int(m.group(2)):#x}]" if m else path


def _apic_bits(path: str, a: Any, b: Any) -> list[dict[str, Any]]:
    """A local APIC's IRR / ISR is kept as eight 32-bit words (``cpus[0].irr[2]`` is vectors
    0x40..0x5f), but ``why`` and the expression language name a vector's bit (``cpus[0].irr[0x51]``):
    a word that differs is shown as the bits that differ, each 0 or 1 (``[]`` when ``path`` is
    not such a word)."""
    m = _APIC_WORD.match(path)
    if m is None or not isinstance(a, (int, type(None))) or not isinstance(b, (int, type(None))):
        return []
    wa, wb, base = a or 0, b or 0, int(m.group(2)) * 32
    return [{"path": f"{m.group(1)}[{base + i:#x}]", "a": wa >> i & 1, "b": wb >> i & 1}
            for i in range(32) if (wa ^ wb) >> i & 1]


#: what a ``devices:`` entry declares, as ``switch_difference`` compares it (whyheld8: two files that differ in a
#: device's quirk or capability listed nothing under "differs between the files")
_DEVICE_FACTS = ("bdf", "kind", "passthrough", "msix.table_size", "msi.vectors", "msi.per_vector_mask", "msi.addr64",
                 "intx.pin", "intx.gsi", "intx.machine", "quirks")


def _device_facts(d: Any) -> dict[str, Any]:
    """A device's declared facts; a capability it lacks is None."""
    return {"bdf": d.bdf, "kind": d.kind, "passthrough": d.passthrough,
            "msix.table_size": d.msix.table_size if d.msix else None,
            "msi.vectors": d.msi.vectors if d.msi else None,
            "msi.per_vector_mask": d.msi.per_vector_mask if d.msi else None,
            "msi.addr64": d.msi.addr64 if d.msi else None,
            "intx.pin": "ABCD"[d.intx.pin - 1] if d.intx else None, "intx.gsi": d.intx.gsi if d.intx else None,
            "intx.machine": d.intx.machine if d.intx else None, "quirks": sorted(d.quirks)}


def switch_difference(a: Session, b: Session) -> dict[str, dict[str, Any]]:
    """Behaviour switches, versions and platform facts that differ between the two files."""
    sa, sb = a.scenario, b.scenario
    out: dict[str, dict[str, Any]] = {}
    facts = (("kernel.version", sa.kernel.version, sb.kernel.version),
             ("platform.kind", sa.platform.kind, sb.platform.kind),
             ("platform.xen", sa.platform.xen, sb.platform.xen),
             ("platform.qemu", sa.platform.qemu, sb.platform.qemu),
             ("platform.interrupt_remapping", sa.platform.interrupt_remapping, sb.platform.interrupt_remapping),
             ("platform.iommu", sa.platform.iommu, sb.platform.iommu),
             ("platform.apic_routing", sa.platform.apic_routing, sb.platform.apic_routing),
             ("platform.lowest_priority", sa.platform.lowest_priority, sb.platform.lowest_priority),
             # the APIC driver the kernel chose (x2apic-cluster under remapping, by version and platform)
             ("platform.apic", a.eng.w["platform"].get("apic"), b.eng.w["platform"].get("apic")),
             ("seed", a.seed, b.seed), ("cpus", sa.cpus, sb.cpus))
    for name, va, vb in facts:
        if va != vb:
            out[name] = {"a": va, "b": vb}
    for name in sorted(set(sa.devices) | set(sb.devices)):
        da, db = sa.devices.get(name), sb.devices.get(name)
        if da is None or db is None:    # one file has the device: that alone
            out[f"devices.{name}"] = {"a": "absent" if da is None else "present", "b": "absent" if db is None else "present"}
            continue
        fa, fb = _device_facts(da), _device_facts(db)
        for f in _DEVICE_FACTS:
            if fa[f] != fb[f]:
                out[f"devices.{name}.{f}"] = {"a": fa[f], "b": fb[f]}
    ta, tb = sa.behaviour.plain(), sb.behaviour.plain()
    for name in sorted(set(ta) | set(tb)):
        if ta.get(name) != tb.get(name):
            out[name] = {"a": ta.get(name), "b": tb.get(name)}
    out.update(run_difference(sa.run, sb.run))
    out.update(setup_difference(sa, sb))
    return out


def _fault(f: Any) -> str:
    return f"{f.call}{' ' + f.dev if f.dev else ''} {f.errno} x{f.times}"


def _probe(p: Any) -> str:
    at = f"{p.prog}.{p.step}" if p.step else p.prog
    return f"{p.when} {at}: {p.do}{' ' + p.dev if p.dev else ''}{' if ' + p.if_dev if p.if_dev else ''} x{p.times or 'all'}"


def setup_difference(sa: Any, sb: Any) -> dict[str, dict[str, Any]]:
    """What else the files set up differently (diffheld22: two files differing only in ``costs:`` listed
    nothing, so "no divergence" read as identical files): each step cost (``costs.eoi``), the schedule,
    ``timing:``, the armed ``breakpoints:`` (they decide the outcome's hits), ``faults:`` and ``probes:``
    (each list as one line per entry). A cost is the one the run uses, the default where the file sets none."""
    from msidbg.sim.costs import DEFAULT_COSTS

    out: dict[str, dict[str, Any]] = {}
    for name in sorted(set(sa.costs) | set(sb.costs)):
        # the cost each run uses: a file that leaves a step out runs with the default (whyheld12: it read ``-``),
        # and one that sets the default explicitly differs in nothing
        ca, cb = sa.costs.get(name, DEFAULT_COSTS.get(name)), sb.costs.get(name, DEFAULT_COSTS.get(name))
        if ca != cb:
            out[f"costs.{name}"] = {"a": ca, "b": cb}
    facts = (("schedule", sa.schedule, sb.schedule),
             ("timing.jitter", list(sa.timing.jitter) if sa.timing.jitter else None,
              list(sb.timing.jitter) if sb.timing.jitter else None),
             ("timing.window", sa.timing.window, sb.timing.window),
             ("breakpoints", sorted(sa.breakpoints), sorted(sb.breakpoints)),
             ("faults", [_fault(f) for f in sa.faults[:MAX_ACTIONS]], [_fault(f) for f in sb.faults[:MAX_ACTIONS]]),
             ("probes", [_probe(p) for p in sa.probes[:MAX_ACTIONS]], [_probe(p) for p in sb.probes[:MAX_ACTIONS]]))
    for name, va, vb in facts:
        if va != vb:
            out[name] = {"a": va, "b": vb}
    return out


def _action_facts(x: Any) -> dict[str, Any]:
    """A ``run:`` action as its file declares it: time (ns; ``at_max_ns`` the end of an ``at:`` range), CPU,
    what, device, and each argument under its own name."""
    facts = {"at_ns": x.at_ns, "at_max_ns": x.at_max_ns, "on": x.on, "do": x.do, "dev": x.dev,
             "jitter": list(x.jitter) if x.jitter is not None else None}
    facts.update({f"args.{k}": v for k, v in x.args.items()})
    return facts


def run_difference(ra: tuple[Any, ...], rb: tuple[Any, ...]) -> dict[str, dict[str, Any]]:
    """The ``run:`` actions that differ between the files, by index (leads20: two files differing only in an
    action's arguments listed it under the actions' results alone, and only when a result differed):
    ``run[N].FIELD`` for a field or argument (``run[N].args.cpu``), ``run[N]`` absent / present for an
    action one file lacks. At most ``MAX_ACTIONS`` actions (a scenario holds at most 10,000)."""
    out: dict[str, dict[str, Any]] = {}
    for i in range(min(max(len(ra), len(rb)), MAX_ACTIONS)):
        xa, xb = ra[i] if i < len(ra) else None, rb[i] if i < len(rb) else None
        if xa is None or xb is None:
            out[f"run[{i}]"] = {"a": "absent" if xa is None else "present", "b": "absent" if xb is None else "present"}
            continue
        fa, fb = _action_facts(xa), _action_facts(xb)
        for f in sorted(set(fa) | set(fb), key=lambda f: (f.startswith("args."), f)):
            if fa.get(f) != fb.get(f):
                out[f"run[{i}].{f}"] = {"a": fa.get(f), "b": fb.get(f)}
    return out


#: at most this many actions are listed in an outcome (a scenario holds at most 10,000)
MAX_ACTIONS = 10_000


def action_results(w: dict[str, Any]) -> list[dict[str, Any]]:
    """Per scenario action, in file order: ``{action, do, dev, cpu, state, result, error}`` -- the
    summary's ``failed_actions`` shape (``cpu``: the CPU it ran on) for every action, whatever its
    result (0, a count, a pirq, -errno; ``error`` the errno's name or None), plus ``state``
    (``done``; ``queued`` or ``running`` when the run ended or was cut first; ``device`` / ``xen``
    for the actions a device or Xen carries out, which return nothing). The action's arguments are
    not part of it (two files that differ in an argument and not in any result have the same
    outcome); the text shows them. An administrator's action (``cpu_offline``, ``set_affinity``,
    ...) fails only here: every device's counts are the same either way."""
    from msidbg.model.cpu import errname

    out: list[dict[str, Any]] = []
    acts = w.get("actions")
    for i, a in enumerate(acts[:MAX_ACTIONS] if isinstance(acts, list) else []):
        if not isinstance(a, dict):
            continue
        r = a.get("result")
        r = r if isinstance(r, int) and not isinstance(r, bool) else None
        out.append({"action": i, "do": str(a.get("do")), "dev": a.get("dev"), "cpu": a.get("on"),
                    "state": str(a.get("state")), "result": r,
                    "error": errname(r) if r is not None and r < 0 else None})
    return out


def outcome(run: Run) -> dict[str, Any]:
    """Per device: probe status, raised / delivered / lost / spurious, and armed hits by name; and
    (an extension, ``actions``) each scenario action's result (``action_results``)."""
    from msidbg.debugger.why import hit_devices

    summ = run.summary
    devices: dict[str, Any] = {}
    for name, d in summ["devices"].items():
        tot = {f: sum(int(v[f]) for v in d["vectors"]) for f in ("raised", "delivered", "lost", "spurious")}
        devices[name] = {"probe": d["probe"], **tot, "hits": {}}
    hits: dict[str, int] = {}
    s = run.session
    armed = s.armed_hits()
    for h, dev in zip(armed, hit_devices(s, armed), strict=True):
        hits[h.name] = hits.get(h.name, 0) + 1
        if dev in devices:
            dh = devices[dev]["hits"]
            dh[h.name] = dh.get(h.name, 0) + 1
    return {"devices": devices, "hits": hits, "actions": action_results(s.world)}


@dataclass
class DiffResult:
    """``Session.diff`` / ``msidbg diff``: the first divergence (or None) and both outcomes."""

    a: Run
    b: Run
    first: Divergence | None
    contexts: list[Divergence]
    outcome_a: dict[str, Any]
    outcome_b: dict[str, Any]
    #: the switches, versions and platform facts that differ between the files (also when no step
    #: differs: a switch the runs never reached)
    switches: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the default event cap when it cut a run (``diff_files(cap=...)``; hardening27), else None
    event_cap: int | None = None
    #: the runs it cut: "a" / "b" -> the virtual time (ns) each was cut at
    cut: dict[str, int] = field(default_factory=dict)

    @property
    def same_outcome(self) -> bool:
        return self.outcome_a == self.outcome_b

    def as_dict(self) -> dict[str, Any]:
        """The ``msidbg diff --json`` object."""
        return {
            "first_divergence": self.first.as_dict() if self.first else None,
            "outcome": {"a": self.outcome_a, "b": self.outcome_b},
            "same_outcome": self.same_outcome,
            "switches": self.switches,
            "files": {"a": self.a.path, "b": self.b.path},
            "events": {"a": len(self.a.log), "b": len(self.b.log)},
            "contexts": [{"context": d.context, "position": d.position, "a": d.a, "b": d.b}
                         for d in self.contexts],
            **({"event_cap": self.event_cap, "cut": sorted(self.cut)} if self.cut else {}),
        }

    def aligned(self, e: int, from_b: bool = False) -> int | None:
        """The event of the other run at the same place in the same context (linked cursors)."""
        src, dst = (self.b, self.a) if from_b else (self.a, self.b)
        if not 1 <= e <= len(src.ctx):
            return None
        lst = dst.per.get(src.context(e))
        i = src.pos[e - 1]
        return lst[i] if lst is not None and i < len(lst) else None


def compare(a: Run, b: Run) -> DiffResult:
    """Align two recorded runs and describe where and how they differ."""
    pa, pb = ProvSig(a), ProvSig(b)
    divs = context_divergences(a, b, (pa, pb))
    switches = switch_difference(a.session, b.session)
    # before the first event or provenance difference both runs took the same steps: a switch that
    # changes only state parts them there (diffheld22: note_interrupt_counts said "no divergence")
    limit = min((min(x for x in (d.a, d.b) if x is not None) for d in divs), default=len(a.log) + 1)
    if pa.at or pb.at:
        limit = min(limit, first_prov_difference(pa, pb, first_raw_difference(a.log, b.log)))
    else:
        limit = min(limit, first_raw_difference(a.log, b.log))
    state = first_state_difference(a, b, limit)
    if state is not None:
        e, values = state
        sd = Divergence(a.context(e), int(a.pos[e - 1]), e, e, state_only=True)
        sd.a_info, sd.b_info = event_info(a, e), event_info(b, e)
        for run, info in ((a, sd.a_info), (b, sd.b_info)):
            _writer_step(run, e, list(values), info)
        sd.paths = [row for p, (va, vb) in sorted(values.items()) for row in _leaves(p, va, vb)][:MAX_PATHS]
        sd.switches = switches
        divs.insert(0, sd)
        first: Divergence | None = sd
    else:
        first = divs[0] if divs else None
    if first is not None and not first.state_only:
        first.a_info = event_info(a, first.a)
        first.b_info = event_info(b, first.b)
        if first.a is not None and first.b is not None and Sig(a.log)(first.a) == Sig(b.log)(first.b):
            # the same event, different provenance: the step that recorded the difference (a step
            # before the one that emitted the event, in the same event, may have made it)
            _node_step(first.a_info, pa, first.a, pb(first.b))
            _node_step(first.b_info, pb, first.b, pa(first.a))
        first.paths = differing_paths(a, b, first.a, first.b)
        first.switches = switches
    return DiffResult(a, b, first, divs, outcome(a), outcome(b), switches)


def diff_files(path_a: str, path_b: str, seed: int | None = None, max_events: int | None = None,
               spacing: int | None = MAX_SPACING, cap: int | None = None) -> DiffResult:
    """``msidbg diff A B``: run both (``seed`` overrides each file's) and compare them. Both sessions are
    made before either runs, so that each run watches the behaviour rows the other file sets differently
    (``Fingerprints``). ``cap`` (without ``max_events``): each run stops after that many events counted
    from event 0 (``msidbg diff`` gives ``headless.DEFAULT_MAX_EVENTS``: hardening27); the result's
    ``event_cap`` and ``cut`` say which runs it cut."""
    sa = open_session(path_a, seed, max_events, spacing)
    sb = open_session(path_b, seed, max_events, spacing)
    fresh = not (sa.history_ready and sa.total) and not (sb.history_ready and sb.total)
    rows = differing_rows(sa, sb) if fresh else set()
    capped = max_events is None and cap is not None
    ra = record_run("a", path_a, sa, max(cap - sa.cursor, 0) if capped and cap is not None else max_events, rows)
    rb = record_run("b", path_b, sb, max(cap - sb.cursor, 0) if capped and cap is not None else max_events, rows, ra)
    result = compare(ra, rb)
    if capped:
        result.cut = {r.label: r.session.last_stop.time_ns for r in (ra, rb)
                      if r.summary["stopped"]["reason"] == "limit" and not r.session.history_full}
        result.event_cap = cap if result.cut else None
    return result


# --- text ---------------------------------------------------------------------------------------------------
#: world fields that hold registers, messages, vectors or bitmaps: shown in hex; every other
#: number (counts, irqs, pirqs, CPUs, indexes, a seed) in decimal, as `msidbg why` and the TUI show them
HEX_FIELDS = frozenset({
    "addr_lo", "addr_hi", "addr", "data", "ctrl", "msix_ctrl", "cmd", "pba", "mask", "pending", "latch",
    "shadow", "msg", "intended", "msi_intended", "suppressed", "dest", "gdest", "irte",
    "irr", "isr", "alloc", "managed", "tpr", "ppr", "ldr", "vector", "prev_vector", "gvec", "vector_irq",
    "affinity", "effective",
})


def _fmt(v: Any, path: str = "") -> str:
    from msidbg.debugger.whytext import fmt_value

    if path.startswith("run["):
        return _arg(v)      # an action's field or argument, as the scenario file writes it (decimal)
    field = re.sub(r"\[[^\]]*\]", "", path).rsplit(".", 1)[-1]
    return fmt_value(v, field in HEX_FIELDS)


_VECTOR_SLOT = re.compile(r"^(cpus\[\d+\]\.(?:vector_irq|irr|isr))\[(0x[0-9a-f]+|\d+)\]$")


def _path_line(p: dict[str, Any]) -> str:
    """One differing path for the text: a vector index in hex and a vector_irq slot's irq in decimal,
    as ``why`` shows them (``cpus[1].vector_irq[0x22]: A -, B irq 26``), the path as --json has it."""
    m = _VECTOR_SLOT.match(p["path"])
    if m is None:
        return f"    {p['path']}: A {_fmt(p['a'], p['path'])}, B {_fmt(p['b'], p['path'])}"

    def slot(v: Any) -> str:
        return f"irq {v}" if isinstance(v, int) and not isinstance(v, bool) and ".vector_irq" in p["path"] else _fmt(v, p["path"])
    return f"    {m.group(1)}[{int(m.group(2), 0):#x}]: A {slot(p['a'])}, B {slot(p['b'])}"


def render(r: DiffResult) -> str:
    """``msidbg diff`` for a terminal: the first divergence, then the outcome per device."""
    lines = [f"A: {r.a.path} ({len(r.a.log):,} events)", f"B: {r.b.path} ({len(r.b.log):,} events)"]
    d = r.first
    if d is None:
        lines.append("no divergence: every context executed the same steps")
        if r.switches:
            cut = any(run.summary.get("stopped", {}).get("reason") == "limit" for run in (r.a, r.b))
            # Only that the runs never part is known: a step may read the switch and do the same either way
            # (free_irq reading a row whose two values end alike), so the text claims no more than that.
            lines.append("  the files differ in (the runs do not part before the event limit):" if cut
                         else "  the files differ in (the runs never part: the same steps, the same state after each):")
            lines += [f"    {k}: A {_fmt(v['a'], k)}, B {_fmt(v['b'], k)}" for k, v in r.switches.items()]
    else:
        lines.append(f"first divergence: {d.context}, after {d.position} identical steps there"
                     + (" (the same event in both; the state it left differs)" if d.state_only else ""))
        for side, info in (("A", d.a_info), ("B", d.b_info)):
            if info.get("event") is None:
                lines.append(f"  {side}  (this context has no more steps)")
                continue
            lines.append(f"  {side}  {info['text']}")
            if info["stack"]:
                lines.append(f"       at {' < '.join(info['stack'])}")
            if info.get("recorded"):
                lines.append(f"       recorded: {info['recorded']}")
        if d.paths:
            lines.append("  state that differs after these steps:")
            lines += [_path_line(p) for p in d.paths]
        if d.switches:
            lines.append("  differs between the files:")
            lines += [f"    {k}: A {_fmt(v['a'], k)}, B {_fmt(v['b'], k)}" for k, v in d.switches.items()]
        later = [c for c in r.contexts[1:6]]
        if later:
            lines.append("  then also: " + "; ".join(
                f"{c.context} at A #{c.a if c.a is not None else '-'} / B #{c.b if c.b is not None else '-'}" for c in later))
    lines.append("outcome:" + (" the same" if r.same_outcome else " different"))
    for name in sorted(set(r.outcome_a["devices"]) | set(r.outcome_b["devices"])):
        for side, o in (("A", r.outcome_a), ("B", r.outcome_b)):
            dv = o["devices"].get(name)
            if dv is None:
                lines.append(f"  {name:<12} {side}: (no such device)")
                continue
            hits = ", ".join(f"{k} {n}" for k, n in sorted(dv["hits"].items())) or "no hits"
            lines.append(f"  {name:<12} {side}: probe {dv['probe']}; raised {dv['raised']} delivered {dv['delivered']} "
                         f"lost {dv['lost']} spurious {dv['spurious']}; {hits}")
    lines += _action_lines(r)
    return "\n".join(lines)


#: at most this many differing actions are listed in the text (--json has them all)
MAX_ACTION_LINES = 20


def _arg(v: Any) -> str:
    """An action's argument as the scenario file writes it (decimal: ``vector`` there is a device's
    vector index and ``timeout_ns`` a time, not registers), at most 40 characters."""
    if isinstance(v, bool) or v is None:
        out = "-" if v is None else str(v).lower()
    elif isinstance(v, (list, tuple)):
        out = "[" + ", ".join(_arg(x) for x in v[:16]) + (", ..." if len(v) > 16 else "") + "]"
    elif isinstance(v, MAPS):
        out = "{" + ", ".join(f"{k}: {_arg(x)}" for k, x in list(v.items())[:8]) + "}"
    else:
        out = str(v)
    return out if len(out) <= 40 else out[:39] + "…"


def _action_lines(r: DiffResult) -> list[str]:
    """The actions whose result differs: ``#4 cpu_offline cpu=1 (ran on CPU2): A -28 (ENOSPC), B 0``;
    two different actions at one index (files with other ``run:`` lists) get one line each."""
    diff = action_diffs(r)
    if not diff:
        return []
    out = [f"  actions whose result differs ({len(diff)}):"]
    for lines in diff[:MAX_ACTION_LINES]:
        out.append(f"    {lines[0]}")
        out += [f"    {x}" for x in lines[1:]]
    if len(diff) > MAX_ACTION_LINES:
        out.append(f"    ... and {len(diff) - MAX_ACTION_LINES} more (--json lists them all)")
    return out


def action_diffs(r: DiffResult) -> list[list[str]]:
    """Each action whose result or state differs, as its line(s) (``#4 cpu_offline cpu=1 (ran on CPU2): A -28
    (ENOSPC), B 0``, or an A line and a B line for two different actions at one index), in index order: the
    text's list and ``diff --tui``'s status line."""
    aa, ab = r.outcome_a.get("actions", []), r.outcome_b.get("actions", [])

    def res(x: dict[str, Any] | None) -> str:
        if x is None:
            return "(no such action)"
        if x["state"] != "done":
            return {"queued": "not run", "running": "still running"}.get(x["state"], f"({x['state']})")
        if x["result"] is None:
            return "done"
        return f"{x['result']} ({x['error']})" if x["error"] else str(x["result"])

    def what(run: Run, x: dict[str, Any]) -> str:
        acts = run.session.world.get("actions")
        a = acts[x["action"]] if isinstance(acts, list) and x["action"] < len(acts) else {}
        args = a.get("args") if isinstance(a, dict) else None
        shown = "".join(f" {k}={_arg(v)}" for k, v in list(args.items())[:4]) if isinstance(args, dict) else ""
        on = f" (ran on CPU{x['cpu']})" if isinstance(x["cpu"], int) and x["state"] not in ("device", "xen") else ""
        return f"{x['do']}{' ' + str(x['dev']) if x['dev'] else ''}{shown}{on}"

    def at(lst: list[dict[str, Any]], i: int) -> dict[str, Any] | None:
        return lst[i] if i < len(lst) else None

    out: list[list[str]] = []
    for i in range(max(len(aa), len(ab))):
        x, y = at(aa, i), at(ab, i)
        if x == y:
            continue
        wa = what(r.a, x) if x is not None else None
        wb = what(r.b, y) if y is not None else None
        if wa is not None and wa == wb:
            out.append([f"#{i} {wa}: A {res(x)}, B {res(y)}"])
        else:
            out.append([f"#{i} A {wa + ': ' if wa else ''}{res(x)}", f"{' ' * len(str(i))} B {wb + ': ' if wb else ''}{res(y)}"])
    return out
