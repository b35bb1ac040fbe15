"""hardening28, walked in tmux at 80x24 and 200x50: at the 2021 bug's stop (msix.write of entry 0's
addr_lo, by CPU0, of a message to CPU0 vector 0x21) the APIC pane kept the vector selected before --
'CPU0 vector 0x20: CLEANUP' in its border, unrelated to the stop -- because the event names a CPU and
no vector. The vector its row's message names there is selected now (not when the message addresses
another CPU: the pane shows the writer's CPU, whose stacks did the write)."""

from __future__ import annotations

from msidbg.debugger import Session
from msidbg.tui import follow
from msidbg.tui.app import make_app
from msidbg.tui.digest import Changes
from msidbg.tui.panes.apic import ApicGrid
from tests.tui.conftest import ROOT, idle

SCN = str(ROOT / "scenarios" / "msix-write-while-unmasked.yaml")


async def test_the_stop_on_an_entry_write_selects_the_vector_its_message_names() -> None:
    app = make_app(SCN, keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app, 30)
        await pilot.press("c")
        await idle(pilot, app, 30)
        assert app.session.cursor == 26 and app.session.last_stop.breakpoint == "msix-write-unmasked"
        grid = app.query_one(ApicGrid)
        assert grid.selected == (0, 0x21)
        assert str(grid.border_subtitle) == "CPU0 vector 0x21: irq 24 PCI-MSIX eth0 #0, handler eth0-0"


def test_an_entry_write_addressed_to_another_cpu_keeps_the_writers_cpu_and_names_no_vector() -> None:
    """Event 21 writes addr_lo 0xfee02004 (CPU1) from CPU0: the focus stays on CPU0 with no vector (the
    user's stays selected), as before; event 26 (0xfee01004: CPU0) names vector 0x21 on CPU0."""
    s = Session.from_scenario(SCN)
    got = {}
    for i in (21, 26):
        s.seek(i)
        e = s.event(i)
        assert e is not None and e.kind == "msix.write" and e.get("reg") == "addr_lo"
        got[i] = follow.focus(s.world, e, Changes())
    assert got[21] == follow.Focus("eth0", 0, None, 0)
    assert got[26] == follow.Focus("eth0", 0, 0x21, 0)
