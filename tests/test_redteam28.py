"""redteam28: held-out bare-metal scenarios (tests/heldout28/*.yaml; predictions written from the named
releases' source before running msidbg, in each file's ``about:`` and tests/heldout28/PREDICTIONS.md).
Every file's expect block, and per file the mechanism that separates it (which CPU the matrix or the
legacy allocator picks, which vector a move takes, where a signal is lost and why), so a regression in the
mechanism fails here even where the totals would not move."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from msidbg.debugger import headless
from msidbg.errors import ScenarioError
from msidbg.model import hits
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end
from tests.test_redteam21 import _assigned, _cpus, _events, _notes, _results  # the same event queries

HELD = Path(__file__).parent / "heldout28"
REFUSED = {"v02-hint-4cpu-k319-refused"}


@cache
def _run(name: str):  # type: ignore[no-untyped-def]
    return run_to_end(load_scenario(str(HELD / f"{name}.yaml")))


def _hit_details(eng, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.detail for h in eng.hits if h.name == name]


def _final_addr(eng, dev: str, index: int) -> int:  # type: ignore[no-untyped-def]
    """The address of the last message the kernel programmed into an MSI-X entry."""
    return int(eng.w.acct[dev]["intended"][index][-1][0])


@pytest.mark.parametrize("path", [p for p in sorted(HELD.glob("*.yaml")) if p.stem not in REFUSED],
                         ids=lambda p: p.stem)
def test_heldout28_expect_blocks(path: Path) -> None:
    """Each file's expect block is the outcome the upstream source predicts (PREDICTIONS.md)."""
    assert headless.check(load_scenario(str(path))) == []


def test_every_file_is_deterministic() -> None:
    """Same scenario, same seed: the same event count and final world, run twice from a fresh load."""
    for path in sorted(HELD.glob("v0[1-9]*.yaml")):
        if path.stem in REFUSED:
            continue
        a, b = run_to_end(load_scenario(str(path))), run_to_end(load_scenario(str(path)))
        assert len(a.log) == len(b.log), path.stem
        assert a.w.acct == b.w.acct, path.stem


# v01 (4.5, legacy, 4 CPUs physflat): irq_set_affinity_hint -> __irq_set_affinity since e2e64a932556 (4.0);
# no IRQ_MOVE_PCNTXT without remapping, so the hint is a pending move applied at the first interrupt
# (irq_move_irq on CPU0). x86_vector_alloc_irqs put both on CPU0 (0x41, 0x51: the cursor's +16 steps
# past the ISA vectors); the moves take the cursor's next vectors 0x61 on CPU2, 0x71 on CPU3.
def test_v01_hint_applied_at_the_first_interrupt_on_45() -> None:
    eng = _run("v01-hint-4cpu-k45")
    assert _cpus(eng, "eth0") == [0, 2, 2, 2, 2, 0, 3, 3, 3, 3]
    assert _assigned(eng, "eth0") == [(0x41, 0), (0x51, 0), (0x61, 2), (0x71, 3)]
    assert [e.fields["how"] for e in _events(eng, "irq.affinity")] == ["pending", "pending"]


# v02 (3.19): the x86 vector allocator before 98229aa36caa's 4.5 series is not modelled; a 3.x bare-metal file
# is refused in one line naming kernel.version instead of running 3.19's hint rule on a later allocator.
def test_v02_pre_45_bare_metal_is_refused_in_one_line() -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(str(HELD / "v02-hint-4cpu-k319-refused.yaml"))
    text = str(err.value)
    assert "\n" not in text and "kernel.version" in text and "3.19" in text and "4.5" in text


# v03 (4.9, 1 CPU): every vector on CPU0, each its own (0x41..0x91 by the legacy cursor); signals that arrive
# while their vector is in service coalesce in IRR and are delivered by the next run: 31 delivered (the
# doorbell is the xHCI's sixth), nothing lost; the NIC's 20 signals take 4 handler runs.
def test_v03_one_cpu_three_devices() -> None:
    eng = _run("v03-three-devs-1cpu-k49")
    assert _assigned(eng, "eth0") == [(0x41, 0), (0x51, 0), (0x61, 0), (0x71, 0)]
    assert _assigned(eng, "xhci") == [(0x81, 0)] and _assigned(eng, "sata") == [(0x91, 0)]
    assert eng.w.acct["eth0"]["handled"] == [1, 1, 1, 1]
    assert eng.w.acct["xhci"]["delivered"] == [6] and eng.w.acct["sata"]["delivered"] == [5]
    assert _results(eng, "doorbell") == [0]


# v04 (4.16, 2 CPUs flat): matrix_find_best_cpu alternates 1, 0, 1, 0, 1, 0 (CPU0 holds the timer's vector,
# ties go to the first CPU); CPU1's offline moves nic0 q0 / q2 and nic1 q1 masked to CPU0 (0x24, 0x25, 0x26):
# the stream on nic0 q0 loses nothing ('clear' APIC: IRR kept, fixup_irqs retriggers).
def test_v04_offline_of_a_full_flat_pair() -> None:
    eng = _run("v04-two-nics-flat2-offline-stream-k416")
    assert _assigned(eng, "nic0") == [(0x21, 1), (0x21, 0), (0x22, 1), (0x24, 0), (0x25, 0)]
    assert _assigned(eng, "nic1") == [(0x22, 0), (0x23, 1), (0x23, 0), (0x26, 0)]
    assert _cpus(eng, "nic1") == [0, 0, 0] and _cpus(eng, "nic0")[-1] == 0


# v05..v07 (3 CPUs flat): the signal 50 ns after take_cpu_down starts on CPU2, before migrate_one_irq masks
# the entry. 5.3 ('clear'): it lands in IRR and is handled; 5.4 (60dcaad5736f apic_soft_disable first): no
# IRR bit, lost; 5.9 (52d6b926aabc: silence the APIC after fixup_irqs): handled. CPU0 is the new CPU (it and
# CPU1 hold one vector each, the tie goes to the first).
@pytest.mark.parametrize(("name", "lost"), [("v05-offline-stream-3cpu-k53", 0), ("v06-offline-stream-3cpu-k54", 1),
                                            ("v07-offline-stream-3cpu-k59", 0)])
def test_v05_v07_apic_silenced_before_or_after_the_move(name: str, lost: int) -> None:
    eng = _run(name)
    assert _assigned(eng, "eth0") == [(0x21, 1), (0x21, 2), (0x21, 0)]
    assert eng.w.acct["eth0"]["lost"] == [0, lost, 0, 0]
    soft = [d for d in _hit_details(eng, hits.IRQ_LOST) if "apic_soft_disable" in d]
    assert len(soft) == lost


# v08 (6.8, AMD-Vi, 16 CPUs): 8-message MSI under remapping, every irq activated at allocation on CPUs 1..8
# (0x20: no IRQ_MOVE_CLEANUP_VECTOR from 6.6); amd_ir_set_affinity moves message 3 to CPU9 at once.
def test_v08_amdvi_multimsi_move_in_process_context() -> None:
    eng = _run("v08-multimsi8-amdvi-16cpu-move-k68")
    assert _cpus(eng, "raid") == [1, 1, 2, 2, 3, 3, 9, 9, 5, 5, 6, 6, 7, 7, 8, 8]
    assert _assigned(eng, "raid") == [(0x20, c) for c in range(1, 10)]
    assert [e.fields["how"] for e in _events(eng, "irq.affinity")] != ["pending"]


# v09/v10: a message on vector 0xff. 5.2's smp_spurious_interrupt EOIs it (ISR bit set): the xHCI on the same
# CPU goes on; 5.3 (f8a8fe61fec8) never EOIs 0xff: CPU1's priority stays at class 15, the xHCI's 3 are lost.
@pytest.mark.parametrize(("name", "xhci_lost"), [("v09-spurious-ff-shared-cpu-k52", 0),
                                                 ("v10-spurious-ff-shared-cpu-k53", 3)])
def test_v09_v10_spurious_vector_eoi(name: str, xhci_lost: int) -> None:
    eng = _run(name)
    assert eng.w.acct["nic0"]["spurious"] == [1, 0] and eng.w.acct["nic0"]["delivered"] == [0, 1]
    assert eng.w.acct["xhci"]["lost"] == [xhci_lost]
    assert _cpus(eng, "xhci") == [1] * (3 - xhci_lost) and _cpus(eng, "nic0") == [0]
    assert any("0xff" in d for d in _hit_details(eng, hits.IRQ_SPURIOUS))


# v11 (6.14, 3 CPUs): each request_irq takes the best CPU's lowest vector, the CPU the free gave back.
def test_v11_request_free_returns_to_the_same_cpu() -> None:
    eng = _run("v11-reqfree-two-nics-3cpu-k614")
    assert _assigned(eng, "eth0") == [(0x20, 1), (0x20, 1)] and _assigned(eng, "eth1") == [(0x20, 2), (0x20, 2)]
    assert _cpus(eng, "eth0") == [1, 1, 1, 1] and _cpus(eng, "eth1") == [2, 2, 2]


# v12/v13 (63 CPUs, 63 managed queues, queue 41 on CPU40): 6.15 restarts the disabled managed irq at the online
# (the PBA's 3 signals handled at once, then 'Unbalanced enable'); 6.17 (788019eb559f) keeps it shut down until
# enable_irq starts it.
def test_v12_v13_managed_disable_across_hotplug() -> None:
    old, new = _run("v12-nvme64-63cpu-disable-offline-k615"), _run("v13-nvme64-63cpu-disable-offline-k617")
    assert [(e.time_ns, e.cpu, e.fields["signals"]) for e in _events(old, "irq.handler")] == [(6006800, 40, 3)]
    assert [e.fields["how"] for e in _events(old, "irq.enable")] == ["WARN: Unbalanced enable for IRQ 65"]
    handled = _events(new, "irq.handler")
    assert len(handled) == 1 and handled[0].cpu == 40 and handled[0].time_ns > 8_000_000
    assert [e.fields["how"] for e in _events(new, "irq.enable")] == ["irq_startup"]
    assert len(_notes(new, "irq_startup_managed: disable depth 1, the irq stays shut down")) == 1
    assert _assigned(old, "nvme0")[1:64] == [(0x20, c) for c in range(63)]


# v14 (6.3, 33 CPUs, VT-d cluster x2APIC): hints move each queue at once (IRQ_MOVE_PCNTXT), CPU1's vector is
# cleaned up before the next request takes it again; the IRTEs hold logical ids; CPU32's offline breaks
# queue 0's affinity and the best online CPU is CPU1 again.
def test_v14_cluster_logical_ids_and_broken_affinity() -> None:
    eng = _run("v14-cluster33-vtd-hints-offline-k63")
    assert _cpus(eng, "eth0") == [32, 16, 15, 31, 1, 1, 1, 1]
    irte = eng.w["iommu"]["irte"]
    assert [irte[i]["dest"] for i in range(4)] == [0x2, 0x10001, 0x8000, 0x18000]
    assert all(irte[i]["logical"] for i in range(4))


# v15/v16 (64 CPUs, non-maskable MSI): the move to CPU40 and to CPU63 change vector and CPU; 5.17 (ef8dd01538ea,
# 'plain') and 6.19 (b56ebe7c896d: 'if (!irqd_can_reserve(irqd) || ...)' writes directly for an irq without
# reservation mode, which a non-maskable MSI is) both write address then data unprotected: the signal between
# them is torn, once at each move: on CPU40 it hits the NIC's vector (wrong handler), on CPU63 an empty one.
@pytest.mark.parametrize(("name", "first"), [("v15-nomask-msi-moves-64cpu-k517", 0x21),
                                             ("v16-nomask-msi-moves-64cpu-k619", 0x20)])
def test_v15_v16_non_maskable_msi_tears_on_both(name: str, first: int) -> None:
    eng = _run(name)
    assert _assigned(eng, "sata") == [(first, 1), (first + 1, 40), (first, 63), (first, 7)]
    a = eng.w.acct["sata"]
    assert (a["lost"], a["spurious"], a["delivered"]) == ([2], [2], [2998])
    assert _hit_details(eng, hits.MSI_TORN_MESSAGE) == [
        f"sata vector 0 sent address 0xfee28000 data {first:#x}, a pair the kernel never programmed together",
        f"sata vector 0 sent address 0xfee3f000 data {first + 1:#x}, a pair the kernel never programmed together"]


# v17 (5.19, 5 CPUs flat): queues 0..3 on CPUs 1..4, queue 4 on CPU0; the hints apply at each queue's first
# interrupt; queue 0 takes 0x22 on CPU0 (queue 4 holds 0x21 there); CPU4's flat address is 0xfee10004.
def test_v17_hints_on_flat_five() -> None:
    eng = _run("v17-hints-flat5-k519")
    assert _cpus(eng, "eth0") == [1, 0, 2, 1, 3, 2, 4, 3, 0, 4]
    assert _assigned(eng, "eth0")[5] == (0x22, 0)
    assert _final_addr(eng, "eth0", 4) == 0xFEE10004 and _final_addr(eng, "eth0", 0) == 0xFEE01004


# v18 (6.2, 4 CPUs): six VFs on 1, 2, 3, 0, 1, 2; vf1 and vf3 come back on CPU0 and CPU2 with 0x21.
def test_v18_vf_cycle_follows_the_matrix() -> None:
    eng = _run("v18-six-vfs-4cpu-cycle-k62")
    assert [_cpus(eng, f"vf{i}")[0] for i in range(6)] == [1, 0, 3, 2, 1, 2]
    assert _assigned(eng, "vf1") == [(0x21, 2), (0x21, 0)] and _assigned(eng, "vf3") == [(0x21, 0), (0x21, 2)]
    assert _assigned(eng, "vf4") == [(0x22, 1)] and _assigned(eng, "vf5") == [(0x22, 2)]


# v19 (4.15, VT-d, 8 CPUs): messages 0..3 on CPUs 1..4; CPU3's offline moves message 2 to CPU5.
def test_v19_first_matrix_release_multimsi_offline() -> None:
    eng = _run("v19-multimsi4-vtd-8cpu-offline-k415")
    assert _cpus(eng, "raid") == [1, 1, 2, 2, 5, 5, 4, 4]
    assert _assigned(eng, "raid")[-1] == (0x21, 5)


# v20 (6.5): MSI-X and MSI fail (injected), pci_alloc_irq_vectors falls back to the pin: both handlers of the
# shared GSI 18 run on the IO-APIC irq's CPU; no vector domain assignment for either device.
def test_v20_fallback_to_the_shared_pin() -> None:
    eng = _run("v20-fallback-intx-shared-3cpu-k65")
    assert _cpus(eng, "eth0") == [1] * 5 and _cpus(eng, "usb") == [1] * 5
    assert _assigned(eng, "eth0") == [] and _results(eng, "probe") == [0, 0]


# v21 (6.18): remove under a stream: the signal racing free_irq's shutdown is IRQS_PENDING when the
# descriptor goes, the 99 after MSI-X Enable is cleared have no INTx# pin.
def test_v21_remove_under_a_stream() -> None:
    eng = _run("v21-remove-under-stream-8cpu-k618")
    a = eng.w.acct["eth0"]
    assert (a["delivered"], a["lost"]) == ([100, 0], [100, 0])
    lost = _hit_details(eng, hits.IRQ_LOST)
    assert len([d for d in lost if "IRQS_PENDING on irq 24 when its descriptor was freed" in d]) == 1
    assert len([d for d in lost if "neither MSI nor MSI-X was enabled" in d]) == 99


# v22 (6.19, no remapping): no Multi-MSI for the default PCI/MSI parent: one message (MME 000b); the function may
# not modify the data, so message 5's signals arrive as message 0 and are delivered (PCI 3.0 6.8.1.3).
def test_v22_one_message_granted_carries_every_vector() -> None:
    eng = _run("v22-multimsi-noir-1cpu-k619")
    assert _assigned(eng, "raid") == [(0x20, 0)]
    assert eng.w.acct["raid"]["delivered"] == [5, 0, 0, 0, 0, 0, 0, 0]


# v23/v24 (7 CPUs): 6.11's apic_flat writes logical 1 << 6; 6.12 (838ba7733e4e) physflat writes APIC id 6.
@pytest.mark.parametrize(("name", "addr"), [("v23-dest-format-7cpu-k611", 0xFEE40004),
                                            ("v24-dest-format-7cpu-k612", 0xFEE06000)])
def test_v23_v24_destination_format(name: str, addr: int) -> None:
    eng = _run(name)
    assert _final_addr(eng, "eth0", 0) == addr
    assert _cpus(eng, "eth0") == [1, 6, 6, 6]


# v25/v26 (legacy, move in progress): the offline-only mask's irq_select_affinity_usr meets -EBUSY; 4.12's
# setup_affinity hides it (write succeeds), 4.13's irq_setup_affinity returns it (write fails -EINVAL).
@pytest.mark.parametrize(("name", "result"), [("v25-offline-mask-busy-4cpu-k412", 0),
                                              ("v26-offline-mask-busy-4cpu-k413", -22)])
def test_v25_v26_setup_affinity_result(name: str, result: int) -> None:
    eng = _run(name)
    assert _results(eng, "set_affinity") == [0, result]
    assert _assigned(eng, "eth0") == [(0x41, 0), (0x51, 2)]


# v27 (4.5, 2 CPUs full): check_irq_vectors_for_cpu_disable counts none of the 204 CPU1 irqs (default affinity
# {0,1}), the offline goes ahead, each move fails -ENOSPC and keeps CPU1's vector: lost while offline,
# delivered again after the online.
def test_v27_legacy_offline_check_misses_full_cpu() -> None:
    eng = _run("v27-legacy-full-offline-2cpu-k45")
    assert _results(eng, "cpu_offline") == [0]
    assert len(_notes(eng, "vector assignment failed")) == 204
    assert _hit_details(eng, hits.IRQ_LOST) == ["eth0 vector 392: 1 signal(s) were sent to CPU1, which is offline"]
    assert [(e.cpu, e.fields["index"]) for e in _events(eng, "irq.handler")] == [(1, 392)]


# v28/v29 (4 CPUs, two moves 300 us apart): 6.5's cleanup IPI frees CPU1's vector at CPU2's first interrupt, the
# second move is applied at the 1.4 ms interrupt; 6.6's cleanup timer (armed 1.2004 ms, one jiffy = 4 ms) frees it
# at 5.2008 ms, after the 5.2 ms interrupt's attempt: 39 -EBUSY (1.4 .. 5.2 ms, a33a5d2d16cb keeps the mask), the
# move at 5.3 ms.
@pytest.mark.parametrize(("name", "busy", "first3"), [("v28-second-move-cleanup-4cpu-k65", 0, 1_500_800),
                                                      ("v29-second-move-cleanup-4cpu-k66", 39, 5_400_600)])
def test_v28_v29_cleanup_ipi_or_timer(name: str, busy: int, first3: int) -> None:
    eng = _run(name)
    assert [c for _, c in _assigned(eng, "eth0")] == [1, 2, 3]
    assert len([e for e in _events(eng, "kernel") if e.fields.get("value") == -16]) == busy
    on3 = [e.time_ns for e in _events(eng, "irq.handler") if e.cpu == 3]
    assert on3[0] == first3 and len(on3) == 60 - (2 + (3 if busy == 0 else 42))


# v30 (4.9, 8 CPUs apic_flat, lowest_priority: first): one vector 0x41 on every CPU; the message's destination is
# the OR of the mask's online logical bits with Lowest Priority delivery (data 0x141): 0xff, then 0x20 (CPU5) at
# the move's interrupt, then 0xdf after CPU5's offline breaks the affinity; the rule gives CPU0, CPU5, CPU0.
def test_v30_legacy_flat_only_rewrites_the_destination() -> None:
    eng = _run("v30-legacy-flat-lowprio-8cpu-k49")
    assert _cpus(eng, "eth0") == [0, 5, 5, 0, 0, 0]
    assert [tuple(m) for m in eng.w.acct["eth0"]["intended"][0]] == [
        (0xFEEFF00C, 0, 0x141), (0xFEE2000C, 0, 0x141), (0xFEEDF00C, 0, 0x141)]
    assert [v for v, _ in _assigned(eng, "eth0")] == [0x41, 0x41, 0x41]


def test_explore_note_times_read_differently() -> None:
    """An action drawn 50 ns into its at: range was noted 'started at 1ms instead of 1ms' (fmt_ns's 4 significant
    digits): the pair gets the digits it needs to differ; equal or already distinct times read as before."""
    from msidbg.explore.report import fmt_ns, fmt_ns_pair

    assert fmt_ns(1_000_050) == fmt_ns(1_000_000) == "1ms"
    assert fmt_ns_pair(1_000_050, 1_000_000) == ("1.0001ms", "1ms")
    assert fmt_ns_pair(1_000_001, 1_000_000) == ("1.000001ms", "1ms")
    assert fmt_ns_pair(1_361_000, 0) == ("1.361ms", "0ns")
    assert fmt_ns_pair(1_500, 1_500) == ("1.5us", "1.5us")


# v31/v32 (legacy, non-maskable MSI, a signal before request_irq): 4.7 enables MSI with the message registers
# still zero (no early activation): a DMA write to 0x0, lost; 4.8 (f3b0946d629c) programmed it first: the
# vector's irq has no action, IRQS_PENDING, and request_irq's check_irq_resend replays it by IPI.
@pytest.mark.parametrize(("name", "lost"), [("v31-early-signal-nomask-msi-k47", 1),
                                            ("v32-early-signal-nomask-msi-k48", 0)])
def test_v31_v32_signal_before_request_irq(name: str, lost: int) -> None:
    eng = _run(name)
    assert eng.w.acct["sata"]["lost"] == [lost]
    early = [e for e in _events(eng, "msi.msg") if e.time_ns == 1_000_000]
    assert [(e.fields["addr"], e.fields["data"]) for e in early] == ([(0, 0)] if lost else [(0xFEE00000, 0x41)])
    assert len(_events(eng, "irq.resend")) == 1 - lost


def _runs_by_cpu(eng, dev: str, index: int) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """(CPU, signals) for each run of consecutive handler calls of one vector on one CPU."""
    out: list[list[int]] = []
    for e in _events(eng, "irq.handler"):
        if e.dev == dev and e.fields["index"] == index:
            if not out or out[-1][0] != e.cpu:
                out.append([e.cpu, 0])
            out[-1][1] += e.fields["signals"]
    return [(c, n) for c, n in out]


# v33 (6.6, 16 CPUs VT-d, NVMe + two hinted NICs + xHCI; CPUs 3, 5, 7 out in turn, nic1 removed, back in): the
# managed queue 4 waits in the PBA while CPU3 is out and is handled there again; nic0 queue 1 goes to CPU14 (CPUs
# 6, 8, 10, 12 still hold the old vectors of hinted queues: the 6.6 cleanup timer, or no interrupt since), nic1
# queue 1 to CPU6 (its timer ran at 5 ms); after nic1's remove its 199 signals have no MSI-X and no pin.
def test_v33_mixed_hotplug_destinations() -> None:
    eng = _run("v33-mixed-16cpu-vtd-hotplug-remove-k66")
    assert _runs_by_cpu(eng, "nvme0", 4) == [(3, 400)]
    assert _runs_by_cpu(eng, "nic0", 1) == [(5, 81), (14, 319)]
    assert _runs_by_cpu(eng, "nic1", 1) == [(7, 121), (6, 80)]
    assert _runs_by_cpu(eng, "xhci", 0) == [(1, 100)]
    assert _assigned(eng, "nic1")[-2:] == [(0x21, 4), (0x21, 6)]


# v34/v35 (6.8 AMD-Vi, 4 of 8 MSI messages): vector 6 is beyond the enabled block -- dropped without the quirk;
# with msi-message-low-bits it goes out as message 2 (6 mod 4), the block's third IRTE: message 2's handler on CPU3.
@pytest.mark.parametrize(("name", "raised", "cpus"), [
    ("v34-multimsi-lowbits-amdvi-k68-no", [2, 0, 0, 2, 0, 0, 2, 0], [1, 1, 4, 4]),
    ("v35-multimsi-lowbits-amdvi-k68-yes", [2, 0, 2, 2, 0, 0, 0, 0], [1, 1, 4, 4, 3, 3])])
def test_v34_v35_message_low_bits_under_amdvi(name: str, raised: list[int], cpus: list[int]) -> None:
    eng = _run(name)
    assert eng.w.acct["ctl"]["raised"] == raised and _cpus(eng, "ctl") == cpus
    assert _assigned(eng, "ctl") == [(0x20, c) for c in (1, 2, 3, 4)]
    lost = _hit_details(eng, hits.IRQ_LOST)
    assert lost == (["ctl vector 6: 1 signal(s) used MSI message 6 but only 4 are enabled"] * 2 if "no" in name else [])
