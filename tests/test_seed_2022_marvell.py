"""Why 83dbf898a2d4 moved msix_mask_all(): the Marvell NVMe blocks MSI with MSI-X mask bits."""

import dataclasses

from msidbg.model import hits
from msidbg.model.hw import ENTRY_MASKBIT
from tests.conftest import comparable, hit_names, run_to_end, shipped, totals, with_kernel

BUG = "marvell-nvme-msi-blocked"


def without_quirk(scn):
    dev = dataclasses.replace(scn.devices["nvme0"], quirks=())
    return dataclasses.replace(scn, devices={"nvme0": dev})


def test_early_mask_then_failed_msix_blocks_the_msi_fallback() -> None:
    eng = run_to_end(shipped(BUG))
    assert {hits.MSI_BLOCKED_BY_MSIX_MASK, hits.PROBE_FAILED} <= hit_names(eng)
    assert eng.w["kernel"]["pci"]["nvme0"]["mode"] == "msi"          # the fallback happened
    table = eng.w["devices"]["nvme0"]["msix"]["table"]
    assert all(e["ctrl"] & ENTRY_MASKBIT for e in table)               # ... with the masks left behind
    assert totals(eng, "nvme0") == {"raised": 6, "delivered": 0, "lost": 6, "spurious": 0}


def test_late_mask_twin_differs_only_in_the_switch_and_works() -> None:
    bug, late = shipped(BUG), shipped(f"{BUG}-late")
    # 5.15.11 brought the fix series: 83dbf898a2d4 (the late mask) and 94185adbfad5 (MASKALL on error);
    # 5.15.3 had already brought 9c8e9c9681a0 (redteam12, stable-queue releases/5.15.3); with it on, the
    # 5.15 run's events and outcome are the same (checked when the row moved). 9c8e9c9681a0 also gave
    # the MSI-X Vector Control writers back their pci_msi_ignore_mask check (row msix_vector_ctrl_ignore_mask,
    # leads23: it matters only to a Xen PV guest), so the twin differs there too; and pci_msi_update_mask's
    # can_mask check (row msi_update_mask_can_mask, kernel26: the MSI fallback's mask-all write at 0x60)
    assert comparable(with_kernel(late, msix_mask_all="early", msix_error_clears_maskall=False,
                                  msix_ctrl_read_can_mask=False, msix_vector_ctrl_ignore_mask=False,
                                  msi_update_mask_can_mask=False)) \
        == comparable(bug)
    eng = run_to_end(late)
    assert not hit_names(eng) & {hits.MSI_BLOCKED_BY_MSIX_MASK, hits.PROBE_FAILED}
    assert totals(eng, "nvme0")["delivered"] == 6


def test_a_compliant_device_ignores_msix_masks_while_msix_is_disabled() -> None:
    eng = run_to_end(without_quirk(shipped(BUG)))
    assert hits.MSI_BLOCKED_BY_MSIX_MASK not in hit_names(eng)
    assert totals(eng, "nvme0")["delivered"] == 6


def test_without_the_failure_msix_is_used_and_nothing_blocks() -> None:
    scn = dataclasses.replace(shipped(BUG), faults=())
    eng = run_to_end(scn)
    assert eng.w["kernel"]["pci"]["nvme0"]["mode"] == "msix"
    assert totals(eng, "nvme0")["delivered"] == 6


def test_the_quirky_device_comes_out_of_reset_unmasked() -> None:
    from msidbg.model import new_engine

    quirky = new_engine(shipped(BUG)).w["devices"]["nvme0"]["msix"]["table"]
    compliant = new_engine(without_quirk(shipped(BUG))).w["devices"]["nvme0"]["msix"]["table"]
    assert not any(e["ctrl"] & ENTRY_MASKBIT for e in quirky)
    assert all(e["ctrl"] & ENTRY_MASKBIT for e in compliant)
