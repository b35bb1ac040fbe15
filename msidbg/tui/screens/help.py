"""The help screen (``?`` / F1): every debugger key as currently bound, and the pane keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
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
            for a in ACTIONS:
                keys = key_label(self.keymap.get(a.name, a.keys))
                yield Static(f"{keys:<14} {a.name:<17} {a.help}", classes="help-row")
            yield Static("")
            for keys, what in PANE_KEYS:
                yield Static(f"{keys}: {what}", classes="help-row")
            yield Static("\nRebind keys in $XDG_CONFIG_HOME/msidbg/keys.toml, e.g.  [keys]  step = \"n,f10\"",
                         classes="help-row")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
