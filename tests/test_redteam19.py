"""redteam19: held-out bare-metal / guest-kernel scenarios (tests/heldout19/*.yaml, predictions written
from the named releases' source before running msidbg: tests/heldout19/PREDICTIONS.md). Every file's
expect block, and per version boundary the mechanism that separates its two sides (which CPU handles
the interrupt, what the writer gets back, which vector is freed), so a regression in the mechanism
fails here even where the delivered/lost totals would not move."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end

HELD = Path(__file__).parent / "heldout19"
#: the irqfixup storm runs 100,000 interrupts (about 9 s): its expect block is checked once, here
SLOW = {"q34-irqfixup-storm-k510"}


def _run(name: str):  # type: ignore[no-untyped-def]
    return run_to_end(load_scenario(str(HELD / f"{name}.yaml")))


def _events(eng: Any, *kinds: str) -> list[Any]:
    return [e for e in eng.log.events(1, len(eng.log) + 1) if e.kind in kinds]


def _handled_on(eng: Any, dev: str, after_ns: int = 0) -> list[tuple[int, int]]:
    """(time, CPU) of each irq.handler event of ``dev`` at or after ``after_ns``."""
    return [(e.time_ns, e.cpu) for e in _events(eng, "irq.handler") if e.dev == dev and e.time_ns >= after_ns]


def _result(eng: Any, do: str, nth: int = 0) -> int:
    return [e.fields["result"] for e in _events(eng, "action.done") if e.fields["do"] == do][nth]


def _allocated(eng: Any, cpu: int) -> list[int]:
    alloc = eng.w.cpus[cpu].alloc
    return [v for v in range(256) if alloc[v // 32] >> (v % 32) & 1]


@pytest.mark.parametrize("path", [p for p in sorted(HELD.glob("*.yaml")) if p.stem not in SLOW], ids=lambda p: p.stem)
def test_heldout19_expect_blocks(path: Path) -> None:
    """Each file's expect block is the outcome the upstream source predicts (PREDICTIONS.md)."""
    assert headless.check(load_scenario(str(path))) == []


def test_irqfixup_storm_is_still_disabled_after_the_window() -> None:
    """5.10 with irqfixup: every unhandled irq-16 interrupt runs misrouted_irq (irq 17 polled), which
    finds nothing to handle, so note_interrupt disables irq 16 at 99,997 unhandled (counted from boot
    before 7c07012eb1be: 3 handled ones first); the disk on irq 17 is delivered regardless."""
    assert headless.check(load_scenario(str(HELD / "q34-irqfixup-storm-k510.yaml"))) == []
    eng = _run("q34-irqfixup-storm-k510")
    cared = _events(eng, "irq.nobody_cared")
    assert [(e.fields["irq"], e.fields["unhandled"]) for e in cared] == [(16, 99997)]
    assert sum(eng.w.acct["sata"]["delivered"]) == 2
    assert any(e.fields["irq"] == 17 for e in _events(eng, "irq.poll"))


def test_managed_queue_offline_412_breaks_affinity_413_shuts_down() -> None:
    """4.12 x86 fixup_irqs: no online CPU in {2} -> cpu_online_mask, first online CPU (CPU0), and it stays
    there after CPU2 returns; 4.13 (c5cb83bb337c, ad7a929fa4bb) migrate_one_irq shuts the managed irq
    down, its 3 signals wait masked and are handled on CPU2 when irq_affinity_online_cpu restarts it."""
    old = _run("q02-nvme-managed-offline-k412")
    assert {cpu for _, cpu in _handled_on(old, "nvme0", 3_000_000)} == {0}
    new = _run("q02-nvme-managed-offline-k413")
    got = [(e.cpu, e.fields["signals"]) for e in _events(new, "irq.handler") if e.fields["index"] == 2]
    assert got[0] == (2, 3) and {cpu for cpu, _ in got} == {2}
    assert got and _events(new, "irq.handler")[0].time_ns > 4_000_000


def test_second_vtd_move_while_cleanup_timer_pending_66() -> None:
    """6.6 (bdc1dad299bb): intel_ir_set_affinity schedules the old vector's cleanup on a timer a jiffy
    later; a second move meanwhile gets -EBUSY from assign_vector_locked (clist hashed) and becomes a
    pending move, retried (still busy) at 3 ms and applied at the 8 ms interrupt. 6.5's IPI cleanup
    has run: the second move is immediate."""
    old = _run("q03-vtd-second-move-k65")
    assert [e.fields["how"] for e in _events(old, "irq.affinity")] == ["direct", "direct"]
    assert _handled_on(old, "eth0", 2_600_000)[0][1] == 3
    new = _run("q03-vtd-second-move-k66")
    assert [e.fields["how"] for e in _events(new, "irq.affinity")] == ["direct", "direct", "pending"]
    assert [cpu for _, cpu in _handled_on(new, "eth0", 2_600_000)] == [2, 2, 3]


@pytest.mark.parametrize(("version", "errno"), [("611", -5), ("612", -1)])
def test_managed_irq_smp_affinity_errno(version: str, errno: int) -> None:
    """irq_can_set_affinity_usr: -EIO before eb29369fa543 (6.12), -EPERM from it."""
    assert _result(_run(f"q04-managed-usr-k{version}"), "set_affinity") == errno


def test_pending_move_at_offline_412_vs_414() -> None:
    """4.12's fixup_irqs breaks the applied affinity ({2}) to CPU0 and the pending {3} waits for the next
    interrupt (handled on CPU0, then CPU3); from 4.13 irq_fixup_move_pending hands migrate_one_irq the
    pending mask: the irq goes straight to CPU3."""
    assert [cpu for _, cpu in _handled_on(_run("q07-pending-move-offline-k412"), "eth0", 4_000_000)] == [0, 3]
    assert [cpu for _, cpu in _handled_on(_run("q07-pending-move-offline-k414"), "eth0", 4_000_000)] == [3, 3]


def test_msi_low_bits_quirk_on_a_remapped_16_message_block() -> None:
    """MME 100b: a function with the quirk sends message 20 as message 4 (its data's low 4 bits, IRTE
    handle + 4); without it the message is not enabled and dropped."""
    yes = _run("q09-multimsi16-lowbits-vtd-k66-yes")
    assert {e.fields["index"] for e in _events(yes, "irq.handler")} == {4}
    no = _run("q09-multimsi16-lowbits-vtd-k66-no")
    assert [e.fields["index"] for e in _events(no, "msi.dropped")] == [20, 20]


@pytest.mark.parametrize(("version", "result"), [("54260", -28), ("54261", 0)])
def test_unplug_check_counts_managed_before_a0b0bad10587(version: str, result: int) -> None:
    """lapic_can_unplug_cpu: CPU1 holds 198 NIC irqs + 1 managed queue; CPU0 has 200 - 1 (managed
    reservation) - 1 (admin) = 198 free. irq_matrix_allocated counted the managed one until 5.4.261."""
    eng = _run(f"q16-unplug-managed-k{version}")
    assert _result(eng, "cpu_offline") == result


@pytest.mark.parametrize(("name", "last_cpus"), [
    ("q17-busy-move-k417", [2, 2, 2]), ("q17-busy-move-k418", [2, 2, 3]),
    ("q24-busy-move-legacy-k49225", [1, 1, 1]), ("q24-busy-move-legacy-k49226", [1, 1, 2])])
def test_busy_deferred_move_dropped_before_a33a5d2d16cb(name: str, last_cpus: list[int]) -> None:
    """The interrupt that completes a move sends the cleanup IPI to a CPU busy in another handler; the
    pending second move gets -EBUSY: irq_move_masked_irq cleared it before a33a5d2d16cb (4.18; 4.9.226)
    and keeps it pending from then on (applied at the next interrupt)."""
    eng = _run(name)
    busy = [e for e in _events(eng, "kernel") if e.fields.get("value") == -16 and e.dev == "eth0"]
    assert len(busy) == 1
    assert [cpu for _, cpu in _handled_on(eng, "eth0", 3_500_000)] == last_cpus


@pytest.mark.parametrize(("version", "freed"), [("6192", False), ("6193", True)])
def test_force_complete_frees_the_old_vector_at_offline(version: str, freed: bool) -> None:
    """a6c11c0a5235 (6.1.93): migrate_one_irq runs irq_force_complete_move for an irq that used to be on
    the outgoing CPU; before it CPU1's old vector (0x21) leaks, still allocated when CPU1 returns."""
    eng = _run(f"q29-force-complete-k{version}")
    frees = [e for e in _events(eng, "vector.free") if e.fields["target"] == 1 and e.dev == "sata"]
    assert bool(frees) is freed
    assert (0x21 in _allocated(eng, 1)) is not freed


@pytest.mark.parametrize(("version", "result", "how"), [("417", -16, []), ("418", 0, ["pending"])])
def test_direct_move_busy_returns_or_defers(version: str, result: int, how: list[str]) -> None:
    """VT-d: a move while the previous one's cleanup IPI is outstanding: -EBUSY to the writer before
    12f47073a40f (4.18), a pending move applied at the next interrupt from it."""
    eng = _run(f"q30-vtd-busy-direct-k{version}")
    assert _result(eng, "set_affinity", 2) == result
    later = [e.fields["how"] for e in _events(eng, "irq.affinity") if e.dev == "eth0" and e.time_ns >= 1_001_500]
    assert later == ["direct"] + how
    assert _handled_on(eng, "eth0")[-1][1] == (3 if how else 2)


@pytest.mark.parametrize(("version", "result"), [("516", -16), ("517", 0)])
def test_free_vectors_with_a_requested_irq(version: str, result: int) -> None:
    """free_msi_irqs' BUG_ON(irq_has_action) before 9fb9eb4b59ac (5.17)."""
    assert _result(_run(f"q32-free-vectors-busy-k{version}"), "free_vectors") == result


@pytest.mark.parametrize(("version", "result"), [("513", 0), ("514", -16)])
def test_second_probe_of_a_bound_device(version: str, result: int) -> None:
    """device_driver_attach skipped a bound device (0) before 204db60c8357 (5.14), -EBUSY from it."""
    assert _result(_run(f"q33-double-probe-k{version}"), "probe", 1) == result


def test_amd_msi_without_mask_managed_offline_drops_at_the_iommu() -> None:
    """irq_remapping_deactivate clears the IRTE's valid bit; an MSI function without per-vector masking is
    not masked by the shutdown: its 2 signals are lost, the one after CPU3's return is handled there."""
    eng = _run("q28-amdvi-nvme-msi-nomask-offline-k66")
    assert sum(eng.w.acct["nvme0"]["lost"]) == 2
    assert _handled_on(eng, "nvme0") == [(7_000_500, 3)]


def test_write_racing_the_offline_lands_then_moves_on() -> None:
    """6.6 VT-d: the write reaches CPU3 just before stop_machine; migrate_one_irq (irq_force_complete_move
    first, 6.6) moves it to the least loaded online CPU and frees CPU1's old vector: nothing lost."""
    eng = _run("q31-vtd-move-racing-offline-k66")
    assert _result(eng, "set_affinity") == 0
    assert {cpu for _, cpu in _handled_on(eng, "eth0", 1_002_000)} == {1}


# --- the fix: the nvme driver's queue count counts the present CPUs in 4.13 (online 4.7..4.12) -----------------

@pytest.mark.parametrize(("version", "value"), [("4.6", "present"), ("4.7", "online"), ("4.12", "online"),
                                                ("4.13", "present"), ("4.16", "present"), ("6.6", "present")])
def test_nvme_queue_cpus_by_release(version: str, value: str) -> None:
    """nvme_setup_io_queues' count: num_possible_cpus() before 2800b8e7d9df (4.7), num_online_cpus() in the
    4.12.0 tree, num_present_cpus() in the 4.13.9 tree (num_possible_cpus() in a 4.14 one: the same count
    for the model's CPUs)."""
    from msidbg.behaviour import resolve

    got = resolve("bare-metal", kernel=version)
    assert got.plain()["nvme_queue_cpus"] == value
    assert not got.shown()["nvme_queue_cpus"].get("unconfirmed")    # 4.13 confirmed in the 4.13.0 tree (audit26)


@pytest.mark.parametrize(("version", "vectors", "lost"), [("46", 4, 0), ("412", 3, 2), ("413", 4, 0)])
def test_nvme_probe_with_a_cpu_offline_counts_the_release_s_cpus(version: str, vectors: int, lost: int) -> None:
    """CPU3 offline at probe, 4 I/O queues wanted: 4.12 asks one vector per online CPU (3), so queue 4's
    vector is never set up and its signals wait in the PBA for good; 4.13 asks one per present CPU (4):
    the fourth, managed to {3}, is shut down at request_irq (no online CPU in its mask) and its two
    signals are handled on CPU3 when it returns; 4.6 (possible CPUs, msix-range: not managed) handles
    them at once. msidbg asked 3 in all three before redteam19 (num_online_cpus() in every layout)."""
    eng = _run(f"q35-nvme-queue-cpus-k{version}")
    assert len([e for e in _events(eng, "irq.request") if e.dev == "nvme0"]) == vectors
    assert sum(eng.w.acct["nvme0"]["lost"]) == lost
    if version == "413":
        assert _handled_on(eng, "nvme0") == [(4_006_500, 3)]


# --- the fix: a poll timer armed on a CPU that goes offline moves to the control CPU (timers_dead_cpu) ---------

def test_poll_timer_of_an_offlined_cpu_fires_on_the_control_cpu() -> None:
    """kernel/time/timer.c timers_dead_cpu: the dead CPU's pending timers move to the CPU that ran its
    teardown. note_interrupt armed poll_spurious_irq_timer on CPU1 (the storm's CPU); CPU1 goes offline
    (from CPU0): the poll runs on CPU0 and services the NIC's later signal. Before redteam19 the timer
    waited for CPU1 for ever: the run never ended (the bound below fails instead of hanging)."""
    from msidbg.model import new_engine

    eng = new_engine(load_scenario(str(HELD / "q36-poll-timer-offline-k516.yaml")))
    n = 0
    while eng.step():
        n += 1
        assert n < 1_000_000, "the run does not end"
    moved = [(e.cpu, e.fields["what"]) for e in _events(eng, "kernel") if "timers_dead_cpu" in str(e.fields["what"])]
    assert moved == [(0, "timers_dead_cpu: poll_spurious_irq_timer moves from CPU1 to CPU0")]
    assert _handled_on(eng, "eth0") == [(501_007_000, 0)]
