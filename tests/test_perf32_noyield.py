"""perf32: ``Sched.block`` scans the agenda for its pCPU's PAUSE-loop exit only while the agenda may hold one.

``Sched.noyield`` is the agenda dict last found to hold no PAUSE-loop exit of any pCPU; ``_arm_yield`` (the one
place such an item goes on the agenda) clears it, and every install builds a new ``Sched``. The runs that arm PAUSE-loop
exits must be the same, event for event, with the cache as with a scan on every block (the reference: xen33's
per-block scan, which d72de24a made inline)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from msidbg.model import new_engine
from msidbg.model import xensched as X
from msidbg.scenario import load_scenario
from tests.test_run_goldens import fingerprint

ROOT = Path(__file__).resolve().parent.parent
# the held-out scenarios in which a spinning vCPU's PAUSE-loop exit is armed (credit and credit2, a rate-limited
# yield, a stopper, an ioreq-blocked vCPU, a dying vCPU: 4.5 to 4.19)
FILES = [ROOT / "tests" / f for f in (
    "audit25/a02-x480-credit-spinner-yields-past-tickle.yaml",
    "heldout_xen31/x38-hvm-native-x414-k510-stopper-wakes-queued-migrated-vcpu.yaml",
    "xen33/a01-x411-hvm-offline-shared-pcpu-ple.yaml",
    "xen33/a05-x4192-hvm-requester-shares-pcpu.yaml",
    "xen33/a06-x411-hvm-task-preempted-by-stopper-shares-pcpu.yaml",
    "xen33/a07-x416-hvm-ioreq-blocked-vcpu-holds-no-pcpu.yaml",
    "xen34/c03-x470-k419-credit2-spinner-no-yield-hook.yaml",
    "xen34/c04-x480-k419-credit2-yield-escapes-ratelimit.yaml",
    "xensched30/s07-x4192-ple-yield-lock-holder.yaml",
)]


class _Scanning(X.Sched):
    """The reference: a ``Sched`` that never knows its agenda to be free of PAUSE-loop exits (every block scans)."""

    @property   # type: ignore[override]
    def noyield(self) -> Any:
        return None

    @noyield.setter
    def noyield(self, value: Any) -> None:
        pass


def _counting(monkeypatch: Any, seen: dict[str, int]) -> None:
    """Count what the blocks of a run with the cache did: scans skipped, exits dropped, scans that left it unknown."""
    block = X.Sched.block

    def counted(self: X.Sched, eng: Any, c: Any) -> None:
        known = self.noyield is eng.agenda
        before = sum(1 for it in eng.agenda.values() if X._yield_item(it, self.pcpu[c.id]))
        block(self, eng, c)
        after = sum(1 for it in eng.agenda.values() if X._yield_item(it, self.pcpu[c.id]))
        others = any(len(it) > 5 and it[2:4] == ["xen", "sched"] and it[5] == "yield" for it in eng.agenda.values())
        seen["skipped" if known else "scanned"] += 1
        seen["dropped"] += before > after
        seen["unknown after"] += self.noyield is None
        # the cache never claims an agenda free of exits that holds one
        assert not (self.noyield is eng.agenda and others)
    monkeypatch.setattr(X.Sched, "block", counted)


def test_runs_that_arm_pause_loop_exits_are_the_same_with_the_cache(monkeypatch: Any) -> None:
    seen = {"skipped": 0, "scanned": 0, "dropped": 0, "unknown after": 0}
    with monkeypatch.context() as m:
        _counting(m, seen)
        cached = [fingerprint(f, s) for f in FILES for s in (None, "random")]
    with monkeypatch.context() as m:
        m.setattr(X, "Sched", _Scanning)
        scanned = [fingerprint(f, s) for f in FILES for s in (None, "random")]
    assert cached == scanned
    # what the runs covered: blocks that skipped the scan, scans that dropped the pCPU's exit, and scans that found
    # another pCPU's exit (the cache stays unknown)
    assert all(seen.values()), seen
    assert seen["skipped"] > seen["scanned"], seen


def test_an_armed_exit_clears_the_cache_and_the_next_block_drops_it() -> None:
    eng = new_engine(load_scenario(str(FILES[-1])))     # s07: two vCPUs share a pCPU, one spins
    xs = eng.model.xsched
    assert isinstance(xs, X.Sched) and xs.noyield is None
    w = eng.w
    # a world in which vCPU0 runs alone on pCPU0 and nothing is armed: a block finds nothing and learns it
    s = w.xen["sched"]
    p = w.xen["pcpu"][0]
    s["run"][p] = 0
    s["runq"].pop(p, None)
    eng.unschedule(lambda it: X._yield_item(it, p))
    c = w.cpus[0]
    xs.block(eng, c)
    assert p not in s["run"] and xs.noyield is eng.agenda
    # vCPU0 runs again; its PAUSE-loop exit is armed (``_arm_yield``): the cache is cleared, the block drops it
    s["run"][p] = 0
    X._arm_yield(eng, p, w.now + X.PLE_WINDOW_NS)
    assert xs.noyield is None
    assert sum(X._yield_item(it, p) for it in eng.agenda.values()) == 1
    xs.block(eng, c)
    assert not any(X._yield_item(it, p) for it in eng.agenda.values())
    assert xs.noyield is eng.agenda
    # another pCPU's exit stays armed through a block on this one, and the cache stays unknown
    q = p + 1
    s["run"][p] = 0
    X._arm_yield(eng, q, w.now + X.PLE_WINDOW_NS)
    xs.block(eng, c)
    assert sum(X._yield_item(it, q) for it in eng.agenda.values()) == 1 and xs.noyield is None
    # a world installed again (time travel) starts unknown, whatever the old Sched knew
    from msidbg.debugger.timeline import install
    from msidbg.sim.rec import as_world, plain
    install(eng, as_world(copy.deepcopy(plain(eng.w))))
    assert eng.model.xsched is not xs and eng.model.xsched.noyield is None


@pytest.mark.parametrize("path", [ROOT / "scenarios" / "xen-hvm-msix-mask-late.yaml"])
def test_a_shipped_xen_run_scans_once(monkeypatch: Any, path: Path) -> None:
    # no vCPU shares a pCPU: nothing arms an exit, so only the first block of each Sched scans
    seen = {"skipped": 0, "scanned": 0, "dropped": 0, "unknown after": 0}
    _counting(monkeypatch, seen)
    fingerprint(path, None)
    assert seen["scanned"] == 1 and seen["skipped"] > 0 and seen["dropped"] == 0 and seen["unknown after"] == 0, seen
