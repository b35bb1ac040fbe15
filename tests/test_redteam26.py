"""redteam26: held-out bare-metal scenarios (tests/heldout26/*.yaml; predictions written from the named
releases' source before running msidbg: tests/heldout26/PREDICTIONS.md). Every file's expect block, and per
file the mechanism that separates its sides (which CPU a managed queue lands on, which vector a CPU gives
back, where a move tears, which signal a free loses), so a regression in the mechanism fails here even
where the totals would not move."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from msidbg.debugger import headless
from msidbg.model import hits
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end
from tests.test_redteam21 import _assigned, _cpus, _events, _notes, _results  # the same event queries

HELD = Path(__file__).parent / "heldout26"


@cache
def _run(name: str):  # type: ignore[no-untyped-def]
    return run_to_end(load_scenario(str(HELD / f"{name}.yaml")))


def _irq_cpus(eng, dev: str, irq: int) -> list[int]:  # type: ignore[no-untyped-def]
    """The CPU of each vector.assign of one irq of ``dev``."""
    return [e.fields["target"] for e in _events(eng, "vector.assign") if e.dev == dev and e.fields["irq"] == irq]


@pytest.mark.parametrize("path", sorted(HELD.glob("*.yaml")), ids=lambda p: p.stem)
def test_heldout26_expect_blocks(path: Path) -> None:
    """Each file's expect block is the outcome the upstream source predicts (PREDICTIONS.md)."""
    assert headless.check(load_scenario(str(path))) == []


def test_managed_ties_go_to_the_last_cpu_on_61() -> None:
    """u01: matrix_find_best_cpu_managed skips only 'managed_allocated > allocated': a tie goes to the last
    CPU of the mask. nvme0 q3 {6,7,8} on 8, then 7, then 6; nvme1 q2 {6..11} on 10 (8 and 11 hold nvme0's
    q3 and q4); offline 6 shuts q3 down, online 6 restarts it there, online 8 moves nothing."""
    eng = _run("u01-2nvme-nic-48cpu-offline-seq-k61")
    assert _cpus(eng, "nvme0") == [8, 7, 6, 6, 6]
    assert _cpus(eng, "nvme1") == [10, 10]
    assert _irq_cpus(eng, "nvme0", 27) == [8, 7, 6, 6]


def test_managed_first_cpu_on_419() -> None:
    """u02: before the 4.20 spread, assign_managed_vector takes cpumask_first: q3 and nvme1's q2 both on 6;
    migrate_one_irq leaves irqs whose effective CPU stays online; offline 6 moves nvme1's q2 to 9."""
    eng = _run("u02-2nvme-nic-48cpu-offline-seq-k419")
    assert _cpus(eng, "nvme0") == [6] * 5
    assert _cpus(eng, "nvme1") == [6, 9]


@pytest.mark.parametrize(("version", "cpus"), [("61", [1, 3, 4, 5, 0, 4, 0]), ("419", [0, 2, 4, 5, 0, 4, 0])])
def test_four_queues_on_six_cpus(version: str, cpus: list[int]) -> None:
    """u03/u04: {0,1} {2,3} {4} {5} (the first extra_vecs groups get one more CPU); ties to the last CPU
    from 4.20, the first before."""
    eng = _run(f"u03-nvme5-6cpu-spread-k{version}" if version == "61" else "u04-nvme5-6cpu-spread-k419")
    assert _cpus(eng, "nvme0") == cpus


def test_offline_at_probe_present_spread_61() -> None:
    """u05: 6.1 spreads the present CPUs: q7 gets {11} although CPU11 is offline; request_irq leaves it
    managed-shutdown and cpu_online starts it on CPU11."""
    eng = _run("u05-nvme8-12cpu-offline-at-probe-k61")
    assert [t for _, t in _assigned(eng, "nvme0")][1:] == [1, 3, 5, 7, 9, 10, 11]
    assert _cpus(eng, "nvme0") == [1, 11, 11]


def test_offline_at_probe_online_spread_412() -> None:
    """u06: 4.12 asks min(7, num_online_cpus()) vectors (shared admin) and spreads the online CPUs 0..10;
    the legacy allocator first puts every vector on CPU0, request_irq moves each to its mask's first CPU."""
    eng = _run("u06-nvme8-12cpu-offline-at-probe-k412")
    moved = _assigned(eng, "nvme0")[7:]
    assert [t for _, t in moved] == [2, 4, 6, 8, 9, 10]
    assert _cpus(eng, "nvme0") == [2]
    assert sum(eng.w.acct["nvme0"]["lost"]) == 2


@pytest.mark.parametrize(("name", "vector"), [("u07-force-complete-12cpu-k515160", 0x22),
                                              ("u08-force-complete-12cpu-k515161", 0x21),
                                              ("u09-force-complete-20cpu-k6632", 0x21),
                                              ("u10-force-complete-20cpu-k6633", 0x20)])
def test_offline_old_cpu_of_a_move_in_progress(name: str, vector: int) -> None:
    """a6c11c0a5235 (5.15.161, 6.6.33): the old CPU's vector of a move still in progress is freed at its
    offline; before it the vector stays allocated and the next irq moved there gets the next one."""
    eng = _run(name)
    old = 5 if "12cpu" in name else 13
    assert _assigned(eng, "sata2")[-1] == (vector, old)


def test_torn_vector_changes_only_at_cpu1() -> None:
    """u13/u14: every move keeps 0x22 but the one to CPU1 (the NVMe admin irq's 0x22); 5.5.2 tears twice,
    5.5.3 loses nothing (the raced signals are spurious on CPU1, not lost)."""
    old, new = _run("u13-torn-24cpu-k552"), _run("u14-torn-24cpu-k553")
    moves = [(0x22, 2), (0x22, 13), (0x22, 21), (0x23, 1), (0x22, 17), (0x22, 9)]
    assert _assigned(old, "xhci") == moves and _assigned(new, "xhci") == moves
    assert old.w.acct["xhci"]["lost"] == [4] and new.w.acct["xhci"]["lost"] == [0]
    assert not [h for h in new.hits if h.name == hits.MSI_TORN_MESSAGE]


@pytest.mark.parametrize("version", ["414193", "414194"])
def test_baedb87d1b53_backport_is_a_no_op_on_414(version: str) -> None:
    """u15/u16: a 4.14 MSI irq is activated at allocation, so irq_set_affinity_deactivated never applies:
    the affinity before request_irq is a pending move on both sides."""
    eng = _run(f"u15-affinity-before-request-12cpu-k{version}" if version == "414193"
               else "u16-affinity-before-request-12cpu-k414194")
    assert _cpus(eng, "eth0") == [0, 7, 7]
    assert [e.fields["how"] for e in _events(eng, "irq.affinity")] == ["pending"]


@pytest.mark.parametrize(("name", "busy"), [("u17-slow-handler-churn-10cpu-k61", 129),
                                            ("u18-slow-handler-churn-10cpu-k417", 5)])
def test_slow_handler_keeps_the_old_cpu_looping(name: str, busy: int) -> None:
    """u17/u18: after the first move every signal reaches CPU3 while CPU1 is still in handle_edge_irq
    (irq_may_run: IRQS_PENDING, mask_ack); CPU1 loops on IRQS_PENDING with interrupts off, so the cleanup
    of its old vector never runs and every later move meets -EBUSY until the stream ends. 6.1 keeps the
    pending mask and retries at every interrupt (a33a5d2d16cb); 4.17 drops each request at its first
    -EBUSY: one attempt for each of the five later requests."""
    eng = _run(name)
    assert _assigned(eng, "eth0") == [(0x21, 1), (0x21, 3)]
    assert set(_cpus(eng, "eth0")) == {1}
    assert len([e for e in _events(eng, "kernel") if e.fields.get("value") == -16 and e.dev == "eth0"]) == busy
    assert len(_notes(eng, "irq_may_run: irq 24 in progress on CPU1")) == 130


@pytest.mark.parametrize(("name", "lost", "spurious"), [("u19-xhci-offline-stream-24cpu-k54-noir", 2, 1),
                                                        ("u20-xhci-offline-stream-24cpu-k54-ir", 1, 0)])
def test_offline_move_tears_only_without_remapping(name: str, lost: int, spurious: int) -> None:
    """u19/u20: CPU7's offline moves the xHCI to CPU2 with a new vector (0x23): without remapping the
    address is written before the data (torn, spurious on the NIC's queue); with VT-d the IRTE switches
    at once. Both lose the signal that reaches CPU7 after apic_soft_disable, before the move."""
    eng = _run(name)
    assert _assigned(eng, "xhci") == [(0x22, 3), (0x22, 7), (0x23, 2)]
    a = eng.w.acct["xhci"]
    assert (a["lost"], a["spurious"]) == ([lost], [spurious])
    disabled = [h for h in eng.hits if h.name == hits.IRQ_LOST and "apic_soft_disable" in h.detail]
    assert len(disabled) == 1


@pytest.mark.parametrize("name", ["u21-multimsi16-vtd-20cpu-k61-pvm", "u22-multimsi16-vtd-20cpu-k61-nomask"])
def test_multimsi_under_remapping_moves_alike(name: str) -> None:
    eng = _run(name)
    assert [t for _, t in _assigned(eng, "ctl")[:16]] == list(range(1, 17))
    assert _irq_cpus(eng, "ctl", 33) == [10, 3, 17, 10]


def test_legacy_exhaustion_retries_with_what_it_got() -> None:
    """u23, 4.14: __pci_enable_msix_range retries with the number msix_capability_init could set up."""
    eng = _run("u23-exhaust-3cpu-k414")
    assert len(_events(eng, "irq.request")) == 597
    assert _results(eng, "probe") == [0, -28]
    assert len(_notes(eng, "setup could have 597 of 700 vectors: retry with 597")) == 1


def test_matrix_exhaustion_fails_the_request() -> None:
    """u24, 4.15: reservation mode gives 700 irqs; request_irq fails once the matrix is empty; devres frees
    all; eth1 then gets CPU1, 2, 0 (most available, ties to the first)."""
    eng = _run("u24-exhaust-3cpu-k415")
    assert _results(eng, "probe") == [-28, 0]
    assert [t for _, t in _assigned(eng, "eth1")] == [1, 2, 0, 1]


def test_broken_affinity_spreads_over_best_cpus() -> None:
    eng = _run("u25-cluster24-vtd-offline-broken-k61")
    assert [t for _, t in _assigned(eng, "eth0")[8:]] == list(range(1, 9))
    assert _cpus(eng, "eth0") == [20, 6, 6]


def test_managed_queues_restart_in_online_order() -> None:
    eng = _run("u26-nvme40-40cpu-offline5-k54")
    assert _cpus(eng, "nvme0") == [15, 14, 13, 12, 11, 10]


@pytest.mark.parametrize(("version", "lost"), [("61", 0), ("41959", 4), ("41960", 0)])
def test_free_irq_during_a_slow_stream(version: str, lost: int) -> None:
    """u27..u29: 4.19.59 deactivates under desc->lock before the wait: the signals coalesced in CPU2's IRR
    find VECTOR_UNUSED ('No irq handler for vector'); from 4.19.60 the deactivation follows
    __synchronize_hardirq and the edge is replayed by request_irq."""
    name = {"61": "u27-free-during-slow-stream-4cpu-k61", "41959": "u28-free-during-slow-stream-4cpu-k41959",
            "41960": "u29-free-during-slow-stream-4cpu-k41960"}[version]
    eng = _run(name)
    assert sum(eng.w.acct["eth0"]["lost"]) == lost
    assert [e.fields["slot"] for e in _events(eng, "irq.unhandled")] == (["UNUSED"] if lost else [])


def test_last_group_of_three_controllers() -> None:
    eng = _run("u30-3nvme-64cpu-last-group-k66")
    assert _cpus(eng, "nvme0") == [63, 60, 62]
    assert _cpus(eng, "nvme1") == [62, 61, 60, 62]
    assert _cpus(eng, "nvme2") == [61, 60, 62]


@pytest.mark.parametrize(("version", "got", "second"), [("69", 605, 0), ("610", 602, -28)])
def test_posted_msi_vector_ends_the_matrix_at_0xea(version: str, got: int, second: int) -> None:
    """f5a3562ec9dd (6.10): FIRST_SYSTEM_VECTOR is POSTED_MSI_NOTIFICATION_VECTOR 0xeb, one device vector a CPU
    fewer than 6.9 (LOCAL_TIMER_VECTOR 0xec). 3 CPUs: 201 + 202 + 202 = 605 on 6.9, 200 + 201 + 201 = 602 on
    6.10 -- the 603rd request_irq fails, the probe releases everything and the second NIC gets CPU1's 0x20.
    On main both releases had 605 (every matrix ended at 0xec)."""
    eng = _run(f"u31-exhaust-605-3cpu-k{version}" if version == "69" else "u32-exhaust-605-3cpu-k610")
    assert len([e for e in _events(eng, "vector.assign") if e.dev == "eth0"]) == got
    assert _results(eng, "probe") == ([-28, 0] if second else [0, -28])
    top = max(e.fields["vector"] for e in _events(eng, "vector.assign") if e.dev == "eth0")
    assert top == (0xeb if version == "69" else 0xea)
