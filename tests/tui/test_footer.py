"""The footer rebuilds only when the keys it shows change (Textual's rebuilt it on every focus
change and every dialog closed: ~100 ms of CPU each on the main screen)."""

from __future__ import annotations

from msidbg.tui.app import make_app
from msidbg.tui.footer import KeyFooter
from tests.tui.conftest import LATE, footer_ready, screen_text, until


async def test_focus_moves_and_dialogs_leave_the_footer_alone_but_a_new_key_rebuilds_it() -> None:
    app = make_app(LATE, keymap={})
    builds: list[int] = []
    compose = KeyFooter.compose

    def counted(self: KeyFooter):  # type: ignore[no-untyped-def]
        builds.append(1)
        return compose(self)

    KeyFooter.compose = counted  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            assert await until(pilot, lambda: footer_ready(app))
            await pilot.pause()
            before = len(builds)
            focused = {app.focused}
            for key in ("tab", "tab", "v", "tab", "question_mark", "escape", "shift+tab", "v"):
                await pilot.press(key)
                await pilot.pause()
                focused.add(app.focused)
            assert len(focused) > 2, "the keys moved the focus"
            assert len(builds) == before, "the same keys: not rebuilt"
            assert "s Step" in screen_text(app)[-1]
            app.update_keymap({"step": "n"})
            assert await until(pilot, lambda: "n Step" in screen_text(app)[-1])
            assert len(builds) == before + 1
    finally:
        KeyFooter.compose = compose  # type: ignore[method-assign]
