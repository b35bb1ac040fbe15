"""ux5: the TUIs on scenarios nobody wrote for them, at 80x24."""

from __future__ import annotations

from pathlib import Path

from tests.test_ux5_values import ONE_CPU
from tests.tui.conftest import screen_text


async def test_diff_tui_at_80x24_shows_both_events_fields_whole(tmp_path: Path) -> None:
    """Two runs that differ in a fire count part ways at an MSI: A sends vector index 3's
    message, B still index 0's. Each side at 80 columns is 38 wide and cut both rows to
    'msi.msg inde…': the one field that differed was on neither side of the screen."""
    from msidbg.debugger.diff import diff_files
    from msidbg.tui.diffapp import DiffApp

    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(ONE_CPU.format(suffix="", count=50))
    b.write_text(ONE_CPU.format(suffix="-b", count=60))
    app = DiffApp(diff_files(str(a), str(b)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        rows = screen_text(app)
        cursor = next(r for r in rows if "▶" in r)
        assert "index=" not in cursor                     # the sides still cut the fields
        text = "\n".join(rows)
        assert " A  cpu0 eth0 msi.msg index=3 " in text and " B  cpu0 eth0 msi.msg index=0 " in text, text
        assert "first divergence: dev.eth0" in text and "q Quit" in rows[-1]
        await pilot.press("down", "down", "down")
        await pilot.pause()
        a_ev, b_ev = app.cursors()
        text = "\n".join(screen_text(app))
        assert f"A #{a_ev}  B #{b_ev}" in text and " A  cpu0 eth0 irq.handler irq=" in text
