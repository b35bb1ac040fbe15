"""Step keys that skip Textual's trip through the widget tree (``msidbg/tui/fastkeys.py``) must
end exactly where Textual's routing ends: the same action, or none when a widget on the way
takes the key (a pane's own binding, an Input typing it, a dialog)."""

from __future__ import annotations

from typing import Any

import pytest
from textual import events
from textual.widgets import Input

from msidbg.tui import app as app_module
from msidbg.tui.app import make_app
from msidbg.tui.fastkeys import direct_action, plain
from msidbg.tui.panes.apic import ApicGrid
from msidbg.tui.panes.breakpoints import BreakpointList
from msidbg.tui.panes.events import EventLog, EventRows
from msidbg.tui.panes.stacks import CallStacks
from msidbg.tui.panes.vectors import VectorTable
from tests.tui.conftest import MASKED, idle, session_at

PANES = (EventRows, ApicGrid, VectorTable, CallStacks, BreakpointList, Input)
#: default keys, and step keys rebound onto keys the panes use themselves
KEYMAPS: list[dict[str, str]] = [{}, {"step": "down", "step_back": "left"}, {"step": "enter,s", "step_back": "pageup"}]
KEYS = ("s", "b", "down", "left", "enter", "pageup", "x")


def key(name: str) -> events.Key:
    return events.Key(name, name if len(name) == 1 else None)


async def walk(keymap: dict[str, str], fast: bool, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Press every key with every pane focused; what the App and the panes hold after each."""
    monkeypatch.setattr(app_module, "direct_action", direct_action if fast else (lambda app, event: None))
    app = make_app(session_at(MASKED, 20), keymap=keymap)
    out: list[Any] = []
    async with app.run_test(size=(160, 48)) as pilot:
        await idle(pilot, app)
        for pane in PANES:
            for name in KEYS:
                if pane is Input:
                    app.query_one(EventLog).open_filter()
                else:
                    app.query_one(pane).focus()
                await pilot.pause()
                routed = direct_action(app, key(name))
                await pilot.press(name)
                await idle(pilot, app)
                out.append((pane.__name__, name, routed, app.session.cursor, app.query_one(EventRows).selected,
                            app.query_one(ApicGrid).selected, app.query_one(Input).value))
                app.query_one(Input).value = ""
    return out


@pytest.mark.parametrize("keymap", KEYMAPS, ids=["default", "arrows", "enter-pageup"])
async def test_direct_step_keys_end_where_textual_routing_ends(keymap: dict[str, str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    fast = await walk(keymap, True, monkeypatch)
    routed = await walk(keymap, False, monkeypatch)
    assert [r[:2] + r[3:] for r in fast] == [r[:2] + r[3:] for r in routed]
    direct = {(pane, name) for pane, name, action, *_ in fast if action is not None}
    step_keys = {k for a in ("step", "step_back") for k in keymap.get(a, {"step": "s", "step_back": "b"}[a]).split(",")}
    # the shortcut is taken only for step keys, never in an Input; where a pane binds the key
    # itself (the panes scroll with the arrows and page keys, the event log goes to a row with
    # enter), Textual's routing is kept
    assert all(name in step_keys and pane != "Input" for pane, name in direct)
    if "s" in step_keys:
        assert {(pane.__name__, "s") for pane in PANES if pane is not Input} <= direct
    if keymap.get("step") == "down":
        assert not direct

def test_a_widget_with_its_own_key_handling_is_not_plain() -> None:
    assert plain(EventRows) and plain(ApicGrid) and plain(VectorTable)
    assert not plain(Input)                      # it types printable keys
    assert not plain(app_module.MsidbgApp)       # it handles key events itself (on_event)
