"""kernel29: leads redteam28 left on bare metal, read in the named releases' source (tests/kernel29/*.yaml).

- the name of vector 0xff's handler per release (``kernel.spurious_apic_entry``: smp_spurious_interrupt
  before db0338eec583, sysvec_spurious_apic_interrupt from 5.8);
- msi_set_affinity's selection per release (``kernel.msi_affinity_update``): which irq takes the two-step
  path, pinned on one NIC (MSI-X, reservation mode) and one non-maskable MSI moved the same way.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from msidbg.debugger import headless
from msidbg.model import hits
from msidbg.scenario import load_scenario, load_scenario_text
from tests.conftest import events_of, run_to_end
from tests.test_redteam21 import _assigned, _notes

HERE = Path(__file__).parent / "kernel29"


@cache
def _run(name: str):  # type: ignore[no-untyped-def]
    return run_to_end(load_scenario(str(HERE / f"{name}.yaml")))


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")), ids=lambda p: p.stem)
def test_kernel29_expect_blocks(path: Path) -> None:
    assert headless.check(load_scenario(str(path))) == []


# The 0xff IDT entry: entry_64.S 'apicinterrupt SPURIOUS_APIC_VECTOR spurious_interrupt smp_spurious_interrupt'
# up to 5.7; db0338eec583 (5.8 x86/entry) 'DEFINE_IDTENTRY_SYSVEC(sysvec_spurious_apic_interrupt)'. The
# handling (never EOId since f8a8fe61fec8) is the same on both sides: the xHCI behind it on CPU1 loses all 3.
@pytest.mark.parametrize(("name", "entry"), [("s01-spurious-ff-entry-k57", "smp_spurious_interrupt"),
                                             ("s02-spurious-ff-entry-k58", "sysvec_spurious_apic_interrupt")])
def test_spurious_vector_handler_name_per_release(name: str, entry: str) -> None:
    eng = _run(name)
    assert eng.w.behaviour["spurious_apic_entry"] == entry.split("_")[0]
    assert [h.detail for h in eng.hits if h.name == hits.IRQ_SPURIOUS] == [
        f"nic0 vector 0: hit CPU1 vector 0xff: the APIC spurious-interrupt vector ({entry}), not a device vector"]
    assert eng.w.acct["xhci"]["lost"] == [3] and eng.w.acct["nic0"]["lost"] == [1, 0]


def test_spurious_entry_name_before_53_is_smp_spurious_interrupt() -> None:
    """heldout28 v09 (5.2, EOId): the same handler name as 5.7 -- f8a8fe61fec8 gave the unused system
    vectors their own stubs but left 0xff's entry alone."""
    eng = run_to_end(load_scenario(str(Path(__file__).parent / "heldout28" / "v09-spurious-ff-shared-cpu-k52.yaml")))
    assert [h.detail for h in eng.hits if h.name == hits.IRQ_SPURIOUS] == [
        "nic0 vector 0: hit CPU1 vector 0xff: the APIC spurious-interrupt vector (smp_spurious_interrupt), "
        "not a device vector"]


# msi_set_affinity's selection. The NIC (MSI-X, not managed) has reservation mode: reserve_irq_vector_locked
# set IRQD_CAN_RESERVE and msi_check_reservation_mode is true, so msi_init_virq leaves it. The SATA MSI has no
# per-vector mask: msi_check_reservation_mode is false and msi_init_virq clears IRQD_CAN_RESERVE. Its first
# move (CPU2 -> CPU5) keeps its vector (direct in every release); the second (CPU5 -> CPU6) changes both.
#   plug-race (6f1a4891a592, 5.6 .. 5.16): two-step only for the quirk irq: the SATA's second move.
#   plain (ef8dd01538ea, 5.17 .. 6.6.2 / 6.1.65): nothing sets the quirk: every move is direct.
#   can-reserve (b56ebe7c896d, 6.7, 6.6.3, 6.1.66): '!irqd_can_reserve(irqd) ||' selects the direct write,
#   so the NIC's two moves take the two-step path and the non-maskable SATA is written directly.
@pytest.mark.parametrize(("version", "mode", "plugged"), [
    ("5.16", "plug-race", [("sata", 5)]),
    ("6.1.65", "plain", []),
    ("6.1.66", "can-reserve", [("nic0", 1), ("nic0", 5)]),
    ("6.6", "plain", []),
    ("6.6.3", "can-reserve", [("nic0", 1), ("nic0", 5)]),
    ("6.7", "can-reserve", [("nic0", 1), ("nic0", 5)]),
    ("6.19", "can-reserve", [("nic0", 1), ("nic0", 5)]),
])
def test_msi_set_affinity_two_step_selection_per_release(version: str, mode: str,
                                                         plugged: list[tuple[str, int]]) -> None:
    text = (HERE / "m01-move-select-k67.yaml").read_text().replace('version: "6.7"', f'version: "{version}"')
    eng = run_to_end(load_scenario_text(text, "m01"))
    assert eng.w.behaviour["msi_affinity_update"] == mode
    # the two-step path's first note is on the old CPU (the move runs there at the next interrupt)
    assert [(e.dev, e.cpu) for e in _notes(eng, "vector_lock")] == plugged
    assert [c for _, c in _assigned(eng, "sata")] == [2, 5, 6] and [c for _, c in _assigned(eng, "nic0")] == [1, 5, 6]
    sata = _assigned(eng, "sata")
    assert sata[0][0] == sata[1][0] != sata[2][0]      # the second move changes the SATA's vector


# Concurrent enables of one device (CPU0's action first enables the device's Command bits, so CPU1 reaches the
# MSI set-up first). 4.14 .. 5.16: no lock (msi_lock_descs is b5f687f97d1e / 5512c5eaf533, 5.17) and the flags
# are set only at the end of the set-up, so the second enable passes __pci_enable_msix's tests and both set-ups
# run on one dev->msi_list (kernel33; msidbg refused CPU0 with -EBUSY before): CPU1's populate_msi_sysfs comes
# first, CPU0's is -EEXIST and frees the list, and its MSI fallback meets CPU1's msix_enabled: -EINVAL. From 5.17
# (c7ecb95ca6a8) msix_capability_init marks msix_enabled at its start, so CPU0's MSI-X try meets
# 'WARN_ON_ONCE(dev->msix_enabled)' and its MSI fallback "can't enable MSI (MSI-X already enabled)": -EINVAL.
EEXIST = "populate_msi_sysfs: sysfs: cannot create duplicate filename '.../msi_irqs' (another enable made it): -EEXIST"
ALREADY = "MSI or MSI-X already enabled"


@pytest.mark.parametrize(("name", "lock", "early", "notes", "leaked"), [
    ("c01-concurrent-enable-k414", "none", False, [(0, EEXIST, -17), (0, ALREADY, -22)], [24, 25]),
    ("c02-concurrent-enable-k516", "none", False, [(0, EEXIST, -17), (0, ALREADY, -22)], [24, 25, 26, 27]),
    ("c03-concurrent-enable-k517", "mutex", True, [(0, ALREADY, -22), (0, ALREADY, -22)], [])])
def test_concurrent_enable_per_release(name: str, lock: str, early: bool, notes: list[tuple[int, str, int]],
                                       leaked: list[int]) -> None:
    eng = _run(name)
    assert (eng.w.behaviour["msi_descs_lock"], eng.w.behaviour["msi_enabled_early"]) == (lock, early)
    done = {e.fields["action"]: e.fields["result"] for e in events_of(eng, "action.done")}
    assert done == {0: -22, 1: 2, 2: 0}
    got = [(e.cpu, e.fields["what"], e.fields["value"]) for e in events_of(eng, "kernel")
           if e.fields.get("value") in (-16, -17, -22)]
    assert got == notes       # MSI-X, then the MSI fallback
    assert eng.w["kernel"]["pci"]["d0"]["lock"] == -1 and eng.w["kernel"]["pci"]["d0"]["descs"] == []
    # the irqs CPU0's allocation replaced on CPU1's descriptors (4.14: and CPU1's on CPU0's) stay allocated
    assert sorted(i for i in eng.w.irqs if i >= 24) == leaked


# The flag tests come before the lock in every release (__pci_enable_msix_range's WARN_ON_ONCE(dev->msix_enabled),
# then msix_setup_interrupts' msi_lock_descs): an enable while another CPU's pci_disable_msix has not yet cleared
# msix_enabled is -EINVAL ('already enabled'), not a wait for the lock; the MSI fallback, after the flag is clear,
# clears MSI Enable, sets msi_enabled (c7ecb95ca6a8) and sleeps on the mutex in msi_capability_init. kernel32:
# pci_free_irq_vectors is pci_disable_msix THEN pci_disable_msi, each with its own flag test and lock: CPU1's
# pci_disable_msi finds msi_enabled set by CPU0's early flag and takes the mutex CPU1 itself just released (the
# running task's trylock beats the woken waiter, which has no HANDOFF yet), and pci_msi_shutdown finds no descriptor:
# WARN_ON_ONCE(!desc), then 'desc->pci.msi_attrib.default_irq' dereferences NULL -- CPU1 oopses holding the
# mutex and CPU0 sleeps for ever (kernel29/31 expected MSI set up with 1 vector: msidbg called only pci_disable_msix).
def test_enable_during_a_disable_tests_the_flag_before_the_lock() -> None:
    eng = _run("c04-enable-during-disable-k66")
    done = {e.fields["action"]: e.fields["result"] for e in events_of(eng, "action.done")}
    assert done == {0: 2, 1: -14}       # action 2 never returns
    notes = [(e.time_ns, e.cpu, e.fields["prog"], e.fields["value"]) for e in events_of(eng, "kernel")
             if e.time_ns >= 1_000_000]
    assert notes == [(1_000_300, 0, "pci_enable_msix_range", -22),
                     (1_001_400, 0, "msi_capability_init", 1),      # sleeps on CPU1's mutex
                     (1_003_600, 1, "pci_disable_msi", -14),        # WARN + NULL dereference in pci_msi_shutdown
                     (1_003_800, 0, "msi_capability_init", 1)]      # ... for ever (intx36: +1 us, pci_msix_shutdown's Command write)
    msi = [(e.time_ns, e.cpu, e.fields["value"]) for e in events_of(eng, "cfg.write") if e.fields["offset"] == 0x52]
    assert msi == [(1_000_400, 0, 0x84), (1_002_600, 1, 0x84)]     # CPU0's set-up, CPU1's pci_msi_shutdown
    p = eng.w["kernel"]["pci"]["d0"]
    assert (p["lock"], p["msi_enabled"], p["msix_enabled"], p["descs"]) == (1, False, False, [])
