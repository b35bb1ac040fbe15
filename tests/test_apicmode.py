"""Which APIC driver Linux picks, and x2APIC cluster mode under interrupt remapping.

* With remapping a 64-bit kernel runs x2APIC and probes its drivers in link order (Makefile:
  x2apic_phys.o before x2apic_cluster.o): x2apic_phys claims x2APIC mode only with ``x2apic_phys``
  on the command line or the ACPI FADT physical-destination flag, so the default is x2apic_cluster
  ("Switched APIC routing to cluster x2apic."), from 4.15 to the newest tree read.
* x2apic_cluster's destinations are logical: x2apic_calc_apicid = cluster (apic_id >> 4) << 16 |
  1 << (apic_id & 0xf); prepare_irte puts DM = apic->dest_mode_logical and that 32-bit id in the IRTE.
* The remapping unit delivers a logical x2APIC destination to the APICs of that cluster whose bit is
  set (SDM vol. 3A, Logical Destination Mode in x2APIC Mode).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.model import bus
from msidbg.model.hw import X2APIC_BROADCAST
from msidbg.tui import table
from tests.conftest import events_of, load_error, run_to_end, scenario, totals

BASE = """
name: apicmode
cpus: {cpus}
platform: {{interrupt_remapping: true{routing}}}
kernel: {{version: "{kernel}"}}
devices:
  nic0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: nic0, mode: msix, vectors: 1, affinity: {cpu}}}
  - {{at: 2ms, do: fire, dev: nic0, vector: 0, count: 2, every: 3ms}}
"""


def run(cpus: int = 32, cpu: int = 17, routing: str = "", kernel: str = "6.6", extra: str = ""):
    return run_to_end(scenario(BASE.format(cpus=cpus, cpu=cpu, routing=routing, kernel=kernel) + extra))


def irte_of(eng) -> dict:
    (e,) = [e for e in eng.w["iommu"]["irte"].values() if e["owner"] == "nic0"]
    return e


def accepted_on(eng) -> set[int]:
    """The CPUs whose APIC accepted a vector the device's IRTE carried (not the cleanup IPI a move
    sends), with or without an irq behind it there."""
    vectors = {e.fields["vector"] for e in events_of(eng, "iommu.irte") if e.fields["target"] >= 0}
    return {e.cpu for e in events_of(eng, "apic.accept") if e.fields["vector"] in vectors}


@pytest.mark.parametrize("kernel", ["4.15", "5.10", "6.6", "6.12"])
def test_remapping_defaults_to_cluster_x2apic_and_the_irte_holds_a_logical_id(kernel: str) -> None:
    """CPU 17: APIC id 17, cluster 1, bit 1 -> logical id 0x10002 with DM logical (was APIC id 17,
    physical); the same on every matrix-era release (838ba7733e4e, 6.12, leaves x2apic_cluster)."""
    eng = run(kernel=kernel)
    assert eng.w["platform"]["apic"] == "x2apic-cluster"
    e = irte_of(eng)
    assert (e["present"], e["logical"], e["dest"]) == (True, True, 0x10002)
    assert eng.w["cpus"][17]["ldr"] == 0x10002          # the hardware's logical x2APIC id


def test_a_cluster_id_reaches_cpu_17_of_32_and_no_other() -> None:
    """Bit 1 of cluster 1 is CPU 17 only: CPU 1 (cluster 0, bit 1) shares the bitmap bit but not
    the cluster, so it must not accept (a flat-model match would deliver to both)."""
    eng = run()
    assert (irte_of(eng)["logical"], irte_of(eng)["dest"]) == (True, 0x10002)
    assert accepted_on(eng) == {17}
    assert totals(eng, "nic0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}
    assert [ev.fields["target"] for ev in events_of(eng, "iommu.irte")][-1] == 17


def test_x2apic_logical_destinations_decode_cluster_and_bitmap() -> None:
    eng = run()
    w = eng.w
    assert bus.targets(w, 0x10002, True) == [17]
    assert bus.targets(w, 0x10006, True) == [17, 18]    # one cluster, two bits
    assert bus.targets(w, 0x00002, True) == [1]
    assert bus.targets(w, 0x20001, True) == []          # cluster 2 has no CPU in a 32-CPU machine
    assert bus.targets(w, X2APIC_BROADCAST, True, X2APIC_BROADCAST) == list(range(32))


def test_apic_routing_physical_x2apic_keeps_physical_ids_in_the_irte() -> None:
    """The x2apic_phys command line or FADT flag: x2apic_phys claims x2APIC mode first."""
    eng = run(routing=', apic_routing: "physical x2apic"')
    assert eng.w["platform"]["apic"] == "x2apic"
    e = irte_of(eng)
    assert (e["logical"], e["dest"]) == (False, 17)
    assert eng.w["cpus"][17]["ldr"] == 0
    assert accepted_on(eng) == {17}


def test_apic_routing_cluster_x2apic_is_the_default_said_out_loud() -> None:
    said = run(routing=', apic_routing: "cluster x2apic"')
    assert irte_of(said) == irte_of(run())
    assert said.w["platform"]["apic"] == "x2apic-cluster"


def test_a_move_rewrites_the_irte_with_the_new_cpus_logical_id() -> None:
    """set_affinity to CPU 3 (cluster 0, bit 3): the IRTE's destination becomes 0x8, the device's
    message stays; later signals land on CPU 3."""
    eng = run(extra="  - {at: 1ms, on: 0, do: set_affinity, dev: nic0, vector: 0, cpu: 3}\n")
    e = irte_of(eng)
    assert (e["logical"], e["dest"]) == (True, 0x8)
    assert accepted_on(eng) == {3}
    assert totals(eng, "nic0")["lost"] == 0


def test_256_cpus_with_remapping_address_cpu_255_by_cluster_15() -> None:
    """Bare metal above 255 CPUs needs remapping and runs the same driver logic: cluster x2apic."""
    eng = run(cpus=256, cpu=255)
    e = irte_of(eng)
    assert (e["logical"], e["dest"]) == (True, (15 << 16) | (1 << 15))
    assert accepted_on(eng) == {255}


def test_the_table_shows_a_logical_irte_destination_as_l_hex() -> None:
    eng = run()
    lo, hi, data, *_ = table.message(eng.w, "nic0", 0)
    dest, vec = table.dest_vector_in(eng.w, lo, hi, data)
    assert dest == "L10002" and vec.endswith("i0")


@pytest.mark.parametrize(("platform", "kernel", "needle"), [
    # without remapping Linux enables x2APIC only in a guest, and forces x2apic_phys there
    ('{apic_routing: "cluster x2apic"}', "6.6", "platform.apic_routing: x2APIC cluster mode needs interrupt remapping"),
    ('{kind: xen-hvm, xen: "4.16", apic_virtualization: true, apic_routing: "cluster x2apic"}', "6.6",
     "platform.apic_routing: x2APIC cluster mode needs interrupt remapping"),
    ('{interrupt_remapping: true, apic_routing: "physical flat"}', "6.6", "expected cluster x2apic, Linux's default"),
    # combos: bare metal without remapping, before b8d1d163604b (6.1) x2APIC is always turned off
    ('{apic_routing: "physical x2apic"}', "5.4", "platform.apic_routing: physical x2apic on bare metal without "
     "interrupt remapping: Linux 5.4 turns x2APIC off there"),
    ('{apic_routing: "physical x2apic"}', "4.9", "(expected physical flat, or platform.interrupt_remapping: true, "
     "or kernel.version 6.1 or later)"),
])
def test_combinations_still_refused_are_one_line_errors(tmp_path: Path, platform: str, kernel: str,
                                                        needle: str) -> None:
    text = f"""name: refused
cpus: 4
platform: {platform}
kernel: {{version: "{kernel}"}}
devices:
  nic0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: nic0, mode: msix, vectors: 1}}
"""
    line = load_error(tmp_path, text)
    assert needle in line and "s.yaml" in line

