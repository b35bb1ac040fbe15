"""Fidelity of the session of 2026-12-02 (kernlock): the flow handlers wait for desc->lock while another CPU's
irq_set_affinity holds it across the chip call (kernel/irq/manage.c __irq_set_affinity:
raw_spin_lock_irqsave(&desc->lock) around irq_set_affinity_locked; kernel/irq/chip.c handle_edge_irq and
handle_fasteoi_irq: raw_spin_lock(&desc->lock) on entry, and again after handle_irq_event's action)."""

from __future__ import annotations

from typing import Any

from tests.conftest import run_to_end, scenario

WRITER = """
name: lockwait
cpus: 4
platform:
  interrupt_remapping: true
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, do: fire, dev: eth0, vector: 0, count: 200, every: 200ns}
  - {at: 110us, on: 3, do: set_affinity, dev: eth0, vector: 0, cpu: 2}
"""


def _events(eng: Any) -> list[Any]:
    log = eng.log
    return [log.event(i) for i in range(1, eng.cur + 1)]


def test_edge_flow_handler_spins_while_a_writer_holds_desc_lock() -> None:
    """CPU3's intel_ir_set_affinity (vector, IRTE, cleanup) runs under desc->lock: the edge that CPU1 (the
    irq's CPU) takes meanwhile spins in handle_edge_irq before its ack -- no handler of irq 24 runs between
    the writer's lock and its return -- and every signal is still delivered."""
    eng = run_to_end(scenario(WRITER))
    evs = _events(eng)
    start = next(i for i, e in enumerate(evs) if e.kind == "irq.affinity" and e.fields.get("how") == "direct")
    done = next(i for i, e in enumerate(evs) if e.kind == "action.done" and e.cpu == 3)
    inside = evs[start:done]
    spins = [e for e in inside if e.kind == "kernel" and e.fields.get("prog") == "handle_edge_irq"
             and e.fields.get("what") == "desc->lock: CPU3 is in irq_set_affinity of irq 24"]
    assert {e.cpu for e in spins} >= {1}
    assert not [e for e in inside if e.kind in ("irq.handler", "apic.eoi") and e.cpu != 3]
    a = eng.w["acct"]["eth0"]   # type: ignore[attr-defined]
    assert (a["raised"][0], a["delivered"][0], a["lost"][0]) == (200, 200, 0)


def test_writer_holds_desc_lock_across_the_chip_call_then_releases_it() -> None:
    """From the writer's lock (its ``direct`` irq.affinity) to its IRTE write desc->lock is CPU3's; after the
    chip call it is free again (the irq then runs on CPU2), and the run is the same twice."""
    from msidbg.model import new_engine

    eng = new_engine(scenario(WRITER))
    held, seen = [], 0
    while eng.step():
        for i in range(seen + 1, eng.cur + 1):
            e = eng.log.event(i)
            if e.kind == "iommu.irte" and e.cpu == 3:
                held.append(eng.w["irqs"][24].lock)   # type: ignore[attr-defined]
        seen = eng.cur
    assert held == [3]
    assert eng.w["irqs"][24].lock == -1      # type: ignore[attr-defined]
    assert eng.w["irqs"][24]["cpu"] == 2     # type: ignore[attr-defined]
    e2 = run_to_end(scenario(WRITER))
    s1 = [(e.time_ns, e.kind, e.cpu, tuple(e.fields.items())) for e in _events(eng)]
    s2 = [(e.time_ns, e.kind, e.cpu, tuple(e.fields.items())) for e in _events(e2)]
    assert s1 == s2
