"""The timeline pane: lanes over virtual time, for looking rather than reading.

One lane per device vector that signalled (each signal sent ╵, delivered █, held ▒ in the
PBA or a pending bit, lost ✕, spurious !) and one per CPU (interrupt handling █, other
kernel activity ▄, spurious vectors !); armed breakpoint hits ▲ and bookmarks ◆ are marked
above the lanes and the cursor is a column across them. ``+`` / ``-`` zoom around the
selected column, ``0`` shows the whole run, left/right move the selection (panning at the
edges), up/down pick a lane; enter or a click goes to the nearest event there. Drawn from a
``LaneIndex`` built in the background: a redraw reads no events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual import events, work
from textual.reactive import reactive

from msidbg.sim.events import Event, format_ns
from msidbg.sim.scheduler import Hit
from msidbg.tui.lanes import GLYPHS, Lane, LaneIndex
from msidbg.tui.messages import GotoEvent
from msidbg.tui.panes.lines import LineView, Span, pane_keys
from msidbg.tui.view import View

LABEL = 12
CHUNK = 8192
MIN_WINDOW_NS = 8
EventReader = Callable[[int, int], list[Event]]
HitReader = Callable[[], list[Hit]]


class Timeline(LineView):
    """Lanes of device vectors and CPUs over virtual time, the cursor a column across them."""

    PREFIX = "timeline"
    STYLE_NAMES = ("lost", "spurious", "held", "delivered", "sent", "irq", "kernel", "cursor", "selected",
                   "hit", "mark", "axis", "label", "label-selected")
    header_lines = 2
    BORDER_TITLE = "Timeline"
    #: its rows on the help screen (``help.PANE_KEYS`` / ``DIALOG_KEYS``)
    HELP_TITLE = "timeline"
    BINDINGS = pane_keys(
        ("left", "move(-1)", "earlier"),
        ("right", "move(1)", "later"),
        ("shift+left,pageup", "move(-10)", "much earlier"),
        ("shift+right,pagedown", "move(10)", "much later"),
        ("up", "lane(-1)", "previous lane"),
        ("down", "lane(1)", "next lane"),
        ("plus,equals_sign", "zoom(0.5)", "zoom in"),
        ("minus", "zoom(2)", "zoom out"),
        ("0", "fit", "whole run"),
        ("enter", "seek", "go to the nearest event"),
    )

    view: reactive[View | None] = reactive(None, layout=False, repaint=False)

    def __init__(self, reader: EventReader, hits: HitReader, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.reader = reader
        self.hits = hits
        self.index = LaneIndex()
        #: the virtual time shown, [t0, t1); None = the whole run
        self.window: tuple[int, int] | None = None
        #: the selected column and lane (keyboard); the column follows the cursor when it moves
        self.column = 0
        self.lane = 0
        self._bounds_key: tuple[int, ...] = ()
        self._bounds: list[int] = []
        self._rows: dict[Lane, list[str]] = {}

    # -- data ----------------------------------------------------------------------------------
    def watch_view(self, old: View | None, view: View | None) -> None:
        if view is None or not self.is_displayed_now():
            return                      # hidden (another tab): on_show catches up
        if view.total < self.index.indexed:
            self.index = LaneIndex()
        if self.index.indexed < view.total:
            self.build_index()
        self.update_size()
        if old is None or old.cursor != view.cursor:
            col = self.index.column_of(view.cursor, self.bounds())
            if col is not None:
                self.column = col
        self.refresh()

    def is_displayed_now(self) -> bool:
        """On screen (its tab is the active one): only then is indexing worth doing."""
        return self.is_attached and self.display and self.parent is not None and bool(self.parent.display)

    def on_show(self) -> None:
        view = self.view
        if view is None:
            return
        if self.index.indexed < view.total:
            self.build_index()
        col = self.index.column_of(view.cursor, self.bounds())
        self.column = self.column if col is None else col
        self.update_size()
        self.refresh()

    @work(exclusive=True, group="timeline-index")
    async def build_index(self) -> None:
        """Index the events not indexed yet, a chunk at a time, then the hits."""
        while self.view is not None and self.index.indexed < self.view.total:
            start = self.index.indexed + 1
            self.index.add_events(self.reader(start, min(start + CHUNK, self.view.total + 1)))
            self.set_titles(f"Timeline (indexing {self.index.indexed:,} / {self.view.total:,})")
            await asyncio.sleep(0)
        self.index.add_hits(self.hits())
        if self.view is not None:
            col = self.index.column_of(self.view.cursor, self.bounds())
            self.column = self.column if col is None else col
        self.set_titles(self._title())
        self.update_size()
        self.refresh()

    def _title(self) -> str:
        """The span shown, and the keys as far as they fit (at 80 columns the whole hint was cut
        to '... enter go…')."""
        t0, t1 = self.span()
        title = f"Timeline {format_ns(t0)} .. {format_ns(t1)}"
        room = self.size.width - 6   # the corners, dashes and spaces around it
        for hint in ("  (+/- zoom, 0 whole run, enter goes there)", "  (+/- zoom, 0 all, enter: go)"):
            if not self.size.width or len(title) + len(hint) <= room:
                return title + hint
        return title

    def on_resize(self) -> None:
        if self.view is not None and self.index.indexed >= self.view.total:   # (not while indexing)
            self.set_titles(self._title())

    def span(self) -> tuple[int, int]:
        if self.window is not None:
            return self.window
        first, last = self.index.span()
        return 0, max(last + 1, first + MIN_WINDOW_NS)

    def columns(self) -> int:
        return max(self.scrollable_content_region.width - LABEL, 1)

    def bounds(self) -> list[int]:
        """Event-index boundaries of the columns (cached until the window, width or index change)."""
        t0, t1 = self.span()
        key = (t0, t1, self.columns(), self.index.version)
        if key != self._bounds_key:
            self._bounds_key = key
            self._bounds = self.index.bounds(t0, t1, self.columns())
            self._rows = {}
        return self._bounds

    def row(self, lane: Lane) -> list[str]:
        bounds = self.bounds()
        got = self._rows.get(lane)
        if got is None:
            got = self._rows[lane] = self.index.cells(lane, bounds)
        return got

    # -- LineView ------------------------------------------------------------------------------
    def line_count(self) -> int:
        return len(self.index.lanes())

    def header_spans(self, index: int) -> list[Span]:
        cols = self.columns()
        if index == 0:
            return [("virtual time".ljust(LABEL), "label"), (self._axis(cols), "axis")]
        marks = [" "] * cols
        styles = [""] * cols
        view, bounds = self.view, self.bounds()
        if view is not None:
            for e in view.hit_events:
                col = self.index.column_of(e, bounds)
                if col is not None:
                    marks[col], styles[col] = "▲", "hit"
            for e in view.bookmarks:
                col = self.index.column_of(e, bounds)
                if col is not None:
                    marks[col], styles[col] = "◆", "mark"
        return [("hits, marks".ljust(LABEL), "label")] + self._decorate(list(zip(marks, styles, strict=True)))

    def _axis(self, cols: int) -> str:
        t0, t1 = self.span()
        out = [" "] * cols
        step = 24
        for col in range(0, cols - 8, step):
            label = "│" + format_ns(t0 + (t1 - t0) * col // cols)
            for i, ch in enumerate(label[: min(len(label), step - 1)]):
                if col + i < cols:
                    out[col + i] = ch
        return "".join(out)

    def line_spans(self, index: int) -> list[Span]:
        lanes = self.index.lanes()
        if index >= len(lanes):
            return []
        lane = lanes[index]
        label = lane.title[: LABEL - 1].ljust(LABEL)
        cells = [(GLYPHS.get(c, " ") if c else "·" if lane.kind == "dev" else " ", c) for c in self.row(lane)]
        return [(label, "label-selected" if index == self.lane and self.has_focus else "label")] + \
            self._decorate(cells)

    def _decorate(self, cells: list[tuple[str, str]]) -> list[Span]:
        """The cursor's column and the selected column over a lane's cells."""
        view = self.view
        cursor = self.index.column_of(view.cursor, self.bounds()) if view is not None else None
        out = []
        for col, (glyph, style) in enumerate(cells):
            if col == cursor:
                style = f"{style} cursor".strip()
            elif col == self.column and self.has_focus:
                style = f"{style} selected".strip()
            out.append((glyph, style))
        return out

    # -- moving, zooming, going there --------------------------------------------------------------
    def action_move(self, delta: int) -> None:
        cols = self.columns()
        col = self.column + delta
        if not 0 <= col < cols:
            t0, t1 = self.span()
            shift = (t1 - t0) // 4 * (1 if col >= cols else -1)
            self.window = _from_zero(t0 + shift, t1 + shift)
            col = max(0, min(col, cols - 1))
        self.column = col
        self._changed()

    def action_lane(self, delta: int) -> None:
        if self.line_count():
            self.lane = max(0, min(self.lane + delta, self.line_count() - 1))
            self.ensure_visible(self.lane)
            self.refresh()

    def action_zoom(self, factor: float) -> None:
        t0, t1 = self.span()
        cols = self.columns()
        centre = t0 + (t1 - t0) * (2 * self.column + 1) // (2 * cols)
        half = max(int((t1 - t0) * factor) // 2, MIN_WINDOW_NS)
        first, last = self.index.span()
        if factor > 1 and 2 * half >= last - first:
            self.window = None
        else:
            self.window = _from_zero(centre - half, centre + half)
        t0, t1 = self.span()
        self.column = max(0, min((centre - t0) * cols // max(t1 - t0, 1), cols - 1))
        self._changed()

    def action_fit(self) -> None:
        self.window = None
        self._changed()

    def _changed(self) -> None:
        self.set_titles(self._title())
        self.refresh()

    def action_seek(self) -> None:
        lanes = self.index.lanes()
        self.seek(self.column, lanes[self.lane] if self.lane < len(lanes) else None)

    def seek(self, col: int, lane: Lane | None) -> None:
        """Go to the lane's first event in the column (what its glyph shows), else to the event
        nearest the column's middle."""
        bounds = self.bounds()
        if not 0 <= col < len(bounds) - 1:
            return
        event = self.index.first_in(lane, bounds[col], bounds[col + 1]) if lane is not None else None
        if event is None:
            t0, t1 = self.span()
            cols = self.columns()
            event = self.index.nearest(t0 + (t1 - t0) * (2 * col + 1) // (2 * cols))
        if event:
            self.post_message(GotoEvent(event))

    def on_click(self, event: events.Click) -> None:
        at = event.get_content_offset(self)
        if at is None or at.x < LABEL:
            return
        self.column = at.x - LABEL
        line = self.line_at(at.y)
        if line is not None:
            self.lane = line
        lanes = self.index.lanes()
        self.seek(self.column, lanes[line] if line is not None and line < len(lanes) else None)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


def _from_zero(t0: int, t1: int) -> tuple[int, int]:
    """The window ``t0 .. t1`` moved right so it starts at 0 or later: zooming in on a column near
    the run's start (or moving left past it) made a window from a negative time, and the axis
    read ``-1.995636718s  -1.999825468s  0.004014218s`` (``format_ns`` of negative times)."""
    return (t0, t1) if t0 >= 0 else (0, t1 - t0)
