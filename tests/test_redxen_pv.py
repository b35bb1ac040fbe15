"""Red team Xen: a PV guest's MSI/MSI-X through pcifront and pciback when pciback cannot give
what the guest asks for.

Expected values follow from Linux drivers/pci/xen-pcifront.c (pci_frontend_enable_msix refuses
more than SH_INFO_MAX_VEC = 128 vectors before any op; pci_frontend_enable_msi turns any error
into -EINVAL) and drivers/xen/xen-pciback/pciback_ops.c (xen_pcibk_enable_msix:
pci_enable_msix_exact in dom0, whose failure passes dom0's errno back and leaves MSI-X disabled;
dom0's free_msi_irqs unmaps what it had mapped), worked out before the run.
"""

from __future__ import annotations

import pytest

from tests.conftest import events_of, run_to_end, scenario, totals

PV = """
name: pv-enable
cpus: 1
platform: {{kind: xen-pv, xen: "4.16"}}
kernel: {{version: "5.15"}}
devices:
  d0: {{bdf: "00:03.0", kind: generic, passthrough: true, msix: {{table_size: {table}}}{msi}}}
run:
  - {{at: 0, on: 0, do: probe, dev: d0, mode: {mode}, vectors: {vectors}}}
  - {{at: 5ms, do: fire, dev: d0, vector: 0}}
"""


def _run(table: int, vectors: int, mode: str, msi: bool = False):  # type: ignore[no-untyped-def]
    return run_to_end(scenario(PV.format(table=table, vectors=vectors, mode=mode,
                                         msi=", msi: {vectors: 1}" if msi else "")))


def _ops(eng) -> list[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    return [(e.fields["op"], e.fields["arg"], e.fields["ret"]) for e in events_of(eng, "xen.hypercall")
            if e.fields["op"].startswith("XEN_PCI_OP")]


def test_pcifront_refuses_more_than_sh_info_max_vec_before_asking_pciback() -> None:
    """150 MSI-X vectors: pcifront returns -EINVAL without an op, so pciback maps nothing. The
    model sent XEN_PCI_OP_enable_msix for 150, mapped every free pirq, enabled MSI-X and failed ENODEV."""
    eng = _run(200, 150, "msix")
    assert eng.w["kernel"]["pci"]["d0"]["status"] == "failed: EINVAL"
    assert not [op for op in _ops(eng) if op[0] == "XEN_PCI_OP_enable_msix"]
    assert not eng.w["xen"]["pirqs"]


def test_pciback_out_of_pirqs_unmaps_what_it_mapped_and_leaves_msix_disabled() -> None:
    """60 vectors, 32 MSI pirqs (101..70): dom0's pci_enable_msix_exact fails; it unmapped the 32
    it had mapped and never enabled MSI-X; pcifront returns pciback's -ENOSPC. The model left
    MSI-X enabled with every pirq it could map and returned ENODEV."""
    eng = _run(64, 60, "msix")
    assert eng.w["kernel"]["pci"]["d0"]["status"] == "failed: ENOSPC"
    assert ("XEN_PCI_OP_enable_msix", 60, -28) in _ops(eng)
    assert not [m for m in events_of(eng, "cfg.write") if m.fields["value"] & 0x8000]
    assert not eng.w["xen"]["pirqs"]


@pytest.mark.parametrize(("table", "vectors", "msix_ops"),
                         [(200, 150, []), (64, 60, [("XEN_PCI_OP_enable_msix", 60, -28)])])
def test_msix_refused_falls_back_to_msi_with_the_top_pirq(table: int, vectors: int, msix_ops: list[object]) -> None:
    """pci_alloc_irq_vectors falls back to MSI; pciback maps the top pirq for it. Before, MSI-X had
    been enabled with every free pirq mapped, then torn down by the guest's XEN_PCI_OP_disable_msix."""
    eng = _run(table, vectors, "any", msi=True)
    assert eng.w["kernel"]["pci"]["d0"]["status"] == "ok"
    assert [op for op in _ops(eng) if op[0] != "XEN_PCI_OP_disable_msix"] == msix_ops + [("XEN_PCI_OP_enable_msi", 1, 101)]
    assert totals(eng, "d0") == {"raised": 1, "delivered": 1, "lost": 0, "spurious": 0}


def test_pv_msi_teardown_says_disable_msi() -> None:
    eng = run_to_end(scenario(PV.format(table=2, vectors=1, mode="msi", msi=", msi: {vectors: 1}")
                              + "  - {at: 6ms, on: 0, do: remove, dev: d0}\n"))
    assert [op[0] for op in _ops(eng)] == ["XEN_PCI_OP_enable_msi", "XEN_PCI_OP_disable_msi"]
