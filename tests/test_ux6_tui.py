"""ux6: the TUI under long error notifications."""

from __future__ import annotations

import pytest

from msidbg.tui.app import make_app
from tests.conftest import SCENARIOS
from tests.tui.conftest import idle, screen_text, status_lines

BUG = str(SCENARIOS / "msix-write-while-unmasked.yaml")
LONG = ("replay diverged from the recording at event 2; first differing world path at the cursor (event "
        "23): acct.eth0.intended[0]; the recorded stop at event 23 does not replay: breakpoint "
        "'msix-write-unmasked' does not fire there; the file was written by an older model (msidbg 0.1.0, "
        "snapshot format 4, before model revisions were recorded; this msidbg has model revision 7) that "
        "behaves differently: opened without verification it shows only the recorded world at its cursor")


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
async def test_long_notifications_never_cover_the_status_line_or_the_footer(size: tuple[int, int]) -> None:
    """Two long errors (a no-verify snapshot of another model: the history load, then a step back)
    stacked down over the status line and the footer at 100x30, though docs/tui.md says
    notifications never go over the status line."""
    app = make_app(BUG, keymap={})
    async with app.run_test(size=size, notifications=True) as pilot:
        await idle(pilot, app)
        before = status_lines(app)
        footer = screen_text(app)[-1]
        app.notify(LONG, title="loading history", severity="error", timeout=30)
        app.notify(LONG, title="step back", severity="error", timeout=30)
        await pilot.pause(0.2)
        assert status_lines(app) == before, status_lines(app)
        assert screen_text(app)[-1] == footer
        assert any("replay diverged" in row for row in screen_text(app))   # shown, above them


def test_an_interrupt_accepted_or_acknowledged_is_about_the_device_that_owns_the_vector() -> None:
    """``apic.accept`` and ``apic.eoi`` name a CPU and a vector, no device: the vector table kept
    the device it showed, so event 200 of the torn-MSI scenario (CPU2 acknowledging the xHCI's
    vector 0x22) showed nvme0 after a goto and the xHCI after stepping back to it."""
    from msidbg.debugger import Session
    from msidbg.tui.digest import NO_CHANGES
    from msidbg.tui.follow import focus

    s = Session.from_scenario(str(SCENARIOS / "msi-torn-affinity-update.yaml"))
    s.run()
    seen = 0
    for e in s.events(1, s.total + 1):
        if e.kind not in ("apic.accept", "apic.eoi") or e.dev is not None:
            continue
        s.seek(e.index)
        w = s.world
        slot = w["cpus"][e.cpu]["vector_irq"].get(e.fields["vector"])
        owner = w["irqs"][slot]["dev"] if isinstance(slot, int) and slot in w["irqs"] else None
        f = focus(w, e, NO_CHANGES)
        assert f.device == owner and f.cpu == e.cpu, (e, f, owner)
        seen += owner is not None
        if e.index == 200:
            assert owner == "xhci" and f.row == 0   # its one MSI message (it has no MSI-X)
    assert seen > 100


def test_a_keys_entry_that_is_not_a_table_is_named_as_such() -> None:
    """``keys = 3`` (or ``[[keys]]``) was refused as "keys.keys: unknown action (...)"."""
    from msidbg.errors import MsidbgError
    from msidbg.tui.keys import parse_keymap

    for text, name in ((b"keys = 3\n", "k.toml"), (b"[[keys]]\nstep = 's'\n", "k.toml"), (b'{"keys": [1]}', "k.json")):
        with pytest.raises(MsidbgError) as e:
            parse_keymap(text, name)
        assert e.value.oneline().startswith(f"msidbg: {name}: keys: expected a table"), e.value.oneline()
    assert parse_keymap(b"[keys]\nstep = 'n'\n", "k.toml") == {"step": "n"}
    assert parse_keymap(b"step = 'n'\n", "k.toml") == {"step": "n"}     # a flat file, as before
