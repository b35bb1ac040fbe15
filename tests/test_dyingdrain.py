"""dyingdrain: the dying CPU between stop_machine's end and play_dead.

linux kernel/stop_machine.c multi_cpu_stop (v4.19, v6.6): every CPU leaves the state machine at
MULTI_STOP_EXIT with ``local_irq_restore(flags)`` -- the dying CPU too, whose stopper thread ran
take_cpu_down. Its idle task then runs do_idle: ``local_irq_disable(); if (cpu_is_offline(cpu))
{ cpuhp_report_idle_dead(); arch_cpu_idle_dead(); }`` (kernel/sched/idle.c), and the control CPU's
takedown_cpu waits for that report (``wait_for_ap_thread(st, false)``, kernel/cpu.c) before __cpu_die
and the CPU_DEAD callbacks. In between the dying CPU takes what is pending: a Xen vCPU its upcall
(xen_irq_enable -> xen_force_evtchn_callback), which empties its FIFO queue before the CPU_DEAD drain;
a bare-metal CPU the vectors left in its IRR, on the slots fixup_irqs left (arch/x86/kernel/irq.c:
VECTOR_RETRIGGERED -> EOI, the slot becomes VECTOR_UNUSED, nothing printed). The model kept the dying
CPU stopped, interrupts off, from take_cpu_down to the offline.
"""

from __future__ import annotations

from msidbg.debugger import Session
from msidbg.model import new_engine
from msidbg.model.hw import VECTOR_RETRIGGERED
from msidbg.sim.strategy import Plan, Schedule
from tests.conftest import events_of, hit_names, run_to_end, scenario, totals
from tests.test_explore12 import PV_HOTPLUG

#: msidbg explore x5.yaml --strategy pct --seed 13 (tests/test_explore12.py's x5, before this change: 25 of
#: 200 runs dropped a port at CPU_DEAD): its first failing run, shrunk to these 11 deviations -- nvme0's
#: probe on CPU1 ahead of eth0's on CPU0, then eth0's signal and Xen's work for it ahead of vCPU3's
#: take_cpu_down (each_irq), so that eth0's upcall reaches vCPU3 while it is stopped with interrupts off and
#: the port stays linked on vCPU3's FIFO queue across fixup_irqs' rebind to vCPU0.
#: Revision 17 (xen29: a remote vCPU's upcall comes at its next VM entry, reading xen.evtchn.remote-kick) took
#: vCPU3's empty upcall runs out of the run: it reaches take_cpu_down at its ~39th step, so the last two
#: deviations (eth0, then Xen pCPU3, ahead of vCPU3's 52nd step) no longer occur; the first nine alone bring
#: eth0's signals to vCPU3's queue while it is stopped (40 coalesced, was 39).
#: Revision 20 (intx36: the guest's pci_intx_for_msi reads and writes Command through pcifront for every
#: function) gives eth0's probe one more step before the deviation point: CPU0's step 8 -> 9 (and 9 -> 10)
PLAN = [("sched", ("CPU0", 9, i), ("CPU1", 0)) for i in range(8)] + [("sched", ("CPU0", 10, 0), ("CPU1", 0))]


def _kernel_note(eng, text: str) -> list:
    return [e for e in events_of(eng, "kernel") if text in str(e.fields.get("what"))]


def test_the_dying_vcpu_takes_its_pending_upcall_before_the_cpu_dead_drain() -> None:
    s = Session(scenario(PV_HOTPLUG, "x5.yaml"), 2052913108263788899,
                schedule=Schedule("pct", 3, 10_000, 349, plan=Plan(PLAN)))
    s.run()
    eng = s.eng
    assert [d for d in eng.trace.plan.items() if d[0] == "sched"] == PLAN    # the schedule still applies
    # the CPU_DEAD drain has nothing to drop, and nothing is lost
    assert _kernel_note(eng, "Dropping pending event") == []
    assert "irq-lost" not in hit_names(eng)
    assert totals(eng, "eth0") == {"raised": 50, "delivered": 50, "lost": 0, "spurious": 0}
    exit_, = _kernel_note(eng, "MULTI_STOP_EXIT, CPU3 has interrupts on")
    dead, = _kernel_note(eng, "do_idle: CPU3 is offline")
    assert exit_.cpu == dead.cpu == 3
    # between the two, vCPU3 runs its event callback: eth0's port (rebound to vCPU0, linked on vCPU3's
    # queue) is handled there, with every signal it had coalesced
    window = [e for e in eng.log.events(exit_.index, dead.index) if e.cpu == 3]
    assert [e.kind for e in window if e.kind in ("xen.callback", "irq.handler")] == ["xen.callback", "irq.handler"]
    handler = next(e for e in window if e.kind == "irq.handler")
    assert eng.w.irqs[handler.fields["irq"]]["dev"] == "eth0" and handler.fields["signals"] == 40
    # the control CPU ran the CPU_DEAD steps and the offline only after vCPU3 reported itself dead
    off, = events_of(eng, "cpu.offline")
    assert off.cpu == 1 and off.index > dead.index


BARE = """
name: dyingdrain-bare
cpus: 3
kernel: {{version: "{ver}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 4}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 100us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}}
  - {{at: 150us, do: fire, dev: eth0, vector: 0, count: 1, every: 10us}}
  - {{at: 200us, on: 0, do: cpu_offline, cpu: 1}}
  - {{at: 200050ns, do: fire, dev: eth0, vector: 0, count: 1, every: 10us}}
"""


def test_a_vector_retriggered_by_fixup_irqs_is_taken_and_dropped_silently_by_the_dying_cpu() -> None:
    """eth0's vector 0 targets CPU1 (its move applied by the signal at 150us); it fires as CPU1 enters take_cpu_down (interrupts off), before
    fixup_irqs moves it: the signal waits in CPU1's IRR, the IRR scan retriggers it to CPU0 and marks
    the slot VECTOR_RETRIGGERED, the IRR bit stays. At MULTI_STOP_EXIT CPU1 takes it: common_interrupt
    (do_IRQ in 4.19) EOIs a VECTOR_RETRIGGERED slot and makes it VECTOR_UNUSED, no message, no loss;
    the retriggered copy is handled on CPU0. Every other slot of CPU1 was made VECTOR_UNUSED by the scan."""
    for ver in ("4.19", "6.6"):
        eng = new_engine(scenario(BARE.format(ver=ver)), None)
        slots_at_exit = None
        n = 0
        while eng.step():
            for e in eng.log.events(n + 1, len(eng.log) + 1):
                if e.kind == "kernel" and "MULTI_STOP_EXIT, CPU1" in str(e.fields.get("what")):
                    slots_at_exit = dict(eng.w.cpus[1].vector_irq)
            n = len(eng.log)
        taken = [e for e in events_of(eng, "irq.unhandled") if e.cpu == 1]
        assert [(e.fields["slot"], e.fields["signals"]) for e in taken] == [(VECTOR_RETRIGGERED, 0)], ver
        assert slots_at_exit is not None, ver
        retriggered = [v for v, s in slots_at_exit.items() if s == VECTOR_RETRIGGERED]
        assert retriggered == [taken[0].fields["vector"]], (ver, slots_at_exit)
        assert not [s for s in slots_at_exit.values() if type(s) is int], (ver, slots_at_exit)
        dead, = _kernel_note(eng, "do_idle: CPU1 is offline")
        assert taken[0].index < dead.index, ver
        assert VECTOR_RETRIGGERED not in eng.w.cpus[1].vector_irq.values(), ver    # made VECTOR_UNUSED
        assert [e.cpu for e in events_of(eng, "irq.handler")] == [1, 0], ver
        assert totals(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}, ver
        assert "irq-spurious" not in hit_names(eng), ver


def test_the_stopped_cpus_go_on_at_multi_stop_exit_not_at_the_offline() -> None:
    """multi_cpu_stop's MULTI_STOP_EXIT releases every CPU when take_cpu_down returns: CPU0 (the control
    CPU, waiting in wait_for_ap_thread with interrupts on) takes the retriggered vector before CPU1 reports
    itself dead, not after the offline as when the model kept every CPU stopped until then."""
    eng = run_to_end(scenario(BARE.format(ver="6.6")))
    off, = events_of(eng, "cpu.offline")
    handler = events_of(eng, "irq.handler")[-1]
    assert handler.cpu == 0 and handler.index < off.index
    exit_, = _kernel_note(eng, "MULTI_STOP_EXIT, CPU1")
    assert exit_.index < handler.index


UNSTARTED = """
name: dyingdrain-unused
cpus: 3
kernel: {{version: "4.19"}}
devices:
  xhci: {{bdf: "00:14.0", kind: xhci, msi: {{vectors: 1, per_vector_mask: false}}}}
run:
  - {{at: 0, on: 0, do: default_affinity, cpus: [1]}}
  - {{at: 10us, on: 0, do: alloc_vectors, dev: xhci, mode: msi, vectors: 1}}
  - {{at: 200us, on: 0, do: cpu_offline, cpu: 1}}
{fire}"""


def test_a_signal_reaching_the_dying_cpu_in_its_window_is_no_irq_handler_for_vector() -> None:
    """4.19: xhci's MSI is allocated (its vector activated on CPU1: no per-vector masking, so no reservation
    mode) but never requested, so fixup_irqs does not migrate it (not started) and the device's message
    still targets CPU1; the IRR scan makes the slot VECTOR_UNUSED all the same. A signal landing between
    MULTI_STOP_EXIT and do_idle's local_irq_disable (native_cpu_disable before 5.8 only masks the LVTs with
    clear_local_APIC: the APIC still accepts it) is taken there: do_IRQ EOIs it with 'No irq handler for
    vector' -- lost, spurious. (It was lost silently at the offline.) The signal is timed from a first run:
    the middle of the window."""
    first = run_to_end(scenario(UNSTARTED.format(fire="")))
    exit_, = _kernel_note(first, "MULTI_STOP_EXIT, CPU1")
    dead, = _kernel_note(first, "do_idle: CPU1 is offline")
    at = (exit_.time_ns + dead.time_ns) // 2
    assert exit_.time_ns < at < dead.time_ns
    eng = run_to_end(scenario(UNSTARTED.format(
        fire=f"  - {{at: {at}ns, do: fire, dev: xhci, vector: 0, count: 1, every: 1us}}\n")))
    taken = [e for e in events_of(eng, "irq.unhandled") if e.cpu == 1]
    assert [(e.fields["slot"], e.fields["signals"]) for e in taken] == [("UNUSED", 1)]
    assert totals(eng, "xhci") == {"raised": 1, "delivered": 0, "lost": 1, "spurious": 1}
    dead, = _kernel_note(eng, "do_idle: CPU1 is offline")
    assert taken[0].index < dead.index < events_of(eng, "cpu.offline")[0].index
