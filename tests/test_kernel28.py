"""kernel28: guest kernel leads decided from source (tests/kernel28/*.yaml, predictions in each file's about).

v01: LOCAL_TIMER_VECTOR -- FIRST_SYSTEM_VECTOR, the end of the vector matrix -- by release, read in
arch/x86/include/asm/irq_vectors.h: 0xee in 4.15 (a kernel.org 4.15 import), 0xed in 4.16 (a 4.16.13
tree), 0xec in 4.17 (a 4.17.0 tree) and after (``kernel.local_timer_vector``). On main every matrix
release before 6.10 ended at 0xec: 602 vectors on these 3 CPUs, so v01-k415 / v01-k41613 failed eth0's probe.
v02: a device message on vector 0xec: an unused device vector on 4.15, the local APIC timer's system
vector on 4.17 .. 6.5 (its handler frees no moved vector: the cleanup timer is bdc1dad299bb's, 6.6), the
cleanup timer's vector_cleanup_callback from 6.6. On main it ran vector_cleanup_callback on every release.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from msidbg.behaviour import resolve
from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end
from tests.test_redteam21 import _events, _results

HERE = Path(__file__).parent / "kernel28"


@cache
def _run(name: str) -> Any:
    return run_to_end(load_scenario(str(HERE / f"{name}.yaml")))


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")), ids=lambda p: p.stem)
def test_kernel28_expect_blocks(path: Path) -> None:
    """Each file's expect block is the outcome its about predicts from the release's source."""
    assert headless.check(load_scenario(str(path))) == []


@pytest.mark.parametrize(("version", "value"), [
    ("4.14", "0xef"), ("4.15", "0xee"), ("4.15.18", "0xee"), ("4.16", "0xed"), ("4.16.13", "0xed"),
    ("4.17", "0xec"), ("4.18", "0xec"), ("6.9", "0xec"), (None, "0xec")])
def test_local_timer_vector_by_release(version: str | None, value: str) -> None:
    """The row follows the trees read: 4.13.9 0xef, 4.15.0 / 4.15.18 0xee, 4.16.13 0xed, 4.17.0 / 4.18.0 0xec."""
    assert resolve("bare-metal", kernel=version).plain("bare-metal")["local_timer_vector"] == value


def test_local_timer_vector_is_not_in_pv_worlds() -> None:
    """A PV guest has no x86 vector domain for its MSIs: the scoped row stays out of its world."""
    assert "local_timer_vector" not in resolve("xen-pv", kernel="4.16").plain("xen-pv")


def _assigned(eng: Any, dev: str) -> dict[int, tuple[int, int]]:
    """irq index -> (vector, CPU) of the last vector.assign of each of ``dev``'s irqs."""
    got = [e for e in _events(eng, "vector.assign") if e.dev == dev]
    base = min(e.fields["irq"] for e in got)
    return {e.fields["irq"] - base: (e.fields["vector"], e.fields["target"]) for e in got}


@pytest.mark.parametrize(("name", "count", "top", "probes"), [
    ("v01-exhaust-3cpu-k415", 605, 0xEC, [0, 0]),
    ("v01-exhaust-3cpu-k41613", 605, 0xEC, [0, -28]),
    ("v01-exhaust-3cpu-k417", 602, 0xEB, [-28, 0]),
])
def test_matrix_ends_below_the_releases_timer(name: str, count: int, top: int, probes: list[int]) -> None:
    """3 CPUs, 0x20 the cleanup IPI's: 203 / 202 / 201 device vectors a CPU on 4.15 / 4.16 / 4.17 (CPU0 one
    fewer, the timer's 0x30). 4.15: 605 fit with 3 to spare; 4.16: exactly 605; 4.17: the 603rd fails."""
    eng = _run(name)
    assert len([e for e in _events(eng, "vector.assign") if e.dev == "eth0"]) == count
    assert max(e.fields["vector"] for e in _events(eng, "vector.assign") if e.dev == "eth0") == top
    assert _results(eng, "probe") == probes


def test_415_devices_get_0xec_and_0xed() -> None:
    """4.15: entry 603 sits on CPU1's 0xec and the second NIC on CPU0's 0xed -- LOCAL_TIMER_VECTOR is 0xee --
    and both are handled by their device's handler (the vector_irq slot wins over any system use)."""
    eng = _run("v01-exhaust-3cpu-k415")
    assert _assigned(eng, "eth0")[603] == (0xEC, 1)
    assert _assigned(eng, "eth1")[0] == (0xED, 0)
    handled = [(e.cpu, e.dev, e.fields["index"]) for e in _events(eng, "irq.handler")]
    assert sorted(handled) == [(0, "eth1", 0), (1, "eth0", 600), (1, "eth0", 603)]
    assert not _events(eng, "irq.unhandled")


@pytest.mark.parametrize(("version", "kind", "detail"), [
    ("k415", "irq.unhandled", "No irq handler for vector"),
    ("k419", "irq.unhandled", "a system vector (its own IDT entry runs, not a device handler)"),
    ("k66", "kernel", ", which runs the local APIC timer interrupt"),
])
def test_a_message_on_0xec_by_release(version: str, kind: str, detail: str) -> None:
    """A hand-written Message Data 0xec: 4.15's common_interrupt finds VECTOR_UNUSED; 4.19's timer vector
    runs no cleanup (was vector_cleanup_callback's 'cleanup list is empty' note); 6.6's cleanup timer
    callback runs and finds nothing queued."""
    eng = _run(f"v02-raw-0xec-{version}")
    after = [e for e in _events(eng, "irq.unhandled", "kernel", "vector.free") if e.time_ns >= 2_000_000]
    assert [e.kind for e in after] == [kind]
    if kind == "irq.unhandled":
        assert after[0].fields == {"vector": 0xEC, "slot": "UNUSED", "signals": 1}
    else:
        assert after[0].fields["prog"] == "vector_cleanup_callback"
    lost = [h.detail for h in eng.hits if h.name == "irq-lost"]
    sep = "" if detail.startswith(",") else ": "
    assert lost == [f"eth0 vector 0: 1 signal(s) hit CPU1 vector 0xec{sep}{detail}"]


@pytest.mark.parametrize("version", ["k419", "k66"])
def test_fixup_irqs_retriggers_the_irr_bit_to_the_new_target(version: str) -> None:
    """v03 (reading kernel.hotplug.fixup-irr): two signals pending in CPU2's IRR when fixup_irqs scans it go to
    the irq's new CPU as one IPI (apic_retrigger_irq: apicd->cpu, apicd->vector) and are handled there together;
    CPU2 takes its own bit in the dying window and acks it without a message (VECTOR_RETRIGGERED, no signal)."""
    eng = _run(f"v03-irr-retrigger-{version}")
    after = [e for e in _events(eng, "irq.unhandled", "irq.handler") if e.time_ns >= 1_000_000]
    assert [(e.kind, e.cpu) for e in after] == [("irq.unhandled", 2), ("irq.handler", 1)]
    assert after[0].fields["slot"] == "RETRIGGERED" and after[0].fields["signals"] == 0
    assert after[1].fields["signals"] == 2
    assert not [h for h in eng.hits if h.name in ("irq-lost", "irq-spurious")]


def _writes_after(eng: Any, t: int) -> list[tuple[Any, ...]]:
    """The device-side writes of a pm_resume: (kind, entry or offset, reg or size, value)."""
    got = []
    for e in _events(eng, "dev.reset", "cfg.write", "msix.write"):
        if e.time_ns < t:
            continue
        if e.kind == "msix.write":
            got.append(("msix", e.fields["entry"], e.fields["reg"], e.fields["value"]))
        elif e.kind == "cfg.write":
            got.append(("cfg", e.fields["offset"], e.fields["size"], e.fields["value"]))
        else:
            got.append(("reset", e.fields["cmd"]))
    return got


#: the entries' addresses after the probe, as the runs' probe wrote them (entry 0 on CPU1, entry 1 on CPU0)
_A1, _A0 = 4276101124, 4276097028


@pytest.mark.parametrize(("version", "vec"), [("k510", 0x21), ("k66", 0x20)])
def test_pm_resume_restores_msix_in_the_releases_order(version: str, vec: int) -> None:
    """v04: the reset (Command 0x406 saved: Memory, Bus Master and the INTx Disable msix_capability_init's
    pci_intx_for_msi set -- intx36), Command written back (so the restore's pci_intx_for_msi(dev, 0) finds the bit
    set and writes nothing), Enable | Function Mask (0xc003), then the entries:
    5.10 every message, then every Vector Control (before ae72f3156729); 6.6 entry by entry, the message with
    da181dc974ad's mask around it, then pci_msix_write_vector_ctrl; Function Mask cleared (0x8003)."""
    eng = _run(f"v04-pm-resume-msix-{version}")
    got = _writes_after(eng, 1_000_000)
    head = [("reset", 0x406), ("cfg", 4, 2, 0x406), ("cfg", 0x72, 2, 0xC003)]
    tail = [("cfg", 0x72, 2, 0x8003)]
    msg0 = [("msix", 0, "addr_lo", _A1), ("msix", 0, "addr_hi", 0), ("msix", 0, "data", vec)]
    msg1 = [("msix", 1, "addr_lo", _A0), ("msix", 1, "addr_hi", 0), ("msix", 1, "data", vec)]
    if version == "k510":
        body = msg0 + msg1 + [("msix", 0, "ctrl", 0), ("msix", 1, "ctrl", 0)]
    else:
        body = ([("msix", 0, "ctrl", 1), *msg0, ("msix", 0, "ctrl", 0), ("msix", 0, "ctrl", 0)]
                + [("msix", 1, "ctrl", 1), *msg1, ("msix", 1, "ctrl", 0), ("msix", 1, "ctrl", 0)])
    assert got == head + body + tail
    assert not [h for h in eng.hits if h.name == "msix-write-unmasked" and h.time_ns >= 1_000_000]


@pytest.mark.parametrize("version", ["k510", "k66"])
def test_pm_resume_window_drops_then_holds(version: str) -> None:
    """v04: the signal in the reset window is dropped (MSI-X disabled, no pin) and lost; the one under the
    restore's Function Mask waits in the PBA and is handled when Function Mask clears; the last is handled."""
    eng = _run(f"v04-pm-resume-msix-{version}")
    assert [(e.fields["index"], e.fields["why"]) for e in _events(eng, "msi.dropped")] == [(1, "MSI and MSI-X disabled")]
    assert [(e.fields["index"], e.fields["why"]) for e in _events(eng, "msi.held")] == [(0, "PBA: function masked")]
    mask_clear = [e for e in _events(eng, "cfg.write") if e.fields["value"] == 0x8003][-1]
    handled = [(e.fields["index"], e.time_ns) for e in _events(eng, "irq.handler") if e.time_ns >= 1_000_000]
    assert [i for i, _ in handled] == [0, 1] and handled[0][1] > mask_clear.time_ns
    lost = [h.detail for h in eng.hits if h.name == "irq-lost"]
    assert lost == ["eth0 vector 1: 1 signal(s) raised while neither MSI nor MSI-X was enabled, by a function "
                    "without an INTx# pin (no intx:)"]


def test_pm_resume_restores_msi() -> None:
    """v05: __pci_restore_msi_state on 6.6 -- Enable cleared (0x180: 64-bit, per-vector mask), the message
    (Multiple Message Enable, address low / high, data), the cached Mask Bits 0, then Enable (0x181); Command as saved,
    with msi_capability_init's INTx Disable (0x406; the restore's pci_intx_for_msi finds it set)."""
    eng = _run("v05-pm-resume-msi-k66")
    assert _writes_after(eng, 1_000_000) == [
        ("reset", 0x406), ("cfg", 4, 2, 0x406), ("cfg", 0x52, 2, 0x180), ("cfg", 0x52, 2, 0x180),
        ("cfg", 0x54, 4, _A1), ("cfg", 0x58, 4, 0), ("cfg", 0x5C, 2, 0x20), ("cfg", 0x60, 4, 0),
        ("cfg", 0x52, 2, 0x181)]


def test_pm_resume_is_modelled_on_xen() -> None:
    """(resume30 models xen-hvm passthrough -- QEMU xen-pt's emulated PMCSR -- and xen-pv -- pciback's pm_ctrl_write
    and the guest's restore through pcifront: tests/test_resume30.py; the loader no longer refuses either.)"""
    from msidbg.scenario import load_scenario_text

    for kind in ("xen-hvm", "xen-pv"):
        text = (f"name: x\ncpus: 2\nplatform: {{kind: {kind}}}\ndevices:\n  eth0: {{bdf: \"00:05.0\", kind: nic, "
                "passthrough: true, msix: {table_size: 4}}\nrun:\n  - {at: 0, on: 0, do: pm_resume, dev: eth0}\n")
        assert load_scenario_text(text, "x.yaml").run[0].do == "pm_resume"


@pytest.mark.parametrize(("version", "value"), [("5.16", False), ("5.17", True), ("6.6", True), (None, True)])
def test_msix_restore_order_by_release(version: str | None, value: bool) -> None:
    assert resolve("bare-metal", kernel=version).plain("bare-metal")["msix_restore_per_entry"] is value


@pytest.mark.parametrize(("version", "written", "delivered"), [("k545", 3, 0), ("k546", 2, 1)])
def test_restore_masks_an_entry_with_other_bits_before_e045fa29e893(version: str, written: int, delivered: int) -> None:
    """v06 (reading kernel.pm.restore-mask-any-bit): the probe caches Vector Control 0x3 (Mask + the read-back
    bit 1) and the unmask leaves 0x2; 5.4.5's restore passes the whole word as msix_mask_irq's flag and writes
    0x3 -- the entry is masked after the resume and the signal stays in the PBA (lost at the end); 5.4.6 writes
    0x2 and the signal is handled."""
    eng = _run(f"v06-pm-resume-ctrl-bits-{version}")
    reads = [e.fields["value"] for e in _events(eng, "msix.read") if e.fields["reg"] == "ctrl"]
    assert reads == [3]
    ctrl = [e.fields["value"] for e in _events(eng, "msix.write") if e.fields["reg"] == "ctrl" and e.time_ns >= 1_000_000]
    assert ctrl == [written]
    assert len(_events(eng, "irq.handler")) == delivered
    held = [e.fields["why"] for e in _events(eng, "msi.held")]
    assert held == ([] if delivered else ["PBA: entry masked"])


@pytest.mark.parametrize(("version", "value"), [("5.4.5", False), ("5.4.6", True), ("4.19.90", False),
                                                ("4.19.91", True), ("4.4.207", True), ("5.5", True)])
def test_restore_mask_bit_only_by_release(version: str, value: bool) -> None:
    assert resolve("bare-metal", kernel=version).plain("bare-metal")["msix_restore_mask_bit_only"] is value
