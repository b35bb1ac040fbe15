"""Headless runs: a scenario to its end (or first armed hit, or a limit), and ``check``."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, TextIO

from msidbg.debugger import progress
from msidbg.debugger.breakpoints import arm
from msidbg.debugger.session import Session, Stop
from msidbg.debugger.summary import compare, differing, failed_action_line, not_started_line
from msidbg.errors import MsidbgError, SnapshotError
from msidbg.files import FileProblem, check_new, check_not_input, check_snapshot_target, check_target
from msidbg.guard import escape
from msidbg.scenario import Scenario
from msidbg.sim.events import format_ns
from msidbg.sim.strategy import Schedule

#: the events a headless run (``run --headless``, ``check``) executes when no ``--max-events`` is
#: given: a scenario whose run does not end -- a storm of 50,000,000 fire signals a nanosecond apart
#: is a valid file -- ran for hours (hardening26). About a minute at the engine's 200,000-400,000
#: events a second; the shipped scenarios end within 300,045. Reaching it stops the run with reason
#: ``limit``, the summary's ``event_cap`` and one line on stderr (docs/debugger.md "Command line").
DEFAULT_MAX_EVENTS = 20_000_000


@dataclass
class RunResult:
    """What ``run`` returns: the summary, why it stopped, the breakpoints detected."""

    summary: dict[str, Any]
    reason: str
    detected: set[str]
    #: why the run stopped early on its own (the session's memory bound), for stderr; else None
    note: str | None = None
    #: what the breakpoint it stopped at said (a watch's old -> new, a call's program), else None
    detail: str | None = None


def run(scn: Scenario, *, max_events: int | None = None, stop_at_break: bool = False,
        seed: int | None = None, extra_breaks: tuple[str, ...] = (), progress: TextIO | None = None,
        save: str | None = None, schedule: Schedule | None = None, causes: bool = True,
        force: bool = True) -> RunResult:
    """Run ``scn`` headless on a debugger Session. Arms the scenario's breakpoints plus ``extra_breaks``;
    ``save`` writes a snapshot at the stop; ``schedule`` overrides the file's (a strategy's depth, window);
    ``causes=False``: the summary's hits without their ``cause`` (``Session.summary``); ``force``: ``save``
    may replace a snapshot (never the scenario itself or another file); False: no file that is not empty.
    ``max_events`` None: at most ``DEFAULT_MAX_EVENTS``; a run that reaches it stops with reason
    ``limit``, a ``note`` saying so and the summary's ``event_cap``."""
    if save is not None:
        try:
            check_target(save)  # refuse a bad --save path before the run, not after it
            check_not_input(save, scn.path)  # and the scenario file itself
            if force:
                check_snapshot_target(save)  # and any other file that is not a snapshot
            else:
                check_new(save)              # and any file that is not empty, with --no-clobber
        except FileProblem as e:
            raise MsidbgError(e.message, save, option="--save") from None
    # without --save nobody travels back: no history is kept (no checkpoints, no event log)
    s = Session(scn, seed, history=save is not None, schedule=schedule)
    arm(s, extra_breaks)
    cap = DEFAULT_MAX_EVENTS if max_events is None else None
    stop = _loop(s, max_events if cap is None else cap, stop_at_break, progress)
    if save is not None:
        try:
            s.save(save, replace=force)
        except SnapshotError as e:   # the write itself: named as the check before the run names it
            if e.option is None and e.caret is None:
                raise SnapshotError(e.message, e.file, e.line, option="--save") from None
            raise
    note = f"stopped at event {stop.event:,}: {s.history_full}" if s.history_full else None
    summary = s.summary(causes)
    if cap is not None and note is None and stop.reason == "limit":
        note = cap_note(cap, stop.time_ns)
        summary["event_cap"] = cap
    return RunResult(summary, stop.reason, s.eng.hits.names_seen(), note, stop.detail)


def cap_note(cap: int, time_ns: int) -> str:
    """What a run stopped by the default event cap says (one line, after ``msidbg: FILE: ``)."""
    return (f"the run did not end within {cap:,} events, the default cap: stopped at virtual time "
            f"{format_ns(time_ns)} (expected a run that ends: --max-events N runs further)")


def forward_capped(s: Session, max_events: int | None, stop_at_break: bool = False) -> tuple[Stop, int | None]:
    """``why``, ``report``, ``export`` and ``diff``'s run of a scenario (or of a snapshot past its
    cursor): to the end (``stop_at_break``: the first armed hit), or ``max_events`` counted from
    event 0, or, when that is None, at most ``DEFAULT_MAX_EVENTS`` -- they ran a file that does
    not end for hours (hardening27). Returns the stop and the cap when the default cap cut the
    run (else None); ``cap_line`` is what the command then says on stderr."""
    cap = DEFAULT_MAX_EVENTS if max_events is None else None
    left = max((DEFAULT_MAX_EVENTS if max_events is None else max_events) - s.cursor, 0)
    stop = s.continue_(left) if stop_at_break else s.run(left)
    return stop, (cap if cap is not None and stop.reason == "limit" and not s.history_full else None)


def cap_line(path: str, cap: int, time_ns: int) -> str:
    """The one stderr line of a run the default cap cut: ``msidbg: FILE: the run did not end ...``."""
    return f"msidbg: {escape(path)}: {cap_note(cap, time_ns)}"


def _loop(s: Session, max_events: int | None, stop_at_break: bool, stream: TextIO | None) -> Stop:
    """Run in chunks (the session's memory bound is checked between them). At a terminal the
    progress line is ``progress.py``'s, as ``why``, ``diff``, ``report`` and ``replay`` draw it: the
    file's name, cut to the terminal's width (a line that wrapped scrolled a stale copy per update
    at a narrow terminal) and cleared when the run ends."""
    left = max_events
    with progress.reporting(stream):
        while True:
            chunk = 20_000 if left is None else min(left, 20_000)
            stop = s.continue_(chunk) if stop_at_break else s.run(chunk)
            if left is not None:
                left -= chunk
            if stop.reason != "limit" or (left is not None and left <= 0) or s.history_full:
                return stop


def check(scn: Scenario) -> list[str]:
    """Run to the end and compare with the scenario's ``expect:`` block."""
    return check_notes(scn)[0]


def check_notes(scn: Scenario, max_events: int | None = None) -> tuple[list[str], list[str]]:
    """``check``'s mismatches, and notes on the run that no ``expect:`` field covers: each action
    the finished run never started (the summary's ``not_started``). A note is no mismatch (the
    contract's exit 1 is an ``expect`` mismatch); ``msidbg check`` prints it on the file's line.

    A run that did not end -- cut at ``max_events`` (default ``DEFAULT_MAX_EVENTS``) or at the
    history's memory bound -- is a mismatch whatever its ``expect:`` says (hardening26): its counts
    are those of the cut, so ``ok`` would vouch for an outcome no run reached (``summary.compare``,
    explore's judge, lets a cut run pass unless it names ``not_started``)."""
    if scn.expect is None:
        return [], []
    res = run(scn, progress=sys.stderr if sys.stderr.isatty() else None, max_events=max_events)
    notes = [not_started_line(a) for a in res.summary.get("not_started") or []]
    bad = compare(scn.expect, res.summary, res.detected)
    if res.reason == "limit" and not bad:
        event = res.summary["stopped"]["event"]
        if "event_cap" in res.summary:
            why = f"the run did not end within {res.summary['event_cap']:,} events, the default cap"
        elif max_events is not None:
            why = f"the run did not end within {max_events:,} events (--max-events)"
        else:
            why = f"the run stopped at event {event:,} at its history's memory bound"
        bad = [f"expect: not judged: {why}; check --max-events N runs further"
               if "default cap" in why else f"expect: not judged: {why}"]
    return bad, notes


def behaviour_lines(table: dict[str, dict[str, Any]]) -> list[str]:
    """The behaviour the run used, one switch a line: value, where it came from, the commit (short).

    A switch this msidbg would resolve differently (a snapshot opened unverified, written by
    another model: ``summary.behaviour``) is marked ``!`` and followed by this msidbg's value; the
    first line says how many. A value that rests on a release reading no source confirmed for this
    version (``behaviour.uncertain``) is followed by a ``?`` line saying what is unconfirmed. Names and values may come from a file: escaped and clipped."""
    if not table:
        return []
    other = differing(table)
    width = min(max(len(name) for name in table), MAX_NAME)
    lines = ["behaviour:" if not other else
             f"behaviour (as the file recorded it; this msidbg would resolve the {len(other)} marked ! differently):"]
    for name, b in table.items():
        mark = "!" if name in other else " "
        line = f" {mark}{_clip(escape(name), MAX_NAME):<{width}} = {switch_value(b.get('value')):<9} "
        lines.append((line + f"{escape(str(b.get('from', '')))}; {short_commit(str(b.get('commit', '')))}")
                     .rstrip("; "))
        doubt = b.get("unconfirmed")
        if isinstance(doubt, str) and doubt:
            lines.append(f"  {'':<{width}}   ? {escape(doubt)}")
        here = b.get("this_msidbg")
        if isinstance(here, dict):
            lines.append(f"  {'':<{width}}   this msidbg: {switch_value(here['value'])} ({here['from']}; "
                         f"{short_commit(here['commit'])})".replace("; )", ")"))
    return lines


#: a switch's name and value as shown (a file's may be anything)
MAX_NAME, MAX_VALUE = 40, 60


def switch_value(v: Any) -> str:
    """``true`` / ``false`` / ``-`` (None) / the value as text, escaped and clipped."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return "-" if v is None else _clip(escape(str(v)), MAX_VALUE)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def short_commit(commit: str) -> str:
    """``83dbf898a2d4 PCI/MSI: ...`` -> ``83dbf898a2d4``; ``before X ...`` -> ``before X``; else up to 48 chars."""
    words = commit.split()
    lead = 1 if words[:1] == ["before"] else 0
    if len(words) > lead and _is_commit(words[lead]):
        return " ".join(words[:lead + 1])
    return commit if len(commit) <= 48 else commit[:47] + "…"


def _is_commit(word: str) -> bool:
    return len(word) >= 7 and all(c in "0123456789abcdef" for c in word)


def human(summ: dict[str, Any], detail: str | None = None) -> str:
    """A readable summary for the terminal. Every string in it may come from a file (a snapshot
    opened without verification): each is escaped, so none can add a line or a control sequence.
    ``detail``: what the breakpoint the run stopped at said (``Stop.detail``), shown under the
    stop unless the hits list it (a watch's ``path: old -> new`` is in no hit)."""
    e = escape
    stop = summ["stopped"]
    hits = summ["hits"]
    lines = [
        f"scenario {e(str(summ['scenario']))}: {summ['events']:,} events, virtual time {format_ns(summ['time_ns'])}",
        f"stopped: {e(str(stop['reason']))} at event {stop['event']}"
        + (f" on breakpoint {e(str(stop['breakpoint']))}" if stop["breakpoint"] else ""),
    ]
    if detail and stop["breakpoint"] and not any(
            h["event"] == stop["event"] and h["breakpoint"] == stop["breakpoint"] for h in hits):
        lines.append(f"  {e(detail)}")
    lines.append(f"state hash {e(str(summ['state_hash']))}")
    if hits:
        lines.append(f"hits ({len(hits)}):")
        for h in hits[:20]:
            lines.append(f"  #{h['event']} {format_ns(h['time_ns'])} {e(str(h['breakpoint']))}: {e(str(h['detail']))}")
        if len(hits) > 20:
            lines.append(f"  ... {len(hits) - 20} more (use --json for all)")
    lines += behaviour_lines(summ.get("behaviour", {}))
    failed = summ.get("failed_actions") or []
    if failed:
        lines.append(f"failed actions ({len(failed)}):")
        for a in failed[:20]:
            lines.append(f"  {e(failed_action_line(a))}")     # worded as msidbg report's section words it
        if len(failed) > 20:
            lines.append(f"  ... {len(failed) - 20} more (use --json for all)")
    never = summ.get("not_started") or []
    if never:
        lines.append(f"never started ({len(never)}):")
        for a in never[:20]:
            lines.append(f"  {e(not_started_line(a))}")
        if len(never) > 20:
            lines.append(f"  ... {len(never) - 20} more (use --json for all)")
    for name, d in summ["devices"].items():
        driver = str(d.get("driver", d["probe"]))
        lines.append(f"{e(str(name))}: probe {e(str(d['probe']))}"
                     + (f", driver {e(driver)}" if driver != d["probe"] else ""))
        lines += vector_lines(d["vectors"])
    return "\n".join(lines)


def vector_lines(vectors: list[dict[str, Any]]) -> list[str]:
    """One line per vector; a run of consecutive vectors with nothing counted is one line
    (``vectors 1-126: ... (each)``): a 128-queue NIC whose two busy vectors were buried among
    126 lines of zeros. ``--json`` lists every vector."""
    out: list[str] = []
    quiet: list[int] = []

    def flush() -> None:
        if len(quiet) == 1:
            out.append(f"  vector {quiet[0]}: raised 0 delivered 0 lost 0 spurious 0")
        elif quiet:
            out.append(f"  vectors {quiet[0]}-{quiet[-1]}: raised 0 delivered 0 lost 0 spurious 0 (each)")
        quiet.clear()

    for v in vectors:
        idle = not (v["raised"] or v["delivered"] or v["lost"] or v["spurious"])
        if idle and (not quiet or v["index"] == quiet[-1] + 1):
            quiet.append(v["index"])
            continue
        flush()
        if idle:
            quiet.append(v["index"])
            continue
        out.append(f"  vector {v['index']}: raised {v['raised']} delivered {v['delivered']} "
                   f"lost {v['lost']} spurious {v['spurious']}")
    flush()
    return out
