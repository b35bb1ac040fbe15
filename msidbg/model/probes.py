"""Probes (``probes:`` in a scenario, docs/scenario.md): an action run by the guest context that
reaches a step of a kernel program -- the instrumentation a kernel developer adds with printk
and an extra hypercall, or a device signal placed exactly inside a window.

A probe names ``program`` (entry) or ``program.step``; ``before`` runs it just before that step,
``after`` right after the step's own action (if the step called another program, before the
callee runs; if it returned, in the caller's frame). The action is a frame of
``scenario_probe`` pushed on the context's stack, so it is one step with its own event, it
shows in the call stack, and snapshots and replays carry it like any other frame. Probes run
in guest CPU contexts only (not in QEMU's).

World (only when the scenario has probes): ``w["probes"]`` = program -> list of ``[pc, when, do, args, dev, if_dev, remaining, at]``
(``remaining`` -1 = unlimited). A frame about to run a step whose before-probe fired carries
``_probed`` = that pc until the step has run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from msidbg.errors import ScenarioError
from msidbg.model import cite
from msidbg.sim.program import PROGRAMS, new_frame, program

if TYPE_CHECKING:
    from msidbg.scenario import Scenario

World = Any     # a world record (sim/rec.py WorldRec)
#: programs that run in QEMU's context, not a guest CPU's (a probe there would never fire)
NOT_GUEST: set[str] = set()
#: probe action -> function(k, args, dev) that performs it and emits the step's event
ACTIONS: dict[str, Any] = {}



def check(scn: Scenario) -> None:
    """Every probe names a guest program and one of its steps (a one-line error at its line)."""
    if any(p.prog not in PROGRAMS for p in scn.probes):
        from msidbg.model.platforms import load_all
        load_all()      # (a program of the Xen side, imported on first use)
    for i, p in enumerate(scn.probes):
        where = f"probes[{i}].at"
        prog = PROGRAMS.get(p.prog)
        if prog is None or p.prog in NOT_GUEST or p.prog == PROBE_PROGRAM:
            guest = sorted(n for n in PROGRAMS if n not in NOT_GUEST and n != PROBE_PROGRAM)
            what = (f"{p.prog!r} runs in QEMU's context (expected a guest kernel program)" if p.prog in NOT_GUEST
                    else f"unknown kernel program {p.prog!r} (expected one of: {', '.join(guest)})")
            raise ScenarioError(f"{where}: {what}", scn.path, p.line or None)
        if p.step is not None and p.step not in prog.labels:
            what = f"{p.prog} has no step {p.step!r} (expected one of: {', '.join(prog.labels)})"
            raise ScenarioError(f"{where}: {what}", scn.path, p.line or None)


def build(scn: Scenario, w: World) -> None:
    """``w["probes"]``, only when the scenario has probes (a world without them is unchanged)."""
    check(scn)
    if not scn.probes:
        return
    table: dict[str, list[list[Any]]] = {}
    for p in scn.probes:
        pc = PROGRAMS[p.prog].labels[p.step] if p.step is not None else 0
        at = p.prog + (f".{p.step}" if p.step else "")
        table.setdefault(p.prog, []).append(
            [pc, p.when, p.do, dict(p.args), p.dev, p.if_dev, p.times or -1, at])
    w["probes"] = table


def _frame_dev(w: World, loc: dict[str, Any]) -> str | None:
    dev = loc.get("dev")
    if dev is None and "irq" in loc:
        desc = w["irqs"].get(loc["irq"])
        dev = desc["dev"] if desc else None
    return dev


def _due(w: World, frame: dict[str, Any], pc: int, when: str) -> list[Any] | None:
    for probe in w["probes"].get(frame["prog"], ()):
        if probe[0] != pc or probe[1] != when or probe[6] == 0:
            continue
        if probe[5] is not None and _frame_dev(w, frame["locals"]) != probe[5]:
            continue
        return probe
    return None


def _push(w: World, ctx: dict[str, Any], probe: list[Any], frame: dict[str, Any], rv: Any = 0) -> None:
    """The probe's frame; its events name the probe's device, or else the probed frame's."""
    if probe[6] > 0:
        probe[6] -= 1
    dev = probe[4] if probe[4] is not None else _frame_dev(w, frame["locals"])
    ctx["stack"].append(new_frame(PROBE_PROGRAM, {"probe": probe[7], "do": probe[2], "args": probe[3],
                                                  "dev": dev, "rv": rv}))


def before(w: World, ctx: dict[str, Any]) -> bool:
    """Called before the top frame's next step: push a due before-probe (True if one was pushed)."""
    frame = ctx["stack"][-1]
    if frame["prog"] not in w["probes"] or frame["locals"].get("_probed") == frame["pc"]:
        return False
    probe = _due(w, frame, frame["pc"], "before")
    if probe is None:
        return False
    frame["locals"]["_probed"] = frame["pc"]
    _push(w, ctx, probe, frame)
    return True


def after(w: World, ctx: dict[str, Any], frame: dict[str, Any], pc: int, popped: list[Any]) -> None:
    """Called after ``frame`` ran its step ``pc``: clear the before-mark, push a due after-probe."""
    frame["locals"].pop("_probed", None)
    probe = _due(w, frame, pc, "after") if frame["prog"] in w["probes"] else None
    if probe is not None:
        _push(w, ctx, probe, frame, popped[-1] if popped and not ctx["stack"] else 0)


PROBE_PROGRAM = "scenario_probe"
SEED_003 = cite.Source("LKML/xen-devel 2017-01-10 (seed 003)", "Dan Streetman's instrumented run",
                       "drivers/xen/events/events_base.c (patched)", "get_free_pirq around the close in shutdown_pirq",
                       "instrumentation")
_probe = program(PROBE_PROGRAM, "a probe's action, run where the probed program reached its step", source=SEED_003)


@_probe.step
def act(k: Any, loc: dict[str, Any]) -> None:
    ACTIONS[loc["do"]](k, loc["args"], loc["dev"], loc["probe"])


def _fire(k: Any, args: dict[str, Any], dev: str, at: str) -> None:
    """The device starts signalling now, as a ``fire`` action at this instant would."""
    k.eng.schedule(k.w["now"], "fire", dev, args["vector"], args["count"], args["every_ns"])
    k.note(f"probe at {at}: {dev} signals vector {args['vector']}", args["count"], dev)


ACTIONS["fire"] = _fire
