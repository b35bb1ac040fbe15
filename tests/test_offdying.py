"""offdying: take_cpu_down runs on the dying CPU, interrupts off.

linux kernel/cpu.c (v4.19, v6.6) takedown_cpu -> stop_machine_cpuslocked(take_cpu_down, NULL,
cpumask_of(cpu)): take_cpu_down runs on the outgoing CPU with interrupts off -- __cpu_disable
(x86 native_cpu_disable: the vector check, then cpu_disable_common -> fixup_irqs -> the moves, whose
message writes and, on a Xen guest, xen_rebind_evtchn_to_cpu's EVTCHNOP_bind_vcpu are made from there;
mdelay(1); the IRR scan; lapic_offline from its introduction), then the CPU_DYING states
(sched_cpu_dying -> migrate_tasks before 5.11). The CPU_DEAD states run on the control CPU after
__cpu_die. The model ran all of it on the requesting CPU's process stack.
"""

from __future__ import annotations

from msidbg.model import new_engine
from tests.conftest import events_of, run_to_end, scenario, totals

XEN_OFFLINE = """
name: offdying-xen
cpus: 3
platform: {kind: xen-hvm, xen_hvm_pirqs: true}
devices:
  eth0: {bdf: "00:03.0", passthrough: true, msix: {table_size: 2}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 1ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 2}
  - {at: 2ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}
  - {at: 3ms, on: 0, do: cpu_offline, cpu: 2}
  - {at: 4ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}
"""


def _watch(scn_text: str, pick) -> tuple[object, list[tuple[object, int, list[str], bool]]]:
    """Run to the end; for every event ``pick`` selects: (event, CPU, that CPU's process stack, its
    interrupts off), read as the event is emitted."""
    eng = new_engine(scenario(scn_text), None)
    seen = []
    n = 0
    while eng.step():
        for e in eng.log.events(n + 1, len(eng.log) + 1):
            if pick(e):
                proc = eng.w.cpus[e.cpu].proc
                seen.append((e, e.cpu, [f["prog"] for f in proc.stack], bool(proc.irqs_off)))
        n = len(eng.log)
    return eng, seen


def test_a_xen_guests_rebind_in_fixup_irqs_is_made_by_the_dying_vcpu_with_interrupts_off() -> None:
    """eth0's event channel is bound to vCPU2; CPU0 writes 0 to cpu2/online. fixup_irqs on vCPU2 moves
    the irq: xen_rebind_evtchn_to_cpu's EVTCHNOP_bind_vcpu (to vCPU0) is vCPU2's hypercall, from
    take_cpu_down's stack, interrupts off. CPU0 (the control task) runs the offline itself."""
    def pick(e) -> bool:
        return (e.kind == "xen.hypercall" and e.fields.get("op") == "EVTCHNOP_bind_vcpu"
                and 3_000_000 <= e.time_ns < 4_000_000)

    eng, seen = _watch(XEN_OFFLINE, pick)
    assert len(seen) == 1
    e, cpu, stack, off = seen[0]
    assert cpu == 2 and off and stack[0] == "take_cpu_down" and "cpu_down" not in stack
    start = next(x for x in events_of(eng, "action.start") if x.fields["do"] == "cpu_offline")
    offline = events_of(eng, "cpu.offline")
    assert start.cpu == 0 and [x.cpu for x in offline] == [0]
    # fixup_irqs' own steps are the dying CPU's, too
    take = [x for x in events_of(eng, "kernel") if x.fields.get("prog") == "take_cpu_down"]
    assert take and {x.cpu for x in take} == {2}
    mdelay = [x for x in events_of(eng, "kernel") if "mdelay(1)" in str(x.fields.get("what"))]
    assert [x.cpu for x in mdelay] == [2]
    # the outcome is unchanged: every signal is handled, on vCPU2 before the offline and not after
    handlers = [x.cpu for x in events_of(eng, "irq.handler")]
    assert handlers[:3] == [2, 2, 2] and 2 not in handlers[3:]
    assert totals(eng, "eth0") == {"raised": 6, "delivered": 6, "lost": 0, "spurious": 0}
    # the dying vCPU's process context is empty once it is offline; the requester's action is done
    assert eng.w.cpus[2].proc.stack == [] and not eng.w.cpus[2].online


BARE = """
name: offdying-bare
cpus: 3
kernel: {{version: "{ver}"}}
devices:
  nvme0: {{bdf: "00:04.0", kind: nvme, msix: {{table_size: 8}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 3}}
  - {{at: 200us, on: 0, do: cpu_offline, cpu: 1}}
  - {{at: 300us, do: fire, dev: nvme0, vector: 1, count: 3, every: 10us}}
"""


def test_bare_metal_message_writes_of_fixup_irqs_are_the_dying_cpus() -> None:
    """4.19 and 6.6: the MSI-X entry writes of the moves fixup_irqs makes between the offline's start and
    the CPU going offline come from CPU1's take_cpu_down, interrupts off; the requester CPU0 only waits
    (and runs the offline at the end)."""
    for ver in ("4.19", "6.6"):
        def pick(e) -> bool:
            return e.kind == "kernel" and e.fields.get("prog") in ("migrate_one_irq", "irq_shutdown_and_deactivate",
                                                                   "take_cpu_down", "fixup_irqs")

        eng, seen = _watch(BARE.format(ver=ver), pick)
        off = events_of(eng, "cpu.offline")
        assert [x.cpu for x in off] == [0], ver
        # (dyingdrain: but its "take_cpu_down returns" is MULTI_STOP_EXIT, which turns its interrupts back on; and
        # before 5.4 the idle task reports itself with them still on: apicleads, kernel.dying_irqs_off)
        during = [s for s in seen if 200_000 <= s[0].time_ns <= off[0].time_ns
                  and "MULTI_STOP_EXIT" not in str(s[0].fields.get("what"))
                  and "interrupts still on" not in str(s[0].fields.get("what"))]
        assert during, ver
        assert all(cpu == 1 and irqs_off and stack[0] == "take_cpu_down" for _, cpu, stack, irqs_off in during), (
            ver, [(s[0].fields, s[1], s[2]) for s in during])
        assert eng.w["kernel"]["pci"]["nvme0"]["status"] == "ok"


def test_the_vector_check_refuses_on_the_dying_cpu_and_the_requester_gets_the_error() -> None:
    """native_cpu_disable's lapic_can_unplug_cpu runs on CPU1 (take_cpu_down): its message is CPU1's,
    take_cpu_down returns -ENOSPC, and CPU0's write to cpu1/online returns it; CPU1 stays online with an
    empty process context (nothing was kept aside), and keeps taking its interrupts."""
    from tests.test_redteam14 import PINNED

    eng = run_to_end(scenario(PINNED.format(version="6.6", n=203, last=202)))   # (fidvec2: CPU0 keeps only 0x30)
    refused = [e for e in events_of(eng, "kernel") if "Cannot disable CPU" in str(e.fields.get("what"))]
    assert [(e.cpu, e.fields["prog"], e.fields["value"]) for e in refused] == [(1, "take_cpu_down", -28)]
    done = [e for e in events_of(eng, "action.done") if e.fields.get("do") == "cpu_offline"]
    assert [(e.cpu, e.fields["result"]) for e in done] == [(0, -28)]
    assert eng.w.cpus[1].online and eng.w.cpus[1].proc.stack == [] and not eng.w.cpus[1].stopped
    assert eng.w["kernel"]["hotplug"] == -1
    assert sum(eng.w.acct["big"]["lost"]) == 0 and sum(eng.w.acct["big"]["delivered"]) == 5
