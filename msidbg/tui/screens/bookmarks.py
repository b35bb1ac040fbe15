"""The bookmarks list (from the session and the snapshot it came from); enter jumps there."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from msidbg.debugger import Bookmark
from msidbg.guard import escape


class BookmarksScreen(ModalScreen[Bookmark | None]):
    """Pick a bookmark; dismisses with it (None on escape)."""

    #: its rows on the help screen (``help.PANE_KEYS`` / ``DIALOG_KEYS``)
    HELP_TITLE = "bookmarks"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, bookmarks: list[Bookmark], mark_key: str = "m") -> None:
        super().__init__()
        self.bookmarks = bookmarks
        #: the bookmark command's key as bound ("" when unbound): the empty list's hint names it
        self.mark_key = mark_key

    def compose(self) -> ComposeResult:
        how = f"press {self.mark_key} to bookmark" if self.mark_key else "the bookmark command (see ?) bookmarks"
        with Vertical(id="bookmarks-box"):
            yield Label(f"Bookmarks ({len(self.bookmarks)}) -- enter jumps, escape closes" if self.bookmarks else
                        f"No bookmarks yet: {how} the cursor's event -- escape closes", id="bookmarks-title",
                        markup=False)
            # names and notes come from snapshot files: escaped, and never read as markup
            options = [Option(Content(f"#{b.event:<8} {escape(b.name)}" + (f" -- {escape(b.note)}" if b.note else "")),
                              id=str(i)) for i, b in enumerate(self.bookmarks)]
            yield OptionList(*options, id="bookmarks-list")

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.bookmarks[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
