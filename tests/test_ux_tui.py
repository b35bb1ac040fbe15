"""A demanding user's pass over the TUI (Textual's pilot, as tests/tui/ do)."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.tui.app import make_app
from msidbg.tui.footer import KEEP
from msidbg.tui.keys import ACTIONS
from msidbg.tui.screens.help import HelpScreen
from msidbg.tui.screens.prompt import Prompt
from tests.tui.conftest import LATE, footer_ready, idle, screen_text, until

ROOT = Path(__file__).resolve().parents[1]


def test_every_key_the_footer_shows_has_a_rank_in_keep() -> None:
    """'w Why' had no rank: it was the first key the footer left out, at 130 columns already."""
    assert {a.name for a in ACTIONS if a.show} <= set(KEEP)


@pytest.mark.parametrize("size", [(80, 24), (130, 36)])
async def test_the_footer_shows_why_at_80_and_130_columns(size: tuple[int, int]) -> None:
    app = make_app(LATE, keymap={})
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: footer_ready(app) and "q Quit" in screen_text(app)[-1])
        footer = screen_text(app)[-1]
        assert "w Why" in footer and "? Help" in footer and "q Quit" in footer, footer


async def test_help_shows_the_key_file_example_with_its_table_header() -> None:
    """The example's '[keys]' line was read as markup and vanished."""
    app = make_app(LATE, keymap={})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        shown = str(app.screen.query_one("#help-config").render())
        assert "[keys]" in shown and 'step = "n,f10"' in shown


async def save_as(pilot, app, path: Path) -> None:  # type: ignore[no-untyped-def]
    if not isinstance(app.screen, Prompt):
        await pilot.press("ctrl+s")
    assert isinstance(app.screen, Prompt)
    app.screen.query_one("#prompt-input").value = str(path)
    await pilot.press("enter")
    await pilot.pause()


def error_of(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one("#prompt-error").render()) if isinstance(app.screen, Prompt) else ""


async def test_save_never_replaces_a_scenario_and_asks_before_replacing_a_snapshot(tmp_path: Path) -> None:
    """ctrl+s, a name, enter: an existing scenario file was silently replaced by a snapshot."""
    scenario = tmp_path / "mine.yaml"
    text = Path(LATE).read_text()
    scenario.write_text(text)
    app = make_app(LATE, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        await idle(pilot, app)
        await save_as(pilot, app, scenario)
        assert "exists and is not a msidbg snapshot: not replaced" in error_of(app)
        await pilot.press("enter")                               # and not on a second enter either
        assert isinstance(app.screen, Prompt) and scenario.read_text() == text
        await pilot.press("escape")

        snap = tmp_path / "bug.msgpack"
        await save_as(pilot, app, snap)                          # a new file: saved at once
        assert not isinstance(app.screen, Prompt) and snap.is_file()
        first = snap.read_bytes()
        await pilot.press("s")
        await save_as(pilot, app, snap)                          # an existing snapshot: asks
        assert "exists (a msidbg snapshot): press enter again to replace it" in error_of(app)
        assert snap.read_bytes() == first
        await pilot.press("enter")                               # enter again: replaced
        assert not isinstance(app.screen, Prompt) and snap.read_bytes() != first


async def test_run_to_time_over_recorded_history_stops_at_breakpoints() -> None:
    """`t` stops at breakpoints (docs/tui.md); over history already recorded (after stepping back)
    it jumped straight to the time, past the irq-lost hit at event 78 (4 ms; 76 before dyingdrain's two notes).

    Event 30 is the last event at 1 ms (the first signal's msi.msg is 29, its apic.accept 30);
    both are 2 later than before pci_enable_device + pci_set_master wrote Command (events 2-3)."""
    app = make_app(LATE, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g", *"200", "enter")               # the whole run recorded
        await idle(pilot, app)
        await pilot.press("g", *"31", "enter")     # (intx36: one event later, the MSI-X set-up's Interrupt Disable write)
        await idle(pilot, app)
        assert app.session.cursor == 31 and app.session.world["now"] == 1_000_000
        assert [e.kind for e in app.session.events(30, 33)] == ["msi.msg", "apic.accept", "apic.eoi"]
        await pilot.press("t", *"5ms", "enter")
        await idle(pilot, app)
        stop = app.session.last_stop
        assert (app.session.cursor, stop.reason, stop.breakpoint) == (79, "breakpoint", "irq-lost")
        await pilot.press("g", *"90", "enter")                 # behind the cursor: back to the time,
        await idle(pilot, app)                                 # stopping at each hit on the way (tuiux19)
        hits = sorted({h.event for h in app.session.hits() if 31 <= h.event < 90
                       and h.name in {b.name for b in app.session.breakpoints}}, reverse=True)
        assert hits and hits[0] > 79
        for hit in hits:
            await pilot.press("t", *"1ms", "enter")
            await idle(pilot, app)
            assert (app.session.cursor, app.session.last_stop.reason) == (hit, "breakpoint")
        await pilot.press("t", *"1ms", "enter")
        await idle(pilot, app)
        assert app.session.cursor == 31 and app.session.world["now"] == 1_000_000
        await pilot.press("t", *"1ms", "enter")                # already there: stays
        await idle(pilot, app)
        assert app.session.cursor == 31


async def test_why_pane_title_wraps_at_80_columns_instead_of_being_cut() -> None:
    """At 80x24 the title ('Why: hit msix-write-unmasked at event 23: eth0 entry 0 addr_lo written
    w') and the key help ('... root las') were cut at the box's edge."""
    app = make_app(LATE, keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await idle(pilot, app)
        await pilot.press("w")
        await pilot.pause()
        box = app.screen.query_one("#why-box").region   # (the box's rows only: the panes behind it
        rows = [row[box.x:box.right] for row in screen_text(app)[box.y:box.bottom]]  # differ with the focus)
        text = " ".join(" ".join(row.strip("│ ").split()) for row in rows)
        assert "written while MSI-X is enabled and the entry is unmasked" in text.split("enter: go to")[0]
        assert "(symptom first, root last)" in text


async def test_quit_dialogs_save_first_quits_once_saved(tmp_path: Path) -> None:
    """'s save a snapshot first' opened the save dialog and then left the user in the debugger."""
    from msidbg.tui.screens.confirm import ConfirmQuit

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m", *"here: a note", "enter")
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("s")
        await pilot.press("escape")                            # the save dialog cancelled: stays
        assert app.is_running and not isinstance(app.screen, (Prompt, ConfirmQuit))
        await pilot.press("q", "s")
        await save_as(pilot, app, tmp_path / "bug.msgpack")
        await pilot.pause()
        assert (tmp_path / "bug.msgpack").is_file() and not app.is_running


async def test_diff_tui_at_80x24_keeps_the_cursor_status_and_quit_legible() -> None:
    """diff --tui at 80x24: events wrapped over 2-3 lines, so the cursor's line (centred by
    event count) fell off the bottom of its side; the status showed a literal '\\n'; the footer
    cut 'q Quit' off."""
    from msidbg.debugger.diff import diff_files
    from msidbg.tui.diffapp import DiffApp

    fixed = str(ROOT / "scenarios" / "msix-write-while-unmasked-fixed.yaml")
    app = DiffApp(diff_files(LATE, fixed))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*["down"] * 30)
        await pilot.pause()
        rows = screen_text(app)
        # the first divergence is the MSI-X control write (event 4, after the enable's two
        # Command writes); 30 events down from it
        assert app.cursor == 34 and any("▶ 34 " in r for r in rows), "\n".join(rows)   # (index 3 wide: ux2)
        assert not any("\\n" in r for r in rows)
        assert "first divergence: cpu0.proc at A #4 / B #4" in "".join(rows)
        assert "q Quit" in rows[-1]
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_the_stop_lines_why_hint_names_the_key_as_bound() -> None:
    """The stop line said 'w: why' whatever keys.toml bound why to."""
    from tests.tui.conftest import status_lines

    app = make_app(LATE, keymap={"why": "y"})
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("c")
        await idle(pilot, app)
        first = " ".join(status_lines(app))
        assert "continue: breakpoint msix-write-unmasked · y: why" in first and "w: why" not in first
        await pilot.press("y")
        await pilot.pause()
        from msidbg.tui.screens.why import WhyScreen
        assert isinstance(app.screen, WhyScreen)


async def test_an_empty_bookmark_list_says_how_to_make_one() -> None:
    """'Bookmarks (0) -- enter jumps' over an empty list told a newcomer nothing."""
    from msidbg.tui.screens.bookmarks import BookmarksScreen

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("M")
        await pilot.pause()
        assert isinstance(app.screen, BookmarksScreen)
        assert "No bookmarks yet" in str(app.screen.query_one("#bookmarks-title").render())
