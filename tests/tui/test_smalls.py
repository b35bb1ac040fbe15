"""The smaller things a new user tripped over (issue 15 items 7 and 11), and the mouse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from msidbg.debugger import Session
from msidbg.errors import MsidbgError
from msidbg.tui import stacks, table
from msidbg.tui.app import make_app
from msidbg.tui.keys import parse_keymap
from msidbg.tui.panes.apic import ApicGrid
from msidbg.tui.panes.events import EventLog, EventRows
from msidbg.tui.panes.pirqs import PirqMap
from msidbg.tui.panes.status import StatusLine
from msidbg.tui.panes.vectors import VectorTable
from msidbg.tui.screens.confirm import ConfirmQuit
from msidbg.tui.screens.help import HelpScreen
from tests.tui.conftest import FIXTURES, MASKED, ROOT, STORM, idle, session_at, status_lines


def shown(rows: EventRows) -> list[str]:
    return [rows.render_line(y).text for y in range(rows.size.height)]


async def test_clearing_the_filter_keeps_the_cursor_row_and_escape_clears_after_applying() -> None:
    app = make_app(STORM, keymap={})
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("g", *"3000", "enter")
        await idle(pilot, app)
        await pilot.press("slash", *"kind=apic.eoi", "enter")
        rows = app.query_one(EventRows)
        for _ in range(100):
            if rows.scanned >= rows.total:
                break
            await pilot.pause(0.02)
        assert rows.matches is not None and rows.has_focus          # applied; focus back on the rows
        await pilot.press("escape")                                  # clears it without reopening the input
        await pilot.pause()
        assert rows.matches is None
        assert any(re.match(r"▶ *3,?000 ", line) for line in shown(rows))   # (index column: the total's width)
        await pilot.press("slash", *"kind=apic.eoi", "enter")
        await pilot.pause(0.2)
        await pilot.press("slash")
        app.query_one(EventLog).query_one("#event-filter").value = ""  # type: ignore[attr-defined]
        await pilot.press("enter")                                   # applying an empty filter clears too
        await pilot.pause()
        assert rows.matches is None and any(line.startswith("▶") for line in shown(rows))


async def test_help_keys_fit_on_one_line_and_every_mark_is_explained() -> None:
    app = make_app(MASKED, keymap={})
    async with app.run_test(size=(120, 48)) as pilot:
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        await pilot.pause()
        from msidbg.tui.screens.help import LEGEND, PANE_KEYS

        lines = help_screen.text().splitlines()
        keys = [k for k, _ in help_screen.rows()] + [k for _, k, _ in PANE_KEYS] + [m for m, _ in LEGEND]
        assert [k for k in keys if not any(k in line for line in lines)] == []    # none wrapped
        legend = help_screen.text()
        for mark in ("●", "▶", "■", "B", "✕"):
            assert mark in legend


async def test_quit_asks_when_breakpoints_or_bookmarks_are_unsaved(tmp_path: Path) -> None:
    app = make_app(MASKED, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a", *"irq-spurious", "enter")
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmQuit) and app.screen.unsaved.startswith("2 breakpoints, changed since")
        await pilot.press("n")
        assert not isinstance(app.screen, ConfirmQuit) and app.is_running
        await pilot.press("q", "y")
        await pilot.pause()
        assert not app.is_running
    app = make_app(MASKED, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("q")                                 # nothing to lose: quits at once
        await pilot.pause()
        assert not app.is_running


async def test_the_armed_toast_does_not_cover_the_status_line() -> None:
    app = make_app(MASKED, keymap={})
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.press("a", *"irq-spurious", "enter")
        await pilot.pause(0.2)
        toasts = [w for w in app.screen.query("Toast")]
        assert toasts
        status = app.query_one(StatusLine).region
        assert all(not t.region.overlaps(status) for t in toasts)


async def test_the_second_status_line_follows_a_long_run() -> None:
    app = make_app(STORM, keymap={})
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("c")
        await pilot.pause(0.5)
        assert app.busy
        second = status_lines(app)[1]
        assert second.startswith("▶") and int(second[1:].split()[0].replace(",", "")) > 0, second
        await pilot.press("space")
        await idle(pilot, app)


def test_call_stacks_print_irq_numbers_as_the_rest_does() -> None:
    assert stacks.locals_text({"irq": 1450, "vector": 0x22, "addr": 0xFEE01000, "index": 1000}) == \
        "irq=1450 vector=0x22 addr=0xfee01000 index=1000"


def test_a_key_bound_to_two_actions_is_refused() -> None:
    with pytest.raises(MsidbgError, match=r"keys.step: 'c' is also the key of continue"):
        parse_keymap(b'[keys]\nstep = "c"\n', "keys.toml")
    with pytest.raises(MsidbgError, match=r"keys.step_back: 'n' is also the key of step"):
        parse_keymap(b'[keys]\nstep = "n"\nstep_back = "n"\n', "keys.toml")
    assert parse_keymap(b'[keys]\nstep = "c"\ncontinue = "f5"\n', "keys.toml") == {"step": "c", "continue": "f5"}


def test_msi_mask_column_tells_unmaskable_from_unmasked_and_shows_blocked() -> None:
    s = session_at(str(FIXTURES / "msi-and-msix.yaml"), 200)
    w = s.world
    n = table.msix_count(w, "eth0")
    assert table.row_cells(w, "eth0", n)[4] == ("-", "")          # eth0's MSI: no per-vector masking
    assert table.row_cells(w, "xhci0", 0)[4] == ("·", "")         # xhci0: maskable, unmasked
    m = session_at(str(ROOT / "scenarios" / "marvell-nvme-msi-blocked.yaml"), 28).world
    assert table.row_cells(m, "nvme0", table.msix_count(m, "nvme0"))[4] == ("B", "blocked")


async def test_clicks_select_an_event_a_row_a_vector_and_a_pirq() -> None:
    path = str(ROOT / "scenarios" / "xen-pirq-reuse-nvme.yaml")
    stop = Session.from_scenario(path).continue_().event
    app = make_app(path, keymap={})
    async with app.run_test(size=(160, 60)) as pilot:
        await pilot.press("g", *str(stop), "enter")
        await idle(pilot, app)
        rows = app.query_one(EventRows)
        line = next(y for y in range(rows.size.height)
                    if rows.render_line(y).text.strip().startswith(f"{stop - 5} "))
        await pilot.click(EventRows, offset=(5, line))
        await idle(pilot, app)
        assert app.session.cursor == stop - 5
        vt = app.query_one(VectorTable)
        await pilot.click(VectorTable, offset=(3, 1 + vt.header_lines + 1))        # +1: the border
        assert vt.selected == 1 and "entry 1: sends" in str(vt.border_subtitle)
        grid = app.query_one(ApicGrid)
        from msidbg.tui import apicgrid
        first = grid.first_visible()
        cpu = first // apicgrid.BLOCK
        await pilot.click(ApicGrid, offset=(apicgrid.IRR_AT + 1 + 2, (cpu * apicgrid.BLOCK + 4) - first + 1))
        assert grid.selected == (cpu, 0x22)
        pm = app.query_one(PirqMap)
        await pilot.click(PirqMap, offset=(3, 2))
        assert pm.selected == pm._rows[0].pirq
