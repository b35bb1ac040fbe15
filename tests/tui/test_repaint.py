"""Partial repaints: a step repaints only the lines that changed (issue 15's key latency), so what
is painted must always equal what a full repaint of every pane would show.

Each settled frame is compared, cell by cell (character and style), with the screen rendered
again from scratch. A line a pane forgot to repaint (a row, an APIC grid line, the selected
vector's cell, the APIC border's vector-owner text, a stack line, a pirq line) shows as a
difference.
"""

from __future__ import annotations

from typing import Any

import pytest

from msidbg.tui.app import make_app
from tests.tui.conftest import ROOT, idle, session_at

Cells = list[list[tuple[str, Any]]]


def cells(app: Any) -> Cells:
    """The screen as painted: per row, per cell, (character, style)."""
    return [[(ch, seg.style) for seg in strip for ch in seg.text] for strip in app.screen._compositor.render_strips()]


def repainted(app: Any) -> Cells:
    """The screen with every widget rendered again (no line taken from a cache)."""
    for widget in app.screen.walk_children(with_self=True):
        widget.refresh()
    return cells(app)


def differences(a: Cells, b: Cells) -> list[str]:
    out = []
    for y, (ra, rb) in enumerate(zip(a, b, strict=True)):
        if ra != rb:
            out.append(f"row {y}: painted {''.join(c for c, _ in ra)!r}\n       fresh   {''.join(c for c, _ in rb)!r}")
    return out


@pytest.mark.parametrize("scenario, start", [
    # four CPUs: steps follow events from CPU to CPU (from the 500us move's address write on CPU1:
    # CPU2's UNUSED hits, the pending edges, the cleanup IPI)
    ("msi-torn-affinity-update.yaml", 1741),
    ("xen-pirq-reuse-nvme.yaml", 1),            # the pirq pane and a passthrough table
])
async def test_every_step_paints_what_a_full_repaint_shows(scenario: str, start: int) -> None:
    app = make_app(session_at(str(ROOT / "scenarios" / scenario), start), keymap={})
    async with app.run_test(size=(160, 48)) as pilot:
        await idle(pilot, app)
        cpus = set()
        for key in ["s"] * 40 + ["b"] * 15 + ["s"] * 5:
            await pilot.press(key)
            await idle(pilot, app)
            painted = cells(app)
            assert not differences(painted, repainted(app)), (key, app.session.cursor,
                                                               differences(painted, repainted(app)))
            cpus.add(app.cpu)
        assert len(cpus) > 1, cpus      # the walk followed events to other CPUs
