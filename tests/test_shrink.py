"""Shrinking is monotone (it never returns a passing run), and any explored run saved and opened verifies."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msidbg.debugger import Session
from msidbg.explore.runner import Target, run_once
from msidbg.explore.shrink import ddmin
from msidbg.model import resolve_schedule
from msidbg.sim.strategy import Deviation, Plan, run_seed
from msidbg.sim.world import state_hash
from tests.conftest import shipped
from tests.test_strategy import uncertain


def devs(n: int) -> list[Deviation]:
    return [("jit", ("CPU0", i + 1), i + 1) for i in range(n)]


def make_tester(fails: set[frozenset[int]] | None, culprits: frozenset[int], runs: list[list[Deviation]]) -> Any:
    """A failure predicate over subsets: contains all culprits (monotone), or membership in ``fails``."""
    def failing(c: list[Deviation]) -> bool:
        keys = frozenset(d[1][1] for d in c)
        return culprits <= keys if fails is None else keys in fails

    def test(cands: list[list[Deviation]]) -> tuple[int | None, int]:
        for i, c in enumerate(cands):
            runs.append(c)
            if failing(c):
                return i, i + 1
        return None, len(cands)
    return test, failing


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 40), data=st.data())
def test_ddmin_finds_exactly_the_culprits_of_a_monotone_failure(n: int, data: st.DataObject) -> None:
    culprits = frozenset(data.draw(st.sets(st.integers(1, n), min_size=0, max_size=min(n, 4))))
    runs: list[list[Deviation]] = []
    test, failing = make_tester(None, culprits, runs)
    out = ddmin(devs(n), test)
    assert out.complete and {d[1][1] for d in out.deviations} == culprits
    assert out.tests == len(runs) and failing(out.deviations)


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 16), data=st.data())
def test_ddmin_never_returns_a_passing_run(n: int, data: st.DataObject) -> None:
    """Whatever the (non-monotone) failure predicate, the result is the input or a subset that failed."""
    full = frozenset(range(1, n + 1))
    subsets = data.draw(st.sets(st.frozensets(st.integers(1, n)), max_size=30))
    fails = {full, *subsets}
    runs: list[list[Deviation]] = []
    test, failing = make_tester(fails, frozenset(), runs)
    budget = data.draw(st.integers(1, 200))
    out = ddmin(devs(n), test, budget)
    assert failing(out.deviations)
    assert {d[1][1] for d in out.deviations} <= full
    if out.complete:  # 1-minimal: removing any one deviation passes (or was never tried as such)
        for i in range(len(out.deviations)):
            smaller = out.deviations[:i] + out.deviations[i + 1:]
            assert not failing(smaller) or len(out.deviations) == 1 and not failing([])


def test_a_real_shrink_only_keeps_runs_that_failed() -> None:
    scn = shipped("explore-xen-pirq-reuse")
    target = Target(scn)
    sch = resolve_schedule(scn, "random")
    first = next(r for i in range(1, 20) if (r := run_once(target, i, run_seed(1, i), sch, cover=False)).failed)
    assert first.plan is not None
    tried: list[tuple[list[Deviation], bool]] = []

    def test(cands: list[list[Deviation]]) -> tuple[int | None, int]:
        for i, c in enumerate(cands):
            res = run_once(target, i, first.seed, dataclasses.replace(sch, plan=Plan(c)), cover=False)
            tried.append((c, res.signature == first.signature))
            if res.signature == first.signature:
                return i, i + 1
        return None, len(cands)

    out = ddmin(first.plan.items(), test)
    assert len(out.deviations) < len(first.plan) and any(not ok for _, ok in tried)
    assert (out.deviations, True) in tried
    again = run_once(target, 0, first.seed, dataclasses.replace(sch, plan=Plan(out.deviations)), cover=False)
    assert again.signature == first.signature


SCENARIOS = {"bare-metal": lambda s: uncertain(s), "xen": lambda s: shipped("explore-xen-pirq-reuse")}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(SCENARIOS)), name=st.sampled_from(["random", "pct", "delay"]),
       index=st.integers(1, 10_000), keep=st.integers(0, 7), cut=st.floats(0.05, 1.0))
def test_any_explored_run_saved_and_opened_verifies(kind: str, name: str, index: int, keep: int, cut: float) -> None:
    """A run as explore makes it (a seed and a strategy), or a subset of its deviations as the
    shrinker replays it, saved at any event, opens and verifies by replay to the same world."""
    scn = SCENARIOS[kind](name)
    sch = resolve_schedule(scn, name)
    seed = run_seed(scn.seed, index)
    plan = None
    if keep:
        found = run_once(Target(scn), index, seed, sch, cover=False).plan
        if found is None:
            probe = Session(scn, seed, schedule=sch)
            probe.run()
            found = probe.eng.trace.plan
        plan = Plan(found.items()[::keep])
    s = Session(scn, seed, schedule=dataclasses.replace(sch, plan=plan))
    s.run()
    s.seek(max(1, int(s.total * cut)))
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "run.msgpack")
        s.save(path)
        t = Session.open(path)
    assert t.cursor == s.cursor and state_hash(t.world) == state_hash(s.world)
