"""``why`` on held-out scenarios over revision 8's mechanisms (whyheld4): legacy INTx (shared level lines,
note_interrupt's "nobody cared", poll_spurious_irqs, pci_intx), Xen's host irq moves (EVTCHNOP_bind_vcpu,
hvm_migrate_pirqs, vcpu_migrate, a plain MSI torn by Xen's live rewrite, pirq_guest_bind's order).
Each test pins one chain that was wrong, missing a hop or ending early before this round.
"""

from __future__ import annotations

from msidbg.debugger import Session
from tests.conftest import scenario
from tests.why_helpers import SCN, events, first_hit, one


def _run(text: str) -> Session:
    s = Session(scenario(text))
    s.run()
    return s


def _links(why: object) -> list[tuple[int, str, str | None]]:
    return [(lk.event, lk.link, lk.path) for lk in why.chain]  # type: ignore[attr-defined]


# eth0 with MSI, removed (pci_msi_shutdown clears MSI Enable, then pci_intx(dev, 1) clears Interrupt Disable,
# then pci_disable_device clears Bus Master), then the device signals: an INTx condition on GSI 16, whose
# IO-APIC entry nobody requested (masked)
MSI_THEN_INTX = """
name: msi-then-intx
seed: 1
cpus: 2
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msi: {vectors: 1}, intx: {pin: A, gsi: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msi, vectors: 1}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 2, every: 10us}
  - {at: 2ms, on: 0, do: remove, dev: eth0}
  - {at: 3ms, do: fire, dev: eth0, vector: 0}
breakpoints: [irq-lost]
"""


def test_an_intx_condition_links_the_write_that_cleared_interrupt_disable() -> None:
    """INTx# follows Command.Interrupt Disable: the condition links pci_intx's write in pci_disable_msi (which
    cleared it), not pci_disable_device's later Bus Master clear (the register's last write, which left the
    bit as it was); the MSI disable is a branch."""
    s = _run(MSI_THEN_INTX)
    why = s.why(first_hit(s, "irq-lost"))
    cmd = next(lk for lk in why.chain if lk.path == "devices.eth0.cmd")
    assert cmd.stack[0] == "pci_intx+write_cmd" and "pci_intx_for_msi+return" in cmd.stack
    assert cmd.value == 0x6
    held = next(lk for lk in why.chain if lk.path == "acct.eth0.held[0]")
    assert [b[0].path for b in held.branches] == ["devices.eth0.msi.ctrl"]
    assert [lk.link for lk in why.chain] == ["lost", "intx.cond", "pci.cmd", "action.start"]


def test_the_nobody_cared_loss_reaches_the_condition_nobody_serviced() -> None:
    """intx-nobody-cared's usb0 loss: note_interrupt's disable (the reason the loss names) <- the interrupt
    it counted <- the IRR bit the IO-APIC's level entry set <- usb0's INTx condition (no driver). The chain
    stopped at the condition with the disable nowhere; the IO-APIC recorded no IRR bit at all."""
    s = Session.from_scenario(str(SCN / "intx-nobody-cared.yaml"))
    s.run()
    why = s.why(first_hit(s, "irq-lost", "usb0"))
    nobody = one(s, "irq.nobody_cared")
    cond = one(s, "intx.assert", dev="usb0")
    assert [lk.link for lk in why.chain] == ["lost", "kernel", "accept", "irr.level", "intx.cond",
                                             "initial"]
    assert why.chain[1].path == "irqs[16].disabled" and why.chain[1].event == nobody
    assert why.chain[1].stack[0] == "handle_fasteoi_irq+note"
    assert why.chain[3].path == "cpus[1].irr[0x20]" and why.chain[4].event == cond
    # the NIC's timeout: its condition waited behind the disabled irq, which the usb0 condition caused
    tw = s.why(first_hit(s, "probe-failed"))
    assert [lk.link for lk in tw.chain] == ["action.done", "wait.timeout", "intx.cond", "kernel", "accept",
                                            "irr.level", "intx.cond", "initial"]
    assert tw.chain[3].event == nobody and tw.chain[6].event == cond
    # IRQS_PENDING was set by handle_fasteoi_irq on the disabled irq, not "since the allocation"
    pend = s.why("irqs[16].pending")
    assert pend.chain[0].stack[0] == "handle_fasteoi_irq+lock" and pend.chain[0].event > nobody
    assert pend.chain[1].path == "irqs[16].disabled"
    # the IO-APIC entry's mask (untracked: its last change) is mask_irq, for the IRQS_PENDING of the disabled irq
    mk = s.why("ioapic[16].masked")
    assert mk.chain[0].link == "ioapic.mask" and mk.chain[0].stack[0] == "handle_fasteoi_irq+mask_out"
    assert [lk.path for lk in mk.chain[1:3]] == ["irqs[16].pending", "irqs[16].disabled"]
    # the poll timer note_interrupt armed
    poll = next(e for e in events(s, "irq.poll") if "expired: poll_spurious_irqs" in str(e))
    pw = s.why(poll.index)
    # (whyheld10: through the timer's arm, which note_interrupt's disable made)
    assert pw.chain[0].link == "irq.poll" and [lk.path for lk in pw.chain[1:3]] == ["kernel.spoll", "irqs[16].disabled"]


SHARED_LATE = """
name: shared-claimed-late
seed: 1
cpus: 2
kernel: {version: "6.1"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, intx: {pin: A, gsi: 18}}
  usb0: {bdf: "00:1d.0", kind: xhci, intx: {pin: A, gsi: 18}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 1ms, do: fire, dev: usb0, vector: 0}
  - {at: 300ms, on: 1, do: probe, dev: usb0, mode: intx, vectors: 1}
"""


def test_a_new_shared_action_re_enabling_a_spurious_disabled_irq_is_recorded() -> None:
    """__setup_irq re-enables an irq the spurious detector disabled (__enable_irq): irqs[18].disabled reads
    false, and why answered with note_interrupt's disable (value 1)."""
    s = _run(SHARED_LATE)
    why = s.why("irqs[18].disabled")
    assert why.chain[0].value == 0 and why.chain[0].stack[0] == "__enable_irq+depth_down"
    assert why.chain[1].path == "irqs[18].action" and why.chain[-1].link == "action.start"


XEN_MIGRATE = """
name: hvm-native-migrate
seed: 1
cpus: 2
platform: {kind: xen-hvm, xen: "4.19"}
kernel: {version: "6.6"}
devices:
  dev0: {bdf: "00:05.0", kind: generic, passthrough: true, msi: {vectors: 1, per_vector_mask: false, addr64: false}}
breakpoints: [msi-torn-message, irq-lost]
run:
  - {at: 0, do: probe, dev: dev0, mode: msi, vectors: 1}
  - {at: 1ms, do: set_affinity, dev: dev0, vector: 0, cpu: 1}
  - {at: 1500us, do: vcpu_migrate, vcpu: 1, pcpu: 6}
  - {at: 2ms, do: fire, dev: dev0, vector: 0, count: 3, every: 1400ns}
"""


#: hvmmig27: vCPU 1 is halted at the migration, so its hvm_migrate_pirqs waits for its next wake-up (vmx_do_resume):
#: a signal at 1.2 ms applies set_affinity's move first, one at 1.8 ms wakes vCPU 1 (the schedule-in asks the move)
#: and the 2 ms stream's first ack applies it live. (Without them the 2 ms ack applies set_affinity's move to
#: pCPU 1 and tears the message, and the migration's move comes after.)
XEN_MIGRATE_WOKEN = XEN_MIGRATE.replace(
    "  - {at: 1500us, do: vcpu_migrate, vcpu: 1, pcpu: 6}\n",
    "  - {at: 1200us, do: fire, dev: dev0, vector: 0, count: 1}\n  - {at: 1500us, do: vcpu_migrate, vcpu: 1, pcpu: 6}\n"
    "  - {at: 1800us, do: fire, dev: dev0, vector: 0, count: 1}\n")


def test_a_message_torn_by_a_vcpu_migration_reaches_the_action() -> None:
    """torn <- Xen's live address write (move_native_irq) <- hvm_migrate_pirqs' pending move, asked at the halted
    vCPU's schedule-in <- the vcpu_migrate action (the chain ended at the move: the action recorded nothing)."""
    s = _run(XEN_MIGRATE_WOKEN)
    why = s.why(first_hit(s, "msi-torn-message"))
    mig = one(s, "xen.migrate", test=lambda e: "halted" in str(e))
    resumed = one(s, "xen.migrate", test=lambda e: "schedule-in on pCPU" in str(e))
    assert _links(why)[1:] == [(why.chain[1].event, "xen", "devices.dev0.msi.addr_lo"),
                               (resumed, "xen", "xen.irqs[56].move"), (mig, "action.start", "actions[3]")]
    assert "hvm_migrate_pirqs(vCPU1)" in why.chain[2].reason
    assert "vcpu_migrate vCPU1 -> pCPU6" in why.chain[3].reason
    # the move applied: xen.irqs[56].move reads -1, answered by move_native_irq (it was the request, 6).
    # (Read where the data half of its write_msi_msg lands: since xenhost2 the third signal reaches the new
    # pCPU's vector while the first is still in service on pCPU0 and goes through, so no interrupt comes after
    # QEMU's re-bind asks the move again, and the run ends with that request pending.)
    s.seek(one(s, "xen.msi", test=lambda e: e.time_ns >= 2_000_000))     # the migration's move
    mv = s.why("xen.irqs[56].move")
    assert mv.chain[0].value == -1 and "move_native_irq" in mv.chain[0].reason
    assert mv.chain[1].path == "xen.irqs[56].move" and mv.chain[1].value != -1


XEN_PLAIN_SPLIT = XEN_MIGRATE.replace('xen: "4.19"', 'xen: "4.19", xen_hvm_pirqs: true').replace(
    "  - {at: 1ms, do: set_affinity, dev: dev0, vector: 0, cpu: 1}\n",
    "  - {at: 1ms, do: fire, dev: dev0, vector: 0, count: 2, every: 10us}\n")


def test_the_data_half_of_xens_split_msi_write_links_its_address_half() -> None:
    """The plain MSI's data, written by Xen one config write after the address (evtchn.py ``msi_data``),
    was a leaf: it links the address half, and through it the move that caused both."""
    s = _run(XEN_PLAIN_SPLIT)
    why = s.why(first_hit(s, "msi-torn-message"))
    data = next(br[0] for br in why.chain[0].branches if br[0].path == "devices.dev0.msi.data")
    xmsi = events(s, "xen.msi")[0].index
    br = next(br for br in why.chain[0].branches if br[0].path == "devices.dev0.msi.data")
    assert data.event == xmsi
    assert [lk.path for lk in br[:3]] == ["devices.dev0.msi.data", "devices.dev0.msi.addr_lo", "xen.irqs[56].move"]
    assert br[1].relation == "one half of the pair"


XEN_BIND_45 = """
name: bind-first-45
seed: 1
cpus: 2
platform: {kind: xen-pv, xen: "4.5"}
kernel: {version: "4.4"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 4}}
breakpoints: [msix-write-unmasked]
run:
  - {at: 0, do: vcpu_migrate, vcpu: 0, pcpu: 3}
  - {at: 10us, do: probe, dev: eth0, mode: msix, vectors: 1}
"""


def test_xens_live_rewrite_is_the_hit_and_links_the_unmask_before_it() -> None:
    """Before 1aeb1156fa pirq_guest_bind's set_msi_affinity writes after startup's unmask: the hit's node is
    that write (it was the unmask, the last node before the hit), linked to the unmask."""
    s = _run(XEN_BIND_45)
    why = s.why(first_hit(s, "msix-write-unmasked"))
    assert why.chain[0].path == "devices.eth0.msix.table[0].addr_lo" and why.chain[0].link == "xen"
    assert "set_msi_affinity" in why.chain[0].reason and why.chain[0].stack[0] == "startup_pirq+bind_pirq"
    assert why.chain[1].path == "devices.eth0.msix.table[0].ctrl" and why.chain[1].value == 0
    assert why.chain[1].event == why.chain[0].event


def test_a_repeated_node_says_where_it_is_shown_first() -> None:
    """The default chain is built first, so a branch printed before the rest of the chain may repeat a node
    shown below it: the text and the TUI's Why pane said "(shown above)" for it (QEMU's trapped access here,
    repeated in the data register's branch, first shown further down)."""
    from msidbg.tui.screens.why import marks, rows

    s = _run(XEN_MIGRATE)
    why = s.why(first_hit(s, "msi-torn-message"))
    links = list(rows(why))
    got = marks(links)
    first = {}
    for i, (_, lk) in enumerate(links):
        if not lk.seen:
            first.setdefault(lk.record, i)
    want = ["" if not lk.seen else "(shown below)" if first[lk.record] > i else "(shown above)"
            for i, (_, lk) in enumerate(links)]
    assert got == want and "(shown below)" in got
    text = why.text(width=400)
    assert text.count("(shown below)") == got.count("(shown below)")
    assert text.count("(shown above)") == got.count("(shown above)")
