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
    """Partial updates render only the widgets, and rows, that a dirty region touches, and
    never a container whose children tile it (its own cells are never on screen)."""

    _lean_regions: list[Region] | None = None
    _lean_map: dict[Any, tuple[Region, Region]] | None = None
    _lean_hidden: frozenset[Any] = frozenset()
    _lean_parts: dict[Any, list[Region]] = {}

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
        visible = self.visible_widgets
        if visible is not self._lean_map:
            self._lean_map, (self._lean_hidden, self._lean_parts) = visible, tiled(visible)
        hidden, parts = self._lean_hidden, self._lean_parts
        for widget, (region, clip) in visible.items():
            if widget in hidden:
                continue
            shown = region.intersection(clip).intersection(crop)
            if not shown:
                continue
            top = bottom = -1
            inside = parts.get(widget)
            for r in dirty:
                if shown.overlaps(r):
                    if inside is not None:
                        cut = r.intersection(shown)
                        if any(child.contains_region(cut) for child in inside):
                            continue      # a child in front covers this part of the region
                    y0, y1 = max(r.y, shown.y), min(r.bottom, shown.bottom)
                    top = y0 if top < 0 else min(top, y0)
                    bottom = max(bottom, y1)
            if top < 0:
                continue          # none of its own cells is written in this update
            rows = Region(shown.x, top, shown.width, bottom - top)
            yield region, rows, widget.render_lines(Region(rows.x - region.x, top - region.y, rows.width, rows.height))


def tiled(visible: dict[Any, tuple[Region, Region]]) -> tuple[frozenset[Any], dict[Any, list[Region]]]:
    """The widgets whose visible area their visible children cover exactly, side by side; and
    for every other widget with visible children, those children's visible areas.

    Children are in front of their parent, and a frame's cell comes from the front-most widget
    covering it, so a container's own lines are on screen only where no child covers them: never
    for the first kind, and only outside the children for the second (a border, a gap).
    Children that overlap each other (docks, layers) keep the parent rendered."""
    shown = {w: region.intersection(clip) for w, (region, clip) in visible.items()}
    covered, parts = [], {}
    for widget, area in shown.items():
        if not area:
            continue
        inside = [shown[c].intersection(area) for c in getattr(widget, "children", ()) if c in shown]
        inside = [p for p in inside if p]
        if not inside:
            continue
        if sum(p.area for p in inside) == area.area and all(
                not a.overlaps(b) for i, a in enumerate(inside) for b in inside[i + 1:]):
            covered.append(widget)
        else:
            parts[widget] = inside
    return frozenset(covered), parts


def lean_available() -> bool:
    """Whether this Textual has the private compositor parts ``LeanCompositor`` relies on."""
    return all(hasattr(Compositor, name) for name in _PRIVATE[1:3]) and hasattr(Compositor(), _PRIVATE[0])


class LeanScreen(Screen[Any]):
    """The App's main screen, with ``LeanCompositor`` when this Textual allows it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if lean_available() and type(self._compositor) is Compositor:
            self._compositor = LeanCompositor()
