"""ux4: a demanding user's fourth pass over the TUI (Textual's pilot, as tests/tui/ do)."""

from __future__ import annotations

from msidbg.tui.apicgrid import BLOCK
from msidbg.tui.app import make_app
from msidbg.tui.panes.apic import ApicGrid
from tests.tui.conftest import ROOT, idle

XEN = str(ROOT / "scenarios" / "xen-pirq-reuse-nvme.yaml")


def whole_block_shown(g: ApicGrid) -> bool:
    top, first = g.selected[0] * BLOCK, g.first_visible()
    return first <= top and top + BLOCK - 1 < first + g.body_height


async def test_the_apic_pane_shows_the_selected_cpus_whole_block_when_it_fits() -> None:
    """At 200x60 (24 lines of APIC pane, a block is 18) an event on CPU1 left the pane at the top:
    CPU0's whole block, then CPU1's header and 5 of its 16 grid rows, the rest cut off; later
    CPU2's last grid row sat below the pane once the pane had shrunk by two lines."""
    app = make_app(XEN, keymap={})
    async with app.run_test(size=(200, 60)) as pilot:
        await idle(pilot, app)
        g = app.query_one(ApicGrid)
        assert g.body_height >= BLOCK
        seen = set()
        for _ in range(40):
            await pilot.press("s")
            await idle(pilot, app)
            seen.add(g.selected[0])
            assert whole_block_shown(g), (app.session.cursor, g.selected, g.first_visible(), g.body_height)
        assert seen >= {0, 1, 2}


async def test_moving_the_apic_selection_brings_its_whole_block_back() -> None:
    """The arrow keys scrolled only as far as the selected row: the block's header stayed cut off."""
    app = make_app(XEN, keymap={})
    async with app.run_test(size=(200, 60)) as pilot:
        await idle(pilot, app)
        g = app.query_one(ApicGrid)
        g.focus()
        await pilot.press("pagedown")       # CPU1, header on top
        await idle(pilot, app)
        g.scroll_to(y=BLOCK + 8, animate=False, immediate=True)   # the user scrolls half a block down
        await pilot.pause()
        assert not whole_block_shown(g)
        await pilot.press("up")
        await idle(pilot, app)
        assert g.selected[0] == 1 and whole_block_shown(g), (g.selected, g.first_visible())


REMAPPED = str(ROOT / "scenarios" / "msi-torn-affinity-update-remapped.yaml")


async def test_the_help_legend_explains_logical_destinations_and_irte_indexes() -> None:
    """The vector table of a cluster-x2APIC remapped run shows dst 'L8' and vector '0x21 i4';
    neither the help screen's legend nor the pane said what L or i meant."""
    from msidbg.tui.screens.help import HelpScreen, HelpSection

    app = make_app(REMAPPED, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await idle(pilot, app)
        await pilot.press("question_mark")
        await idle(pilot, app)
        assert isinstance(app.screen, HelpScreen)
        # the legend is one widget since tuiux21: its rows are (mark, what)
        section = app.screen.query_one("#help-legend", HelpSection)
        what = {row[0]: row[1] for row in section.cells}
        marks = list(what)
        entry = next(m for m in marks if "L8" in m)
        assert "logical destination" in what[entry] and "x2APIC cluster" in what[entry] and "IRTE" in what[entry]


def test_a_remapped_row_is_described_in_words() -> None:
    """'sends 0x21 i4 to APIC L8': L8 is no APIC id and i4 was unexplained."""
    from msidbg.debugger import Session
    from msidbg.tui import table

    s = Session.from_scenario(REMAPPED)
    s.continue_()
    row = table.describe_row(s.world, "nvme0", 4)
    assert row.startswith("nvme0 entry 4: sends 0x21 via IRTE 4 to logical L8 = CPU3; kernel: "), row
    assert "APIC L" not in row


def test_the_help_legend_explains_the_cpu_lanes_glyphs() -> None:
    """The timeline's CPU lanes are mostly ▄ (kernel activity): only docs/tui.md said so."""
    from msidbg.tui.lanes import GLYPHS
    from msidbg.tui.screens.help import LEGEND

    cpu = [what for mark, what in LEGEND if GLYPHS["kernel"] in mark.split()]
    assert cpu and "kernel activity" in cpu[0] and "interrupt handling" in cpu[0]
