"""The pirq map pane (Xen platforms): Xen's view and the guest's, disagreements marked."""

from __future__ import annotations

from typing import ClassVar

from textual.reactive import reactive

from msidbg.tui import pirqmap
from msidbg.tui.panes.lines import LineView, Span
from msidbg.tui.view import View

COLUMNS = (("pirq", 5), ("xen state", 12), ("port", 5), ("device/entry", 14), ("guest irq", 9),
           ("guest view", 22), ("", 30))


class PirqMap(LineView):
    """One row per pirq; hidden (class ``-bare``) on bare metal, where there are no pirqs."""

    PREFIX = "pirqs"
    STYLE_NAMES = ("header", "changed", "conflict")
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"pirqs--{n}" for n in STYLE_NAMES}
    BORDER_TITLE = "Pirq map (Xen | guest)"
    header_lines = 1

    view: reactive[View | None] = reactive(None, layout=False, repaint=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[pirqmap.PirqRow] = []

    def watch_view(self, view: View | None) -> None:
        self.set_class(view is None or view.platform == "bare-metal", "-bare")
        self._rows = pirqmap.rows(view.world) if view else []
        self.update_size()
        self.refresh()

    def line_count(self) -> int:
        return len(self._rows)

    def line_width(self) -> int:
        return sum(w + 1 for _, w in COLUMNS)

    def header_spans(self, index: int) -> list[Span]:
        return [(" ".join(t.ljust(w) for t, w in COLUMNS), "header")]

    def line_spans(self, index: int) -> list[Span]:
        r = self._rows[index]
        changed = self.view is not None and r.pirq in self.view.changes.pirqs
        cells = (str(r.pirq), r.xen_state, "-" if r.port is None else str(r.port), r.device,
                 "-" if r.guest_irq is None else str(r.guest_irq), r.guest_view)
        text = " ".join(c.ljust(w) for c, (_, w) in zip(cells, COLUMNS, strict=False))
        row = "changed" if changed else ""
        spans: list[Span] = [(text + " ", row)]
        if r.conflict:
            spans.append((f"≠ {r.conflict}", "conflict"))
        return spans
