"""The APIC pane: per CPU, IRR and ISR as 16 x 16 vector grids, TPR/PPR, vector owners."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.reactive import reactive

from msidbg.tui import apicgrid
from msidbg.tui.apicgrid import BLOCK
from msidbg.tui.digest import Changes
from msidbg.tui.panes.lines import LineView, Span, pane_keys
from msidbg.tui.view import View, adjacent


def dirty_lines(ch: Changes) -> list[int]:
    """The lines of the APIC pane that show what ``ch`` changed (headers, grid classes, blocks)."""
    out = [cpu * BLOCK for cpu in ch.cpus]
    for regs in (ch.irr, ch.isr):
        for cpu, bits in regs.items():
            while bits:
                low = bits & -bits
                out.append(cpu * BLOCK + 2 + ((low.bit_length() - 1) >> 4))
                bits ^= low
    for cpu in ch.owners:
        out += range(cpu * BLOCK, cpu * BLOCK + BLOCK)
    return out


def follow_lines(ch: Changes) -> list[int]:
    """The lines worth bringing on screen: changed grid lines, else changed CPU headers."""
    grid = [i for i in dirty_lines(ch) if i % BLOCK >= 2]
    return grid or [cpu * BLOCK for cpu in ch.cpus]


class ApicGrid(LineView):
    """All CPUs' local APICs, one block of ``BLOCK`` lines each; changed bits highlighted.

    The selected vector (arrow keys) or the one under the mouse is described in the bottom
    border: its ``vector_irq`` owner on that CPU.
    """

    PREFIX = "apic"
    #: inside ``render_lines`` only: (view, selected (cpu, vector), line count) for the frame's lines
    STYLE_NAMES = ("header", "header-changed", "label", "set", "owned", "changed", "cursor")
    #: its rows on the help screen (``help.PANE_KEYS`` / ``DIALOG_KEYS``)
    HELP_TITLE = "APIC"
    BINDINGS = pane_keys(
        ("left", "move(-1)", "vector -1"),
        ("right", "move(1)", "vector +1"),
        ("up", "move(-16)", "vector -16"),
        ("down", "move(16)", "vector +16"),
        ("pageup", "cpu(-1)", "previous CPU"),
        ("pagedown", "cpu(1)", "next CPU"),
    )

    view: reactive[View | None] = reactive(None, layout=False, repaint=False)
    #: the selected (cpu, vector), moved by the arrow keys; the hovered one wins while the mouse is here
    selected: reactive[tuple[int, int]] = reactive((0, 0x20), layout=False, repaint=False)
    hovered: reactive[tuple[int, int] | None] = reactive(None, layout=False, repaint=False)

    def watch_view(self, old: View | None, view: View | None) -> None:
        self.set_titles("Local APICs")
        if view is None:
            return
        self.update_size()
        before = self.selected
        if view.vector is not None and (old is None or old.cursor != view.cursor):
            self.set_reactive(ApicGrid.selected, (view.cpu, view.vector))   # the event's vector
        elif old is None or old.cpu != view.cpu:
            self.set_reactive(ApicGrid.selected, (view.cpu, self.selected[1]))
        if self.size.height:
            self._follow(view, old)
        else:   # not laid out yet: follow once it is
            self.call_after_refresh(self._follow_later)
        if old is None or not adjacent(old, view):
            self.refresh()
        else:   # a step on one CPU: the lines that changed, and the selected cell's old and new lines
            moved = [cpu * BLOCK + 2 + vec // 16 for cpu, vec in {before, self.selected}]
            self.refresh_indices(dirty_lines(old.changes) + dirty_lines(view.changes) + moved)
        self._describe()

    def on_resize(self) -> None:
        """A resize (the pane grows or shrinks with its neighbours) keeps the selected block shown."""
        if self.view is not None:
            self.call_after_refresh(self._follow_later)

    def _follow_later(self) -> None:
        if self.view is not None:
            self._follow(self.view, None)

    def _follow(self, view: View, old: View | None) -> None:
        """Bring the selected CPU's block on screen (its header on top when it was off screen),
        else the lines the event changed."""
        cpu, vector = self.selected
        line = cpu * BLOCK + 2 + vector // 16
        if old is None or old.cpu != view.cpu or not self.is_visible(line):
            if not self._block_shown(cpu, line):
                top = cpu * BLOCK if line - cpu * BLOCK < self.body_height else line - self.body_height // 2
                self.scroll_to(y=top, animate=False, immediate=True)
                self.refresh()
        elif (changed := follow_lines(view.changes)) and not any(self.is_visible(i) for i in changed):
            self.scroll_to(y=min(changed) // BLOCK * BLOCK, animate=False, immediate=True)
            self.refresh()

    def _block_shown(self, cpu: int, line: int) -> bool:
        """Is CPU ``cpu``'s block on screen: all of it when it fits (was: its header and ``line``,
        so at 200x60 CPU0's tail filled the pane above CPU1's header and first grid rows), else
        its header and ``line``."""
        top = cpu * BLOCK
        last = top + BLOCK - 1 if BLOCK <= self.body_height else line
        return self.is_visible(top) and self.is_visible(last)

    def watch_selected(self) -> None:
        self._describe()
        self.refresh()

    def watch_hovered(self) -> None:
        self._describe()

    def _describe(self) -> None:
        if self.view is None:
            return
        cpu, vector = self.hovered or self.selected
        if cpu < len(self.view.world["cpus"]):
            self.set_titles(subtitle=apicgrid.owner(self.view.world, cpu, vector))

    def frame_state(self) -> tuple[Any, ...]:
        return (self.view, self.selected, self.line_count())

    def line_count(self) -> int:
        if self._frame is not None:
            return int(self._frame[2])
        return len(self.view.world["cpus"]) * BLOCK if self.view else 0

    def line_width(self) -> int:
        return len(apicgrid.column_header()) + 2

    def line_spans(self, index: int) -> list[Span]:
        view, selected = (self.view, self.selected) if self._frame is None else self._frame[:2]
        if view is None:
            return []
        cpu, line = divmod(index, BLOCK)
        ch = view.changes
        cursor = selected[1] if selected[0] == cpu else None
        return apicgrid.block_spans(view.world, cpu, line, ch.irr.get(cpu, 0), ch.isr.get(cpu, 0),
                                    cursor, cpu in ch.cpus)

    def action_move(self, delta: int) -> None:
        cpu, vector = self.selected
        self.selected = (cpu, (vector + delta) % 256)
        line = cpu * BLOCK + 2 + self.selected[1] // 16
        if BLOCK <= self.body_height and not self._block_shown(cpu, line):   # the whole block, header on top
            self.scroll_to(y=cpu * BLOCK, animate=False, immediate=True)
        else:
            self.ensure_visible(line)

    def action_cpu(self, delta: int) -> None:
        if self.view is None:
            return
        cpu = (self.selected[0] + delta) % len(self.view.world["cpus"])
        self.selected = (cpu, self.selected[1])
        self.scroll_to(y=cpu * BLOCK, animate=False, immediate=True)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self.hovered = self._cell_at(event)

    def on_leave(self, event: events.Leave) -> None:
        self.hovered = None

    def on_click(self, event: events.Click) -> None:
        """A click on a grid cell selects that CPU and vector (its owner is described below)."""
        cell = self._cell_at(event)
        if cell is not None:
            self.selected = cell

    def _cell_at(self, event: events.MouseEvent) -> tuple[int, int] | None:
        at = event.get_content_offset(self)
        index = None if at is None else self.line_at(at.y)
        if at is None or index is None:
            return None
        cpu, line = divmod(index, BLOCK)
        vector = apicgrid.vector_at(at.x + round(self.scroll_offset.x), line)
        return None if vector is None else (cpu, vector)
