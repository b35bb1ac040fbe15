"""Checkpoint fingerprints computed when needed (``timeline.Fingerprints``, ``Motion.left``): taking
a checkpoint or stepping back costs a pack, not a pack and a sha256, and every check a fingerprint
served is still made -- on the packed bytes while they are kept -- and every fingerprint asked for
(a snapshot's hash points, a thinned or compressed checkpoint's) is the world's."""

from __future__ import annotations

from typing import Any

import pytest

from msidbg.debugger import Session, timeline
from msidbg.debugger import motion as motion_mod
from msidbg.debugger.timeline import Zipped, fingerprint
from msidbg.errors import DivergenceError
from msidbg.model import new_engine
from msidbg.sim.world import pack_world
from tests.conftest import scenario, shipped
from tests.test_timetravel import RANDOM_SCENARIO


def _count_hashes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the fingerprints the timeline and the cursor's moves compute."""
    calls = [0]
    real = timeline.fingerprint

    def counted(blob: bytes) -> bytes:
        calls[0] += 1
        return real(blob)

    monkeypatch.setattr(timeline, "fingerprint", counted)
    monkeypatch.setattr(motion_mod, "fingerprint", counted)
    return calls


def test_checkpoints_and_step_backs_hash_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run taking dozens of checkpoints, seeks and step backs: no sha256 of a packed world (the
    first checkpoint's aside); the fingerprints, asked for, are the worlds' own."""
    calls = _count_hashes(monkeypatch)
    s = Session(shipped("msix-write-while-unmasked"), spacing=8)
    s.run()
    tl = s.timeline
    assert len(tl.order) > 10
    for ev in (s.total - 3, s.total // 2, 40):
        s.seek(ev)
        s.step_back(3)
        s.step(3)
    assert calls[0] <= 1
    eng = new_engine(shipped("msix-write-while-unmasked"))
    for ev in tl.fp_events:
        eng.advance(ev - eng.cur)
        assert tl.fps[ev] == fingerprint(pack_world(eng.w)), ev


def test_fingerprints_outlive_thinned_and_compressed_checkpoints() -> None:
    """A small budget: checkpoints are compressed, then thinned; every fingerprint (and a
    snapshot's hash points) is still the world's at that event, and re-execution checks them."""
    world_bytes = len(pack_world(Session(scenario(RANDOM_SCENARIO)).world))
    s = Session(scenario(RANDOM_SCENARIO), spacing=4, budget=world_bytes * 8)
    s.run()
    tl = s.timeline
    assert tl.thinned > 0 and tl.zipped > 0 and any(isinstance(v, Zipped) for v in tl.coarse.values())
    eng = new_engine(scenario(RANDOM_SCENARIO))
    for ev in tl.fp_events:
        eng.advance(ev - eng.cur)
        assert tl.fps[ev] == fingerprint(pack_world(eng.w)), ev
    for i in (3, s.total // 2, s.total - 3):
        s.seek(i)
    s.seek(0)
    s.run()     # re-executes through every fingerprinted event


def _tamper(s: Session) -> None:
    """Make the live world differ from the one the run had (a stand-in for a determinism bug)."""
    w: Any = s.eng.w
    w.cpus[0].tpr = w.cpus[0].tpr + 0x10


def test_re_execution_still_catches_a_world_that_differs_at_a_pending_checkpoint() -> None:
    s = Session(shipped("msix-write-while-unmasked"), spacing=8)
    s.run()
    tl = s.timeline
    ev = next(e for e in tl.fp_events[2:] if tl.fps.pending(e))
    s.seek(ev - 3)
    _tamper(s)
    with pytest.raises(DivergenceError, match=f"world at event {ev} differs"):
        s.step(5)


def test_coming_back_still_catches_a_world_that_differs_from_the_one_left() -> None:
    s = Session(shipped("msix-write-while-unmasked"), spacing=8)
    s.seek(60)
    s.step_back(2)
    assert 60 in s.motion.left and 60 not in s.motion.seen
    _tamper(s)
    with pytest.raises(DivergenceError, match="event 60 does not reproduce"):
        s.step(2)


def test_worlds_left_long_ago_keep_a_fingerprint_only() -> None:
    """The packed worlds kept for the check are bounded; older ones leave their fingerprint."""
    s = Session(shipped("msix-write-while-unmasked"), spacing=8)
    s.seek(s.eng.cur + 200)
    top = s.eng.cur
    for _ in range(motion_mod.LEFT_BLOBS + 10):
        s.step_back()
    assert len(s.motion.left) == motion_mod.LEFT_BLOBS
    assert top in s.motion.seen and top not in s.motion.left
    eng = new_engine(shipped("msix-write-while-unmasked"))
    eng.advance(top)
    assert s.motion.seen[top] == b"p" + fingerprint(pack_world(eng.w))
    s.seek(top)     # coming back through all of them checks each
