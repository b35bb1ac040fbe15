"""The status line: where the cursor is and why, the event there, and the whole explanation.

Three parts, wrapped to the terminal's width rather than cut (the line's height depends only
on the terminal's width, so a stop never moves the panes): the cursor (event n / total, the
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


def status_content(view: View | None, progress: Progress | None, why_key: str = "w") -> Content:
    """Where the cursor is (or how far a running command has got), its event, the detail.
    ``why_key``: the key of the why command as bound (the user may rebind it)."""
    if view is None:
        return Content("loading…")
    if progress is not None:
        first = Content.assemble(
            (f"⟳ running {progress.what}", "bold $text-warning"), SEP,
            f"{progress.events:,} events", SEP, f"t={format_ns(progress.time_ns)}", SEP,
            ("press any key to stop", "$text-muted"))
        return Content.assemble(first, "\n", _event_line(progress.event, 0, running=True))
    dev = f"{view.device} · " if view.device else ""
    first = Content.assemble(
        (f"event {view.cursor:,} / {view.total:,}", "bold"), (_total_note(view), "$text-muted"),
        SEP, (f"{dev}CPU{view.cpu}", "bold"), SEP, (view.stop, _stop_style(view.stop)),
        (f" · {why_key}: why" if "breakpoint" in view.stop and why_key else "", "$text-muted"), SEP, f"t={format_ns(view.time_ns)}", SEP, (view.scenario, "bold"), f" · {view.platform}")
    parts: list[str | Content] = [first, "\n", _event_line(view.event, view.cursor, failed=view.history_failed)]
    if view.detail:
        parts += ["\n", Content.assemble(("── ", "$text-error"), (view.detail, "$text-error"))]
    return Content.assemble(*parts)


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
        self.update(status_content(self.view, self.progress, self.why_key), layout=False)

    def watch_progress(self, progress: Progress | None) -> None:
        self.set_class(progress is not None, "-running")
        self.update(status_content(self.view, self.progress, self.why_key), layout=False)

    def on_mount(self) -> None:
        self.on_resize()

    def on_resize(self) -> None:
        """Room for the text wrapped at this width: the height changes with the terminal's width,
        never with what is shown (a step must not move the panes)."""
        width = self.app.size.width
        lines = 4 if width >= 140 else 5 if width >= 100 else 6
        self.set_class(lines == 5, "-lines-5")
        self.set_class(lines == 6, "-lines-6")
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
