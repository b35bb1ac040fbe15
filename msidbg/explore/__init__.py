"""``msidbg explore``: search schedules for a failing run, shrink it, hand it over as a snapshot.

``explore(path, ...)`` returns what ``msidbg explore --json`` prints (see docs/explore.md)::

    {"runs": N, "seconds": S, "strategy": "random", "failures": [{"signature": ..., "count": n,
     "seed": ..., "deviations": k, "snapshot": PATH or None, ...}], "coverage": {...}, ...}

Run 0 is the ``ordered`` baseline (the file's seed); run i >= 1 uses seed ``run_seed(seed, i)``
under the strategy. Results are taken in run order whatever the job count, so the same seed and
strategy give the same failures, the same shrunk runs and the same snapshot bytes. By default the
search stops at the first failing run (``all_runs`` keeps going to count every group).
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from msidbg.errors import MsidbgError
from msidbg.explore import report
from msidbg.explore.coverage import Coverage
from msidbg.explore.pool import MAX_JOBS, Task, WorkerDied, Workers, default_jobs
from msidbg.explore.runner import MAX_EVENTS, RunResult, Signature, Target
from msidbg.explore.shrink import OutOfTime, ddmin
from msidbg.model import resolve_schedule
from msidbg.scenario import load_scenario
from msidbg.sim.strategy import STRATEGIES, Deviation, Plan, Schedule, run_seed

DEFAULT_RUNS = 1000
SHRINK_BUDGET = 2000

__all__ = ["explore"]


@dataclass
class _Group:
    first: RunResult
    count: int = 0


@dataclass
class _State:
    groups: dict[Signature, _Group] = field(default_factory=dict)
    cover: Coverage = field(default_factory=Coverage)
    runs: int = 0
    stale: int = 0
    failures: int = 0


def explore(path: str, *, runs: int = DEFAULT_RUNS, time_budget: float | None = None, strategy: str | None = None,
            depth: int | None = None, window: int | None = None, jobs: int | None = None,
            until: tuple[str, ...] | list[str] = (), all_runs: bool = False, save_failing: str | None = None,
            until_stable: int | None = None, seed: int | None = None, max_events: int = MAX_EVENTS,
            shrink_time: float | None = None, progress: TextIO | None = None) -> dict[str, Any]:
    """Explore schedules of the scenario at ``path``; the ``--json`` result as a dict.

    ``strategy``: random, pct or delay (default: the file's ``schedule:``, or random when it is
    ordered). ``runs``: at most this many runs, the baseline included; ``time_budget``: seconds;
    ``until``: breakpoint specs that also count as failures; ``save_failing``: a folder for one
    snapshot per failure group; ``until_stable``: stop after this many runs in a row added no
    coverage; ``shrink_time``: seconds for shrinking, all groups together (default: ``time_budget``;
    None with no ``time_budget``: only the replay budget bounds it). Raises MsidbgError (exit 2) on
    bad input.
    """
    t0 = time.monotonic()
    scn = load_scenario(path)
    name = strategy or (scn.schedule if scn.schedule != "ordered" else "random")
    _check_args(name, runs, depth, window, jobs, time_budget, until_stable, path)
    if shrink_time is not None and not shrink_time > 0:
        raise MsidbgError(f"{shrink_time} s is not a duration (expected a positive duration)", path,
                          option="--shrink-time", command="explore")
    if shrink_time is None:
        shrink_time = time_budget
    target = Target(scn, tuple(until), max_events)
    _check_breakpoints(scn, target)  # a bad breakpoint (the file's or --until) is bad input, before any run
    sch = resolve_schedule(scn, name, depth, window)
    base = scn.seed if seed is None else seed
    jobs = default_jobs() if jobs is None else jobs
    if save_failing is not None:
        _check_folder(save_failing)   # made when a failure's snapshot is saved: no run fails, no folder
    st = _State()
    bar = report.Progress(progress, runs, time_budget)
    interrupted = False
    died: list[WorkerDied] = []     # a worker killed: the search stops, what it found is kept
    with Workers(target, jobs, idle=bar.tick if progress is not None else None) as workers:
        bar.start(min(jobs, runs))
        results = workers.run(_tasks(base, sch, runs), deadline=None if time_budget is None else t0 + time_budget)
        try:
            for res in results:
                _take(st, res)
                bar.update(st.runs, st.failures, len(st.groups), st.cover.brief())
                if _stop(st, res, all_runs, until_stable, runs, t0, time_budget):
                    break
        except KeyboardInterrupt:
            # Ctrl-C during the search ends it as a budget would: the runs taken so far are
            # reported and their failures shrunk (a second Ctrl-C, while shrinking, aborts)
            interrupted = True
        except WorkerDied as e:
            # so does a killed worker (the out-of-memory killer): its run is lost, the runs before
            # it are reported and their failures shrunk in fresh workers; they were all lost, exit 2
            # with the one line and nothing else (hardening31)
            died.append(e)
        finally:
            results.close()     # cancels what was sent and not started
        if interrupted or st.runs < runs:
            # and ends what was started: nobody will read it, and shrinking's replays would wait
            # behind it (a failure found, --time or --until-stable reached: the workers' batches
            # went on to their ends, and the exit waited for them -- hardening30)
            workers.stop_runs()
        explored = time.monotonic() - t0
        deadline = None if shrink_time is None else time.monotonic() + shrink_time
        intr = _Ctrl(search=interrupted)
        failures = [_shrink_group(workers, target, base, sch, (i + 1, len(st.groups)), g, save_failing, bar,
                                  (name, deadline), intr, died)
                    for i, g in enumerate(st.groups.values())]
        for f in failures:
            f["rerun"] = _rerun(path, sch, f, target.until, target.max_events)
        bar.done()
    return {
        "runs": st.runs, "seconds": round(explored, 3), "strategy": name, "failures": failures,
        "coverage": st.cover.as_json(),
        # extensions (docs/explore.md)
        "scenario": scn.name, "seed": base, "jobs": jobs, "depth": sch.depth, "window": sch.window,
        "horizon": sch.horizon, "runs_per_second": round(st.runs / explored, 1) if explored > 0 else None,
        "checks": {"breakpoints": list(target.specs), "expect": scn.expect is not None},
        "interrupted": interrupted or intr.shrink,
        "interrupted_while": "search" if interrupted else "shrinking" if intr.shrink else None,
        "shrink_time": shrink_time,
        "total_seconds": round(time.monotonic() - t0, 3),
        # a worker process ended without its result (the CLI prints this line on stderr, exit 2 unless a
        # failure was found): "search" or "shrinking", and the line
        "worker_died": None if not died else {"while": died[0].phase, "how": died[0].how,
                                              "message": died[0].oneline()},
    }


def _check_breakpoints(scn: Any, target: Target) -> None:
    """Arm the file's breakpoints and ``--until`` on a session at event 0, as ``msidbg run`` does:
    a bad one is named by its line (``FILE:LINE: breakpoints[i]: ...``) or as ``--until``, each
    path checked against the world. A bad spec in the file was reported as '--until: ...', and
    a path the world cannot have with no file or option at all."""
    from msidbg.debugger import Session
    from msidbg.debugger.breakpoints import arm

    arm(Session(scn, history=False), target.until, "--until", command="explore")
    target.breakpoints()


def _check_args(name: str, runs: int, depth: int | None, window: int | None, jobs: int | None,
                time_budget: float | None, until_stable: int | None, path: str) -> None:
    """The options ``msidbg explore``'s parser cannot check (``--depth`` with the file's schedule:
    random), and all of them for a caller of ``explore()``: one line naming the subcommand and the
    option, with what was expected -- as argparse's (hardening31; it was '--depth: ...' alone)."""
    if name not in STRATEGIES or name == "ordered":
        raise MsidbgError(f"unknown strategy {name!r} (expected random, pct or delay)", path, option="--strategy",
                          command="explore")
    checks = [(runs >= 1, f"--runs: {runs} is out of range (expected at least 1)"),
              (depth is None or 1 <= depth <= 64, f"--depth: {depth} is out of range (expected 1..64)"),
              (depth is None or name != "random", "--depth: the strategy is random, which has no depth "
               "(expected --strategy pct or delay, or no --depth)"),
              (window is None or 0 <= window <= 10**9, f"--window: {window} ns is out of range (expected 0..1s)"),
              (jobs is None or 1 <= jobs <= MAX_JOBS, f"--jobs: {jobs} is out of range (expected 1..{MAX_JOBS})"),
              (time_budget is None or time_budget > 0, f"--time: {time_budget} s is not a duration (expected a "
               "positive duration)"),
              (until_stable is None or until_stable >= 1, f"--until-stable: {until_stable} is out of range "
               "(expected at least 1)")]
    for ok, what in checks:
        if not ok:
            option, message = what.split(": ", 1)
            raise MsidbgError(message, path, option=option, command="explore")


_EXPECTED_FOLDER = "(expected a folder for the snapshots, or a new name in an existing folder)"


def _check_folder(folder: str) -> None:
    """``--save-failing DIR`` before any run: an existing folder one can write in, or a new name in
    an existing folder one can write in -- as every other output path must be in an existing
    directory. Nothing is made here: the folder is made with the first snapshot (``_make_folder``).
    It was made at once, and an exploration that found no failure left an empty folder behind."""
    if os.path.lexists(folder):
        if not os.path.isdir(folder):
            raise MsidbgError(f"not a folder {_EXPECTED_FOLDER}", folder, option="--save-failing", command="explore")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise MsidbgError("the folder is not writable (expected a folder you can write to)",
                              folder, option="--save-failing", command="explore")
        return
    parent = os.path.dirname(folder.rstrip(os.sep)) or os.curdir   # as given: 'nodir/..' is the OS's to resolve
    if not os.path.isdir(parent):
        raise MsidbgError(f"cannot create the folder: {_first_missing(parent)} {_EXPECTED_FOLDER}",
                          folder, option="--save-failing", command="explore")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise MsidbgError(f"cannot create the folder: {parent} is not writable {_EXPECTED_FOLDER}",
                          folder, option="--save-failing", command="explore")


def _first_missing(parent: str) -> str:
    """Which part of the path ``parent`` (as given, its '..' unresolved: the OS resolves them one
    by one) is missing or no folder: 'X does not exist' or 'X is not a folder'. It named
    ``dirname(abspath(DIR))``, which drops 'out.d/..' by its spelling: '--save-failing
    out.d/../bugs' said that the existing folder holding out.d did not exist (hardening30)."""
    parts = parent.split(os.sep)
    for n in range(1, len(parts) + 1):
        prefix = os.sep.join(parts[:n]) or os.sep
        if not os.path.lexists(prefix):
            return f"{prefix} does not exist"
        if not os.path.isdir(prefix):
            return f"{prefix} is not a folder"
    return f"{parent} does not exist"


def _make_folder(folder: str) -> None:
    """``--save-failing DIR`` when the first snapshot is saved: the folder ``_check_folder``
    allowed, made if it is missing (one folder, never its parents: a typo in a parent ('bgus/run1')
    made a tree of folders with ``os.makedirs``, and a symbolic link loop was 'cannot create the
    folder: File exists'). Checked again: the folder may have changed while the runs ran."""
    expected = _EXPECTED_FOLDER
    if os.path.lexists(folder) and not os.path.isdir(folder):
        raise MsidbgError(f"not a folder {expected}", folder, option="--save-failing", command="explore")
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    except FileNotFoundError:
        parent = os.path.dirname(folder.rstrip(os.sep)) or os.curdir
        raise MsidbgError(f"cannot create the folder: {_first_missing(parent)} {expected}",
                          folder, option="--save-failing", command="explore") from None
    except OSError as e:
        raise MsidbgError(f"cannot create the folder: {e.strerror or e} {expected}", folder, option="--save-failing", command="explore") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise MsidbgError("the folder is not writable (expected a folder you can write to)", folder, option="--save-failing", command="explore")


def _tasks(base: int, sch: Schedule, runs: int) -> Iterator[Task]:
    yield Task(0, base, Schedule("ordered"))
    for i in range(1, runs):
        yield Task(i, run_seed(base, i), sch)


def _take(st: _State, res: RunResult) -> None:
    st.runs = res.index + 1
    st.stale = 0 if st.cover.add(res.cover) else st.stale + 1
    if res.signature is not None:
        st.failures += 1
        group = st.groups.setdefault(res.signature, _Group(res))
        group.count += 1


def _stop(st: _State, res: RunResult, all_runs: bool, until_stable: int | None, runs: int, t0: float,
          budget: float | None) -> bool:
    if res.failed and not all_runs:
        return True
    if until_stable is not None and st.stale >= until_stable:
        return True
    return st.runs >= runs or (budget is not None and time.monotonic() - t0 >= budget)


@dataclass
class _Ctrl:
    """Where Ctrl-C came: during the search (its groups are still shrunk in full; a Ctrl-C while
    shrinking then aborts), or, the first one, while shrinking (``shrink``: shrinking stops as
    ``--shrink-time`` stops it, for this group and the next ones; a second Ctrl-C aborts)."""
    search: bool
    shrink: bool = False

    def first(self) -> bool:
        """A Ctrl-C while shrinking: True if it is the first (shrinking stops, the groups are
        still saved and reported), False if it is the second (the caller re-raises: abort)."""
        if self.search or self.shrink:
            return False
        self.shrink = True
        return True


def _shrink_group(workers: Workers, target: Target, base: int, sch: Schedule, of: tuple[int, int], g: _Group,
                  folder: str | None, bar: report.Progress, how: tuple[str, float | None],
                  intr: _Ctrl | None = None, died: list[WorkerDied] | None = None) -> dict[str, Any]:
    """Shrink the group's first run to its fewest deviations; its counterexample and snapshot.

    ``how``: the strategy's name (for the snapshot's name) and the monotonic time shrinking stops
    at (None: no limit). The deadline is checked before each replay is taken: the replays in flight
    when it passes are ended (``Workers.stop_runs``), and the smallest failing list found so far is
    the result (``shrink_complete`` false, ``shrink_stopped`` "time"). A first Ctrl-C while shrinking
    (``intr``) stops it the same way (``shrink_stopped`` "interrupted"), here and in the groups after
    it; during the replay of the recorded list or of the counterexample, that replay is made again
    (it is needed), and a second Ctrl-C aborts. A worker killed while shrinking (``died`` gets it)
    stops this group's shrinking as time would (``shrink_stopped`` "worker-died"); during the replay
    of the recorded list, that replay is made again in fresh workers, once."""
    intr = _Ctrl(search=True) if intr is None else intr
    died = [] if died is None else died
    strategy, deadline = how
    number = of[0]
    first = g.first
    sig = first.signature
    assert sig is not None and first.plan is not None
    run_sch = Schedule("ordered") if first.index == 0 else sch
    seed = first.seed
    found = first.plan.items()
    events: dict[tuple[Deviation, ...], int] = {}
    replays = [0, len(found)]  # replays so far, the fewest deviations that still failed

    timed = [False]     # the first replay (the recorded list, below) always runs to its end

    def test(cands: list[list[Deviation]]) -> tuple[int | None, int]:
        tasks = [Task(i, seed, _replay(run_sch, c), cover=False) for i, c in enumerate(cands)]
        ran = 0
        if timed[0] and intr.shrink:
            raise OutOfTime(0, "interrupted")
        if timed[0] and deadline is not None and time.monotonic() >= deadline:
            raise OutOfTime(0)
        results = workers.run(tasks, batch=1)
        try:
            for res in results:
                ran += 1
                replays[0] += 1
                hit = res.signature == sig
                if hit:
                    events[tuple(cands[res.index])] = res.event
                    replays[1] = min(replays[1], len(cands[res.index]))
                bar.shrinking(*of, replays[0], len(found), replays[1])
                if hit:
                    return res.index, ran
                if timed[0] and deadline is not None and time.monotonic() >= deadline and ran < len(tasks):
                    results.close()
                    workers.stop_runs()     # the replays of this batch still running: nobody will read them
                    raise OutOfTime(ran)
        except KeyboardInterrupt:
            if not intr.first():
                raise       # a second Ctrl-C: abort at once
            results.close()
            workers.stop_runs()
            if not timed[0]:
                return test(cands)  # the recorded list's replay is needed: made again (Ctrl-C now aborts)
            raise OutOfTime(ran, "interrupted") from None
        except WorkerDied as e:
            results.close()     # (the pool was replaced by fresh workers)
            e.phase = "shrinking"
            died.append(e)
            if not timed[0] and len(died) < 2:
                return test(cands)  # the recorded list's replay is needed: made again, once
            if not timed[0]:
                raise
            raise OutOfTime(ran, "worker-died") from None
        return None, ran

    if test([found])[0] is None:  # the recorded deviations must replay the failure
        raise MsidbgError(f"internal error: run {first.index} (seed {seed}) did not fail again as {sig} when its "
                          "recorded choices were replayed (a determinism bug)")
    timed[0] = True
    shrunk = ddmin(found, test, SHRINK_BUDGET)
    if folder is not None:
        _make_folder(folder)
    save = report.snapshot_name(folder, target.scn.name, number, sig, (strategy, base)) \
        if folder is not None else None
    try:
        cx = report.counterexample(target, seed, run_sch, shrunk.deviations, sig, events[tuple(shrunk.deviations)],
                                   save)
    except KeyboardInterrupt:
        if not intr.first():
            raise
        cx = report.counterexample(target, seed, run_sch, shrunk.deviations, sig, events[tuple(shrunk.deviations)],
                                   save)   # made again: the snapshot is what Ctrl-C keeps (a second one aborts)
    return {
        "signature": str(sig), "count": g.count, "seed": seed, "deviations": len(shrunk.deviations),
        "snapshot": cx.snapshot,
        # extensions
        "breakpoint": sig.breakpoint, "device": sig.device, "program": sig.program, "run": first.index,
        "run_event": first.event,
        "event": cx.event, "detail": cx.detail, "deviations_found": len(found),
        "shrink_runs": shrunk.tests, "shrink_complete": shrunk.complete, "shrink_stopped": shrunk.stopped,
        "notes": [{"event": ev, "note": text} for ev, text in cx.notes],
    }


def _rerun(path: str, sch: Schedule, failure: dict[str, Any], until: tuple[str, ...],
           max_events: int = MAX_EVENTS) -> str:
    """The command that re-runs the group's first failing run (not shrunk) to its failure: to the
    breakpoint that fired, or, for an ``expect:`` mismatch (judged on the run's end), to its end as
    explore ran it (its event cap), ``--break X`` showing the hits of an ``expect: not_hit: [X]``
    that fired. It was '--stop-at-break' for those too: the run went past its end cap, or stopped
    nowhere (no breakpoint armed) and exited 0, as if it had not failed (hardening30)."""
    how = ["--schedule", "ordered"] if failure["run"] == 0 else \
        ["--schedule", sch.strategy, *(["--depth", str(sch.depth)] if sch.strategy != "random" else []),
         "--window", str(sch.window)]
    args = ["msidbg", "run", path, *how, "--seed", str(failure["seed"])]
    for spec in until:
        args += ["--break", spec]
    bp = str(failure.get("breakpoint") or "")
    if not bp.startswith("expect:"):
        return shlex.join([*args, "--stop-at-break"])
    if bp.startswith("expect:not_hit:") and bp[len("expect:not_hit:"):] not in until:
        args += ["--break", bp[len("expect:not_hit:"):]]
    return shlex.join([*args, "--max-events", str(max_events)])


def _replay(sch: Schedule, devs: list[Deviation]) -> Schedule:
    return Schedule(sch.strategy, sch.depth, sch.window, sch.horizon, Plan(devs))
