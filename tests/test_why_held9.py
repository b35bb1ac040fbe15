"""``why`` / ``diff`` on held-out scenarios (whyheld9; tests/heldout_why9/, PREDICTIONS.md written before ``why`` ran):
revision 13's mechanisms -- a level message refused by a software-disabled APIC (Remote IRR left set), a Xen vLAPIC
soft-disabled at an HVM guest's offline, the trapped vLAPIC EOI that releases a non-maskable MSI's host irq, a
sleeper placed by its wakeup (hotplug.fallback_wake), the CPUs nvme_setup_io_queues counts. Each chain test pins a
hop that was missing or wrong on main; each diff test pins the first divergence at the step the version changes."""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from tests.why_helpers import first_hit, links, ran

HELD = Path(__file__).resolve().parent / "heldout_why9"


def _run(name: str) -> Session:
    return ran(name, HELD)


# --- a level message refused by a soft-disabled APIC (kernel.cpu_disable_apic soft-first) -----------------------
def test_a_lost_condition_behind_a_refused_level_message_links_the_soft_disable() -> None:
    """y01 / y02 (held as predicted): loss or timeout <- Remote IRR set at the refused send <- apic_soft_disable in
    take_cpu_down <- the offline."""
    s = _run("y02-soft-ioapic-doorbell-k56")
    why = s.why(first_hit(s, "probe-failed", "doorbell on eth0"))
    assert links(why)[2:] == [("intx.cond", "acct.eth0.held[0]"), ("ioapic.rirr", "ioapic[16].remote_irr"),
                              ("apic.off", "cpus[1].apic_off"), ("action.start", "actions[2]")]
    assert why.chain[4].stack == ["take_cpu_down+cpu_disable"] and "before fixup_irqs" in why.chain[4].reason


def test_diff_of_the_soft_disable_pair_parts_at_native_cpu_disable() -> None:
    a, b = _run("y01-soft-ioapic-lost-k58"), _run("y01-soft-ioapic-lost-k586")
    r = a.diff(b)
    first = r.first
    assert first is not None and first.context == "cpu2.proc"
    assert first.a_info["stack"] == first.b_info["stack"] == ["take_cpu_down+cpu_disable"]
    assert "apic_soft_disable() before fixup_irqs" in first.a_info["text"]
    assert "apic_soft_disable" not in first.b_info["text"]
    assert first.switches["cpu_disable_apic"] == {"a": "soft-first", "b": "soft-after"} and not r.same_outcome


# --- Xen refusing a disabled vLAPIC (platform.xen_vlapic_disabled_refuses) ----------------------------------------
def test_a_vmsi_lost_to_a_disabled_vlapic_links_the_soft_disable() -> None:
    s = _run("y03-xenhvm-vlapic-refuses-x4163")
    why = s.why(first_hit(s, "irq-lost"))
    assert why.chain[0].path == "acct.eth0.lost[0]" and "software-disabled" in why.chain[0].reason
    off = why.chain[0].branches[0]
    assert [(lk.link, lk.path) for lk in off] == [("apic.off", "cpus[2].apic_off"), ("action.start", "actions[3]")]


def test_diff_of_the_vlapic_pair_parts_at_the_message_to_the_disabled_vlapic() -> None:
    a, b = _run("y03-xenhvm-vlapic-refuses-x4162"), _run("y03-xenhvm-vlapic-refuses-x4163")
    r = a.diff(b)
    first = r.first
    assert first is not None and first.context == "xen" and first.a_info["kind"] == "xen.pirq"
    assert "recorded" not in first.a_info and "software-disabled" in first.b_info["recorded"]
    assert first.switches["xen_vlapic_disabled_refuses"] == {"a": False, "b": True} and not r.same_outcome


# --- the trapped vLAPIC EOI (xen.vmsi-eoi-trapped) ---------------------------------------------------------------
def test_a_signal_held_behind_an_unreleased_vmsi_links_the_guests_acceptance_of_it() -> None:
    """y05 with APIC virtualization: the EOI does not trap and the host irq stays in flight; the held signal
    linked "held behind the vector in service" to QEMU's pt_irq_create_bind (main). Now: the guest's acceptance of
    the injected vector whose EOI Xen waits for, and on to the message that put the host irq in flight."""
    s = _run("y05-xenhvm-eoi-trapped-doorbell-x419-apicv")
    why = s.why(first_hit(s, "probe-failed", "doorbell on m1"))
    assert links(why)[:5] == [("action.done", "actions[2].result"), ("wait.timeout", "cpus[0].proc.wait"),
                              ("xen", "acct.m1.held[0]"), ("accept", "cpus[1].isr[0x21]"),
                              ("irr.vmsi", "cpus[1].irr[0x21]")]
    held = why.chain[3]
    # the 1.04 ms message's (event 60 since intx36: +5, the set-up's trapped pci_intx_for_msi; 55 from revision 19's MSI set-up write through QEMU; 50 from revision 17, which takes two earlier Xen-side events out of this run)
    assert held.relation == "held behind the vector in service" and (held.event, held.time_ns) == (60, 1_040_800)
    assert ("xen", "xen.queue.m1[0]") in links(why)


def test_diff_of_the_apicv_pair_parts_at_the_first_guest_eoi() -> None:
    """Nothing recorded the trapped EOI's release: the diff parted at the third message (delivered / held)."""
    a, b = _run("y05-xenhvm-eoi-trapped-doorbell-x419"), _run("y05-xenhvm-eoi-trapped-doorbell-x419-apicv")
    r = a.diff(b)
    first = r.first
    assert first is not None and first.context == "cpu1.irq" and first.a_info["kind"] == "apic.eoi"
    assert "hvm_dpci_msi_eoi" in first.a_info["recorded"] and "recorded" not in first.b_info
    assert first.switches == {"apic_virtualization": {"a": False, "b": True}} and not r.same_outcome
    ans = _run("y05-xenhvm-eoi-trapped-doorbell-x419").why(first.a_info["event"])
    assert any("desc_guest_eoi" in lk.reason for lk in ans.links())


# --- a sleeper placed by its wakeup (hotplug.fallback_wake) -------------------------------------------------------
def test_a_sleepers_timeout_on_an_offline_cpu_links_its_placement_and_the_timeout() -> None:
    """y07: the doorbell's result linked "the last step of the action: CPU1 went offline" -- the last step CPU0's
    process context had run (the cpu_offline action's), not the task's."""
    s = _run("y07-sleeper-timeout-offline-k66")
    why = s.why(first_hit(s, "probe-failed", "doorbell on c"))
    assert links(why) == [("action.done", "actions[2].result"), ("kernel", "actions[2]"),
                          ("wait.timeout", "cpus[1].proc.wait"), ("irq.vector", "irqs[24].vector"),
                          ("action.start", "actions[3]")]
    assert "select_fallback_rq" in why.chain[1].reason and "runs on CPU0" in why.chain[1].reason


def test_a_sleeper_woken_by_its_interrupt_on_an_offline_cpu_links_the_interrupt() -> None:
    """y06: the woken doorbell's result linked the dying CPU's apic_soft_disable (its process context's last step
    was take_cpu_down's); now the placement, then the accepted vector that woke it (enable_irq's replay)."""
    s = _run("y06-sleeper-fallback-k61")
    why = s.why("actions[2].result")
    assert links(why)[:5] == [("action.done", "actions[2].result"), ("kernel", "actions[2]"),
                              ("accept", "cpus[1].isr[0x21]"), ("irr.ipi", "cpus[1].irr[0x21]"),
                              ("kernel", "irqs[24].pending")]
    assert why.chain[2].relation == "the signal waited for"
    # the next action queued on the offline CPU: refused while it is out
    refused = s.why("actions[5].result")
    assert links(refused) == [("action.done", "actions[5].result"), ("cpu.online", "cpus[2].online"),
                              ("action.start", "actions[3]")]


# --- kernel.nvme_queue_cpus ---------------------------------------------------------------------------------------
def test_a_signal_on_a_queue_the_driver_did_not_set_up_links_the_count_and_the_offline_cpu() -> None:
    """y08 (4.12: num_online_cpus()): the loss linked the PBA and the entry mask's initial value only."""
    s = _run("y08-nvme-queues-offline-k412")
    why = s.why(first_hit(s, "irq-lost"))
    br = why.chain[1:]      # (whyheld10: the default chain; the held signal and its reset mask are the branch)
    assert [(lk.link, lk.path) for lk in br] == [("driver", "kernel.pci.nvme1.bound"),
                                                 ("driver.vectors", "actions[1]"), ("cpu.online", "cpus[2].online"),
                                                 ("action.start", "actions[0]")]
    assert "1..3 vectors (one per online CPU)" in br[1].reason


def test_diff_of_the_nvme_pair_parts_at_the_probes_count() -> None:
    a, b = _run("y08-nvme-queues-offline-k412"), _run("y08-nvme-queues-offline-k413")
    r = a.diff(b)
    first = r.first
    assert first is not None and first.a_info["stack"] == ["driver_probe+alloc"]
    assert "one per online CPU" in first.a_info["recorded"] and "one per present CPU" in first.b_info["recorded"]
    assert first.switches["nvme_queue_cpus"] == {"a": "online", "b": "present"} and not r.same_outcome


def test_a_lock_waiter_placed_off_its_offline_cpu_fails_for_the_bind_it_finds() -> None:
    """y10 (added after the others; held): the waiter's -EBUSY links the error and the first probe's bind."""
    s = _run("y10-lock-waiter-offline-k61")
    why = s.why("actions[1].result")
    assert links(why) == [("action.done", "actions[1].result"), ("kernel", "actions[1].error"),
                          ("driver", "kernel.pci.d0.bound"), ("action.start", "actions[0]")]
    assert why.chain[1].stack == ["driver_probe+bound"] and why.chain[1].value == -16
