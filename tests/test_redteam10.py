"""redteam10: held-out bare-metal scenarios (other topologies and kernel versions) against the
upstream source and the stable releases; each test failed on the code before its fix."""

from __future__ import annotations

import pytest

from msidbg import behaviour as bh
from tests.conftest import events_of, hit_names, run_to_end, scenario, shipped, totals, with_kernel


def _value(name: str, version: str) -> object:
    return bh.at(bh.by_name()[name], bh.parse_kernel(version))[0]


@pytest.mark.parametrize(("name", "version", "value"), [
    # 6f1a4891a592: the 5.4.19-rc1 review's shortlog lists it (5.4.18 does not have it)
    ("msi_affinity_update", "5.4.18", "plain"), ("msi_affinity_update", "5.4.19", "plug-race"),
    ("msi_affinity_update", "5.4.300", "plug-race"),
    ("msi_set_affinity_name", "5.4.18", "generic"), ("msi_set_affinity_name", "5.4.19", "x86"),
    # b56ebe7c896d: [PATCH 6.5 240/491] of the 6.5.13-rc1 review; the 6.6.y push ending in 6.6.3-rc1
    ("msi_affinity_update", "6.5.12", "plain"), ("msi_affinity_update", "6.5.13", "can-reserve"),
    ("msi_affinity_update", "6.6.2", "plain"), ("msi_affinity_update", "6.6.3", "can-reserve"),
    # a6c11c0a5235: the June 2024 stable-rc pushes ending in 5.4.278-rc1 / 5.10.219-rc1 / 5.15.161-rc1
    ("hotplug_force_complete", "5.4.277", "migrated"), ("hotplug_force_complete", "5.4.278", "involved"),
    ("hotplug_force_complete", "5.10.218", "migrated"), ("hotplug_force_complete", "5.10.219", "involved"),
    ("hotplug_force_complete", "5.15.160", "migrated"), ("hotplug_force_complete", "5.15.161", "involved"),
])
def test_stable_backports_found_by_redteam10(name: str, version: str, value: object) -> None:
    assert _value(name, version) == value


def test_a_5_4_19_kernel_no_longer_tears_the_2020_update() -> None:
    """The 2020 xHCI scenario (shipped on 5.5): 5.4.18 tears as 5.5 does; 5.4.19 carries
    6f1a4891a592 and writes the new vector on the old CPU first -- no torn message, nothing lost."""
    scn = shipped("msi-torn-affinity-update")
    assert "msi-torn-message" in hit_names(run_to_end(with_kernel(scn, version="5.4.18")))
    fixed = run_to_end(with_kernel(scn, version="5.4.19"))
    assert "msi-torn-message" not in hit_names(fixed)
    assert "irq-lost" not in hit_names(fixed)


@pytest.mark.parametrize(("version", "value"), [
    # baedb87d1b53 + its x86 opt-in 6615d75d56f1: the 5.4.60-rc1 / 4.19.141-rc1 shortlogs, [PATCH 5.7 002/204]
    ("5.4.54", False), ("5.4.60", True), ("4.19.140", False), ("4.19.141", True),
    ("5.7.16", False), ("5.7.17", True), ("5.7", False), ("5.8", True),
])
def test_affinity_on_activate_reached_the_2020_stable_series(version: str, value: bool) -> None:
    assert _value("affinity_on_activate", version) is value


STORED = """
name: stored-affinity
cpus: 12
kernel: {version: "VERSION"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}
  - {at: 10us, do: request_irq, dev: eth0, vector: 0, affinity: [7]}
  - {at: 50us, do: fire, dev: eth0, vector: 0}
"""


def test_a_5_4_60_request_irq_activates_inside_the_stored_affinity() -> None:
    """irq_set_affinity() before request_irq(): 5.4.54 records a pending move (the vector is activated
    elsewhere and moves to CPU7 at the first interrupt); 5.4.60 has baedb87d1b53 + the x86 opt-in, so
    activation already places the vector on CPU7 and the interrupt moves nothing."""
    firsts = {}
    for version in ("5.4.54", "5.4.60"):
        eng = run_to_end(scenario(STORED.replace("VERSION", version)))
        assigns = [e for e in events_of(eng, "vector.assign") if e.dev == "eth0"]
        firsts[version] = [a.fields.get("target") for a in assigns]
    assert firsts["5.4.54"][-1] == 7 and firsts["5.4.54"][0] != 7
    assert firsts["5.4.60"] == [7]


SATURATED = """
name: saturated-offline
cpus: 3
kernel: {version: "5.17"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 3}}
  xhci: {bdf: "00:14.0", kind: xhci, msi: {vectors: 1, per_vector_mask: false, addr64: false}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 3, affinity: 2}
  - {at: 50us, on: 0, do: probe, dev: xhci, mode: msi, vectors: 1, affinity: 1}
  - {at: 100us, do: fire, dev: xhci, vector: 0, count: 400, every: 1us}
  - {at: 300us, on: 0, do: cpu_offline, cpu: 1}
"""


def test_a_cpu_leaving_hardirq_takes_its_pending_interrupt_before_its_stopper_runs() -> None:
    """CPU1 takes a 1 us stream with the 1.5 us default handler: whenever it leaves hardirq the next
    edge is already in its IRR, and the iret (interrupts on in MULTI_STOP_PREPARE) takes it before
    migration/1 can ack. So the offline waits for the stream's end and nothing is in flight when
    the plain 5.17 update moves the MSI. Before, the stopper acked with the edge pending, the move
    ran mid-stream and tore a message (400 raised, 399 delivered, 1 lost)."""
    eng = run_to_end(scenario(SATURATED))
    assert totals(eng, "xhci") == {"raised": 400, "delivered": 400, "lost": 0, "spurious": 0}
    assert "msi-torn-message" not in hit_names(eng)
    last_signal = max(e.time_ns for e in events_of(eng, "msi.msg") if e.dev == "xhci")
    ack = next(e for e in events_of(eng, "kernel") if e.fields["prog"] == "multi_cpu_stop")
    assert ack.cpu == 1 and ack.time_ns > last_signal
    for e in events_of(eng, "apic.accept"):
        assert not (e.cpu == 1 and e.time_ns > ack.time_ns)


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
    """explore (pct) on a held-out 6.6 remapped MSI-X storm with two offlines: the first offline ends
    with CPU4 -- which requested it -- holding an edge of the moved irq in its IRR; the second
    offline's stop_machine found no CPU in hardirq and stopped CPU4 at once, and its fixup released
    that vector: 38 coalesced signals ended as "No irq handler for vector". Interrupts are on when
    the first stop_machine ends (and in the second's MULTI_STOP_PREPARE), so CPU4 takes the edge
    first."""
    eng = run_to_end(scenario(STORM_TWO_OFFLINES))
    assert totals(eng, "eth0") == {"raised": 500, "delivered": 500, "lost": 0, "spurious": 0}


def test_an_edge_latched_as_the_offline_starts_is_taken_before_take_cpu_down() -> None:
    """The shipped remapped 2020 scenario: an xHCI edge reaches CPU2 at 900 us, the instant its
    offline starts. CPU2 is out of hardirq with interrupts on, so it takes the edge before its
    stopper thread acks (before, stop_machine went to MULTI_STOP_RUN at once and the edge waited in
    the IRR through the whole offline)."""
    eng = run_to_end(shipped("msi-torn-affinity-update-remapped"))
    take = next(e for e in events_of(eng, "kernel") if str(e.fields["what"]).startswith("take_cpu_down"))
    first = next(e for e in events_of(eng, "apic.accept") if e.cpu == 2 and e.time_ns >= 900_000)
    assert first.time_ns == 900_000 and first.index < take.index


LEAK = """
name: leak
cpus: 4
kernel: {version: "VERSION"}
platform: {apic_routing: physical flat}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, do: set_affinity, dev: eth0, vector: 0, cpu: 2}
  - {at: 150us, do: fire, dev: eth0, vector: 0}
  - {at: 200us, on: 3, do: cpu_offline, cpu: 1}
  - {at: 1300us, do: fire, dev: eth0, vector: 0}
  - {at: 1400us, on: 3, do: cpu_online, cpu: 1}
"""


@pytest.mark.parametrize(("version", "leaked"), [("6.9", True), ("6.10", False), ("6.6", True), ("5.15", True),
                                                 ("5.15.161", False)])
def test_a_move_completing_after_its_old_cpu_went_offline_leaks_the_vector_before_a6c11c0a5235(
        version: str, leaked: bool) -> None:
    """The irq moves CPU1 -> CPU2 (0x20 on CPU1 becomes its previous vector), CPU1 goes offline before
    an interrupt reaches CPU2, then one does: irq_complete_move finds the old CPU offline.
    __vector_schedule_cleanup (__send_cleanup_vector before 6.6) only cleared prev_vector -- the
    vector stays allocated in CPU1's matrix, also after CPU1 returns -- until a6c11c0a5235 (6.10;
    5.15.161) made it free_moved_vector() and had the offline force-complete the move (the
    'migrated' offline does not: the irq's target is CPU2). The model freed it from 6.6 on, by the
    cleanup timer's row."""
    eng = run_to_end(scenario(LEAK.replace("VERSION", version)))
    first = next(e for e in events_of(eng, "vector.assign") if e.dev == "eth0")
    assert first.fields["target"] == 1
    v = first.fields["vector"]
    assert bool(eng.w["cpus"][1]["alloc"][v >> 5] >> (v & 31) & 1) is leaked


STORM_612 = STORM_TWO_OFFLINES.replace("seed: 307240241866741733", "seed: 5225608189600411232").replace(
    'kernel: {version: "6.6"}\nplatform: {interrupt_remapping: true}', 'kernel: {version: "6.12"}')


def test_a_move_completing_while_stop_machine_waits_queues_the_cleanup_on_the_still_online_cpu() -> None:
    """explore (pct) on a held-out 6.12 MSI-X storm (no remapping): CPU3's offline waits in
    MULTI_STOP_PREPARE for a CPU in hardirq while the irq's move off CPU3 completes on CPU4. CPU3 is
    still in cpu_online_mask (take_cpu_down has not run), so __vector_schedule_cleanup queues the old
    vector on its cleanup list; the model counted the whole cpu_down as offline and freed the
    vector at once, under an edge still pending in CPU3's IRR: 8 signals "No irq handler"."""
    assert 'version: "6.12"' in STORM_612 and "interrupt_remapping" not in STORM_612
    eng = run_to_end(scenario(STORM_612))
    assert totals(eng, "eth0") == {"raised": 500, "delivered": 500, "lost": 0, "spurious": 0}


STORM_AMD = STORM_TWO_OFFLINES.replace("seed: 307240241866741733", "seed: 5341265852227340161").replace(
    'kernel: {version: "6.6"}\nplatform: {interrupt_remapping: true}',
    'kernel: {version: "6.1"}\nplatform: {interrupt_remapping: true, iommu: amd}')


def test_the_requesters_cpu_takes_its_pending_interrupts_before_disabling_them() -> None:
    """explore (pct) on a held-out 6.1 AMD-Vi storm: CPU4 requests CPU3's offline and is in a handler
    (whose ack moved the irq; the edge that followed waits in its IRR) when the last other CPU acks
    MULTI_STOP_PREPARE. The requester's CPU runs a stopper thread like every online CPU
    (stop_machine_cpuslocked): it leaves the handler, takes the pending edge, then disables
    interrupts. The model switched its interrupts off at once: the edge waited through the offline,
    whose migration released its vector -- 2 signals "No irq handler for vector"."""
    assert "iommu: amd" in STORM_AMD and "seed: 5341265852227340161" in STORM_AMD
    eng = run_to_end(scenario(STORM_AMD))
    assert totals(eng, "eth0") == {"raised": 500, "delivered": 500, "lost": 0, "spurious": 0}
