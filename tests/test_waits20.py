"""waits20: waits that depend on a CPU being online, across that CPU's offline and its return.

The held-out file tests/waits20/w01 pins the 6.6 vector cleanup timer (bdc1dad299bb) armed on a CPU that then
goes offline: lapic_offline's __vector_cleanup(cl, false) frees the old vector on the dying CPU and deletes the
timer, so nothing waits for that CPU any more, and after it returns the irq moves there again (assign_vector_locked
finds the clist unhashed: no -EBUSY). The smoke test draws a few hotplug-heavy cases from the two seeded fuzzers
(``--hotplug``): every run must end by itself within the harness's bound, twice the same."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from msidbg.debugger import headless
from msidbg.errors import MsidbgError
from msidbg.model import new_engine
from msidbg.scenario import load_scenario, load_scenario_text
from msidbg.sim.world import state_hash
from tests.conftest import run_to_end
from tests.heldout19 import fuzz19
from tests.heldout_xen19 import fuzz_xen

HELD = Path(__file__).parent / "waits20"


def _events(eng: Any, *kinds: str) -> list[Any]:
    return [e for e in eng.log.events(1, len(eng.log) + 1) if e.kind in kinds]


def _allocated(eng: Any, cpu: int) -> list[int]:
    alloc = eng.w.cpus[cpu].alloc
    return [v for v in range(256) if alloc[v // 32] >> (v % 32) & 1]


def test_cleanup_timer_on_a_cpu_going_offline_is_deleted_and_the_vector_freed() -> None:
    eng = run_to_end(load_scenario(str(HELD / "w01-cleanup-timer-offline-online-k66.yaml")))
    notes = [(e.time_ns, e.cpu) for e in _events(eng, "kernel") if "timer armed" in str(e.fields.get("what"))]
    assert notes == [(1_600_400, 2), (13_000_400, 1)]        # CPU1's timer at 1.6 ms, CPU2's at 13 ms
    # CPU1's timer (due 5.6 ms) never fires: lapic_offline deleted it; CPU2's frees the second move's old vector
    assert [(e.time_ns, e.cpu) for e in _events(eng, "timer.fire")] == [(17_000_400, 2)]
    assert [e.fields["result"] for e in _events(eng, "action.done") if e.fields["do"] == "set_affinity"] == [0, 0]
    handled = [(e.time_ns, e.cpu) for e in _events(eng, "irq.handler")]
    assert handled == [(1_501_600, 1), (1_600_600, 2), (12_001_600, 2), (13_000_600, 1)]
    # 0x20 was freed on CPU1 at its offline (it is 0x20 there again), and on CPU2 by CPU2's timer
    assert _allocated(eng, 1) == [0x20] and _allocated(eng, 2) == []
    assert not eng.agenda


def _ends(text: str, seed: int, bound: int) -> tuple[int, str] | None:
    try:
        scn = load_scenario_text(text, "waits20.yaml")
    except MsidbgError:
        return None
    runs = []
    for _ in range(2):
        try:
            eng = new_engine(scn, seed)
        except MsidbgError:
            return None
        n = 0
        while eng.step():
            n += 1
            assert n < bound, f"the run did not end within {bound} steps:\n{text}"
        runs.append((eng.w["events"], state_hash(eng.w)))
    assert runs[0] == runs[1], f"two runs differ:\n{text}"
    return runs[0]


def test_hotplug_fuzz_runs_end_and_are_deterministic() -> None:
    rng = random.Random(2020)
    ran = sum(_ends(fuzz19.scenario(rng, True), i, 300_000) is not None for i in range(6))
    r = random.Random(2020)
    ran += sum(_ends(fuzz_xen.scenario(r, n, True), 0, 300_000) is not None for n in range(6))
    assert ran >= 6


def _done(eng: Any) -> list[tuple[int, int, str, int]]:
    """(time, CPU, do, result) of every action.done, in order."""
    return [(e.time_ns, e.cpu, e.fields["do"], e.fields["result"]) for e in _events(eng, "action.done")]


def test_task_woken_off_an_offline_cpu_frees_that_cpu_for_its_next_action_pv() -> None:
    """The driver asleep on vCPU1 is placed on vCPU0 by its wakeup (select_fallback_rq); the task pinned to
    vCPU1 at 9 ms, vCPU1 online again, runs there. It stayed queued behind the task that had left: the run
    ended without it (its expect block: 1 delivered of 2)."""
    scn = load_scenario(str(HELD / "w02-pv-sleeper-woken-offline-next-action-x413-k510.yaml"))
    eng = run_to_end(scn)
    assert [a["state"] for a in eng.w.actions] == ["done"] * 7
    assert _done(eng)[-1] == (9_003_300, 1, "doorbell", 0)
    assert [(e.time_ns, e.cpu) for e in _events(eng, "action.start") if e.fields["action"] == 6] == [(9_000_000, 1)]
    assert headless.check(scn) == []


def test_task_woken_off_an_offline_cpu_next_actions_refused_then_run() -> None:
    """Bare metal 6.6: after the sleeper leaves CPU1, the task due at 6.5 ms (CPU1 out) is refused -EINVAL as
    on_act refuses any action on an inactive CPU; the one at 9 ms runs on CPU1."""
    scn = load_scenario(str(HELD / "w03-sleeper-woken-offline-next-actions-k66.yaml"))
    eng = run_to_end(scn)
    assert (6_500_000, 1, "doorbell", -22) in _done(eng)
    assert _done(eng)[-1] == (9_002_500, 1, "doorbell", 0)
    assert all(a["state"] == "done" for a in eng.w.actions)
    assert headless.check(scn) == []


def test_every_action_ends_in_the_hotplug_fuzz() -> None:
    """No action is left queued at the end of a hotplug-heavy run (a task pinned to a CPU waits for that CPU
    only while it is online and busy)."""
    rng = random.Random(77)
    seen = 0
    for i in range(8):
        text = fuzz19.scenario(rng, True)
        try:
            eng = new_engine(load_scenario_text(text, "waits20.yaml"), i)
        except MsidbgError:
            continue
        n = 0
        while eng.step():
            n += 1
            assert n < 300_000
        seen += 1
        assert [i for i, a in enumerate(eng.w.actions) if a["state"] in ("queued", "running")] == [], text
    assert seen >= 3
