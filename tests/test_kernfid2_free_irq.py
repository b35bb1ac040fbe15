"""kernfid2: __free_irq against a handler of the same irq on another CPU (kernel/irq/manage.c).

A CPU that entered handle_edge_irq first holds desc->lock until handle_irq_event() has taken the
action, so free_irq() removes the action only after it (the signal is delivered); free_irq() then
waits (synchronize_irq, __synchronize_hardirq(desc, true) from 62e0468650c3) for a handler still
running. From 4001d8e8762f (5.3, ``kernel.free_irq_deactivate``) the deactivation -- zero message,
vector freed -- follows that wait; before, irq_shutdown() deactivated ahead of it."""

from __future__ import annotations

import pytest

from tests.conftest import events_of, run_to_end, scenario, totals

S07 = """
name: s07-free-irq-vs-handler
seed: 1
cpus: 2
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 1ms, do: fire, dev: eth0, vector: 0, count: 20, every: 20us}}
  - {{at: {free_at}, on: 0, do: free_irq, dev: eth0, vector: 0}}
"""


def _t(eng: object, kind: str, **match: object) -> list[int]:
    return [e.time_ns for e in events_of(eng, kind) if all(e.fields.get(k) == v for k, v in match.items())]


def _at(eng: object, kind: str, **match: object) -> list[int]:
    """Positions in the event log (events of one instant are ordered there)."""
    log = eng.log  # type: ignore[attr-defined]
    return [i for i, e in enumerate(log.events(1, len(log) + 1))
            if e.kind == kind and all(e.fields.get(k) == v for k, v in match.items())]


@pytest.mark.parametrize("kernel", ["5.2", "5.15"])
def test_a_handler_that_entered_first_keeps_its_action_and_free_irq_waits_for_it(kernel: str) -> None:
    """CPU1 takes the interrupt of 1.1 ms; CPU0's free_irq starts 100 ns later. CPU1 holds
    desc->lock in handle_edge_irq, so the action is removed after CPU1's handler ran with it: that
    signal is delivered (6 of 20; the model used to remove the action under the running handler
    and lose it, then deactivate the irq while CPU1 was still in handle_edge_irq). Then
    synchronize_irq waits while CPU1 runs that action (IRQD_IRQ_INPROGRESS, until 1.102 ms): from
    5.3 the deactivation follows it."""
    eng = run_to_end(scenario(S07.format(kernel=kernel, free_at="1100100ns")))
    handler = [(e.time_ns, e.fields["signals"]) for e in events_of(eng, "irq.handler")]
    assert handler[-1] == (1_100_500, 1)
    assert _t(eng, "irq.free") == [1_100_500]
    assert min(_t(eng, "vector.free")) > 1_100_500
    waits = [(e.time_ns, e.fields["what"]) for e in events_of(eng, "kernel") if e.fields["prog"] == "free_irq"]
    spins = [t for t, w in waits if w == "desc->lock: CPU1 is in the flow handler of irq 24"]
    syncs = [t for t, w in waits if w == "synchronize_irq: irq 24 in progress on CPU1"]
    assert spins and syncs and len(spins) + len(syncs) == len(waits)
    assert max(spins) < 1_100_500 < min(syncs) and max(syncs) < 1_102_000 <= _t(eng, "action.done")[-1]
    if kernel == "5.15":
        assert min(_t(eng, "msix.write", reg="addr_lo", value=0)) >= 1_102_000
    assert totals(eng, "eth0") == {"raised": 20, "delivered": 6, "lost": 14, "spurious": 0}


@pytest.mark.parametrize(("kernel", "waits_first"), [("5.2", False), ("5.15", True)])
def test_the_deactivation_follows_the_wait_from_4001d8e8762f(kernel: str, waits_first: bool) -> None:
    """free_irq at 1.1 ms removes the action first; CPU1 takes that instant's interrupt and goes
    through handle_edge_irq, which finds it shut down (IRQD_IRQ_DISABLED): IRQS_PENDING, mask_ack_irq,
    no action (lost either way: nothing replays it before the descriptor is freed). 5.15: irq_shutdown() only masks,
    free_irq waits in synchronize_irq while CPU1 is in the flow handler, then zeroes the message
    and frees the vector. 5.2: irq_shutdown() deactivates first, under desc->lock -- the message is
    zeroed and the vector freed while CPU1's handle_edge_irq spins for the lock (locks26: __free_irq
    holds it to its unlock; CPU1 used to go through at 1.1004 ms) -- then CPU1 parks the edge and
    synchronize_irq's own raw_spin_lock_irqsave (queued behind CPU1) waits for its unlock."""
    eng = run_to_end(scenario(S07.format(kernel=kernel, free_at="1100us")))
    assert [e.time_ns for e in events_of(eng, "irq.pending")] == [1_100_400 if waits_first else 1_101_000]
    assert not [e for e in events_of(eng, "irq.handler") if e.fields["signals"] == 0]
    parked = _at(eng, "irq.pending")[0]
    handled = min(i for i in _at(eng, "apic.eoi", vector=33) if i > parked)    # mask_ack_irq's ack: out
    zeroed = min(_at(eng, "msix.write", entry=0, reg="addr_lo", value=0))
    syncs = [i for i in _at(eng, "kernel") if i < zeroed]
    notes = [e.fields["what"] for e in events_of(eng, "kernel") if e.fields["prog"] == "free_irq"]
    assert max(_at(eng, "msix.write", entry=0, reg="ctrl", value=1)) < handled   # masked first
    if waits_first:
        assert notes and all(n == "synchronize_irq: irq 24 in progress on CPU1" for n in notes)
        assert syncs and max(syncs) < handled < zeroed
    else:
        assert notes == ["desc->lock: CPU1's flow handler queued for it first (queued spinlock: its turn at the "
                         "release)", "desc->lock: CPU1 is in the flow handler of irq 24"]
        assert zeroed < min(_at(eng, "vector.free")) < parked < handled
    assert totals(eng, "eth0") == {"raised": 20, "delivered": 5, "lost": 15, "spurious": 0}


def test_why_names_free_irq_s_removal_of_the_action_for_the_signal_lost_after_it(tmp_path: object) -> None:
    """The signal CPU1 takes as free_irq starts is lost because the action was removed: the cause
    chain of that irq-lost hit branches to free_irq's removal (irqs[24].action = 0, at
    free_irq+remove_action), which it did not record before (it named only the vector setup)."""
    from pathlib import Path

    from msidbg.debugger import Session

    path = Path(str(tmp_path)) / "s07.yaml"
    path.write_text(S07.format(kernel="5.15", free_at="1100us"))
    s = Session.from_scenario(str(path))
    s.run()
    # (the edge found the irq shut down: IRQS_PENDING that nothing replays -- lost at the end)
    hit = next(h for h in s.hits() if h.name == "irq-lost" and "IRQS_PENDING" in h.detail)
    why = s.why(hit)
    removed = [b[0] for b in why.chain[0].branches if b[0].link == "irq.action"]
    assert removed and removed[0].path == "irqs[24].action" and removed[0].value == 0
    assert removed[0].stack[0] == "free_irq+remove_action"
