"""ux6: progress lines on a narrow terminal, and explore's terminal before its first run ends."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from msidbg.debugger import progress
from msidbg.explore import explore, pool, report
from tests.conftest import SCENARIOS

TORN = str(SCENARIOS / "explore-msi-torn.yaml")


def drawn(text: str) -> list[str]:
    """The lines a progress writer drew in place (each starts with CR, ESC [K)."""
    return [part for part in text.split("\r\033[K") if part]


def test_the_explore_bar_fits_an_80_column_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 80 columns the bar was 90 characters: the terminal wrapped it, and each redraw (CR,
    erase line) cleared only the wrapped tail, leaving a stale copy of the bar per update."""
    monkeypatch.setenv("COLUMNS", "80")
    out = io.StringIO()
    bar = report.Progress(out, 400, None)
    bar.update(133, 27, 1, "26 programs, 78 steps, 44 orders", force=True)
    lines = drawn(out.getvalue())
    assert lines and all(len(line) <= 79 for line in lines), lines
    assert lines[-1].startswith("[######              ] 133 runs") and lines[-1].endswith("…")
    monkeypatch.setenv("COLUMNS", "200")   # room enough: the whole line, uncut
    out = io.StringIO()
    report.Progress(out, 400, None).update(133, 27, 1, "26 programs, 78 steps, 44 orders", force=True)
    assert drawn(out.getvalue())[-1].endswith("26 programs, 78 steps, 44 orders")


def test_a_session_progress_line_with_a_long_file_name_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = io.StringIO()
    session: Any = SimpleNamespace(scenario=SimpleNamespace(path="/x/" + "a-very-long-scenario-name" * 4 + ".yaml",
                                                            name="n"),
                                   cursor=1_234_567, eng=SimpleNamespace(w={"now": 123_456_789}))
    with progress.reporting(out):
        assert progress.active is not None
        progress.active.next = 0.0
        progress.active.tick(session, "writing the trace", 9_999_999)
    lines = drawn(out.getvalue())
    assert lines and all(len(line) <= 79 for line in lines), lines


def test_explore_draws_its_bar_before_the_first_run_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scenario whose ordered baseline takes minutes left the terminal blank for minutes: the
    bar was first drawn when a run's result came back."""
    out = io.StringIO()
    seen: list[str] = []
    real = pool.run_once

    def spy(*args: Any, **kw: Any) -> Any:
        seen.append(out.getvalue())
        return real(*args, **kw)

    monkeypatch.setattr(pool, "run_once", spy)
    explore(TORN, runs=2, jobs=1, progress=out)
    assert "0 runs: the ordered baseline is running" in seen[0]


def test_a_long_run_keeps_the_bar_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    """While one run executes, the bar is redrawn with the time elapsed (``Workers.idle``)."""
    ticked = threading.Event()
    real = pool.run_once

    def slow(*args: Any, **kw: Any) -> Any:
        assert ticked.wait(30), "no progress while the run executed"
        return real(*args, **kw)

    monkeypatch.setattr(pool, "run_once", slow)
    workers = pool.Workers(explore_target(), 1, idle=ticked.set)
    with workers:
        results = list(workers.run([pool.Task(0, 1, pool.Schedule("ordered"))]))
    assert len(results) == 1


def test_tick_redraws_the_last_line_with_the_time_elapsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    out = io.StringIO()
    bar = report.Progress(out, 10, None)
    bar.start(1)
    bar.t0 -= 75
    bar.last -= 2
    bar.tick()
    assert drawn(out.getvalue())[-1] == "[                    ] 0 runs: the ordered baseline is running  1m15s"
    report.Progress(None, 10, None).tick()   # not a terminal: nothing to draw, no error


def explore_target() -> Any:
    from msidbg.explore.runner import Target
    from msidbg.scenario import load_scenario

    return Target(load_scenario(TORN), (), 100_000)


def test_explore_at_80_columns_never_writes_a_line_that_wraps(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = io.StringIO()
    explore(TORN, runs=12, jobs=1, all_runs=True, progress=out)
    lines = drawn(out.getvalue())
    assert len(lines) >= 2 and all(len(line) <= 79 for line in lines), lines
