"""tuiux21: the help's first open, a word filter that searches from the cursor (escape stops
it), ``serve`` showing the TUI before the replay, and what a walk at 80x24 found."""

from __future__ import annotations

from textual.app import App, ComposeResult

from msidbg.tui.panes.events import SCAN_CHUNK, EventLog, EventRows
from tests.tui.conftest import until
from tests.tui.test_eventlog import FakeLog, view_at


class FilterApp(App[None]):
    def __init__(self, log: FakeLog) -> None:
        super().__init__()
        self.log_source = log

    def compose(self) -> ComposeResult:
        yield EventLog(self.log_source.events, id="log")


N = 500_000
CURSOR = 400_000


async def test_word_filter_lists_the_matches_around_the_cursor_first() -> None:
    # the scan went from event 1: at event 400k of 500k the matches near the cursor came
    # after 400k events read; now it reads outward from the cursor, a chunk each way in turn
    log = FakeLog(N)
    app = FilterApp(log)
    async with app.run_test(size=(120, 30)) as pilot:
        rows = app.query_one(EventRows)
        rows.view = view_at(CURSOR, N)
        await pilot.pause()
        rows.set_filter("kind=apic.eoi cpu=0")          # every 12th event
        assert await until(pilot, lambda: rows.scanned >= 2 * SCAN_CHUNK, 20)
        # (read together, no await between: the scan goes on in the background, further on a loaded machine)
        scanned, got = rows.scanned, list(rows.matches or [])
        assert scanned < N // 4
        assert got == sorted(got) and any(m < CURSOR for m in got) and any(m > CURSOR for m in got)
        # outward from the cursor, a chunk each way in turn: every match read so far lies within half the
        # events read (plus the chunk in progress) of the cursor -- a scan from event 1 would be 400k away
        assert all(abs(m - CURSOR) <= scanned // 2 + SCAN_CHUNK for m in got), (scanned, got[0], got[-1])
        near = CURSOR - CURSOR % 12                      # the nearest match at or before the cursor
        line = rows.line_of(CURSOR)
        assert line is not None and rows.index_of(line) == near and rows.is_visible(line)
        assert await until(pilot, lambda: rows.scanned >= N, 120)
        assert list(rows.matches or []) == list(range(12, N + 1, 12))
        line = rows.line_of(CURSOR)
        # the matches found before the rows on screen pushed them down: the cursor's stays in view
        assert line is not None and rows.index_of(line) == near and rows.is_visible(line)


async def test_escape_stops_a_filter_scan_then_clears_the_filter() -> None:
    log = FakeLog(N)
    app = FilterApp(log)
    async with app.run_test(size=(120, 30)) as pilot:
        rows = app.query_one(EventRows)
        pane = app.query_one(EventLog)
        rows.view = view_at(CURSOR, N)
        await pilot.pause()
        rows.set_filter("kind=apic.eoi")
        rows.focus()
        assert await until(pilot, lambda: rows.scanned >= 2 * SCAN_CHUNK, 20)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert rows.matches is not None and not rows.scanning, "the first escape stops the scan"
        stopped_at, found = rows.scanned, len(rows.matches)
        assert stopped_at < N and found > 0
        assert "stopped" in str(pane.border_title) and "esc clears" in str(pane.border_title)
        assert len(str(pane.border_title)) <= 76          # the title row of the log at 80x24
        rows.view = view_at(CURSOR + 1, N)               # a step does not start it again
        await pilot.pause(0.2)
        assert rows.scanned == stopped_at and len(rows.matches) == found
        await pilot.press("escape")
        await pilot.pause()
        assert rows.matches is None and pane.border_title == "Events"


async def test_the_first_help_is_a_handful_of_widgets_and_says_every_key() -> None:
    # the help was ~130 Static cells in three Grids: composing and styling them made the first
    # ? on big-table.yaml cost ~210 ms of CPU (~600 ms wall on a busy machine; an empty modal
    # screen costs ~50). Now each section is one widget laid out as text when painted: ~65 ms
    from msidbg.tui.app import make_app
    from msidbg.tui.keys import ACTIONS
    from msidbg.tui.screens.help import LEGEND, PANE_KEYS, HelpScreen
    from tests.tui.conftest import LATE, idle, screen_text

    app = make_app(LATE, keymap={"step": "n"})
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        assert len(list(screen.query("*"))) <= 8
        text = " ".join(screen.text().split())
        for a in ACTIONS:
            assert " ".join(a.help.split()) in text, a.name
        for _pane, keys, what in PANE_KEYS:
            assert " ".join(what.split()) in text and keys in text
        for mark, what in LEGEND:
            assert f"{mark} {' '.join(what.split())}" in text
        assert "n step execute the next event" in text
        shown = "\n".join(screen_text(app))
        assert "n            step" in shown and "execute the next event" in shown
        # nothing drawn past the box at 80 columns: each painted row is the terminal's width
        assert all(len(row) <= 80 for row in screen_text(app))


async def test_a_served_snapshot_shows_the_tui_at_once_and_replays_behind_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # each browser tab's process (serve.run_app) replayed the whole snapshot (Session.open)
    # before the App started: the page stayed blank meanwhile. Now the App opens it, its
    # opening screen (progress bar, escape cancels) the first frame, the replay behind it
    from msidbg.bugio import serve
    from msidbg.debugger import verify
    from msidbg.tui.app import MsidbgApp
    from msidbg.tui.screens.opening import Opening
    from tests.tui.conftest import ROOT, idle

    snapshot = str(ROOT / "snapshots" / "xen-hvm-msix-mask-late.msgpack")
    replays: list[int] = []
    real = verify.g_replay

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        replays.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(verify, "g_replay", counted)
    started: list[tuple[MsidbgApp, int]] = []
    monkeypatch.setattr(MsidbgApp, "run", lambda self, **kw: started.append((self, len(replays))))
    serve.run_app(snapshot)
    (app, replayed_before), = started
    assert replayed_before == 0, "the tab replayed the snapshot before the TUI started"
    assert app.verify and app.error is None
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.query(Opening), "the first screen is the opening screen"
        await idle(pilot, app, 60)
        assert app.error is None and app.session is not None and app.session.history_ready
        assert replays == [1]                                   # verified, once, in the background
        assert not app.query(Opening)


def test_a_watch_on_a_vector_bitmap_names_the_vectors() -> None:
    # the stop line of `W cpu[0].irr` on the shipped Xen scenario read
    # "cpu[0].irr: [0, 0, 0, 0, 0, 0, 0, 0] -> [0, 0, 0, 0, 0, 0, 0, 524288]": vector 0xf3
    # (the HVM callback vector) in word 7, bit 19, for the reader to work out
    from msidbg.debugger import Session
    from tests.tui.conftest import ROOT

    s = Session.from_scenario(str(ROOT / "scenarios" / "xen-pirq-reuse-nvme.yaml"))
    s.add_breakpoint("watch cpu[0].irr")
    stop = s.continue_()
    irr = s.world["cpus"][0]["irr"]
    set_now = [v for v in range(256) if irr[v >> 5] >> (v & 31) & 1]
    assert set_now and stop.detail == "cpu[0].irr (vectors set): {} -> {" + ", ".join(f"{v:#04x}" for v in set_now) + "}"
    stop = s.continue_()
    assert stop.detail.startswith("cpu[0].irr (vectors set): {0x") and stop.detail.endswith("}")


async def test_timeline_zoomed_in_at_the_start_shows_no_negative_time() -> None:
    # + on the timeline's first column centred a window on it reaching before time 0 (and
    # moving left past the first column shifted the window before it): the axis read
    # "-1.995636718s  -1.999825468s  0.004014218s"
    from msidbg.tui.app import make_app
    from msidbg.tui.panes.timeline import Timeline
    from tests.tui.conftest import LATE, idle, screen_text

    def axis() -> str:
        return next(row for row in screen_text(app) if "virtual time" in row).replace("virtual time", "")

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await idle(pilot, app)
        await pilot.press("v")
        tl = app.query_one(Timeline)
        assert await until(pilot, lambda: tl.index.indexed == app.session.total)
        tl.focus()
        tl.column = 0
        for _ in range(3):
            await pilot.press("plus")
            await pilot.pause()
            t0, t1 = tl.span()
            assert 0 <= t0 < t1, (t0, t1)
            assert "-" not in axis(), axis()
        await pilot.press("0")
        tl.column = 0
        await pilot.press("left")
        await pilot.pause()
        assert 0 <= tl.span()[0], tl.span()
        assert "-" not in axis(), axis()
