"""``why`` and ``diff`` gaps left by whyheld11 and diffheld22, and held-out round 12 (tests/heldout_why12/,
PREDICTIONS.md written before ``why`` ran on any file).

Each test pins what main got wrong: the chain it printed or the value ``diff`` showed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from msidbg.debugger import Session
from msidbg.debugger.diff import diff_files, render
from tests.why_helpers import ROOT, cli, links, ran

HELD = Path(__file__).resolve().parent / "heldout_why12"
DIFF22 = ROOT / "tests" / "heldout_diff22"


def _run(name: str) -> Session:
    return ran(name, HELD)


# --- (7) diff's costs: the value each run uses --------------------------------------------------------------------
def test_a_cost_one_file_leaves_out_shows_the_default_value(tmp_path: Any) -> None:
    """A file without ``costs:`` runs with the default EOI cost (100 ns): diff showed ``-``. And a file that sets the
    default explicitly differs in nothing (main listed ``costs.eoi: A -, B 100``)."""
    src = (DIFF22 / "d19-freeirq-delayed.yaml").read_text()
    a, b, c = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    a.write_text(src)
    b.write_text(src.replace("cpus: 2\n", "cpus: 2\ncosts: {eoi: 101}\n", 1))
    c.write_text(src.replace("cpus: 2\n", "cpus: 2\ncosts: {eoi: 100}\n", 1))
    r = diff_files(str(a), str(b))
    assert r.switches == {"costs.eoi": {"a": 100, "b": 101}}
    assert "    costs.eoi: A 100, B 101" in render(r)
    assert diff_files(str(a), str(c)).switches == {}


# --- (1) the message migrate_one_irq writes at a CPU's offline -------------------------------------------------------
def _cfg(s: Session, offset: int, value: int) -> list[int]:
    return [e.index for e in s.events(1, s.total + 1)
            if e.kind == "cfg.write" and e.fields.get("offset") == offset and e.fields.get("value") == value]


def test_the_fixup_write_links_the_new_vector_and_the_deferred_request_it_applies() -> None:
    """h01: CPU1's offline applies the pending move to CPU2 (irq_fixup_move_pending) and writes the message for
    CPU2. On main the write linked only the offline action (write <- actions[2])."""
    s = _run("h01-fixup-applies-pending-k54")
    (write,) = _cfg(s, 0x54, 0xFEE04004)
    why = s.why(write)
    assert links(why) == [("msi.reg", "devices.nic4.msi.addr_lo"), ("irq.vector", "irqs[24].vector"),
                          ("irq.move_pending", "irqs[24].pending_mask"), ("action.start", "actions[1]")]
    assert why.chain[1].stack[0] == "msi_domain_set_affinity+new_vector" and "migrate_one_irq" in why.chain[1].stack[2]
    assert why.chain[2].relation == "applying the deferred move (irq_fixup_move_pending)"
    # the vector it moved off CPU1 is an annotation (a branch), not the reason it moved
    moved_off = [b[0] for b in why.chain[0].branches if b[0].path == "irqs[24].vector"]
    assert moved_off and moved_off[0].relation.startswith("moving it off the dying CPU")


def test_an_old_x86_fixup_write_links_the_vector_it_composes() -> None:
    """h02 (4.9: fixup_irqs calls the chip's irq_set_affinity): the write for CPU0 links the new vector, whose
    default is the offline; the vector it moved off CPU2 and the request that put it there are branches. Main: the
    write linked the offline only."""
    s = _run("h02-x86-fixup-chip-only-k49")
    (write,) = _cfg(s, 0x54, 0xFEE00000)[-1:]
    why = s.why(write)
    assert links(why) == [("msi.reg", "devices.nic4.msi.addr_lo"), ("irq.vector", "irqs[24].vector"),
                          ("action.start", "actions[3]")]
    heads = {(b[0].path, b[0].event) for b in why.chain[0].branches}
    assert ("irqs[24].vector", one_event(s, "vector.assign", 0x51)) in heads


def one_event(s: Session, kind: str, vector: int) -> int:
    (e,) = [e.index for e in s.events(1, s.total + 1) if e.kind == kind and e.fields.get("vector") == vector]
    return e


def test_an_msix_fixup_write_links_the_new_vector() -> None:
    """h03 (6.1, MSI-X): the entry's address write for CPU0 links the vector migrate_one_irq gave the irq."""
    s = _run("h03-msix-offline-online-mask-k61")
    (write,) = [e.index for e in s.events(1, s.total + 1) if e.kind == "msix.write" and e.fields.get("reg") == "addr_lo"
                and e.fields.get("value") == 0xFEE01004 and e.index > 20]
    assert links(s.why(write)) == [("table.write", "devices.nic0.msix.table[0].addr_lo"),
                                   ("irq.vector", "irqs[24].vector"), ("action.start", "actions[1]")]


# --- (4) cpu_online_mask: take_cpu_down, not cpu_down's end ---------------------------------------------------------
def test_an_offline_cpu_is_named_by_take_cpu_down() -> None:
    """remove_cpu_from_maps (take_cpu_down's __cpu_disable) takes the CPU out of cpu_online_mask; the model's flag
    follows at cpu_down's end, which main named (``cpu_down+offline``), after fixup_irqs had already run."""
    for name, cpu in (("h01-fixup-applies-pending-k54", 1), ("h03-msix-offline-online-mask-k61", 1)):
        s = _run(name)
        why = s.why(f"cpus[{cpu}].online")
        assert why.chain[0].stack == ["take_cpu_down+cpu_disable"], name
        offline = [e.index for e in s.events(1, s.total + 1) if e.kind == "cpu.offline"][0]
        assert why.chain[0].event < offline
        # the cpu.offline event's own node links it
        ev = s.why(offline)
        assert ev.chain[1].path == f"cpus[{cpu}].online" and ev.chain[1].stack == ["take_cpu_down+cpu_disable"]


# --- (5) a state-only divergence: the step that wrote the state -----------------------------------------------------
def test_a_state_only_divergence_names_the_step_that_wrote_the_state() -> None:
    """d04 (note_interrupt_counts 5.12 / 5.13): A's irq_count is written by note_interrupt (``handle_fasteoi_irq+note``)
    ahead of the EOI that emits event 14; main showed the EOI's stack on both sides. B's step wrote nothing that
    differs: its side keeps the emitting step."""
    r = diff_files(str(DIFF22 / "d04-intx-count-k512.yaml"), str(DIFF22 / "d04-intx-count-k513.yaml"))
    d = r.first
    assert d is not None and d.state_only and d.a == 14
    assert d.a_info["stack"][0] == "handle_fasteoi_irq+note" and d.a_info["event_stack"][0] == "handle_fasteoi_irq+eoi"
    assert d.b_info["stack"][0] == "handle_fasteoi_irq+eoi" and "event_stack" not in d.b_info
    assert "       at handle_fasteoi_irq+note < common_interrupt+return" in render(r)


# --- (2) losses counted at a descriptor's free: each its own edge -----------------------------------------------------
def test_each_signal_lost_at_the_descriptor_free_links_its_own_pending_edge() -> None:
    """q10 (whyheld11's file): two entries of pending_src are lost when free_msi_irqs frees irq 24 -- 2 signals left
    to CPU1's loop by an edge on CPU2, 1 signal parked after free_irq shut the irq down. Main linked both to the
    IRQS_PENDING bit's last writer (the parked one): one chain for two different edges."""
    s = ran("q10-remove-edge-loop-k515", ROOT / "tests" / "heldout_why11")
    lost = [h for h in s.hits() if h.name == "irq-lost" and "when its descriptor was freed" in h.detail]
    assert [h.detail.split(": ")[1].split(" ")[0] for h in lost] == ["2", "1"]
    first, second = (s.why(h) for h in lost)
    assert first.chain[1].path == second.chain[1].path == "irqs[24].pending"
    assert first.chain[1].event < second.chain[1].event
    assert "(2 signal(s) left to its loop)" in first.chain[1].reason
    assert "(1 signal(s) wait for check_irq_resend)" in second.chain[1].reason


def test_the_edge_left_to_a_loop_that_found_no_action_is_the_default_and_the_removal_a_branch() -> None:
    """q10 under revision 15 (lockq25): CPU1's handle_edge_irq loop re-takes desc->lock after free_irq's task, queued
    first, finds no action and ends, leaving CPU2's 2 edges IRQS_PENDING; free_msi_irqs loses them. The loss links
    both: the edge (CPU2's irq_may_run, the default: it is the signal) and free_irq's removal of the action (a branch:
    why the loop ended). Before whylinks25 the chain followed the more recent removal and the edge was a branch:
    [loss, irqs[24].action, actions[3]]."""
    s = ran("q10-remove-edge-loop-k515", ROOT / "tests" / "heldout_why11")
    hits = s.armed_hits()
    seq = next(i for i, h in enumerate(hits) if h.name == "irq-lost" and h.detail.endswith("2 signal(s) were IRQS_PENDING on irq 24 when its "
                                                                  "descriptor was freed"))
    why = s.why(hits[seq])
    assert links(why)[:4] == [("lost", "acct.xhci.lost[0]"), ("kernel", "irqs[24].pending"),
                              ("accept", "cpus[2].isr[0x21]"), ("irr.set", "cpus[2].irr[0x21]")]
    edge = why.chain[1]
    assert (edge.cpu, edge.stack[0], edge.relation) == (2, "handle_edge_irq+ack", "still pending")
    assert "irq 24 in progress on CPU1: IRQS_PENDING (2 signal(s) left to its loop)" in edge.reason
    # the loop's end: the note CPU1 made when it found no action, after the removal and after the edge
    end = next(e for e in s.events(1, s.total + 1) if e.kind == "kernel" and e.cpu == 1
               and "no action: the loop ends" in str(e.fields.get("what")))
    removal = [b for b in why.chain[0].branches if b[0].path == "irqs[24].action"]
    assert [[(lk.link, lk.path) for lk in b] for b in removal] == [[("irq.action", "irqs[24].action"),
                                                                    ("action.start", "actions[3]")]]
    assert removal[0][0].stack[0] == "free_irq+remove_action"
    assert removal[0][0].relation == "the irq's action, removed by"
    assert edge.event < removal[0][0].event < end.index < why.chain[0].event
    # the run summary's cause is the same default chain
    assert s.summary()["hits"][seq]["cause"] == why.events()


# --- (3) the PV table-store oops names pci_msi_ignore_mask -----------------------------------------------------------
def test_a_pv_table_store_oops_names_pci_msi_ignore_mask_as_its_root() -> None:
    """h04 (5.15.2: pci_msix_shutdown's pci_msix_mask) and h05 (4.19.206: msix_mask_all): the store is made regardless
    of the guest's pci_msi_ignore_mask, which pci_xen_init set at boot. Main: result <- error <- the action."""
    for name, act, step in (("h04-pv-shutdown-mask-k5152", 1, "pci_disable_msix+shutdown_mask"),
                            ("h05-pv-maskall-k419206", 0, "msix_capability_init+mask_early")):
        s = _run(name)
        why = s.why(next(h for h in s.hits() if h.name == "probe-failed"))
        assert links(why) == [("action.done", f"actions[{act}].result"), ("kernel", f"actions[{act}].error"),
                              ("initial", "kernel.ignore_mask")], name
        assert why.chain[1].stack[0] == step
        assert why.chain[2].relation == "written regardless of the guest's pci_msi_ignore_mask"
        assert "kernel.ignore_mask = 1" in why.chain[2].reason and "pci_xen_init" in why.chain[2].reason


def test_a_path_question_on_the_flag_reads_where_boot_set_it() -> None:
    """``why --path kernel.ignore_mask``: main read "the initial state" (no tracked path)."""
    s = _run("h05-pv-maskall-k419206")
    head = s.why("kernel.ignore_mask").chain[0]
    assert (head.link, head.path) == ("initial", "kernel.ignore_mask") and "set at boot by pci_xen_init" in head.reason


# --- held-out round 12: the rest ---------------------------------------------------------------------------------------
def test_a_remapped_fixup_irte_write_shows_the_vector_it_moved_off() -> None:
    """h07 (VT-d, 6.1): migrate_one_irq rewrites the IRTE; its vector node is the default (as on main), and the vector
    it moved off the dying CPU2 (set_affinity's move at the first interrupt) is a branch -- main had none."""
    s = _run("h07-vtd-offline-irte-k61")
    off = next(e.index for e in s.events(1, s.total + 1) if e.kind == "action.start" and e.fields.get("do") == "cpu_offline")
    irte = next(e.index for e in s.events(off, s.total + 1) if e.kind == "iommu.irte")
    why = s.why(irte)
    assert links(why)[:2] == [("irte", "iommu.irte[0]"), ("irq.vector", "irqs[24].vector")]
    assert links(why)[-1] == ("action.start", "actions[1]")
    moved = [b[0] for b in why.chain[0].branches if b[0].relation.startswith("moving it off the dying CPU")]
    assert len(moved) == 1 and moved[0].event < off and "CPU2" in moved[0].reason


def test_a_second_offline_and_a_round_trip_name_the_take_cpu_down_that_ran() -> None:
    """h08: a second offline of the offline CPU1 runs no take_cpu_down: the flag stays the first offline's. h09: CPU1
    offline, online, offline: the cursor after the first offline names its take_cpu_down (not the cpu.offline flag
    main named), after the online the cpu_up, at the end the second take_cpu_down."""
    s = _run("h08-offline-again-k61")
    why = s.why("cpus[1].online")
    assert links(why) == [("cpu.online", "cpus[1].online"), ("action.start", "actions[1]")]
    assert why.chain[0].stack == ["take_cpu_down+cpu_disable"]
    s = _run("h09-offline-twice-k510")
    offs = [e.index for e in s.events(1, s.total + 1) if e.kind == "cpu.offline"]
    ons = [e.index for e in s.events(1, s.total + 1) if e.kind == "cpu.online"]
    got = []
    for at in (offs[0] + 1, ons[0] + 1, s.total):
        s.seek(at)
        head = s.why("cpus[1].online").chain[0]
        got.append((head.stack[0], head.value))
    assert got == [("take_cpu_down+cpu_disable", False), ("cpu_up+start", True), ("take_cpu_down+cpu_disable", False)]


def test_a_state_difference_that_appears_and_vanishes_is_found_where_it_appears() -> None:
    """h06: A counts irq_count 1..3, B leaves it unset, and the shared request of eth6 resets it to 0 in both. Round 12
    left it ("the runs never part"); why26's fingerprints (the steps that read note_interrupt_counts) find it at the
    first handled interrupt's note_interrupt: a state-only divergence at that EOI, irq_count A 1, B unset."""
    r = diff_files(str(HELD / "h06-intx-count-reset-k512.yaml"), str(HELD / "h06-intx-count-reset-k513.yaml"))
    assert r.same_outcome and sorted(r.switches) == ["kernel.version", "note_interrupt_counts"]
    d = r.first
    assert d is not None and d.state_only and d.a == d.b
    a, b = r.a.session, r.b.session
    mid = next(e.index for e in a.events(1, a.total + 1) if e.kind == "action.start" and e.dev == "eth6")
    first_handled = next(e.index for e in a.events(1, a.total + 1) if e.kind == "irq.handler")
    assert first_handled < d.a < mid and a.event(d.a).kind == "apic.eoi"
    assert d.a_info["stack"][0] == "handle_fasteoi_irq+note" and d.b_info["stack"][0] == "handle_fasteoi_irq+eoi"
    assert [(p["path"], p["a"], p["b"]) for p in d.paths] == [("irqs[17].irq_count", 1, None)]
    # the difference is gone by the end: the end-of-prefix comparison alone saw nothing
    assert a.world_at(mid)["irqs"][17].get("irq_count") == 3 and b.world_at(mid)["irqs"][17].get("irq_count") is None
    assert a.world["irqs"][17]["irq_count"] == b.world["irqs"][17]["irq_count"] == 0


# --- second batch -------------------------------------------------------------------------------------------------------
def test_an_amd_fixup_irte_store_shows_the_vector_it_moved_off() -> None:
    """h10 (AMD-Vi, 6.1): as h07 for the AMD IRTE store migrate_one_irq makes at CPU2's offline."""
    s = _run("h10-amdvi-offline-irte-k61")
    off = next(e.index for e in s.events(1, s.total + 1) if e.kind == "action.start" and e.fields.get("do") == "cpu_offline")
    irte = next(e.index for e in s.events(off, s.total + 1) if e.kind == "iommu.irte")
    why = s.why(irte)
    assert links(why)[:2] == [("irte", "iommu.tables.nic0[0]"), ("irq.vector", "irqs[24].vector")]
    moved = [b[0] for b in why.chain[0].branches if b[0].relation.startswith("moving it off the dying CPU")]
    assert len(moved) == 1 and "CPU2" in moved[0].reason


def test_two_identical_losses_at_the_end_each_link_their_own_edge() -> None:
    """h11: two edges parked on the lazily disabled irq are lost at the end with the same event, name and detail.
    Main explained both hits as the later one (``hit_index`` matched by value) -- and with one chain for both even
    when asked by the first."""
    s = _run("h11-disabled-two-edges-k61")
    lost = [h for h in s.hits() if h.name == "irq-lost"]
    assert len(lost) == 2 and lost[0] == lost[1]
    edges = [e.index for e in s.events(1, s.total + 1) if e.kind == "irq.pending"]
    assert [s.why(h).chain[1].event for h in lost] == edges
    # the CLI's --hit N answers each too
    got = []
    for n in (0, 1):
        code, out, _ = cli("why", str(HELD / "h11-disabled-two-edges-k61.yaml"), "--hit", str(n), "--json")
        assert code == 0
        got.append(json.loads(out)["chain"][1]["event"])
    assert got == edges


def test_a_pending_move_to_the_dying_cpu_is_dropped_and_nothing_is_migrated() -> None:
    """h12: irq_fixup_move_pending drops the move whose only CPU goes; the irq stays on CPU1 (no fixup write) and the
    next signal's handler run reaches the probe's message, nothing of the offline. (Held as expected.)"""
    s = _run("h12-pending-move-dropped-k54")
    off = next(e.index for e in s.events(1, s.total + 1) if e.kind == "action.start" and e.fields.get("do") == "cpu_offline")
    assert not [e for e in s.events(off, s.total + 1) if e.kind == "cfg.write"]
    run = next(e.index for e in s.events(1, s.total + 1) if e.kind == "irq.handler")
    why = s.why(run)
    assert [lk.path for lk in why.links() if lk.path and lk.path.startswith("actions[")] and all(
        lk.event < off or lk.event > s.total - 5 for lk in why.links())
    assert links(why)[-1] == ("action.start", "actions[0]")
