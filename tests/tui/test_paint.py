"""What reaches the terminal: every frame, applied to a screen the way a terminal applies it,
equals a full render of every widget from scratch.

``test_repaint.py`` checks the widgets' line caches (a full render of the screen as it stands).
This checks the updates themselves: partial updates write only the dirty spans, and
``msidbg.tui.paint.LeanCompositor`` renders only the widgets and rows those spans touch, so a
region left out of an update, a widget skipped that had a cell to write, or a stale cached line
shows here as a cell that differs from the fresh render.
"""

from __future__ import annotations

from typing import Any

import pytest
from rich.cells import cell_len
from rich.segment import ControlType, Segment
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.widgets._toast import Toast

from msidbg.tui.app import make_app
from msidbg.tui.paint import LeanCompositor
from tests.tui.conftest import LATE, ROOT, idle, session_at
from tests.tui.test_repaint import Cells, differences, repainted


class Terminal:
    """A screen of cells that applies Textual's updates as a terminal would."""

    def __init__(self, width: int, height: int) -> None:
        self.rows: Cells = [[(" ", None)] * width for _ in range(height)]
        self.updates = 0

    def apply(self, update: Any) -> None:
        if isinstance(update, LayoutUpdate):          # a full frame: every line from its region's x
            self.updates += 1
            for y, line in enumerate(update.strips, update.region.y):
                x = update.region.x
                for strip in line:
                    for seg in strip:
                        x = self._write(x, y, seg)
        elif isinstance(update, ChopsUpdate):         # a partial frame: moves and spans
            self.updates += 1
            x = y = 0
            for seg in update.__rich_console__(None, None):  # type: ignore[arg-type]
                if seg.control:
                    for code in seg.control:
                        if code[0] == ControlType.CURSOR_MOVE_TO:
                            x, y = int(code[1]), int(code[2])      # type: ignore[misc]
                elif seg.text == "\n":
                    x, y = 0, y + 1
                else:
                    x = self._write(x, y, seg)

    def _write(self, x: int, y: int, seg: Segment) -> int:
        row = self.rows[y]
        for ch in seg.text:
            if 0 <= x < len(row):
                row[x] = (ch, seg.style)
            for extra in range(1, cell_len(ch)):      # a wide character covers the next cell
                if 0 <= x + extra < len(row):
                    row[x + extra] = ("", seg.style)
            x += cell_len(ch)
        return x


def attach(app: Any, terminal: Terminal) -> None:
    """Feed every update the App displays to ``terminal`` (headless Apps render none)."""
    display = app._display

    def shown(screen: Any, renderable: Any) -> None:
        if screen is app.screen:
            terminal.apply(renderable)
        display(screen, renderable)

    app._display = shown


def fresh(app: Any) -> Cells:
    """A full render with every widget's lines rendered again, in the terminal's cell form (a
    wide character, then an empty cell)."""
    return [[cell for ch, style in row for cell in [(ch, style)] + [("", style)] * (cell_len(ch) - 1)]
            for row in repainted(app)]


@pytest.mark.parametrize("scenario, start, keys", [
    (str(ROOT / "scenarios" / "msi-torn-affinity-update.yaml"), 1131, ["s"] * 30 + ["b"] * 12 + ["s"] * 4
     + ["a", "i", "r", "q", "minus", "l", "o", "s", "t", "enter", "s", "b", "s"]),   # a dialog, then a toast
    (str(ROOT / "scenarios" / "xen-pirq-reuse-nvme.yaml"), 1, ["s"] * 25 + ["b"] * 6),
    (LATE, 0, ["s"] * 12 + ["b"] * 4 + ["v", "s", "b", "v", "d", "s", "]", "b"]
     + ["slash", "m", "s", "i", "enter", "s", "b", "escape", "s"]),   # the event log's title and filter
], ids=["torn-affinity", "xen-pirq", "late-mask"])
async def test_every_frame_the_terminal_shows_equals_a_full_render(scenario: str, start: int,
                                                                   keys: list[str]) -> None:
    app = make_app(session_at(scenario, start), keymap={})
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        terminal = Terminal(160, 48)
        attach(app, terminal)
        app.screen.refresh()                           # a first full frame to start from
        await idle(pilot, app)
        main, toasts = app.screen, 0
        assert isinstance(main._compositor, LeanCompositor)
        for key in keys:
            before = terminal.updates
            await pilot.press(key)
            await idle(pilot, app)
            assert terminal.updates > before, key      # the key painted something
            if app.screen is not main:
                continue                               # a dialog on top (Textual's compositor)
            toasts += len(main.query(Toast))
            diff = differences(terminal.rows, fresh(app))
            assert not diff, (key, app.session.cursor, diff)
        assert toasts or "enter" not in keys or "slash" in keys   # the armed-breakpoint toast was painted over
