"""Held-out round 15 (why30, tests/heldout_why15/): revision 17's mechanisms on topologies no earlier heldout_why* round
used -- pm_resume next to a second function, the remote EVTCHNOP_unmask's upcall against startup_pirq's clear (PV and
4-vCPU HVM with a doorbell), a pre-XSA-126 QEMU passing Memory Space to the device, vector 0xff's handler beside an INTx
line, 5.17's early msi_enabled. ``why`` on each loss or failed probe reaches, through recorded links, what the real fix
changed; ``diff`` of each pair parts where PREDICTIONS.md says (what differed from the predictions is listed there)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msidbg.debugger import Session
from msidbg.debugger.diff import diff_files
from tests.conftest import assert_prov_neutral

HELD = Path(__file__).resolve().parent / "heldout_why15"
_RUNS: dict[str, Session] = {}


def _ran(name: str) -> Session:
    if name not in _RUNS:
        s = Session.from_scenario(str(HELD / f"{name}.yaml"))
        s.run()
        _RUNS[name] = s
    return _RUNS[name]


def _why(name: str, hit: str, dev: str) -> tuple[Any, Any]:
    s = _ran(name)
    h = next(h for h in s.hits() if h.name == hit and h.detail.startswith(dev))
    return h, s.why(h)


def _chain(why: Any) -> list[tuple[int, str, str | None]]:
    return [(lk.event, lk.link, lk.path) for lk in why.chain]


def _first(a: str, b: str) -> dict[str, Any]:
    d = diff_files(str(HELD / f"{a}.yaml"), str(HELD / f"{b}.yaml")).as_dict()
    return d


def test_p01_the_kingston_entries_held_by_the_restores_mask_write() -> None:
    """5.4.5: __pci_restore_msix_state's msix_mask_irq(entry, entry->masked) with the cached 0x2 sets the Mask bit
    (0x3): both ssd0 signals wait in the PBA to the end. The loss <- the PBA bit <- the restore's Vector Control write
    (what e045fa29e893 changed) <- pm_resume. Before why30 the mask's writer was the function's reset (dev.reset,
    event 62; 65 since intx36): the restore's write rewrote the same Mask bit and the setter walk went back past it."""
    h, why = _why("p01-pm-resume-kingston-ssd-nic-3cpu-k545", "irq-lost", "ssd0 vector 0")
    # why31: the restore's write links the descriptor's cached word, whose reserved bit 1 came from
    # msix_program_entries' read (the quirk's 0x2 beside the reset's Mask bit), not pm_resume's action
    # intx36: +2 from the ssd0's and the nic's set-up Interrupt Disable writes (the links before them stay)
    assert _chain(why) == [(98, "lost", "acct.ssd0.lost[0]"), (97, "pba.set", "devices.ssd0.msix.pba[0]"),
                           (79, "table.write", "devices.ssd0.msix.table[0].ctrl"),
                           (22, "kernel", "kernel.pci.ssd0.descs[0].msix_ctrl"), (1, "action.start", "actions[0]")]
    assert why.chain[2].stack[:2] == ["pci_restore_msix+msix_entries", "pci_pm_resume+resumed"]
    assert why.chain[3].relation == "the descriptor's cached Vector Control, its other bits from"
    assert why.chain[3].stack[0] == "msix_capability_init+program_entries" and why.chain[3].value == 3
    s = _ran("p01-pm-resume-kingston-ssd-nic-3cpu-k545")
    assert s.event(79).fields == {"entry": 0, "reg": "ctrl", "value": 3}     # (kernel32: +1, intx36: +2)
    assert s.event(22).kind == "msix.read" and s.event(22).fields == {"entry": 0, "reg": "ctrl", "value": 3}
    assert s.event(65).kind == "dev.reset"
    _, why1 = _why("p01-pm-resume-kingston-ssd-nic-3cpu-k545", "irq-lost", "ssd0 vector 1")
    assert _chain(why1)[2:4] == [(80, "table.write", "devices.ssd0.msix.table[1].ctrl"),
                                 (25, "kernel", "kernel.pci.ssd0.descs[1].msix_ctrl")]


def test_p01_diff_parts_at_the_restores_vector_control_write() -> None:
    d = _first("p01-pm-resume-kingston-ssd-nic-3cpu-k545", "p01-pm-resume-kingston-ssd-nic-3cpu-k546")
    fd = d["first_divergence"]
    assert (fd["context"], fd["a"]["event"], fd["b"]["event"]) == ("cpu2.proc", 79, 79)    # intx36: +2
    assert fd["a"]["stack"][0] == "pci_restore_msix+msix_entries"
    assert "msix_restore_mask_bit_only" in fd["switches"]
    assert d["same_outcome"] is False


def test_p03_the_signal_in_the_reset_window_links_the_reset() -> None:
    """p02 ran first: cpu_offline's stop_machine held CPU1 until 1.5 ms, so its 1000.5 us signal was delivered before
    the reset. p03 (resume at 3 ms): the admin signal at 3000.5 us finds MSI-X disabled by the D3hot -> D0 reset, no
    INTx pin: lost <- MSI-X Message Control as the reset left it <- pm_resume."""
    s = _ran("p02-pm-resume-reset-window-nvme-managed-4cpu-k510")
    assert not s.armed_hits()
    h, why = _why("p03-pm-resume-reset-window-after-offline-4cpu-k510", "irq-lost", "nvme0 vector 0")
    assert "neither MSI nor MSI-X was enabled" in h.detail
    # intx36: +1, nvme0's MSI-X set-up Interrupt Disable write
    assert _chain(why) == [(85, "lost", "acct.nvme0.lost[0]"), (84, "msix.ctrl", "devices.nvme0.msix.ctrl"),
                           (83, "action.start", "actions[2]")]
    assert why.chain[1].stack == ["pci_pm_resume+power_on"] and why.chain[1].relation == "MSI-X disabled by"


def test_k01_pv_startup_pirqs_clear_from_another_vcpu() -> None:
    """Linux 4.4 on Xen 4.6 PV: vCPU 2's enable_irq runs startup_pirq for a port bound to vCPU 0 -- the remote
    EVTCHNOP_unmask (vCPU 0 kicked, its upcall at the next VM entry) then eoi_pirq's clear first: 3 lost <- the
    enable_irq whose startup_pirq cleared it; the port's pending bit (the last signal) a branch."""
    h, why = _why("k01-pv-enable-other-vcpu-nic-nvme-3vcpu-x46-k44", "irq-lost", "eth0")
    assert h.detail == "eth0 vector 0: 3 signal(s) were pending on port 1 when startup_pirq cleared it"
    # intx36: +2, eth0's and nvme0's guest pci_intx_for_msi writes (pcifront.dropped: pciback keeps them in cmd->val)
    assert _chain(why) == [(93, "lost", "acct.eth0.lost[0]"), (90, "kernel", "irqs[24].disabled"),
                           (88, "action.start", "actions[6]")]
    assert why.chain[0].stack[:2] == ["startup_pirq+eoi", "irq_enable+unlock"]
    assert why.chain[1].relation == "cleared by the startup_pirq (enable_pirq before 4.13) of"
    assert [(b[0].event, b[0].link) for b in why.chain[0].branches] == [(82, "xen")]
    s = _ran("k01-pv-enable-other-vcpu-nic-nvme-3vcpu-x46-k44")
    assert s.event(88).fields == {"action": 6, "do": "enable_irq"} and s.event(88).cpu == 2
    assert not _ran("k01-pv-enable-other-vcpu-nic-nvme-3vcpu-x46-k413").armed_hits()


def test_the_kicked_upcall_that_finds_the_port_cleared_links_the_clear() -> None:
    """xen29's remote kick: the EVTCHNOP_unmask kicks vCPU 0, whose upcall comes at its next VM entry, after the caller's
    eoi_pirq cleared the port ("the port is no longer pending"). The kick's node linked only the unmask's signal (now a
    branch): it now links the loss that clear made, and through it the enable_irq whose startup_pirq ran it. PV: the
    upcall flag (cpus[0].upcall); HVM: the upcall vector's IRR bit. intx36: k01 +2 (two dropped pcifront Command
    writes), k02 +10 (two MSI-X set-ups' trapped pci_intx_for_msi read and write through QEMU, +5 each)."""
    for name, chain, unmask in [
            ("k01-pv-enable-other-vcpu-nic-nvme-3vcpu-x46-k44",
             [(94, "xen", "cpus[0].upcall"), (93, "lost", "acct.eth0.lost[0]"), (90, "kernel", "irqs[24].disabled"),
              (88, "action.start", "actions[6]")], 91),
            ("k02-hvm-2l-doorbell-across-enable-4vcpu-x412-k412",
             [(217, "irr.upcall", "cpus[0].irr[0xf3]"), (216, "lost", "acct.nvme0.lost[0]"),
              (214, "kernel", "irqs[24].disabled"), (213, "action.start", "actions[5]")], 215)]:
        s = _ran(name)
        kick = chain[0][0]
        assert s.event(kick).kind == "xen.kick" and "no longer pending" in s.event(kick).fields["how"]
        why = s.why(kick)
        assert _chain(why) == chain, name
        assert why.chain[1].relation == "finds the port no longer pending: its events cleared by"
        assert [(b[0].event, b[0].link) for b in why.chain[0].branches] == [(unmask, "guest")]
        assert s.event(unmask).fields["op"] == "EVTCHNOP_unmask"


def test_k01_diff_parts_at_the_probe_the_series_changed_first() -> None:
    """4.4 and 4.13 differ in more than enable_pirq: the runs part at eth0's probe (pcifront's MSI-X enable), not at
    enable_irq -- the first divergence is the first step that differs, whatever changed it (PREDICTIONS.md)."""
    d = _first("k01-pv-enable-other-vcpu-nic-nvme-3vcpu-x46-k44", "k01-pv-enable-other-vcpu-nic-nvme-3vcpu-x46-k413")
    fd = d["first_divergence"]
    # intx36: +1, eth0's dropped pcifront Command write before it
    assert (fd["context"], fd["a"]["event"], fd["a"]["kind"]) == ("cpu0.proc", 29, "pcifront.dropped")
    assert "xen_enable_pirq_startup" in fd["switches"] and d["same_outcome"] is False


def test_k02_the_doorbells_timeout_reaches_startup_pirqs_clear() -> None:
    """Linux 4.12 on Xen 4.12 HVM, 2-level, 4 vCPUs: the admin completion pending on the disabled irq's masked port is
    cleared by vCPU 3's enable_irq (startup_pirq); the doorbell on vCPU 1 times out: result <- the wait's timeout <-
    the signal waited for, lost to the clear <- enable_irq."""
    h, why = _why("k02-hvm-2l-doorbell-across-enable-4vcpu-x412-k412", "probe-failed", "doorbell on nvme0")
    assert h.detail == "doorbell on nvme0 returned ETIMEDOUT (-110)"
    # intx36: +10, nvme0's and eth0's MSI-X set-ups' trapped pci_intx_for_msi read and write through QEMU
    assert _chain(why) == [(222, "action.done", "actions[3].result"), (221, "wait.timeout", "cpus[1].proc.wait"),
                           (216, "lost", "acct.nvme0.lost[0]"), (214, "kernel", "irqs[24].disabled"),
                           (213, "action.start", "actions[5]")]
    assert why.chain[2].relation == "the signal waited for"
    assert why.chain[2].stack[:1] == ["startup_pirq+eoi"]
    s = _ran("k02-hvm-2l-doorbell-across-enable-4vcpu-x412-k412")
    assert s.event(213).fields == {"action": 5, "do": "enable_irq"} and s.event(213).cpu == 3


def test_q01_the_held_admin_signal_reaches_the_command_qemu_passed_to_the_device() -> None:
    """qemu-xen 4.5.0: the guest's Memory Space clear reaches the device (xen_pt_pci_write_config's write-through,
    Command emu_mask 0x0740); at Memory Space on QEMU's re-bind has Xen unmask the entry with a writel the device does
    not decode, so the guest's earlier mask stays: loss <- PBA <- the dropped unmask (a new node: Xen's own write
    emitted and recorded nothing) <- Command 0x404 as QEMU wrote it through <- the guest's trapped access <- the
    write action. The guest's mask (205) is the PBA's branch. XSA-126 changed the write-through.
    intx36: +10 (nvme0's and eth0's set-ups' trapped pci_intx_for_msi read and write through QEMU, +5 each); the
    guest's raw Command 0x4 clears Interrupt Disable, a clear QEMU keeps from the pinless device (no machine_irq), so
    the device gets 0x404 (was 0x4): Memory Space 0 either way, the same undecoded unmask."""
    _, why = _why("q01-x45-q45-memoff-nvme-nic-3vcpu-k48", "irq-lost", "nvme0")
    assert _chain(why) == [
        (234, "lost", "acct.nvme0.lost[0]"), (223, "pba.set", "devices.nvme0.msix.pba[0]"),
        (217, "xen.unclaimed", "devices.nvme0.msix.table[0].ctrl"), (210, "pci.cmd", "devices.nvme0.cmd"),
        (208, "guest", "cpus[2].ioreq"), (207, "action.start", "actions[5]")]
    assert why.chain[2].relation == "the unmask that would have cleared the mask, not decoded"
    assert why.chain[2].stack[:1] == ["xen_pt_msix_update_one+bind"]
    assert why.chain[3].stack == ["xen_pt_pci_write_config+write_through"] and why.chain[3].value == 0x404
    assert [(b[0].event, b[0].link) for b in why.chain[1].branches] == [(205, "table.write")]
    s = _ran("q01-x45-q45-memoff-nvme-nic-3vcpu-k48")
    assert s.event(217).kind == "qemu.bind_pirq" and s.event(210).fields["value"] == 0x404
    assert not _ran("q01-x45-q451-memoff-nvme-nic-3vcpu-k48").armed_hits()


def test_q01_diff_parts_at_qemus_command_write() -> None:
    d = _first("q01-x45-q45-memoff-nvme-nic-3vcpu-k48", "q01-x45-q451-memoff-nvme-nic-3vcpu-k48")
    fd = d["first_divergence"]
    assert (fd["context"], fd["a"]["event"], fd["a"]["stack"][0]) == (
        "qemu", 210, "xen_pt_pci_write_config+write_through")    # intx36: +10
    assert "qemu_cmd_decode_emulated" in fd["switches"] and d["same_outcome"] is False


def test_e01_the_refused_enable_links_the_other_cpus_enable() -> None:
    """CPU1's alloc_vectors (150 ns after the probe) reaches msix_capability_init first. On 5.17 the probe's enable is
    refused: -EINVAL (msix_enabled set at msix_capability_init's start, c7ecb95ca6a8), linking the alloc_vectors
    action. On 5.16 (kernel33: no msi_lock_descs before 5512c5eaf533, both enables run -- the -EBUSY was msidbg's
    stand-in) the probe fails at its populate_msi_sysfs: the 'msi_irqs' group alloc_vectors' enable made is -EEXIST
    (reconcile: the error starts there, out_free / out_disable only hand it on, and links the action that made the
    group -- the unserialised enable 5.17's lock keeps apart, and the call 5.17 removed from the enable)."""
    h, why = _why("e01-concurrent-enable-nvme-eth-3cpu-k516", "probe-failed", "probe on nvme0")
    # intx36: the -EEXIST at 9.4 us is 91 (was 96): eth0's 1 us Interrupt Disable write on CPU2 moves its later
    # writes after it; the same error, the same action
    assert _chain(why) == [(h.event, "action.done", "actions[0].result"), (91, "kernel", "actions[0].error"),
                           (5, "action.start", "actions[1]")]
    assert why.chain[1].value == -17 and why.chain[1].stack[0] == "msix_capability_init+sysfs"
    assert why.chain[2].relation == ("its 'msi_irqs' sysfs group already made by another CPU's unserialised enable "
                                     "(populate_msi_sysfs), in")
    s = _ran("e01-concurrent-enable-nvme-eth-3cpu-k516")
    assert s.event(91).fields["what"].startswith("populate_msi_sysfs: sysfs: cannot create duplicate filename")
    h, why = _why("e01-concurrent-enable-nvme-eth-3cpu-k517", "probe-failed", "probe on nvme0")
    assert _chain(why) == [(h.event, "action.done", "actions[0].result"), (14, "kernel", "actions[0].error"),
                           (5, "action.start", "actions[1]")]
    assert why.chain[1].value == -22 and why.chain[1].stack[0] == "pci_enable_msix_range+check_msix"
    assert why.chain[2].relation == "refused while another CPU set up the device's MSI state, in"
    for name in ("e01-concurrent-enable-nvme-eth-3cpu-k516", "e01-concurrent-enable-nvme-eth-3cpu-k517"):
        assert _ran(name).event(5).fields == {"action": 1, "do": "alloc_vectors"}


def test_e01_diff_parts_at_the_early_msix_enabled() -> None:
    """The first difference is CPU1's msix_capability_init Enable write: 5.17 sets msix_enabled there (c7ecb95ca6a8,
    msi_enabled_early), 5.16 only at the end -- as PREDICTIONS.md predicted. (kernel31 / why30 parted earlier, at
    CPU1's flag test, where msidbg's 5.16 stand-in for the missing lock was taken; kernel33 removed the stand-in:
    before 5512c5eaf533 no lock is taken at all, and 5.17's msi_lock_descs comes later, in msix_setup_interrupts.)"""
    d = _first("e01-concurrent-enable-nvme-eth-3cpu-k516", "e01-concurrent-enable-nvme-eth-3cpu-k517")
    fd = d["first_divergence"]
    assert (fd["context"], fd["a"]["event"], fd["a"]["stack"][0], fd["state_only"]) == (
        "cpu1.proc", 6, "msix_capability_init+ctrl_enable", True)
    assert fd["paths"] == ["kernel.pci.nvme0.msix_enabled"]
    assert fd["switches"]["msi_enabled_early"] == {"a": False, "b": True}
    assert fd["switches"]["msi_descs_lock"] == {"a": "none", "b": "mutex"} and d["same_outcome"] is False


def test_s01_0xff_in_service_blocks_the_intx_line() -> None:
    """5.7: the message on 0xff is taken by smp_spurious_interrupt, which does not acknowledge vector 0xff: eth0's
    signal is lost <- the accept <- IRR <- the raw data write. 0xff stays in service and blocks sata0's level message
    on CPU1: its loss (Remote IRR left set) <- CPU1's 0xff in service <- ... the same raw write. It linked the
    condition and request_irq's action only ("removed by")."""
    _, why = _why("s01-raw-0xff-msi-intx-2cpu-k57", "irq-lost", "eth0")
    # intx36: +1, eth0's MSI-X set-up Interrupt Disable write
    assert _chain(why) == [(54, "lost", "acct.eth0.lost[1]"), (53, "accept", "cpus[1].isr[0xff]"),
                           (52, "irr.set", "cpus[1].irr[0xff]"), (50, "table.write.live", "devices.eth0.msix.table[1].data"),
                           (49, "action.start", "actions[2]")]
    h, why = _why("s01-raw-0xff-msi-intx-2cpu-k57", "irq-lost", "sata0")
    assert "Remote IRR set at the end" in h.detail
    assert _chain(why) == [(60, "lost", "acct.sata0.lost[0]"), (53, "accept", "cpus[1].isr[0xff]"),
                           (52, "irr.set", "cpus[1].irr[0xff]"), (50, "table.write.live", "devices.eth0.msix.table[1].data"),
                           (49, "action.start", "actions[2]")]
    assert why.chain[1].relation == "held behind the vector in service"
    assert [(b[0].event, b[0].link, b[0].path) for b in why.chain[0].branches] == [
        (55, "irr.level", "cpus[1].irr[0x21]"), (55, "intx.cond", "acct.sata0.held[0]")]


def test_s01_diff_is_the_handlers_name() -> None:
    d = _first("s01-raw-0xff-msi-intx-2cpu-k57", "s01-raw-0xff-msi-intx-2cpu-k58")
    fd = d["first_divergence"]
    assert (fd["context"], fd["a"]["event"], fd["a"]["kind"]) == ("cpu1.irq", 54, "irq.unhandled")    # intx36: +1
    assert "spurious_apic_entry" in fd["switches"]


def test_b01_the_host_move_names_the_binding_that_asked_it_last() -> None:
    """Xen 4.10.4 / 4.12.0, native vMSI, 3 vCPUs. Not as predicted: m0 and m1 are requested with affinity CPU 2, so
    their first signals apply the guest's own deferred moves, QEMU re-binds each to vCPU 2, and Xen asks their host
    irqs' moves then -- in both releases; the 3 ms / 3.1 ms acks apply them (set_msi_affinity, new vectors). Before
    782cf8ba46 n0's re-binding (hvm_migrate_pirqs(vCPU2), 1.65 ms) asks m1's move again, so 4.10.4's chain of m1's
    3.1 ms data write names n0's binding (234; 219 before intx36, 209 before kernel32) and the set_affinity(n0) behind it;
    4.12.0's names m1's own re-bind (212) and the deferred move its request_irq made. The outcome is the same (2/2, 2/2, 1/1)."""
    a = _ran("b01-bind-moves-two-msi-3vcpu-x4104-k414")
    b = _ran("b01-bind-moves-two-msi-3vcpu-x4120-k414")
    for s in (a, b):
        assert [(e.index, e.dev, e.fields["data"]) for e in s.events(1, s.total + 1) if e.kind == "xen.msi"] == [
            (176, "m0", 0x31), (199, "m1", 0x39), (248, "m0", 0x49), (257, "m1", 0x51)]
        # kernel32: +10, two MSI set-ups' writes; intx36: +15, three set-ups' trapped pci_intx_for_msi read and write
        assert not s.armed_hits()
    why = a.why(257)
    assert _chain(why) == [(257, "xen", "devices.m1.msi.data"), (250, "xen", "devices.m1.msi.addr_lo"),
                           (234, "xen", "xen.irqs[57].move"), (232, "guest", "cpus[0].ioreq"),
                           (217, "irq.move_pending", "irqs[26].pending_mask"), (216, "action.start", "actions[5]")]
    assert "hvm_migrate_pirqs(vCPU2) also moves pirq 100" in why.chain[2].reason
    assert a.event(234).dev == "n0" and a.event(216).fields == {"action": 5, "do": "set_affinity"}
    why = b.why(257)
    assert _chain(why) == [(257, "xen", "devices.m1.msi.data"), (250, "xen", "devices.m1.msi.addr_lo"),
                           (212, "xen", "xen.irqs[57].move"), (210, "guest", "cpus[0].ioreq"),
                           (100, "irq.move_pending", "irqs[25].pending_mask"), (59, "action.start", "actions[1]")]
    assert "hvm_migrate_pirq(vCPU2) for pirq 100" in why.chain[2].reason
    d = _first("b01-bind-moves-two-msi-3vcpu-x4104-k414", "b01-bind-moves-two-msi-3vcpu-x4120-k414")
    fd = d["first_divergence"]
    assert (fd["context"], fd["a"]["event"], fd["a"]["kind"]) == ("qemu", 40, "qemu.bind_pirq")    # intx36: +5 (m0's)
    assert "xen_bind_moves_one_pirq" in fd["switches"] and d["same_outcome"] is True


def test_the_new_records_change_nothing_the_model_does() -> None:
    """Provenance on and off: the same events, hits and state hash for every held-out file."""
    assert_prov_neutral(sorted(HELD.glob("*.yaml")))
