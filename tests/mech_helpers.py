"""Helpers for the mechanism tests: step an engine to an event, inject a signal, find an irq.

The mechanism tests describe the era of the cleanup IPI (before 6.6) with 6f1a4891a592's
update of non-maskable MSI: ``engine`` pins those two switches explicitly unless the scenario
sets them (``pin``). The timer cleanup and the later msi_set_affinity modes have their own tests.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

from msidbg.model import new_engine
from msidbg.sim.events import Event
from msidbg.sim.scheduler import Engine
from tests.conftest import scenario

MAX_STEPS = 200_000


#: the era the mechanism tests are written for (explicit switches win over the default): the IPI cleanup
#: (before 6.6), so also the matrix ending at LOCAL_TIMER_VECTOR 0xec (before 6.10: posted_msi_vector false),
#: and handle_edge_irq's IRQS_PENDING + mask_ack_irq on the new target of a move (before 8d39d6ec4db5, 6.17:
#: edge_wait_new_target false; kernel30)
MECH_ERA = {"vector_cleanup": "ipi", "msi_affinity_update": "plug-race", "posted_msi_vector": False,
            "edge_wait_new_target": False}


def pin(text: str, **switches: str) -> str:
    """``text`` with ``switches`` added to its top-level ``kernel:`` mapping (flow style) unless
    the scenario sets them already; a ``kernel:`` line is added after ``cpus:`` if there is none."""
    if not switches:
        return text
    lines = textwrap.dedent(text).split("\n")
    for i, line in enumerate(lines):
        if line.startswith("kernel:"):
            body = line[len("kernel:"):].strip()
            assert body.startswith("{") and body.endswith("}"), "pin() needs a flow-style kernel: mapping"
            inner = body[1:-1].strip()
            extra = [f"{k}: {v}" for k, v in switches.items() if f"{k}:" not in inner]
            lines[i] = "kernel: {" + ", ".join(x for x in [inner, *extra] if x) + "}"
            return "\n".join(lines)
    at = next(i for i, line in enumerate(lines) if line.startswith(("cpus:", "name:")))
    lines.insert(at + 1, "kernel: {" + ", ".join(f"{k}: {v}" for k, v in switches.items()) + "}")
    return "\n".join(lines)


def engine(text: str, era: dict[str, str] | None = None) -> Engine:
    """An engine for ``text``, pinned to ``era`` (default: ``MECH_ERA``; ``{}`` for none)."""
    return new_engine(scenario(pin(text, **(MECH_ERA if era is None else era))))


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


# --- the notes of a pre-5.17 unserialised or repeated enable (kernel33, kernel35) ---------------------------------
#: the second set-up's populate_msi_sysfs, which another enable's msi_irqs group makes fail
EEXIST = "populate_msi_sysfs: sysfs: cannot create duplicate filename '.../msi_irqs' (another enable made it): -EEXIST"


def leak_note(pos: int, entry: int, irq: int) -> str:
    """msi_domain_alloc_irqs finding descriptor ``pos`` (table entry ``entry``) with irq ``irq`` already: it leaks."""
    return (f"msi_domain_alloc_irqs: descriptor {pos} on the list (entry {entry}) has irq {irq} already: it gets a "
            f"new one and irq {irq} leaks")

