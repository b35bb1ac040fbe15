"""The nvme driver's interrupt vector layout by release (``kernel.nvme_irq_layout``).

- before dca51e7892fa (4.9): nvme_setup_io_queues' pci_enable_msix_range(1, I/O
  queues), one vector per online CPU at most, none managed (msix-range);
- dca51e7892fa .. 22b5560195bd (4.17): pci_alloc_irq_vectors(1, I/O queues,
  PCI_IRQ_ALL_TYPES | PCI_IRQ_AFFINITY): the same count, every vector managed and spread, vector 0
  shared by the admin queue and I/O queue 1 (shared-admin);
- from 22b5560195bd: one admin pre vector (an ordinary irq) + the managed I/O vectors (pre-vector).
nvme_pci_enable's admin-only vector (``vectors: 1``) is one ordinary irq in every release.
"""

from __future__ import annotations

import pytest

from msidbg.behaviour import resolve
from tests.conftest import run_to_end, scenario, totals

PROBE = """
name: nvme-layout
cpus: 4
platform: {kind: bare-metal, apic_routing: "physical flat"}   # dmesg's physflat: 4.x on 4 CPUs
kernel: {version: "%s"}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, msix: {table_size: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: %d}
"""


def _irqs(eng):  # type: ignore[no-untyped-def]
    descs = eng.w["kernel"]["pci"]["nvme0"]["descs"]
    return [eng.w["irqs"][d["irq"]] for d in descs]


def _layout(version: str):  # type: ignore[no-untyped-def]
    return next(r for r in resolve(kernel=version).rows if r.name == "nvme_irq_layout")


@pytest.mark.parametrize(("version", "layout"), [
    ("4.8", "msix-range"), ("4.9", "shared-admin"), ("4.16", "shared-admin"), ("4.17", "pre-vector"),
    ("6.6", "pre-vector"),
])
def test_the_release_picks_the_layout_and_flags_the_unconfirmed_boundaries(version: str, layout: str) -> None:
    r = _layout(version)
    assert r.value == layout
    # both boundaries are read in release trees now (4.9: a 4.9.137 tree, audit13; 4.17: a 4.16.13 and a
    # 4.17.0 tree, audit14): nothing is flagged
    assert not r.unconfirmed


#: release -> (managed, mask) per vector for ``vectors: 5`` (the admin queue + 4 I/O queues) on 4 CPUs
LAYOUTS = {
    "4.8": [(False, [0, 1, 2, 3])] * 4,                        # pci_enable_msix_range: no affinity
    "4.9": [(True, [0]), (True, [1]), (True, [2]), (True, [3])],     # every vector spread, none admin-only
    "4.16": [(True, [0]), (True, [1]), (True, [2]), (True, [3])],
    "4.17": [(False, [0, 1, 2, 3]), (True, [0]), (True, [1]), (True, [2]), (True, [3])],   # .pre_vectors = 1
}


def test_vector_count_and_managedness_on_each_side_of_each_boundary() -> None:
    """One release on each side of dca51e7892fa (4.8 | 4.9) and of 22b5560195bd (4.16 | 4.17); and
    nvme_pci_enable's admin-only phase (``vectors: 1``: pci_alloc_irq_vectors(1, 1,
    PCI_IRQ_ALL_TYPES), no affinity) is one ordinary irq in each of them."""
    for version, layout in LAYOUTS.items():
        irqs = _irqs(run_to_end(scenario(PROBE % (version, 5))))
        assert [(d["is_managed"], d["affinity"]) for d in irqs] == layout, version
        irqs = _irqs(run_to_end(scenario(PROBE % (version, 1))))
        assert [(d["is_managed"], d["affinity"]) for d in irqs] == [(False, [0, 1, 2, 3])], version


def test_the_old_driver_caps_the_io_queues_at_the_online_cpus() -> None:
    """num_online_cpus() from 2800b8e7d9df (4.7) to 4.12: a CPU offline before the probe leaves one vector
    less; num_present_cpus() of 4.13 .. 4.15 (num_possible_cpus() from 4.16, as the 4.16.13 tree this row's 4.16
    reading cites has it; audit24: the 4.14.5 and 4.15.0 imports have num_present_cpus()) and 22b5560195bd's
    nvme_max_io_queues keep the count (``kernel.nvme_queue_cpus``; redteam19: this test asserted 3 for 4.16,
    against that tree)."""
    text = PROBE.replace("  - {at: 0, on: 0, do: probe", "  - {at: 0, on: 0, do: cpu_offline, cpu: 3}\n"
                         "  - {at: 1ms, on: 0, do: probe")
    assert len(_irqs(run_to_end(scenario(text % ("4.12", 5))))) == 3
    assert len(_irqs(run_to_end(scenario(text % ("4.16", 5))))) == 4
    assert len(_irqs(run_to_end(scenario(text % ("4.17", 5))))) == 5


SHUTDOWN = """
name: nvme-admin-offline
cpus: 4
platform: {kind: bare-metal, apic_routing: "physical flat"}
kernel: {version: "%s", cpu0_hotplug: true}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, msix: {table_size: 16}}
run:
  - {at: 0, on: 2, do: probe, dev: nvme0, mode: msix, vectors: 3}
  - {at: 1ms, on: 2, do: cpu_offline, cpu: 0}
  - {on: 2, do: cpu_offline, cpu: 1}
  - {at: 3ms, on: 2, do: doorbell, dev: nvme0, vector: 0}
"""


def test_a_cpu_offline_takes_the_shared_admin_vector_down_only_before_the_separate_admin_vector() -> None:
    """Two I/O queues on 4 CPUs: before 22b5560195bd vector 0 is managed with the mask {0,1} and
    serves the admin queue; offlining CPU0 and CPU1 shuts it down (generic hotplug, 4.13+) and the
    admin command rung on it times out. From 22b5560195bd the admin queue's vector 0 is an ordinary
    irq with the default affinity: it moves to CPU2/3 and the command completes (the managed I/O
    vector on {0,1} is the one shut down)."""
    old = run_to_end(scenario(SHUTDOWN % "4.16"))
    irqs = _irqs(old)
    assert len(irqs) == 2 and irqs[0]["is_managed"] and irqs[0]["affinity"] == [0, 1]
    assert irqs[0]["managed_shutdown"]
    assert old.w["kernel"]["pci"]["nvme0"]["status"] == "failed: ETIMEDOUT"
    assert totals(old, "nvme0")["delivered"] == 0

    new = run_to_end(scenario(SHUTDOWN % "4.17"))
    irqs = _irqs(new)
    assert len(irqs) == 3 and not irqs[0]["is_managed"] and not irqs[0]["managed_shutdown"]
    assert irqs[1]["managed_shutdown"] and irqs[1]["affinity"] == [0, 1]
    assert irqs[0]["cpu"] in (2, 3)
    assert new.w["kernel"]["pci"]["nvme0"]["status"] == "ok"
    assert totals(new, "nvme0")["delivered"] == 1


def test_an_explicit_layout_overrides_the_release() -> None:
    text = PROBE.replace('{version: "%s"}', '{version: "%s", nvme_irq_layout: pre-vector}')
    irqs = _irqs(run_to_end(scenario(text % ("4.9", 5))))
    assert [d["is_managed"] for d in irqs] == [False, True, True, True, True]
