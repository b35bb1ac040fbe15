"""evtunmask: the guest's EVTCHNOP_unmask, where the ABI's unmask makes it.

* 2-level, ``evtchn_2l_unmask`` (torvalds/linux 17ef715c0c88 drivers/xen/events/events_2l.c; the
  remote-port slow path is in every release, drivers/xen/events.c before 3.14): a port bound
  (``cpu_from_evtchn``) to another vCPU is always unmasked by the hypercall, pending or not; on its
  own vCPU only a pending port of an HVM guest is (a PV guest sets the selector bit and
  evtchn_upcall_pending itself).
* FIFO, ``evtchn_fifo_unmask`` (067e2601d3c0 drivers/xen/events/events_fifo.c): the guest clears
  the masked bit and asks Xen whenever the port is pending, on whichever vCPU.
* Xen's ``evtchn_unmask`` (RELEASE-4.6.0 xen/common/event_channel.c) re-raises the pending event on
  the port's notify vCPU; the guest's vCPU waits for the hypercall before its next step -- which is
  the width of the pre-ff1e22e7 window (``kernel.xen_eoi_clear_first`` false: irq_move_irq's unmask
  before clear_evtchn), where the new vCPU takes the still-pending event while the old one is in
  the hypercall, and the handler runs twice.
"""

from __future__ import annotations

import pytest

from msidbg.sim.costs import DEFAULT_COSTS
from tests.conftest import events_of, run_to_end, scenario, totals

LOCAL = """
name: evtunmask-local
cpus: 1
platform: {{kind: {kind}, xen: "4.16"}}
kernel: {{version: "6.1"{extra}}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 1}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 2ms, do: disable_irq, dev: eth0, vector: 0}}
  - {{at: 2100us, do: fire, dev: eth0, vector: 0, count: 1}}
  - {{at: 3ms, do: enable_irq, dev: eth0, vector: 0}}
"""

TWO_LEVEL = ", xen_fifo_events: false"


def _unmasks(eng: object) -> list:
    return [e for e in events_of(eng, "xen.hypercall") if e.fields["op"] == "EVTCHNOP_unmask"]


LOCAL_CASES = [("xen-hvm", "2l", True), ("xen-pv", "2l", False), ("xen-hvm", "fifo", True), ("xen-pv", "fifo", True)]


def test_enable_of_a_pending_port_on_its_own_vcpu() -> None:
    """One vCPU: every port is local. enable_irq unmasks the port the fired event left pending:
    the hypercall on FIFO, and on 2-level only for an HVM guest; a PV guest's unmask is its own
    store (evtchn.mask 0). Delivered either way. Nothing fired while disabled: no hypercall."""
    for kind, abi, hypercall in LOCAL_CASES:
        eng = run_to_end(scenario(LOCAL.format(kind=kind, extra=TWO_LEVEL if abi == "2l" else "")))
        assert eng.w["xen"]["abi"] == abi
        late = [e for e in _unmasks(eng) if e.time_ns >= 3_000_000]
        assert [(e.cpu, e.fields["arg"]) for e in late] == ([(0, 1)] if hypercall else []), (kind, abi)
        own = [e for e in events_of(eng, "evtchn.mask") if e.time_ns >= 3_000_000 and e.fields["masked"] == 0]
        assert bool(own) is not hypercall
        assert totals(eng, "eth0") == {"raised": 1, "delivered": 1, "lost": 0, "spurious": 0}
        quiet = LOCAL.format(kind=kind, extra=TWO_LEVEL if abi == "2l" else "").replace(
            "  - {at: 2100us, do: fire, dev: eth0, vector: 0, count: 1}\n", "")
        assert [e for e in _unmasks(run_to_end(scenario(quiet))) if e.time_ns >= 3_000_000] == []


REBIND = """
name: evtunmask-rebind
cpus: 2
platform: {{kind: xen-hvm, xen: "4.16"}}
kernel: {{version: "6.1"{extra}}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 1}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 2ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: {cpu}}}
  - {{at: 3ms, do: fire, dev: eth0, vector: 0, count: 1}}
"""


def _rebind(extra: str, cpu: int) -> tuple[object, list]:
    eng = run_to_end(scenario(REBIND.format(extra=extra, cpu=cpu)))
    window = [e for e in eng.log.events(1, len(eng.log) + 1) if 2_000_000 <= e.time_ns < 3_000_000 and e.cpu == 0]
    return eng, window


def test_set_affinity_unmasks_a_port_now_bound_elsewhere() -> None:
    """xen_rebind_evtchn_to_cpu on vCPU0: mask, EVTCHNOP_bind_vcpu, bind_evtchn_to_cpu, unmask. The
    port is vCPU1's now: evtchn_2l_unmask takes the slow path for it though nothing is pending, and
    the hypercall's cost delays vCPU0's next step; evtchn_fifo_unmask does not (not pending), nor
    does the 2-level unmask of a port rebound to vCPU0 itself (local)."""
    for extra, cpu, hypercall in ((TWO_LEVEL, 1, True), ("", 1, False), (TWO_LEVEL, 0, False)):
        eng, window = _rebind(extra, cpu)
        kinds = [(e.kind, e.fields.get("op")) for e in window]
        bind = kinds.index(("xen.hypercall", "EVTCHNOP_bind_vcpu"))
        assert (("xen.hypercall", "EVTCHNOP_unmask") in kinds) is hypercall, (extra, cpu)
        assert (("evtchn.mask", None) in kinds[bind:]) is not hypercall
        if hypercall:
            i = kinds.index(("xen.hypercall", "EVTCHNOP_unmask"))
            info = next(iter(eng.w["kernel"]["xen"]["irqs"].values()))
            assert window[i].fields["arg"] == info["port"] and info["cpu"] == cpu
            assert window[i + 1].time_ns - window[i].time_ns >= DEFAULT_COSTS["hypercall"]
        assert totals(eng, "eth0")["delivered"] == 1


EOI_ORDER = """
name: evtunmask-eoi-order
seed: 1
cpus: 2
platform: {{kind: {kind}, xen: "4.6"}}
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 3}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 1ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0, count: 1}}
"""


@pytest.mark.parametrize("kind", ["xen-pv", "xen-hvm"])
def test_pre_ff1e22e7_window_has_the_hypercalls_width(kind: str) -> None:
    """The red team's e1: before ff1e22e7 eoi_pirq applies the pending move first -- mask, rebind to
    vCPU1, unmask -- and the channel is still pending, so the FIFO unmask is EVTCHNOP_unmask and Xen
    links it on vCPU1 while vCPU0 is in the hypercall, and kicks vCPU1. vCPU1 takes the upcall at
    its next VM entry (xen29, reading xen.evtchn.remote-kick), costs.hypercall + costs.ipi after the
    unmask: vCPU0's clear (a hypercall's width after the unmask) comes first, and the upcall finds
    nothing -- one handler run in the ordered schedule (before xen29: vCPU1 took the event at the
    hypercall's instant, found the irq in progress and vCPU0's loop ran the handler again; a random
    schedule can still put the kick first, test_why_new). From 4.6 clear_evtchn comes first."""
    for kernel, double in (("4.5", True), ("4.6", False)):
        eng = run_to_end(scenario(EOI_ORDER.format(kind=kind, kernel=kernel)))
        assert eng.w["xen"]["abi"] == "fifo"
        late = [e for e in eng.log.events(1, len(eng.log) + 1) if e.time_ns >= 2_000_000]
        unmask = [e for e in late if e.kind == "xen.hypercall" and e.fields["op"] == "EVTCHNOP_unmask"]
        clear = next(e for e in late if e.kind == "evtchn.clear" and e.cpu == 0)
        kicks = [e for e in late if e.kind == "xen.kick"]
        if double:
            assert len(unmask) == 1 and unmask[0].cpu == 0
            assert clear.time_ns >= unmask[0].time_ns + DEFAULT_COSTS["hypercall"]
            assert [(k.fields["vcpu"], k.time_ns) for k in kicks] == [
                (1, unmask[0].time_ns + DEFAULT_COSTS["hypercall"] + DEFAULT_COSTS["ipi"])]
            assert kicks[0].index > clear.index
        else:
            assert unmask == [] and kicks == []
        runs = [e.fields["signals"] for e in late if e.kind == "irq.handler"]
        assert runs == [1], kernel
        assert totals(eng, "eth0")["delivered"] == 1
