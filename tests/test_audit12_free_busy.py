"""audit12: free_msi_irqs with an irq that still has an action (reading kernel.msi.free-busy).

Up to 5.16 drivers/pci/msi.c free_msi_irqs() BUG()s on it (BUG_ON(irq_has_action(entry->irq + i))),
the igb poweroff oops of 2024 on 4.14 .. 5.15; 9fb9eb4b59ac (5.17, 'PCI/MSI: Let core code free MSI
descriptors') removed the check: msi_domain_free_irqs frees the irqs with their actions attached.
msidbg used to refuse the teardown with -EBUSY in every release, an errno no kernel returns.
"""

from __future__ import annotations

from msidbg.behaviour import by_name
from tests.mech_helpers import engine, evs, finish

SCN = """
name: audit12-free-busy
cpus: 2
kernel: {version: "%s"}
devices:
  n0: {bdf: "00:04.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: n0, mode: msix, vectors: 2}
  - {at: 100us, on: 0, do: free_vectors, dev: n0}
  - {at: 200us, on: 0, do: probe, dev: n0, mode: msix, vectors: 2}
"""


def _notes(eng, prog: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(e.fields["what"]) for e in evs(eng, "kernel") if e.fields["prog"] == prog]


def test_from_5_17_the_irqs_are_freed_with_their_actions() -> None:
    eng = finish(engine(SCN % "6.6", era={}))
    notes = _notes(eng, "free_msi_irqs")
    assert any("freed with its action attached" in n and "9fb9eb4b59ac" in n for n in notes), notes
    assert len(evs(eng, "irq.release", "n0")) == 2      # the teardown freed both
    assert eng.w["kernel"]["pci"]["n0"]["status"] != "failed: EBUSY"
    assert not any("BUG" in n for n in notes)


def test_up_to_5_16_free_msi_irqs_bugs_and_frees_nothing() -> None:
    eng = finish(engine(SCN % "5.15", era={}))
    notes = _notes(eng, "free_msi_irqs")
    assert any(n.startswith("kernel BUG at drivers/pci/msi.c: free_msi_irqs: BUG_ON(irq_has_action(") for n in notes)
    assert not evs(eng, "irq.release", "n0")
    assert eng.w["kernel"]["pci"]["n0"]["descs"], "the oops leaves the descriptors"


def test_the_row_dates_the_change_to_5_17() -> None:
    row = by_name()["free_msi_busy"]
    assert row.initial == "bug" and row.default == "frees"
    assert [(c.release, c.value, c.commit.split()[0]) for c in row.history] == [("5.17", "frees", "9fb9eb4b59ac")]
