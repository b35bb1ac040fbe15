"""The breakpoints pane: every armed breakpoint with its id and hit count; delete disarms."""

from __future__ import annotations

from textual.reactive import reactive

from msidbg.tui.messages import RemoveBreakpoint
from msidbg.tui.panes.lines import LineView, Span, pane_keys
from msidbg.tui.view import View


class BreakpointList(LineView):
    """Armed breakpoints; up/down select, delete or x posts ``RemoveBreakpoint``."""

    PREFIX = "breakpoints"
    STYLE_NAMES = ("selected", "disabled", "stopped", "dim")
    BORDER_TITLE = "Breakpoints"
    #: its rows on the help screen (``help.PANE_KEYS`` / ``DIALOG_KEYS``)
    HELP_TITLE = "breakpoints"
    BINDINGS = pane_keys(
        ("up", "select(-1)", "previous"),
        ("down", "select(1)", "next"),
        ("delete,x", "remove", "disarm"),
    )

    view: reactive[View | None] = reactive(None, layout=False, repaint=False)
    selected: reactive[int] = reactive(0, layout=False, repaint=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: the spans of each line as last painted: a step repaints only lines that differ (none,
        #: mostly: hit counts and the stopping breakpoint change at a few events)
        self._painted: list[list[Span]] = []

    def watch_view(self, old: View | None, view: View | None) -> None:
        n = len(view.breakpoints) if view else 0
        self.set_titles(f"Breakpoints ({n})")
        if self.selected >= n:
            self.selected = max(n - 1, 0)
        before, self._painted = self._painted, self._lines()
        self.update_size()          # from the lines just made (line_width)
        self.refresh_changed(before, self._painted)

    def _lines(self) -> list[list[Span]]:
        return [self.line_spans(i) for i in range(self.line_count())]

    def _repaint(self) -> None:
        self._painted = self._lines()
        self.refresh()

    def watch_selected(self) -> None:
        self._repaint()

    def line_count(self) -> int:
        return max(len(self.view.breakpoints), 1) if self.view else 0

    def line_width(self) -> int:
        """The longest line (a long ``if`` spec scrolls with → rather than being cut for good)."""
        return max((sum(len(t) for t, _ in spans) for spans in self._painted), default=0)

    def line_spans(self, index: int) -> list[Span]:
        view = self.view
        if view is None:
            return []
        if not view.breakpoints:
            return [("none armed (a adds one)", "dim")]
        bp = view.breakpoints[index]
        hits = f"  ({bp.hits} hit{'s' if bp.hits != 1 else ''})" if bp.hits else ""
        style = "disabled" if not bp.enabled else ""
        if view.stop.endswith(f"breakpoint {bp.spec}"):
            style = "stopped"
        if index == self.selected and self.has_focus:
            style = "selected"
        return [(f"{bp.id:>3}  {bp.spec}{hits}", style)]

    def on_focus(self) -> None:
        self._repaint()

    def on_blur(self) -> None:
        self._repaint()

    def action_select(self, delta: int) -> None:
        if self.view and self.view.breakpoints:
            self.selected = max(0, min(self.selected + delta, len(self.view.breakpoints) - 1))
            self.ensure_visible(self.selected)

    def action_remove(self) -> None:
        if self.view and self.view.breakpoints:
            self.post_message(RemoveBreakpoint(self.view.breakpoints[self.selected].id))
