"""The breakpoint dialog: a typo in a path is refused there (issue 15 item 4), and Tab completes
world paths from the live world with their values (the "path completion" of the issue)."""

from __future__ import annotations

from msidbg.tui.app import make_app
from msidbg.tui.complete import complete
from msidbg.tui.screens.prompt import Prompt
from tests.tui.conftest import MASKED, idle, session_at


async def test_a_typo_in_a_watch_path_is_refused_in_the_dialog_with_the_segment_named() -> None:
    app = make_app(MASKED, keymap={})
    async with app.run_test(size=(120, 32)) as pilot:
        before = [b.spec for b in app.session.breakpoints]
        for spec, bad in (("cpus[1].irrr", "cpus[1] has no field 'irrr'"),
                          ("devices.eth9.msix", "devices has no device 'eth9'")):
            await pilot.press("W", *spec, "enter")
            assert isinstance(app.screen, Prompt)
            lines = app.screen.error.splitlines()
            assert lines[0].startswith(bad) and "expected one of:" in lines[0]
            assert lines[2].index("^") == lines[1].index(spec.split(".")[-1 if "irrr" in spec else 1])
            await pilot.press("escape")
        await pilot.press("a", *"if cpu[1].irrr[0x21]", "enter")
        assert isinstance(app.screen, Prompt) and "did you mean 'irr'?" in app.screen.error
        await pilot.press("escape")
        assert [b.spec for b in app.session.breakpoints] == before


async def test_tab_completes_a_path_and_shows_the_values_at_the_cursor() -> None:
    app = make_app(MASKED, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        # event 44: entry 0's first message reaches CPU1 (0x21 in its IRR until 45 accepts it);
        # 2 later than before the probe's pci_enable_device + pci_set_master Command writes, 1 more
        # for msix_capability_init's pci_intx_for_msi Interrupt Disable write (intx36)
        await pilot.press("g", *"44", "enter")
        await idle(pilot, app)
        ev = app.session.event(44)
        assert ev is not None and (ev.kind, ev.cpu, ev.fields["index"]) == ("msi.msg", 1, 0)
        await pilot.press("W", *"cpu[1].ir", "tab")
        prompt = app.screen
        assert isinstance(prompt, Prompt)
        assert "irr      vectors set: 0x21" in prompt.candidates.splitlines()       # CPU1's IRR at event 44
        await pilot.press("r", "[", "tab")
        inp = prompt.query_one("#prompt-input")
        assert inp.value == "watch cpu[1].irr[0x21]"  # type: ignore[attr-defined]
        assert prompt.candidates == "= 1 (set)"
        await pilot.press("enter")
        assert not isinstance(app.screen, Prompt)
        assert app.session.breakpoints[-1].spec == "watch cpu[1].irr[0x21]"


def test_completion_of_names_indexes_and_event_fields() -> None:
    s = session_at(MASKED, 41)
    w, ev = s.world, s.event(41)
    got = complete(w, "watch devices.", len("watch devices."))
    assert got is not None and got.text == "watch devices.eth0" and got.value == "{7 keys}"
    got = complete(w, "if pci.eth0.st == 1", len("if pci.eth0.st"))
    assert got is not None and got.text == "if pci.eth0.status == 1" and got.value == "'ok'"
    got = complete(w, "if irq[", len("if irq["))
    assert got is not None and "24" in [c.text for c in got.candidates]
    got = complete(w, "if event.ki", len("if event.ki"), ev)
    assert got is not None and got.text == "if event.kind" and got.value == repr(ev.kind)  # type: ignore[union-attr]
    assert complete(w, "if 1 == ", len("if 1 == ")) is None
