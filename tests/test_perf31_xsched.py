"""perf31: ``xensched.Sched`` (the scheduler's wake / block bound to a world's state by ``Model.bind``) against the
module functions it replaced, kept here as the reference: the same writes to the state, the same calls into the
rest of the scheduler (tickle, schedule() at a block, a runqueue dropped, credit2's reset), over random states
of both schedulers; and the flag ``Ctx.hvm`` the hot path reads for ``platform.kind``."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from msidbg.model import new_engine, xensched
from msidbg.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


# --- the reference: xensched.wake / block as module functions (b601ae92, with xen33's stop_machine spinner and
# csched_tick and audit25's kept YIELD flag, as merged), verbatim but for the module prefix -----------------------
def ref_wake(X: Any, eng: Any, c: Any) -> bool:
    w = eng.w
    x = w.xen
    s = x["sched"]
    v = c.id
    p = x["pcpu"][v]
    run = s["run"]
    cur = run.get(p)
    if cur == v:
        return False
    if cur is not None and v in (s["runq"].get(p) or ()):
        c.queued = True
        X.kick(eng, v)
        return True
    pri = s.get("pri")
    if pri is not None:     # credit
        migr = s["migr"]
        if migr[v]:
            migr[v] = False
        elif pri[v] == X.UNDER:
            pri[v] = X.BOOST
    if cur is None:
        now = w.now
        run[p] = v
        s["since"][v] = now
        if pri is None:
            s["burnt"][v] = now
            if s["credit"][v] <= 0:
                X._reset_credit(w, s, v, now)
        return False
    q = s["runq"].setdefault(p, [])
    X._insert(s, q, v)
    c.queued = True
    X._tickle(eng, s, p, v, cur, w.now, X._wake_node(eng, c, p, cur))
    return True


def ref_block(X: Any, eng: Any, c: Any) -> None:
    w = eng.w
    if w.kernel["hotplug"] >= 0 and X._stop_spins(w, c):
        X.stop_spin(eng, c)
        return
    x = w.xen
    s = x["sched"]
    v = c.id
    p = x["pcpu"][v]
    run = s["run"]
    runq = s["runq"]
    if run.get(p) == v:
        if "credit" in s:
            X._burn(s, v, w.now)
        else:
            X._tick(s, v, w.now)
        del run[p]
        if "yld" in s:
            s["yld"][v] = False
        if any(X._yield_item(it, p) for it in eng.agenda.values()):
            eng.unschedule(("yield-items", p))
        if runq:
            X._left(eng, s, p, "block", v)
    elif runq:
        q = runq.get(p)
        if q and v in q:
            q.remove(v)
            if not q:
                X._dropped(eng, s, p)


def _state(rng: random.Random, n: int, credit2: bool) -> tuple[dict[str, Any], list[int]]:
    """A random well-formed scheduler state (``xensched.valid``) of ``n`` vCPUs on ``n`` pCPUs, shared or not."""
    pcpu = [rng.randrange(n) if rng.random() < 0.4 else v for v in range(n)]
    run: dict[int, int] = {}
    runq: dict[int, list[int]] = {}
    for v in rng.sample(range(n), n):
        p = pcpu[v]
        r = rng.random()
        if r < 0.45 and p not in run:
            run[p] = v
        elif r < 0.7 and p in run:
            runq.setdefault(p, []).append(v)
    s: dict[str, Any] = {"run": run, "runq": runq, "since": [rng.randrange(0, 50) * 1000 for _ in range(n)],
                         "tlast": {p: rng.randrange(0, 50) * 1000 for p in run}}
    if credit2:
        s["credit"] = [rng.choice((-25_000_000, -1, 0, 1, 400_000, 10_000_000)) for _ in range(n)]
        s["burnt"] = [rng.randrange(0, 60_000) for _ in range(n)]
    else:
        s["pri"] = [rng.choice((xensched.BOOST, xensched.UNDER)) for _ in range(n)]
        s["migr"] = [rng.random() < 0.3 for _ in range(n)]
        if rng.random() < 0.5:
            s["yld"] = [rng.random() < 0.5 for _ in range(n)]
    return s, pcpu


class _Calls:
    """The scheduler's other functions, recorded instead of run (the two implementations must make the same calls
    with the same arguments; what those functions do is the rest of xensched, unchanged)."""

    def __init__(self, monkeypatch: Any) -> None:
        self.log: list[tuple[Any, ...]] = []
        for name in ("_tickle", "_left", "_dropped", "_reset_credit", "kick"):
            monkeypatch.setattr(xensched, name, self._rec(name))

    def _rec(self, name: str) -> Any:
        def f(*args: Any) -> None:
            # the engine and the state by identity are the same objects in both runs: record the values
            self.log.append((name, *[copy.deepcopy(a) if isinstance(a, (dict, list)) else a
                                     for a in args if not isinstance(a, SimpleNamespace)]))
        return f


def _world(s: dict[str, Any], pcpu: list[int], now: int) -> Any:
    xen = {"sched": s, "pcpu": pcpu}
    w = SimpleNamespace(xen=xen, now=now, kernel={"hotplug": -1})
    return w


@pytest.mark.parametrize("credit2", [False, True])
def test_sched_wake_and_block_match_the_module_functions_they_replaced(monkeypatch: Any, credit2: bool) -> None:
    rng = random.Random(31 + credit2)
    calls = _Calls(monkeypatch)
    seen = {"idle": 0, "own": 0, "waits": 0, "queued": 0, "block-run": 0, "block-left": 0, "block-q": 0,
            "block-dropped": 0, "reset": 0}
    for _ in range(4000):
        n = rng.randrange(1, 5)
        s, pcpu = _state(rng, n, credit2)
        now = rng.randrange(0, 80_000)
        v = rng.randrange(n)
        op = rng.choice(("wake", "block"))
        # the agenda: a device's fire item, and sometimes a PAUSE-loop exit armed on some pCPU (xen33)
        agenda: dict[int, list[Any]] = {0: [now + 5, 0, "dev", "nic0", 0]}
        if rng.random() < 0.5:
            agenda[1] = [now + 2048, 1, "xen", "sched", rng.randrange(n), "yield"]
        results = []
        for impl in ("ref", "new"):
            s2, pcpu2 = copy.deepcopy(s), list(pcpu)
            w = _world(s2, pcpu2, now)
            # (the PAUSE-loop exit a block drops: recorded by pCPU -- the predicate is a closure over it)
            eng = SimpleNamespace(w=w, prov=SimpleNamespace(shared=None, on=False), agenda=agenda, unschedule=lambda pred, log=calls.log: log.append(
                ("unschedule", pred if isinstance(pred, tuple) else ("yield-items", pred.__closure__[0].cell_contents))))
            c = SimpleNamespace(id=v, queued=False)
            del calls.log[:]
            if impl == "ref":
                got = ref_wake(xensched, eng, c) if op == "wake" else ref_block(xensched, eng, c)
            else:
                sch = xensched.Sched(w)
                got = sch.wake(eng, c) if op == "wake" else sch.block(eng, c)
            results.append((got, s2, pcpu2, c.queued, list(calls.log)))
        assert results[0] == results[1], (op, v, s, pcpu, now)
        # (what the walk covered: every branch of both)
        p = pcpu[v]
        names = [x[0] for x in results[0][4]]
        if op == "wake":
            cur = s["run"].get(p)
            seen["idle" if cur is None else "own" if cur == v else "queued" if v in s["runq"].get(p, ()) else
                 "waits"] += 1
            seen["reset"] += "_reset_credit" in names
        elif s["run"].get(p) == v:
            seen["block-left" if "_left" in names else "block-run"] += 1
        elif v in s["runq"].get(p, ()):
            seen["block-dropped" if "_dropped" in names else "block-q"] += 1
    assert all(seen[k] for k in seen if k != "reset" or credit2), seen


def test_model_bind_builds_the_sched_of_the_world_it_installs() -> None:
    # a Xen world: a Sched over that world's containers; the hot path's HVM flag from its platform
    eng = new_engine(load_scenario(str(next((ROOT / "tests" / "xensched30").glob("s01*.yaml")))))
    xs = eng.model.xsched
    assert isinstance(xs, xensched.Sched)
    s = eng.w.xen["sched"]
    assert xs.s is s and xs.run is s["run"] and xs.since is s["since"] and xs.pcpu is eng.w.xen["pcpu"]
    assert eng.model.k.hvm is (eng.w.platform["kind"] == "xen-hvm")
    # a world installed again (time travel): the Sched follows it
    from msidbg.debugger.timeline import install
    from msidbg.sim.rec import as_world, plain
    install(eng, as_world(copy.deepcopy(plain(eng.w))))
    assert eng.model.xsched is not xs and eng.model.xsched.s is eng.w.xen["sched"]
    # a bare-metal world: no scheduler, not HVM
    bare = new_engine(load_scenario(str(ROOT / "scenarios" / "msix-write-while-unmasked.yaml")))
    assert bare.model.xsched is None and bare.model.k.hvm is False
