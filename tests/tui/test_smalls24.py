"""smalls24: the run-to-time prompt says its default unit; the log's kind column fits every kind."""

from __future__ import annotations

from msidbg.sim.events import Event
from tests.tui.conftest import screen_text


async def test_run_to_time_prompt_says_a_bare_number_is_nanoseconds() -> None:
    """``t`` then ``5``: 5ns, which the prompt never said (its placeholder was "e.g. 2ms")."""
    from msidbg.tui.app import make_app
    from msidbg.tui.screens.prompt import Prompt
    from tests.tui.conftest import LATE

    app = make_app(LATE, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, Prompt)
        assert any("a bare number is nanoseconds (5 = 5ns)" in row for row in screen_text(app))


def test_the_kind_column_fits_the_longest_kind() -> None:
    """The column was 14 wide: ioreq.cfg_write (15) and irq.nobody_cared (16) pushed their fields out of line."""
    import msidbg.debugger.session  # noqa: F401  (registers the model's event kinds)
    from msidbg.sim.events import all_kinds
    from msidbg.tui.diffapp import line_text
    from msidbg.tui.eventfilter import event_text

    longest = max(len(k.name) for k in all_kinds())
    assert longest >= 15

    def starts(kind: str) -> tuple[int, int]:
        e = Event(index=7, time_ns=1000, kind=kind, cpu=0, dev="nic0", fields={})
        return len(event_text(e)), len(line_text(e, narrow=True))

    # every kind's fields start in the same column: the text up to them has one length
    assert len({starts(k.name) for k in all_kinds()}) == 1
