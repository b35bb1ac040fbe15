"""APIC ids and MSI destination addresses per topology (red team 3's findings).

* Xen gives HVM vCPU n the local APIC id 2n (vlapic_init; hvmloader's LAPIC_ID): the guest's
  native message names that id, QEMU passes it to Xen in gflags, and Xen's vmsi_deliver matches
  vLAPICs on it.
* A 64-bit kernel before 6.12 on bare metal with <= 8 CPUs and no remapping uses apic_flat:
  logical destination mode, destination 1 << cpu (838ba7733e4e removed it in 6.12).
* In xAPIC physical mode destination 0xFF is a broadcast (SDM vol. 3, 10.6.2.1), and Linux never
  brings up a CPU with APIC id 0xFF (acpi_parse_lapic): 256 CPUs need remapping.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.errors import ScenarioError
from tests.bugio.helpers import DATA, cli
from tests.conftest import hit_names, run_to_end, scenario, totals

HVM = """
name: hvm-apic-ids
cpus: 3
platform: {{kind: xen-hvm, xen: "4.19", apic_virtualization: true}}
kernel: {{version: "5.10"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: {passthrough}, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1, affinity: 2}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0, count: 2, every: 3ms}}
"""


@pytest.mark.parametrize("passthrough", ["true", "false"])
def test_a_xen_hvm_guest_addresses_vcpu_n_by_apic_id_2n(passthrough: str) -> None:
    """(Xen 4.19: no XENFEAT_hvm_pirqs, so the guest runs physical x2APIC -- redteam9.) The entry names APIC id 4 for vCPU2 (was 2, which in a real guest is vCPU1's id); Xen (pirq
    binding: gflags; an emulated device: vmsi_deliver) delivers it to vCPU2."""
    eng = run_to_end(scenario(HVM.format(passthrough=passthrough)))
    assert [c["apic_id"] for c in eng.w["cpus"]] == [0, 2, 4]
    desc = next(d for d in eng.w["irqs"].values() if d["dev"] == "eth0")
    assert desc["cpu"] == 2
    if passthrough == "true":
        rec = next(r for r in eng.w["xen"]["pirqs"].values() if r["dev"] == "eth0")
        assert rec["gdest"] == 4     # QEMU's gflags: the destination id the guest wrote
    else:
        assert eng.w["devices"]["eth0"]["msix"]["table"][0]["addr_lo"] == 0xFEE04000
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


def test_a_xen_hvm_message_to_an_odd_apic_id_reaches_no_vcpu() -> None:
    """APIC id 1 is nobody's in an HVM guest: vlapic_match_dest matches no vLAPIC (the model sent
    it to vCPU1)."""
    eng = run_to_end(scenario(HVM.format(passthrough="false") + """
  - {at: 1ms, do: write, dev: eth0, target: msix-table, offset: 0, value: 0xfee01000}
"""))
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 0, "lost": 2, "spurious": 0}
    assert any("APIC id 1, which does not exist" in h.detail for h in eng.hits)


def test_xen_hvm_has_at_most_128_vcpus() -> None:
    with pytest.raises(ScenarioError, match=r"cpus: 129 vCPUs: a Xen HVM guest has at most HVM_MAX_VCPUS"):
        scenario("name: big\ncpus: 129\nplatform: {kind: xen-hvm}\n")


FLAT = """
name: flat
cpus: {cpus}
platform: {{{platform}}}
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1, affinity: 1}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0}}
"""


@pytest.mark.parametrize(("cpus", "platform", "kernel", "addr"), [
    (2, "", "5.15", 0xFEE02004),                            # apic_flat: logical id 1 << 1, DM=1
    (8, "", "6.11", 0xFEE02004),
    (2, "apic_routing: physical flat", "5.15", 0xFEE01000),  # dmesg says so (e.g. the FADT flag)
    (9, "", "5.15", 0xFEE01000),                            # physflat_probe: more than 8 CPUs
    (2, "", "6.12", 0xFEE01000),                            # 838ba7733e4e: no logical mode on 64-bit
    (2, "", "6.11.2", 0xFEE02004),
    (2, "", "6.11.3", 0xFEE01000),                          # ... and in stable from 6.11.3 (GKH's announcement)
])
def test_the_bare_metal_message_address_follows_the_apic_driver(cpus: int, platform: str, kernel: str,
                                                                 addr: int) -> None:
    eng = run_to_end(scenario(FLAT.format(cpus=cpus, platform=platform, kernel=kernel)))
    assert eng.w["devices"]["eth0"]["msix"]["table"][0]["addr_lo"] == addr
    assert totals(eng, "eth0") == {"raised": 1, "delivered": 1, "lost": 0, "spurious": 0}
    assert eng.w["platform"]["apic"] == ("flat" if addr & 4 else "physflat")


@pytest.mark.parametrize(("cpus", "platform", "kernel", "why"), [
    (9, "apic_routing: flat", "5.15", "the flat APIC driver addresses at most 8 CPUs"),
    (2, "apic_routing: flat", "6.12", "this kernel has no flat"),
    (2, "apic_routing: cluster x2apic", "5.15", "x2APIC cluster mode"),
    (2, "apic_routing: physical flat, interrupt_remapping: true", "5.15", "with interrupt remapping a 64-bit kernel"),
    (9, "kind: xen-hvm, apic_virtualization: true, apic_routing: flat", "5.15", "the flat APIC driver addresses at most 8 CPUs"),
])
def test_an_impossible_apic_routing_is_a_load_error(cpus: int, platform: str, kernel: str, why: str) -> None:
    with pytest.raises(ScenarioError, match=f"platform.apic_routing: {why}"):
        scenario(FLAT.format(cpus=cpus, platform=platform, kernel=kernel))


def test_apic_routing_flat_on_a_small_machine_is_linuxs_own_choice() -> None:
    eng = run_to_end(scenario(FLAT.format(cpus=4, platform="apic_routing: flat", kernel="5.15")))
    assert eng.w["devices"]["eth0"]["msix"]["table"][0]["addr_lo"] == 0xFEE02004


RAW = FLAT.replace("affinity: 1}}", "affinity: 1}}\n  - {{at: 1ms, do: write, dev: eth0, target: msix-table, "
                   "offset: 0, value: {value}}}")


def test_a_logical_message_reaches_every_cpu_whose_logical_id_matches() -> None:
    """Flat model: destination 0x06 matches CPU1 (LDR 0x02) and CPU2 (0x04); a Fixed message goes to
    both. The signal is the device's on CPU1 (its vector's irq); CPU2 has no irq there: spurious."""
    eng = run_to_end(scenario(RAW.format(cpus=3, platform="", kernel="5.15", value="0xfee06004")))
    assert totals(eng, "eth0") == {"raised": 1, "delivered": 1, "lost": 0, "spurious": 0}
    assert "irq-spurious" in hit_names(eng)
    assert any(h.detail.startswith("CPU2 vector") for h in eng.hits if h.name == "irq-spurious")


def test_a_logical_message_that_matches_no_logical_id_is_lost() -> None:
    eng = run_to_end(scenario(RAW.format(cpus=3, platform="", kernel="5.15", value="0xfee08004")))
    assert totals(eng, "eth0") == {"raised": 1, "delivered": 0, "lost": 1, "spurious": 0}
    assert any("logical destination 0x08, which matches no CPU's logical id" in h.detail for h in eng.hits)


def test_a_logical_message_to_physflat_cpus_is_lost() -> None:
    """physflat programs no logical id (no init_apic_ldr): a logical message matches nobody."""
    eng = run_to_end(scenario(RAW.format(cpus=3, platform="", kernel="6.12", value="0xfee02004")))
    assert totals(eng, "eth0") == {"raised": 1, "delivered": 0, "lost": 1, "spurious": 0}
    assert any("logical destination 0x02, which matches no CPU's logical id" in h.detail for h in eng.hits)


def test_xapic_physical_destination_0xff_is_a_broadcast() -> None:
    """Not 'APIC id 255, which does not exist': every local APIC accepts it."""
    eng = run_to_end(scenario(RAW.format(cpus=3, platform="", kernel="6.12", value="0xfeeff000")))
    assert totals(eng, "eth0") == {"raised": 1, "delivered": 1, "lost": 0, "spurious": 0}
    spurious = sorted(h.detail.split()[0] for h in eng.hits if h.name == "irq-spurious")
    assert spurious == ["CPU0", "CPU2"]


def test_256_cpus_without_remapping_is_a_load_error() -> None:
    with pytest.raises(ScenarioError, match=r"cpus: 256 CPUs without interrupt remapping: in xAPIC mode APIC id "
                       r"0xff is the broadcast id"):
        scenario("name: big\ncpus: 256\n")
    scenario("name: big\ncpus: 255\n")
    scenario("name: big\ncpus: 256\nplatform: {interrupt_remapping: true}\n")


SPURIOUS = """
name: device-on-0xff
cpus: 1
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 1ms, do: write, dev: eth0, target: msix-table, offset: 8, value: 0xff}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0}}
  - {{at: 3ms, do: fire, dev: eth0, vector: 1}}
"""


@pytest.mark.parametrize(("kernel", "stuck"), [("5.2", False), ("5.3", True), ("6.6", True)])
def test_from_5_3_a_message_on_vector_0xff_is_never_acknowledged(kernel: str, stuck: bool) -> None:
    """f8a8fe61fec8: smp_spurious_interrupt does not EOI vector 0xff, so ISR[0xff] stays set and
    the CPU accepts nothing after it (entry 1's signal stays in IRR to the end); before, it was EOId."""
    eng = run_to_end(scenario(SPURIOUS.format(kernel=kernel)))
    assert bool(eng.w["cpus"][0]["isr"][7] >> 31) is stuck
    a = eng.w["acct"]["eth0"]
    assert (a["delivered"][1], a["lost"][1]) == ((0, 1) if stuck else (1, 0))


@pytest.mark.parametrize(("platform", "cpus"), [("xen-hvm", 128), ("bare-metal", 255)])
def test_msidbg_new_keeps_cpus_within_what_the_platform_addresses(tmp_path: Path, platform: str, cpus: int) -> None:
    """A dmesg of a 300-CPU machine: the skeleton must still load (it did not: cpus: 256)."""
    dmesg = tmp_path / "dmesg.txt"
    dmesg.write_text("[    0.100000] smp: Brought up 2 nodes, 300 CPUs\n")
    out = tmp_path / "scn.yaml"
    code, _, err = cli("new", "--lspci", str(DATA / "seed-82599vf.txt"), "--dmesg", str(dmesg),
                       "--platform", platform, "-o", str(out))
    assert code == 0, err
    assert f"cpus: {cpus}" in out.read_text()
