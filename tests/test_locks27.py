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
