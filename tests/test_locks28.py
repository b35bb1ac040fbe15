"""locks28: a poll keeps its place in desc->lock's queue, and IRQD_IRQ_INPROGRESS stays set until handle_irq_event
has taken desc->lock back after the actions (v6.6 kernel/irq/handle.c handle_irq_event, kernel/irq/spurious.c
try_one_irq, kernel/locking/qspinlock.c). Scenarios and their source predictions: tests/locks28/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end

HERE = Path(__file__).parent / "locks28"


def _run(name: str) -> tuple[Any, list[Any]]:
    eng = run_to_end(load_scenario(str(HERE / f"{name}.yaml")))
    return eng, list(eng.log.events(1, len(eng.log) + 1))


def _what(e: Any) -> str:
    return str(e.fields.get("what", ""))


def _irq17(evs: list[Any], lo: int, hi: int) -> list[tuple[int | None, int, str]]:
    """The runs of irq 17's handlers and polls, and the notes that name irq 17, between ``lo`` and ``hi`` ns."""
    out = []
    for e in evs:
        if not lo <= e.time_ns <= hi:
            continue
        if e.kind in ("irq.handler", "irq.none", "irq.poll") and e.fields.get("irq") == 17:
            out.append((e.cpu, e.time_ns, e.kind))
        elif e.kind == "kernel" and "irq 17" in _what(e):
            out.append((e.cpu, e.time_ns, _what(e)))
    return out


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")), ids=lambda p: p.stem)
def test_locks28_expect_blocks(path: Path) -> None:
    assert headless.check(load_scenario(str(path))) == []


def test_poll_keeps_its_place_in_the_lock_queue() -> None:
    """CPU0's try_one_irq(17) queues for desc->lock (2351.9 us) before CPU1's handle_fasteoi_irq (2351.92 us), both
    behind CPU2's enable_irq: at the release the poll takes it first and its sata0 handler delivers the signal
    (2352.0 us); CPU1 waits for the poll (irq_wait_for_poll), then finds nothing (IRQ_NONE, irq 17's irqs_unhandled
    1). Before: the poll's queue entry was dropped, CPU1 took the lock and delivered, the poll found nothing."""
    eng, evs = _run("n01-poll-keeps-queue-place-k66")
    assert _irq17(evs, 2_351_850, 2_353_600) == [
        (0, 2_351_900, "desc->lock: CPU2 is in enable_irq of irq 17"),
        (1, 2_351_920, "desc->lock: CPU2 is in enable_irq of irq 17"),
        (0, 2_352_000, "irq.handler"),
        (1, 2_352_020, "irq_wait_for_poll: irq 17 is polled on CPU0 (IRQS_POLL_INPROGRESS)"),
        (1, 2_353_520, "irq.none")]
    h = next(e for e in evs if e.kind == "irq.handler" and e.fields.get("irq") == 17)
    assert (h.cpu, h.time_ns, h.fields["signals"]) == (0, 2_352_000, 1)
    assert eng.w.irqs[17]["irqs_unhandled"] == 1
    assert eng.w.acct["sata0"]["delivered"] == [1]


def test_inprogress_stays_set_until_the_relock() -> None:
    """CPU1's sata0 action ends at 2351.95 us while CPU2's enable_irq holds desc->lock; CPU0's try_one_irq(17),
    queued first, takes the lock at 2352.0 us and finds IRQD_IRQ_INPROGRESS still set (CPU1 has not taken the lock
    back): IRQS_PENDING, out at 2352.1 us; CPU1 waits behind it and EOIs at 2352.15 us. sata0's handler runs once.
    Before: the poll ran sata0's handler again (IRQ_NONE at 2352.1 us) after CPU1's EOI at 2352.05 us."""
    eng, evs = _run("n02-inprogress-until-relock-k66")
    assert _irq17(evs, 2_350_000, 2_353_000) == [
        (1, 2_350_450, "irq.handler"),
        (0, 2_351_900, "desc->lock: CPU2 is in enable_irq of irq 17"),
        (1, 2_351_950, "desc->lock: CPU2 is in enable_irq of irq 17"),
        (0, 2_352_000, "irq.poll"),
        (1, 2_352_050, "desc->lock: CPU0 is in try_one_irq of irq 17")]
    poll = next(e for e in evs if e.kind == "irq.poll" and e.fields.get("irq") == 17)
    assert poll.fields["how"] == "in progress on another CPU: IRQS_PENDING"
    eois = [(e.cpu, e.time_ns) for e in evs if e.kind == "apic.eoi" and 2_352_000 <= e.time_ns <= 2_352_200]
    assert eois == [(0, 2_352_100), (1, 2_352_150)]
    assert eng.w.acct["sata0"]["delivered"] == [1]


def _polls(evs: list[Any], lo: int, hi: int) -> list[tuple[int | None, int, str]]:
    return [(e.cpu, e.time_ns, str(e.fields["how"])) for e in evs if e.kind == "irq.poll" and e.fields["irq"] == -1
            and lo <= e.time_ns <= hi]


WAITS = "poll_spurious_irq_timer expired: the softirq waits (CPU in hardirq or interrupts off)"
RUNS = "poll_spurious_irq_timer expired: poll_spurious_irqs"


def test_poll_timer_waits_for_multi_stop_exit_on_a_stopped_cpu() -> None:
    """The poll timer expires on CPU0 (402001.4 us) while it spins in multi_cpu_stop for CPU1's offline of CPU2:
    one 'waits' event, and poll_spurious_irqs runs at MULTI_STOP_EXIT (403000.1 us), its eth0 handler after it.
    Before: the poll ran on the stopped CPU at 402001.4 us."""
    _, evs = _run("n03-spoll-waits-for-stop-machine-k66")
    assert _polls(evs, 402_000_000, 403_000_100) == [(0, 402_001_400, WAITS), (0, 403_000_100, RUNS)]
    none = [(e.cpu, e.time_ns) for e in evs if e.kind == "irq.none" and 402_000_000 <= e.time_ns <= 403_500_000]
    assert none == [(0, 403_000_100)]


def test_poll_timer_waits_for_multi_stop_exit_on_the_requester() -> None:
    """The poll timer's CPU requests the offline: it waits for take_cpu_down with interrupts off, and the expiry
    waits once (was: every 100 ns, 10,000 events) and runs at MULTI_STOP_EXIT."""
    _, evs = _run("n04-spoll-on-stop-requester-k66")
    assert _polls(evs, 402_000_000, 403_000_100) == [(0, 402_001_400, WAITS), (0, 403_000_100, RUNS)]
    assert len(evs) == 300_034


def test_poll_runs_every_action_of_a_shared_irq() -> None:
    """misrouted_irq's try_one_irq(17) runs sata0's handler (IRQ_NONE) and then nic1's (IRQ_HANDLED, the signal
    delivered by the poll); its ok takes one off irq 16's irqs_unhandled, so nobody cared counts 99,999. The vector the
    IO-APIC sent meanwhile runs both handlers for nothing and polls irq 16."""
    eng, evs = _run("n05-poll-runs-every-shared-action-k66")
    runs = [(e.time_ns, e.kind, e.dev, e.fields.get("irq")) for e in evs if e.kind in ("irq.handler", "irq.none")
            and 2_996_000 <= e.time_ns <= 3_004_000]
    assert runs == [(2_996_900, "irq.none", "sata0", 17), (2_998_400, "irq.handler", "nic1", 17),
                    (3_000_400, "irq.none", "sata0", 17), (3_001_900, "irq.none", "nic1", 17),
                    (3_003_400, "irq.none", "eth0", 16)]
    nc = [(e.fields["irq"], e.fields["unhandled"]) for e in evs if e.kind == "irq.nobody_cared"]
    assert nc == [(16, 99_999)]
    assert eng.w.acct["nic1"]["delivered"] == [1]
