"""The footer of debugger keys, fitted to the terminal: help and quit are never the ones cut.

Textual's Footer lays every key out in a row and lets the terminal cut the end off: at 80
columns that was ``? Help`` and ``q Quit``. This one goes compact below 120 columns and
leaves out the least needed keys (``KEEP`` order, last first) until the rest fits; every
key stays in the help screen and the command palette.

Textual's Footer also rebuilds itself whenever the screen's bindings may have changed: every
focus change (a pane clicked, Tab, ``v``) and every dialog closed. A rebuild is ~15 keys
mounted afresh and restyled (tens of ms on the main screen), mostly for the same keys: this
one rebuilds only when the keys it would show differ from the ones it shows.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: which keys to keep when not all fit, most needed first (action names)
KEEP = ("help", "quit", "step", "step_back", "continue", "goto", "add_breakpoint", "why", "watch",
        "reverse_continue", "next_view", "bookmarks", "run_to_time", "next_device", "save")
COMPACT_BELOW = 120


class KeyFooter(Footer):
    """A Footer that fits: compact when narrow, dropping keys in reverse ``KEEP`` order."""

    def __init__(self) -> None:
        super().__init__(show_command_palette=True)
        self._width = 0
        #: what the keys shown were built from (``_shown``), None before the first keys
        self._composed: tuple[Any, ...] | None = None

    def compose(self) -> ComposeResult:
        width = self.app.size.width
        compact = width < COMPACT_BELOW
        self.set_reactive(Footer.compact, compact)
        self.set_class(compact, "-compact")
        self.set_reactive(Footer.show_command_palette, not compact)
        widgets = list(super().compose())
        self._composed = _shown(self.screen) if self._bindings_ready else None
        keys = [w for w in widgets if isinstance(w, FooterKey) and not w.has_class("-command-palette")]
        room = width - sum(_width(w, compact) for w in widgets
                           if isinstance(w, FooterKey) and w.has_class("-command-palette"))
        rank = {name: i for i, name in enumerate(KEEP)}
        dropped: set[int] = set()
        for w in sorted(keys, key=lambda w: -rank.get(w.action, len(KEEP))):
            if sum(_width(k, compact) for k in keys if id(k) not in dropped) <= room:
                break
            dropped.add(id(w))
        yield from (w for w in widgets if id(w) not in dropped)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        """Textual's: rebuild on a change of the screen's bindings; here only when the keys
        shown would change (their bindings, enabled states, tooltips and key labels)."""
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and _shown(screen) != self._composed:
            self.call_after_refresh(self.recompose)

    def on_resize(self, event: events.Resize) -> None:
        width, self._width = self._width, event.size.width
        if width and width != event.size.width:
            self.call_after_refresh(self.recompose)


def _width(key: FooterKey, compact: bool) -> int:
    """Columns a key takes: ``key description`` with Footer's padding and margins."""
    if key.has_class("-command-palette"):
        return len(key.key_display) + len(key.description) + 5
    return len(key.key_display) + 1 + len(key.description) + (1 if compact else 2)


def _shown(screen: Screen[Any]) -> tuple[Any, ...]:
    """What ``Footer.compose`` builds its keys from: the shown active bindings (each with its
    enabled state, tooltip and key label) and the command palette's."""
    app = screen.app
    return tuple((binding, enabled, tooltip, app.get_key_display(binding))
                 for key, (_, binding, enabled, tooltip) in screen.active_bindings.items()
                 if binding.show or key == app.COMMAND_PALETTE_BINDING)
