"""The deterministic step loop: agenda, virtual clock, policies, recorded choices.

The agenda is a binary heap of plain lists ``[time_ns, seq, kind, *args]`` stored in the
world (so pending device signals and CPU wake-ups are part of every snapshot). An item is
*enabled* when its time is <= now; the clock jumps to the next item only when nothing is
enabled. ``seq`` makes equal times resolve in insertion order, so ``ordered`` is a stable
FIFO-by-time policy. Every other policy is a ``pick`` hook from ``strategy.py`` (random, pct,
delay, or a replayed plan) that chooses among the options with the world's own seeded generator;
every choice among several options is recorded.

The engine knows nothing about interrupts: a model hands it ``handlers`` (agenda kind ->
function) and ``finish`` (called once when the agenda is empty). Each step must emit
exactly one event.
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
from .strategy import rand64
from .world import World


class Model(Protocol):
    handlers: dict[str, Callable[[Engine, list[Any]], None]]

    def finish(self, eng: Engine) -> None: ...


class EngineError(RuntimeError):
    """A model broke an engine invariant (a bug in msidbg, never a user error)."""


__all__ = ["Engine", "EngineError", "Hit", "Model", "rand64"]


class Engine:
    """Runs a model over a world, one event per step."""

    def __init__(self, world: World, model: Model, log: EventLog | None = None) -> None:
        self.w = world
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
        self.cur = world["events"]
        self.fresh = True
        #: names of programs whose entry is a stop condition ("call <program>" breakpoints)
        self.call_watch: set[str] = set()
        # the log's hot-path pieces (its arrays and record table are never replaced)
        self.records = self.log.cache
        self._ids = self.log.ids
        self.ids_append = self.log.ids.append
        self.times_append = self.log.times.append
        #: the schedule hooks (``strategy.attach``): ``pick(engine, agenda)`` chooses the next item
        #: (None: ordered), ``jitter(engine, cost, action)`` varies a step's cost (None: none)
        self.pick: Callable[[Engine, list[list[Any]]], list[Any]] | None = None
        self.jitter: Callable[[Engine, int, int], int] | None = None
        self.plan: strategy.Plan | None = None
        self.trace = strategy.Trace()
        strategy.attach(self)

    # -- scheduling -------------------------------------------------------------------
    def schedule(self, t: int, kind: str, *args: Any) -> None:
        w = self.w
        seq = w["seq"]
        w["seq"] = seq + 1
        heapq.heappush(w["agenda"], [t, seq, kind, *args])

    @property
    def now(self) -> int:
        return int(self.w["now"])

    @property
    def ended(self) -> bool:
        return bool(self.w["ended"])

    # -- one step ---------------------------------------------------------------------
    def step(self) -> bool:
        """Execute one event. Returns False (and does nothing) once the run has ended."""
        return self.advance(1) == 1

    def advance(self, n: int, stop_on_notes: bool = False, after: Callable[[], bool] | None = None) -> int:
        """Execute up to ``n`` events; returns how many ran. Fewer at the end of the run; with
        ``stop_on_notes``, right after an event that noted a hit or a watched call; and right
        after an event where ``after()`` (called after every event) returns true."""
        w = self.w
        if w["ended"] or n <= 0:
            return 0
        cur = w["events"]
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
        agenda = w["agenda"]
        hook = self.pick
        start = cur = w["events"]
        end = cur + n
        now = w["now"]
        watch = stop_on_notes or after is not None
        self.fresh = fresh
        if hook is None and after is None:
            return self._ordered(cur, end, fresh, stop_on_notes)
        pick = heapq.heappop if hook is None else partial(hook, self)
        while cur < end:
            cur += 1
            self.cur = cur
            if agenda:
                t = agenda[0][0]
                if t > now:
                    w["now"] = now = t
                handlers[(item := pick(agenda))[2]](self, item)
                ended = False
            else:
                self.model.finish(self)
                ended = w["ended"]
            if fresh:
                logged += 1
                if len(ids) != logged:
                    raise EngineError(f"step {cur} emitted {len(ids) - logged + 1} events (expected exactly 1)")
            w["events"] = cur
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
        agenda = w["agenda"]
        pop = heapq.heappop
        start = cur
        now = w["now"]
        # with fresh steps, after event ``cur`` the log holds ``cur - gap`` events
        gap = cur - len(ids)
        try:
            while cur < end:
                cur += 1
                self.cur = cur
                if agenda:
                    item = pop(agenda)
                    if item[0] > now:
                        w["now"] = now = item[0]
                    handlers[item[2]](self, item)
                    if fresh and len(ids) + gap != cur:
                        raise EngineError(f"step {cur} emitted {len(ids) + gap - cur + 1} events (expected exactly 1)")
                    if stop_on_notes and self._noted == cur:
                        w["events"] = cur
                        return cur - start, True
                else:
                    self.model.finish(self)
                    if fresh and len(ids) + gap != cur:
                        raise EngineError(f"step {cur} emitted {len(ids) + gap - cur + 1} events (expected exactly 1)")
                    if w["ended"] or (stop_on_notes and self._noted == cur):
                        w["events"] = cur
                        return cur - start, True
        except BaseException:
            w["events"] = cur - 1   # the step that raised did not complete
            raise
        w["events"] = cur
        return cur - start, False

    # -- what steps call ------------------------------------------------------------------
    def emit(self, kind: int, cpu: int = -1, dev: str | None = None, a: int = 0, b: int = 0, c: int = 0) -> None:
        """Record the event of the current step (skipped when re-executing known history)."""
        if self.fresh:
            key = (kind, cpu, dev, a, b, c)
            rid = self.records.get(key)
            if rid is None:
                rid = self.log.record(key)
            self.ids_append(rid)
            self.times_append(self.w["now"])

    def s(self, text: str) -> int:
        """Intern a string for a STR event field."""
        return self.log.strings.intern(text)

    def hit(self, name: str, detail: str) -> None:
        """The model detected a semantic condition (a built-in breakpoint) at this event."""
        h = Hit(self.cur, self.w["now"], name, detail)
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
            if self.w["ended"] and done < n:
                return "end"
        return "end" if self.w["ended"] else "limit"

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
                agenda = self.w["agenda"]
                if until is not None and agenda and agenda[0][0] > until:
                    return "until"
                if not self.step():
                    return "end"
                done += 1
                if stop is not None and stop(self):
                    return "breakpoint"
                if (done & 63) == 0 and _time.perf_counter() > deadline:
                    break
            await asyncio.sleep(0)
