"""Pilot tests: keys drive the App; assert on the Session first, the screen second."""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from msidbg.tui.app import MsidbgApp, make_app
from msidbg.tui.panes.breakpoints import BreakpointList
from msidbg.tui.panes.events import EventRows
from msidbg.tui.panes.lines import LineView
from msidbg.tui.panes.status import StatusLine
from msidbg.tui.panes.vectors import VectorTable
from msidbg.tui.screens.help import HelpScreen
from msidbg.tui.screens.prompt import Prompt
from tests.tui.conftest import LATE, MASKED, STORM, idle

SIZE = (160, 48)


def app_for(path: str, **kw) -> MsidbgApp:  # type: ignore[no-untyped-def]
    kw.setdefault("keymap", {})
    return make_app(path, **kw)


def lines(w: LineView) -> list[str]:
    return [w.render_line(y).text for y in range(w.size.height)]


def status(app: MsidbgApp) -> str:
    return str(app.query_one(StatusLine).content)


async def test_step_and_step_back_move_the_cursor() -> None:
    app = app_for(MASKED)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"sssss")
        assert app.session.cursor == 5
        assert "event 5 / 5" in status(app)
        assert any(line.startswith("▶5 ") for line in lines(app.query_one(EventRows)))   # 5 of 5+: one digit
        await pilot.press("b", "b")
        assert app.session.cursor == 3 and app.session.total == 5
        assert "event 3 / 5" in status(app) and "step back" in status(app)


async def test_continue_stops_at_the_breakpoint_with_the_written_entry_highlighted() -> None:
    want = Session.from_scenario(LATE).continue_()
    app = app_for(LATE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await idle(pilot, app)
        assert app.session.cursor == want.event == 26
        assert app.view is not None and app.view.changes.rows == {"eth0": frozenset({0})}
        assert "continue: breakpoint msix-write-unmasked" in status(app)
        table = app.query_one(VectorTable)
        changed = table.style_of("changed").bgcolor
        first = table.header_lines                  # capability state, then the column header
        row0, row1 = table.render_line(first), table.render_line(first + 1)
        assert row0.text.startswith("0 ") and changed is not None
        assert any(seg.style and seg.style.bgcolor == changed for seg in row0)
        assert not any(seg.style and seg.style.bgcolor == changed for seg in row1)


async def test_goto_prompt_and_enter_in_the_event_log() -> None:
    app = app_for(MASKED)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g", *"44", "enter")
        await idle(pilot, app)
        assert app.session.cursor == 44
        assert app.view is not None and app.view.changes.irr == {1: 1 << 0x21}
        app.query_one(EventRows).focus()
        await pilot.press("up", "up", "enter")
        await idle(pilot, app)
        assert app.session.cursor == 42


async def test_bad_breakpoint_shows_the_parser_error_inline_and_arms_nothing() -> None:
    app = app_for(MASKED)
    async with app.run_test(size=SIZE) as pilot:
        before = [b.spec for b in app.session.breakpoints]
        await pilot.press("a", *"if event.kind ==", "enter")
        assert isinstance(app.screen, Prompt)
        assert "^" in app.screen.error and "found the end of the expression" in app.screen.error
        assert [b.spec for b in app.session.breakpoints] == before
        await pilot.press(*' "msi.held"', "enter")
        assert not isinstance(app.screen, Prompt)
        assert [b.spec for b in app.session.breakpoints] == before + ['if event.kind == "msi.held"']
        await pilot.press("c")
        await idle(pilot, app)
        assert app.session.cursor == 43
        assert 'if event.kind == "msi.held"' in "\n".join(lines(app.query_one(BreakpointList)))


async def test_watch_and_remove_breakpoint_from_the_pane() -> None:
    app = app_for(MASKED)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("W", *"cpu[1].irr", "enter")
        assert [b.spec for b in app.session.breakpoints][-1] == "watch cpu[1].irr"
        await pilot.press("c")
        await idle(pilot, app)
        assert app.session.cursor == 44                     # the first IRR bit set on CPU1
        app.query_one(BreakpointList).focus()
        await pilot.press("x")
        assert [b.spec for b in app.session.breakpoints] == ["watch cpu[1].irr"]


async def test_any_key_stops_a_long_continue() -> None:
    app = app_for(STORM)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause(0.4)
        assert app.busy and "running continue" in status(app)
        await pilot.press("space")
        await idle(pilot, app)
        assert not app.busy and app.session.cursor > 0 and not app.session.ended
        assert "continue: stopped by a key" in status(app)
        assert f"event {app.session.cursor:,} /" in status(app)
        await pilot.press("s")                                # keys work again afterwards
        assert "step" in status(app)


async def test_save_then_open_lands_on_the_same_event(tmp_path: Path) -> None:
    path = tmp_path / "bug.msgpack"
    app = app_for(LATE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await idle(pilot, app)
        await pilot.press("m", *"late: the live entry is rewritten", "enter")
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, Prompt)
        inp = app.screen.query_one("#prompt-input")
        inp.value = str(path)  # type: ignore[attr-defined]
        await pilot.press("enter")
        cursor, specs = app.session.cursor, [b.spec for b in app.session.breakpoints]
    assert path.is_file()
    again = app_for(str(path))
    async with again.run_test(size=SIZE) as pilot:
        await idle(pilot, again)
        assert again.session.cursor == cursor == 26
        assert [b.spec for b in again.session.breakpoints] == specs
        assert again.view is not None and again.view.changes.rows == {"eth0": frozenset({0})}
        assert "snapshot: breakpoint msix-write-unmasked" in status(again)
        await pilot.press("s")
        assert again.session.cursor == 27
        await pilot.press("M", "enter")
        await idle(pilot, again)
        assert again.session.cursor == 26
        assert "│  bookmark late  │" in status(again)             # why the cursor is here: the bookmark


async def test_keys_are_rebindable_and_help_shows_them() -> None:
    app = app_for(MASKED, keymap={"step": "n", "step_back": "p"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        assert app.session.cursor == 0
        await pilot.press("n", "n", "p")
        assert app.session.cursor == 1
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert ("n", "step") in app.screen.rows() and ("p", "step_back") in app.screen.rows()
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_event_filter_shows_only_matching_events() -> None:
    app = app_for(MASKED)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g", *"54", "enter")
        await idle(pilot, app)
        await pilot.press("slash", *"kind=msi.held", "enter")
        rows = app.query_one(EventRows)
        await pilot.pause()
        assert rows.matches is not None and list(rows.matches) == [43, 48, 53]
        shown = [line for line in lines(rows) if line.strip()]
        assert len(shown) == 3 and all("msi.held" in line for line in shown)
        rows.parent.query_one("#event-filter").focus()  # type: ignore[union-attr]
        await pilot.press("escape")
        assert rows.matches is None and rows.line_count() == 54


async def test_select_device_and_cpu() -> None:
    app = app_for(MASKED)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket")
        assert app.view is not None and app.view.cpu == 1
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert app.view.cpu == 1                     # wraps around two CPUs
        await pilot.press("d")
        assert app.view.device == "eth0"             # the only device


async def test_narrow_light_terminal_does_not_crash() -> None:
    app = app_for(LATE)
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = "textual-light"
        await pilot.press("c")
        await idle(pilot, app)
        await pilot.press("b", "tab", "tab", "tab", "s")
        assert app.screen.has_class("-narrow")
        assert app.session.cursor == 26
        await pilot.resize_terminal(60, 16)
        await pilot.press("s", "c")
        await idle(pilot, app)
        assert app.session.cursor > 21


async def test_partial_repaints_leave_no_stale_lines() -> None:
    """Steps repaint only the lines that changed; the screen must equal a full repaint."""
    app = app_for(MASKED)

    async def full_repaint_svg() -> str:
        for w in app.query(LineView):
            w.refresh()
        await pilot.pause()
        return app.export_screenshot()

    async with app.run_test(size=SIZE) as pilot:
        for keys in (["s"] * 36, ["s"] * 5, ["b"], ["s"], ["b", "b"], ["s"] * 3, ["g", *"12", "enter"], ["s"]):
            await pilot.press(*keys)
            await idle(pilot, app)
            shown = app.export_screenshot()
            assert shown == await full_repaint_svg(), (keys, app.session.cursor)


async def test_reverse_continue_and_run_to_time() -> None:
    app = app_for(LATE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", *"4ms", "enter")            # stops at the first breakpoint on the way
        await idle(pilot, app)
        assert app.session.cursor == 26 and "breakpoint msix-write-unmasked" in status(app)
        app.session.remove_breakpoint(app.session.breakpoints[0].id)
        await pilot.press("t", *"4ms", "enter")
        await idle(pilot, app)
        assert app.session.cursor == 79                     # irq-lost: CPU1 is offline (+2 events since dyingdrain: MULTI_STOP_EXIT, do_idle; +1 since intx36: the set-up's Interrupt Disable write)
        await pilot.press("t", *"2.5ms", "enter")           # backwards: the last event at or before 2.5ms
        await idle(pilot, app)
        here = app.session.event(app.session.cursor)
        after = app.session.event(app.session.cursor + 1)
        assert here is not None and after is not None and here.time_ns <= 2_500_000 < after.time_ns
        await pilot.press("g", *"112", "enter", "C")
        await idle(pilot, app)
        last_hit = max(h.event for h in app.session.hits() if h.name in ("irq-lost", "irq-spurious"))
        assert app.session.cursor == last_hit and "reverse continue: breakpoint" in status(app)


async def test_apic_owner_on_hover_and_palette_commands() -> None:
    from msidbg.tui import apicgrid
    from msidbg.tui.panes.apic import ApicGrid

    app = app_for(MASKED)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g", *"44", "enter")
        await idle(pilot, app)
        grid = app.query_one(ApicGrid)
        line = 1 * apicgrid.BLOCK + 2 + 2 - grid.first_visible()    # CPU1, class 2x
        await pilot.hover(ApicGrid, offset=(apicgrid.IRR_AT + 1 + 1, line + 1))  # +1: the border
        assert grid.hovered == (1, 0x21)
        assert "CPU1 vector 0x21 [IRR]: irq 24 PCI-MSIX eth0 #0" in str(grid.border_subtitle)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Step: step" in titles and "Rev-cont: reverse continue" in titles


async def test_no_verify_snapshot_replays_history_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "storm.msgpack"
    s = Session.from_scenario(STORM)
    s.seek(200_000)
    s.save(str(path))
    app = make_app(str(path), verify=False, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.view is not None and app.view.cursor == 200_000   # the stored world, at once
        assert app.busy or app.session.history_ready                # loading without blocking
        await idle(pilot, app, limit=60)
        assert app.session.history_ready and "event 200,000 / 200,000" in status(app)
        await pilot.press("b")
        assert app.session.cursor == 199_999


async def test_pirq_pane_hidden_on_bare_metal_and_marks_disagreements(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The pane's rendering, fed rows directly (the Xen model's adapter lives in pirqmap.rows)."""
    from msidbg.tui import pirqmap
    from msidbg.tui.panes.pirqs import PirqMap

    app = app_for(MASKED)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(PirqMap)
        assert pane.has_class("-bare") and pane.styles.display == "none"
        rows = [pirqmap.PirqRow(101, "bound", 5, "eth0/0", "24", "eth0/0 evt 5", ""),
                pirqmap.PirqRow(100, "free", None, "-", "25", "eth0/1 evt -", "guest uses an unmapped pirq")]
        monkeypatch.setattr(pirqmap, "rows", lambda w: rows)
        world = dict(app.session.world, platform=dict(app.session.world["platform"], kind="xen-hvm"))
        assert app.view is not None
        from dataclasses import replace

        app.view = replace(app.view, world=world)
        await pilot.pause()
        assert not pane.has_class("-bare") and pane.styles.display == "block"
        text = [pane.render_line(y).text for y in range(4)]
        assert text[0].startswith("pirq ") and text[1].startswith("101   bound")
        assert text[2].startswith("100   free") and text[3].strip() == "≠ guest uses an unmapped pirq"


async def test_the_behaviour_screen_lists_the_resolved_switches() -> None:
    from msidbg.tui.screens.behaviour import BehaviourScreen

    app = app_for(LATE)
    async with app.run_test(size=SIZE) as pilot:
        assert app.sub_title.startswith("msix-write-while-unmasked · ")
        app.action_behaviour()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BehaviourScreen)
        rows = screen.rows()
        assert [r.split()[0] for r in rows] == list(app.session.summary()["behaviour"])
        assert any(r.split()[0] == "msix_masked_update" and "da181dc974ad" in r for r in rows)
        await pilot.press("escape")
        assert not isinstance(app.screen, BehaviourScreen)


async def test_the_behaviour_screen_shows_the_worlds_switches_and_marks_what_this_msidbg_resolves_differently() -> None:
    from msidbg.tui.screens.behaviour import BehaviourScreen

    app = app_for(LATE)
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        # the world of a snapshot another model wrote: the file ran msix_mask_all late (here: early)
        assert s.world["behaviour"]["msix_mask_all"] == "early"
        world = {**s.world, "behaviour": {**s.world["behaviour"], "msix_mask_all": "late"}}
        app.push_screen(BehaviourScreen(s.scenario, world))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BehaviourScreen)
        rows = screen.rows()
        at = next(i for i, r in enumerate(rows) if "msix_mask_all" in r)
        assert rows[at].startswith(" !msix_mask_all") and " = late " in rows[at] and "recorded" in rows[at]
        assert "this msidbg: early (kernel 5.13; before 7d5ec3d36123)" in rows[at + 1]
        assert "marked ! differently" in str(screen.query_one("#behaviour-note").content)


async def test_the_header_says_when_a_snapshots_switches_are_not_what_this_msidbg_resolves(tmp_path: Path) -> None:
    from msidbg.tui.screens.behaviour import header_text

    app = app_for(LATE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        s = app.session
        assert app.sub_title == header_text(s.scenario, s.world) == "msix-write-while-unmasked · kernel 5.13"
        world = {**s.world, "behaviour": {**s.world["behaviour"], "msix_mask_all": "late"}}
        assert header_text(s.scenario, world) == ("msix-write-while-unmasked · kernel 5.13 · 1 switch(es) recorded "
                                                  "otherwise than this msidbg resolves (palette: Behaviour)")
