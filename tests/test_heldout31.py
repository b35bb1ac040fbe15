"""redteam31: held-out bare-metal scenarios (tests/heldout31/*.yaml; each prediction written from the named
release's source before the file's first run, in its ``about:`` / ``expect:`` and tests/heldout31/PREDICTIONS.md).

Every file's expect block, and per file or pair the mechanism that makes its outcome (which CPU handles which
signal, which vector, which write reaches the function and which is only cached, which result each action
returns), so a regression in the mechanism fails here even where the totals would not move. Ground: revision
18's pm_freeze / pm_thaw / pm_suspend (D3hot, D3cold) / pm_resume and quirk pm-no-soft-reset with moves,
offlines, freed irqs, managed queues, multi-MSI, shared INTx and VT-d / AMD-Vi; handle_edge_irq's relock and
6.17's edge_wait_new_target; the 5.17+ msi_lock_descs mutex. q09 pins revision 19's fix (a function returning
from D3cold / D3hot is reset with its transition: no moment in D0 with its old context)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from msidbg.debugger import headless
from msidbg.errors import ScenarioError
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end
from tests.test_redteam21 import _assigned, _events, _results  # the same event queries

HELD = Path(__file__).parent / "heldout31"
REFUSED = {"q31-refused-k318"}
BIG = {"q22-shared-intx-resume-window-2cpu-k419"}        # 300,055 events (a 200 ms level storm): run once


@cache
def _run(name: str):  # type: ignore[no-untyped-def]
    return run_to_end(load_scenario(str(HELD / f"{name}.yaml")))


def _handlers(eng, dev: str) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """(vector index, CPU) of each handler run of ``dev``."""
    return [(e.fields["index"], e.cpu) for e in _events(eng, "irq.handler") if e.dev == dev]


def _cpus(eng, dev: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [c for _, c in _handlers(eng, dev)]


def _writes(eng, dev: str, lo: int, hi: int, reg: str | None = None) -> list[tuple[int, int, str, int]]:  # type: ignore[no-untyped-def]
    """(time, CPU, register, value) of each MSI-X table write of ``dev`` in [lo, hi) ns."""
    return [(e.time_ns, e.cpu, e.fields["reg"], e.fields["value"]) for e in _events(eng, "msix.write")
            if e.dev == dev and lo <= e.time_ns < hi and (reg is None or e.fields["reg"] == reg)]


def _acct(eng, dev: str) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    a = eng.w.acct[dev]
    return sum(a["raised"]), sum(a["delivered"]), sum(a["lost"])


@pytest.mark.parametrize("path", [p for p in sorted(HELD.glob("*.yaml")) if p.stem not in REFUSED | BIG],
                         ids=lambda p: p.stem)
def test_heldout31_expect_blocks(path: Path) -> None:
    """Each file's expect block is the outcome the upstream source predicts (PREDICTIONS.md)."""
    assert headless.check(load_scenario(str(path))) == []


def test_every_small_file_is_deterministic() -> None:
    """Same scenario, same seed: the same event count and final accounts, run twice from a fresh load."""
    for path in sorted(HELD.glob("q*.yaml")):
        if path.stem in REFUSED | BIG:
            continue
        a, b = run_to_end(load_scenario(str(path))), run_to_end(load_scenario(str(path)))
        assert len(a.log) == len(b.log), path.stem
        assert a.w.acct == b.w.acct, path.stem


def test_q31_a_3x_kernel_is_refused_in_one_line() -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(str(HELD / "q31-refused-k318.yaml"))
    assert "kernel.version" in str(err.value) and "4.5" in str(err.value) and "\n" not in str(err.value)


# q01 / q02 (12 CPUs, legacy allocator): the move applied while frozen is only cached (__pci_write_msi_msg's
# current_state test); the old vector on CPU3 stays mapped. 4.12's thaw writes nothing, and the 10 ms signal
# goes to the offlined CPU3; 4.13's thaw writes the cached CPU5 message (e60514bd4485).
@pytest.mark.parametrize(("name", "cpus", "lost", "thaw_writes"), [
    ("q01-freeze-move-offline-12cpu-k412", [0, 3, 3, 3, 3], 1, []),
    ("q02-freeze-move-offline-12cpu-k413", [0, 3, 3, 3, 5, 5], 0, ["addr_lo", "addr_hi", "data", "ctrl"]),
])
def test_q01_q02_freeze_caches_the_move(name: str, cpus: list[int], lost: int, thaw_writes: list[str]) -> None:
    eng = _run(name)
    assert _assigned(eng, "eth0") == [(0x41, 0), (0x51, 3), (0x61, 5)]
    assert _cpus(eng, "eth0") == cpus
    cached = [e for e in _events(eng, "kernel") if "the message is cached, not written" in e.fields["what"]]
    assert [(e.time_ns // 1000, e.cpu) for e in cached] == [(3000, 3)]
    assert [w[2] for w in _writes(eng, "eth0", 1_000_000, 5_000_000)] == ["ctrl", "ctrl"]   # the ack's mask / unmask
    assert [w[2] for w in _writes(eng, "eth0", 5_000_000, 6_000_000)] == thaw_writes
    assert _acct(eng, "eth0")[2] == lost


# q03 (5.10 AMD-Vi): the offline's move is an IRTE update; no table write while frozen or after.
def test_q03_remapped_move_needs_no_device_write() -> None:
    eng = _run("q03-freeze-offline-amdvi-6cpu-k510")
    assert _assigned(eng, "eth0") == [(0x21, 1), (0x21, 2), (0x21, 3)]
    assert _cpus(eng, "eth0") == [3, 3]
    # the only message writes after the probe are the thaw's restore (the same remappable message, entry by entry)
    msgs = _writes(eng, "eth0", 20_000, 10_000_000)
    assert {w[0] // 1000 for w in msgs if w[2] != "ctrl"} <= set(range(4000, 4010))


# q04 / q05 (1 CPU): free_irq while frozen masks (Vector Control needs no D0 test); 6.6 frees 0x20 (d1 takes
# it, eth0 comes back on 0x21), 4.12 keeps eth0's vector (d1 on 0x51); both held signals go out as one
# message at request_irq's unmask.
@pytest.mark.parametrize(("name", "eth0", "d1"), [
    ("q04-freeze-free-request-1cpu-k66", [(0x20, 0), (0x21, 0)], [(0x20, 0)]),
    ("q05-freeze-free-request-1cpu-k412", [(0x41, 0)], [(0x51, 0)]),
])
def test_q04_q05_freed_while_frozen(name: str, eth0: list[tuple[int, int]], d1: list[tuple[int, int]]) -> None:
    eng = _run(name)
    assert _assigned(eng, "eth0") == eth0 and _assigned(eng, "d1") == d1
    runs = [e for e in _events(eng, "irq.handler") if e.dev == "eth0"]
    assert [(e.time_ns >= 8_000_000, e.fields["signals"]) for e in runs] == [(True, 2)]
    assert _times_held(eng, "eth0") == [4_000_000, 6_000_000]
    assert _results(eng, "request_irq") == [0]


def _times_held(eng, dev: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [e.time_ns for e in _events(eng, "msi.held") if e.dev == dev]


# q06 (4.19, 1 CPU): 4 MSI messages offered, 1 granted (no remapping); the D3cold signal is dropped; after the
# resume message index 2 goes out as message 0.
def test_q06_d3cold_single_message() -> None:
    eng = _run("q06-d3cold-msi4-1cpu-k419")
    assert _assigned(eng, "d0") == [(0x21, 0)]
    assert [e.fields["why"] for e in _events(eng, "msi.dropped")] == ["function in D3cold"]
    assert _handlers(eng, "d0") == [(0, 0), (0, 0)]
    assert len(_events(eng, "dev.reset")) == 1


# q07 (5.4 VT-d, No_Soft_Reset): no reset; 4 remapped messages on CPUs 1, 2, 0, 1 (CPU0 holds one vector, the
# timer's: it ties after two allocations and matrix_find_best_cpu takes the first CPU).
def test_q07_no_soft_reset_multi_msi() -> None:
    eng = _run("q07-d3hot-nosoftreset-vtd-msi4-3cpu-k54")
    assert _assigned(eng, "d0") == [(0x21, 1), (0x21, 2), (0x21, 0), (0x22, 1)]
    assert _events(eng, "dev.reset") == []
    assert _handlers(eng, "d0") == [(1, 2), (3, 1)]
    assert [e.fields["why"] for e in _events(eng, "msi.dropped")] == ["function in D3hot"]


# q08 (6.6, 12 CPUs, No_Soft_Reset): the offline's move while suspended writes nothing; the restore writes it.
def test_q08_move_while_suspended_reaches_the_function_at_restore() -> None:
    eng = _run("q08-d3hot-nosoftreset-offline-12cpu-k66")
    assert _writes(eng, "eth0", 1_000_000, 3_000_000) == []
    assert _events(eng, "dev.reset") == []
    assert _handlers(eng, "eth0") == [(0, 1), (1, 5), (2, 3), (3, 4)]
    restored = [(w[2], w[3]) for w in _writes(eng, "eth0", 3_000_000, 4_000_000) if w[2] == "addr_lo"]
    assert len(restored) == 4 and restored[1][1] == 0xFEE00000 | (5 << 12)


# q09 (5.10, D3cold + No_Soft_Reset, shared GSI 16): revision 19 -- the function reaches D0 with its reset, so
# the 2000.5 us signal (during pm_resume's PMCSR write) is dropped, not sent with the pre-suspend message; the
# 2001.5 us one (after the reset, before the Command restore) asserts GSI 16: one IRQ_NONE run of usb0's handler
# on CPU2, then the restored Command's Interrupt Disable deasserts the pin.
def test_q09_d3cold_return_has_no_old_context() -> None:
    eng = _run("q09-d3cold-nosoftreset-intx-shared-6cpu-k510")
    assert [(e.time_ns, e.fields["state"]) for e in _events(eng, "dev.power")] == [
        (1_000_100, "D3cold"), (2_000_000, "D0")]
    assert [e.time_ns for e in _events(eng, "dev.reset")] == [2_001_000]
    assert [(e.time_ns, e.fields["why"]) for e in _events(eng, "msi.dropped")] == [
        (1_500_000, "function in D3cold"), (2_000_500, "function in D3cold")]
    assert [e.time_ns for e in _events(eng, "intx.assert") if e.dev == "eth0"] == [2_001_500]
    assert [(e.cpu, e.dev) for e in _events(eng, "irq.none")] == [(2, "usb0")]
    assert [e.time_ns for e in _events(eng, "msi.msg") if e.dev == "eth0"] == [3_000_000]
    assert _acct(eng, "eth0") == (4, 1, 3) and _acct(eng, "usb0") == (2, 2, 0)


# q10 / q11 (VT-d, 12 CPUs, a process-context move to CPU9 under a 1 us stream): 6.16 -- CPU9 only masks and CPU1
# runs every action; 6.17 -- CPU9 waits for CPU1's first action and handles the rest, no mask write.
@pytest.mark.parametrize(("name", "cpus", "masks_by_9"), [
    ("q10-storm-move-vtd-12cpu-k616", [1, 1, 1, 1, 1], 4),
    ("q11-storm-move-vtd-12cpu-k617", [1, 9, 9, 9], 0),
])
def test_q10_q11_remapped_move_storm(name: str, cpus: list[int], masks_by_9: int) -> None:
    eng = _run(name)
    assert _cpus(eng, "eth0") == cpus
    assert sum(e.fields["signals"] for e in _events(eng, "irq.handler")) == 6
    masks = [w for w in _writes(eng, "eth0", 300_000, 400_000, "ctrl") if w[3] == 1]
    assert len(masks) == masks_by_9 and {w[1] for w in masks} <= {9}


# q12 (AMD-Vi, 40 CPUs, 6.17): CPU33 takes over the storm; its offline sends the irq to CPU1.
def test_q12_new_target_then_offline() -> None:
    eng = _run("q12-storm-move-amdvi-40cpu-k617")
    assert _assigned(eng, "eth0") == [(0x20, 1), (0x20, 33), (0x20, 1)]
    assert _cpus(eng, "eth0") == [1, 33, 33, 33, 1]


# q13 / q14 (3 CPUs, lazy disable inside the first action): CPU2's IRQS_PENDING mask write comes during CPU1's
# action on 6.16, after it on 6.17 (irq_wait_on_inprogress returns false: disabled); enable_irq's unmask and
# resend are handled on CPU2.
@pytest.mark.parametrize(("name", "mask_at"), [
    ("q13-storm-move-lazydisable-3cpu-k616", 302_500),
    ("q14-storm-move-lazydisable-3cpu-k617", 303_200),
])
def test_q13_q14_lazy_disable_against_the_new_target(name: str, mask_at: int) -> None:
    eng = _run(name)
    assert [(w[0], w[1]) for w in _writes(eng, "eth0", 302_000, 310_000, "ctrl")] == [(mask_at, 2)]
    assert _cpus(eng, "eth0") == [1, 2, 2]
    assert [e.time_ns for e in _events(eng, "irq.resend")] == [310_300]
    first = _events(eng, "irq.handler")[0]                  # CPU1's first action: 301.6 .. 303.1 us
    assert (first.cpu, first.time_ns) == (1, 301_600)


# q15..q18, q32: a free during an enable, at the 5.16.20 / 5.17.1 boundary, for multi-MSI under VT-d, against
# a probe, and with the enabling task migrated by an offline.
@pytest.mark.parametrize(("name", "results"), [
    ("q15-free-during-enable-6cpu-k51620", [("free_vectors", 0), ("alloc_vectors", 4), ("request_irq", 0)]),
    ("q16-free-during-enable-6cpu-k5171", [("alloc_vectors", 4), ("free_vectors", 0), ("request_irq", -22)]),
    ("q17-free-during-msi4-enable-vtd-12cpu-k61", [("alloc_vectors", 4), ("free_vectors", 0),
                                                    ("request_irq", -22)]),
    ("q18-probe-vs-free-amdvi-40cpu-k66", [("free_vectors", 0), ("probe", -22)]),
    ("q32-enable-offline-free-6cpu-k66", [("free_vectors", 0), ("cpu_offline", 0), ("alloc_vectors", 2)]),
])
def test_free_against_enable(name: str, results: list[tuple[str, int]]) -> None:
    eng = _run(name)
    assert [(e.fields["do"], e.fields["result"]) for e in _events(eng, "action.done")] == results


def test_q32_free_between_the_flag_and_the_lock_leaves_msix_off() -> None:
    """The migrated task had set msix_enabled and Enable | Function Mask but not taken msi_lock_descs: the free
    takes the mutex, clears Enable and msix_enabled; the task then sets up its 2 irqs and clears Function Mask
    with Enable still clear."""
    eng = _run("q32-enable-offline-free-6cpu-k66")
    ctl = [(e.cpu, e.fields["value"]) for e in _events(eng, "cfg.write") if e.fields["offset"] == 114]
    assert ctl == [(3, 0xC003), (4, 0x4003), (0, 0x0003)]
    assert [e.cpu for e in _events(eng, "msix.write")][0] == 0


@pytest.mark.parametrize(("name", "handlers"), [
    ("q19-msi4-vtd-offline-6cpu-k419", [(0, 1), (1, 5), (2, 3), (3, 4)]),
    ("q20-msi4-noir-move-offline-9cpu-k414", [(0, 0), (0, 8), (0, 0)]),
    ("q33-freeze-move-nomask-6cpu-k516", [(0, 1), (0, 1), (0, 4)]),
])
def test_moves_of_msi(name: str, handlers: list[tuple[int, int]]) -> None:
    dev = "d0"
    assert _handlers(_run(name), dev) == handlers


def test_q21_shared_intx_moves_with_its_irq() -> None:
    eng = _run("q21-shared-intx-move-offline-3cpu-k515")
    assert [(e.dev, e.cpu) for e in _events(eng, "irq.handler")] == [("usb0", 1), ("eth0", 2), ("usb0", 1),
                                                                     ("eth0", 1)]


def test_q22_level_storm_starves_the_resume_on_its_cpu() -> None:
    """The reset-window INTx assertion on live GSI 16 (CPU0, the resuming CPU) storms until note_interrupt's
    100,000th unhandled run disables irq 16; only then does the restore run (Interrupt Disable, MSI-X)."""
    eng = _run("q22-shared-intx-resume-window-2cpu-k419")
    ev = _events(eng, "irq.none", "ioapic.rte", "action.done")          # one pass over the 300,055 events
    assert sum(e.kind == "irq.none" for e in ev) == 100_000
    masked = [e.time_ns for e in ev if e.kind == "ioapic.rte" and e.fields["what"] == "masked"]
    done = [e.time_ns for e in ev if e.kind == "action.done" and e.fields["do"] == "pm_resume"]
    assert len(masked) == 1 and len(done) == 1 and 200_000_000 < masked[0] < done[0] < 202_000_000
    assert _acct(eng, "eth0") == (2, 0, 2) and _acct(eng, "usb0") == (1, 1, 0)
    # its expect block, without a second (headless, 20 s) run: the counts above, the probes, the breakpoints
    assert {h.name for h in eng.hits} >= {"irq-lost"} and "msi-torn-message" not in {h.name for h in eng.hits}
    assert [e.fields["result"] for e in ev if e.kind == "action.done" and e.fields["do"] == "probe"] == [0, 0]


@pytest.mark.parametrize(("name", "ctrl", "cpus"), [
    ("q23-thaw-reserved-bits-9cpu-k414159", 3, []),
    ("q24-thaw-reserved-bits-9cpu-k414160", 2, [0, 0]),
])
def test_q23_q24_thaw_restores_the_reserved_bit(name: str, ctrl: int, cpus: list[int]) -> None:
    eng = _run(name)
    assert [w[3] for w in _writes(eng, "eth0", 2_000_000, 3_000_000, "ctrl")] == [ctrl, ctrl]
    assert _cpus(eng, "eth0") == cpus


@pytest.mark.parametrize(("name", "entry", "cpu", "unclaimed_at"), [
    ("q25-suspend-offline-managed-online-amdvi-3cpu-k61", 3, 2, 2_000_100),
    ("q26-suspend-offline3-managed-online-vtd-12cpu-k54", 4, 11, 4_010_700),
])
def test_q25_q26_managed_shutdown_while_suspended(name: str, entry: int, cpu: int, unclaimed_at: int) -> None:
    eng = _run(name)
    un = [(e.time_ns, e.fields["entry"], e.fields["reg"], e.fields["value"]) for e in _events(eng, "msix.unclaimed")]
    assert un == [(unclaimed_at, entry, "ctrl", 1)]
    assert _handlers(eng, "nvme0") == [(entry, cpu), (entry, cpu)]
    held = [e.time_ns for e in _events(eng, "msi.held")]
    assert len(held) == 1


@pytest.mark.parametrize(("name", "cpus", "lost"), [
    ("q27-freeze-offline-thaw-40cpu-k49", [0, 39, 0], 2),
    ("q28-freeze-offline-thaw-40cpu-k414", [0, 39, 0, 0], 1),
    ("q30-freeze-move-msi-offline-2cpu-k45", [0, 1, 1, 1], 1),
])
def test_offline_while_frozen(name: str, cpus: list[int], lost: int) -> None:
    eng = _run(name)
    dev = "d0" if "msi" in name else "eth0"
    assert _cpus(eng, dev) == cpus and _acct(eng, dev)[2] == lost


def test_q29_one_cpu_resume_under_a_stream() -> None:
    eng = _run("q29-resume-stream-1cpu-k617")
    assert _acct(eng, "eth0") == (60, 59, 1)
    assert _results(eng, "pm_resume") == [0]
    assert len(_events(eng, "msi.dropped")) == 1


def test_q34_q35_edge_storms() -> None:
    eng = _run("q34-storm-move-12cpu-k419")
    assert set(_cpus(eng, "eth0")) == {1}
    assert {w[1] for w in _writes(eng, "eth0", 301_000, 400_000, "ctrl") if w[3] == 1} == {7}
    eng = _run("q35-storm-move-offline-target-3cpu-k617")
    assert _cpus(eng, "eth0") == [1] + [2] * 19        # CPU2 saturated: its stopper runs after the stream
    done = [e.time_ns for e in _events(eng, "action.done") if e.fields["do"] == "cpu_offline"]
    assert len(done) == 1 and done[0] > 338_000


def test_freeze_and_resume_of_one_function_at_once_do_not_crash() -> None:
    """redteam31's combination fuzzer (tests/combo31.py seeds 686, 2254): a pm_resume that restores (and clears
    state_saved) between a concurrent pm_freeze's / pm_suspend's pci_save_state and its next step raised
    KeyError. The PM core never runs the two at once; msidbg now carries on with nothing saved: the freeze marks
    PCI_UNKNOWN, and the thaw's pci_restore_state returns at once ('if (!dev->state_saved) return;')."""
    from tests.conftest import scenario
    eng = run_to_end(scenario("""
name: freeze-resume-together
cpus: 3
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:05.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 1ms, on: 1, do: pm_freeze, dev: eth0}
  - {at: 1ms, on: 2, do: pm_resume, dev: eth0}
  - {at: 2ms, on: 0, do: pm_thaw, dev: eth0}
  - {at: 3ms, do: fire, dev: eth0, vector: 0}
"""))
    assert [(e.fields["do"], e.fields["result"]) for e in _events(eng, "action.done")][1:] == [
        ("pm_freeze", 0), ("pm_resume", 0), ("pm_thaw", 0)]
    notes = [e.fields["what"] for e in _events(eng, "kernel") if e.dev == "eth0"]
    assert any("current_state PCI_UNKNOWN" in n for n in notes)
    assert any("state_saved is clear" in n for n in notes)
    assert _acct(eng, "eth0") == (1, 1, 0)


# q36 (6.17, light stream, the new target offlined): CPU1, CPU2 twice, then one run on CPU1 for the 7 edges that
# reached it while every CPU sat in stop_machine with interrupts off (fixup_irqs' mdelay(1)): one IRR bit.
def test_q36_new_target_offlined_between_edges() -> None:
    eng = _run("q36-storm-move-offline-target-light-3cpu-k617")
    assert _assigned(eng, "eth0") == [(0x20, 1), (0x20, 2), (0x20, 1)]
    runs = [(e.cpu, e.fields["signals"]) for e in _events(eng, "irq.handler")]
    assert runs == [(1, 1), (2, 1), (2, 1), (1, 7)]


def test_q37_multi_msi_message_moves_to_its_waiting_target() -> None:
    eng = _run("q37-msi8-vtd-storm-move-6cpu-k617")
    assert [c for _, c in _assigned(eng, "d0")] == [1, 2, 3, 4, 5, 0, 1, 2, 4]
    assert _handlers(eng, "d0") == [(6, 1), (6, 4), (6, 4), (6, 4)]


def test_q38_d3cold_managed_shutdown_on_40_cpus() -> None:
    eng = _run("q38-d3cold-managed-offline-40cpu-k66")
    queues = [c for _, c in _assigned(eng, "nvme0")][1:9]
    assert queues == [4, 9, 14, 19, 24, 29, 34, 39]            # the last CPU of each 5-CPU mask
    un = [(e.time_ns, e.cpu, e.fields["entry"]) for e in _events(eng, "msix.unclaimed")]
    assert un == [(10_000_100, 39, 8)]
    assert [e.time_ns for e in _events(eng, "dev.reset")] == [13_001_000]
    assert _times_held(eng, "nvme0") == [14_000_000]
    assert _handlers(eng, "nvme0") == [(8, 39), (8, 39)]


# q39 / q40 (5.16 / 5.17 thaw under a stream): no reset, nothing dropped; two signals held under Function Mask go
# out as one run; the same counts, the table writes in the order of each release.
@pytest.mark.parametrize(("name", "order"), [
    ("q39-thaw-under-stream-6cpu-k516", ["ctrl", "addr_lo", "addr_hi", "data", "ctrl"] * 3 + ["ctrl"] * 3),
    ("q40-thaw-under-stream-6cpu-k517", ["ctrl", "addr_lo", "addr_hi", "data", "ctrl", "ctrl"] * 3),
])
def test_q39_q40_thaw_keeps_msix_enabled(name: str, order: list[str]) -> None:
    eng = _run(name)
    assert [w[2] for w in _writes(eng, "eth0", 1_000_000, 1_100_000)] == order
    assert _events(eng, "dev.reset") == [] and _events(eng, "msi.dropped") == []
    assert _times_held(eng, "eth0") == [1_001_000, 1_003_000]
    assert [(e.time_ns, e.fields["signals"]) for e in _events(eng, "irq.handler") if e.fields["signals"] > 1] == [
        (1_005_100, 2)]
    assert _acct(eng, "eth0") == (101, 101, 0)
