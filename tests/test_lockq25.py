"""lockq25: desc->lock is one queued spinlock for every locker (reading ``kernel.lock.desc-lock-queued``,
kernel/locking/qspinlock.c): a flow handler that came for it first -- its raw_spin_lock is the first
statement of handle_fasteoi_irq / handle_edge_irq -- gets it before a task that came later, and a CPU that
holds the lock already (enable_irq across irq_startup -> irq_enable) is no waiter: it never queues behind
a task that waits for it. Scenarios and their source predictions: tests/lockq25/ (lockq23's: tests/lockq23/)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.conftest import events_of, run_to_end, totals

HERE = Path(__file__).parent / "lockq25"


def _scn(name: str) -> Any:
    return load_scenario(str(HERE / f"{name}.yaml"))


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Fail (not hang) when the run does not end: a locker waiting on itself spins inside one step forever."""
    def _expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"the run did not end within {seconds} s: a desc->lock waiter waits on itself")
    old = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")), ids=lambda p: p.stem)
def test_lockq25_expect_blocks(path: Path) -> None:
    with _deadline(90):
        assert headless.check(load_scenario(str(path))) == []


def test_enable_irq_holding_the_lock_is_not_queued_behind_the_task_that_waits_for_it() -> None:
    """CPU1's enable_irq holds desc->lock from 2 ms across irq_startup; CPU2's irq_set_affinity comes at
    2.00005 ms and queues. irq_enable (chip.c) runs under the lock enable_irq took and does not take it
    again: enable_irq is done at 2.0001 ms, the affinity write takes the lock at the release and records the
    move as pending. Before: irq_enable queued behind CPU2's task, which waited for CPU1 -- no end."""
    with _deadline(90):
        eng = run_to_end(_scn("h01-enable-irq-holder-vs-queued-affinity-k66"))
    done = {e.fields["do"]: e.time_ns for e in events_of(eng, "action.done")}
    assert done["enable_irq"] == 2_000_100 and done["set_affinity"] == 2_000_250
    waits = [(e.cpu, e.fields["what"]) for e in events_of(eng, "kernel") if "desc->lock" in str(e.fields["what"])]
    assert waits == [(2, "desc->lock: CPU1 is in enable_irq of irq 24")]
    assert [e.time_ns for e in events_of(eng, "irq.affinity")] == [2_000_150]
    assert totals(eng, "eth0")["delivered"] == 1


def test_intx_two_cpus_free_irq_waits_for_the_flow_handler_that_came_first() -> None:
    """CPU1 accepts the level interrupt of 300 us and comes for desc->lock in handle_fasteoi_irq; CPU0's
    free_irq comes 100 ns later. CPU1 takes the lock first and runs the action for its 3 signals; free_irq
    gets the lock when handle_irq_event drops it for that action, removes the action and masks the entry,
    then waits in synchronize_irq until CPU1's EOI (302.4 us) before deactivating. Before: free_irq took
    the lock first and CPU1 found no action (IRQS_PENDING, 198 delivered)."""
    eng = run_to_end(_scn("i03-intx-2cpu-free-behind-entry-k66"))
    evs = list(eng.log.events(1, len(eng.log) + 1))
    handler = next(i for i, e in enumerate(evs) if e.kind == "irq.handler" and e.time_ns >= 300_000)
    free = next(i for i, e in enumerate(evs) if e.kind == "irq.free")
    assert (evs[handler].cpu, evs[handler].time_ns, evs[handler].fields["signals"]) == (1, 300_400, 3)
    assert handler < free and evs[free].time_ns == 300_400
    assert not [e for e in evs if e.kind == "irq.pending"]
    notes = [e.fields["what"] for e in evs if e.kind == "kernel" and e.fields["prog"] in ("free_irq", "handle_fasteoi_irq")]
    assert notes == ["desc->lock: CPU1 is in the flow handler of irq 18", "synchronize_irq: irq 18 in progress on CPU1"]
    eoi = next(e.time_ns for e in evs if e.kind == "apic.eoi" and e.cpu == 1 and e.time_ns > 300_400)
    deactivated = next(e.time_ns for e in evs if e.kind == "ioapic.rte" and "deactivated" in str(e.fields["what"]))
    assert eoi == deactivated == 302_400
    assert totals(eng, "eth0") == {"raised": 600, "delivered": 201, "lost": 399, "spurious": 0}
