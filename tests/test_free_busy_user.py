"""free_msi_irqs on 5.17+ with an irq that still has an action *and* is in use by another CPU's handler.

Found by test_why_dirty's hypothesis search (qemuio lane): ``_busy_teardown``'s 5.17+ note ("freed with
its action attached") and ``refuse_in_use``'s -EBUSY note landed in the same step, and the engine
stopped with "step N emitted 2 events". The model refuses a teardown under another CPU's frames
(reading kernel.msi.free-busy's companion: it does not follow a use-after-free), so only the refusal
is logged.
"""
from __future__ import annotations

from typing import Any

import pytest

from msidbg.model import new_engine
from msidbg.model.kernel import msi as kmsi
from msidbg.scenario import load_scenario_text

SCENARIO = """\
name: free-busy-user
cpus: 4
schedule: ordered
seed: 0
devices:
  d0: {bdf: "00:03.0", passthrough: false, msix: {table_size: 3}}
run:
  - {at: 0, on: 0, do: probe, dev: d0, mode: msix, vectors: 3}
  - {at: 20000, on: 1, do: free_vectors, dev: d0}
"""


def test_teardown_under_another_cpus_handler_is_refused_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """pci_free_irq_vectors' first step finds nobody on the irqs; by free_msi_irqs a handler on CPU3
    holds irq 24 (the hypothesis case had one arrive in between: its timing moves with the model, so
    the holder is put in by hand here). The irqs still have their actions (5.17+: no BUG_ON)."""
    calls = []

    def user(k: Any, irqs: set[int]) -> str | None:
        calls.append(sorted(irqs))
        return None if len(calls) == 1 else f"irq {min(irqs)} is in use by CPU3 in handle_edge_irq"

    monkeypatch.setattr(kmsi, "irq_user", user)
    eng = new_engine(load_scenario_text(SCENARIO, "free-busy-user.yaml"), None)
    eng.run_sync(max_events=10_000)
    notes = [e for e in eng.log.events(1, len(eng.log) + 1)
             if e.kind == "kernel" and e.get("prog") == "free_msi_irqs"]
    assert len(notes) == 1, [e.describe() for e in notes]
    assert "is in use by CPU3" in notes[0].get("what") and notes[0].get("value") == -16
    assert len(calls) >= 2
