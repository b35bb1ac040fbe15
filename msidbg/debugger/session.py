"""The debugger session: step, step back, continue, reverse-continue, seek; commands return a Stop.

bdb-shaped: the TUI, the headless CLI and scripts drive this one API and never mutate the
world behind it. A command moves the cursor (an event index; 0 = before the first event)
and returns a ``Stop`` saying why it stopped. Going backwards restores a checkpoint and
re-executes (``timeline.py``); every command has an ``*_async`` twin that yields to the
asyncio loop every few milliseconds and can be cancelled between two events.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any

from msidbg.debugger import breakpoints as bpmod
from msidbg.debugger import progress
from msidbg.debugger.breakpoints import Breakpoint, BreakpointError, Checker
from msidbg.debugger.changes import write_events
from msidbg.debugger.motion import DEFAULT_MEMORY, Cmd, Motion, Stop
from msidbg.debugger.summary import summary as make_summary
from msidbg.debugger.timeline import DEFAULT_BUDGET, Timeline
from msidbg.errors import MsidbgError, ScenarioError
from msidbg.guard import encodable
from msidbg.model import new_engine, resolve_schedule
from msidbg.model.kinds import RUN_END
from msidbg.scenario import Scenario, load_scenario
from msidbg.sim.events import Event, EventLog
from msidbg.sim.scheduler import Hit
from msidbg.sim.strategy import Schedule
from msidbg.sim.world import diff_paths

MAX_BOOKMARK_NAME, MAX_BOOKMARK_NOTE = 64, 4000
#: what a snapshot holds (``snapformat.MAX_BREAKPOINTS`` / ``MAX_BOOKMARKS``, which its reader
#: enforces): a session armed more (``run --break`` x300 with ``--save``) and wrote a snapshot that
#: msidbg itself refused to read ('breakpoints: 303 entries (expected at most 256)'; hardening30)
MAX_ARMED, MAX_MARKS = 256, 1024


@dataclass(frozen=True, slots=True)
class Bookmark:
    """A named moment with a note, saved in snapshots (the reporter's "look here")."""

    name: str
    event: int
    note: str = ""


class Session:
    """One scenario run under the debugger. Build with ``from_scenario`` or ``open``."""

    def __init__(self, scn: Scenario, seed: int | None = None, *, arm: bool = True,
                 spacing: int | None = None, budget: int = DEFAULT_BUDGET, schedule: Schedule | None = None,
                 history: bool = True, memory: int = DEFAULT_MEMORY) -> None:
        self.scenario = scn
        #: how the run resolves its choices (the file's ``schedule:``, or a strategy and a replayed plan)
        self.schedule = resolve_schedule(scn) if schedule is None else schedule
        #: False: the session keeps no history (no checkpoints after event 0, only the latest
        #: events of the log, no recorded choices): headless runs that never look back
        self.history = history
        self.eng = new_engine(scn, seed, EventLog(window=not history), schedule=self.schedule)
        self.eng.keep_choices = history
        self.seed: int = self.eng.w["seed"]
        self.timeline = Timeline(self.eng, spacing, budget, history)
        self._bps: list[Breakpoint] = []
        self._next_id = 1
        self._bookmarks: dict[str, Bookmark] = {}
        self.motion = Motion(self.eng, self.timeline, memory)
        self._busy = False
        #: a snapshot opened without verification (its Recording) until its history is replayed
        self._pending: Any = None
        #: why a no-verify snapshot's history could not be replayed (a divergence: deterministic,
        #: so it is not replayed again -- each command needing it failed after a whole replay)
        self.history_error: MsidbgError | None = None
        #: who wrote the snapshot the session was opened from (``snapformat.Origin``); None: a scenario
        self.origin: Any = None
        #: changed_paths' answer for one (cursor, limit)
        self._changed: tuple[Any, list[str]] = (None, [])
        #: path -> (cursor, the last event <= cursor that changed it): what last_change already knows
        self._changes: OrderedDict[str, tuple[int, int | None]] = OrderedDict()
        #: how long an ``*_async`` command runs before it yields to the event loop
        self.yield_every_s = 0.008
        #: when set, awaited once at the next of those yields (then cleared): the TUI holds a run
        #: there, between two events, while it paints the world the run has reached
        self.hold: Callable[[], Awaitable[None]] | None = None
        self.last_stop = Stop("start", 0, 0)
        if arm:
            for i, spec in enumerate(scn.breakpoints):
                try:
                    self.add_breakpoint(spec)
                except BreakpointError as e:
                    line = scn.breakpoint_lines[i] if i < len(scn.breakpoint_lines) else None
                    raise ScenarioError(e.message, scn.path, line, e.caret, field=f"breakpoints[{i}]") from None

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_scenario(cls, path: str, seed: int | None = None, **opts: Any) -> Session:
        """A session at event 0 of the scenario file (``seed`` overrides the file's)."""
        return cls(load_scenario(path), seed, **opts)

    @classmethod
    def open(cls, path: str, verify: bool = True, **opts: Any) -> Session:
        """A session at a snapshot's cursor; raises SnapshotError (DivergenceError if replay differs)."""
        from msidbg.debugger.verify import open_session

        return open_session(path, verify=verify, **opts)

    # -- state ------------------------------------------------------------------------------------
    @property
    def cursor(self) -> int:
        """The current event index (0 = before the first event)."""
        if self._pending is not None:
            return int(self._pending.cursor)
        return int(self.eng.w["events"])

    @property
    def total(self) -> int:
        """Events recorded so far (the furthest point reached)."""
        if self._pending is not None:
            return int(self._pending.cursor)
        return len(self.eng.log)

    @property
    def world(self) -> dict[str, Any]:
        """The state at the cursor: plain data, owned by the session. Do not mutate it; re-read
        it after every command (going backwards installs a different object)."""
        if self._pending is not None:
            return self._pending.world
        return self.eng.w

    @property
    def ended(self) -> bool:
        """True when the cursor is at the run's final event (``run.end``)."""
        return bool(self.world["ended"])

    @property
    def finished(self) -> bool:
        """True once the run has reached its final event, wherever the cursor is: ``total`` is
        then the run's length; before, it is only how far the run has got so far."""
        if self.ended:
            return True
        total = self.total
        if self._pending is not None or total == 0:
            return False   # (a snapshot's pending history: its cursor is its furthest event)
        return bool(self.eng.log.kind_at(total) == RUN_END)

    @property
    def history_full(self) -> str | None:
        """Why the last forward command stopped at the session's memory bound (None: it did not)."""
        return self.motion.full

    @property
    def history_ready(self) -> bool:
        """False only for a snapshot opened without verification whose history is not replayed yet."""
        return self._pending is None

    def events(self, start: int, stop: int) -> list[Event]:
        """Event records with index in [start, stop), clipped to what has been recorded."""
        self._need_history()
        return self.eng.log.events(start, stop)

    def event(self, index: int) -> Event | None:
        """Event ``index`` (1-based), or None when it has not been recorded."""
        got = self.events(index, index + 1)
        return got[0] if got else None

    def hits(self, upto: int | None = None) -> list[Hit]:
        """Every semantic hit the model detected (armed or not) at events <= ``upto`` (the cursor)."""
        limit = self.cursor if upto is None else upto
        if self._pending is not None:
            return [h for h in self._pending.hits if h.event <= limit]
        return self.eng.hits.upto(limit)

    def armed_hits(self) -> list[Hit]:
        """The hits of the armed, enabled, unconditional built-in breakpoints up to the cursor (the
        summary's ``hits``, in order)."""
        names = {b.name for b in self._bps if b.enabled and b.form == bpmod.BUILTIN and b.cond is None}
        return [h for h in self.hits() if h.name in names]

    def summary(self, causes: bool = True) -> dict[str, Any]:
        """The contract's ``--json`` summary at the cursor, as a dict; ``causes=False`` leaves out
        each hit's ``cause`` (what the text summary does not show: ~4 ms of a short run)."""
        armed = self.armed_hits()
        stopped = self.last_stop.as_dict()
        if stopped["reason"] == "start":   # the contract's reasons are end, breakpoint and limit: a run
            stopped["reason"] = "limit"    # stopped before its first event (--max-events 0) was limited
        out = make_summary(self.scenario, self.world, armed, stopped)
        if not causes:
            return out
        # an extension (docs/why.md): each hit's cause chain, the events of `msidbg why --hit`
        from msidbg.debugger.why import causes as chains

        for rec, cause in zip(out["hits"], chains(self, armed), strict=True):
            rec["cause"] = cause
        return out

    # -- breakpoints and bookmarks ----------------------------------------------------------------------
    @property
    def breakpoints(self) -> list[Breakpoint]:
        """Armed breakpoints in the order they were added (ids ascending)."""
        return list(self._bps)

    def add_breakpoint(self, spec: str) -> int:
        """Arm a built-in name, ``if <cond>``, ``watch <path>`` or ``call <program>``; returns its id.

        Raises BreakpointError (``str()`` shows a caret under the bad column).
        """
        if len(self._bps) >= MAX_ARMED:
            raise BreakpointError(f"too many breakpoints: {len(self._bps)} are armed (expected at most {MAX_ARMED}, "
                                  "what a snapshot holds: remove one first)")
        bp = bpmod.parse(spec, self._next_id, world=self.world)
        self._next_id += 1
        self._bps.append(bp)
        self._sync_calls()
        return bp.id

    def remove_breakpoint(self, bp_id: int) -> None:
        """Disarm breakpoint ``bp_id``; raises BreakpointError if there is none."""
        self._bps.remove(self._bp(bp_id))
        self._sync_calls()

    def enable_breakpoint(self, bp_id: int, enabled: bool = True) -> None:
        """Turn a breakpoint off (kept in the list and in snapshots) or on again."""
        self._bp(bp_id).enabled = enabled
        self._sync_calls()

    def _bp(self, bp_id: int) -> Breakpoint:
        for b in self._bps:
            if b.id == bp_id:
                return b
        raise BreakpointError(f"no breakpoint {bp_id} (armed: {', '.join(str(b.id) for b in self._bps) or 'none'})")

    def _sync_calls(self) -> None:
        self.eng.call_watch = bpmod.call_programs(self._bps)

    @property
    def bookmarks(self) -> list[Bookmark]:
        """Bookmarks by event, then name."""
        return sorted(self._bookmarks.values(), key=lambda b: (b.event, b.name))

    def bookmark(self, name: str, note: str = "", event: int | None = None) -> Bookmark:
        """Name the cursor's event, or ``event`` (0..total), replacing a bookmark of the same name."""
        name = name.strip()
        if not name or len(name) > MAX_BOOKMARK_NAME or "\n" in name:
            raise BreakpointError(f"a bookmark name is 1..{MAX_BOOKMARK_NAME} characters on one line")
        if len(note) > MAX_BOOKMARK_NOTE:
            raise BreakpointError(f"a bookmark note is at most {MAX_BOOKMARK_NOTE} characters")
        if not (encodable(name) and encodable(note)):
            raise BreakpointError("not valid UTF-8: a bookmark holds a byte that is not text (expected UTF-8 text)")
        if event is not None and not 0 <= event <= self.total:
            raise BreakpointError(f"no event {event} to bookmark (expected 0..{self.total})")
        if name not in self._bookmarks and len(self._bookmarks) >= MAX_MARKS:
            raise BreakpointError(f"too many bookmarks: {len(self._bookmarks)} (expected at most {MAX_MARKS}, what a "
                                  "snapshot holds: remove one first)")
        bm = Bookmark(name, self.cursor if event is None else event, note)
        self._bookmarks[name] = bm
        return bm

    def remove_bookmark(self, name: str) -> None:
        if self._bookmarks.pop(name, None) is None:
            raise BreakpointError(f"no bookmark {name!r}")

    def goto_bookmark(self, name: str) -> Stop:
        bm = self._bookmarks.get(name)
        if bm is None:
            raise BreakpointError(f"no bookmark {name!r} (have: {', '.join(sorted(self._bookmarks)) or 'none'})")
        return self.seek(bm.event)

    # -- commands ------------------------------------------------------------------------------------------
    def step(self, n: int = 1) -> Stop:
        """Forward ``n`` events, or fewer if a breakpoint fires or the run ends."""
        return self._sync(lambda: self.motion.forward(max(n, 0), self._checker()))

    def continue_(self, max_events: int | None = None) -> Stop:
        """Forward to the next breakpoint hit, the end, or ``max_events`` events."""
        return self._sync(lambda: self.motion.advance(max_events, self._checker()))

    def run(self, max_events: int | None = None) -> Stop:
        """Forward to the end or ``max_events`` events, ignoring breakpoints."""
        return self._sync(lambda: self.motion.forward(max_events, None))

    def step_back(self, n: int = 1) -> Stop:
        """Backward ``n`` events (to 0 at most)."""
        return self._sync(lambda: self.motion.goto(self.cursor - max(n, 0)))

    def seek(self, index: int) -> Stop:
        """Jump to event ``index`` (forward runs the engine as needed; past the end stops at the end)."""
        return self._sync(lambda: self.motion.goto(index))

    def reverse_continue(self, until: int = 0) -> Stop:
        """Backward to the previous event where an armed breakpoint fires, or to event ``until``
        (default 0) if none fires at an event from ``until`` on (a hit at ``until`` is reported)."""
        return self._sync(lambda: self.motion.reverse(Checker(self._bps, self.eng), until))

    def last_change(self, path: str, limit: int | None = None) -> int | None:
        """The last event <= the cursor that changed the value of ``path`` (an expression such as
        ``devices.eth0.msix.table[2].ctrl``), or None if it did not change since event 0 (or
        within ``limit`` events back). The cursor does not move.

        A path whose every write the model records (an MSI-X table register, an MSI register:
        ``msidbg.debugger.changes``) re-executes only the saved segments that hold a write. Any
        other path replays history backwards until it finds the change (up to a whole replay for
        a value written once at the start). Answers are remembered per path, so later queries
        only scan what lies between the cursor and what is already known.
        """
        fn = self._compile(path).fn
        self._need_history()
        return self._drive(self._g_last_change(path, fn, limit))

    async def last_change_async(self, path: str, limit: int | None = None) -> int | None:
        """``last_change`` that yields to the event loop while it replays."""
        fn = self._compile(path).fn
        await self.load_history()
        return await self._await_gen(self._g_last_change(path, fn, limit))

    def _g_last_change(self, path: str, fn: Callable[[Any], Any], limit: int | None
                       ) -> Generator[None, None, int | None]:
        """Use and extend the remembered (cursor, last change) of ``path``; see ``last_change``."""
        c = self.cursor
        floor = 0 if limit is None else max(c - limit, 0)
        known_at, known = self._changes.get(path, (0, None))

        def within(ev: int | None) -> int | None:
            return ev if ev is not None and ev > floor else None

        if c <= known_at and (known is None or known <= c):
            return within(known)  # no change in (known, known_at], so none in (known, c]
        if c > known_at and (known is None or known <= known_at):
            lo = max(floor, known_at)
            found = yield from self.motion.last_change(fn, lo, write_events(self.eng, path, c))
            if found is None and lo > known_at:
                return None  # (known_at, floor] was not scanned: nothing to remember
            self._remember(path, c, found if found is not None else known)
            return within(found if found is not None else known)
        found = yield from self.motion.last_change(fn, floor, write_events(self.eng, path, c))
        if floor == 0:
            self._remember(path, c, found)
        return found

    def _remember(self, path: str, cursor: int, event: int | None) -> None:
        self._changes[path] = (cursor, event)
        self._changes.move_to_end(path)
        if len(self._changes) > 256:
            self._changes.popitem(last=False)

    def why(self, target: Hit | int | str | None = None, stacks: bool = True, what_if: bool = False,
            budget: Any = None) -> Any:
        """The cause chain of ``target`` -- a hit (from ``hits()``), an event index, or a state path
        such as ``devices.eth0.msix.table[0].data`` whose value at the cursor is explained -- back to
        a root, from the provenance the model recorded (``msidbg.debugger.why.Why``; ``.chain`` is
        symptom first, root last; ``.as_dict()`` is ``msidbg why --json``). Raises WhyError.

        No ``target``: what ``msidbg why FILE`` and the TUI's ``w`` at the stop explain -- at a breakpoint
        stop, the hit it reported (a built-in's), the watched value (a ``watch``'s, the cursor still there) or
        its event (``if``, ``call``); else the first armed hit (``whyrun.target_for``).

        ``what_if=True``: also re-run the scenario once per behaviour row whose value here is not the
        newest release's, flipped, and keep in ``.what_if`` (``whatif.WhatIf``) the rows whose flip
        removes the target's symptom (a hit at its device, a failed action; else WhatIfError);
        ``budget``: a ``whatif.Budget`` (runs, seconds). The cursor does not move."""
        from msidbg.debugger.why import explain

        self._need_history()
        if target is None:
            from msidbg.debugger.whyrun import target_for, why_default
            target = target_for(self, "")
            if not what_if:
                return why_default(self, target, stacks)
        why = explain(self, target, stacks)
        if what_if:
            from msidbg.debugger import progress
            from msidbg.debugger.whatif import what_if as run_what_if

            def tick(session: Any, what: str) -> None:
                if progress.active is not None:    # each run's own ticks name the flip under way
                    progress.active.phase = what
                    progress.active.tick(session, what)
            why.what_if = run_what_if(self, target, budget, tick)
        return why

    def diff(self, other: Session, max_events: int | None = None) -> Any:
        """Where this run and ``other`` part ways, and how their outcomes differ
        (``msidbg.debugger.diff.DiffResult``; ``.as_dict()`` is ``msidbg diff --json``). Both runs
        are executed afresh from their scenario and seed, to the end (or ``max_events``), with
        each step's context recorded; neither session's cursor moves."""
        from msidbg.debugger.diff import compare, record_run

        runs = []
        for label, s in (("a", self), ("b", other)):
            fresh = Session(s.scenario, s.seed, arm=False)
            for b in s.breakpoints:       # the same armed breakpoints: they decide the outcome's hits
                fresh.enable_breakpoint(fresh.add_breakpoint(b.spec), b.enabled)
            runs.append(record_run(label, s.scenario.path or s.scenario.name, fresh, max_events))
        return compare(runs[0], runs[1])

    def executed(self, index: int) -> dict[str, Any] | None:
        """Which program emitted event ``index``: ``{cpu (-1 for QEMU), kind (proc | irq | qemu),
        frames [(program, pc)...] outermost first, action, vector}``, or None when no program ran
        it (a device signal, an APIC accept). The cursor does not move."""
        self._need_history()
        if not 1 <= index <= self.total:
            return None
        return self._drive(self.motion.executed(index))

    def written_by(self, index: int, read: Any) -> list[tuple[str, int]] | None:
        """The call stack ((program, pc), outermost first) of the step of event ``index`` after which
        ``read(world)`` first changed, or None when no program step changed it. The cursor does not move."""
        self._need_history()
        if not 1 <= index <= self.total:
            return None
        return self._drive(self.motion.written_by(index, read))

    def world_at(self, index: int) -> dict[str, Any]:
        """A private copy of the world at event ``index``; the cursor does not move."""
        self._need_history()
        return self._drive(self.motion.peek(index))

    def changed_paths(self, limit: int = 200) -> list[str]:
        """World paths (``devices.eth0.msix.table[0].ctrl``) the event at the cursor changed."""
        key = (self.cursor, limit)
        if self._changed[0] != key:
            before = self.world_at(self.cursor - 1) if self.cursor > 0 else self.world
            self._changed = (key, diff_paths(before, self.world, limit=limit))
        return list(self._changed[1])

    async def step_async(self, n: int = 1) -> Stop:
        return await self._async(lambda: self.motion.forward(max(n, 0), self._checker()))

    async def continue_async(self, max_events: int | None = None) -> Stop:
        """``continue_`` that yields to the event loop; cancelling leaves the cursor between two events."""
        return await self._async(lambda: self.motion.advance(max_events, self._checker()))

    async def run_async(self, max_events: int | None = None) -> Stop:
        return await self._async(lambda: self.motion.forward(max_events, None))

    async def seek_async(self, index: int) -> Stop:
        return await self._async(lambda: self.motion.goto(index))

    async def step_back_async(self, n: int = 1) -> Stop:
        return await self._async(lambda: self.motion.goto(self.cursor - max(n, 0)))

    async def reverse_continue_async(self, until: int = 0) -> Stop:
        return await self._async(lambda: self.motion.reverse(Checker(self._bps, self.eng), until))

    async def load_history(self) -> None:
        """Replay a no-verify snapshot's history (verifying it) without blocking the event loop."""
        if self._pending is None:
            return
        if self.history_error is not None:
            raise self.history_error
        from msidbg.debugger.verify import g_replay

        rec = self._pending
        gen = g_replay(self, rec, unverified=True)
        self._pending = None
        try:
            await self._await_gen(gen)
        except BaseException as e:
            self._history_failed(rec, e)
            raise

    def save(self, path: str, replace: bool = True) -> None:
        """Write a snapshot of the session at the cursor (atomically). ``replace`` False: refuse to
        replace a file that is not empty (the CLI's rule with ``--no-clobber``)."""
        from msidbg.debugger.snapshot import save

        if not self.history:
            raise MsidbgError("this session keeps no history (Session(history=False)): it cannot be saved", path)
        self._need_history()
        save(self, path, replace)

    # -- driving command generators ---------------------------------------------------------------------------
    def _sync(self, make: Callable[[], Cmd]) -> Stop:
        self._need_history()
        return self._drive(make())

    def _drive(self, gen: Generator[None, None, Any]) -> Any:
        if self._busy:
            raise RuntimeError("another debugger command is still running on this session")
        self._busy = True
        try:
            while True:
                try:
                    next(gen)
                except StopIteration as done:
                    return self._finish(done.value)
                if progress.active is not None:     # a CLI command at a terminal (progress.py)
                    progress.active.tick(self)
        finally:
            gen.close()
            self._busy = False

    async def _async(self, make: Callable[[], Cmd]) -> Stop:
        await self.load_history()
        return await self._await_gen(make())

    async def _await_gen(self, gen: Generator[None, None, Any]) -> Any:
        if self._busy:
            raise RuntimeError("another debugger command is still running on this session")
        self._busy = True
        slice_s = self.yield_every_s
        try:
            deadline = time.perf_counter() + slice_s
            while True:
                try:
                    next(gen)
                except StopIteration as done:
                    return self._finish(done.value)
                if time.perf_counter() >= deadline:
                    await _sleep0()
                    if self.hold is not None:
                        hold, self.hold = self.hold, None
                        await hold()
                    deadline = time.perf_counter() + slice_s
        finally:
            gen.close()
            self._busy = False

    def _finish(self, result: Any) -> Any:
        if isinstance(result, Stop):
            self.motion.check_seen()
            self.last_stop = result
        return result

    def _need_history(self) -> None:
        if self._pending is not None:
            if self.history_error is not None:
                raise self.history_error
            from msidbg.debugger.verify import g_replay

            rec = self._pending
            self._pending = None
            try:
                self._drive(g_replay(self, rec, unverified=True))
            except BaseException as e:
                self._history_failed(rec, e)
                raise

    def _history_failed(self, rec: Any, e: BaseException) -> None:
        """The history replay of a no-verify snapshot stopped: still pending (a cancelled or
        interrupted replay is tried again when next needed); a bad or diverging file is
        remembered, and refused at once from then on."""
        from msidbg.errors import SnapshotError

        self._pending = rec
        if isinstance(e, SnapshotError):
            self.history_error = e

    def _checker(self) -> Checker | None:
        checker = Checker(self._bps, self.eng)
        if not checker:
            return None
        checker.prime()
        return checker

    def _compile(self, text: str) -> Any:
        from msidbg.debugger.expr import ExprError, compile_expr

        try:
            return compile_expr(text, world=self.world)
        except ExprError as e:
            raise BreakpointError(e.what, text, e.column) from None


async def _sleep0() -> None:
    """Yield to the event loop (asyncio is imported only by the async commands' callers)."""
    import asyncio

    await asyncio.sleep(0)
