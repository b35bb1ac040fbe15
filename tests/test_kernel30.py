"""kernel30: handle_edge_irq's relock after the action and 8d39d6ec4db5's wait on the new effective target.

kernel/irq/handle.c handle_irq_event retakes desc->lock after the action and only then clears
IRQD_IRQ_INPROGRESS; handle_edge_irq's do/while tests IRQS_PENDING under that lock (read in 4.13.19, 5.17 and
v6.6 trees). From 8d39d6ec4db5 (6.17) irq_can_handle_pm on the irq's effective target busy-waits for the flag
(irq_wait_on_inprogress) instead of IRQS_PENDING + mask_ack_irq. Scenarios and their source predictions:
tests/kernel30/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.behaviour import resolve
from msidbg.debugger import headless
from msidbg.model import new_engine
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end, scenario

HERE = Path(__file__).parent / "kernel30"


def _run(name: str) -> tuple[Any, list[Any]]:
    eng = run_to_end(load_scenario(str(HERE / f"{name}.yaml")))
    return eng, list(eng.log.events(1, len(eng.log) + 1))


def _flow(evs: list[Any], lo: int, hi: int) -> list[tuple[int | None, int, str]]:
    """irq 24's flow between ``lo`` and ``hi`` ns: handle_edge_irq's notes, Vector Control writes, handler runs."""
    out: list[tuple[int | None, int, str]] = []
    for e in evs:
        if not lo <= e.time_ns <= hi:
            continue
        if e.kind == "kernel" and e.fields.get("prog") == "handle_edge_irq":
            out.append((e.cpu, e.time_ns, str(e.fields["what"])))
        elif e.kind == "msix.write" and e.fields.get("reg") == "ctrl":
            out.append((e.cpu, e.time_ns, f"ctrl={e.fields['value']}"))
        elif e.kind == "irq.handler" and e.dev == "eth0":
            out.append((e.cpu, e.time_ns, f"handler {e.fields['signals']}"))
    return out


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")), ids=lambda p: p.stem)
def test_kernel30_expect_blocks(path: Path) -> None:
    assert headless.check(load_scenario(str(path))) == []


def test_the_edge_queued_before_the_action_ended_finds_the_flag_set() -> None:
    """6.6: CPU2 queues for desc->lock behind CPU3's enable_irq (303.05 us) before CPU1's action ends (303.1 us);
    it takes the lock first and finds IRQD_IRQ_INPROGRESS: IRQS_PENDING and its mask write (303.25 us); CPU1,
    back for the lock, unmasks (303.6 us) and runs the action for CPU2's edge (303.8 us). Before kernel30 CPU2
    ran the action itself at 303.35 us, no mask write."""
    _, evs = _run("e01-relock-behind-enable-k66")
    assert _flow(evs, 303_000, 304_000) == [
        (2, 303_050, "desc->lock: CPU3 is in enable_irq of irq 24"),
        (1, 303_100, "desc->lock: CPU2's flow handler queued for it first (queued spinlock: its turn at the release)"),
        (2, 303_150, "irq_may_run: irq 24 in progress on CPU1: IRQS_PENDING, mask_ack_irq"),
        (1, 303_200, "desc->lock: CPU2 is in the flow handler of irq 24"),
        (2, 303_250, "ctrl=1"),
        (2, 303_450, "vector_schedule_cleanup: old vector 0x20 on CPU1, timer armed"),
        (1, 303_600, "ctrl=0"),
        (1, 303_800, "handler 1")]


def test_617_the_new_target_waits_and_the_old_cpus_relock_ends_its_loop() -> None:
    """6.17: the same race; CPU2 (the effective target) waits in irq_wait_on_inprogress (303.15 us), CPU1's relock
    finds nothing pending (303.2 us), CPU2 completes the move and runs the action (303.45 us). No mask write."""
    _, evs = _run("e02-relock-behind-enable-k617")
    assert _flow(evs, 303_000, 304_000) == [
        (2, 303_050, "desc->lock: CPU3 is in enable_irq of irq 24"),
        (1, 303_100, "desc->lock: CPU2's flow handler queued for it first (queued spinlock: its turn at the release)"),
        (2, 303_150, "irq_wait_on_inprogress: irq 24 in progress on CPU1, the previous target; this CPU is its "
                     "effective target: wait for IRQD_IRQ_INPROGRESS to clear"),
        (1, 303_200, "handle_edge_irq: irq 24 desc->lock retaken after the action, IRQD_IRQ_INPROGRESS cleared; "
                     "not pending: the loop ends"),
        (2, 303_250, "vector_schedule_cleanup: old vector 0x20 on CPU1, timer armed"),
        (2, 303_450, "handler 1")]


def test_616_the_old_cpu_loops_for_every_edge_on_the_new_target() -> None:
    """6.16: every edge on CPU2 is IRQS_PENDING + a mask write by CPU2, and CPU1 unmasks and runs the action
    again: all four actions on CPU1, the live lock's pattern."""
    eng, evs = _run("m01-move-storm-k616")
    runs = [(e.cpu, e.time_ns, e.fields["signals"]) for e in evs if e.kind == "irq.handler"]
    assert runs == [(1, 301_600, 1), (1, 303_300, 1), (1, 305_000, 2), (1, 306_700, 2)]
    ctrl = [(e.cpu, e.time_ns, e.fields["value"]) for e in evs
            if e.kind == "msix.write" and e.fields["reg"] == "ctrl" and e.time_ns > 301_300]
    assert ctrl == [(2, 301_800, 1), (1, 303_100, 0), (2, 303_600, 1), (1, 304_800, 0), (2, 305_300, 1),
                    (1, 306_500, 0)]
    pend = [(e.cpu, e.time_ns) for e in evs if e.kind == "kernel" and "IRQS_PENDING" in str(e.fields["what"])]
    assert pend == [(2, 301_700), (2, 303_500), (2, 305_200), (2, 306_000)]
    assert eng.w.acct["eth0"]["delivered"] == [6, 0, 0, 0]


def test_617_the_move_completes_on_the_new_target() -> None:
    """6.17: CPU2 waits once (301.7 us), then completes the move and runs every later action; no mask write after
    the move's own, CPU1 runs the first action only."""
    eng, evs = _run("m02-move-storm-k617")
    runs = [(e.cpu, e.time_ns, e.fields["signals"]) for e in evs if e.kind == "irq.handler"]
    assert runs == [(1, 301_600, 1), (2, 303_300, 1), (2, 305_300, 3), (2, 307_300, 1)]
    assert [e for e in evs if e.kind == "msix.write" and e.fields["reg"] == "ctrl" and e.time_ns > 301_300] == []
    waits = [(e.cpu, e.time_ns) for e in evs if e.kind == "kernel" and "irq_wait_on_inprogress" in str(e.fields["what"])]
    assert waits == [(2, 301_700)]
    assert not [e for e in evs if e.kind == "kernel" and "IRQS_PENDING" in str(e.fields["what"])]
    assert eng.w.acct["eth0"]["delivered"] == [6, 0, 0, 0]


def test_the_switch_follows_8d39d6ec4db5() -> None:
    assert resolve(kernel="6.16").plain()["edge_wait_new_target"] is False
    assert resolve(kernel="6.17").plain()["edge_wait_new_target"] is True
    assert resolve(kernel="5.15").plain()["edge_wait_new_target"] is False


XEN = """
name: xen-edge-617
cpus: 3
costs: {handler: 20us}
platform: {kind: xen-hvm, xen: "4.16"}
kernel: {version: "6.17"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 1}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 2ms, do: fire, dev: eth0, vector: 0, count: 4, every: 5us}
  - {at: 2005us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 2}
"""


def test_617_a_xen_pirq_still_goes_pending() -> None:
    """A Xen guest's MSI pirq runs handle_edge_irq too, but events_base.c's irqs set no IRQD_SINGLE_TARGET, so
    8d39d6ec4db5's wait does not apply: the rebound port's event on vCPU2 is IRQS_PENDING + mask_ack_pirq and the
    old vCPU's loop runs every action (tests/test_xen_edge_flow.py's 6.1 case, on 6.17)."""
    eng = new_engine(scenario(XEN))
    while eng.step():
        pass
    evs = [eng.log.event(i) for i in range(1, len(eng.log) + 1)]
    assert {e.cpu for e in evs if e.kind == "irq.handler" and e.dev == "eth0"} == {1}
    notes = [str(e.fields.get("what")) for e in evs if e.kind == "kernel"]
    assert any("IRQS_PENDING" in n for n in notes)
    assert not any("irq_wait_on_inprogress" in n for n in notes)


def _results(evs: list[Any]) -> list[tuple[int | None, int, str, int]]:
    return [(e.cpu, e.time_ns, str(e.fields["do"]), int(e.fields["result"])) for e in evs if e.kind == "action.done"]


@pytest.mark.parametrize("name, free", [
    ("f01-free-during-enable-k510", (1, 3_000, "free_vectors", 0)),
    ("f02-free-before-early-flag-k66", (1, 300, "free_vectors", 0)),
])
def test_free_irq_vectors_tests_the_flags_before_the_lock(name: str, free: tuple[int, int, str, int]) -> None:
    """pci_disable_msix / pci_disable_msi return before msi_lock_descs when their flag is clear: a free during
    another CPU's enable that has not set msix_enabled yet is a no-op (0), and the enable completes."""
    eng, evs = _run(name)
    res = _results(evs)
    assert free in res
    enable = next(r for r in res if r[2] == "alloc_vectors")
    assert (enable[0], enable[3]) == (0, 2)
    p = eng.w.kernel["pci"]["d0"]
    assert p["msix_enabled"] is True and len(p["descs"]) == 2 and p["lock"] == -1
    assert not [e for e in evs if e.kind == "kernel"
                and e.fields.get("prog") in ("pci_free_irq_vectors", "pci_disable_msix", "pci_disable_msi")]


def test_free_irq_vectors_after_the_early_flag_meets_the_lock() -> None:
    """6.6 at 3 us: msix_enabled is set (c7ecb95ca6a8) and CPU0 holds msi_lock_descs: the free passes its flag
    test and sleeps on the mutex (kernel31; msidbg answered -EBUSY) until msix_setup_interrupts unlocks (6 us),
    then pci_msix_shutdown masks both entries and clears Enable beside CPU0's own msix_mask_all and Mask-All
    write, and both irqs are freed: CPU0's enable returns 2 with nothing left. intx36: CPU0's pci_intx_for_msi(dev, 0)
    now writes Command (0x406) at 6.4 us, before its Mask-All clear, so CPU1's Enable clear (0x4001, Function Mask still
    set) comes first and CPU0's clear of Function Mask writes 0x0001 at 7.4 us; Message Control ends 0x0001 either way."""
    eng, evs = _run("f03-free-after-early-flag-k66")
    assert _results(evs) == [(0, 8_400, "alloc_vectors", 2), (1, 8_600, "free_vectors", 0)]
    # (kernel32: the wait is pci_disable_msix's own msi_lock_descs, not one pci_free_irq_vectors took for both)
    notes = [(e.cpu, e.time_ns, e.fields["what"]) for e in evs
             if e.kind == "kernel" and e.fields.get("prog") == "pci_disable_msix"]
    assert notes == [(1, 3_000, "msi_lock_descs: CPU0 is enabling or disabling MSI on this device: this task "
                      "sleeps on the mutex")]
    ctrl = [(e.cpu, e.time_ns, e.fields["value"]) for e in evs if e.kind == "cfg.write" and e.fields["offset"] == 114]
    assert ctrl == [(0, 2_000, 0xC001), (1, 6_400, 0x4001), (0, 7_400, 0x0001)]
    assert [(e.cpu, e.time_ns, e.fields["irq"]) for e in evs if e.kind == "irq.release"] == [
        (1, 8_400, 24), (1, 8_500, 25)]
    p = eng.w.kernel["pci"]["d0"]
    assert not p["msix_enabled"] and p["descs"] == [] and p["lock"] == -1
