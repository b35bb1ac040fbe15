"""``why`` / ``diff`` on held-out scenarios over this session's and the last one's mechanisms (whyheld5):
moving a level IO-APIC irq (levelmove, ioapic_move_keeps_masked), Xen HVM INTx (the machine GSI's host irq,
hvm_dpci_eoi, the eoi_timer), desc->lock across irq_set_affinity, a PV guest's pirq binding.
Each test pins a chain that missed a hop (or a diff) before this round."""

from __future__ import annotations

from msidbg.debugger import Session
from tests.conftest import scenario
from tests.why_helpers import first_hit, links, one


def _run(text: str) -> Session:
    s = Session(scenario(text))
    s.run()
    return s


_links = links


# disable_irq (lazy), a pending move, then eth0 asserts: handle_fasteoi_irq masks the IO-APIC entry (IRQS_PENDING)
# and its ioapic_ack_level applies the move; from df4393424af3 (5.5) the entry stays masked (the core masked
# it), so the doorbell's condition waits for enable_irq
LEVEL_DISABLED = """
name: held5-level-disabled
seed: 1
cpus: 2
kernel: {{version: "{version}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, intx: {{pin: A, gsi: 18}}}}
breakpoints: [irq-lost, probe-failed]
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}}
  - {{at: 1ms, on: 1, do: disable_irq, dev: eth0, vector: 0}}
  - {{at: 2ms, on: 1, do: set_affinity, dev: eth0, vector: 0, cpu: 0}}
  - {{at: 3ms, do: fire, dev: eth0, vector: 0}}
  - {{at: 3050us, on: 0, do: doorbell, dev: eth0, vector: 0, timeout: 20us}}
  - {{at: 3200us, on: 1, do: enable_irq, dev: eth0, vector: 0}}
"""


def test_a_condition_behind_a_masked_ioapic_entry_links_the_mask_and_the_disable() -> None:
    """The doorbell's INTx condition was held by IO-APIC entry 18's mask bit: handle_fasteoi_irq's mask_irq of
    the disabled irq (IRQS_PENDING) <- disable_irq. The chain stopped at the condition and its Command write:
    the entry's mask was not a tracked value, so the disable that made the doorbell time out was nowhere."""
    s = _run(LEVEL_DISABLED.format(version="5.5"))
    why = s.why(first_hit(s, "probe-failed"))
    assert _links(why) == [
        ("action.done", "actions[4].result"), ("wait.timeout", "cpus[0].proc.wait"),
        ("intx.cond", "acct.eth0.held[0]"), ("ioapic.mask", "ioapic[18].masked"),
        ("kernel", "irqs[18].pending"), ("kernel", "irqs[18].disabled"), ("action.start", "actions[1]")]
    masked = why.chain[3]
    assert masked.event == one(s, "ioapic.rte", what="masked")
    assert masked.stack[0] == "handle_fasteoi_irq+mask_out" and masked.relation == "held by the mask"
    assert why.chain[5].event == one(s, "irq.disable")
    # the mask bit itself, asked as a path at the end: unmasked by enable_irq's irq_startup
    mk = s.why("ioapic[18].masked")
    assert mk.chain[0].value == 0 and mk.chain[0].event == one(s, "ioapic.rte", what="unmasked",
                                                              test=lambda e: e.time_ns > 3_000_000)
    assert "unmask_ioapic_irq" in mk.chain[0].reason


# Xen 4.17 HVM INTx (guest without pirqs): eth0 (machine GSI 16) and eth1 (machine GSI 17) share guest GSI 18.
# eth0's EOI runs hvm_dpci_eoi for both girqs: eth1's pirq's uint16_t pending wraps to 65535, so eth1's own EOI
# leaves it at 65535 (no pirq_guest_eoi): its host irq stays in flight until the 1 ms eoi_timer, and the
# doorbell's signal times out behind it
HVM_INTX_WRAP = """
name: held5-hvm-intx-wrap
seed: 1
cpus: 2
platform: {kind: xen-hvm, xen: "4.17", xen_hvm_pirqs: false}
kernel: {version: "5.15"}
devices:
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: B, gsi: 16}}
  eth1: {bdf: "00:10.0", kind: nic, passthrough: true, intx: {pin: A, gsi: 17}}
breakpoints: [irq-lost, probe-failed]
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 0, on: 1, do: probe, dev: eth1, mode: intx, vectors: 1}
  - {at: 1ms, do: fire, dev: eth0, vector: 0}
  - {at: 2ms, do: fire, dev: eth1, vector: 0}
  - {at: 2100us, on: 1, do: doorbell, dev: eth1, vector: 0, timeout: 200us}
"""


def test_an_hvm_intx_condition_held_by_xens_in_flight_host_irq_reaches_the_pending_wrap() -> None:
    """The doorbell's condition links the host irq of machine GSI 17 still in flight (Remote IRR set): eth1's
    EOI left pending 65535 (no pirq_guest_eoi) <- do_IRQ_guest's pending++ <- eth0's EOI, whose hvm_dpci_eoi
    decremented eth1's pirq 0 -> 65535 <- eth0's interrupt. The chain stopped at the condition."""
    s = _run(HVM_INTX_WRAP)
    why = s.why(first_hit(s, "probe-failed"))
    eois = [lk.event for lk in why.chain if lk.kind == "apic.eoi"]
    assert _links(why)[:6] == [
        ("action.done", "actions[4].result"), ("wait.timeout", "cpus[1].proc.wait"),
        ("intx.cond", "acct.eth1.held[0]"), ("xen", "xen.pirqs[17].bound"), ("xen", "xen.pirqs[17].bound"),
        ("xen", "xen.pirqs[17].bound")]
    assert [lk.relation for lk in why.chain[3:6]] == ["because of", "the pending count it changed",
                                                      "the pending count it changed"]
    assert [lk.value for lk in why.chain[3:6]] == [65535, 0, 65535]
    assert why.chain[4].kind == "xen.intx" and "do_IRQ_guest" in why.chain[4].reason
    # the wrap is eth0's EOI (the first guest EOI), in the handler of eth0's interrupt
    first_eoi = min(e.index for e in s.events(1, s.total + 1) if e.kind == "apic.eoi")
    assert eois == [why.chain[3].event, first_eoi] and why.chain[5].event == first_eoi
    assert why.chain[6].link == "accept" and why.chain[7].link == "irr.level" and why.chain[8].dev == "eth0"
    # the count as a path
    pend = s.why("xen.intx.m[17].pending")
    assert pend.chain[0].value == 65535 and pend.chain[0].path == "xen.intx.m[17].pending"


PV_MSI_REMOVED = """
name: held5-pv-msi-removed
seed: 1
cpus: 2
platform: {kind: xen-pv, xen: "4.9"}
kernel: {version: "4.14"}
devices:
  d1: {bdf: "00:06.0", kind: generic, passthrough: true, msi: {vectors: 1, per_vector_mask: false}}
breakpoints: [irq-lost]
run:
  - {at: 0, on: 0, do: probe, dev: d1, mode: msi, vectors: 1}
  - {at: 2ms, on: 0, do: remove, dev: d1}
  - {at: 3ms, do: fire, dev: d1, vector: 0}
"""


def test_a_signal_after_msi_was_disabled_links_the_write_as_the_disable() -> None:
    """d1 (MSI only, no INTx# pin) signals after remove: the loss links pciback's MSI Message Control write
    (xen_pcibk_disable_msi for pcifront's XEN_PCI_OP_disable_msi) that cleared Enable -- as "MSI disabled
    by"; it read "MSI enabled", the relation of a message sent while MSI was on."""
    s = _run(PV_MSI_REMOVED)
    why = s.why(first_hit(s, "irq-lost"))
    assert _links(why) == [("lost", "acct.d1.lost[0]"), ("msi.reg", "devices.d1.msi.ctrl"),
                           ("action.start", "actions[1]")]
    ctl = why.chain[1]
    assert ctl.relation == "MSI disabled by" and ctl.value == 0x80 and ctl.actor == "pciback in dom0"
    assert ctl.event == one(s, "xen.hypercall", op="XEN_PCI_OP_disable_msi")


# PV (4.16, no vMSI-X intercept: redteam15): disable_irq masks the pirq's event channel (disable_dynirq); two
# signals reach Xen (the second coalesces on the pending port); free_irq's EVTCHNOP_close loses them
PV_MASKED_CLOSE = """
name: held5-pv-masked-close
seed: 1
cpus: 2
platform: {kind: xen-pv, xen: "4.16"}
kernel: {version: "5.10"}
devices:
  d0: {bdf: "00:05.0", kind: generic, passthrough: true, msix: {table_size: 2}}
breakpoints: [irq-lost]
run:
  - {at: 0, on: 0, do: probe, dev: d0, mode: msix, vectors: 2}
  - {at: 1ms, on: 1, do: disable_irq, dev: d0, vector: 0}
  - {at: 1100us, do: fire, dev: d0, vector: 0, count: 2, every: 10us}
  - {at: 1200us, on: 1, do: free_irq, dev: d0, vector: 0}
"""


def test_signals_pending_on_a_masked_port_at_its_close_link_the_guests_mask() -> None:
    """The loss at EVTCHNOP_close: the port's pending bit <- (coalesced) the send that set it <- the port's mask
    (disable_irq's disable_dynirq) that kept it from the guest <- the disable_irq action. The chain followed the
    coalesced send's message to the table entry and never named the mask (the guest's masking of a port was
    not recorded)."""
    s = _run(PV_MASKED_CLOSE)
    why = s.why(first_hit(s, "irq-lost"))
    sends = [e.index for e in s.events(1, s.total + 1) if e.kind == "xen.pirq" and e.dev == "d0"]
    assert _links(why) == [("lost", "acct.d0.lost[0]"), ("xen", "xen.ports[1].pending"),
                           ("xen", "xen.ports[1].pending"), ("guest", "xen.ports[1].masked"),
                           ("action.start", "actions[1]")]
    assert [lk.event for lk in why.chain[1:3]] == sends[::-1]
    mask = why.chain[3]
    assert mask.event == one(s, "evtchn.mask", port=1, masked=1, test=lambda e: 1_000_000 <= e.time_ns < 1_100_000)
    assert mask.stack == ["driver_disable_irq+mask"] and mask.relation == "held by the mask"
    assert mask.value == 1 and mask.reason.endswith("masks event channel 1")


# Xen 4.20 HVM INTx: usb0 (no driver) shares machine GSI 19 with eth0; the guest's irq 18 takes 100,000
# unhandled interrupts (each host EOI re-fires the still asserted line) and note_interrupt disables it
HVM_NOBODY = """
name: held5-hvm-nobody
seed: 1
cpus: 2
platform: {kind: xen-hvm, xen: "4.20"}
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: B, gsi: 19}}
  usb0: {bdf: "00:10.0", kind: xhci, passthrough: true, intx: {pin: A, gsi: 19}}
breakpoints: [irq-lost, probe-failed]
run:
  - {at: 0, on: 1, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 2ms, do: fire, dev: usb0, vector: 0}
  - {at: 300ms, on: 0, do: doorbell, dev: eth0, vector: 0, timeout: 10ms}
"""


def test_the_hvm_nobody_cared_chain_reaches_the_condition_not_every_host_eoi() -> None:
    """usb0's loss: note_interrupt's disable <- the interrupt it counted <- the vIOAPIC's IRR bit <- Xen's host
    irq of machine GSI 19 <- usb0's INTx condition. The host irq's record linked the guest EOI step that re-fired
    it (in the handler of the interrupt before), so the chain walked the 100,000 interrupts back one by one and
    ended, cut by its depth, in the middle of the storm."""
    s = _run(HVM_NOBODY)
    why = s.why(first_hit(s, "irq-lost", "usb0"))
    assert [lk.link for lk in why.chain] == ["lost", "kernel", "accept", "irr.level", "xen", "intx.cond",
                                             "initial"]
    assert why.chain[1].event == one(s, "irq.nobody_cared")
    host = why.chain[4]
    assert host.path == "xen.pirqs[19].bound" and "machine GSI 19 asserted by usb0" in host.reason
    assert host.relation == "because of" and host.stack == []
    assert why.chain[5].event == one(s, "intx.assert", dev="usb0") and why.chain[5].relation == "INTx# asserted by"
    late = s.why(first_hit(s, "probe-failed"))
    assert [lk.link for lk in late.chain][:4] == ["action.done", "wait.timeout", "intx.cond", "kernel"]
    assert late.chain[-2].event == why.chain[5].event


OFFLINE_TARGET = """
name: held5-offline-target
seed: 1
cpus: 3
kernel: {version: "6.1"}
platform: {interrupt_remapping: true}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
breakpoints: [irq-lost]
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 1ms, on: 0, do: cpu_offline, cpu: 2}
  - {at: 2ms, on: 1, do: set_affinity, dev: eth0, vector: 0, cpu: 2}
"""


def test_an_affinity_error_for_an_offline_only_mask_links_the_offline() -> None:
    """write_irq_affinity's cpumask_intersects(new_value, cpu_online_mask) check (from cba6437a1854, 5.6: no
    irq_select_affinity_usr fallback) fails -EINVAL: the action's error links CPU2's offline, which left the
    mask without an online CPU; it linked nothing but the action's start."""
    s = _run(OFFLINE_TARGET)
    why = s.why("actions[2].result")
    # (dyingdrain) CPU1 goes on at the offline's MULTI_STOP_EXIT, before CPU2 is marked offline: CPU2 is out of
    # cpu_online_mask since its take_cpu_down, and the error links the offline's request
    assert _links(why) == [("action.done", "actions[2].result"), ("kernel", "actions[2].error"),
                           ("action.start", "actions[1]")]
    assert why.chain[0].value == -22 and why.chain[1].stack[0] == "write_irq_affinity+write_affinity"
    assert why.chain[2].event == one(s, "action.start", do="cpu_offline") and why.chain[2].relation == "because of"
    assert why.chain[1].event < one(s, "cpu.offline")


HVM_INTX_FREED = """
name: held5-hvm-intx-freed
seed: 1
cpus: 2
platform: {kind: xen-hvm, xen: "4.18", xen_hvm_pirqs: false}
kernel: {version: "6.1"}
devices:
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: A, gsi: 22}}
breakpoints: [irq-lost]
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 1ms, on: 0, do: free_irq, dev: eth0, vector: 0}
  - {at: 2ms, do: fire, dev: eth0, vector: 0}
"""


def test_a_condition_lost_behind_a_freed_lines_masked_entry_links_the_mask() -> None:
    """free_irq of the guest's only action on GSI 17 deactivates the vIOAPIC entry (ioapic_mask_entry); eth0's
    later condition is lost "whose IO-APIC entry was masked": the loss links that mask (a branch beside the
    condition, the more recent). It linked the condition alone."""
    s = _run(HVM_INTX_FREED)
    why = s.why(first_hit(s, "irq-lost"))
    assert [lk.link for lk in why.chain][:2] == ["lost", "intx.cond"]
    masks = [b[0] for b in why.chain[0].branches if b[0].path == "ioapic[17].masked"]
    assert len(masks) == 1 and masks[0].relation == "held by the mask" and masks[0].value == 1
    assert masks[0].event == one(s, "ioapic.rte", what="masked (deactivated)")
    assert masks[0].stack[0] == "ioapic_mask_entry+clear_rte"
