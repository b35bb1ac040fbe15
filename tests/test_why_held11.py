"""``why`` and ``diff`` over model revision 14's mechanisms (whyheld11; tests/heldout_why11/, PREDICTIONS.md written
before ``why`` ran on any file).

The chain tests pin recorded data flow that was missing or wrong on main: a vector left pending in IRR behind the PIC
cascade's 0x32 in service (the loss linked only the message), __free_irq's WARN on a second free_irq (it linked only
its own action), an injected fault's call stack (where the activation fault fired: at allocation or request_irq), a
scenario action that never started behind a spin for ever ("still had its initial value"), a flow handler spinning on
desc->lock behind the task queued first (its note linked only the interrupt), and a deferred move re-armed by
irq_move_irq (it linked itself). The diff tests pin the first divergence of each version boundary's pair.
"""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from tests.conftest import assert_prov_neutral
from tests.why_helpers import events, links, ran

HELD = Path(__file__).resolve().parent / "heldout_why11"


def _run(name: str) -> Session:
    return ran(name, HELD)


def _lost(s: Session, detail: str) -> object:
    return next(h for h in s.hits() if h.name == "irq-lost" and detail in h.detail)


# --- the PIC cascade's vector left in service ----------------------------------------------------------------------
def test_a_signal_pending_behind_the_cascade_vector_links_the_vector_in_service() -> None:
    """q01: the second signal on 0x32 waits in CPU1's IRR behind the first, which irq 2's handle_level_irq never
    EOId. On main the loss linked the message only (loss <- IRR <- the raw write)."""
    s = _run("q01-cascade-stuck-k515")
    why = s.why(_lost(s, "still pending in CPU1's IRR"))
    assert links(why) == [("lost", "acct.nic0.lost[0]"), ("accept", "cpus[1].isr[0x32]"),
                          ("irr.set", "cpus[1].irr[0x32]"), ("table.write.live", "devices.nic0.msix.table[0].data"),
                          ("action.start", "actions[1]")]
    assert why.chain[1].relation == "held behind the vector in service"


def test_a_lower_class_vector_pending_behind_0x32_links_it_not_only_its_message() -> None:
    """q02: the entry restored to its own vector 0x21 (class 2 <= 0x32's class 3) is held in IRR for good: the loss
    names the 0x32 in service first, the restore write (actions[3]) a branch."""
    s = _run("q02-cascade-lower-class-k419")
    why = s.why(_lost(s, "still pending in CPU1's IRR"))
    assert links(why)[:2] == [("lost", "acct.nic0.lost[0]"), ("accept", "cpus[1].isr[0x32]")]
    assert links(why)[-1] == ("action.start", "actions[1]")
    assert any(lk.path == "cpus[1].irr[0x21]" for lk in why.links())


def test_a_vector_above_the_one_in_service_is_not_held_by_it() -> None:
    """The in-service link is only for a class the ISR blocks: the first signal on 0x32 itself (accepted) has no
    such link, and nothing links an ISR bit of a lower class."""
    s = _run("q01-cascade-stuck-k515")
    first = s.why(_lost(s, "irq 2 (the PIC cascade) has no action"))
    assert all(lk.relation != "held behind the vector in service" for lk in first.links())


# --- a second free_irq ---------------------------------------------------------------------------------------------
def _warn(s: Session) -> int:
    got = [e.index for e in events(s, "kernel") if "already-free" in str(e.fields.get("what"))]
    assert len(got) == 1
    return got[0]


def test_the_already_free_warn_links_the_free_irq_that_removed_the_action() -> None:
    """q03: the WARN links irq 24's action as the first free_irq (actions[1]) left it; on main it had no node and the
    chain was its own action (actions[2]) only."""
    s = _run("q03-double-free-warn-k66")
    why = s.why(_warn(s))
    assert links(why) == [("irq.free_warn", "irqs[24].action"), ("irq.action", "irqs[24].action"),
                          ("action.start", "actions[1]")]
    assert why.chain[1].relation == "the irq's action, as left by" and why.chain[1].stack[0] == "free_irq+remove_action"
    # the signal after it: held by the first free_irq's mask, the second free_irq nowhere in the answer
    loss = s.why(_lost(s, "held behind a mask"))
    assert links(loss)[-1] == ("action.start", "actions[1]")
    assert all(lk.path != "actions[2]" for lk in loss.links())


def test_a_re_requested_irq_after_a_double_free_chains_to_the_request() -> None:
    s = _run("q04-double-free-rerequest-k54")
    why = s.why(_warn(s))
    assert links(why)[-1] == ("action.start", "actions[1]")
    handler = [e.index for e in events(s, "irq.handler")][-1]
    assert all(lk.link != "irq.free_warn" for lk in s.why(handler).links())


# --- the activation at allocation (msi_init_virq / the activation loop) ---------------------------------------------
def test_an_activation_fault_shows_where_it_fired() -> None:
    """q05 / q06: the fault node carries the stack it fired in -- the allocation (6.1, 4.8) or request_irq (4.7) --
    and stays a root. On main it had no stack."""
    for name, at in (("q05-activate-fault-probe-k61", "msi_domain_alloc_irqs+early_activated"),
                     ("q06-activate-fault-probe-k48", "msi_domain_alloc_irqs+early_activated"),
                     ("q06-activate-fault-probe-k47", "irq_activate+activated")):
        s = _run(name)
        why = s.why(next(h for h in s.hits() if h.name == "probe-failed"))
        assert links(why) == [("action.done", "actions[0].result"), ("fault", "kernel.faults[0]")], name
        assert why.chain[1].stack[0] == at, name
        assert ("driver_probe+got_vectors" in why.chain[1].stack) == (at != "irq_activate+activated"), name


def test_diff_4_7_4_8_parts_at_the_activation_at_allocation() -> None:
    a, b = _run("q06-activate-fault-probe-k47"), _run("q06-activate-fault-probe-k48")
    r = a.diff(b)
    assert r.first.a_info["kind"] == "vector.assign" and r.first.b_info["kind"] == "kernel"
    assert r.first.b_info["stack"][0] == "msi_domain_alloc_irqs+early_activated"
    assert r.first.switches["msi_activate_early"] == {"a": "none", "b": "first"} and r.same_outcome


# --- 5.17 .. 6.0's inverted can_mask --------------------------------------------------------------------------------
def test_the_signal_released_by_the_masked_update_names_its_restore_write() -> None:
    """q12: vector 0 fired before request_irq waits in the PBA; 5.17's message write in request_irq writes the
    cached Vector Control 0 back and releases it before irq_startup (IRQS_PENDING, replayed by check_irq_resend).
    5.16 releases it at irq_startup's unmask."""
    s = _run("q12-canmask-fire-before-request-k517")
    handler = [e.index for e in events(s, "irq.handler")][-1]
    release = [lk for lk in s.why(handler).links() if lk.relation == "released by the unmask"
               and lk.path == "devices.nic0.msix.table[0].ctrl"]
    assert [lk.stack[0] for lk in release] == ["pci_write_msi_msg+restore"]
    old = _run("q12-canmask-fire-before-request-k516")
    handler = [e.index for e in events(old, "irq.handler")][-1]
    release = [lk for lk in old.why(handler).links() if lk.relation == "released by the unmask"
               and lk.path == "devices.nic0.msix.table[0].ctrl"]
    assert [lk.stack[0] for lk in release] == ["__irq_startup+enable"]


def test_diff_at_both_can_mask_boundaries_parts_at_the_vector_control_read() -> None:
    # 5.16 / 5.17 part earlier now (kernel29, revision 17): 5.17 also carries c7ecb95ca6a8, which sets
    # pci_dev::msix_enabled at the start of the set-up; the runs part after the same cfg.write (MSI-X Enable)
    a, b = _run("q12-canmask-fire-before-request-k516"), _run("q12-canmask-fire-before-request-k517")
    r = a.diff(b)
    assert [r.first.a_info["kind"], r.first.b_info["kind"]] == ["cfg.write", "cfg.write"]
    # (kernel31, revision 18, parted at 5.16's check_msix, where msidbg's stand-in lock was taken; kernel33 removed the
    # stand-in -- no lock before 5512c5eaf533 -- so both sides are msix_capability_init's Enable write again and only
    # the early msix_enabled differs: reconcile)
    assert r.first.a_info["stack"][0] == "msix_capability_init+ctrl_enable"
    assert r.first.b_info["stack"][0] == "msix_capability_init+ctrl_enable"
    assert r.first.paths == [{"path": "kernel.pci.nic0.msix_enabled", "a": False, "b": True}]
    assert r.first.switches["msi_descs_lock"] == {"a": "none", "b": "mutex"}
    assert r.first.switches["msi_enabled_early"] == {"a": False, "b": True}
    assert r.first.switches["msix_ctrl_read_can_mask"] == {"a": True, "b": "cannot-mask"}
    for a_name, b_name, reads in (("k60", "k61", "b"),):
        a = _run(f"q12-canmask-fire-before-request-{a_name}")
        b = _run(f"q12-canmask-fire-before-request-{b_name}")
        r = a.diff(b)
        side, other = (r.first.a_info, r.first.b_info) if reads == "a" else (r.first.b_info, r.first.a_info)
        assert side["kind"] == "msix.read" and side["stack"][0] == "msix_capability_init+setup_entries"
        assert other["kind"] == "irq.alloc"
        assert set(r.first.switches["msix_ctrl_read_can_mask"].values()) == {True, "cannot-mask"}


def test_a_never_requested_irq_has_no_affinity_file() -> None:
    """q07 (the prediction was wrong): set_affinity of an irq nobody requested is -ENOENT on every version (no
    /proc/irq/N/smp_affinity before __setup_irq), so the signal stays behind the late mask_all."""
    for v in ("k516", "k517", "k60", "k61"):
        s = _run(f"q07-canmask-affinity-unrequested-{v}")
        done = [e.fields["result"] for e in events(s, "action.done") if e.fields["do"] == "set_affinity"]
        assert done == [-2], v
        why = s.why(_lost(s, "held behind a mask"))
        assert why.chain[2].stack[0] == "msix_capability_init+mask_late", v


# --- the PV msix_mask_all oops --------------------------------------------------------------------------------------
def test_diff_across_the_pv_mask_all_fix_parts_at_msix_mask_all() -> None:
    for bad, good in (("k54147", "k54148"), ("k419206", "k419207")):
        a, b = _run(f"q08-pv-maskall-{bad}"), _run(f"q08-pv-maskall-{good}")
        why = a.why(next(h for h in a.hits() if h.name == "probe-failed"))
        # (whyheld12) the store ignored pci_msi_ignore_mask, set at boot: the root (it was the probe action)
        assert links(why) == [("action.done", "actions[0].result"), ("kernel", "actions[0].error"),
                              ("initial", "kernel.ignore_mask")]
        assert why.chain[1].stack[0] == "msix_capability_init+mask_early"
        r = a.diff(b)
        assert r.first.a_info["stack"][0] == "msix_capability_init+mask_early" and "msix_mask_all" in r.first.a_info[
            "text"]
        assert r.first.b_info["kind"] == "msix.read" and not r.same_outcome


# --- a spin for ever under random / pct -----------------------------------------------------------------------------
def test_an_action_that_never_started_links_the_spin_it_queued_behind() -> None:
    """q09: under random and pct the spin stops the run; the set_affinity queued behind free_irq on CPU2 never
    started. On main a path question on it read "still had its initial value"."""
    for st in ("random", "pct"):
        s = _run(f"q09-spin-{st}-k52")
        why = s.why("actions[5]")
        assert links(why) == [("action.not_started", "actions[5]"), ("spin.stuck", "cpus[2].proc.wait"),
                              ("ioapic.rirr", "ioapic[18].remote_irr"), ("action.start", "actions[4]")], st
        assert "never started, queued behind action 4" in why.chain[0].reason
        assert why.chain[1].relation == "queued behind"
        stop = s.why(s.total - 1)
        assert links(stop)[0] == ("spin.stuck", "cpus[2].proc.wait")


# --- desc->lock in queue order --------------------------------------------------------------------------------------
def test_a_flow_handler_behind_the_queued_task_links_that_tasks_action() -> None:
    """q10: CPU2's edge handler finds desc->lock released but CPU0's free_irq (the remove) queued first: its first
    poll is a node linking the remove. On main the note linked only the interrupt it ran in."""
    s = _run("q10-remove-edge-loop-k515")
    note = next(e.index for e in events(s, "kernel") if "queued for it first" in str(e.fields.get("what")))
    why = s.why(note)
    assert links(why) == [("kernel", "acct.xhci.held[0]"), ("action.start", "actions[3]")]
    assert why.chain[1].relation == "waits for desc->lock, queued for first by"
    assert "CPU0's task (free_irq) queued for it first" in why.chain[0].reason
    first = next(h for h in s.hits() if h.name == "irq-lost")
    assert links(s.why(first))[1:] == [("msi.reg", "devices.xhci.msi.ctrl"), ("action.start", "actions[3]")]


def test_a_re_armed_deferred_move_links_the_request_not_itself() -> None:
    """q11: the affinity writes during the loop return at once; CPU1's last request stays deferred (each interrupt's
    irq_move_irq refuses it: the old vector's cleanup is pending, and re-arms it). The re-arm linked itself
    (a loop that ended the chain at once); one link per re-arm would be one per interrupt. Now: the re-arm <- the
    request (irq_set_affinity in actions[4]) <- actions[4]."""
    s = _run("q11-affinity-edge-loop-k61")
    done = [(e.fields["result"], e.time_ns // 1000) for e in events(s, "action.done") if e.fields["do"] ==
            "set_affinity"]
    # lockq25: the write of 300 us returns in 301 us -- CPU1's loop has spun on desc->lock since 299.8 us (CPU3's
    # mask_ack_irq holds it), so qspinlock gives it the lock first at 300.4 us and the write gets it when
    # handle_irq_event drops it for the action (redteam21's task-only queue let the write in first, done in 300 us)
    assert done == [(0, 200), (0, 301), (0, 351)]
    why = s.why("irqs[24].pending_mask")
    assert links(why) == [("irq.move_pending", "irqs[24].pending_mask"), ("irq.move_pending", "irqs[24].pending_mask"),
                          ("action.start", "actions[4]")]
    assert why.chain[0].stack[0] == "irq_move_irq+unmask_after"
    assert why.chain[1].stack[0] == "irq_set_affinity+request_move" and why.chain[0].event > why.chain[1].event + 1000


# --- recording changes nothing; the answers are deterministic -------------------------------------------------------
def test_the_new_records_change_nothing_the_model_does_and_replay_alike() -> None:
    """Every held-out file with provenance on and off: the same events, hits and state hash (the new nodes live in the
    store only; Prov.rearm is rebuilt by the run). Two runs of q11 and q09 give the same answers."""

    assert_prov_neutral(sorted(HELD.glob("*.yaml")))
    for name, target in (("q11-affinity-edge-loop-k61", "irqs[24].pending_mask"), ("q09-spin-pct-k52", "actions[5]")):
        a, b = _run(name).why(target), _run(name).why(target)
        assert [(lk.event, lk.link, lk.reason) for lk in a.links()] == [(lk.event, lk.link, lk.reason) for lk in b.links()]


def test_what_if_names_the_pv_mask_all_fix_in_the_stable_series() -> None:
    """q08 on 5.4.147: flipping kernel.msix_mask_all_ignore_mask removes the failed probe, named by 1a519dc7a73c and
    its 5.4.148 backport; the flipped run parts at msix_capability_init's Vector Control read."""
    s = _run("q08-pv-maskall-k54147")
    why = s.why(next(h for h in s.hits() if h.name == "probe-failed"), what_if=True)
    gone = why.what_if.gone()
    assert [(f.key, f.from_, f.to) for f in gone] == [("kernel.msix_mask_all_ignore_mask", False, True)]
    assert gone[0].change["commit"].startswith("1a519dc7a73c") and gone[0].change.get("in_series") == "5.4.148"
