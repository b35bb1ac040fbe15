"""xen36: credit's csched_acct (reading ``xen.sched.credit-acct``; RELEASE-4.1.0, 4.8.0, 4.11.0 sched_credit.c,
RELEASE-4.19.0 sched/credit.c): credits burnt by the run, the active list (a vCPU found running by a tick), a fair
share every 30 ms, UNDER / OVER by the credit's sign, the bounds, the halving, the balance, csched_runq_sort.

a01 / a02 (tests/xen36/*.yaml): tests/xen33 a02's offline on a PV guest at 4.11 and 4.1, the state read after the
30 ms and 60 ms accounting. The unit cases run ``_settle`` on a hand-made state: a pool with fewer pCPUs than active
vCPUs (what a pCPU offline leaves: csched_deinit_pdata's ``prv->credit -= prv->credits_per_tslice``) makes them OVER.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger.headless import check
from msidbg.model import new_engine
from msidbg.model import xensched as X
from msidbg.scenario import load_scenario

DIR = Path(__file__).resolve().parent / "xen36"
FILES = sorted(DIR.glob("*.yaml"))
MS = 1_000_000


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_xen36_scenario_matches_its_expect(path: Path) -> None:
    assert check(load_scenario(str(path))) == []


def _snap(s: dict[str, Any]) -> tuple[Any, ...]:
    return list(s["cr"]), list(s["act"]), list(s["pri"]), list(s["acct"])


@cache
def _states(prefix: str) -> tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]:
    """The scheduler's credit state after the first event at or past 33 ms (the slice's end on pCPU 1, which
    settles the 30 ms csched_acct), at or past 63 ms (the 60 ms one) and at the end."""
    (path,) = DIR.glob(f"{prefix}-*.yaml")
    eng = new_engine(load_scenario(str(path)))
    s = eng.w.xen["sched"]
    got: list[tuple[Any, ...]] = []
    marks = [33 * MS, 63 * MS]
    while eng.advance(1):
        if marks and eng.w.now >= marks[0]:
            got.append(_snap(s))
            marks.pop(0)
    return got[0], got[1], _snap(s)


def test_a01_the_30ms_acct_credits_each_active_vcpu_a_slice() -> None:
    (cr, act, pri, acct), _, _ = _states("a01")
    # vCPUs 0 and 1 ran from 3 ms, vCPU 3 from 3 ms too (-500 ns burnt before); each found running by the 10 ms tick:
    # active. k = 3 active, pool 4: credit_fair = min(4, 3) slices -> 300 credits (30 ms) each
    assert act == [True, True, False, True]
    # (intx36: vCPU 0's two probes each make one more pcifront write -- pci_intx_for_msi's Interrupt Disable,
    # dropped by pciback -- 12 us each: -158.8 us burnt before 3 ms, was -134.8 us)
    assert cr[0] == -158_800 - (30 * MS - 3 * MS) + 30 * MS == 2_841_200
    assert cr[3] == -500 - 27 * MS + 30 * MS == 2_999_500
    # vCPU 1, preempted at 33 ms, burnt its 3 ms past the acct: 0
    assert cr[1] == 0
    # vCPU 2 (never run over a tick) earned nothing; everyone UNDER (vCPU 0's BOOST ended by the acct)
    assert cr[2] == 0 and pri == [X.UNDER] * 4
    # [next settle: the runq sort at the 40 ms tick, next acct 60 ms, sort pending, balance, pool]
    assert acct == [40 * MS, 60 * MS, 40 * MS, 2_841_200 + 0 + 2_999_500 + 3 * MS, 4]


def test_a01_the_60ms_acct_and_the_end() -> None:
    _, (cr, act, pri, acct), (cr_end, act_end, pri_end, acct_end) = _states("a01")
    # vCPU 2 ran 33 -> 60 ms (active at its 40 ms tick), preempted at 63: 0 -27 +30 -3 ms; vCPU 1 waited: 0 + 30 ms,
    # not above a slice's credits, so it stays on the active list
    assert act == [True, True, True, True]
    assert cr == [2_841_200, 30 * MS, 0, 2_999_500]
    assert pri == [X.UNDER] * 4
    assert acct[3] == 2_841_200 + 30 * MS + 3 * MS + 2_999_500     # (vCPU 2 had 3 ms left at 60 ms)
    # the end: vCPU 1 ran 63 -> 64.0044 ms, vCPU 3 60 -> 64.0045 (taken down), vCPU 0 to 64.0044 and 64.0045 -> 64.0095
    assert cr_end == [2_841_200 - 4_009_400, 30 * MS - 1_004_400, 0, 2_999_500 - 4_004_500]
    assert pri_end == [X.BOOST, X.UNDER, X.UNDER, X.UNDER] and act_end == [True] * 4
    assert acct_end[:2] == [70 * MS, 90 * MS]


def test_a02_41_same_accounting_and_a_boost_kept_to_the_acct() -> None:
    (cr, act, pri, _), (cr2, _, pri2, _), _ = _states("a02")
    # 4.1: the migration's wake-up BOOSTs vCPU 2 (no CSCHED_FLAG_VCPU_MIGRATING), scheduled in at 33 ms still BOOST
    # (csched_acct leaves an inactive vCPU's priority alone); active by its 40 ms tick, the 60 ms acct makes it UNDER
    assert pri == [X.UNDER, X.UNDER, X.BOOST, X.UNDER] and act == [True, True, False, True]
    assert cr[1] == 0 and cr2[1] == 30 * MS
    assert pri2 == [X.UNDER] * 4


def _state(n: int, pool: int, running: dict[int, int]) -> dict[str, Any]:
    return {"run": dict(running), "runq": {}, "since": [0] * n, "tlast": {}, "pri": [X.UNDER] * n,
            "migr": [False] * n, "cr": [0] * n, "act": [False] * n, "st": [0] * n,
            "acct": [X.TSLICE, X.TSLICE, -1, 0, pool]}


def test_a_pool_short_of_pcpus_makes_continuous_runners_over() -> None:
    # two vCPUs running on two pCPUs from 0, the pool's credit one pCPU's (a pCPU offline): 150 credits each
    s = _state(2, 1, {0: 0, 1: 1})
    X._settle(s, 30 * MS)
    assert s["act"] == [True, True]
    assert s["cr"] == [-15 * MS, -15 * MS] and s["pri"] == [X.OVER, X.OVER]
    assert s["acct"][3] == -30 * MS
    # the next: the negative balance converges (credit_total and credit_peak + 300): 300 credits each, still OVER
    X._settle(s, 60 * MS)
    assert s["cr"] == [-15 * MS, -15 * MS] and s["pri"] == [X.OVER, X.OVER]
    # with the pool's second pCPU back: 300 + 150 each (the balance), which covers the run: 0, UNDER
    s["acct"][4] = 2
    X._settle(s, 90 * MS)
    assert s["cr"] == [0, 0] and s["pri"] == [X.UNDER, X.UNDER]


def test_the_bounds_and_the_active_list() -> None:
    s = _state(3, 3, {0: 0})
    s["act"] = [True, True, True]
    s["cr"] = [0, 40 * MS, -90 * MS]    # vCPU 1 idle with credit, vCPU 2 far in the red
    s["st"] = [0, 0, 0]
    X._settle(s, 30 * MS)
    # vCPU 0 burnt 30 ms, +30 ms: 0 UNDER; vCPU 1 70 ms > a slice: off the active list with half; vCPU 2 -60 -> -30
    assert s["cr"] == [0, 35 * MS, -30 * MS]
    assert s["act"] == [True, False, True]
    assert s["pri"] == [X.UNDER, X.UNDER, X.OVER]


def test_nobody_active_resets_the_balance_and_sorts_nothing() -> None:
    s = _state(2, 2, {})
    s["acct"][3] = -7
    X._settle(s, 30 * MS)
    assert s["acct"] == [60 * MS, 60 * MS, -1, 0, 2]


def test_runq_sort_at_the_next_tick_puts_under_ahead_of_over() -> None:
    # vCPU 0 runs pCPU 0; vCPU 1 (active, in the red) waits ahead of vCPU 2 (inactive, UNDER)
    s = _state(3, 3, {0: 0})
    s["runq"] = {0: [1, 2]}
    s["act"] = [False, True, False]
    s["cr"] = [0, -50 * MS, 0]
    X._settle(s, 30 * MS)
    assert s["pri"][1] == X.OVER and s["runq"][0] == [1, 2]     # (the acct only bumps runq_sort)
    X._settle(s, 40 * MS - 1)
    assert s["runq"][0] == [1, 2]
    X._settle(s, 40 * MS)                                       # pCPU 0's tick: csched_runq_sort
    assert s["runq"][0] == [2, 1] and s["acct"][0] == 60 * MS
    # csched_schedule's __runq_insert: an UNDER runner goes ahead of an OVER waiter, so it continues
    order = [1]
    X._insert(s, order, 0)
    assert order == [0, 1]


def test_a01_with_a_pool_of_one_pcpu_the_slice_ends_name_the_over_waiters() -> None:
    # a01 with the pool's credit one pCPU's (what a pCPU offline's csched_deinit_pdata leaves; no scenario input
    # does this yet): the 30 ms acct gives each of the 3 active vCPUs 100 credits, so they are OVER; at 33 ms
    # vCPU 2 (inactive: UNDER) is scheduled in ahead of vCPU 1 (OVER), at 63 ms vCPU 1 (-20 ms + 20.28 ms: UNDER,
    # the negative balance shared out) ahead of vCPU 2 (0 - 27 ms + 20.28 ms: OVER)
    (path,) = DIR.glob("a01-*.yaml")
    eng = new_engine(load_scenario(str(path)))
    s = eng.w.xen["sched"]
    s["acct"][4] = 1
    while eng.advance(4096):
        pass
    got = [(e.time_ns, e.fields["vcpu"], e.fields["how"]) for e in eng.log.events(0, len(eng.log))
           if e.kind == "xen.sched" and e.fields["pcpu"] == 1 and e.time_ns in (33 * MS, 63 * MS)]
    assert got == [
        (33 * MS, 2, "schedule (the time slice's end): vCPU1 preempted (back on the runqueue), vCPU2 scheduled in on "
                     "pCPU1; vCPU1 waits (OVER, out of credit: vCPU1)"),
        (63 * MS, 1, "schedule (the time slice's end): vCPU2 preempted (back on the runqueue), vCPU1 scheduled in on "
                     "pCPU1; vCPU2 waits (OVER, out of credit: vCPU2)")]
    # vCPU 2: 0 - 27 ms + ceil((30 ms + 51.1593 ms of negative balance) / 4) at 60 ms, - 3 ms to 63 ms (intx36:
    # vCPU 0's two dropped pcifront Command writes burn 24 us more before 3 ms: the balance 24 us more negative)
    assert s["pri"][2] == X.OVER and s["cr"][2] == -27 * MS + 20_289_825 - 3 * MS
