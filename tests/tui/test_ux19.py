"""tuiux19: what a demanding user found driving msidbg in tmux (80x24, 120x40, 200x60)."""

from __future__ import annotations

from textual import events

from msidbg.tui.app import make_app
from msidbg.tui.panes.apic import ApicGrid
from msidbg.tui.panes.breakpoints import BreakpointList
from msidbg.tui.panes.lines import LineView
from msidbg.tui.screens.prompt import Prompt
from tests.tui.conftest import LATE, MASKED, ROOT, idle, session_at, status_lines, until


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


async def test_run_to_a_time_behind_the_cursor_stops_at_a_breakpoint_on_the_way() -> None:
    # t with a time behind the cursor jumped straight there, over every hit on the way, though
    # the key table says run to time "stops at breakpoints" (forwards it did): from the end of
    # msix-write-while-unmasked, t 100us went over the 10 spurious and 10 lost interrupts
    app = make_app(LATE, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.run()
        app.driver.settle()
        end = app.session.cursor
        hits = sorted({h.event for h in app.session.hits() if h.name in ("irq-lost", "irq-spurious")
                      and h.event < end})
        assert hits
        await pilot.press("t", *"100us", "enter")
        await idle(pilot, app)
        assert app.session.cursor == hits[-1]
        assert app.session.last_stop.reason == "breakpoint"
        assert "breakpoint" in " ".join(status_lines(app))
        await pilot.press("t", *"100us", "enter")          # again: the hit before that one
        await idle(pilot, app)
        assert app.session.cursor == hits[-2]
        for b in list(app.session.breakpoints):
            app.session.remove_breakpoint(b.id)
        await pilot.press("t", *"100us", "enter")          # nothing armed: straight to the time
        await idle(pilot, app)
        e = app.session.event(app.session.cursor)
        after = app.session.event(app.session.cursor + 1)
        assert e is not None and after is not None and e.time_ns <= 100_000 < after.time_ns


def test_reverse_continue_until_stops_at_hits_from_that_event_on_only() -> None:
    # the bound, for a watch (searched by re-execution) and for a built-in (the hit record); a
    # segment straddling the bound reported a change below it (back_search's floor held only
    # for its straight scan)
    from msidbg.debugger import Session

    for spec, want in (("watch devices.eth0.msix.table[0].addr_lo",
                        [("breakpoint", 26), ("limit", 22), ("breakpoint", 21), ("limit", 7)]),
                       ("msix-write-unmasked", [("breakpoint", 28), ("breakpoint", 27), ("limit", 27), ("breakpoint", 26)])):
        s = Session.from_scenario(LATE)
        for b in list(s.breakpoints):
            s.remove_breakpoint(b.id)
        s.add_breakpoint(spec)
        s.run()
        bounds = (22, 22, 21, 7) if spec.startswith("watch") else (27, 27, 27, 7)   # hits 26, 27, 28
        got = [(st.reason, st.event) for st in (s.reverse_continue(until=n) for n in bounds)]
        assert got == want, spec


async def test_an_intx_loss_at_the_end_selects_the_cpu_and_vector_of_its_ioapic_entry() -> None:
    # intx-nobody-cared's irq-lost stop (run.end: "usb0 vector 0: ... nobody cared"): the event
    # names no CPU and the function no table row, so the APIC pane kept the CPU of the stop before
    # (CPU0, the doorbell's probe-failed), describing vector 0x20 there as 'unused', not the
    # IO-APIC entry's CPU1 where the shared line's vector is
    app = make_app(str(ROOT / "scenarios" / "intx-nobody-cared.yaml"), keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.run(300_000)
        app.driver.settle()
        app.show(("setup", ""), follow=True)
        await pilot.press("c")
        await idle(pilot, app, 60)
        assert app.session.last_stop.breakpoint == "probe-failed"
        assert app.view is not None and app.view.cpu == 0
        await pilot.press("c")
        await idle(pilot, app, 60)
        e = app.session.event(app.session.cursor)
        assert e is not None and e.kind == "run.end" and app.session.last_stop.breakpoint == "irq-lost"
        pin = app.session.world["ioapic"][16]
        assert (pin["cpu"], pin["vector"]) == (1, 0x20)
        assert app.view is not None and (app.view.device, app.view.cpu) == ("usb0", 1)
        assert "CPU1 vector 0x20" in str(app.query_one(ApicGrid).border_subtitle)


async def test_a_resized_terminal_leaves_no_stale_horizontal_scroll_bar() -> None:
    # 80x24 -> 120x40 (tmux resize-window): the breakpoints pane kept the virtual width it had
    # been given at another size (76, the stacked layout's, in tmux) in its 43 columns, so a
    # horizontal scroll bar covered its last row (a third breakpoint was off screen) until the
    # next step. Every pane's scroll range is its widest line at the size it has now.
    app = make_app(str(ROOT / "scenarios" / "xen-pirq-reuse-nvme.yaml"), keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await idle(pilot, app)
        await pilot.pause(0.3)                  # the stop shown: no View comes after the resize
        for size in ((120, 40), (200, 60), (120, 40), (80, 24)):
            await pilot.resize_terminal(*size)
            await idle(pilot, app)
            await pilot.pause(0.2)
            for pane in app.query(LineView):
                if pane.display and pane.size.width:
                    assert pane.virtual_size.width == max(pane.line_width(), 1), (size, type(pane).__name__)
                    wide = pane.line_width() > pane.scrollable_content_region.width
                    assert pane.show_horizontal_scrollbar == wide, (size, type(pane).__name__)
            bl = app.query_one(BreakpointList)
            assert not bl.show_horizontal_scrollbar, size


def test_a_filter_of_fields_alone_formats_no_event_line(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # a scan made every event's log line before trying its terms; for kind= / dev= / cpu= alone
    # that was ~4/5 of the time (500,000 events of a shared-INTx storm took ~10 s to filter)
    from msidbg.tui import eventfilter

    s = session_at(LATE, 200)
    evs = s.events(1, 201)
    made: list[int] = []
    real = eventfilter.event_text
    monkeypatch.setattr(eventfilter, "event_text", lambda e: (made.append(e.index), real(e))[1])
    got = [e.index for e in evs if eventfilter.parse("kind=apic.accept cpu=1").match(e)]
    assert got and got == [e.index for e in evs if e.kind == "apic.accept" and e.cpu == 1]
    assert made == []
    # with a word too: the word is tried only on the events whose fields matched, and since
    # tuiux20 against the line's pieces, so no line is formatted at all (test_ux20)
    got = [e.index for e in evs if eventfilter.parse("cpu=1 vector=0x21 -kind=apic.eoi").match(e)]
    assert got == [e.index for e in evs if e.cpu == 1 and e.kind != "apic.eoi" and "vector=0x21" in real(e)]
    assert made == []


async def test_keys_typed_ahead_of_a_dialog_go_into_it_and_run_no_command() -> None:
    # "g60" enter typed at once (tmux send-keys, a fast typist): the digits reached the App's
    # bindings only once the dialog was up, and were dropped ("expected an event number"); in
    # "a" + "irq-spurious" + enter the s's took the fast step route ahead of the a, stepping twice
    app = make_app(LATE, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)                  # started (its first focus placed)
        _type_at_once(app, ["g", *"60", "enter"])
        assert await until(pilot, lambda: app.session.cursor == 60 and not app.busy)
        assert not isinstance(app.screen, Prompt)
        before = [b.spec for b in app.session.breakpoints]
        _type_at_once(app, ["a", *'if event.kind == "apic.eoi"', "enter"])
        assert await until(pilot, lambda: len(app.session.breakpoints) == len(before) + 1)
        await idle(pilot, app)
        assert app.session.cursor == 60 and not isinstance(app.screen, Prompt)
        assert app.session.breakpoints[-1].spec == 'if event.kind == "apic.eoi"'
        _type_at_once(app, ["s", "s", "b", "g", *"+10", "enter"])      # moves, then a dialog: in order
        assert await until(pilot, lambda: not isinstance(app.screen, Prompt) and not app.busy
                           and app.session.cursor == 71)


async def test_keys_typed_ahead_of_the_event_filter_go_into_it() -> None:
    # "/msix" enter at once: the filter's input had no focus yet when the letters came back to
    # the bindings: the s stepped, the m opened the bookmark dialog, the filter stayed empty
    from msidbg.tui.panes.events import EventRows

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        _type_at_once(app, ["slash", *"msix", "enter"])
        rows = app.query_one(EventRows)
        assert await until(pilot, lambda: rows.filter.text == "msix")
        await idle(pilot, app)
        assert app.session.cursor == 0 and not isinstance(app.screen, Prompt)
        assert app.session.bookmarks == [] or not app.session.bookmarks
