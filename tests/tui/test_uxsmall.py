"""Small UX defects (uxsmall): the diff app's help screen, ..."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msidbg.debugger.diff import diff_files
from tests.tui.conftest import ROOT


async def test_question_mark_in_diff_tui_opens_a_help_screen_listing_its_bindings() -> None:
    """``?`` in ``diff --tui`` did nothing, though ``run``'s TUI has a help screen: it now lists
    every key the diff app binds (from its BINDINGS), and ``?`` / escape closes it."""
    from msidbg.tui.diffapp import DiffApp, DiffHelpScreen

    r = diff_files(str(ROOT / "scenarios" / "msix-write-while-unmasked.yaml"),
                   str(ROOT / "scenarios" / "msix-write-while-unmasked-fixed.yaml"))
    app = DiffApp(r)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, DiffHelpScreen)
        rows = dict(app.screen.rows())
        for keys in ("q", "down", "up", "pagedown", "pageup", "tab", "f", "n", "N", "?, f1"):
            assert keys in rows, rows
        assert "first divergence" in rows["f"] and "next diverging context" in rows["n"]
        cursor = app.cursor
        await pilot.press("down")                 # the help is modal: the cursor stays
        assert app.cursor == cursor
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DiffHelpScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, DiffHelpScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, DiffHelpScreen)


def test_why_title_of_a_whole_record_shows_its_fields_as_its_link_does() -> None:
    """The title of ``why`` of a whole MSI-X entry showed ``data: 33`` in decimal over its link's
    ``data: 0x21``: the title now formats the value as the chain's link of the same path does."""
    from msidbg.debugger.session import Session
    from msidbg.debugger.whytext import link_value, render

    s = Session.open(str(ROOT / "snapshots" / "msix-write-while-unmasked.msgpack"))
    for path in ("devices.eth0.msix.table[0]", "devices.eth0.msix.table[0].data"):
        w = s.why(path)
        link = next(lk for lk in w.chain if lk.path == path)
        assert w.target["text"].startswith(f"{path} = {link_value(link)} at event "), (w.target["text"], link_value(link))
        assert "0x21" in render(w).splitlines()[0]


def test_open_and_report_no_verify_name_a_device_the_scenario_does_not_have(tmp_path: Path) -> None:
    """A stored world with one device more than its scenario: ``open --no-verify`` and ``report
    --no-verify`` said only 'world: does not have the shape...', naming no path (a device missing
    was named); now one line naming the device's path, its name cut and escaped."""
    import copy

    from tests.bugio.helpers import cli
    from tests.test_hostile_snapshot import reshaped

    def extra(w: dict[str, Any]) -> None:
        w["devices"]["eth9"] = copy.deepcopy(w["devices"]["eth0"])

    path = reshaped(tmp_path, extra)
    line = (f"msidbg: {path}: world: devices.eth9 is not a device of the scenario (expected its devices: eth0; the "
            "file was modified or written by another version: try without --no-verify)\n")
    for cmd in ("open", "report"):
        assert cli(cmd, str(path), "--no-verify") == (2, "", line)

    def hostile(w: dict[str, Any]) -> None:
        w["acct"]["\x1b[2J" + "x" * 500] = w["acct"]["eth0"]

    (tmp_path / "h").mkdir()
    code, out, err = cli("open", str(reshaped(tmp_path / "h", hostile)), "--no-verify")
    assert code == 2 and err.count("\n") == 1 and "\x1b" not in err and len(err) < 400
    assert "world: acct.\\x1b[2Jxxx" in err, err
