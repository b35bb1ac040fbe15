"""``why`` / ``diff`` on held-out scenarios (whyheld8; tests/heldout_why8/): multi-MSI, irqfixup / irqpoll, the dying
CPU's interrupt window, fault injection, Xen pirq exhaustion (HVM's PHYSDEVOP_get_free_pirq, PV's pciback map),
raw writes, free_irq with a signal in flight. Each chain test pins a hop that was missing on main (a probe that failed
for want of a pirq linked only its own action; a guest's PHYSDEVOP_get_free_pirq hypercall recorded no holder); the
diff tests pin the first divergence at the step the switch (or the device's quirk) changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from msidbg.debugger import Session
from tests.why_helpers import cli, first_hit, links, ran

HELD = Path(__file__).resolve().parent / "heldout_why8"


def _run(name: str) -> Session:
    return ran(name, HELD)


# --- Xen pirq exhaustion ---------------------------------------------------------------------------------------------
def test_an_hvm_probe_refused_a_pirq_links_xens_refusal_and_what_holds_the_pirqs() -> None:
    """x12: big0 holds 24 of the domain's 32 MSI pirqs; nic1's ninth PHYSDEVOP_get_free_pirq finds none and
    xen_hvm_setup_msi_irqs returns -ENODEV. The error linked only its action; now it links Xen's refusal, whose
    default chain is the last pirq handed out (nic1's own) and whose branch is big0's latest map."""
    s = _run("x12-xenhvm-pirq-exhaust")
    why = s.why(first_hit(s, "probe-failed", "probe on nic1"))
    assert links(why)[:4] == [("action.done", "actions[1].result"), ("kernel", "actions[1].error"),
                              ("xen.refused", "xen.pirqs[70]"), ("xen", "xen.pirqs[70]")]
    err, ref = why.chain[1], why.chain[2]
    assert err.stack[0] == "xen_hvm_setup_msi_irqs+alloc" and err.value == -19
    assert ref.relation == "because of" and ref.value == -28
    assert "no free MSI pirq (-ENOSPC): all 32 (pirqs 70..101) are held: 24 mapped for big0, 8 allocated" in ref.reason
    # whyheld10: a branch per held pirq (the latest write of each), most recent first; the default chain is nic1's own
    # allocation of pirq 70, then its probe -- it walked nic1's allocations up one pirq at a time to big0's pirq 78
    assert [lk.path for lk in why.chain[3:]] == ["xen.pirqs[70]", "actions[1]"]
    assert [br[0].path for br in ref.branches] == [f"xen.pirqs[{p}]" for p in range(71, 102)]
    big0 = ref.branches[7][0]
    assert big0.path == "xen.pirqs[78]" and big0.relation == "what holds it" and "big0 entry 23" in big0.reason


def test_a_pv_probe_refused_by_pcibacks_map_links_the_pirqs_the_guests_hypercalls_took() -> None:
    """x13: 31 PHYSDEVOP_get_free_pirq hypercalls take pirqs; pciback maps eth0's entry 0 on the last one and its
    entry 1's PHYSDEVOP_map_pirq finds none: -ENOSPC. The hypercalls recorded nothing and the error linked only its
    action."""
    s = _run("x13-xenpv-pirq-hypercall-exhaust")
    why = s.why(first_hit(s, "probe-failed", "probe on eth0"))
    assert links(why) == [("action.done", "actions[31].result"), ("kernel", "actions[31].error"),
                          ("xen.refused", "xen.pirqs[70]"), ("xen", "xen.pirqs[70]"), ("action.start", "actions[31]")]
    ref = why.chain[2]
    assert ref.reason.startswith("because of: Xen: PHYSDEVOP_map_pirq (allocate_pirq): no free MSI pirq (-ENOSPC)")
    assert "31 allocated, not mapped yet, 1 mapped for eth0" in ref.reason
    assert "eth0 entry 0" in why.chain[3].reason      # the last free pirq, mapped for entry 0 (unmapped after)
    # the branches (whyheld10: one per held pirq, each to the hypercall that took it; they walked the pirqs above
    # one at a time down to the first hypercall)
    assert [(br[0].path, br[1].path) for br in ref.branches] == [(f"xen.pirqs[{p}]", f"actions[{101 - p}]")
                                                                 for p in range(71, 102)]
    assert all(br[0].stack == ["xen_hypercall+make"] for br in ref.branches)


def test_a_signal_held_on_an_entry_qemu_could_not_map_links_the_failed_map_and_xens_refusal() -> None:
    """x28 (no guest pirqs: QEMU maps one per unmasked entry): big0 holds 30 of the 32 MSI pirqs; QEMU's
    PHYSDEVOP_map_pirq for nic1's entries 2 and 3 fails, nothing binds them and Xen never unmasks the physical
    entries. The guest's probe succeeds; its doorbell on vector 3 times out. The held signal linked "the mask still
    had its initial value" and nothing of QEMU or Xen."""
    s = _run("x28-xenhvm-qemu-pirq-exhaust")
    why = s.why(first_hit(s, "probe-failed", "doorbell on nic1"))
    assert links(why)[:6] == [("action.done", "actions[2].result"), ("wait.timeout", "cpus[0].proc.wait"),
                              ("pba.set", "devices.nic1.msix.pba[3]"), ("qemu", "qemu.devs.nic1.msix.entries[3].pirq"),
                              ("xen.refused", "xen.pirqs[70]"), ("xen", "xen.pirqs[70]")]
    failed, ref = why.chain[3], why.chain[4]
    assert failed.value == -28 and failed.actor == "QEMU" and failed.stack[0] == "xen_pt_msix_update_one+setup"
    assert "30 mapped for big0, 2 mapped for nic1" in ref.reason
    assert "nic1 entry 1" in why.chain[5].reason       # the latest holder: nic1's own second entry
    assert [br[0].reason for br in ref.branches if "big0" in br[0].reason]   # and big0's latest map


def test_a_pirq_a_hypercall_took_is_answered_by_that_hypercall() -> None:
    s = _run("x13-xenpv-pirq-hypercall-exhaust")
    ans = s.why("xen.pirqs[101]")
    assert ans.chain[0].link == "xen" and ans.chain[0].stack == ["xen_hypercall+make"]
    assert "hands out pirq 101" in ans.chain[0].reason and "action 0 " in ans.chain[-1].reason


def test_the_2017_logs_instrumentation_pirqs_are_answered_by_their_hypercalls() -> None:
    """scenarios/xen-sriov-pirq-log: the two get_free_pirq calls at 5ms stand in for the log's lines; pirq 95 read
    "still had its initial value" although the world shows it allocated."""
    s = ran("xen-sriov-pirq-log")
    ans = s.why("xen.pirqs[95]")
    assert ans.chain[0].link == "xen" and ans.chain[0].stack == ["xen_hypercall+make"] and ans.chain[0].cpu == 1
    # why not 96: nic4 holds it -- an annotation (whyheld10), the default is the hypercall's action
    above = ans.chain[0].branches[0][0]
    assert above.path == "xen.pirqs[96]" and "nic4 entry 2" in above.reason
    assert above.relation == "the pirq above it, held by" and ans.chain[1].path == "actions[4]"


def test_why_json_of_the_refused_probe_has_the_contracts_shape() -> None:
    rc, out, err = cli("why", str(HELD / "x13-xenpv-pirq-hypercall-exhaust.yaml"), "--json")
    assert (rc, err) == (0, "")
    d = json.loads(out)
    assert set(d) == {"target", "chain"} and d["target"]["breakpoint"] == "probe-failed"
    ref = d["chain"][2]
    assert (ref["link"], ref["path"], ref["value"]) == ("xen.refused", "xen.pirqs[70]", -28)
    assert ref["branches"][0][0]["stack"] == ["xen_hypercall+make"]


# --- kernel.spin-forever: the stop names what the poll reads ------------------------------------------------------
def test_a_spin_that_never_ends_links_the_remote_irr_it_polls() -> None:
    """x11 (w01's 5.2 kernel given sync_irq_chip_state): free_irq deactivated the entry with a level interrupt in flight
    and its synchronize_irq polls Remote IRR for ever. The stop's event linked only the free_irq action and a path
    question on ``cpus[3].proc.wait`` read "still had its initial value"."""
    s = _run("x11-spin-forever")
    last = s.total - 1
    assert "spins for ever" in str(s.events(last, last + 1)[0].fields["what"])
    why = s.why(last)
    assert links(why) == [("spin.stuck", "cpus[3].proc.wait"), ("ioapic.rirr", "ioapic[20].remote_irr"),
                          ("action.start", "actions[8]")]
    stuck, rirr = why.chain[0], why.chain[1]
    assert stuck.stack == ["free_irq+synchronize", "driver_free_irq+done"] and stuck.cpu == 3
    assert rirr.relation == "spinning for ever on" and rirr.stack[0] == "ioapic_mask_entry+clear_rte"
    assert "free_irq usb1" in why.chain[2].reason
    assert s.why("cpus[3].proc.wait").chain[0].event == stuck.event


# --- a PV guest's INTx condition after free_irq: the host irq pirq_guest_unbind disabled -----------------------------
def test_a_pv_intx_condition_after_free_irq_links_pirq_guest_unbind() -> None:
    """x24: free_irq closes the GSI pirq's port (pirq_guest_unbind: no guest left, Xen disables the host irq); the
    doorbell's condition then asserts a line that sends nothing. The timeout linked the condition and its Command
    write only: nothing said why no interrupt came."""
    s = _run("x24-xenpv-intx")
    why = s.why(first_hit(s, "probe-failed", "doorbell on eth0"))
    assert links(why) == [("action.done", "actions[4].result"), ("wait.timeout", "cpus[0].proc.wait"),
                          ("intx.cond", "acct.eth0.held[0]"), ("xen", "xen.pirqs[19].bound"),
                          ("action.start", "actions[3]")]
    off = why.chain[3]
    assert off.relation == "its host irq disabled by" and off.value == 0
    assert off.stack[0] == "shutdown_pirq+close" and "pirq_guest_unbind" in off.reason
    assert "free_irq eth0" in why.chain[4].reason
    # the Command write that let the function assert INTx# stays a branch
    assert [br[0].path for br in why.chain[2].branches] == ["devices.eth0.cmd"]


# --- diff: a device's quirk is a difference between the files ----------------------------------------------------
def test_diff_of_a_quirk_pair_lists_the_quirk_and_parts_at_the_dropped_message() -> None:
    """x01 / x02 differ only in sas0's msi-message-low-bits quirk: message 5 beyond Multiple Message Enable is dropped
    (A) or sent as message 1 (B). "differs between the files" listed nothing."""
    a, b = _run("x01-multimsi-mme-drop"), _run("x02-multimsi-lowbits")
    why = a.why(first_hit(a, "irq-lost"))
    assert links(why) == [("lost", "acct.sas0.lost[5]"), ("msi.reg", "devices.sas0.msi.ctrl"),
                          ("action.start", "actions[0]")]
    assert why.chain[1].stack[0] == "msi_capability_init+msi_enable"
    r = a.diff(b)
    first = r.first
    assert first is not None and first.context == "dev.sas0" and first.a_info["event"] == why.chain[0].event
    assert "msi.dropped" in first.a_info["text"] and "msi.msg" in first.b_info["text"]
    assert r.switches == first.switches == {"devices.sas0.quirks": {"a": [], "b": ["msi-message-low-bits"]}}
    assert not r.same_outcome
    rc, out, _ = cli("diff", str(HELD / "x01-multimsi-mme-drop.yaml"), str(HELD / "x02-multimsi-lowbits.yaml"), "--json")
    assert rc == 1 and json.loads(out)["switches"] == r.switches


def test_diff_lists_a_device_only_one_file_has_and_a_capability_that_differs(tmp_path: Path) -> None:
    text = (HELD / "x01-multimsi-mme-drop.yaml").read_text()
    p = tmp_path / "b.yaml"
    p.write_text(text.replace("vectors: 8, per_vector_mask: true", "vectors: 16, per_vector_mask: true")
                 .replace("breakpoints:", '  nic9: {bdf: "00:09.0", kind: nic, msix: {table_size: 2}}\nbreakpoints:'))
    from msidbg.debugger.diff import switch_difference
    sw = switch_difference(_run("x01-multimsi-mme-drop"), Session.from_scenario(str(p)))
    assert sw == {"devices.nic9": {"a": "absent", "b": "present"}, "devices.sas0.msi.vectors": {"a": 8, "b": 16}}


# --- one-switch pairs: the first divergence is the step the switch changes --------------------------------------------
def test_irqfixup_pair_parts_at_misrouted_irqs_first_poll() -> None:
    a, b = _run("x05-irqfixup-none"), _run("x05-irqfixup-shared")
    r = a.diff(b)
    first = r.first
    assert first is not None and first.context == "cpu0.irq"
    assert first.a_info["stack"][0] == "handle_fasteoi_irq+eoi"
    assert first.b_info["stack"][:2] == ["misrouted_irq+misrouted_next", "handle_fasteoi_irq+note_misrouted"]
    assert set(first.switches) == {"irqfixup"} and r.same_outcome
    # both losses: the disable by note_interrupt, in the step the option changes (note vs note_misrouted)
    for s, step in ((a, "handle_fasteoi_irq+note"), (b, "handle_fasteoi_irq+note_misrouted")):
        why = s.why(first_hit(s, "irq-lost"))
        assert [lk.link for lk in why.chain][:4] == ["lost", "kernel", "accept", "irr.level"]
        assert why.chain[1].stack[0] == step and why.chain[-2].path == "acct.usb0.held[0]"


def test_dying_irqs_off_pair_parts_at_the_idle_dead_step() -> None:
    a, b = _run("x10-dying-playdead"), _run("x10-dying-doidle")
    r = a.diff(b)
    first = r.first
    assert first is not None and first.context == "cpu1.proc"
    assert first.a_info["stack"] == first.b_info["stack"] == ["take_cpu_down+idle_dead"]
    assert "interrupts still on" in first.a_info["text"] and "interrupts off" in first.b_info["text"]
    assert set(first.switches) == {"dying_irqs_off"} and r.same_outcome


def test_free_irq_in_flight_4p19_chain_and_its_version_pair() -> None:
    """4.19: the slot free_irq's deactivation left UNUSED is what the in-flight signal met; against 5.3 the runs part at
    free_irq's deactivation (4.19 writes the entry at once; 5.3 first waits for the interrupt in flight)."""
    s = _run("x18-free-inflight-4p19")
    why = s.why(first_hit(s, "irq-spurious"))
    assert links(why) == [("lost", "acct.eth0.lost[0]"), ("accept", "cpus[1].isr[0x21]"),
                          ("vector_irq", "cpus[1].vector_irq[0x21]"), ("action.start", "actions[1]")]
    assert why.chain[2].value == "UNUSED"
    r = s.diff(_run("x18-free-inflight-5p3"))
    first = r.first
    assert first is not None and first.context == "cpu0.proc"
    assert first.a_info["stack"][:2] == ["pci_write_msi_msg+addr_lo", "irq_domain_deactivate_irq+deactivate_parent"]
    assert first.b_info["stack"][0] == "free_irq+synchronize"
    assert {"kernel.version", "free_irq_deactivate"} <= set(first.switches) and not r.same_outcome


# --- every held-out file: the summary's cause is why's chain (the storms excepted: test_why_held6 covers them) -----------
SMALL = sorted(p.stem for p in HELD.glob("*.yaml") if not p.stem.startswith(("x05", "x06", "x22")))


@pytest.mark.parametrize("name", SMALL)
def test_every_held_out_hits_summary_cause_is_why_s_chain(name: str) -> None:
    s = _run(name)
    summ = s.summary()
    armed = s.armed_hits()
    assert len(summ["hits"]) == len(armed)
    for rec, hit in zip(summ["hits"], armed, strict=True):
        assert rec["cause"] == s.why(hit).events(), (name, rec["event"], rec["breakpoint"])
