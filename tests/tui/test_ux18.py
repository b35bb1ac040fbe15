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


async def test_w_explains_the_vector_table_row_and_the_pirq_selected_with_the_keyboard() -> None:
    """``w`` on a table row or a pirq line: the row could only be clicked (no key selected one)
    and ``w`` ignored it, explaining the stop instead. Up/down now select in both panes and ``w``
    asks ``why`` of the entry's record / Xen's pirq record; enter goes to the link's event."""
    from msidbg.tui.app import make_app
    from msidbg.tui.panes.pirqs import PirqMap
    from msidbg.tui.panes.vectors import VectorTable
    from msidbg.tui.screens.why import WhyScreen
    from tests.tui.conftest import opened

    app = make_app(str(ROOT / "snapshots" / "xen-pirq-reuse-nvme.msgpack"), keymap={})
    async with app.run_test(size=(160, 48)) as pilot:
        await opened(pilot, app)
        cursor = app.session.cursor
        table = app.query_one(VectorTable)
        table.focus()
        await pilot.press("down")                  # the row the event is about (nvme0 entry 0)
        assert table.selected == 0
        await pilot.press("down", "down", "up")
        assert table.selected == 1 and "entry 1: sends" in str(table.border_subtitle)
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WhyScreen), screen
        assert screen.why.target["path"] == "devices.nvme0.msix.table[1]"
        want = app.session.why("devices.nvme0.msix.table[1]").tree_events()
        assert [lk.event for _, lk in screen.links] == want
        await pilot.press("escape")
        await pilot.pause()
        pirqs = app.query_one(PirqMap)
        pirqs.focus()
        await pilot.press("down")                  # the first line: the highest pirq, 101
        assert pirqs.selected == 101
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WhyScreen) and screen.why.target["path"] == "xen.pirqs[101]"
        first = screen.links[0][1].event
        assert "map_domain_pirq" in screen.links[0][1].reason and first != cursor
        await pilot.press("enter")
        await opened(pilot, app)
        assert app.session.cursor == first


def test_an_unknown_program_or_kind_says_the_likely_name_in_a_bounded_message() -> None:
    """'call msi_set_afinity' listed all ~100 programs (2,188 characters on one line; in the
    dialog the caret ran off an 80x24 screen) and never the name the user meant."""
    import pytest

    from msidbg.debugger import Session
    from msidbg.debugger.breakpoints import BreakpointError

    s = Session.from_scenario(str(ROOT / "scenarios" / "msix-write-while-unmasked.yaml"))
    for spec, meant in (("call msi_set_afinity", "did you mean 'msi_set_affinity'?"),
                        ('if event.kind == "msix.wrte"', "did you mean 'msix.write'?"),
                        ("call msi_domain", "did you mean one of 'msi_domain_alloc_irqs', 'msi_domain_set_affinity'?")):
        with pytest.raises(BreakpointError) as e:
            s.add_breakpoint(spec)
        assert meant in e.value.message and len(e.value.message) < 600, e.value.message
        assert f"more; {meant})" in e.value.message   # the contract's "(expected ...)" first, then the hint


def test_tab_completes_kernel_programs_after_call_and_event_kinds_in_quotes() -> None:
    """The capped message sends the user to tab: it completes what the message leaves out."""
    from msidbg.debugger import Session
    from msidbg.tui.complete import complete

    w = Session.from_scenario(str(ROOT / "scenarios" / "msix-write-while-unmasked.yaml")).world
    got = complete(w, "call msi_set_aff", 16)
    assert got is not None and got.text == "call msi_set_affinity"
    assert [c.text for c in got.candidates] == ["msi_set_affinity", "msi_set_affinity_plug"]
    text = 'if event.kind in ["apic.accept", "irq.res'
    got = complete(w, text, len(text))
    assert got is not None and got.text == 'if event.kind in ["apic.accept", "irq.resend'
    text = "if event.kind == 'ap"
    got = complete(w, text, len(text))
    assert got is not None and got.text == "if event.kind == 'apic." and len(got.candidates) == 3


async def test_a_long_breakpoint_error_keeps_its_caret_on_an_80x24_screen() -> None:
    from msidbg.tui.app import make_app
    from tests.tui.conftest import LATE

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a", *"call msi_set_afinity", "enter")
        await pilot.pause()
        rows = screen_text(app)
        at = next((i for i, r in enumerate(rows) if "call msi_set_afinity" in r and "▊" not in r), None)
        assert at is not None, rows
        assert rows[at + 1].index("^") == rows[at].index("msi_set_afinity"), rows     # the caret, under the name
        assert any("'msi_set_affinity'?" in r for r in rows[:at]), rows


async def test_save_into_a_directory_uses_the_default_name_there(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """ctrl+s, a directory (``/tmp``, ``.``): "cannot write: not a regular file". It saves there
    under the name the dialog offered, as ``cp FILE DIR`` does, and the file reopens at the event."""
    from msidbg.debugger import Session
    from msidbg.tui.app import make_app
    from msidbg.tui.screens.prompt import Prompt
    from tests.tui.conftest import LATE, idle

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("c")
        await idle(pilot, app)
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, Prompt)
        app.screen.query_one("#prompt-input").value = str(tmp_path)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, Prompt)
    saved = tmp_path / "msix-write-while-unmasked-26.msgpack"
    assert saved.is_file() and Session.open(str(saved)).cursor == 26


def test_run_to_time_says_what_is_wrong_with_a_time() -> None:
    """'99999999999999999999s' and '0.5ns' are times as the hint writes them; both were told
    "expected a time such as 2ms, 1.5us or 1200 (ns)"."""
    from msidbg.tui.driver import parse_time, time_problem

    assert parse_time("99999999999999999999s") is None
    assert "too many digits" in time_problem("99999999999999999999s")
    assert parse_time("0.5ns") is None
    assert "not a whole number of nanoseconds" in time_problem("0.5ns")
    assert time_problem("5 parsecs").startswith("expected a time such as 2ms")


async def test_help_says_what_a_click_on_the_event_log_does() -> None:
    """The help said "enter (or a double click) goes there": a single click goes there (the
    cursor moves on the first click, and a second click did nothing more)."""
    from msidbg.tui.app import make_app
    from msidbg.tui.panes.events import EventRows
    from msidbg.tui.screens.help import HelpScreen
    from tests.tui.conftest import LATE, idle

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g", *"20", "enter")
        await idle(pilot, app)
        rows = app.query_one(EventRows)
        line = next(y for y in range(rows.size.height) if rows.render_line(y).text.strip().startswith("15 "))
        await pilot.click(EventRows, offset=(5, line))           # one click
        await idle(pilot, app)
        assert app.session.cursor == 15
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(app.screen.text().split())
        assert "a single click goes there" in text and "double click" not in text


async def test_a_filter_term_that_can_match_nothing_is_told_why() -> None:
    """``/`` then ``kind=msix.wrte`` or ``cpu=abc``: the title said "matching ...: 0" and no
    more. The filter still applies; a warning names each such term and the likely kind."""
    from msidbg.tui.app import make_app
    from tests.tui.conftest import LATE, idle

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        await idle(pilot, app)
        await pilot.press("slash", *"kind=msix.wrte cpu=abc dev=eth0", "enter")
        await pilot.pause()
        said = [n.message for n in app._notifications]
        assert any("kind=msix.wrte: no event kind 'msix.wrte' (did you mean 'msix.write'?)" in m
                   and "cpu=abc: a CPU is a number" in m and "dev=eth0" not in m for m in said), said
        await pilot.press("escape")
        await pilot.press("slash", *"kind=msix.write dev=eth0", "enter")
        await pilot.pause()
        assert all(n.message in said for n in app._notifications)     # a filter that can match: nothing said


async def test_goto_minus_past_the_start_goes_to_event_0() -> None:
    """g -999999 was refused ("event numbers start at 0") while g 99999999 went to the end."""
    from msidbg.tui.app import make_app
    from tests.tui.conftest import LATE, idle

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g", *"99999999999999999999", "enter")
        await idle(pilot, app)
        assert app.session.ended
        await pilot.press("g", *"-999999", "enter")
        await idle(pilot, app)
        assert app.session.cursor == 0


async def test_w_at_a_watch_stop_explains_the_watched_value() -> None:
    """At a watch stop the status says "w: why", and w explained the event ("Why: event 1315"),
    not the value the watch is about. It now asks why of the watched path."""
    from msidbg.tui.app import make_app
    from msidbg.tui.screens.why import WhyScreen
    from tests.tui.conftest import idle

    app = make_app(str(ROOT / "scenarios" / "msi-torn-affinity-update.yaml"), keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("W", *"cpu[1].irr[0x22]", "enter")
        await pilot.press("c")
        await idle(pilot, app)
        await pilot.press("c")
        await idle(pilot, app)
        assert app.session.last_stop.breakpoint == "watch cpu[1].irr[0x22]"
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WhyScreen)
        assert screen.why.target.get("path") == "cpus[1].irr[0x22]"
        assert [lk.event for _, lk in screen.links] == app.session.why("cpus[1].irr[0x22]").tree_events()
