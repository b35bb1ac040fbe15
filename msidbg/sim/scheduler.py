"""The deterministic step loop: agenda, virtual clock, policies, recorded choices.

The agenda's items are plain lists ``[time_ns, seq, kind, *args]`` stored in the world as a map
``seq -> item`` (``w["agenda"]``, so pending device signals and CPU wake-ups are part of every
snapshot). Their order lives beside the world, in the engine: a binary heap of plain ints
``time << 64 | seq`` (``Engine.heap``), which heapq compares at C speed (a heap of the lists
themselves cost ~15% of an interrupt in list comparisons). The heap is derived data: it is
rebuilt from the world whenever the world is installed (``Engine.sync_agenda``), so the state
(and its hash) is the set of items, never an array order. An item is *enabled* when its time
is <= now; the clock jumps to the next item only when nothing is enabled. ``seq`` makes equal
times resolve in insertion order, so ``ordered`` is a stable FIFO-by-time policy. Every other
policy is a ``pick`` hook from ``strategy.py`` (random, pct, delay, or a replayed plan) that
chooses among the options with the world's own seeded generator; every choice among several
options is recorded.

The engine knows nothing about interrupts: a model hands it ``handlers`` (agenda kind ->
function) and ``finish`` (called once when the agenda is empty). Each step must emit
exactly one event -- with one explicit exception, a *silent poll*: a handler that returns True ran
a spin wait's poll that found its condition unchanged and emitted nothing (``Engine.quiet_poll``);
the step goes on with the next item, so the poll costs its virtual time and its place in the
agenda's order but no event (see ``_polled``).
"""

from __future__ import annotations

import heapq
import time as _time
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

from . import strategy
from .events import EventLog
from .history import ChoiceLog, Hit, HitLog
from .rec import WorldRec, as_world
from .strategy import SEQ_BITS, SEQ_MASK, rand64
from .world import World


class Model(Protocol):
    handlers: dict[str, Callable[[Engine, list[Any]], bool | None]]   # True: a silent poll

    def finish(self, eng: Engine) -> None: ...


class EngineError(RuntimeError):
    """A model broke an engine invariant (a bug in msidbg, never a user error)."""


__all__ = ["SEQ_BITS", "SEQ_MASK", "WORLD_FORMAT", "Engine", "EngineError", "Hit", "Model", "check_agenda", "rand64",
           "upgrade_world"]


#: ``Engine.held`` outside ``Engine._ordered`` (a requeued step is pushed on the heap at once)
NOT_HOLDING = -2

#: silent polls in a row within one step before the engine asks for a loud one (``Engine.quiet_poll``):
#: bounds a step's work when nothing else can change a spin's condition (a deadlock spins on, one
#: note per POLL_CAP polls: 10 ms of virtual time at the default kernel cost)
POLL_CAP = 100_000

#: ``w["format"]``: 2 keeps the agenda as a map ``seq -> item`` (1: a heap-ordered list of items)
WORLD_FORMAT = 2


def upgrade_world(w: Any) -> bool:
    """Bring a world of an older format (a snapshot written before format 2) to this one, in place.
    Format 1 kept the agenda as a list of items in heap order; the items themselves are the same.
    Returns whether anything changed. Raises ValueError on an agenda that is not a list of items
    each starting with two ints (time, seq), distinct seqs."""
    if w.get("format") != 1:
        return False
    old = w.get("agenda")
    if not isinstance(old, list):
        raise ValueError("agenda: not a list (expected a list of [time, seq, kind, ...] items in a format-1 world)")
    agenda: dict[int, list[Any]] = {}
    for item in old:
        if isinstance(item, list) and len(item) >= 2 and type(item[1]) is int:
            if item[1] in agenda:
                raise ValueError(f"agenda: seq {item[1]} appears twice (expected distinct seqs)")
            agenda[item[1]] = item
        else:
            raise ValueError("agenda: an item of another form (expected [time, seq, kind, ...] items)")
    w["agenda"] = agenda     # (a dict world: upgraded before it becomes a record)
    w["format"] = WORLD_FORMAT
    check_agenda(w)
    return True


def check_agenda(w: Any) -> None:
    """Raise ValueError unless ``w["agenda"]`` is a map ``seq -> [time, seq, kind, ...]`` with
    ints ``0 <= time, seq < 2**64`` and a string kind (what ``Engine.sync_agenda`` builds on)."""
    agenda = w.get("agenda")
    if not isinstance(agenda, dict):
        raise ValueError("agenda: not a map (expected a map of seq -> [time, seq, kind, ...])")
    for seq, item in agenda.items():
        if not (isinstance(item, list) and len(item) >= 3 and type(item[0]) is int and 0 <= item[0] <= SEQ_MASK
                and item[1] == seq and type(seq) is int and 0 <= seq <= SEQ_MASK and isinstance(item[2], str)):
            raise ValueError(f"agenda[{seq!r}]: an item of another form (expected [time, {seq!r}, kind, ...] with a time >= 0 "
                             "and a kind)")


def _pop_head(eng: Engine, heap: list[int]) -> list[Any]:
    """The ``ordered`` pick: the earliest item."""
    return eng.pop()


class Engine:
    """Runs a model over a world, one event per step."""

    def __init__(self, world: World, model: Model, log: EventLog | None = None) -> None:
        upgrade_world(world)    # a world of an older format (its agenda a heap-ordered list)
        # its top level, CPUs, contexts and irq descriptors as records (sim/rec.py): the hot paths
        # read their fields as slots (a model's ``bind`` does the same for every world it installs)
        self.w = world = as_world(world)
        self.model = model
        self.handlers = model.handlers
        self.log = log if log is not None else EventLog()
        self.hits = HitLog()
        self.choices = ChoiceLog()
        #: record the random policy's choices (a session that keeps no history does not)
        self.keep_choices = True
        # the hits and watched calls noted during the event ``_noted`` (see step_hits/step_calls)
        self._hits_now: list[Hit] = []
        self._calls_now: list[str] = []
        self._noted = -1
        self.cur = world.events
        self.fresh = True
        #: the agenda's order (derived from ``w["agenda"]``, see the module docstring): keys
        #: ``time << SEQ_BITS | seq``; lists are updated in place (hot loops bind them)
        self.heap: list[int] = []
        self.agenda: dict[int, list[Any]] = {}
        #: inside ``_ordered`` only: the key of a CPU's next step (requeued or woken) that is on the
        #: agenda but not yet on the heap (-1: none); ``NOT_HOLDING`` everywhere else, where every
        #: item is on the heap
        self.held = NOT_HOLDING
        #: silent polls run so far in the current step (``_polled``; 0 outside it)
        self.polls = 0
        self.sync_agenda()
        #: names of programs whose entry is a stop condition ("call <program>" breakpoints)
        self.call_watch: set[str] = set()
        # the log's hot-path pieces (its arrays and record table are never replaced)
        self.records = self.log.cache
        self._ids = self.log.ids
        self.ids_append = self.log.ids.append
        self.times_append = self.log.times.append
        self._string_ids = self.log.strings._ids
        #: the schedule hooks (``strategy.attach``): ``pick(engine, heap)`` chooses (and removes) the next item
        #: (None: ordered), ``jitter(engine, cost, action)`` varies a step's cost (None: none)
        self.pick: Callable[[Engine, list[int]], list[Any]] | None = None
        self.jitter: Callable[[Engine, int, int], int] | None = None
        self.plan: strategy.Plan | None = None
        self.trace = strategy.Trace()
        strategy.attach(self)

    # -- scheduling -------------------------------------------------------------------
    def sync_agenda(self) -> None:
        """Rebuild the agenda's heap from the world's items (after the world was replaced or
        patched in place: time travel, a restored checkpoint). Idempotent."""
        w: Any = self.w
        if type(w) is not WorldRec:     # (a plain dict world installed by hand: see _check_agenda)
            w = self.w = as_world(w)
        agenda = w.agenda
        self.agenda = agenda
        heap = self.heap
        heap[:] = [item[0] << SEQ_BITS | seq for seq, item in agenda.items()]
        heapq.heapify(heap)
        if self.held >= 0:  # (a step that held a key, then unscheduled): its item is on the heap now
            self.held = -1

    def _adopt_world(self) -> Any:
        """``eng.w`` was replaced by a plain dict world without installing it: make it a record
        (``sim/rec.py``) and re-bind the model to it, as an install does."""
        self.w = as_world(self.w)
        bind = getattr(self.model, "bind", None)
        if bind is not None:
            bind(self)
        return self.w

    def _check_agenda(self) -> None:
        """The heap must describe the world's agenda; a world installed without ``sync_agenda``
        (a caller that replaced ``eng.w`` by hand) is caught here, before a step runs; so is a world
        replaced by a plain dict (it becomes a record, ``sim/rec.py``; a model's ``bind`` does that
        for every world it installs)."""
        w: Any = self.w
        if type(w) is not WorldRec:
            w = self.w = as_world(w)
        agenda = w.agenda
        if agenda is not self.agenda or len(agenda) != len(self.heap):
            self.sync_agenda()

    def schedule(self, t: int, kind: str, *args: Any) -> None:
        w = self.w
        seq = w.seq
        w.seq = seq + 1
        self.agenda[seq] = [t, seq, kind, *args]
        heapq.heappush(self.heap, t << SEQ_BITS | seq)

    def requeue(self, item: list[Any], t: int) -> None:
        """Put an item that ran (and so left the agenda) back on it at time ``t`` with a new seq
        (a series' next signal, a CPU's next step: saves building a new item)."""
        w = self.w
        item[0] = t
        item[1] = seq = w.seq
        w.seq = seq + 1
        self.agenda[seq] = item
        heapq.heappush(self.heap, t << SEQ_BITS | seq)

    def unschedule(self, drop: Callable[[list[Any]], bool]) -> int:
        """Remove the items for which ``drop(item)`` holds (a CPU parked, a timer cancelled);
        returns how many. Rare: the heap is rebuilt."""
        agenda = self.agenda
        gone = [seq for seq, item in agenda.items() if drop(item)]
        for seq in gone:
            del agenda[seq]
        if gone:
            self.sync_agenda()
        return len(gone)

    def next_time(self) -> int | None:
        """The time of the earliest item on the agenda (None: empty)."""
        heap = self.heap
        return heap[0] >> SEQ_BITS if heap else None

    def pending(self) -> list[list[Any]]:
        """The agenda's items in the order they would run under ``ordered`` (time, seq)."""
        return [self.agenda[k & SEQ_MASK] for k in sorted(self.heap)]

    def pop(self) -> list[Any]:
        """Remove and return the earliest item (the caller moves the clock)."""
        return self.agenda.pop(heapq.heappop(self.heap) & SEQ_MASK)

    @property
    def now(self) -> int:
        return int(self.w.now)

    @property
    def ended(self) -> bool:
        return bool(self.w.ended)

    # -- one step ---------------------------------------------------------------------
    def step(self) -> bool:
        """Execute one event. Returns False (and does nothing) once the run has ended."""
        return self.advance(1) == 1

    def advance(self, n: int, stop_on_notes: bool = False, after: Callable[[], bool] | None = None) -> int:
        """Execute up to ``n`` events; returns how many ran. Fewer at the end of the run; with
        ``stop_on_notes``, right after an event that noted a hit or a watched call; and right
        after an event where ``after()`` (called after every event) returns true."""
        w = self.w
        if type(w) is not WorldRec:     # a plain dict world assigned by hand (not installed)
            w = self._adopt_world()
        if w.ended or n <= 0:
            return 0
        self._check_agenda()
        cur = w.events
        logged = len(self.log)
        if cur < logged:  # re-executing recorded history: nothing is emitted
            m = min(n, logged - cur)
            ran, halted = self._loop(m, False, stop_on_notes, after)
            if not halted and ran < n:  # on into new events
                ran += self._loop(n - ran, True, stop_on_notes, after)[0]
            return ran
        return self._loop(n, True, stop_on_notes, after)[0]

    def _loop(self, n: int, fresh: bool, stop_on_notes: bool, after: Callable[[], bool] | None) -> tuple[int, bool]:
        """``advance`` over events that are all new (``fresh``: each must emit exactly one event)
        or all recorded already. Returns how many ran and whether it stopped before ``n``."""
        w = self.w
        ids = self._ids
        logged = len(ids)
        handlers = self.handlers
        heap = self.heap
        hook = self.pick
        start = cur = w.events
        end = cur + n
        now = w.now
        watch = stop_on_notes or after is not None
        self.fresh = fresh
        if hook is None and after is None:
            return self._ordered(cur, end, fresh, stop_on_notes)
        pick = partial(_pop_head, self) if hook is None else partial(hook, self)
        while cur < end:
            cur += 1
            self.cur = cur
            if heap:
                t = heap[0] >> SEQ_BITS
                if t > now:
                    w.now = now = t
                if handlers[(item := pick(heap))[2]](self, item):
                    self._polled()      # a silent poll (``quiet_poll``): a later item's event is this step's
                # a policy may run a later item than the earliest (pct/delay/random within their
                # window): ``_take`` moved the clock to it, and the earlier items now run at that
                # time, never back at their own -- the same whether the run goes one event per
                # ``advance`` or many
                now = w.now
                ended = False
            else:
                self.model.finish(self)
                ended = w.ended
            if fresh:
                logged += 1
                if len(ids) != logged:
                    raise EngineError(f"step {cur} emitted {len(ids) - logged + 1} events (expected exactly 1)")
            w.events = cur
            if ended or (watch and ((stop_on_notes and self._noted == cur) or (after and after()))):
                return cur - start, True
        return cur - start, False

    def _ordered(self, cur: int, end: int, fresh: bool, stop_on_notes: bool) -> tuple[int, bool]:
        """``_loop`` for the ordered policy with no ``after`` test (every headless run, most
        stepping): the agenda's earliest item runs; the same steps and checks, fewer of them per
        event. ``w["events"]`` is brought up to date when the loop leaves (normally or not), which
        nothing inside a step reads."""
        w = self.w
        ids = self._ids
        handlers = self.handlers
        heap = self.heap
        agenda = self.agenda
        pop, pushpop = heapq.heappop, heapq.heappushpop
        start = cur
        now = w.now
        # with fresh steps, after event ``cur`` the log holds ``cur - gap`` events
        gap = cur - len(ids)
        self.held = -1
        try:
            for cur in range(start + 1, end + 1):     # (the loop leaves ``cur`` at the last step run)
                self.cur = cur
                if (key := self.held) >= 0:
                    # a CPU's next step, held back by ``on_cpu`` at the end of the last step: pushed
                    # and popped at once (heappushpop returns it untouched when it is due first)
                    self.held = -1
                    key = pushpop(heap, key)
                elif heap:
                    key = pop(heap)
                else:
                    self.model.finish(self)
                    if fresh and len(ids) + gap != cur:
                        raise EngineError(f"step {cur} emitted {len(ids) + gap - cur + 1} events (expected exactly 1)")
                    if w.ended or (stop_on_notes and self._noted == cur):
                        w.events = cur
                        return cur - start, True
                    continue
                item = agenda.pop(key & SEQ_MASK)
                if (t := item[0]) > now:
                    w.now = now = t
                if handlers[item[2]](self, item):   # a silent poll: this step's event is a later item's
                    now = self._polled()
                if fresh and len(ids) + gap != cur:
                    raise EngineError(f"step {cur} emitted {len(ids) + gap - cur + 1} events (expected exactly 1)")
                if stop_on_notes and self._noted == cur:
                    w.events = cur
                    return cur - start, True
        except BaseException:
            w.events = cur - 1   # the step that raised did not complete
            raise
        finally:    # every reader of the heap outside this loop sees every item of the agenda on it
            key = self.held
            self.held = NOT_HOLDING
            if key >= 0:
                heapq.heappush(heap, key)
        w.events = cur
        return cur - start, False

    def _polled(self) -> int:
        """A handler ran a silent poll (returned True): run the agenda's next items, as the loop
        would (the earliest; a CPU's held step first if it is due first), until one emits this step's
        event: under the ordered policy the agenda's earliest (``_ordered``'s order), under a strategy
        the item its ``pick`` chooses -- the same pick, with the same draws and counts, that the loop
        would have made for the next event, so a run's choices are those it made when every poll
        was an event. Returns the clock."""
        w = self.w
        heap = self.heap
        agenda = self.agenda
        handlers = self.handlers
        self.polls += 1     # (a strategy's batch of polls counted its own: ``Ctx.spin``)
        pick = self.pick
        try:
            while pick is not None:     # a strategy's loop (``_loop``): its pick chooses, as there
                if not heap:
                    raise EngineError("a silent poll left the agenda empty")
                if (t := heap[0] >> SEQ_BITS) > w["now"]:
                    w["now"] = t
                item = pick(self, heap)
                if not handlers[item[2]](self, item):
                    return int(w["now"])
                self.polls += 1
            while True:
                key = self.held
                if key >= 0:
                    self.held = -1
                    key = heapq.heappushpop(heap, key)
                elif heap:
                    key = heapq.heappop(heap)
                else:
                    raise EngineError("a silent poll left the agenda empty")
                item = agenda.pop(key & SEQ_MASK)
                if item[0] > w.now:
                    w.now = item[0]
                if not handlers[item[2]](self, item):
                    return int(w.now)
                self.polls += 1
        finally:
            self.polls = 0

    def quiet_poll(self) -> bool:
        """May a spin wait's poll that finds its condition unchanged run without an event (its
        handler then returns True)? Under every policy without jitter (jitter keys its draws by the
        step, ``strategy._jitter``), at most ``POLL_CAP`` in a row. Under a strategy (random, pct,
        delay, a replayed plan, the baseline's count) the poll is still picked as before -- the
        strategy's draws, its choice-point count and each context's step count (what a plan's
        deviations are keyed by) are the same -- only its event is gone; and each poll is picked
        on its own (``Ctx.spin`` skips polls ahead only under ``ordered``, where nothing is picked)."""
        return self.jitter is None and self.polls < POLL_CAP

    # -- what steps call ------------------------------------------------------------------
    def emit(self, kind: int, cpu: int = -1, dev: str | None = None, a: int = 0, b: int = 0, c: int = 0) -> None:
        """Record the event of the current step (skipped when re-executing known history)."""
        if self.fresh:
            key = (kind, cpu, dev, a, b, c)
            try:    # (see Ctx.ev)
                rid = self.records[key]
            except KeyError:
                rid = self.log.record(key)
            self.ids_append(rid)
            self.times_append(self.w.now)

    def s(self, text: str) -> int:
        """Intern a string for a STR event field."""
        i = self._string_ids.get(text)     # (StringTable.intern's common case: a string seen before)
        return self.log.strings.intern(text) if i is None else i

    def hit(self, name: str, detail: str) -> None:
        """The model detected a semantic condition (a built-in breakpoint) at this event."""
        h = Hit(self.cur, self.w.now, name, detail)
        if self._noted != self.cur:
            self._note()
        self._hits_now.append(h)
        if self.fresh:
            self.hits.add(h.event, h.time_ns, name, detail)

    def entered(self, prog: str) -> None:
        if prog in self.call_watch:
            if self._noted != self.cur:
                self._note()
            self._calls_now.append(prog)

    def _note(self) -> None:
        self._hits_now = []
        self._calls_now = []
        self._noted = self.cur

    @property
    def step_hits(self) -> list[Hit]:
        """The hits the model noted during the event just executed."""
        return self._hits_now if self._noted == self.cur else []

    @property
    def step_calls(self) -> list[str]:
        """The watched programs (``call_watch``) entered during the event just executed."""
        return self._calls_now if self._noted == self.cur else []

    def forget_notes(self) -> None:
        """The world was replaced: nothing was noted at its event yet."""
        self._noted = -1

    # -- loops --------------------------------------------------------------------------
    def run_sync(self, max_events: int | None = None, stop_on: set[str] | None = None) -> str:
        """Step until the end, ``max_events`` more events, or a hit named in ``stop_on``.

        Returns the stop reason: ``end``, ``limit`` or ``breakpoint``.
        """
        budget = -1 if max_events is None else max_events
        while budget != 0:
            n = 4096 if budget < 0 else min(budget, 4096)
            done = self.advance(n, stop_on is not None)
            self.log.trim()
            if budget > 0:
                budget -= done
            if stop_on and self.step_hits and any(h.name in stop_on for h in self.step_hits):
                return "breakpoint"
            if self.w.ended and done < n:
                return "end"
        return "end" if self.w.ended else "limit"

    async def run(
        self,
        until: int | None = None,
        max_events: int | None = None,
        stop: Callable[[Engine], bool] | None = None,
        slice_s: float = 0.008,
    ) -> str:
        """Step in batches, yielding to the asyncio loop every ``slice_s`` seconds.

        Stops at the end (``end``), before the first event later than virtual time
        ``until`` (``until``), after ``max_events`` (``limit``) or when ``stop(engine)``
        returns true after a step (``breakpoint``). Cancelling the task stops it between
        two events, leaving a consistent world.
        """
        import asyncio  # only here: the engine's hot paths and headless runs never load asyncio

        done = 0
        while True:
            deadline = _time.perf_counter() + slice_s
            while True:
                if max_events is not None and done >= max_events:
                    return "limit"
                heap = self.heap
                if until is not None and heap and heap[0] >> SEQ_BITS > until:
                    return "until"
                if not self.step():
                    return "end"
                done += 1
                if stop is not None and stop(self):
                    return "breakpoint"
                if (done & 63) == 0 and _time.perf_counter() > deadline:
                    break
            await asyncio.sleep(0)
