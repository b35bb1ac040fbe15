"""Held-out round 14 (why28, tests/heldout_why14/): six buggy / fixed pairs that differ in the stable release only,
each with two or three devices of different kinds, on bare metal and Xen (HVM 4.4 / 4.6, PV), with CPU hotplug or
remove / re-probe. ``why`` on each loss or failed probe reaches, through recorded links, what the real fix changed;
``diff`` of each pair parts at a step the release's fixes changed, with the outcomes the two --json summaries give.
The expected chains were written in PREDICTIONS.md before any of these files ran (what differed is listed there)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import Session
from msidbg.debugger.diff import diff_files
from tests.test_diff import step_at, summary_outcome

HELD = Path(__file__).resolve().parent / "heldout_why14"
_RUNS: dict[str, Session] = {}


def _ran(name: str) -> Session:
    if name not in _RUNS:
        s = Session.from_scenario(str(HELD / f"{name}.yaml"))
        s.run()
        _RUNS[name] = s
    return _RUNS[name]


def _why(name: str, hit: str, dev: str) -> tuple[Any, Any]:
    s = _ran(name)
    h = next(h for h in s.hits() if h.name == hit and dev in h.detail)
    return h, s.why(h)


def _chain(why: Any) -> list[tuple[int, str, str | None]]:
    return [(lk.event, lk.link, lk.path) for lk in why.chain]


def _branches(why: Any, i: int) -> list[tuple[int, str]]:
    return [(b[0].event, b[0].link) for b in why.chain[i].branches]


def test_n01_eth0s_loss_at_the_offline_cpu_keeps_the_latch() -> None:
    """5.13.11: eth0 latched CPU2's message when request_irq's irq_startup unmasked it; irq_setup_affinity's rewrite
    (msix-write-unmasked) is ignored by the latch. The loss after CPU2's offline: <- the APIC take_cpu_down
    software-disabled <- cpu_offline(2); the latched message and the newer registers it ignores are its branches."""
    h, why = _why("n01-unmasked-three-devs-hotplug-k51311", "irq-lost", "eth0")
    assert "sent to CPU2" in h.detail
    # intx36: +3 from the three MSI-X set-ups' Interrupt Disable writes (nvme0, eth0, eth1) before request_irq
    assert _chain(why) == [(218, "lost", "acct.eth0.lost[0]"), (207, "apic.off", "cpus[2].apic_off"),
                           (196, "action.start", "actions[9]")]
    assert why.chain[1].stack[0] == "take_cpu_down+lapic_offline"
    assert _branches(why, 0) == [(121, "latch"), (125, "table.write.live")]
    s = _ran("n01-unmasked-three-devs-hotplug-k51311")
    assert s.event(121).fields == {"entry": 0, "reg": "ctrl", "value": 0}    # the unmask the device latched at
    assert s.event(196).fields == {"action": 9, "do": "cpu_offline"}


def test_n01_the_live_write_is_request_irqs() -> None:
    _, why = _why("n01-unmasked-three-devs-hotplug-k51311", "msix-write-unmasked", "eth0")
    assert _chain(why) == [(123, "table.write.live", "devices.eth0.msix.table[0].addr_lo"),
                           (115, "action.start", "actions[4]")]
    assert why.chain[0].stack[0] == "pci_write_msi_msg+addr_lo"


def test_n02_the_late_mask_reaches_both_functions_through_xen_after_qemus_bind() -> None:
    """5.15.37 on Xen 4.4: nvme0's admin command times out: <- the PBA bit <- msix_capability_init+mask_late's write of
    the physical entry (Xen's vMSI-X intercept) <- QEMU's bind of pirq 100 <- its map <- the latch of the guest's
    restore write <- the trapped access <- the probe. eth0's loss at the end the same way, pirq 99."""
    _, why = _why("n02-mask-late-nic-nvme-x44-k51537", "probe-failed", "nvme0")
    # kernel32 (revision 19): the two set-ups' trapped accesses interleave otherwise through QEMU and nvme0's map
    # gets pirq 101 (was 100); the chain is the same. intx36: the later links move +14 / +15 by the three set-ups'
    # trapped pci_intx_for_msi read and write through QEMU (+5 events each, serialised); the links up to the bind
    # precede them
    assert _chain(why) == [
        (239, "action.done", "actions[2].result"), (238, "wait.timeout", "cpus[1].proc.wait"),
        (195, "pba.set", "devices.nvme0.msix.pba[0]"), (89, "table.write", "devices.nvme0.msix.table[0].ctrl"),
        (85, "xen", "xen.pirqs[101].bound"), (84, "xen", "xen.pirqs[101]"),
        (83, "qemu", "qemu.devs.nvme0.msix.entries[0].latch[3]"), (77, "guest", "cpus[1].ioreq"),
        (4, "action.start", "actions[1]")]
    assert [lk.stack[0] for lk in why.chain[3:8]] == [
        "msix_capability_init+mask_late", "xen_pt_msix_update_one+bind", "xen_pt_msix_update_one+setup",
        "pci_msix_write+latch", "pci_write_msi_msg+restore"]
    _, why = _why("n02-mask-late-nic-nvme-x44-k51537", "irq-lost", "eth0")
    assert _chain(why) == [
        (277, "lost", "acct.eth0.lost[0]"), (265, "pba.set", "devices.eth0.msix.pba[0]"),
        (200, "table.write", "devices.eth0.msix.table[0].ctrl"), (102, "xen", "xen.pirqs[99].bound"),
        (101, "xen", "xen.pirqs[99]"), (100, "qemu", "qemu.devs.eth0.msix.entries[0].latch[3]"),
        (92, "guest", "cpus[0].ioreq"), (1, "action.start", "actions[0]")]


def test_n03_the_torn_message_runs_the_other_xhcis_handler() -> None:
    """5.5.2: xhci0's deferred move, applied at CPU2's ack, writes the new address first; the message between the
    halves reaches CPU3's 0x22 -- xhci1's vector there -- and runs xhci1's handler: lost <- accept <- IRR <- the
    address write <- the deferred move <- set_affinity(3). The slot (xhci1's) a branch."""
    h, why = _why("n03-torn-two-xhci-hotplug-k552", "irq-spurious", "xhci0")
    assert "reached the handler of xhci1 vector 0 (CPU3 vector 0x22 irq 29)" in h.detail
    assert _chain(why) == [
        (517, "lost", "acct.xhci0.lost[0]"), (514, "accept", "cpus[3].isr[0x22]"), (513, "irr.set", "cpus[3].irr[0x22]"),
        (511, "msi.reg", "devices.xhci0.msi.addr_lo"), (503, "irq.move_pending", "irqs[28].pending_mask"),
        (501, "action.start", "actions[5]")]    # intx36: +3 (nvme0's, xhci0's, xhci1's set-up Command writes)
    assert list(why.chain[3].stack[:2]) == ["pci_write_msi_msg+addr_lo", "msi_domain_set_affinity+updated"]
    assert _branches(why, 0) == [(90, "vector_irq")]


def test_n03_fixed_the_retriggered_stray_links_its_own_message_not_xhci1s() -> None:
    """5.5.3 (6f1a4891a592): the plug update's intermediate message (new vector 0x22 on the old CPU3) is found in
    CPU3's IRR and retriggered to CPU2; CPU3 takes it with xhci1's coalesced messages (xhci1 has 0x22 there) and runs
    xhci1's handler: stray <- xhci0's own IRR set (937) <- the data write of msi_set_affinity's first step <- the
    deferred move <- set_affinity(2). Before why28 it went stray <- accept <- xhci1's message (954): the bit's last
    writer."""
    _, why = _why("n03-torn-two-xhci-hotplug-k553", "irq-spurious", "xhci0")
    # intx36: +3 (nvme0's, xhci0's, xhci1's set-up Command writes)
    assert _chain(why) == [
        (969, "stray.retriggered", "cpus[3].irr[0x22]"), (937, "irr.set", "cpus[3].irr[0x22]"),
        (934, "msi.reg", "devices.xhci0.msi.data"), (920, "irq.move_pending", "irqs[28].pending_mask"),
        (918, "action.start", "actions[6]")]
    assert why.chain[1].relation == "the message that stayed in this CPU's IRR (retriggered to the new CPU)"
    assert _branches(why, 0) == [(965, "accept"), (90, "vector_irq")]
    s = _ran("n03-torn-two-xhci-hotplug-k553")
    assert (s.event(937).dev, s.event(959).dev) == ("xhci0", "xhci1")
    assert "msi_set_affinity+updated" in why.chain[2].stack


def test_n04_the_marvell_fallback_blocked_by_the_early_mask() -> None:
    """5.15.10: nvme0's admin command times out <- the MSI message the quirk suppressed <- MSI enabled by the fallback
    <- its probe; the entry mask of msix_capability_init+mask_early is the blocked signal's branch."""
    _, why = _why("n04-marvell-two-nvme-nic-k51510", "probe-failed", "nvme0")
    # intx36: eth0's MSI-X Interrupt Disable write (1 us on CPU2) lets nvme0's probe start (10 us, CPU0) land 5
    # events earlier among eth0's writes; the fallback's MSI Enable write follows its own Interrupt Disable write
    assert _chain(why) == [
        (107, "action.done", "actions[2].result"), (106, "wait.timeout", "cpus[0].proc.wait"),
        (98, "msi.blocked", "acct.nvme0.held[0]"), (64, "msi.reg", "devices.nvme0.msi.ctrl"),
        (28, "action.start", "actions[1]")]
    assert _branches(why, 2) == [(42, "table.write")]
    (mask,) = why.chain[2].branches
    assert mask[0].stack[0] == "msix_capability_init+mask_early"


def test_n05_the_pv_remove_oops_roots_at_ignore_mask() -> None:
    _, why = _why("n05-pv-two-nics-offline-remove-k5151", "probe-failed", "nic1")
    # intx36: +2, nic1's and nic2's guest pci_intx_for_msi writes (pcifront.dropped: pciback keeps them in cmd->val)
    assert _chain(why) == [(78, "action.done", "actions[4].result"), (76, "kernel", "actions[4].error"),
                           (0, "initial", "kernel.ignore_mask")]
    assert why.chain[1].stack[0] == "pci_disable_msix+shutdown_mask"


def test_n06_the_cached_pirq_read_back_and_the_unmap_on_disable() -> None:
    """4.10.6 on Xen 4.6: nvme0's re-probe reads pirq 100 back from QEMU's emulated entry and re-uses it while Xen
    holds it for nvme1's entry 0: the bind refused <- the re-use decision <- the read-back <- its trapped access <- the
    probe. Its admin command times out <- the PBA <- QEMU's unmap on MSI-X disable (Xen masks the physical entry) <-
    the remove."""
    _, why = _why("n06-pirq-reuse-nvme-nic-x46-k4106", "pirq-conflict", "nvme0")
    # intx36: +30 / +35 -- each MSI-X enable's (and the remove's) trapped pci_intx_for_msi Command read and write
    # through QEMU (+5 events each); the same links
    assert _chain(why) == [
        (398, "xen.refused", "xen.pirqs[100]"), (376, "guest", "kernel.xen.irqs[29]"),
        (375, "guest", "cpus[0].readback[2]"), (374, "guest", "cpus[0].ioreq"), (355, "action.start", "actions[4]")]
    assert [lk.stack[0] for lk in why.chain[:4]] == [
        "startup_pirq+bind_pirq", "xen_hvm_setup_msi_irqs+decide", "pci_msix_read+answer_msix",
        "xen_hvm_setup_msi_irqs+read_back"]
    _, why = _why("n06-pirq-reuse-nvme-nic-x46-k4106", "probe-failed", "nvme0")
    assert _chain(why) == [
        (422, "action.done", "actions[5].result"), (421, "wait.timeout", "cpus[0].proc.wait"),
        (402, "pba.set", "devices.nvme0.msix.pba[0]"), (268, "xen", "devices.nvme0.msix.table[0].ctrl"),
        (264, "guest", "cpus[0].ioreq"), (257, "action.start", "actions[3]")]
    assert why.chain[3].stack[0] == "xen_pt_msix_disable+unmap"
    assert _branches(why, 1) == [(398, "guest"), (370, "guest")]


#: (buggy, fixed, context, A's step, B's step, a switch the releases differ in)
PAIRS = [
    ("n01-unmasked-three-devs-hotplug-k51311", "n01-unmasked-three-devs-hotplug-k51312", "cpu0.proc",
     "msix_capability_init+ctrl_enable", "msix_capability_init+ctrl_enable", "msix_enable_first"),
    ("n02-mask-late-nic-nvme-x44-k51537", "n02-mask-late-nic-nvme-x44-k51538", "cpu0.proc",
     "msix_capability_init+setup_entries", "xen_hvm_setup_msi_irqs+alloc", "xen_hvm_msi_ignore_mask"),
    ("n03-torn-two-xhci-hotplug-k552", "n03-torn-two-xhci-hotplug-k553", "cpu2.irq",
     "msi_domain_set_affinity+updated", "msi_set_affinity+updated", "msi_affinity_update"),
    ("n04-marvell-two-nvme-nic-k51510", "n04-marvell-two-nvme-nic-k51511", "cpu2.proc",
     "msix_capability_init+mask_early", "msix_capability_init+setup_entries", "msix_mask_all"),
    # 5.15.3 brought two fixes; kernel32: nic2's MSI set-up starts with an Enable-clear write now, so nic1's MSI-X
    # set-up on CPU1 parts first -- 5.15.1 reads every entry's Vector Control, 5.15.3 none under ignore_mask
    # (before: the MSI mask write nic2's probe makes, on CPU2)
    ("n05-pv-two-nics-offline-remove-k5151", "n05-pv-two-nics-offline-remove-k5153", "cpu1.proc",
     "msix_capability_init+setup_entries", "xen_setup_msi_irqs+pv_enable", "msix_ctrl_read_can_mask"),
    ("n06-pirq-reuse-nvme-nic-x46-k4106", "n06-pirq-reuse-nvme-nic-x46-k4107", "cpu0.proc",
     "xen_hvm_setup_msi_irqs+read_back", "xen_hvm_setup_msi_irqs+alloc", "xen_reuse_cached_pirq"),
]


@pytest.mark.parametrize("buggy, fixed, context, step_a, step_b, switch", PAIRS, ids=[p[0][:3] for p in PAIRS])
def test_diff_parts_at_the_fixed_step_and_the_outcomes_are_the_summaries(
        buggy: str, fixed: str, context: str, step_a: str, step_b: str, switch: str) -> None:
    a, b = str(HELD / f"{buggy}.yaml"), str(HELD / f"{fixed}.yaml")
    r = diff_files(a, b)
    d = r.first
    assert d is not None and d.context == context
    assert step_at(d.a_info["stack"], step_a, None), d.a_info["stack"]
    assert step_at(d.b_info["stack"], step_b, None), d.b_info["stack"]
    assert switch in d.switches and "kernel.version" in d.switches
    first = min(x for x in (d.a, d.b) if x is not None)
    assert [str(e) for e in r.a.session.events(1, first)] == [str(e) for e in r.b.session.events(1, first)]
    for outcome, path in ((r.outcome_a, a), (r.outcome_b, b)):
        got = {n: {k: v for k, v in dv.items() if k != "hits"} for n, dv in outcome["devices"].items()}
        assert got == summary_outcome(path)
    assert not r.same_outcome


def test_n05_the_outcome_names_the_remove_that_oopsed() -> None:
    r = diff_files(str(HELD / "n05-pv-two-nics-offline-remove-k5151.yaml"),
                   str(HELD / "n05-pv-two-nics-offline-remove-k5153.yaml"))
    acts = [(x["action"], x["do"], x["result"], x["error"]) for x in r.outcome_a["actions"]
            if x != r.outcome_b["actions"][x["action"]]]
    assert acts == [(4, "remove", -14, "EFAULT")]
    assert r.outcome_b["actions"][4]["result"] == 0


def test_the_new_stray_link_changes_nothing_the_model_does() -> None:
    from msidbg.model import new_engine
    from msidbg.scenario import load_scenario
    from msidbg.sim.world import state_hash

    scn = load_scenario(str(HELD / "n03-torn-two-xhci-hotplug-k553.yaml"))
    on, off = new_engine(scn, prov=True), new_engine(scn, prov=False)
    on.run_sync()
    off.run_sync()
    assert (on.log.times, on.log.ids, on.log.cols) == (off.log.times, off.log.ids, off.log.cols)
    assert on.hits == off.hits and state_hash(on.w) == state_hash(off.w)


def test_a_topology_pair_parts_where_the_missing_device_is_probed(tmp_path: Path) -> None:
    """n03 (5.5.2) against itself without xhci1 (its device entry, its probe, its stream and its move): the files'
    ``run:`` lists differ, so the worlds' ``actions`` differ in length and each CPU's action queue in its indices from
    event 0. The runs part where CPU1 probes xhci1 (A #86) -- B's CPU1 has nothing to do until the offline's stop
    machine (#932; intx36: +2, nvme0's and xhci0's set-up Command writes). whyheld28: ``actions`` compared whole read as a new difference at event 1 (the first action's start,
    the same in both), and the same file with the queue compared by index at event 67 (the queue's head after nvme0's
    probe): "the same event in both; the state it left differs", at neither place the runs part."""
    src = HELD / "n03-torn-two-xhci-hotplug-k552.yaml"
    one = tmp_path / "n03-one-xhci.yaml"
    one.write_text("".join(line for line in src.read_text().splitlines(keepends=True) if "xhci1" not in line))
    r = diff_files(str(src), str(one))
    d = r.first
    assert d is not None and not d.state_only
    assert (d.context, d.a, d.b) == ("cpu1.proc", 86, 932)
    assert d.a_info["fields"] == {"action": 2, "do": "probe"}
    assert d.switches["devices.xhci1"] == {"a": "present", "b": "absent"}
    xhci0 = {k: v for k, v in r.outcome_b["devices"]["xhci0"].items() if k != "hits"}
    assert xhci0 == summary_outcome(str(one))["xhci0"]


def test_the_5151_5153_pair_on_bare_metal_never_parts(tmp_path: Path) -> None:
    """The same three rows as n05 (5.15.1 / 5.15.3), on bare metal: pci_msi_ignore_mask is 0 there, so can_mask is
    true either way and every step is the same -- no divergence, the same outcome, the rows listed as what differs."""
    from tests.why_helpers import SCN
    src = (SCN / "msix-write-while-unmasked.yaml").read_text()
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(src.replace('version: "5.13"', 'version: "5.15.1"'))
    b.write_text(src.replace('version: "5.13"', 'version: "5.15.3"'))
    r = diff_files(str(a), str(b))
    assert r.first is None and r.same_outcome
    assert {"msi_update_mask_can_mask", "msix_ctrl_read_can_mask", "msix_vector_ctrl_ignore_mask"} <= set(r.switches)
