"""stop_machine / cpu_down ordering (stopmach; found by redteam10's explore pct runs on held-out
scenarios). Each test is a mechanism the run got wrong, with the upstream source it follows:

- linux kernel/stop_machine.c multi_cpu_stop (v6.6; the same in every release read): every CPU's
  stopper thread runs with interrupts on until MULTI_STOP_DISABLE_IRQ, so a CPU with an interrupt
  pending when stop_machine begins takes it before its stopper acks (the CPU leaving hardirq case is
  redteam11's, tests/test_redteam11.py and on_cpu).
- stop_machine_cpuslocked -> stop_cpus queues multi_cpu_stop on *every* online CPU, the caller's
  included: the requester's task sleeps in wait_for_completion and its CPU's migration/N runs it.
- kernel/cpu.c takedown_cpu -> stop_machine_cpuslocked(take_cpu_down) -> __cpu_disable ->
  arch/x86 native_cpu_disable -> cpu_disable_common -> remove_cpu_from_maps: the outgoing CPU
  leaves cpu_online_mask only in MULTI_STOP_RUN (fixup_irqs follows); before, while stop_machine
  waits, __vector_schedule_cleanup's cpu_online() sees it online.
"""

from __future__ import annotations

from tests.conftest import events_of, run_to_end, scenario, totals

STORM_TWO_OFFLINES = """
name: s21-storm-remap
seed: 307240241866741733
schedule: pct
cpus: 16
kernel: {version: "6.6"}
platform: {interrupt_remapping: true}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 4}
  - {at: 100us, do: fire, dev: eth0, vector: 2, count: 500, every: 1us}
  - {at: 110us, on: 1, do: set_affinity, dev: eth0, vector: 2, cpu: 3}
  - {at: 111us, on: 2, do: set_affinity, dev: eth0, vector: 2, cpu: 4}
  - {at: 112us, on: 3, do: set_affinity, dev: eth0, vector: 2, cpu: 5}
  - {at: 200us, on: 4, do: cpu_offline, cpu: 3}
  - {at: 201us, on: 6, do: cpu_offline, cpu: 5}
  - {at: 300us, on: 4, do: cpu_online, cpu: 3}
"""


def test_a_cpu_with_an_interrupt_pending_takes_it_before_the_next_stop_machine() -> None:
    """(a) held-out 6.6 remapped MSI-X storm with two offlines (pct seed): the first offline ends
    with CPU4 -- which requested it -- holding an edge of the moved irq in its IRR; the second
    offline's stop_machine found no CPU in hardirq and stopped CPU4 at once, and its fixup released
    that vector: 38 coalesced signals ended as "No irq handler for vector". Interrupts are on in
    MULTI_STOP_PREPARE, so CPU4 takes the edge first."""
    eng = run_to_end(scenario(STORM_TWO_OFFLINES))
    assert totals(eng, "eth0") == {"raised": 500, "delivered": 500, "lost": 0, "spurious": 0}


def test_an_edge_latched_as_the_offline_starts_is_taken_before_take_cpu_down() -> None:
    """(a) the shipped remapped 2020 scenario: an xHCI edge reaches CPU2 at 900 us, the instant its
    offline starts. CPU2 is out of hardirq with interrupts on, so it takes the edge before its
    stopper thread acks (before, stop_machine went to MULTI_STOP_RUN at once and the edge waited in
    the IRR through the whole offline).
    (kernlock: the stream's phase on CPU2 moved by 100 ns -- the earlier writers' chip calls now hold
    desc->lock against the flow handler -- so the offline was put at 900.1 us, where the edge landed;
    lockq23: the flow handlers queue for desc->lock in the order they came, the writes' handovers moved the
    phase back, and the edge lands at 900 us again, the shipped offline's instant.)"""
    from pathlib import Path

    yaml = (Path(__file__).parent.parent / "scenarios" / "msi-torn-affinity-update-remapped.yaml").read_text()
    assert "{at: 900us, on: 0, do: cpu_offline, cpu: 2}" in yaml
    eng = run_to_end(scenario(yaml))
    take = next(e for e in events_of(eng, "kernel") if str(e.fields["what"]).startswith("take_cpu_down"))
    first = next(e for e in events_of(eng, "apic.accept") if e.cpu == 2 and e.time_ns >= 900_000)
    assert first.time_ns == 900_000 and first.index < take.index


STORM_AMD = STORM_TWO_OFFLINES.replace("seed: 307240241866741733", "seed: 5341265852227340167").replace(
    'kernel: {version: "6.6"}\nplatform: {interrupt_remapping: true}',
    'kernel: {version: "6.1"}\nplatform: {interrupt_remapping: true, iommu: amd}')


def test_the_requesters_cpu_takes_its_pending_interrupts_before_disabling_them() -> None:
    """(b) held-out 6.1 AMD-Vi storm (pct seed): CPU4 requests CPU3's offline and is in a handler
    (whose ack moved the irq; the edge that followed waits in its IRR) when the last other CPU acks
    MULTI_STOP_PREPARE. Its CPU runs a stopper thread like every online CPU: it leaves the handler,
    takes the pending edge, then disables interrupts. The model switched them off at once: the edge
    waited through the offline, whose migration released its vector (with (a) and (c) in and this
    not: 490 delivered, 10 lost; on main before stopmach the run's timing differed and no edge was
    pending there, so the requester's own MULTI_STOP_DISABLE_IRQ ack is asserted too). kernlock: seed
    ...161's interleaving changed with the flow handlers' desc->lock wait; ...163 is the next seed whose
    run has the requester in hardirq (or with an edge pending) at the last PREPARE ack. lockq23: flow handlers
    queue for desc->lock in arrival order and ...163's interleaving changed; ...167 is the next such seed."""
    assert "iommu: amd" in STORM_AMD and "seed: 5341265852227340167" in STORM_AMD
    eng = run_to_end(scenario(STORM_AMD))
    assert totals(eng, "eth0") == {"raised": 500, "delivered": 500, "lost": 0, "spurious": 0}
    acks = [e for e in events_of(eng, "kernel") if e.fields["prog"] == "multi_cpu_stop"
            and e.cpu == 4 and "DISABLE_IRQ acked" in str(e.fields["what"])]
    assert acks, "the requester's own stopper acks MULTI_STOP_DISABLE_IRQ"


STORM_612 = STORM_TWO_OFFLINES.replace("seed: 307240241866741733", "seed: 5225608189600411232").replace(
    'kernel: {version: "6.6"}\nplatform: {interrupt_remapping: true}', 'kernel: {version: "6.12"}')


def test_a_move_completing_while_stop_machine_waits_queues_the_cleanup_on_the_still_online_cpu() -> None:
    """(c) held-out 6.12 MSI-X storm (pct seed, no remapping): CPU3's offline waits in
    MULTI_STOP_PREPARE for a CPU in hardirq while the irq's move off CPU3 completes on CPU4. CPU3 is
    still in cpu_online_mask (take_cpu_down has not run), so __vector_schedule_cleanup queues the
    old vector on its cleanup list; the model counted the whole cpu_down as offline and freed the
    vector at once, under an edge still pending in CPU3's IRR (with (a) and (b) in and this not:
    490 delivered, 10 lost as "No irq handler for vector")."""
    assert 'version: "6.12"' in STORM_612 and "interrupt_remapping" not in STORM_612
    eng = run_to_end(scenario(STORM_612))
    assert totals(eng, "eth0") == {"raised": 500, "delivered": 500, "lost": 0, "spurious": 0}
