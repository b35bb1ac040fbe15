"""Red team 11: held-out Xen scenarios (Xen 4.2 .. 4.20, kernels 3.x .. 6.x, PV/HVM, both event
channel ABIs). Each test is a mechanism the run got wrong, with the upstream source it follows."""

from __future__ import annotations

import pytest

from tests.conftest import run_to_end, scenario

# A vCPU that is in an event channel upcall when cpu_offline starts: Xen links another event on
# its FIFO queue (and sets the callback vector) while the handler runs. The stopper thread runs
# only once the vCPU leaves hardirq, and it runs with interrupts on until MULTI_STOP_DISABLE_IRQ
# (linux kernel/stop_machine.c multi_cpu_stop; every release read), so the return from the
# handler takes the pending callback vector first and the port is consumed on vCPU2. The model
# had the stopper ack at once: the port stayed linked on the dying vCPU's queue, every later
# event coalesced there, and evtchn_fifo_percpu_deinit dropped it ("Dropping pending event").
HOTPLUG_HVM = """
name: rt11-hotplug-upcall
cpus: 3
platform: {kind: xen-hvm, xen: "4.14"}
kernel: {version: "5.10"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 3}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 3}
  - {at: 100us, on: 0, do: set_affinity, dev: eth0, vector: 1, cpu: 2}
  - {at: 200us, on: 0, do: set_affinity, dev: eth0, vector: 2, cpu: 2}
  - {at: 1ms, do: fire, dev: eth0, vector: 1, count: 30, every: 7us}
  - {at: 1ms, do: fire, dev: eth0, vector: 2, count: 30, every: 11us}
  - {at: 1080us, on: 1, do: cpu_offline, cpu: 2}
"""


def test_a_pending_upcall_is_taken_before_the_stopper_acks() -> None:
    eng = run_to_end(scenario(HOTPLUG_HVM))
    a = eng.w["acct"]["eth0"]
    # vector 1's port was linked on vCPU2 while its handler ran: handled there, then on vCPU0
    assert (a["raised"][1], a["delivered"][1], a["lost"][1]) == (30, 30, 0)
    evs = [e for e in eng.log.events(1, len(eng.log) + 1)]
    stop = next(i for i, e in enumerate(evs) if e.kind == "kernel" and "MULTI_STOP_PREPARE acked" in str(e))
    # the last thing vCPU2 does before the ack is the pending callback vector's upcall
    before = [e for e in evs[:stop] if e.kind == "apic.accept" and "cpu2" in str(e)]
    assert before and before[-1].time_ns > next(
        e.time_ns for e in evs if e.kind == "kernel" and "waits for it to leave hardirq" in str(e))


# A PV guest's writes to the MSI / MSI-X capability never reach the device: pciback's
# xen_pcibk_config_write treats a field no config_field handles as read-only ("By default, anything
# not specificially handled above is read-only"), and its later msi_msix_flags_write refuses any
# change without allow_interrupt_control, which libxl never sets (linux 037dd1308c6d
# drivers/xen/xen-pciback/conf_space.c, conf_space_capability.c; xen RELEASE-4.19.0
# tools/libs/light/libxl_pci.c). The model passed Function Mask and every MSI register but Message
# Control to the device, so a raw Function Mask or MSI Mask Bits write silenced it.
PV_CAP_WRITES = """
name: rt11-pv-cap-writes
cpus: 2
platform: {kind: xen-pv, xen: "4.14"}
kernel: {version: "5.10"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 4}}
  m0: {bdf: "00:04.0", kind: generic, passthrough: true, msi: {vectors: 1, per_vector_mask: true, addr64: true}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
  - {at: 0, on: 1, do: probe, dev: m0, mode: msi, vectors: 1}
  - {at: 1ms, do: write, dev: eth0, target: config, offset: 0x72, value: 0xc000, size: 2}
  - {at: 1ms, on: 1, do: write, dev: m0, target: config, offset: 0x60, value: 1, size: 4}
  - {at: 2ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}
  - {at: 2ms, do: fire, dev: m0, vector: 0, count: 3, every: 10us}
"""


def test_a_pv_guests_capability_writes_are_dropped_by_pciback() -> None:
    eng = run_to_end(scenario(PV_CAP_WRITES))
    for dev in ("eth0", "m0"):
        a = eng.w["acct"][dev]
        assert (sum(a["raised"]), sum(a["delivered"]), sum(a["lost"])) == (3, 3, 0), dev
    d = eng.w["devices"]
    assert not d["eth0"]["msix"]["ctrl"] & 0x4000 and d["m0"]["msi"]["mask"] == 0
    drops = [(e.dev, e.fields["offset"], e.fields["space"]) for e in eng.log.events(1, len(eng.log) + 1)
             if e.kind == "pcifront.dropped"]
    assert ("eth0", 0x72, "config") in drops and ("m0", 0x60, "config") in drops


# A vCPU that cpu_offline's stop_machine finds in a handler blocked on a trapped write (a 4.19 guest
# without pirqs: the deferred move's irq_move_irq rewrites the MSI-X entry from hardirq, each store an
# ioreq the vCPU waits for in hvm_wait_for_io) must stay blocked until QEMU completes it. The model
# scheduled it to "leave hardirq" at once: it ran its next step with the ioreq outstanding and crashed
# ("an ioreq completed for a vCPU that was not waiting for it"; fuzz seed 5135, XENHEAVY HOTPLUG).
OFFLINE_DURING_IOREQ = """
name: rt11-offline-during-ioreq
cpus: 3
platform: {kind: xen-hvm, xen: "4.20"}
kernel: {version: "4.19"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 2}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1, affinity: 1}
  - {at: 500us, do: set_affinity, dev: eth0, vector: 0, cpu: 0}
  - {at: 1ms, do: fire, dev: eth0, vector: 0}
  - {at: OFF, on: 0, do: cpu_offline, cpu: 2}
  - {at: 2ms, do: fire, dev: eth0, vector: 0, count: 2, every: 10us}
"""


@pytest.mark.parametrize("off", ["1002us", "1006us", "1010us", "1020us"])
def test_stop_machine_waits_for_a_handler_blocked_on_an_ioreq(off: str) -> None:
    eng = run_to_end(scenario(OFFLINE_DURING_IOREQ.replace("OFF", off)))
    a = eng.w["acct"]["eth0"]
    assert (sum(a["raised"]), sum(a["delivered"]), sum(a["lost"])) == (3, 3, 0)
    evs = list(eng.log.events(1, len(eng.log) + 1))
    assert [e.fields["target"] for e in evs if e.kind == "cpu.offline"] == [2]


def test_the_fifo_drain_note_names_no_function_the_release_lacks() -> None:
    """The drain note named evtchn_fifo_percpu_deinit for every kernel; 4.4 has the CPU_DEAD case of
    evtchn_fifo_cpu_notification (the percpu_deinit name comes with the 5.10 evtchn_ops refactor)."""
    from tests.test_redteam9 import run_late_link

    # (dyingdrain: the dying vCPU takes what stop_machine left on its queue at MULTI_STOP_EXIT; a port is left
    # for the drain only when linked after do_idle -- by hand here)
    eng = run_late_link(HOTPLUG_HVM.replace('version: "5.10"', 'version: "4.4"'), 2, 2)
    notes = [str(e) for e in eng.log.events(1, len(eng.log) + 1) if e.kind == "kernel" and "Dropping pending" in str(e)]
    assert notes and all("evtchn_fifo_percpu_deinit" not in n and "CPU_DEAD" in n for n in notes)
