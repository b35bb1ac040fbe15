"""``why`` gaps left by the whyheld4 round (whyfix5): each test pins a chain that ended early before."""

from __future__ import annotations

from msidbg.debugger import Session
from tests.why_helpers import SCN, events, one

# intx-nobody-cared without the NIC's later command: after note_interrupt disables irq 16, the one
# poll_spurious_irqs run finds the NIC's Interrupt Status clear (IRQ_NONE) while usb0's leftover
# condition (no driver) still drives the shared line
_POLLED = (SCN / "intx-nobody-cared.yaml").read_text().split("\nexpect:")[0].replace(
    "  - {at: 250ms, on: 0, do: doorbell, dev: eth0, vector: 0, timeout: 10ms}\n", "")


def test_irq_none_names_the_condition_asserting_the_shared_line() -> None:
    """An IRQ_NONE from eth0's handler reaches usb0's condition: in an interrupt through the interrupt it
    ran in (the accept, the IRR bit the level entry set for usb0); in poll_spurious_irqs (no interrupt)
    through a node of its own linked to the conditions driving the line -- before, that chain was the
    bare event."""
    assert "doorbell" not in _POLLED
    from tests.conftest import scenario
    s = Session(scenario(_POLLED))
    s.run()
    cond = one(s, "intx.assert", dev="usb0")
    nones = events(s, "irq.none", dev="eth0")
    first = s.why(nones[0].index)
    assert [lk.link for lk in first.chain][:4] == ["event", "accept", "irr.level", "intx.cond"]
    assert first.chain[3].event == cond and first.chain[3].path == "acct.usb0.held[0]"
    polled = s.why(nones[-1].index)
    assert nones[-1].index > one(s, "irq.nobody_cared")
    assert [(lk.event, lk.link, lk.path) for lk in polled.chain] == [
        (nones[-1].index, "irq.none", "acct.eth0.held[0]"), (cond, "intx.cond", "acct.usb0.held[0]"),
        (0, "initial", "devices.usb0.cmd")]
    assert polled.chain[0].stack[0] == "poll_spurious_irqs+poll_next"
    assert "IRQ_NONE; INTx# on GSI 16 is asserted by usb0" in polled.chain[0].reason


def test_a_pv_physdevop_eoi_links_the_status_query_that_set_pirq_needs_eoi() -> None:
    """A PV guest without a pirq_eoi_map (Xen 4.1 has no PHYSDEVOP_pirq_eoi_gmfn_v2; a 3.0 kernel registers
    none) EOIs every interrupt: ``why`` of one such PHYSDEVOP_eoi is the flag startup_pirq's
    PHYSDEVOP_irq_status_query set (``kernel.xen.irqs[N].needs_eoi``), then request_irq's action; the
    interrupt it ran in is a branch. Before, the chain followed the interrupt only (no decision named)."""
    from tests.conftest import scenario
    from tests.test_xenhost_pv_eoi import PV
    for xen, kernel, why_flag in (("4.1", "5.10", "no pirq_eoi_map (Xen has no PHYSDEVOP_pirq_eoi_gmfn_v2)"),
                                  ("4.12", "3.0", "no pirq_eoi_map (the kernel registers none)")):
        s = Session(scenario(PV.format(xen=xen, kernel=kernel)))
        s.run()
        query = one(s, "xen.hypercall", op="PHYSDEVOP_irq_status_query")
        eoi = events(s, "xen.hypercall", op="PHYSDEVOP_eoi")[-1].index
        why = s.why(eoi)
        assert [(lk.event, lk.link, lk.path) for lk in why.chain] == [
            (eoi, "event", None), (query, "xen.needs_eoi", "kernel.xen.irqs[24].needs_eoi"),
            (1, "action.start", "actions[0]")]
        assert why.chain[1].value == 1 and why_flag in why.chain[1].reason
        assert why.chain[1].stack[0] == "startup_pirq+status_query"
        assert [b[0].path for b in why.chain[0].branches] == ["cpus[0].callback"]


PV_AFFINITY = """
name: pv-affinity
seed: 1
cpus: 2
platform: {kind: xen-pv, xen: "4.19"}
kernel: {version: "6.6"}
devices:
  dev0: {bdf: "00:05.0", kind: generic, passthrough: true, msix: {table_size: 2}}
run:
  - {at: 0, do: probe, dev: dev0, mode: msix, vectors: 1}
  - {at: 1ms, do: set_affinity, dev: dev0, vector: 0, cpu: 1}
"""


def test_a_xen_pirq_irqs_cpu_change_does_not_read_as_vector_0() -> None:
    """irqs[24].cpu of a PV pirq irq moved by xen_set_affinity_irq (its port rebound to vCPU1) is that
    rebind; its reason said "irq 24 gets vector 0x0 on CPU1" -- the irq has no x86 vector at all."""
    from tests.conftest import scenario
    s = Session(scenario(PV_AFFINITY))
    s.run()
    for path in ("irqs[24].cpu", "irqs[24].vector"):
        head = s.why(path).chain[0]
        assert head.link == "irq.vector" and head.stack[0] == "xen_set_affinity_irq+rebind"
        assert "irq 24 gets no x86 vector on CPU1 (a Xen pirq irq: its event channel delivers it" in head.reason
        assert "0x0" not in head.reason


HVM_BIND = """
name: hvm-bind-migrate
seed: 1
cpus: 2
platform: {kind: xen-hvm, xen: "4.19"}
kernel: {version: "6.6"}
devices:
  dev0: {bdf: "00:05.0", kind: generic, passthrough: true, msix: {table_size: 2}}
run:
  - {at: 0, do: probe, dev: dev0, mode: msix, vectors: 1}
"""


def test_a_bind_time_hvm_migrate_pirq_names_the_destination_that_chose_the_vcpu() -> None:
    """pt_irq_create_bind's hvm_migrate_pirq: the reason names what hvm_girq_dest_2_vcpu_id matched -- gflags'
    destination id, from the guest's message by QEMU's msi_gflags -- not only the vCPU it chose."""
    from tests.conftest import scenario
    s = Session(scenario(HVM_BIND))
    s.run()
    hirq = max(s.world["xen"]["irqs"])
    head = s.why(f"xen.irqs[{hirq}].move").chain[0]
    assert head.stack[0] == "xen_pt_msix_update_one+bind" and head.value == 1
    assert ("hvm_migrate_pirq(vCPU1) for pirq 101: hvm_girq_dest_2_vcpu_id matched gflags' destination 0x2 "
            "(QEMU's msi_gflags: the guest message's destination id) to vCPU1") in head.reason
