"""tuiux19: what a demanding user found driving msidbg in tmux (80x24, 120x40, 200x60)."""

from __future__ import annotations

from textual import events

from msidbg.tui.app import make_app
from msidbg.tui.screens.prompt import Prompt
from tests.tui.conftest import MASKED, until


def _type_at_once(app, keys: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Queue the keys as a terminal delivers a fast typist's (or tmux's) burst: all before any is handled."""
    assert app._driver is not None
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)


async def test_tab_typed_right_after_text_completes_the_text_typed() -> None:
    # tmux send-keys "cpu[" Tab: Tab was a priority binding, run as soon as the App read it, before
    # the Input had inserted the keys queued ahead of it: it completed the stale "watch cpu" (the
    # list said cpu / cpus), and a unique completion inserted before the queued keys landed
    # ("watch devices.e" tab ".msix.tab" tab -> "watch devices.emsix.tab").
    app = make_app(MASKED, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("W")
        prompt = app.screen
        assert isinstance(prompt, Prompt)
        inp = prompt.query_one("#prompt-input")
        _type_at_once(app, [*"cpu[", "tab"])
        assert await until(pilot, lambda: inp.value == "watch cpu[")  # type: ignore[attr-defined]
        await pilot.pause(0.1)
        assert prompt.candidates.splitlines()[0].split()[0] == "0", prompt.candidates
        await pilot.press("escape")
        await pilot.press("W")
        prompt = app.screen
        assert isinstance(prompt, Prompt)
        inp = prompt.query_one("#prompt-input")
        _type_at_once(app, [*"devices.e", "tab", *".msix.tab", "tab"])
        await pilot.pause(0.3)
        assert inp.value == "watch devices.eth0.msix.table", inp.value  # type: ignore[attr-defined]
