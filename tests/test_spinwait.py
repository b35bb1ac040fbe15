"""Spin waits (synchronize_irq, desc->lock) are one note when they start and the step that proceeds
when they end: the polls between are silent (``Ctx.spin``, ``Engine.quiet_poll``), at the same
virtual times and in the same agenda order as the noted polls were (revision 6 before this change
wrote one note every 100 ns: ~200 for a 20 us handler, 10,000 for a 1 ms one)."""

from __future__ import annotations

from typing import Any

import pytest

from msidbg.debugger import Session
from msidbg.model import new_engine
from msidbg.sim.world import state_hash
from tests.conftest import events_of, run_to_end, scenario, shipped

#: CPU1 takes vector 0's interrupt at 100 us and runs its action (``handler`` long); CPU3's
#: free_irq at 101 us spins on desc->lock while CPU1 is in handle_edge_irq, removes the action,
#: then (5.15: irq_shutdown only masks) waits in synchronize_irq for CPU1's action
LONG_WAIT = """\
name: spin-long
seed: 1
cpus: 4
costs: {{handler: {handler}}}
kernel: {{version: "5.15"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 4}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 50us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}}
  - {{at: 100us, do: fire, dev: eth0, vector: 0}}
  - {{at: 101us, on: 3, do: free_irq, dev: eth0, vector: 0}}
"""

SYNC = "synchronize_irq: irq 24 in progress on CPU1"
LOCK = "desc->lock: CPU1 is in the flow handler of irq 24"


def _spin_notes(eng: Any) -> list[tuple[int, int, str]]:
    return [(e.time_ns, e.cpu, e.fields["what"]) for e in events_of(eng, "kernel")
            if str(e.fields["what"]).startswith(("synchronize_irq: ", "desc->lock: "))]


@pytest.mark.parametrize(("handler", "proceeds"), [("20us", 121_500), ("1ms", 1_101_500)])
def test_free_irq_s_waits_are_one_note_each_and_it_proceeds_at_the_same_time(handler: str, proceeds: int) -> None:
    """Before: 5 desc->lock notes and 197 (20 us) / 9997 (1 ms) synchronize_irq notes on CPU3.
    Now one of each, and CPU3's next event after the synchronize_irq note is the deactivation's
    message write at the poll that first found CPU1's action done -- the time the 200th / 10,000th
    note's step proceeded at before (121.5 us / 1101.5 us, on the 100 ns grid from the wait's start)."""
    eng = run_to_end(scenario(LONG_WAIT.format(handler=handler)))
    assert _spin_notes(eng) == [(101_000, 3, LOCK), (101_800, 3, SYNC)]
    cpu3 = [e for e in eng.log.events(1, len(eng.log) + 1) if e.cpu == 3]
    i = next(n for n, e in enumerate(cpu3) if e.kind == "kernel" and e.fields["what"] == SYNC)
    after = cpu3[i + 1]
    assert (after.kind, after.time_ns, after.fields["reg"], after.fields["value"]) == ("msix.write", proceeds, "addr_lo", 0)
    assert [e.time_ns for e in events_of(eng, "vector.free")] == [proceeds + 600]
    assert len(eng.log) == 62     # (intx36: msix_capability_init's Interrupt Disable write)


def test_a_hardirq_desc_lock_spin_notes_once_per_wait() -> None:
    """The shipped torn-affinity (maskable) scenario: CPU2 and CPU3 both take irq 29 and each spins
    on desc->lock in handle_edge_irq (interrupt stack) while the other holds it. Before, 3375 and
    2196 notes, one every 100 ns; now one per wait (455 each since revision 7's one irq_move_irq per
    ack, 439 before): no note follows the same CPU's same note one poll (the kernel cost) later."""
    eng = run_to_end(shipped("msi-torn-affinity-update-maskable"))
    notes = _spin_notes(eng)
    # fidfix: CPU0's affinity writes (irq_set_affinity) now spin on desc->lock too while a flow handler holds it.
    # redteam21: the lock is handed to the task queued first (qspinlock): each of the five writes of the storm
    # gets it at the next release (its flow handlers wait "CPU0's task queued for it first"), where a polled
    # lock starved them until the stream ended (1808 notes, every write done at 1.3 ms). lockq23: every locker queues,
    # flow handlers too -- a write that comes while the other CPU's flow handler already spins waits behind it
    # (about 1 us later each, 924 notes; redteam21's task-only queue let it in first: 920, 400.5 us ...)
    queued = "desc->lock: CPU0's task queued for it first (queued spinlock: its turn at the release)"
    assert {(cpu, what) for _, cpu, what in notes} == {
        (2, "desc->lock: CPU3 is in the flow handler of irq 29"), (3, "desc->lock: CPU2 is in the flow handler of irq 29"),
        (0, "desc->lock: CPU3 is in the flow handler of irq 29"), (0, "desc->lock: CPU2 is in the flow handler of irq 29"),
        (2, queued), (3, queued)}
    assert len(notes) == 924
    assert [e.time_ns for e in events_of(eng, "action.done") if e.fields["do"] == "set_affinity"][:7] == [
        200_100, 300_100, 401_500, 501_800, 600_900, 701_600, 801_700]
    step = eng.w["costs"]["kernel"]
    last: dict[int, tuple[int, str]] = {}
    for t, cpu, what in notes:
        assert last.get(cpu) != (t - step, what), f"CPU{cpu} noted the same spin twice in a row at {t}"
        last[cpu] = (t, what)
    assert all(e.fields["prog"] in ("handle_edge_irq", "irq_set_affinity") for e in events_of(eng, "kernel")
               if str(e.fields["what"]).startswith("desc->lock: "))
    # revision 11: dyingdrain's MULTI_STOP_EXIT / do_idle notes (+2 events, the offline 100 ns later); revision 10:
    # offdying's take_cpu_down notes (+2); revision 9: fidfix's irq_set_affinity lock
    # redteam21: 6432 events (the writers no longer poll through the storm), the run ends 1.2 us later
    # lockq23: 6435 events, the run ends 100 ns earlier (the writes wait behind the flow handler queued first)
    # kernel32: 6436 events (msi_capability_init's first pci_msi_set_enable(dev, 0)), the same end
    # intx36: 6438 (pci_intx_for_msi's Interrupt Disable writes), the same end
    assert eng.w["now"] == 2_317_300 and len(eng.log) == 6438


def test_time_travel_across_a_silent_wait_is_exact() -> None:
    """Step, step back and seek across free_irq's synchronize_irq wait land on the straight run's
    worlds: the silent polls re-run exactly (same state hash at every event), and stepping back from
    the event that proceeds reaches the note in one step per event (no poll events in between)."""
    scn = scenario(LONG_WAIT.format(handler="20us"))
    eng = new_engine(scn)
    hashes = [state_hash(eng.w)]
    while eng.step():
        hashes.append(state_hash(eng.w))
    log = eng.log
    note = next(i for i, e in enumerate(log.events(1, len(log) + 1), 1)
                if e.kind == "kernel" and e.fields["what"] == SYNC)
    proceed = next(i for i in range(note + 1, len(log) + 1) if log.event(i).cpu == 3)
    assert log.event(proceed).kind == "msix.write" and proceed - note <= 4
    s = Session(scn, spacing=8)
    s.seek(proceed)
    assert state_hash(s.eng.w) == hashes[proceed]
    s.step_back(proceed - note)
    assert s.eng.w["events"] == note and state_hash(s.eng.w) == hashes[note]
    s.step(1)
    assert state_hash(s.eng.w) == hashes[note + 1]
    s.seek(note - 1)
    s.step(proceed - note + 1)
    assert state_hash(s.eng.w) == hashes[proceed]
    s.seek(len(hashes) - 1)
    assert state_hash(s.eng.w) == hashes[-1]
