"""``why`` / ``diff`` on held-out scenarios over revision 11's mechanisms (whyheld7; tests/heldout_why7/): the
soft-disabled local APIC of a dying CPU (``kernel.cpu_disable_apic``), enable_irq of a pirq before 4.13
(``kernel.xen_enable_pirq_startup``). Each chain test pins a hop that was missing on main (the loss linked only
the message's registers, or only the port's pending bit); the diff tests pin the first divergence at the step
the switch changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.debugger import Session
from tests.why_helpers import cli, first_hit, links, ran

HELD = Path(__file__).resolve().parent / "heldout_why7"


def _run(name: str) -> Session:
    return ran(name, HELD)


_links = links


# --- kernel.cpu_disable_apic: 60dcaad5736f's apic_soft_disable before fixup_irqs (5.4.0 .. 5.4.61) -----------------
def test_a_signal_refused_by_the_soft_disabled_apic_links_native_cpu_disable() -> None:
    """eth0's edge reaches CPU2 after take_cpu_down's apic_soft_disable and before fixup_irqs moved the irq: no IRR
    bit, lost. The loss linked the entry's registers (and the deferred move behind them), never what refused it."""
    s = _run("v08-soft-disable-5p4p61")
    why = s.why(first_hit(s, "irq-lost"))
    assert _links(why) == [("lost", "acct.eth0.lost[0]"), ("apic.off", "cpus[2].apic_off"),
                           ("action.start", "actions[5]")]
    off = why.chain[1]
    assert off.stack == ["take_cpu_down+cpu_disable"] and off.cpu == 2 and off.value == 1
    assert off.relation == "refused by the APIC that was software-disabled by"
    assert "apic_soft_disable() before fixup_irqs" in off.reason
    assert "cpu_offline" in why.chain[2].reason
    # as a path, at the end: the same node; before it, an enabled APIC (the world has no flag then: it read '-')
    assert s.why("cpus[2].apic_off").chain[0].event == off.event
    s.seek(off.event - 1)
    before = s.why("cpus[2].apic_off")
    assert before.target["value"] is False and before.chain[0].link == "initial"
    s.seek(s.total)
    # diff against 5.4.62 (52d6b926aabc soft-disables after fixup_irqs): the runs part at that step
    r = s.diff(_run("v08-soft-disable-5p4p62"))
    first = r.first
    assert first is not None and first.context == "cpu2.proc" and first.a_info["event"] == off.event
    assert first.a_info["stack"][0] == first.b_info["stack"][0] == "take_cpu_down+cpu_disable"
    assert "apic_soft_disable" in first.a_info["text"] and "apic_soft_disable" not in first.b_info["text"]
    assert set(first.switches) == {"kernel.version", "cpu_disable_apic"} and not r.same_outcome


def test_both_signals_kept_from_fixup_irqs_retrigger_link_the_soft_disable() -> None:
    """retrig's r01 on 5.4: the two signals that 4.9 leaves in the IRR for fixup_irqs to retrigger are refused."""
    s = _run("v09-retrig-soft-5p4")
    losses = [h for h in s.armed_hits() if h.name == "irq-lost"]
    assert len(losses) == 2
    for h in losses:
        why = s.why(h)
        assert [lk.link for lk in why.chain] == ["lost", "apic.off", "action.start"]
        assert why.chain[1].path == "cpus[2].apic_off" and "cpu_offline" in why.chain[2].reason


def test_init_enables_the_apic_again_and_answers_the_path() -> None:
    """cpu_online's INIT and setup_local_APIC enable the APIC: ``cpus[2].apic_off`` is then answered by that step."""
    text = (HELD / "v08-soft-disable-5p4p61.yaml").read_text() + "  - {at: 2ms, on: 0, do: cpu_online, cpu: 2}\n"
    from msidbg.scenario import load_scenario_text
    s = Session(load_scenario_text(text, "v08-online.yaml"))
    s.run()
    ans = s.why("cpus[2].apic_off")
    assert ans.chain[0].value == 0 and "software-enabled again" in ans.chain[0].reason
    assert "cpu_online" in ans.chain[-1].reason


# --- kernel.xen_enable_pirq_startup: enable_irq of a pirq is startup_pirq before 4.13 -------------------------------
@pytest.mark.parametrize("kind", ["xen-pv", "xen-hvm"])
def test_an_event_cleared_by_enable_pirqs_startup_links_the_enable_irq(kind: str) -> None:
    """The event pending on the masked port is cleared by eoi_pirq in enable_irq's startup_pirq. The loss linked the
    pending bit (<- the mask <- disable_irq) and nothing of the enable_irq that cleared it."""
    s = _run(f"v11-enable-pirq-{kind}-4p12")
    why = s.why(first_hit(s, "irq-lost"))
    assert _links(why) == [("lost", "acct.eth0.lost[0]"), ("kernel", "irqs[24].disabled"),
                           ("action.start", "actions[3]")]
    assert why.chain[0].stack[0] == "startup_pirq+eoi"
    en = why.chain[1]
    assert en.value == 0 and en.relation == "cleared by the startup_pirq (enable_pirq before 4.13) of"
    assert "enable_irq" in why.chain[2].reason
    # the pending bit and the guest's mask behind it stay a branch
    pend = why.chain[0].branches[0]
    assert [(lk.link, lk.path) for lk in pend][:2] == [("xen", "xen.ports[1].pending"),
                                                      ("guest", "xen.ports[1].masked")]
    assert "disable_irq" in pend[-1].reason
    # diff against 4.13 (enable_dynirq): the runs part at startup_pirq's tail in enable_irq
    r = s.diff(_run(f"v11-enable-pirq-{kind}-4p13"))
    first = r.first
    assert first is not None and first.context == "cpu0.proc" and first.a_info["stack"][0].startswith("startup_pirq+")
    assert "startup_pirq" not in " ".join(first.b_info["stack"])
    assert first.switches["xen_enable_pirq_startup"] == {"a": True, "b": False} and not r.same_outcome


# --- devlock / devremove: dev->driver (kernel.pci.D.bound) ------------------------------------------------------------
def _done(s: Session, action: int) -> int:
    return next(e.index for e in s.events(1, s.total + 1) if e.kind == "action.done" and e.fields["action"] == action)


def test_a_probe_of_a_bound_device_links_the_probe_that_bound_it() -> None:
    """v01: CPU1's probe slept on device_lock behind CPU0's and then found d0 bound: -EBUSY (5.14+). The error linked
    only its own action; now it links really_probe's driver_bound in CPU0's probe."""
    s = _run("v01-devlock-probe-wait")
    why = s.why(_done(s, 1))
    assert _links(why) == [("action.done", "actions[1].result"), ("kernel", "actions[1].error"),
                           ("driver", "kernel.pci.d0.bound"), ("action.start", "actions[0]")]
    bound = why.chain[2]
    assert bound.cpu == 0 and bound.stack == ["driver_probe+request_next"] and bound.value == 1
    assert bound.relation == "the device already has a driver, bound by"
    assert why.chain[1].cpu == 1 and why.chain[1].stack == ["driver_probe+bound"]


@pytest.mark.parametrize(("version", "result"), [("5.13", 0), ("5.14", -16)])
def test_the_second_probe_links_the_first_before_and_after_204db60c8357(version: str, result: int) -> None:
    s = _run(f"v02-bound-probe-{version.replace('.', 'p')}")
    why = s.why(_done(s, 1))
    assert why.chain[0].value == result
    assert [lk.path for lk in why.chain][-2:] == ["kernel.pci.d0.bound", "actions[0]"]
    assert "really_probe -> driver_bound" in why.chain[-2].reason
    if result == 0:     # the skip is a node of its own (the action's last step), not a write of dev->driver
        assert why.chain[1].link == "driver.read" and "skipped" in why.chain[1].reason
        assert s.why("kernel.pci.d0.bound").chain[0].event == why.chain[-2].event


def test_a_remove_without_a_driver_links_the_remove_that_unbound_it() -> None:
    """v10: d1's second remove does nothing: it links the first remove's device_unbind_cleanup. A remove of a device
    never probed has no writer to link (the node says dev->driver is NULL)."""
    s = _run("v10-remove-unbound")
    why = s.why(_done(s, 5))
    assert _links(why) == [("action.done", "actions[5].result"), ("driver.read", "kernel.pci.d1.bound"),
                           ("driver", "kernel.pci.d1.bound"), ("action.start", "actions[4]")]
    assert why.chain[2].stack == ["driver_remove+removed"] and why.chain[2].relation == "the device has no driver since"
    first = s.why(_done(s, 0))
    assert [lk.link for lk in first.chain] == ["action.done", "driver.read", "action.start"]
    assert "has no driver" in first.chain[1].reason


# --- the CLI: diff --max-events 0, and the help ------------------------------------------------------------------------
_cli = cli


def test_diff_max_events_0_runs_neither_and_compares_the_files_as_run_does() -> None:
    """run --max-events 0 stops at event 0; diff refused 0 ("out of range (expected 1..)"). Now the same meaning: both
    runs stop at event 0, no divergence, and the switches the files differ in are listed."""
    a, b = (str(HELD / f"v08-soft-disable-5p4p{n}.yaml") for n in (61, 62))
    rc, out, err = _cli("diff", a, b, "--max-events", "0")
    assert (rc, err) == (0, "")
    assert "(0 events)" in out.splitlines()[0] and "no divergence" in out
    assert "cpu_disable_apic: A soft-first, B soft-after" in out
    rc, out, _ = _cli("diff", "--help")
    assert "0 runs neither" in " ".join(out.split())
    rc, out, _ = _cli("why", "--help")
    assert "refused with a snapshot" in " ".join(out.split())


# --- one-switch pairs: the first divergence is the step the switch changes -----------------------------------------------
def test_bound_probe_pair_parts_at_the_bound_check_the_chain_reached() -> None:
    s = _run("v02-bound-probe-5p14-skip")
    why = s.why(_done(s, 1))
    skip = why.chain[1]
    assert skip.link == "driver.read" and skip.stack == ["driver_probe+bound"]
    r = s.diff(_run("v02-bound-probe-5p14"))
    first = r.first
    assert first is not None and first.context == "cpu0.proc" and first.a_info["stack"] == ["driver_probe+bound"]
    assert first.b_info["stack"] == ["driver_probe+bound"] and first.a_info["event"] == first.b_info["event"]
    assert "skips driver_probe_device" in first.a_info["text"] and "-EBUSY" in first.b_info["text"]
    assert set(first.switches) == {"bound_probe"} and not r.same_outcome


def test_xen_enable_pirq_startup_pair_parts_at_eoi_pirqs_clear() -> None:
    s = _run("v11-enable-pirq-xen-pv-4p13-startup")
    why = s.why(first_hit(s, "irq-lost"))
    assert [lk.link for lk in why.chain] == ["lost", "kernel", "action.start"]
    r = s.diff(_run("v11-enable-pirq-xen-pv-4p13"))
    first = r.first
    assert first is not None and first.a_info["stack"][0] == "startup_pirq+eoi"
    assert first.a_info["event"] == why.chain[0].event      # the step that recorded the loss
    assert set(first.switches) == {"xen_enable_pirq_startup"} and not r.same_outcome


@pytest.mark.parametrize("name", sorted(p.stem for p in HELD.glob("*.yaml")))
def test_every_held_out_hits_summary_cause_is_why_s_chain(name: str) -> None:
    """The ``--json`` summary's ``cause`` of each armed hit is ``why --hit``'s chain, over this round's files (the new
    records included: the soft-disabled APIC, the enable_irq, dev->driver)."""
    s = _run(name)
    summ = s.summary()
    armed = s.armed_hits()
    assert len(summ["hits"]) == len(armed)
    for rec, hit in zip(summ["hits"], armed, strict=True):
        assert rec["cause"] == s.why(hit).events(), (name, rec["event"], rec["breakpoint"])


def test_under_remapping_the_refused_signal_also_links_the_irte_that_chose_the_cpu() -> None:
    """The same loss through VT-d (the message names IRTE 0, the IRTE names CPU2): deliver_vector's losses behind
    an IRTE (offline CPU, soft-disabled APIC, illegal vector) linked the remappable message only, never the entry
    whose destination and vector decided them, as a remapping fault's loss does."""
    s = _run("v08-soft-disable-5p4p61-remap")
    why = s.why(first_hit(s, "irq-lost"))
    assert [lk.link for lk in why.chain] == ["lost", "apic.off", "action.start"]
    irte = next(b for b in why.chain[0].branches if b[0].path == "iommu.irte[0]")
    assert irte[0].stack[0] == "intel_ir_set_affinity+irte" and "(CPU2)" in irte[0].reason
    assert "set_affinity" in irte[-1].reason


# --- kernsmall: the matrix's global reservation count and its two warnings ------------------------------------------------
def test_the_reservation_warnings_link_the_reservation_count_and_the_allocation_behind_it() -> None:
    """irq_matrix_reserve's crossing warning and lapic_can_unplug_cpu's "Reserved vectors 514 > available 201" were
    events with no node: the unplug warning named only the cpu_offline, not the 500 reservations of eth0's
    alloc_vectors that made the count."""
    s = _run("v12-reservation-warning")
    evs = list(s.events(1, s.total + 1))
    cross = next(e.index for e in evs if e.kind == "kernel" and "Interrupt reservation exceeds" in str(e.fields["what"]))
    unplug = next(e.index for e in evs if e.kind == "kernel" and "Reserved vectors 514" in str(e.fields["what"]))
    why = s.why(cross)
    assert _links(why) == [("vec_rsvd.warn", "kernel.vec_rsvd"), ("vec_rsvd", "kernel.vec_rsvd"),
                           ("action.start", "actions[0]")]
    assert why.chain[1].event == cross - 1 and why.chain[1].value == 404 and "irq_matrix_reserve" in why.chain[1].reason
    why = s.why(unplug)
    assert [lk.link for lk in why.chain] == ["vec_rsvd.warn", "vec_rsvd", "action.start"]
    assert why.chain[0].stack == ["take_cpu_down+cpu_disable"] and why.chain[1].value == 514
    assert "alloc_vectors" in why.chain[2].reason


def test_every_change_of_the_reservation_count_is_a_node_of_the_step_that_made_it() -> None:
    """The count is diffed with the irqs a vector-domain call marks dirty: no change may go unrecorded or be recorded
    at a later step (v12's 500 reservations and their release, kernsmall's probe / free_irq on 6.6)."""
    from msidbg.scenario import load_scenario_text
    text = """
name: rsvd2
cpus: 2
kernel: {version: "6.6"}
platform: {apic_routing: physical flat}
devices:
  eth0: {bdf: "00:04.0", kind: nic, msix: {table_size: 8}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 4}
  - {at: 1ms, on: 0, do: free_irq, dev: eth0, vector: 1}
  - {at: 2ms, on: 0, do: remove, dev: eth0}
"""
    for s in (_run("v12-reservation-warning"), Session(load_scenario_text(text, "rsvd2.yaml"))):
        s.run()
        changes, last = [], None
        for e in range(0, s.total + 1):
            s.seek(e)
            n = s.world["kernel"]["vec_rsvd"]
            if last is not None and n != last:
                changes.append(e)
            last = n
        assert changes
        for e in changes[:40] + changes[-40:]:
            s.seek(e)
            head = s.why("kernel.vec_rsvd").chain[0]
            assert (head.event, head.link, head.value) == (e, "vec_rsvd", s.world["kernel"]["vec_rsvd"])
