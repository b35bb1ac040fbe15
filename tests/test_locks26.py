"""locks26: desc->lock is held where the kernel holds it, and a pending interrupt is taken where interrupts come
back on. handle_fasteoi_irq's 'goto out' path (irq_may_run false) keeps the lock to its EOI; __free_irq holds it
from the action's removal through irq_shutdown, and its irq_domain_deactivate_irq section queues for it like any
other locker; local_irq_restore with an interrupt pending takes it before the task's next statement. Scenarios and
their source predictions: tests/locks26/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end, totals

HERE = Path(__file__).parent / "locks26"


def _events(name: str) -> list[Any]:
    eng = run_to_end(load_scenario(str(HERE / f"{name}.yaml")))
    return list(eng.log.events(1, len(eng.log) + 1))


def _what(e: Any) -> str:
    return str(e.fields.get("what", ""))


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")), ids=lambda p: p.stem)
def test_locks26_expect_blocks(path: Path) -> None:
    assert headless.check(load_scenario(str(path))) == []


def test_fasteoi_out_path_keeps_the_lock_to_its_eoi() -> None:
    """CPU1's handle_fasteoi_irq finds irq 17 disabled after irq_wait_for_poll (3000.9 us) and goes out to its
    EOI with desc->lock held: CPU2's enable_irq (3000.95 us) spins behind CPU1's flow handler and enables after
    the EOI. Before: enable_irq took the lock in between and CPU1's EOI waited for enable_irq."""
    evs = _events("l01-fasteoi-out-holds-lock-k66")
    out = next(i for i, e in enumerate(evs) if e.cpu == 1 and _what(e).startswith(
        "irq_wait_for_poll: the poll on CPU0 is done, irq 17 is disabled: out (EOI)"))
    eoi = next(i for i, e in enumerate(evs[out:], out) if e.cpu == 1 and e.kind == "apic.eoi")
    enable = next(i for i, e in enumerate(evs) if e.kind == "irq.enable")
    assert (evs[out].time_ns, evs[eoi].time_ns, evs[enable].time_ns) == (3_000_900, 3_001_000, 3_001_050)
    assert out < eoi < enable
    waits = [(e.cpu, _what(e)) for e in evs if "desc->lock" in _what(e)]
    # locks27: CPU0's next misrouted_irq finds irq 17 in progress on CPU1 (3002.9 us) and holds the lock through
    # its IRQS_PENDING 'goto out': CPU1's handle_irq_event, back for the lock after the action, waits for it
    assert waits == [(2, "desc->lock: CPU1 is in the flow handler of irq 17"),
                     (1, "desc->lock: CPU0 is in try_one_irq of irq 17")]


def test_free_irq_holds_the_lock_across_irq_shutdown_and_deactivation_queues() -> None:
    """CPU1's irq_set_affinity (100.05 us) waits while free_irq removes the action and masks the entry; it takes
    the lock at free_irq's unlock, and free_irq's irq_domain_deactivate_irq, which comes for the lock while
    irq_set_affinity holds it, queues behind it: the zero message comes after the affinity write. Before:
    irq_set_affinity ran at 100.05 us beside the mask, and the deactivation took the lock without queueing."""
    evs = _events("l02-affinity-behind-free-irq-shutdown-k66")
    waits = [(e.cpu, e.time_ns, _what(e)) for e in evs if "desc->lock" in _what(e)]
    assert waits == [(1, 100_050, "desc->lock: CPU0 is in free_irq of irq 24"),
                     (0, 100_300, "desc->lock: CPU1's task queued for it first (queued spinlock: its turn at the "
                                  "release)")]
    mask = next(e for e in evs if e.kind == "msix.write" and e.fields["reg"] == "ctrl" and e.time_ns >= 100_000)
    aff = next(e for e in evs if e.kind == "irq.affinity" and e.time_ns >= 100_000)
    zero = next(e for e in evs if e.kind == "msix.write" and e.fields["reg"] == "addr_lo" and e.time_ns >= 100_000)
    assert mask.time_ns == 100_100 and (aff.time_ns, aff.fields["how"]) == (100_350, "pending")
    assert zero.time_ns == 100_400 and zero.fields["value"] == 0


def test_affinity_during_deactivation_waits_and_finds_the_irq_deactivated() -> None:
    """irq_set_affinity at 100.35 us comes while free_irq's irq_domain_deactivate_irq holds desc->lock: it
    spins until free_irq's unlock, then finds the irq deactivated and only stores the mask. Before: it ran in
    the middle of the zero-message writes and recorded a move pending on the irq being torn down."""
    evs = _events("l03-affinity-behind-free-irq-deactivate-k66")
    vfree = next(e for e in evs if e.kind == "vector.free")
    aff = next(e for e in evs if e.kind == "irq.affinity" and e.time_ns >= 100_000)
    assert vfree.time_ns == 100_900 and (aff.time_ns, aff.fields["how"]) == (101_050, "stored")
    assert [(e.cpu, _what(e)) for e in evs if "desc->lock" in _what(e)] == [
        (1, "desc->lock: CPU0 is in free_irq of irq 24")]


def test_irqrestore_takes_the_pending_interrupt_before_the_next_statement() -> None:
    """eth1's MSI waits in CPU0's IRR while free_irq's locked section runs with interrupts off; the unlock's
    local_irq_restore (100.3 us) lets CPU0 take it at once, and its handler runs before free_irq's
    irq_domain_deactivate_irq writes the zero message. Before: CPU0 ran on through the whole deactivation and
    took eth1 at 101.1 us, after free_irq returned."""
    eng = run_to_end(load_scenario(str(HERE / "l04-irqrestore-takes-pending-msi-k66.yaml")))
    evs = list(eng.log.events(1, len(eng.log) + 1))
    accept = next(i for i, e in enumerate(evs) if e.kind == "apic.accept" and e.fields["irq"] == 25)
    handler = next(i for i, e in enumerate(evs) if e.kind == "irq.handler" and e.fields["irq"] == 25)
    zero = next(i for i, e in enumerate(evs) if e.kind == "msix.write" and e.dev == "eth0"
                and e.fields["reg"] == "addr_lo" and e.time_ns >= 100_000)
    done = next(i for i, e in enumerate(evs) if e.kind == "action.done" and e.fields["do"] == "free_irq")
    assert (evs[accept].cpu, evs[accept].time_ns) == (0, 100_300)
    assert accept < handler < zero < done
    assert evs[zero].time_ns == 103_300
    assert totals(eng, "eth1") == {"raised": 1, "delivered": 1, "lost": 0, "spurious": 0}
