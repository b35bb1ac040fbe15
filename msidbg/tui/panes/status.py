"""The status line: where the cursor is and why, the event there, and the whole explanation.

Three parts, wrapped to the terminal's width rather than cut (on a wide terminal the line's
height depends only on its width, so a stop never resizes the panes; on a narrow one, where the
panes scroll, it takes only the rows it fills): the cursor (event n / total, the
total marked "+" until the run has reached its end; the device and CPU the event is
about, why the cursor is here, the virtual time, the scenario), the event at the cursor, and
what the breakpoint that stopped here said about it -- the sentence that explains the bug, never cut short.
"""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from msidbg.sim.events import Event, format_ns
from msidbg.tui import eventfilter
from msidbg.tui.view import Progress, View

SEP = ("  │  ", "$text-muted")


def status_content(view: View | None, progress: Progress | None, why_key: str = "w",
                   width: int | None = None) -> Content:
    """Where the cursor is (or how far a running command has got), its event, the detail.
    ``why_key``: the key of the why command as bound (the user may rebind it). ``width``: the
    line's width, to break the first line between its parts (``_pack``); None: one line."""
    if view is None:
        return Content("loading…")
    if progress is not None:
        first = _pack([Content.assemble((f"⟳ running {progress.what}", "bold $text-warning")),
                       Content(f"{progress.events:,} events"), Content(f"t={format_ns(progress.time_ns)}"),
                       Content.assemble(("press any key to stop", "$text-muted"))], width)
        return Content.assemble(first, "\n", _event_line(progress.event, 0, running=True))
    dev = f"{view.device} · " if view.device else ""
    first = _pack([
        Content.assemble((f"event {view.cursor:,} / {view.total:,}", "bold"), (_total_note(view), "$text-muted")),
        Content.assemble((f"{dev}CPU{view.cpu}", "bold")),
        Content.assemble((view.stop, _stop_style(view.stop)),
                         (f" · {why_key}: why" if "breakpoint" in view.stop and why_key else "", "$text-muted")),
        Content(f"t={format_ns(view.time_ns)}"),
        Content.assemble((view.scenario, "bold"), f" · {view.platform}")], width,
        shorter=(Content.assemble((view.scenario, "bold")), None))
    parts: list[str | Content] = [first, "\n", _event_line(view.event, view.cursor, failed=view.history_failed)]
    if view.detail:
        parts += ["\n", Content.assemble(("── ", "$text-error"), (view.detail, "$text-error"))]
    return Content.assemble(*parts)


#: the rows the first line may take before its last part is shortened, then left out
FIRST_ROWS = 2


def _pack(parts: list[Content], width: int | None, shorter: tuple[Content | None, ...] = ()) -> Content:
    """``parts`` joined by ``SEP``, broken into rows of ``width`` only between two parts, never
    inside one (hardening26: at 80 columns the stop's "· w: why" was split from its stop, "·" at
    the end of a row and "w: why" at the start of the next, and a separator could end a row). The
    last part (the scenario and its platform: the same for the whole session, where the others
    change as the cursor moves) goes at the end of the last row, else of an earlier row with room,
    else on a row of its own while there are fewer than ``FIRST_ROWS``; else each of ``shorter``
    is tried in its place (None: left out) -- at 80 columns the scenario's name without its
    platform, then nothing. A part wider than ``width`` is wrapped by the widget as before."""
    if width is None:
        return Content.assemble(*[x for i, part in enumerate(parts) for x in ((SEP,) if i else ()) + (part,)])
    sep = Content.assemble(SEP)

    def used(row: list[Content]) -> int:
        return sum(part.cell_length for part in row) + sep.cell_length * max(len(row) - 1, 0)

    rows: list[list[Content]] = [[]]
    for part in parts[:-1]:
        if rows[-1] and used(rows[-1]) + sep.cell_length + part.cell_length > width:
            rows.append([])
        rows[-1].append(part)
    for last in (parts[-1], *shorter):
        if last is None:
            break
        room = [row for row in (rows[-1], *rows[:-1]) if used(row) + sep.cell_length + last.cell_length <= width]
        if room:
            room[0].append(last)
            break
        if len(rows) < FIRST_ROWS:
            rows.append([last])
            break
    pieces: list[Content | str] = []
    for r, row in enumerate(rows):
        if r:
            pieces.append("\n")
        for i, part in enumerate(row):
            pieces += [sep, part] if i else [part]
    return Content.assemble(*pieces)


def _total_note(view: View) -> str:
    """What the total after the cursor is: the run's length once it has ended, before that only
    how far it has got (a continue may run past it): "event 5 / 40+" (one character, not the
    words "so far": at 80 columns those wrapped the line and took a row from the panes)."""
    if view.ended:
        return " (end)"
    return "" if view.finished else "+"


def _stop_style(stop: str) -> str:
    if "breakpoint" in stop:
        return "bold $text-error"
    return "$text-accent" if "end of run" in stop or "stopped" in stop else ""


def _event_line(event: Event | None, cursor: int, running: bool = False, failed: bool = False) -> Content:
    if event is None:
        # failed: the history's replay diverged (the line below says how); it was "(history still
        # loading)" for good
        what = ("event 0: before the first event" if cursor == 0 or running else
                "(no history: its replay diverged; the recorded world at the cursor only)" if failed
                else "(history still loading)")
        return Content.assemble((what, "$text-muted"))
    text = eventfilter.event_text(event).strip()
    return Content.assemble(("▶", "$text-accent"), (text, "$text-muted" if running else ""))


class StatusLine(Static):
    """Re-rendered from the View (and the Progress of a running command)."""

    #: the why command's key as bound ("" when unbound): the stop line's hint names it
    why_key = "w"
    view: reactive[View | None] = reactive(None, layout=False)
    progress: reactive[Progress | None] = reactive(None, layout=False)

    def watch_view(self) -> None:
        self._paint()

    def watch_progress(self, progress: Progress | None) -> None:
        self.set_class(progress is not None, "-running")
        self._paint()

    def _paint(self) -> None:
        width = max(self.app.size.width - 2, 20)     # (the line's padding: a column each side)
        self.update(status_content(self.view, self.progress, self.why_key, width), layout=False)

    def on_mount(self) -> None:
        self.on_resize()

    def on_resize(self) -> None:
        """Room for the text wrapped at this width: on a wide terminal the height changes with
        its width, never with what is shown (a step must not resize the panes, which share the
        screen's height). Narrow (below 120 columns, ``-narrow``: the panes at fixed heights in a
        scrolling area) the CSS lets it take only its rows: the six it kept at 80x24 were three
        blank after a plain step."""
        width = self.app.size.width
        self.set_class(120 <= width < 140, "-lines-5")
        self._paint()       # its first line is broken between parts at this width
        self.call_after_refresh(self.fit_toasts)

    def fit_toasts(self) -> None:
        """Keep notifications (the toast rack, docked at the top) above this line: two long
        errors stacked down over the status line and the footer (a no-verify snapshot of another
        model at 100x30); the rack now ends a row above the status line and scrolls what does not
        fit. Called when this line is resized and when the screen is."""
        from textual.widgets._toast import ToastRack

        try:
            rack = self.screen.get_child_by_type(ToastRack)
        except Exception:   # noqa: BLE001 - no rack (yet), or another screen: nothing to fit
            return
        room = max(self.region.y - 2, 3)    # the rack's top margin, and a row between
        if rack.styles.max_height is None or rack.styles.max_height.value != room:
            rack.styles.max_height = room
