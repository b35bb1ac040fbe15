"""bugio31: the vector table pane shows a function's power state and its Command's Memory Space / Bus
Master bits once a pm_suspend / pm_freeze has it out of D0 (docs/scenario.md "pm_suspend"): a user stopped
after pm_suspend saw 'MSI-X enabled, 4 entries | driver: ok' while every table write was unclaimed."""

from __future__ import annotations

from msidbg.debugger import Session
from msidbg.tui import table
from msidbg.tui.app import make_app
from msidbg.tui.panes.vectors import VectorTable
from tests.tui.conftest import ROOT, idle

R01 = str(ROOT / "tests" / "resume30" / "r01-memoff-at-save-k66.yaml")
H01 = str(ROOT / "tests" / "resume30" / "h01-hvm-resume-k66.yaml")
T01 = str(ROOT / "tests" / "resume30" / "t01-thaw-after-offline-k412.yaml")
D3COLD = str(ROOT / "tests" / "resume30" / "r03-no-soft-reset-d3cold-k66.yaml")


def _first(s: Session, kind: str, after: int = 0) -> int:
    """The index of the first event of ``kind`` after ``after`` (the run must have ended)."""
    return next(i for i in range(max(after, 1), s.cursor + 1) if s.eng.log.event(i).kind == kind)


def _states(path: str, dev: str) -> list[tuple[int, list[str]]]:
    """Each change of ``power_state`` along the run: (event, parts)."""
    s = Session.from_scenario(path)
    s.run()
    out: list[tuple[int, list[str]]] = []
    for i in range(1, s.cursor + 1):
        s.seek(i)
        parts = table.power_state(s.world, dev)
        if not out or out[-1][1] != parts:
            out.append((i, parts))
    return out


def test_power_state_follows_suspend_and_resume() -> None:
    """r01: Memory Space cleared before the suspend; the saved Command is Mem- too (what the resume writes
    back); D3hot between dev.power D3hot and pm_resume's reset; nothing once resumed (pm state popped)."""
    got = [parts for _, parts in _states(R01, "eth0")]
    assert got == [
        [],
        ["D0", "Command Mem- BusMaster+, saved Mem- BusMaster+"],                   # pci_save_state
        ["D3hot: table accesses unclaimed, messages dropped", "Command Mem- BusMaster+, saved Mem- BusMaster+"],
        # pm_resume's PMCSR write (dev.power D0): the kernel's state is back, the function reaches D0 only with
        # the reset its D3hot -> D0 transition makes (reading kernel.pm.reset-with-transition, redteam31)
        ["D3hot: table accesses unclaimed, messages dropped", "Command Mem- BusMaster+"],
        [],                                                                           # dev.reset: D0
    ]
    cold = [parts[0] for _, parts in _states(D3COLD, "eth0") if parts]
    assert cold[-1] == "D3cold: table accesses unclaimed, messages dropped"


def test_kernel_side_state_when_the_function_stays_in_d0() -> None:
    """xen-hvm: QEMU's emulated PMCSR keeps the function in D0 while the guest's current_state is D3hot;
    a freeze (4.12) leaves it in D0 with current_state PCI_UNKNOWN, and 4.12's thaw keeps state_saved."""
    hvm = [parts[0] for _, parts in _states(H01, "eth0") if parts]
    assert "D0, kernel's current_state D3hot: messages cached" in hvm
    frozen = [parts[0] for _, parts in _states(T01, "eth0") if parts]
    assert frozen == ["D0", "D0, kernel's current_state PCI_UNKNOWN: messages cached", "D0"]


async def test_the_pane_header_shows_d3hot_after_pm_suspend_at_80x24() -> None:
    """Stopped after pm_suspend at 80x24: the header says D3hot and Mem-, each line within the pane."""
    s = Session.from_scenario(R01)
    s.run()
    power = _first(s, "dev.power")
    app = make_app(R01, keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        app.goto(power)
        await idle(pilot, app)
        assert app.view is not None and app.view.device == "eth0"
        pane = app.query_one(VectorTable)
        width = pane.scrollable_content_region.width
        text = [pane.render_line(y).text.rstrip() for y in range(pane.header_lines - 1)]
        joined = " | ".join(text)
        assert "D3hot: table accesses unclaimed, messages dropped" in joined, text
        assert "Command Mem- BusMaster+, saved Mem- BusMaster+" in joined, text
        assert all(len(t) <= width for t in text), (width, text)
        app.goto(_first(s, "dev.reset", power + 1))             # pm_resume's reset, D0: gone again
        await idle(pilot, app)
        text = [pane.render_line(y).text.rstrip() for y in range(pane.header_lines - 1)]
        assert not any("D3hot" in t or "BusMaster" in t for t in text), text
