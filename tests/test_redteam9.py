"""Red team 9: held-out Xen / QEMU scenarios, where msidbg disagreed with the source.

* Which APIC driver a Xen HVM guest with native MSIs runs (reading ``xen.hvm-apic-mode``): Linux's
  ``x86_hyper_xen_hvm.init.x2apic_available`` is ``xen_x2apic_para_available`` =
  ``xen_hvm_need_lapic``, false when Xen offers XENFEAT_hvm_pirqs. Offered pirqs (Xen 4.1 .. 4.18) but
  using native MSIs (APIC virtualization), the guest stays in xAPIC mode and on <= 8 vCPUs before 6.12
  runs apic_flat (the model used physflat); without the feature (4.19+ by default) it runs physical
  x2APIC (try_to_enable_x2apic sets x2apic_phys without remapping; the model used physflat, and
  refused a 4.5 .. 4.14 kernel on <= 8 vCPUs as "flat").
"""

from __future__ import annotations

from typing import Any

import pytest

from msidbg.errors import ScenarioError
from tests.conftest import events_of, run_to_end, scenario, totals

APICV = """
name: rt9-apicv
cpus: {cpus}
platform: {{kind: xen-hvm, xen: "{xen}"{extra}}}
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 2}}}}
  emu0: {{bdf: "00:04.0", kind: nic, passthrough: false, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1, affinity: 3}}
  - {{on: 0, do: probe, dev: emu0, mode: msix, vectors: 1, affinity: 2}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0, count: 2, every: 1ms}}
  - {{at: 2ms, do: fire, dev: emu0, vector: 0, count: 2, every: 1ms}}
"""


def _run(cpus: int = 4, xen: str = "4.16", kernel: str = "5.10", extra: str = ", apic_virtualization: true"):
    return run_to_end(scenario(APICV.format(cpus=cpus, xen=xen, kernel=kernel, extra=extra)))


def test_a_guest_offered_pirqs_with_native_msis_runs_apic_flat_on_few_vcpus() -> None:
    """Xen 4.16 offers XENFEAT_hvm_pirqs, so the APIC-virtualized guest stays in xAPIC mode: 4 vCPUs on
    5.10 run apic_flat. The emulated device's entry names CPU2 as logical 0x04 with DM set
    (0xfee04004, was physical id 4: 0xfee04000); QEMU binds the passed-through MSI with DM | 0x08 (CPU3,
    was 6); Xen matches the vLAPICs' LDRs and everything arrives. On 9 vCPUs, or from 6.12, physflat."""
    eng = _run()
    assert eng.w["platform"]["apic"] == "flat"
    assert [c["ldr"] for c in eng.w["cpus"]] == [1, 2, 4, 8]
    assert eng.w["devices"]["emu0"]["msix"]["table"][0]["addr_lo"] == 0xFEE04004
    rec = next(r for r in eng.w["xen"]["pirqs"].values() if r["dev"] == "eth0" and r["irq"])
    assert rec["gdest"] == 0x200 | 0x08
    for dev in ("eth0", "emu0"):
        assert totals(eng, dev) == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}
    assert _run(cpus=9).w["platform"]["apic"] == "physflat"
    assert _run(kernel="6.12").w["platform"]["apic"] == "physflat"


def test_a_guest_without_hvm_pirqs_runs_physical_x2apic() -> None:
    """Xen 4.19 does not offer XENFEAT_hvm_pirqs by default: xen_hvm_need_lapic is true, the guest
    enables x2APIC, physical without remapping -- the APIC id 2n as before, but platform.apic x2apic
    (0xFF is an APIC id there, not a broadcast)."""
    eng = _run(xen="4.19", extra="")
    assert eng.w["platform"]["apic"] == "x2apic"
    assert eng.w["devices"]["emu0"]["msix"]["table"][0]["addr_lo"] == 0xFEE04000
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


def test_a_4_14_guest_without_hvm_pirqs_on_few_vcpus_is_not_refused_as_flat() -> None:
    """The pre-4.15 refusal names the flat driver; a physical-x2APIC guest never runs it, so a 4.14
    guest on Xen 4.19 with 4 vCPUs is modelled (legacy allocator, physical destinations). With pirqs
    offered and APIC virtualization it is still refused (that guest does run apic_flat)."""
    eng = _run(xen="4.19", extra="", kernel="4.14")
    assert eng.w["platform"]["apic"] == "x2apic"
    assert totals(eng, "emu0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}
    with pytest.raises(ScenarioError, match="flat logical APIC driver"):
        _run(kernel="4.14")


def test_apic_routing_flat_is_the_source_s_choice_on_an_apicv_guest() -> None:
    """apic_routing: flat (what dmesg says on such a guest) was refused on xen-hvm."""
    eng = _run(xen="4.19", extra=", apic_virtualization: true, apic_routing: flat")
    assert eng.w["platform"]["apic"] == "flat"
    assert totals(eng, "emu0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


def test_free_irq_after_the_scenario_closed_the_port_is_the_kernels_bug() -> None:
    """The scenario closes the irq's event channel itself (EVTCHNOP_close, instrumentation); free_irq's
    shutdown_pirq then gets -EINVAL from EVTCHNOP_close, and xen_evtchn_close BUG()s (every release:
    'if (HYPERVISOR_event_channel_op(EVTCHNOP_close, &close) != 0) BUG();'). The model went on silently."""
    eng = run_to_end(scenario("""
name: rt9-close-twice
cpus: 2
platform: {kind: xen-hvm, xen: "4.10"}
kernel: {version: "5.4"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
  - {at: 1ms, on: 1, do: hypercall, op: EVTCHNOP_close, arg: 1}
  - {at: 1500us, do: fire, dev: eth0, vector: 0, count: 2, every: 10us}
  - {at: 2ms, on: 1, do: free_irq, dev: eth0, vector: 0}
  - {at: 3ms, on: 1, do: free_irq, dev: eth0, vector: 1}
"""))
    notes = [str(e) for e in events_of(eng, "kernel") if "kernel BUG" in str(e)]
    assert len(notes) == 1 and "EVTCHNOP_close failed" in notes[0]
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 0, "lost": 2, "spurious": 0}


DEAD = """
name: rt9-fifo-dead-vcpu
seed: 1
cpus: 4
platform: {{kind: xen-hvm, xen: "4.14", xen_upcall_vector_cpuid: true}}   # (audit12: the per-vCPU upcall
kernel: {{version: "5.15", xen_percpu_upcall: true{extra}}}           # vector keeps the interleaving built here)
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 1}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 500us, on: 1, do: set_affinity, dev: eth0, vector: 0, cpu: 2}}
  - {{at: 1ms, do: fire, dev: eth0, vector: 0, count: 100, every: 1us}}
  - {{at: 1010us, on: 0, do: cpu_offline, cpu: 2}}
  - {{at: 1105500ns, do: fire, dev: eth0, vector: 0}}   # (redteam11: after vCPU2 has taken its last pending upcall)
  - {{at: 3ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}}
"""


def test_a_dead_vcpus_fifo_queue_is_drained_so_its_port_links_again() -> None:
    """An event reaches vCPU2's FIFO queue while vCPU2 is in stop_machine on its way offline; its irq
    is rebound to vCPU0. A 5.15 guest's CPU_DEAD callback (evtchn_fifo_percpu_deinit) consumes vCPU2's
    queue with drop: 'Dropping pending event for port 1', the port unlinked and still pending, so the
    event at 3 ms links it on vCPU0 and the handler takes all four. The model kept the port LINKED on
    the dead queue for good (every later event coalesced and was lost) -- what a kernel before the
    drain does (kernel.xen_fifo_dead_cpu_drain: false)."""
    # (xenleads22) dyingdrain had vCPU2 take its upcall at MULTI_STOP_EXIT, so the drain found nothing here and
    # the port was linked by hand (run_late_link). This guest's upcall is the per-vCPU vector, a vLAPIC IRR bit,
    # and vCPU2's vLAPIC is software-disabled by then (5.15's native_cpu_disable): Xen's vlapic_has_pending_irq
    # offers nothing, so the event is still linked on vCPU2's queue at CPU_DEAD, as redteam9 built it
    eng = run_to_end(scenario(DEAD.format(extra="")))
    assert totals(eng, "eth0") == {"raised": 104, "delivered": 104, "lost": 0, "spurious": 0}
    assert any("Dropping pending event for port 1" in str(e) for e in events_of(eng, "kernel"))
    assert eng.w["xen"]["fifo"][2] == [] and 1 not in eng.w["xen"]["linked"]
    exit_, dead = (next(e.index for e in events_of(eng, "kernel") if t in str(e.fields.get("what")))
                   for t in ("MULTI_STOP_EXIT, CPU2", "do_idle: CPU2"))
    assert [e.cpu for e in events_of(eng, "irq.handler") if exit_ < e.index < dead] == []
    old = run_to_end(scenario(DEAD.format(extra=", xen_fifo_dead_cpu_drain: false")))
    assert old.w["xen"]["linked"].get(1) == 2     # stuck on the dead queue
    assert totals(old, "eth0") == {"raised": 104, "delivered": 100, "lost": 4, "spurious": 0}


def run_late_link(text: str, cpu: int, port: int) -> Any:
    """Run ``text`` to its end, linking ``port`` (pending, no device signal) on vCPU ``cpu``'s FIFO queue
    as that vCPU reports itself dead (do_idle, interrupts off for good): what Xen does for a port still
    bound there (the real kernel's per-CPU VIRQ and IPI ports, which the model has not)."""
    from msidbg.model import evtchn, new_engine

    eng = new_engine(scenario(text), None)
    n, done = 0, False
    while eng.step():
        if not done and any(e.kind == "kernel" and f"do_idle: CPU{cpu} is offline" in str(e.fields.get("what"))
                            for e in eng.log.events(n + 1, len(eng.log) + 1)):
            x = eng.w.xen
            ch = x["ports"][port]
            assert port not in x["linked"] and not ch["pending"]
            ch["pending"] = True
            evtchn.pending_ports(eng)[ch["vcpu"]].add(port)
            x["fifo"][cpu].append(port)
            x["linked"][port] = cpu
            done = True
        n = len(eng.log)
    assert done
    return eng


def test_a_four_byte_write_at_the_msix_capability_header_reaches_message_control() -> None:
    """A raw 4-byte config write at the MSI-X capability (0x70) covers Message Control (0x72): QEMU
    merges it there and writes it through as MSI-X Message Control. msidbg took it for MSI's and
    crashed on a device without MSI (fuzz seed 920207, XENHEAVY)."""
    eng = run_to_end(scenario("""
name: rt9-cap-header-write
cpus: 1
platform: {kind: xen-hvm, xen: "4.20", xen_hvm_pirqs: true}
kernel: {version: "4.9"}
devices:
  d2: {bdf: "00:05.0", kind: xhci, passthrough: true, msix: {table_size: 3}}
run:
  - {at: 0, do: write, dev: d2, target: config, offset: 112, value: 0xfee00000}
"""))
    assert eng.w["devices"]["d2"]["msix"]["ctrl"] & 0xC000 == 0xC000     # Enable | Function Mask
    assert eng.w["qemu"]["devs"]["d2"]["msix"]["enabled"]


def test_the_dead_vcpu_is_drained_before_another_offline_can_stop_the_control_cpu() -> None:
    """16 vCPUs (Xen 4.10, a 4.9 guest: FIFO, drain): CPU6 offlines vCPU9 while an event of eth0 is
    linked on vCPU9's queue, and CPU7 asks for vCPU14 meanwhile. The CPU_DEAD callbacks run under
    cpu_hotplug_lock, so vCPU9's queue is drained before CPU7's offline can stop CPU6 (a drain after
    the lock's release was held by CPU7's stop_machine for its 1 ms mdelay while the events at 3 ms
    coalesced on the still-linked port; without any drain -- main -- 32 of eth0's were lost)."""
    eng = run_to_end(scenario("""
name: rt9-two-offlines
seed: 1
cpus: 16
platform: {kind: xen-hvm, xen: "4.10", xen_upcall_vector_cpuid: true}   # (audit12: the per-vCPU upcall
kernel: {version: "4.9", xen_percpu_upcall: true}                     # vector keeps the interleaving built here)
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 4}}
  eth1: {bdf: "00:04.0", kind: nic, passthrough: true, msix: {table_size: 4}}
  eth2: {bdf: "00:05.0", kind: nic, passthrough: true, msix: {table_size: 4}}
run:
  # (revision 10, qemuio: the three probes' trapped reads queue in QEMU and end at ~3.5 ms, so the rest of
  # the run is the original interleaving moved 3 ms later)
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 4}
  - {at: 0, on: 1, do: probe, dev: eth1, mode: msix, vectors: 4}
  - {at: 0, on: 2, do: probe, dev: eth2, mode: msix, vectors: 4}
  - {at: 4ms, on: 3, do: set_affinity, dev: eth0, vector: 1, cpu: 9}
  - {at: 4ms, on: 4, do: set_affinity, dev: eth1, vector: 2, cpu: 10}
  - {at: 4ms, on: 5, do: set_affinity, dev: eth2, vector: 3, cpu: 15}
  - {at: 4100us, do: fire, dev: eth0, vector: 1, count: 50, every: 3us}
  - {at: 4100us, do: fire, dev: eth1, vector: 2, count: 50, every: 4us}
  - {at: 4100us, do: fire, dev: eth2, vector: 3, count: 50, every: 5us}
  - {at: 4150us, on: 6, do: cpu_offline, cpu: 9}
  - {at: 4160us, on: 7, do: cpu_offline, cpu: 14}
  # (redteam11) vCPU9 takes every event its storm leaves pending before its stopper acks; this one
  # comes once it has interrupts off in stop_machine, before take_cpu_down rebinds the port
  - {at: 4308us, do: fire, dev: eth0, vector: 1}
  - {at: 6ms, do: fire, dev: eth0, vector: 1, count: 3, every: 10us}
  - {at: 6ms, do: fire, dev: eth2, vector: 3, count: 3, every: 10us}
"""))
    for dev, n in (("eth0", 54), ("eth1", 50), ("eth2", 53)):
        assert totals(eng, dev) == {"raised": n, "delivered": n, "lost": 0, "spurious": 0}
    # (dyingdrain) vCPU9 takes the event linked on its queue at its MULTI_STOP_EXIT, before CPU_DEAD: the
    # drain finds nothing; vCPU14's offline comes after vCPU9's CPU_DEAD steps
    assert not any("Dropping pending event" in str(e) for e in events_of(eng, "kernel"))
    exit_, dead = (next(e for e in events_of(eng, "kernel") if t in str(e.fields.get("what")))
                   for t in ("MULTI_STOP_EXIT, CPU9", "do_idle: CPU9"))
    assert [e.dev for e in events_of(eng, "irq.handler") if e.cpu == 9 and exit_.index < e.index < dead.index] == ["eth0"]
    offlines = events_of(eng, "cpu.offline")
    assert [e.fields["target"] for e in offlines] == [9, 14]
    second = next(e for e in events_of(eng, "kernel") if "CPU14 runs take_cpu_down" in str(e.fields.get("what")))
    assert offlines[0].index < second.index


PV = """
name: rt9-pv-eoi-map
seed: 1
cpus: 2
platform: {{kind: xen-pv, xen: "4.12"}}
kernel: {{version: "5.10"}}
devices:
  dev0: {{bdf: "00:05.0", kind: generic, passthrough: true, {cap}}}
run:
  - {{at: 0, do: probe, dev: dev0, mode: any, vectors: 1}}
  - {{at: 1ms, do: fire, dev: dev0, vector: 0, count: 3, every: 10us}}
"""


def test_a_pv_guest_eois_a_pirq_only_when_its_eoi_map_bit_says_so() -> None:
    """A PV guest registers pirq_eoi_map (PHYSDEVOP_pirq_eoi_gmfn_v2, xen_init_IRQ) and asks it instead of
    XENIRQSTAT_needs_eoi; Xen's pirq_guest_bind sets the bit only for ack types other than
    ACKTYPE_NONE, i.e. an MSI it cannot mask. The model made a PHYSDEVOP_eoi for every interrupt of every
    PV pirq (as an HVM guest, which has no map, does). The unmaskable MSI still EOIs: startup's eoi_pirq
    and one per interrupt."""
    for cap, eois in (("msix: {table_size: 2}", 0), ("msi: {vectors: 1, per_vector_mask: true, addr64: true}", 0),
                      ("msi: {vectors: 1, per_vector_mask: false, addr64: true}", 4)):
        eng = run_to_end(scenario(PV.format(cap=cap)))
        assert totals(eng, "dev0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}
        calls = [e for e in events_of(eng, "xen.hypercall") if "PHYSDEVOP_eoi" in str(e)]
        assert len(calls) == eois, cap
