"""ux3: a demanding user's third pass over the TUI (Textual's pilot, as tests/tui/ do)."""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from msidbg.tui.app import MsidbgApp, make_app
from msidbg.tui.panes.status import StatusLine
from tests.tui.conftest import MASKED, idle, until


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



async def test_diff_tui_at_80_columns_titles_each_side_by_its_file_and_keeps_the_footer_whole() -> None:
    """At 80x24 both sides were titled 'A /work/.../scenarios/msix-wri…' and 'B /work/.../msix-wri…':
    the file names, the one thing that told them apart, were cut off; the footer cut
    'n Next context' to 'n Next', beside '↓ Next'."""
    from pathlib import Path

    from msidbg.debugger.diff import diff_files
    from msidbg.tui.diffapp import DiffApp
    from tests.tui.conftest import LATE, screen_text

    fixed = str(Path(LATE).with_name("msix-write-while-unmasked-fixed.yaml"))
    app = DiffApp(diff_files(str(Path(LATE).resolve()), str(Path(fixed).resolve())))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        rows = screen_text(app)
        a, b = rows[0].split("╮╭")
        assert "A …/msix-write-while-unmasked.yaml ─" in a, rows[0]
        assert b.startswith("─ B …") and "unmasked-fixed.yaml ─" in b, rows[0]
        assert "n Next context" in rows[-1] and "q Quit" in rows[-1], rows[-1]
    async with DiffApp(app.r).run_test(size=(200, 24)) as pilot:     # room for the whole paths
        await pilot.pause()
        assert f"A {app.r.a.path} ─" in screen_text(pilot.app)[0]


def test_a_side_title_keeps_the_tail_that_tells_the_files_apart() -> None:
    from msidbg.tui.diffapp import side_title

    assert side_title("A", "/r/a/x.yaml", "/r/b/x.yaml", 40) == "A /r/a/x.yaml"
    assert len(side_title("A", "/r/a/x.yaml", "/r/b/x.yaml", 10)) <= 10
    assert side_title("A", "/r/a/x.yaml", "/r/b/x.yaml", 12) == "A …/a/x.yaml"
    assert side_title("B", "/r/s/long-name-fixed.yaml", "/r/s/long-name.yaml", 24) == "B …/long-name-fixed.yaml"


async def test_at_80_columns_the_device_and_cpu_keys_bring_their_pane_on_screen() -> None:
    """Stacked at 80x24 with the event log focused, d (next device) and ] (next CPU) changed the
    vector table and the APIC grid off the screen: nothing visible happened but the status line's
    'nvme1 · CPU1'; the focus stayed on the log, off screen too, once the user scrolled up."""
    from msidbg.tui.panes.apic import ApicGrid
    from msidbg.tui.panes.events import EventRows
    from msidbg.tui.panes.vectors import VectorTable
    from tests.tui.conftest import ROOT, screen_text

    app = make_app(str(ROOT / "scenarios" / "xen-pirq-reuse-nvme.yaml"), keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        app.query_one(EventRows).focus()
        await pilot.pause()
        main = app.query_one("#main")
        assert main.scroll_y > 0
        await pilot.press("d")
        await idle(pilot, app)
        assert app.device == "nvme1" and isinstance(app.focused, VectorTable)
        assert screen_text(app)[0].startswith("╭─ Vector table: nvme1 ")
        await pilot.press("right_square_bracket")
        await idle(pilot, app)
        assert app.cpu == 1 and isinstance(app.focused, ApicGrid)
        assert screen_text(app)[0].startswith("╭─ Local APICs")


async def test_d_with_one_device_rings_the_bell() -> None:
    app = make_app(MASKED, keymap={})
    rang: list[bool] = []
    async with app.run_test(size=(160, 48)) as pilot:
        await idle(pilot, app)
        app.bell = lambda: rang.append(True)  # type: ignore[method-assign]
        await pilot.press("d")
        await idle(pilot, app)
        assert rang == [True] and app.device == "eth0"


async def test_the_timeline_title_fits_80_columns() -> None:
    """At 80 columns the timeline's title ended '(+/- zoom, 0 whole run, enter go…': its keys cut
    mid-word; a shorter hint fits there, the long one where there is room."""
    from tests.tui.conftest import ROOT, screen_text

    for width, hint in ((80, "  (+/- zoom, 0 all, enter: go) ─"), (200, "  (+/- zoom, 0 whole run, enter goes there) ─")):
        app = make_app(str(ROOT / "scenarios" / "xen-pirq-reuse-nvme.yaml"), keymap={})
        async with app.run_test(size=(width, 30)) as pilot:
            await idle(pilot, app)
            await pilot.press("c")
            await idle(pilot, app)
            await pilot.press("v")
            await idle(pilot, app)
            indexed = "─ Timeline 0.000000000s .. 0.00"   # (the run's end moves with the model)
            await until(pilot, lambda: any(indexed in r for r in screen_text(app)))   # noqa: B023
            title = next(r for r in screen_text(app) if indexed in r)
            assert hint in title and "…" not in title.split("╮")[0], title


async def test_a_row_cut_at_the_panes_right_edge_ends_with_an_ellipsis() -> None:
    """At 80 columns the event log cut 'offset=0x72 value=0xc007' to '... value=0xc00': a cut hex
    number read as another value, with nothing on the row to say it went on (the horizontal
    scroll bar was the only hint). A cut row now ends in '…' at the last visible column, also
    in a pane with a vertical scroll bar (which covers its last two columns)."""
    from msidbg.tui import eventfilter
    from msidbg.tui.panes.events import EventRows
    from tests.tui.conftest import ROOT

    app = make_app(str(ROOT / "scenarios" / "xen-pirq-reuse-nvme.yaml"), keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        app.goto(312)     # (282 before intx36: the set-ups' trapped Interrupt Disable reads and writes come first)
        await idle(pilot, app)
        rows = app.query_one(EventRows)
        rows.focus()
        await pilot.pause()
        visible = rows.scrollable_content_region.width
        assert visible < rows.size.width            # the vertical scroll bar is there
        checked = 0
        for y in range(rows.size.height):
            index = rows.index_of(rows.first_visible() + y)
            event = rows.event(index)
            if event is None:
                continue
            text = rows.render_line(y).text[:visible]
            if len(eventfilter.event_text(event, rows.columns())) + 1 > visible:   # (the run's columns: hardening26)
                assert text.endswith("…"), text
                checked += 1
            else:
                assert "…" not in text, text
        assert checked


NO_MASTER = """\
name: nomaster
seed: 1
cpus: 2
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 2MASTER}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}
breakpoints: [irq-lost]
"""


def test_the_vector_tables_state_line_says_bus_master_is_off(tmp_path: Path) -> None:
    """A driver without pci_set_master: MSI-X enabled, every entry programmed and unmasked, every
    message dropped -- and the vector table's state line looked healthy ('MSI-X enabled, 4
    entries | driver: ok'): the bit that explains the losses was nowhere on the screen."""
    from msidbg.tui import table

    path = tmp_path / "nomaster.yaml"
    for master, says in ((", set_master: false", True), ("", False)):
        path.write_text(NO_MASTER.replace("MASTER", master))
        s = Session.from_scenario(str(path))
        s.continue_()
        state = table.device_state(s.world, "eth0")
        assert state[0] == "MSI-X enabled, 4 entries"
        assert ("Bus Master off: messages dropped" in state) == says, state
