"""ux7: tab in the breakpoint / watch dialog of a snapshot opened with --no-verify whose replay
diverged. The completer asked the session for the cursor's event (its frame locals), which needs
the history: the DivergenceError escaped the dialog and ended the TUI with a traceback (found by
the ux7 TUI fuzzer: a resealed world with a field deleted, then W, tab)."""

from __future__ import annotations

from msidbg.tui.app import make_app
from tests.conftest import ROOT
from tests.tui.conftest import screen_text

OLD = ROOT / "tests" / "fixtures" / "v4-msix-write-while-unmasked.msgpack"


async def test_tab_completes_from_the_recorded_world_when_the_history_diverged() -> None:
    app = make_app(str(OLD), verify=False, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(300):
            await pilot.pause(0.02)
            if app._session is not None and app.session.history_error is not None and app.running is None:
                break
        assert app.session.history_error is not None
        await pilot.press("W", "c", "p", "u", "s", "[", "0", "]", ".", "i", "tab")
        await pilot.pause()
        assert app.is_running and app.error is None
        text = "\n".join(screen_text(app))
        # the candidates with their values, from the stored world
        assert "irr      vectors set: none" in text and "isr      vectors set: none" in text, text
