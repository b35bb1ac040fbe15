"""Xen's scheduler on the host pCPUs: one running vCPU per pCPU, its runqueue, block and wake, preemption.

A host pCPU runs one vCPU at a time (``curr_on_cpu``). The guest's vCPU n starts on pCPU n (``w.xen["pcpu"]``);
a scenario's ``vcpu_migrate`` can put two of them on one pCPU, where the one that runs keeps it until it blocks
(the guest's ``hlt`` -> ``vcpu_block``, an ioreq's ``_VPF_blocked_in_xen``, an offline vCPU's ``_VPF_down``), is
preempted by a waking vCPU the scheduler prefers, or reaches the end of its time slice (``s_timer`` ->
``schedule()``). A vCPU that is runnable while another runs on its pCPU waits on that pCPU's runqueue: no step
of it runs, and an interrupt for it (``vlapic_set_irq`` / the event channel upcall) waits in its vLAPIC's IRR or
``evtchn_upcall_pending`` until its schedule-in.

A vCPU whose stopper thread spins in stop_machine's multi_cpu_stop (a PAUSE loop, ``hotplug.stop_spin``) is off the
agenda but running: it keeps its pCPU until a tickle, its slice's end or (HVM) a PAUSE-loop exit yields it to a
waiter with work (``stop_spin``, ``kick``; reading ``kernel.hotplug.stopper-spins``, xen33). credit's priorities
follow ``csched_tick``: a running vCPU's BOOST ends at the first 10 ms tick (``_tick``, reading
``xen.sched.credit-tick``), and ``csched_acct`` every 30 ms (``_settle``, reading ``xen.sched.credit-acct``, xen36):
credits burnt by the ns a vCPU runs, a fair share credited to each active vCPU, UNDER or OVER by the sign.

Which scheduler is the release's default (``platform.xen_sched``): credit (xen/common/sched_credit.c) before 4.12,
credit2 (sched_credit2.c; sched/credit2.c from 4.13) from 4.12 (dafd936ddd). Readings ``xen.sched.*``
(msidbg/model/xencite.py).

State (``w.xen["sched"]``, built with Xen's): ``run`` (pCPU -> the vCPU it runs; absent: idle), ``runq`` (pCPU ->
the runnable vCPUs waiting there, in the order the scheduler picks them), ``since`` (each vCPU's
``runstate.state_entry_time`` of its running state), ``tlast`` (pCPU -> the time of its last ``schedule()``, the
base of its ``s_timer``), and per scheduler ``pri`` / ``migr`` (credit: BOOST or UNDER, the
CSCHED_FLAG_VCPU_MIGRATING bit; with csched_acct, xen36: ``cr`` each vCPU's credit in ns of run, ``act`` on its
domain's active list, ``st`` its burn_credits start_time, ``acct`` [the next time ``_settle`` has work, the next
csched_acct, the pending csched_runq_sort (-1: none), credit_balance, the pool's pCPUs]) or ``credit`` / ``burnt`` (credit2: a vCPU's credit in ns and when it was last
burnt). A vCPU waiting on a runqueue keeps its CPU record's ``queued`` flag set (it is runnable) with no agenda
item: every wake-up path tests that flag first. An agenda item ``[t, seq, "xen", "sched", pcpu, why]`` is the
pCPU's next ``schedule()`` (its ``s_timer``, or ``SCHEDULE_SOFTIRQ`` raised by a tickle or a block).
"""

from __future__ import annotations

from typing import Any

from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.sim.events import INT, STR, kind

World = Any

XEN_SCHED = kind("xen.sched", ("pcpu", INT), ("vcpu", INT), ("how", STR),
                 doc="Xen's scheduler on a host pCPU: a vCPU waits on its runqueue, or schedule() switches to "
                     "another vCPU or lets the running one continue")

# credit (xen/common/sched_credit.c)
BOOST, UNDER, OVER = 0, -1, -2  # CSCHED_PRI_TS_BOOST, CSCHED_PRI_TS_UNDER, CSCHED_PRI_TS_OVER
# csched_acct: every prv->tslice (30 ms; CSCHED_MSECS_PER_TICK * CSCHED_TICKS_PER_ACCT in 4.1) each active vCPU is
# credited its fair share; credits_per_tslice (CSCHED_CREDITS_PER_MSEC 10 x 30 ms: 300, CSCHED_CREDITS_PER_ACCT in
# 4.1) is the most one earns and the bound either way. msidbg holds credits in ns of run (one credit: 100 us), so
# a slice's credits are TSLICE
TSLICE = 30_000_000             # CSCHED_DEFAULT_TSLICE_MS (4.2..; CSCHED_MSECS_PER_TSLICE before): 30 ms
RATELIMIT = 1_000_000           # SCHED_DEFAULT_RATELIMIT_US (64908a0466, 4.2): 1000 us
MIN_TIMER = 100_000             # CSCHED_MIN_TIMER = XEN_SYSCTL_SCHED_RATELIMIT_MIN: 100 us
TICK = 10_000_000               # tick_period_us = tslice / CSCHED_TICKS_PER_TSLICE (3): 10 ms (CSCHED_MSECS_PER_TICK)
# credit2 (xen/common/sched_credit2.c)
CREDIT_INIT = 10_000_000        # CSCHED2_CREDIT_INIT: 10 ms
C2_MIN_TIMER = 500_000          # CSCHED2_MIN_TIMER: 500 us
C2_MAX_TIMER = CREDIT_INIT      # CSCHED2_MAX_TIMER (da92ec5bd1, 4.8; xen_credit2_max_timer_10ms)
C2_MAX_TIMER_OLD = 2_000_000    # CSCHED2_MAX_TIMER before it: MILLISECS(2)
CARRYOVER_MAX = C2_MIN_TIMER    # CSCHED2_CARRYOVER_MAX
TICKLE_TOLERANCE = 50_000       # CSCHED2_RATELIMIT_TICKLE_TOLERANCE: 50 us
# VMX Pause-Loop Exiting (xen/arch/x86/hvm/vmx/vmcs.c ple_window = 4096, "a counter that runs at the same rate as
# the TSC"): a guest PAUSE loop longer than that exits, and vmx_vmexit_handler yields (SCHEDOP_yield). The host's
# TSC rate is not modelled: 4096 ticks at 2 GHz
PLE_WINDOW_NS = 2048
#: (a bound on the s_timer expiries of a vCPU running alone that ``_timer`` walks to find the next one)
MAX_PASSES = 100_000


def build(w: World) -> None:
    """The scheduler's state: every vCPU blocked (the guest idle) at the start, credit's UNDER priority,
    credit2's initial credit."""
    n = len(w.cpus)
    s: dict[str, Any] = {"run": {}, "runq": {}, "since": [0] * n, "tlast": {}}
    if w.behaviour.get("xen_sched") == "credit2":
        s["credit"] = [CREDIT_INIT] * n
        s["burnt"] = [0] * n
    else:
        s["pri"] = [UNDER] * n
        s["migr"] = [False] * n
        # csched_acct (xen36): credit 0 and off the active list (csched_alloc_vdata), the master ticker's first run
        # one tslice in; the pool is the guest's pCPUs (prv->ncpus; any more give the same shares: ``_acct``)
        s["cr"] = [0] * n
        s["act"] = [False] * n
        s["st"] = [0] * n
        s["acct"] = [TSLICE, TSLICE, -1, 0, n]
        if _yield_limited(w):
            s["yld"] = [False] * n      # CSCHED_FLAG_VCPU_YIELD kept past a rate-limited yield (before 9fdd2f3c9c)
    w.xen["sched"] = s


def state(w: World) -> dict[str, Any] | None:
    """The scheduler's state (checked when a world is bound: ``valid``)."""
    x = w.get("xen")
    s = x.get("sched") if x else None
    return s if type(s) is dict else None


def _ints(v: Any, n: int, kind: type = int) -> bool:
    return type(v) is list and len(v) == n and all(type(i) is kind for i in v)


def valid(w: World) -> bool:
    """Whether the world's scheduler state is well formed (a snapshot's world is untrusted): ``Model.bind`` runs
    the scheduler only then (otherwise the run goes on as if there were none)."""
    s = state(w)
    n = len(w.cpus)
    pcpus = w.xen.get("pcpu") if s is not None else None
    if s is None or not _ints(pcpus, n) or not _ints(s.get("since"), n):
        return False
    for key in ("run", "runq", "tlast"):
        m = s.get(key)
        if type(m) is not dict or not all(type(k) is int for k in m):
            return False
    if not all(type(v) is int and 0 <= v < n for v in s["run"].values()) \
            or not all(type(t) is int for t in s["tlast"].values()) \
            or not all(type(q) is list and all(type(v) is int and 0 <= v < n for v in q) for q in s["runq"].values()):
        return False
    if "credit" in s:
        return _ints(s["credit"], n) and _ints(s.get("burnt"), n)
    if "yld" in s and not _ints(s["yld"], n, bool):
        return False
    if "cr" in s:
        a: Any = s.get("acct")
        if not (_ints(s["cr"], n) and _ints(s.get("act"), n, bool) and _ints(s.get("st"), n) and _ints(a, 5)
                and a[1] > 0 and a[4] > 0):
            return False
    return _ints(s.get("pri"), n) and _ints(s.get("migr"), n, bool)


def _credit2(s: dict[str, Any]) -> bool:
    return "credit" in s


def _tick(s: dict[str, Any], v: int, now: int) -> None:
    """credit's csched_tick on the pCPU running ``v`` since ``since[v]``: csched_vcpu_acct ends a BOOST ('it's
    consuming a non-negligeable amount of CPU resources and should no longer be boosted') at the first tick after
    its schedule-in. The pCPU's ticker runs every 10 ms at multiples of the period (csched_tick_resume re-arms it
    at ``now + period - now % period`` after an idle pCPU's suspend): read when a decision needs the priority
    (reading ``xen.sched.credit-tick``). Credit accounting proper (csched_acct: OVER) is not represented."""
    pri = s.get("pri")
    if pri is not None and pri[v] == BOOST and now // TICK > s["since"][v] // TICK:
        pri[v] = UNDER


# --- credit's accounting: csched_acct (xen36) -------------------------------------------------------------------
def _settle(s: dict[str, Any], now: int) -> None:
    """The master ticker's ``csched_acct`` runs due by ``now`` (at multiples of the 30 ms tslice, each after that
    instant's ``csched_tick``) and the ``csched_runq_sort`` each pCPU's next tick makes after one; read lazily
    before anything reads or changes a priority, the running vCPUs or a runqueue (``Sched.wake`` / ``block``,
    ``_schedule``, ``migrate``), so every vCPU in ``run`` has run since its ``st`` (reading
    ``xen.sched.credit-acct``)."""
    a = s["acct"]
    t = a[1]
    while t <= now:
        if 0 <= a[2] <= t:
            _runq_sort(s)
            a[2] = -1
        if not s["run"] and True not in s["act"]:
            # (nobody running, nobody active: every run to ``now`` resets the balance and nothing else)
            a[3] = 0
            t += (now - t) // TSLICE * TSLICE + TSLICE
            break
        _acct(s, t)
        t += TSLICE
    a[1] = t
    if 0 <= a[2] <= now:
        _runq_sort(s)
        a[2] = -1
    a[0] = t if a[2] < 0 else min(t, a[2])


def _ran(s: dict[str, Any], v: int, now: int) -> None:
    """VCPU ``v`` stops running (it blocks, is preempted or yields, migrates away) at ``now``: ``burn_credits``
    from its start_time, and the ticks it ran through put it on the active list (csched_tick -> csched_vcpu_acct
    -> __csched_vcpu_acct_start). (Xen burns at every tick and schedule() too: the sum is the same.)"""
    st = s.get("st")
    if st is not None and now > st[v]:
        if now // TICK > st[v] // TICK:
            s["act"][v] = True
        s["cr"][v] -= now - st[v]
        st[v] = now


def _acct(s: dict[str, Any], t: int) -> None:
    """``csched_acct`` at ``t`` for the guest, alone in its pool at its default weight, no cap: the running vCPUs'
    tick at ``t`` first (burnt to ``t``, put on the active list), then each active vCPU gets its fair share --
    credit_peak (a full slice's credits each, plus the negative balance) unless the pool's credit (its pCPUs'
    slices, plus the negative balance) is less -- rounded up per vCPU; a credit below 0 makes it OVER (bounded at
    minus a slice's), else UNDER, and above a slice's it leaves the active list with half (it stops earning). The
    balance is the sum; a run with nobody active resets it and sorts nothing."""
    st, cr, act = s["st"], s["cr"], s["act"]
    for v in s["run"].values():
        if t > st[v]:
            act[v] = True
            cr[v] -= t - st[v]
            st[v] = t
    a = s["acct"]
    k = act.count(True)
    if not k:
        a[3] = 0        # 'if ( unlikely(weight_total == 0) ) { prv->credit_balance = 0; ... goto out; }'
        return
    extra = -a[3] if a[3] < 0 else 0
    peak = k * TSLICE + extra       # (-credit_balance * weight * count + weight_total - 1) / weight_total: exact
    total = a[4] * TSLICE + extra   # credit_fair = credit_total * weight * count / weight_total (one domain)
    fair = -(-min(total, peak) // k)
    pri = s["pri"]
    bal = 0
    for v in range(len(act)):
        if not act[v]:
            continue
        c = cr[v] + fair
        if c < 0:
            pri[v] = OVER
            if c < -TSLICE:
                c = -TSLICE     # 'Lower bound on credits'
        else:
            pri[v] = UNDER
            if c > TSLICE:
                act[v] = False  # __csched_vcpu_acct_stop_locked: 'Upper bound on credits means VCPU stops earning'
                c //= 2
        cr[v] = c
        bal += c
    a[3] = bal
    a[2] = t + TICK     # prv->runq_sort++: each pCPU sorts its runqueue at its next tick


def _runq_sort(s: dict[str, Any]) -> None:
    """``csched_runq_sort``: every vCPU of UNDER or BOOST moves ahead of the OVER ones, each kind in its order."""
    pri = s["pri"]
    for q in s["runq"].values():
        if any(pri[u] < UNDER for u in q):
            q[:] = [u for u in q if pri[u] >= UNDER] + [u for u in q if pri[u] < UNDER]


def _ratelimit(w: World) -> int:
    """The scheduler's ratelimit: credit's from 64908a0466 (4.2), credit2's from 2615485905 (4.8)."""
    b = w.behaviour
    if b.get("xen_sched") == "credit2":
        return RATELIMIT if b.get("xen_credit2_ratelimit", True) else 0
    return RATELIMIT if b.get("xen_sched_ratelimit", True) else 0


def _c2_max(w: World) -> int:
    """CSCHED2_MAX_TIMER: CSCHED2_CREDIT_INIT from da92ec5bd1 (4.8), 2 ms before."""
    return C2_MAX_TIMER if w.behaviour.get("xen_credit2_max_timer_10ms", True) else C2_MAX_TIMER_OLD


def _yield_op(w: World) -> bool:
    """Whether SCHEDOP_yield reaches the scheduler's own yield (credit: CSCHED_FLAG_VCPU_YIELD, 5fc9f5ef6c, 4.1;
    credit2: __CSFLAG_vcpu_yield, a7fa4d5f53, 4.8). Before, do_yield only raised SCHEDULE_SOFTIRQ: schedule()
    decides as for any other reason (reading xen.sched.yield-by-release)."""
    b = w.behaviour
    if b.get("xen_sched") == "credit2":
        return bool(b.get("xen_credit2_yield", True))
    return bool(b.get("xen_credit_yield_flag", True))


def _yield_limited(w: World) -> bool:
    """credit before 9fdd2f3c9c (4.8; ``xen_credit_yield_no_ratelimit`` false): csched_schedule's ratelimit test
    does not look at CSCHED_FLAG_VCPU_YIELD, so a yield within the ratelimit is rate-limited too."""
    return (w.behaviour.get("xen_sched") != "credit2" and bool(w.behaviour.get("xen_sched_ratelimit", True))
            and not w.behaviour.get("xen_credit_yield_no_ratelimit", True))


# --- credit2's credits -----------------------------------------------------------------------------------------
def _burn(s: dict[str, Any], v: int, now: int) -> None:
    """``burn_credits``: a running vCPU's credit goes down by the time it ran since it was last burnt (t2c at
    equal weights: one credit per ns)."""
    if now > s["burnt"][v]:
        s["credit"][v] -= now - s["burnt"][v]
        s["burnt"][v] = now


def _reset_credit(w: World, s: dict[str, Any], snext: int, now: int) -> None:
    """``reset_credit`` (the chosen vCPU has no credit left): every vCPU of the runqueue -- the guest's, on one
    socket -- gets CREDIT_INIT more (m times for one far in the red), at most CREDIT_INIT + CARRYOVER_MAX."""
    m = 1
    if s["credit"][snext] < -CREDIT_INIT:
        m += -s["credit"][snext] // CREDIT_INIT
    for v in range(len(s["credit"])):
        if s["run"].get(w.xen["pcpu"][v]) == v:
            _burn(s, v, now)
        c = s["credit"][v] + CREDIT_INIT * m
        s["credit"][v] = min(c, CREDIT_INIT + CARRYOVER_MAX)


def _c2_runtime(w: World, s: dict[str, Any], p: int, v: int, now: int) -> int:
    """``csched2_runtime``: how long ``v`` runs before the pCPU's next schedule(): until its credit would reach
    the first waiter's (or 0), at least CSCHED2_MIN_TIMER and what is left of the ratelimit, at most
    CSCHED2_MAX_TIMER."""
    min_time = C2_MIN_TIMER
    rl = _ratelimit(w)
    if rl:
        left = s["since"][v] + rl - now
        min_time = max(min_time, left)
    rt = s["credit"][v]
    q = s["runq"].get(p) or []
    if q and s["credit"][q[0]] > 0:
        rt = s["credit"][v] - s["credit"][q[0]]
    t = rt if rt > 0 else 0
    return min(max(t, min_time), _c2_max(w))


# --- the pCPU's s_timer ----------------------------------------------------------------------------------------
def _timer(w: World, s: dict[str, Any], p: int, v: int, now: int) -> int:
    """When the s_timer of pCPU ``p``, running ``v`` alone since its last schedule(), next expires at or after
    ``now``: each expiry with nobody waiting is a schedule() that lets it continue (``continue_running``) and
    arms the next slice (credit: the tslice; credit2: ``csched2_runtime``, its credit burnt, reset at 0)."""
    t = max(s["tlast"].get(p, 0), s["since"][v])
    if not _credit2(s):
        if t + TSLICE >= now:
            return t + TSLICE
        return t + TSLICE * (-(-(now - t) // TSLICE))
    credit = s["credit"][v] - (t - s["burnt"][v])     # (its credit at that schedule())
    rl = _ratelimit(w)
    for _ in range(MAX_PASSES):
        # (the pass at t: reset at 0, arm the next slice, burn it)
        if credit <= 0:
            m = 1 + (-credit // CREDIT_INIT if credit < -CREDIT_INIT else 0)
            credit = min(credit + CREDIT_INIT * m, CREDIT_INIT + CARRYOVER_MAX)
        min_time = max(C2_MIN_TIMER, s["since"][v] + rl - t) if rl else C2_MIN_TIMER
        run = min(max(credit if credit > 0 else 0, min_time), _c2_max(w))
        t += run
        credit -= run
        if t >= now:
            return t
    return now


def _arm(eng: Any, p: int, t: int, why: str) -> None:
    """Set pCPU ``p``'s next schedule() at ``t`` (one s_timer per pCPU; a softirq raised now comes first)."""
    # (``_sched_item``'s test inline, in one pass: the earliest such item's time, -1 when there is none)
    first = -1
    for it in eng.agenda.values():
        if len(it) > 4 and it[3] == "sched" and it[4] == p and it[2] == "xen" and (
                len(it) < 6 or it[5] not in ("note", "yield")) and (first < 0 or it[0] < first):
            first = it[0]
    if 0 <= first <= t:
        return
    if first >= 0:
        eng.unschedule(lambda it: _sched_item(it, p))
    eng.schedule(t, "xen", "sched", p, why)


def _over(s: dict[str, Any], q: list[int]) -> str:
    """The waiters csched_acct left OVER (credit), which wait behind every UNDER vCPU (xen36)."""
    pri = s.get("pri")
    over = [u for u in q if pri[u] == OVER] if pri is not None else []
    return "" if not over else " (OVER, out of credit: vCPU" + ", vCPU".join(map(str, over)) + ")"


def _waiting(q: list[int]) -> str:
    return "" if not q else "; vCPU" + ", vCPU".join(map(str, q)) + (" waits" if len(q) == 1 else " wait")


def _sched_item(it: list[Any], p: int) -> bool:
    """Whether agenda item ``it`` is pCPU ``p``'s next schedule() by its s_timer or a softirq (not the note of one
    already made, nor a PAUSE-loop exit ahead: ``_yield_item``)."""
    return len(it) > 4 and it[2] == "xen" and it[3] == "sched" and it[4] == p and (
        len(it) < 6 or it[5] not in ("note", "yield"))


def _yield_item(it: list[Any], p: int) -> bool:
    return len(it) > 5 and it[2] == "xen" and it[3] == "sched" and it[4] == p and it[5] == "yield"


def _arm_yield(eng: Any, p: int, t: int) -> None:
    """The PAUSE-loop exit of the vCPU spinning on pCPU ``p`` at ``t`` (one at a time). The one place a PAUSE-loop
    exit goes on the agenda: the bound ``Sched`` no longer knows its agenda to hold none (``Sched.noyield``)."""
    xs = eng.model.xsched
    # (the bound ``Sched`` may know the agenda to hold no exit of any pCPU: then there is none of ``p``, unscanned)
    if (xs is not None and xs.noyield is eng.agenda) or not any(_yield_item(it, p) for it in eng.agenda.values()):
        if xs is not None:
            xs.noyield = None
        eng.schedule(t, "xen", "sched", p, "yield")


def _insert(s: dict[str, Any], q: list[int], v: int, yielding: bool = False) -> None:
    """``__runq_insert`` (credit: after every vCPU of the same or a higher priority; a yielding one behind one
    lower-priority vCPU more) / ``runq_insert`` (credit2: before the first with less credit)."""
    if _credit2(s):
        key = s["credit"]
        i = next((i for i, u in enumerate(q) if key[v] > key[u]), len(q))
    else:
        key = s["pri"]
        i = next((i for i, u in enumerate(q) if key[v] > key[u]), len(q))
        if yielding and i < len(q):
            i += 1      # 'If the vcpu yielded, try to put it behind one lower-priority runnable vcpu'
    q.insert(i, v)


# --- wake and block --------------------------------------------------------------------------------------------
class Sched:
    """The scheduler's entry points on the hot path (``Model.xsched``), bound to one world's state: ``Model.bind``
    builds one for every world it installs whose state is ``valid`` (time travel and restores go through it), so
    the containers it holds -- ``w.xen["pcpu"]`` and the state's lists and maps, which the model only ever updates
    in place -- are that world's. A vCPU woken onto an idle pCPU, or blocking with nobody waiting, is a few list
    and map writes here, without the dict lookups of the state's keys on every call (perf31)."""

    __slots__ = ("w", "s", "pcpu", "run", "runq", "since", "credit", "burnt", "pri", "migr", "yld", "noyield", "st",
                 "acct", "cr", "act")

    def __init__(self, w: World) -> None:
        x = w.xen
        s = x["sched"]
        self.w = w
        self.s = s
        self.pcpu: list[int] = x["pcpu"]
        self.run: dict[int, int] = s["run"]
        self.runq: dict[int, list[int]] = s["runq"]
        self.since: list[int] = s["since"]
        # credit2's: burnt by ``block`` when the state has credits (None under credit)
        c2 = "credit" in s
        self.credit: list[int] | None = s["credit"] if c2 else None
        self.burnt: list[int] | None = s["burnt"] if c2 else None
        # credit's: a wake-up boosts when the state has priorities (``valid``: it has them without credits)
        self.pri: list[int] | None = s.get("pri")
        self.migr: list[bool] | None = s.get("migr")
        # credit before 9fdd2f3c9c: a YIELD flag kept past a rate-limited yield (audit25), None otherwise
        self.yld: list[bool] | None = s.get("yld")
        #: the agenda (the dict itself) last found to hold no PAUSE-loop exit (``_yield_item``) of any pCPU, None
        #: when not known: ``block`` scans the agenda for its pCPU's exit only while it may hold one. Items leave
        #: the agenda in many places but a PAUSE-loop exit enters it only by ``_arm_yield``, which clears this;
        #: a world installed (time travel, a restore) gets a new ``Sched`` (``Model.bind``), starting at None
        self.noyield: dict[int, list[Any]] | None = None
        # credit's csched_acct (xen36): the burn start_times and [the next time ``_settle`` has work, ...]
        self.st: list[int] | None = s.get("st")
        self.acct: list[int] | None = s.get("acct")
        self.cr: list[int] | None = s.get("cr")
        self.act: list[bool] | None = s.get("act")

    def wake(self, eng: Any, c: Any) -> bool:
        """A blocked vCPU becomes runnable (``vcpu_wake`` -> the scheduler's wake: credit boosts an UNDER vCPU
        that is not "just" migrating; both put it on the runqueue and tickle). On an idle pCPU it runs at once
        (False: the caller queues its CPU). On a pCPU another vCPU runs it waits on the runqueue (True: its
        ``queued`` is set and it has no agenda item), and the pCPU's next schedule() is set: now when the waker is
        to preempt (credit: a higher priority; credit2: more credit, the running one past its ratelimit), else the
        running vCPU's slice end. (Every wake-up of a halted vCPU of a Xen guest comes here.)"""
        v = c.id
        p = self.pcpu[v]
        run = self.run
        cur = run.get(p)
        if cur == v:
            # (it never left the pCPU: a stopper thread spinning in multi_cpu_stop takes an interrupt, or goes on at
            # MULTI_STOP_EXIT -- no vcpu_wake, its schedule-in stands; xen33)
            return False
        if cur is not None:
            q = self.runq.get(p)
            if q and v in q:
                # (a vCPU preempted while it spun in multi_cpu_stop, with work again -- an interrupt, the next
                # state, MULTI_STOP_EXIT: it is runnable, it still waits -- ``queued`` as every waiter with work; a
                # spinning runner's PAUSE loop exits for it; xen33)
                c.queued = True
                kick(eng, v)
                return True
        pri = self.pri
        acct = self.acct
        if acct is not None and self.w.now >= acct[0]:
            _settle(self.s, self.w.now)     # (csched_acct: the priority the boost reads)
        if pri is not None:     # credit
            migr = self.migr
            if migr[v]:     # type: ignore[index]
                migr[v] = False        # type: ignore[index]  # csched_vcpu_wake: test_and_clear_bit(MIGRATING)
            elif pri[v] == UNDER:
                pri[v] = BOOST
        if cur is None:
            now = self.w.now
            run[p] = v
            self.since[v] = now     # (and the pCPU's last schedule(): ``_timer`` reads the later of it and tlast)
            if self.st is not None:
                self.st[v] = now    # (csched_schedule: snext->start_time)
            if (sh := eng.prov.shared) and p in sh:
                _idle_in(eng, c, p)     # (why32: a schedule-in node on a pCPU a vcpu_migrate made shared)
            if pri is None:
                self.burnt[v] = now     # type: ignore[index]
                if self.credit[v] <= 0:     # type: ignore[index]  # csched2_schedule picks it: the reset condition
                    _reset_credit(self.w, self.s, v, now)
            return False
        s = self.s
        q = self.runq.setdefault(p, [])
        _insert(s, q, v)
        c.queued = True
        _tickle(eng, s, p, v, cur, self.w.now, _wake_node(eng, c, p, cur))
        return True

    def block(self, eng: Any, c: Any) -> None:
        """The vCPU stops being runnable (its CPU record leaves the agenda: ``hlt`` -> ``vcpu_block``, an ioreq, an
        offline): it leaves its pCPU (credit2 burns its credit: ``_burn``, inline), whose schedule() picks the next
        waiting vCPU now."""
        w = self.w
        if w.kernel["hotplug"] >= 0 and _stop_spins(w, c):
            stop_spin(eng, c)   # spinning in multi_cpu_stop is not blocking: it holds the pCPU (or waits for it)
            return
        v = c.id
        p = self.pcpu[v]
        run = self.run
        acct = self.acct
        if acct is not None and w.now >= acct[0]:
            _settle(self.s, w.now)
        if run.get(p) == v:
            burnt = self.burnt
            if burnt is not None:
                now = w.now
                if now > burnt[v]:
                    self.credit[v] -= now - burnt[v]     # type: ignore[index]
                    burnt[v] = now
            else:
                now = w.now
                if (pri := self.pri) is not None and pri[v] == BOOST and now // TICK > self.since[v] // TICK:
                    pri[v] = UNDER      # (``_tick``, inline)
                st = self.st
                if st is not None and now > st[v]:
                    # ``_ran``, inline (a block is on every interrupt's path): burn_credits, and a tick it ran
                    # through puts it on the active list
                    if now // TICK > st[v] // TICK:
                        self.act[v] = True      # type: ignore[index]
                    self.cr[v] -= now - st[v]   # type: ignore[index]
                    st[v] = now
            del run[p]
            if self.yld is not None:
                self.yld[v] = False     # (the pCPU's schedule() clears a kept YIELD flag: the vCPU is not runnable)
            # (its PAUSE loop ended: no exit ahead -- xen33.) A block is on every interrupt's path and an exit is
            # rarely armed: the agenda is scanned only while it may hold one (``noyield``), with ``_yield_item``'s
            # test inline, and ``unschedule`` (which rebuilds the heap) runs only when there is one of ``p`` to drop
            if self.noyield is not (agenda := eng.agenda):
                mine = other = False
                for it in agenda.values():
                    if len(it) > 5 and it[5] == "yield" and it[3] == "sched" and it[2] == "xen":
                        if it[4] == p:
                            mine = True
                        else:
                            other = True
                if mine:
                    eng.unschedule(lambda it: _yield_item(it, p))
                if not other:
                    self.noyield = agenda
            if self.runq:
                _left(eng, self.s, p, "block", v)
        elif runq := self.runq:
            q = runq.get(p)
            if q and v in q:
                q.remove(v)
                if not q:
                    _dropped(eng, self.s, p)

    def spinning(self, eng: Any, v: int) -> None:
        spinning(eng, v)

    def waits(self, w: World, v: int) -> bool:
        return waits(w, v)

    def waiting(self, w: World, v: int) -> bool:
        return waiting(w, v)

    def kick(self, eng: Any, v: int) -> None:
        kick(eng, v)

    def stop_spin(self, eng: Any, c: Any) -> None:
        stop_spin(eng, c)

    def idles(self, eng: Any, c: Any) -> bool:
        return idles(eng, c)


def wake(eng: Any, c: Any) -> bool:
    """``Sched.wake`` on the engine's world (a caller without the model's ``Sched``)."""
    return Sched(eng.w).wake(eng, c)


def block(eng: Any, c: Any) -> None:
    """``Sched.block`` on the engine's world."""
    Sched(eng.w).block(eng, c)


def _idle_in(eng: Any, c: Any, p: int) -> None:
    """Provenance (why32): vCPU ``c`` runs at once on its idle pCPU ``p``, which another vCPU shares (no schedule()
    event): a schedule-in node (``xen.sched.since[v]``) in this step, linking what woke it -- what a later switch at the
    end of its slice, its yield or its block links as the run that ended. Only on a shared pCPU (``Prov.shared``, kept
    by ``migrate``): every other wake-up of a halted vCPU stays unrecorded (the interrupt path)."""
    P = eng.prov
    if not (P.on and eng.fresh):
        return
    pend, pev, last = P._pend, P._pend_ev, P.last_node
    P._pend = []
    _woken_by(eng, P, c)
    P.write(PC.XEN_SCHED_IN, PK.key(PK.SCHEDIN, c.id), eng.w.now, ctx=False,
            note=f"vCPU{c.id} wakes on pCPU{p}, idle: it runs at once")
    P._pend, P._pend_ev, P.last_node = pend, pev, last


def _woken_by(eng: Any, P: Any, c: Any) -> None:
    """The link of a wake-up node to what woke vCPU ``c``: the vector its IRR holds for it to accept, its upcall, else
    the node this step made last."""
    from msidbg.model.apic import acceptable
    v = c.id
    vec = acceptable(c) if c.online else -1
    if vec >= 0:
        P.dep(PC.D_WOKEN_BY, PK.key(PK.IRR, PK.cpu_vec(v, vec)))
    elif c._extra.get("upcall") and P.writer(PK.key(PK.UPCALL, v)) >= 0:
        P.dep(PC.D_WOKEN_BY, PK.key(PK.UPCALL, v))
    elif P.last_node >= 0 and P.event(P.last_node) == eng.cur:
        P.dep_writer(PC.D_WOKEN_BY, P.key(P.last_node), P.last_node)
    else:
        # (why33) QEMU's completion of the ioreq the vCPU was blocked on -- the only wake-up a QEMU step makes
        # (qemu._complete: its qemu.ioreq_done or the write it finished, a step that made no node): the trapped access
        # it completes. Such a wake-up linked nothing
        from msidbg.sim.events import kind_by_code
        ev, io = eng.cur, PK.key(PK.IOREQ, v)
        # (only once this step's event is in the log: a kernel step's wake-up -- idle_dead's, say -- comes before its
        # event, and a step that emits nothing is no QEMU completion)
        if 1 <= ev <= len(eng.log) and P.writer(io) >= 0 and kind_by_code(eng.log.kind_at(ev)).name.startswith("qemu."):
            P.dep(PC.D_WOKEN_BY, io)


def _wake_node(eng: Any, c: Any, p: int, cur: int) -> int:
    """Provenance (why32): vCPU ``c`` woke while vCPU ``cur`` runs on its pCPU ``p``: a node of its runqueue insert
    (``xen.sched.woken[v]``) linked to what woke it -- the vector its IRR holds for it to accept (an HVM vLAPIC), its
    upcall (PV), else the node this step made last (the scenario action a vcpu_migrate starts). Only a wake onto a busy
    pCPU (a shared pCPU's scenario) records one. Returns the record, or -1."""
    P = eng.prov
    if not (P.on and eng.fresh):
        return -1
    v = c.id
    # (the caller's step may have noted links for its own next node: they stay for it)
    pend, pev = P._pend, P._pend_ev
    P._pend = []
    last = P.last_node
    _woken_by(eng, P, c)
    r = P.write(PC.XEN_SCHED_WAKE, PK.key(PK.SCHEDWAKE, v), eng.w.now, ctx=False,
                note=f"vCPU{v} wakes on pCPU{p}, where vCPU{cur} runs: it waits on the runqueue (runq_tickle)")
    P.last_node = last      # (a hit of this step belongs to the node that made it, not to the wake-up)
    P._pend, P._pend_ev = pend, pev
    return r


def _schedule_in(s: dict[str, Any], p: int, v: int, now: int) -> None:
    s["run"][p] = v
    s["since"][v] = now
    s["tlast"][p] = now
    st = s.get("st")
    if st is not None:
        st[v] = now     # (credit: snext->start_time, what burn_credits counts from)


def _tickle(eng: Any, s: dict[str, Any], p: int, v: int, cur: int, now: int, woke: int = -1) -> None:
    """``__runq_tickle`` / ``runq_tickle`` for ``v`` waiting on busy pCPU ``p`` (its hard affinity that pCPU
    alone: no idler can take it): preempt ``cur`` -- a schedule() now -- or leave it to its slice end. ``woke``: the
    wake-up's provenance record, which a schedule() the tickle raises links (why32)."""
    w = eng.w
    if _credit2(s):
        _burn(s, cur, now)
        rl = _ratelimit(w)
        # is_preemptable (4b6923acff, 4.10): before it the tickle preempts on credit alone, and a runner within the
        # ratelimit is kept by the schedule() it raises (``_schedule``), to its ratelimit's end
        preemptable = (not w.behaviour.get("xen_credit2_tickle_tolerance", True) or rl <= TICKLE_TOLERANCE
                       or now - s["since"][cur] > rl - TICKLE_TOLERANCE)
        if preemptable and s["credit"][v] - s["credit"][cur] > 0:
            _arm(eng, p, now, "tickle")
            _tickled(eng, p, woke)
            return
    else:
        _tick(s, cur, now)
        if s["pri"][v] > s["pri"][cur]:
            _arm(eng, p, now, "tickle")
            _tickled(eng, p, woke)
            return
    _arm(eng, p, _timer(w, s, p, cur, now), "slice")
    if _spins(w, w.cpus[cur]):
        _arm_yield(eng, p, now + PLE_WINDOW_NS)


def _tickled(eng: Any, p: int, woke: int) -> None:
    """Provenance (why32): pCPU ``p``'s schedule() now is the tickle of the wake-up ``woke`` made (its record)."""
    if woke >= 0:
        eng.prov.tickle[p] = woke


def _left(eng: Any, s: dict[str, Any], p: int, why: str, gone: int = -1) -> None:
    """The running vCPU left pCPU ``p`` (it blocked, or was migrated away): schedule() runs there at once
    (``vcpu_block`` / ``vcpu_sleep_nosync`` raise SCHEDULE_SOFTIRQ on their own pCPU) and switches to the
    runqueue's head; the event saying so is a work item of its own in the same instant, before that vCPU's
    first step."""
    if not s["runq"].get(p):
        # (nobody waits: no timer is armed -- a runqueue that empties drops it, ``_dropped``)
        s["runq"].pop(p, None)
        return
    _schedule(eng, s, p, why, note=True, gone=gone)


def _spins(w: World, c: Any) -> bool:
    """Whether vCPU ``c`` is in a spin wait (``Ctx.spin``: the running context's top frame has its ``_spin`` mark
    with the next poll ahead, or it spins for ever) on an HVM guest -- a loop of PAUSE (cpu_relax) that VMX
    Pause-Loop Exiting ends with a VM exit."""
    if w.platform["kind"] != "xen-hvm":
        return False
    if not c.queued and not c.irq.stack and w.kernel["hotplug"] >= 0 and _stop_spins(w, c):
        return True     # (its stopper thread's multi_cpu_stop loop: cpu_relax is a PAUSE)
    ctx = c.irq if c.irq.stack else c.proc
    if not ctx.stack:
        return False
    if type(ctx.wait) is dict and "spin" in ctx.wait:
        return True
    mark = ctx.stack[-1]["locals"].get("_spin")
    return type(mark) is list and len(mark) == 2 and type(mark[1]) is int and mark[1] >= w.now


def spinning(eng: Any, v: int) -> None:
    """``Ctx.spin``'s first poll of a wait on vCPU ``v`` (an HVM guest's PAUSE loop): while another vCPU waits for
    its pCPU, the loop's Pause-Loop exit comes PLE_WINDOW_NS later and yields the pCPU (reading
    ``xen.sched.ple-yield``)."""
    w = eng.w
    s = w.xen["sched"]
    p = w.xen["pcpu"][v]
    if s["run"].get(p) == v and s["runq"].get(p) and w.platform["kind"] == "xen-hvm":
        _arm_yield(eng, p, w.now + PLE_WINDOW_NS)


def _dropped(eng: Any, s: dict[str, Any], p: int) -> None:
    """PCPU ``p``'s runqueue emptied without a schedule(): its timer for the waiters goes (a vCPU running alone
    re-arms its slice at each expiry and nothing changes: ``continue_running`` is not represented)."""
    del s["runq"][p]
    eng.unschedule(lambda it: _sched_item(it, p))


def waits(w: World, v: int) -> bool:
    """Whether vCPU ``v`` would wait on its pCPU's runqueue if it woke now (another vCPU runs there)."""
    s = state(w)
    if s is None or not 0 <= v < len(w.xen["pcpu"]):
        return False
    cur = s["run"].get(w.xen["pcpu"][v])
    return cur is not None and cur != v


def waiting(w: World, v: int) -> bool:
    """Whether vCPU ``v`` is runnable and waiting on its pCPU's runqueue."""
    s = state(w)
    if s is None or not 0 <= v < len(w.xen["pcpu"]):
        return False
    return v in (s["runq"].get(w.xen["pcpu"][v]) or ())


# --- a stopper thread spinning in multi_cpu_stop (xen33) -------------------------------------------------------
def _stop_spins(w: World, c: Any) -> bool:
    """``hotplug.stop_spin``: CPU ``c``'s stopper thread spins in multi_cpu_stop, off the agenda (only while a
    cpu_down is in progress: callers test ``w.kernel["hotplug"]`` first)."""
    from msidbg.model.kernel import hotplug  # (imported here: the kernel's modules lead back to the Xen side)
    return hotplug.stop_spin(w, c)


def _idle_spinner(w: World, c: Any) -> bool:
    """A vCPU spinning in multi_cpu_stop with nothing else to run (no handler, no interrupt to take)."""
    if w.kernel["hotplug"] < 0 or not _stop_spins(w, c):
        return False
    from msidbg.model import cpu as _cpu  # (imported here: cpu imports the scheduler's callers)
    return not _cpu.has_work(c)


def stop_spin(eng: Any, c: Any) -> None:
    """VCPU ``c`` spins in multi_cpu_stop (``hotplug.stop_spin``: the PAUSE loop of kernel/stop_machine.c): for Xen it
    is running, not blocked -- it keeps its pCPU (burning credit, preemptable at a tickle or its slice's end), and an
    HVM vCPU's PAUSE-loop exits yield it to a waiter with work to do (reading ``kernel.hotplug.stopper-spins``).
    Halted until stop_machine's wake-up IPI, it is woken as any vCPU (``wake``: on an idle pCPU it runs, behind
    another vCPU it waits on the runqueue). A spinner off the agenda has ``queued`` clear, on the runqueue too: its
    schedule-in puts no step on the agenda (``_idle_spinner``)."""
    w = eng.w
    s = w.xen["sched"]
    v = c.id
    p = w.xen["pcpu"][v]
    q = s["runq"].get(p) or ()
    if s["run"].get(p) != v and v not in q:
        wake(eng, c)
        c.queued = False
    if s["run"].get(p) == v:
        _ple_for_waiters(eng, s, p)


def _ple_for_waiters(eng: Any, s: dict[str, Any], p: int) -> None:
    """The spinning vCPU running on pCPU ``p`` (HVM) yields at its PAUSE loop's next exit when a vCPU with work waits
    on the runqueue (an idle spinner waiting gains nothing by the switch: not represented)."""
    w = eng.w
    if w.platform["kind"] != "xen-hvm":
        return
    cur = s["run"].get(p)
    q = s["runq"].get(p)
    if cur is None or not q or not _spins(w, w.cpus[cur]):
        return
    cpus = w.cpus
    if any(not _idle_spinner(w, cpus[u]) for u in q):
        _arm_yield(eng, p, w.now + PLE_WINDOW_NS)


def kick(eng: Any, v: int) -> None:
    """VCPU ``v``, waiting on its pCPU's runqueue, has work to do now (stop_machine's next state, MULTI_STOP_EXIT, an
    interrupt): a spinning runner's PAUSE loop exits for it (HVM); else it waits for the tickle or slice already
    armed."""
    w = eng.w
    s = state(w)
    if s is None or not 0 <= v < len(w.xen["pcpu"]):
        return
    p = w.xen["pcpu"][v]
    if v in (s["runq"].get(p) or ()):
        _ple_for_waiters(eng, s, p)


def idles(eng: Any, c: Any) -> bool:
    """Vcpu ``c``'s step finds nothing to run although Xen runs it on its pCPU: a halted vCPU a wake-up queued (a guest
    tick, whose handler msidbg does not represent) and the pCPU's schedule() switched in, its ``vmx_do_resume`` done
    (``vmsi.resume``). The guest's idle loop halts again (``hvm_hlt`` -> SCHEDOP_block -> ``vcpu_block``): the
    step's event; ``cpu.on_cpu``'s tail takes it off the agenda and blocks it (``block``), and the pCPU's
    schedule() picks the next waiting vCPU. Returns False (no event) when the vCPU is not the one its pCPU runs."""
    w = eng.w
    s = state(w)
    v = c.id
    if s is None or not 0 <= v < len(w.xen["pcpu"]):
        return False
    p = w.xen["pcpu"][v]
    if s["run"].get(p) != v:
        return False
    eng.emit(XEN_SCHED, -1, None, p, v, eng.s(
        f"vCPU{v} scheduled in with nothing to run (the guest tick's handler is not represented): hlt -> "
        f"SCHEDOP_block" + _waiting(s["runq"].get(p) or [])))
    return True


# --- schedule() ------------------------------------------------------------------------------------------------
def on_item(eng: Any, item: list[Any]) -> None:
    """Agenda work ``[.., "xen", "sched", pcpu, why]``: ``schedule()`` on that pCPU. Emits one event."""
    w = eng.w
    s = state(w)
    p = item[4] if len(item) > 4 and type(item[4]) is int else -1
    why = item[5] if len(item) > 5 and type(item[5]) is str else "timer"
    if s is None or p < 0 or eng.model.xsched is None:
        eng.emit(XEN_SCHED, -1, None, p, -1, eng.s("schedule: no scheduler state"))
        return
    if why == "note":   # [.., "note", vcpu, text]: what a schedule() run at a block or a migration did
        nxt = item[6] if len(item) > 7 and type(item[6]) is int else -1
        text = item[7] if len(item) > 7 and type(item[7]) is str else "schedule"
        eng.emit(XEN_SCHED, -1, None, p, nxt, eng.s(text))
        _sched_in_node(eng, p, text)
        return
    nxt, text = _schedule(eng, s, p, why)
    eng.emit(XEN_SCHED, -1, None, p, nxt, eng.s(text))
    _sched_in_node(eng, p, text)


def _sched_in_node(eng: Any, p: int, text: str) -> None:
    """Provenance (why31): the xen.sched event of a context switch is the node of the vCPU's schedule-in
    (``xen.sched.since[v]``); an accept of a vector its IRR held before it links it (``Prov.deps``)."""
    P = eng.prov
    got = P.sched_in.pop(p, None) if P.sched_in and P.on and eng.fresh else None    # (why33: fresh only)
    if got is not None:
        v, deps = got
        for code, key, w in deps:
            P.dep_writer(code, key, w)
        P.write(PC.XEN_SCHED_IN, PK.key(PK.SCHEDIN, v), eng.w.now, ctx=False, note=text)


def _schedule(eng: Any, s: dict[str, Any], p: int, why: str, note: bool = False, gone: int = -1) -> tuple[int, str]:
    """``csched_schedule`` / ``csched2_schedule`` on pCPU ``p``: (the vCPU that runs next, the event's text).
    ``note``: run inside another step (a block, a migration): a work item in this instant emits the event, before
    the vCPU scheduled in runs anything. ``gone``: the vCPU that left the pCPU (it blocked or migrated away)."""
    w = eng.w
    now = w.now
    run, runq = s["run"], s["runq"]
    q = runq.get(p) or []
    q[:] = [u for u in q if 0 <= u < len(w.cpus)]
    if "acct" in s and now >= s["acct"][0]:
        _settle(s, now)
    cur = run.get(p)
    if cur is not None:
        _tick(s, cur, now)
    rl = _ratelimit(w)
    what = {"tickle": "a waking vCPU's tickle", "slice": "the time slice's end", "block": "the running vCPU "
            "blocked", "migrate": "the running vCPU migrated away", "ratelimit": "the ratelimit's end",
            "yield": "a PAUSE-loop exit: the spinning vCPU yields"}.get(why, why)
    yielding = why == "yield" and cur is not None and bool(q)
    if why == "yield" and not (yielding and _spins(w, w.cpus[cur])):
        # the loop ended before the window (or nobody waits): no exit; the pCPU's timer stands
        return (cur if cur is not None else -1), (f"no PAUSE-loop exit: vCPU{cur} no longer spins"
                                                  if cur is not None else "no PAUSE-loop exit: pCPU idle")
    plain = yielding and not _yield_op(w)
    if plain:
        # credit before 5fc9f5ef6c (4.1), credit2 before a7fa4d5f53 (4.8): do_yield raises SCHEDULE_SOFTIRQ and
        # nothing else -- schedule() decides as for any other reason (neither release has a ratelimit)
        yielding = False
    yld = s.get("yld")
    limited = False
    if yielding and yld is not None and not _credit2(s) and rl and now - s["since"][cur] < rl:
        # before 9fdd2f3c9c (4.8): csched_vcpu_yield set CSCHED_FLAG_VCPU_YIELD, but the ratelimit test comes first
        # and does not look at it: the vCPU continues with the flag set, and its next PAUSE-loop exit yields again
        yld[cur] = True
        yielding = False
        limited = True
    elif yld is not None and cur is not None and yld[cur] and not _credit2(s) and q \
            and not (rl and now - s["since"][cur] < rl):
        # a decision past the ratelimit: __runq_insert reads the flag a rate-limited yield left (then cleared)
        yielding = True
    if yielding:
        # vcpu_yield (SCHEDOP_yield from vmx_vmexit_handler's EXIT_REASON_PAUSE_INSTRUCTION): no ratelimit for a
        # yielding vCPU; credit puts it behind the next, credit2's runq_candidate takes the runqueue's head
        if _credit2(s):
            _burn(s, cur, now)
            nxt = q[0]
        else:
            order = list(q)
            _insert(s, order, cur, yielding=True)
            nxt = order[0]
    elif cur is not None and q:
        runtime = now - s["since"][cur]
        if _credit2(s):
            _burn(s, cur, now)
        if rl and runtime < rl:
            # the current vCPU has run less than the ratelimit: it continues until it has (credit: never less
            # than CSCHED_MIN_TIMER ahead; before 0053127890 -- xen_credit_ratelimit_rest false -- a whole
            # ratelimit from now)
            t = s["since"][cur] + rl
            if _credit2(s):
                t = now + _c2_runtime(w, s, p, cur, now)    # csched2_schedule: ret.time = csched2_runtime(..)
            elif not w.behaviour.get("xen_credit_ratelimit_rest", True):
                t = now + rl                                # 'tslice = MICROSECS(prv->ratelimit_us);'
            elif runtime < MIN_TIMER:
                t = now + MIN_TIMER
            s["tlast"][p] = now
            eng.unschedule(lambda it: _sched_item(it, p))
            eng.schedule(t, "xen", "sched", p, "ratelimit")
            if _spins(w, w.cpus[cur]):
                # back in the guest, a spinning vCPU's PAUSE loop exits again one window later (audit25: a tickle
                # kept by the ratelimit armed no exit, so a spinner was never made to yield until the ratelimit's
                # end; a rate-limited yield's next exit likewise)
                _arm_yield(eng, p, now + PLE_WINDOW_NS)
            _continue_running(eng, cur)
            text = (f"schedule ({what}): vCPU{cur} has run {runtime} ns, less than the ratelimit "
                    f"({rl // 1000} us): it continues" + (" (its yield is rate-limited: CSCHED_FLAG_VCPU_YIELD "
                                                          "stays set)" if limited else "")
                    + f"; vCPU{q[0]} waits")
            _kept_waiting(eng, p, q[0], text)
            return cur, text
        if _credit2(s):
            nxt = q[0] if s["credit"][q[0]] > s["credit"][cur] else cur
        else:
            order = list(q)
            _insert(s, order, cur)      # csched_schedule: __runq_insert(scurr), then the runqueue's head
            nxt = order[0]
    elif cur is not None:
        nxt = cur
    elif q:
        nxt = q[0]
    else:
        runq.pop(p, None)
        return -1, f"schedule ({what}): nothing runnable, pCPU{p} idles"
    if yld is not None and cur is not None:
        yld[cur] = False        # 'Clear YIELD flag before scheduling out' (every decision past the ratelimit test)
    if _credit2(s) and s["credit"][nxt] <= 0:
        _reset_credit(w, s, nxt, now)
    if nxt == cur:
        s["tlast"][p] = now
        if q:
            t = now + (_c2_runtime(w, s, p, cur, now) if _credit2(s) else TSLICE)
            eng.unschedule(lambda it: _sched_item(it, p))
            eng.schedule(t, "xen", "sched", p, "slice")
        if not q:
            runq.pop(p, None)
        elif plain and _credit2(s) and _spins(w, w.cpus[cur]):
            # its next PAUSE-loop exits decide the same until its credit, burnt one per ns, falls below the head's:
            # the first of them after that is the one represented. (credit before 4.1: the order of the runqueue
            # does not change while both wait -- csched_acct is not modelled -- so no later exit is)
            _arm_yield(eng, p, now + PLE_WINDOW_NS * ((s["credit"][cur] - s["credit"][q[0]]) // PLE_WINDOW_NS + 1))
        _continue_running(eng, cur)
        return cur, (f"schedule ({what}): vCPU{cur} continues (continue_running)"
                     + (" -- no yield hook: do_yield only raised SCHEDULE_SOFTIRQ" if plain else "")
                     + _waiting(q) + _over(s, q))
    # the context switch: cur (if still runnable) back on the runqueue, nxt scheduled in
    if nxt in q:
        q.remove(nxt)
    prev = ""
    cpus = w.cpus
    at = now
    if cur is not None:
        _ran(s, cur, now)
        _insert(s, q, cur, yielding)
        cc = cpus[cur]
        eng.unschedule(lambda it: (it[2] == "cpu" and it[3] == cur) or _yield_item(it, p))   # (queued stays)
        at = max(at, cc.busy_until)
        prev = f"vCPU{cur} {'yields' if yielding or plain else 'preempted'} (back on the runqueue), "
    c = cpus[nxt]
    _schedule_in(s, p, nxt, now)
    if eng.prov.on and eng.fresh:
        # (the node: at the xen.sched event, ``_sched_in_node``)
        eng.prov.sched_in[p] = (nxt, _sched_deps(eng, p, nxt, cur, gone, why, yielding))
    if _credit2(s):
        s["burnt"][nxt] = now
    eng.unschedule(lambda it: _sched_item(it, p))
    if q:
        t = now + (_c2_runtime(w, s, p, nxt, now) if _credit2(s) else TSLICE)
        eng.schedule(t, "xen", "sched", p, "slice")
    else:
        runq.pop(p, None)
    text = (f"schedule ({what}): {prev}vCPU{nxt} scheduled in on pCPU{p}"
            + _waiting(q) + _over(s, q))
    if note:
        eng.schedule(now, "xen", "sched", p, "note", nxt, text)
    # vmx_do_resume / hvm_do_resume of the vCPU scheduled in (a pending migration's hvm_migrate_pirqs, an armed
    # unmask's completion): the same step the model runs for every other schedule-in, in this instant
    from msidbg.model import vmsi
    if w.platform["kind"] == "xen-hvm" and vmsi.due(w, nxt):
        eng.schedule(now, "xen", "resume", nxt)
    if _idle_spinner(w, c):
        # a stopper thread spinning in multi_cpu_stop (preempted there, or woken by stop_machine's IPI behind another
        # vCPU): no step to run, it holds the pCPU and spins; its PAUSE loop exits for a waiter with work
        c.queued = False
        _ple_for_waiters(eng, s, p)
    else:
        c.queued = True
        eng.schedule(max(at, c.busy_until), "cpu", nxt)
    return nxt, text


def _kept_waiting(eng: Any, p: int, v: int, text: str) -> None:
    """Provenance (why32): a schedule() on pCPU ``p`` that keeps its runner for the ratelimit (64908a0466) while vCPU
    ``v`` waits: a node of ``v``'s wait (``xen.sched.woken[v]``), linking the tickle that asked for this schedule()
    (its waker's wake-up) or ``v``'s earlier wait, which ``v``'s schedule-in then links in their place."""
    P = eng.prov
    if not (P.on and eng.fresh):
        return
    tk = P.tickle.pop(p, -1) if P.tickle else -1
    key = PK.key(PK.SCHEDWAKE, v)
    if tk >= 0:
        P.dep_writer(PC.D_SCHED_TICKLE, P.key(tk), tk)
    elif P.writer(key) >= 0:
        P.dep(PC.D_SCHED_RUNNABLE, key)
    P.write(PC.XEN_SCHED_WAKE, key, eng.w.now, ctx=False, note=text)


def _sched_deps(eng: Any, p: int, nxt: int, cur: int | None, gone: int, why: str,
                yielding: bool) -> list[tuple[int, int, int]]:
    """Provenance (why32): what the schedule-in of ``nxt`` on pCPU ``p`` links, each writer resolved now -- its
    wake-up onto the runqueue (after its last schedule-in), and what made this schedule() switch: the tickle of a
    waking vCPU, the end of the running vCPU's slice or ratelimit (that vCPU's schedule-in), its PAUSE-loop exit, or
    the running vCPU's block or migration away (its schedule-in)."""
    P = eng.prov
    deps: list[tuple[int, int, int]] = []
    tk = P.tickle.pop(p, -1) if P.tickle else -1
    if why == "tickle" and tk >= 0:
        deps.append((PC.D_SCHED_TICKLE, P.key(tk), tk))
    wk = P.writer(PK.key(PK.SCHEDWAKE, nxt))
    si = P.writer(PK.key(PK.SCHEDIN, nxt))
    if wk >= 0 and wk != tk and (si < 0 or P.event(wk) >= P.event(si)):
        deps.append((PC.D_SCHED_RUNNABLE, PK.key(PK.SCHEDWAKE, nxt), wk))
    ran = cur if cur is not None else gone
    if ran is not None and ran >= 0 and ran != nxt:
        code = (PC.D_SCHED_YIELD if yielding else PC.D_SCHED_SLICE if why in ("slice", "ratelimit", "timer")
                else PC.D_SCHED_LEFT if why in ("block", "migrate") else 0)
        w = P.writer(PK.key(PK.SCHEDIN, ran))
        if code and w >= 0:
            deps.append((code, PK.key(PK.SCHEDIN, ran), w))
    return deps


def _continue_running(eng: Any, v: int) -> None:
    """schedule() kept ``v``: ``continue_running`` calls the same context-switch tail (``vmx_do_resume`` ->
    ``hvm_do_resume``), so from f7039ee41b an unmask a failed completion left armed on it is applied now."""
    w = eng.w
    if w.platform["kind"] == "xen-hvm":
        from msidbg.model import vmsi
        if vmsi.due(w, v):
            eng.schedule(w.now, "xen", "resume", v)


# --- vcpu_migrate ----------------------------------------------------------------------------------------------
def migrate(eng: Any, v: int, new: int) -> bool:
    """The scheduler's half of ``vcpu_migrate`` for vCPU ``v`` going to pCPU ``new`` (before ``xen.vcpu_migrate``
    records it): a running or waiting vCPU leaves its old pCPU (whose schedule() then picks the next waiting
    one) and is woken on the new one (``sched_unit_migrate_finish`` -> ``vcpu_wake``): credit from 66c7449a4d
    (4.7) does not boost it (CSCHED_FLAG_VCPU_MIGRATING, set by ``csched_cpu_pick``). A blocked vCPU keeps the
    flag until its next wake-up. Returns whether ``v`` now waits on the new pCPU's runqueue."""
    w = eng.w
    s = state(w)
    if s is None or not 0 <= v < len(w.xen["pcpu"]):
        return False
    old = w.xen["pcpu"][v]
    if old == new:
        return False
    now = w.now
    if "acct" in s and now >= s["acct"][0]:
        _settle(s, now)
    c = w.cpus[v]
    P = eng.prov
    if P.on and eng.fresh:      # (why32) the pCPUs more than one vCPU shares once this migration is made
        pc = list(w.xen["pcpu"])
        pc[v] = new
        P.shared = {q for q in pc if pc.count(q) > 1}
    flag = not _credit2(s) and bool(w.behaviour.get("xen_credit_migrate_noboost", True))
    if s["run"].get(old) == v:
        if _credit2(s):
            _burn(s, v, now)
        else:
            _tick(s, v, now)
            _ran(s, v, now)
        del s["run"][old]
        if "yld" in s:
            s["yld"][v] = False     # (likewise: a migrating vCPU is not runnable on its old pCPU)
        _left(eng, s, old, "migrate", v)
    elif v in (s["runq"].get(old) or ()):
        s["runq"][old].remove(v)
        if not s["runq"][old]:
            _dropped(eng, s, old)
    else:
        if flag:
            s["migr"][v] = True     # blocked: its next wake-up is not boosted
        return False
    # runnable: woken on the new pCPU
    if not _credit2(s) and not flag and s["pri"][v] == UNDER:
        s["pri"][v] = BOOST
    cur = s["run"].get(new)
    if cur is None:
        _schedule_in(s, new, v, now)
        if new in P.shared:
            _idle_in(eng, c, new)
        if _credit2(s):
            s["burnt"][v] = now
        if _idle_spinner(w, c):
            c.queued = False    # (spinning in multi_cpu_stop: it holds the new pCPU, no step to run)
            return False
        if not any(it[2] == "cpu" and it[3] == v for it in eng.agenda.values()):
            eng.schedule(max(now, c.busy_until), "cpu", v)
        c.queued = True
        return False
    eng.unschedule(lambda it: it[2] == "cpu" and it[3] == v)
    c.queued = True
    q = s["runq"].setdefault(new, [])
    _insert(s, q, v)
    # (the tickle reads the new pCPU)
    _tickle(eng, s, new, v, cur, now, _wake_node(eng, c, new, cur))
    return True
