"""why26: the gaps round 12 and whylinks25 left (docs/why.md, "Round 26").

- a level flow handler (handle_fasteoi_irq: IO-APIC INTx, a Xen PV guest's pcifront GSI pirq) spinning on desc->lock
  records a node that links the holder, as handle_edge_irq's spin does (whylinks25, kernlock);
- snapshot-read hits carry their ``seq`` and ``w`` / ``Session.why()`` at a reopened snapshot's stop explains the hit;
- diff finds a state difference that appears and vanishes inside the identical prefix (h06)."""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from tests.conftest import assert_prov_neutral
from tests.why_helpers import links, ran

TESTS = Path(__file__).resolve().parent
LOCKQ23 = TESTS / "lockq23"


def _spin_notes(s: Session, prog: str) -> list[int]:
    out = []
    for e in s.events(1, s.total + 1):
        if e.kind == "kernel" and str(e.fields.get("what", "")).startswith("desc->lock"):
            w = s.why(e.index)
            if w.chain[0].stack and w.chain[0].stack[0].startswith(prog + "+"):
                out.append(e.index)
    return out


def test_a_fasteoi_spin_behind_irq_set_affinity_links_the_holder() -> None:
    """lockq23 i01 (6.6, remapping): CPU1's handle_fasteoi_irq of GSI 18 spins while CPU0's irq_set_affinity holds
    desc->lock for its IRTE write. Its first poll is a node on eth0's INTx condition ("spins on desc->lock: CPU0 is
    in irq_set_affinity") linking the set_affinity action ("waits for desc->lock, held by"), the interrupt it runs
    in a branch. Main: no node -- why of the note read CPU1's own interrupt path only (event <- accept <- IRR <- the
    condition), never the holder."""
    s = ran("i01-intx-ir-disable-behind-flow-k66", LOCKQ23)
    (spin,) = _spin_notes(s, "handle_fasteoi_irq")
    why = s.why(spin)
    assert links(why) == [("kernel", "acct.eth0.held[0]"), ("action.start", "actions[2]")]
    head, holder = why.chain
    assert head.event == spin and head.cpu == 1 and head.stack[0] == "handle_fasteoi_irq+lock"
    assert "handle_fasteoi_irq of irq 18 (INTx# of eth0) spins on desc->lock: CPU0 is in irq_set_affinity" \
        in head.reason
    assert holder.relation == "waits for desc->lock, held by"
    own = [b[0] for b in head.branches if b[0].path == "cpus[1].isr[0x20]"]
    assert len(own) == 1 and own[0].relation == "in the handler of"


# --- (3) the hit at a reopened snapshot's stop ----------------------------------------------------------------------
HELD12 = TESTS / "heldout_why12"


def _h11_stopped() -> Session:
    s = Session.from_scenario(str(HELD12 / "h11-disabled-two-edges-k61.yaml"))
    stop = s.continue_()
    assert stop.reason == "breakpoint" and stop.breakpoint == "irq-lost"
    return s


def test_snapshot_hits_carry_their_place_in_the_run_and_the_stop_explains_the_hit_it_reported(tmp_path: Path) -> None:
    """h11 stops at event 28 (27 before kernel32), where two equal irq-lost hits (two parked edges) are recorded; the stop reports the
    first (``Checker`` takes the first hit of the step). ``why`` of the stop -- live, and at the snapshot reopened
    with or without verification -- explains that hit's own edge (2 ms: events 21, 20, 19), not the later one's
    (2.1 ms: 25, 24, 23). Main: snapshot-read hits had no ``seq`` (-1), the stop matched the last equal hit, and an
    unverified reopen explained the later edge as well."""
    from msidbg.debugger.whyrun import target_for

    s = _h11_stopped()
    first, second = (h for h in s.hits() if h.event == s.cursor)
    assert (first.seq, second.seq) == (0, 1) and first == second
    assert s.why(first).events() != s.why(second).events()
    live = target_for(s, "")
    assert live.seq == 0 and s.why(live).events() == s.why(first).events() == [29, 23, 22, 21, 9, 1]
    snap = tmp_path / "h11.msgpack"
    s.save(str(snap))
    for verify in (False, True):
        r = Session.open(str(snap), verify=verify)
        assert [h.seq for h in r.hits()] == [0, 1], verify
        t = target_for(r, "")
        assert not isinstance(t, int | str) and t.seq == 0, verify
        assert r.why(t).events() == [29, 23, 22, 21, 9, 1], verify
        assert r.why(r.hits()[1]).events() == [29, 27, 26, 25, 9, 1], verify


def _conditional_stop(tmp_path: Path) -> Path:
    s = Session.from_scenario(str(TESTS.parent / "scenarios" / "msix-write-while-unmasked.yaml"))
    for b in s.breakpoints:
        s.enable_breakpoint(b.id, False)
    s.add_breakpoint('msix-write-unmasked if event.dev == "eth0"')
    stop = s.continue_()
    assert stop.event == 26 and stop.breakpoint == 'msix-write-unmasked if event.dev == "eth0"'
    snap = tmp_path / "cond.msgpack"
    s.save(str(snap))
    return snap


def test_a_conditional_builtin_stop_explains_its_hit(tmp_path: Path) -> None:
    """A stop of ``msix-write-unmasked if event.dev == "eth0"`` (its label is its spec) at a reopened snapshot: the
    default target is the hit the stop reported, a ``hit`` target. Main: the event (its label matched no hit name)."""
    from msidbg.debugger.whyrun import target_for
    from tests.why_helpers import cli

    r = Session.open(str(_conditional_stop(tmp_path)), verify=False)
    t = target_for(r, "")
    assert not isinstance(t, int | str) and (t.event, t.name, t.seq) == (26, "msix-write-unmasked", 0)
    assert r.why(t).target["kind"] == "hit"
    import json
    rc, out, _ = cli("why", str(tmp_path / "cond.msgpack"), "--json")
    assert rc == 0 and json.loads(out)["target"]["kind"] == "hit" and json.loads(out)["target"]["event"] == 26


async def test_w_at_a_reopened_snapshots_conditional_stop_explains_the_hit(tmp_path: Path) -> None:
    """The TUI: open the snapshot, ``w`` at the cursor: "Why: hit msix-write-unmasked at event 26" (main: "Why: event
    26", the event's chain)."""
    from msidbg.tui.app import make_app
    from tests.tui.conftest import idle, screen_text

    app = make_app(str(_conditional_stop(tmp_path)), keymap={})
    async with app.run_test(size=(160, 40)) as pilot:
        await idle(pilot, app)
        assert app.session.cursor == 26
        await pilot.press("w")
        await pilot.pause()
        await idle(pilot, app)
        text = "\n".join(screen_text(app))
        assert "Why: hit msix-write-unmasked at event 26" in text


# --- held-out round 13 (tests/heldout_why13/PREDICTIONS.md) --------------------------------------------------------
HELD13 = TESTS / "heldout_why13"


def _held(name: str) -> Session:
    return ran(name, HELD13)


def test_k03_a_pv_pcifront_handler_run_reaches_the_functions_condition() -> None:
    """k03 (xen-pv 4.17 / 6.1): the handler run of eth2's GSI pirq: the upcall's clear <- its callback <- the upcall <-
    the port's pending bit <- eth2's INTx condition ("INTx# asserted by": send_guest_pirq for the machine GSI the
    function drives) <- its Command <- the probe. Main: the pending bit linked only the port's EVTCHNOP_bind_pirq, and
    the chain never named the device's signal."""
    s = _held("k03-pv-pcifront-handler-x417-k61")
    run = next(e.index for e in s.events(1, s.total + 1) if e.kind == "irq.handler")
    why = s.why(run)
    assert links(why) == [("upcall.clear", "cpus[1].upcall"), ("xen", "cpus[1].callback"), ("xen", "cpus[1].upcall"),
                          ("xen", "xen.ports[1].pending"), ("intx.cond", "acct.eth2.held[0]"),
                          ("pci.cmd", "devices.eth2.cmd"), ("action.start", "actions[0]")]
    assert why.chain[4].relation == "INTx# asserted by"


def test_k04_a_pv_condition_behind_a_port_masked_after_the_send_links_the_mask() -> None:
    """k04 (xen-pv): the last send of eth2's GSI pirq came just before vCPU0's disable_irq masked the port; the event
    never reaches the guest, no EOI comes, the host irq stays in flight and the condition is lost at the end: loss <-
    the condition <- the port's mask (disable_irq's disable_dynirq, "held by the mask") <- the disable_irq action.
    Main: loss <- condition <- Xen's send <- the port's pending bit <- its bind <- the probe (no disable_irq)."""
    s = _held("k04-pv-pcifront-disable-storm-x417-k61")
    (hit,) = s.armed_hits()
    why = s.why(hit)
    assert links(why) == [("lost", "acct.eth2.lost[0]"), ("intx.cond", "acct.eth2.held[0]"),
                          ("guest", "xen.ports[1].masked"), ("action.start", "actions[2]")]
    assert why.chain[2].relation == "held by the mask" and why.chain[2].stack[0] == "driver_disable_irq+mask"


def test_k01_k05_k06_chains_as_predicted() -> None:
    """The files whose chains main already gave as predicted (regression pins): k01's nobody-cared loss, k05's
    Lowest Priority delivery to CPU0 (lowest_priority: first), k06's handler run in an interrupt after the shared
    request re-enabled the line."""
    s = _held("k01-intx-storm-shared3-k510")
    why = s.why(s.armed_hits()[0])
    assert links(why) == [("lost", "acct.usb1.lost[0]"), ("kernel", "irqs[19].disabled"), ("accept", "cpus[1].isr[0x21]"),
                          ("irr.level", "cpus[1].irr[0x21]"), ("intx.cond", "acct.usb1.held[0]"),
                          ("initial", "devices.usb1.cmd")]
    assert why.chain[1].stack[0] == "handle_fasteoi_irq+note"
    s = _held("k05-lowprio-flat-first-k414")
    run = next(e for e in s.events(1, s.total + 1) if e.kind == "irq.handler")
    assert run.cpu == 0
    assert links(s.why(run.index))[1:] == [("accept", "cpus[0].isr[0x41]"), ("irr.set", "cpus[0].irr[0x41]"),
                                           ("table.write", "devices.eth0.msix.table[0].data"),
                                           ("action.start", "actions[0]")]
    s = _held("k06-spoll-recovered-by-shared-request-k61")
    assert not s.armed_hits()
    last = [e for e in s.events(1, s.total + 1) if e.kind == "irq.handler"][-1]
    why = s.why(last.index)
    assert last.dev == "eth3" and why.chain[0].stack[0] == "handle_fasteoi_irq+action"
    assert links(why) == [("intx.ack", "acct.eth3.held[0]"), ("intx.cond", "acct.eth3.held[0]"),
                          ("pci.cmd", "devices.eth3.cmd"), ("action.start", "actions[0]")]


def test_k08_a_retriggered_stray_links_the_message_left_in_the_old_cpus_irr() -> None:
    """k08 (5.4.19, the xHCI's MSI without a mask bit moved four times): the first irq-spurious is the xHCI's message
    left in CPU1's IRR after msi_set_affinity retriggered it to the new CPU, taken by nvme0's handler. Its chain: the
    stray <- CPU1's accept <- the IRR bit the xHCI's message set <- the message's data write (the two-step update, in
    irq_move_irq on CPU1) <- the deferred move <- its set_affinity; nvme0's slot a branch. Main: stray <- nvme0's
    vector_irq slot <- nvme0's probe (the xHCI never named)."""
    s = _held("k08-retrigger-stray-4cpu-k5419")
    hit = next(h for h in s.armed_hits() if h.name == "irq-spurious")
    why = s.why(hit)
    assert links(why) == [("stray.retriggered", "cpus[1].irr[0x22]"), ("accept", "cpus[1].isr[0x22]"),
                          ("irr.set", "cpus[1].irr[0x22]"), ("msi.reg", "devices.xhci.msi.data"),
                          ("irq.move_pending", "irqs[27].pending_mask"), ("action.start", "actions[5]")]
    assert [b[0].link for b in why.chain[0].branches] == ["vector_irq"]


def test_k09_a_task_spinning_behind_a_flow_handler_links_its_interrupt() -> None:
    """k09 (5.15): CPU0's free_irq finds CPU1 in handle_fasteoi_irq and spins: its first poll is a ``lock.wait`` node
    (it writes nothing) linking the interrupt CPU1 handles ("waits for desc->lock, held by" its accept) <- the level
    entry's IRR bit <- the condition. Main: the event <- the free_irq action only."""
    s = _held("k09-free-behind-fasteoi-k515")
    (spin,) = [e.index for e in s.events(1, s.total + 1) if e.kind == "kernel"
               and str(e.fields.get("what", "")).startswith("desc->lock: CPU1 is in the flow handler")]
    why = s.why(spin)
    assert links(why)[:4] == [("lock.wait", "cpus[0].proc.wait"), ("accept", "cpus[1].isr[0x21]"),
                              ("irr.level", "cpus[1].irr[0x21]"), ("intx.cond", "acct.eth0.held[0]")]
    assert why.chain[0].stack[0] == "free_irq+remove_action" and why.chain[1].relation == "waits for desc->lock, held by"


def test_k10_a_fasteoi_spin_behind_an_irte_update_links_set_affinity() -> None:
    """k10 (5.15, remapping, 3 CPUs): as lockq23 i01 on another release and topology."""
    s = _held("k10-fasteoi-behind-irte-3cpu-k515")
    (spin,) = _spin_notes(s, "handle_fasteoi_irq")
    assert links(s.why(spin)) == [("kernel", "acct.eth0.held[0]"), ("action.start", "actions[2]")]


def test_the_new_records_change_nothing_the_model_does() -> None:
    """Provenance on and off: the same events, hits and state hash for every held-out file of this round and i01."""

    paths = sorted(HELD13.glob("k0[2-9]*.yaml")) + sorted(HELD13.glob("k1*.yaml")) + [LOCKQ23 / "i01-intx-ir-disable-behind-flow-k66.yaml"]
    assert_prov_neutral(paths)


def test_an_edge_spinning_behind_another_cpus_flow_handler_links_its_interrupt() -> None:
    """k08 again (a result, not a prediction): CPU1's handle_edge_irq finds CPU2 in the xHCI's flow handler
    ("desc->lock: CPU2 is in the flow handler of irq 27"): its first poll is a node on the held signal linking CPU2's
    accept ("waits for desc->lock, held by") <- the IRR bit <- the message. Main: no node (the event's own interrupt)."""
    s = _held("k08-retrigger-stray-4cpu-k5419")
    spin = next(e.index for e in s.events(1, s.total + 1) if e.kind == "kernel"
                and str(e.fields.get("what", "")).startswith("desc->lock: CPU2 is in the flow handler"))
    why = s.why(spin)
    assert links(why)[:3] == [("kernel", "acct.xhci.held[0]"), ("accept", "cpus[2].isr[0x22]"),
                              ("irr.set", "cpus[2].irr[0x22]")]
    assert why.chain[1].relation == "waits for desc->lock, held by" and why.chain[0].cpu == 1
