"""The help screen (``?`` / F1): every debugger key as currently bound, and the pane keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from msidbg.tui.keys import ACTIONS

PANE_KEYS = (
    ("tab / shift+tab", "move between panes"),
    ("ctrl+p", "command palette (every debugger command, theme)"),
    ("escape", "restore a maximised pane; clear the event filter"),
    ("event log: up/down, pgup/pgdn, home/end", "select an event; enter goes there"),
    ("APIC: arrows, pgup/pgdn, mouse", "select a vector / CPU; its vector_irq owner is shown below the grid"),
    ("breakpoints: up/down, delete or x", "select and disarm a breakpoint"),
    ("vector table: arrows", "scroll; rows that changed at this event are highlighted"),
)


def key_label(keys: str) -> str:
    names = {"question_mark": "?", "slash": "/", "left_square_bracket": "[", "right_square_bracket": "]"}
    return ", ".join(names.get(k, k) for k in keys.split(","))


class HelpScreen(ModalScreen[None]):
    """A table of keys; ``keymap`` holds the user's rebindings (action name -> keys)."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static("msidbg keys", id="help-title")
            with Grid(id="help-keys"):
                for a in ACTIONS:
                    yield Static(key_label(self.keymap.get(a.name, a.keys)), classes="help-key")
                    yield Static(a.name, classes="help-name")
                    yield Static(a.help, classes="help-what")
            with Grid(id="help-panes"):
                for keys, what in PANE_KEYS:
                    yield Static(keys, classes="help-key")
                    yield Static(what, classes="help-what")
            yield Static("Rebind keys in $XDG_CONFIG_HOME/msidbg/keys.toml (or $MSIDBG_KEYS), e.g.\n"
                         "  [keys]\n  step = \"n,f10\"", id="help-config")

    def rows(self) -> list[tuple[str, str]]:
        """(keys, action name) as shown, for tests."""
        keys = [str(s.content) for s in self.query(".help-key").results(Static)]
        names = [str(s.content) for s in self.query(".help-name").results(Static)]
        return list(zip(keys, names, strict=False))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
