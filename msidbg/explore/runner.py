"""One exploration run: a scenario under a schedule, to its first failure or its end.

A run *fails* when an armed breakpoint fires (the scenario's ``breakpoints:`` plus ``--until``
specs, any breakpoint form) -- it stops at that event -- or, at the end, when the file's
``expect:`` block does not match. Its *signature* is (breakpoint name, device, the program on
top of the stack that ran the failing event): the unit failures are grouped and shrunk by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from msidbg.debugger import breakpoints as bpmod
from msidbg.debugger.breakpoints import Breakpoint, BreakpointError, Checker
from msidbg.debugger.summary import compare, not_started, vector_rows
from msidbg.errors import MsidbgError
from msidbg.explore import coverage
from msidbg.model import new_engine
from msidbg.scenario import Scenario
from msidbg.sim.strategy import Plan, Schedule

#: a run that has not ended after this many events is cut off (it passes, unless its ``expect:`` names
#: ``not_started``: ``summary.compare``)
MAX_EVENTS = 5_000_000
#: events per ``Engine.advance`` call (a run stops inside a batch at the event that fails)
BATCH = 4096
_NO_FRAME: dict[str, Any] = {}


@dataclass(frozen=True)
class Signature:
    """What groups failures: the breakpoint (or ``expect``), the device, the program."""

    breakpoint: str
    device: str
    program: str

    def __str__(self) -> str:
        return f"{self.breakpoint} {self.device} {self.program}"


@dataclass(frozen=True)
class Target:
    """What every run of one exploration checks."""

    scn: Scenario
    until: tuple[str, ...] = ()
    max_events: int = MAX_EVENTS

    @property
    def specs(self) -> tuple[str, ...]:
        return (*self.scn.breakpoints, *self.until)

    def breakpoints(self) -> list[Breakpoint]:
        out = []
        for i, spec in enumerate(self.specs):
            try:
                out.append(bpmod.parse(spec, i + 1))
            except BreakpointError as e:
                raise MsidbgError(e.message, caret=e.caret, option="--until", command="explore") from None
        return out


@dataclass
class RunResult:
    """What a run gives the explorer: whether and how it failed, its deviations, its coverage."""

    index: int
    seed: int
    events: int
    deviations: int
    signature: Signature | None = None
    #: the failing event (breakpoint) or the last event (expect mismatch)
    event: int = 0
    detail: str = ""
    #: the deviations, kept only for failing runs (to shrink them)
    plan: Plan | None = None
    cover: coverage.RunCoverage = field(default_factory=coverage.RunCoverage)

    @property
    def failed(self) -> bool:
        return self.signature is not None


def run_once(target: Target, index: int, seed: int, sch: Schedule, cover: bool = True) -> RunResult:
    """Run ``target`` with ``seed`` under ``sch`` (a plan in ``sch`` replays it)."""
    scn = target.scn
    eng = new_engine(scn, seed, schedule=sch, prov=False)   # explored runs never answer why (a saved failure is replayed)
    bps = target.breakpoints()
    checker = Checker(bps, eng)
    eng.call_watch = bpmod.call_programs(bps)
    checker.prime()
    simple = checker.simple
    model: Any = eng.model
    k = model.k
    if cover:
        coverage.begin_run()
    found = _run_to_failure(eng, k, checker, simple, target.max_events)
    res = RunResult(index, seed, int(eng.w["events"]), len(eng.trace.plan))
    if found is not None:
        res.signature = _signature(eng, found.label, checker.detail)
        res.event, res.detail = int(eng.w["events"]), checker.detail or ""
    elif scn.expect is not None and (eng.w["ended"] or scn.expect.not_started is not None):
        # a run cut at ``max_events`` is judged on ``not_started`` alone (``summary.compare``)
        bad = compare(scn.expect, _outcome(scn, eng.w), {h.name for h in eng.hits})
        if bad:
            res.signature = _expect_signature(scn, bad[0], eng.w)
            res.event, res.detail = int(eng.w["events"]), "; ".join(bad)
    if res.failed:
        res.plan = eng.trace.plan
    if cover:
        res.cover = coverage.end_run(eng)
    return res


def _run_to_failure(eng: Any, k: Any, checker: Checker, simple: bool, max_events: int) -> Breakpoint | None:
    """Run up to ``max_events`` events in batches (``Engine.advance``), to the first event where an
    armed breakpoint fires. ``k.frame`` is the program frame of the event just run, or ``_NO_FRAME``
    when it ran none (``_signature`` reads it): it is cleared after every event that does not stop
    the batch. With only built-in and call breakpoints armed (``simple``) a batch runs on until an
    event notes a hit or a watched call; otherwise the checker looks after every event."""
    got: list[Breakpoint] = []
    check = checker.check

    def clear() -> bool:
        k.frame = _NO_FRAME
        return False

    def clear_or_fire() -> bool:
        bp = check()
        if bp is not None:
            got.append(bp)
            return True
        k.frame = _NO_FRAME
        return False

    after = clear if simple or not checker else clear_or_fire
    left = max_events
    while left > 0:
        k.frame = _NO_FRAME
        ran = eng.advance(min(left, BATCH), simple, after)
        if ran == 0:
            return None
        left -= ran
        if eng.w["ended"] and not simple and checker:
            clear_or_fire()     # the engine does not call ``after`` after the run's last event
        if got:
            return got[0]
        if simple and checker and (eng.step_hits or eng.step_calls) and (bp := check()) is not None:
            return bp
    return None


def _outcome(scn: Scenario, w: dict[str, Any]) -> dict[str, Any]:
    """The part of the summary ``expect:`` compares (the whole summary also hashes the world): at the
    end of a run, where the summary lists ``not_started``, or at a ``max_events`` cut (``stopped``)."""
    ended = bool(w["ended"])
    return {"devices": {name: {"probe": w["kernel"]["pci"][name]["status"], "vectors": vector_rows(w, name)}
                        for name in scn.devices},
            "stopped": {"reason": "end" if ended else "limit", "event": int(w["events"])},
            "not_started": not_started(w) if ended else []}


def _signature(eng: Any, name: str, detail: str | None) -> Signature:
    """(name, device, program) of the event just executed."""
    ev = eng.log.event(eng.cur)
    device = ev.dev or _named_device(eng.w, detail or "")
    frame = eng.model.k.frame
    program = frame.get("prog") if frame is not _NO_FRAME else None
    if program is None and ev.kind == "action.done":
        act = eng.w["actions"][ev.fields["action"]]
        program = eng.model.action_programs.get(act["do"])
    return Signature(name, device or "-", program or ev.kind)


def _named_device(w: dict[str, Any], text: str) -> str | None:
    """The first device the model's description of a hit names (hits found at the end of a run)."""
    first: tuple[int, str] | None = None
    for name in w["devices"]:
        at = text.find(name)
        if at >= 0 and (first is None or at < first[0]):
            first = (at, name)
    return first[1] if first else None


def _expect_signature(scn: Scenario, mismatch: str, w: Any = None) -> Signature:
    """The first mismatch of ``summary.compare``: ``expected nvme0 probe='ok', got ...`` ->
    (expect:probe, nvme0, -); ``expected breakpoint irq-lost not to hit, it did`` ->
    (expect:not_hit:irq-lost, -, -); ``expected not_started=[], got [2]`` -> (expect:not_started, the
    device and program of what the first unstarted action waits behind, ``_blocker``; else -, -)."""
    words = mismatch.split()
    if words[:2] == ["expected", "breakpoint"]:
        return Signature(f"expect:{'not_hit' if 'not to hit' in mismatch else 'hit'}:{words[2]}", "-", "-")
    what = next((key for key in ("probe", "lost", "delivered", "spurious", "not_started") if f" {key}=" in mismatch), "mismatch")
    if what == "not_started" and w is not None:
        return Signature("expect:not_started", *_blocker(w))
    device = next((w for w in words if w in scn.devices), "-")
    return Signature(f"expect:{what}", device, "-")


def _blocker(w: Any) -> tuple[str, str]:
    """(device, program) of the action the first never-started action waits behind, at the end of a run
    (``not_started``'s ``behind``): its ``dev`` and the program on top of its CPU's process stack -- the
    wait that never ended (``free_irq`` spinning in synchronize_irq). Two deadlocks in different places
    are two failure groups, each shrunk. ``("-", "-")`` when nothing says (a cut run, an action queued
    behind none)."""
    for a in not_started(w) if w["ended"] else ():
        behind = a.get("behind")
        if behind is None:
            continue
        dev = w["actions"][behind].get("dev")
        stack = w["cpus"][a["cpu"]]["proc"]["stack"]
        prog = stack[-1].get("prog") if stack else None
        return (str(dev) if dev else "-", str(prog) if prog else "-")
    return ("-", "-")
