"""kernfid2: irq_set_affinity_hint() set the irq's affinity only from e2e64a932556 ("genirq: Set
initial affinity in irq_set_affinity_hint()", ``kernel.hint_sets_affinity``); before it the call
only stored desc->affinity_hint for /proc/irq/N/affinity_hint (irqbalance's input)."""

from __future__ import annotations

import pytest

from tests.conftest import events_of, run_to_end, scenario, totals

HINT = """
name: hint-history
cpus: 4
kernel: {{version: "{kernel}", vector_allocator: matrix}}   # 3.x allocators are refused at load: pin one
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}}
  - {{do: request_irq, dev: eth0, vector: 0, hint: 3}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0, count: 2, every: 10us}}
"""


@pytest.mark.parametrize(("kernel", "moved"), [("3.18", False), ("3.19", False), ("4.0", True), ("5.17", True)])
def test_the_hint_moves_the_irq_only_from_e2e64a932556(kernel: str, moved: bool) -> None:
    """3.18: the hint {3} is stored and the irq stays where activation put it (CPU1), every signal
    handled there (3.19 too: e2e64a932556 was merged after 3.19, auditkern2); from 4.0 the same
    call is a pending move to CPU3, applied at the first interrupt. 5.17's irq_set_affinity_hint() is irq_set_affinity_and_hint(): still a move."""
    eng = run_to_end(scenario(HINT.format(kernel=kernel)))
    w = eng.w
    d = w["irqs"][w["kernel"]["pci"]["eth0"]["descs"][0]["irq"]]
    assert d["hint"] == [3]
    assert [e.fields["target"] for e in events_of(eng, "irq.affinity")] == ([3] if moved else [])
    assert [e.fields["target"] for e in events_of(eng, "vector.assign")] == ([1, 3] if moved else [1])
    assert [e.cpu for e in events_of(eng, "irq.handler")] == ([1, 3] if moved else [1, 1])
    assert d["affinity_set"] is moved
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


def test_an_explicit_switch_overrides_the_release() -> None:
    """kernel.hint_sets_affinity: false on a current kernel is a driver whose hint call only stores."""
    eng = run_to_end(scenario(HINT.format(kernel="6.6").replace('matrix}', 'matrix, hint_sets_affinity: false}')))
    assert not events_of(eng, "irq.affinity")
    assert totals(eng, "eth0")["delivered"] == 2
