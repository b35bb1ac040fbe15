"""``msidbg why FILE``: the session to ask (a scenario run, a snapshot at its cursor) and the target."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from msidbg.debugger.armour import is_snapshot_source
from msidbg.debugger.breakpoints import BUILTIN, WATCH, BreakpointError
from msidbg.debugger.session import Session
from msidbg.debugger.why import WhyError
from msidbg.errors import MsidbgError
from msidbg.guard import head
from msidbg.sim.scheduler import Hit


def open_target(path: str, seed: int | None, breaks: Sequence[str], verify: bool = True,
                event: int | None = None, at: int | None = None,
                max_events: int | None = None) -> tuple[Session, tuple[int, int] | None]:
    """A snapshot at its cursor, or a scenario run to ``event`` / ``at`` / its end; ``breaks`` armed.
    To its end: at most ``max_events``, by default ``headless.DEFAULT_MAX_EVENTS`` (hardening27).
    Returns the session and, when the default cap cut the run, (the cap, the virtual time) for
    ``headless.cap_line``."""
    snapshot = is_snapshot_source(path)
    if snapshot and seed is not None:
        raise seed_of_snapshot(path)
    if max_events is not None and snapshot:
        raise MsidbgError("a snapshot is opened at its cursor, never run further (expected a scenario file)",
                          path, option="--max-events")
    if max_events is not None and (event is not None or at is not None):
        raise MsidbgError("--event and --at stop the run themselves (expected one of them, or --max-events "
                          "to cut the run to its end)", path, option="--max-events")
    if not snapshot and not verify:
        raise no_verify_of_scenario(path)
    s = Session.open(path, verify=verify) if snapshot else Session.from_scenario(path, seed)
    for spec in breaks:
        try:
            s.add_breakpoint(spec)
        except BreakpointError as e:
            if e.caret is not None:   # the column and the text say which --break (run's form)
                raise MsidbgError(e.message, path, caret=e.caret, option="--break") from None
            raise MsidbgError(f"{head(spec)}: {e.message}", path, option="--break") from None
    cut = None
    if not snapshot:
        stop = event if event is not None else at
        if stop is None:
            from msidbg.debugger.headless import forward_capped

            ran, cap = forward_capped(s, max_events)
            cut = None if cap is None else (cap, ran.time_ns)
        else:
            s.seek(stop)
            if at is not None and s.cursor < at:   # was: the value at the end, said to be "at event END"
                raise MsidbgError(f"no event {at}: the run ends at event {s.cursor} (expected 0..{s.cursor})", path,
                                  option="--at")
    elif at is not None:
        if at > s.total:
            raise MsidbgError(f"no event {at}: the snapshot's history ends at event {s.total} (expected "
                              f"0..{s.total})", path, option="--at")
        s.seek(at)
    return s, cut


def seed_of_snapshot(path: str) -> MsidbgError:
    """``--seed`` given with a snapshot, whose run is its own: refused rather than ignored."""
    return MsidbgError("a snapshot replays its own run with its recorded seed (expected a scenario file; "
                       "'msidbg replay --scenario -o FILE.yaml' extracts the snapshot's)", path, option="--seed")


def no_verify_of_scenario(path: str) -> MsidbgError:
    """``--no-verify`` given with a scenario, which is run, never verified: refused rather than ignored."""
    return MsidbgError("only for a snapshot, whose recording it skips comparing (expected a snapshot file; a "
                       "scenario file is run, there is nothing to verify)", path, option="--no-verify")


def no_recorded_target(path: str) -> None:
    """A snapshot asked for its default target (``why FILE``: its stop, or its first armed hit)
    whose recording has neither -- no breakpoint stop, no hit of any breakpoint -- is refused
    before it is replayed: the replay cannot add one (a replay that differs from the recording
    diverges). It was refused after the replay, a minute of a long run later. A scenario: nothing."""
    if not is_snapshot_source(path):
        return
    from msidbg.debugger.snapread import read

    rec = read(path)
    if (rec.stopped.reason == "breakpoint" and rec.stopped.event > 0) or rec.hits:
        return
    raise WhyError(NO_ARMED_HIT)


#: what ``why`` says when it has no default target
NO_ARMED_HIT = ("no armed breakpoint hit in this run (expected a run that stopped at a breakpoint or hit an armed "
                "one: arm one with --break NAME, or ask --event N or --path P)")


def target_for(s: Session, path: str, hit: int | None = None, event: int | None = None,
               path_expr: str | None = None) -> Hit | int | str:
    """What ``why`` explains: ``--path``, ``--event``, ``--hit`` N, else the snapshot's stop or the
    first armed hit."""
    if path_expr is not None:
        return path_expr
    if event is not None:
        if event > s.total:
            raise WhyError(f"no event {event}: the run has {s.total} events (expected 1..{s.total})", "--event")
        return event
    armed = s.armed_hits()
    if hit is not None:
        if hit >= len(armed):    # (named --hit, as --event and --at are: was "no hit 5: ... (0..0)")
            if not armed:
                raise WhyError(f"no hit {hit}: the run has no armed breakpoint hit (expected a run with one: "
                               "arm a breakpoint with --break NAME, or ask --event N or --path P)", "--hit")
            hits = "armed breakpoint hit" + ("" if len(armed) == 1 else "s")
            raise WhyError(f"no hit {hit}: the run has {len(armed)} {hits} (expected 0..{len(armed) - 1})", "--hit")
        return armed[hit]
    stop = s.last_stop
    if stop.reason == "breakpoint" and stop.event > 0:
        h = stop_hit(s)
        if h is not None:
            return h
        watched = stop_watch(s)
        return watched if watched is not None else stop.event
    if armed:
        return armed[0]
    raise WhyError(NO_ARMED_HIT)


def stop_hit(s: Session) -> Hit | None:
    """The hit a breakpoint stop reports, or None (the stop is no built-in's: a watch, an ``if``, a ``call``).
    The stop names its breakpoint (by id, else by label) and the detail of the hit that fired it: the first hit at
    the stop's event of that built-in name whose detail is the stop's -- the one ``Checker`` reported, also for a
    conditional built-in (``irq-lost if ...``, whose label is its spec). why26: the stop was matched by label among
    the armed unconditional hits, last first, so a conditional built-in's stop explained the event rather than its
    hit, and of two equal hits at one event (heldout_why12 h11) the later, not the one the stop reported."""
    stop = s.last_stop
    if stop.reason != "breakpoint" or stop.event <= 0:
        return None
    bps = s.breakpoints
    bp = next((b for b in bps if b.id == stop.bp_id), None) if stop.bp_id is not None else None
    if bp is None:
        bp = next((b for b in bps if b.label == stop.breakpoint), None)
    name = bp.name if bp is not None and bp.form == BUILTIN else None
    if name is None and bp is None:
        name = stop.breakpoint     # (a stop whose breakpoint is no longer armed: its label, a built-in name)
    if not name:
        return None
    at = [h for h in s.hits(stop.event) if h.event == stop.event and h.name == name]
    return next((h for h in at if h.detail == stop.detail), at[0] if at else None)


def stop_watch(s: Session) -> str | None:
    """At a ``watch`` breakpoint's stop, with the cursor there: the watched expression, whose value there -- the
    one the watchpoint reported -- ``why`` explains (its write, or an untracked expression's last change: that
    event). None for any other stop, or when the cursor has moved off it (its value there is no longer the one
    reported: the stop's event is explained). why27: ``Session.why`` had no default, ``msidbg why`` at a watch
    stop explained the event and only the TUI's ``w`` the watched value."""
    stop = s.last_stop
    if stop.reason != "breakpoint" or stop.event <= 0 or s.cursor != stop.event:
        return None
    bps = s.breakpoints
    bp = next((b for b in bps if b.id == stop.bp_id), None) if stop.bp_id is not None else None
    if bp is None:
        bp = next((b for b in bps if b.label == stop.breakpoint), None)
    spec = bp.spec if bp is not None and bp.form == WATCH else stop.breakpoint if bp is None else None
    if not spec or not spec.startswith("watch "):
        return None
    return spec[len("watch "):].strip() or None


def why_default(s: Session, target: Hit | int | str, stacks: bool = True) -> Any:
    """``s.why(target)`` for a default target (``target_for`` without an option): a watched expression that
    ``why`` cannot explain as a path falls back to the stop's event."""
    if isinstance(target, str):
        try:
            return s.why(target, stacks)
        except WhyError:
            target = s.last_stop.event
    return s.why(target, stacks)


def first_hit(s: Any, names: set[str]) -> Hit | None:
    """The first hit (armed or not) named in ``names``, up to the cursor."""
    return next((h for h in s.hits() if h.name in names), None)
