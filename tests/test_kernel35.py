"""kernel35: a driver's second enable of the kind already enabled, and the errno names.

4.19's __pci_enable_msix has 'WARN_ON(!!dev->msix_enabled);' and goes on; __pci_enable_msi_range 'WARN_ON(!!dev->
msi_enabled);' the same (0x88888888/Linux-4.19; 4.13.9 too). 4c1ef72e9b71 ('PCI/MSI: Warn and return error if driver
enables MSI/MSI-X twice'; read present in a 5.2 tree, absent from 4.19.y) returns -EINVAL there (behaviour row
kernel.msi_enable_twice_einval, reading kernel.msi.enable-twice). Before it the second set-up runs against the enabled
one's descriptors as kernel33's unserialised enables do: list_add_tail onto dev->msi_list, new irqs for every
descriptor (the requested irq leaks), populate_msi_sysfs -EEXIST, free_msi_irqs of the whole list.
"""

from __future__ import annotations

import errno
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from msidbg.contract import ERRNOS
from msidbg.debugger import headless
from msidbg.model.cpu import errname
from msidbg.scenario import load_scenario
from tests import mech_helpers
from tests.conftest import events_of, run_to_end, with_kernel

HERE = Path(__file__).parent / "kernel35"
MODEL = Path(__file__).parent.parent / "msidbg" / "model"
EEXIST = mech_helpers.EEXIST
_leak = mech_helpers.leak_note


@cache
def _run(name: str) -> Any:
    return run_to_end(load_scenario(str(HERE / f"{name}.yaml")))


def _trace(eng: Any, since: int = 0) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for e in eng.log.events(1, len(eng.log) + 1):
        f = e.fields
        if e.time_ns < since:
            continue
        if e.kind == "kernel":
            out.append((e.time_ns, f"{f['prog']}: {f['what']}"))
        elif e.kind in ("irq.alloc", "irq.release"):
            out.append((e.time_ns, f"{e.kind} {f['irq']}"))
        elif e.kind == "action.done":
            out.append((e.time_ns, f"{f['do']} {f['result']}"))
    return out


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")), ids=lambda p: p.stem)
def test_kernel35_expect_blocks(path: Path) -> None:
    assert headless.check(load_scenario(str(path))) == []


def test_msix_second_enable_warns_and_tears_down_the_first_before_4c1ef72e9b71() -> None:
    """4.19: the second pci_alloc_irq_vectors(PCI_IRQ_MSIX) WARNs and runs: the requested irqs 24/25 leak, the four
    descriptors get 26..29, populate_msi_sysfs is -EEXIST and frees them; msix_enabled stays set, the function is left
    masked (Enable | Mask-All written by the second set-up) and the signal is held in the PBA and lost."""
    eng = _run("t01-msix-twice-k419")
    assert _trace(eng, since=40_000) == [
        (40_000, "pci_enable_msix_range: WARN_ON(!!dev->msix_enabled): MSI-X is enabled already; the enable goes on "
                 "(no return before 4c1ef72e9b71)"),
        (41_100, f"msi_domain_alloc_irqs: {_leak(0, 0, 24)}"), (41_200, "irq.alloc 26"),
        (41_900, f"msi_domain_alloc_irqs: {_leak(1, 1, 25)}"), (42_000, "irq.alloc 27"),
        (42_700, "irq.alloc 28"), (43_400, "irq.alloc 29"),
        (49_100, f"msix_capability_init: {EEXIST}"),
        (49_200, "irq.release 26"), (49_300, "irq.release 27"), (49_400, "irq.release 28"), (49_500, "irq.release 29"),
        (49_600, "alloc_vectors -17")]
    p = eng.w.kernel["pci"]["d0"]
    assert p["msix_enabled"] and not p["descs"]
    assert p["status"] == "failed: EEXIST"
    # the requested irq 24 still exists with its action (leaked), no descriptor names it any more
    assert eng.w.irqs[24].action == "d0-0"
    held = events_of(eng, "msi.held")
    assert [(e.time_ns, e.fields["index"]) for e in held] == [(80_000, 0)]
    writes = [e.fields["value"] for e in events_of(eng, "cfg.write") if e.fields["offset"] == 114]
    assert writes[-2:] == [0x0003, 0xC003]      # Enable cleared, then Enable | Mask-All: nothing clears Mask-All


def test_msix_second_enable_is_einval_from_4c1ef72e9b71() -> None:
    eng = _run("t02-msix-twice-k54")
    assert _trace(eng, since=40_000) == [
        (40_000, "pci_enable_msix_range: MSI or MSI-X already enabled"), (40_100, "alloc_vectors -22")]
    assert not events_of(eng, "msi.held")


def test_the_row_alone_decides() -> None:
    """5.4 with the row false runs the 4.19 mechanism (same trace from the second enable on); 4.19 with it true
    refuses as 5.4 does."""
    scn = load_scenario(str(HERE / "t02-msix-twice-k54.yaml"))
    old = run_to_end(with_kernel(scn, msi_enable_twice_einval=False))
    assert _trace(old, since=40_000) == _trace(_run("t01-msix-twice-k419"), since=40_000)
    new = run_to_end(with_kernel(load_scenario(str(HERE / "t01-msix-twice-k419.yaml")), msi_enable_twice_einval=True))
    assert _trace(new, since=40_000) == _trace(_run("t02-msix-twice-k54"), since=40_000)


def test_msi_second_enable_before_4c1ef72e9b71() -> None:
    """4.14 MSI: the enabled descriptor gets irq 25 (24 leaks), the new one 26, whose message (vector 0x61) the
    device keeps; -EEXIST frees 25 and 26. The second msi_capability_init began with pci_msi_set_enable(dev, 0)
    (kernel32's reading kernel.msi.disable-during-setup: 1 us later from there on) and its populate_msi_sysfs
    error return never sets Enable again: the device drops the signal (lost, not spurious as before kernel32)."""
    eng = _run("t03-msi-twice-k414")
    assert _trace(eng, since=40_000) == [
        (40_000, "pci_enable_msi_range: WARN_ON(!!dev->msi_enabled): MSI is enabled already; the enable goes on "
                 "(no return before 4c1ef72e9b71)"),
        (42_100, f"msi_domain_alloc_irqs: {_leak(0, 0, 24)}"),
        (50_400, f"msi_capability_init: {EEXIST}"),
        (51_500, "irq.release 25"), (51_600, "irq.release 26"),
        (51_700, "alloc_vectors -17")]
    assert eng.w.kernel["pci"]["d0"]["msi_enabled"]
    ctrl = [(e.time_ns, e.fields["value"]) for e in events_of(eng, "cfg.write")
            if e.fields["offset"] == 0x52 and e.time_ns >= 40_000]
    assert ctrl == [(40_100, 0x180), (42_300, 0x180), (46_400, 0x180)]    # Enable off, then two message writes
    assert not eng.w.devices["d0"]["msi"]["ctrl"] & 0x1
    assert [e.fields["why"] for e in events_of(eng, "msi.dropped")] == ["MSI and MSI-X disabled"]
    assert events_of(eng, "irq.unhandled") == []


def test_other_kind_is_einval_in_every_release() -> None:
    """MSI while MSI-X is enabled: -EINVAL in 4.19 too ('can't enable MSI (MSI-X already enabled)'); the MSI-X
    enable and its irq are untouched."""
    eng = _run("t05-msi-after-msix-k419")
    assert _trace(eng, since=40_000) == [
        (40_000, "pci_enable_msi_range: MSI or MSI-X already enabled"), (40_100, "alloc_vectors -22")]


# --- __pci_restore_msix_state under msi_lock_descs (5.17+) -----------------------------------------------------

_WAIT = "msi_lock_descs: CPU{} is enabling or disabling MSI on this device: this task sleeps on the mutex"


def _restore_trace(eng: Any) -> list[tuple[int | None, int, str]]:
    out: list[tuple[int | None, int, str]] = []
    for e in eng.log.events(1, len(eng.log) + 1):
        if e.time_ns < 203_000:
            continue
        f = e.fields
        if e.kind == "kernel":
            out.append((e.cpu, e.time_ns, f"{f['prog']}: {f['what']}"))
        elif e.kind == "cfg.write" and f["offset"] == 0x72:
            out.append((e.cpu, e.time_ns, f"msix_ctrl {f['value']:#06x}"))
        elif e.kind == "msix.write":
            out.append((e.cpu, e.time_ns, f"entry {f['entry']} {f['reg']}"))
        elif e.kind in ("irq.release", "action.done"):
            out.append((e.cpu, e.time_ns, f"{e.kind} {f.get('irq', f.get('do'))}"))
    return out


def test_restore_waits_for_a_free_holding_the_lock() -> None:
    """6.6: CPU1's free (203.5 us) takes the mutex after CPU0's restore wrote Enable | Mask-All (203 us); the restore's
    loop (204 us) sleeps until the free unlocks, then finds no descriptor and only clears Mask-All: Enable stays
    off as pci_msix_shutdown left it. Without the lock the restore wrote both entries' messages from descriptors the
    free was tearing down."""
    eng = _run("r01-resume-vs-free-k66")
    assert _restore_trace(eng) == [
        (0, 203_000, "msix_ctrl 0xc001"),
        (1, 203_500, "entry 0 ctrl"), (1, 203_700, "entry 1 ctrl"), (1, 203_900, "msix_ctrl 0x4001"),
        (0, 204_000, f"pci_restore_msix: {_WAIT.format(1)}"),
        # (intx36: pci_msix_shutdown's Interrupt Disable write, +1 us)
        (1, 205_900, "irq.release 24"), (1, 206_000, "irq.release 25"), (1, 206_100, "action.done free_vectors"),
        (0, 206_100, "msix_ctrl 0x0001"), (0, 207_100, "action.done pm_resume")]


def test_free_waits_for_the_restore_loop() -> None:
    """6.6: CPU1's free at 204.3 us meets the restore's loop holding the mutex: it sleeps until the restore unlocks
    (after entry 1's Vector Control, 205.4 us), then shuts MSI-X down. The waiter is pci_disable_msix, which takes
    its own msi_lock_descs inside pci_free_irq_vectors (kernel32, kernel.msi.free-vectors-both)."""
    eng = _run("r02-free-vs-resume-loop-k66")
    t = _restore_trace(eng)
    assert t[:4] == [(0, 203_000, "msix_ctrl 0xc001"), (0, 204_000, "entry 0 addr_lo"),
                     (0, 204_200, "entry 0 addr_hi"), (1, 204_300, "pci_disable_msix: msi_lock_descs: CPU0 is restoring MSI-X on this device "
                                   "(__pci_restore_msix_state): this task sleeps on the mutex")]
    assert t[4:] == [
        (0, 204_400, "entry 0 data"), (0, 204_600, "entry 0 ctrl"), (0, 204_800, "entry 1 addr_lo"),
        (0, 205_000, "entry 1 addr_hi"), (0, 205_200, "entry 1 data"), (0, 205_400, "entry 1 ctrl"),
        (0, 205_600, "msix_ctrl 0x8001"),
        (1, 205_600, "entry 0 ctrl"), (1, 205_800, "entry 1 ctrl"), (1, 206_000, "msix_ctrl 0x0001"),
        (0, 206_600, "action.done pm_resume"),
        (1, 208_000, "irq.release 24"), (1, 208_100, "irq.release 25"), (1, 208_200, "action.done free_vectors")]   # (intx36: +1 us)


def test_restore_takes_no_lock_before_5_17() -> None:
    """5.16 (kernel.msi_descs_lock: none): the restore's loop runs beside CPU1's free -- no wait on either side."""
    eng = run_to_end(with_kernel(load_scenario(str(HERE / "r01-resume-vs-free-k66.yaml")), version="5.16"))
    assert not [w for _, _, w in _restore_trace(eng) if "msi_lock_descs" in w]


# --- errno names (contract.ERRNOS) ------------------------------------------------------------------------------

_CONST = re.compile(r"^\s*((?:E[A-Z0-9]+)(?:\s*,\s*E[A-Z0-9]+)*)\s*=\s*(\d+(?:\s*,\s*\d+)*)\s*(?:#.*)?$", re.M)


def _model_errnos() -> dict[str, int]:
    """Every errno constant the model's modules define (each returns the values it names)."""
    found: dict[str, int] = {}
    for path in MODEL.rglob("*.py"):
        for m in _CONST.finditer(path.read_text()):
            names = [n.strip() for n in m.group(1).split(",")]
            values = [int(v) for v in m.group(2).split(",")]
            assert len(names) == len(values), (path, m.group(0))
            found.update(zip(names, values, strict=True))
    return found


def test_every_errno_the_model_returns_is_named() -> None:
    found = _model_errnos()
    assert {"EEXIST", "EACCES", "EFAULT", "ERANGE", "EBUSY", "EINVAL", "ENOSPC"} <= set(found)
    for name, value in found.items():
        assert getattr(errno, name) == value, name       # the Linux numbers
        assert ERRNOS.get(name) == value, f"{name} ({value}) is not in contract.ERRNOS"
        assert errname(-value) == name
    for name, value in ERRNOS.items():
        assert getattr(errno, name) == value, name
    assert errname(-17) == "EEXIST" and errname(-99) == "E99"
