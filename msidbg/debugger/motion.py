"""How the cursor moves: forward runs, gotos, backward searches; generators that yield every CHUNK events.

A ``Motion`` owns nothing but references to one engine and its timeline; ``Session`` drives its
generators synchronously or from asyncio. Forward runs take coarse checkpoints and verify known
ones as they pass; going backwards restores the nearest saved world and re-executes. Every move
that arrives where the cursor has been before checks that it reproduced the same world.

Big worlds go back without packing the world they leave: ``msidbg.debugger.kept`` keeps it
whole and starts later moves from it.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from msidbg.debugger import breakpoints as bpmod
from msidbg.debugger.breakpoints import Breakpoint, Checker
from msidbg.debugger.kept import Keeper
from msidbg.debugger.timeline import Timeline, fingerprint
from msidbg.errors import DivergenceError
from msidbg.sim import chunks
from msidbg.sim.world import copy_world, pack_world

#: events run between two chances to yield to the asyncio loop (and to check the clock)
CHUNK = 512
MAX_SEEN = 4096
#: packed worlds the cursor left most recently kept as they are for ``check_seen`` (the same bytes
#: as a fine checkpoint's, mostly: no memory of their own while the timeline keeps those)
LEFT_BLOBS = 64
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
        #: the last ``LEFT_BLOBS`` of them packed whole, by event, as their bytes: coming back
        #: compares the bytes (no hash: a step back costs a pack, not a pack and a sha256); an
        #: older one is fingerprinted into ``seen``
        self.left: OrderedDict[int, bytes] = OrderedDict()
        #: the event whose saved world was just installed unchanged (no re-execution), or -1
        self.exact = -1
        #: index-guided ``last_change`` searches the re-execution contradicted (full scan instead)
        self.index_misses = 0
        #: big worlds: the world the last backward move left, kept whole (``msidbg.debugger.kept``)
        self.keeper = Keeper(eng, timeline, self._remember)

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
        if isinstance(saved, bytes):
            self.seen.pop(ev, None)
            self.left[ev] = saved
            self.left.move_to_end(ev)
            if len(self.left) > LEFT_BLOBS:
                old, blob = self.left.popitem(last=False)
                self._note(old, _fp(blob))
        else:
            self._note(ev, _fp(saved))
        self.timeline.save_fine(saved)
        self.exact = -1
        return saved

    def _save_form(self, w: Any) -> Any:
        return chunks.split(w) if self.timeline.split_worth_it() else pack_world(w)

    def check_seen(self) -> None:
        """Arriving where the cursor has been before must reproduce the identical world
        (nothing to check when the world was just restored from what was saved there).

        When the world left there is still kept whole it is compared instead (``Keeper.same``)."""
        w = self.eng.w
        ev = w["events"]
        if ev == self.exact:
            return
        same = self.keeper.same(w)
        want = self.seen.get(ev) if same is None else None
        left = self.left.get(ev) if same is None and want is None else None
        if left is not None and self._save_form(w) != left:     # (a split never equals the bytes,
            same = False                                        # as its fingerprint never did)
        if same is False or want is not None and _fp(self._save_form(w)) != want:
            raise DivergenceError(f"re-execution diverged: event {ev} does not reproduce the world the "
                                  "session saw there before (a determinism bug in msidbg)")

    def _remember(self, ev: int, split: Any) -> None:
        """A world left at ``ev`` was packed (a kept world): what ``leave`` would have done."""
        self._note(ev, _fp(split))
        self.timeline.save_fine(split, at=ev)

    def _note(self, ev: int, fp: bytes) -> None:
        """``fp`` is the fingerprint of the world left at ``ev`` (``seen``, bounded)."""
        self.left.pop(ev, None)
        self.seen[ev] = fp
        if len(self.seen) > MAX_SEEN:
            self.seen.pop(next(iter(self.seen)))

    def goto(self, target: int) -> Cmd:
        """Move the cursor to ``target`` (clamped to the run) without stopping at breakpoints."""
        eng, tl = self.eng, self.timeline
        target = max(target, 0)
        cur = eng.w["events"]
        if target < cur and tl.split_worth_it():
            start = self.keeper.back(target)
            self.exact = target if start == target else -1
        elif target > cur and self.keeper.ahead(target):
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
            if found is not None:       # the last in (lo, hi]: at or below floor, none above it
                return found if found > floor else None
            hi = lo
        return None

    def reverse(self, checker: Checker, until: int = 0) -> Cmd:
        """Back to the last event before the cursor where ``checker`` fires, or to event ``until``
        (0 unless given: a backward run to a time) when none fires at an event >= ``until``."""
        target = self.eng.w["events"]
        until = min(max(until, 0), target)
        if not checker or target <= max(until, 1):
            return (yield from self.goto(until))
        self.leave()
        floor = max(until - 1, 0)           # a hit at ``until`` itself is reported
        if checker.simple and all(b.form == bpmod.BUILTIN for b in checker.bps):
            found = self.last_hit(checker.names, target - 1)
            found = found if found is not None and found > floor else None
        else:
            def make_test() -> Callable[[], bool]:
                checker.prime()
                return lambda: checker.check() is not None
            found = yield from self.back_search(target - 1, make_test, floor)
        if found is None:
            return (yield from self.goto(until))
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
        ``action`` its CPU runs, the ``vector`` an interrupt context handles, the vCPU whose trapped
        access QEMU is ``serving`` -- or None (a device or
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
                    serving = (eng.w.get("qemu") or {}).get("serving") if kind == "qemu" else None
                    got.append({"cpu": cpu, "kind": kind, "frames": [(f["prog"], f["pc"]) for f in frames],
                                "action": c["proc"]["action"] if c is not None else -1,
                                "vector": vector if isinstance(vector, int) else None,
                                "serving": serving["cpu"] if isinstance(serving, dict) else None,
                                # xen-pv: the event callback Xen entered (no vector)
                                "upcall": bool(frames and kind == "irq" and frames[0]["locals"].get("upcall"))})

        def emit(*args: Any, **kw: Any) -> None:
            observe()
            plain(*args, **kw)

        eng.emit = emit
        k.observer = observe        # the kernel's emit (Ctx.ev inlines Engine.emit)
        try:
            self._reexecute(index)
        finally:
            del eng.emit
            k.observer = None
        yield from self.goto(origin)
        return got[0] if got else None

    def _reexecute(self, index: int) -> None:
        """Execute event ``index`` again when the cursor stands just before it (the hooks are the caller's)."""
        eng = self.eng
        if eng.w["events"] == index - 1:
            eng.step()
            if eng.cur >= self.timeline.next_at:
                self.timeline.on_event()

    def written_by(self, index: int, read: Callable[[dict[str, Any]], Any]) -> Generator[None, None, list[tuple[str, int]] | None]:
        """The call stack, (program, pc) outermost first, of the program step of event ``index`` after which
        ``read(world)`` first changed -- a step before the emitting one may have written the state (note_interrupt's
        count ahead of handle_fasteoi_irq's EOI) -- or None (no program step changed it: a device's or Xen's part of
        the event). The event is re-executed with every step observed (as with probes armed); the cursor ends where
        it was (whyheld12)."""
        from msidbg.model.prov import _step_stack

        eng = self.eng
        origin = eng.w["events"]
        yield from self.goto(index - 1)
        k = eng.model.k
        got: list[list[tuple[str, int]]] = []
        seen = [read(eng.w)]

        def watch(stack: list[dict[str, Any]], frame: dict[str, Any], pc: int) -> None:
            if got:
                return
            now = read(eng.w)
            if now != seen[0]:
                got.append([(f["prog"], f["pc"]) for f in _step_stack(stack, frame, pc)])

        probed = k.probed
        k.probed, k.step_watch = True, watch
        try:
            self._reexecute(index)
        finally:
            k.probed, k.step_watch = probed, None
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
