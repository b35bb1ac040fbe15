"""irqoff25: a task that takes desc->lock disables interrupts BEFORE it spins (reading
``kernel.lock.irqsave-spin``: include/linux/spinlock_api_smp.h __raw_spin_lock_irqsave runs local_irq_save and
preempt_disable, then waits in the queued spinlock; x86 selects no GENERIC_LOCKBREAK, whose spinlock.c loop
re-enables interrupts between trylocks). An interrupt for a CPU whose task waits for desc->lock stays in its
IRR until the task has the lock and its section restores the flags. Before, the model's task polled with
interrupts on (``spin_on_lock`` came before ``irq_save``) and took interrupts while it waited. Scenarios and
their source predictions: tests/irqoff25/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.conftest import events_of, run_to_end, totals

HERE = Path(__file__).parent / "irqoff25"


def _run(name: str) -> Any:
    return run_to_end(load_scenario(str(HERE / f"{name}.yaml")))


def _accepts(eng: Any, cpu: int, irq: int) -> list[int]:
    return [e.time_ns for e in events_of(eng, "apic.accept") if e.cpu == cpu and e.fields["irq"] == irq]


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")), ids=lambda p: p.stem)
def test_irqoff25_expect_blocks(path: Path) -> None:
    assert headless.check(load_scenario(str(path))) == []


def test_disable_irq_spins_with_interrupts_off_behind_irq_set_affinity() -> None:
    """CPU1's irq_set_affinity holds desc->lock across the IRTE update (1 ms .. 1.0013 ms); CPU0's disable_irq
    comes for it at 1.00005 ms and vector 1 (another irq) fires for CPU0 at 1.00006 ms: it waits in CPU0's IRR
    until disable_irq took the lock and restored the flags. Before: accepted at 1.00015 ms, mid-spin."""
    eng = _run("a01-disable-behind-affinity-k66")
    done = {e.fields["do"]: e.time_ns for e in events_of(eng, "action.done")}
    assert [e.time_ns for e in events_of(eng, "irq.disable")] == [1_001_350]
    assert done["disable_irq"] == 1_001_450
    assert _accepts(eng, 0, 25) == [1_001_550]
    assert _accepts(eng, 0, 25)[0] > done["disable_irq"]
    assert totals(eng, "eth0")["delivered"] == 1


def test_free_irq_spins_with_interrupts_off_behind_the_flow_handler() -> None:
    """CPU0's free_irq waits behind CPU1's handle_fasteoi_irq (300.1 us) with interrupts off; eth1's MSI for
    CPU0 (300.15 us) waits until __free_irq removed the action and irq_shutdown masked the entry under the
    lock (300.4 / 300.5 us). Before: CPU0 took eth1 at 300.2 us and free_irq took the lock only at 303.7 us."""
    eng = _run("a02-free-behind-flow-k66")
    free = [e.time_ns for e in events_of(eng, "irq.free")]
    masked = [e.time_ns for e in events_of(eng, "ioapic.rte") if e.fields["what"] == "masked"]
    assert free == [300_400] and masked == [300_500]
    assert _accepts(eng, 0, 24) == [300_700]
    # CPU1 takes the line no more after the accept of 300 us: the entry is masked before its EOI
    assert [t for t in _accepts(eng, 1, 18) if t >= 300_000] == [300_000]


def test_a_spin_whose_caller_keeps_no_section_restores_the_flags() -> None:
    """enable_irq at depth 2 only decrements the depth: the flags its irqsave spin cleared are restored when it
    takes the lock (irq_put_desc_busunlock). Vector 1's first interrupt waits until then, its second (2 ms)
    is taken at once -- a spin that left interrupts off would lose it for ever."""
    eng = _run("a03-nested-enable-behind-affinity-k66")
    enable = [e.time_ns for e in events_of(eng, "irq.enable")]
    assert enable == [1_001_350]
    assert _accepts(eng, 0, 25) == [1_001_450, 2_000_000]
    assert totals(eng, "eth0")["delivered"] == 2
    assert not eng.w.cpus[0].proc.irqs_off


def test_a_spinning_task_is_not_preempted_by_the_stopper() -> None:
    """__raw_spin_lock_irqsave's preempt_disable comes before the wait too: CPU0's disable_irq, spinning behind
    CPU1's IRTE update when CPU2 starts offlining CPU3, keeps its CPU until it has the lock and its section is
    through; migration/0 acks MULTI_STOP_PREPARE after. Before: the stopper preempted the spinning task and
    disable_irq went on after stop_machine (2.00225 ms)."""
    eng = _run("a04-disable-spin-not-preempted-by-stopper-k66")
    disable = [e.time_ns for e in events_of(eng, "irq.disable")]
    acks = [e.time_ns for e in events_of(eng, "kernel") if str(e.fields["what"]).startswith("migration/0:")]
    assert disable == [1_001_350]
    assert len(acks) == 1 and acks[0] > disable[0]
    assert _accepts(eng, 0, 25) == [1_001_550]
    assert [e.fields["target"] for e in events_of(eng, "cpu.offline")] == [3]
