"""AMD-Vi interrupt remapping (``platform.iommu: amd``): what drivers/iommu/amd/iommu.c and the AMD
IOMMU do differently from VT-d.

* fill_msi_msg: the device gets the bare interrupt address 0xFEE00000 and the entry's index as its
  data; vector and destination live only in the entry (128-bit GA format under x2APIC);
* the entry is in the requester's own table (its device table entry points at it): indexes start at
  0 for every device, and there is no source-id check to fail;
* Multi-MSI: alloc_irq_index aligns the block, the device adds the message number to the data;
* modify_irte_ga wrote a GA entry with RemapEn cleared around the stores before e52d58d54a32 (a
  message in between is an IO_PAGE_FAULT, lost); VT-d's present/vector/destination share one 64-bit
  store and never had that window.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.errors import ScenarioError
from msidbg.model import amdvi, hits
from msidbg.model.hw import MSI_ADDR_BASE
from msidbg.scenario import load_scenario
from tests.conftest import events_of, hit_names, run_to_end, scenario, totals

BASE = """
name: amdvi
cpus: {cpus}
platform: {{interrupt_remapping: true{iommu}}}
kernel: {{version: "{kernel}"}}
devices:
  nic0: {{bdf: "00:03.0", msix: {{table_size: 4}}}}
  nic1: {{bdf: "00:04.0", msix: {{table_size: 4}}}}
  ssd0: {{bdf: "00:05.0", msi: {{vectors: 4, per_vector_mask: false}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: nic0, mode: msix, vectors: 2}}
  - {{at: 10us, on: 0, do: probe, dev: nic1, mode: msix, vectors: 2}}
"""


def run(extra: str = "", cpus: int = 4, iommu: str = ", iommu: amd", kernel: str = "6.6"):
    return run_to_end(scenario(BASE.format(cpus=cpus, iommu=iommu, kernel=kernel) + extra))


def desc_of(eng, dev: str, index: int) -> dict:
    return next(d for d in eng.w["irqs"].values() if d["dev"] == dev and d["index"] == index)


def test_the_index_is_in_the_data_and_the_address_is_bare() -> None:
    eng = run()
    assert eng.w["platform"]["route"] == "amd-vi"
    for i in (0, 1):
        e = eng.w["devices"]["nic0"]["msix"]["table"][i]
        # fill_msi_msg: address_lo = the base (no destination, no remappable-format bit), data = index
        assert (e["addr_lo"], e["addr_hi"], e["data"]) == (MSI_ADDR_BASE, 0, i)
        irte = eng.w["iommu"]["tables"]["nic0"][i]
        desc = desc_of(eng, "nic0", i)
        apic = eng.w["cpus"][desc["cpu"]]["apic_id"]
        # x2APIC cluster mode: DM logical, the CPU's logical x2APIC id, the vector -- in the entry only
        assert (irte["present"], irte["vector"], irte["dest"], irte["logical"]) == (True, desc["vector"], 1 << apic,
                                                                                    True)
    assert "irte" not in eng.w["iommu"]          # no global (VT-d) table in an AMD world


def test_each_device_has_its_own_table_and_the_same_data_reaches_different_entries() -> None:
    eng = run("""  - {at: 100us, do: fire, dev: nic0, vector: 0, count: 2, every: 1us}
  - {at: 100us, do: fire, dev: nic1, vector: 0, count: 3, every: 1us}
""")
    tables = eng.w["iommu"]["tables"]
    assert sorted(tables["nic0"]) == sorted(tables["nic1"]) == [0, 1]
    m0 = eng.w["devices"]["nic0"]["msix"]["table"][0]
    m1 = eng.w["devices"]["nic1"]["msix"]["table"][0]
    assert (m0["addr_lo"], m0["data"]) == (m1["addr_lo"], m1["data"])     # the very same message ...
    e0, e1 = tables["nic0"][0], tables["nic1"][0]                          # ... two entries, two irqs
    assert (e0["vector"], e0["dest"]) != (e1["vector"], e1["dest"])
    assert totals(eng, "nic0")["delivered"] == 2 and totals(eng, "nic1")["delivered"] == 3


def test_another_devices_message_is_not_a_source_id_fault_but_the_senders_own_entry() -> None:
    """VT-d: nic1 sending nic0's message names nic0's IRTE -> source-id fault. AMD-Vi: the data names
    an entry of nic1's own table; past its allocation it is an IO_PAGE_FAULT, nic0 never involved."""
    eng = run("""  - {at: 100us, on: 0, do: write, dev: nic1, target: msix-table, offset: 8, value: 1, size: 4}
  - {at: 200us, do: fire, dev: nic1, vector: 0}
  - {at: 300us, on: 0, do: write, dev: nic1, target: msix-table, offset: 8, value: 7, size: 4}
  - {at: 400us, do: fire, dev: nic1, vector: 0}
""")
    # data 1: nic1's entry 1 (its vector 1's irq) took the signal of vector 0 -- not nic0's entry 1
    assert eng.w["acct"]["nic1"]["lost"][0] == 2
    assert totals(eng, "nic0")["raised"] == 0
    assert hits.IRQ_LOST in hit_names(eng)
    assert 7 not in eng.w["iommu"]["tables"]["nic1"]


def test_multi_msi_block_is_aligned_and_message_n_uses_entry_base_plus_n() -> None:
    w = {"iommu": {"tables": {"ssd0": {0: {}}}}}
    assert amdvi.alloc(w, "ssd0", 4, True) == 4           # aligned to 4, not 1
    assert amdvi.alloc(w, "ssd0", 3, True) == 8           # roundup_pow_of_two(3) = 4
    assert amdvi.alloc(w, "ssd0", 1, False) == 1          # MSI-X: the first free entry
    eng = run("""  - {at: 20us, on: 0, do: probe, dev: ssd0, mode: msi, vectors: 4}
  - {at: 100us, do: fire, dev: ssd0, vector: 2, count: 2, every: 5us}
""")
    assert eng.w["devices"]["ssd0"]["msi"]["data"] == 0    # base 0: the device adds the message number
    assert eng.w["iommu"]["tables"]["ssd0"][2]["vector"] == desc_of(eng, "ssd0", 2)["vector"]
    assert eng.w["acct"]["ssd0"]["delivered"][2] == 2


def test_a_move_on_20_cpus_rewrites_the_entry_not_the_device() -> None:
    eng = run("""  - {at: 100us, on: 0, do: set_affinity, dev: nic0, vector: 1, cpu: 17}
  - {at: 200us, do: fire, dev: nic0, vector: 1, count: 3, every: 1us}
""", cpus=20)
    assert [e for e in events_of(eng, "msix.write") if e.time_ns >= 100_000] == []
    writes = [e for e in events_of(eng, "iommu.irte") if e.time_ns >= 100_000]
    assert [e.fields["target"] for e in writes] == [17]
    irte = eng.w["iommu"]["tables"]["nic0"][1]
    assert (irte["dest"], irte["logical"]) == (1 << 16 | 1 << 1, True)   # cluster 1, bit 1: CPU 17
    assert {e.cpu for e in events_of(eng, "irq.handler") if e.dev == "nic0"} == {17}
    assert totals(eng, "nic0")["delivered"] == 3


STORM = """  - {at: 90us, do: fire, dev: nic0, vector: 1, count: 300, every: 1us}
  - {at: 100us, on: 0, do: set_affinity, dev: nic0, vector: 1, cpu: 3}
"""


def test_before_e52d58d54a32_a_move_opens_an_io_page_fault_window_vtd_never_had() -> None:
    old = run(STORM, kernel="5.4")
    assert old.w["behaviour"]["amd_irte_cmpxchg"] is False
    lost = old.w["acct"]["nic0"]["lost"][1]
    assert lost >= 1 and totals(old, "nic0")["delivered"] == 300 - lost
    cleared = [e for e in events_of(old, "iommu.irte") if e.time_ns >= 100_000 and e.fields["target"] == -1]
    assert len(cleared) == 1                                   # RemapEn off around the stores
    assert any("IO_PAGE_FAULT" in h.detail for h in old.hits)
    # the same kernel with cmpxchg_double (6.6), and VT-d on 5.4: the move loses nothing
    assert totals(run(STORM, kernel="6.6"), "nic0")["lost"] == 0
    assert totals(run(STORM, kernel="5.4", iommu=""), "nic0")["lost"] == 0


def _load_error(tmp_path: Path, platform: str, kernel: str = "6.6") -> str:
    path = tmp_path / "s.yaml"
    path.write_text(f"""name: refused
cpus: 4
platform: {platform}
kernel: {{version: "{kernel}"}}
devices:
  nic0: {{bdf: "00:03.0", msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: nic0, mode: msix, vectors: 1}}
""")
    with pytest.raises(ScenarioError) as info:
        load_scenario(str(path))
    line = info.value.oneline()
    assert "\n" not in line and "s.yaml" in line
    return line


@pytest.mark.parametrize(("platform", "needle"), [
    ("{iommu: amd}", "platform.iommu: names the interrupt remapping unit, and interrupt remapping is off"),
    ("{interrupt_remapping: false, iommu: intel}", "expected platform.interrupt_remapping: true with iommu: intel"),
    ("{interrupt_remapping: true, iommu: arm}", "unknown interrupt remapping unit 'arm' (expected one of: intel, amd)"),
    ('{interrupt_remapping: true, iommu: amd, apic_routing: "physical flat"}', "32-bit legacy IRTE"),
    ('{kind: xen-hvm, iommu: amd}', "platform.iommu"),
])
def test_loader_errors_are_one_line(tmp_path: Path, platform: str, needle: str) -> None:
    assert needle in _load_error(tmp_path, platform)


def test_amd_vi_before_5_4_is_refused(tmp_path: Path) -> None:
    line = _load_error(tmp_path, "{interrupt_remapping: true, iommu: amd}", kernel="4.19")
    assert "kernel.version: AMD-Vi with Linux 4.19" in line and "expected kernel.version 5.4 or later" in line


def test_iommu_defaults_to_intel_with_remapping_and_the_intel_world_is_unchanged() -> None:
    eng = run(iommu="")
    assert eng.w["platform"]["route"] == "remapped" and "iommu" not in eng.w["platform"]
    assert "tables" not in eng.w["iommu"]
    assert "amd_irte_cmpxchg" not in eng.w["behaviour"]      # Switch.iommu: only AMD worlds carry the row
    assert scenario(BASE.format(cpus=4, iommu="", kernel="6.6")).platform.iommu == "intel"


def test_the_table_follows_the_data_into_the_devices_own_entry() -> None:
    from msidbg.tui import table
    eng = run("  - {at: 100us, on: 0, do: set_affinity, dev: nic0, vector: 1, cpu: 17}\n", cpus=20)
    cells = table.row_cells(eng.w, "nic0", 1)
    assert [c[0] for c in cells[2:4]] == ["L10002", f"{desc_of(eng, 'nic0', 1)['vector']:#04x} i1"]
    assert cells[-1][1] == ""                                      # the entry points at the kernel's vector
