"""xenqemu3: Xen / QEMU xen-pt gaps, each as the source has it.

* 64b21662b1 "x86/msi: passthrough all MSI-X vector ctrl writes to device model" (Xen 4.19.0-rc1,
  no stable backport): ``_msixtbl_write`` returns X86EMUL_UNHANDLEABLE after ``msixtbl_write``
  handled a Vector Control write, so QEMU gets every one (``platform.xen_dm_msix_all_writes``).
* QEMU maps its emulated MSI-X table only while the guest's (emulated) Memory Space bit is set
  (xen_pt_pci_write_config -> pci_default_write_config -> pci_update_mappings); setting it again
  runs xen_pt_msix_update_remap (xen_pt_region_update): every entry with a pirq is unbound and
  bound again with the latched Vector Control (qemu-xen 4.7.0-rc4 hw/xen/xen_pt.c). With the
  region unmapped an access Xen does not handle reaches no QEMU handler: Xen's null handler when
  QEMU is an ioreq server (qemu-xen 4.6+, ``platform.qemu_ioreq_server``), QEMU's unassigned
  memory before.
* The scenario's raw ``write`` to a passed-through device goes where the guest's own accesses go
  (QEMU / Xen on xen-hvm, pciback on xen-pv), not to the device.
"""

from __future__ import annotations

import pytest

from msidbg.behaviour import resolve
from tests.conftest import events_of, run_to_end, scenario, totals

NATIVE = """
name: xenqemu3
cpus: 2
platform: {{kind: xen-hvm, xen: "{xen}"{extra}}}
kernel: {{version: "6.6"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}}
  - {{at: 3ms, do: free_irq, dev: eth0, vector: 0}}
{more}"""


@pytest.mark.parametrize(("xen", "forward"), [("4.18", False), ("4.18.6", False), ("4.19", True), ("4.22", True)])
def test_vector_control_forwarding_starts_in_419(xen: str, forward: bool) -> None:
    assert resolve("xen-hvm", xen=xen).plain()["xen_dm_msix_all_writes"] is forward


@pytest.mark.parametrize(("xen", "latched"), [("4.18", 0), ("4.19", 1)])
def test_from_419_qemu_sees_the_mask_xen_handled(xen: str, latched: int) -> None:
    """free_irq masks entry 0 (native MSI-X: the guest has no pirqs from 4.19, and none here on 4.18
    either). Xen's intercept owns the bound entry and records the guest's bit; before 64b21662b1
    QEMU never hears of it and its emulated Vector Control keeps the unmask request_irq left there;
    from it QEMU serves the same write after Xen (the vCPU waits for it) and latches the mask."""
    extra = ", xen_hvm_pirqs: false" if xen == "4.18" else ""
    eng = run_to_end(scenario(NATIVE.format(xen=xen, extra=extra, more="")))
    x = eng.w["xen"]
    assert x["irqs"][x["entry_irq"]["eth0#0"]]["guest_masked"] is True
    assert eng.w["qemu"]["devs"]["eth0"]["msix"]["entries"][0]["latch"][3] == latched
    masks = [e for e in events_of(eng, "qemu.msix_write") if e.fields["entry"] == 0 and e.fields["value"] == 1
             and e.time_ns >= 3_000_000]
    assert bool(masks) is bool(latched)
    assert totals(eng, "eth0")["delivered"] == 3


TOGGLE = """
  - {at: 4ms, do: write, dev: eth0, target: config, offset: 4, value: 0x0004, size: 2}
  - {at: 5ms, do: write, dev: eth0, target: config, offset: 4, value: 0x0006, size: 2}
  - {at: 6ms, do: fire, dev: eth0, vector: 1, count: 3, every: 10us}
"""


def _toggle(xen: str, extra: str) -> str:
    return NATIVE.format(xen=xen, extra=extra, more=TOGGLE).replace("vector: 0}", "vector: 1}")


@pytest.mark.parametrize(("extra", "unmasked"), [(", xen_hvm_pirqs: false", True),
                                                 (", xen_hvm_pirqs: false, xen_dm_msix_all_writes: true", False)])
def test_a_stale_qemu_mask_unmasks_a_freed_vector_at_the_bar_remap(extra: str, unmasked: bool) -> None:
    """free_irq masks entry 1 through Xen. The guest turns Memory Space off and on: QEMU re-binds
    every entry (xen_pt_msix_update_remap) with its latched Vector Control. Before 64b21662b1 that is
    the stale 0 of request_irq's unmask, so QEMU asks Xen to unmask (XEN_DOMCTL_VMSI_X86_UNMASKED,
    4.10+) an entry the guest masked, with the old message: the device's signals reach a vector with
    no handler. With Xen forwarding the mask QEMU takes the entry's latched (deactivated) message
    instead and leaves it masked."""
    eng = run_to_end(scenario(_toggle("4.18", extra)))
    x = eng.w["xen"]
    unbinds = [e for e in events_of(eng, "qemu.unbind_pirq") if e.time_ns >= 5_000_000]
    assert {e.fields["entry"] for e in unbinds} == {0, 1}       # the remap touches every bound entry
    assert eng.w["devices"]["eth0"]["msix"]["table"][1]["ctrl"] & 1 == (0 if unmasked else 1)
    assert ("eth0#1" in x["entry_irq"]) is unmasked
    assert (totals(eng, "eth0")["spurious"] > 0) is unmasked
    assert totals(eng, "eth0")["delivered"] == 3        # vector 0's, before the toggle


@pytest.mark.parametrize(("xen", "delivered"), [("4.5", 3), ("4.9", 0), ("4.10", 3)])
def test_the_remap_rebind_leaves_the_entry_guest_masked_on_46_to_49(xen: str, delivered: int) -> None:
    """The remap's new pt_irq_create_bind starts the host irq again: from 4.6 the MSI starts
    guest-masked (84d6add5593d) and only 4.10's XEN_DOMCTL_VMSI_X86_UNMASKED (69d99d1b22, with
    qemu-xen-4.10) clears it for an entry the guest has unmasked. 4.5 has no guest mask bit. A guest
    with native MSIs (no event channel bind to clear it)."""
    text = NATIVE.format(xen=xen, extra=", xen_hvm_pirqs: false", more=TOGGLE.replace("vector: 1", "vector: 0"))
    text = text.replace("  - {at: 3ms, do: free_irq, dev: eth0, vector: 0}\n", "")
    eng = run_to_end(scenario(text))
    assert totals(eng, "eth0")["delivered"] == 3 + delivered


def test_with_memory_space_off_a_table_write_reaches_no_qemu_handler() -> None:
    """Memory Space off: entry 1's address write (an entry Xen claims: it is bound) is Xen's to
    shadow and pass on, but no ioreq server has the range -- dropped (qemu-xen 4.6+); a qemu-xen-4.5
    device model, the default server, gets it and its unassigned memory drops it."""
    more = """  - {at: 4ms, do: write, dev: eth0, target: config, offset: 4, value: 0x0004, size: 2}
  - {at: 5ms, do: write, dev: eth0, target: msix-table, offset: 16, value: 0xfee01000}
"""
    eng = run_to_end(scenario(NATIVE.format(xen="4.19", extra="", more=more)))
    assert [e.fields["reg"] for e in events_of(eng, "xen.null_io")] == ["addr_lo"]
    assert eng.w["qemu"]["devs"]["eth0"]["msix"]["entries"][1]["latch"][0] != 0xFEE01000
    old = NATIVE.format(xen="4.5", extra=", qemu: qemu-xen-4.5", more=more)
    eng = run_to_end(scenario(old))
    dropped = [e for e in events_of(eng, "qemu.msix_write") if "unmapped" in str(e.fields["how"])]
    assert len(dropped) == 1 and not events_of(eng, "xen.null_io")


def test_a_raw_write_on_xen_hvm_goes_through_qemu() -> None:
    """Memory Space off in a raw Command write: QEMU keeps the decode bits emulated, the device
    keeps decoding (before, the raw write reached the device and switched it off). A 2-byte table
    write is refused by QEMU's memory core; a 4-byte one is latched by QEMU, not written to the
    device."""
    more = """  - {at: 4ms, do: write, dev: eth0, target: msix-table, offset: 16, value: 0x1234, size: 2}
  - {at: 5ms, do: write, dev: eth0, target: msix-table, offset: 24, value: 0x0041}
  - {at: 6ms, do: write, dev: eth0, target: config, offset: 4, value: 0x0004, size: 2}
"""
    eng = run_to_end(scenario(NATIVE.format(xen="4.19", extra="", more=more)))
    dev = eng.w["devices"]["eth0"]
    assert dev["cmd"] & 0x2 and not eng.w["qemu"]["devs"]["eth0"]["cmd"] & 0x2
    assert [e.fields["offset"] for e in events_of(eng, "ioreq.cfg_write") if e.time_ns >= 6_000_000] == [4]
    how = [str(e.fields["how"]) for e in events_of(eng, "qemu.msix_write") if e.time_ns >= 4_000_000]
    assert how[0].startswith("addr_lo dropped: 2-byte") and how[1] == "data stored"
    assert eng.w["qemu"]["devs"]["eth0"]["msix"]["entries"][1]["latch"][2] == 0x41
    assert dev["msix"]["table"][1]["data"] != 0x41


MOVE = """
name: xenqemu3-move
cpus: 2
platform: {{kind: xen-hvm, xen: "4.6"}}
kernel: {{version: "{kernel}"}}
{extra}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 2ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}}
  - {{at: 3ms, do: fire, dev: eth0, vector: 0, count: 4, every: 10us}}
"""


@pytest.mark.parametrize(("kernel", "clear_first"), [("4.5", False), ("4.6", True), ("5.10", True)])
def test_eoi_pirq_moves_before_clearing_before_ff1e22e7(kernel: str, clear_first: bool) -> None:
    """A pending move (before 5.11's immediate affinity) is applied by the next interrupt's eoi_pirq.
    Before ff1e22e7a638 ("xen/events: Mask a moving irq") irq_move_irq ran first: mask, rebind,
    unmask -- the still-pending channel is signalled to the new vCPU -- and only then clear_evtchn.
    From it the event is cleared under the mask before the channel moves. The signal is an
    EVTCHNOP_unmask's vcpu_kick: the new vCPU takes that upcall at its next VM entry, after the old
    vCPU's clear (xen29, reading xen.evtchn.remote-kick: ``xen.kick``), and finds nothing."""
    eng = run_to_end(scenario(MOVE.format(kernel=kernel, extra="")))
    late = [e for e in eng.log.events(1, len(eng.log) + 1) if e.time_ns >= 3_000_000]
    order = [e.kind for e in late if e.kind in ("evtchn.clear", "xen.hypercall")
             and e.fields.get("op", "EVTCHNOP_bind_vcpu") == "EVTCHNOP_bind_vcpu"][:2]
    assert order == (["evtchn.clear", "xen.hypercall"] if clear_first else ["xen.hypercall", "evtchn.clear"])
    first_clear = next(e for e in late if e.kind == "evtchn.clear")
    assert [e for e in late if e.cpu == 1 and e.index < first_clear.index] == []
    kicks = [e for e in late if e.kind == "xen.kick"]
    if clear_first:     # the port is no longer pending at the unmask after the move: nothing to kick
        assert kicks == []
    else:
        assert [(k.fields["vcpu"], k.fields["how"]) for k in kicks] == [(1, "upcall; the port is no longer pending")]
        assert kicks[0].index > first_clear.index
        assert next(e for e in late if e.cpu == 1).index == kicks[0].index + 1
    assert totals(eng, "eth0")["delivered"] == 4


def test_before_ff1e22e7_one_event_can_run_the_handler_on_both_vcpus() -> None:
    """Under a random schedule the new vCPU's upcall (from the unmask of the still-pending channel)
    may take the event before the old vCPU clears it: it finds the irq in progress on the old vCPU
    (IRQS_PENDING, mask_ack_pirq) and the old vCPU's loop runs the action once more for an event it
    has already handled -- the double invocation ff1e22e7 was written for. Never from 4.6. The
    unmask from the old vCPU is an EVTCHNOP_unmask (the channel is pending; FIFO) whose vcpu_kick
    reaches the new vCPU at its next VM entry, costs.hypercall + costs.ipi later (xen29, reading
    xen.evtchn.remote-kick): in the ordered baseline the old vCPU's clear comes first (no double
    run); a random schedule within a 1 us window can put the kick first -- a latency race, which is
    what the commit describes ('may pick up our event'). (A 5 us random window reorders the old
    vCPU's single step past the new vCPU's several so often that it hides it.)"""
    extra = "schedule: random\ntiming: {window: 1us, jitter: 30%}"

    def empty_runs(kernel: str, seeds: int = 40, extra: str = extra) -> int:
        n = 0
        for seed in range(1, seeds + 1):
            eng = run_to_end(scenario(MOVE.format(kernel=kernel, extra=extra)), seed)
            n += sum(1 for e in events_of(eng, "irq.handler") if e.fields["signals"] == 0)
            assert totals(eng, "eth0")["delivered"] == 4
        return n

    assert empty_runs("4.5") > 0 and empty_runs("4.5", 1, "") == 0
    assert empty_runs("4.6") == 0 and empty_runs("4.6", 1, "") == 0


@pytest.mark.parametrize(("xen", "phys_mask", "unmap", "mask_emulated"), [
    ("4.0", True, False, False), ("4.1.6", True, False, False), ("4.2", False, False, False),
    ("4.4", False, False, False), ("4.4.2", False, True, False), ("4.4.3", False, True, True),
    ("4.5", False, True, False),
    ("4.5.1", False, True, True), ("4.6", False, True, True), ("4.20", False, True, True)])
def test_qemu_traditional_rows_follow_the_xen_tags(xen: str, phys_mask: bool, unmap: bool, mask_emulated: bool) -> None:
    """qemu-xen-traditional at the xen-X.Y.Z tags: 56d7747a (xen-4.2.0) maps the table read-only and
    drops mask_physical_msix_entry; d0395cc4 (xen-4.5.0; 8a7abb16 4.3.3, 6ae4e588 4.4.1) unbinds and unmaps on
    Enable cleared (audit18: the backports were missing);
    XSA-129 df0abbff (xen-4.6.0; 1e2a2be0 4.4.3, 7f99bb9c 4.5.1) emulates the MSI mask bits. The
    drop of a write to a live entry (on the physical Vector Control) is in every tag read."""
    b = resolve("xen-hvm", xen=xen, qemu="qemu-traditional").plain()
    assert (b["qemu_writes_phys_mask"], b["qemu_unmap_pirq_on_msi_disable"], b["qemu_msi_mask_emulated"]) == (
        phys_mask, unmap, mask_emulated)
    assert b["qemu_msix_latch"] is False and b["qemu_ioreq_server"] is False


@pytest.mark.parametrize(("xen", "writes"), [("4.1", True), ("4.2", False)])
def test_qemu_traditional_before_42_writes_the_guests_mask_to_the_device(xen: str, writes: bool) -> None:
    """Xen 4.1's qemu-traditional (libxl's default device model) writes the guest's mask bit to the
    physical entry after every Vector Control write it sees (mask_physical_msix_entry); 4.2's does not."""
    text = """
    name: trad
    cpus: 2
    platform: {{kind: xen-hvm, xen: "{xen}"}}
    kernel: {{version: "4.9"}}
    devices:
      eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 3}}}}
    run:
      - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 3}}
    """
    eng = run_to_end(scenario(text.format(xen=xen)))
    by_qemu = [e for e in events_of(eng, "msix.write") if e.cpu is None and e.fields["reg"] == "ctrl"]
    assert bool(by_qemu) is writes


def test_a_raw_table_write_on_xen_pv_goes_through_pcifront() -> None:
    """A PV guest's table is read-only to it: the raw write never reaches the device -- it is a page fault
    Xen emulates only for the hardware domain, and the domU's task oopses (kernel26; it was dropped)."""
    text = """
    name: pv-raw
    cpus: 2
    platform: {kind: xen-pv, xen: "4.19"}
    kernel: {version: "6.6"}
    devices:
      eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 2}}
    run:
      - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
      - {at: 2ms, do: write, dev: eth0, target: msix-table, offset: 24, value: 0x41}
    """
    eng = run_to_end(scenario(text))
    assert not [e for e in events_of(eng, "pcifront.dropped") if e.fields["space"] == "msix-table"]
    assert [e.fields["result"] for e in events_of(eng, "action.done") if e.fields["do"] == "write"] == [-14]
    assert eng.w["devices"]["eth0"]["msix"]["table"][1]["data"] != 0x41
