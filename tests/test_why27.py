"""why27: the leads why26 left (docs/why.md, "Round 27").

- a task spinning on desc->lock behind another CPU's task (its irq_set_affinity, disable_irq / enable_irq or
  free_irq section) or behind the locker queued first records a ``lock.wait`` node linking that locker;"""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from tests.why_helpers import links, ran

TESTS = Path(__file__).resolve().parent
LOCKS26 = TESTS / "locks26"
LOCKQ25 = TESTS / "lockq25"


def _spins(s: Session) -> list[int]:
    return [e.index for e in s.events(1, s.total + 1)
            if e.kind == "kernel" and str(e.fields.get("what", "")).startswith("desc->lock")]


def test_a_task_behind_another_cpus_task_links_the_holders_action() -> None:
    """locks26 l02 (6.6): CPU1's irq_set_affinity (100.05 us) spins while CPU0's free_irq holds desc->lock across
    irq_shutdown: its first poll is a ``lock.wait`` node ("irq_set_affinity of irq 24 spins on desc->lock: CPU0 is in
    free_irq") linking the free_irq action ("waits for desc->lock, held by"; its own action is implied, as k09's). Main: no
    node -- the event <- the set_affinity action, the holder never named."""
    s = ran("l02-affinity-behind-free-irq-shutdown-k66", LOCKS26)
    first, _ = _spins(s)
    why = s.why(first)
    assert links(why) == [("lock.wait", "cpus[1].proc.wait"), ("action.start", "actions[1]")]
    head, holder = why.chain
    assert head.cpu == 1 and head.stack[0] == "irq_set_affinity+request_move"
    assert head.reason.endswith("irq_set_affinity of irq 24 spins on desc->lock: CPU0 is in free_irq")
    assert holder.relation == "waits for desc->lock, held by"


def test_a_task_behind_a_queued_task_links_the_queued_action() -> None:
    """l02 again: free_irq's irq_domain_deactivate_irq section (100.3 us) comes for the lock while CPU1's
    irq_set_affinity, queued first, is about to take it: "queued for first by" the set_affinity action. Main: the
    event <- free_irq's own action."""
    s = ran("l02-affinity-behind-free-irq-shutdown-k66", LOCKS26)
    _, second = _spins(s)
    why = s.why(second)
    assert links(why) == [("lock.wait", "cpus[0].proc.wait"), ("action.start", "actions[2]")]
    assert why.chain[1].relation == "waits for desc->lock, queued for first by"
    assert "CPU1's task (irq_set_affinity) queued for it first" in why.chain[0].reason


def test_a_task_behind_enable_irq_links_it() -> None:
    """lockq25 h01 (6.6): CPU2's irq_set_affinity spins while CPU1's enable_irq holds the lock: held by the
    enable_irq action (main: the event <- set_affinity)."""
    s = ran("h01-enable-irq-holder-vs-queued-affinity-k66", LOCKQ25)
    (spin,) = _spins(s)
    why = s.why(spin)
    assert links(why) == [("lock.wait", "cpus[2].proc.wait"), ("action.start", "actions[2]")]
    assert why.chain[1].relation == "waits for desc->lock, held by"


def test_a_task_behind_a_queued_flow_handler_links_its_interrupt(tmp_path: Path) -> None:
    """kernfid2's s07 on 5.2: free_irq's synchronize_irq (its raw_spin_lock_irqsave) finds CPU1's handle_edge_irq
    queued first: "queued for first by" CPU1's accept <- the IRR bit <- the message. Main: the event <- free_irq."""
    from tests.test_kernfid2_free_irq import S07
    path = tmp_path / "s07.yaml"
    path.write_text(S07.format(kernel="5.2", free_at="1100us"))
    s = Session.from_scenario(str(path))
    s.run()
    queued = next(i for i in _spins(s) if "flow handler queued for it first" in str(s.event(i).fields["what"]))
    why = s.why(queued)
    assert links(why)[:3] == [("lock.wait", "cpus[0].proc.wait"), ("accept", "cpus[1].isr[0x21]"),
                              ("irr.set", "cpus[1].irr[0x21]")]
    assert why.chain[1].relation == "waits for desc->lock, queued for first by"


def test_the_new_records_change_nothing_the_model_does() -> None:
    """Provenance on and off: the same events, hits and state hash."""
    from msidbg.model import new_engine
    from msidbg.scenario import load_scenario
    from msidbg.sim.world import state_hash

    for path in sorted(LOCKS26.glob("l0[23]*.yaml")) + [LOCKQ25 / "h01-enable-irq-holder-vs-queued-affinity-k66.yaml"]:
        scn = load_scenario(str(path))
        on, off = new_engine(scn, prov=True), new_engine(scn, prov=False)
        on.run_sync()
        off.run_sync()
        assert (on.log.times, on.log.ids, on.log.cols) == (off.log.times, off.log.ids, off.log.cols), path.name
        assert on.hits == off.hits and state_hash(on.w) == state_hash(off.w), path.name
