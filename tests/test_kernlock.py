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


def _free_in_flight(version: str) -> str:
    """eth0's INTx (GSI 16, CPU1) is sent while CPU1 runs eth1's 20us handler (moved there, the move applied by an
    interrupt at 30us: from 4.15 CPU0 keeps only the timer's ISA vector, so eth1's vector lands on CPU0); CPU0 frees eth0's irq meanwhile,
    then requests it again and the function interrupts once more."""
    return f"""
name: freesync
cpus: 2
costs: {{handler: 20us}}
kernel: {{version: "{version}"}}
devices:
  eth1: {{bdf: "00:04.0", kind: nic, msix: {{table_size: 2}}}}
  eth0: {{bdf: "00:03.0", kind: nic, intx: {{pin: A, gsi: 16}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}}
  - {{at: 10us, on: 0, do: probe, dev: eth1, mode: msix, vectors: 1}}
  - {{at: 20us, on: 0, do: set_affinity, dev: eth1, vector: 0, cpu: 1}}
  - {{at: 30us, do: fire, dev: eth1, vector: 0}}
  - {{at: 100us, do: fire, dev: eth1, vector: 0}}
  - {{at: 102us, do: fire, dev: eth0, vector: 0}}
  - {{at: 104us, on: 0, do: free_irq, dev: eth0, vector: 0}}
  - {{at: 300us, on: 1, do: request_irq, dev: eth0, vector: 0}}
  - {{at: 400us, do: fire, dev: eth0, vector: 0}}
"""


def test_free_irq_waits_for_remote_irr_from_5_3() -> None:
    """62e0468650c3 + dfe0cf8b51b0: free_irq's __synchronize_hardirq(desc, true) polls the IO-APIC's Remote
    IRR (ioapic_irq_get_chip_state) until CPU1's handle_fasteoi_irq (irq shut down: IRQS_PENDING, mask, EOI)
    clears it; only then is the entry cleared and the vector freed. The line works after request_irq."""
    eng = run_to_end(scenario(_free_in_flight("6.6")))
    evs = _events(eng)
    wait = next(i for i, e in enumerate(evs) if e.kind == "kernel" and "Remote IRR set" in str(e.fields["what"]))
    eoi = next(i for i, e in enumerate(evs) if i > wait and e.kind == "apic.eoi" and e.cpu == 1)
    cleared = next(i for i, e in enumerate(evs) if e.kind == "ioapic.rte" and e.fields["what"] == "masked (deactivated)")
    assert evs[wait].cpu == 0 and wait < eoi < cleared
    assert not [e for e in evs if e.kind == "irq.unhandled"]
    a = eng.w["acct"]["eth0"]   # type: ignore[attr-defined]
    assert (a["delivered"][0], a["lost"][0]) == (2, 0)
    assert eng.w["ioapic"][16]["remote_irr"] is False   # type: ignore[attr-defined]


def test_free_irq_before_the_sync_leaves_remote_irr_stuck() -> None:
    """Before it (5.2, 4.19.59) free_irq deactivates at once: CPU1 takes the vector after it was freed ('No irq
    handler for vector'), its EOI names vector no entry holds (the entry was cleared to vector 0), and Remote
    IRR stays set -- the re-requested GSI never interrupts again. 4.19.60 carries the backport."""
    from msidbg.model.kernel.sw import sw_w

    for version in ("5.2", "4.19.59"):
        eng = run_to_end(scenario(_free_in_flight(version)))
        assert sw_w(eng.w, "sync_irq_chip_state") is False
        assert [e.cpu for e in _events(eng) if e.kind == "irq.unhandled"] == [1]
        a = eng.w["acct"]["eth0"]   # type: ignore[attr-defined]
        assert (a["delivered"][0], a["lost"][0]) == (0, 2)
        assert eng.w["ioapic"][16]["remote_irr"] is True   # type: ignore[attr-defined]
    eng = run_to_end(scenario(_free_in_flight("4.19.60")))
    assert sw_w(eng.w, "sync_irq_chip_state") is True
    assert eng.w["acct"]["eth0"]["lost"][0] == 0    # type: ignore[attr-defined]


IR_INTX = """
name: irintx
cpus: 4
platform: {interrupt_remapping: true}
devices:
  eth0: {bdf: "00:03.0", kind: nic, intx: {pin: A, gsi: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 100us, do: fire, dev: eth0, vector: 0, count: 40, every: 500ns}
  - {at: 105us, on: 3, do: set_affinity, dev: eth0, vector: 0, cpu: 2}
  - {at: 200us, on: 1, do: free_irq, dev: eth0, vector: 0}
"""


def test_intx_behind_intel_remapping_goes_through_its_irte() -> None:
    """IR-IO-APIC (Intel VT-d): the pin's IRTE gets vector and CPU (intel_irq_remapping_activate), the entry is
    written in IR format with the pin number as its vector; an asserted line is delivered as the IRTE's vector
    to the IRTE's CPU, and ioapic_ir_ack_level's eoi_ioapic_pin(pin) clears Remote IRR: nothing is lost."""
    eng = run_to_end(scenario(IR_INTX))
    evs = _events(eng)
    rte = next(e for e in evs if e.kind == "ioapic.rte")
    irte = next(e for e in evs if e.kind == "iommu.irte")
    assert irte.index < rte.index and rte.fields["vector"] == 16 and "IR format: IRTE" in rte.fields["what"]
    first = next(e for e in evs if e.kind == "apic.accept" and e.fields["irq"] == 16)
    assert (first.cpu, first.fields["vector"]) == (irte.fields["target"], irte.fields["vector"])
    a = eng.w["acct"]["eth0"]   # type: ignore[attr-defined]
    assert (a["raised"][0], a["delivered"][0], a["lost"][0]) == (40, 40, 0)
    pin = eng.w["ioapic"][16]   # type: ignore[attr-defined]
    assert pin["remote_irr"] is False and eng.w["iommu"]["irte"][pin["irte"]]["owner"] == "IO-APIC"  # type: ignore


def test_remapped_intx_moves_in_process_context_and_the_fasteoi_eoi_waits_for_desc_lock() -> None:
    """ioapic_ir_chip has IRQ_MOVE_PCNTXT: CPU3's irq_set_affinity moves the irq at once (intel_ir_set_affinity:
    vector, IRTE, cleanup; IRQ_SET_MASK_OK_DONE, so the IO-APIC entry is not rewritten) under desc->lock.
    CPU1, whose handle_fasteoi_irq ran the action meanwhile, spins to retake desc->lock before its irq_eoi;
    the interrupts after the move arrive on CPU2."""
    eng = run_to_end(scenario(IR_INTX))
    evs = _events(eng)
    start = next(i for i, e in enumerate(evs) if e.kind == "irq.affinity" and e.fields.get("how") == "direct")
    done = next(i for i, e in enumerate(evs) if e.kind == "action.done" and e.cpu == 3)
    inside = evs[start:done]
    assert [e.kind for e in inside if e.kind in ("vector.assign", "iommu.irte", "ioapic.rte")] == [
        "vector.assign", "iommu.irte"]
    spins = [e for e in inside if e.kind == "kernel" and e.fields.get("prog") == "handle_fasteoi_irq"
             and e.fields.get("what") == "desc->lock: CPU3 is in irq_set_affinity of irq 16"]
    assert [e.cpu for e in spins] == [1]
    assert not [e for e in inside if e.kind == "apic.eoi" and e.cpu == 1]
    later = [e.cpu for e in evs[done:] if e.kind == "apic.accept" and e.fields["irq"] == 16]
    assert later and set(later) == {2}


def test_intx_behind_amd_remapping_is_still_refused() -> None:
    """AMD-Vi's IO-APIC remapping is not modelled: intx: with platform.iommu amd stays a load error naming it."""
    import pytest

    from msidbg.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="amd interrupt remapping"):
        scenario(IR_INTX.replace("{interrupt_remapping: true}", "{interrupt_remapping: true, iommu: amd}"))


def test_stop_machine_waits_for_a_writer_inside_its_irqsave_section() -> None:
    """CPU0 offlines CPU2 while CPU3's irq_set_affinity holds desc->lock with interrupts (and so preemption)
    off: CPU3's stopper thread cannot run until the unlock (raw_spin_lock_irqsave's preempt_disable), so
    stop_machine counts it with the CPUs in hardirq and CPU3 acks MULTI_STOP_PREPARE only after the chip call
    returned (the model used to preempt the task at once: a flow handler spinning on the lock elsewhere then
    held the rendezvous for ever -- tests/test_explore12.py's plan)."""
    text = WRITER + "  - {at: 110050ns, on: 0, do: cpu_offline, cpu: 2}\n"
    eng = run_to_end(scenario(text))
    evs = _events(eng)
    wait = next(e for e in evs if e.kind == "kernel" and "MULTI_STOP_PREPARE)" in str(e.fields["what"]))
    assert "CPU3" in wait.fields["what"]
    done = next(e for e in evs if e.kind == "action.done" and e.cpu == 3)
    ack = next(e for e in evs if e.kind == "kernel" and e.cpu == 3 and "MULTI_STOP_PREPARE acked" in e.fields["what"])
    assert wait.index < done.index < ack.index
    a = eng.w["acct"]["eth0"]   # type: ignore[attr-defined]
    assert (a["delivered"][0], a["lost"][0]) == (200, 0)


def test_free_irq_and_disable_irq_wait_for_a_writer_holding_desc_lock() -> None:
    """__free_irq and __disable_irq take desc->lock: while CPU3's irq_set_affinity holds it across the chip call,
    CPU1's free_irq (and CPU2's disable_irq) spin, and act only after the writer returned."""
    for do, cpu in (("free_irq", 1), ("disable_irq", 2)):
        text = WRITER + f"  - {{at: 110050ns, on: {cpu}, do: {do}, dev: eth0, vector: 0}}\n"
        eng = run_to_end(scenario(text))
        evs = _events(eng)
        spin = next(e for e in evs if e.kind == "kernel" and e.cpu == cpu
                    and e.fields["what"] == "desc->lock: CPU3 is in irq_set_affinity of irq 24")
        done = next(e for e in evs if e.kind == "action.done" and e.cpu == 3)
        acted = next(e for e in evs if e.kind in ("irq.free", "irq.disable") and e.cpu == cpu)
        assert spin.index < done.index < acted.index, do
