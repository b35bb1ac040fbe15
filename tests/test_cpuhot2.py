"""CPU hotplug gaps: stop_machine's rendezvous with a CPU in hardirq, the migration of a task off
a CPU going offline, device vectors 16..31 (exception vectors in the IDT).

Expected values follow from the named upstream code (kernel/stop_machine.c multi_cpu_stop,
kernel/sched/core.c select_fallback_rq, arch/x86/kernel/idt.c), worked out before the run.
"""

from __future__ import annotations

from tests.conftest import events_of, run_to_end, scenario, totals
from tests.test_redteam_topologies import XHCI_ALONE

LIVELOCK = XHCI_ALONE.replace("costs: {handler: 500ns}", "costs: {handler: 1500ns}")


def _notes(eng, prog: str) -> list:
    return [e for e in events_of(eng, "kernel") if e.fields.get("prog") == prog]


def test_an_offline_of_a_cpu_looping_in_hardirq_waits_until_it_leaves_the_loop() -> None:
    """5.5, 1.5us handler on a 1us stream (test_redteam_topologies): CPU1 never leaves
    handle_edge_irq's loop, CPU2 takes every edge and sets IRQS_PENDING. cpu_offline of CPU1 at
    900us: CPU1's stopper thread cannot run while it is in hardirq, so stop_machine stays in
    MULTI_STOP_PREPARE, where CPU2 spins with interrupts on and keeps feeding the loop. The
    stream's last edge is at 1299us; CPU1 leaves the loop after it, acks, and only then does
    take_cpu_down run. Nothing is lost."""
    eng = run_to_end(scenario(LIVELOCK))
    take = [e for e in _notes(eng, "take_cpu_down") if str(e.fields["what"]).startswith("take_cpu_down: CPU1")]
    assert len(take) == 1 and take[0].time_ns > 1_299_000 and take[0].cpu == 1   # run by the dying CPU
    acks = _notes(eng, "multi_cpu_stop")
    # CPU2 has the 900us edge pending as the offline starts: it takes it, then its stopper acks
    # PREPARE (redteam10: interrupts are on until MULTI_STOP_DISABLE_IRQ); CPU1's ack is the last
    assert [(e.cpu, e.time_ns > 1_299_000) for e in acks] == [(2, False), (1, True)]
    assert "MULTI_STOP_RUN" in acks[-1].fields["what"]
    assert take[0].time_ns >= acks[-1].time_ns
    # CPU2 kept taking the stream in PREPARE, and CPU1 kept running the action for it
    pend = [e for e in events_of(eng, "kernel") if "IRQS_PENDING" in str(e.fields.get("what"))]
    assert sum(1 for e in pend if 900_000 < e.time_ns < 1_299_000 and e.cpu == 2) > 300
    assert {e.cpu for e in events_of(eng, "irq.handler") if 900_000 < e.time_ns < 1_299_000} == {1}
    off = events_of(eng, "cpu.offline")
    assert len(off) == 1 and off[0].time_ns > take[0].time_ns
    assert totals(eng, "xhci") == {"raised": 1200, "delivered": 1200, "lost": 0, "spurious": 0}


MIGRATE = """
name: migrate
cpus: 3
kernel: {{version: "6.6"}}
devices:
  nvme0: {{bdf: "00:04.0", kind: nvme, msix: {{table_size: 8}}}}
run:
  - {{at: 0, on: 1, do: probe, dev: nvme0, mode: msix, vectors: 8}}
  - {{at: 10us, on: {req}, do: cpu_offline, cpu: 1}}
  - {{at: 100us, do: fire, dev: nvme0, vector: 0, count: 3, every: 10us}}
"""


def _migration_note(eng):
    notes = _notes(eng, "select_fallback_rq")
    assert len(notes) == 1
    return notes[0]


def test_a_pinned_task_on_a_cpu_going_offline_continues_on_the_lowest_active_cpu() -> None:
    """The probe (a task pinned to CPU1, taskset -c 1) is in the middle of request_irq when CPU1 goes
    offline at 10us: none of its allowed CPUs is active, so select_fallback_rq widens its affinity
    and picks the lowest active CPU, CPU0 (printk "no longer affine to cpu1"). CPU0 runs the
    cpu_offline itself, so the probe goes on there after it: its request_irq calls run on CPU0,
    the managed irq of CPU1's queue cannot start (no online CPU in its mask) and the probe
    succeeds. Before, the probe stayed frozen on the offline CPU and never finished."""
    eng = run_to_end(scenario(MIGRATE.format(req=0)))
    off = events_of(eng, "cpu.offline")[0]
    note = _migration_note(eng)
    # (offdying) migrate_tasks is a CPU_DYING step of take_cpu_down: the dying CPU1 runs it
    assert note.cpu == 1 and "no longer affine to cpu1" in note.fields["what"]
    done = {e.fields["action"]: e for e in events_of(eng, "action.done")}
    assert done[0].cpu == 0 and done[0].fields["result"] == 0
    assert done[1].time_ns < done[0].time_ns            # after the cpu_offline that ran on CPU0
    requests = [e for e in events_of(eng, "irq.request") if e.time_ns > 10_000]
    assert {e.cpu for e in requests} == {0} and len(requests) == 4
    # after the offline, nothing runs on CPU1 (before it: take_cpu_down, there)
    assert not any(e.cpu == 1 for e in eng.log.events(1, len(eng.log) + 1) if e.time_ns > off.time_ns)
    assert {e.fields.get("prog") for e in eng.log.events(1, len(eng.log) + 1)
            if e.cpu == 1 and 10_000 < e.time_ns and e.kind == "kernel"} <= {"take_cpu_down", "select_fallback_rq",
                                                                               "multi_cpu_stop", "migrate_one_irq",
                                                                               "fixup_irqs", "pci_write_msi_msg"}
    assert eng.w["kernel"]["pci"]["nvme0"]["status"] == "ok"
    assert "migrating" not in eng.w["kernel"]
    assert totals(eng, "nvme0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}


def test_a_task_moved_to_an_idle_cpu_runs_there_at_once() -> None:
    """The offline asked from CPU2: the fallback CPU0 runs nothing, so the probe resumes there as
    soon as stop_machine ends, before CPU2's cpu_offline returns."""
    eng = run_to_end(scenario(MIGRATE.format(req=2)))
    note = _migration_note(eng)
    assert note.cpu == 1 and "moved to CPU0" in note.fields["what"] and "runnable after" not in note.fields["what"]
    done = {e.fields["action"]: e for e in events_of(eng, "action.done")}
    assert done[0].cpu == 0 and done[0].fields["result"] == 0 and done[1].cpu == 2
    off = events_of(eng, "cpu.offline")[0]
    first = min(e.time_ns for e in events_of(eng, "irq.request") if e.time_ns > 10_000)
    assert off.time_ns < first < done[1].time_ns


def test_a_world_copied_while_the_task_waits_for_its_new_cpu_finishes_the_same() -> None:
    """Snapshots hold world data only: a copy taken while the migrated task waits for CPU0 (kernel
    .migrating) runs to the same end state."""
    from msidbg.model import new_engine
    from msidbg.sim.world import state_hash
    from tests.conftest import finish_copy

    scn = scenario(MIGRATE.format(req=0))
    ref = run_to_end(scn)
    eng = new_engine(scn, None)
    while "migrating" not in eng.w["kernel"]:
        assert eng.step()
    assert state_hash(finish_copy(eng).w) == state_hash(ref.w)


DOORBELL = """
name: doorbell-offline
cpus: 3
kernel: {version: "6.6"}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, msix: {table_size: 2}}
run:
  - {at: 0, on: 1, do: probe, dev: nvme0, mode: msix, vectors: 1, set_master: false}
  - {at: 100us, on: 1, do: doorbell, dev: nvme0, vector: 0, timeout: 5ms}
  - {at: 120us, on: 2, do: cpu_offline, cpu: 1}
"""


def test_a_driver_asleep_in_its_doorbell_wait_stays_with_its_cpu_and_its_wakeup_places_it() -> None:
    """Bus Master off: the doorbell's message is dropped and the driver sleeps until its 5ms timeout.
    CPU1 goes offline under it: a sleeping task is not runnable, so balance_push leaves it (no
    select_fallback_rq at the offline). Its timeout wakes it at 5.1ms; try_to_wake_up finds CPU1
    inactive and select_fallback_rq places it on CPU0, where the doorbell returns -ETIMEDOUT.
    (audit16: before, the model moved the sleeping task to an idle CPU at the offline -- reading
    kernel.actions.offline-sleeper-fallback; and before that it never returned.)"""
    eng = run_to_end(scenario(DOORBELL))
    assert _notes(eng, "select_fallback_rq") == []
    assert [e.time_ns for e in events_of(eng, "wait.timeout")] == [5_100_000]
    done = {e.fields["action"]: e for e in events_of(eng, "action.done")}
    assert (done[1].cpu, done[1].fields["result"], done[1].time_ns) == (0, -110, 5_100_000)


# --- device vectors 16..31: the local APIC takes them, the IDT runs an exception entry -----------------
EXC = """
name: exception-vector
cpus: 2
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 1}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1, affinity: 1}
  - {at: 1ms, do: write, dev: eth0, target: msix-table, offset: 8, value: %s}
  - {at: 2ms, do: fire, dev: eth0, vector: 0, count: 3, every: 100us}
"""


def test_a_vector_16_runs_the_mf_exception_entry_not_a_device_handler() -> None:
    """Data 0x10 (a raw write; Linux never assigns below 0x20): CPU1's local APIC accepts it (no
    ESR error: only 0..15 are illegal) and the CPU vectors through IDT[0x10], the #MF gate:
    exc_coprocessor_error -> math_error, kernel mode, no fixup: die(). No common_interrupt
    ("No irq handler for vector" was the model's answer), no EOI: the ISR bit 0x10 stays set, so
    the second and third messages wait in IRR (class 1 does not beat the in-service class 1)."""
    eng = run_to_end(scenario(EXC % "0x10"))
    assert [e.fields["vector"] for e in events_of(eng, "apic.accept") if e.cpu == 1 and e.time_ns > 1_000_000] == [0x10]
    notes = _notes(eng, "exc_coprocessor_error")
    assert len(notes) == 1 and "#MF" in notes[0].fields["what"] and 'die("fpu exception")' in notes[0].fields["what"]
    assert "hypothetical" not in notes[0].fields["what"]
    assert not events_of(eng, "irq.unhandled")
    c1 = eng.w["cpus"][1]
    assert c1["isr"][0] == 1 << 0x10 and c1["irr"][0] == 1 << 0x10 and c1.get("esr", 0) == 0
    assert totals(eng, "eth0") == {"raised": 3, "delivered": 0, "lost": 3, "spurious": 1}
    lost = [h.detail for h in eng.hits if h.name == "irq-lost"]
    assert lost == ["eth0 vector 0: 1 signal(s) hit CPU1 vector 0x10: the IDT's #MF exception entry "
                    "(exc_coprocessor_error), not a device interrupt",
                    "eth0 vector 0: 2 signal(s) were still pending in CPU1's IRR at the end"]


def test_a_reserved_exception_vector_is_named_and_marked_hypothetical() -> None:
    """Data 0x1f: no def_idts entry; the exception entry is named, its effect marked hypothetical."""
    eng = run_to_end(scenario(EXC % "0x1f"))
    notes = [e for e in events_of(eng, "kernel") if "is reserved in the IDT" in str(e.fields.get("what"))]
    assert len(notes) == 1 and notes[0].fields["what"].endswith("(hypothetical)")


RETARGET = """
name: retarget
cpus: 4
kernel: {version: "6.1", cpu0_hotplug: true}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 1}}
  nvme0: {bdf: "00:04.0", kind: nvme, msix: {table_size: 8}}
run:
  - {at: 0, on: 3, do: probe, dev: eth0, mode: msix, vectors: 1, set_master: false}
  - {at: 12us, on: 0, do: doorbell, dev: eth0, vector: 0, timeout: 5ms}
  - {at: 12us, on: 2, do: probe, dev: nvme0, mode: msix, vectors: 8}
  - {at: 20us, on: 1, do: cpu_offline, cpu: 2}
  - {at: 2ms, on: 3, do: cpu_offline, cpu: 0}
"""


def test_a_task_waiting_for_its_fallback_cpu_follows_when_that_cpu_goes_offline_too() -> None:
    """The nvme probe leaves CPU2 for CPU0, where a driver sleeps in its doorbell wait: it waits for
    that task. CPU0 goes offline next (cpu0_hotplug, 6.1): the sleeping doorbell stays with CPU0 (not
    runnable), the waiting probe is placed again (select_fallback_rq: CPU1, idle) and finishes there at
    once; the doorbell times out at 5.012ms and its wakeup places it on CPU1 too (audit16: before, the
    sleeping doorbell was moved to CPU1 at the offline and the probe waited behind it)."""
    eng = run_to_end(scenario(RETARGET))
    notes = [e.fields["what"] for e in _notes(eng, "select_fallback_rq")]
    assert len(notes) == 1 and "runnable after CPU0's current action" in notes[0]
    off0 = next(e.time_ns for e in events_of(eng, "cpu.offline") if e.time_ns > 2_000_000)
    done = {e.fields["action"]: e for e in events_of(eng, "action.done")}
    assert (done[2].cpu, done[2].fields["result"]) == (1, 0) and off0 < done[2].time_ns < 5_000_000
    assert (done[1].cpu, done[1].fields["result"], done[1].time_ns) == (1, -110, 5_012_000)
    assert "migrating" not in eng.w["kernel"]
