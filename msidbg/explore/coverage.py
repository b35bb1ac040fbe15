"""What an exploration exercised: conditions, programs and steps, Xen operations, orders.

* **conditions**: the built-in breakpoint names the model detected in any run (armed or not).
* **programs / steps**: which kernel and QEMU programs ran, and which of their steps. Counted by
  wrapping every registered step function while an exploration runs in this process
  (``instrumented()``); the engine itself is not touched.
* **xen**: the hypervisor's operations seen (hypercalls by name, pirq and interrupt work).
* **orders**: distinct orders of steps from different contexts touching the same state: for
  every event that touches a device, an irq or a pirq that the previous toucher -- another
  context (a CPU, or the platform: devices, QEMU, Xen) -- also touched, the pair (what the
  other did, what this one does) on that kind of state. A new pair is an interleaving not seen
  before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from msidbg.sim.events import STR, all_kinds
from msidbg.sim.program import PROGRAMS, StepFn

Order = tuple[str, str, str]
_seen: set[tuple[str, int]] = set()
_originals: dict[str, list[StepFn]] = {}


@contextmanager
def instrumented() -> Iterator[None]:
    """Count the steps that run (in this process) while inside the block."""
    if _originals:  # already installed (nested)
        yield
        return
    for name, prog in PROGRAMS.items():
        _originals[name] = list(prog.steps)
        prog.steps[:] = [_wrap(fn, (name, i)) for i, fn in enumerate(prog.steps)]
    try:
        yield
    finally:
        for name, steps in _originals.items():
            PROGRAMS[name].steps[:] = steps
        _originals.clear()


def _wrap(fn: StepFn, key: tuple[str, int]) -> StepFn:
    add = _seen.add

    def counted(k: Any, loc: dict[str, Any]) -> None:
        add(key)
        fn(k, loc)
    return counted


def layer(prog: str) -> str | None:
    """kernel or qemu: which code a program models (by the module that defines it); None for a
    scenario's own instrumentation (``probes:``), which models no upstream code."""
    steps = _originals.get(prog) or PROGRAMS[prog].steps
    module = getattr(steps[0], "__module__", "") if steps else ""
    if module == "msidbg.model.probes":
        return None
    return "qemu" if module.startswith("msidbg.model.qemu") else "kernel"


@dataclass(frozen=True)
class RunCoverage:
    conditions: frozenset[str] = frozenset()
    steps: frozenset[tuple[str, int]] = frozenset()
    xen: frozenset[str] = frozenset()
    orders: frozenset[Order] = frozenset()


def begin_run() -> None:
    _seen.clear()


def end_run(eng: Any) -> RunCoverage:
    xen, orders = _from_log(eng.log)
    return RunCoverage(frozenset(h.name for h in eng.hits), frozenset(_seen), frozenset(xen), frozenset(orders))


def _kind_table() -> list[tuple[str, list[tuple[int, str]], int]]:
    """Per event kind: its name, its (column, state kind) for irq/pirq fields, the STR column
    that refines its label (a kernel note's program, a hypercall's name), or -1."""
    table = []
    for k in all_kinds():
        objs = [(4 + i, name) for i, (name, _) in enumerate(k.fields) if name in ("irq", "pirq")]
        refine = -1
        if k.name in ("kernel", "xen.hypercall") and k.fields and k.fields[0][1] == STR:
            refine = 4
        table.append((k.name, objs, refine))
    return table


def _from_log(log: Any) -> tuple[set[str], set[Order]]:
    table = _kind_table()
    strings = log.strings.strings
    raw = log.raw
    last: dict[tuple[str, int], tuple[int, str]] = {}
    orders: set[Order] = set()
    xen: set[str] = set()
    for i in range(1, len(log) + 1):
        row = raw(i)  # time, kind, cpu, dev, a, b, c
        name, objs, refine = table[row[1]]
        dev = row[3]
        if dev < 0 and not objs and not name.startswith("xen."):
            continue
        label = f"{name}:{strings[row[refine]]}" if refine >= 0 else name
        if name.startswith("xen."):
            xen.add(label)
        cpu = row[2]
        touched = [("dev", dev)] if dev >= 0 else []
        for col, what in objs:
            if row[col] >= 0:
                touched.append((what, row[col]))
        for obj in touched:
            prev = last.get(obj)
            if prev is not None and prev[0] != cpu:
                orders.add((obj[0], prev[1], label))
            last[obj] = (cpu, label)
    return xen, orders


@dataclass
class Coverage:
    """The union over an exploration's runs (merged in run order)."""

    conditions: set[str] = field(default_factory=set)
    steps: set[tuple[str, int]] = field(default_factory=set)
    xen: set[str] = field(default_factory=set)
    orders: set[Order] = field(default_factory=set)

    def add(self, c: RunCoverage) -> bool:
        """Merge one run's coverage; True when it saw something new."""
        before = self.size()
        self.conditions |= c.conditions
        self.steps |= c.steps
        self.xen |= c.xen
        self.orders |= c.orders
        return self.size() != before

    def size(self) -> tuple[int, int, int, int]:
        return len(self.conditions), len(self.steps), len(self.xen), len(self.orders)

    def brief(self) -> str:
        programs = len({p for p, _ in self.steps})
        return f"{programs} programs, {len(self.steps)} steps, {len(self.orders)} orders"

    def as_json(self) -> dict[str, Any]:
        run: dict[str, set[str]] = {"kernel": set(), "qemu": set()}
        steps = {"kernel": 0, "qemu": 0}
        total_steps = {"kernel": 0, "qemu": 0}
        total_progs = {"kernel": 0, "qemu": 0}
        for prog in PROGRAMS:
            if (lay := layer(prog)) is not None:
                total_progs[lay] += 1
                total_steps[lay] += len(PROGRAMS[prog].steps)
        for prog, _ in self.steps:
            if (lay := layer(prog)) is not None:
                run[lay].add(prog)
                steps[lay] += 1
        return {
            "conditions": sorted(self.conditions),
            "programs": {lay: {"run": len(run[lay]), "total": total_progs[lay], "names": sorted(run[lay])}
                         for lay in ("kernel", "qemu")},
            "steps": {lay: {"run": steps[lay], "total": total_steps[lay]} for lay in ("kernel", "qemu")},
            "xen": {"run": len(self.xen), "names": sorted(self.xen)},
            "orders": len(self.orders),
        }
