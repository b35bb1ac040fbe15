"""perf33: ``xensched._arm`` finds its pCPU's next schedule() in one pass with ``_sched_item``'s test inline, and
``_arm_yield`` skips its scan when the bound ``Sched`` knows the agenda to hold no PAUSE-loop exit
(``Sched.noyield``, perf32). Both must do exactly what the scanning forms (kept here) did."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from msidbg.model import xensched as X
from tests.test_perf32_noyield import FILES
from tests.test_run_goldens import fingerprint

ROOT = Path(__file__).resolve().parent.parent
RUNS = [*FILES, ROOT / "tests" / "audit25" / "a03-x472-yield-rate-limited.yaml"]


def _old_arm(eng: Any, p: int, t: int, why: str) -> None:
    cur = [it for it in eng.agenda.values() if X._sched_item(it, p)]
    if cur and min(it[0] for it in cur) <= t:
        return
    if cur:
        eng.unschedule(lambda it: X._sched_item(it, p))
    eng.schedule(t, "xen", "sched", p, why)


def _old_arm_yield(eng: Any, p: int, t: int) -> None:
    if not any(X._yield_item(it, p) for it in eng.agenda.values()):
        if (xs := eng.model.xsched) is not None:
            xs.noyield = None
        eng.schedule(t, "xen", "sched", p, "yield")


class _Eng:
    """What ``_arm`` / ``_arm_yield`` touch of an engine: the agenda, schedule and unschedule (logged)."""

    def __init__(self, items: list[list[Any]], xs: Any) -> None:
        self.agenda = {it[1]: it for it in items}
        self.seq = 1000
        self.log: list[Any] = []
        self.model = type("M", (), {"xsched": xs})()

    def schedule(self, t: int, *args: Any) -> None:
        self.agenda[self.seq] = [t, self.seq, *args]
        self.log.append(("schedule", t, args))
        self.seq += 1

    def unschedule(self, drop: Any) -> int:
        gone = [k for k, it in self.agenda.items() if drop(it)]
        for k in gone:
            del self.agenda[k]
        self.log.append(("unschedule", gone))
        return len(gone)


def _agenda(rng: random.Random) -> list[list[Any]]:
    out = []
    for seq in range(rng.randrange(0, 12)):
        t = rng.choice((0, 5, 10, 20, 30, rng.randrange(0, 50)))
        kind = rng.choice(("xen", "xen", "cpu", "dev"))
        if kind == "xen":
            tail = rng.choice(([], [rng.choice(("timer", "tickle", "slice", "note", "yield", "ratelimit"))],
                               ["note", 1, "text"]))
            out.append([t, seq, "xen", rng.choice(("sched", "evtchn")), rng.randrange(3), *tail])
        else:
            out.append([t, seq, kind, rng.randrange(3)])
    return out


def test_arm_and_arm_yield_as_the_scanning_forms() -> None:
    rng = random.Random(33)
    taken = {"kept": 0, "moved": 0, "added": 0, "yield armed": 0, "yield kept": 0, "skipped scan": 0}
    for _ in range(3000):
        items = _agenda(rng)
        p, t = rng.randrange(3), rng.choice((0, 5, 10, 15, 25, 40))
        a, b = _Eng([list(i) for i in items], None), _Eng([list(i) for i in items], None)
        X._arm(a, p, t, "slice")
        _old_arm(b, p, t, "slice")
        assert (a.agenda, a.log) == (b.agenda, b.log)
        taken["kept" if not a.log else "moved" if len(a.log) == 2 else "added"] += 1
        # _arm_yield with a Sched that knows (correctly) or does not know the agenda free of exits
        for known in (False, True):
            xs_a, xs_b = type("S", (), {})(), type("S", (), {})()
            a, b = _Eng([list(i) for i in items], xs_a), _Eng([list(i) for i in items], xs_b)
            free = not any(len(it) > 5 and it[2] == "xen" and it[3] == "sched" and it[5] == "yield" for it in items)
            if known and not free:
                continue
            xs_a.noyield = a.agenda if known else None
            xs_b.noyield = b.agenda if known else None
            X._arm_yield(a, p, t)
            _old_arm_yield(b, p, t)
            assert (a.agenda, a.log, xs_a.noyield is None) == (b.agenda, b.log, xs_b.noyield is None)
            taken["skipped scan" if known else "yield armed" if a.log else "yield kept"] += 1
    assert all(taken.values()), taken


def test_runs_that_arm_are_the_same(monkeypatch: Any) -> None:
    calls = {"arm_yield": 0, "known": 0}
    arm_yield = X._arm_yield

    def counted(eng: Any, p: int, t: int) -> None:
        calls["arm_yield"] += 1
        xs = eng.model.xsched
        calls["known"] += xs is not None and xs.noyield is eng.agenda
        arm_yield(eng, p, t)

    with monkeypatch.context() as m:
        m.setattr(X, "_arm_yield", counted)
        now = [fingerprint(f, s) for f in RUNS for s in (None, "random")]
    with monkeypatch.context() as m:
        m.setattr(X, "_arm", _old_arm)
        m.setattr(X, "_arm_yield", _old_arm_yield)
        before = [fingerprint(f, s) for f in RUNS for s in (None, "random")]
    assert now == before
    # exits armed, some of them with the agenda known free of exits (the scan skipped)
    assert calls["arm_yield"] > calls["known"] > 0, calls
