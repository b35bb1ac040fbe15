"""The App's hands on the Session: commands, what changed at the cursor, and the View.

Every command ends with the cursor at some event n; the panes highlight what changed *at*
n, which needs a ``Digest`` of event n-1. Stepping forward has it already (taken before the
step). Going back, or landing somewhere new, arrives at n by seeking to n-1, digesting, and
executing event n -- the same restore-and-replay a plain step back costs, so nothing is
paid twice. No Textual here: this is tested without an app.
"""

from __future__ import annotations

import bisect
import re
from collections import OrderedDict
from typing import Any

from msidbg.debugger import Session, Stop
from msidbg.guard import escape
from msidbg.sim.events import Event
from msidbg.sim.scheduler import Hit
from msidbg.tui import digest
from msidbg.tui.digest import NO_CHANGES, Digest
from msidbg.tui.view import BreakpointRow, View
from msidbg.yamlsafe import TIME_UNITS

DIGESTS_KEPT = 16
RUN_CHUNK = 4096
_TIME = re.compile(r"\s*(\d{1,15})(?:\.(\d{1,9}))?\s*(ns|us|ms|s)?\s*", re.ASCII)


#: the run-to-time prompt's hint: a bare number is read as nanoseconds (``t`` then ``5`` is 5ns, not 5ms)
TIME_HINT = "units ns, us, ms or s; a bare number is nanoseconds (5 = 5ns)"


def parse_time(text: str) -> int | None:
    """``2ms``, ``1.5us``, ``1200`` (ns) -> nanoseconds; None if not a whole number of ns."""
    m = _TIME.fullmatch(text)
    if m is None:
        return None
    whole, frac, unit = m.group(1), m.group(2) or "", m.group(3) or "ns"
    scaled = int(whole + frac) * TIME_UNITS[unit]
    if scaled % 10 ** len(frac):
        return None
    return scaled // 10 ** len(frac)


_LOOSE_TIME = re.compile(r"\s*(\d+)(?:\.(\d+))?\s*(ns|us|ms|s)?\s*", re.ASCII)


def time_problem(text: str) -> str:
    """Why ``parse_time`` refused ``text``, in words: a time too long to be one, a fraction of a
    nanosecond, or not a time at all (each was "expected a time such as 2ms ...")."""
    m = _LOOSE_TIME.fullmatch(text)
    odd = next((c for c in text if not c.isascii() and (c.isdigit() or c.isnumeric())), None)
    if odd is not None:     # as the goto prompt says it (hardening31)
        return f"{odd!r} (U+{ord(odd):04X}) is not a digit 0-9 (expected a time such as 2ms, 1.5us or 1200 (ns))"
    if m is None:
        return "expected a time such as 2ms, 1.5us or 1200 (ns)"
    if len(m.group(1)) > 15 or len(m.group(2) or "") > 9:
        return f"{text.strip()} has too many digits (expected at most 15 before the point and 9 after it)"
    return f"{text.strip()} is not a whole number of nanoseconds (virtual time counts in ns)"


def describe(stop: Stop, what: str) -> tuple[str, str]:
    """Why the cursor is where it is, in words: (short reason, detail) for the status line."""
    if stop.reason == "breakpoint":
        return f"{what}: breakpoint {escape(stop.breakpoint or '')}", escape(stop.detail or "")
    if stop.reason == "end":
        return f"{what}: end of run", ""
    if stop.reason == "start":
        return f"{what}: event 0", ""
    return what, ""


class Driver:
    """Runs Session commands for the App and builds the View at the cursor."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self._digests: OrderedDict[int, Digest] = OrderedDict()
        self._changes: OrderedDict[int, digest.Changes] = OrderedDict()
        self._hit_events: dict[str, list[int]] = {}
        self._hits_seen = -1
        self._armed_key: tuple[Any, ...] = ()
        self._armed_hits: tuple[int, ...] = ()

    # -- digests ---------------------------------------------------------------------------------
    def digest_here(self) -> Digest:
        """The digest of the world at the cursor (cached by event index: history is fixed)."""
        n = self.s.cursor
        d = self._digests.get(n)
        if d is None:
            d = self._digests[n] = digest.take(self.s.world)
            if len(self._digests) > DIGESTS_KEPT:
                self._digests.popitem(last=False)
        else:
            self._digests.move_to_end(n)
        return d

    def changes(self) -> digest.Changes:
        """What changed at the cursor's event; kept by event index, like the digests (a step back
        to an event seen a moment ago, or forward again, does not compare the digests again)."""
        n = self.s.cursor
        if n == 0:
            return NO_CHANGES
        got = self._changes.get(n)
        if got is not None:
            self._changes.move_to_end(n)
            return got
        before = self._digests.get(n - 1)
        got = digest.diff(before, self.digest_here())
        if before is not None:          # exact: the same whenever it is asked again
            self._changes[n] = got
            if len(self._changes) > DIGESTS_KEPT:
                self._changes.popitem(last=False)
        return got

    # -- commands (synchronous: fast ones) ---------------------------------------------------------
    def step(self) -> Stop:
        self.digest_here()
        return self.s.step(1)

    def forward(self, n: int) -> Stop:
        """``n`` steps as the step key does them, done at once: the first n-1 events ignore
        breakpoints (each key press would have stepped over them), the last reports one."""
        if n > 1:
            stop = self.s.run(n - 1)
            if stop.reason == "end":
                return stop
        self.digest_here()
        return self.s.step(1)

    def arrive(self, target: int) -> Stop:
        """Go to event ``target`` (clamped to the run) with the event before it digested."""
        target = max(target, 0)
        if target == 0 or target - 1 in self._digests:
            return self.s.seek(target)
        self.s.seek(target - 1)
        if self.s.cursor < target - 1:
            return self.s.last_stop
        self.digest_here()
        return self.s.step(1)

    def settle(self) -> None:
        """After a command that ran far (continue, reverse continue, a cancelled run), make
        sure the event before the cursor is digested; the Session's last Stop is kept."""
        n = self.s.cursor
        if n == 0 or n - 1 in self._digests:
            return
        stop = self.s.last_stop
        self.s.seek(n - 1)
        self.digest_here()
        self.s.step(1)
        self.s.last_stop = stop

    # -- commands (asynchronous: may run long; cancellable between two events) ----------------------
    async def arrive_async(self, target: int) -> Stop:
        target = max(target, 0)
        if target == 0 or target - 1 in self._digests:
            return await self.s.seek_async(target)
        await self.s.seek_async(target - 1)
        if self.s.cursor < target - 1:
            return self.s.last_stop
        self.digest_here()
        return self.s.step(1)

    async def continue_(self) -> Stop:
        self.digest_here()
        return await self.s.continue_async()

    async def reverse_continue(self) -> Stop:
        return await self.s.reverse_continue_async()

    async def run_to_time(self, t: int) -> Stop:
        """Run forward until the next event would be later than ``t``, or back to the last event
        at or before ``t`` when ``t`` is behind the cursor; both ways an armed breakpoint that
        fires on the way stops it (backwards the hit nearest the cursor, as reverse continue).

        Forward over history already recorded (the user stepped back) breakpoints stop it too:
        it used to jump straight to the target, over every hit on the way; backwards it still
        did (``t 2ms`` from a watch stop at 11 ms went over the watch's changes at 5 and 2.3 ms)."""
        if self.s.world["now"] > t:
            target = self._last_at_or_before(t)
            if any(b.enabled for b in self.s.breakpoints):
                return await self.s.reverse_continue_async(target)
            return await self.arrive_async(target)
        if self.s.total > self.s.cursor and self._time(self.s.total) > t:
            target = self._last_at_or_before(t)
            if target <= self.s.cursor:
                return Stop("limit", self.s.cursor, int(self.s.world["now"]))   # already there
            self.digest_here()
            return await self.s.continue_async(target - self.s.cursor)
        while True:
            stop = await self.s.step_async(RUN_CHUNK)
            if self.s.world["now"] > t:
                return await self.arrive_async(self._last_at_or_before(t))
            if stop.reason != "limit":
                return stop

    def _time(self, index: int) -> int:
        e = self.s.event(index)
        return e.time_ns if e is not None else 0

    def _last_at_or_before(self, t: int) -> int:
        """The last recorded event whose time is <= t (0 if none): a binary search of the log."""
        lo, hi = 0, self.s.total
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._time(mid) <= t:
                lo = mid
            else:
                hi = mid - 1
        return lo

    # -- the view -------------------------------------------------------------------------------------
    def events(self, start: int, stop: int) -> list[Event]:
        """The Session's events, or none while a ``--no-verify`` snapshot's history is still
        being replayed in the background (reading them would replay it synchronously)."""
        return self.s.events(start, stop) if self.s.history_ready else []

    def view(self, stop: tuple[str, str], device: str | None, cpu: int) -> View:
        s = self.s
        n = s.cursor
        event = self.events(n, n + 1) if n > 0 else []
        return View(
            world=s.world, scenario=s.scenario.name, cursor=n, total=s.total,
            event=event[0] if event else None, stop=stop[0], detail=stop[1], changes=self.changes(),
            device=device, cpu=cpu, breakpoints=self.breakpoint_rows(), ended=s.ended, finished=s.finished,
            hit_events=self.armed_hit_events(), bookmarks=tuple(sorted({b.event for b in s.bookmarks})),
            history_failed=s.history_error is not None,
        )

    def breakpoint_rows(self) -> tuple[BreakpointRow, ...]:
        """Armed breakpoints with how often their built-in condition fired up to the cursor."""
        self._index_hits()
        n = self.s.cursor
        rows = []
        for b in self.s.breakpoints:
            events = self._hit_events.get(b.name or "", []) if b.form == "builtin" and b.cond is None else []
            rows.append(BreakpointRow(b.id, escape(b.spec), b.enabled, bisect.bisect_right(events, n)))
        return tuple(rows)

    def armed_hit_events(self) -> tuple[int, ...]:
        """Events where an armed built-in breakpoint fired (cached until the armed set changes)."""
        self._index_hits()
        names = tuple(sorted(b.name for b in self.s.breakpoints
                             if b.form == "builtin" and b.cond is None and b.enabled and b.name))
        key = (names, self._hits_seen)
        if key != self._armed_key:
            self._armed_key = key
            self._armed_hits = tuple(sorted({e for n in names for e in self._hit_events.get(n, [])}))
        return self._armed_hits

    def _index_hits(self) -> None:
        total = self.s.total
        if total == self._hits_seen:
            return
        self._hits_seen = total
        hits = self.s.hits(upto=total)
        by: dict[str, list[int]] = {}
        for h in hits:
            by.setdefault(h.name, []).append(h.event)
        self._hit_events = by

    def all_hits(self) -> list[Hit]:
        """Every hit the model found in the recorded history (none while it is still loading)."""
        return self.s.hits(upto=self.s.total) if self.s.history_ready else []

    def devices(self) -> list[str]:
        return list(self.s.world["devices"])

    def add_breakpoint(self, spec: str) -> tuple[Any, str | None]:
        """Arm ``spec``; (id, None) or (None, the parser's error with its caret)."""
        from msidbg.debugger import BreakpointError

        try:
            return self.s.add_breakpoint(spec.strip()), None
        except BreakpointError as e:
            return None, str(e)
