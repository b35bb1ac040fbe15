"""free_msi_irqs on 5.17+ with an irq that still has an action *and* is in use by another CPU's handler.

Found by test_why_dirty's hypothesis search (qemuio lane): ``_busy_teardown``'s 5.17+ note ("freed with
its action attached") and ``refuse_in_use``'s -EBUSY note landed in the same step, and the engine
stopped with "step N emitted 2 events". The model refuses a teardown under another CPU's frames
(reading kernel.msi.free-busy's companion: it does not follow a use-after-free), so only the refusal
is logged.
"""
from __future__ import annotations

from msidbg.model import new_engine
from msidbg.scenario import load_scenario_text

SCENARIO = """\
name: free-busy-user
cpus: 4
schedule: ordered
seed: 0
kernel: {msix_mask_all: early, msi_affinity_update: plain, affinity_before_startup: false, msix_masked_update: false}
devices:
  d0: {bdf: "00:03.0", passthrough: false, msix: {table_size: 3}, quirks: [latch-on-unmask]}
run:
  - {at: 0, on: 1, do: doorbell, dev: d0, vector: 0, timeout: 1ms}
  - {at: 10000, on: 0, do: probe, dev: d0, mode: msix, vectors: 3}
  - {at: 20000, on: 3, do: doorbell, dev: d0, vector: 0, timeout: 1ms}
  - {at: 20000, on: 1, do: free_vectors, dev: d0}
  - {at: 20000, on: 2, do: cpu_offline, cpu: 1}
  - {at: 30000, do: fire, dev: d0, vector: 0, count: 1, every: 1us}
"""


def test_teardown_under_another_cpus_handler_is_refused_once() -> None:
    eng = new_engine(load_scenario_text(SCENARIO, "free-busy-user.yaml"), None)
    eng.run_sync(max_events=10_000)
    notes = [e for e in eng.log.events(1, len(eng.log) + 1)
             if e.kind == "kernel" and e.get("prog") == "free_msi_irqs"]
    assert len(notes) == 1, [e.describe() for e in notes]
    assert "is in use by CPU" in notes[0].get("what") and notes[0].get("value") == -16
