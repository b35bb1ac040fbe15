"""Cause chains of the Xen seed bugs: the events each chain passes, found in the log by what they are."""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from tests.why_helpers import events, first_hit, one, ran, tree


def test_late_mask_loss_goes_through_xens_physical_write_to_qemus_bind_and_the_guest_restore() -> None:
    """2022: the first loss is a signal held in the PBA; the mask holding it is the late
    msix_mask_all() write, which Xen's vMSI-X intercept put on the physical entry because QEMU
    had bound (and mapped) pirq 101 on the guest's restore write of da181dc974ad's masked update."""
    s = ran("xen-hvm-msix-mask-late")
    loss = first_hit(s, "irq-lost", "eth0 vector 0")
    why = s.why(loss)
    held = [e.index for e in events(s, "msi.held", index=0)][-1]
    late_mask = one(s, "msix.write", entry=0, reg="ctrl", value=1)
    bind = one(s, "qemu.bind_pirq", entry=0)
    mapped = one(s, "qemu.map_pirq", entry=0)
    latch = one(s, "qemu.msix_write", entry=0, value=0, how="ctrl stored, unmask: update")
    restore = one(s, "ioreq.msix_write", entry=0, reg="ctrl", value=0)
    probe = one(s, "action.start", action=0)
    assert why.events() == [loss.event, held, late_mask, bind, mapped, latch, restore, probe]
    links = {lk.event: lk for lk in why.chain}
    assert links[late_mask].stack[0] == "msix_capability_init+mask_late"
    assert links[late_mask].path == "devices.eth0.msix.table[0].ctrl" and links[late_mask].value == 1
    assert links[bind].actor == "QEMU" and links[bind].path == "xen.pirqs[101].bound"
    assert links[restore].stack[0] == "pci_write_msi_msg+restore"
    assert why.chain[-1].link == "action.start"


def test_the_fixed_orders_lose_nothing_and_have_no_loss_to_explain() -> None:
    for name in ("xen-hvm-msix-mask-late-early", "xen-hvm-msix-mask-late-ignore-mask"):
        s = ran(name)
        assert not [h for h in s.hits() if h.name == "irq-lost"], name


def test_pirq_reuse_failed_probe_reaches_qemus_unmap_the_read_back_and_the_failed_bind() -> None:
    """2017: nvme0's admin command times out. Its signal waits in the PBA behind the mask QEMU's
    unmap wrote when the driver disabled MSI-X; the irq it waited on re-used the pirq the guest
    read back from QEMU's emulated entry, and its event channel bind failed (nvme1 holds 101)."""
    s = ran("xen-pirq-reuse-nvme")
    failed = first_hit(s, "probe-failed", "doorbell on nvme0")
    why = s.why(failed)
    timeout = one(s, "wait.timeout", dev="nvme0", index=0)
    doorbell = [e.index for e in events(s, "action.start", do="doorbell", dev="nvme0")]
    held = one(s, "msi.held", dev="nvme0", index=0)
    unmap = events(s, "qemu.unmap_pirq", dev="nvme0", entry=0, pirq=101)[0].index
    disable = [e.index for e in events(s, "ioreq.cfg_write", dev="nvme0", value=0x7) if e.index < unmap][-1]
    remove = one(s, "action.start", do="remove", dev="nvme0")
    assert why.events() == [failed.event, timeout, held, unmap, disable, remove]
    assert why.chain[3].actor == "QEMU" and why.chain[3].path == "devices.nvme0.msix.table[0].ctrl"
    assert doorbell[1] < timeout
    # the branches: the failed event channel bind of the irq it waited on, and the read-back
    bind = one(s, "xen.hypercall", lambda e: e.fields["ret"] < 0, dev="nvme0", op="EVTCHNOP_bind_pirq")
    reuse = one(s, "xen.irq", dev="nvme0", how="re-used the cached pirq")
    reads = [e.index for e in events(s, "ioreq.msix_read", dev="nvme0", entry=0) if e.index < reuse
             and e.fields["reg"] in ("addr_lo", "data")][-2:]
    t = tree(why)
    assert "guest" in t[bind] and "guest" in t[reuse]
    assert all(r in t for r in reads)
    timeout_link = why.chain[1]
    first_branch = [b[0].event for b in timeout_link.branches]
    assert bind in first_branch


def test_pirq_conflict_stop_explains_the_reuse_first() -> None:
    """The snapshot's stop (pirq-conflict): the guest's claim came from the re-use of a read-back
    pirq; Xen's mapping for nvme1 is the branch."""
    s = ran("xen-pirq-reuse-nvme")
    hit = first_hit(s, "pirq-conflict")
    why = s.why(hit)
    reuse = one(s, "xen.irq", dev="nvme0", how="re-used the cached pirq")
    assert why.events()[:2] == [hit.event, reuse]
    nvme1_map = events(s, "qemu.map_pirq", dev="nvme1", pirq=101)[-1].index
    assert nvme1_map in [b[0].event for b in why.chain[0].branches]


PV_PROBE = """\
name: pv-msix-enable
cpus: 2
platform: {kind: xen-pv, xen: "4.8"}
kernel: {version: "4.14"}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, passthrough: true, msix: {table_size: 8}}
run:
  - {at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 2}
  - {at: 1ms, on: 0, do: remove, dev: nvme0}
"""


def test_pv_message_control_written_by_pciback_has_its_writer(tmp_path: Path) -> None:
    """On PV, pciback enables (XEN_PCI_OP_enable_msix) and disables MSI-X on the guest's behalf:
    why of Message Control right after either names that hypercall's step, not the guest's
    earlier config write (the writes went around the provenance record before)."""
    f = tmp_path / "pv.yaml"
    f.write_text(PV_PROBE)
    s = Session.from_scenario(str(f))
    s.run()
    enable = one(s, "xen.hypercall", op="XEN_PCI_OP_enable_msix")
    disable = one(s, "xen.hypercall", op="XEN_PCI_OP_disable_msix")
    for at, value in ((enable, 0x8000), (disable, 0)):
        s.seek(at)
        link = s.why("devices.nvme0.msix.ctrl").chain[0]
        assert (link.event, link.value & 0xC000) == (at, value)   # Enable, Function Mask
