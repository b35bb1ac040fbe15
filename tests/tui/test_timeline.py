"""The timeline pane: lanes over virtual time from a precomputed index (issue 15, "also build").

Signals of each device vector (sent, delivered, held, lost, spurious) and each CPU's activity
as lanes; hits and bookmarks as marks; the cursor a column; zoom; enter or a click goes to the
nearest event. A redraw reads no events: it is binary searches in the index.
"""

from __future__ import annotations

from textual.app import App, ComposeResult

from msidbg.sim.events import Event
from msidbg.sim.scheduler import Hit
from msidbg.tui.app import make_app
from msidbg.tui.lanes import Lane, LaneIndex, counts
from msidbg.tui.panes.timeline import LABEL, Timeline
from tests.tui.conftest import LATE, idle
from tests.tui.test_eventlog import FakeLog, view_at


def lane_rows(tl: Timeline) -> dict[str, str]:
    """Lane title -> its cells as painted."""
    out = {}
    for y in range(tl.header_lines, tl.size.height):
        text = tl.render_line(y).text
        if text.strip():
            out[text[:LABEL].strip()] = text[LABEL:]
    return out


def test_lane_index_counts_by_binary_search() -> None:
    idx = LaneIndex()
    evs = [Event(1, 100, "msi.msg", 1, "eth0", {"index": 0}), Event(2, 150, "msi.held", None, "eth0", {"index": 0}),
           Event(3, 300, "apic.accept", 1, None, {"vector": 0x21}), Event(4, 300, "irq.handler", 1, "eth0",
                                                                           {"irq": 24, "index": 0, "signals": 1}),
           Event(5, 900, "msix.write", 0, "eth0", {"entry": 0}), Event(6, 1000, "run.end", None, None, {"lost": 1})]
    idx.add_events(evs)
    idx.add_hits([Hit(6, 1000, "irq-lost", "eth0 vector 0: 1 signal(s) were held behind a mask")])
    assert idx.lanes() == [Lane("dev", "eth0", 0), Lane("cpu", "", 0), Lane("cpu", "", 1)]
    bounds = idx.bounds(0, 1200, 4)                       # columns of 300 ns
    assert bounds == [1, 3, 5, 5, 7]                      # nothing in [600, 900)
    assert idx.cells(Lane("dev", "eth0", 0), bounds) == ["held", "delivered", "", "lost"]
    assert idx.cells(Lane("cpu", "", 1), bounds) == ["", "irq", "", ""]
    assert idx.first_in(Lane("dev", "eth0", 0), 1, 3) == 2          # held wins over sent in column 0
    assert idx.nearest(640) == 5 and idx.nearest(10) == 1 and idx.nearest(5000) == 6
    assert counts(idx._lanes[Lane("cpu", "", 1)]["irq"], bounds) == [0, 2, 0, 0]


class TimelineApp(App[None]):
    def __init__(self, log: FakeLog) -> None:
        super().__init__()
        self.log_source = log

    def compose(self) -> ComposeResult:
        yield Timeline(self.log_source.events, lambda: [], id="tl")


async def test_redraws_and_zooms_read_no_events_once_indexed() -> None:
    n = 200_000
    log = FakeLog(n)
    app = TimelineApp(log)
    async with app.run_test(size=(140, 30)) as pilot:
        tl = app.query_one(Timeline)
        tl.view = view_at(n // 2, n)
        for _ in range(400):
            if tl.index.indexed == n:
                break
            await pilot.pause(0.05)
        assert tl.index.indexed == n and len(tl.index.lanes()) == 7 + 4      # 7 vectors, 4 CPUs
        served = log.served
        tl.focus()
        for keys in (["plus"] * 3, ["right"] * 5, ["minus"], ["0"], ["plus"] * 12):
            await pilot.press(*keys)
            rows = lane_rows(tl)
            assert rows["eth0 #1"].strip(" ")                        # something drawn
        for cursor in (10, n // 3, n):
            tl.view = view_at(cursor, n)
            await pilot.pause()
            lane_rows(tl)
        assert log.served == served                                  # no event read by a redraw


async def test_lanes_show_the_losses_and_a_click_on_one_goes_there() -> None:
    app = make_app(LATE, keymap={})
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("g", *"200", "enter")
        await idle(pilot, app)
        await pilot.press("v")
        tl = app.query_one(Timeline)
        for _ in range(100):
            if tl.index.indexed == app.session.total:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.1)
        rows = lane_rows(tl)
        lost = [h.event for h in app.session.hits(upto=app.session.total)
                if h.name == "irq-lost" and h.detail.startswith("eth0 vector 0:")]
        assert lost and "✕" in rows["eth0 #0"]
        col = rows["eth0 #0"].index("✕")
        line = list(rows).index("eth0 #0")
        region = tl.content_region
        await pilot.click(Timeline, offset=(LABEL + col + region.x - tl.region.x,
                                            tl.header_lines + line + region.y - tl.region.y))
        await idle(pilot, app)
        assert app.session.cursor in lost
        assert "CPU1" in rows and "CPU0" in rows
        assert "▲" in tl.render_line(1).text                        # the armed hits are marked
