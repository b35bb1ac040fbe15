"""A user's pass over the TUI in a real terminal (tuiux18): what was broken, confusing or untrue."""

from __future__ import annotations

from textual.widgets import Footer, Static

from msidbg.debugger.diff import diff_files
from tests.tui.conftest import ROOT, screen_text


async def test_diff_tui_shrunk_keeps_the_cursor_line_on_screen_and_drops_the_time() -> None:
    """Shrinking the terminal (200x60 -> 40x12) left the sides built for the old size: the
    ``▶`` line was below the side's bottom edge, the virtual time still took a 19-column side,
    and the footer stayed wide. The App's resize handler ran before Textual recorded the new
    size and before the layout."""
    from msidbg.tui.diffapp import DiffApp

    r = diff_files(str(ROOT / "scenarios" / "msix-write-while-unmasked.yaml"),
                   str(ROOT / "scenarios" / "msix-write-while-unmasked-fixed.yaml"))
    app = DiffApp(r)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        a, b = app.cursors()
        await pilot.resize_terminal(40, 12)
        for _ in range(5):
            await pilot.pause(0.02)
        side = app.query_one("#side-a", Static)
        shown = [row[side.region.x:side.region.right] for row in screen_text(app)[side.region.y:side.region.bottom]]
        assert any(f"▶{a:>3} cpu" in row for row in shown), shown   # 121 events: 3 digits
        assert not any("0.00" in row for row in shown), shown       # narrow: no virtual time
        assert app.query_one(Footer).compact
        await pilot.resize_terminal(200, 60)
        for _ in range(5):
            await pilot.pause(0.02)
        shown = [row[side.region.x:side.region.right] for row in screen_text(app)[side.region.y:side.region.bottom]]
        assert any(row.startswith("│▶") and "s cpu" in row for row in shown), shown     # wide: time back
        assert not app.query_one(Footer).compact
