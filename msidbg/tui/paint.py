"""A frame paints only the widgets that changed: Textual's compositor, narrowed.

Textual paints a partial update by rendering every widget that overlaps the *bounding box*
of the screen's dirty regions, over all the rows of that box. A step changes lines at the
top (vector table, APIC grid), in the middle (event log, call stacks) and the status line at
the bottom, so the box is the whole screen and every widget -- the containers, the tab bar,
the footer, the breakpoints, five scroll bars -- is rendered each frame, from its line cache
but at ~0.1 ms a widget.

``LeanCompositor`` renders, for a partial update, only the widgets whose visible region
overlaps one of the dirty regions themselves, each over just the rows of the dirty regions
it overlaps. What reaches the terminal is the same: an update writes only the dirty spans,
and a span's cell always comes from the front-most widget covering it, which overlaps that
span's region and so is rendered (``tests/tui/test_paint.py`` compares every frame of a walk
with a full repaint). Full updates (resize, screenshots) are Textual's own.

It reaches into Textual's private compositor (``_dirty_regions``, ``_get_renders``,
``visible_widgets``); with a Textual that lacks them the screen keeps Textual's compositor.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual._compositor import Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip

_PRIVATE = ("_dirty_regions", "_get_renders", "render_partial_update", "visible_widgets")


class LeanCompositor(Compositor):
    """Partial updates render only the widgets, and rows, that a dirty region touches."""

    _lean_regions: list[Region] | None = None

    def render_partial_update(self) -> Any:
        self._lean_regions = list(self._dirty_regions)
        try:
            return super().render_partial_update()
        finally:
            self._lean_regions = None

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        dirty = self._lean_regions
        if not dirty or crop is None:
            yield from super()._get_renders(crop)
            return
        for widget, (region, clip) in self.visible_widgets.items():
            shown = region.intersection(clip).intersection(crop)
            if not shown:
                continue
            top = bottom = -1
            for r in dirty:
                if shown.overlaps(r):
                    y0, y1 = max(r.y, shown.y), min(r.bottom, shown.bottom)
                    top = y0 if top < 0 else min(top, y0)
                    bottom = max(bottom, y1)
            if top < 0:
                continue          # no dirty region touches it: none of its cells is written
            rows = Region(shown.x, top, shown.width, bottom - top)
            yield region, rows, widget.render_lines(Region(rows.x - region.x, top - region.y, rows.width, rows.height))


def lean_available() -> bool:
    """Whether this Textual has the private compositor parts ``LeanCompositor`` relies on."""
    return all(hasattr(Compositor, name) for name in _PRIVATE[1:3]) and hasattr(Compositor(), _PRIVATE[0])


class LeanScreen(Screen[Any]):
    """The App's main screen, with ``LeanCompositor`` when this Textual allows it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if lean_available() and type(self._compositor) is Compositor:
            self._compositor = LeanCompositor()
