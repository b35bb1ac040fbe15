"""The pirq map pane (Xen platforms): Xen's view and the guest's, disagreements marked."""

from __future__ import annotations

from textual import events
from textual.reactive import reactive

from msidbg.tui import pirqmap
from msidbg.tui.panes.lines import LineView, Span, pane_keys
from msidbg.tui.view import View

COLUMNS = (("pirq", 5), ("xen state", 14), ("host vector", 11), ("evt", 4), ("xen entry", 10), ("guest irq", 9),
           ("guest / qemu view", 17))
MAX_VIEW = 48


class PirqMap(LineView):
    """One line per pirq, and a line under it saying where the views disagree; hidden (class
    ``-bare``) on bare metal, where there are no pirqs."""

    PREFIX = "pirqs"
    STYLE_NAMES = ("header", "changed", "conflict", "selected")
    BORDER_TITLE = "Pirq map: Xen | guest"
    header_lines = 1
    #: up/down select a pirq as a click does (``w`` explains it)
    #: its rows on the help screen (``help.PANE_KEYS`` / ``DIALOG_KEYS``)
    HELP_TITLE = "pirq map"
    BINDINGS = pane_keys(("up", "select(-1)", "previous pirq"), ("down", "select(1)", "next pirq"))

    view: reactive[View | None] = reactive(None, layout=False, repaint=False)
    #: the pirq a click selected (its line highlighted), None when none
    selected: reactive[int | None] = reactive(None, layout=False, repaint=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: this view's rows, derived from the world (rebuilt on every new View)
        self._rows: list[pirqmap.PirqRow] = []
        #: (row, is the disagreement line) for each line shown
        self._lines: list[tuple[int, bool]] = []
        #: the header's and each line's spans as last painted: a step repaints what differs
        self._painted: list[list[Span]] = []

    def watch_view(self, view: View | None) -> None:
        self.set_class(view is None or view.platform == "bare-metal", "-bare")
        before = len(self._lines)
        self._rows = pirqmap.rows(view.world) if view else []
        self._lines = [(i, c) for i, r in enumerate(self._rows) for c in ((False, True) if r.conflict else (False,))]
        self.update_size()
        painted, self._painted = self._painted, self._spans()
        if len(self._lines) != before:
            # the pane's height follows its lines (CSS height: auto): relayout only when they change
            self.refresh(layout=True)
        elif painted[:1] != self._painted[:1]:
            self.refresh()
        else:
            self.refresh_changed(painted[1:], self._painted[1:])

    def _spans(self) -> list[list[Span]]:
        if not self._rows:
            return []
        return [self.header_spans(0)] + [self.line_spans(i) for i in range(len(self._lines))]

    def watch_selected(self) -> None:
        self._painted = self._spans()
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        at = event.get_content_offset(self)
        line = None if at is None else self.line_at(at.y)
        if line is not None and line < len(self._lines):
            self.selected = self._rows[self._lines[line][0]].pirq

    def action_select(self, delta: int) -> None:
        pirqs = [r.pirq for r in self._rows]
        if not pirqs:
            return
        at = pirqs.index(self.selected) if self.selected in pirqs else (-1 if delta > 0 else len(pirqs))
        self.selected = pirqs[max(0, min(len(pirqs) - 1, at + delta))]
        line = next(i for i, (row, extra) in enumerate(self._lines) if not extra and self._rows[row].pirq == self.selected)
        self.ensure_visible(line)

    def line_count(self) -> int:
        return len(self._lines)

    def _columns(self) -> tuple[tuple[str, int], ...]:
        """The last column as wide as the widest guest view (up to MAX_VIEW)."""
        view = max((len(r.guest_view) for r in self._rows), default=0)
        host = max((len(r.host) for r in self._rows), default=0)     # a move in progress: up to 20
        cols = list(COLUMNS)
        cols[2] = (cols[2][0], max(host, cols[2][1]))
        cols[-1] = (cols[-1][0], min(max(view, cols[-1][1]), MAX_VIEW))
        return tuple(cols)

    def line_width(self) -> int:
        return max([sum(w + 1 for _, w in self._columns())] + [len(r.conflict) + 8 for r in self._rows])

    def header_spans(self, index: int) -> list[Span]:
        return [(" ".join(t.ljust(w) for t, w in self._columns()), "header")]

    def line_spans(self, index: int) -> list[Span]:
        row, disagreement = self._lines[index]
        r = self._rows[row]
        if disagreement:
            return [("      ≠ " + r.conflict, "conflict")]
        changed = self.view is not None and r.pirq in self.view.changes.pirqs
        cells = (str(r.pirq), r.xen_state, r.host or "-", "-" if r.port is None else str(r.port), r.device, r.guest_irq,
                 r.guest_view)
        text = " ".join(c.ljust(w) for c, (_, w) in zip(cells, self._columns(), strict=True))
        style = "changed" if changed else "conflict" if r.conflict else ""
        if r.pirq == self.selected:
            style = f"{style} selected".strip()
        return [(text, style)]
