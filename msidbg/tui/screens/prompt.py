"""A one-line prompt that checks its answer before closing, showing the error inline.

The caller gives a ``check(text) -> (value, error)`` function: the App's wrappers around the
Session (a breakpoint spec is armed by the check itself, so the parser's own error and caret
are what the user sees). Escape cancels with None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

Check = Callable[[str], tuple[Any, str | None]]


class Prompt(ModalScreen[Any]):
    """Ask for one line; dismiss with the checked value, or stay open showing the error."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, check: Check, *, value: str = "", placeholder: str = "",
                 hint: str = "", select_all: bool = True) -> None:
        """``select_all``: the initial value is selected (typing replaces it), else the cursor
        waits after it (a prefix such as "watch ")."""
        super().__init__()
        self.select_all = select_all
        self.title_text = title
        self.check = check
        self.value = value
        self.placeholder = placeholder
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Label(self.title_text, id="prompt-title")
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input",
                        select_on_focus=self.select_all)
            yield Static("", id="prompt-error")
            if self.hint:
                yield Static(self.hint, id="prompt-hint")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        value, error = self.check(event.value)
        if error is None:
            self.dismiss(value)
            return
        box = self.query_one("#prompt-error", Static)
        box.update(error)
        box.add_class("-error")

    @on(Input.Changed)
    def _edited(self) -> None:
        box = self.query_one("#prompt-error", Static)
        if box.has_class("-error"):
            box.update("")
            box.remove_class("-error")

    @property
    def error(self) -> str:
        """The error shown under the input ("" when none)."""
        return str(self.query_one("#prompt-error", Static).content)

    def action_cancel(self) -> None:
        self.dismiss(None)
