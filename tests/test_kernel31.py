"""kernel31: two concurrent 5.17+ enables of one device's MSI-X / MSI, msi_lock_descs a mutex that sleeps.

Read in a 5.17-rc5 tree (drivers/pci/msi/msi.c, kernel/irq/msi.c) and torvalds/linux 017239c8 (a 6.x tree;
xa_insert in msi_insert_desc in 6.1, 6.2 and 6.6 alike): __pci_enable_msix_range / __pci_enable_msi_range test
the flag, msix_capability_init / msi_capability_init set it at their start (c7ecb95ca6a8) and take
msi_lock_descs only later (msix_setup_interrupts; msi_capability_init before msi_setup_msi_desc). A second
enable that passed the flag test sleeps there; once it has the lock, msi_add_msi_desc's xa_insert of index 0
finds the first enable's descriptor: -EBUSY. MSI-X's out_free tears down every irq of the device and
out_disable clears msix_enabled and Enable|Mask-All; MSI's 'fail' clears msi_enabled only. The model reaches
the window on Xen HVM passthrough, where pci_msix_vec_count / pci_msi_vec_count are trapped reads (msidbg's
bare-metal config reads take no time, so the flag test and the Enable write are one instant there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.scenario import load_scenario
from tests.conftest import run_to_end

HERE = Path(__file__).parent / "kernel31"
WAIT = "msi_lock_descs: CPU0 is enabling or disabling MSI on this device: this task sleeps on the mutex"
BUSY = "msi_add_msi_desc: xa_insert(index 0): the index is stored already (another enable's descriptor): -EBUSY"


def _run(name: str) -> tuple[Any, list[Any]]:
    eng = run_to_end(load_scenario(str(HERE / f"{name}.yaml")))
    return eng, list(eng.log.events(1, len(eng.log) + 1))


def _trace(evs: list[Any]) -> list[tuple[int | None, int, str]]:
    """The kernel notes, irq allocations / releases, Xen pirq events and results."""
    out: list[tuple[int | None, int, str]] = []
    for e in evs:
        if e.kind == "kernel":
            out.append((e.cpu, e.time_ns, f"{e.fields['prog']}: {e.fields['what']}"))
        elif e.kind in ("irq.release", "xen.irq"):
            out.append((e.cpu, e.time_ns, f"{e.kind} {e.fields['irq']} {e.fields.get('how', '')}".rstrip()))
        elif e.kind == "action.done":
            out.append((e.cpu, e.time_ns, f"result {e.fields['result']}"))
    return out


@pytest.mark.parametrize("name", ["c02-double-enable-hvm-k66", "c03-double-enable-hvm-k61",
                                  "c04-double-enable-hvm-k62"])
def test_second_msix_enable_sleeps_then_frees_the_first_enables_irqs(name: str) -> None:
    """6.1 / 6.2 / 6.6: CPU1 sleeps on the mutex at 121 us; its insert fails at 196.7 us, after CPU0's irqs 24
    and 25 got pirqs 101 / 100; CPU1 frees both (pirqs destroyed), CPU1 returns -EBUSY, then CPU0 2. intx36: CPU0's
    pci_intx_for_msi(dev, 0) is a trapped read and write of Command (0x406 at 208.6 us) before its Mask-All clear, so
    CPU1's out_disable (0x0001) reaches QEMU first and CPU0's clear reads and writes 0x0001 (CPU0 returned first,
    at 240.6 us, before)."""
    eng, evs = _run(name)
    assert _trace(evs) == [
        (1, 121_000, f"msix_capability_init: {WAIT}"),
        (0, 158_200, "xen.irq 24 fresh pirq"),
        (0, 196_500, "xen.irq 25 fresh pirq"),
        (1, 196_700, f"msix_capability_init: {BUSY}"),
        (1, 196_800, "xen.irq 24 destroyed"),
        (1, 196_900, "xen.irq 25 destroyed"),
        (1, 197_000, "irq.release 24"),
        (1, 197_100, "irq.release 25"),
        (1, 246_600, "result -16"),
        (0, 271_600, "result 2")]
    # both wrote Enable|Mask-All (0xC001); CPU1's out_disable reaches QEMU before CPU0's Mask-All clear, which
    # read-modify-writes the disabled control (0x0001)
    writes = [(e.cpu, e.fields["value"]) for e in evs if e.kind == "ioreq.cfg_write" and e.fields["offset"] == 114]
    assert writes == [(0, 0xC001), (1, 0xC001), (1, 0x0001), (0, 0x0001)]
    assert [(e.cpu, e.time_ns, e.fields["value"]) for e in evs if e.kind == "ioreq.cfg_write" and e.fields["offset"] == 4] \
        == [(0, 208_600, 0x406)]
    p = eng.w.kernel["pci"]["d0"]
    assert (p["msix_enabled"], p["descs"], p["lock"], p["mode"]) == (False, [], -1, None)
    assert 24 not in eng.w.irqs and 25 not in eng.w.irqs


def test_517_the_same_race_with_the_inverted_ctrl_read() -> None:
    """5.17 (71020a3c0dff's inverted test: no Vector Control read of a maskable entry, cached 0): CPU0's masked
    message updates write Vector Control 0 (QEMU binds the pirqs then), so its set-up ends later; CPU1's insert
    fails at 253.1 us and frees both irqs. Before intx36 CPU0's Mask-All clear read Message Control before CPU1's
    out_disable and wrote 0x8001 last: Enable stayed set in the device with no irq behind it. CPU0's
    pci_intx_for_msi(dev, 0) -- a trapped read and write of Command, 25 us, just before that clear -- now lets
    CPU1's 0x0001 land first; CPU0's clear reads 0x0001 and writes it back: the device ends with MSI-X off."""
    eng, evs = _run("c01-double-enable-hvm-k517")
    tr = _trace(evs)
    assert tr[0] == (1, 121_000, f"msix_capability_init: {WAIT}")
    assert tr[3:] == [
        (1, 253_100, f"msix_capability_init: {BUSY}"),
        (1, 253_200, "xen.irq 24 destroyed"),
        (1, 253_300, "xen.irq 25 destroyed"),
        (1, 253_400, "irq.release 24"),
        (1, 253_500, "irq.release 25"),
        (1, 299_900, "result -16"),
        (0, 337_900, "result 2")]
    p = eng.w.kernel["pci"]["d0"]
    assert (p["msix_enabled"], p["descs"], p["lock"]) == (False, [], -1)
    assert eng.w.devices["d0"]["msix"]["ctrl"] == 0x0001
    writes = [(e.cpu, e.fields["value"]) for e in evs if e.kind == "ioreq.cfg_write" and e.fields["offset"] == 114]
    assert writes == [(0, 0xC001), (1, 0xC001), (1, 0x0001), (0, 0x0001)]


def test_516_runs_both_set_ups_on_one_list() -> None:
    """5.16: the flag comes at the end and there is no msi_lock_descs: both MSI-X set-ups run (kernel33; msidbg
    refused the second with -EBUSY before). xen_hvm_setup_msi_irqs walks every descriptor on dev->msi_list, so
    each CPU binds a pirq for all four (each other's too: the irqs bound first stay, leaked); CPU0 makes the
    msi_irqs group, CPU1's populate is -EEXIST and its free_msi_irqs destroys the list's irqs; CPU0 returns 2
    with msix_enabled set and no descriptor left (reading kernel.msi.enable-unserialised)."""
    eng, evs = _run("c05-double-enable-hvm-k516")
    assert _trace(evs) == [
        (0, 282_800, "xen.irq 24 fresh pirq"),
        (1, 296_800, "xen.irq 25 fresh pirq"),
        (1, 359_100, "xen.irq 27 fresh pirq"),
        (0, 385_100, "xen.irq 26 fresh pirq"),
        (1, 498_000, "xen.irq 28 fresh pirq"),
        (0, 512_000, "xen.irq 29 fresh pirq"),
        (0, 574_300, "xen.irq 31 fresh pirq"),
        (1, 600_300, "xen.irq 30 fresh pirq"),
        (1, 600_400, "msix_capability_init: populate_msi_sysfs: sysfs: cannot create duplicate filename "
                     "'.../msi_irqs' (another enable made it): -EEXIST"),
        (1, 600_500, "xen.irq 25 destroyed"),
        (1, 600_600, "xen.irq 27 destroyed"),
        (1, 600_700, "xen.irq 29 destroyed"),
        (1, 600_800, "xen.irq 31 destroyed"),
        (1, 600_900, "irq.release 25"),
        (1, 601_000, "irq.release 27"),
        (1, 601_100, "irq.release 29"),
        (1, 601_200, "irq.release 31"),
        (1, 649_600, "result -17"),
        (0, 699_600, "result 2")]     # (intx36: CPU0's pci_intx_for_msi, a trapped read and write, +25 us)
    p = eng.w.kernel["pci"]["d0"]
    assert (p["msix_enabled"], p["descs"], p["lock"], "sysfs" in p) == (True, [], -1, False)
    assert sorted(eng.w.kernel["xen"]["irqs"]) == [24, 26, 28, 30]     # bound, then leaked


def test_second_msi_enable_fails_without_a_teardown_and_clears_msi_enabled() -> None:
    """6.6 MSI: CPU1 sleeps at 121 us; its insert fails at 238.3 us ('goto fail': msi_enabled = 0, no teardown);
    CPU0's MSI Enable write goes on: the device signals through irq 24 while the kernel's msi_enabled is 0 (a
    later pci_free_irq_vectors returns at its flag test). kernel32: each msi_capability_init first clears Enable
    ('pci_msi_set_enable(dev, 0)', a trapped read and write through QEMU): 49 us later than before. kernel37:
    msi_setup_msi_desc reads Message Control before msi_add_msi_desc (5.17-rc5, 6.12.19), a trapped read QEMU
    serves after CPU0's Enable write (251.3 us): the -EBUSY comes after CPU0's enable returned (was 209.3 us).
    intx36: CPU0's pci_intx_for_msi(dev, 0) before its Enable write is a trapped Command read and write (0x406,
    197.3 / 209.3 us): CPU0's return and CPU1's -EBUSY are 25 us later (were 225.3 / 238.3 us), same order."""
    eng, evs = _run("m01-double-msi-enable-hvm-k66")
    assert _trace(evs) == [
        (1, 121_000, f"msi_capability_init: {WAIT}"),
        (0, 197_200, "xen.irq 24 fresh pirq"),
        (0, 250_300, "result 1"),
        (1, 263_300, f"msi_capability_init: {BUSY}"),
        (1, 263_400, "result -16")]
    cmd = [(e.kind, e.fields["value"]) for e in evs
           if e.kind.startswith("qemu.") and e.fields.get("reg") == "cmd" and 197_000 < e.time_ns < 210_000]
    assert cmd == [("qemu.cfg_read", 0x6), ("qemu.cfg_write", 0x406)]     # CPU0's pci_intx_for_msi
    enable = next(e.time_ns for e in evs if e.kind == "cfg.write" and e.fields.get("offset") == 0x52
                  and e.fields["value"] & 0x1)
    reads = [(e.time_ns, e.fields["value"]) for e in evs
             if e.kind == "qemu.cfg_read" and e.fields.get("reg") == "msi_ctrl" and e.time_ns > enable]
    assert reads == [(251_300, 0x81)]     # msi_setup_msi_desc's pci_read_config_word, before the insert's -EBUSY
    p = eng.w.kernel["pci"]["d0"]
    assert (p["msi_enabled"], p["mode"], p["lock"]) == (False, "msi", -1)
    assert [d["irq"] for d in p["descs"]] == [24]
    assert eng.w.devices["d0"]["msi"]["ctrl"] & 0x1


def test_the_losing_enables_error_is_the_devices_probe_status() -> None:
    """docs/contract.md: ``probe`` is ``ok`` when every driver action for the device succeeded, ``failed: <reason>``
    for the first that failed -- CPU1's -EBUSY is one, though CPU0's enable returned 2 (redteam30 w16/w17's
    question: the status keeps that meaning; the freed irqs are the story here)."""
    eng, _ = _run("c02-double-enable-hvm-k66")
    assert eng.w.kernel["pci"]["d0"]["status"] == "failed: EBUSY"
