"""A shrunk failure as something to hand over: notes on each deviation, a snapshot, text lines.

The counterexample is replayed once more on a debugger ``Session`` (fixed checkpoint spacing,
so the same exploration writes the same bytes), stopped at the failing event, with one
bookmark per remaining deviation whose note says what it changed: which step ran before which,
where a ranged action started, which step's cost the jitter changed.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from msidbg.debugger.progress import fit
from msidbg.debugger.session import MAX_MARKS, Session
from msidbg.errors import MsidbgError
from msidbg.explore.runner import Signature, Target
from msidbg.files import FileProblem, check_snapshot_target
from msidbg.guard import escape
from msidbg.model import contexts
from msidbg.sim.strategy import Deviation, Plan, Schedule

#: checkpoint spacing of the counterexample's session: fixed, so its snapshot bytes are too
SNAPSHOT_SPACING = 256


@dataclass
class Counterexample:
    event: int
    detail: str
    notes: list[tuple[int, str]] = field(default_factory=list)
    snapshot: str | None = None


def counterexample(target: Target, seed: int, sch: Schedule, devs: list[Deviation], sig: Signature,
                   want_event: int, save: str | None) -> Counterexample:
    """Replay ``devs`` on a Session to the failure, bookmark each deviation, save if asked."""
    scn = target.scn
    plan = Plan(devs)
    s = Session(scn, seed, arm=False, spacing=SNAPSHOT_SPACING, schedule=Schedule(
        sch.strategy, sch.depth, sch.window, sch.horizon, plan))
    for spec in target.specs:
        s.add_breakpoint(spec)
    s.eng.trace.describe = contexts.describe
    stop = s.continue_(target.max_events)
    if stop.event != want_event:
        raise MsidbgError(f"internal error: the shrunk run of {sig} stopped at event {stop.event}, "
                          f"not at {want_event} where it failed while shrinking (a determinism bug)")
    notes = _notes(s, plan, stop.event)
    # (a shrink stopped early can leave more deviations than a snapshot holds bookmarks: the first
    # ones are marked, every one is in the notes -- hardening30)
    for i, (event, note) in enumerate(notes[:MAX_MARKS]):
        s.bookmark(f"deviation-{i + 1}", note, event)
    out = Counterexample(stop.event, stop.detail or _expect_detail(s, target), notes)
    if save is not None:
        s.save(save)
        out.snapshot = save
    return out


def _expect_detail(s: Session, target: Target) -> str:
    """The ``expect:`` mismatches of a run that ended (the failure when no breakpoint fired)."""
    from msidbg.debugger.summary import compare

    expect = target.scn.expect
    if expect is None:
        return ""
    return "; ".join(compare(expect, s.summary(), {h.name for h in s.hits()}))


def _notes(s: Session, plan: Plan, cursor: int) -> list[tuple[int, str]]:
    trace = s.eng.trace
    w = s.world
    notes: list[tuple[int, str]] = []
    for idx, off in plan.at.items():
        act = w["actions"][idx]
        lo = act["at"] - off
        start = _action_start(s, idx, cursor)
        if act["do"] == "fire":
            what = f"run[{idx}] ({act['dev']}'s signals)"
        elif act["do"] == "vcpu_migrate":
            what = f"run[{idx}] (Xen's migration of vCPU{act['args']['vcpu']})"
        else:
            what = f"run[{idx}] ({act['do']}{' of ' + act['dev'] if act['dev'] else ''} on CPU{act['on']})"
        when = "started" if start is not None else "was to start"
        at, first = fmt_ns_pair(act["at"], lo)
        notes.append((start if start is not None else cursor,
                      f"{what} {when} at {at} instead of {first} (the start of its at: range)"))
    passes: list[tuple[int, tuple[str, int, int]]] = []
    for (kind, key), ev in trace.events.items():
        if ev > cursor:
            continue
        if kind == "sched" and ev in trace.notes:
            passes.append((ev, key))
        elif kind == "jit" and ev in trace.jitters:
            ctx, cost, d = trace.jitters[ev]
            e = s.event(ev)
            what = f"event {ev}, {e.kind}" if e is not None else f"event {ev}"
            took, plain = fmt_ns_pair(cost + d, cost)
            notes.append((ev, f"{ctx}'s step ({what}) took {took} instead of {plain} "
                              f"(jitter {d:+d}ns)"))
    notes.extend(_pass_notes(trace.notes, passes))
    notes.sort(key=lambda n: n[0])
    return notes


def _pass_notes(said: dict[int, tuple[str, str]], passes: list[tuple[int, tuple[str, int, int]]]) -> list[tuple[int, str]]:
    """One note per schedule deviation, except that a run of them passing over the same step (its
    context's n-th step passed over the j-th, (j+1)-th, ... time in a row: under pct's and delay's
    window each one lets another context run one step ahead) is one note at its first event: "A ..
    B (k steps) ran before C". Each one of the run is needed (the step would run in between
    otherwise), so shrinking keeps them all; said one by one they were k notes and k bookmarks
    saying the same thing."""
    out: list[tuple[int, str]] = []
    runs: list[list[tuple[int, tuple[str, int, int]]]] = []
    for ev, key in sorted(passes):
        last = runs[-1][-1][1] if runs else None
        if last is not None and last[:2] == key[:2] and key[2] == last[2] + 1:
            runs[-1].append((ev, key))
        else:
            runs.append([(ev, key)])
    for run in runs:
        first, end = said[run[0][0]], said[run[-1][0]]
        if len(run) == 1:
            out.append((run[0][0], f"{first[0]} ran before {first[1]}"))
        else:
            out.append((run[0][0], f"{first[0]} .. {end[0]} ({len(run)} steps, one deviation each) "
                                   f"ran before {first[1]}"))
    return out


def _action_start(s: Session, idx: int, cursor: int) -> int | None:
    """The event where action ``idx`` started (a device's signals: the first event at or after
    their start time), or None when the run did not get there."""
    act = s.world["actions"][idx]
    for e in s.events(1, cursor + 1):
        if act["do"] in ("fire", "vcpu_migrate") and e.time_ns >= act["at"]:
            return e.index
        if e.kind == "action.start" and e.fields.get("action") == idx:
            return e.index
    return None


def fmt_ns(ns: int, digits: int = 4) -> str:
    """A duration for people: 800ns, 12.5us, 1.234ms (``digits`` significant digits)."""
    for unit, scale in (("s", 10**9), ("ms", 10**6), ("us", 10**3)):
        if abs(ns) >= scale:
            return f"{ns / scale:.{digits}g}{unit}"
    return f"{ns}ns"


def fmt_ns_pair(a: int, b: int) -> tuple[str, str]:
    """Two times that differ, each as :func:`fmt_ns` shows it, with as many more digits as it takes for
    them to read differently: an action drawn 50 ns into its at: range 'started at 1ms instead of 1ms'."""
    if a != b:
        for digits in range(4, 17):
            x, y = fmt_ns(a, digits), fmt_ns(b, digits)
            if x != y:
                return x, y
        return f"{a}ns", f"{b}ns"
    return fmt_ns(a), fmt_ns(b)


def snapshot_name(folder: str, scenario: str, group: int, sig: Signature,
                  search: tuple[str, int] | None = None) -> str:
    """Where group ``group``'s snapshot goes: ``SCENARIO-GROUP-SLUG-STRATEGY-SEED.msgpack`` (``search``:
    the exploration's strategy and base seed; without it ``SCENARIO-GROUP-SLUG.msgpack``), replacing the
    snapshot of the same exploration run before, but never another file of that name (a note, a
    scenario: ``--save-failing`` replaced it silently, where ``run --save`` and the TUI refuse):
    then ``...-2.msgpack``, ``-3``... The strategy and seed keep explorations of one scenario with
    several strategies (or seeds) into one folder from replacing each other's group snapshots:
    group 1 of ``--strategy pct`` and of ``--strategy delay`` were both ``SCENARIO-1-SLUG``."""
    slug = re.sub(r"[^a-z0-9]+", "-", f"{sig.breakpoint}-{sig.device}".lower()).strip("-")[:60]
    tail = f"-{search[0]}-{search[1]}" if search is not None else ""
    base = os.path.join(folder, f"{scenario}-{group}-{slug}{tail}")
    for n in range(1, 1000):
        path = f"{base}-{n}.msgpack" if n > 1 else f"{base}.msgpack"
        try:
            check_snapshot_target(path)
        except FileProblem:
            continue
        return path
    raise MsidbgError("every snapshot name for this failure is taken by files that are not snapshots (expected "
                      "a folder for the snapshots)", folder, option="--save-failing", command="explore")


# --- text ---------------------------------------------------------------------------------------
def human(result: dict[str, Any]) -> str:
    """The end-of-exploration report: throughput, one line per failure group, coverage."""
    runs, secs = result["runs"], result["seconds"]
    rate = runs / secs if secs > 0 else 0.0
    lines = [f"explored {runs} runs of {result['scenario']} in {secs:.1f}s ({rate:.1f} runs/s, "
             f"{result['jobs']} job{'s' if result['jobs'] > 1 else ''}), strategy {result['strategy']}"]
    if result.get("interrupted_while") == "shrinking":
        lines.append("interrupted (Ctrl-C) while shrinking: the failures are below, shrunk as far as it got")
    elif result.get("interrupted"):
        lines.append(f"interrupted (Ctrl-C) after {runs} runs: the failures found so far are below, shrunk")
    died = result.get("worker_died")
    if died and died["while"] == "search":
        lines.append(f"a worker process {died['how']} after {runs} runs: the search stopped there (its run is "
                     "lost); the failures found so far are below, shrunk")
    elif died:
        lines.append(f"a worker process {died['how']} while shrinking: the failures are below, shrunk as far as "
                     "it got")
    checks = result["checks"]
    if not checks["breakpoints"] and not checks["expect"]:
        lines.append("note: nothing could fail: the scenario has no breakpoints: and no expect:, and no --until "
                     "was given")
    if not result["failures"]:
        lines.append("no failing run")
    for i, f in enumerate(result["failures"]):
        if f["run"] == 0:  # nothing to shrink: the scenario fails as written
            how = "the ordered baseline (run 0) fails: no schedule deviation needed"
        else:
            how = (f"{f['deviations']} deviation{'s' if f['deviations'] != 1 else ''} from ordered"
                   f" (shrunk from {f['deviations_found']} in {f['shrink_runs']} runs)")
        lines.append(f"FAIL {i + 1}: {f['signature']}  x{f['count']}  seed {f['seed']}  {how}")
        if not f["shrink_complete"]:
            why = (f"the shrinking time ran out ({fmt_secs(result.get('shrink_time'))}: --shrink-time, by default --time)"
                   if f.get("shrink_stopped") == "time" else "Ctrl-C"
                   if f.get("shrink_stopped") == "interrupted" else "a worker process was killed"
                   if f.get("shrink_stopped") == "worker-died" else "the budget of replays ran out")
            lines.append(f"    shrinking stopped early: {why}; {f['deviations']} deviations left, some of them "
                         "maybe not needed")
        if f["detail"]:
            lines.append(f"    {f['detail']}")
        for note in f["notes"]:
            lines.append(f"    - at event {note['event']}: {note['note']}")
        if f["snapshot"]:
            lines.append(f"    snapshot: {f['snapshot']}  (msidbg open / msidbg replay)")
        lines.append(f"    unshrunk: {f['rerun']}")
    cov = result["coverage"]
    p, st = cov["programs"], cov["steps"]
    lines.append(f"coverage: conditions {', '.join(cov['conditions']) or 'none'}; kernel programs "
                 f"{p['kernel']['run']}/{p['kernel']['total']} (steps {st['kernel']['run']}/{st['kernel']['total']}), "
                 f"QEMU {p['qemu']['run']}/{p['qemu']['total']} (steps {st['qemu']['run']}/{st['qemu']['total']}), "
                 f"Xen operations {cov['xen']['run']}, distinct cross-context orders {cov['orders']}")
    return "\n".join(escape(line) for line in lines)


class Progress:
    """A one-line progress bar on a terminal: runs, schedules/s, failures, coverage.

    The line is cut to the terminal's width (``progress.fit``: a wrapped line leaves a stale copy
    per redraw). Between results ``tick`` redraws it with the time elapsed, at most once a second,
    so a run that takes minutes (the ordered baseline of a long scenario, a shrinking replay) does
    not leave the terminal silent: before, nothing was written until the first run had ended."""

    def __init__(self, out: TextIO | None, total: int | None, budget_s: float | None) -> None:
        self.out = out
        self.total = total
        self.budget = budget_s
        self.t0 = time.monotonic()
        self.last = 0.0
        self.text = ""
        self._lock = threading.Lock()

    def start(self, jobs: int) -> None:
        """The line before any run has ended: the ordered baseline (and the first runs) are running."""
        first = "the ordered baseline is running" if jobs == 1 else f"the ordered baseline and {jobs - 1} more running"
        self._show(f"[{'':<20}] 0 runs: {first}", force=True)

    def update(self, runs: int, failures: int, groups: int, cover: str, force: bool = False) -> None:
        if self.out is None:
            return
        now = time.monotonic()
        secs = max(now - self.t0, 1e-9)
        frac = runs / self.total if self.total else 0.0
        if self.budget:
            frac = max(frac, secs / self.budget)
        bar = "#" * int(20 * min(frac, 1.0))
        self._show(f"[{bar:<20}] {runs} runs  {runs / secs:.1f}/s  failures {failures}"
                   f" ({groups} group{'s' if groups != 1 else ''})  {cover}", force)

    def shrinking(self, group: int, groups: int, replays: int, found: int, best: int) -> None:
        """While a failure group is shrunk (replays of candidate subsets; may take a while)."""
        self._show(f"shrinking failure {group}/{groups}: {replays} replays, "
                   f"{best} of {found} deviations still needed")

    def tick(self) -> None:
        """The last line again with the time elapsed (called while waiting for a result; at most
        once a second)."""
        if self.out is None or not self.text:
            return
        now = time.monotonic()
        if now - self.last < 1.0:
            return
        self._write(f"{self.text}  {_clock(now - self.t0)}", now)

    def _show(self, text: str, force: bool = False) -> None:
        if self.out is None:
            return
        now = time.monotonic()
        self.text = text
        if force or now - self.last >= 0.2:
            self._write(text, now)

    def _write(self, text: str, now: float) -> None:
        assert self.out is not None
        with self._lock:
            self.last = now
            self.out.write("\r\033[K" + fit(text, self.out))
            self.out.flush()

    def done(self) -> None:
        if self.out is not None:
            with self._lock:
                self.out.write("\r\033[K")
                self.out.flush()


def fmt_secs(secs: float | None) -> str:
    """A time budget as given back: ``12s``, ``0.5s``."""
    return "?" if secs is None else f"{secs:g}s"


def _clock(secs: float) -> str:
    """Elapsed time as ``42s``, ``3m05s`` or ``1h02m``."""
    s = int(secs)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def tty_progress() -> TextIO | None:
    return sys.stderr if sys.stderr.isatty() else None
