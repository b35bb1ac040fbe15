"""Schedule strategies: how a run resolves what the scenario leaves open, as one stream of choices.

What a scenario leaves open is (1) which of several agenda items runs next (the *options*: the
items due within ``window`` ns of the earliest one, sorted by (time, seq); ``window`` 0 means
exact ties), (2) where in an ``at: A~B`` range an action starts, (3) how much a step's cost
varies under ``jitter:``. Every such choice has a *default*, the value the ``ordered`` baseline
takes: option 0, the range's lower bound, no jitter. A *deviation* is a choice that differs
from its default; a run's deviations are recorded in ``Engine.trace``.

Strategies (``w["policy"]``):

* ``ordered``: always the default; nothing is drawn (the engine's ``pick`` is None).
* ``random``: a uniform draw among the options (as before: only when there are several),
  plus seeded draws for ranges and jitter.
* ``pct``: PCT (Burckhardt et al., ASPLOS 2010). Each context (a CPU, QEMU, a device, Xen's
  upcalls for a device) gets a random priority the first time it competes; at every choice
  point the highest-priority context's earliest option runs. ``depth - 1`` change points are
  drawn among the ``horizon`` choice points of the baseline run; at the i-th the context about
  to run drops to priority i, below every initial one.
* ``delay``: delay-bounded scheduling (Emmi, Qadeer, Rakamaric, POPL 2011) over the ordered
  scheduler: ``depth`` deferral points drawn among the baseline's choice points; at one, the
  otherwise-next context is deferred and the first option of another context runs instead.

A choice point (for pct/delay counting) is a step whose options come from two or more
contexts. All draws use the world's splitmix64 state (``rand64``), so a strategy's state lives
in the world (``w["sched"]``) and a restored checkpoint re-draws the same values.

*Replay* (a ``Plan``): every draw is still made, so the world evolves exactly as in the run
that was recorded, but each decision is taken from the plan, and where the plan says nothing
the default is taken. Replaying a run's full trace reproduces it (same events, same
state hash); replaying a subset is how shrinking tests fewer deviations.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

MASK64 = (1 << 64) - 1
#: the engine's agenda heap keys are ``time << SEQ_BITS | seq`` (seq is a 64-bit world int: it
#: never reaches the time's bits)
SEQ_BITS = 64
SEQ_MASK = (1 << SEQ_BITS) - 1
STRATEGIES = ("ordered", "random", "pct", "delay")
DEFAULT_DEPTH = 3
PPM = 1_000_000

Item = list[Any]


def rand64(w: dict[str, Any]) -> int:
    """splitmix64 over the world's generator state: portable and snapshot-friendly."""
    x = (w["rng"] + 0x9E3779B97F4A7C15) & MASK64
    w["rng"] = x
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def below(w: dict[str, Any], n: int) -> int:
    """A draw in 0..n-1 (n >= 1)."""
    return rand64(w) % n


def run_seed(base: int, index: int) -> int:
    """The seed of exploration run ``index`` (>= 1) from the base seed: splitmix64-mixed, 63 bits."""
    tmp = {"rng": (base * 0x100000001B3 + index) & MASK64}
    return rand64(tmp) >> 1


# --- what a run's deviations are ---------------------------------------------------------------
#: (kind, key, value), keyed relative to the context they concern so that removing one deviation
#: does not re-target the others:
#:   ("at", action, offset)                      the action starts ``offset`` ns into its range
#:   ("jit", (context, n), delta)                the context's n-th step costs ``delta`` ns more
#:   ("sched", (context, n, j), (other, rank))   when the context's n-th step is next (for the
#:       (j+1)-th time: it may be passed over more than once), the ``rank``-th option of context
#:       ``other`` runs instead
Deviation = tuple[str, Any, Any]


class Plan:
    """A run's deviations from the defaults, in the order they happened."""

    def __init__(self, devs: Iterable[Deviation] = ()) -> None:
        self.at: dict[int, int] = {}
        self.jit: dict[tuple[str, int], int] = {}
        self.sched: dict[tuple[str, int, int], tuple[str, int]] = {}
        self._order: dict[tuple[str, Any], None] = {}
        for kind, key, value in devs:
            self.add(kind, key, value)

    def add(self, kind: str, key: Any, value: Any) -> None:
        table: dict[Any, Any] = self.at if kind == "at" else self.jit if kind == "jit" else self.sched
        table[key] = value
        self._order[(kind, key)] = None

    def __len__(self) -> int:
        return len(self._order)

    def items(self) -> list[Deviation]:
        out: list[Deviation] = []
        for kind, key in self._order:
            table: dict[Any, Any] = self.at if kind == "at" else self.jit if kind == "jit" else self.sched
            out.append((kind, key, table[key]))
        return out

    def to_rows(self) -> list[list[Any]]:
        """Plain data for snapshot files: ``[at, action, offset]``, ``[jit, context, n, delta]``,
        ``[sched, context, n, j, other, rank]``."""
        rows: list[list[Any]] = []
        for kind, key, value in self.items():
            if kind == "at":
                rows.append([kind, key, value])
            elif kind == "jit":
                rows.append([kind, *key, value])
            else:
                rows.append([kind, *key, *value])
        return rows


@dataclass(frozen=True)
class Schedule:
    """How a run resolves choices. ``horizon``: choice points of the baseline (pct/delay draw
    their points among them); ``plan``: replay these decisions instead of the strategy's."""

    strategy: str = "ordered"
    depth: int = DEFAULT_DEPTH
    window: int = 0
    horizon: int = 0
    plan: Plan | None = None

    @property
    def draws(self) -> bool:
        return self.strategy != "ordered"


# --- setting a world up --------------------------------------------------------------------------
def setup(w: dict[str, Any], sch: Schedule, ranges: dict[int, int], jitter: list[int] | None,
          act_jitter: dict[int, list[int]]) -> dict[int, int]:
    """Draw where each ranged action starts and put the strategy's state in the world (before
    event 0). ``ranges``: action index -> width of its ``at`` range (ns); ``jitter`` /
    ``act_jitter``: [ppm, ns] for every step / for an action's steps. Returns the offsets into
    the ranges (the nonzero ones, which are deviations) for the model to apply.
    Under ``ordered`` nothing is drawn and nothing changes: the world is what it was without
    this module.
    """
    w["policy"] = sch.strategy
    drawn: dict[int, int] = {}
    if not sch.draws:
        return drawn
    plan = sch.plan
    for idx in sorted(ranges):
        width = ranges[idx]
        off = below(w, width + 1)
        if plan is not None:
            off = min(max(plan.at.get(idx, 0), 0), width)
        if off:
            drawn[idx] = off
    s = _state(sch.window, jitter, act_jitter)
    if sch.strategy in ("pct", "delay"):
        s["depth"], s["horizon"] = sch.depth, sch.horizon
        count = sch.depth - 1 if sch.strategy == "pct" else sch.depth
        s["points"] = sorted(1 + below(w, max(sch.horizon, 1)) for _ in range(max(count, 0)))
        if sch.strategy == "pct":
            s["prio"], s["changed"] = {}, 0
    w["sched"] = s
    return drawn


def _state(window: int, jitter: list[int] | None, act_jitter: dict[int, list[int]]) -> dict[str, Any]:
    """``w["sched"]``: the strategy's inputs and what it has counted so far."""
    return {"window": window, "jitter": jitter, "ajit": dict(act_jitter), "n": 0, "seen": {}, "passed": {}}


# --- the engine's hooks -----------------------------------------------------------------------------
@dataclass
class Trace:
    """What a run chose: its deviations (fresh events only) and how many choice points it met.

    With ``describe`` set (``describe(world, item) -> str``), each deviation also leaves the
    words of a counterexample's bookmark: ``notes[event]`` for a schedule choice (what ran, what
    it ran before), ``jitters[event]`` = (context, nominal cost, delta) for a jitter value.
    ``events`` maps each deviation's key to the event where it took effect.
    """

    plan: Plan = field(default_factory=Plan)
    points: int = 0
    describe: Callable[[dict[str, Any], Item], str] | None = None
    notes: dict[int, tuple[str, str]] = field(default_factory=dict)
    jitters: dict[int, tuple[str, int, int]] = field(default_factory=dict)
    events: dict[tuple[str, Any], int] = field(default_factory=dict)


def attach(eng: Any, plan: Plan | None = None, drawn: dict[int, int] | None = None) -> None:
    """Give ``eng`` the pick and jitter hooks its world's policy asks for (None = ordered);
    ``drawn``: the range offsets ``setup`` drew, the trace's first deviations."""
    w = eng.w
    eng.plan = plan
    eng.trace = Trace()
    for idx, off in (drawn or {}).items():
        eng.trace.plan.add("at", idx, off)
    policy = w.get("policy", "ordered")
    s = w.get("sched")
    if s is None and policy != "ordered":  # a world built without ``setup`` (no ranges, no jitter)
        s = w["sched"] = _state(0, None, {})
    eng.pick = None if policy == "ordered" else _Picker(eng, policy)
    eng.jitter = _jitter if s is not None and (s["jitter"] is not None or s["ajit"]) else None


def count_choice_points(eng: Any, window: int) -> None:
    """Baseline mode for ``eng`` (an ordered run): count the choice points ``window`` would give
    (``eng.trace.points``), choosing as ``ordered`` does."""
    eng.pick = _Picker(eng, "count", window)


def _context(item: Item) -> str:
    return f"{item[2]} {item[3]}" if len(item) > 3 else str(item[2])


class _Picker:
    """``Engine.pick``: choose the next agenda item among the options, record what was chosen,
    count each context's steps (``seen``: what deviations are keyed by)."""

    def __init__(self, eng: Any, policy: str, window: int | None = None) -> None:
        self.eng = eng
        self.policy = policy
        s = eng.w.get("sched")
        self.window = window if window is not None else int(s["window"]) if s is not None else 0
        self.context: Callable[[Item], str] = getattr(eng.model, "context", _context)
        #: (context, n) of the step being run: what its jitter is keyed by
        self.last: tuple[str, int] = ("", 0)

    def __call__(self, eng: Any, heap: list[int]) -> Item:
        """Choose, remove and return the next item; ``heap`` is the engine's agenda order (keys
        ``time << SEQ_BITS | seq``, see ``scheduler``)."""
        w = eng.w
        limit = (heap[0] >> SEQ_BITS) + self.window
        n = len(heap)
        policy = self.policy
        if (n < 2 or heap[1] >> SEQ_BITS > limit) and (n < 3 or heap[2] >> SEQ_BITS > limit):
            item = eng.pop()
            if policy != "count":
                self._ran(w["sched"], self.context(item))
            return item
        agenda = eng.agenda
        if policy != "random":
            # pct, delay and the baseline only choose where contexts compete; most steps they
            # take the head (option 0) without sorting the options
            head = self.context(agenda[heap[0] & SEQ_MASK])
            multi = _other_context(heap, agenda, limit, head, self.context)
            if policy == "count":
                if multi:
                    eng.trace.points += 1
                return eng.pop()
            s = w["sched"]
            if multi:
                s["n"] += 1
            key = (head, s["seen"].get(head, 0) + 1, s["passed"].get(head, 0))
            plan = eng.plan
            quiet = not multi or (policy == "delay" and s["n"] not in s["points"])
            if quiet and (plan is None or key not in plan.sched):
                if eng.fresh and eng.keep_choices:
                    eng.choices[eng.cur] = 0
                self._ran(s, head)
                return _take(w, eng, 0)
        return self._choose(eng, w, heap, limit)

    def _choose(self, eng: Any, w: dict[str, Any], heap: list[int], limit: int) -> Item:
        """The general case: every option, in (time, seq) order."""
        opts = _options(heap, limit)
        agenda = eng.agenda
        items = [agenda[heap[i] & SEQ_MASK] for i in opts]
        ctxs = [self.context(it) for it in items]
        policy = self.policy
        s = w["sched"]
        if policy == "random":
            choice = below(w, len(opts))
        elif any(c != ctxs[0] for c in ctxs):  # s["n"] was counted by the caller
            choice = _pct(w, s, ctxs) if policy == "pct" else _delay(s, ctxs)
        else:
            choice = 0
        head = ctxs[0]
        key = (head, s["seen"].get(head, 0) + 1, s["passed"].get(head, 0))
        plan = eng.plan
        if plan is not None:
            want = plan.sched.get(key)
            choice = _find(ctxs, want) if want is not None else 0
        if eng.fresh and eng.keep_choices:    # a session without history records none
            eng.choices[eng.cur] = choice
        if choice:
            ctx = ctxs[choice]
            if ctx != head:
                s["passed"][head] = key[2] + 1
            if eng.fresh:
                self._note(w, key, (ctx, ctxs[:choice].count(ctx)), items[choice], items[0])
        self._ran(s, ctxs[choice])
        return _take(w, eng, opts[choice])

    def spin_polls(self, eng: Any, item: Item, cost: int, until: int | None, most: int) -> int:
        """pct, no plan: how many of a spin's next polls (after the one running now, ``item``'s, at
        the clock) this picker would take in a row, each a silent poll of the same unchanged wait --
        at most ``most``, each before ``until`` (the earliest ``busy_until`` ahead: the spin's
        condition reads nothing else that changes while only this CPU runs, ``Ctx.spin``). Those
        picks are made here without running the polls: the same counts (the choice points, the
        context's steps, the passes over another context and their deviations), the same recorded
        choice; the caller moves the clock to the last and requeues the CPU after it. It stops
        before a pick that would draw (a new context's priority), reach a change point, or take
        another item (the CPU's context is not the highest-priority one due), so every pick it
        makes is the one ``__call__`` would have made: a run is the same with every poll picked
        one at a time (as a replayed plan does) or in a batch."""
        if eng.plan is not None:
            return 0
        if self.policy != "pct":
            return self._lone_polls(eng, item, cost, until, most)
        w = eng.w
        s = w["sched"]
        heap = eng.heap
        window = self.window
        me = self.context(item)
        now = w["now"]
        # the other items that may be due within a window of the polls: (time, seq, context, item)
        others: list[tuple[int, int, str, Item]] = []
        if heap:
            agenda = eng.agenda
            for i in _options(heap, (heap[0] >> SEQ_BITS) + window):
                key = heap[i]
                it = agenda[key & SEQ_MASK]
                ctx = self.context(it)
                if ctx == me:
                    return 0
                others.append((key >> SEQ_BITS, key & SEQ_MASK, ctx, it))
        first = others[0][0] if others else None
        prio = s["prio"]
        points = s["points"]
        mine = prio.get(me, -1)
        seen, passed = s["seen"], s["passed"]
        took = 0
        due = 0     # others[:due] are due by the poll's limit (it only grows: min(t, first) + window)
        before = 0  # others[:before] are due by the poll's own time: options ahead of it
        t = now
        while took < most:
            t += cost
            if until is not None and t >= until:
                break
            if first is not None:
                limit = min(t, first) + window
                if t > limit:
                    break   # the poll is not due yet: another context's item runs first
                while due < len(others) and others[due][0] <= limit:
                    p = prio.get(others[due][2], -1)
                    if p < 0 or p >= mine:
                        break   # a priority to draw, or another context would run
                    due += 1
                if due < len(others) and others[due][0] <= limit:
                    break
                while before < due and others[before][0] <= t:
                    before += 1
            if due:
                n = s["n"] + 1
                if s["changed"] < len(points) and points[s["changed"]] <= n:
                    break   # a change point: the priorities change here
                s["n"] = n
                if eng.fresh and eng.keep_choices:
                    eng.choices[eng.cur] = before    # (the poll's seq is the newest: after those due by t)
                if before:
                    head = others[0][2]
                    key = (head, seen.get(head, 0) + 1, passed.get(head, 0))
                    passed[head] = key[2] + 1
                    if eng.fresh:
                        self._note(w, key, (me, 0), item, others[0][3])
            self._ran(s, me)
            took += 1
        return took

    def _lone_polls(self, eng: Any, item: Item, cost: int, until: int | None, most: int) -> int:
        """``spin_polls`` for random, delay and the baseline's count (spoll25), no plan: the spin's next
        polls that come before every other item on the agenda (``first``, another context's) and before
        ``until``. Each such poll is the earliest item, so ``__call__`` takes it as option 0: random
        without a draw while no other item is due within the window of it (it stops before the first
        poll that would draw); delay and count count a choice point at a poll another context's item
        is due within the window of, and delay stops before one that reaches a deferral point
        (``_delay`` chooses there). The same counts, steps and recorded choices as picking each poll;
        a spin under these policies used to be picked poll by poll (a storm of 100,000 interrupts
        under spin-spoll.yaml: some 3 x 10^7 picks, the baseline's count run again as many)."""
        heap = eng.heap
        if heap:
            first = heap[0] >> SEQ_BITS
            me = self.context(item)
            agenda = eng.agenda
            for i in _options(heap, first + self.window):
                if self.context(agenda[heap[i] & SEQ_MASK]) == me:
                    return 0    # (another item of the spinning context: the general path)
        elif until is None:
            return 0    # (nothing ahead at all: Ctx.spin's stuck wait, not a batch)
        else:
            first = until
            me = self.context(item)
        w = eng.w
        s = w.get("sched")
        policy = self.policy
        window = self.window if heap else -1      # (no other item: never a choice point)
        count = policy == "count"
        delay = policy == "delay"
        points = s["points"] if delay else ()
        record = delay and eng.fresh and eng.keep_choices
        took = 0
        t = w["now"]
        while took < most:
            t += cost
            if t >= first or (until is not None and t >= until):
                break   # another item runs first, or the spin's condition may change
            if first <= t + window:     # another context is due within the window: a choice point
                if count:
                    eng.trace.points += 1
                elif not delay:
                    break   # random draws here
                else:
                    n = s["n"] + 1
                    if n in points:
                        break   # a deferral point: _delay chooses
                    s["n"] = n
                    if record:
                        eng.choices[eng.cur] = 0
            if not count:
                self._ran(s, me)
            took += 1
        return took

    def _ran(self, s: dict[str, Any], ctx: str) -> None:
        seen = s["seen"]
        nth = seen[ctx] = seen.get(ctx, 0) + 1
        s["passed"].pop(ctx, None)
        self.last = (ctx, nth)

    def _note(self, w: dict[str, Any], key: tuple[str, int, int], value: tuple[str, int], ran: Item,
              instead: Item) -> None:
        trace = self.eng.trace
        cur = self.eng.cur
        trace.plan.add("sched", key, value)
        trace.events[("sched", key)] = cur
        if trace.describe is not None:
            trace.notes[cur] = (trace.describe(w, ran), trace.describe(w, instead))


def _other_context(heap: list[int], agenda: dict[int, Item], limit: int, head: str,
                   context: Callable[[Item], str]) -> bool:
    """Whether an item of another context than ``head`` is due by ``limit``."""
    todo = [1, 2]
    n = len(heap)
    while todo:
        i = todo.pop()
        if i < n and heap[i] >> SEQ_BITS <= limit:
            if context(agenda[heap[i] & SEQ_MASK]) != head:
                return True
            todo.append(2 * i + 1)
            todo.append(2 * i + 2)
    return False


def _options(heap: list[int], limit: int) -> list[int]:
    """Heap indexes of the items due by ``limit``, in (time, seq) order."""
    found: list[int] = []
    todo = [0]
    n = len(heap)
    while todo:
        i = todo.pop()
        if i < n and heap[i] >> SEQ_BITS <= limit:
            found.append(i)
            todo.append(2 * i + 1)
            todo.append(2 * i + 2)
    found.sort(key=heap.__getitem__)    # a key orders as (time, seq)
    return found


def _take(w: dict[str, Any], eng: Any, idx: int) -> Item:
    """Remove heap entry ``idx``; a later item than the earliest moves the clock to its time."""
    heap = eng.heap
    key = heap[idx]
    last = heap.pop()
    if idx < len(heap):
        heap[idx] = last
        heapq._siftup(heap, idx)  # type: ignore[attr-defined]
        heapq._siftdown(heap, 0, idx)  # type: ignore[attr-defined]
    item: Item = eng.agenda.pop(key & SEQ_MASK)
    if item[0] > w["now"]:
        w["now"] = item[0]
    return item


def _find(ctxs: list[str], want: tuple[str, int]) -> int:
    """The option a plan entry names: the rank-th option of its context, else the default."""
    ctx, rank = want
    seen = 0
    for i, c in enumerate(ctxs):
        if c == ctx:
            if seen == rank:
                return i
            seen += 1
    return 0


def _pct(w: dict[str, Any], s: dict[str, Any], ctxs: list[str]) -> int:
    prio = s["prio"]
    for c in ctxs:
        if c not in prio:
            prio[c] = s["depth"] + (rand64(w) >> 2)
    best = _best(prio, ctxs)
    points = s["points"]
    while s["changed"] < len(points) and points[s["changed"]] <= s["n"]:
        s["changed"] += 1
        prio[ctxs[best]] = s["changed"]
        best = _best(prio, ctxs)
    return best


def _best(prio: dict[str, int], ctxs: list[str]) -> int:
    best = 0
    for i, c in enumerate(ctxs):
        if prio[c] > prio[ctxs[best]]:
            best = i
    return best


def _delay(s: dict[str, Any], ctxs: list[str]) -> int:
    k = s["points"].count(s["n"])
    if not k:
        return 0
    deferred: list[str] = []
    for i, c in enumerate(ctxs):
        if c in deferred:
            continue
        if len(deferred) == k:
            return i
        deferred.append(c)
    # fewer other contexts than deferrals: the last context that competes runs
    return ctxs.index(deferred[-1])


def _jitter(eng: Any, cost: int, act: int) -> int:
    """``Engine.jitter``: the cost of the step just run (``act``: the scenario action it belongs
    to, or -1), varied by the applicable jitter: cost + d, d uniform in [-min(J, cost), J]."""
    w = eng.w
    s = w["sched"]
    spec = s["ajit"].get(act) if act >= 0 else None
    if spec is None:
        spec = s["jitter"]
        if spec is None:
            return cost
    bound = cost * spec[0] // PPM + spec[1]
    if bound <= 0:
        return cost
    lo = -min(bound, cost)
    d = lo + below(w, bound - lo + 1)
    key = eng.pick.last if eng.pick is not None else ("", 0)
    plan = eng.plan
    if plan is not None:
        d = min(max(plan.jit.get(key, 0), lo), bound)
    if d and eng.fresh:
        trace = eng.trace
        trace.plan.add("jit", key, d)
        trace.events[("jit", key)] = eng.cur
        if trace.describe is not None:
            trace.jitters[eng.cur] = (key[0], cost, d)
    return cost + d


def jitter_bound(spec: list[int] | None, cost: int) -> int:
    """J for a step of ``cost`` under ``spec`` ([ppm, ns])."""
    return 0 if spec is None else cost * spec[0] // PPM + spec[1]
