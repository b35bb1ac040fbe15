"""``why`` / ``diff`` on held-out scenarios over revision 10's mechanisms (whyheld6; tests/heldout_why6/): a level
INTx lost on a freed vector before kernel.sync_irq_chip_state, cpu_offline refused on the dying CPU (ENOSPC /
ERANGE), a flow handler spinning on desc->lock, a non-maskable MSI's host vector in service, xen-pv and HVM INTx
held by the guest's masks, QEMU's queued reads, eoi_pirq's order, activate_reserved's affinity warning. Each
chain test pins a hop that was missing on main; the diff tests pin the first divergence at the step the switch
changes, and the outcome against both ``--json`` summaries."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from msidbg.debugger import Session
from tests.why_helpers import first_hit, links, one, ran

HELD = Path(__file__).resolve().parent / "heldout_why6"


def _run(name: str) -> Session:
    return ran(name, HELD)


_links = links


def _action_done(s: Session, do: str) -> int:
    return next(e.index for e in s.events(1, s.total + 1) if e.kind == "action.done" and e.fields["do"] == do)


# --- kernel.sync_irq_chip_state (62e0468650c3 + dfe0cf8b51b0, 5.3) ----------------------------------------------
def test_a_condition_behind_a_remote_irr_left_set_links_the_free_irq_that_deactivated_the_entry() -> None:
    """usb1's level interrupt sits in CPU2's IRR when CPU3's free_irq (no chip-state sync) clears IO-APIC entry 20:
    its EOI matches no entry, Remote IRR stays set and the re-requested line never sends again. The loss linked the
    condition and then the Command write of the probe: nothing named the deactivation."""
    s = _run("w03-freesync-6p1-nosync")
    why = s.why(first_hit(s, "irq-lost"))
    assert _links(why) == [("lost", "acct.usb1.lost[0]"), ("intx.cond", "acct.usb1.held[0]"),
                           ("ioapic.rirr", "ioapic[20].remote_irr"), ("action.start", "actions[8]")]
    rirr = why.chain[2]
    assert rirr.event == one(s, "ioapic.rte", what="masked (deactivated)", test=lambda e: e.time_ns < 300_000)
    assert rirr.relation == "held by Remote IRR" and rirr.value == 1
    assert rirr.stack[0] == "ioapic_mask_entry+clear_rte" and any(f.startswith("free_irq+") for f in rirr.stack)
    assert "vector 0x23 (in its IRR)" in rirr.reason and rirr.cpu == 3
    # the level interrupt in flight is a branch of it: the IRR bit the entry set for usb1's condition
    branch = rirr.branches[0]
    assert (branch[0].path, branch[0].relation) == ("cpus[2].irr[0x23]", "the level interrupt in flight")
    # as a path: set at the end, by the deactivation; on the fixed kernel the last change (an EOI) answers
    assert s.why("ioapic[20].remote_irr").chain[0].event == rirr.event
    fixed = _run("w03-freesync-6p1")
    ans = fixed.why("ioapic[20].remote_irr")
    assert ans.chain[0].kind == "apic.eoi" and ans.target["value"] is False
    # diff against the one-switch fix: it parts where free_irq waits for Remote IRR (the step 62e0468650c3
    # adds), at the deactivation the chain reached
    r = s.diff(fixed)
    first = r.first
    assert first is not None and first.context == "cpu3.proc" and first.a_info["event"] == rirr.event
    assert first.a_info["stack"][0] == "ioapic_mask_entry+clear_rte"
    assert first.b_info["stack"][0] == "free_irq+synchronize"
    assert set(first.switches) == {"sync_irq_chip_state"} and not r.same_outcome


def test_the_stable_backport_pair_parts_at_the_same_step_and_its_chain_reaches_free_irq() -> None:
    sa, sb = _run("w02-freesync-4p19p59"), _run("w02-freesync-4p19p60")
    why = sa.why(first_hit(sa, "irq-lost"))
    assert [lk.link for lk in why.chain] == ["lost", "intx.cond", "ioapic.rirr", "action.start"]
    assert "free_irq" in why.chain[-1].reason
    first = sa.diff(sb).first
    assert first is not None and first.a_info["event"] == why.chain[2].event
    assert first.b_info["stack"][0] == "free_irq+synchronize"
    assert set(first.switches) == {"kernel.version", "sync_irq_chip_state", "free_irq_deactivate",
                                   "spurious_vector_eoi", "vector_shutdown_slot"}




# --- cpu_offline refused on the dying CPU (redteam14 + offdying) ------------------------------------------------
@pytest.mark.parametrize(("name", "errno", "check"), [
    ("w04-unplug-managed-6p1p62", -28, "lapic_can_unplug_cpu: CPU 1 has 4 vectors, 3 available. Cannot disable CPU"),
    ("w05-unplug-erange-4p9", -34, "check_irq_vectors_for_cpu_disable: CPU 2 disable failed"),
])
def test_a_refused_offline_links_the_vector_check_on_the_dying_cpu(name: str, errno: int, check: str) -> None:
    """take_cpu_down's vector check runs on the dying CPU (offdying): its error was never recorded as the action's,
    so the chain ended at the requester's cpu_down returning it; the vector assignments it counted were linked to
    nothing. Now: result <- the check's error (take_cpu_down+cpu_disable, the dying CPU) <- a vector assignment on
    that CPU <- the probe that made it."""
    s = _run(name)
    done = _action_done(s, "cpu_offline")
    why = s.why(done)
    err = why.chain[1]
    assert why.chain[0].value == errno and err.path.endswith(".error") and err.value == errno
    assert err.stack[0] == "take_cpu_down+cpu_disable" and check in err.reason
    dying = int(check.split("CPU ")[1].split()[0])
    assert err.cpu == dying and err.event == one(s, "kernel", test=lambda e: check in str(e.fields.get("what")))
    assert why.chain[2].link == "irq.vector" and f"on CPU{dying}" in why.chain[2].reason
    assert why.chain[3].link == "action.start" and "probe" in why.chain[3].reason
    if not name.startswith("w04"):
        return
    # a0b0bad10587 (6.1.63) changes what the check counts: the runs part at that step, the one the chain reached
    first = s.diff(_run("w04-unplug-managed-6p1p63")).first
    assert first is not None and first.context == "cpu1.proc" and first.a_info["event"] == err.event
    assert first.a_info["stack"][0] == first.b_info["stack"][0] == "take_cpu_down+cpu_disable"
    assert "Cannot disable CPU" in first.a_info["text"] and "Cannot disable" not in first.b_info["text"]
    assert set(first.switches) == {"kernel.version", "unplug_excludes_managed"}


# --- kernlock: desc->lock held across irq_set_affinity's chip call --------------------------------------------
def test_a_doorbell_timing_out_behind_desc_lock_links_the_lock_holder() -> None:
    """CPU1's handle_edge_irq spins on desc->lock while CPU2's irq_set_affinity holds it; CPU0's doorbell times out.
    The timeout linked only the irq's vector (which the same action happened to assign), not the spin."""
    s = _run("w06-kernlock-doorbell")
    why = s.why(first_hit(s, "probe-failed"))
    assert _links(why) == [("action.done", "actions[4].result"), ("wait.timeout", "cpus[0].proc.wait"),
                           ("kernel", "acct.nvme0.held[1]"), ("action.start", "actions[3]")]
    spin = why.chain[2]
    assert spin.event == one(s, "kernel", prog="handle_edge_irq") and spin.cpu == 1
    assert spin.stack[0] == "handle_edge_irq+ack" and spin.relation == "the signal waited for"
    assert why.chain[3].relation == "waits for desc->lock, held by" and "set_affinity" in why.chain[3].reason


# --- xenhost2: a non-maskable MSI's host vector in service ----------------------------------------------------
def test_a_host_vector_held_behind_a_nonmaskable_msi_links_the_guests_mask_of_that_port() -> None:
    """nvme1's host vector waits in pCPU0's IRR behind sata0's 0x31, in service until a guest EOI that the masked
    port keeps from coming. Nothing was recorded for the held signal: the timeout linked the irq's binding."""
    s = _run("w07-xenhost2-nonmaskable")
    why = s.why(first_hit(s, "probe-failed"))
    assert _links(why) == [("action.done", "actions[4].result"), ("wait.timeout", "cpus[1].proc.wait"),
                           ("xen", "acct.nvme1.held[0]"), ("xen", "xen.ports[1].pending"),
                           ("guest", "xen.ports[1].masked"), ("action.start", "actions[2]")]
    held = why.chain[2]
    assert held.event == one(s, "xen.pirq", dev="nvme1", test=lambda e: str(e.fields["how"]).startswith("held"))
    assert "in service until the guest's EOI" in held.reason
    assert why.chain[3].relation == "held behind the vector in service" and why.chain[3].dev == "sata0"
    assert why.chain[4].stack == ["driver_disable_irq+mask"]


# --- intxpv: pcifront INTx over a GSI pirq; HVM INTx with a masked vIOAPIC entry ------------------------------
def test_a_pv_intx_send_on_a_masked_port_links_the_mask() -> None:
    """eth2's pcifront irq was disabled (disable_pirq masks the port): Xen's send leaves it pending. The chain
    stopped at Xen's do_IRQ_guest node (its dependencies had gone to the port's node)."""
    s = _run("w08-pv-intx-masked")
    for hit in ("probe-failed", "irq-lost"):
        why = s.why(first_hit(s, hit))
        assert _links(why)[-4:] == [("xen", "xen.pirqs[21].bound"), ("xen", "xen.ports[1].pending"),
                                    ("guest", "xen.ports[1].masked"), ("action.start", "actions[1]")]
        assert why.chain[-2].event == one(s, "evtchn.mask", masked=1, cpu=2)


def test_an_hvm_intx_host_irq_left_to_the_eoi_timer_links_the_guests_mask_of_its_vioapic_entry() -> None:
    """Xen 4.14: hvm_pirq_eoi returns without pirq_guest_eoi for a masked vIOAPIC entry (before eb298f32fa); the
    chain stopped at that Xen step. Now it reaches the guest's mask and the disable_irq behind it."""
    s = _run("w09-hvm-intx-masked-4p14")
    why = s.why(first_hit(s, "probe-failed"))
    assert _links(why)[3:] == [("xen", "xen.pirqs[22].bound"), ("ioapic.mask", "ioapic[21].masked"),
                               ("kernel", "irqs[21].pending"), ("kernel", "irqs[21].disabled"),
                               ("action.start", "actions[1]")]
    assert why.chain[3].reason.endswith("no pirq_guest_eoi") and why.chain[4].relation == "held by the mask"
    first = s.diff(_run("w09-hvm-intx-masked-4p14p2")).first
    assert first is not None and first.context == "cpu1.irq" and first.a_info["event"] == why.chain[3].event
    assert set(first.switches) == {"platform.xen", "xen_dpci_eoi_masked"}


# --- xenev2: eoi_pirq's order before ff1e22e7a638 (4.6) ----------------------------------------------------------
def test_a_pv_handler_rerun_for_irqs_pending_links_the_unmask_that_resignalled_the_port() -> None:
    """4.5: eoi_pirq moves (mask, EVTCHNOP_bind_vcpu, unmask) before clear_evtchn, so the still-pending port is
    signalled to vCPU2. That signal is the EVTCHNOP_unmask's vcpu_kick: vCPU2 enters its callback at its next
    return to guest mode, after vCPU0's clear (xen29, reading xen.evtchn.remote-kick), and finds nothing -- no
    re-run in the ordered schedule (before xen29 vCPU2 took it at the hypercall's instant, found the irq in
    progress and vCPU0's loop ran the action again). The callback is explained by the kick, back to the unmask."""
    s = _run("w11-xenev2-eoi-order-4p5")
    assert [e.fields["signals"] for e in s.events(1, s.total + 1) if e.kind == "irq.handler"] == [1]
    clear = next(e.index for e in s.events(1, s.total + 1) if e.kind == "evtchn.clear")
    kick = next(e for e in s.events(1, s.total + 1) if e.kind == "xen.kick")
    assert kick.index > clear and (kick.fields["vcpu"], kick.fields["port"]) == (2, 1)
    cb = next(e.index for e in s.events(1, s.total + 1) if e.kind == "xen.callback" and e.cpu == 2)
    why = s.why(cb)
    assert s.event(why.chain[1].event).kind == "xen.kick" and why.chain[1].path == "cpus[2].upcall"
    # why32: what the kicked upcall finds -- vCPU0's clear_evtchn of the port, made while the kick was on its way (an
    # evtchn.cleared node: the interrupt path records its clear only with a kick outstanding) -- is the default, as
    # startup_pirq's clear is (why30); the unmask that raised the upcall is the upcall's branch
    assert (why.chain[2].link, why.chain[2].path) == ("evtchn.cleared", "xen.ports[1].pending")
    assert why.chain[2].relation == "finds the port no longer pending: its events cleared by"
    assert why.chain[2].event == clear and why.chain[2].stack[0] == "xen_handle_edge_irq+ack"
    unmask = next(b[0] for b in why.chain[1].branches if b[0].path == "xen.ports[1]")
    assert unmask.stack[0] == "irq_move_irq+unmask_after" and "while it is pending" in unmask.reason
    first = s.diff(_run("w11-xenev2-eoi-order-4p6")).first
    assert first is not None and first.context == "cpu0.irq"
    # diffheld22: the first step that differs is irq_move_irq's mask of the port (4.5) against the ack's own
    # mask (4.6) -- the same evtchn.mask event, a different step and state (irqs[24].masked); before, the
    # diff parted one event later, at the EVTCHNOP_bind_vcpu / clear_evtchn that follow (docs/why.md's row
    # already said "irq_move_irq's mask against clear_evtchn")
    assert first.state_only and first.a_info["kind"] == first.b_info["kind"] == "evtchn.mask"
    assert first.a_info["stack"][0] == "irq_move_irq+mask_first" and first.b_info["stack"][0] == "xen_handle_edge_irq+ack"
    assert set(first.switches) == {"kernel.version", "xen_eoi_clear_first"}


# --- fidvec2: "Affinity broken due to vector space exhaustion" (743dac494d61, 5.4) ------------------------------
def test_the_affinity_broken_warning_links_the_fallback_and_the_full_cpus() -> None:
    s = _run("w12-affinity-broken-5p4")
    warn = one(s, "kernel", test=lambda e: "Affinity broken" in str(e.fields.get("what")))
    why = s.why(warn)
    head = why.chain[0]
    assert (head.link, head.path, head.value) == ("irq.vector", "irqs[225].vector", 0x21)
    assert "Affinity broken due to vector space exhaustion" in head.reason and "CPU2" in head.reason
    assert why.chain[1].event == one(s, "vector.assign", irq=225)
    full = [b[0] for b in head.branches]
    assert len(full) == 4 and all(lk.reason.endswith("on CPU2") and lk.event < warn for lk in full)
    first = s.diff(_run("w12-affinity-broken-5p3")).first
    assert first is not None and first.a_info["event"] == warn
    # (5.3 / 5.4 also differ in kernsmall's cpu_disable_apic and apicleads' dying_irqs_off, which this run never
    # reaches)
    assert set(first.switches) == {"kernel.version", "affinity_broken_warning", "cpu_disable_apic", "dying_irqs_off"}


# --- qemuio: a read queued behind another vCPU's write ---------------------------------------------------------
def test_a_probes_command_write_links_the_queued_read_and_the_write_before_it() -> None:
    """vCPU0's pci_enable_device reads Command behind vCPU2's queued write (Memory Space off) and writes it back
    with Memory Space on: the write links what its read returned, and that answer the write QEMU served first.
    The chain stopped at the probe."""
    s = _run("w13-qemuio-cmd-race")
    why = s.why("qemu.devs.eth6.cmd")
    assert [lk.path for lk in why.chain] == ["qemu.devs.eth6.cmd", "cpus[0].ioreq", "cpus[0].readback[4]",
                                             "qemu.devs.eth6.cmd", "cpus[2].ioreq", "actions[0]"]
    read = why.chain[2]
    assert read.event == one(s, "qemu.cfg_read", reg="cmd", value=4)
    assert read.relation == "the value the guest read (read-modify-write)" and read.value == 4
    assert why.chain[3].value == 4 and "write" in why.chain[5].reason


# --- headless: every held-out file answers why and diff as JSON, never a traceback ------------------------------
@pytest.mark.parametrize(("name", "via"), [("w08-pv-intx-masked", "xen.ports[1].masked"),
                                         ("w07-xenhost2-nonmaskable", "acct.nvme1.held[0]"),
                                         ("w06-kernlock-doorbell", "acct.nvme0.held[1]")])
def test_why_json_of_every_hit_and_the_run_summary_agree(name: str, via: str, capsys: pytest.CaptureFixture[str]) -> None:
    from msidbg.cli import main

    path = str(HELD / f"{name}.yaml")
    assert main(["run", path, "--json"]) in (0, 1)
    summary = json.loads(capsys.readouterr().out)
    for i, hit in enumerate(summary["hits"][:3]):
        assert main(["why", path, "--hit", str(i), "--json"]) == 0
        got = json.loads(capsys.readouterr().out)
        assert [lk["event"] for lk in got["chain"]] == hit["cause"]   # (an initial leaf too: event 0, diffout)
        # every chain reaches a scenario action, or a device's condition (and the Command it was asserted under)
        kinds = [lk["kind"] for lk in got["chain"]]
        assert kinds[-1] == "action.start" or "intx.assert" in kinds[-2:], (name, kinds)
    # the first armed hit's chain goes through the node this round added
    main(["why", path, "--hit", "0", "--json"])
    assert via in [lk["path"] for lk in json.loads(capsys.readouterr().out)["chain"]]


@pytest.mark.parametrize(("a", "b"), [("w09-hvm-intx-masked-4p14", "w09-hvm-intx-masked-4p14p2")])
def test_diff_outcome_matches_both_summaries(a: str, b: str, capsys: pytest.CaptureFixture[str]) -> None:
    from msidbg.cli import main

    pa, pb = str(HELD / f"{a}.yaml"), str(HELD / f"{b}.yaml")
    assert main(["diff", pa, pb, "--json"]) == 1
    d = json.loads(capsys.readouterr().out)
    for side, path in (("a", pa), ("b", pb)):
        main(["run", path, "--json"])
        summ = json.loads(capsys.readouterr().out)
        out = d["outcome"][side]
        assert out["hits"] == dict(Counter(h["breakpoint"] for h in summ["hits"]))
        for dev, info in summ["devices"].items():
            tot = {k: sum(v[k] for v in info["vectors"]) for k in ("raised", "delivered", "lost", "spurious")}
            assert {k: out["devices"][dev][k] for k in tot} == tot and out["devices"][dev]["probe"] == info["probe"]
    first = d["first_divergence"]
    assert set(first["switches"]) == {"platform.xen", "xen_dpci_eoi_masked"}
    # the buggy side's chain through the CLI passes the step the diff parts at, then the guest's mask
    main(["why", pa, "--hit", "0", "--json"])
    chain = json.loads(capsys.readouterr().out)["chain"]
    paths = [lk["path"] for lk in chain]
    assert first["a"]["event"] in [lk["event"] for lk in chain] and "ioapic[21].masked" in paths


async def test_the_why_pane_at_80x24_on_a_held_out_stop() -> None:
    """The TUI's w at the stop of w07 (a timeout behind a non-maskable MSI in service) at 80x24 lists the held
    signal and the guest's mask of the other port."""
    from msidbg.tui.app import make_app
    from tests.tui.conftest import idle, screen_text

    app = make_app(str(HELD / "w07-xenhost2-nonmaskable.yaml"), keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await idle(pilot, app)
        await pilot.press("w")
        await pilot.pause()
        await idle(pilot, app)
        box = app.screen.query_one("#why-box").region
        text = "\n".join(row[box.x:box.right] for row in screen_text(app)[box.y:box.bottom])
        assert "Why: hit probe-failed at event 117" in text     # (107 before intx36: +10, each set-up's trapped pci_intx_for_msi read and write; 102 before kernel32) and "actions[4].result = -110" in text
        # the default chain's links, in order, below the timeout's branches (the irq it waited on)
        rows = app.screen.links
        assert [lk.event for depth, lk in rows if depth == 0] == [117, 116, 115, 111, 108, 106]
        assert app.screen.query_one("#why-list").option_count == len(rows)
        # enter on the held signal's row goes to its event
        app.screen.query_one("#why-list").highlighted = next(i for i, (d, lk) in enumerate(rows) if lk.event == 115)
        await pilot.press("enter")
        await idle(pilot, app)
        assert app.session.cursor == 115
