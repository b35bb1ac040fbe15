"""The help screen (``?`` / F1): every debugger key as currently bound, and the pane keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from msidbg.tui.keys import ACTIONS

PANE_KEYS = (
    ("everywhere", "tab, shift+tab", "move between panes"),
    ("", "ctrl+q", "quit, as q does (asks first when breakpoints or bookmarks would be lost); "
     "ctrl+c only says so"),
    ("", "ctrl+p", "command palette: every debugger command, themes, maximise a pane"),
    ("", "escape", "restore a maximised pane; clear the event filter"),
    ("event log", "↑ ↓ pgup pgdn home end", "select an event (w explains it); enter or a single click goes there"),
    ("timeline", "← → ↑ ↓, + - 0", "select a column and a lane, zoom, whole run; enter or a click goes there"),
    ("APIC", "arrows, pgup pgdn", "select a vector / CPU (or the mouse): its vector_irq owner is shown below; "
     "w explains it"),
    ("breakpoints", "↑ ↓, delete, x", "select a breakpoint; delete or x disarms it"),
    ("vector table", "↑ ↓, ← →, mouse", "select a row (or click it): described below, w explains it; "
     "← → scroll; changed rows are highlighted"),
    ("pirq map", "↑ ↓, mouse", "select a pirq (Xen): w explains Xen's record of it"),
    ("dialogs", "tab", "in the breakpoint dialog: complete a world path, with its value"),
)
LEGEND = (
    ("▶", "the event at the cursor (event log, status line)"),
    ("5 / 40+", "status line: the event at the cursor / the events recorded; + until the run has reached "
     "its end (it may go further), (end) at its final event"),
    ("●", "an armed breakpoint fired at this event (event log); ▲ on the timeline"),
    ("dimmed", "events after the cursor: recorded, you stepped back"),
    ("■ ○ ·", "APIC grids: bit set; a vector with a vector_irq owner on that CPU; free"),
    ("L8 i4", "vector table dst / vector: L<hex> a logical destination (x2APIC cluster: cluster << 16 | "
     "one bit per CPU, L8 = cluster 0's 4th; xAPIC logical: its 8-bit destination), i4 the IRTE a remapped "
     "message goes through (i4 off: not present)"),
    ("M P", "vector table: mask bit set, pending bit set (· clear)"),
    ("- B", "MSI message that cannot be masked; blocked by an MSI-X entry's mask bit (quirk)"),
    ("╵ █ ▒ ✕ !", "timeline: signal sent, delivered, held (PBA / pending bit), lost, spurious"),
    ("█ ▄ !", "timeline CPU lanes: interrupt handling, other kernel activity, a spurious vector"),
    ("◆", "a bookmark (timeline)"),
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
                for pane, keys, what in PANE_KEYS:
                    yield Static(pane, classes="help-name")
                    yield Static(keys, classes="help-key")
                    yield Static(what, classes="help-what")
            with Grid(id="help-legend"):
                for mark, what in LEGEND:
                    yield Static(mark, classes="help-key")
                    yield Static(what, classes="help-what")
            yield Static("Rebind keys in $XDG_CONFIG_HOME/msidbg/keys.toml (or $MSIDBG_KEYS), e.g.\n"
                         "  [keys]\n  step = \"n,f10\"", id="help-config", markup=False)  # [keys] is no tag

    def rows(self) -> list[tuple[str, str]]:
        """(keys, action name) as shown, for tests."""
        keys = [str(s.content) for s in self.query("#help-keys .help-key").results(Static)]
        names = [str(s.content) for s in self.query("#help-keys .help-name").results(Static)]
        return list(zip(keys, names, strict=False))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
