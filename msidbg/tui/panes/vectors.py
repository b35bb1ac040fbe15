"""The vector table pane: the selected device's MSI-X entries and MSI messages at the cursor."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.reactive import reactive

from msidbg.tui import table
from msidbg.tui.panes.lines import LineView, Span, pane_keys
from msidbg.tui.view import View, adjacent

GAP = " "


class VectorTable(LineView):
    """One row per vector-table entry; rows that changed at the cursor's event are highlighted.

    Renders only the rows on screen, straight from ``view.world``; when the event changed rows
    of which none is visible, scrolls to the first of them.
    """

    PREFIX = "vectors"
    STYLE_NAMES = ("header", "state", "changed", "selected", "masked", "pending", "mismatch", "blocked")
    header_lines = 1
    BORDER_TITLE = "Vector table"
    #: inside ``render_lines`` only: (view, selected row, (columns, compact), line count) for the frame's lines
    #: up/down select a row as a click does (described below; ``w`` explains it): with the
    #: keyboard alone no row could be selected, so ``w`` could not be asked about one
    #: its rows on the help screen (``help.PANE_KEYS`` / ``DIALOG_KEYS``)
    HELP_TITLE = "vector table"
    BINDINGS = pane_keys(("up", "select(-1)", "previous row"), ("down", "select(1)", "next row"))

    view: reactive[View | None] = reactive(None, layout=False, repaint=False)
    #: the row a click selected (described in the bottom border), None when none
    selected: reactive[int | None] = reactive(None, layout=False, repaint=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: the device's capability state, wrapped to the pane's width (the header's first lines)
        self._state: list[str] = []

    def watch_view(self, old: View | None, view: View | None) -> None:
        dev = view.device if view else None
        self.set_titles(f"Vector table: {table.device_name(view.world, dev)}" if view and dev
                        else "Vector table (no device)")
        if old is not None and view is not None and old.device != view.device:
            self.set_reactive(VectorTable.selected, None)
        self._describe()
        state = self._state
        self._wrap_state()
        self.update_size()
        if state != self._state:
            self.refresh()
        if view is None or dev is None:
            self.refresh()
            return
        if adjacent(old, view) and old is not None:
            self.refresh_indices(old.changes.rows.get(dev, frozenset()) | view.changes.rows.get(dev, frozenset()))
        else:
            self.refresh()
        # (the row too: a snapshot opened --no-verify knows its event, and so the row, only once
        # its history is loaded -- the cursor has not moved, but there is a row to show now)
        moved = old is None or old.cursor != view.cursor or old.device != view.device or old.row != view.row
        if self.size.height:
            self._follow(moved)         # now, so the next frame shows the rows
        else:
            self.call_after_refresh(self._follow, moved)

    def _wrap_state(self) -> None:
        """The capability state (MSI-X, MSI, quirks, driver) in as many header lines as it needs:
        the quirk behind a bug is never cut off."""
        view, dev = self.view, self._device
        parts = table.device_state(view.world, dev) if view is not None and dev is not None else []
        self._state = table.wrap_parts(parts, max(self.scrollable_content_region.width, 40))
        self.header_lines = len(self._state) + 1

    def watch_selected(self) -> None:
        self._describe()
        self.refresh()

    def _describe(self) -> None:
        """The bottom border: the row a click selected, else the columns off the pane's right
        edge (a passthrough device's guest view in the 120-column layout), so that they are
        not missed."""
        view, dev = self.view, self._device
        row = self.selected
        text = table.describe_row(view.world, dev, row) if view and dev and row is not None else self._cut()
        self.set_titles(subtitle=text)

    def _cut(self) -> str:
        if self.view is None or self._device is None or not self.size.width:
            return ""
        right = round(self.scroll_x) + self.scrollable_content_region.width
        start, hidden = 0, []
        for title, width in self._columns():
            if start + width > right:
                hidden.append(title.lstrip("│ "))
            start += width + len(GAP)
        if not hidden:
            return ""
        return f"{len(hidden)} more column{'s' if len(hidden) > 1 else ''} →: {', '.join(hidden)}"

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_x(old_value, new_value)
        # an animated scroll ends on its target by a fractional step (20.6 -> 21.0) that rounding
        # would hide: the border must describe where the scroll stopped
        if round(old_value) != round(new_value) or new_value in (0, self.max_scroll_x):
            self._describe()

    def on_click(self, event: events.Click) -> None:
        """A click selects a row: what the kernel and the device hold for it is described below."""
        at = event.get_content_offset(self)
        line = None if at is None else self.line_at(at.y)
        if line is not None:
            self.selected = line

    def action_select(self, delta: int) -> None:
        """Move the selection; the first press selects the row the event is about (else the
        first or the last row)."""
        n = self.line_count()
        if not n:
            return
        view = self.view
        if self.selected is None:
            row = view.row if view is not None and view.row is not None and view.row < n else (0 if delta > 0 else n - 1)
        else:
            row = max(0, min(n - 1, self.selected + delta))
        self.selected = row
        self.ensure_visible(row)

    def on_resize(self) -> None:
        self._wrap_state()
        self.update_size()
        self._describe()
        self.refresh()

    def _follow(self, moved: bool = True) -> None:
        """Bring the rows the event changed on screen (the first of them), else the row the
        event is about (a message held, an entry read) when the cursor has just moved."""
        view = self.view
        dev = view.device if view else None
        if view is None or dev is None:
            return
        changed = view.changes.rows.get(dev)
        if changed and not any(self.is_visible(r) for r in changed):
            self.ensure_visible(min(changed))
        elif not changed and moved and view.row is not None:
            self.ensure_visible(view.row)

    @property
    def _device(self) -> str | None:
        return self.view.device if self.view else None

    def _layout(self) -> tuple[tuple[tuple[str, int], ...], bool]:
        """(columns, compact): the compact columns when the full ones do not fit the pane (a
        passthrough device's at 80 columns); a narrower pane still scrolls them sideways."""
        dev = self._device
        if not self.view or not dev:
            return table.COLUMNS, False
        return table.fitting_columns(self.view.world, dev, self.scrollable_content_region.width)

    def _columns(self) -> tuple[tuple[str, int], ...]:
        return self._layout()[0]

    def line_width(self) -> int:
        return table.line_width(self._columns(), len(GAP))

    def header_spans(self, index: int) -> list[Span]:
        if index < len(self._state):
            return [(self._state[index], "state")]
        d = self.view.world["devices"].get(self._device) if self.view is not None and self._device else None
        if d is not None and not d.get("msix") and not d.get("msi"):     # no rows: no column titles either
            return [("no MSI or MSI-X capability: the INTx pin is its interrupt", "header")]
        return [(GAP.join(title.ljust(w) for title, w in self._columns()), "header")]

    def frame_state(self) -> tuple[Any, ...]:
        return (self.view, self.selected, self._layout(), self.line_count())

    def line_count(self) -> int:
        if self._frame is not None:
            return int(self._frame[3])
        dev = self._device
        return table.row_count(self.view.world, dev) if self.view and dev else 0

    def line_spans(self, index: int) -> list[Span]:
        if self._frame is not None:
            view, selected, (cols, compact), _ = self._frame
        else:
            view, selected, (cols, compact) = self.view, self.selected, self._layout()
        dev = view.device if view else None
        if view is None or dev is None:
            return []
        row_style = "changed" if view.changes.row(dev, index) else "selected" if index == selected else ""
        spans: list[Span] = []
        for (text, style), (_, width) in zip(table.row_cells(view.world, dev, index, compact), cols, strict=False):
            # the row's highlight on top: its text colour is chosen to be readable on it
            spans.append((text.ljust(width)[: max(width, len(text))], f"{style} {row_style}".strip()))
            spans.append((GAP, row_style))
        return spans
