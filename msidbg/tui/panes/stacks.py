"""The call stacks pane: each busy CPU's process and interrupt context, innermost frame first."""

from __future__ import annotations

from textual.reactive import reactive

from msidbg.tui import stacks
from msidbg.tui.panes.lines import LineView, Span
from msidbg.tui.view import View


class CallStacks(LineView):
    """Backtraces of the kernel programs running on each CPU (the selected CPU first)."""

    PREFIX = "stacks"
    STYLE_NAMES = ("header", "header-changed", "context", "wait", "dim")
    BORDER_TITLE = "Call stacks"

    view: reactive[View | None] = reactive(None, layout=False, repaint=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: this view's lines, derived text (rebuilt from the world on every new View)
        self._lines: list[tuple[int, str, str]] = []
        #: the spans of each line as last painted, to repaint only what differs
        self._painted: list[list[Span]] = []

    def watch_view(self, view: View | None) -> None:
        before = self._painted
        self._lines = stacks.all_lines(view.world, view.cpu) if view else []
        self.update_size()
        self._painted = [self.line_spans(i) for i in range(len(self._lines))]
        self.refresh_changed(before, self._painted)

    def line_count(self) -> int:
        return len(self._lines)

    def line_width(self) -> int:
        return max((len(t) for _, t, _ in self._lines), default=0)

    def line_spans(self, index: int) -> list[Span]:
        cpu, text, style = self._lines[index]
        if style == "header" and self.view is not None and cpu in self.view.changes.stacks:
            style = "header-changed"
        return [(text, style)]
