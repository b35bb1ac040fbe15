"""why28: the lead round 27 left (docs/why.md, "Round 28"): a flow handler's spin on desc->lock behind a task's locked
section other than irq_set_affinity, and a spin behind try_one_irq, name the holder."""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from tests.conftest import assert_prov_neutral
from tests.why_helpers import links, ran

TESTS = Path(__file__).resolve().parent
LOCKS26 = TESTS / "locks26"
LOCKS27 = TESTS / "locks27"
WHY28 = TESTS / "why28"


def _spins(s: Session) -> list[int]:
    return [e.index for e in s.events(1, s.total + 1)
            if e.kind == "kernel" and str(e.fields.get("what", "")).startswith("desc->lock")]


def test_an_edge_behind_free_irq_links_the_free_irq(tmp_path: Path) -> None:
    """kernfid2's s07 on 5.2 (event 65; 64 before the probe's Interrupt Disable write, event 18): CPU1's handle_edge_irq spins while CPU0's free_irq holds desc->lock: a node on
    eth0 vector 0's held signal ("spins on desc->lock: CPU0 is in free_irq") <- "waits for desc->lock, held by" the
    free_irq action. Round 27: no node -- the event's answer was CPU1's own accept <- IRR <- message <- probe."""
    from tests.test_kernfid2_free_irq import S07
    path = tmp_path / "s07.yaml"
    path.write_text(S07.format(kernel="5.2", free_at="1100us"))
    s = Session.from_scenario(str(path))
    s.run()
    first = _spins(s)[0]
    assert (first, s.event(first).fields["prog"]) == (65, "handle_edge_irq")
    why = s.why(first)
    assert [(lk.event, lk.link, lk.path) for lk in why.chain] == [
        (65, "kernel", "acct.eth0.held[0]"), (59, "action.start", "actions[2]")]
    assert why.chain[0].reason.endswith("handle_edge_irq of irq 24 (eth0 vector 0) spins on desc->lock: CPU0 is in "
                                        "free_irq")
    assert why.chain[1].relation == "waits for desc->lock, held by"
    assert s.event(59).fields == {"action": 2, "do": "free_irq"}


def test_an_edge_behind_enable_irq_links_the_enable_irq() -> None:
    """why28 e01 (6.6): the signal enable_irq's irq_startup released spins on CPU1 behind CPU0's enable_irq section:
    the spin <- the enable_irq action (its own interrupt, the accept of 2000.1 us, is the implied context)."""
    s = ran("e01-edge-behind-enable-irq-k66", WHY28)
    (spin,) = _spins(s)
    assert s.event(spin).fields["what"] == "desc->lock: CPU0 is in enable_irq of irq 24"
    why = s.why(spin)
    assert links(why) == [("kernel", "acct.eth0.held[0]"), ("action.start", "actions[3]")]
    assert why.chain[1].relation == "waits for desc->lock, held by"
    assert s.event(why.chain[1].event).fields == {"action": 3, "do": "enable_irq"}
    assert [(b[0].event, b[0].relation) for b in why.chain[0].branches] == [(38, "in the handler of")]  # 37 before intx36 (+1: the probe's Interrupt Disable write)


def test_a_task_behind_try_one_irq_links_the_misrouted_interrupt() -> None:
    """locks27 m01 (6.6, irqpoll): CPU2's disable_irq_nosync(17) spins while CPU0's misrouted_irq -- run by the stuck
    GSI 16's unhandled interrupt -- holds irq 17's lock in try_one_irq: a ``lock.wait`` node <- "waits for desc->lock,
    held by" CPU0's accept of vector 0x20 <- the level entry's IRR <- usb0's INTx# assert. Round 27: no node (CPU0 ran
    no scenario action; a running one would have been linked as the holder)."""
    s = ran("m01-try-one-irq-pending-holds-lock-k66", LOCKS27)
    (spin,) = _spins(s)
    why = s.why(spin)
    assert [(lk.event, lk.link, lk.path) for lk in why.chain][:4] == [
        (431, "lock.wait", "cpus[2].proc.wait"), (424, "accept", "cpus[0].isr[0x20]"),
        (423, "irr.level", "cpus[0].irr[0x20]"), (23, "intx.cond", "acct.usb0.held[0]")]
    assert why.chain[0].reason.endswith("driver_disable_irq_nosync of irq 17 spins on desc->lock: CPU0 is in "
                                        "try_one_irq")
    assert why.chain[1].relation == "waits for desc->lock, held by"


def test_a_fasteoi_spin_behind_try_one_irq_links_the_misrouted_interrupt() -> None:
    """locks26 l01 (event 1185): CPU1's handle_fasteoi_irq of sata0's irq 17 spins behind CPU0's try_one_irq: the spin
    <- CPU0's accept of GSI 16's vector (its misrouted_irq's interrupt), not CPU1's own. Round 27: CPU1's own accept
    only (the holder's process context had no action)."""
    s = ran("l01-fasteoi-out-holds-lock-k66", LOCKS26)
    spin = next(i for i in _spins(s) if "try_one_irq" in str(s.event(i).fields["what"]))
    why = s.why(spin)
    assert [(lk.event, lk.link, lk.path) for lk in why.chain][:3] == [
        (1185, "kernel", "acct.sata0.held[0]"), (1177, "accept", "cpus[0].isr[0x20]"),
        (1173, "irr.level", "cpus[0].irr[0x20]")]
    assert why.chain[1].relation == "waits for desc->lock, held by"
    assert [(b[0].event, b[0].relation) for b in why.chain[0].branches] == [(1180, "in the handler of")]


def test_the_new_records_change_nothing_the_model_does() -> None:
    """Provenance on and off: the same events, hits and state hash."""
    assert_prov_neutral([WHY28 / "e01-edge-behind-enable-irq-k66.yaml", WHY28 / "e02-poll-behind-disable-nosync-k61.yaml",
                         LOCKS27 / "m01-try-one-irq-pending-holds-lock-k66.yaml", LOCKS26 / "l01-fasteoi-out-holds-lock-k66.yaml"])


def test_the_polls_try_one_irq_behind_a_task_links_the_task() -> None:
    """why28 e02 (6.1): poll_spurious_irqs on CPU1 comes to the 'nobody cared' irq 16 while CPU0's disable_irq_nosync
    holds its desc->lock: try_one_irq's first poll is a ``lock.wait`` on ``irqs[16].disabled`` <- "waits for desc->lock,
    held by" the disable_irq_nosync action; the poll run (the timer's expiry) is the branch. Before: no node, the
    event's answer was empty ("no tracked value recorded here")."""
    s = ran("e02-poll-behind-disable-nosync-k61", WHY28)
    (spin,) = _spins(s)
    assert s.event(spin).fields["prog"] == "poll_spurious_irqs"
    why = s.why(spin)
    assert [(lk.event, lk.link, lk.path) for lk in why.chain] == [
        (spin, "lock.wait", "irqs[16].disabled"), (spin - 3, "action.start", "actions[2]")]
    assert why.chain[0].reason.endswith("poll_spurious_irqs (try_one_irq) of irq 16 spins on desc->lock: CPU0 is in "
                                        "disable_irq_nosync")
    assert why.chain[1].relation == "waits for desc->lock, held by"
    assert [(b[0].link, b[0].relation) for b in why.chain[0].branches] == [
        ("irq.poll", "in the poll (poll_spurious_irqs) run by")]
