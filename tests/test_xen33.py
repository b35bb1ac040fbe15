"""xen33: a vCPU spinning in stop_machine is running for Xen's scheduler (reading ``kernel.hotplug.stopper-spins``;
Linux kernel/stop_machine.c multi_cpu_stop's cpu_relax loop read in 4.13.9, 5.15.24 and 6.12.19 trees, x86
cpu_relax = rep_nop) -- it holds its pCPU, an HVM vCPU's PAUSE-loop exit yields it (``xen.sched.ple-yield``), a
PV one keeps it to its slice's end -- and credit's csched_tick ends a running vCPU's BOOST at the first 10 ms tick
(``xen.sched.credit-tick``, RELEASE-4.1.0 / 4.5.0 / 4.11.0 sched_credit.c). Before, the spinner was taken as
blocked: two vCPUs sharing a pCPU acked every state of the rendezvous at once (the whole offline at 3 ms), and a
BOOSTed runner kept a shared pCPU for ever.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger.headless import check
from msidbg.model import xensched
from msidbg.model.cite import READINGS
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end, totals

DIR = Path(__file__).resolve().parent / "xen33"
FILES = sorted(DIR.glob("*.yaml"))
_CACHE: dict[str, Any] = {}


def _run(prefix: str) -> Any:
    if prefix not in _CACHE:
        (path,) = DIR.glob(f"{prefix}-*.yaml")
        _CACHE[prefix] = run_to_end(load_scenario(str(path)))
    return _CACHE[prefix]


def _events(eng: Any) -> list[tuple[int, str, int | None, dict[str, Any]]]:
    return [(e.time_ns, e.kind, e.cpu, dict(e.fields)) for e in eng.log.events(1, len(eng.log) + 1)]


def _sched(eng: Any) -> list[tuple[int, int, int]]:
    return [(t, f["pcpu"], f["vcpu"]) for t, k, _, f in _events(eng) if k == "xen.sched"]


def _acks(eng: Any) -> list[tuple[int, int | None, str]]:
    """(time, the acking CPU, its text) of every multi_cpu_stop ack."""
    return [(t, c, f["what"]) for t, k, c, f in _events(eng) if k == "kernel" and f["prog"] == "multi_cpu_stop"]


def _tcd(eng: Any) -> int:
    return next(t for t, k, _, f in _events(eng) if k == "kernel" and f["what"].startswith("take_cpu_down: CPU"))


def _done(eng: Any) -> int:
    return next(t for t, k, _, f in _events(eng) if k == "action.done" and f["do"] == "cpu_offline")


def test_there_are_ten_files() -> None:
    assert len(FILES) == 10


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_matches_its_expect_block(path: Path) -> None:
    assert check(load_scenario(str(path))) == []


def test_readings_are_registered() -> None:
    for key in ("kernel.hotplug.stopper-spins", "xen.sched.credit-tick", "xen.sched.ple-yield"):
        assert READINGS[key].status == "confirmed"
    assert "holds its pCPU" in READINGS["xen.sched.one-per-pcpu"].text


def test_a01_hvm_ple_exits_pass_the_rendezvous_one_vcpu_at_a_time() -> None:
    eng = _run("a01")
    ev = _events(eng)
    note = next(f["what"] for t, k, _, f in ev if k == "kernel" and f["what"].startswith("stop_machine: the stopper"))
    assert note == ("stop_machine: the stopper thread of CPU2 waits (MULTI_STOP_PREPARE): vCPU2 waits for pCPU1 "
                    "(vCPU1 runs there)")
    # vCPU 1 spins holding pCPU 1; each PAUSE-loop exit (2048 ns) yields to the vCPU with an ack to make
    assert _sched(eng) == [(3_002_048, 1, 2), (3_004_096, 1, 1)]
    assert [(t, c) for t, c, _ in _acks(eng)] == [(3_002_048, 2), (3_004_096, 1)]
    assert _acks(eng)[0][2] == "migration/2: MULTI_STOP_PREPARE acked"
    assert _acks(eng)[1][2].endswith("the last: every CPU has interrupts off (MULTI_STOP_RUN)")
    assert _tcd(eng) == 3_004_096
    # vCPU 2's schedule-in (moved while halted) is where hvm_migrate_pirqs runs -- not at stop_machine's wake-up
    mig = [t for t, k, _, f in ev if k == "xen.migrate" and f["vcpu"] == 2]
    assert mig == [2_000_000, 3_002_048]
    assert totals(eng, "n0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}
    assert eng.w.xen["sched"]["run"] == {} and eng.w.xen["sched"]["runq"] == {}


def test_a02_pv_spinner_keeps_the_pcpu_to_its_slice_end_and_the_tick_unboosts_it() -> None:
    eng = _run("a02")
    # no PLE on PV: vCPU 1 (BOOSTed at its wake-up, unboosted by the 10 ms tick) keeps pCPU 1 to the slice's end
    assert _sched(eng)[:2] == [(33_000_000, 1, 2), (63_000_000, 1, 1)]
    assert [(t, c) for t, c, _ in _acks(eng)] == [(33_000_000, 2), (63_002_000, 1)]
    assert _tcd(eng) == 63_002_000 and _done(eng) == 64_009_500
    # n1's upcall for vCPU 1 (preempted in multi_cpu_stop, interrupts on) waits for its schedule-in at 63 ms, and is
    # taken before its DISABLE_IRQ ack
    ev = _events(eng)
    up = [(t, k, c) for t, k, c, f in ev if 40_000_000 <= t <= 63_002_000 and k in ("xen.pirq", "xen.callback",
                                                                                    "irq.handler")]
    assert up == [(40_000_800, "xen.pirq", None), (63_000_000, "xen.callback", 1), (63_000_500, "irq.handler", 1)]
    assert totals(eng, "n1") == {"raised": 1, "delivered": 1, "lost": 0, "spurious": 0}
    assert eng.w.xen["sched"]["pri"][1] == xensched.UNDER


def test_a02_without_the_tick_the_boosted_spinner_would_never_yield() -> None:
    # the lazy tick: a BOOST vCPU that has run across a 10 ms multiple is UNDER when a decision reads it
    s: dict[str, Any] = {"pri": [xensched.BOOST, xensched.BOOST], "since": [3_000_000, 10_000_000]}
    xensched._tick(s, 0, 9_999_999)
    assert s["pri"][0] == xensched.BOOST
    xensched._tick(s, 0, 10_000_000)
    xensched._tick(s, 1, 19_999_999)    # (scheduled in at the 10 ms tick itself: its first tick is at 20 ms)
    assert s["pri"] == [xensched.UNDER, xensched.BOOST]
    xensched._tick(s, 1, 20_000_000)
    assert s["pri"][1] == xensched.UNDER


def test_a03_pre_4_7_the_dying_vcpu_runs_take_cpu_down_at_the_third_exit() -> None:
    # re-derived after the merge (reconcile): 4.5 is before 9fdd2f3c9c (4.8), so audit25's row
    # xen_credit_yield_no_ratelimit rate-limits each PAUSE-loop yield until the spinner has run the 1000 us
    # ratelimit since its schedule-in (csched_schedule's 'runtime = now - current->runstate.state_entry_time');
    # the yield takes effect at the first exit past it (488 exits of 2048 ns, then the 489th): every switch of
    # xen33's rendezvous comes one ratelimit after the previous one
    eng = _run("a03")
    assert eng.w.behaviour["xen_credit_migrate_noboost"] is False
    assert eng.w.behaviour["xen_credit_yield_no_ratelimit"] is False
    sched = _events(eng)
    limited = [t for t, k, _, f in sched if k == "xen.sched" and "its yield is rate-limited" in f["how"]]
    assert len(limited) == 3 * 488 and limited[0] == 3_002_048
    switches = [(t, p, v) for t, p, v in _sched(eng) if t not in set(limited)]
    assert switches[:3] == [(4_001_472, 1, 3), (5_002_944, 1, 1), (6_004_416, 1, 3)]
    assert [(t, c) for t, c, _ in _acks(eng)] == [(4_001_472, 3), (5_002_944, 1)]
    assert _tcd(eng) == 6_004_416 and _done(eng) == 7_017_916
    assert totals(eng, "n0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


def test_a04_credit2_pv_waits_for_the_slice_armed_at_the_spinners_schedule_in() -> None:
    eng = _run("a04")
    assert eng.w.behaviour["xen_sched"] == "credit2"
    assert _sched(eng)[:3] == [(13_000_000, 1, 2), (23_000_000, 1, 2), (23_500_000, 1, 1)]
    assert [(t, c) for t, c, _ in _acks(eng)] == [(13_000_000, 2), (23_500_000, 1)]
    assert _tcd(eng) == 23_500_000 and _done(eng) == 24_507_500


def test_a05_the_requesters_own_stopper_holds_its_pcpu() -> None:
    eng = _run("a05")
    assert _sched(eng)[:2] == [(3_002_048, 0, 1), (3_004_096, 0, 0)]
    assert [(t, c) for t, c, _ in _acks(eng)] == [(3_002_048, 1), (3_004_096, 0)]
    assert _acks(eng)[1][2] == ("migration/0: interrupts off, MULTI_STOP_DISABLE_IRQ acked, the last: every CPU has "
                                "interrupts off (MULTI_STOP_RUN)")
    assert totals(eng, "n0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


def test_a06_a_task_preempted_on_the_runqueue_goes_on_after_the_exit() -> None:
    eng = _run("a06")
    ev = _events(eng)
    # vCPU 1 (its probe's task preempted by the stopper, then by vCPU 0's PAUSE-loop exit) acks between vCPU 0's spins
    assert [(t, c) for t, c, _ in _acks(eng)] == [(3_002_048, 1), (3_004_096, 0)]
    done = {f["action"]: (t, c, f["result"]) for t, k, c, f in ev if k == "action.done"}
    assert done[3][1:] == (1, 0) and done[3][0] > _done(eng)      # the probe ends on vCPU 1, after the offline
    assert totals(eng, "n1") == {"raised": 1, "delivered": 1, "lost": 0, "spurious": 0}


def test_a07_a_vcpu_blocked_on_an_ioreq_holds_no_pcpu() -> None:
    eng = _run("a07")
    ev = _events(eng)
    notes = [f["what"] for t, k, _, f in ev if k == "kernel" and f["what"].startswith("stop_machine: the stopper")]
    assert notes == ["stop_machine: the stopper thread of CPU2 waits (MULTI_STOP_PREPARE): vCPU2 blocked in Xen on a "
                     "QEMU ioreq (_VPF_blocked_in_xen) until QEMU completes the trapped access"]
    # QEMU's completion wakes vCPU 2 through Xen's scheduler: its schedule-in comes before its ack
    sched = [(t, p, v) for t, p, v in _sched(eng) if t < 403_000_000]
    assert sched == [(402_000_000, 2, 2), (402_002_048, 2, 3)]
    assert [(t, c) for t, c, _ in _acks(eng)] == [(402_000_000, 2), (402_002_048, 3)]
    assert _tcd(eng) == 402_002_048
    assert totals(eng, "n0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


def test_runs_are_deterministic() -> None:
    from msidbg.sim.world import state_hash
    a = run_to_end(load_scenario(str(FILES[0])))
    assert state_hash(a.w) == state_hash(_run("a01").w) and len(a.log) == len(_run("a01").log)


# --- xen.msix-memory-decoded: Xen 4.6+'s memory_decoded (RELEASE-4.6.0 .. 4.19.0 msi.c) ---------------------------
def _held(eng: Any) -> list[tuple[int, str]]:
    return [(t, f["why"]) for t, k, _, f in _events(eng) if k == "msi.held"]


@pytest.mark.parametrize("prefix", ["b01", "b03"])
def test_b01_b03_an_undecoded_mask_leaves_the_function_masked(prefix: str) -> None:
    eng = _run(prefix)
    assert eng.w.behaviour["xen_msix_memory_decoded"] is True and eng.w.behaviour["qemu_cmd_decode_emulated"] is False
    # the remap's unbind (Memory still off) fell back to the Function Mask; nothing cleared host_maskall since
    assert eng.w.xen["maskall"] == {"eth0": [True, False]}
    assert eng.w.devices["eth0"]["msix"]["ctrl"] & (1 << 14)
    assert eng.w.devices["eth0"]["cmd"] & 2     # the device decodes again
    assert [t for t, _ in _held(eng)] == [5_000_000, 5_010_000, 5_020_000, 7_000_000, 7_010_000, 7_020_000]
    assert {why for _, why in _held(eng)} == {"PBA: function masked"}
    tbl = [(t, f["how"]) for t, k, _, f in _events(eng) if k == "xen.msixtbl"]
    assert tbl[0] == (4_000_000, "ctrl write: guest_mask_msi_irq, memory not decoded: Function Mask set "
                                 "(host_maskall): cannot mask IRQ")
    assert not [e for e in _events(eng) if e[1] == "msix.unclaimed"]     # no writel reaches the device
    assert totals(eng, "eth0") == {"raised": 9, "delivered": 3, "lost": 6, "spurious": 0}


def test_b02_xen_4_5_drops_the_writel_and_sets_no_function_mask() -> None:
    eng = _run("b02")
    assert eng.w.behaviour["xen_msix_memory_decoded"] is False
    assert "maskall" not in eng.w.xen and not eng.w.devices["eth0"]["msix"]["ctrl"] & (1 << 14)
    assert [t for t, k, _, _ in _events(eng) if k == "msix.unclaimed"] == [4_000_000]     # the guest's writel, lost
    assert _held(eng) == []
    assert totals(eng, "eth0") == {"raised": 9, "delivered": 9, "lost": 0, "spurious": 0}


def test_dom0_message_control_write_gets_host_maskall() -> None:
    from msidbg.model import xen as X
    (path,) = DIR.glob("b01-*.yaml")
    w = run_to_end(load_scenario(str(path))).w      # (a run of its own: this test writes its world)
    assert X.dom0_msix_ctrl(w, "eth0", 0x8000) == 0x8000 | 0x4000      # host_maskall ORed in
    assert w.xen["maskall"]["eth0"] == [True, False]
    assert X.dom0_msix_ctrl(w, "eth0", 0xC000) == 0xC000 and w.xen["maskall"]["eth0"] == [True, True]


def test_the_pairing_is_no_longer_refused() -> None:
    from msidbg.scenario import load_scenario_text
    text = (DIR / "b01-x46-memoff-mask-function-masked.yaml").read_text()
    assert load_scenario_text(text, "b01.yaml").platform.kind == "xen-hvm"


@pytest.mark.parametrize("xen,written", [("4.5", True), ("4.6", False)])
def test_write_msi_msg_needs_msix_enable_from_4_6(xen: str, written: bool) -> None:
    """msix_memory_decoded (RELEASE-4.6.0 write_msi_msg): 'if ( !(control & PCI_MSIX_FLAGS_ENABLE) ) return 0;' --
    with MSI-X disabled Xen's host message is not written (-ENXIO); 4.5 writes it whatever Enable says."""
    from msidbg.model import xen as X
    from msidbg.scenario import load_scenario_text
    qemu = ", qemu: qemu-xen-4.5.0" if xen == "4.5" else ""
    text = (f'name: w\nseed: 1\ncpus: 2\nplatform: {{kind: xen-hvm, xen: "{xen}"{qemu}}}\nkernel: {{version: "4.9"}}\n'
            'devices:\n  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 2}}\n'
            'run:\n  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}\n')
    eng = run_to_end(load_scenario_text(text, "w.yaml"))
    d = eng.w.devices["eth0"]
    irq = eng.w.xen["entry_irq"][X.key("eth0", 0)]
    hirq = eng.w.xen["irqs"][irq]
    d["msix"]["ctrl"] &= ~0x8000        # MSI-X disabled at the device
    before = d["msix"]["table"][0]["data"]
    hirq["vector"] = before + 1         # a host move's new vector
    X._write_msg(eng, hirq, False)
    assert (d["msix"]["table"][0]["data"] == before + 1) is written
    assert eng.w.behaviour["xen_msix_memory_decoded"] is not written
