"""What the screen shows while a snapshot opens: a progress bar, and how to cancel.

Opening a big snapshot takes seconds (reading and checking the file, then verifying it by
replay), so the App starts with this widget at once, does the work in the background and
replaces it with the main panes when the Session is ready. Escape (or q, ctrl+c) cancels.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Label, ProgressBar, Static

from msidbg.guard import escape


class Opening(Vertical, can_focus=True):
    """Progress of opening ``source``: first reading and checking it, then the replay."""

    #: its rows on the help screen (``help.PANE_KEYS`` / ``DIALOG_KEYS``)
    HELP_TITLE = "opening"
    BINDINGS = [Binding("escape,q,ctrl+c", "app.cancel_open", "Cancel", priority=True)]

    def __init__(self, source: str, verify: bool, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source
        self.verify = verify

    def compose(self) -> ComposeResult:
        yield Label(Content(f"Opening {escape(self.source)}"), id="opening-title")
        yield ProgressBar(total=None, show_eta=False, id="opening-bar")
        yield Static("reading and checking the file…", id="opening-phase")
        hint = "escape cancels"
        if self.verify:
            hint += "  ·  msidbg open --no-verify shows the stored world at once and replays it later"
        yield Static(hint, id="opening-hint")

    def on_mount(self) -> None:
        self.focus()

    def replaying(self, target: int) -> None:
        """The file is read: now the replay that verifies it, up to event ``target``."""
        self.query_one(ProgressBar).update(total=max(target, 1), progress=0)
        self.query_one("#opening-phase", Static).update(f"verifying by replay: event 0 of {target:,}")

    def replayed(self, events: int, target: int) -> None:
        self.query_one(ProgressBar).update(progress=events)
        self.query_one("#opening-phase", Static).update(f"verifying by replay: event {events:,} of {target:,}")

    @property
    def phase(self) -> str:
        return str(self.query_one("#opening-phase", Static).content)
