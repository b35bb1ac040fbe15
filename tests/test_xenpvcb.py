"""xen-pv: the event channel upcall is Xen's PV event callback, not a local APIC vector.

Xen 4.14 xen/arch/x86/domain.c vcpu_mark_events_pending: test_and_set of vcpu_info's
evtchn_upcall_pending, then hvm_assert_evtchn_irq for an HVM vCPU (the callback vector) or
vcpu_kick for a PV one; xen/arch/x86/x86_64/entry.S test_guest_events enters a PV guest at its
registered event callback (create_bounce_frame, TBF_INTERRUPT sets evtchn_upcall_mask) only while
evtchn_upcall_pending is set and evtchn_upcall_mask clear. Linux's PV irqs-off is that mask
(arch/x86/xen/irq.c xen_irq_disable / xen_restore_fl). The model set vector 0xf3 in a PV guest's
local APIC (apic.accept vector=0xf3, an IRR / ISR bit, an APIC EOI) as for HVM.
"""

from __future__ import annotations

from msidbg.model import new_engine
from tests.conftest import events_of, run_to_end, scenario, totals

SCN = """
name: pv-upcall
cpus: 2
platform: {{kind: {kind}, xen: "4.16"}}
kernel: {{version: "5.15"}}
devices:
  d0: {{bdf: "00:03.0", kind: generic, passthrough: true, msix: {{table_size: 4}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: d0, mode: msix, vectors: 2}}
  - {{at: 5ms, do: fire, dev: d0, vector: 0}}
  - {{at: 6ms, do: fire, dev: d0, vector: 1}}
"""


def test_pv_upcall_is_the_event_callback_not_an_apic_vector() -> None:
    eng = run_to_end(scenario(SCN.format(kind="xen-pv")))
    assert totals(eng, "d0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}
    assert not events_of(eng, "apic.accept")
    assert not events_of(eng, "apic.eoi")
    assert len(events_of(eng, "xen.callback")) == 2
    # the rest of the path as before: the ABI's scan clears each port for its irq
    assert len(events_of(eng, "evtchn.clear")) == 2
    for c in eng.w["cpus"]:
        assert c["irr"] == [0] * 8 and c["isr"] == [0] * 8 and c["upcall"] == 0


def test_hvm_keeps_the_callback_vector() -> None:
    eng = run_to_end(scenario(SCN.format(kind="xen-hvm")))
    assert totals(eng, "d0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}
    assert [e.fields["vector"] for e in events_of(eng, "apic.accept")] == [0xF3, 0xF3]
    assert not events_of(eng, "xen.callback")
    assert all("upcall" not in c for c in eng.w["cpus"])


def test_pv_callback_waits_for_the_upcall_mask() -> None:
    """A vCPU with its events masked (irqs off: evtchn_upcall_mask) keeps evtchn_upcall_pending set
    and is not entered; clearing the mask lets the callback run and deliver the signal."""
    eng = new_engine(scenario(SCN.format(kind="xen-pv")))
    while eng.now < 4_000_000 and eng.step():
        pass
    info = next(i for i in eng.w["kernel"]["xen"]["irqs"].values() if i["dev"] == "d0" and i["index"] == 0)
    port = info["port"]
    c0 = eng.w["cpus"][eng.w["xen"]["ports"][port]["vcpu"]]
    assert not c0["proc"]["stack"] and not c0["irq"]["stack"]
    c0["proc"]["irqs_off"] = True       # xen_irq_disable: evtchn_upcall_mask = 1
    n_cb = len(events_of(eng, "xen.callback"))
    while eng.now < 5_500_000 and eng.step():
        pass
    assert events_of(eng, "xen.hypercall")
    assert c0["upcall"] == 1
    assert len(events_of(eng, "xen.callback")) == n_cb
    assert eng.w["acct"]["d0"]["delivered"][0] == 0
    assert c0["irr"] == [0] * 8
    c0["proc"]["irqs_off"] = False      # xen_irq_enable / xen_restore_fl: the pending upcall is taken
    eng.model.wake(eng, c0)
    while eng.step():
        pass
    assert len(events_of(eng, "xen.callback")) > n_cb
    assert totals(eng, "d0")["delivered"] == 2
    assert c0["upcall"] == 0


def _session(kind: str):  # type: ignore[no-untyped-def]
    from msidbg.debugger import Session

    s = Session(scenario(SCN.format(kind=kind)))
    s.run()
    return s


def test_why_a_pv_handler_goes_through_the_callback_and_the_upcall_flag_not_apic_bits() -> None:
    """why of a xen-pv handler's event: the callback Xen entered and vcpu_info's flag, back to the
    port; an IRR / ISR path is refused there. (The chain went through cpus[n].isr[0xf3] / irr[0xf3].)"""
    import pytest

    from msidbg.debugger.why import WhyError

    s = _session("xen-pv")
    handler = next(e for e in s.events(1, s.total + 1) if e.kind == "irq.handler")
    paths = [lk.path for lk in s.why(handler.index).links() if lk.path]
    cpu = handler.cpu
    assert f"cpus[{cpu}].callback" in paths and f"cpus[{cpu}].upcall" in paths
    assert any(p.startswith("xen.ports[") for p in paths)
    assert not [p for p in paths if ".irr[" in p or ".isr[" in p]
    with pytest.raises(WhyError, match="not through a local APIC vector"):
        s.why(f"cpus[{cpu}].isr[0xf3]")


def test_apic_pane_header_shows_the_pv_upcall_flag_not_apic_registers() -> None:
    from msidbg.tui import apicgrid

    s = _session("xen-pv")
    head = apicgrid.header(s.eng.w, 0)
    assert "evtchn_upcall_pending 0" in head and "TPR" not in head and "IRR" not in head
    assert "TPR" in apicgrid.header(_session("xen-hvm").eng.w, 0)
