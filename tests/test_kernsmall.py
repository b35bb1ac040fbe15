"""Fidelity of the session of 2026-12-02 (kernsmall): four small kernel mechanisms.

* disable_irq / disable_irq_nosync hold desc->lock (irq_get_desc_buslock: raw_spin_lock_irqsave) around
  __disable_irq, the chip's mask included (kernel/irq/manage.c __disable_irq_nosync, every release): a flow
  handler on another CPU spins until irq_put_desc_busunlock.
* try_one_irq (kernel/irq/spurious.c, poll_spurious_irqs) takes raw_spin_lock(&desc->lock) first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import run_to_end, scenario

ROOT = Path(__file__).resolve().parent.parent


def _events(eng: Any) -> list[Any]:
    log = eng.log
    return [log.event(i) for i in range(1, eng.cur + 1)]


DISABLE = """
name: dislock
cpus: 2
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 20us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}}
  - {{at: 30us, do: fire, dev: eth0, vector: 0}}
  - {{at: 100us, on: 0, do: {do}, dev: eth0, vector: 0, unlazy: true}}
  - {{at: 99800ns, do: fire, dev: eth0, vector: 0}}
"""


def test_edge_flow_handler_waits_for_disable_irq_desc_lock() -> None:
    """CPU0's disable_irq(unlazy) masks the MSI-X entry under desc->lock; CPU1, which took eth0's edge just
    before, spins in handle_edge_irq ('CPU0 is in disable_irq') and parks the edge (irq.pending) only after
    CPU0 released the lock -- not while CPU0's mask write is under way."""
    for do in ("disable_irq", "disable_irq_nosync"):
        evs = _events(run_to_end(scenario(DISABLE.format(do=do))))
        spin = next(i for i, e in enumerate(evs) if e.kind == "kernel" and e.cpu == 1
                    and e.fields.get("what") == f"desc->lock: CPU0 is in {do} of irq 24")
        mask = next(i for i, e in enumerate(evs) if e.kind == "msix.write" and e.cpu == 0)
        park = next(i for i, e in enumerate(evs) if e.kind == "irq.pending" and e.cpu == 1)
        assert mask < spin < park
        # the park runs once CPU0 is out of its irqsave section: no earlier than CPU0's next step
        assert evs[park].time_ns > evs[mask].time_ns + 100
    eng = run_to_end(scenario(DISABLE.format(do="disable_irq")))
    assert eng.w["irqs"][24].lock == -1      # type: ignore[attr-defined]  (irq_put_desc_busunlock)


def test_try_one_irq_spins_on_desc_lock() -> None:
    """intx-nobody-cared with a driver's disable_irq of irq 16 on CPU0 just before poll_spurious_irqs runs on
    CPU1: try_one_irq spins on desc->lock until disable_irq's irqsave section ends, then runs the NIC's
    handler (before, the handler ran while CPU0 held the lock)."""
    src = (ROOT / "scenarios" / "intx-nobody-cared.yaml").read_text()
    src = src.replace("breakpoints:", "  - {at: 301999850ns, on: 0, do: disable_irq, dev: eth0, vector: 0}\n"
                      "breakpoints:")
    evs = _events(run_to_end(scenario(src)))
    dis = next(i for i, e in enumerate(evs) if e.kind == "irq.disable" and e.fields["irq"] == 16 and e.cpu == 0)
    spin = next(i for i, e in enumerate(evs) if e.kind == "kernel" and e.cpu == 1
                and e.fields.get("what") == "desc->lock: CPU0 is in disable_irq of irq 16")
    done = next(i for i, e in enumerate(evs) if e.kind == "action.done" and e.fields["do"] == "disable_irq")
    handler = next(i for i, e in enumerate(evs) if i > dis and e.kind == "irq.handler" and e.cpu == 1)
    assert evs[spin].fields["prog"] == "poll_spurious_irqs"
    assert dis < spin < handler and evs[handler].time_ns >= evs[done].time_ns
