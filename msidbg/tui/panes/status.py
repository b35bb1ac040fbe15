"""The status line: scenario, virtual time, event n / total, why it stopped, the event itself."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from msidbg.sim.events import format_ns
from msidbg.tui import eventfilter
from msidbg.tui.view import Progress, View

SEP = ("  │  ", "$text-muted")


def status_content(view: View | None, progress: Progress | None) -> Content:
    """Two lines: where the cursor is (or how far a running command has got), then its event."""
    if view is None:
        return Content("loading…")
    if progress is not None:
        first = Content.assemble(
            (f"⟳ running {progress.what}", "bold $warning"), SEP,
            f"{progress.events:,} events", SEP, f"t={format_ns(progress.time_ns)}", SEP,
            ("press any key to stop", "$text-muted"))
        return Content.assemble(first, "\n", _event_line(view))
    dev = f"{view.device} · " if view.device else ""
    first = Content.assemble(
        (f"event {view.cursor:,} / {view.total:,}", "bold"), (" (end)" if view.ended else "", "$text-muted"),
        SEP, (view.stop, _stop_style(view.stop)), (" · w: why" if "breakpoint" in view.stop else "", "$text-muted"),
        SEP, f"t={format_ns(view.time_ns)}", SEP,
        f"{dev}CPU{view.cpu}", SEP, (view.scenario, "bold"), SEP, view.platform)
    return Content.assemble(first, "\n", _event_line(view))


def _stop_style(stop: str) -> str:
    if "breakpoint" in stop:
        return "bold $error"
    return "$accent" if "end of run" in stop or "stopped" in stop else ""


def _event_line(view: View) -> Content | str:
    detail = ("  ── " + view.detail, "$error") if view.detail else ""
    if view.event is None:
        what = "event 0: before the first event" if view.cursor == 0 else "(history still loading)"
        return Content.assemble((what, "$text-muted"), detail)
    return Content.assemble(("▶", "$accent"), eventfilter.event_text(view.event).strip(), detail)


class StatusLine(Static):
    """Re-rendered from the View (and the Progress of a running continue)."""

    view: reactive[View | None] = reactive(None, layout=False)
    progress: reactive[Progress | None] = reactive(None, layout=False)

    def watch_view(self) -> None:
        self.update(status_content(self.view, self.progress), layout=False)

    def watch_progress(self) -> None:
        self.set_class(self.progress is not None, "-running")
        self.update(status_content(self.view, self.progress), layout=False)
