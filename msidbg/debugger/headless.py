"""Headless runs: a scenario to its end (or first armed hit, or a limit), and ``check``."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO

from msidbg.debugger.summary import compare, summary
from msidbg.model import new_engine
from msidbg.scenario import Scenario
from msidbg.sim.events import format_ns


@dataclass
class RunResult:
    summary: dict[str, Any]
    reason: str
    detected: set[str]


def run(scn: Scenario, *, max_events: int | None = None, stop_at_break: bool = False,
        seed: int | None = None, extra_breaks: tuple[str, ...] = (), progress: TextIO | None = None) -> RunResult:
    """Run ``scn`` headless. Arms the scenario's breakpoints plus ``extra_breaks``."""
    eng = new_engine(scn, seed)
    armed = set(scn.breakpoints) | set(extra_breaks)
    eng.call_watch = {b.split(None, 1)[1].strip() for b in armed if b.startswith("call ")}
    stop_on = armed if stop_at_break else set()
    reason, bp = _loop(eng, max_events, stop_on, progress)
    stop = {"reason": reason, "event": eng.w["events"], "breakpoint": bp}
    armed_hits = [h for h in eng.hits if h.name in armed or f"call {h.name}" in armed]
    summ = summary(scn, eng.w, armed_hits, stop)
    return RunResult(summ, reason, {h.name for h in eng.hits})


def _loop(eng: Any, max_events: int | None, stop_on: set[str], progress: TextIO | None) -> tuple[str, str | None]:
    """Step in chunks so a long run can report progress; returns (reason, breakpoint)."""
    left = max_events
    last = time.monotonic()
    while True:
        chunk = 20_000 if left is None else min(left, 20_000)
        reason = eng.run_sync(max_events=chunk, stop_on=stop_on)
        if left is not None:
            left -= chunk
        if reason == "breakpoint":
            names = [h.name for h in eng.step_hits if h.name in stop_on] or [eng.step_calls[0]]
            return reason, names[0]
        if eng.step_calls and any(f"call {c}" in stop_on for c in eng.step_calls):
            return "breakpoint", f"call {eng.step_calls[0]}"
        if reason == "end":
            _progress_done(progress)
            return "end", None
        if left is not None and left <= 0:
            _progress_done(progress)
            return "limit", None
        if progress is not None and time.monotonic() - last > 0.25:
            last = time.monotonic()
            progress.write(f"\r  {eng.w['events']:,} events, virtual time {format_ns(eng.w['now'])} ")
            progress.flush()


def _progress_done(progress: TextIO | None) -> None:
    if progress is not None:
        progress.write("\r\033[K")
        progress.flush()


def check(scn: Scenario) -> list[str]:
    """Run to the end and compare with the scenario's ``expect:`` block."""
    if scn.expect is None:
        return []
    res = run(scn, progress=sys.stderr if sys.stderr.isatty() else None)
    return compare(scn.expect, res.summary, res.detected)


def human(summ: dict[str, Any]) -> str:
    """A readable summary for the terminal."""
    stop = summ["stopped"]
    lines = [
        f"scenario {summ['scenario']}: {summ['events']:,} events, virtual time {format_ns(summ['time_ns'])}",
        f"stopped: {stop['reason']} at event {stop['event']}"
        + (f" on breakpoint {stop['breakpoint']}" if stop["breakpoint"] else ""),
        f"state hash {summ['state_hash']}",
    ]
    hits = summ["hits"]
    if hits:
        lines.append(f"hits ({len(hits)}):")
        for h in hits[:20]:
            lines.append(f"  #{h['event']} {format_ns(h['time_ns'])} {h['breakpoint']}: {h['detail']}")
        if len(hits) > 20:
            lines.append(f"  ... {len(hits) - 20} more (use --json for all)")
    for name, d in summ["devices"].items():
        lines.append(f"{name}: probe {d['probe']}")
        for v in d["vectors"]:
            lines.append(f"  vector {v['index']}: raised {v['raised']} delivered {v['delivered']} "
                         f"lost {v['lost']} spurious {v['spurious']}")
    return "\n".join(lines)
