"""hardening30: at 80x24 a stop that grows the status line keeps the focused (stacked) pane on
screen; the help screen lists every key the App, its panes and its dialogs bind."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

from textual.app import App
from textual.widget import Widget

from tests.tui.conftest import LATE, idle, status_lines


def _on_screen(app: Any, widget: Widget) -> bool:
    """Is every row of ``widget`` inside the main area's visible part (above the status line)?"""
    main = app.query_one("#main")
    return main.region.contains_region(widget.region) and widget.region.height > 0


async def test_the_focused_pane_stays_on_screen_when_a_stop_grows_the_status_line() -> None:
    """The breakpoints pane, last in the stack, focused by tab at event 0 (status: three rows):
    'c' stopped at msix-write-unmasked, whose explanation takes six rows, and the main area lost
    three rows at its bottom -- the focused pane's last two rows and its border."""
    from msidbg.tui.app import make_app
    from msidbg.tui.panes.breakpoints import BreakpointList

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        for _ in range(4):
            await pilot.press("tab")
            await pilot.pause()
        pane = app.query_one(BreakpointList)
        assert app.focused is pane
        assert len(status_lines(app)) == 3
        assert _on_screen(app, pane), (pane.region, app.query_one("#main").region)
        await pilot.press("c")
        await idle(pilot, app)
        await pilot.pause()
        assert len(status_lines(app)) == 6, status_lines(app)
        assert app.focused is pane
        assert _on_screen(app, pane), (pane.region, app.query_one("#main").region)
        # and the status line giving the rows back leaves it on screen too
        await pilot.press("g", "2", "enter")
        await idle(pilot, app)
        await pilot.pause()
        assert len(status_lines(app)) == 3 and _on_screen(app, pane)


async def test_the_focused_call_stacks_stay_on_screen_at_a_stop() -> None:
    from msidbg.tui.app import make_app
    from msidbg.tui.panes.stacks import CallStacks

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        for _ in range(3):
            await pilot.press("tab")
            await pilot.pause()
        pane = app.query_one(CallStacks)
        assert app.focused is pane and _on_screen(app, pane)
        await pilot.press("c")
        await idle(pilot, app)
        await pilot.pause()
        assert app.focused is pane and _on_screen(app, pane), pane.region


# --- the help screen lists every binding -----------------------------------------------------
#: how the help spells a Textual key name
GLYPH = {"up": "↑", "down": "↓", "left": "←", "right": "→", "pageup": "pgup", "pagedown": "pgdn",
         "plus": "+", "minus": "-", "equals_sign": "=", "question_mark": "?", "slash": "/",
         "left_square_bracket": "[", "right_square_bracket": "]"}


def _label(key: str) -> str:
    mods, _, base = key.rpartition("+")
    return (mods + "+" if mods else "") + GLYPH.get(base, base)


def _classes(package: str, base: type) -> list[type]:
    pkg = importlib.import_module(package)
    found = []
    for info in pkgutil.iter_modules(pkg.__path__):
        mod = importlib.import_module(f"{package}.{info.name}")
        found += [c for _, c in inspect.getmembers(mod, inspect.isclass)
                  if issubclass(c, base) and c.__module__ == mod.__name__ and "BINDINGS" in c.__dict__]
    return found


def _keys(bindings: Any) -> list[str]:
    out = []
    for b in bindings:
        keys = b.key if hasattr(b, "key") else b[0]
        out += [k.strip() for k in keys.split(",")]
    return out


async def test_the_help_screen_lists_every_key_of_the_app_its_panes_and_its_dialogs() -> None:
    """Each key bound by MsidbgApp (its debugger keys, and Textual's App keys it keeps: ctrl+q,
    ctrl+c, ctrl+p), by each pane (``pane_keys``) and by each dialog screen is on the help screen,
    on the row of that pane or dialog. The timeline's shift+arrows, pgup/pgdn and '=' and every
    dialog's keys (the quit question's y/s/n, the why chain's w) were missing."""
    from msidbg.tui.app import MsidbgApp, make_app
    from msidbg.tui.screens.help import HelpScreen

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(100, 60)) as pilot:
        await idle(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        text = help_screen.text()
        rows = help_screen.key_rows()
        missing = []
        # the App: its own bindings and those it inherits from Textual's App
        app_keys = [k for cls in MsidbgApp.__mro__ if issubclass(cls, App)
                    for k in _keys(cls.__dict__.get("BINDINGS", []))]
        app_keys.append(MsidbgApp.COMMAND_PALETTE_BINDING)
        assert "ctrl+q" in app_keys and "ctrl+c" in app_keys and "s" in app_keys
        everywhere = " ".join(k for k, _ in rows.get("everywhere", [])) + " " + " ".join(k for k, _ in rows["keys"])
        missing += [("app", k) for k in app_keys if _label(k) not in everywhere.replace(",", " ").split()]
        # the panes and the dialogs, each on its own row
        widgets = _classes("msidbg.tui.panes", Widget)
        screens = _classes("msidbg.tui.screens", Widget)     # the opening view is a widget
        assert len(widgets) >= 6 and len(screens) >= 7, (widgets, screens)
        for cls in widgets + screens:
            title = getattr(cls, "HELP_TITLE", None)
            assert title, f"{cls.__name__} binds keys but names no help row (HELP_TITLE)"
            shown = " ".join(k for k, _ in rows.get(title, [])).replace(",", " ").split()
            missing += [(title, k) for k in _keys(cls.__dict__["BINDINGS"]) if _label(k) not in shown]
        assert not missing, (missing, text)


async def test_the_event_filter_opened_from_the_top_of_the_stack_is_on_screen() -> None:
    """At 80x24 the panes stack and msidbg starts on the vector table: '/' focused the event log's
    filter input, hidden until then, and nothing scrolled -- the user typed into a box below the
    screen."""
    from textual.widgets import Input

    from msidbg.tui.app import make_app
    from msidbg.tui.panes.events import EventLog

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("c")
        await idle(pilot, app)
        await pilot.press("slash", *"msix")
        await pilot.pause()
        await pilot.pause()
        box = app.query_one("#event-filter", Input)
        assert app.focused is box and box.value == "msix"
        assert _on_screen(app, box) and _on_screen(app, app.query_one(EventLog)), (box.region, app.query_one("#main").region)
