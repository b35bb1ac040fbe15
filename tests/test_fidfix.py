"""Fidelity fixes of the session of 2026-12-02 (fidfix): two irq_set_affinity writers on one remapped irq are
serialised by desc->lock (kernel/irq/manage.c __irq_set_affinity: raw_spin_lock_irqsave around
irq_set_affinity_locked and the chip's intel_ir_set_affinity)."""

from __future__ import annotations

from tests.conftest import run_to_end, scenario

CONC = """
name: conc-aff
cpus: 4
platform:
  interrupt_remapping: true
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 1ms, on: 1, do: set_affinity, dev: eth0, vector: 0, cpu: 2}
  - {at: 1ms, on: 2, do: set_affinity, dev: eth0, vector: 0, cpu: 3}
"""


def test_second_affinity_writer_waits_for_the_first_chip_call() -> None:
    """CPU1's intel_ir_set_affinity (vector, IRTE, cleanup) runs under desc->lock: CPU2's irq_set_affinity spins
    until it returns, and only then meets the vector domain's -EBUSY (the old vector's cleanup is outstanding)
    and leaves a pending move -- never an attempt between CPU1's vector assignment and its IRTE write."""
    eng = run_to_end(scenario(CONC))
    log = eng.log  # type: ignore[attr-defined]
    evs = [log.event(i) for i in range(1, eng.cur + 1)]  # type: ignore[attr-defined]
    seq = [(e.kind, e.fields.get("what", e.fields.get("how", e.fields.get("action"))))
           for e in evs if e.time_ns >= 1_000_000]
    done1 = seq.index(("action.done", 1))
    irte = seq.index(("iommu.irte", None))
    busy = [i for i, s in enumerate(seq) if s == ("kernel", "vector assignment failed")]
    assert len(busy) == 1 and irte < done1 < busy[0]
    assert [i for i, s in enumerate(seq) if s[0] == "irq.affinity"][1] > done1
    assert any(s[1] == "desc->lock: CPU1 is in irq_set_affinity of irq 24" for s in seq)
    d = eng.w["irqs"][24]  # type: ignore[attr-defined]
    assert (d["cpu"], d["move_pending"], d["pending_mask"]) == (2, True, [3])
