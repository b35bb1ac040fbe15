"""Helpers for the mechanism tests: step an engine to an event, inject a signal, find an irq."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msidbg.model import new_engine
from msidbg.sim.events import Event
from msidbg.sim.scheduler import Engine
from tests.conftest import scenario

MAX_STEPS = 200_000


def engine(text: str) -> Engine:
    return new_engine(scenario(text))


def step(eng: Engine) -> Event:
    """One engine step; the event it emitted (every step emits exactly one)."""
    assert eng.step(), "the run ended"
    return eng.log.event(eng.cur)


def until(eng: Engine, pred: Callable[[Event], bool]) -> Event:
    """Step until an event satisfies ``pred``; return it (fails if the run ends first)."""
    for _ in range(MAX_STEPS):
        e = step(eng)
        if pred(e):
            return e
    raise AssertionError("no such event within the step limit")


def finish(eng: Engine) -> Engine:
    while eng.step():
        pass
    return eng


def inject(eng: Engine, dev: str, idx: int = 0) -> None:
    """The device signals ``idx`` now (before any CPU's next step): a signal that races into
    whatever window the engine is stopped in."""
    eng.schedule(eng.now, "fire", dev, idx, 1, 0)


def desc_of(eng: Engine, dev: str, index: int = 0) -> dict[str, Any]:
    return next(d for d in eng.w["irqs"].values() if d["dev"] == dev and d["index"] == index)


def evs(eng: Engine, kind: str, dev: str | None = None, since: int = 1) -> list[Event]:
    out = []
    for i in range(since, len(eng.log) + 1):
        e = eng.log.event(i)
        if e.kind == kind and (dev is None or e.dev == dev):
            out.append(e)
    return out


def is_(kind: str, dev: str | None = None, **fields: Any) -> Callable[[Event], bool]:
    """Predicate: an event of ``kind`` (from ``dev``) whose fields match ``fields``."""
    def pred(e: Event) -> bool:
        if e.kind != kind or (dev is not None and e.dev != dev):
            return False
        return all((e.cpu if k == "cpu" else e.fields.get(k)) == v for k, v in fields.items())
    return pred
