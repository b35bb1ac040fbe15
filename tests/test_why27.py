"""why27: the leads why26 left (docs/why.md, "Round 27").

- a task spinning on desc->lock behind another CPU's task (its irq_set_affinity, disable_irq / enable_irq or
  free_irq section) or behind the locker queued first records a ``lock.wait`` node linking that locker;
- ``why`` with no target at a watch stop explains the watched value's write: ``Session.why()``, ``msidbg why`` and the
  TUI's ``w`` agree;
- the handler run of handle_fasteoi_irq after it spun on desc->lock keeps the spin as a branch."""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from tests.conftest import assert_prov_neutral
from tests.why_helpers import links, ran

TESTS = Path(__file__).resolve().parent
LOCKS26 = TESTS / "locks26"
LOCKQ25 = TESTS / "lockq25"
LOCKQ23 = TESTS / "lockq23"


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
    assert_prov_neutral(sorted(LOCKS26.glob("l0[23]*.yaml")) + [LOCKQ25 / "h01-enable-irq-holder-vs-queued-affinity-k66.yaml"])


# --- (2) why at a watch, if or call stop: Session.why(), msidbg why and w agree ------------------------------------
UNMASKED = TESTS.parent / "scenarios" / "msix-write-while-unmasked.yaml"
WATCH = "watch devices.eth0.msix.table[0].ctrl"


def _stopped_at(spec: str) -> Session:
    s = Session.from_scenario(str(UNMASKED))
    for b in s.breakpoints:
        s.enable_breakpoint(b.id, False)
    s.add_breakpoint(spec)
    stop = s.continue_()
    assert stop.reason == "breakpoint" and stop.breakpoint == spec
    return s


def _watch_snapshot(tmp_path: Path) -> Path:
    s = _stopped_at(WATCH)
    assert s.cursor == 24 and s.last_stop.detail == "devices.eth0.msix.table[0].ctrl: 1 -> 0"
    snap = tmp_path / "watch.msgpack"
    s.save(str(snap))
    return snap


def test_session_why_without_a_target_at_a_watch_stop_explains_the_watched_write() -> None:
    """The watch reports ctrl 1 -> 0 at event 24 (__irq_startup's unmask; 23 before intx36's set-up Interrupt Disable
    write, event 12): ``Session.why()`` explains that value -- the path's write at 24 <- request_irq -- as ``why --path`` does; ``target_for`` gives the path. Main: ``why()``
    needed a target, and ``target_for`` gave the event."""
    from msidbg.debugger.whyrun import target_for

    s = _stopped_at(WATCH)
    assert target_for(s, "") == "devices.eth0.msix.table[0].ctrl"
    why = s.why()
    assert (why.target["kind"], why.target["path"], why.target["value"]) == ("path", "devices.eth0.msix.table[0].ctrl", 0)
    assert links(why) == [("table.write", "devices.eth0.msix.table[0].ctrl"), ("action.start", "actions[2]")]
    assert why.chain[0].event == 24 and why.chain[0].stack[0] == "__irq_startup+enable"
    assert why.as_dict() == s.why("devices.eth0.msix.table[0].ctrl").as_dict()


def test_why_without_a_target_at_if_and_call_stops_explains_the_event() -> None:
    """An ``if`` or a ``call`` stop reports no value: its event is the hit (as before; now also ``Session.why()``)."""
    for spec, event in (('if event.kind == "msix.write"', 6), ("call msi_set_affinity", 25)):
        s = _stopped_at(spec)
        why = s.why()
        assert why.target["kind"] == "event" and why.target["event"] == event == s.cursor, spec
        assert why.as_dict() == s.why(event).as_dict(), spec


def test_cli_why_of_a_snapshot_stopped_at_a_watch_explains_the_watched_write(tmp_path: Path) -> None:
    """``msidbg why SNAP --json`` at the watch stop: the path target, the chain of ``Session.why()``. Main: the event
    (kind "event": event 24's chain, which names no watched value)."""
    import json

    from tests.why_helpers import cli

    snap = _watch_snapshot(tmp_path)
    rc, out, _ = cli("why", str(snap), "--json")
    doc = json.loads(out)
    assert rc == 0 and doc["target"]["kind"] == "path" and doc["target"]["path"] == "devices.eth0.msix.table[0].ctrl"
    r = Session.open(str(snap), verify=False)
    assert doc == json.loads(json.dumps(r.why().as_dict()))
    rc, text, _ = cli("why", str(snap))
    assert rc == 0 and text.startswith("why devices.eth0.msix.table[0].ctrl = 0x0 at event 24")


def test_a_watched_expression_that_is_no_path_falls_back_to_its_last_change() -> None:
    """``watch len(irqs)``: its stop (event 5) is explained as an untracked expression, by its last change -- the
    stop's event."""
    s = _stopped_at("watch len(irqs)")
    why = s.why()
    assert why.target["kind"] == "path" and why.target["path"] == "len(irqs)"
    assert why.chain[0].event == s.cursor == 5


async def test_w_at_a_watch_stop_agrees_with_session_why(tmp_path: Path) -> None:
    """The TUI's ``w`` at the reopened snapshot's watch stop: the same answer (its title is the path's)."""
    from msidbg.tui.app import make_app
    from tests.tui.conftest import idle, screen_text

    snap = _watch_snapshot(tmp_path)
    app = make_app(str(snap), keymap={})
    async with app.run_test(size=(160, 40)) as pilot:
        await idle(pilot, app)
        assert app.session.cursor == 24
        await pilot.press("w")
        await pilot.pause()
        await idle(pilot, app)
        text = "\n".join(screen_text(app))
        assert "Why: devices.eth0.msix.table[0].ctrl = 0x0 at event 24" in text
        assert "__irq_startup+enable" in text


# --- (3) the handler run after a fasteoi spin keeps the spin -------------------------------------------------------
def _spun(why: object) -> list[tuple[int, str | None]]:
    head = why.chain[0]  # type: ignore[attr-defined]
    return [(b[0].event, b[0].path) for b in head.branches if b[0].relation == "after its flow handler spun on desc->lock"]


def test_the_handler_run_after_a_fasteoi_spin_branches_to_the_spin() -> None:
    """lockq23 i01 (6.6): CPU1's handle_fasteoi_irq spins at 300.4 us (event 457) while CPU0's irq_set_affinity holds
    desc->lock; eth0 asserts again at 301.0 us (460), which rewrites the held condition; CPU1's handler runs at the
    release (463). Its chain: the clear <- the condition as of 460 (default, unchanged), with the spin a branch --
    the node on that same condition, written by this very interrupt's flow handler, only asserts after it -- whose own
    chain names irq_set_affinity. Main: no branch (the spin was gone from the run's answer)."""
    s = ran("i01-intx-ir-disable-behind-flow-k66", LOCKQ23)
    run = next(e.index for e in s.events(458, s.total + 1) if e.kind == "irq.handler")
    assert run == 463
    why = s.why(run)
    assert links(why)[:2] == [("intx.ack", "acct.eth0.held[0]"), ("intx.cond", "acct.eth0.held[0]")]
    assert why.chain[1].event == 460
    assert _spun(why) == [(457, "acct.eth0.held[0]")]
    spin = next(b for b in why.chain[0].branches if b[0].event == 457)
    assert any(lk.relation == "waits for desc->lock, held by" and lk.path == "actions[2]" for lk in spin)


def test_only_the_interrupt_that_spun_gets_the_branch() -> None:
    """heldout_why13 k10 (5.15, 3 CPUs): CPU1's run after its spin (461) branches to it (457); CPU2's run of the next
    interrupt (467) does not."""
    s = ran("k10-fasteoi-behind-irte-3cpu-k515", TESTS / "heldout_why13")
    runs = [e for e in s.events(458, s.total + 1) if e.kind == "irq.handler"][:2]
    assert [(e.index, e.cpu) for e in runs] == [(461, 1), (467, 2)]
    assert _spun(s.why(461)) == [(457, "acct.eth0.held[0]")]
    assert _spun(s.why(467)) == []
