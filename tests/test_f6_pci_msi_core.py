"""Finding 6 (issue 10): the PCI/MSI core as drivers/pci/msi writes it.

out_disable clears Function Mask too (94185adbfad5); a descriptor reads its entry's Vector Control
only when the entry can be masked (9c8e9c9681a0); MSI masking covers every vector the device is
capable of, and pci_msi_shutdown() unmasks them all; under pci_msi_ignore_mask MSI-X irqs get
the non-maskable treatment in msi_set_affinity too.
"""

from __future__ import annotations

from msidbg.model.hw import MSIX_CTRL, MSIX_ENABLE, MSIX_MASKALL
from tests.mech_helpers import desc_of, engine, evs, finish, is_, until

FAIL_MSIX = """
name: f6
cpus: 2
kernel: {%s}
devices:
  n0: {bdf: "02:00.0", kind: generic, msix: {table_size: 4}, msi: {vectors: 1}}
faults: [{call: pci_msi_setup_msi_irqs, dev: n0, errno: ENOSPC, times: 1}]
run:
  - {at: 0, do: alloc_vectors, dev: n0, mode: msix, vectors: 2}
"""


def ctrl_writes(eng) -> list[int]:  # type: ignore[no-untyped-def]
    """Enable and Function Mask of every Message Control write."""
    both = MSIX_ENABLE | MSIX_MASKALL
    return [e.fields["value"] & both for e in evs(eng, "cfg.write", "n0") if e.fields["offset"] == MSIX_CTRL]


def test_out_disable_clears_function_mask_and_enable() -> None:
    eng = finish(engine(FAIL_MSIX % "msix_error_clears_maskall: true"))
    assert ctrl_writes(eng) == [MSIX_ENABLE | MSIX_MASKALL, 0]
    assert not eng.w["devices"]["n0"]["msix"]["ctrl"] & (MSIX_ENABLE | MSIX_MASKALL)


def test_before_94185adbfad5_out_disable_left_function_mask_set() -> None:
    eng = finish(engine(FAIL_MSIX % "msix_error_clears_maskall: false"))
    assert ctrl_writes(eng) == [MSIX_ENABLE | MSIX_MASKALL, MSIX_MASKALL]
    assert eng.w["devices"]["n0"]["msix"]["ctrl"] & MSIX_MASKALL


def test_before_5_14_a_failed_msix_setup_writes_no_mask_at_all() -> None:
    eng = finish(engine(FAIL_MSIX % "msix_enable_first: false"))
    assert ctrl_writes(eng) == [0]                     # only "MSI-X disabled while it is set up"
    assert not evs(eng, "msix.write", "n0")


IGNORE = """
name: f6b
cpus: 2
platform: {kind: xen-pv}
kernel: {%s}
devices:
  n0: {bdf: "02:00.0", kind: generic, passthrough: true, msix: {table_size: 2}}
run:
  - {at: 0, do: alloc_vectors, dev: n0, mode: msix, vectors: 2}
"""


def test_vector_control_is_read_only_when_the_entry_can_mask() -> None:
    """Under pci_msi_ignore_mask (Xen PV) msix_prepare_msi_desc does not read Vector Control."""
    eng = finish(engine(IGNORE % "msix_ctrl_read_can_mask: true"))
    assert not evs(eng, "msix.read", "n0")
    old = finish(engine(IGNORE % "msix_ctrl_read_can_mask: false"))
    assert [e.fields["entry"] for e in evs(old, "msix.read", "n0")] == [0, 1]


MSI = """
name: f6c
cpus: 2
devices:
  m0: {bdf: "00:05.0", kind: xhci, msi: {vectors: 4, per_vector_mask: true, addr64: true}}
run:
  - {at: 0, do: alloc_vectors, dev: m0, mode: msi, vectors: 1}
  - {at: 100us, do: free_vectors, dev: m0}
"""


def test_msi_masks_every_capable_vector_and_shutdown_unmasks_them() -> None:
    """msi_capability_init masks msi_multi_mask() (4 capable vectors: 0xf) although only one is
    used; pci_msi_shutdown() returns the device with all of them unmasked."""
    eng = engine(MSI)
    mask_off = 0x50 + 0x10
    until(eng, is_("action.done", do="alloc_vectors"))
    writes = [e.fields["value"] for e in evs(eng, "cfg.write", "m0") if e.fields["offset"] == mask_off]
    assert writes[0] == 0xF
    finish(eng)
    writes = [e.fields["value"] for e in evs(eng, "cfg.write", "m0") if e.fields["offset"] == mask_off]
    assert writes[-1] == 0 and eng.w["devices"]["m0"]["msi"]["mask"] == 0


PLUG_IGNORE = """
name: f6d
cpus: 4
kernel: {msi_affinity_update: plug-race}
devices:
  g0: {bdf: "00:04.0", kind: nic, msix: {table_size: 2}}
  x0: {bdf: "00:14.0", kind: nic, msix: {table_size: 1}}
run:
  - {at: 0, on: 0, do: probe, dev: g0, mode: msix, vectors: 2}
  - {at: 50us, on: 0, do: probe, dev: x0, mode: msix, vectors: 1}
  - {at: 100us, on: 0, do: set_affinity, dev: x0, vector: 0, cpu: 2}
  - {at: 150us, on: 0, do: write, dev: x0, target: msix-table, offset: 12, value: 0}
  - {at: 200us, do: fire, dev: x0, vector: 0}
"""


def test_msix_under_pci_msi_ignore_mask_takes_the_non_maskable_path() -> None:
    """6f1a4891a592's quirk is set for every irq without reservation mode: under
    pci_msi_ignore_mask that includes MSI-X (msi_check_reservation_mode returns false)."""
    from msidbg.model import new_engine
    from tests.conftest import scenario

    eng = new_engine(scenario(PLUG_IGNORE))
    eng.w["kernel"]["ignore_mask"] = True        # what xen_setup_pci_msi() does; the raw write
    # stands in for whoever unmasks the entry when the kernel may not (the hypervisor)
    finish(eng)
    plug = [e for e in evs(eng, "kernel", "x0") if e.fields["prog"] == "msi_set_affinity_plug"]
    assert plug and desc_of(eng, "x0")["resv_mode"] is False
    maskable = finish(new_engine(scenario(PLUG_IGNORE)))
    assert not [e for e in evs(maskable, "kernel", "x0") if e.fields["prog"] == "msi_set_affinity_plug"]
