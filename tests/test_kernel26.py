"""kernel26: leads on the kernel side left by earlier sessions (tests/kernel26/*.yaml)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from msidbg.debugger import headless
from msidbg.model import hits
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end
from tests.test_redteam21 import _assigned, _events

HERE = Path(__file__).parent / "kernel26"


@cache
def _run(name: str):  # type: ignore[no-untyped-def]
    return run_to_end(load_scenario(str(HERE / f"{name}.yaml")))


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")), ids=lambda p: p.stem)
def test_kernel26_expect_blocks(path: Path) -> None:
    assert headless.check(load_scenario(str(path))) == []


def test_a_raced_message_on_an_ioapic_vector_runs_that_line_for_nothing() -> None:
    """r01, 5.6: the message msi_set_affinity retriggered stays in the old CPU's IRR on the new vector,
    which there is a level IO-APIC line's: handle_fasteoi_irq runs disk2's handler (IRQ_NONE), spurious
    for the xHCI; the retriggered record is consumed by that arrival (it stayed on main)."""
    eng = _run("r01-plug-stray-on-ioapic-k56")
    assert _assigned(eng, "xhci") == [(0x21, 0), (0x22, 1)]
    none = [(e.time_ns, e.cpu) for e in _events(eng, "irq.none") if e.dev == "disk2"]
    assert len(none) == 1 and none[0][1] == 0
    spur = [h for h in eng.hits if h.name == hits.IRQ_SPURIOUS]
    assert len(spur) == 1 and "runs disk2 vector 0's handler, its level line's actions" in spur[0].detail
    assert eng.w.acct["xhci"]["spurious"] == [1] and eng.w.acct["xhci"]["lost"] == [0]
    assert all("retrig_irr" not in c for c in eng.w["cpus"])


def test_a_pv_domus_table_store_is_a_page_fault_not_a_drop() -> None:
    """x23 (Xen 4.8, 4.14 guest): pv_ro_page_fault emulates a store to mmio_ro_ranges only for the hardware
    domain; a domU's raw Vector Control write faults and its task oopses (the action fails), the device's
    entry untouched, delivery unchanged. msidbg emitted pcifront.dropped and returned 0 before."""
    eng = run_to_end(load_scenario(str(Path(__file__).parent / "heldout_xen20" / "x23-pv-vecctl-mask-x48-k414.yaml")))
    writes = [e.fields["result"] for e in _events(eng, "action.done") if e.fields["do"] == "write"]
    assert writes == [-14]
    assert not [e for e in _events(eng, "pcifront.dropped") if e.fields["space"] == "msix-table"]
    assert eng.w["devices"]["n0"]["msix"]["table"][0]["ctrl"] & 1 == 0
    assert eng.w.acct["n0"]["delivered"] == [3, 0]


def _mask_writes(eng, kind: str = "cfg.write") -> list[int]:  # type: ignore[no-untyped-def]
    return [e.fields["value"] for e in _events(eng, kind) if e.dev == "x" and e.fields["offset"] == 0x60]


@pytest.mark.parametrize(("tag", "writes"), [("k515", [1, 0]), ("k5153", []), ("k514", [])])
def test_515_writes_the_mask_past_a_capability_without_mask_bits(tag: str, writes: list[int]) -> None:
    """r02: 5.15 .. 5.15.2's unchecked pci_msi_update_mask writes msi_multi_mask at cap + 0x10 at the probe and 0
    at the remove; 5.14 and 5.15.3 (9c8e9c9681a0) write nothing there. msidbg wrote nothing on every release."""
    eng = _run(f"r02-msi-nomask-update-{tag}")
    assert _mask_writes(eng) == writes
    assert eng.w.acct["x"]["delivered"] == [1]


def test_515_pv_mask_writes_go_to_pciback_and_are_dropped() -> None:
    """r03: under pci_msi_ignore_mask 5.15 still writes the Mask Bits; pcifront carries them, pciback drops them."""
    eng = _run("r03-msi-pv-update-k515")
    assert [(e.fields["value"], e.fields["space"]) for e in _events(eng, "pcifront.dropped")
            if e.dev == "x" and e.fields["offset"] == 0x60] == [(1, "config"), (0, "config")]
    assert _mask_writes(eng) == []


def test_a_raced_message_parked_on_a_disabled_irq_is_spurious_at_the_replay() -> None:
    """r04 (guard): the stray bit reaches the disabled NVMe admin irq (IRQS_PENDING, no action); enable_irq's
    resend runs its handler for nothing -- the xHCI's spurious arrival is counted there, once, and no record
    is left on any CPU or descriptor."""
    eng = _run("r04-plug-stray-parked-k56")
    pend = [e.cpu for e in _events(eng, "irq.pending") if e.dev == "nvme0"]
    runs = [(e.cpu, e.fields["signals"]) for e in _events(eng, "irq.handler") if e.dev == "nvme0"]
    assert pend == [1] and runs == [(1, 0)]
    assert eng.w.acct["xhci"]["spurious"] == [1]
    assert all("retrig_irr" not in c for c in eng.w["cpus"])
    assert all("pending_stray" not in d for d in eng.w.irqs.values())
