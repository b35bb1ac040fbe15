"""TUI test helpers: fixture scenarios, a session run to an event, waiting for the App."""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]
MASKED = str(FIXTURES / "masked-pending.yaml")
STORM = str(FIXTURES / "long-storm.yaml")
LATE = str(ROOT / "scenarios" / "msix-write-while-unmasked.yaml")


def session_at(path: str, event: int) -> Session:
    s = Session.from_scenario(path)
    s.seek(event)
    return s


async def idle(pilot, app, limit: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until no command runs and the screen has caught up."""
    waited = 0.0
    while app.busy and waited < limit:
        await pilot.pause(0.02)
        waited += 0.02
    await pilot.pause()


def screen_text(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The screen as painted, one string per row (what a terminal would show)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def status_lines(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The rows of the status line as painted."""
    from msidbg.tui.panes.status import StatusLine

    region = app.query_one(StatusLine).region
    return [row[region.x:region.right].strip() for row in screen_text(app)[region.y:region.bottom]]


def words(text: str) -> str:
    return " ".join(text.split())


async def opened(pilot, app, limit: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until a snapshot is open (and verified) and no command runs."""
    await idle(pilot, app, limit)


async def until(pilot, condition, limit: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    """Wait (polling) until ``condition()`` holds; returns whether it did."""
    waited = 0.0
    while not condition() and waited < limit:
        await pilot.pause(0.02)
        waited += 0.02
    return bool(condition())


def footer_ready(app) -> bool:  # type: ignore[no-untyped-def]
    """The footer has its keys (it is composed after the panes, once the bindings are known)."""
    rows = screen_text(app)
    return bool(rows) and "Quit" in rows[-1]
