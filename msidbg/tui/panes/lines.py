"""``LineView``: a virtualised list of styled lines (Textual's Line API).

Subclasses say how many lines there are and what spans make line ``i``; only the lines on
screen are ever built, so a 2,048-entry table or a million-event log costs what a screenful
costs. Span style names map to the widget's component classes (``<prefix>--<name>``), which
``msidbg.tcss`` styles, so themes apply and code never touches ``.styles``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.content import Content
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

Span = tuple[str, str]
#: rendered lines kept by content (a row scrolled away and back, or an unchanged APIC block
#: shown again, costs a dictionary look-up instead of its segments)
STRIPS_KEPT = 512
#: the last cell of a line cut at the pane's right edge (the rest is a horizontal scroll away)
ELLIPSIS = "…"


def pane_keys(*keys: tuple[str, str, str]) -> list[BindingType]:
    """Bindings a pane handles itself, from (keys, action, description): kept out of the footer,
    which shows the debugger's keys."""
    return [Binding(k, action, description, show=False) for k, action, description in keys]


def merge(spans: list[Span]) -> list[Span]:
    """Join neighbouring spans of the same style (fewer segments to crop and paint)."""
    out: list[Span] = []
    for text, name in spans:
        if out and out[-1][1] == name:
            out[-1] = (out[-1][0] + text, name)
        else:
            out.append((text, name))
    return out


class LineView(ScrollView, can_focus=True):
    """A scrollable list of lines with ``header_lines`` fixed rows on top."""

    #: span style names this widget uses; each is a component class ``<PREFIX>--<name>``
    STYLE_NAMES: ClassVar[tuple[str, ...]] = ()
    PREFIX: ClassVar[str] = "lines"
    header_lines: int = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # the component classes follow from PREFIX and STYLE_NAMES, so a pane states them once
        cls.COMPONENT_CLASSES = {f"{cls.PREFIX}--{n}" for n in cls.STYLE_NAMES}
        super().__init_subclass__(**kwargs)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._styles: dict[str, Style] = {}
        #: (spans, scroll x, width, columns not under the scroll bar) -> the line as rendered;
        #: cleared with the styles
        self._strips: dict[tuple[tuple[Span, ...], int, int, int], Strip] = {}
        self._titles: tuple[str | None, str | None] = (None, None)

    # -- one frame -------------------------------------------------------------------------------
    #: what every line of the frame being rendered reads (``frame_state``); None outside ``render_lines``
    _frame: tuple[Any, ...] | None = None

    def frame_state(self) -> tuple[Any, ...] | None:
        """What every line of one frame reads and nothing changes between two lines of it (the view, the
        selection, the column layout, the line count): taken once a frame rather than once a line (a scroll
        repaints every row, on most steps of an interrupt burst). None: the lines read it themselves."""
        return None

    def render_lines(self, crop: Region) -> list[Strip]:
        self._frame = self.frame_state()
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    # -- what subclasses provide ------------------------------------------------------------
    def line_count(self) -> int:
        return 0

    def line_spans(self, index: int) -> list[Span]:
        return []

    def header_spans(self, index: int) -> list[Span]:
        return []

    def line_width(self) -> int:
        """The widest line, for the horizontal scroll range."""
        return self.size.width

    def on_resize(self) -> None:
        """The scroll range follows the pane's size too: a pane narrowed by a resized terminal kept
        its old virtual width until the next View (the breakpoints pane, at the width of the
        80-column stacked layout, grew a horizontal scroll bar over its last row at 120x40).
        Subclasses' own ``on_resize`` run as well (Textual calls each class's handler)."""
        self.update_size()

    # -- rendering ---------------------------------------------------------------------------
    def style_of(self, name: str) -> Style:
        """The Rich style of a span style name, or of several separated by spaces, later ones on
        top (e.g. "changed masked": a mask bit in a row that changed). Cached until the theme
        or CSS changes."""
        style = self._styles.get(name)
        if style is None:
            style = self.rich_style
            for part in name.split():
                style = style + self._part_style(f"{self.PREFIX}--{part}", style)
            self._styles[name] = style
        return style

    def _part_style(self, component: str, under: Style) -> Style:
        """A component's style painted on top of ``under``, its colours resolved here.

        Rich styles have no alpha and no ``auto`` colour, and a partial component style drops
        both: ``$text-muted`` ("auto 60%") came out white, and ``$accent 40%`` as solid accent
        (text on it unreadable, in a light theme most of all). So a background with alpha is
        blended onto the one below, and the text colour onto that background (``auto``: the
        theme's contrasting text at that alpha).
        """
        styles = self.get_component_styles(component)
        partial = styles.partial_rich_style
        if under.bgcolor is None:
            return partial
        below = Color.from_rich_color(under.bgcolor)
        background = below + styles.background if styles.has_rule("background") else below
        text: Color | None
        if styles.has_rule("color"):
            color = styles.color
            text = background + (background.get_contrast_text(color.a) if styles.auto_color else color)
        else:
            text = background + Color.from_rich_color(under.color) if under.color is not None else None
        return partial + Style(color=None if text is None else text.rich_color, bgcolor=background.rich_color)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if y < self.header_lines:
            spans = self.header_spans(y)
        else:
            index = scroll_y + y - self.header_lines
            spans = self.line_spans(index) if index < self.line_count() else []
        # the columns not under a vertical scroll bar (``size`` includes it)
        visible = min(self.scrollable_content_region.width, width) or width
        key = (tuple(spans), scroll_x, width, visible)
        strip = self._strips.get(key)
        if strip is None:
            base = self.style_of("")
            if not spans:
                strip = Strip.blank(width, base)
            else:
                strip = Strip([Segment(text, self.style_of(name)) for text, name in merge(spans)])
                cut = strip.cell_length > scroll_x + visible
                strip = strip.crop_extend(scroll_x, scroll_x + width, base)
                if cut and visible > 1:  # cut at the right edge: say so ("value=0xc00" of 0xc007 read as a value)
                    kept = strip.crop(0, visible - 1)
                    last = list(kept)[-1].style if kept.cell_length else base
                    strip = Strip.join([kept, Strip([Segment(ELLIPSIS, last)]), strip.crop(visible, width)])
            if len(self._strips) >= STRIPS_KEPT:
                self._strips.clear()
            self._strips[key] = strip
        return strip

    def update_size(self) -> None:
        """Call when the line count or width may have changed (does not repaint by itself).

        Sets the virtual size without a screen relayout (the pane's own size is fixed by CSS;
        only its scrollbars depend on the virtual size, and they update themselves): a relayout
        per step would repaint the whole screen.
        """
        size = Size(max(self.line_width(), 1), self.line_count() + self.header_lines)
        if size != self.virtual_size:
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)

    def refresh_indices(self, indices: Iterable[int]) -> None:
        """Repaint only lines ``indices`` (those on screen): a step touches a few rows.

        Each line's region is as wide as the pane's content, not Textual's ``refresh_line``
        (as wide as the virtual width, which runs over the scroll bar beside it): a scroll bar
        that a dirty region touches is rendered again in that frame."""
        first, height = self.first_visible(), self.body_height
        width = self.scrollable_content_region.width
        for i in sorted(set(indices)):
            if first <= i < first + height:
                self.refresh(Region(0, i - first + self.header_lines, width, 1))

    def refresh_changed(self, before: list[list[Span]], after: list[list[Span]]) -> None:
        """Repaint the lines whose spans differ between ``before`` and ``after`` (every line as
        painted, by index), and the lines one of them has and the other has not."""
        differ = [i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b]
        self.refresh_indices(differ + list(range(min(len(before), len(after)), max(len(before), len(after)))))

    def set_titles(self, title: str | None = None, subtitle: str | None = None) -> None:
        """Set the border title/subtitle only when they differ. Textual's setters repaint the
        whole pane; a subtitle that follows the cursor (the APIC pane's vector owner) changes on
        most steps, so it repaints only the bottom border line."""
        if title is not None and title != self._titles[0]:
            self.border_title = Content(title)          # plain text: "[IRR]" is not markup
        if subtitle is not None and subtitle != self._titles[1]:
            self._set_subtitle(Content(subtitle))
        self._titles = (self._titles[0] if title is None else title,
                        self._titles[1] if subtitle is None else subtitle)

    def _set_subtitle(self, subtitle: Content) -> None:
        """Set the border subtitle and repaint only the bottom border line: stored where and as
        Textual's setter stores it (``_border_subtitle``). The first one, or a Textual without
        that attribute, goes through the setter."""
        if self._titles[1] is None or not hasattr(self, "_border_subtitle") or not self.size:
            self.border_subtitle = subtitle
            return
        self._border_subtitle = self.render_str(subtitle).expand_tabs(4).split()[0]
        offset, outer = self.content_offset, self.outer_size
        self.refresh(Region(-offset.x, outer.height - 1 - offset.y, outer.width, 1))

    # -- scrolling ---------------------------------------------------------------------------
    @property
    def body_height(self) -> int:
        return max(self.scrollable_content_region.height - self.header_lines, 1)

    def first_visible(self) -> int:
        return round(self.scroll_offset.y)

    def is_visible(self, index: int) -> bool:
        first = self.first_visible()
        return first <= index < first + self.body_height

    def ensure_visible(self, index: int, center: bool = False) -> None:
        """Scroll (without animation) so that line ``index`` is on screen."""
        if self.is_visible(index) and not center:
            return
        h = self.body_height
        if center:
            target = index - h // 2
        elif index < self.first_visible():
            target = index
        else:
            target = index - h + 1
        self.scroll_to(y=max(target, 0), animate=False, immediate=True)

    def line_at(self, y: int) -> int | None:
        """The line index under widget row ``y`` (from a mouse event), or None."""
        if y < self.header_lines:
            return None
        index = self.first_visible() + y - self.header_lines
        return index if 0 <= index < self.line_count() else None
