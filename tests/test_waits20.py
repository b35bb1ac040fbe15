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
