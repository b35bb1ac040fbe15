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

import asyncio
import heapq
import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from . import strategy
from .events import EventLog
from .strategy import rand64
from .world import World


class Model(Protocol):
    handlers: dict[str, Callable[[Engine, list[Any]], None]]

    def finish(self, eng: Engine) -> None: ...


@dataclass(frozen=True, slots=True)
class Hit:
    """A semantic condition the model detected (a built-in breakpoint name) at an event."""

    event: int
    time_ns: int
    name: str
    detail: str


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
        self.hits: list[Hit] = []
        self.choices: dict[int, int] = {}
        self.step_hits: list[Hit] = []
        self._dev_ids: dict[str, int] = {}
        self.cur = world["events"]
        self.fresh = True
        #: names of programs whose entry is a stop condition ("call <program>" breakpoints)
        self.call_watch: set[str] = set()
        #: programs entered during the current step (only those in call_watch)
        self.step_calls: list[str] = []
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
        w = self.w
        if w["ended"]:
            return False
        self.cur = cur = w["events"] + 1
        data = self.log.data
        before = len(data)
        self.fresh = fresh = cur * 7 > before
        if self.step_hits:
            self.step_hits = []
        if self.step_calls:
            self.step_calls = []
        agenda = w["agenda"]
        if not agenda:
            self.model.finish(self)
        else:
            t = agenda[0][0]
            if t > w["now"]:
                w["now"] = t
            pick = self.pick
            item = heapq.heappop(agenda) if pick is None else pick(self, agenda)
            self.handlers[item[2]](self, item)
        if fresh and len(data) != before + 7:
            raise EngineError(f"step {cur} emitted {(len(data) - before) // 7} events (expected exactly 1)")
        w["events"] = cur
        return True

    # -- what steps call ------------------------------------------------------------------
    def emit(self, kind: int, cpu: int = -1, dev: str | None = None, a: int = 0, b: int = 0, c: int = 0) -> None:
        """Record the event of the current step (skipped when re-executing known history)."""
        if self.fresh:
            if dev is None:
                d = -1
            else:
                d = self._dev_ids.get(dev, -1)
                if d < 0:
                    d = self._dev_ids[dev] = self.log.strings.intern(dev)
            self.log.data.extend((self.w["now"], kind, cpu, d, a, b, c))

    def s(self, text: str) -> int:
        """Intern a string for a STR event field."""
        return self.log.strings.intern(text)

    def hit(self, name: str, detail: str) -> None:
        """The model detected a semantic condition (a built-in breakpoint) at this event."""
        h = Hit(self.cur, self.w["now"], name, detail)
        self.step_hits.append(h)
        if self.fresh:
            self.hits.append(h)

    def entered(self, prog: str) -> None:
        if prog in self.call_watch:
            self.step_calls.append(prog)

    # -- loops --------------------------------------------------------------------------
    def run_sync(self, max_events: int | None = None, stop_on: set[str] | None = None) -> str:
        """Step until the end, ``max_events`` more events, or a hit named in ``stop_on``.

        Returns the stop reason: ``end``, ``limit`` or ``breakpoint``.
        """
        step = self.step
        budget = -1 if max_events is None else max_events
        while budget != 0:
            if not step():
                return "end"
            budget -= 1
            if stop_on and self.step_hits and any(h.name in stop_on for h in self.step_hits):
                return "breakpoint"
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
