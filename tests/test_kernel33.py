"""kernel33: two concurrent MSI / MSI-X enables of one device before 5.17, as the kernel runs them.

Read in stored trees (4.13.9: kinmax/linux-4.13.19; 5.10.13: Rtoax/linux-5.10.13; 5.15.24: yhuan416/linux-5.15.24)
and tglx's 5.17 series ('PCI/MSI: Let the irq code handle sysfs groups', which removes 5.16's msi_populate_sysfs
calls): nothing serialises the enables (no msi_lock_descs before 5512c5eaf533) and the flags are set at the end of
the set-up, so both pass __pci_enable_msix_range's / __pci_enable_msi_range's tests. msix_setup_entries /
msi_capability_init append to dev->msi_list; msi_domain_alloc_irqs walks every descriptor on it and gives each a
new irq (irq_set_msi_desc_off overwrites entry->irq; the old irq leaks); the first populate_msi_sysfs makes the
'msi_irqs' group, the second gets -EEXIST (internal_create_group) and its free_msi_irqs frees every descriptor --
after BUG_ON(irq_has_action()). Readings kernel.msi.enable-unserialised, kernel.msi.sysfs-eexist. msidbg refused
the second enable with -EBUSY before (tests/kernel29 c01/c02, tests/kernel31 c05, tests/heldout30 w16 now follow
the mechanism too).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests import mech_helpers
from tests.conftest import events_of, run_to_end

HERE = Path(__file__).parent / "kernel33"
EEXIST = mech_helpers.EEXIST
_leak = mech_helpers.leak_note


@cache
def _run(name: str) -> Any:
    return run_to_end(load_scenario(str(HERE / f"{name}.yaml")))


def _trace(eng: Any) -> list[tuple[int | None, int, str]]:
    out: list[tuple[int | None, int, str]] = []
    for e in eng.log.events(1, len(eng.log) + 1):
        f = e.fields
        if e.kind == "kernel":
            out.append((e.cpu, e.time_ns, f"{f['prog']}: {f['what']}"))
        elif e.kind in ("irq.alloc", "irq.release"):
            out.append((e.cpu, e.time_ns, f"{e.kind} {f['irq']} {f['index']}"))
        elif e.kind == "vector.assign":
            out.append((e.cpu, e.time_ns, f"vector {f['irq']} {f['vector']:#x}"))
        elif e.kind == "action.done":
            out.append((e.cpu, e.time_ns, f"{f['do']} {f['result']}"))
    return out


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")), ids=lambda p: p.stem)
def test_kernel33_expect_blocks(path: Path) -> None:
    assert headless.check(load_scenario(str(path))) == []


def test_msix_both_set_ups_share_the_list_and_the_second_sysfs_group_frees_it() -> None:
    """5.10: CPU1 (first to the set-up) allocates irqs 24/25; CPU0's allocation walks all four descriptors (24/25
    leak); CPU1 makes the group and returns 2; CPU0's -EEXIST frees 26..29 (list positions 0..3, entries 0 1 0 1).
    CPU1's driver then finds no irq; the signal stays in the PBA (masked by msix_program_entries) and is lost."""
    eng = _run("k01-msix-both-k510")
    assert _trace(eng) == [
        (1, 1_000, "irq.alloc 24 0"), (1, 1_700, "irq.alloc 25 1"),
        (0, 3_000, f"msi_domain_alloc_irqs: {_leak(0, 0, 24)}"), (0, 3_100, "irq.alloc 26 0"),
        (0, 3_800, f"msi_domain_alloc_irqs: {_leak(1, 1, 25)}"), (0, 3_900, "irq.alloc 27 1"),
        (0, 4_600, "irq.alloc 28 0"), (0, 5_300, "irq.alloc 29 1"),
        (1, 9_400, "alloc_vectors 2"),     # (intx36: +1 us, msix_capability_init's Interrupt Disable write)
        (0, 11_000, f"msix_capability_init: {EEXIST}"),
        (0, 11_100, "irq.release 26 0"), (0, 11_200, "irq.release 27 1"),
        (0, 11_300, "irq.release 28 0"), (0, 11_400, "irq.release 29 1"),
        (0, 11_500, "alloc_vectors -17"),
        (1, 20_000, "request_irq: vector 0 has no irq (allocate vectors first)"), (1, 20_100, "request_irq -22"),
        (1, 52_000, "free_vectors 0")]
    # irqs 28 / 29 are for list positions 2 / 3, CPU0's own descriptors, entries 0 / 1
    held = events_of(eng, "msi.held")
    assert [(e.time_ns, e.fields["index"]) for e in held] == [(30_000, 0)]
    assert sorted(i for i in eng.w.irqs if i >= 24) == [24, 25]      # leaked, vectors held to the end
    p = eng.w.kernel["pci"]["d0"]
    assert (p["msix_enabled"], p["descs"], "sysfs" in p) == (False, [], False)


def test_a_request_in_the_window_oopses_the_losing_teardown() -> None:
    """5.10: CPU1's request_irq at 9 us finds its first descriptor with CPU0's irq 26 (pci_irq_vector walks the
    list) and activates it on CPU1; CPU0's free_msi_irqs meets BUG_ON(irq_has_action(26)): the list, the group and
    msix_enabled stay. The request's table write was the last to entry 0: the signal reaches irq 26's handler."""
    eng = _run("k02-msix-request-in-window-k510")
    tail = [t for t in _trace(eng) if t[1] >= 9_400]
    assert tail == [     # (intx36: CPU1's part 1 us later -- msix_capability_init's Interrupt Disable write -- still in the window)
        (1, 9_400, "alloc_vectors 2"), (1, 9_600, "vector 26 0x21"),
        (0, 11_000, f"msix_capability_init: {EEXIST}"), (1, 11_100, "request_irq 0"),
        (0, 11_100, "free_msi_irqs: kernel BUG at drivers/pci/msi.c: free_msi_irqs: BUG_ON(irq_has_action(26)) -- "
                    "irq 26 still requested; the task oopses (msidbg keeps the descriptors and goes on)"),
        (0, 11_200, "alloc_vectors -17")]
    assert [(e.cpu, e.fields["irq"]) for e in events_of(eng, "irq.handler")] == [(1, 26)]
    p = eng.w.kernel["pci"]["d0"]
    assert [(d["index"], d["irq"], d.get("old", [])) for d in p["descs"]] == [(0, 26, [24]), (1, 27, [25]),
                                                                             (0, 28, []), (1, 29, [])]
    assert p["msix_enabled"] and p.get("sysfs") == 1
    assert eng.w.devices["d0"]["msix"]["table"][0]["data"] & 0xFF == 0x21


def test_msi_both_set_ups_414_leak_vectors_and_the_device_keeps_a_freed_one() -> None:
    """4.14 (vectors at allocation): each CPU's allocation gives both descriptors irqs and vectors; the last
    message written to the one MSI register is irq 27's (0x71), which CPU0's -EEXIST teardown frees: the signal
    finds no irq (No irq handler for vector), and irqs 24 / 26 keep vectors 0x41 / 0x61. Every step is 1 us
    later than before kernel32: msi_capability_init's first pci_msi_set_enable(dev, 0) is one more config write."""
    eng = _run("k03-msi-both-k414")
    assert _trace(eng)[:11] == [
        (1, 1_000, "vector 24 0x41"),
        (0, 3_000, f"msi_domain_alloc_irqs: {_leak(0, 0, 24)}"), (0, 3_100, "vector 25 0x51"),
        (1, 5_100, "vector 26 0x61"),
        (0, 7_200, f"msi_domain_alloc_irqs: {_leak(1, 0, 26)}"), (0, 7_300, "vector 27 0x71"),
        (1, 11_200, "alloc_vectors 1"),     # (intx36: +1 us, msi_capability_init's Interrupt Disable write)
        (0, 11_400, f"msi_capability_init: {EEXIST}"),
        (0, 11_500, "irq.release 25 0"), (0, 11_600, "irq.release 27 0"), (0, 11_700, "alloc_vectors -17")]
    assert [(e.fields["vector"], e.fields["slot"]) for e in events_of(eng, "irq.unhandled")] == [(0x71, "UNUSED")]
    assert {i: eng.w.irqs[i].vector for i in eng.w.irqs if i >= 24} == {24: 0x41, 26: 0x61}
    assert eng.w.kernel["pci"]["d0"]["msi_enabled"] and eng.w.devices["d0"]["msi"]["ctrl"] & 0x1


def test_516_loser_out_disable_turns_the_winners_msix_off() -> None:
    """5.16: CPU0's -EEXIST at 7.8 us frees the list (irqs 28..31; CPU1's 24..27 leaked to CPU0's allocation) and
    out_disable writes Message Control with Enable | Function Mask clear (8.3 us): CPU1 returned 2 at 7.8 us (6.8
    before intx36: its msix_capability_init writes Interrupt Disable first) and
    msix_enabled stays set, but the device sends no MSI-X message: the signal at 30 us is dropped."""
    eng = _run("k04-msix-both-k516")
    t = _trace(eng)
    assert [x for x in t if x[2].startswith("alloc_vectors")] == [(1, 7_800, "alloc_vectors 2"),
                                                                  (0, 9_300, "alloc_vectors -17")]
    assert [x[2] for x in t if "leaks" in x[2]] == [
        f"msi_domain_alloc_irqs: {_leak(0, 0, 24)}", f"msi_domain_alloc_irqs: {_leak(1, 1, 25)}",
        f"msi_domain_alloc_irqs: {_leak(2, 0, 26)}", f"msi_domain_alloc_irqs: {_leak(3, 1, 27)}"]
    writes = [(e.cpu, e.time_ns, e.fields["value"]) for e in events_of(eng, "cfg.write") if e.fields["offset"] == 0x72]
    assert writes[-1] == (0, 8_300, 0x0001)        # Enable and Function Mask clear (table size field 1)
    assert [e.fields["why"] for e in events_of(eng, "msi.dropped")] == ["MSI and MSI-X disabled"]
    p = eng.w.kernel["pci"]["d0"]
    assert p["msix_enabled"] and p["descs"] == [] and not eng.w.devices["d0"]["msix"]["ctrl"] & 0xC000
