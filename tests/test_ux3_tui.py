"""ux3: a demanding user's third pass over the TUI (Textual's pilot, as tests/tui/ do)."""

from __future__ import annotations

from msidbg.debugger import Session
from msidbg.tui.app import MsidbgApp, make_app
from msidbg.tui.panes.status import StatusLine
from tests.tui.conftest import MASKED, idle


def status(app: MsidbgApp) -> str:
    return str(app.query_one(StatusLine).content).split("\n")[0]


async def test_the_status_total_is_marked_so_far_until_the_run_has_ended() -> None:
    """`event 5 / 5` after five steps read as if the run had five events; the total is only how
    far the run has got until it reaches its end ("5+")."""
    length = Session.from_scenario(MASKED)
    length.continue_()
    assert length.ended
    end = length.total
    app = make_app(MASKED, keymap={})
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press(*"sssss")
        await idle(pilot, app)
        assert not app.session.finished
        assert "event 5 / 5+" in status(app)
        await pilot.press("b")
        await idle(pilot, app)
        assert "event 4 / 5+" in status(app)
        app.goto(end)
        await idle(pilot, app)
        assert app.session.ended and app.session.finished
        assert f"event {end:,} / {end:,} (end)" in status(app) and "+" not in status(app)
        await pilot.press("b")
        await idle(pilot, app)
        # back from the end: the total is now the run's length
        assert not app.session.ended and app.session.finished
        assert status(app).startswith(f"event {end - 1:,} / {end:,}  ") and "+" not in status(app)


def test_finished_is_false_at_the_start_and_before_the_end() -> None:
    s = Session.from_scenario(MASKED)
    assert not s.finished
    s.step(3)
    assert not s.finished
    s.continue_()
    total = s.total
    s.seek(1)
    assert s.finished and s.total == total


async def test_the_empty_bookmark_list_names_the_key_that_bookmarks() -> None:
    """'No bookmarks yet: the bookmark command (see ?)' sent the user to the help screen for a key
    the list could name itself (as bound: a rebinding is followed)."""
    from msidbg.tui.screens.bookmarks import BookmarksScreen

    for keymap, key in (({}, "m"), ({"bookmark": "f2"}, "f2")):
        app = make_app(MASKED, keymap=keymap)
        async with app.run_test(size=(100, 30)) as pilot:
            await idle(pilot, app)
            await pilot.press("M")
            await idle(pilot, app)
            assert isinstance(app.screen, BookmarksScreen)
            title = str(app.screen.query_one("#bookmarks-title").render())
            assert f"No bookmarks yet: press {key} to bookmark the cursor's event" in title

