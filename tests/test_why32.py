"""why32: the provenance gaps round 31 left (docs/why.md, "Round 32"). The saved Command on Xen links what pci_save_state's
read returned (QEMU's answer on xen-hvm, the device's register pciback's command_read reads on xen-pv); a vCPU's
schedule-in links its wake-up onto the runqueue (what woke it) and what made the pCPU switch (the waker's tickle, the
runner's slice or ratelimit, its PAUSE-loop exit, its block); a kicked upcall that finds its port closed links
EVTCHNOP_close's loss. Recording only: every file runs to the same events, hits and state hash with provenance on and
off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import assert_prov_neutral
from tests.why_helpers import ran

TESTS = Path(__file__).resolve().parent
RESUME30 = TESTS / "resume30"
XENSCHED30 = TESTS / "xensched30"
WHY32 = TESTS / "why32"


def _chain(why: Any) -> list[tuple[int, str, str | None]]:
    return [(lk.event, lk.link, lk.path) for lk in why.chain]


def test_the_saved_command_on_xen_hvm_links_qemus_answer() -> None:
    """resume30 h01 (6.6 HVM): pci_save_state's read of Command traps into QEMU, whose xen_pt_pci_read_config answer
    (cpus[0].readback[4], 0x406 -- its emulated Memory Space, as the accesses before it left it, and since intx36 the
    Interrupt Disable bit the probe's trapped pci_intx_for_msi wrote (38 / 39), which QEMU passes through) is what the
    kernel saved. The saved Command's node had no link (why31's lead). Indices +5 since intx36 (that trapped read and
    write). Lead: the chain's tail is still qemu.devs.eth0.cmd's initial value; it does not name the 0x400 write."""
    s = ran("h01-hvm-resume-k66", RESUME30)
    why = s.why("kernel.pci.eth0.pm.saved_cmd")
    assert _chain(why) == [(69, "kernel", "kernel.pci.eth0.pm.saved_cmd"), (68, "guest", "cpus[0].readback[4]"),
                           (0, "initial", "qemu.devs.eth0.cmd")]
    assert why.chain[0].stack == ["pci_pm_suspend+save_state"] and why.chain[1].relation == "saved from"
    assert s.event(68).kind == "qemu.cfg_read" and s.event(68).fields == {"offset": 4, "value": 0x406, "reg": "cmd"}


def test_the_saved_command_on_xen_pv_links_the_devices_register() -> None:
    """resume30 p01 (6.6 PV): pcifront's XEN_PCI_OP_conf_read is answered by pciback's command_read, which msidbg answers
    with the device's register (see docs/why.md: upstream's command_read keeps only PCI_COMMAND_GUEST's bits of it):
    the saved Command links the write that set it -- since intx36 pciback's xen_pcibk_enable_msix (its pci_intx_for_msi:
    0x6 -> 0x406, event 4) for the probe's XEN_PCI_OP_enable_msix, the device Command's latest writer (it was
    pci_set_master's write, event 2, when only functions with a pin got the bit); the saved value is 0x406."""
    s = ran("p01-pv-resume-k66", RESUME30)
    why = s.why("kernel.pci.eth0.pm.saved_cmd")
    assert _chain(why) == [(25, "kernel", "kernel.pci.eth0.pm.saved_cmd"), (4, "pci.cmd", "devices.eth0.cmd"),
                           (1, "action.start", "actions[0]")]
    assert why.chain[1].relation == "saved from" and why.chain[1].stack[0] == "xen_setup_msi_irqs+pv_enable"


def _sched(name: str, event: int) -> tuple[Any, Any]:
    s = ran(name, XENSCHED30)
    assert s.event(event).kind == "xen.sched"
    return s, s.why(event)


def test_a_schedule_in_at_a_tickle_links_the_wakers_wake_up() -> None:
    """xensched30 s07 (credit2): vCPU0 wakes (its action starts) while vCPU1 runs on pCPU0; its runq_tickle preempts
    vCPU1. The schedule-in (10581) links the tickle's wake-up (10579: the runqueue insert), which links what woke it."""
    s, why = _sched("s07-x4192-ple-yield-lock-holder", 10581)
    assert _chain(why)[:3] == [(10581, "xen.sched_in", "xen.sched.since[0]"),
                               (10579, "xen.sched_wake", "xen.sched.woken[0]"), (10579, "action.start", "actions[4]")]
    assert [lk.relation for lk in why.chain[1:3]] == ["the running vCPU preempted by the tickle of", "woken by"]
    assert "vCPU0 wakes on pCPU0, where vCPU1 runs" in why.chain[1].reason


def test_a_schedule_in_at_a_pause_loop_exit_links_the_yielder() -> None:
    """s07: vCPU1 spins (PAUSE loop) while vCPU0 waits; its exit yields the pCPU. vCPU0's schedule-in (10657) links its
    own wake-up and, as a branch, the yielding vCPU's run (its schedule-in at 10593)."""
    s, why = _sched("s07-x4192-ple-yield-lock-holder", 10657)
    assert _chain(why)[:2] == [(10657, "xen.sched_in", "xen.sched.since[0]"),
                               (10647, "xen.sched_wake", "xen.sched.woken[0]")]
    assert [(b[0].event, b[0].link, b[0].relation) for b in why.chain[0].branches] == [
        (10593, "xen.sched_in", "the running vCPU yielded at a PAUSE-loop exit: it ran since")]


def test_a_schedule_in_at_a_block_links_the_blocked_runner_and_the_wait() -> None:
    """s01 (credit): vCPU0 runs at once on its idle, shared pCPU (87: a schedule-in node with no xen.sched event);
    vCPU1 (woken at 89, waiting) runs when vCPU0 blocks (92) and links that run; when vCPU1 blocks in turn vCPU0
    (woken at 91) is scheduled in (97): it links the run that ended (vCPU1's schedule-in) and its own wake-up.
    (Indices +5 since intx36: the set-up's trapped pci_intx_for_msi read and write.)"""
    s, why = _sched("s01-x411-msi-waits-for-block", 97)
    assert _chain(why)[:2] == [(97, "xen.sched_in", "xen.sched.since[0]"), (92, "xen.sched_in", "xen.sched.since[1]")]
    assert why.chain[1].relation == "the running vCPU left the pCPU (blocked or migrated away): it ran since"
    assert [(b[0].event, b[0].link) for b in why.chain[0].branches] == [(91, "xen.sched_wake")]
    why92 = s.why(92)
    assert _chain(why92)[:3] == [(92, "xen.sched_in", "xen.sched.since[1]"),
                                 (89, "xen.sched_wake", "xen.sched.woken[1]"), (89, "irr.vmsi", "cpus[1].irr[0x21]")]
    assert [(b[0].event, b[0].link, b[0].path) for b in why92.chain[0].branches] == [
        (87, "xen.sched_in", "xen.sched.since[0]")]
    assert why92.chain[0].branches[0][0].reason.endswith("vCPU0 wakes on pCPU0, idle: it runs at once")


def test_a_schedule_in_at_a_slice_end_links_the_runners_idle_schedule_in() -> None:
    """s06 (credit2): vCPU1 woke on idle pCPU0 (shared with vCPU0 since the 5 ms migration) at 135 and ran its storm;
    its slice ends at 16.0008 ms and vCPU0 (woken at 4887) is scheduled in: the node links vCPU0's wake-up and, as a
    branch, the slice of vCPU1 that ended (before why32's idle schedule-in node there was no record of that run). Indices +10 since intx36 (two set-ups' trapped
    pci_intx_for_msi)."""
    s, why = _sched("s06-x4192-slice-end", 95138)
    assert _chain(why)[:2] == [(95138, "xen.sched_in", "xen.sched.since[0]"),
                               (4887, "xen.sched_wake", "xen.sched.woken[0]")]
    assert [(b[0].event, b[0].link, b[0].relation) for b in why.chain[0].branches] == [
        (135, "xen.sched_in", "the running vCPU's time slice ended: it ran since")]


def test_a_kicked_upcall_that_finds_its_port_closed_links_the_closes_loss() -> None:
    """tests/why32 k01: vCPU2's enable_irq unmasks eth0's pending port 1 (EVTCHNOP_unmask, 5.0001 ms) and kicks vCPU0;
    vCPU1's EVTCHNOP_close of the port (5.001 ms) clears its pending bit and loses the three signals before the kick
    reaches vCPU0 (5.0024 ms). The upcall linked only the unmask's signal: it now links the loss the close made
    ('finds the port no longer pending'), __evtchn_close's clear. (+2 since intx36: the two PV
    probes' pci_intx_for_msi writes are pcifront.dropped events, 10 and 36.)"""
    s = ran("k01-pv-close-before-kick-3vcpu-x46-k413", WHY32)
    kick = next(e for e in s.events(1, s.total + 1) if e.kind == "xen.kick")
    assert (kick.index, kick.time_ns, kick.fields["how"]) == (96, 5_002_400, "upcall; the port is no longer pending")
    why = s.why(kick.index)
    assert _chain(why)[:2] == [(96, "xen", "cpus[0].upcall"), (94, "lost", "acct.eth0.lost[0]")]
    assert why.chain[1].relation == "finds the port no longer pending: its events cleared by"
    assert why.chain[1].stack == ["xen_hypercall+make"] and why.chain[1].value == 3
    assert [(b[0].event, b[0].path) for b in why.chain[0].branches] == [(94, "xen.ports[1]")]


@pytest.mark.parametrize("path", [
    RESUME30 / "h01-hvm-resume-k66.yaml", RESUME30 / "p01-pv-resume-k66.yaml",
    XENSCHED30 / "s01-x411-msi-waits-for-block.yaml", XENSCHED30 / "s03-x411-boost-preempts-at-ratelimit.yaml",
    XENSCHED30 / "s08-x411-running-vcpu-migrated-onto-busy-pcpu.yaml",
    WHY32 / "k01-pv-close-before-kick-3vcpu-x46-k413.yaml"], ids=lambda p: p.stem)
def test_provenance_records_never_decides(path: Path) -> None:
    assert_prov_neutral([path])
