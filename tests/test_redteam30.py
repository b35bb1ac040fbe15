"""redteam30: held-out bare-metal scenarios (tests/heldout30/*.yaml; predictions written from the named
releases' source before running msidbg, in each file's ``about:`` and tests/heldout30/PREDICTIONS.md).
Every file's expect block, and per file or pair the mechanism that separates it (which vector or CPU,
which write order, where a signal is lost and why), so a regression in the mechanism fails here even
where the totals would not move. Ground: revision 17's mechanisms (pm_resume and msix-ctrl-reserved-bits,
the concurrent MSI enable before / after 5.17, LOCAL_TIMER_VECTOR at 4.15 / 4.16 / 4.17, msi_set_affinity's
selection at the 6.1.66 / 6.5.13 backports) on topologies the shipped and earlier held-out files do not use."""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from msidbg.debugger import headless
from msidbg.errors import ScenarioError
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end
from tests.test_redteam21 import _assigned, _cpus, _events, _results  # the same event queries

HELD = Path(__file__).parent / "heldout30"
REFUSED = {"w26-x2apic-phys-noir-200cpu-k60-refused"}


@cache
def _run(name: str):  # type: ignore[no-untyped-def]
    return run_to_end(load_scenario(str(HELD / f"{name}.yaml")))


def _details(eng, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.detail for h in eng.hits if h.name == name]


def _table_writes(eng, dev: str, lo: int, hi: int) -> list[tuple[int, str, int]]:  # type: ignore[no-untyped-def]
    """(entry, register, value) of each MSI-X table write of ``dev`` in [lo, hi) ns."""
    return [(e.fields["entry"], e.fields["reg"], e.fields["value"]) for e in _events(eng, "msix.write")
            if e.dev == dev and lo <= e.time_ns < hi]


def _times(eng, kind: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [e.time_ns for e in _events(eng, kind)]


@pytest.mark.parametrize("path", [p for p in sorted(HELD.glob("*.yaml")) if p.stem not in REFUSED],
                         ids=lambda p: p.stem)
def test_heldout30_expect_blocks(path: Path) -> None:
    """Each file's expect block is the outcome the upstream source predicts (PREDICTIONS.md)."""
    assert headless.check(load_scenario(str(path))) == []


def test_every_small_file_is_deterministic() -> None:
    """Same scenario, same seed: the same event count and final accounts, run twice from a fresh load."""
    for path in sorted(HELD.glob("w[0-2]*.yaml")):
        if path.stem in REFUSED:
            continue
        a, b = run_to_end(load_scenario(str(path))), run_to_end(load_scenario(str(path)))
        assert len(a.log) == len(b.log), path.stem
        assert a.w.acct == b.w.acct, path.stem


# w01..w03 (1 CPU; irq_vectors.h: LOCAL_TIMER_VECTOR 0xee / 0xed / 0xec): device vectors 0x21..timer-1 less
# 0x30 (timer's ISA vector), 0x32 (cascade), 0x80 (syscall): 202 / 201 / 200. matrix_alloc_area takes the
# lowest free bit, so the NIC's 200 end at 0xeb in all three; 4.15 leaves 0xec and 0xed (xHCI, generic),
# 4.16 only 0xec (the generic's request_irq ENOSPC), 4.17 none (both ENOSPC).
@pytest.mark.parametrize(("name", "usb", "dev2"), [
    ("w01-exhaust-1cpu-k415", [0xEC], [0xED]),
    ("w02-exhaust-1cpu-k416", [0xEC], []),
    ("w03-exhaust-1cpu-k417", [], []),
])
def test_w01_w03_timer_vector_ends_the_matrix(name: str, usb: list[int], dev2: list[int]) -> None:
    eng = _run(name)
    nic = _assigned(eng, "eth0")
    assert len(nic) == 200 and max(v for v, _ in nic) == 0xEB and {c for _, c in nic} == {0}
    assert not {0x30, 0x32, 0x80} & {v for v, _ in nic}
    assert [v for v, _ in _assigned(eng, "usb0")] == usb
    assert [v for v, _ in _assigned(eng, "dev2")] == dev2
    assert _results(eng, "probe") == [0] + ([0] if usb else [-28]) + ([0] if dev2 else [-28])


# w04 / w05 (4.19.90 / 4.19.91, NVMe with the reserved-bits quirk, 5 vectors): __pci_restore_msix_state's
# msix_mask_irq(entry, entry->masked) with masked = 0x2 writes 0x3 before e045fa29e893 (all 5 stay masked,
# the signals wait in the PBA: 5 lost), 0x2 from it (5 delivered on the queues' CPUs). Before 5.17 the
# Vector Controls come after every message.
@pytest.mark.parametrize(("name", "ctrl", "cpus"), [
    ("w04-nvme-ctrlbits-resume-4cpu-k41990", 3, []),
    ("w05-nvme-ctrlbits-resume-4cpu-k41991", 2, [1, 0, 2, 3, 1]),
])
def test_w04_w05_reserved_bits_restore(name: str, ctrl: int, cpus: list[int]) -> None:
    eng = _run(name)
    writes = _table_writes(eng, "nvme0", 1_000_000, 2_000_000)
    assert [w for w in writes if w[1] == "ctrl"] == [(i, "ctrl", ctrl) for i in range(5)]
    assert [w[1] for w in writes][-5:] == ["ctrl"] * 5      # messages first, then every Vector Control
    assert _cpus(eng, "nvme0") == cpus


# w06 / w07 (4.9.206 / 4.9.207, legacy allocator, 2 CPUs physflat): the same rule at the 4.9 stable boundary;
# both vectors on CPU0 (0x41, 0x51: the legacy cursor, the first online CPU of the default affinity).
@pytest.mark.parametrize(("name", "ctrl", "cpus"), [
    ("w06-legacy-ctrlbits-resume-2cpu-k49206", 3, []),
    ("w07-legacy-ctrlbits-resume-2cpu-k49207", 2, [0, 0]),
])
def test_w06_w07_reserved_bits_on_legacy(name: str, ctrl: int, cpus: list[int]) -> None:
    eng = _run(name)
    assert _assigned(eng, "dev0") == [(0x41, 0), (0x51, 0)]
    assert [w[2] for w in _table_writes(eng, "dev0", 1_000_000, 2_000_000) if w[1] == "ctrl"] == [ctrl, ctrl]
    assert _cpus(eng, "dev0") == cpus


# w08 / w09 (5.16 / 5.17, resume under a 2 us stream): the 1.001 ms signal falls between the reset and MSI-X
# Enable|Function Mask (lost), the 1.003 / 1.005 ms ones wait in the PBA and go out as one handler run when
# Function Mask clears; the counts are equal, the table write order differs (ae72f3156729).
@pytest.mark.parametrize(("name", "order"), [
    ("w08-resume-under-stream-6cpu-k516",
     ["ctrl", "addr_lo", "addr_hi", "data", "ctrl"] * 3 + ["ctrl"] * 3),
    ("w09-resume-under-stream-6cpu-k517",
     ["ctrl", "addr_lo", "addr_hi", "data", "ctrl", "ctrl"] * 3),
])
def test_w08_w09_restore_order_not_outcome(name: str, order: list[str]) -> None:
    eng = _run(name)
    assert [w[1] for w in _table_writes(eng, "eth0", 1_000_000, 1_100_000)] == order
    assert _times(eng, "msi.dropped") == [1_001_000]
    assert _times(eng, "msi.held") == [1_003_000, 1_005_000]
    first = [e for e in _events(eng, "irq.handler") if e.time_ns > 1_000_000][0]
    assert (first.cpu, first.fields["signals"]) == (3, 2)


# w10..w12 (raw Message Data 0xed): 4.15 a free device vector (common_interrupt: No irq handler), 4.16 the
# timer vector, 4.17 HYPERV_STIMER0 (an unused system vector on bare metal): lost in all three; the
# restored data is delivered.
@pytest.mark.parametrize(("name", "text"), [
    ("w10-raw-0xed-1cpu2-k415", "No irq handler for vector"),
    ("w11-raw-0xed-1cpu2-k416", "a system vector"),
    ("w12-raw-0xed-1cpu2-k417", "a system vector"),
])
def test_w10_w12_vector_0xed_per_release(name: str, text: str) -> None:
    eng = _run(name)
    lost = _details(eng, "irq-lost")
    assert len(lost) == 1 and "vector 0xed" in lost[0] and text in lost[0]
    assert _cpus(eng, "eth0") == [1]


# w13..w15 (12 CPUs, non-maskable MSI moved 1 -> 7 -> 11 -> 3 under a 3 us stream): 5.16's NOMASK quirk takes
# the careful path (nothing torn); 6.1.65 ('plain') and 6.1.66 ('can-reserve': no reservation mode for a
# non-maskable MSI) write directly: the 7 and 3 moves tear (CPU7's 0x21 is nic0's; CPU3's 0x22 nobody's).
@pytest.mark.parametrize("name", ["w14-nomask-moves-12cpu-k6165", "w15-nomask-moves-12cpu-k6166"])
def test_w14_w15_direct_write_tears(name: str) -> None:
    eng = _run(name)
    assert _assigned(eng, "sata") == [(0x21, 1), (0x22, 7), (0x22, 11), (0x21, 3)]
    assert _details(eng, "msi-torn-message") == [
        "sata vector 0 sent address 0xfee07000 data 0x21, a pair the kernel never programmed together",
        "sata vector 0 sent address 0xfee03000 data 0x22, a pair the kernel never programmed together"]
    assert "nic0 vector 0 (CPU7 vector 0x21" in _details(eng, "irq-lost")[0]


def test_w13_plug_race_careful_path() -> None:
    eng = _run("w13-nomask-moves-12cpu-k516")
    assert _assigned(eng, "sata") == [(0x21, 1), (0x22, 7), (0x22, 11), (0x21, 3)]
    assert _details(eng, "msi-torn-message") == [] and _details(eng, "irq-lost") == []
    plug = [e for e in _events(eng, "kernel") if e.fields["prog"] == "msi_set_affinity_plug"]
    # on the old CPU; the 7 -> 11 move keeps 0x22 ('cfg->vector == old_cfg.vector'): an address-only write
    assert [(e.cpu, e.fields["what"]) for e in plug if "vector_lock" in e.fields["what"]] == [
        (1, "vector_lock; new vector here marked RETRIGGERED"), (11, "vector_lock; new vector in use here")]


# w16 / w17 (three concurrent pci_alloc_irq_vectors(PCI_IRQ_MSI)): CPU1 wins. Before 5.17 the losers run their
# set-ups beside it on dev->msi_list and fail at populate_msi_sysfs with -EEXIST (kernel33; msidbg's -EBUSY
# before), the last one's teardown freeing CPU1's descriptor too; from c7ecb95ca6a8 they are -EINVAL at once.
def test_w16_unserialised_losers_fail_at_the_sysfs_group() -> None:
    eng = _run("w16-concurrent-msi-3cpu-k51620")
    done = [(e.cpu, e.fields["result"]) for e in _events(eng, "action.done") if e.fields["do"] == "alloc_vectors"]
    # (intx36: CPU1's msi_capability_init writes Interrupt Disable, 1 us, before it returns: CPU2's -EEXIST comes first)
    assert done == [(2, -17), (1, 1), (0, -17)]
    eexist = [e.cpu for e in _events(eng, "kernel") if "msi_irqs" in e.fields["what"]]
    assert eexist == [2, 0]
    assert eng.w.kernel["pci"]["d0"]["descs"] == [] and eng.w.kernel["pci"]["d0"]["msi_enabled"]
    assert _cpus(eng, "d0") == []


def test_w17_concurrent_msi_enable() -> None:
    eng = _run("w17-concurrent-msi-3cpu-k5171")
    done = [(e.cpu, e.fields["result"]) for e in _events(eng, "action.done") if e.fields["do"] == "alloc_vectors"]
    assert done == [(2, -22), (0, -22), (1, 1)]
    notes = [e.fields["what"] for e in _events(eng, "kernel") if e.fields["prog"] == "pci_enable_msi_range"]
    assert len(notes) == 2 and all("already enabled" in n for n in notes)
    assert _cpus(eng, "d0") == [1]


# w18 (5.15, AMD-Vi cluster, 40 CPUs): every request_irq lands on CPU1 (the hint's process-context move and
# send_cleanup_vector give it back), the hinted CPUs' offlines break the affinity: CPUs 1, 2, 3, 4.
def test_w18_amdvi_broken_affinity_sequence() -> None:
    eng = _run("w18-amdvi-cluster40-hints-offlines-k515")
    assert [(e.cpu, e.fields["index"]) for e in _events(eng, "irq.handler")] == [
        (32, 0), (33, 1), (34, 2), (35, 3), (1, 0), (2, 1), (3, 2), (4, 3)]
    assert _assigned(eng, "eth0") == [(0x21, 1), (0x21, 32), (0x21, 1), (0x21, 33), (0x21, 1), (0x21, 34),
                                      (0x21, 1), (0x21, 35), (0x21, 1), (0x21, 2), (0x21, 3), (0x21, 4)]


# w19 (6.9, AMD-Vi, 64 CPUs, 64 queues): queue n on CPU n+1, queue 63 on CPU0, every one on 0x20 (a device
# vector since bdc1dad299bb, 6.6).
def test_w19_spread_and_vector_0x20() -> None:
    eng = _run("w19-amdvi-64cpu-64queues-k69")
    a = _assigned(eng, "eth0")
    assert a == [(0x20, n + 1) for n in range(63)] + [(0x20, 0)]
    assert [(e.cpu, e.fields["index"]) for e in _events(eng, "irq.handler")] == [(1, 0), (32, 31), (63, 62), (0, 63)]


# w20 / w21 (1 CPU request/free): the NIC (reservation mode) frees and retakes the lowest vector each time
# (0x21 on 6.5, 0x20 on 6.6); the non-maskable SATA keeps its vector (x86_vector_deactivate returns early for
# '!is_managed && !can_reserve'), and its signal while freed goes to msi_domain_deactivate's zero message.
@pytest.mark.parametrize(("name", "low"), [("w20-reqfree-1cpu-msix-msi-k65", 0x21),
                                           ("w21-reqfree-1cpu-msix-msi-k66", 0x20)])
def test_w20_w21_request_free_vectors(name: str, low: int) -> None:
    eng = _run(name)
    assert _assigned(eng, "nic0") == [(low, 0)] * 3
    assert _assigned(eng, "sata") == [(low + 1, 0)]
    assert [e.dev for e in _events(eng, "vector.free")] == ["nic0", "nic0"]
    assert _details(eng, "irq-lost") == [
        "sata vector 0: 1 signal(s) went to 0x0, which is not an interrupt address (a DMA write)"]


# w22 (6.6, VT-d, 4-message MSI resume): seven config writes from the reset to MSI Enable (Command, Control,
# Control's MME rewrite, address low / high, data, Mask Bits): the 1.001 .. 1.007 ms signals are lost.
def test_w22_msi_restore_window() -> None:
    eng = _run("w22-vtd-multimsi4-resume-stream-24cpu-k66")
    assert _times(eng, "msi.dropped") == [1_001_000, 1_003_000, 1_005_000, 1_007_000]
    assert {e.cpu for e in _events(eng, "irq.handler")} == {3}
    ctl = [e.fields["value"] for e in _events(eng, "cfg.write") if e.fields["offset"] == 0x52 and e.time_ns >= 1_000_000]
    assert ctl == [0x184, 0x1A4, 0x1A5]


# w23 (6.1, a pin at resume): the reset clears Interrupt Disable and MSI-X Enable, the signal asserts GSI 17
# (masked pin: nobody requested it), the restored Command sets Interrupt Disable again.
def test_w23_reset_window_signal_goes_to_the_masked_pin() -> None:
    eng = _run("w23-resume-intx-pin-msix-2cpu-k61")
    assert [e.fields for e in _events(eng, "dev.reset")] == [{"cmd": 0x406}]
    assert [e.fields["gsi"] for e in _events(eng, "intx.assert")] == [17]
    assert [e.fields["value"] for e in _events(eng, "cfg.write") if e.fields["offset"] == 4 and e.time_ns > 1_000_000] \
        == [0x406]
    assert _cpus(eng, "eth0") == [1]


# w24 (6.12): pm_resume of a removed, a never probed and a failed function returns 0 and restores no MSI(-X).
def test_w24_resume_of_unbound_functions() -> None:
    eng = _run("w24-resume-unbound-devices-3cpu-k612")
    assert sorted(r for r in _results(eng, "pm_resume")) == [0, 0, 0]
    assert sorted(e.dev for e in _events(eng, "msi.dropped")) == ["d2", "eth0", "eth1"]


# w25 / w26: physical x2APIC without remapping from 6.1 (b8d1d163604b); refused on 6.0.
def test_w25_physical_x2apic_addresses() -> None:
    eng = _run("w25-x2apic-phys-noir-200cpu-k61")
    assert _assigned(eng, "eth0") == [(0x21, 199), (0x21, 128), (0x21, 0)]
    assert [e.fields["addr"] for e in _events(eng, "msi.msg")] == [0xFEEC7000, 0xFEE80000, 0xFEE00000]


def test_w26_physical_x2apic_without_remapping_refused_on_60() -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(str(HELD / "w26-x2apic-phys-noir-200cpu-k60-refused.yaml"))
    text = str(err.value)
    assert "\n" not in text and "platform.apic_routing" in text and "6.1" in text


# w27 (4.14 legacy, 12 CPUs): 0x41 / 0x51 on CPU0, the move at the 1 ms interrupt to CPU11's 0x61, the
# offline's broken affinity to CPU0's 0x71.
def test_w27_legacy_cursor_and_fixup_irqs() -> None:
    eng = _run("w27-legacy-move-offline-12cpu-k414")
    assert _assigned(eng, "eth0") == [(0x41, 0), (0x61, 11), (0x71, 0)]
    assert _assigned(eng, "usb0") == [(0x51, 0)]
    assert _cpus(eng, "eth0") == [0, 11, 0] and _cpus(eng, "usb0") == [0]


# w28 / w29 (6.5.12 / 6.5.13, flat 8 CPUs, maskable MSI and MSI-X): no two-step on 'plain'; on
# 'can-reserve' the SATA's two moves and the NIC's second (its first keeps 0x21) take it. Nothing lost.
@pytest.mark.parametrize(("name", "steps"), [
    ("w28-maskable-moves-flat8-k6512", []),
    ("w29-maskable-moves-flat8-k6513", ["sata", "sata", "nic0"]),
])
def test_w28_w29_two_step_for_reservation_mode(name: str, steps: list[str]) -> None:
    eng = _run(name)
    plug = [e.dev for e in _events(eng, "kernel")
            if e.fields["prog"] == "msi_set_affinity_plug" and "vector_lock" in e.fields["what"]]
    assert plug == steps
    assert _assigned(eng, "nic0") == [(0x21, 1), (0x21, 5), (0x22, 6)]
    assert _assigned(eng, "sata") == [(0x21, 2), (0x22, 5), (0x21, 6)]


# w30 / w31 (2 CPUs, 201 vectors): CPU1 101, CPU0 100; lapic_can_unplug_cpu: 101 <= 101 free on 4.16, 101 > 100
# on 4.17 (-ENOSPC, nothing moves).
@pytest.mark.parametrize(("name", "result", "cpus"), [
    ("w30-unplug-check-2cpu-k416", 0, [0, 0]),
    ("w31-unplug-check-2cpu-k417", -28, [1, 1]),
])
def test_w30_w31_unplug_vector_check(name: str, result: int, cpus: list[int]) -> None:
    eng = _run(name)
    assert Counter(c for _, c in _assigned(eng, "eth0")[:201]) == Counter({1: 101, 0: 100})
    assert _results(eng, "cpu_offline") == [result]
    assert _cpus(eng, "eth0") == cpus


# w32 (4.19, stuck GSI 16): 'nobody cared' at the 100,000th unhandled, poll_spurious_irqs 100 ms later runs
# eth0's handler for its 300 ms condition (the pin masked meanwhile).
def test_w32_poll_spurious_irqs_delivers() -> None:
    eng = _run("w32-stuck-line-spurious-poll-2cpu-k419")
    assert [(e.time_ns, e.fields["unhandled"]) for e in _events(eng, "irq.nobody_cared")] == [(200_999_900, 100_000)]
    assert [e.time_ns for e in _events(eng, "irq.handler")] == [300_999_900]


# w33 / w34 (a managed queue shut down by CPU3's offline, then a resume): 4.19.90 with the reserved-bits quirk
# restores 0x3 everywhere -- the live queue 3 stays masked (lost), the shut-down queue 4 is unmasked by the
# online's irq_startup (0x2) and delivered; 6.6 restores queue 3 unmasked and queue 4 masked until the online.
@pytest.mark.parametrize(("name", "ctrls", "online", "cpus"), [
    ("w33-managed-shutdown-resume-4cpu-k41990", [3, 3, 3, 3, 3], 2, [3]),
    ("w34-managed-shutdown-resume-4cpu-k66", [0, 0, 0, 0, 1], 0, [2, 3]),
])
def test_w33_w34_shutdown_queue_across_resume(name: str, ctrls: list[int], online: int, cpus: list[int]) -> None:
    eng = _run(name)
    writes = _table_writes(eng, "nvme0", 5_000_000, 6_000_000)
    last = {e: v for e, reg, v in writes if reg == "ctrl"}     # each entry's restored Vector Control
    assert [last[i] for i in range(5)] == ctrls
    assert [w for w in writes if w[0] == 4 and w[1] == "data"] == [(4, "data", 0)]    # the deactivated message
    assert [w[2] for w in _table_writes(eng, "nvme0", 7_000_000, 8_000_000) if w[1] == "ctrl"] == [online]
    assert [e.cpu for e in _events(eng, "irq.handler") if e.time_ns > 5_000_000] == cpus


# w35 / w36 (5.15.138 / 5.15.139): lapic_can_unplug_cpu's tomove counts CPU1's managed queue before
# a0b0bad10587's backport (200 > 199: -ENOSPC) and not from it (199 <= 199: the admin irq and 198 NIC vectors
# fill CPU0, queue 2 is shut down).
@pytest.mark.parametrize(("name", "result", "nic", "nvme"), [
    ("w35-unplug-managed-count-2cpu-k515138", -28, [1], [1]),
    ("w36-unplug-managed-count-2cpu-k515139", 0, [0], []),
])
def test_w35_w36_unplug_excludes_managed(name: str, result: int, nic: list[int], nvme: list[int]) -> None:
    eng = _run(name)
    assert _assigned(eng, "nvme0")[:3] == [(0x22, 1), (0x21, 0), (0x21, 1)]
    assert Counter(c for _, c in _assigned(eng, "eth0")[:198]) == Counter({1: 198})
    assert _results(eng, "cpu_offline") == [result]
    assert _cpus(eng, "eth0") == nic and _cpus(eng, "nvme0") == nvme
    refusal = [e.fields["what"] for e in _events(eng, "kernel") if "Cannot disable CPU" in e.fields["what"]]
    assert refusal == (["lapic_can_unplug_cpu: CPU 1 has 200 vectors, 199 available. Cannot disable CPU"]
                       if result else [])


# w37 / w38 (4.19.59 / 4.19.60): a device message on 0xff is acknowledged by smp_spurious_interrupt before
# f8a8fe61fec8's backport and never from it, so CPU2's ISR keeps 0xff and the xHCI's 3 signals stay in IRR.
@pytest.mark.parametrize(("name", "xhci"), [("w37-vector-ff-eoi-4cpu-k41959", [3, 2, 2, 2]),
                                            ("w38-vector-ff-eoi-4cpu-k41960", [3])])
def test_w37_w38_vector_ff_eoi_at_the_stable_boundary(name: str, xhci: list[int]) -> None:
    eng = _run(name)
    assert _assigned(eng, "xhci") == [(0x21, 3), (0x23, 2)]
    assert _cpus(eng, "xhci") == xhci and _cpus(eng, "nic0") == [1, 2, 3]
    lost = _details(eng, "irq-lost")
    assert lost[0].startswith("nic0 vector 0: 1 signal(s) hit CPU2 vector 0xff")
    assert lost[1:] == ([] if len(xhci) == 4 else ["xhci vector 0: 3 signal(s) were still pending in CPU2's IRR at the end"])


# w39 / w40 (2 CPUs, one managed NVMe queue spanning both): irq_matrix_reserve_managed takes a bit on each CPU
# of the mask; the queue is allocated on CPU1 (matrix_find_best_cpu_managed: '>' -- ties to the last CPU), the
# admin irq on CPU1 too (more available there); the NIC fills the rest: 400 on 6.6 (0x20 a device vector), 398
# on 5.15; the next request_irq finds nothing.
@pytest.mark.parametrize(("name", "nic", "q", "admin"), [
    ("w39-managed-reserve-span-2cpu-k66", 400, 0x20, 0x21),
    ("w40-managed-reserve-span-2cpu-k515", 398, 0x21, 0x22),
])
def test_w39_w40_managed_reservation_spans_the_mask(name: str, nic: int, q: int, admin: int) -> None:
    eng = _run(name)
    assert sorted(_assigned(eng, "nvme0")) == sorted([(admin, 1), (q, 1)])
    assert Counter(c for _, c in _assigned(eng, "eth0")) == Counter({0: nic // 2, 1: nic // 2})
    assert _assigned(eng, "d2") == [] and _results(eng, "probe")[2] == -28
    assert _cpus(eng, "nvme0") == [1]


# w41 / w42 (Marvell-like function, MSI fallback): 4.9.300 keeps msix_mask_all's early masks (83dbf898a2d4 never
# reached 4.9), so the 3 signals before the resume are blocked; the D3hot -> D0 reset returns this device's
# entries unmasked and nothing restores a table of a function without MSI-X enabled: the 3 after it are
# delivered. 5.10.88 (the backport) is never blocked.
@pytest.mark.parametrize(("name", "blocked", "handled"), [
    ("w41-marvell-resume-2cpu-k49300", 3, [3_000_500, 3_010_500, 3_020_500]),
    ("w42-marvell-resume-2cpu-k51088", 0, None),
])
def test_w41_w42_resume_clears_the_blocking_masks(name: str, blocked: int, handled: list[int] | None) -> None:
    eng = _run(name)
    assert len(_details(eng, "msi-blocked-by-msix-mask")) == blocked
    times = [e.time_ns for e in _events(eng, "irq.handler")]
    if handled is not None:
        assert times == handled
    else:
        assert len(times) == 6
    assert _times(eng, "dev.reset") == [2_000_000]


# w43 (6.6, free_irq on CPU1 and disable_irq on CPU2 at once): desc->lock in queue order -- CPU1's __free_irq
# section, CPU2's __disable_irq (depth 1 -> 2, 'nested'), CPU1's double-check, CPU2's double-check (each reads
# IRQD_IRQ_INPROGRESS under the lock it got: reading kernel.lock.sync-double-check-held), CPU1's delayed
# deactivation. Before the fix each double-check came for the lock again behind the other: the run never ended.
def test_w43_double_check_reads_under_the_lock_it_got() -> None:
    eng = _run("w43-free-and-disable-together-4cpu-k66")
    done = [(e.cpu, e.fields["do"], e.time_ns) for e in _events(eng, "action.done") if e.time_ns >= 1_000_000]
    assert done == [(2, "disable_irq", 1_000_500), (1, "free_irq", 1_001_300)]
    assert [(e.cpu, e.fields["depth"], e.fields["how"]) for e in _events(eng, "irq.disable")] == [(2, 2, "nested")]
    assert [e.time_ns for e in _events(eng, "vector.free")] == [1_001_200]
    assert len(eng.log) == 41 and eng.log.events(41, 42)[0].kind == "run.end"     # (intx36: +1, the Interrupt Disable write)
