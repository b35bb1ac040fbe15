"""whylinks25: a flow handler queued behind another flow handler on desc->lock (lockq25's queue) links it.

Since revision 15 every desc->lock locker queues in arrival order (``entry.spin_on_lock``). A flow handler's first
poll behind a *task* queued first was a node linking the task's action (whyheld11, q10); behind another CPU's *flow
handler* queued first it recorded nothing, so ``why`` of that spin named only the interrupt it ran in. Now it links
the interrupt the flow handler ahead of it handles (its accept), "waits for desc->lock, queued for first by".

The cases (tests/whylinks25/, expected chains written here before the fix ran):
- l01 (3 CPUs, VT-d): CPU0's irq_set_affinity holds the lock; CPU1's edge queues at 200.4 us, CPU2's first edge
  after the IRTE update at 201.4 us; at the release CPU2 finds CPU1's flow handler queued first.
- l02 (2 CPUs, MSI edge loop): CPU1's handle_edge_irq loop, queued while CPU0's edge held the lock for its ack, is
  still first when CPU0's next edge comes: CPU0's flow handler waits behind CPU1's loop."""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from msidbg.sim.events import Event
from tests.conftest import assert_prov_neutral
from tests.why_helpers import links, ran

HERE = Path(__file__).resolve().parent / "whylinks25"
QUEUED = "flow handler queued for it first"


def _run(name: str) -> Session:
    return ran(name, HERE)


def _queued_notes(s: Session) -> list[int]:
    return [e.index for e in s.events(1, s.total + 1) if e.kind == "kernel" and QUEUED in str(e.fields.get("what"))]


def _ev(s: Session, i: int) -> Event:
    return next(iter(s.events(i, i + 1)))


def _accept(s: Session, cpu: int, before: int) -> int:
    """The last apic.accept of CPU ``cpu`` before event ``before``."""
    return max(e.index for e in s.events(1, before) if e.kind == "apic.accept" and e.cpu == cpu)


def test_an_edge_behind_another_cpus_queued_edge_links_that_edges_interrupt() -> None:
    """l01: CPU2's spin at the release names CPU1's flow handler, queued first: the node links CPU1's accept (the
    interrupt of 200 us it handles), whose IRR bit the message set; CPU2's own interrupt is a branch. Main: the
    note recorded no node, and why of it read CPU2's own interrupt path only (accept <- IRR <- message)."""
    s = _run("l01-edge-behind-queued-edge-k515")
    (note,) = _queued_notes(s)
    assert _ev(s, note).cpu == 2
    why = s.why(note)
    assert links(why) == [("kernel", "acct.xhci.held[0]"), ("accept", "cpus[1].isr[0x21]"),
                          ("irr.set", "cpus[1].irr[0x21]"), ("msi.reg", "devices.xhci.msi.data"),
                          ("action.start", "actions[0]")]
    head, ahead = why.chain[0], why.chain[1]
    assert head.event == note and head.cpu == 2 and head.stack[0].startswith("handle_edge_irq+")
    assert "spins on desc->lock: CPU1's flow handler (handle_edge_irq) queued for it first" in head.reason
    assert ahead.relation == "waits for desc->lock, queued for first by"
    assert ahead.event == _accept(s, 1, note) and ahead.cpu == 1
    # CPU1's edge came for the lock (its own spin behind irq_set_affinity) before CPU2's: the accept is earlier
    assert ahead.event < _accept(s, 2, note) < note
    own = [b[0] for b in head.branches if b[0].path == "cpus[2].isr[0x21]"]
    assert len(own) == 1 and own[0].event == _accept(s, 2, note) and own[0].relation == "in the handler of"


def test_an_edge_behind_the_loop_queued_first_links_the_interrupt_the_loop_runs_for() -> None:
    """l02: CPU0's edge waits behind CPU1's handle_edge_irq loop (queued while CPU0's previous edge held the lock):
    the link is the interrupt CPU1's loop has handled since the move (its accept before the move was applied), not
    the edges it re-runs the action for. Main: no node."""
    s = _run("l02-loop-ahead-of-edge-2cpu-k515")
    notes = _queued_notes(s)
    assert len(notes) > 10 and all(_ev(s, n).cpu == 0 for n in notes)
    loop_irq = _accept(s, 1, min(e.index for e in s.events(1, s.total + 1) if e.kind == "vector.assign"
                                 and e.fields.get("target") == 0))
    for n in (notes[0], notes[-1]):
        why = s.why(n)
        assert links(why)[:3] == [("kernel", "acct.xhci.held[0]"), ("accept", "cpus[1].isr[0x21]"),
                                  ("irr.set", "cpus[1].irr[0x21]")], n
        assert why.chain[1].event == loop_irq and why.chain[1].relation == "waits for desc->lock, queued for first by"
        assert "CPU1's flow handler (handle_edge_irq) queued for it first" in why.chain[0].reason


def test_the_summary_cause_of_the_spin_is_the_same_chain() -> None:
    """The new node is an ordinary record: ``cause_events`` (the run summary's) follows the same default chain."""
    from msidbg.debugger.why import cause_events

    s = _run("l01-edge-behind-queued-edge-k515")
    (note,) = _queued_notes(s)
    why = s.why(note)
    assert cause_events(s.eng.prov, why.chain[0].record) == why.events()


def test_the_new_records_change_nothing_the_model_does() -> None:
    """Provenance on and off: the same events, hits and state hash (no revision bump)."""

    assert_prov_neutral(sorted(HERE.glob("*.yaml")))
