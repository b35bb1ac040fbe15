"""The Why pane (w) and msidbg diff --tui: what they show and where enter / tab take the cursor."""

from __future__ import annotations

from textual.widgets import OptionList

from msidbg.debugger.diff import diff_files
from msidbg.tui.app import MsidbgApp, make_app
from msidbg.tui.diffapp import DiffApp
from msidbg.tui.panes.apic import ApicGrid
from msidbg.tui.panes.status import StatusLine
from msidbg.tui.screens.why import WhyScreen
from tests.tui.conftest import LATE, ROOT, idle

SMALL = (80, 24)


def app_for(path: str) -> MsidbgApp:
    return make_app(path, keymap={})


async def test_w_at_the_stop_explains_its_hit_and_enter_goes_to_a_link() -> None:
    app = app_for(LATE)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("c")
        await idle(pilot, app)
        assert app.session.cursor == 26
        assert "w: why" in str(app.query_one(StatusLine).content)
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WhyScreen)
        assert [lk.event for _, lk in screen.links] == app.session.why(app.session.armed_hits()[0]).tree_events()
        assert screen.links[0][1].event == 26 and screen.links[-1][1].link == "action.start"
        opts = screen.query_one(OptionList)
        assert opts.option_count == len(screen.links) and opts.size.width <= 80
        await pilot.press("down", "enter")                 # the root: the request_irq action's start
        await idle(pilot, app)
        assert not isinstance(app.screen, WhyScreen)
        assert app.session.cursor == 18


async def test_w_on_a_selected_apic_vector_explains_its_irr_bit_and_escape_closes() -> None:
    app = app_for(LATE)
    async with app.run_test(size=(160, 48)) as pilot:
        app.goto(30)                                        # eth0's first message sets CPU1 IRR 0x21
        await idle(pilot, app)
        grid = app.query_one(ApicGrid)
        grid.focus()
        grid.selected = (1, 0x21)
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WhyScreen)
        assert screen.why.target["path"] == "cpus[1].irr[0x21]"
        assert [lk.link for lk in screen.why.chain][:2] == ["irr.set", "latch"]
        # rows: the default chain flush left, each link's branches right after it, indented
        got = [(d, lk.link) for d, lk in screen.links]
        assert got[:2] == [(0, "irr.set"), (1, "table.write.live")]
        assert got.index((0, "latch")) > 1 and all(d >= 1 for d, _ in got[1:got.index((0, "latch"))])
        await pilot.press("escape")
        assert not isinstance(app.screen, WhyScreen) and app.session.cursor == 30


async def test_w_at_event_0_says_there_is_nothing_to_explain() -> None:
    app = app_for(LATE)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("w")
        await pilot.pause()
        assert not isinstance(app.screen, WhyScreen)


async def test_diff_tui_opens_at_the_first_divergence_with_linked_cursors() -> None:
    r = diff_files(str(ROOT / "scenarios" / "xen-pirq-reuse-nvme.yaml"),
                   str(ROOT / "scenarios" / "xen-pirq-reuse-nvme-fixed.yaml"))
    assert r.first is not None
    app = DiffApp(r)
    async with app.run_test(size=SMALL) as pilot:
        assert app.cursors() == (r.first.a, r.first.b)
        await pilot.press("down", "down")
        a, b = app.cursors()
        assert a == r.first.a + 2 and b == r.aligned(a)
        await pilot.press("tab")                            # B is now the driving side, same place
        assert app.side_b and app.cursors() == (a, b)
        await pilot.press("f")
        assert app.cursors() == (r.first.a, r.first.b) and not app.side_b
        status = str(app.query_one("#diff-status").render())
        assert "first divergence: cpu0.proc" in status


def test_why_pane_at_80x24_snapshot(snap_compare: object) -> None:
    """The 2021 stop (the live rewrite of entry 0), w: the chain fits an 80x24 terminal, the
    symptom first, the unmask and request_irq's start below it, stacks abbreviated."""
    async def run_before(pilot: object) -> None:
        await pilot.press("c")                              # type: ignore[attr-defined]
        await idle(pilot, pilot.app)                        # type: ignore[attr-defined]
        await pilot.press("w")                              # type: ignore[attr-defined]
        await pilot.pause()                                 # type: ignore[attr-defined]

    assert snap_compare(app_for(LATE), terminal_size=SMALL, run_before=run_before)  # type: ignore[operator]


async def test_diff_tui_status_names_the_actions_whose_result_differs() -> None:
    """whyheld6's w04 pair: CPU1's offline is refused (ENOSPC) on 6.1.62 and done on 6.1.63, every device's counts
    the same. The status said "different outcome" and nothing of which action made it so (the text and --json
    list it since diffout)."""
    held = ROOT / "tests" / "heldout_why6"
    r = diff_files(str(held / "w04-unplug-managed-6p1p62.yaml"), str(held / "w04-unplug-managed-6p1p63.yaml"))
    app = DiffApp(r)
    async with app.run_test(size=(160, 24)) as pilot:
        await pilot.pause()
        lines = str(app.query_one("#diff-status").render()).splitlines()
        assert lines[3].endswith("different outcome")
        assert lines[4] == "actions whose result differs (1): #4 cpu_offline cpu=1 (ran on CPU2): A -28 (ENOSPC), B 0"
        assert app.query_one("#diff-status").size.height == 5
    # the same outcome: no such line, the status keeps its four
    same = DiffApp(diff_files(LATE, LATE))
    async with same.run_test(size=(160, 24)) as pilot:
        await pilot.pause()
        assert len(str(same.query_one("#diff-status").render()).splitlines()) == 4


async def test_diff_tui_of_runs_stopped_at_event_0_moves_without_failing() -> None:
    """diff --max-events 0 (both runs stopped at event 0, as run's): the status asked the empty run for the context
    of its event 1 and the app died with an IndexError at its first paint."""
    held = ROOT / "tests" / "heldout_why7"
    r = diff_files(str(held / "v08-soft-disable-5p4p61.yaml"), str(held / "v08-soft-disable-5p4p62.yaml"), max_events=0)
    app = DiffApp(r)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("down", "f", "n", "N", "pagedown", "tab", "up")
        await pilot.pause()
        assert app.cursors() == (None, None)
        status = str(app.query_one("#diff-status").render()).splitlines()
        assert status[0] == "no event: A #-  B #-  (B stopped at event 0)"
        assert status[3] == "no divergence: the runs executed the same steps  ·  same outcome"
