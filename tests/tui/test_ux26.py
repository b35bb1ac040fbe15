"""hardening26: the status line and the event log at 80x24 (the smallest terminal the TUI is
made for): the stop's "w: why" hint kept with its stop, and a Xen hypercall's result (``ret=``)
on screen instead of behind the cut of a fixed 8-column index."""

from __future__ import annotations

from msidbg.tui.panes.events import EventRows
from tests.tui.conftest import LATE, ROOT, idle, screen_text, status_lines

SEP = "│"
XEN = str(ROOT / "scenarios" / "xen-pirq-reuse-nvme.yaml")


async def test_the_status_line_breaks_between_its_parts_at_80x24() -> None:
    """The first line wrapped where the width ran out: "... msix-write-unmasked ·" then "w: why  │ ..."
    on the next row (the hint cut from its stop), and a row could end in a separator."""
    from msidbg.tui.app import make_app

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("c")
        await idle(pilot, app)
        rows = status_lines(app)
        first = rows[:2]
        assert any("breakpoint msix-write-unmasked · w: why" in r for r in first), rows
        for r in first:
            assert not r.startswith(("w: why", "·", SEP)) and not r.endswith(("·", SEP)), rows
        shown = " ".join(first)
        for part in ("event 26 / 26+", "eth0 · CPU0", "t=0.000201100s", "msix-write-while-unmasked · bare-metal"):
            assert part in shown, rows
        assert rows[2].startswith("▶26 ") and "── eth0 entry 0 addr_lo written" in " ".join(rows)


async def test_the_status_line_leaves_out_the_platform_before_a_third_row() -> None:
    """A part that fits nowhere is shortened (the scenario without its platform), then left out:
    the line's height stays the terminal's, a stop does not move the panes."""
    from textual.content import Content

    from msidbg.tui.panes.status import _pack

    parts = [Content("a" * 30), Content("b" * 40), Content("c" * 30)]
    assert _pack([*parts, Content("scn · plat")], 78, (Content("scn"), None)).plain.split("\n") == \
        ["a" * 30 + "  │  " + "b" * 40, "c" * 30 + "  │  scn · plat"]
    wide = [Content("a" * 70), Content("b" * 70)]
    assert _pack([*wide, Content("scenario-name · x")], 78, (Content("scenario-name"), None)).plain \
        == "a" * 70 + "\n" + "b" * 70
    assert _pack([Content("a" * 50), Content("b" * 70), Content("s" * 20 + " · p" * 3)], 78,
                 (Content("s" * 20), None)).plain == "a" * 50 + "  │  " + "s" * 20 + "\n" + "b" * 70


async def test_the_event_log_shows_a_hypercalls_result_at_80x24() -> None:
    """The index column was 8 wide for every run (12 million events) and the CPU and device
    columns 5 and 6: at 80x24 a 300-event Xen run's ``xen.hypercall op=EVTCHNOP_close arg=1 ret=0``
    was cut before ``ret=`` -- the result of the call. The columns are now as wide as this run
    needs: the index as its total's digits, the CPU as its last CPU's name, the device as its
    longest device name."""
    from msidbg.tui.app import make_app

    app = make_app(XEN, keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        # event 163 (148 before intx36: each of the three nvme probes' pci_intx_for_msi is a trapped
        # Command read and write through QEMU, +5 events each)
        await pilot.press("g", *"163", "enter")
        await idle(pilot, app)
        rows = app.query_one(EventRows)
        rows.focus()
        await pilot.pause(0.3)
        line = next((r for r in screen_text(app) if "▶163 " in r), None)
        assert line is not None, screen_text(app)
        assert "xen.hypercall    op=EVTCHNOP_close arg=1 ret=0 " in line and "…" not in line, line
        assert "│▶163 0.000652800s cpu0 nvme0 xen.hypercall" in line, line
        # the other rows line up with it
        others = [r for r in screen_text(app) if " 0.000" in r and "│" in r[:2]]
        assert len(others) > 5 and len({r.index(" 0.000") for r in others}) == 1, others


def test_columns_follow_the_run() -> None:
    from msidbg.sim.events import Event
    from msidbg.tui.eventfilter import WIDE, columns, event_text

    assert columns(121, 2, ["eth0"]) == (3, 4, 4)
    assert columns(0, 1, []) == (1, 4, 0)
    assert columns(12_000_000, 256, ["nvme0", "a-long-name"]) == (8, 6, 11)
    e = Event(index=7, time_ns=1000, cpu=None, dev=None, kind="run.end", fields={})
    assert event_text(e, WIDE).startswith("       7 0.000001000s              run.end")
    assert event_text(e, (1, 4, 4)).startswith("7 0.000001000s           run.end")
