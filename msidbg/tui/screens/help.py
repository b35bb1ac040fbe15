"""The help screen (``?`` / F1): every debugger key as currently bound, and the pane keys."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from msidbg.tui.keys import ACTIONS

#: (where, keys, what): the keys each pane binds (its ``HELP_TITLE`` names its rows; a row with no
#: "where" continues the one above). tests/tui/test_ux30.py checks that every key bound by the App,
#: each pane and each dialog is on its row, so a new binding cannot go unlisted.
PANE_KEYS = (
    ("everywhere", "tab, shift+tab", "move between panes"),
    ("", "ctrl+q", "quit, as q does (asks first when breakpoints or bookmarks would be lost)"),
    ("", "ctrl+c", "only says how to quit (ctrl+q or q)"),
    ("", "ctrl+p", "command palette: every debugger command, themes, maximise a pane"),
    ("", "escape", "restore a maximised pane; stop the event filter's search if one runs, else clear the filter"),
    ("event log", "↑ ↓ pgup pgdn home end", "select an event (w explains it)"),
    ("", "enter", "go to the selected event; a single click goes there"),
    ("timeline", "← → ↑ ↓", "select a column and a lane"),
    ("", "shift+← shift+→", "ten columns earlier / later (past an edge: the window moves a quarter)"),
    ("", "pgup pgdn", "as shift+← shift+→"),
    ("", "+ = - 0", "zoom in (+ or =), zoom out, the whole run"),
    ("", "enter", "go to the nearest event; a click goes there"),
    ("APIC", "← → ↑ ↓", "select a vector (↑ ↓: 16 at a time; or the mouse): its vector_irq owner is shown "
     "below; w explains it"),
    ("", "pgup pgdn", "select the previous / next CPU"),
    ("breakpoints", "↑ ↓, delete, x", "select a breakpoint; delete or x disarms it"),
    ("vector table", "↑ ↓, ← →, mouse", "select a row (or click it): described below, w explains it; "
     "← → scroll; changed rows are highlighted"),
    ("pirq map", "↑ ↓, mouse", "select a pirq (Xen): w explains Xen's record of it"),
)
#: (dialog, keys, what): the keys of the dialogs the debugger opens (their ``HELP_TITLE``)
DIALOG_KEYS = (
    ("prompts", "enter, escape", "answer (checked first: an error is shown in the dialog) / cancel"),
    ("", "tab", "in the breakpoint dialog: complete a world path, with its value"),
    ("why chain", "↑ ↓, enter", "select a link; enter goes to its event"),
    ("", "escape, w", "close"),
    ("bookmarks", "↑ ↓, enter", "select a bookmark; enter goes to its event"),
    ("", "escape", "close"),
    ("quit?", "y, q", "quit without saving"),
    ("", "s, ctrl+s", "save a snapshot, then quit"),
    ("", "n, escape", "stay"),
    ("behaviour", "escape, q", "close the switch table (ctrl+p: Behaviour)"),
    ("opening", "escape, q, ctrl+c", "cancel opening a snapshot"),
    ("help", "escape, q, ?, f1", "close this help"),
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


class HelpSection(Widget):
    """One section of the help: rows of columns, every column but the last as wide as its
    widest cell (at least its ``widths``), the last wrapped to the width left. Laid out as text
    for the width it gets, when painted; the styles name theme variables, so a theme change
    repaints it in the new colours."""

    DEFAULT_CSS = "HelpSection { height: auto; }"

    def __init__(self, rows: Sequence[tuple[str, ...]], widths: tuple[int, ...], styles: tuple[str, ...],
                 *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.cells = rows
        self.looks = styles
        self.widths = [max([w] + [len(r[n]) for r in rows]) for n, w in enumerate(widths[:-1])]
        self._laid: tuple[int, Content, int] | None = None

    def lines(self, width: int) -> list[Content]:
        """The section's lines at ``width`` columns."""
        indent = sum(w + 1 for w in self.widths)
        room = max(width - indent, 16)
        out: list[Content] = []
        for row in self.cells:
            wrapped = textwrap.wrap(row[-1], room) or [""]
            parts: list[tuple[str, str] | str] = []
            for n, w in enumerate(self.widths):
                parts += [(row[n].ljust(w), self.looks[n]), " "]
            out.append(Content.assemble(*parts, (wrapped[0], self.looks[-1])))
            out.extend(Content.assemble(" " * indent, (more, self.looks[-1])) for more in wrapped[1:])
        return out

    def _layout(self, width: int) -> tuple[Content, int]:
        if self._laid is None or self._laid[0] != width:
            lines = self.lines(width)
            self._laid = (width, Content("\n").join(lines), len(lines))
        return self._laid[1], self._laid[2]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._layout(width)[1]

    def render(self) -> Content:
        return self._layout(self.content_size.width)[0]


class HelpScreen(ModalScreen[None]):
    """A table of keys; ``keymap`` holds the user's rebindings (action name -> keys).

    Each section is one widget laid out as text when painted: the screen was ~130 ``Static``
    cells in three ``Grid``s, and composing and styling them made the first ``?`` on
    big-table.yaml cost ~210 ms of CPU (~600 ms wall on a busy machine)."""

    #: its rows on the help screen (``help.PANE_KEYS`` / ``DIALOG_KEYS``)
    HELP_TITLE = "help"
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap
        self._keys = [(key_label(self.keymap.get(a.name, a.keys)), a.name, a.help) for a in ACTIONS]

    def sections(self) -> list[HelpSection]:
        key, name, what = "bold $accent", "$text-muted", ""
        return [
            HelpSection(self._keys, (12, 18, 0), (key, name, what), id="help-keys"),
            HelpSection(list(PANE_KEYS), (14, 24, 0), (name, key, what), id="help-panes"),
            HelpSection(list(DIALOG_KEYS), (14, 24, 0), (name, key, what), id="help-dialogs"),
            HelpSection(list(LEGEND), (12, 0), (key, what), id="help-legend"),
        ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static("msidbg keys", id="help-title")
            yield from self.sections()
            yield Static("Rebind keys in $XDG_CONFIG_HOME/msidbg/keys.toml (or $MSIDBG_KEYS), e.g.\n"
                         "  [keys]\n  step = \"n,f10\"", id="help-config", markup=False)  # [keys] is no tag

    def rows(self) -> list[tuple[str, str]]:
        """(keys, action name) as shown, for tests."""
        return [(k, n) for k, n, _ in self._keys]

    def key_rows(self) -> dict[str, list[tuple[str, str]]]:
        """{where: [(keys, what), ...]} as shown: "keys" for the debugger's keys, else a pane's or a
        dialog's ``HELP_TITLE`` (tests)."""
        out: dict[str, list[tuple[str, str]]] = {"keys": [(k, w) for k, _, w in self._keys]}
        for table in (PANE_KEYS, DIALOG_KEYS):
            where = ""
            for name, keys, what in table:
                where = name or where
                out.setdefault(where, []).append((keys, what))
        return out

    def text(self) -> str:
        """Every section's text as laid out now (tests)."""
        return "\n".join(line.plain for s in self.query(HelpSection).results(HelpSection)
                         for line in s.lines(s.content_size.width))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
