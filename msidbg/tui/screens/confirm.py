"""Quitting with breakpoints or bookmarks that no snapshot holds yet: ask first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class ConfirmQuit(ModalScreen[str | None]):
    """Dismisses with "quit", "save" or None (stay)."""

    #: its rows on the help screen (``help.PANE_KEYS`` / ``DIALOG_KEYS``)
    HELP_TITLE = "quit?"
    BINDINGS = [
        Binding("y,q", "answer('quit')", "Quit"),
        Binding("s,ctrl+s", "answer('save')", "Save first"),
        Binding("n,escape", "answer(None)", "Stay"),
    ]

    def __init__(self, unsaved: str) -> None:
        super().__init__()
        self.unsaved = unsaved

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Label("Quit msidbg?", id="confirm-title")
            yield Static(f"{self.unsaved} not saved in a snapshot file.")
            yield Static("y quit  ·  s save a snapshot, then quit  ·  n / escape stay", id="confirm-keys")

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)
