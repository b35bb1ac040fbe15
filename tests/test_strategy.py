"""Schedule strategies: ranges, jitter, random/pct/delay, recorded choices and their replay."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import Session
from msidbg.debugger.snapshot import seal
from msidbg.errors import SnapshotError
from msidbg.model import contexts, new_engine, resolve_schedule
from msidbg.scenario import Scenario
from msidbg.sim import strategy
from msidbg.sim.scheduler import Engine
from msidbg.sim.strategy import Plan, Schedule, run_seed
from msidbg.sim.world import state_hash
from tests.conftest import SCENARIOS, run_to_end, scenario, shipped


def rows(eng: Engine) -> bytes:
    """The whole event log, in the 7-column layout snapshots digest."""
    return eng.log.rows_bytes(0, len(eng.log))

UNCERTAIN = """
name: uncertain
schedule: {schedule}
timing: {{jitter: 20%}}
cpus: 3
devices:
  a: {{bdf: "00:01.0", msix: {{table_size: 2}}}}
  b: {{bdf: "00:02.0", msix: {{table_size: 2}}}}
run:
  - {{at: 0~20us, on: 0, do: probe, dev: a, mode: msix, vectors: 2}}
  - {{at: 0~20us, on: 1, do: probe, dev: b, mode: msix, vectors: 2}}
  - {{at: 50us~60us, do: fire, dev: a, vector: 0, count: 20, every: 1us, jitter: 30%}}
  - {{at: 50us, do: fire, dev: b, vector: 1, count: 20, every: 1us}}
  - {{at: 51us~80us, on: 2, do: set_affinity, dev: a, vector: 0, cpu: 2, jitter: 2us}}
"""


def uncertain(schedule: str = "ordered") -> Scenario:
    return scenario(UNCERTAIN.format(schedule=schedule))


def fixed_times() -> Scenario:
    """``uncertain`` with each range at its start and no jitter: what ``ordered`` must run."""
    text = UNCERTAIN.format(schedule="ordered").replace("timing: {jitter: 20%}\n", "")
    for rng, lo in (("0~20us", "0"), ("50us~60us", "50us"), ("51us~80us", "51us")):
        text = text.replace(rng, lo)
    return scenario(text.replace(", jitter: 30%", "").replace(", jitter: 2us", ""))


def run(scn: Scenario, seed: int, sch: Schedule) -> Engine:
    eng = new_engine(scn, seed, schedule=sch)
    while eng.step():
        pass
    return eng


def test_ordered_takes_each_range_at_its_start_and_no_jitter() -> None:
    a, b = run_to_end(uncertain()), run_to_end(fixed_times())
    assert rows(a) == rows(b) and state_hash(a.w) == state_hash(b.w)
    assert "sched" not in a.w and a.pick is None and a.jitter is None and len(a.trace.plan) == 0


def test_shipped_scenarios_build_the_world_they_always_built() -> None:
    eng = new_engine(shipped("xen-pirq-reuse-nvme"))
    assert "sched" not in eng.w and eng.w["policy"] == "ordered" and eng.pick is None


@pytest.mark.parametrize("name", ["random", "pct", "delay"])
@pytest.mark.parametrize("seed", [1, 2])
def test_each_strategy_replays_its_recorded_choices_to_the_same_state_hash(name: str, seed: int) -> None:
    scn = uncertain(name)
    sch = resolve_schedule(scn)
    one = run(scn, seed, sch)
    assert len(one.trace.plan) > 3, "ranges, jitter and choices must have deviated somewhere"
    two = run(scn, seed, dataclasses.replace(sch, plan=one.trace.plan))
    assert state_hash(two.w) == state_hash(one.w)
    assert rows(two) == rows(one) and two.choices == one.choices
    assert two.trace.plan.items() == one.trace.plan.items()


@pytest.mark.parametrize("name", ["random", "pct", "delay"])
def test_xen_runs_replay_their_choices(name: str) -> None:
    scn = shipped("explore-xen-pirq-reuse")
    sch = resolve_schedule(scn, name)
    one = run(scn, run_seed(1, 3), sch)
    two = run(scn, run_seed(1, 3), dataclasses.replace(sch, plan=Plan(one.trace.plan.items())))
    assert state_hash(two.w) == state_hash(one.w) and rows(two) == rows(one)


SHIPPED = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))


@pytest.mark.parametrize("name", ["random", "pct", "delay"])
def test_every_shipped_scenario_replays_its_choices(name: str) -> None:
    # every model feature a strategy meets (probes, Xen's eoi_timer, the vector cleanup timer,
    # QEMU's queue, remapping) must leave a run that its recorded choices reproduce exactly
    assert len(SHIPPED) > 20
    for stem in SHIPPED:
        scn = shipped(stem)
        sch = resolve_schedule(scn, name)
        one = run(scn, run_seed(scn.seed, 4), sch)
        two = run(scn, run_seed(scn.seed, 4), dataclasses.replace(sch, plan=Plan(one.trace.plan.items())))
        assert state_hash(two.w) == state_hash(one.w) and rows(two) == rows(one), stem


def test_an_empty_plan_replays_the_ordered_baseline() -> None:
    scn = uncertain("pct")
    base = run_to_end(uncertain())
    empty = run(scn, 5, dataclasses.replace(resolve_schedule(scn), plan=Plan()))
    assert rows(empty) == rows(base) and len(empty.trace.plan) == 0


def test_range_draws_stay_in_their_ranges_and_vary_with_the_seed() -> None:
    scn = uncertain("random")
    starts = set()
    for seed in range(30):
        eng = new_engine(scn, seed)
        acts = eng.w["actions"]
        assert 0 <= acts[0]["at"] <= 20_000 and 0 <= acts[1]["at"] <= 20_000
        assert 50_000 <= acts[2]["at"] <= 60_000 and acts[3]["at"] == 50_000 and 51_000 <= acts[4]["at"] <= 80_000
        fires = sorted(it[0] for it in eng.w["agenda"].values() if it[2] == "fire")
        assert fires == sorted([acts[2]["at"], 50_000])
        starts.add(acts[0]["at"])
    assert len(starts) > 20


def test_jitter_stays_within_its_bound() -> None:
    scn = uncertain("random")
    eng = new_engine(scn, 11)
    eng.trace.describe = contexts.describe
    while eng.step():
        pass
    assert len(eng.trace.jitters) > 20
    for ctx, cost, d in eng.trace.jitters.values():
        bound = 2000 if ctx == "CPU2" else cost // 5 if ctx.startswith("CPU") else cost * 3 // 10
        assert -min(bound, cost) <= d <= bound, (ctx, cost, d)
        assert d != 0


def test_time_never_runs_backwards_when_a_window_lets_later_steps_run_first() -> None:
    scn = uncertain("pct")
    for seed in range(5):
        eng = run(scn, seed, resolve_schedule(scn, window=20_000))
        times = list(eng.log.times)
        assert all(a <= b for a, b in zip(times, times[1:], strict=False))
        assert eng.w["ended"]


def test_delay_defers_the_otherwise_next_contexts() -> None:
    s = {"points": [3, 3, 7], "n": 3}
    assert strategy._delay(s, ["A", "A", "B", "C"]) == 3        # two deferrals: A and B wait
    s["n"] = 7
    assert strategy._delay(s, ["A", "A", "B", "C"]) == 2        # one: A waits, B runs
    s["n"] = 4
    assert strategy._delay(s, ["A", "B"]) == 0                  # no deferral point: ordered
    s.update(n=3)
    assert strategy._delay(s, ["A", "B"]) == 1                  # more deferrals than contexts


def test_pct_runs_the_highest_priority_and_lowers_it_at_a_change_point() -> None:
    w = {"rng": 1}
    s = {"prio": {"A": 10, "B": 20}, "depth": 3, "points": [5, 9], "n": 4, "changed": 0}
    assert strategy._pct(w, s, ["A", "B"]) == 1
    s["n"] = 5
    assert strategy._pct(w, s, ["A", "B"]) == 0 and s["prio"]["B"] == 1 and s["changed"] == 1
    s["n"] = 9  # C competes for the first time: a random priority above every lowered one, so it
    # is the one to run, and the second change point lowers it to 2, below A (10) but above B (1)
    assert strategy._pct(w, s, ["B", "C", "A"]) == 2
    assert s["prio"] == {"A": 10, "B": 1, "C": 2} and s["changed"] == 2


def test_run_seeds_are_stable() -> None:
    assert [run_seed(1, i) for i in (1, 2, 3)] == [run_seed(1, 1), run_seed(1, 2), run_seed(1, 3)]
    assert len({run_seed(0, i) for i in range(1, 1000)}) == 999
    assert run_seed(0, 1) == 5225608189600411232


@pytest.mark.parametrize("name", ["random", "pct", "delay"])
def test_a_saved_run_with_a_plan_verifies_and_lands_where_it_was(name: str, tmp_path: Path) -> None:
    scn = uncertain(name)
    sch = resolve_schedule(scn)
    found = run(scn, 4, sch).trace.plan
    shrunk = Plan(found.items()[::2])
    s = Session(scn, 4, schedule=dataclasses.replace(sch, plan=shrunk))
    s.run(120)
    s.save(str(tmp_path / "p.msgpack"))
    t = Session.open(str(tmp_path / "p.msgpack"))
    assert t.cursor == 120 and state_hash(t.world) == state_hash(s.world)
    assert t.schedule.plan is not None and t.schedule.plan.items() == shrunk.items()
    assert (t.schedule.strategy, t.schedule.window, t.schedule.horizon) == (name, sch.window, sch.horizon)


def test_a_tampered_plan_is_a_bad_file(tmp_path: Path) -> None:
    import zlib

    import msgpack

    scn = uncertain("random")
    s = Session(scn, 4, schedule=dataclasses.replace(resolve_schedule(scn), plan=Plan([("at", 0, 5)])))
    s.run(50)
    path = tmp_path / "p.msgpack"
    s.save(str(path))
    doc = msgpack.unpackb(path.read_bytes(), raw=False)
    doc["schedule"]["plan"] = zlib.compress(msgpack.packb([["at", -1, 5]]))
    path.write_bytes(msgpack.packb(doc, use_bin_type=True))
    with pytest.raises(SnapshotError, match="sha256 does not match"):
        Session.open(str(path))
    path.write_bytes(seal(doc))  # a consistent file with a bad plan: the field check refuses it
    with pytest.raises(SnapshotError, match="schedule.plan"):
        Session.open(str(path))


def test_identical_signal_streams_each_get_their_own_start() -> None:
    scn = scenario("""
        name: twins
        schedule: random
        devices: {a: {bdf: "00:01.0", msix: {table_size: 2}}}
        run:
          - {at: 0, do: probe, dev: a, mode: msix, vectors: 2}
          - {at: 50us~60us, do: fire, dev: a, vector: 0, count: 3, every: 1us}
          - {at: 50us~60us, do: fire, dev: a, vector: 0, count: 3, every: 1us, jitter: 10%}
          - {at: 50us, do: fire, dev: a, vector: 0, count: 3, every: 1us}
        """)
    for seed in range(5):
        w = new_engine(scn, seed).w
        fires = sorted((it[0], len(it) > 7 and it[7]) for it in w["agenda"].values() if it[2] == "fire")
        acts = w["actions"]
        assert fires == sorted([(acts[1]["at"], False), (acts[2]["at"], 2), (50_000, False)])


def test_timer_items_have_their_own_context_and_a_true_description() -> None:
    # the local APIC timer of the vector-cleanup timer (kernel 6.6+) and Xen's 1 ms eoi_timer
    # came with the fidelity work: a CPU's timer is hardware beside that CPU's steps (its own
    # PCT priority, one per CPU), and a bookmark note names what it is
    w: dict[str, Any] = {"cpus": [], "actions": []}
    t0, t1 = [5, 1, "vtimer", 0, 7], [5, 2, "vtimer", 1, 8]
    assert (contexts.context(t0), contexts.context(t1)) == ("CPU0 timer", "CPU1 timer")
    assert contexts.describe(w, t1) == "CPU1's local APIC timer (vector cleanup)"
    eoi = [9, 3, "xen", "eoi_timer", 33, 12]
    assert contexts.context(eoi) == "Xen" and contexts.describe(w, eoi) == "Xen's eoi_timer of host irq 33"
    work = [9, 4, "xen", "irq", "nic0", 2, 1, 40]
    assert contexts.describe(w, work) == "Xen's interrupt work for nic0 vector 2"
