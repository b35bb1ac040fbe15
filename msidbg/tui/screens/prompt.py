"""A one-line prompt that checks its answer before closing, showing the error inline.

The caller gives a ``check(text) -> (value, error)`` function: the App's wrappers around the
Session (a breakpoint spec is armed by the check itself, so the parser's own error and caret
are what the user sees). Escape cancels with None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from msidbg.tui.complete import Completer

Check = Callable[[str], tuple[Any, str | None]]


class PromptInput(Input):
    """The prompt's input: tab completes, handled in the input's own queue of keys. As a priority
    binding of the screen, tab ran as soon as the App read it, before the input had inserted the
    keys typed ahead of it (tmux's or a fast typist's "cpu[" + tab completed "watch cpu", and a
    unique completion landed before the rest: "watch devices.emsix.ena"); as a plain binding it
    ran once the key had bubbled up to the App, after the keys typed behind it."""

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "tab" and isinstance(self.screen, Prompt):
            event.stop()
            event.prevent_default()
            self.screen.action_complete()
            return
        await super()._on_key(event)


class Prompt(ModalScreen[Any]):
    """Ask for one line; dismiss with the checked value, or stay open showing the error."""

    #: tab is handled by the input itself (``PromptInput``), in the order it was typed; this
    #: binding (replacing the Screen's focus_next: the dialog has one focusable widget) is only
    #: reached when the input is not focused
    #: its rows on the help screen (``help.PANE_KEYS`` / ``DIALOG_KEYS``)
    HELP_TITLE = "prompts"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("tab", "complete", "Complete")]

    def __init__(self, title: str, check: Check, *, value: str = "", placeholder: str = "",
                 hint: str = "", select_all: bool = True, complete: Completer | None = None) -> None:
        """``select_all``: the initial value is selected (typing replaces it), else the cursor
        waits after it (a prefix such as "watch "). ``complete``: what Tab does (world paths)."""
        super().__init__()
        #: keys typed ahead of this dialog (``g120`` enter at once), handed over by the App
        #: (``take_key``) before the input has focus: given to it, in order, once it has
        self.early: list[events.Key] | None = []
        self.completer = complete
        self.select_all = select_all
        self.title_text = title
        self.check = check
        self.value = value
        self.placeholder = placeholder
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Label(self.title_text, id="prompt-title")
            yield PromptInput(self.value, placeholder=self.placeholder, id="prompt-input",
                        select_on_focus=self.select_all)
            yield Static("", id="prompt-error")
            yield Static("", id="prompt-candidates")
            if self.hint:
                yield Static(self.hint, id="prompt-hint")

    def take_key(self, event: events.Key) -> None:
        """A key typed ahead of this dialog: the App read it while the screen below was on top
        and forwarded it to the pane focused there; it came back to the App's bindings once this
        dialog was up, and was lost ("expected an event number" for ``g60`` enter) or run as a
        command (the s's of "irq-spurious" stepped twice). The input gets it, in order."""
        key = events.Key(event.key, event.character)      # afresh: that one was forwarded already
        if self.early is not None:
            self.early.append(key)
        else:
            self.query_one(PromptInput)._forward_event(key)

    @on(events.DescendantFocus)
    def _input_focused(self) -> None:
        """The input has focus: hand it the keys typed before, in order; later ones reach it
        after them (the App forwards each key to the focused input as it reads it)."""
        early, self.early = self.early, None
        if early:
            inp = self.query_one(PromptInput)
            for key in early:
                inp._forward_event(key)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        value, error = self.check(event.value)
        if error is None:
            self.dismiss(value)
            return
        box = self.query_one("#prompt-error", Static)
        box.update(Content(error))
        box.add_class("-error")

    @on(Input.Changed)
    def _edited(self) -> None:
        box = self.query_one("#prompt-error", Static)
        if box.has_class("-error"):
            box.update("")
            box.remove_class("-error")

    def action_complete(self) -> None:
        """Tab: complete the world path before the cursor; list the candidates with their values."""
        if self.completer is None:
            return
        inp = self.query_one("#prompt-input", Input)
        got = self.completer(inp.value, inp.cursor_position)
        box = self.query_one("#prompt-candidates", Static)
        if got is None:
            box.update("")
            return
        inp.value, inp.cursor_position = got.text, got.cursor
        if len(got.candidates) == 1 or not got.candidates:
            box.update(Content(f"= {got.value}" if got.value else "(nothing here by that name)"))
        else:
            width = max(len(c.text) for c in got.candidates)
            box.update(Content("\n".join(f"{c.text.ljust(width)}  {c.value}" for c in got.candidates[:12])
                               + (f"\n… {len(got.candidates) - 12} more" if len(got.candidates) > 12 else "")))

    @property
    def candidates(self) -> str:
        """The completion list (or value) shown under the input."""
        return str(self.query_one("#prompt-candidates", Static).content)

    @property
    def error(self) -> str:
        """The error shown under the input ("" when none)."""
        return str(self.query_one("#prompt-error", Static).content)

    def action_cancel(self) -> None:
        self.dismiss(None)
