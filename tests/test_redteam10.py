"""redteam10: held-out bare-metal scenarios (other topologies and kernel versions) against the
upstream source and the stable releases; each test failed on the code before its fix."""

from __future__ import annotations

import pytest

from msidbg import behaviour as bh
from tests.conftest import events_of, hit_names, run_to_end, scenario, shipped, with_kernel


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
    # baedb87d1b53: releases/5.4.53 and 4.19.134 series, the 5.7.10-rc1 review (audit20: this said 5.4.60 / 4.19.141 /
    # 5.7.17, the releases of its opt-in 6615d75d56f1, which changes nothing for an x86 vector-domain irq)
    ("5.4.52", False), ("5.4.53", True), ("5.4.60", True), ("4.19.133", False), ("4.19.134", True),
    ("5.7.9", False), ("5.7.10", True), ("5.7.17", True), ("5.7", False), ("5.8", True),
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
    """irq_set_affinity() before request_irq(): 5.4.52 records a pending move (the vector is activated
    elsewhere and moves to CPU7 at the first interrupt); 5.4.60 has baedb87d1b53 + the x86 opt-in, so
    activation already places the vector on CPU7 and the interrupt moves nothing -- and so does 5.4.53,
    which has baedb87d1b53 alone (audit20: this test compared 5.4.54)."""
    firsts = {}
    for version in ("5.4.52", "5.4.53", "5.4.60"):
        eng = run_to_end(scenario(STORED.replace("VERSION", version)))
        assigns = [e for e in events_of(eng, "vector.assign") if e.dev == "eth0"]
        firsts[version] = [a.fields.get("target") for a in assigns]
    assert firsts["5.4.52"][-1] == 7 and firsts["5.4.52"][0] != 7
    assert firsts["5.4.53"] == firsts["5.4.60"] == [7]


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

