"""xenleads22: Xen 4.1.x's emuirq, read at RELEASE-4.1.0 / 4.1.1 / 4.1.2 / 4.1.3 / 4.2.0 (physdev.c, irq.c,
event_channel.c, drivers/passthrough/io.c).

* ``platform.xen_pt_emuirq_at_map`` (reading ``xen.emuirq-at-map``): on 4.1.0 / 4.1.1 QEMU's PHYSDEVOP_map_pirq gives
  the pirq its IRQ_PT emuirq and hvm_domain_use_pirq asks for it and a port; 0596edb27f (4.1.2; 79858fee30, 4.2)
  moved it to EVTCHNOP_bind_pirq. A pirq QEMU maps under a port the guest already holds is sent on the event
  channel on 4.1.1 and injected as a vMSI from 4.1.2 (remap-under-port-*).
* ``platform.xen_dm_unmap_needs_emuirq`` is true on 4.1.0 .. 4.1.2 (the same physdev_unmap_pirq): the guest's own
  unmap of a pirq without an emuirq answers -EINVAL there (reading ``xen.unmap-self-hvm``), 0 from 3237652624
  (4.1.3), and QEMU's later unmap of the pirq fails and it stays mapped (self-unmap-*).
* ``platform.xen_irq_status_query_einval`` (reading ``xen.needs-eoi``): before b96a29f785 (4.2; 94b5cd3155, 4.1.3)
  PHYSDEVOP_irq_status_query answers 0 (no flags) for a pirq without the IRQ_PT emuirq, not -EINVAL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.behaviour import resolve
from msidbg.debugger import Session
from msidbg.model import xen as X
from tests.conftest import run_past_breakpoints

DIR = Path(__file__).resolve().parent / "xenleads22"


def _run(name: str) -> Session:
    return run_past_breakpoints(DIR / f"{name}.yaml")


def _events(s: Session, kind: str, **match: Any) -> list[dict[str, Any]]:
    out = [dict(e.fields) for e in s.events(0, s.total) if e.kind == kind]
    return [f for f in out if all(f.get(k) == v for k, v in match.items())]


def _vector0(s: Session) -> tuple[int, int]:
    v = s.summary()["devices"]["n0"]["vectors"][0]
    return v["delivered"], v["lost"]


@pytest.mark.parametrize(("release", "at_map", "needs", "einval"), [
    ("4.0", False, False, False), ("4.1", True, True, False), ("4.1.1", True, True, False),
    ("4.1.2", False, True, False), ("4.1.3", False, False, True), ("4.1.6", False, False, True),
    ("4.2", False, False, True), ("4.19", False, False, True)])
def test_rows_per_release(release: str, at_map: bool, needs: bool, einval: bool) -> None:
    p = resolve("xen-hvm", kernel="3.10", xen=release).plain("xen-hvm")
    assert (p["xen_pt_emuirq_at_map"], p["xen_dm_unmap_needs_emuirq"], p["xen_irq_status_query_einval"]) == \
        (at_map, needs, einval)


def test_the_rows_are_hvm_only() -> None:
    p = resolve("xen-pv", kernel="3.10", xen="4.1.1").plain("xen-pv")
    assert "xen_pt_emuirq_at_map" not in p and "xen_irq_status_query_einval" not in p


def test_4_1_1_sends_a_pirq_mapped_under_an_open_port_on_its_event_channel() -> None:
    s = _run("remap-under-port-x411")
    assert _events(s, "qemu.map_pirq", pirq=100) == [{"entry": 0, "pirq": 100, "rc": 100}]
    sent = _events(s, "xen.pirq", pirq=100)
    assert len(sent) == 3 and all(f["how"].startswith("upcall") and f["port"] == 1 for f in sent)
    assert _vector0(s) == (6, 0)
    assert s.eng.w.xen["pirqs"][100]["emuirq"]          # IRQ_PT from QEMU's map, not from a bind


@pytest.mark.parametrize("release", ["412", "42"])
def test_from_4_1_2_it_is_a_vmsi_until_the_guest_binds_again(release: str) -> None:
    s = _run(f"remap-under-port-x{release}")
    assert _events(s, "qemu.map_pirq", pirq=100) == [{"entry": 0, "pirq": 100, "rc": 100}]
    sent = _events(s, "xen.pirq", pirq=100)
    assert len(sent) == 3 and not any(f["how"].startswith("upcall") for f in sent)
    assert _vector0(s) == (3, 3)
    assert not s.eng.w.xen["pirqs"][100]["emuirq"]


def test_4_1_x_status_query_of_an_unmapped_pirq_answers_0() -> None:
    # the re-probe binds pirq 100 before QEMU maps it: 4.1.1 and 4.1.2 answer 0, 4.2 -EINVAL
    for release, ret in (("411", 0), ("412", 0), ("42", -22)):
        q = _events(_run(f"remap-under-port-x{release}"), "xen.hypercall", op="PHYSDEVOP_irq_status_query", arg=100)
        assert [f["ret"] for f in q] == [ret], release


def test_4_1_1_guest_unmap_without_an_emuirq_is_einval_and_qemu_cannot_free_the_pirq() -> None:
    s = _run("self-unmap-x411")
    assert [f["ret"] for f in _events(s, "xen.hypercall", op="PHYSDEVOP_unmap_pirq")] == [0, -22]
    assert _events(s, "qemu.unmap_pirq") == [{"entry": 0, "pirq": 101, "rc": -22}]
    x = s.eng.w.xen
    rec = x["pirqs"][101]
    assert rec["irq"] > 0 and not rec["emuirq"] and x["irqs"][rec["irq"]]["pirq"] == 101   # still mapped
    assert X.get_free_pirq(x) == 99                      # 101 leaked, 100 the re-probe's


def test_4_1_3_guest_unmap_answers_0_and_qemu_frees_the_pirq() -> None:
    s = _run("self-unmap-x413")
    assert [f["ret"] for f in _events(s, "xen.hypercall", op="PHYSDEVOP_unmap_pirq")] == [0, 0]
    assert _events(s, "qemu.unmap_pirq") == [{"entry": 0, "pirq": 101, "rc": 0}]
    assert all(h["pirq"] != 101 for h in s.eng.w.xen["irqs"].values())


# --- a software-disabled vLAPIC offers none of its IRR bits (vlapic_has_pending_irq) ------------------------------
#
# leads20's run (tests/test_leads20.py HVM): on Xen 4.17.0 (before f1d7aac1e3c3) vmsi_deliver still sets the IRR of
# CPU1's disabled vLAPIC at 3.00001 ms and fixup_irqs' IRR scan retriggers it on CPU0. CPU1 then has interrupts on
# between take_cpu_down and do_idle: the model let it take the IRR bit (apic.accept of 0x21, irq.unhandled on the
# RETRIGGERED slot); Xen's vlapic_has_pending_irq returns -1 for a disabled vLAPIC, so the bit stays in the IRR.


def _hvm(xen: str, kernel: str = "5.6", pirqs: str = "false") -> Any:
    from tests.test_leads20 import HVM
    from tests.test_leads20 import _run as run_text
    return run_text(HVM.format(xen=xen, pirqs=pirqs, kernel=kernel))


def test_the_dying_vcpu_takes_no_irr_bit_from_its_disabled_vlapic() -> None:
    eng = _hvm("4.17.0")
    late = [e for e in (eng.log.event(i) for i in range(1, eng.cur + 1)) if e.time_ns > 3_000_000]
    assert not [e for e in late if e.cpu == 1 and e.kind in ("apic.accept", "irq.unhandled")]
    assert not eng.w.cpus[1].online     # (the offline's _reset_apic clears the bit it held: no signal in it)
    a = eng.w["acct"]["eth0"]
    assert (a["raised"][0], a["delivered"][0], a["lost"][0]) == (3, 3, 0)   # fixup_irqs' retrigger delivered it


def test_the_vlapic_state_follows_the_callback_kind() -> None:
    from msidbg.model import apic
    # a 5.6 guest takes its upcall through the global callback via (offered first); 6.1 on Xen 4.17: per vCPU
    assert _hvm("4.17.0").w.cpus[1]["vlapic_off"] == apic.VLAPIC_OFF_CALLBACK
    assert _hvm("4.17.0", kernel="6.1").w.cpus[1]["vlapic_off"] == apic.VLAPIC_OFF
    # under APIC virtualization the hardware's virtual-interrupt delivery still takes them (not modelled apart)
    s = Session.from_scenario(str(Path(__file__).resolve().parent / "heldout_xen20"
                                  / "x11-hvm-pt-apicv-vlapic-off-x4170-k56.yaml"))
    while s.continue_().reason == "breakpoint":
        pass
    assert "apic_off" in s.eng.w.cpus[1] and "vlapic_off" not in s.eng.w.cpus[1]


def test_a_disabled_vlapic_offers_only_the_global_callback_vector() -> None:
    from msidbg.model import apic
    from msidbg.sim.rec import CpuRec
    c = CpuRec.of({"id": 1, "apic_id": 1, "ldr": 0, "online": True, "irr": [0] * 8, "isr": [0] * 8, "tpr": 0,
                   "irr_src": {}, "vector_irq": {}, "alloc": {}, "cleanup": [], "proc": {}, "irq": {},
                   "busy_until": 0, "queued": False, "queue": [], "handling": -1, "stopped": False})
    for v in (0x21, apic.CALLBACK_VECTOR):
        apic.receive(c, v, None)
    assert apic.acceptable(c) == apic.CALLBACK_VECTOR
    c["vlapic_off"] = apic.VLAPIC_OFF_CALLBACK
    assert apic.acceptable(c) == apic.CALLBACK_VECTOR
    apic.take(c, apic.CALLBACK_VECTOR)
    assert apic.acceptable(c) == -1                     # 0x21 waits (the callback vector is in service)
    apic.eoi(c)
    assert apic.acceptable(c) == -1                     # ... and still waits: the vLAPIC offers nothing
    c["vlapic_off"] = apic.VLAPIC_OFF
    apic.receive(c, apic.CALLBACK_VECTOR, None)
    assert apic.acceptable(c) == -1                     # a per-vCPU upcall vector is a vLAPIC IRR bit too
    del c["vlapic_off"]
    assert apic.acceptable(c) == apic.CALLBACK_VECTOR


@pytest.mark.parametrize(("release", "acked"), [("411", False), ("413", True)])
def test_4_1_1_physdev_eoi_acknowledges_only_an_irq_pt_pirq(release: str, acked: bool) -> None:
    """RELEASE-4.1.1 PHYSDEVOP_eoi: 'if ( !is_hvm_domain(v->domain) || domain_pirq_to_emuirq(v->domain, eoi.irq)
    == IRQ_PT ) ret = pirq_guest_eoi(...)'; 4.1.2 on test the mapping. After the guest's own unmap (self-unmap-*)
    pirq 101 is still mapped without an emuirq until QEMU's unmap: an EOI then leaves a held host irq held on 4.1.1.
    (Stopped before the remove: the host irq is marked in flight by hand, as do_IRQ_guest would.)"""
    s = Session.from_scenario(str(DIR / f"self-unmap-x{release}.yaml"))
    while s.eng.w.now < 1_800_000 and s.eng.step():
        pass
    x = s.eng.w.xen
    rec = x["pirqs"][101]
    assert rec["irq"] > 0 and not rec["emuirq"]
    hirq = x["irqs"][rec["irq"]]
    hirq["in_flight"] = 1
    assert X.pirq_eoi(s.eng, 101) == 0
    assert (not hirq["in_flight"]) is acked
