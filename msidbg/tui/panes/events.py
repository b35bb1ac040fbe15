"""The event log pane: every recorded event, the cursor's row marked, with a filter.

Virtualised: it asks its event reader (the Session's ``events(start, stop)``) only for the
rows on screen, a page at a time, so a million events scroll like a hundred. A filter scans
the log in the background in chunks, outward from the cursor (a chunk after it, a chunk before
it, in turn), and lists the matching rows as they are found; escape stops a scan under way.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Input

from msidbg.sim.events import Event
from msidbg.tui import eventfilter
from msidbg.tui.messages import GotoEvent
from msidbg.tui.panes.lines import LineView, Span, pane_keys
from msidbg.tui.view import View

EventReader = Callable[[int, int], list[Event]]
PAGE = 128
MAX_PAGES = 64
SCAN_CHUNK = 4096
#: the longest a filter scan reads before it lets the event loop run (keys, frames): its chunks
#: are sized to it from the time the last one took (4,096 events of a storm took up to 120 ms)
SCAN_SLICE_S = 0.02
#: the fewest events a scan chunk reads (an event loop turn costs ~0.1 ms)
SCAN_MIN_CHUNK = 64
#: the widest the log's lines are made scrollable to (an event's line is ~60-120 columns)
MAX_WIDTH = 400


def _contains(sorted_events: tuple[int, ...], index: int) -> bool:
    i = bisect.bisect_left(sorted_events, index)
    return i < len(sorted_events) and sorted_events[i] == index


class Matches:
    """The event indices matching a filter, in order, grown outward from where the scan began:
    ``after`` ascending from there, ``below`` the ones before it as negated indices (a backward
    chunk's matches, found in descending order, append ascending). Reads like a sorted sequence."""

    def __init__(self) -> None:
        self.after: array[int] = array("q")
        self.below: array[int] = array("q")

    def __len__(self) -> int:
        return len(self.below) + len(self.after)

    def __iter__(self) -> Iterator[int]:
        for neg in reversed(self.below):
            yield -neg
        yield from self.after

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return list(self)[i]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        nb = len(self.below)
        return -self.below[nb - 1 - i] if i < nb else self.after[i - nb]

    def count_upto(self, event: int) -> int:
        """How many matches are <= ``event``."""
        return len(self.below) - bisect.bisect_left(self.below, -event) + bisect.bisect_right(self.after, event)


class EventRows(LineView):
    """The rows of the log: all events, or those matching the filter (``matches``)."""

    PREFIX = "events"
    STYLE_NAMES = ("cursor", "future", "selected", "hit")
    #: its rows on the help screen (``help.PANE_KEYS`` / ``DIALOG_KEYS``)
    HELP_TITLE = "event log"
    BINDINGS = pane_keys(
        ("up", "select(-1)", "previous event"),
        ("down", "select(1)", "next event"),
        ("pageup", "select_page(-1)", "page up"),
        ("pagedown", "select_page(1)", "page down"),
        ("home", "select_to(1)", "first event"),
        ("end", "select_to(-1)", "last event"),
        ("enter", "goto", "go to event"),
    )

    view: reactive[View | None] = reactive(None, layout=False, repaint=False)
    #: the event the keyboard selection is on (follows the cursor when the cursor moves)
    selected: reactive[int] = reactive(0, layout=False, repaint=False)

    def __init__(self, reader: EventReader, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.reader = reader
        self._pages: OrderedDict[int, list[Event]] = OrderedDict()
        #: event indices matching the filter (None = no filter); grows while a scan runs
        self.matches: Matches | None = None
        self.filter = eventfilter.parse("")
        #: the scan has read events lo..hi (none while hi < lo); ``scanned`` counts them
        self.lo = 1
        self.hi = 0
        #: escape stopped the scan: it is not resumed until the filter is applied again
        self.stopped = False
        self.reads = 0
        self._cols: tuple[Any, eventfilter.Columns] = (None, eventfilter.WIDE)

    # -- data ----------------------------------------------------------------------------------
    @property
    def scanned(self) -> int:
        return max(self.hi - self.lo + 1, 0)

    @property
    def scanning(self) -> bool:
        return self.matches is not None and not self.stopped and self.scanned < self.total

    @property
    def total(self) -> int:
        return self.view.total if self.view else 0

    def columns(self) -> eventfilter.Columns:
        """The index, CPU and device columns as wide as this run needs (``eventfilter.columns``):
        the index as wide as the total's digits, so it widens as a run grows past 99, 999, ..."""
        view = self.view
        if view is None:
            return eventfilter.WIDE
        key = (len(str(view.total)), view.scenario)   # (the CPUs and devices are the scenario's)
        if self._cols[0] != key:
            try:
                cols = eventfilter.columns(view.total, len(view.world["cpus"]), view.world["devices"])
            except (KeyError, TypeError):     # a world without them (a test's stand-in)
                cols = eventfilter.WIDE
            self._cols = (key, cols)
        return self._cols[1]

    def event(self, index: int) -> Event | None:
        """Event ``index`` (1-based), from a page cache; only complete pages are kept."""
        if not 1 <= index <= self.total:
            return None
        page = (index - 1) // PAGE
        rows = self._pages.get(page)
        if rows is None or len(rows) < PAGE and page * PAGE + len(rows) < self.total:
            self.reads += 1
            rows = self.reader(page * PAGE + 1, min(page * PAGE + PAGE, self.total) + 1)
            self._pages[page] = rows
            if len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        off = index - 1 - page * PAGE
        return rows[off] if off < len(rows) else None

    def index_of(self, line: int) -> int:
        """The event shown on line ``line``."""
        return self.matches[line] if self.matches is not None else line + 1

    def line_of(self, event: int) -> int | None:
        """The line showing event ``event`` (or the nearest one before it, when filtered)."""
        if self.matches is None:
            return event - 1 if event >= 1 else None
        i = self.matches.count_upto(event) - 1
        return i if i >= 0 else None

    # -- LineView ------------------------------------------------------------------------------
    def line_count(self) -> int:
        return len(self.matches) if self.matches is not None else self.total

    def line_width(self) -> int:
        """The widest line in the window on screen (its full height, scroll bar row included, so
        the bar appearing cannot change the answer), capped at ``MAX_WIDTH``. It was a constant
        200: below 200 columns the log always had a horizontal scroll bar, even with no events."""
        top = round(self.scroll_y)
        widest = 0
        cols = self.columns()
        for line in range(top, min(top + max(self.size.height, 1), self.line_count())):
            e = self.event(self.index_of(line))
            if e is not None:
                widest = max(widest, 1 + len(eventfilter.event_text(e, cols)))   # the ▶ / ● column
        return min(widest, MAX_WIDTH)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self.update_size()          # other lines on screen: perhaps another widest

    def line_spans(self, line: int) -> list[Span]:
        view = self.view
        index = self.index_of(line)
        e = self.event(index)
        if view is None or e is None:
            return []
        style = ""
        if index > view.cursor:
            style = "future"
        if index == self.selected:
            style = "selected"
        if index == view.cursor:
            style = "cursor"
        if index == view.cursor:
            return [("▶" + eventfilter.event_text(e, self.columns()), style)]
        hit = _contains(view.hit_events, index)
        return [("●" if hit else " ", "hit" if hit else style), (eventfilter.event_text(e, self.columns()), style)]

    # -- reacting ------------------------------------------------------------------------------
    def watch_view(self, old: View | None, view: View | None) -> None:
        if view is None:
            return
        if old is not None and view.total < old.total:
            self._pages.clear()
        self.update_size()
        same_hits = old is not None and (old.hit_events is view.hit_events or old.hit_events == view.hit_events)
        same_cols = old is not None and len(str(old.total)) == len(str(view.total))   # (9 -> 10: every row moves)
        if old is not None and same_cols and same_hits and abs(view.cursor - old.cursor) <= 1 \
                and view.total - old.total <= 1:
            # a step: only the old and new cursor rows (and an appended row) look different
            lines = (self.line_of(e) for e in {old.cursor, view.cursor, self.selected, view.total})
            self.refresh_indices(line for line in lines if line is not None)
        else:
            self.refresh()
        if old is None or old.cursor != view.cursor:
            self.set_reactive(EventRows.selected, view.cursor)
            if self.size.height:
                self._follow(view.cursor)       # now: the frame painted next shows the ▶ row
            else:
                self.call_after_refresh(self._follow_cursor)
        if self.scanning:
            self.scan()

    def on_resize(self) -> None:
        self.call_after_refresh(self._follow_cursor)

    def _follow_cursor(self) -> None:
        if self.view is not None:
            self._follow(self.view.cursor)

    def _follow(self, cursor: int) -> None:
        """Bring the cursor's row on screen (centred when it was off screen); filtered, the
        nearest match before it, or the first match when none is before it."""
        line = self.line_of(cursor)
        if line is None and self.line_count():
            line = 0
        if line is not None:
            self.ensure_visible(line, center=not self.is_visible(line))

    def watch_selected(self) -> None:
        self.refresh()

    def action_select(self, delta: int) -> None:
        line = self.line_of(self.selected)
        line = 0 if line is None else line
        line = max(0, min(line + delta, self.line_count() - 1))
        if self.line_count():
            self.selected = self.index_of(line)
            self.ensure_visible(line)

    def action_select_page(self, delta: int) -> None:
        self.action_select(delta * self.body_height)

    def action_select_to(self, where: int) -> None:
        self.action_select(-self.line_count() if where > 0 else self.line_count())

    def action_goto(self) -> None:
        if self.selected >= 1:
            self.post_message(GotoEvent(self.selected))

    def on_click(self, event: events.Click) -> None:
        """A click selects the event and goes there."""
        at = event.get_content_offset(self)
        line = None if at is None else self.line_at(at.y)
        if line is not None:
            self.selected = self.index_of(line)
            if self.view is None or self.selected != self.view.cursor:
                self.action_goto()

    # -- filtering -----------------------------------------------------------------------------
    def set_filter(self, text: str) -> None:
        """Show only the events matching ``text`` ("" shows all); scans in the background from
        the cursor outward. The cursor's row (or, filtered, the nearest match before it) is
        brought on screen."""
        self.filter = eventfilter.parse(text)
        self.matches = Matches() if self.filter.active else None
        start = max(min(self.view.cursor if self.view else 1, self.total), 1)
        self.lo, self.hi = start, start - 1
        self.stopped = False
        self.update_size()
        self.refresh()
        if self.matches is not None:
            self.scan()
        elif self.view is not None:
            self._follow(self.view.cursor)

    def stop_scan(self) -> bool:
        """Stop a scan under way (escape), keeping what it found; False when none runs."""
        if not self.scanning:
            return False
        self.stopped = True
        self.workers.cancel_group(self, "event-filter")
        self._title()
        self.refresh()
        return True

    @work(exclusive=True, group="event-filter")
    async def scan(self) -> None:
        """Extend ``matches`` a chunk at a time, outward from where the scan began (the cursor
        when the filter was applied): a chunk after it, then one before it, in turn, so the
        matches near the cursor are listed first -- a user at event 400,000 of 500,000 waited
        for the 400,000 before it. A chunk found before the lines on screen moves the scroll
        position down as many lines, so the rows in view stay put. The title shows the progress."""
        followed = False
        shown = time.monotonic()
        forward = True
        chunk = SCAN_MIN_CHUNK * 4
        while self.matches is not None and not self.stopped and (self.lo > 1 or self.hi < self.total):
            matches = self.matches
            began = time.perf_counter()
            if forward and self.hi < self.total or self.lo <= 1:
                stop = min(self.hi + chunk, self.total)
                had = len(matches.after)
                matches.after.extend(e.index for e in self.reader(self.hi + 1, stop + 1) if self.filter.match(e))
                grew = len(matches.after) > had
                self.hi = stop
            else:
                start = max(self.lo - chunk, 1)
                found = [-e.index for e in self.reader(start, self.lo) if self.filter.match(e)]
                found.reverse()
                matches.below.extend(found)
                grew = bool(found)
                self.lo = start
                if found and followed:
                    self.update_size()
                    self.scroll_to(y=self.scroll_y + len(found), animate=False, immediate=True)
            forward = not forward
            if grew:
                self.update_size()
            if not followed and self.view is not None and (self.lo <= 1 or self.lo < self.view.cursor) \
                    and self.hi >= min(self.view.cursor, self.total):
                followed = True
                self._follow(self.view.cursor)
                self._title()           # the rows about the cursor are on screen: count them now
            if time.monotonic() - shown > 0.25:
                shown = time.monotonic()
                self._title()
                self.refresh()
            took = time.perf_counter() - began
            # the next chunk, sized to take SCAN_SLICE_S at the pace of this one (at most double)
            chunk = max(SCAN_MIN_CHUNK, min(SCAN_CHUNK, chunk * 2, int(chunk * SCAN_SLICE_S / max(took, 1e-6))))
            await asyncio.sleep(0)
        self.refresh()
        self._title()

    def _title(self) -> None:
        pane = self.parent
        if isinstance(pane, EventLog):
            pane.retitle()


class EventLog(Vertical):
    """The event log with its filter input (``/`` focuses it, escape clears it)."""

    BORDER_TITLE = "Events"

    view: reactive[View | None] = reactive(None, layout=False, repaint=False)

    def __init__(self, reader: EventReader, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.reader = reader

    def compose(self) -> ComposeResult:
        yield EventRows(self.reader, id="event-rows").data_bind(EventLog.view)
        yield Input(placeholder="filter: words, -word, kind=…, dev=…, cpu=…  (enter applies, esc clears)",
                    id="event-filter")

    @property
    def rows(self) -> EventRows:
        return self.query_one(EventRows)

    def open_filter(self) -> None:
        self.add_class("-filtering")
        self.query_one(Input).focus(scroll_visible=False)
        # once laid out: the input had no region while hidden, so focusing it scrolled nothing, and
        # at 80x24 (the panes stacked) '/' from the vector table typed into a filter below the
        # screen (hardening30). The whole log comes into view, its input at the bottom.
        self.call_after_refresh(self.scroll_visible, animate=False, immediate=True)

    @on(events.DescendantFocus)
    def _filter_focused(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, Input):
            getattr(self.app, "input_focused", lambda w: None)(event.widget)

    @on(events.DescendantBlur)
    def _filter_blurred(self, event: events.DescendantBlur) -> None:
        if isinstance(event.widget, Input):
            getattr(self.app, "input_blurred", lambda w: None)(event.widget)

    @on(Input.Submitted, "#event-filter")
    def _apply(self, event: Input.Submitted) -> None:
        devices = list(self.view.world["devices"]) if self.view is not None else []
        bad = eventfilter.problems(event.value, devices)
        if bad:
            self.notify("\n".join(bad), title="this filter matches nothing", severity="warning", markup=False)
        self.rows.set_filter(event.value)
        self.retitle()
        if not event.value.strip():
            self.remove_class("-filtering")
        self.rows.focus()

    def key_escape(self) -> None:
        """Escape stops a scan under way (keeping its matches); else it clears the filter:
        while typing it, or after it was applied."""
        inp = self.query_one(Input)
        if not inp.has_focus and self.rows.stop_scan():
            self.retitle()
            return
        if inp.has_focus or self.rows.matches is not None:
            inp.value = ""
            self.rows.set_filter("")
            self.remove_class("-filtering")
            self.retitle()
            self.rows.focus()

    def retitle(self) -> None:
        rows = self.rows
        if rows.matches is None:
            self.border_title = "Events"
        else:
            # short: the title is cut at the pane's width (76 columns at 80x24), the state last
            if rows.scanned >= rows.total:
                done = " events"
            elif rows.stopped:
                done = f" in {rows.lo:,}..{rows.hi:,} (stopped, esc clears)"
            else:
                done = f", searching {rows.scanned:,}/{rows.total:,} (esc stops)"
            # plain text: a filter is not markup ('[/]' typed in it ended the TUI with a MarkupError)
            self.border_title = Content(f"Filter {rows.filter.text!r}: {len(rows.matches):,}{done}")
