"""Provenance with 64 CPUs or more: a deferred move's CPU mask does not fit an int64 and must
neither crash the run (it did: OverflowError in the record array) nor lose CPUs in `why`."""

from __future__ import annotations

from msidbg.debugger import Session
from msidbg.model import provcodes as C
from msidbg.scenario import load_scenario_text

SCENARIO = """\
name: many-cpus-move
cpus: 72
devices:
  nic0: {bdf: "00:01.0", kind: nic, msix: {table_size: 1}}
run:
  - {at: 0, on: 0, do: probe, dev: nic0, mode: msix, vectors: 1}
  - {at: 100us, on: 0, do: set_affinity, dev: nic0, vector: 0, cpu: 70}
  - {at: 200us, do: fire, dev: nic0, vector: 0, count: 3, every: 20us}
"""


def test_a_move_to_cpu_70_is_recorded_with_its_whole_mask() -> None:
    s = Session(load_scenario_text(SCENARIO, "many.yaml"))
    s.run()
    p = s.eng.prov
    p.flush()
    moves = [r for r in range(len(p.rec) >> 2) if p.code(r) == C.MOVE_PENDING]
    assert moves, "the deferred move to CPU70 was not recorded"
    assert {p.x(r) for r in moves} == {1 << 70}
    assert p.big and set(p.big.values()) == {1 << 70}
    delivered = s.summary()["devices"]["nic0"]["vectors"][0]["delivered"]
    assert delivered == 3
