"""tuiux25: a continue shows the world it has reached (and stops at a key), the filter scan's
chunks are bounded in time, bookmarks past the run's end, and what a walk through
xen-pirq-reuse-nvme / big-table found."""

from __future__ import annotations

import time
from pathlib import Path

from msidbg.sim.events import Event
from msidbg.tui.panes.events import EventRows
from tests.tui.conftest import STORM, idle, screen_text, status_lines, until, words
from tests.tui.test_eventlog import FakeLog, view_at
from tests.tui.test_ux21 import FilterApp


async def _running(pilot, app) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("c")
    assert await until(pilot, lambda: app.busy, 5)


async def test_a_continue_refreshes_the_panes_while_it_runs() -> None:
    # the panes kept the world from before the run until it stopped: a long continue showed a
    # frozen event log, vector table and APIC grid (only the status line's count moved)
    from msidbg.tui.app import make_app

    app = make_app(STORM, keymap={})
    async with app.run_test(size=(130, 36)) as pilot:
        await idle(pilot, app)
        assert app.view is not None and app.view.cursor == 0
        await _running(pilot, app)
        assert await until(pilot, lambda: app.busy and app.view is not None and app.view.cursor > 1000, 10), \
            "the panes show the world the run has reached"
        first = app.view.cursor
        assert await until(pilot, lambda: app.busy and app.view is not None and app.view.cursor > first, 10)
        rows = app.query_one(EventRows)
        assert rows.view is app.view                # every pane was handed the new View
        shown = app.view.cursor
        # (the index column is as wide as the run's total: hardening26)
        assert any(r.lstrip("│ ").startswith(f"▶{shown:>{len(str(app.view.total))}} ") for r in screen_text(app)), \
            screen_text(app)
        await pilot.press("escape")
        await idle(pilot, app)
        assert "stopped by a key" in words(" ".join(status_lines(app)))


async def test_escape_and_ctrl_c_stop_a_continue_at_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from msidbg.tui.app import make_app

    # ten times the long storm: on a quiet machine the 1.6M-event fixture ended inside the second continue
    # (~700k events before the app even reported busy), so the key met an ended run
    longer = tmp_path / "longer-storm.yaml"
    text = Path(STORM).read_text()
    assert "count: 400000," in text
    longer.write_text(text.replace("count: 400000,", "count: 4000000,"))
    app = make_app(str(longer), keymap={})
    async with app.run_test(size=(130, 36)) as pilot:
        await idle(pilot, app)
        for key in ("escape", "ctrl+c"):
            await _running(pilot, app)
            await pilot.pause(0.3)
            at = app.session.cursor
            t0 = time.perf_counter()
            await pilot.press(key)
            assert await until(pilot, lambda: not app.busy, 2)
            assert time.perf_counter() - t0 < 2
            assert app.is_running, f"{key} stops the run, it does not quit"
            assert not app.session.ended and app.session.cursor >= at
            assert app.view is not None and app.view.cursor == app.session.cursor


class SlowLog(FakeLog):
    """Reading an event costs 20 us of wall time (as a storm's events decoded and matched did)."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.calls: list[int] = []

    def events(self, start: int, stop: int) -> list[Event]:
        got = super().events(start, stop)
        if stop - start > 2:            # the scan's chunks (pages on screen read more, once)
            self.calls.append(len(got))
            until_t = time.perf_counter() + 20e-6 * len(got)
            while time.perf_counter() < until_t:
                pass
        return got


async def test_a_filter_scan_lets_the_event_loop_run_every_few_milliseconds() -> None:
    # the scan read 4,096 events a chunk between two turns of the event loop: at ~30 us an
    # event (a storm's lines matched against a word) a key waited up to 120 ms; the chunks are
    # now sized from the time the last one took
    n = 60_000
    log = SlowLog(n)
    app = FilterApp(log)
    async with app.run_test(size=(120, 30)) as pilot:
        rows = app.query_one(EventRows)
        rows.view = view_at(n // 2, n)
        await pilot.pause()
        log.calls.clear()
        rows.set_filter("kind=apic.eoi")
        assert await until(pilot, lambda: rows.scanned >= n, 60)
        assert list(rows.matches or []) == list(range(3, n + 1, 3))
        chunk_pages = [c for c in log.calls if c != 128]
        assert chunk_pages and max(chunk_pages) * 20e-6 <= 0.03, max(chunk_pages)


ENDED = "xen-hvm-msix-mask-late.msgpack"        # saved at the run's last event (141)
AHEAD = "msix-write-while-unmasked.msgpack"     # saved at event 26, bookmarks up to 94 ahead


def _with_bookmark(tmp_path, snap: str, event: int):  # type: ignore[no-untyped-def]
    import msgpack

    from msidbg.debugger.snapshot import seal
    from tests.tui.conftest import ROOT

    doc = msgpack.unpackb((ROOT / "snapshots" / snap).read_bytes(), raw=False)
    doc["bookmarks"].append({"name": "far", "event": event, "note": ""})
    out = tmp_path / "far.msgpack"
    out.write_bytes(seal(doc))
    return out


def test_a_bookmark_past_the_run_end_is_refused_by_open_replay_and_report(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # the run ended at the snapshot's cursor: a bookmark at event 10**9 was accepted (the
    # replay verifies only up to the cursor) and going to it landed at the end, nothing said
    from tests.bugio.helpers import cli

    bad = _with_bookmark(tmp_path, ENDED, 10**9)
    n = len(__import__("msgpack").unpackb(bad.read_bytes(), raw=False)["bookmarks"]) - 1
    says = (f"msidbg: {bad}: bookmarks[{n}].event: 1000000000 is past the run's end "
            "(the run ended at the cursor, event 141; expected 0..141)")
    for command in (["open", str(bad)], ["open", "--no-verify", str(bad)], ["replay", str(bad)],
                    ["report", str(bad)]):
        code, out, err = cli(*command)
        assert (code, out, err.strip()) == (2, "", says), command
    ok = _with_bookmark(tmp_path, ENDED, 141)          # at the end itself: fine
    code, out, err = cli("replay", str(ok))
    assert code == 0 and err == "", err


def test_shipped_bookmarks_ahead_of_the_cursor_still_open(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.bugio.helpers import cli
    from tests.tui.conftest import ROOT

    code, _, err = cli("replay", str(ROOT / "snapshots" / AHEAD))
    assert code == 0 and err == ""


async def test_going_to_a_bookmark_the_run_ends_before_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # ahead of a cursor the run has not ended at, a bookmark cannot be checked on open
    from msidbg.tui.app import make_app
    from tests.tui.conftest import opened

    far = _with_bookmark(tmp_path, AHEAD, 10**9)
    app = make_app(str(far), keymap={})
    async with app.run_test(size=(130, 36)) as pilot:
        await opened(pilot, app)
        app._goto_bookmark(next(b for b in app.session.bookmarks if b.name == "far"))
        await idle(pilot, app)
        assert app.session.ended
        said = [str(n.message) for n in app._notifications]
        assert any("past the run's end" in m and "1,000,000,000" in m for m in said), said



async def test_session_hold_is_awaited_once_between_two_events() -> None:
    # the TUI's pause while it paints the world a run has reached: awaited at the next yield of
    # the running command, with the cursor on a whole event, then cleared
    import asyncio

    from msidbg.debugger import Session

    s = Session.from_scenario(STORM)
    s.yield_every_s = 0.0
    seen: list[tuple[int, int]] = []

    async def hold() -> None:
        seen.append((s.cursor, int(s.world["events"])))
        await asyncio.sleep(0.01)
        assert s.cursor == seen[-1][0], "the run does not move while held"

    s.hold = hold
    await s.run_async(20_000)
    assert len(seen) == 1 and 0 < seen[0][0] < 20_000 and seen[0][0] == seen[0][1]
    assert s.hold is None and s.cursor == 20_000
