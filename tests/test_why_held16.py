"""Held-out round 16 (why32, tests/heldout_why16/): revision 18's mechanisms on topologies no earlier round used -- a
hibernation thaw after the driver re-set up its vectors while frozen (4.12 / 4.13), a pm_suspend / pm_resume on Xen
HVM before and with 7e0815b3e099, handle_edge_irq's relock against 6.17's wait on the new target, 5.17's
msi_lock_descs mutex against 5.16, credit's ratelimit keeping a BOOSTed waker on the runqueue, and a pm_suspend /
pm_resume of a Kingston-quirk nvme around a CPU offline (5.4.5 / 5.4.6). For each pair ``why`` on the symptom reaches,
through recorded links, the step the fix (or the version switch) changes, and ``diff`` names the first step the pair
runs differently. Where those two are not the same step it is said in the test (h01: 7e0815b3e099 changes every mask
write, the probe's first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msidbg.debugger import Session
from tests.conftest import assert_prov_neutral

HELD = Path(__file__).resolve().parent / "heldout_why16"
_RUNS: dict[str, Session] = {}


def _ran(name: str) -> Session:
    if name not in _RUNS:
        s = Session.from_scenario(str(HELD / f"{name}.yaml"))
        s.run()
        _RUNS[name] = s
    return _RUNS[name]


def _chain(why: Any) -> list[tuple[int, str, str | None]]:
    return [(lk.event, lk.link, lk.path) for lk in why.chain]


def _branches(link: Any) -> list[tuple[int, str, str | None]]:
    return [(b[0].event, b[0].link, b[0].path) for b in link.branches]


def _diff(a: str, b: str) -> dict[str, Any]:
    d: dict[str, Any] = _ran(a).diff(_ran(b)).as_dict()
    return d


def _first(d: dict[str, Any]) -> tuple[str, int, int, str, str]:
    fd = d["first_divergence"]
    return fd["context"], fd["a"]["event"], fd["b"]["event"], fd["a"]["stack"][0], fd["b"]["stack"][0]


T412, T413 = "t01-thaw-eth-realloc-while-frozen-3cpu-k412", "t01-thaw-eth-realloc-while-frozen-3cpu-k413"


def test_t01_the_stale_message_links_the_thaw_that_left_the_cached_one_unwritten() -> None:
    """4.12: eth0's driver frees and re-sets up its vectors while frozen (PCI_UNKNOWN): __pci_write_msi_msg caches the
    new messages (0x71 / 0x81 on CPU0 from the legacy allocator's cursor); pci_pm_thaw_noirq before e60514bd4485 writes
    nothing back, so both signals after the thaw hit the freed 0x41 / 0x61: No irq handler. The loss's first branch is
    the thaw's node (the step the fix changes: pci_restore_state) <- the cache (request_irq's activation) <- the action.
    Before why32 nothing recorded the cache: the chain ended at the probe's message and the free's slot."""
    s = _ran(T412)
    lost = [h for h in s.armed_hits() if h.name == "irq-lost"]
    assert [h.detail.split(":")[0] for h in lost] == ["eth0 vector 0", "eth0 vector 1"]
    why = s.why(lost[0])
    # kernel32: the MSI nic's msi_capability_init clears Enable first (one more write, 1 us): its vector is assigned
    # after eth0's, so the table write is event 13 and every later event is one later than before.
    # intx36: +2 by the freeze (eth0's and ssd0's set-up Interrupt Disable writes), +3 by the free (its shutdown's
    # pci_intx_for_msi(dev, 1) clears the bit), +4 by the thaw (the re-set-up writes it again)
    assert _chain(why) == [(109, "lost", "acct.eth0.lost[0]"), (108, "accept", "cpus[0].isr[0x41]"),
                           (107, "irr.set", "cpus[0].irr[0x41]"), (13, "table.write", "devices.eth0.msix.table[0].data"),
                           (1, "action.start", "actions[0]")]
    assert _branches(why.chain[0]) == [(105, "kernel", "kernel.pci.eth0.descs[0].msg"),
                                      (73, "vector_irq", "cpus[0].vector_irq[0x41]")]
    thaw = why.chain[0].branches[0]
    assert [(lk.event, (lk.stack or [None])[0]) for lk in thaw] == [
        (105, "pci_pm_thaw+thaw_d0"), (97, "pci_write_msi_msg+prepare"), (94, None)]
    assert thaw[0].relation == "the device kept its older message: the kernel's message for it only cached, by"
    assert s.event(94).kind == "action.start" and s.event(94).fields["do"] == "request_irq"
    why1 = s.why(lost[1])
    assert _branches(why1.chain[0])[0] == (105, "kernel", "kernel.pci.eth0.descs[1].msg")
    assert not _ran(T413).armed_hits()


def test_t01_diff_parts_at_the_thaw() -> None:
    d = _diff(T412, T413)
    assert _first(d) == ("cpu2.proc", 105, 105, "pci_pm_thaw+thaw_d0", "pci_restore_msix+msix_maskall")    # intx36: +4
    assert d["first_divergence"]["switches"]["pm_thaw_restores"] == {"a": False, "b": True}
    assert d["same_outcome"] is False


H510, H510FIX = "h01-hvm-resume-nvme-nic-3vcpu-x414-k510", "h01-hvm-resume-nvme-nic-3vcpu-x414-k510fix"


def test_h01_the_held_signal_links_the_restores_vector_control_write() -> None:
    """5.10 without 7e0815b3e099: eth0's pm_resume restores the masked cached Vector Control of entry 0 (its irq never
    unmasked it: vector 0 signals only after the resume), which Xen's msixtbl_write applies to the physical entry; the
    6 ms signal waits in the PBA. loss <- PBA <- the restore's write (pci_restore_msix+msix_entries: a no-op under
    pci_msi_ignore_mask) <- the binding the mask held."""
    s = _ran(H510)
    why = s.why(s.armed_hits()[0])
    # intx36: +12 -- two MSI-X set-ups' trapped pci_intx_for_msi Command read and write through QEMU (+5 each), and
    # the resume's __pci_restore_msix_state pci_intx_for_msi reads Command (0x406) through QEMU and writes nothing: the
    # bit is already set (+2)
    assert _chain(why)[:3] == [(229, "lost", "acct.eth0.lost[0]"), (228, "pba.set", "devices.eth0.msix.pba[0]"),
                               (214, "table.write", "devices.eth0.msix.table[0].ctrl")]
    assert why.chain[2].stack[:2] == ["pci_restore_msix+msix_entries", "pci_pm_resume+resumed"]
    assert s.event(214).fields == {"entry": 0, "reg": "ctrl", "value": 1}
    assert not _ran(H510FIX).armed_hits()


def test_h01_diff_parts_at_the_first_mask_write_the_fix_removes() -> None:
    """The pair differs in kernel.xen_hvm_msi_ignore_mask alone (5.10.114 also carries the 2021 MSI-X series, under
    which neither loses). The fix makes every PCI/MSI mask write a no-op, so the runs part at the probe's first one
    (msix_program_entries), before the restore's write the chain reaches."""
    d = _diff(H510, H510FIX)
    assert _first(d) == ("cpu0.proc", 82, 82, "msix_capability_init+program_entries",
                         "msix_capability_init+program_entries")
    assert list(d["first_divergence"]["switches"]) == ["xen_hvm_msi_ignore_mask"]
    assert d["same_outcome"] is False


E616, E617 = "e01-relock-two-nics-move-enable-4cpu-k616", "e01-relock-two-nics-move-enable-4cpu-k617"


def test_e01_the_rerun_on_the_old_cpu_links_the_new_targets_ack() -> None:
    """6.16: CPU2 (the new target) takes desc->lock behind CPU3's enable_irq while CPU1's action still runs: its ack
    parks the edge IRQS_PENDING and masks (99); CPU1, back from its action, relocks, unmasks and runs the action again
    (105). The handler run <- IRQS_PENDING as the loop took it (104) <- CPU2's ack (99: what 8d39d6ec4db5 replaces with
    irq_wait_on_inprogress) <- CPU2's accept <- its message <- the deferred move."""
    s = _ran(E616)
    # every event one later than before kernel32: the MSI nic's msi_capability_init clears Enable first; intx36: two
    # more (eth0's and eth1's set-up Interrupt Disable writes)
    why = s.why(105)
    assert _chain(why) == [(105, "event", None), (104, "kernel", "irqs[26].pending"), (99, "kernel", "irqs[26].pending"),
                           (93, "accept", "cpus[2].isr[0x21]"), (92, "irr.set", "cpus[2].irr[0x21]"),
                           (83, "table.write", "devices.eth0.msix.table[1].addr_lo"),
                           (65, "irq.move_pending", "irqs[26].pending_mask"), (64, "action.start", "actions[2]")]
    assert why.chain[2].stack[0] == "handle_edge_irq+ack" and s.event(99).cpu == 2
    s17 = _ran(E617)
    assert "irq_wait_on_inprogress" in s17.event(99).fields["what"]
    assert (s17.event(103).kind, s17.event(103).cpu) == ("irq.handler", 2)


def test_e01_diff_parts_at_the_new_targets_ack() -> None:
    d = _diff(E616, E617)
    assert _first(d) == ("cpu2.irq", 99, 99, "handle_edge_irq+ack", "handle_edge_irq+ack")    # intx36: +2
    assert list(d["first_divergence"]["switches"]) == ["kernel.version", "edge_wait_new_target"]
    assert d["same_outcome"] is True      # (every signal delivered either way: only who runs the action differs)


C516, C517 = "c01-double-enable-nvme-nic-hvm-3vcpu-k516", "c01-double-enable-nvme-nic-hvm-3vcpu-k517"


def test_c01_the_refusals_reach_the_enable_each_release_refuses_at() -> None:
    """5.16 (no msi_lock_descs before 5512c5eaf533; kernel33 replaced msidbg's -EBUSY stand-in at check_msix with the
    real unserialised enable): both enables run through the trapped accesses, vCPU 2's populate_msi_sysfs makes the
    'msi_irqs' group first and vCPU 0's is -EEXIST -- its error starts there (reconcile) and links vCPU 2's action,
    whose enable made the group (what 5.17 serialises and no longer does in the enable); nvme0's signal is lost with
    MSI-X disabled: vCPU 2's msix_capability_init ends with a read-modify-write of Message Control that keeps the
    Enable vCPU 0's teardown cleared. 5.17: the second enable sleeps on the mutex, then xa_insert is -EBUSY and
    out_free / out_disable tear the device down -- its error is out_disable's, and nvme0's signal after it is lost
    with MSI-X disabled by that teardown's Message Control write (QEMU writing it through)."""
    s = _ran(C516)
    hit = next(h for h in s.armed_hits() if h.name == "probe-failed")
    assert hit.detail.startswith("alloc_vectors on nvme0 returned EEXIST (-17)")
    why = s.why(hit)
    # intx36: +5 from eth0's MSI-X set-up on (its trapped pci_intx_for_msi read and write through QEMU, 25 us)
    assert _chain(why) == [(332, "action.done", "actions[1].result"), (308, "kernel", "actions[1].error"),
                           (6, "action.start", "actions[2]")]
    assert why.chain[1].stack[0] == "msix_capability_init+sysfs" and why.chain[1].value == -17
    assert why.chain[2].relation == ("its 'msi_irqs' sysfs group already made by another CPU's unserialised enable "
                                     "(populate_msi_sysfs), in")
    loss = s.why(next(h for h in s.armed_hits() if h.name == "irq-lost"))
    # +10: vCPU 2's set-up's own trapped Interrupt Disable write precedes its clear_maskall
    assert _chain(loss) == [(349, "lost", "acct.nvme0.lost[0]"), (347, "msix.ctrl", "devices.nvme0.msix.ctrl"),
                            (345, "guest", "cpus[2].ioreq"), (6, "action.start", "actions[2]")]
    assert loss.chain[2].stack[0] == "msix_capability_init+clear_maskall"
    s = _ran(C517)
    hit = next(h for h in s.armed_hits() if h.name == "probe-failed")
    why = s.why(hit)
    assert _chain(why) == [(188, "action.done", "actions[2].result"), (175, "kernel", "actions[2].error"),
                           (6, "action.start", "actions[2]")]
    assert why.chain[1].stack[0] == "msix_capability_init+out_disable"
    loss = s.why(next(h for h in s.armed_hits() if h.name == "irq-lost"))
    assert _chain(loss)[:2] == [(199, "lost", "acct.nvme0.lost[0]"), (197, "msix.ctrl", "devices.nvme0.msix.ctrl")]


def test_c01_diff_parts_at_the_early_msix_enabled() -> None:
    """vCPU 0's msix_capability_init Enable write: 5.17 sets msix_enabled there (c7ecb95ca6a8). It parted at check_msix
    while 5.16 took msidbg's stand-in lock there (kernel33 removed it: no lock before 5512c5eaf533)."""
    d = _diff(C516, C517)
    assert _first(d) == ("cpu0.proc", 26, 26, "msix_capability_init+ctrl_enable", "msix_capability_init+ctrl_enable")
    fd = d["first_divergence"]
    assert fd["paths"] == ["kernel.pci.nvme0.msix_enabled"] and fd["state_only"] is True
    assert fd["switches"]["msi_descs_lock"] == {"a": "none", "b": "mutex"}
    assert fd["switches"]["msi_enabled_early"] == {"a": False, "b": True}


WNO, WRL = "w01-boost-ratelimit-3vcpu-x411-norl", "w01-boost-ratelimit-3vcpu-x411-rl"


def test_w01_the_late_accept_reaches_the_schedule_the_ratelimit_kept() -> None:
    """With the ratelimit (4.2+): vCPU 0 wakes at 6.2008 ms BOOSTed (2108) and tickles; that schedule() (2110) finds
    vCPU 1 has run 200 us, less than the 1 ms ratelimit, and keeps it. vCPU 0 is scheduled in at the ratelimit's end
    (9712, 7.0008 ms) and accepts at 7.0009 ms. The accept's wait branch: its schedule-in <- the ratelimit's schedule()
    (2110, the step 64908a0466 added) <- the tickle of vCPU 0's wake-up <- the IRR bit that woke it. Without it the
    tickle switches at 2110 and the accept follows at 6.2009 ms. (intx36: +15, the three MSI-X set-ups' trapped
    pci_intx_for_msi Command read and write through QEMU; the times are the same.)"""
    s = _ran(WRL)
    why = s.why(9714)
    assert why.chain[0].link == "accept" and s.event(9714).time_ns == 7_000_900
    assert _branches(why.chain[0])[1] == (9712, "xen.sched_in", "xen.sched.since[0]")
    wait = why.chain[0].branches[1]
    assert [(lk.event, lk.link, lk.path) for lk in wait[:4]] == [
        (9712, "xen.sched_in", "xen.sched.since[0]"), (2110, "xen.sched_wake", "xen.sched.woken[0]"),
        (2108, "xen.sched_wake", "xen.sched.woken[0]"), (2108, "irr.vmsi", "cpus[0].irr[0x21]")]
    assert [lk.relation for lk in wait[1:4]] == [
        "runnable on the runqueue since", "the running vCPU preempted by the tickle of", "woken by"]
    assert "less than the ratelimit" in s.event(2110).fields["how"]
    s0 = _ran(WNO)
    assert "vCPU0 scheduled in" in s0.event(2110).fields["how"] and s0.event(2111).time_ns == 6_200_900


def test_w01_diff_parts_at_the_tickles_schedule() -> None:
    d = _diff(WNO, WRL)
    fd = d["first_divergence"]
    assert (fd["context"], fd["a"]["event"], fd["b"]["event"]) == ("xen", 2110, 2110)    # intx36: +15
    assert list(fd["switches"]) == ["xen_sched_ratelimit"]


P545, P546 = "p01-suspend-resume-kingston-nvme-managed-4cpu-k545", "p01-suspend-resume-kingston-nvme-managed-4cpu-k546"


def test_p01_the_held_signals_link_the_restores_write_of_the_cached_word() -> None:
    """5.4.5, Kingston quirk (msix-ctrl-reserved-bits), pm_suspend / pm_resume around a CPU3 offline: the restore's
    Vector Control write of the cached 0x3 masks entries 0 and 2 for good (e045fa29e893, 5.4.6, writes 0x2): loss <- PBA
    <- the restore's write <- the cached word's read at msix_program_entries."""
    s = _ran(P545)
    whys = [s.why(h) for h in s.armed_hits()]
    # intx36: +2 from the set-ups (nvme0's and eth0's Interrupt Disable writes); the cached words' reads before them
    assert [_chain(w) for w in whys] == [
        [(142, "lost", "acct.nvme0.lost[0]"), (141, "pba.set", "devices.nvme0.msix.pba[0]"),
         (135, "table.write", "devices.nvme0.msix.table[0].ctrl"), (32, "kernel", "kernel.pci.nvme0.descs[0].msix_ctrl"),
         (1, "action.start", "actions[0]")],
        [(142, "lost", "acct.nvme0.lost[2]"), (140, "pba.set", "devices.nvme0.msix.pba[2]"),
         (137, "table.write", "devices.nvme0.msix.table[2].ctrl"), (40, "kernel", "kernel.pci.nvme0.descs[2].msix_ctrl"),
         (1, "action.start", "actions[0]")]]
    assert whys[0].chain[2].stack[:2] == ["pci_restore_msix+msix_entries", "pci_pm_resume+resumed"]
    assert not _ran(P546).armed_hits()


def test_p01_diff_parts_at_the_restores_vector_control_write() -> None:
    d = _diff(P545, P546)
    assert _first(d) == ("cpu2.proc", 135, 135, "pci_restore_msix+msix_entries", "pci_restore_msix+msix_entries")
    assert d["first_divergence"]["switches"]["msix_restore_mask_bit_only"] == {"a": False, "b": True}
    assert d["same_outcome"] is False


def test_heldout_why16_provenance_records_never_decides() -> None:
    assert_prov_neutral([HELD / f"{n}.yaml" for n in (T412, H510, E616, C517, P545)])


def test_t01_through_the_command_line() -> None:
    """``msidbg why FILE --json`` explains the first armed hit (the loss) with the thaw as its first branch; ``msidbg
    diff A B --json`` names the thaw as the first divergence (exit 1: the outcomes differ)."""
    import json

    from tests.why_helpers import cli

    rc, out, err = cli("why", str(HELD / f"{T412}.yaml"), "--json")
    assert rc == 0, err
    chain = json.loads(out)["chain"]
    assert [(lk["event"], lk["link"]) for lk in chain[:3]] == [(109, "lost"), (108, "accept"), (107, "irr.set")]
    assert [(b[0]["event"], b[0]["link"], b[0]["path"]) for b in chain[0]["branches"]][0] == (
        105, "kernel", "kernel.pci.eth0.descs[0].msg")
    rc, out, err = cli("diff", str(HELD / f"{T412}.yaml"), str(HELD / f"{T413}.yaml"), "--json")
    assert rc == 1, err
    fd = json.loads(out)["first_divergence"]
    assert (fd["context"], fd["a"]["event"], fd["a"]["stack"][0]) == ("cpu2.proc", 105, "pci_pm_thaw+thaw_d0")
