"""The event log is virtualised: a million events cost what a screenful costs."""

from __future__ import annotations

import time

from textual.app import App, ComposeResult

from msidbg.sim.events import Event
from msidbg.tui.digest import NO_CHANGES
from msidbg.tui.panes.events import PAGE, EventRows
from msidbg.tui.view import View

MILLION = 1_000_000


class FakeLog:
    """A million synthetic events; counts how many were materialised."""

    def __init__(self, size: int = MILLION) -> None:
        self.served = 0
        self.size = size

    def events(self, start: int, stop: int) -> list[Event]:
        stop = min(stop, self.size + 1)
        self.served += max(stop - start, 0)
        return [Event(i, i * 100, "msi.msg" if i % 3 else "apic.eoi", i % 4, "eth0", {"index": i % 7})
                for i in range(start, stop)]


class LogApp(App[None]):
    def __init__(self, log: FakeLog) -> None:
        super().__init__()
        self.log_source = log

    def compose(self) -> ComposeResult:
        yield EventRows(self.log_source.events, id="rows")


def view_at(cursor: int, total: int = MILLION) -> View:
    world = {"now": cursor * 100, "platform": {"kind": "bare-metal"}}
    return View(world=world, scenario="fake", cursor=cursor, total=total, changes=NO_CHANGES)


async def test_a_million_events_scroll_reading_only_visible_pages() -> None:
    log = FakeLog()
    app = LogApp(log)
    async with app.run_test(size=(120, 30)) as pilot:
        rows = app.query_one(EventRows)
        rows.view = view_at(1)
        await pilot.pause()
        assert rows.virtual_size.height == MILLION
        t0 = time.perf_counter()
        for cursor in (500_000, 999_999, 250_000, MILLION):
            rows.view = view_at(cursor)
            await pilot.pause()
            assert rows.is_visible(cursor - 1)
            text = [rows.render_line(y).text for y in range(rows.size.height)]
            assert any(t.startswith(f"▶{cursor:>8} ") for t in text)
        await pilot.press("pageup", "pageup", "up")
        elapsed = time.perf_counter() - t0
        assert log.served <= 12 * PAGE                     # a handful of pages, not the log
        assert elapsed < 5.0


async def test_filter_scans_in_the_background_and_lists_matches() -> None:
    n = 120_000
    log = FakeLog(n)
    app = LogApp(log)
    async with app.run_test(size=(120, 30)) as pilot:
        rows = app.query_one(EventRows)
        rows.view = view_at(10, n)
        rows.set_filter("kind=apic.eoi cpu=0")           # every 12th event: i % 3 == 0 and i % 4 == 0
        await pilot.pause(0.02)
        assert rows.matches is not None and 0 < rows.scanned < n   # under way, screen not blocked
        for _ in range(400):
            if rows.scanned >= n:
                break
            await pilot.pause(0.05)
        assert rows.scanned == n and len(rows.matches) == n // 12
        assert list(rows.matches[:3]) == [12, 24, 36]
