"""xen31: leads left by xen30 / xenred30.

1. Xen 4.5 + native MSIs (APICv) + a Linux >= 4.15 guest loses every MSI-X signal. Not a model bug: it is what
   the named sources compose to (checked at the tags):
   - Linux 4.15+ reservation mode (kernel/irq/msi.c msi_check_reservation_mode, arch/x86/kernel/apic/vector.c
     x86_vector_activate -> vector_assign_managed_shutdown; read in a 4.18 tree): msix_capability_init writes
     the entry with MANAGED_IRQ_SHUTDOWN_VECTOR 0xef before MSI-X is enabled; the real vector is written at
     request_irq (irq_startup -> activate_reserved -> __pci_write_msi_msg, no mask around it).
   - qemu-xen-4.5.0 hw/xen/xen_pt_msi.c xen_pt_msix_update (MSI-X enable) binds the pirq with the 0xef message.
   - Xen RELEASE-4.5.0 (and RELEASE-4.5.5) arch/x86/msi.c startup_msi_irq -> unmask_msi_irq -> msi_set_mask_bit
     (desc, 0): pirq_guest_bind unmasks the PHYSICAL entry. RELEASE-4.6.0 keeps it guest-masked
     (msi_set_mask_bit(desc, 0, !!(desc->status & IRQ_GUEST))).
   - qemu-xen-4.5.0 pci_msix_write reads the physical Vector Control: unmasked with MSI-X enabled -> "Can't update
     msix entry %d since MSI-X is already enabled", the address/data write is dropped and the entry never
     becomes `updated`; qemu-xen-4.7.0-rc4's latched table latches it, but xen_pt_msix_update_one takes the latch
     only "when the entry is masked" -- the physical Vector Control it reads, which Xen 4.5 unmasked.
   - Xen RELEASE-4.5.0 vmx.c sets XEN_HVM_CPUID_APIC_ACCESS_VIRT (leaf 4), so a 4.19 guest's xen_hvm_msi_init
     keeps native MSIs: APICv itself plays no part in the loss (the vector does).
2. FIFO READY (see the tests below).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger.headless import check
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end

DIR = Path(__file__).resolve().parent / "xen31"
FILES = sorted(DIR.glob("*.yaml"))


def _run(prefix: str) -> Any:
    (path,) = DIR.glob(f"{prefix}-*.yaml")
    return run_to_end(load_scenario(str(path)))


def _events(eng: Any, kind: str) -> list[dict[str, Any]]:
    return [dict(e.fields) for e in eng.log.events(1, len(eng.log) + 1) if e.kind == kind]


def test_there_are_five_files() -> None:
    assert len(FILES) == 5


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_expect_blocks(path: Path) -> None:
    assert check(load_scenario(str(path))) == []


def test_a01_x45_drops_request_irqs_message_and_injects_0xef() -> None:
    eng = _run("a01")
    hows = [(f["value"], f["how"]) for f in _events(eng, "qemu.msix_write")]
    # msix_capability_init: the reservation-mode message (0xef) is stored while MSI-X is off
    assert (239, "data stored") in hows
    # request_irq's message (vector 0x21) meets the physically unmasked entry: dropped, twice
    assert hows.count((33, "data dropped: MSI-X enabled and the entry unmasked")) == 2
    assert [f["how"] for f in _events(eng, "xen.pirq")] == ["vMSI: vector 0xef to CPU0"] * 5
    assert eng.w.xen["pirqs"][101]["gvec"] == 0xEF
    assert [f["vector"] for f in _events(eng, "irq.unhandled")] == [0xEF] * 5


def test_a02_q47_latches_but_the_physical_unmask_defers_it() -> None:
    eng = _run("a02")
    e = eng.w.qemu["devs"]["d0"]["msix"]["entries"][0]
    assert (e["latch"][2], e["data"]) == (33, 239)     # latched, never taken
    assert len(_events(eng, "qemu.bind_pirq")) == 2    # the unmask rebinds ... with the old message
    assert eng.w.xen["pirqs"][101]["gvec"] == 0xEF


def test_a03_x46_guest_mask_keeps_the_write_and_rebinds() -> None:
    eng = _run("a03")
    assert eng.w.xen["pirqs"][101]["gvec"] == 33
    assert [f["how"] for f in _events(eng, "xen.pirq")] == ["vMSI: vector 0x21 to CPU1"] * 5   # matrix_find_best_cpu: CPU1
