"""Checkpoints of one run's history: where to restore from, hash checks, bounded memory.

History is linear and deterministic (the random generator's state is part of the world), so
any event can be reached by restoring a saved world at or before it and re-executing. Two
kinds of saved worlds:

* **coarse** checkpoints, taken while the run first reaches new events, every ``spacing``
  events. The spacing adapts to two measured costs: replaying one interval (restore +
  re-execution) should take about ``TARGET_REPLAY_S``, and packing checkpoints should take at
  most ``PACK_SHARE`` of the run (a 2,048-entry world packs in ~20 ms: it gets a checkpoint
  every tens of thousands of events, not every few hundred). Worlds that pack to
  ``SPLIT_MIN_BYTES`` or more are kept split (``msidbg.sim.chunks``), sharing every piece that
  did not change with the previous checkpoint, so each costs the memory of what changed. When
  their bytes pass ``budget``, every other checkpoint is dropped, along the whole history, and
  new ones are spaced at least as far apart: memory stays bounded and the gaps stay even, so
  reaching any event costs about the same.
* **fine** checkpoints: a small LRU of worlds near where the user has been (seek targets and
  places stepped back from), so that ``step_back`` replays tens of events, not thousands.
  Big worlds keep them split too: restoring one onto a world whose split is known unpacks only
  the pieces that differ. (Big worlds do not pack the world a backward move leaves at once:
  ``msidbg.debugger.motion`` keeps it whole and packs it only when it must serve as such a
  world, which is when it becomes a fine checkpoint.)

Every coarse checkpoint leaves a fingerprint (sha256 of the packed world, 16 bytes, the same
whichever form the checkpoint is kept in) that outlives its blob; re-executing through such an
event must reproduce it exactly. A mismatch is a ``DivergenceError``: determinism is broken,
never silently. The fingerprint is computed when first needed (``Fingerprints``): while the
checkpoint is kept packed, re-execution compares the packed bytes themselves, as exact and
without a hash, so a run's checkpoints cost their pack alone (a quarter less for the storm's world).

A timeline without ``history`` (headless runs that never go back) takes no checkpoint after
the first.
"""

from __future__ import annotations

import bisect
import time
import zlib
from collections import OrderedDict
from typing import Any

from msidbg.digest import sha256
from msidbg.errors import DivergenceError
from msidbg.sim import chunks
from msidbg.sim.world import diff_paths, pack_world, unpack_world

#: what one coarse interval should cost to replay (restore + re-execution), in seconds
TARGET_REPLAY_S = 0.012
#: the share of a run's time that packing coarse checkpoints may take
PACK_SHARE = 0.08
MIN_SPACING, MAX_SPACING = 32, 200_000
DEFAULT_BUDGET = 192 << 20
FINE_MAX_ENTRIES, FINE_MAX_BYTES = 64, 24 << 20
#: fine checkpoints saved on the way to a seek target (the grid points just before it)
FINE_AHEAD = 2
#: at most this much re-execution between two grid points of fine checkpoints (see fine_step)
FINE_REPLAY_S = 0.004
#: worlds packing to at least this many bytes keep their checkpoints split
SPLIT_MIN_BYTES = 256 << 10
#: a measured restore counts at most this many times the current estimate (see ``_sample``)
OUTLIER = 4.0
#: the first guess of an event's cost, before anything was measured
EVENT_S_GUESS = 5e-6
NEVER = 1 << 62
#: packed coarse checkpoints are compressed once they hold this share of the budget (see ``Zipped``)
ZIP_SHARE = 0.5
#: older checkpoints compressed per new one until all are (the work spread over the run)
ZIP_CATCH_UP = 4


class Zipped:
    """A packed coarse checkpoint kept zlib-compressed (level 1: a world of ~80 KB compresses
    about 8x in under a millisecond and decompresses in a quarter of one). A long run's
    checkpoints are compressed rather than thinned: the spacing, and so the cost of reaching
    any event, stays what it was at the start."""

    __slots__ = ("data",)

    def __init__(self, blob: bytes) -> None:
        self.data = zlib.compress(blob, 1)

    def blob(self) -> bytes:
        return zlib.decompress(self.data)


def fingerprint(blob: bytes) -> bytes:
    """16 bytes identifying a packed world (its dict order is a function of the run)."""
    return sha256(blob).digest()[:16]


def saved_fingerprint(saved: Any) -> bytes:
    """The fingerprint of a saved world, packed, compressed or split (the same value for the same world)."""
    if isinstance(saved, Zipped):
        saved = saved.blob()
    return fingerprint(saved) if isinstance(saved, bytes) else chunks.packed_digest(saved)


class Fingerprints:
    """Event -> the fingerprint of the world the run had there (``Timeline.fps``), as a mapping.

    A coarse checkpoint's is computed when first asked for, from the checkpoint (``pending``
    until then): before the checkpoint is compressed or dropped, for a snapshot's hash points,
    for a recording's replay. Re-execution through a checkpoint still kept packed compares the
    packed bytes instead (``Timeline.verify``). Setting one makes it known (and no longer pending)."""

    def __init__(self, coarse: dict[int, Any]) -> None:
        self._coarse = coarse
        #: event -> fingerprint, or None: pending (the coarse checkpoint at that event stands for it)
        self._fps: dict[int, bytes | None] = {}

    def __contains__(self, ev: object) -> bool:
        return ev in self._fps

    def __len__(self) -> int:
        return len(self._fps)

    def __iter__(self) -> Any:
        return iter(self._fps)

    def __getitem__(self, ev: int) -> bytes:
        fp = self._fps[ev]
        if fp is None:
            fp = self._fps[ev] = saved_fingerprint(self._coarse[ev])
        return fp

    def get(self, ev: int, default: bytes | None = None) -> bytes | None:
        return self[ev] if ev in self._fps else default

    def __setitem__(self, ev: int, fp: bytes) -> None:
        self._fps[ev] = fp

    def pend(self, ev: int) -> None:
        """The coarse checkpoint just kept at ``ev`` stands for its fingerprint until it is asked for."""
        self._fps[ev] = None

    def pending(self, ev: int) -> bool:
        return ev in self._fps and self._fps[ev] is None


class Timeline:
    """The saved worlds of one engine's run; the engine's world is replaced on restore."""

    def __init__(self, eng: Any, spacing: int | None = None, budget: int = DEFAULT_BUDGET,
                 history: bool = True) -> None:
        self.eng = eng
        self.fixed = spacing
        self.history = history
        self.budget = budget
        start = eng.w["events"]
        t0 = time.perf_counter()
        blob = pack_world(eng.w)
        pack_s = time.perf_counter() - t0
        self._last_bytes = len(blob)
        #: coarse checkpoints: event -> packed world (``Zipped`` once they fill half the budget),
        #: or its split (big worlds)
        self.coarse: dict[int, Any] = {}
        self.order: list[int] = []
        #: index into ``order`` below which every packed checkpoint is compressed
        self._zipped_upto = 0
        self.zipped = 0
        self.fps = Fingerprints(self.coarse)
        self.fp_events: list[int] = []
        #: blob id -> [blob, number of coarse splits using it] (shared pieces are counted once)
        self._refs: dict[int, list[Any]] = {}
        self._last_split: Any = None
        self.coarse_bytes = 0
        self.fine: OrderedDict[int, chunks.Node] = OrderedDict()
        #: the fine checkpoints that are grid points (see ``save_fine``)
        self._grid: set[int] = set()
        self.fine_bytes = 0
        self.frontier = start
        #: events to take coarse checkpoints at instead of by spacing (a snapshot's, when replaying it)
        self.plan: list[int] = []
        self._event_s = EVENT_S_GUESS
        self._restore_s = len(blob) * 2e-8
        self._pack_est = pack_s
        #: gaps at least this wide: the spacing of what thinning left (new checkpoints keep it)
        self.floor = spacing or MIN_SPACING
        self.thinned = 0
        #: seconds spent packing coarse checkpoints (their cost, budgeted by the spacing)
        self.pack_s = 0.0
        self._keep(start, chunks.split(eng.w) if self.split_worth_it() else blob, fingerprint(blob))
        self.spacing = spacing or self._choose_spacing()
        self.next_at = start + self.spacing if history else NEVER
        self._clock = (time.perf_counter(), start)

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
        if not self.history:
            return NEVER
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
        """The world at ``cur`` must be the one fingerprinted when the run first got here (the one
        kept packed there, when its fingerprint is still pending: the same bytes)."""
        blob = pack_world(self.eng.w)
        saved = self.coarse.get(cur)
        if self.fps.pending(cur) and isinstance(saved, bytes):
            if blob == saved:
                return
        elif fingerprint(blob) == self.fps[cur]:
            return
        where = ""
        if saved is not None:
            old = chunks.build(saved) if isinstance(saved, tuple) else unpack_world(_raw(saved))
            paths = diff_paths(old, self.eng.w, limit=3)
            where = f"; first difference at {paths[0]}" if paths else ""
        raise DivergenceError(f"re-execution diverged: the world at event {cur} differs from the one "
                              f"recorded when the run first reached it{where} (a determinism bug in msidbg)")

    def _add(self, cur: int) -> None:
        w = self.eng.w
        t0 = time.perf_counter()
        fp: bytes | None = None     # (pending: see Fingerprints)
        if self.split_worth_it():
            saved: Any = chunks.share(chunks.split(w), self._last_split)
        else:
            saved = pack_world(w)
            if self.coarse_bytes > self.budget * ZIP_SHARE:
                self._last_bytes = len(saved)
                fp = fingerprint(saved)
                saved = Zipped(saved)
        pack_s = time.perf_counter() - t0
        self.pack_s += pack_s
        self._keep(cur, saved, fp)
        self.frontier = cur
        self._adapt(cur, pack_s)
        if isinstance(saved, Zipped):
            self._zip_older()
        if self.coarse_bytes > self.budget:
            self._thin()

    def _zip_older(self) -> None:
        """Compress up to ``ZIP_CATCH_UP`` of the oldest checkpoints still kept packed."""
        t0 = time.perf_counter()
        left = ZIP_CATCH_UP
        order, i = self.order, self._zipped_upto
        while left and i < len(order):
            ev = order[i]
            saved = self.coarse[ev]
            if isinstance(saved, bytes):
                self.fps.get(ev)    # (a pending fingerprint: from the bytes, before they are compressed)
                z = Zipped(saved)
                self.coarse[ev] = z
                self.coarse_bytes += len(z.data) - len(saved)
                self.zipped += 1
                left -= 1
            i += 1
        self._zipped_upto = i
        self.pack_s += time.perf_counter() - t0

    def _keep(self, ev: int, saved: Any, fp: bytes | None) -> None:
        self.coarse[ev] = saved
        self.order.append(ev)
        if fp is None:
            self.fps.pend(ev)
        else:
            self.fps[ev] = fp
        self.fp_events.append(ev)
        if isinstance(saved, Zipped):
            self.coarse_bytes += len(saved.data)
            self.zipped += 1
            return
        if isinstance(saved, bytes):
            self.coarse_bytes += len(saved)
            self._last_bytes = len(saved)
            return
        self._last_split = saved
        total = 0
        for b in chunks.blobs(saved):
            total += len(b)
            ref = self._refs.get(id(b))
            if ref is None:
                self._refs[id(b)] = [b, 1]
                self.coarse_bytes += len(b)
            else:
                ref[1] += 1
        self._last_bytes = total

    def _drop(self, ev: int) -> None:
        self.fps.get(ev)    # (a pending fingerprint outlives the checkpoint: computed before it goes)
        saved = self.coarse.pop(ev)
        self.thinned += 1
        if isinstance(saved, (bytes, Zipped)):
            self.coarse_bytes -= _size(saved)
            return
        for b in chunks.blobs(saved):
            ref = self._refs[id(b)]
            ref[1] -= 1
            if ref[1] == 0:
                del self._refs[id(b)]
                self.coarse_bytes -= len(b)

    def _adapt(self, cur: int, pack_s: float) -> None:
        """Re-derive the spacing from the measured event, restore and pack costs (unless fixed)."""
        now = time.perf_counter()
        t_prev, ev_prev = self._clock
        self._clock = (now, cur)
        if cur > ev_prev:
            per_event = (now - t_prev - pack_s) / (cur - ev_prev)
            self._event_s = 0.7 * self._event_s + 0.3 * max(per_event, 1e-7)
        # unpacking costs about twice packing (it builds every object)
        self._restore_s = 0.7 * self._restore_s + 0.3 * self._sample(2.5 * pack_s)
        self._pack_est = 0.7 * self._pack_est + 0.3 * pack_s
        if not self.fixed:
            self.spacing = self._choose_spacing()

    def _sample(self, restore_s: float) -> float:
        """A measured restore cost, clamped to ``OUTLIER`` times the estimate: an outlier moves the
        average a little, a machine that stays slow still moves it geometrically."""
        return min(restore_s, OUTLIER * self._restore_s)

    def _choose_spacing(self) -> int:
        replay = max(TARGET_REPLAY_S - self._restore_s, TARGET_REPLAY_S / 4) / self._event_s
        packing = self._pack_est / (PACK_SHARE * self._event_s)
        return max(MIN_SPACING, self.floor, min(MAX_SPACING, int(max(replay, packing))))

    def _thin(self) -> None:
        """Drop every other coarse checkpoint (the first and the last stay) until under 3/4 of
        the budget; later checkpoints keep at least the spacing that is left."""
        while self.coarse_bytes > self.budget * 3 // 4 and len(self.order) > 4:
            keep = self.order[::2]
            if keep[-1] != self.order[-1]:
                keep.append(self.order[-1])
            for ev in set(self.order) - set(keep):
                self._drop(ev)
            self.order = keep
            self._zipped_upto = 0
            gaps = sorted(b - a for a, b in zip(keep, keep[1:], strict=False))
            self.floor = max(self.floor, min(MAX_SPACING, gaps[len(gaps) // 2]))
            if not self.fixed:
                self.spacing = self._choose_spacing()
            else:
                self.spacing = max(self.spacing, self.floor)

    # -- restoring --------------------------------------------------------------------------------
    def best_start(self, target: int, live: chunks.Node | None = None) -> int:
        """Bring the engine to the cheapest point at or before ``target``; return its event.

        ``live`` is the split of the engine's current world, when the caller has it: restoring a
        fine checkpoint then rebuilds only what differs.
        """
        eng = self.eng
        cur = eng.w["events"]
        ev, saved = self._nearest(target)
        # running on from the cursor re-executes (target - cur) events; restoring costs about
        # ``_restore_s`` plus (target - ev) events. The restore's worth in events is capped at one
        # spacing: its estimate comes from measured unpacks, and one slow one (a GC pause, a busy
        # machine) must not make a run of hundreds of thousands of events look cheaper
        if cur <= target and target - cur <= target - ev + min(self._restore_s / self._event_s, self.spacing):
            return int(cur)
        self.restore(ev, saved, live)
        return ev

    def nearest(self, target: int) -> tuple[int, Any]:
        """The saved world (coarse or fine) closest at or before ``target``: (event, saved)."""
        return self._nearest(target)

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
        if isinstance(saved, tuple):
            usable = live is not None and not isinstance(live, bytes)
            world = chunks.patch(self.eng.w, live, saved) if usable else chunks.build(saved)
        else:
            t0 = time.perf_counter()
            world = unpack_world(_raw(saved))
            self._restore_s = 0.8 * self._restore_s + 0.2 * self._sample(time.perf_counter() - t0)
        self.install(world)

    def install(self, world: dict[str, Any]) -> None:
        """Make ``world`` the engine's (a saved world made live by the caller)."""
        install(self.eng, world)
        self.retarget()

    def fine_plan(self, start: int, target: int) -> list[int]:
        """Events between ``start`` and ``target`` worth saving on the way (grid points just before)."""
        step = self.fine_step()
        if target - start <= step:
            return []
        top = (target - 1) // step * step
        return [g for g in range(max(start + 1, top - (FINE_AHEAD - 1) * step), top + 1, step)
                if g > start and g not in self.fine and g not in self.coarse][-FINE_AHEAD:]

    def fine_step(self) -> int:
        """The grid of fine checkpoints: a sixteenth of the spacing, and no more events than
        re-execute in ``FINE_REPLAY_S`` (big worlds have costly events and a wide spacing, set
        by their pack cost: a step back must not replay hundreds of them)."""
        return max(16, min(self.spacing // 16, int(FINE_REPLAY_S / self._event_s)))

    def split_worth_it(self) -> bool:
        """Are worlds big enough that checkpoints should be split (see ``chunks``)?
        Small worlds pack and unpack whole faster than they split."""
        return self._last_bytes >= SPLIT_MIN_BYTES

    def save_fine(self, saved: Any = None, grid: bool = False, at: int | None = None) -> None:
        """Keep the engine's current world as a fine checkpoint: ``saved`` is its packed blob or
        split, if the caller made one; otherwise whichever suits the world's size. ``grid``: a
        grid point saved on the way to a target; the cache evicts the worlds the cursor left
        before those (a run of step backs leaves one world per step, and big worlds fill the
        cache in a few steps: the grid points below the cursor must outlive them). ``at``: the
        event of ``saved`` when it is not the engine's world (a world the cursor left)."""
        ev = self.eng.w["events"] if at is None else at
        assert at is None or saved is not None
        if ev in self.coarse or ev in self.fine:
            return
        if saved is None:
            saved = chunks.split(self.eng.w) if self.split_worth_it() else pack_world(self.eng.w)
        self.fine[ev] = saved
        if grid:
            self._grid.add(ev)
        self.fine_bytes += _size(saved)
        while self.fine and (len(self.fine) > FINE_MAX_ENTRIES or self.fine_bytes > FINE_MAX_BYTES):
            old_ev = next((e for e in self.fine if e not in self._grid and e != ev), None)
            if old_ev is None:
                old_ev = next(iter(self.fine))
            self._grid.discard(old_ev)
            self.fine_bytes -= _size(self.fine.pop(old_ev))

    def points_before(self, target: int) -> list[int]:
        """Events with a saved world (coarse or fine) strictly before ``target``, ascending."""
        pts = set(self.order[: bisect.bisect_left(self.order, target)])
        pts.update(ev for ev in self.fine if ev < target)
        return sorted(pts)

    def memory_bytes(self) -> int:
        return self.coarse_bytes + self.fine_bytes

    def stats(self) -> dict[str, float]:
        return {"coarse": len(self.order), "fine": len(self.fine), "fingerprints": len(self.fps),
                "spacing": self.spacing, "bytes": self.memory_bytes(), "thinned": self.thinned,
                "zipped": self.zipped, "pack_s": round(self.pack_s, 4)}


def _size(saved: Any) -> int:
    if isinstance(saved, bytes):
        return len(saved)
    return len(saved.data) if isinstance(saved, Zipped) else chunks.size(saved)


def _raw(saved: bytes | Zipped) -> bytes:
    return saved.blob() if isinstance(saved, Zipped) else saved


def install(eng: Any, world: dict[str, Any]) -> None:
    """Make ``world`` the engine's state (and re-bind the model's execution context to it)."""
    eng.w = world
    eng.cur = world["events"]
    eng.model.bind(eng)
    eng.forget_notes()
