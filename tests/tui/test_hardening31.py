"""hardening31: the goto prompt takes ASCII digits only -- '٣' (Arabic-Indic three) went to event 3."""

from __future__ import annotations

import pytest

from msidbg.tui.app import make_app
from msidbg.tui.commands import EVENT_EXPECTED, parse_event
from msidbg.tui.screens.prompt import Prompt
from tests.tui.conftest import MASKED, idle


@pytest.mark.parametrize(("text", "got"), [
    ("205", (205, None)), (" #1,024 ", (1024, None)), ("+10", (60, None)), ("-3", (47, None)), ("-99", (0, None)),
    ("٣", (None, f"'٣' (U+0663) is not a digit 0-9 ({EVENT_EXPECTED})")),
    ("1٠", (None, f"'٠' (U+0660) is not a digit 0-9 ({EVENT_EXPECTED})")),
    ("３", (None, f"'３' (U+FF13) is not a digit 0-9 ({EVENT_EXPECTED})")),
    ("²", (None, f"'²' (U+00B2) is not a digit 0-9 ({EVENT_EXPECTED})")),
    ("9" * 5000, (None, f"5,000 digits is too many ({EVENT_EXPECTED}, at most 20 digits)")),
    ("x", (None, EVENT_EXPECTED)), ("", (None, EVENT_EXPECTED)), ("+-3", (None, EVENT_EXPECTED))])
def test_the_goto_prompt_reads_ascii_digits_only(text: str, got: tuple[int | None, str | None]) -> None:
    assert parse_event(text, 50) == got


async def test_an_arabic_indic_digit_in_the_goto_prompt_is_refused_there() -> None:
    app = make_app(MASKED, keymap={})
    async with app.run_test(size=(120, 32)) as pilot:
        await idle(pilot, app)
        before = app.session.cursor
        await pilot.press("g")
        assert isinstance(app.screen, Prompt)
        app.screen.query_one("Input").value = "٣"      # (typed through an input method)
        await pilot.press("enter")
        assert isinstance(app.screen, Prompt) and app.screen.error.startswith("'٣' (U+0663) is not a digit 0-9")
        await pilot.press("escape")
        await idle(pilot, app)
        assert app.session.cursor == before


def test_the_run_to_time_prompt_names_a_digit_other_than_0_9() -> None:
    from msidbg.tui.driver import parse_time, time_problem

    assert parse_time("٣ms") is None
    assert time_problem("٣ms") == "'٣' (U+0663) is not a digit 0-9 (expected a time such as 2ms, 1.5us or 1200 (ns))"
    assert time_problem("x") == "expected a time such as 2ms, 1.5us or 1200 (ns)"
