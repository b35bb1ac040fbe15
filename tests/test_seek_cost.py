"""Seeks re-execute at most about one checkpoint interval, whatever the restore cost estimate says.

``Timeline.best_start`` weighs running on from the cursor against restoring a saved world, with
a restore cost averaged from measured unpacks. One slow unpack (a GC pause, a busy machine) used
to inflate that estimate so much that ``Session.executed`` -- which goes back one event before
its target, steps, and returns to the cursor -- ran forward hundreds of thousands of events
instead of restoring the world saved at the cursor (``why``'s p99 of seconds on a 1M-event run).
These tests count the events re-executed, not the time.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from msidbg.debugger import Session
from msidbg.debugger import timeline as tlmod
from msidbg.sim.world import state_hash
from tests.conftest import scenario

SPACING = 64

STORM = """
name: seek-cost
seed: 3
cpus: 2
devices:
  eth0: {bdf: "00:03.0", msix: {table_size: 2}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
  - {at: 20us, do: fire, dev: eth0, vector: 0, count: 400, every: 2us}
  - {at: 21us, do: fire, dev: eth0, vector: 1, count: 400, every: 3us}
"""


class SlowClock:
    """``time`` for the timeline module whose clock jumps while a world is unpacked: every restore
    the timeline measures looks like it took ``pause`` seconds."""

    def __init__(self, pause: float) -> None:
        self.pause, self.offset = pause, 0.0

    def perf_counter(self) -> float:
        return time.perf_counter() + self.offset

    def unpack(self, blob: bytes) -> dict[str, Any]:
        self.offset += self.pause
        return real_unpack(blob)


real_unpack = tlmod.unpack_world


def counted(s: Session) -> list[int]:
    """Count the events the engine executes from now on (forward runs and single steps)."""
    eng, n = s.eng, [0]
    advance, step = eng.advance, eng.step

    def adv(k: int, *a: Any, **kw: Any) -> int:
        ran = advance(k, *a, **kw)
        n[0] += ran
        return int(ran)

    def one() -> bool:
        n[0] += 1
        return bool(step())

    eng.advance, eng.step = adv, one  # type: ignore[method-assign]
    return n


def test_executed_restores_instead_of_running_on_after_a_slow_unpack(
        monkeypatch: pytest.MonkeyPatch) -> None:
    s = Session(scenario(STORM), spacing=SPACING)
    s.run()
    total = s.total
    assert total > 30 * SPACING  # long enough that running on back to the cursor is costly
    origin, index = total - 10, total // 3
    s.seek(origin)
    want = state_hash(s.world)
    clock = SlowClock(pause=30.0)
    monkeypatch.setattr(tlmod, "time", clock)
    monkeypatch.setattr(tlmod, "unpack_world", clock.unpack)
    before = s.timeline._restore_s
    n = counted(s)
    got = s.executed(index)
    assert got is not None or s.event(index).cpu is None
    # back to index - 1: from the coarse checkpoint at or before it; one step; back to the
    # cursor: the world saved there when the cursor left (or at most one interval of running on),
    # never the (origin - index) events in between
    assert n[0] <= (index - 1) % SPACING + 1 + SPACING, n[0]
    assert s.cursor == origin and state_hash(s.world) == want
    # the slow unpack moved the estimate, but by a bounded factor (one outlier, not a trend)
    assert before < s.timeline._restore_s <= before * (0.8 + 0.2 * tlmod.OUTLIER) ** 2 + 1e-12


def test_a_seek_forward_runs_on_at_most_one_interval_more_than_a_restore() -> None:
    s = Session(scenario(STORM), spacing=SPACING)
    s.run()
    tl = s.timeline
    s.seek(5)
    target = s.total - 5
    tl._restore_s = 1e3    # whatever inflated it: a restore must still beat a long run
    n = counted(s)
    s.seek(target)
    assert s.cursor == target
    assert n[0] <= target - max(e for e in tl.order if e <= target) + SPACING, n[0]
    # a short run on still beats a restore (the world saved at the target, when the cursor left)
    s.seek(target - 3)
    n[0] = 0
    s.seek(target)
    assert n[0] <= 3
