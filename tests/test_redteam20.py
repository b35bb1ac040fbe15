"""redteam20: held-out bare-metal / guest-kernel scenarios (tests/heldout20/*.yaml; predictions written from the
named releases' source before running msidbg: tests/heldout20/PREDICTIONS.md). Every file's expect block, and per
boundary the mechanism that separates its sides (which vector and CPU, what the writer gets back, how often a
disabled line interrupts), so a regression in the mechanism fails here even where the totals would not move."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end

HELD = Path(__file__).parent / "heldout20"
#: the two 100,000-interrupt storms (several seconds each): their expect blocks are checked once, below
SLOW = {"r08-irqpoll-storm-k515", "r09-poll-timer-back-online-k61"}


def _run(name: str):  # type: ignore[no-untyped-def]
    return run_to_end(load_scenario(str(HELD / f"{name}.yaml")))


def _events(eng: Any, *kinds: str) -> list[Any]:
    return [e for e in eng.log.events(1, len(eng.log) + 1) if e.kind in kinds]


def _cpus(eng: Any, dev: str, after_ns: int = 0) -> list[int]:
    return [e.cpu for e in _events(eng, "irq.handler") if e.dev == dev and e.time_ns >= after_ns]


def _results(eng: Any, do: str) -> list[int]:
    return [e.fields["result"] for e in _events(eng, "action.done") if e.fields["do"] == do]


def _assigned(eng: Any) -> list[tuple[int, int, int]]:
    """(irq, vector, CPU) of each vector.assign."""
    return [(e.fields["irq"], e.fields["vector"], e.fields["target"]) for e in _events(eng, "vector.assign")]


@pytest.mark.parametrize("path", [p for p in sorted(HELD.glob("*.yaml")) if p.stem not in SLOW], ids=lambda p: p.stem)
def test_heldout20_expect_blocks(path: Path) -> None:
    """Each file's expect block is the outcome the upstream source predicts (PREDICTIONS.md)."""
    assert headless.check(load_scenario(str(path))) == []


def test_legacy_cursor_moves_and_cleans_up() -> None:
    """v4.9 __assign_irq_vector: 0x41/0x51/0x61 on CPU0 from the global cursor, the deferred move to CPU2
    takes the cursor's next (0x71); the first interrupt there sends the cleanup IPI, CPU0 frees 0x51."""
    eng = _run("r01-legacy-cursor-move-k49")
    assert _assigned(eng) == [(24, 0x41, 0), (25, 0x51, 0), (26, 0x61, 0), (25, 0x71, 2)]
    assert _cpus(eng, "eth0") == [0, 2]
    assert type(eng.w.cpus[0].vector_irq.get(0x51)) is not int and eng.w.cpus[2].vector_irq.get(0x71) == 25


def test_legacy_cursor_survives_free() -> None:
    """pci_free_irq_vectors clears the vectors, not the static cursor: the next allocation goes on from 0x71."""
    eng = _run("r02-legacy-free-realloc-k414")
    assert [v for _, v, _ in _assigned(eng)] == [0x41, 0x51, 0x61, 0x71, 0x81, 0x91]


@pytest.mark.parametrize(("version", "last"), [("412", [1, 1]), ("413", [2, 2])])
def test_legacy_offline_of_a_non_target_cpu(version: str, last: list[int]) -> None:
    """4.12's fixup_irqs re-sets every irq whose mask is not all online -- the first online CPU of {1,2,3} is
    CPU1 again; 4.13's irq_migrate_all_off_this_cpu leaves an irq that does not target the dying CPU."""
    eng = _run(f"r03-legacy-offline-nontarget-k{version}")
    assert _cpus(eng, "eth0") == [0, 2] + last


def test_legacy_managed_queues_move_at_startup() -> None:
    """4.14: every queue vector starts on CPU0 (allocation), IRQ_STARTUP_MANAGED moves queues 2..4 to
    their CPUs before the unmask; the completions are handled there."""
    eng = _run("r04-legacy-managed-nvme-k414")
    assert _assigned(eng)[4:] == [(25, 0x81, 1), (26, 0x91, 2), (27, 0xA1, 3)]
    assert _cpus(eng, "nvme0") == [2, 3]


@pytest.mark.parametrize(("version", "storm"), [("546", True), ("547", False)])
def test_ioapic_move_on_a_disabled_irq(version: str, storm: bool) -> None:
    """Before df4393424af3 (5.4.7) ioapic_ack_level's move unmasks the entry of a disabled irq whose line is
    asserted: it interrupts again and again until enable_irq; from it the entry stays masked."""
    eng = _run(f"r05-ioapic-disabled-move-k{version}")
    pending = len(_events(eng, "irq.pending"))
    assert (pending > 10) if storm else (pending == 1)
    assert _cpus(eng, "eth0") == [2]


@pytest.mark.parametrize(("version", "cpus"), [("65", [1, 2, 2, 3, 3]), ("66", [1, 2, 2, 2, 3])])
def test_ioapic_second_move_while_cleanup_timer_pending(version: str, cpus: list[int]) -> None:
    """6.6's cleanup timer keeps the old vector a jiffy: the second move of a level irq gets -EBUSY in
    ioapic_ack_level and stays pending until the 8 ms interrupt; 6.5's IPI has freed it by 4 ms."""
    assert _cpus(_run(f"r06-ioapic-busy-move-k{version}"), "eth0") == cpus


@pytest.mark.parametrize(("version", "cpu"), [("244", 0), ("245", 2)])
def test_latched_entry_keeps_the_old_vector_until_da181dc974ad(version: str, cpu: int) -> None:
    """A latch-on-unmask NIC keeps the message it latched at startup's unmask: 4.14.244 rewrites the live
    entry (ignored), the old vector stays mapped, the move never completes; 4.14.245 masks around it."""
    eng = _run(f"r10-latch-unmask-default-k414{version}")
    assert set(_cpus(eng, "eth0")) == {cpu}


def test_latch_on_enable_before_activate_early() -> None:
    """4.7.2: MSI is enabled before irq_startup writes the message; the latching function keeps zeroes."""
    assert _cpus(_run("r11-latch-enable-k472"), "eth0") == []
    assert _cpus(_run("r11-latch-enable-k473"), "eth0") == [0, 0, 0]


def test_failed_pci_enable_device_fails_the_probe() -> None:
    """Every driver returns pci_enable_device()'s error (e1000e_probe, nvme_pci_enable): nothing is
    allocated, Bus Master stays off. msidbg went on with the probe and reported it ok."""
    eng = _run("r15-fault-enable-device-k61")
    assert _results(eng, "probe") == [-5]
    assert not _events(eng, "irq.alloc")


def test_device_fault_on_an_irq_program_fires() -> None:
    """A ``faults:`` entry naming a device matches the programs called for that device's irqs
    (irq_domain_activate_irq takes an irq, not a device): it used to never fire."""
    eng = _run("r14-fault-activate-k66")
    assert _results(eng, "probe") == [-28, 0]
    assert [e.dev for e in _events(eng, "irq.handler")] == ["eth1"]


@pytest.mark.parametrize(("version", "result"), [("414", 0), ("415", -28)])
def test_proc_write_result_of_a_failed_irq_set_affinity(version: str, result: int) -> None:
    eng = _run(f"r17-fault-set-affinity-k{version}")
    assert _results(eng, "set_affinity") == [result]


def test_out_of_order_driver_calls() -> None:
    """A second pci_alloc_irq_vectors -EINVAL; request_irq before any vector or after the free -EINVAL."""
    assert _results(_run("r18-second-alloc-k510"), "alloc_vectors") == [2, -22]
    assert _results(_run("r19-request-before-alloc-k66"), "request_irq") == [-22, 0]
    assert _results(_run("r21-free-vectors-then-request-k66"), "request_irq") == [-22]


def test_remove_in_a_burst_is_not_spurious() -> None:
    eng = _run("r22-remove-inflight-k66")
    acct = eng.w.acct["eth0"]
    assert sum(acct["delivered"]) + sum(acct["lost"]) == 10 and sum(acct["delivered"]) >= 1
    assert not _events(eng, "irq.spurious")


def test_nvme_49_counts_online_cpus_and_spreads_over_them() -> None:
    eng = _run("r23-nvme-online-spread-k49")
    assert _results(eng, "doorbell") == [0, -6]
    assert _cpus(eng, "nvme0") == [2]


@pytest.mark.parametrize(("version", "handled"), [("58", ["eth0"]), ("59", ["eth0", "eth0", "sata"])])
def test_soft_disabled_apic_kills_the_whole_shared_line(version: str, handled: list[str]) -> None:
    eng = _run(f"r24-soft-disabled-shared-k{version}")
    assert [e.dev for e in _events(eng, "irq.handler")] == handled


def test_sleeper_on_an_offlined_cpu() -> None:
    eng = _run("r25-sleeper-offline-k66")
    assert _results(eng, "doorbell") == [0]
    assert _results(eng, "set_affinity") == [-22, 0]


def test_legacy_allocator_never_hands_out_the_pic_cascade_vector() -> None:
    """Before 4.15 0x32 is irq 2's on every CPU (init_IRQ / setup_vector_irq, irq 2's domain every CPU):
    CPU0 has 189 device vectors, not 190; vector 189 of the NIC lands on CPU1."""
    eng = _run("r26-legacy-cpu0-full-k49")
    assert all(v != 0x32 for _, v, _ in _assigned(eng))
    assert sum(1 for _, _, c in _assigned(eng) if c == 0) == 189
    assert _cpus(eng, "eth0") == [0, 1, 1]


def test_irqpoll_storm_disabled_at_100000() -> None:
    """locks28: CPU1's misrouted_irq comes for irq 17's lock at 50001.9 us, the instant CPU2's sata action ends, and
    gets it before CPU2's handle_irq_event takes it back: IRQD_IRQ_INPROGRESS is still set, IRQS_PENDING (was: the
    poll ran sata's handler again). CPU1's storm loop is 1.4 us earlier from there, so its poll of irq 17 at 60 ms
    meets sata's second assert and delivers it (CPU2 waits in irq_wait_for_poll, then IRQ_NONE): misrouted_irq
    returns 1 and note_interrupt's 'desc->irqs_unhandled -= ok' leaves irq 16 one short -- disabled at 99,999 of
    100,000 (still > 99,900). Both sata signals are delivered, as the scenario predicts."""
    assert headless.check(load_scenario(str(HELD / "r08-irqpoll-storm-k515.yaml"))) == []
    eng = _run("r08-irqpoll-storm-k515")
    assert [(e.fields["irq"], e.fields["unhandled"]) for e in _events(eng, "irq.nobody_cared")] == [(16, 99999)]
    polled = [(e.cpu, e.time_ns, e.fields["signals"]) for e in _events(eng, "irq.handler") if e.fields["irq"] == 17]
    assert polled == [(2, 50_000_400, 1), (1, 60_000_000, 1)]


def test_poll_timer_stays_on_the_cpu_it_moved_to() -> None:
    assert headless.check(load_scenario(str(HELD / "r09-poll-timer-back-online-k61.yaml"))) == []
    eng = _run("r09-poll-timer-back-online-k61")
    assert _cpus(eng, "eth0") == [0]
