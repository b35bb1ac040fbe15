"""redteam21: held-out bare-metal scenarios (tests/heldout21/*.yaml; predictions written from the named releases'
source before running msidbg: tests/heldout21/PREDICTIONS.md). Every file's expect block, and per file the
mechanism that separates its sides (which vector, CPU and IRTE, what the driver call returns), so a regression
in the mechanism fails here even where the totals would not move."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end

HELD = Path(__file__).parent / "heldout21"


def _run(name: str):  # type: ignore[no-untyped-def]
    return run_to_end(load_scenario(str(HELD / f"{name}.yaml")))


def _events(eng: Any, *kinds: str) -> list[Any]:
    return [e for e in eng.log.events(1, len(eng.log) + 1) if e.kind in kinds]


def _cpus(eng: Any, dev: str) -> list[int]:
    return [e.cpu for e in _events(eng, "irq.handler") if e.dev == dev]


def _results(eng: Any, do: str) -> list[int]:
    return [e.fields["result"] for e in _events(eng, "action.done") if e.fields["do"] == do]


def _assigned(eng: Any, dev: str) -> list[tuple[int, int]]:
    """(vector, CPU) of each vector.assign of ``dev``."""
    return [(e.fields["vector"], e.fields["target"]) for e in _events(eng, "vector.assign") if e.dev == dev]


def _notes(eng: Any, text: str) -> list[Any]:
    return [e for e in _events(eng, "kernel") if text in e.fields["what"]]


@pytest.mark.parametrize("path", sorted(HELD.glob("*.yaml")), ids=lambda p: p.stem)
def test_heldout21_expect_blocks(path: Path) -> None:
    """Each file's expect block is the outcome the upstream source predicts (PREDICTIONS.md)."""
    assert headless.check(load_scenario(str(path))) == []


def test_cluster_destinations_and_the_migration_target() -> None:
    """48 CPUs, cluster x2APIC: the IRTE holds the logical id (CPU37: cluster 2, bit 5); CPU37's offline breaks
    the affinity and matrix_find_best_cpu takes CPU3, whose vector the 6.6 cleanup timer had freed."""
    eng = _run("s01-cluster48-vtd-sparse-k66")
    assert [(e.fields["index"], e.fields["target"]) for e in _events(eng, "iommu.irte")][-2:] == [(2, 37), (2, 3)]
    assert eng.w["iommu"]["irte"][2]["dest"] == 0x8 and eng.w["iommu"]["irte"][2]["logical"]
    assert _cpus(eng, "eth0") == [37, 3]


@pytest.mark.parametrize(("name", "cpus"), [("s02-flat8-cpu0-offline-k64", [1, 0, 3]),
                                            ("s03-cluster20-vtd-cpu0-offline-k64", [0, 3])])
def test_cpu0_offline_moves_the_timer_first(name: str, cpus: list[int]) -> None:
    """CPU0's offline migrates irq 0 (the timer, kept at 0x30 on CPU0) before the NIC's irq: the timer takes
    CPU1, the NIC the next CPU with the most free vectors."""
    eng = _run(name)
    assert _cpus(eng, "eth0") == cpus
    timer = [(e.fields["vector"], e.fields["target"]) for e in _events(eng, "vector.assign") if e.fields["irq"] == 0]
    assert timer[-1][1] == 1


def test_200_cpus_managed_queue_walks_its_mask() -> None:
    """group_cpus_evenly 200/64: queue 9 = {32,33,34}; the last CPU of the managed tie each time, then shut
    down with no CPU of the mask left, restarted on CPU33 with the PBA bit sent."""
    eng = _run("s04-x2apic-phys200-vtd-nvme64-k66")
    assert _cpus(eng, "nvme0") == [34, 33, 32, 33]


def test_256_cpus_64_offlines() -> None:
    eng = _run("s06-cluster256-vtd-nvme128-offline64-k66")
    assert _cpus(eng, "nvme0") == [1, 138] and _cpus(eng, "eth0") == [5]
    assert [e.fields["target"] for e in _events(eng, "iommu.irte") if e.fields["index"] == 70][1:] == [139, -1, 138]


def test_multi_msi_block_rounds_up_and_the_extra_message_faults() -> None:
    """3 of a 4-message function: 4 IRTEs (the NIC probed next gets index 4); message 3 is lost."""
    eng = _run("m01-multimsi3of4-vtd-k66")
    assert sorted(eng.w["iommu"]["irte"]) == [0, 1, 2, 3, 4]
    assert not eng.w["iommu"]["irte"][3]["present"]
    assert eng.w.acct["ahci"]["lost"] == [0, 0, 0, 1]


def test_multi_msi_without_remapping_is_one_vector() -> None:
    eng = _run("m02-multimsi3of4-noir-k66")
    assert len(_assigned(eng, "ahci")) == 1 and _cpus(eng, "ahci") == [1, 1, 1, 1]


@pytest.mark.parametrize(("version", "early"), [("510", False), ("511", True), ("419174", False), ("419175", True)])
def test_multi_msi_early_activation_boundary(version: str, early: bool) -> None:
    """4c457e8cb75e: every irq of the block is activated at allocation; before, message 2's IRTE is not
    present until request_irq and its early signal is lost."""
    eng = _run(f"m05-multimsi4-nomask-vtd-prerequest-k{version}")
    assert bool(_events(eng, "irq.resend")) is early
    assert eng.w.acct["ahci"]["lost"][2] == (0 if early else 1)


@pytest.mark.parametrize("version", ["49", "66"])
def test_nonmaskable_msi_before_request_irq_is_resent(version: str) -> None:
    eng = _run(f"m06-msi-nomask-prerequest-k{version}")
    assert len(_events(eng, "irq.pending")) == 1 and len(_events(eng, "irq.resend")) == 1


@pytest.mark.parametrize(("mask", "held"), [("pvm", True), ("nomask", False)])
def test_free_irq_of_one_multi_msi_message(mask: str, held: bool) -> None:
    """With a per-vector mask the freed message's signal waits in its pending bit; without, it faults on
    the cleared IRTE; the non-reservation irq keeps its vector (x86_vector_deactivate)."""
    eng = _run(f"m07-multimsi8-free-one-vtd-k66-{mask}")
    assert bool([e for e in _events(eng, "msi.held") if e.fields["index"] == 5]) is held
    assert bool([e for e in _events(eng, "vector.free") if e.fields["irq"] == 29]) is held


@pytest.mark.parametrize(("version", "results"), [("66", [0, 0]), ("49", [0, -6])])
def test_nvme_on_one_cpu(version: str, results: list[int]) -> None:
    assert _results(_run(f"n02-nvme-1cpu-k{version}"), "doorbell") == results


def test_nvme_msi_only_without_remapping_shares_vector_0() -> None:
    eng = _run("n01-nvme-msi8-noir-k66")
    assert _results(eng, "doorbell") == [0, -6] and len(_assigned(eng, "nvme0")) == 1


def test_lapic_offline_frees_the_vector_the_timer_had_not() -> None:
    eng = _run("c01-cleanup-timer-offline-k66")
    assert _assigned(eng, "eth1") == [(0x20, 1)]


def test_pinned_nics_fill_cpu2_then_break_affinity() -> None:
    eng = _run("x01-three-nics-pinned-cpu2-k66")
    nic2 = _assigned(eng, "nic2")
    assert [c for _, c in nic2[40:48]] == [2, 2, 1, 3, 0, 1, 3, 0]
    assert len(_notes(eng, "Affinity broken due to vector space exhaustion")) == 38
    assert _cpus(eng, "nic2") == [2, 1, 3, 0]


def test_managed_reservation_is_not_handed_to_a_pinned_nic() -> None:
    eng = _run("x02-managed-reserve-pinned-k66")
    eth = _assigned(eng, "eth0")
    assert [c for _, c in eth[:201]] == [4] * 201
    assert [c for _, c in eth[201:]] == [2, 3, 5, 6]


@pytest.mark.parametrize(("mask", "stage"), [("nomask", "msi_domain_alloc_irqs"), ("pvm", "irq_domain_activate_irq")])
def test_exhaustion_fails_at_allocation_or_at_request(mask: str, stage: str) -> None:
    eng = _run(f"x03-exhaust-2cpu-{mask}-k66")
    assert _results(eng, "probe") == [0, 0, -28]
    assert [e.dev for e in _events(eng, "irq.alloc")].count("xhci2") == (1 if mask == "pvm" else 0)


@pytest.mark.parametrize(("version", "lost"), [("516", 0), ("517", 8), ("518", 8)])
def test_nomask_quirk_regression_scaled(version: str, lost: int) -> None:
    eng = _run(f"v01-torn-32cpu-k{version}")
    assert sum(eng.w.acct["xhci"]["lost"]) == lost


def test_free_irq_gets_desc_lock_during_an_edge_loop() -> None:
    """__free_irq queues on desc->lock; handle_irq_event drops it for each action and the first waiter takes
    it: the remove completes within a few microseconds and the rest of the stream is lost. Before revision 14
    the polled lock went to the storm's flow handlers at every poll: the remove waited until 1.3 ms and all
    1200 signals were delivered."""
    eng = _run("d01-remove-during-edge-loop-k66")
    done = [e.time_ns for e in _events(eng, "action.done") if e.fields["do"] == "remove"]
    assert done and done[0] < 520_000
    assert sum(eng.w.acct["xhci"]["delivered"]) < 450
    assert _notes(eng, "desc->lock: CPU0's task queued for it first")
    free = next(e.time_ns for e in _events(eng, "irq.free"))
    assert free < 502_000


def test_affinity_writes_are_not_starved_by_an_edge_loop() -> None:
    """v05 (the shipped maskable torn scenario on 6.6, 128 CPUs): each irq_set_affinity of the storm takes
    desc->lock at the next release instead of after the stream (1.3 ms)."""
    eng = _run("v05-torn-maskable-128cpu-k66")
    done = [e.time_ns for e in _events(eng, "action.done") if e.fields["do"] == "set_affinity"]
    assert all(d - a < 5_000 for d, a in zip(done[:7], [200_000, 300_000, 400_000, 500_000, 600_000, 700_000,
                                                          800_000], strict=True))
