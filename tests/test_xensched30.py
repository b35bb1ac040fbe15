"""xen30: Xen's host scheduler (msidbg/model/xensched.py). A pCPU runs one vCPU at a time: a vCPU that becomes
runnable while another runs on its pCPU waits on the runqueue, and an interrupt for it is taken at its schedule-in
(readings ``xen.sched.one-per-pcpu``, ``xen.sched.default``, ``xen.sched.credit-boost``, ``xen.sched.credit2``;
RELEASE-4.11.0 sched_credit.c, RELEASE-4.12.0 sched_credit2.c, RELEASE-4.19.0 sched/credit2.c; ``xen.sched.ple-yield``:
vmx.c's PAUSE-loop exit). Before, both vCPUs of a shared pCPU ran at once (main has no xen.sched event).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger.headless import check
from msidbg.model import xensched
from msidbg.scenario import load_scenario
from msidbg.sim.world import state_hash
from tests.conftest import run_to_end, totals

DIR = Path(__file__).resolve().parent / "xensched30"
FILES = sorted(DIR.glob("*.yaml"))


def _run(prefix: str) -> Any:
    (path,) = DIR.glob(f"{prefix}-*.yaml")
    return run_to_end(load_scenario(str(path)))


def _events(eng: Any, lo: int = 0, hi: int = 1 << 62) -> list[tuple[str, int | None, dict[str, Any], int]]:
    return [(e.kind, e.cpu, dict(e.fields), e.time_ns) for e in eng.log.events(1, len(eng.log) + 1)
            if lo <= e.time_ns <= hi]


def _sched(eng: Any) -> list[tuple[int, int, int, str]]:
    return [(t, f["pcpu"], f["vcpu"], f["how"]) for k, _, f, t in _events(eng) if k == "xen.sched"]


def test_there_are_eight_files() -> None:
    assert len(FILES) == 8


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_matches_its_expect_block(path: Path) -> None:
    assert check(load_scenario(str(path))) == []


def test_rows_by_release() -> None:
    b411 = run_to_end(load_scenario(str(FILES[0]))).w.behaviour
    b4192 = run_to_end(load_scenario(str(FILES[1]))).w.behaviour
    assert (b411["xen_sched"], b411["xen_sched_ratelimit"], b411["xen_credit_migrate_noboost"]) == ("credit", True, True)
    assert b4192["xen_sched"] == "credit2"


def test_s01_the_msi_for_the_waiting_vcpu_is_taken_at_its_schedule_in() -> None:
    eng = _run("s01")
    ev = _events(eng, 6_010_000, 6_012_500)
    kinds = [(k, cpu, t) for k, cpu, _, t in ev]
    # the vMSI for vCPU 1 at 6.0108 ms sets its IRR; vCPU 1 runs nothing until vCPU 0 blocks at 6.012 ms
    pirq = next(i for i, e in enumerate(ev) if e[0] == "xen.pirq")
    assert ev[pirq][2]["how"] == "vMSI: vector 0x21 to CPU1" and ev[pirq][3] == 6_010_800
    assert not [e for e in ev[pirq + 1:] if e[1] == 1 and e[3] < 6_012_000]
    sched = [i for i, e in enumerate(ev) if e[0] == "xen.sched"]
    assert ev[sched[0]][2] == {"pcpu": 0, "vcpu": 1,
                               "how": "schedule (the running vCPU blocked): vCPU1 scheduled in on pCPU0"}
    assert ev[sched[0]][3] == 6_012_000
    # then vmx_do_resume's hvm_migrate_pirqs (moved while halted), then the vector
    assert kinds[sched[0] + 1:sched[0] + 3] == [("xen.migrate", None, 6_012_000), ("apic.accept", 1, 6_012_000)]
    assert ev[sched[0] + 1][2]["how"].startswith("schedule-in on pCPU0 (last ran on pCPU1)")
    # vCPU 0, woken by QEMU's completion meanwhile, waited behind vCPU 1's handler
    assert _sched(eng) == [(6_012_000, 0, 1, "schedule (the running vCPU blocked): vCPU1 scheduled in on pCPU0"),
                           (6_012_500, 0, 0, "schedule (the running vCPU blocked): vCPU0 scheduled in on pCPU0")]
    assert totals(eng, "n0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


def test_s02_credit2_the_same_wait() -> None:
    eng = _run("s02")
    assert [(t, v) for t, _, v, _ in _sched(eng)] == [(6_012_000, 1), (6_012_500, 0)]
    s = eng.w["xen"]["sched"]
    # intx36: vCPU 0's two probes each burn 12 us more (pci_intx_for_msi's trapped Command read and write): 24 us
    # less credit than before (9,831,800); the same wait and the same schedule order
    assert "pri" not in s and s["credit"] == [9_807_800, 9_999_000]


def test_s03_credit_boost_preempts_at_the_ratelimit() -> None:
    eng = _run("s03")
    assert _sched(eng) == [
        (6_100_800, 0, 1, "schedule (a waking vCPU's tickle): vCPU1 has run 100000 ns, less than the ratelimit "
                          "(1000 us): it continues; vCPU0 waits"),
        (7_000_800, 0, 0, "schedule (the ratelimit's end): vCPU1 preempted (back on the runqueue), vCPU0 scheduled "
                          "in on pCPU0; vCPU1 waits"),
        (7_001_400, 0, 1, "schedule (the running vCPU blocked): vCPU1 scheduled in on pCPU0")]
    # vCPU 0 takes n1's vector only after the switch, once vCPU 1's step in flight has ended (7.0009 ms); no step
    # of it between 6.1 ms and then
    mine = [(k, t) for k, cpu, _, t in _events(eng, 6_100_000, 7_001_400) if cpu == 0]
    assert mine[0] == ("apic.accept", 7_000_900)
    s = eng.w["xen"]["sched"]
    assert s["pri"] == [xensched.BOOST, xensched.UNDER]   # vCPU 1's wake after the migration was not boosted


def test_s03_before_4_7_the_migrated_vcpu_is_boosted_and_not_preempted() -> None:
    # 66c7449a4d (4.7) is what leaves vCPU 1 UNDER: without it its wake-up boosts it and n1's MSI waits for the
    # storm's end (vCPU 1 blocks at 8.0014 ms)
    from tests.conftest import with_platform
    scn = with_platform(load_scenario(str(FILES[2])), xen_credit_migrate_noboost=False)
    eng = run_to_end(scn)
    assert [(t, v) for t, _, v, _ in _sched(eng)] == [(8_001_400, 0)]
    assert eng.w["xen"]["sched"]["pri"] == [xensched.BOOST, xensched.BOOST]


def test_s04_credit2_preempts_a_vcpu_past_its_ratelimit_with_less_credit() -> None:
    eng = _run("s04")
    assert _sched(eng) == [
        (7_100_800, 0, 0, "schedule (a waking vCPU's tickle): vCPU1 preempted (back on the runqueue), vCPU0 "
                          "scheduled in on pCPU0; vCPU1 waits"),
        (7_101_400, 0, 1, "schedule (the running vCPU blocked): vCPU1 scheduled in on pCPU0")]


def test_s05_credit2_no_tickle_within_the_ratelimit() -> None:
    eng = _run("s05")
    assert [(t, v) for t, _, v, _ in _sched(eng)] == [(8_001_400, 0)]
    mine = [(k, t) for k, cpu, _, t in _events(eng, 6_500_000, 8_001_400) if cpu == 0]
    assert mine[0] == ("apic.accept", 8_001_400)


def test_s06_credit2_slice_end_and_credit_reset() -> None:
    eng = _run("s06")
    assert _sched(eng) == [
        (16_000_800, 0, 0, "schedule (the time slice's end): vCPU1 preempted (back on the runqueue), vCPU0 "
                           "scheduled in on pCPU0; vCPU1 waits"),
        (16_001_400, 0, 1, "schedule (the running vCPU blocked): vCPU1 scheduled in on pCPU0")]
    assert eng.w["xen"]["sched"]["credit"][0] == xensched.CREDIT_INIT + xensched.CARRYOVER_MAX


def test_the_slice_timer_of_a_vcpu_running_alone() -> None:
    # credit: continue_running re-arms the 30 ms tslice from each expiry
    s = {"run": {0: 0}, "runq": {}, "since": [1_000_000], "tlast": {0: 1_000_000}, "pri": [-1], "migr": [False]}

    class W:
        behaviour = {"xen_sched": "credit", "xen_sched_ratelimit": True}
    assert xensched._timer(W, s, 0, 0, 5_000_000) == 31_000_000
    assert xensched._timer(W, s, 0, 0, 40_000_000) == 61_000_000
    # credit2: 10 ms of credit, then a reset at 0 gives 10 ms more (clipped at 10.5 ms), each slice at most 10 ms
    s2 = {"run": {0: 0}, "runq": {}, "since": [0], "tlast": {0: 0}, "credit": [4_000_000], "burnt": [0]}
    assert xensched._timer(W, s2, 0, 0, 1) == 4_000_000
    assert xensched._timer(W, s2, 0, 0, 4_000_001) == 14_000_000


def test_no_shared_pcpu_no_scheduler_event_and_determinism() -> None:
    eng = _run("s01")
    again = _run("s01")
    assert state_hash(eng.w) == state_hash(again.w)
    # the same run without the migration shares nothing: the guest runs as before (no xen.sched)
    import dataclasses
    scn = load_scenario(str(FILES[0]))
    scn = dataclasses.replace(scn, run=[a for a in scn.run if a.do != "vcpu_migrate"])
    plain = run_to_end(scn)
    assert not _sched(plain)
    assert totals(plain, "n0")["delivered"] == 2


def test_time_travel_across_a_preemption_replays_the_same_run() -> None:
    from msidbg.debugger import Session
    s = Session.from_scenario(str(FILES[2]))
    s.run()
    end, total = state_hash(s.world), s.total
    # back to an event while vCPU 0 waits on the runqueue (between the tickle and the ratelimit's end), then on
    waiting = next(i for i, e in enumerate(s.events(0, s.total)) if e.kind == "xen.sched") + 5
    s.seek(waiting)
    assert s.world["xen"]["sched"]["runq"] == {0: [0]}
    s.run()
    assert (state_hash(s.world), s.total) == (end, total)


def test_s07_a_spinning_vcpu_yields_at_its_pause_loop_exit() -> None:
    eng = _run("s07")
    sched = _sched(eng)
    yields = [(t, v) for t, _, v, how in sched if how.startswith("schedule (a PAUSE-loop exit")]
    # vCPU 1 spins on desc->lock held by vCPU 0's free_irq: it yields 2048 ns after vCPU 0 became runnable (QEMU's
    # completion at 7.113 ms), and after each later return while it still spins; then vCPU 0 spins in
    # synchronize_irq and yields to vCPU 1 once
    assert yields == [(7_115_048, 0), (7_129_148, 0), (7_131_248, 0), (7_155_248, 0), (7_157_448, 1)]
    assert sched[2] == (7_115_048, 0, 0, "schedule (a PAUSE-loop exit: the spinning vCPU yields): vCPU1 yields "
                                         "(back on the runqueue), vCPU0 scheduled in on pCPU0; vCPU1 waits")
    done = [t for k, _, f, t in _events(eng) if k == "action.done" and f["do"] == "free_irq"]
    assert done == [7_158_100]


def test_s07_without_a_waiter_a_spin_does_not_yield() -> None:
    # the same free_irq with vCPU 1 on its own pCPU: no scheduler event at all
    import dataclasses
    scn = load_scenario(str(DIR / "s07-x4192-ple-yield-lock-holder.yaml"))
    scn = dataclasses.replace(scn, run=[a for a in scn.run if a.do != "vcpu_migrate"])
    assert not _sched(run_to_end(scn))


def test_s08_a_running_vcpu_migrated_onto_a_busy_pcpu_waits_and_migrates_its_pirqs_at_schedule_in() -> None:
    eng = _run("s08")
    ev = [(k, f.get("how"), t) for k, _, f, t in _events(eng, 6_500_000) if k in ("xen.migrate", "xen.sched")]
    assert ev == [
        ("xen.migrate", "no pirq follows it; another vCPU runs on that pCPU: it waits on the runqueue, "
                        "hvm_migrate_pirqs at its schedule-in there", 6_500_000),
        ("xen.sched", "schedule (the running vCPU blocked): vCPU1 scheduled in on pCPU0", 7_001_300),
        ("xen.migrate", "schedule-in on pCPU0 (last ran on pCPU1): vmx_do_resume runs hvm_migrate_pirqs: pending "
                        "moves of pirq 101 to pCPU0", 7_001_300)]
    # no step of vCPU 1 between the migration and its schedule-in
    assert not [e for e in _events(eng, 6_500_001, 7_001_299) if e[1] == 1]


@pytest.mark.parametrize("corrupt", [
    lambda s: s.update(run={0: 7}), lambda s: s.update(since=[0]), lambda s: s.update(runq={"0": [1]}),
    lambda s: s.update(pri=None), lambda s: s.pop("tlast"), lambda s: s.update(migr=[0, 0])])
def test_a_malformed_scheduler_state_turns_the_scheduler_off(corrupt: Any) -> None:
    # a snapshot's world is untrusted: Model.bind checks the state once; the hot paths then trust it
    from msidbg.model import Model, new_engine
    eng = new_engine(load_scenario(str(FILES[0])))
    assert isinstance(eng.model.xsched, xensched.Sched)
    corrupt(eng.w["xen"]["sched"])
    model = Model()
    eng.model = model
    model.bind(eng)
    assert model.xsched is None
    while eng.step():
        pass
    assert not _sched(eng)
