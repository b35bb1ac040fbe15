"""The vector table pane: the selected device's MSI-X entries and MSI messages at the cursor."""

from __future__ import annotations

from textual.reactive import reactive

from msidbg.tui import table
from msidbg.tui.panes.lines import LineView, Span
from msidbg.tui.view import View, adjacent

GAP = " "


class VectorTable(LineView):
    """One row per vector-table entry; rows that changed at the cursor's event are highlighted.

    Renders only the rows on screen, straight from ``view.world``; when the event changed rows
    of which none is visible, scrolls to the first of them.
    """

    PREFIX = "vectors"
    STYLE_NAMES = ("header", "changed", "masked", "pending", "mismatch")
    header_lines = 1
    BORDER_TITLE = "Vector table"

    view: reactive[View | None] = reactive(None, layout=False, repaint=False)

    def watch_view(self, old: View | None, view: View | None) -> None:
        dev = view.device if view else None
        self.set_titles(f"Vector table: {dev}" if dev else "Vector table (no device)",
                        table.device_line(view.world, dev) if view and dev else "")
        self.update_size()
        if view is None or dev is None:
            self.refresh()
            return
        if adjacent(old, view) and old is not None:
            self.refresh_indices(old.changes.rows.get(dev, frozenset()) | view.changes.rows.get(dev, frozenset()))
        else:
            self.refresh()
        self.call_after_refresh(self._follow, view, dev)

    def _follow(self, view: View, dev: str) -> None:
        changed = view.changes.rows.get(dev)
        if changed and not any(self.is_visible(r) for r in changed):
            self.ensure_visible(min(changed))

    @property
    def _device(self) -> str | None:
        return self.view.device if self.view else None

    def line_count(self) -> int:
        dev = self._device
        return table.row_count(self.view.world, dev) if self.view and dev else 0

    def _columns(self) -> tuple[tuple[str, int], ...]:
        dev = self._device
        return table.columns(self.view.world, dev) if self.view and dev else table.COLUMNS

    def line_width(self) -> int:
        return sum(w + len(GAP) for _, w in self._columns())

    def header_spans(self, index: int) -> list[Span]:
        return [(GAP.join(title.ljust(w) for title, w in self._columns()), "header")]

    def line_spans(self, index: int) -> list[Span]:
        view, dev = self.view, self._device
        if view is None or dev is None:
            return []
        row_style = "changed" if view.changes.row(dev, index) else ""
        spans: list[Span] = []
        for (text, style), (_, width) in zip(table.row_cells(view.world, dev, index), self._columns(),
                                             strict=False):
            spans.append((text.ljust(width)[: max(width, len(text))], f"{row_style} {style}".strip()))
            spans.append((GAP, row_style))
        return spans
