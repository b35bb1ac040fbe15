"""Checkpoints of one run's history: where to restore from, hash checks, bounded memory.

History is linear and deterministic (the random generator's state is part of the world), so
any event can be reached by restoring a saved world at or before it and re-executing. Two
kinds of saved worlds, each a msgpack blob:

* **coarse** checkpoints, taken while the run first reaches new events, every ``spacing``
  events. The spacing adapts: it is chosen from the measured cost of re-executing an event
  and of restoring a world so that replaying one interval takes about ``TARGET_REPLAY_S``.
  When their bytes pass ``budget``, every other checkpoint in the older half is dropped, so
  old history gets sparser (slower to reach) while memory stays bounded.
* **fine** checkpoints: a small LRU of worlds near where the user has been (seek targets and
  places stepped back from), so that ``step_back`` replays tens of events, not thousands.
  They are kept split (``msidbg.sim.chunks``): restoring one onto a nearby live world unpacks
  only the pieces that differ, which is what makes a one-event step back cheap on big worlds.

Every coarse checkpoint leaves a fingerprint (sha256 of its blob, 16 bytes) that is kept even
after the blob is thinned; re-executing through such an event must reproduce it exactly.
A mismatch is a ``DivergenceError``: determinism is broken, never silently.
"""

from __future__ import annotations

import bisect
import hashlib
import time
from collections import OrderedDict
from typing import Any

from msidbg.errors import DivergenceError
from msidbg.sim import chunks
from msidbg.sim.world import diff_paths, pack_world, unpack_world

#: what one coarse interval should cost to replay (restore + re-execution), in seconds
TARGET_REPLAY_S = 0.012
MIN_SPACING, MAX_SPACING = 32, 200_000
DEFAULT_BUDGET = 192 << 20
FINE_MAX_ENTRIES, FINE_MAX_BYTES = 64, 24 << 20
#: fine checkpoints saved on the way to a seek target (the grid points just before it)
FINE_AHEAD = 4
#: worlds packing to at least this many bytes keep their fine checkpoints split
SPLIT_MIN_BYTES = 256 << 10


def fingerprint(blob: bytes) -> bytes:
    """16 bytes identifying a packed world (its dict order is a function of the run)."""
    return hashlib.sha256(blob).digest()[:16]


class Timeline:
    """The saved worlds of one engine's run; the engine's world is replaced on restore."""

    def __init__(self, eng: Any, spacing: int | None = None, budget: int = DEFAULT_BUDGET) -> None:
        self.eng = eng
        self.fixed = spacing
        self.spacing = spacing or 256
        self.budget = budget
        start = eng.w["events"]
        blob = pack_world(eng.w)
        self.coarse: dict[int, bytes] = {start: blob}
        self.order: list[int] = [start]
        self.fps: dict[int, bytes] = {start: fingerprint(blob)}
        self.fp_events: list[int] = [start]
        self.fine: OrderedDict[int, chunks.Node] = OrderedDict()
        self.fine_bytes = 0
        self.coarse_bytes = len(blob)
        self._last_bytes = len(blob)
        self.frontier = start
        #: events to take coarse checkpoints at instead of by spacing (a snapshot's, when replaying it)
        self.plan: list[int] = []
        self.next_at = start + self.spacing
        self._clock = (time.perf_counter(), start)
        self._event_s = 5e-6
        self._restore_s = len(blob) * 2e-8
        self.thinned = 0

    # -- the forward hook -----------------------------------------------------------------------
    def on_event(self) -> None:
        """Called by run loops when ``eng.cur >= next_at``: verify a known point or add a new one."""
        cur = self.eng.cur
        if cur in self.fps:
            self.verify(cur)
        elif cur >= self._make_at(cur - 1):
            self._add(cur)
        self._retarget(cur)

    def _make_at(self, cur: int) -> int:
        """The next event after ``cur`` (and after the frontier) to take a new checkpoint at."""
        base = max(self.frontier, cur)
        if self.plan and self.plan[-1] > base:
            return self.plan[bisect.bisect_right(self.plan, base)]
        return max(self.frontier + self.spacing, cur + 1)

    def _retarget(self, cur: int) -> None:
        i = bisect.bisect_right(self.fp_events, cur)
        make = self._make_at(cur)
        self.next_at = min(self.fp_events[i], make) if i < len(self.fp_events) else make

    def retarget(self) -> None:
        """Recompute ``next_at`` after the engine's world was replaced."""
        self._retarget(self.eng.cur)

    def verify(self, cur: int) -> None:
        """The world at ``cur`` must be the one fingerprinted when the run first got here."""
        blob = pack_world(self.eng.w)
        if fingerprint(blob) == self.fps[cur]:
            return
        where = ""
        saved = self.coarse.get(cur)
        if saved is not None:
            paths = diff_paths(unpack_world(saved), self.eng.w, limit=3)
            where = f"; first difference at {paths[0]}" if paths else ""
        raise DivergenceError(f"re-execution diverged: the world at event {cur} differs from the one "
                              f"recorded when the run first reached it{where} (a determinism bug in msidbg)")

    def _add(self, cur: int) -> None:
        t0 = time.perf_counter()
        blob = pack_world(self.eng.w)
        pack_s = time.perf_counter() - t0
        self.coarse[cur] = blob
        self.order.append(cur)
        self.fps[cur] = fingerprint(blob)
        self.fp_events.append(cur)
        self.coarse_bytes += len(blob)
        self._last_bytes = len(blob)
        self.frontier = cur
        self._adapt(cur, pack_s)
        if self.coarse_bytes > self.budget:
            self._thin()

    def _adapt(self, cur: int, pack_s: float) -> None:
        """Re-derive the spacing from the measured event and restore costs (unless fixed)."""
        now = time.perf_counter()
        t_prev, ev_prev = self._clock
        self._clock = (now, cur)
        if cur > ev_prev:
            per_event = (now - t_prev - pack_s) / (cur - ev_prev)
            self._event_s = 0.7 * self._event_s + 0.3 * max(per_event, 1e-7)
        # unpacking costs about twice packing (it builds every object)
        self._restore_s = 0.7 * self._restore_s + 0.3 * 2.5 * pack_s
        if self.fixed:
            return
        budget_s = max(TARGET_REPLAY_S - self._restore_s, TARGET_REPLAY_S / 4)
        self.spacing = max(MIN_SPACING, min(MAX_SPACING, int(budget_s / self._event_s)))

    def _thin(self) -> None:
        """Drop every other coarse checkpoint in the older half until under 3/4 of the budget."""
        while self.coarse_bytes > self.budget * 3 // 4 and len(self.order) > 4:
            half = len(self.order) // 2
            keep = [self.order[0]]
            for i, ev in enumerate(self.order[1:half], start=1):
                if i % 2 == 0:
                    keep.append(ev)
                else:
                    self.coarse_bytes -= len(self.coarse.pop(ev))
                    self.thinned += 1
            self.order = keep + self.order[half:]
            if half <= 2:
                break

    # -- restoring --------------------------------------------------------------------------------
    def best_start(self, target: int, live: chunks.Node | None = None) -> int:
        """Bring the engine to the cheapest point at or before ``target``; return its event.

        ``live`` is the split of the engine's current world, when the caller has it: restoring a
        fine checkpoint then rebuilds only what differs.
        """
        eng = self.eng
        cur = eng.w["events"]
        ev, saved = self._nearest(target)
        if cur <= target and (target - cur) * self._event_s <= (target - ev) * self._event_s + self._restore_s:
            return int(cur)
        self.restore(ev, saved, live)
        return ev

    def _nearest(self, target: int) -> tuple[int, Any]:
        i = bisect.bisect_right(self.order, target) - 1
        ev = self.order[max(i, 0)]
        saved: Any = self.coarse[ev]
        for f_ev in self.fine:
            if ev < f_ev <= target:
                ev = f_ev
        if ev not in self.coarse:
            saved = self.fine[ev]
            self.fine.move_to_end(ev)
        return ev, saved

    def restore(self, ev: int, saved: Any, live: chunks.Node | None = None) -> None:
        """Install the world saved at ``ev``: a coarse blob, or a fine split (patched onto the
        live world when its split ``live`` is given)."""
        if not isinstance(saved, bytes):
            usable = live is not None and not isinstance(live, bytes)
            world = chunks.patch(self.eng.w, live, saved) if usable else chunks.build(saved)
        else:
            t0 = time.perf_counter()
            world = unpack_world(saved)
            self._restore_s = 0.8 * self._restore_s + 0.2 * (time.perf_counter() - t0)
        install(self.eng, world)
        self.retarget()

    def fine_plan(self, start: int, target: int) -> list[int]:
        """Events between ``start`` and ``target`` worth saving on the way (grid points just before)."""
        step = max(16, self.spacing // 16)
        if target - start <= step:
            return []
        top = (target - 1) // step * step
        return [g for g in range(max(start + 1, top - (FINE_AHEAD - 1) * step), top + 1, step)
                if g > start and g not in self.fine and g not in self.coarse][-FINE_AHEAD:]

    def split_worth_it(self) -> bool:
        """Are worlds big enough that fine checkpoints should be split (see ``chunks``)?
        Small worlds pack and unpack whole faster than they split."""
        return self._last_bytes >= SPLIT_MIN_BYTES

    def save_fine(self, saved: Any = None) -> None:
        """Keep the engine's current world as a fine checkpoint: ``saved`` is its packed blob or
        split, if the caller made one; otherwise whichever suits the world's size."""
        ev = self.eng.w["events"]
        if ev in self.coarse or ev in self.fine:
            return
        if saved is None:
            saved = chunks.split(self.eng.w) if self.split_worth_it() else pack_world(self.eng.w)
        self.fine[ev] = saved
        self.fine_bytes += _size(saved)
        while self.fine and (len(self.fine) > FINE_MAX_ENTRIES or self.fine_bytes > FINE_MAX_BYTES):
            _, old = self.fine.popitem(last=False)
            self.fine_bytes -= _size(old)

    def points_before(self, target: int) -> list[int]:
        """Events with a saved world (coarse or fine) strictly before ``target``, ascending."""
        pts = set(self.order[: bisect.bisect_left(self.order, target)])
        pts.update(ev for ev in self.fine if ev < target)
        return sorted(pts)

    def memory_bytes(self) -> int:
        return self.coarse_bytes + self.fine_bytes

    def stats(self) -> dict[str, int]:
        return {"coarse": len(self.order), "fine": len(self.fine), "fingerprints": len(self.fps),
                "spacing": self.spacing, "bytes": self.memory_bytes(), "thinned": self.thinned}


def _size(saved: Any) -> int:
    return len(saved) if isinstance(saved, bytes) else chunks.size(saved)


def install(eng: Any, world: dict[str, Any]) -> None:
    """Make ``world`` the engine's state (and re-bind the model's execution context to it)."""
    eng.w = world
    eng.cur = world["events"]
    eng.model.bind(eng)
    if eng.step_hits:
        eng.step_hits = []
    if eng.step_calls:
        eng.step_calls = []
