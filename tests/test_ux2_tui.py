"""ux2: a demanding user's second pass over the TUI at 80x24 (Textual's pilot, as tests/tui/ do)."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.debugger import Session
from msidbg.tui import table
from msidbg.tui.app import make_app
from msidbg.tui.panes.events import EventRows
from msidbg.tui.panes.vectors import VectorTable
from msidbg.tui.screens.help import HelpScreen
from tests.tui.conftest import LATE, idle, screen_text, until

ROOT = Path(__file__).resolve().parents[1]
XEN_LATE = str(ROOT / "scenarios" / "xen-hvm-msix-mask-late.yaml")


def at_end(path: str) -> Session:
    s = Session.from_scenario(path)
    s.continue_()
    return s


async def test_the_xen_vector_table_fits_80_columns_guest_view_included() -> None:
    """A passthrough device's table needed 92 columns: at 80 the guest's mask bit (gM) and QEMU's
    pirq (qpirq), the columns that show the Xen mask-late bug, were off the right edge."""
    app = make_app(at_end(XEN_LATE), keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        pane = app.query_one(VectorTable)
        await until(pilot, lambda: pane.size.width > 0)
        assert pane.line_width() <= pane.scrollable_content_region.width
        rows = [line for line in screen_text(app) if line.startswith("│")]
        header = next(line for line in rows if "entry" in line)
        assert "gM" in header and "qpirq" in header, header
        # entry 0 as the guest sees it (unmasked, pirq 101) beside the device (masked, pending)
        first = next(line for line in rows if line.startswith("│0 "))
        assert " M P " in first and "pirq 101" in first and "│ pirq 101" in first, first


def test_the_compact_columns_are_used_only_when_the_full_ones_do_not_fit() -> None:
    w = at_end(XEN_LATE).world
    full, compact = table.fitting_columns(w, "eth0", 200)
    assert not compact and full == table.columns(w, "eth0")
    cols, compact = table.fitting_columns(w, "eth0", 78)
    assert compact and table.line_width(cols) <= 78
    # every cell of the compact rows fits its column (nothing pushes the columns after it)
    for row in range(table.row_count(w, "eth0")):
        cells = table.row_cells(w, "eth0", row, compact=True)
        assert len(cells) == len(cols)
        assert all(len(text) <= width for (text, _), (_, width) in zip(cells, cols, strict=True)), cells


async def test_the_stacked_layout_starts_on_the_vector_table_not_scrolled_to_the_event_log() -> None:
    """At 80x24 the App focused the event log, third in the stack: the main area opened scrolled
    past the vector table and the APIC grid, the state the stop is about."""
    app = make_app(str(ROOT / "snapshots" / "xen-hvm-msix-mask-late.msgpack"), keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app._session is not None and not app.busy, limit=60)
        await idle(pilot, app)
        await until(pilot, lambda: app.focused is not None)
        assert isinstance(app.focused, VectorTable)
        assert app.query_one("#main").scroll_y == 0
        assert screen_text(app)[0].startswith("╭─ Vector table: eth0")


async def test_the_wide_layout_still_starts_on_the_event_log() -> None:
    app = make_app(LATE, keymap={})
    async with app.run_test(size=(160, 48)) as pilot:
        await idle(pilot, app)
        await until(pilot, lambda: app.focused is not None)
        assert isinstance(app.focused, EventRows)


@pytest.mark.parametrize("key", ["question_mark"])
async def test_help_lists_ctrl_q(key: str) -> None:
    """ctrl+q quits (Textual's binding, and ctrl+c's notice names it) but the help never said so."""
    app = make_app(LATE, keymap={})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press(key)
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        from msidbg.tui.screens.help import HelpSection

        # the pane-keys section is one widget since tuiux21: its rows are (pane, keys, what)
        keys = [row[1] for row in app.screen.query_one("#help-panes", HelpSection).cells]
        assert "ctrl+q" in keys


async def test_columns_off_the_right_edge_are_named_in_the_bottom_border() -> None:
    """In the 120-column layout the vector pane is 54 wide: a passthrough device's guest view
    (guest msg, gM, qpirq) was off its right edge with nothing to say it was there."""
    app = make_app(str(ROOT / "snapshots" / "xen-pirq-reuse-nvme.msgpack"), keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app._session is not None and not app.busy, limit=60)
        await idle(pilot, app)
        pane = app.query_one(VectorTable)
        assert str(pane.border_subtitle) == "3 more columns →: guest msg, gM, qpirq"
        pane.focus()
        await pilot.pause()
        for _ in range(pane.max_scroll_x):
            await pilot.press("right")
        await until(pilot, lambda: pane.scroll_x == pane.max_scroll_x)
        assert str(pane.border_subtitle) == ""


def test_a_xen_row_is_described_by_its_pirq_and_the_guests_message() -> None:
    """A click on a Xen passthrough row said 'sends pirq 101 to APIC -; kernel: irq 24 on CPU0
    vector 0x..' (a pirq irq has no x86 vector) and nothing of the guest's message."""
    w = Session.open(str(ROOT / "snapshots" / "xen-hvm-msix-mask-late.msgpack")).world
    assert table.describe_row(w, "eth0", 0) == ("eth0 entry 0: sends 0x31 to APIC 0 (masked pending); kernel: "
                                                "irq 24, pirq 101 port 1; guest wrote fee65000/0x700, qemu pirq 101")


async def test_diff_tui_at_80_columns_shows_each_events_kind() -> None:
    """Each side of diff --tui at 80 columns is 38 wide: index (8 wide) and virtual time took 22 of
    them and the kind -- what tells the runs apart -- was cut to its first letter ('i…', 'x…')."""
    from msidbg.debugger.diff import diff_files
    from msidbg.tui.diffapp import DiffApp

    app = DiffApp(diff_files(str(ROOT / "scenarios" / "xen-pirq-reuse-nvme.yaml"),
                             str(ROOT / "scenarios" / "xen-pirq-reuse-nvme-fixed.yaml")))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        rows = screen_text(app)
        cursor = next(r for r in rows if "▶" in r)
        a, b = cursor.split("││")
        assert "ioreq.msix_read" in a and "xen.hypercall" in b, cursor
    async with DiffApp(app.r).run_test(size=(200, 24)) as pilot:      # wide: the time stays
        await pilot.pause()
        # the first divergence (event 27) is at 120us: the three probes' Command and Message Control
        # reads queue in QEMU (revision 10), then CPU0's pirq read-back (af42b8d12f8a) against get_free_pirq
        cursor = next(r for r in screen_text(pilot.app) if "▶" in r)
        a, b = cursor.split("││")
        assert "27 0.000120000s" in a and "ioreq.msix_read" in a, cursor
        assert "27 0.000120000s" in b and "xen.hypercall" in b, cursor


async def test_a_snapshot_opened_without_verifying_shows_its_events_row_once_the_history_is_loaded() -> None:
    """open --no-verify at 80x24 (Marvell: the stop is about MSI message 0, row 8 of a table that
    shows 5): the event is known only once the history has loaded in the background, and the
    table stayed on entries 0-4 -- the row the stop is about was off screen."""
    app = make_app(str(ROOT / "snapshots" / "marvell-nvme-msi-blocked.msgpack"), keymap={}, verify=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app._session is not None and app.session.history_ready and not app.busy,
                    limit=60)
        await idle(pilot, app)
        pane = app.query_one(VectorTable)
        assert pane.view is not None and pane.view.row == 8
        assert pane.is_visible(8)
        assert any(line.startswith("│msi0 ") for line in screen_text(app))
