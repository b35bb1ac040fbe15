"""spoll25: a spin nothing can end under poll_spurious_irq_timer, under every schedule policy (revision 15).

* Under jitter every poll of a spin is an event and its ``_spin`` mark held the *nominal* time of the next
  poll, not the jittered time its agenda item carries: poll_spurious_irqs did not recognise the spinner's next
  poll (intx._spin_poll), re-armed the timer, and the spinner never saw an empty agenda -- a run that never
  ended (tests/spoll25/late-spin.yaml under random, pct or delay, its free_irq jittered: cut at any event
  limit on main). The mark now names the next poll's real time (Ctx.spun, on_cpu).
* random, delay and the baseline count that pct and delay draw from picked a spin's polls one by one (only pct
  batched them): leads23's spin-spoll.yaml (CPU3 spins through a 3 s storm of 100,000 interrupts: some 3 x 10^7
  polls) ran for tens of minutes under them. ``_Picker._lone_polls`` takes the polls the picker would take in a
  row at once; the runs are the same (checked against picking each poll).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from msidbg.model import baseline_choice_points, new_engine, resolve_schedule
from msidbg.scenario import load_scenario
from msidbg.sim import strategy
from msidbg.sim.strategy import run_seed
from tests.conftest import events_of, scenario
from tests.test_pctspin import H02, _run
from tests.test_spinwait import LONG_WAIT

LATE = Path(__file__).resolve().parent / "spoll25" / "late-spin.yaml"


def test_a_jittered_spin_s_mark_names_the_agenda_item_of_its_next_poll() -> None:
    """free_irq's synchronize_irq waits 1 ms for CPU1's handler under random with 20% jitter: at every step
    while CPU3 spins, its frame's mark and CPU3's agenda item agree on the next poll's time. On main the mark
    held the nominal time (poll + 100 ns) and the item the jittered one."""
    scn = scenario(LONG_WAIT.format(handler="1ms") + "timing: {jitter: 20%}\n")
    eng = new_engine(dataclasses.replace(scn, schedule="random"), prov=False)
    seen = 0
    differ = 0
    while eng.step() and eng.w.now < 400_000:
        c = eng.w.cpus[3]
        stack = c.proc.stack
        mark = stack[-1]["locals"].get("_spin") if stack else None
        items = [it for it in eng.agenda.values() if it[2] == "cpu" and it[3] == 3]
        if mark is None or not items or c.proc.wait is not None or mark[1] < eng.w.now:
            continue    # (not spinning: no mark, or a mark left from a wait that ended)
        seen += 1
        differ += items[0][0] != mark[1]
    assert seen > 100 and differ == 0


@pytest.mark.parametrize("policy", ["ordered", "random"])
def test_a_jittered_spin_under_the_spurious_poll_timer_ends_the_run(policy: str) -> None:
    """late-spin.yaml: the storm disables irq 17 as "nobody cared" and arms the poll timer; CPU3's free_irq
    (jittered) then spins for ever. Under random the timer re-armed every 100 ms on main and the spin never
    saw an empty agenda (cut at 1,000,000 events at 3.32 s); now the same end as ordered: the poll is not
    re-armed, the spin 'spins for ever', action 11 never starts."""
    scn = dataclasses.replace(load_scenario(str(LATE)), schedule=policy)
    eng = new_engine(scn, prov=False)
    for _ in range(400_000):
        if not eng.step():
            break
    assert eng.w.ended, f"not ended at event {len(eng.log)}, {eng.w.now} ns"
    polls = [str(e.fields["how"]) for e in events_of(eng, "irq.poll")]
    assert polls[-1].startswith("done (not re-armed") and len(polls) == 4
    stuck = [e for e in events_of(eng, "kernel") if "spins for ever" in str(e.fields["what"])]
    assert len(stuck) == 1 and stuck[0].cpu == 3 and stuck[0].fields["prog"] == "free_irq"
    assert eng.w.now < 3_251_000_000


# --- random, delay and the baseline count take a spin's lone polls at once ----------------------------------
def _counting(monkeypatch: pytest.MonkeyPatch, real: Any) -> list[int]:
    taken = [0]

    def counting(self: Any, *args: Any) -> int:
        n = real(self, *args)
        taken[0] += n
        return n

    monkeypatch.setattr(strategy._Picker, "_lone_polls", counting)
    return taken


@pytest.mark.parametrize("strat", ["random", "delay"])
def test_batched_lone_polls_are_the_polls_picked_one_by_one(strat: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same seeds with the batch and without it (each poll picked by ``__call__``): the same events,
    state hash, deviations, recorded choices, hits, choice-point count and per-context step counts."""
    real = strategy._Picker._lone_polls
    for text, want in ((LONG_WAIT.format(handler="20us"), 800), (H02, 1)):
        scn = scenario(text)
        sch = resolve_schedule(scn, strat, None, None)
        seeds = [run_seed(scn.seed, i) for i in range(1, 6)]
        taken = _counting(monkeypatch, real)
        batched = [_run(scn, seed, sch) for seed in seeds]
        assert taken[0] >= want
        monkeypatch.setattr(strategy._Picker, "_lone_polls", lambda self, *args: 0)
        single = [_run(scn, seed, sch) for seed in seeds]
        assert batched == single


def test_the_baseline_s_choice_points_are_counted_alike_batched(monkeypatch: pytest.MonkeyPatch) -> None:
    """pct and delay draw their points among the ordered baseline's choice points: counted alike."""
    real = strategy._Picker._lone_polls
    for text in (LONG_WAIT.format(handler="20us"), H02):
        scn = scenario(text)
        for window in (0, 2_000, 10_000):
            taken = _counting(monkeypatch, real)
            batched = baseline_choice_points(scn, window)
            assert taken[0] > 0
            monkeypatch.setattr(strategy._Picker, "_lone_polls", lambda self, *args: 0)
            assert batched == baseline_choice_points(scn, window)


@pytest.mark.parametrize("strat", ["random", "delay"])
def test_time_travel_across_batched_lone_polls_is_exact(strat: str) -> None:
    """A Session re-executes from checkpoints (re-execution batches the same polls) and lands on the
    straight run's world at every cursor."""
    from msidbg.debugger import Session
    from msidbg.sim.world import state_hash

    scn = scenario(LONG_WAIT.format(handler="20us"))
    sch = resolve_schedule(scn, strat, None, None)
    seed = run_seed(scn.seed, 3)
    eng = new_engine(scn, seed, schedule=sch)
    hashes = [state_hash(eng.w)]
    while eng.step():
        hashes.append(state_hash(eng.w))
    s = Session(scn, seed, spacing=8, schedule=sch)
    s.seek(len(hashes) - 1)
    assert state_hash(s.eng.w) == hashes[-1]
    for cursor in (len(hashes) // 2, 3, len(hashes) - 2, 20, 21):
        s.seek(cursor)
        assert state_hash(s.eng.w) == hashes[cursor], cursor
