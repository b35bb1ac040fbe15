"""xenhost2: Xen's host side and the guest's event channel rebind, as the named sources do them.

- xen_rebind_evtchn_to_cpu (linux drivers/xen/events/events_base.c, v4.19 test_and_set_mask, v6.6
  do_mask(info, EVT_MASK_REASON_TEMPORARY)) masks the port before EVTCHNOP_bind_vcpu: the mask is an
  event of the guest CPU's own, and a port masked already is not written (nor unmasked after). (Kernels
  whose set_affinity defers the move to eoi_pirq -- 4.19 here -- rebind a port eoi_pirq has masked.)
- A non-maskable MSI's host vector stays in service on the pCPU it interrupted until the guest's EOI
  (xen/arch/x86/msi.c ack_nonmaskable_msi_irq writes no LAPIC EOI; irq.c do_IRQ_guest pushes it on
  pending_eoi, desc_guest_eoi / the eoi_timer -> set_eoi_ready -> flush_ready_eoi -> end_nonmaskable_irq
  -> ack_APIC_irq; RELEASE-4.0.0 .. 4.21.0): that pCPU's local APIC holds every vector of the same or a
  lower priority class in its IRR meanwhile -- another device's too.
- Xen's work on a device interrupt runs on the pCPU the host vector reached, each pCPU a context of its
  own for the schedule strategies: pct can run one pCPU's do_IRQ before another's that was due first.
"""

from __future__ import annotations

import pytest

from msidbg.debugger import Session
from msidbg.model import contexts
from msidbg.sim.strategy import Schedule
from tests.conftest import events_of, run_to_end, scenario, totals

REBIND = """
name: xenhost2-rebind
cpus: 2
platform: {{kind: {kind}, xen: "4.16"}}
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 1}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
{disable}  - {{at: 2ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}}
  - {{at: 3ms, do: fire, dev: eth0, vector: 0, count: 1}}
"""
DISABLE = "  - {at: 1ms, on: 0, do: disable_irq, dev: eth0, vector: 0, unlazy: true}\n"


def _window(kind: str, kernel: str, disable: str = "") -> tuple[object, list[tuple[str, object, object]]]:
    eng = run_to_end(scenario(REBIND.format(kind=kind, kernel=kernel, disable=disable)))
    window = [(e.kind, e.fields.get("op"), e.fields.get("masked")) for e in eng.log.events(1, len(eng.log) + 1)
              if 2_000_000 <= e.time_ns < 3_000_000 and e.cpu == 0 and e.kind in ("evtchn.mask", "xen.hypercall")]
    return eng, window


@pytest.mark.parametrize("kind", ["xen-hvm", "xen-pv"])
@pytest.mark.parametrize("kernel", ["5.15", "6.6"])
def test_rebind_masks_the_port_around_bind_vcpu(kind: str, kernel: str) -> None:
    eng, window = _window(kind, kernel)
    bind = window.index(("xen.hypercall", "EVTCHNOP_bind_vcpu", None))
    # test_and_set_mask / do_mask: the port is masked by the guest right before the hypercall ...
    assert window[bind - 1] == ("evtchn.mask", None, 1)
    # ... and unmasked after it (2-level from another vCPU: EVTCHNOP_unmask; FIFO: the guest clears it)
    assert any(k == ("evtchn.mask", None, 0) or k[1] == "EVTCHNOP_unmask" for k in window[bind + 1:])
    assert totals(eng, "eth0")["delivered"] == 1


def test_rebind_of_a_masked_port_writes_no_mask() -> None:
    """disable_irq (unlazy: disable_dynirq masks the port) before the rebind: test_and_set_mask finds it
    masked, so nothing is written around EVTCHNOP_bind_vcpu and the port stays masked."""
    eng, window = _window("xen-hvm", "6.6", DISABLE)
    assert ("xen.hypercall", "EVTCHNOP_bind_vcpu", None) in window
    assert [k for k in window if k[0] == "evtchn.mask"] == []
    assert totals(eng, "eth0")["delivered"] == 0


HOST = """
name: xenhost2-isr
cpus: {cpus}
platform: {{kind: xen-hvm, xen: "4.17"}}
kernel: {{version: "6.6"}}
devices:
  eth0: {{bdf: "00:03.0", passthrough: true, msi: {{vectors: 1, per_vector_mask: {pvm}}}}}
  nvme0: {{bdf: "00:04.0", kind: nvme, passthrough: true, msix: {{table_size: 2}}}}
  eth1: {{bdf: "00:05.0", passthrough: true, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msi, vectors: 1}}
  - {{on: 0, do: probe, dev: nvme0, mode: msix, vectors: 1}}
  - {{on: 0, do: probe, dev: eth1, mode: msix, vectors: 1}}
{extra}"""
#: host vectors on pCPU0 from __assign_irq_vector: eth0 0x31, nvme0 0x39 (the same class), eth1 0x41
FIRE = """  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 1}
  - {at: 1000200ns, do: fire, dev: nvme0, vector: 0, count: 1}
  - {at: 1000200ns, do: fire, dev: eth1, vector: 0, count: 1}
"""


def _pirq_hows(eng: object, dev: str) -> list[tuple[int, str]]:
    return [(e.index, e.fields["how"]) for e in events_of(eng, "xen.pirq") if e.dev == dev]


def test_a_non_maskable_msi_in_service_holds_another_devices_vector_of_its_class() -> None:
    eng = run_to_end(scenario(HOST.format(cpus=1, pvm="false", extra=FIRE)))
    x = eng.w["xen"]
    assert [(h["dev"], h["vector"]) for _, h in sorted(x["irqs"].items())][1:] == [("nvme0", 0x39), ("eth1", 0x41)]
    eoi = next(e.index for e in events_of(eng, "xen.hypercall") if e.dev == "eth0" and e.fields["op"] == "PHYSDEVOP_eoi"
               and e.time_ns > 1_000_000)
    (held, how), (again, _) = _pirq_hows(eng, "nvme0")
    # nvme0's 0x39 waits in pCPU0's IRR while eth0's 0x31 is in service, and goes on at eth0's EOI ...
    assert how == "held: pCPU0 has vector 0x31 (host irq 56) in service until the guest's EOI"
    assert held < eoi < again
    # ... eth1's 0x41 is of a higher class: the local APIC delivers it at once
    assert not _pirq_hows(eng, "eth1")[0][1].startswith("held") and _pirq_hows(eng, "eth1")[0][0] < eoi
    assert x["eoi"] == {} and x["irr"] == {}
    for dev in ("eth0", "nvme0", "eth1"):
        assert totals(eng, dev)["delivered"] == 1
    # a maskable MSI is ACKTYPE_NONE: ack_maskable_msi_irq EOIs at once, nothing waits behind it
    maskable = run_to_end(scenario(HOST.format(cpus=1, pvm="true", extra=FIRE)))
    assert not [h for _, h in _pirq_hows(maskable, "nvme0") if h.startswith("held")]


def test_without_the_guests_eoi_the_eoi_timer_releases_the_class_a_ms_later() -> None:
    """The guest masked eth0's port (disable_irq): no PHYSDEVOP_eoi comes, so nvme0's signals wait in
    pCPU0's IRR -- one bit: they coalesce -- until irq_guest_eoi_timer_fn 1 ms after do_IRQ_guest."""
    extra = """  - {at: 500us, on: 0, do: disable_irq, dev: eth0, vector: 0, unlazy: true}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 1}
  - {at: 1100us, do: fire, dev: nvme0, vector: 0, count: 3, every: 10us}
  - {at: 1100us, do: fire, dev: eth1, vector: 0, count: 1}
"""
    eng = run_to_end(scenario(HOST.format(cpus=2, pvm="false", extra=extra)))
    hows = _pirq_hows(eng, "nvme0")
    assert [h.startswith("held") for _, h in hows] == [True, True, True, False]
    timer = next(e for e in events_of(eng, "xen.pirq") if e.dev == "eth0" and e.fields["how"].startswith("eoi_timer"))
    assert timer.fields["how"] == "eoi_timer: no guest EOI in 1 ms, Xen acknowledges the irq"
    assert timer.time_ns == 1_000_800 + 1_000_000 and timer.index < hows[3][0]
    handler = [e for e in events_of(eng, "irq.handler") if e.dev == "nvme0"]
    assert [e.fields["signals"] for e in handler] == [3] and handler[0].time_ns > 2_000_000
    assert totals(eng, "nvme0")["delivered"] == 3 and totals(eng, "eth1")["delivered"] == 1
    assert [e.time_ns for e in events_of(eng, "irq.handler") if e.dev == "eth1"][0] < 1_200_000


TWO_PCPUS = """
name: xenhost2-pcpus
cpus: 2
platform: {kind: xen-hvm, xen: "4.17"}
kernel: {version: "6.6"}
devices:
  a: {bdf: "00:03.0", passthrough: true, msix: {table_size: 2}}
  b: {bdf: "00:04.0", passthrough: true, msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: a, mode: msix, vectors: 1}
  - {on: 0, do: probe, dev: b, mode: msix, vectors: 1}
  - {at: 1ms, on: 0, do: set_affinity, dev: a, vector: 0, cpu: 0}
  - {at: 1ms, on: 0, do: set_affinity, dev: b, vector: 0, cpu: 1}
  - {at: 2ms, do: fire, dev: b, vector: 0, count: 1}
  - {at: 2ms, do: fire, dev: a, vector: 0, count: 1}
  - {at: 3ms, do: fire, dev: a, vector: 0, count: 1}
  - {at: 3ms, do: fire, dev: b, vector: 0, count: 1}
"""


def test_xen_work_items_belong_to_the_pcpu_they_run_on() -> None:
    irq = [9, 4, "xen", "irq", "a", 0, 1, 56, 1 << 8 | 0x39]
    timer = [9, 5, "xen", "eoi_timer", 56, 12, 1]
    data = [9, 6, "xen", "msi_data", "a", 0, 0, 101, 0x41, 0]
    migrate = [9, 7, "xen", "migrate", 1, 6, 3]
    assert [contexts.context(it) for it in (irq, timer, data, migrate)] == ["Xen pCPU1", "Xen pCPU1", "Xen pCPU0", "Xen"]


def test_pct_reorders_xen_work_across_pcpus() -> None:
    """b's host irq follows its event channel to vCPU1's pCPU1 (EVTCHNOP_bind_vcpu -> pirq_set_affinity,
    applied at its 2 ms interrupt), a's stays on pCPU0: at 3 ms both messages reach Xen at once. Xen's
    do_IRQ on two pCPUs runs concurrently, so some pct runs take pCPU1's work first although a's message
    (and its work item) came first; with one Xen context none did."""
    scn = scenario(TWO_PCPUS)
    swapped = []
    for seed in range(13):
        s = Session(scn, seed, schedule=Schedule("pct", 3, 1_000, 60))
        s.run()
        late = [e for e in s.eng.log.events(1, len(s.eng.log) + 1) if e.time_ns > 2_900_000]
        msgs = [e.dev for e in late if e.kind == "msi.msg"]
        work = [e.dev for e in late if e.kind == "xen.pirq"]
        assert sorted(msgs) == sorted(work) == ["a", "b"]
        assert s.eng.w["xen"]["irqs"][57]["cpu"] == 1 and s.eng.w["xen"]["irqs"][56]["cpu"] == 0
        if msgs != work:
            swapped.append(seed)
        for dev in ("a", "b"):
            assert totals(s.eng, dev)["delivered"] == 2
    assert swapped
