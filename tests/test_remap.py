"""Interrupt remapping: fixed remappable messages, atomic IRTE updates, remapping faults."""

from msidbg.model import hits, iommu
from tests.conftest import events_of, hit_names, run_to_end, scenario, totals

BASE = """
name: ir
cpus: 4
platform: {interrupt_remapping: true}
devices:
  nic0: {bdf: "00:03.0", msix: {table_size: 4}}
  nic1: {bdf: "00:04.0", msix: {table_size: 4}}
  ssd0: {bdf: "00:05.0", msi: {vectors: 4, per_vector_mask: false}}
run:
  - {at: 0, on: 0, do: probe, dev: nic0, mode: msix, vectors: 2}
"""


def run(extra: str):
    return run_to_end(scenario(BASE + extra))


def test_message_names_an_irte_and_the_irte_carries_vector_and_cpu() -> None:
    eng = run("")
    entry = eng.w["devices"]["nic0"]["msix"]["table"][1]
    index = iommu.handle_of(entry["addr_lo"], entry["data"])
    assert entry["addr_lo"] & iommu.IR_FORMAT
    irte = eng.w["iommu"]["irte"][index]
    desc = next(d for d in eng.w["irqs"].values() if d["dev"] == "nic0" and d["index"] == 1)
    assert irte["present"] and irte["owner"] == "nic0"
    # x2APIC cluster mode (Linux's default with remapping): the CPU's logical x2APIC id, DM logical
    apic = eng.w["cpus"][desc["cpu"]]["apic_id"]
    assert (irte["vector"], irte["dest"], irte["logical"]) == (desc["vector"], 1 << apic, True)


def test_set_affinity_rewrites_the_irte_not_the_device() -> None:
    eng = run("""  - {at: 100us, on: 0, do: set_affinity, dev: nic0, vector: 0, cpu: 3}
  - {at: 200us, do: fire, dev: nic0, vector: 0, count: 3, every: 1us}
""")
    moves = [e for e in events_of(eng, "irq.affinity") if e.dev == "nic0"]
    assert moves and moves[0].fields["how"] == "direct"          # IRQ_MOVE_PCNTXT: no deferral
    after = [e for e in events_of(eng, "msix.write") if e.time_ns >= 100_000]
    assert after == []
    irte_writes = [e for e in events_of(eng, "iommu.irte") if e.time_ns >= 100_000]
    assert [e.fields["target"] for e in irte_writes] == [3]
    # the old vector's cleanup was scheduled right away (6.6+: its CPU's timer), not at the next interrupt
    assert [e for e in events_of(eng, "kernel") if e.fields["prog"] == "intel_ir_set_affinity"
            and "vector_schedule_cleanup" in e.fields["what"] and 100_000 <= e.time_ns < 200_000]
    assert totals(eng, "nic0")["delivered"] == 3


def test_compatibility_format_message_is_blocked() -> None:
    eng = run("""  - {at: 100us, on: 0, do: write, dev: nic0, target: msix-table, offset: 0, value: 0xfee01000, size: 4}
  - {at: 200us, do: fire, dev: nic0, vector: 0}
""")
    assert totals(eng, "nic0")["lost"] == 1
    assert hits.IRQ_LOST in hit_names(eng)


def test_freed_irq_leaves_a_non_present_irte_and_a_fault() -> None:
    eng = run("""  - {at: 100us, on: 0, do: free_irq, dev: nic0, vector: 0}
  - {at: 200us, do: write, dev: nic0, target: msix-table, offset: 12, value: 0, size: 4}
  - {at: 300us, do: fire, dev: nic0, vector: 0}
""")
    cleared = [e for e in events_of(eng, "iommu.irte") if e.time_ns >= 100_000]
    assert [e.fields["target"] for e in cleared] == [-1]
    assert totals(eng, "nic0")["lost"] == 1


def test_another_devices_irte_is_a_source_id_fault() -> None:
    eng = run("""  - {at: 10us, on: 0, do: probe, dev: nic1, mode: msix, vectors: 1}
  - {at: 100us, on: 0, do: write, dev: nic1, target: msix-table, offset: 0, value: 0xfee00018, size: 4}
  - {at: 200us, do: fire, dev: nic1, vector: 0}
""")
    # 0xfee00018 names IRTE 0 (nic0's first entry): nic1 may not use it
    assert eng.w["iommu"]["irte"][0]["owner"] == "nic0"
    assert totals(eng, "nic1")["lost"] == 1
    assert totals(eng, "nic0")["delivered"] == 0


def test_remapping_makes_multi_msi_possible() -> None:
    eng = run("""  - {at: 10us, on: 0, do: probe, dev: ssd0, mode: msi, vectors: 4}
  - {at: 100us, do: fire, dev: ssd0, vector: 2, count: 2, every: 5us}
""")
    a = eng.w["acct"]["ssd0"]
    assert a["delivered"][2] == 2
    blocks = {e["owner"] for i, e in eng.w["iommu"]["irte"].items() if e["owner"] == "ssd0"}
    assert blocks == {"ssd0"}
    base = min(i for i, e in eng.w["iommu"]["irte"].items() if e["owner"] == "ssd0")
    assert base % 4 == 0                                    # aligned block for multi-MSI


def test_without_remapping_msi_gets_one_vector() -> None:
    eng = run_to_end(scenario(BASE.replace("platform: {interrupt_remapping: true}\n", "")
                              + "  - {at: 10us, on: 0, do: probe, dev: ssd0, mode: msi, vectors: 4}\n"))
    assert len(eng.w["kernel"]["pci"]["ssd0"]["descs"]) == 1


def test_teardown_frees_the_irtes() -> None:
    eng = run("""  - {at: 100us, on: 0, do: remove, dev: nic0}
""")
    assert not [e for e in eng.w["iommu"]["irte"].values() if e["owner"] == "nic0"]
