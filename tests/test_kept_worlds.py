"""Big worlds go back without packing the world they leave (``msidbg.debugger.kept``).

The world the cursor leaves is kept whole and reused as it is (stepping back and forth over one
event swaps two worlds), or packed and patched into a saved world when the cursor goes farther.
Every world reached must be, byte for byte (``pack_world``), the world a fresh straight run has
at that event -- and so must the kept world, at its own event, whatever ran since it was left.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import Session, timeline
from msidbg.errors import DivergenceError
from msidbg.model import new_engine
from msidbg.scenario import Scenario, load_scenario
from msidbg.sim.world import pack_world
from tests.conftest import shipped

BIG_TABLE = Path(__file__).resolve().parent.parent / "benchmarks" / "big-table.yaml"


def _digest(w: dict[str, Any]) -> str:
    return hashlib.sha256(pack_world(w)).hexdigest()


def _reference(scn: Scenario, events: set[int]) -> dict[int, str]:
    """The packed world's digest at each of ``events`` in a fresh straight run."""
    eng = new_engine(scn)
    out: dict[int, str] = {}
    for e in sorted(events):
        while eng.cur < e and eng.step():
            pass
        out[e] = _digest(eng.w)
    return out


def _moves(rng: random.Random, lo: int, hi: int, n: int) -> list[tuple[str, int]]:
    """Random back and forth moves, mostly short (the TUI's keys), some seeks in [lo, hi]."""
    out: list[tuple[str, int]] = []
    for _ in range(n):
        r = rng.random()
        if r < 0.35:
            out.append(("step", rng.choice((1, 1, 1, 2, 5))))
        elif r < 0.7:
            out.append(("back", rng.choice((1, 1, 1, 2, 7))))
        elif r < 0.8:
            out += [("step", 1), ("back", 1), ("step", 1)]     # the TUI's step, step back, step
        elif r < 0.85:
            out.append(("return", 0))                           # back to where the last move started
        else:
            out.append(("seek", rng.randrange(lo, hi + 1)))
    return out


Seen = list[tuple[int, str, int | None, str | None]]


def _walk(s: Session, moves: list[tuple[str, int]]) -> Seen:
    """Apply ``moves`` (each must land where it says); after each, (cursor, the live world's
    digest, the kept world's event and digest or None)."""
    seen: Seen = []
    prev = s.cursor
    for op, arg in moves:
        prev, here = s.cursor, prev
        if op == "return":
            s.seek(want := here)
        elif op == "step":
            stop = s.step(arg)          # a breakpoint may stop it early
            want = stop.event if stop.reason == "breakpoint" else min(prev + arg, s.total)
        elif op == "back":
            s.step_back(arg)
            want = max(prev - arg, 0)
        else:
            s.seek(arg)
            want = min(arg, s.total)
        assert s.cursor == want, (op, arg, prev)
        k = s.motion.keeper.kept
        seen.append((s.cursor, _digest(s.world), k.ev if k else None, _digest(k.world) if k else None))
    return seen


def _check(seen: Seen, scn: Scenario) -> None:
    want = _reference(scn, {c for c, *_ in seen} | {k for _, _, k, _ in seen if k is not None})
    for i, (cur, live, kev, kept) in enumerate(seen):
        assert live == want[cur], f"move {i}: the world at event {cur} differs from a straight run's"
        if kev is not None:
            assert kept == want[kev], f"move {i}: the kept world (event {kev}) differs from a straight run's"


def _split_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat every world as big (split checkpoints, kept worlds), as big-table's are."""
    monkeypatch.setattr(timeline, "SPLIT_MIN_BYTES", 0)


def _recorded(scn: Scenario, monkeypatch: pytest.MonkeyPatch, spacing: int = 16) -> Session:
    """A session of ``scn`` treated as a big world, its whole run recorded (the cursor at the end)."""
    _split_all(monkeypatch)
    s = Session(scn, spacing=spacing)
    s.run()
    return s


@pytest.mark.parametrize("name", ["msix-write-while-unmasked", "msi-torn-affinity-update", "xen-pirq-reuse-nvme"])
@pytest.mark.parametrize("seed", [1, 2])
def test_random_walks_reach_the_straight_runs_worlds_byte_for_byte(name: str, seed: int,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    scn = shipped(name)
    s = _recorded(scn, monkeypatch)
    total = s.total
    rng = random.Random(seed)
    s.seek(rng.randrange(total // 3, total))
    _check(_walk(s, _moves(rng, 1, total, 80)), scn)
    starts = s.motion.keeper.starts
    assert starts["kept"] > 0 and starts["patched"] > 0, starts


def test_big_table_walk_reaches_the_straight_runs_worlds_byte_for_byte() -> None:
    """The TUI benchmark's world (2,048 entries x 64 CPUs), around its cursor at event 25,000.
    A fixed spacing: the adaptive one follows measured pack times, and on a loaded machine it may
    keep no checkpoint after the first (a world packed before the table filled: not split)."""
    scn = load_scenario(str(BIG_TABLE))
    s = Session(scn, spacing=2000)
    s.run()
    assert s.timeline.split_worth_it()
    s.seek(25_000)
    rng = random.Random(5)
    moves = [("step", 1), ("back", 1), ("step", 1)] * 4 + _moves(rng, 24_950, 25_050, 30)
    _check(_walk(s, moves), scn)
    starts = s.motion.keeper.starts
    assert starts["kept"] >= 4 and starts["patched"] > 0, starts


def test_stepping_back_and_forth_over_one_event_packs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The TUI's step / step back / step: the two worlds swap; no world is split after the first."""
    scn = shipped("msi-torn-affinity-update")
    s = _recorded(scn, monkeypatch)
    s.seek(200)
    s.step()
    s.step_back()
    s.step()
    from msidbg.sim import chunks

    calls = []
    real = chunks.split
    monkeypatch.setattr(chunks, "split", lambda *a: calls.append(1) or real(*a))
    for _ in range(10):
        s.step()
        s.step_back()
        s.step()
    assert calls == []
    assert s.cursor == 211 and s.motion.keeper.kept is not None and s.motion.keeper.kept.ev == 211


def test_the_kept_world_shares_no_object_with_the_live_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A container reachable from both worlds would let the live world's events write into the
    kept one, which is reused as it is: it must never happen."""
    s = _recorded(shipped("xen-pirq-reuse-nvme"), monkeypatch)
    rng = random.Random(3)
    s.seek(s.total // 2)
    for op, arg in _moves(rng, 1, s.total, 40):
        getattr(s, {"step": "step", "back": "step_back", "seek": "seek", "return": "seek"}[op])(arg)
        k = s.motion.keeper.kept
        if k is not None:
            assert not _containers(k.world) & _containers(s.world)


def _containers(obj: Any, out: set[int] | None = None) -> set[int]:
    out = set() if out is None else out
    if isinstance(obj, (dict, list)):
        out.add(id(obj))
        for v in obj.values() if isinstance(obj, dict) else obj:
            _containers(v, out)
    return out


def test_a_write_into_the_kept_world_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a stray reference into the world left behind would do. Coming back to its event by
    re-execution compares the worlds (a DivergenceError); reinstalling it is what the walks
    above check byte for byte, and that check sees it."""
    scn = shipped("msix-write-while-unmasked")
    s = _recorded(scn, monkeypatch)
    s.seek(60)
    s.step_back()
    kept = s.motion.keeper.kept
    assert kept is not None and kept.ev == 60
    kept.world["devices"]["eth0"]["msix"]["table"][0]["data"] ^= 1
    with pytest.raises(DivergenceError, match="event 60 does not reproduce"):
        s.step()
    # the same write, then a walk that reinstalls the kept world: the walks' check fails
    s = _recorded(scn, monkeypatch)
    s.seek(60)
    s.step_back(3)
    kept = s.motion.keeper.kept
    assert kept is not None and kept.ev == 60
    kept.world["devices"]["eth0"]["msix"]["table"][0]["data"] ^= 1
    seen = _walk(s, [("seek", 60)])
    assert s.motion.keeper.starts["kept"] == 1
    with pytest.raises(AssertionError, match="differs from a straight run's"):
        _check(seen, scn)


def test_a_kept_world_packed_for_a_farther_restore_is_still_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Going back past the kept world packs it (a fine checkpoint, a fingerprint in ``seen``):
    coming back to its event by re-execution compares fingerprints, as for any world left."""
    s = _recorded(shipped("msix-write-while-unmasked"), monkeypatch, 8)
    s.seek(60)
    s.step_back()               # keeps the world at 60
    assert 60 not in s.motion.seen and 60 not in s.timeline.fine
    patched = s.motion.keeper.starts["patched"]
    s.step_back(5)              # packs it, patches it into a saved world at or before 54
    assert s.motion.keeper.starts["patched"] == patched + 1 and 60 in s.motion.seen and 60 in s.timeline.fine
    s.motion.seen[60] = b"s" + b"\0" * 16
    del s.timeline.fine[60]     # reach 60 by re-execution, not by restoring what was saved there
    with pytest.raises(DivergenceError, match="event 60 does not reproduce"):
        s.seek(60)
