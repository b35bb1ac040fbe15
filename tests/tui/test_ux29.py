"""hardening29: the main screen at 80x24 -- the status line takes the rows it has something to
show (a plain step left three blank rows under its event), and tab goes pane to pane (the
Events/Timeline tab bar took a tab stop of its own)."""

from __future__ import annotations

from msidbg.tui.panes.status import StatusLine
from tests.tui.conftest import LATE, idle, status_lines


async def test_a_plain_step_leaves_no_blank_rows_in_the_status_line_at_80x24() -> None:
    from msidbg.tui.app import make_app

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        main = app.query_one("#main")
        await pilot.press("s")
        await idle(pilot, app)
        rows = status_lines(app)
        assert rows == ["event 1 / 1+  │  eth0 · CPU0  │  step  │  t=0.000000000s",
                        "msix-write-while-unmasked · bare-metal",
                        "▶1 0.000000000s cpu0  eth0   action.start     action=0 do=alloc_vectors"], rows
        assert main.region.height == 24 - 1 - 3, main.region      # the footer, the three rows
        # a stop that explains itself takes the rows its sentence needs, never cut
        await pilot.press("c")
        await idle(pilot, app)
        rows = status_lines(app)
        assert len(rows) == 6 and all(rows), rows
        assert " ".join(rows[-2:]) == "── eth0 entry 0 addr_lo written while MSI-X is enabled and the entry is unmasked"
        assert main.region.height == 24 - 1 - 6
        # and a plain event after it gives the rows back
        await pilot.press("g", "2", "enter")
        await idle(pilot, app)
        assert len(status_lines(app)) == 3 and main.region.height == 20


async def test_a_wide_terminal_still_keeps_the_status_lines_height() -> None:
    """At 120 columns and more the panes share the screen's height (no scrolling): the line keeps
    its rows so that a stop's explanation does not resize every pane."""
    from msidbg.tui.app import make_app

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(140, 40)) as pilot:
        await idle(pilot, app)
        status = app.query_one(StatusLine)
        await pilot.press("s")
        await idle(pilot, app)
        plain = status.region.height
        await pilot.press("c")
        await idle(pilot, app)
        assert status.region.height == plain == 4


async def test_tab_goes_pane_to_pane_at_80x24() -> None:
    from msidbg.tui.app import make_app

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        seen = []
        for _ in range(8):
            focused = app.focused
            seen.append(type(focused).__name__ if focused is not None else None)
            await pilot.press("tab")
            await pilot.pause()
        assert "ContentTabs" not in seen and "Tabs" not in seen, seen
        assert seen[:6] == ["VectorTable", "ApicGrid", "EventRows", "CallStacks", "BreakpointList", "VectorTable"], seen
