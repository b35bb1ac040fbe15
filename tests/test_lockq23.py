"""lockq23: desc->lock is a queued spinlock for every locker -- flow handlers too (reading
``kernel.lock.desc-lock-queued``). A flow handler that came for the lock before a task (free_irq,
disable_irq, irq_set_affinity) gets it first at the release, on the IO-APIC's handle_fasteoi_irq and on
Xen's pirq handle_edge_irq alike; before, only the first waiting task was queued and it took the lock past
a flow handler that had been spinning longer. Scenarios and their source predictions: tests/lockq23/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end

HERE = Path(__file__).parent / "lockq23"


def _run(name: str) -> Any:
    return run_to_end(load_scenario(str(HERE / f"{name}.yaml")))


def _events(eng: Any) -> list[Any]:
    return list(eng.log.events(1, len(eng.log) + 1))


def _first(evs: list[Any], pred: Any) -> int:
    return next(i for i, e in enumerate(evs) if pred(e))


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")), ids=lambda p: p.stem)
def test_lockq23_expect_blocks(path: Path) -> None:
    assert headless.check(load_scenario(str(path))) == []


@pytest.mark.parametrize(("name", "kind"), [("i01-intx-ir-disable-behind-flow-k66", "irq.disable"),
                                            ("i01-intx-ir-remove-behind-flow-k66", "irq.free")])
def test_intx_flow_handler_queued_first_runs_its_action_before_the_task(name: str, kind: str) -> None:
    """CPU1's handle_fasteoi_irq spins on desc->lock from 300.4 us (CPU0's remapped irq_set_affinity holds
    it); the task comes at 300.5 us. At CPU0's unlock CPU1 takes the lock and runs the action for the 4
    signals latched meanwhile; the task's disable / free follows. Before: the task went first and CPU1 found
    the irq disabled (or without action): IRQS_PENDING, masked, 198 delivered."""
    eng = _run(name)
    evs = _events(eng)
    handler = _first(evs, lambda e: e.kind == "irq.handler" and e.cpu == 1 and e.time_ns >= 300_000)
    task = _first(evs, lambda e: e.kind == kind)
    assert evs[handler].fields["signals"] == 4 and evs[handler].time_ns == 301_300
    assert handler < task and evs[task].time_ns == 301_300
    assert not [e for e in evs if e.kind == "irq.pending" and e.cpu == 1]
    assert sum(eng.w.acct["eth0"]["delivered"]) == 202
    spins = [e for e in evs if e.kind == "kernel" and e.fields["prog"] in ("free_irq", "driver_disable_irq")
             and "desc->lock" in e.fields["what"]]
    assert [e.fields["what"] for e in spins] == ["desc->lock: CPU0 is in irq_set_affinity of irq 18"]


@pytest.mark.parametrize(("name", "kind"), [("x01-hvm-pirq-remove-behind-flow-k66", "irq.free"),
                                            ("x02-hvm-pirq-affinity-behind-flow-k66", "irq.affinity")])
def test_xen_pirq_flow_handler_queued_first_acks_before_the_task(name: str, kind: str) -> None:
    """vCPU3's Xen pirq handle_edge_irq has spun on desc->lock since 498.4 us (vCPU0's loop holds it
    across EVTCHNOP_unmask); the task on vCPU2 comes at 500 us. At vCPU0's release vCPU3 takes it first:
    irq_may_run finds the action in progress on vCPU0, IRQS_PENDING, mask_ack_pirq; the task's free_irq /
    irq_set_affinity comes after. Before: the task took the lock at 500.1 us and vCPU3 waited behind it.
    (locks26: the loop runs on vCPU1 -- the probe's last unmask lets vCPU1 take the pending upcall at its
    local_irq_restore, before the probe returns -- holding the lock across EVTCHNOP_unmask to 500.4 us; vCPU3
    has spun since 498.7 us. kernel32: every time 25 us later -- the scenarios' actions are, for msi_capability_init's
    first pci_msi_set_enable(dev, 0), a trapped read and write through QEMU; intx36: 25 us later again, for its
    pci_intx_for_msi(dev, 0).)"""
    eng = _run(name)
    evs = _events(eng)
    pend = _first(evs, lambda e: e.kind == "kernel" and e.cpu == 3 and e.time_ns >= 550_000
                  and e.fields["what"].startswith("irq_may_run: irq 24 in progress on CPU1"))
    task = _first(evs, lambda e: e.kind == kind and e.time_ns >= 550_000)
    assert evs[pend].time_ns == 550_400 and pend < task
    assert not [e for e in evs[:task] if e.kind == "kernel" and e.time_ns >= 548_000
                and "queued for it first" in e.fields["what"]]
