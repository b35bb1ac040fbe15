"""locks27: desc->lock where kernel/irq/spurious.c and manage.c hold it, and the spurious poll's wait. try_one_irq
holds the lock from its raw_spin_lock to its 'goto out' or handle_irq_event's unlock; __synchronize_hardirq reads
the chip's IRQCHIP_STATE_ACTIVE under the lock. Scenarios and their source predictions: tests/locks27/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end

HERE = Path(__file__).parent / "locks27"


def _events(name: str) -> list[Any]:
    eng = run_to_end(load_scenario(str(HERE / f"{name}.yaml")))
    return list(eng.log.events(1, len(eng.log) + 1))


def _what(e: Any) -> str:
    return str(e.fields.get("what", ""))


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")), ids=lambda p: p.stem)
def test_locks27_expect_blocks(path: Path) -> None:
    assert headless.check(load_scenario(str(path))) == []


def test_try_one_irq_holds_the_lock_through_its_pending_out() -> None:
    """CPU0's misrouted_irq finds irq 17 in progress on CPU1 (2351.9 us) and goes out with IRQS_PENDING under
    desc->lock: CPU2's disable_irq_nosync (2351.95 us) spins behind it and disables at 2352.05 us. Before:
    try_one_irq never marked the lock, and the disable ran at 2351.95 us."""
    evs = _events("m01-try-one-irq-pending-holds-lock-k66")
    pend = next(e for e in evs if e.kind == "irq.poll" and "IRQS_PENDING" in str(e.fields.get("how")))
    dis = next(e for e in evs if e.kind == "irq.disable")
    assert (pend.cpu, pend.time_ns, dis.time_ns) == (0, 2_351_900, 2_352_050)
    assert [(e.cpu, e.time_ns, _what(e)) for e in evs if "desc->lock" in _what(e)] == [
        (2, 2_351_950, "desc->lock: CPU0 is in try_one_irq of irq 17")]


def test_synchronize_irq_reads_the_chip_state_under_the_lock() -> None:
    """CPU2's disable_irq polls irq 17's Remote IRR (sent to CPU1, which is in eth0's handler); each poll takes
    desc->lock first, so the poll at 100.6 us waits behind CPU3's enable_irq (irq_startup under the lock), then
    reads Remote IRR again. Before: the chip state was read without the lock, one note, no wait."""
    evs = _events("m02-sync-chip-state-under-lock-k66")
    flight = ("synchronize_irq: irq 17 in flight: Remote IRR set (irq_get_irqchip_state IRQCHIP_STATE_ACTIVE), "
              "sent to CPU1")
    assert [(e.time_ns, _what(e)) for e in evs if e.cpu == 2 and e.kind == "kernel" and e.time_ns < 102_000] == [
        (100_300, flight), (100_600, "desc->lock: CPU3 is in enable_irq of irq 17"), (100_700, flight)]
    done = next(e for e in evs if e.kind == "action.done" and e.fields["do"] == "disable_irq")
    assert done.time_ns == 103_900


def test_spurious_poll_waits_for_the_task_to_turn_interrupts_on() -> None:
    """The poll timer expires on CPU0 (402001.4 us) while its irq_set_affinity spins for desc->lock with
    interrupts off behind CPU1's free_irq: one 'softirq waits' event, and poll_spurious_irqs runs at the
    irqrestore (402001.95 us). Before: an event every 100 ns (six) and the poll at 402002.0 us, 300065 events."""
    evs = _events("m03-spoll-waits-for-irqs-on-k66")
    polls = [(e.cpu, e.time_ns, str(e.fields["how"])) for e in evs if e.kind == "irq.poll"
             and 402_000_000 <= e.time_ns < 403_000_000]
    assert polls == [
        (0, 402_001_400, "poll_spurious_irq_timer expired: the softirq waits (CPU in hardirq or interrupts off)"),
        (0, 402_001_950, "poll_spurious_irq_timer expired: poll_spurious_irqs"),
        (0, 402_003_550, "done (not re-armed: nothing else is scheduled)")]
    aff = [e for e in evs if e.kind == "irq.affinity"][-1]
    assert (aff.cpu, aff.time_ns, aff.fields["how"]) == (0, 402_001_950, "stored")
    assert len(evs) == 300_061     # (intx36: nic1's MSI-X enable writes Interrupt Disable, one more event)
