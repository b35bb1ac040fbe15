"""Spin waits under the strategies (random, pct, delay): each poll is still picked by the strategy,
with the same draws and counts, but only the first poll of a wait is an event (revision 7, pctspin);
under pct the polls its picker would take in a row are picked at once (``_Picker.spin_polls``). The
run is the same one the strategy made when every poll was an event: the same choices, deviations,
times and outcome, fewer events."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import Session
from msidbg.errors import DivergenceError
from msidbg.explore import explore
from msidbg.model import new_engine, resolve_schedule
from msidbg.sim import strategy
from msidbg.sim.strategy import Plan, Schedule, run_seed
from msidbg.sim.world import state_hash
from tests.conftest import events_of, scenario
from tests.test_spinwait import LONG_WAIT

FIXTURE = Path(__file__).parent / "fixtures" / "pctspin-loud-polls.msgpack"

#: the held-out h02 of exploreheld (its file without about/expect): an xHCI with plain MSI on an
#: 8-CPU 4.19.102 guest, moved across CPUs during two streams -- pct's spinning CPUs polled 41% of
#: its events
H02 = """\
name: h02-torn-xhci-8cpu
seed: 11
cpus: 8
kernel: {version: "4.19.102"}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, msix: {table_size: 16}}
  xhci: {bdf: "00:14.0", kind: xhci, msi: {vectors: 1, per_vector_mask: false, addr64: false}}
run:
  - {at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 9}
  - {at: 0, on: 1, do: probe, dev: xhci, mode: msi, vectors: 1}
  - {at: 100us~150us, do: fire, dev: xhci, vector: 0, count: 80, every: 11us}
  - {at: 100us~150us, do: fire, dev: xhci, vector: 0, count: 80, every: 13us}
  - {at: 100us~1ms, on: 3, do: set_affinity, dev: xhci, vector: 0, cpu: 5}
  - {at: 100us~1ms, on: 3, do: set_affinity, dev: xhci, vector: 0, cpu: 7}
  - {at: 100us~1ms, on: 3, do: set_affinity, dev: xhci, vector: 0, cpu: 2}
  - {at: 100us~1ms, on: 3, do: set_affinity, dev: xhci, vector: 0, cpu: 6}
breakpoints: [msi-torn-message, irq-spurious, irq-lost]
"""


def _spin_notes(eng: Any) -> list[tuple[int, int, str]]:
    return [(e.time_ns, e.cpu, str(e.fields["what"])) for e in events_of(eng, "kernel")
            if str(e.fields["what"]).startswith(("synchronize_irq: ", "desc->lock: "))]


def _run(scn: Any, seed: int, sch: Schedule) -> tuple[Any, ...]:
    eng = new_engine(scn, seed, schedule=sch, prov=False)
    eng.run_sync()
    events = [(e.kind, e.cpu, e.time_ns, tuple(sorted(e.fields.items()))) for e in eng.log.events(1, len(eng.log) + 1)]
    return (events, state_hash(eng.w), eng.trace.plan.to_rows(), list(eng.choices.items()),
            [(h.event, h.name, h.detail) for h in eng.hits], eng.w["sched"]["n"], dict(eng.w["sched"]["seen"]))


@pytest.mark.parametrize("strat", ["random", "pct", "delay"])
def test_a_strategy_s_spin_notes_once_per_wait_and_its_run_ends_where_every_poll_was_an_event(strat: str) -> None:
    """free_irq's synchronize_irq waits ~20 us for CPU1's handler. Before, each 100 ns poll was an
    event under random, pct and delay (~200 synchronize_irq notes; pct's seed 3 961 events). Now one
    note per wait, and the run ends at the same time with as many deviations as before."""
    scn = scenario(LONG_WAIT.format(handler="20us"))
    sch = resolve_schedule(scn, strat, None, None)
    for i in (2, 3):
        eng = new_engine(scn, run_seed(scn.seed, i), schedule=sch, prov=False)
        eng.run_sync()
        step = eng.w["costs"]["kernel"]
        notes = _spin_notes(eng)
        assert 1 <= len(notes) <= 4
        last: dict[int, tuple[int, str]] = {}
        for t, cpu, what in notes:
            assert last.get(cpu) != (t - step, what), f"CPU{cpu} noted the same spin twice in a row at {t}"
            last[cpu] = (t, what)
        assert len(eng.log) < 70
    if strat == "pct":  # its seed 3: 701 deviations (CPU3's polls run ahead of CPU1's steps), to 192.2 us
        # (lockq23: CPU1 entered handle_edge_irq at 100 us, before CPU3's free_irq came for desc->lock at 101 us --
        # free_irq waits for a CPU in the flow handler -- so CPU1 is ahead in the queue however long pct delays its
        # ack: 701 deviations to 192.2 us, 61 events, as before redteam21, whose queue held tasks only and gave
        # CPU3 the lock first: 395 deviations to 141.5 us, 58 events)
        eng = new_engine(scn, run_seed(scn.seed, 3), schedule=sch, prov=False)
        eng.run_sync()
        assert (len(eng.trace.plan), eng.w["now"], len(eng.log)) == (701, 192_200, 62)   # (intx36: +1 event, the Interrupt Disable write)


def test_pct_s_batched_polls_are_the_polls_picked_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same seeds run with the batch (``_Picker.spin_polls``) and without it (each poll picked
    by ``__call__``, as a replayed plan does): the same events, state hash, deviations, recorded
    choices, hits, choice-point count and per-context step counts -- and the batch did take polls."""
    scn = scenario(H02)
    sch = resolve_schedule(scn, "pct", None, None)
    taken = [0]
    real = strategy._Picker.spin_polls

    def counting(self: Any, *args: Any) -> int:
        n = real(self, *args)
        taken[0] += n
        return n

    seeds = [run_seed(scn.seed, i) for i in range(1, 9)]
    monkeypatch.setattr(strategy._Picker, "spin_polls", counting)
    batched = [_run(scn, seed, sch) for seed in seeds]
    assert taken[0] > 500
    monkeypatch.setattr(strategy._Picker, "spin_polls", lambda self, *args: 0)
    single = [_run(scn, seed, sch) for seed in seeds]
    assert batched == single


def test_a_pct_run_s_trace_replays_to_the_same_run() -> None:
    """A pct run whose spins were batched, replayed from its own deviations (a plan: no batch, each
    poll picked): the same events and world."""
    scn = scenario(LONG_WAIT.format(handler="20us"))
    sch = resolve_schedule(scn, "pct", None, None)
    seed = run_seed(scn.seed, 3)
    eng = new_engine(scn, seed, schedule=sch, prov=False)
    eng.run_sync()
    plan = Plan(eng.trace.plan.items())
    again = _run(scn, seed, Schedule(sch.strategy, sch.depth, sch.window, sch.horizon, plan))
    first = _run(scn, seed, sch)
    assert again[:2] == first[:2] and again[4] == first[4]
    assert len(again[0]) == 62     # (intx36: +1, the Interrupt Disable write; 58 with redteam21's task-only queue; 61 before it and from lockq23)


def test_explore_pct_finds_shrinks_and_replays_with_fewer_events(tmp_path: Path) -> None:
    """explore --strategy pct on h02 finds the torn message at the same run, shrinks it to the same
    deviations, and its snapshot verifies on open; the runs it made have fewer events (the polls)."""
    path = tmp_path / "h02.yaml"
    path.write_text(H02)
    res = explore(str(path), runs=30, strategy="pct", jobs=1, save_failing=str(tmp_path / "out"))
    f = res["failures"][0]
    # intx36: run 7, 2 deviations (was run 1, 3): the probe has one more step (pci_intx), and PCT's change points
    # are step-indexed, so the seeds' schedules differ; the torn message is still found and shrunk
    assert (f["breakpoint"], f["run"], f["deviations"]) == ("msi-torn-message", 7, 2)
    s = Session.open(f["snapshot"])
    assert s.eng.w["events"] == f["event"]
    scn = scenario(H02)
    sch = resolve_schedule(scn, "pct", None, None)
    total = 0
    for i in range(1, 6):
        eng = new_engine(scn, run_seed(scn.seed, i), schedule=sch, prov=False)
        eng.run_sync()
        total += len(eng.log)
    assert total < 3600     # (before: 4,5xx; most of the difference is pct's polls)


def test_a_counterexample_saved_with_every_poll_an_event_is_refused_in_one_line() -> None:
    """A pct run saved before this change (every poll an event, the same model revision number):
    opening it replays and stops at the first poll that is silent now, with one line naming the file
    and the event -- not a traceback, not a wrong world shown as verified."""
    with pytest.raises(DivergenceError) as info:
        Session.open(str(FIXTURE))
    msg = info.value.oneline()
    assert "\n" not in msg and msg.startswith(f"msidbg: {FIXTURE}: ")
    # (event 46 when written by the model just before this change, whose worlds were otherwise the
    # same; a later change to every world makes it event 0)
    found = re.search(r"replay diverged from the recording at event (\d+);", msg)
    assert found is not None and int(found.group(1)) <= 46


def test_time_travel_across_a_batched_pct_wait_is_exact() -> None:
    """A Session under pct (seed 3: CPU3's polls batched, 700 deviations among them): seeking back
    and forth re-executes from checkpoints (re-execution picks and batches the same polls) and lands
    on the straight run's world at every event."""
    scn = scenario(LONG_WAIT.format(handler="20us"))
    sch = resolve_schedule(scn, "pct", None, None)
    seed = run_seed(scn.seed, 3)
    eng = new_engine(scn, seed, schedule=sch)
    hashes = [state_hash(eng.w)]
    while eng.step():
        hashes.append(state_hash(eng.w))
    assert len(hashes) == 63     # (intx36: +1; 59 with redteam21's task-only queue; 62 before it and from lockq23)
    s = Session(scn, seed, spacing=8, schedule=sch)
    s.seek(len(hashes) - 1)
    assert state_hash(s.eng.w) == hashes[-1]
    for cursor in (47, 3, 60, 45, 46, 20):
        s.seek(cursor)
        assert state_hash(s.eng.w) == hashes[cursor], cursor
    s.step_back(2)
    assert state_hash(s.eng.w) == hashes[18]
