"""How the cursor moves: forward runs, gotos, backward searches; generators that yield every CHUNK events.

A ``Motion`` owns nothing but references to one engine and its timeline; ``Session`` drives its
generators synchronously or from asyncio. Forward runs take coarse checkpoints and verify known
ones as they pass; going backwards restores the nearest saved world and re-executes. Every move
that arrives where the cursor has been before checks that it reproduced the same world.

**Big worlds go back without packing the world they leave** (``_back``). Packing a 2,048-entry
world costs ~10 ms, and nothing short of packing it tells which of its pieces the events since
the last restore wrote (the model mutates plain dicts and lists in place). So the world the
cursor leaves is set aside whole, as an object (``Kept``): nothing runs on it any more, so it
stays exactly the world at its event. The next backward move starts from it when it is at or
before the target (stepping back and forth over one event swaps two worlds and packs neither);
otherwise it is packed then (its split becomes a fine checkpoint, its fingerprint goes to
``seen``) and patched into the nearest saved world, unpacking only the pieces whose bytes
differ. A forward move that comes back to its event compares the re-executed world with it,
value for value.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from msidbg.debugger import breakpoints as bpmod
from msidbg.debugger.breakpoints import Breakpoint, Checker
from msidbg.debugger.timeline import Timeline, fingerprint
from msidbg.errors import DivergenceError
from msidbg.sim import chunks
from msidbg.sim.world import copy_world, pack_world

#: events run between two chances to yield to the asyncio loop (and to check the clock)
CHUNK = 512
MAX_SEEN = 4096
#: segments a backward search scans one by one before it scans the rest in one straight run
BACK_SEGMENTS = 8

Cmd = Generator[None, None, "Stop"]


class _Miss:
    """What an index-guided search returns when the re-execution contradicts the index."""


MISS = _Miss()


def _same(a: Any, b: Any) -> bool:
    """The comparison of watched values (a value that turns from 1 into True changed)."""
    return bool(a == b and type(a) is type(b))


@dataclass(frozen=True, slots=True)
class Stop:
    """Why a command stopped: ``reason`` is end, breakpoint, limit or start."""

    reason: str
    event: int
    time_ns: int
    #: the breakpoint's name (built-in) or spec (if / watch / call), else None
    breakpoint: str | None = None
    bp_id: int | None = None
    #: what the model (or a watch) said about the hit, e.g. "cpu[1].irr[0x31]: 0 -> 1"
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The contract's ``stopped`` object of the JSON summary."""
        return {"reason": self.reason, "event": self.event, "breakpoint": self.breakpoint}


def _fp(saved: Any) -> bytes:
    """Fingerprint of a packed world or of a split one (each compared only with its own kind)."""
    return b"p" + fingerprint(saved) if isinstance(saved, bytes) else b"s" + chunks.fingerprint(saved)


#: how much a session's recorded history (event log, hits, choices) may hold by default
DEFAULT_MEMORY = 512 << 20


@dataclass(slots=True)
class Kept:
    """A world the cursor left backwards, no longer the engine's: nothing runs on it, so it stays
    exactly the world at ``ev``. ``split`` is its split once packed (None until then)."""

    ev: int
    world: dict[str, Any]
    split: Any = None


class Motion:
    """Cursor moves over ``eng`` using ``timeline``'s saved worlds."""

    def __init__(self, eng: Any, timeline: Timeline, memory: int = DEFAULT_MEMORY) -> None:
        self.eng = eng
        self.timeline = timeline
        #: the bound on the recorded history; a forward run that reaches it stops (see ``full``)
        self.memory = memory
        #: why the last forward run stopped at the memory bound (None: it did not)
        self.full: str | None = None
        #: fingerprints of worlds the cursor has left backwards: coming back must reproduce them
        self.seen: dict[int, bytes] = {}
        #: the event whose saved world was just installed unchanged (no re-execution), or -1
        self.exact = -1
        #: index-guided ``last_change`` searches the re-execution contradicted (full scan instead)
        self.index_misses = 0
        #: the world the last backward move left (big worlds; see ``_back``), or None
        self.kept: Kept | None = None
        #: how moves on big worlds started: from the kept world as it is ("kept"), by patching it
        #: into a saved world ("patched"), or by unpacking a saved world whole ("unpacked")
        self.starts = {"kept": 0, "patched": 0, "unpacked": 0}

    def history_bytes(self) -> int:
        """Bytes held by what the run recorded: event log, hits, choices, provenance."""
        eng = self.eng
        return int(eng.log.memory_bytes() + eng.hits.memory_bytes() + eng.choices.memory_bytes()
                   + eng.prov.memory_bytes())

    def _over_memory(self) -> str | None:
        used = self.history_bytes()
        if used <= self.memory:
            return None
        eng = self.eng
        bound = f"{self.memory / 2**20:,.0f} MB" if self.memory >= 1 << 20 else f"{self.memory / 2**10:,.0f} KB"
        self.full = (f"the recorded history reached its memory bound of {bound} at event "
                     f"{eng.w['events']:,} ({len(eng.log):,} events logged, {len(eng.hits):,} hits, "
                     f"{len(eng.choices):,} choices, {len(eng.prov):,} provenance records)")
        return self.full

    def stop(self, reason: str, bp: Breakpoint | None = None, detail: str | None = None) -> Stop:
        w = self.eng.w
        if reason == "limit" and w["ended"]:
            reason = "end"
        elif reason == "limit" and w["events"] == 0:
            reason = "start"
        return Stop(reason, int(w["events"]), int(w["now"]), bp.label if bp else None,
                    bp.id if bp else None, detail)

    def forward(self, budget: int | None, checker: Checker | None) -> Cmd:
        """Run forward; a breakpoint of ``checker`` stops the run after the event where it fires."""
        eng, tl = self.eng, self.timeline
        # built-in and call breakpoints only look at what the engine noted during the step
        simple = checker is not None and checker.simple
        check = checker.check if checker is not None else None
        fired: list[Breakpoint] = []

        def test() -> bool:
            assert check is not None
            bp = check()
            if bp is None:
                return False
            fired.append(bp)
            return True

        after = None if check is None or simple else test
        done = 0
        self.full = None
        while True:
            n = CHUNK if budget is None else min(CHUNK, budget - done)
            if n <= 0:
                return self.stop("limit")
            if eng.cur >= len(eng.log):
                eng.log.trim()  # a session without history keeps only the latest events
                if (full := self._over_memory()) is not None:
                    return self.stop("limit", detail=full)
            left = n
            while left > 0:
                # straight to the chunk's end, the next checkpoint, or an event worth checking
                ran = eng.advance(min(left, max(tl.next_at - eng.cur, 1)), simple, after)
                if ran == 0:
                    return self.stop("end")
                left -= ran
                if eng.cur >= tl.next_at:
                    tl.on_event()
                if after is not None and eng.w["ended"]:
                    after()     # the engine does not call it after the run's last event
                if fired:
                    return self.stop("breakpoint", fired[0], checker.detail if checker else None)
                if simple and (eng.step_hits or eng.step_calls) and check is not None \
                        and (bp := check()) is not None:
                    return self.stop("breakpoint", bp, checker.detail if checker else None)
            done += n
            yield

    def advance(self, budget: int | None, checker: Checker | None) -> Cmd:
        """``forward``, but jumps over known history when that cannot skip a hit.

        With only built-in names armed, the model's hit record (complete for every event executed
        so far) says where the next stop is: go there directly instead of re-executing up to it.
        """
        eng = self.eng
        cur, total = eng.w["events"], len(eng.log)
        if checker is None or not checker.simple or any(b.form != bpmod.BUILTIN for b in checker.bps) \
                or cur >= total:
            return (yield from self.forward(budget, checker))
        limit = total if budget is None else min(total, cur + budget)
        nxt = next((h.event for h in eng.hits.after(cur) if h.name in checker.names), None)
        if nxt is not None and nxt <= limit:
            return (yield from self.land(nxt, checker))
        stop = yield from self.goto(limit)
        if stop.reason == "end" or (budget is not None and limit - cur >= budget):
            return stop
        return (yield from self.forward(None if budget is None else budget - (limit - cur), checker))

    def leave(self) -> Any:
        """The cursor is about to move backwards: remember this world (fine checkpoint +
        fingerprint); returns what was saved (a packed blob, or a split a restore can patch from)."""
        w = self.eng.w
        ev = w["events"]
        saved = self._save_form(w)
        self.seen[ev] = _fp(saved)
        if len(self.seen) > MAX_SEEN:
            self.seen.pop(next(iter(self.seen)))
        self.timeline.save_fine(saved)
        self.exact = -1
        return saved

    def _save_form(self, w: Any) -> Any:
        return chunks.split(w) if self.timeline.split_worth_it() else pack_world(w)

    def check_seen(self) -> None:
        """Arriving where the cursor has been before must reproduce the identical world
        (nothing to check when the world was just restored from what was saved there).

        When the world left there is still kept whole (``_back``) it is compared value for
        value, at C speed, instead of packing the arriving world: every difference of a value is
        caught; one that only turns a bool into the equal int or reorders a dict's keys is not
        (the coarse checkpoints' fingerprints, compared byte for byte, still catch it where
        re-execution passes one)."""
        w = self.eng.w
        ev = w["events"]
        if ev == self.exact:
            return
        k = self.kept
        if k is not None and k.ev == ev and k.world is not w:
            if k.world != w:
                raise DivergenceError(f"re-execution diverged: event {ev} does not reproduce the world "
                                      "the session saw there before (a determinism bug in msidbg)")
            return
        want = self.seen.get(ev)
        if want is None:
            return
        if _fp(self._save_form(w)) != want:
            raise DivergenceError(f"re-execution diverged: event {ev} does not reproduce the world the "
                                  "session saw there before (a determinism bug in msidbg)")

    def _pack(self, k: Kept) -> None:
        """Pack a kept world (once): its split is a fine checkpoint, its fingerprint goes to ``seen``,
        and it can be the spare of the next backward move."""
        if k.split is not None:
            return
        k.split = chunks.split(k.world)
        self.seen[k.ev] = _fp(k.split)
        if len(self.seen) > MAX_SEEN:
            self.seen.pop(next(iter(self.seen)))
        self.timeline.save_fine(k.split, at=k.ev)

    def _back(self, target: int) -> int:
        """Bring a big world back to ``target`` or before without packing the world the cursor
        leaves, which is kept whole instead (``Kept``). Returns the event restored.

        The world kept by the previous backward move is the start when it is at or before
        ``target`` and nearer than any saved world (it is exactly the world at its event: the
        cursor going back and forth over one event swaps two worlds and packs neither). Else it
        is packed (now, if not yet) and patched into the nearest saved world: only its pieces
        whose bytes differ are unpacked. Without one, the saved world is unpacked whole."""
        eng, tl = self.eng, self.timeline
        left = Kept(int(eng.w["events"]), eng.w)
        k = self.kept
        ev, saved = tl.nearest(target)
        if k is not None and ev <= k.ev <= target:
            tl.install(k.world)
            ev = k.ev
            self.starts["kept"] += 1
        elif k is not None and isinstance(saved, tuple):
            self._pack(k)
            tl.install(chunks.patch(k.world, k.split, saved))
            self.starts["patched"] += 1
        else:
            if k is not None:
                self._pack(k)           # not used: its event is still checked when the cursor returns
            tl.restore(ev, saved)       # unpacked whole
            self.starts["unpacked"] += 1
        self.kept = left
        return ev

    def _ahead(self, target: int) -> bool:
        """A forward goto on a big world starts from the kept world when it lies between the
        cursor and ``target`` and no saved world is nearer the target (going back far, then to
        where the cursor was, re-executes nothing); the world the cursor was at is kept instead."""
        eng, k = self.eng, self.kept
        cur = eng.w["events"]
        if k is None or not cur < k.ev <= target or self.timeline.nearest(target)[0] > k.ev:
            return False
        self.kept = Kept(int(cur), eng.w)
        self.timeline.install(k.world)
        self.starts["kept"] += 1
        return True

    def goto(self, target: int) -> Cmd:
        """Move the cursor to ``target`` (clamped to the run) without stopping at breakpoints."""
        eng, tl = self.eng, self.timeline
        target = max(target, 0)
        cur = eng.w["events"]
        if target < cur and tl.split_worth_it():
            start = self._back(target)
            self.exact = target if start == target else -1
        elif target > cur and self._ahead(target):
            start = eng.w["events"]
            self.exact = target if start == target else -1
        else:
            live = self.leave() if target < cur else None
            start = tl.best_start(target, live)
            self.exact = target if live is not None and start == target else -1
        plan = tl.fine_plan(start, target) if start < len(eng.log) else []
        pos = start
        while pos < target:
            n = min(CHUNK, target - pos)
            left = n
            while left > 0:
                stop_at = tl.next_at if not plan else min(tl.next_at, plan[0])
                ran = eng.advance(min(left, max(stop_at - eng.cur, 1)))
                if ran == 0:
                    return self.stop("end")
                left -= ran
                if eng.cur >= tl.next_at:
                    tl.on_event()
                if plan and eng.cur == plan[0]:
                    tl.save_fine(grid=True)
                    plan.pop(0)
            pos += n
            yield
        return self.stop("limit")

    def scan(self, lo: int, blob: bytes, hi: int, make_test: Callable[[], Callable[[], bool]]
                ) -> Generator[None, None, int | None]:
        """Re-execute (lo, hi] from the saved world at ``lo``; the last event where the test holds."""
        eng, tl = self.eng, self.timeline
        tl.restore(lo, blob)
        test = make_test()
        found: list[int] = []   # the last event where the test held, when there is one

        def note() -> bool:
            if test():
                found[:] = [eng.cur]
            return False

        while eng.cur < hi:
            left = min(CHUNK, hi - eng.cur)
            while left > 0:
                ran = eng.advance(min(left, max(tl.next_at - eng.cur, 1)), False, note)
                if ran == 0:
                    break
                left -= ran
                if eng.cur >= tl.next_at:
                    tl.on_event()
                if eng.w["ended"]:
                    note()      # the engine does not call it after the run's last event
            if eng.w["ended"] and eng.cur < hi:
                break
            yield
        return found[-1] if found else None

    def back_search(self, first: int, make_test: Callable[[], Callable[[], bool]], floor: int = 0
                    ) -> Generator[None, None, int | None]:
        """The last event in (floor, first] where a test holds, scanning saved segments backwards.

        ``make_test`` is called at the start of each segment (after its world is installed).
        After ``BACK_SEGMENTS`` segments without a hit the rest, (floor, lo], is scanned in one
        straight run from the saved world at or before ``floor``: the same events re-executed,
        without a restore per segment.
        """
        tl = self.timeline
        hi = first
        points = tl.points_before(first)
        for n, lo in enumerate(reversed(points)):
            blob = tl.coarse.get(lo) or tl.fine.get(lo)
            if hi <= floor:
                break
            if lo >= hi or blob is None:
                continue
            if n >= BACK_SEGMENTS and lo > floor:
                start = max((p for p in points if p <= floor and (tl.coarse.get(p) or tl.fine.get(p))), default=None)
                if start is not None and start < lo:
                    found = yield from self.scan(start, tl.coarse.get(start) or tl.fine[start], hi, make_test)
                    return found if found is not None and found > floor else None
            found = yield from self.scan(lo, blob, hi, make_test)
            if found is not None:
                return found
            hi = lo
        return None

    def reverse(self, checker: Checker) -> Cmd:
        """Back to the last event before the cursor where ``checker`` fires, or to event 0."""
        target = self.eng.w["events"]
        if not checker or target <= 1:
            return (yield from self.goto(0))
        self.leave()
        if checker.simple and all(b.form == bpmod.BUILTIN for b in checker.bps):
            found = self.last_hit(checker.names, target - 1)
        else:
            def make_test() -> Callable[[], bool]:
                checker.prime()
                return lambda: checker.check() is not None
            found = yield from self.back_search(target - 1, make_test)
        if found is None:
            return (yield from self.goto(0))
        return (yield from self.land(found, checker))

    def land(self, event: int, checker: Checker) -> Cmd:
        """Go to ``event`` by re-executing it last, so the breakpoint that fires there is reported."""
        yield from self.goto(event - 1)
        checker.prime()
        self.eng.step()
        if self.eng.cur >= self.timeline.next_at:
            self.timeline.on_event()
        bp = checker.check()
        if bp is None:
            raise DivergenceError(f"re-execution diverged: the breakpoint found at event {event} "
                                  "does not fire there again (a determinism bug in msidbg)")
        return self.stop("breakpoint", bp, checker.detail)

    def last_hit(self, names: set[str | None], upto: int) -> int | None:
        """The last built-in hit named in ``names`` at an event <= ``upto`` (the model's hit record)."""
        for h in reversed(self.eng.hits):
            if h.event <= upto and h.name in names:
                return h.event
        return None

    def last_change(self, fn: Callable[[Any], Any], floor: int = 0, writes: list[int] | None = None
                    ) -> Generator[None, None, int | None]:
        """The last event in (floor, cursor] where ``fn``'s value changed; the cursor ends where it was.

        ``writes`` (ascending events, ``msidbg.debugger.changes``) are where the model recorded a
        write of the value, when it records every one: only the segments holding one are
        re-executed. Everything the index implies on the way is checked (the value at each write
        and at ``floor``, the change found being a recorded write); if anything disagrees the
        answer comes from the full backward scan, as it does without an index.
        """
        origin = self.eng.w["events"]
        if origin <= floor:
            return None
        eng = self.eng
        here = bpmod.freeze(fn(eng))
        self.leave()
        state: dict[str, Any] = {}

        def make_test() -> Callable[[], bool]:
            state["first"] = state["last"] = bpmod.freeze(fn(eng))

            def changed() -> bool:
                now = fn(eng)
                if _same(now, state["last"]):
                    return False
                state["last"] = bpmod.freeze(now)
                return True
            return changed

        found: int | None | _Miss = MISS
        if writes is not None:
            found = yield from self._indexed_change(origin, here, writes, make_test, state, floor)
            if found is MISS:
                self.index_misses += 1
        if isinstance(found, _Miss):
            found = yield from self.back_search(origin, make_test, floor)
        yield from self.goto(origin)
        return found if found is not None and found > floor else None

    def _indexed_change(self, origin: int, here: Any, writes: list[int],
                        make_test: Callable[[], Callable[[], bool]], state: dict[str, Any], floor: int
                        ) -> Generator[None, None, int | None | _Miss]:
        """``last_change`` over the segments that hold a recorded write (see there); MISS when
        the re-execution contradicts the index."""
        tl = self.timeline
        pts = tl.points_before(origin + 1)
        cands = writes[bisect.bisect_right(writes, floor):bisect.bisect_right(writes, origin)]
        expect = here        # the value after the segment scanned next (no write in between)
        lo = origin
        i = len(cands) - 1
        while i >= 0:
            c = cands[i]
            k = bisect.bisect_left(pts, c) - 1          # the last saved world before the write
            if k < 0:
                return MISS
            lo = pts[k]
            found = yield from self.scan(lo, tl.coarse.get(lo) or tl.fine[lo], c, make_test)
            if not _same(state["last"], expect):
                return MISS
            if found is not None:
                if found <= floor:
                    return None
                j = bisect.bisect_left(cands, found)
                return found if j < len(cands) and cands[j] == found else MISS
            expect = state["first"]
            i = bisect.bisect_right(cands, lo) - 1
        if lo <= floor:
            return None
        # no recorded write in (floor, lo]: the value at floor must be the one at lo
        k = bisect.bisect_right(pts, floor) - 1
        if k < 0:
            return MISS
        start = pts[k]
        blob = tl.coarse.get(start) or tl.fine[start]
        if start == floor:
            tl.restore(start, blob)
            make_test()
        else:
            yield from self.scan(start, blob, floor, make_test)
        return None if _same(state["last"], expect) else MISS

    def executed(self, index: int) -> Generator[None, None, dict[str, Any] | None]:
        """The program context that emitted event ``index`` -- ``cpu`` (-1 for QEMU), ``kind``
        (``proc`` | ``irq`` | ``qemu``), ``frames`` as (program, pc) outermost first, the scenario
        ``action`` its CPU runs, the ``vector`` an interrupt context handles -- or None (a device or
        APIC step). The event is re-executed from ``index - 1`` with the emission observed; the
        cursor ends where it was."""
        from msidbg.model.cpu import executing

        eng = self.eng
        origin = eng.w["events"]
        yield from self.goto(index - 1)
        got: list[dict[str, Any] | None] = []
        k = eng.model.k
        plain = eng.emit

        def observe() -> None:
            if not got:
                run = executing(k)
                if run is None:
                    got.append(None)
                else:
                    cpu, kind, frames = run
                    c = eng.w["cpus"][cpu] if cpu >= 0 else None
                    vector = frames[0]["locals"].get("vector") if frames and kind == "irq" else None
                    got.append({"cpu": cpu, "kind": kind, "frames": [(f["prog"], f["pc"]) for f in frames],
                                "action": c["proc"]["action"] if c is not None else -1,
                                "vector": vector if isinstance(vector, int) else None})

        def emit(*args: Any, **kw: Any) -> None:
            observe()
            plain(*args, **kw)

        eng.emit = emit
        k.observer = observe        # the kernel's emit (Ctx.ev inlines Engine.emit)
        try:
            if eng.w["events"] == index - 1:
                eng.step()
                if eng.cur >= self.timeline.next_at:
                    self.timeline.on_event()
        finally:
            del eng.emit
            k.observer = None
        yield from self.goto(origin)
        return got[0] if got else None

    def peek(self, index: int) -> Generator[None, None, dict[str, Any]]:
        """A copy of the world at ``index`` (clamped to the run); the cursor ends where it was."""
        origin = self.eng.w["events"]
        if index != origin:
            yield from self.goto(index)
        world: dict[str, Any] = copy_world(self.eng.w)
        if self.eng.w["events"] != origin:
            yield from self.goto(origin)
        return world
