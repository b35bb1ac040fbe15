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
