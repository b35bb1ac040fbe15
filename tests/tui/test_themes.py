"""Every span style of every pane is readable in the dark and the light theme (issue 15 item 1).

Rich styles have no alpha and no ``auto`` colour; the panes' component styles used both
(``$text-muted`` is "auto 60%", highlights are ``$accent 40%``), and came out as white text on
the light theme's grey, or as text the colour of its background. The contrast of each style's
text on its background is checked here (WCAG ratio), the SVG snapshots show the screens.
"""

from __future__ import annotations

from textual.color import Color

from msidbg.tui.app import make_app
from msidbg.tui.panes.lines import LineView
from tests.tui.conftest import MASKED

MIN_CONTRAST = 3.0
#: the combinations the panes paint (a cell's style, then the row's or column's on top)
COMBOS = {
    "VectorTable": tuple(f"{cell} {row}" for row in ("changed", "selected")
                         for cell in ("masked", "pending", "mismatch", "blocked")),
    "PirqMap": ("changed selected", "conflict selected"),
    "Timeline": tuple(f"{cell} {col}" for col in ("cursor", "selected")
                      for cell in ("lost", "spurious", "held", "delivered", "sent", "irq", "kernel", "hit", "mark")),
}


def contrast(a: Color, b: Color) -> float:
    def lum(c: Color) -> float:
        def ch(v: int) -> float:
            x = v / 255
            return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4
        return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b)
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


async def test_every_span_style_is_readable_in_both_themes() -> None:
    app = make_app(MASKED, keymap={})
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("v")          # the timeline's styles too
        await pilot.pause()
        bad = []
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            await pilot.pause()
            for pane in app.query(LineView):
                for name in ("",) + pane.STYLE_NAMES + COMBOS.get(type(pane).__name__, ()):
                    st = pane.style_of(name)
                    assert st.color is not None and st.bgcolor is not None, (theme, pane, name)
                    ratio = contrast(Color.from_rich_color(st.color), Color.from_rich_color(st.bgcolor))
                    if ratio < MIN_CONTRAST:
                        bad.append(f"{theme} {type(pane).__name__} {name!r}: {st} ({ratio:.2f})")
        assert not bad, "\n".join(bad)
