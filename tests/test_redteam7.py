"""Red team 7: reviews of revision 6's new mechanisms (disable/enable_irq, cluster x2APIC, AMD-Vi,
Xen 4.19 forwarding, Memory Space gating, eoi order, CPU hotplug's rendezvous)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msidbg.debugger import Session

# AMD-Vi before e52d58d54a32 (5.9): modify_irte_ga clears RemapEn around the two 64-bit stores;
# an interrupt meeting the entry then is an IO_PAGE_FAULT (drivers/iommu/amd_iommu.c, 5.8)
AMD_WINDOW = """\
name: rt7-amd-ga-window
seed: 1
cpus: 4
platform: {interrupt_remapping: true, iommu: amd}
kernel: {version: "5.8"}
devices:
  nic0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, do: probe, dev: nic0, mode: msix, vectors: 2}
  - {at: 1ms, do: fire, dev: nic0, vector: 0, count: 400, every: 50ns}
  - {at: 1ms, on: 1, do: set_affinity, dev: nic0, vector: 0, cpu: 3}
  - {at: 1010us, on: 2, do: set_affinity, dev: nic0, vector: 0, cpu: 2}
breakpoints: [irq-lost]
"""

# VT-d: free_irq's deactivation clears the IRTE (intel_irq_remapping_deactivate); a raw write then
# puts entry 1's remappable address (handle 1) back and unmasks it: the message names a cleared IRTE
INTEL_FAULT = """\
name: rt7-intel-fault
seed: 1
cpus: 2
platform: {interrupt_remapping: true}
kernel: {version: "6.1"}
devices:
  nic0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, do: probe, dev: nic0, mode: msix, vectors: 2}
  - {at: 1ms, on: 0, do: free_irq, dev: nic0, vector: 1}
  - {at: 2ms, on: 0, do: write, dev: nic0, target: msix-table, offset: 16, value: 4276092984}
  - {at: 3ms, on: 0, do: write, dev: nic0, target: msix-table, offset: 28, value: 0}
  - {at: 4ms, do: fire, dev: nic0, vector: 1, count: 1}
breakpoints: [irq-lost]
"""


def _first_lost_why(tmp_path: Any, text: str) -> Any:
    path = Path(str(tmp_path)) / "s.yaml"
    path.write_text(text)
    s = Session.from_scenario(str(path))
    s.run()
    hits = s.hits()
    assert hits, "the scenario loses a signal"
    return s, s.why(hits[0])


def test_why_of_an_amd_io_page_fault_reaches_the_irte_store_that_cleared_remapen(tmp_path: Any) -> None:
    """The loss links to the entry (iommu.tables.nic0[0]) as the second set_affinity's non-atomic
    modify_irte_ga left it, and on to that action -- it stopped at the loss."""
    s, why = _first_lost_why(tmp_path, AMD_WINDOW)
    entry = [n for n in why.chain if n.path == "iommu.tables.nic0[0]"]
    assert entry and entry[0].value == 0
    assert entry[0].stack[0] == "amd_modify_irte_ga+store"
    assert any(n.path == "actions[3]" for n in why.chain)


def _tree(links: Any) -> list[Any]:
    """Every link of a chain and of its branches, depth first."""
    out: list[Any] = []
    for n in links:
        out.append(n)
        for b in n.branches:
            out += _tree(b)
    return out


def test_why_of_a_vtd_remapping_fault_reaches_the_deactivation_that_cleared_the_irte(tmp_path: Any) -> None:
    """The loss depends on the raw write that put the remappable address back (the most recent
    writer: the default chain) and on the IRTE free_irq's deactivation cleared (a branch)."""
    s, why = _first_lost_why(tmp_path, INTEL_FAULT)
    entry = [n for n in _tree(why.chain) if n.path == "iommu.irte[1]"]
    assert entry and entry[0].value == 0
    assert entry[0].stack[0].startswith("intel_irq_remapping_deactivate")
    assert any(n.path == "actions[1]" for n in _tree(why.chain))


def test_a_pv_guest_table_write_xen_discards_names_the_register_it_aimed_at() -> None:
    """A PV domU's store to the read-only MSI-X table page is a page fault (kernel26: pv_ro_page_fault
    emulates, i.e. drops, it only for the hardware domain; reading xen.pv.msix-table-fault): each write's
    oops names the store's offset (entry 1's data: 0x18, entry 0's Vector Control: 0xc), and nothing is
    dropped silently any more."""
    from tests.conftest import events_of, run_to_end, scenario

    eng = run_to_end(scenario("""
    name: pv-raw-offset
    cpus: 2
    platform: {kind: xen-pv, xen: "4.14"}
    kernel: {version: "6.6"}
    devices:
      eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 2}}
    run:
      - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
      - {at: 2ms, do: write, dev: eth0, target: msix-table, offset: 24, value: 0x41}
      - {at: 3ms, do: write, dev: eth0, target: msix-table, offset: 12, value: 1, size: 2}
    """))
    assert not [e for e in events_of(eng, "pcifront.dropped") if e.fields["space"] == "msix-table"]
    oops = [e.fields["what"] for e in events_of(eng, "kernel") if e.fields["what"].startswith("BUG: unable")]
    assert [w.split(" at MSI-X table offset ")[1].split(":")[0] for w in oops] == ["0x18", "0xc"]
